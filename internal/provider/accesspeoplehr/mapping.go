/*
Copyright 2026 The dirsync Authors.

Licensed under the Apache License, Version 2.0 (the "License");
you may not use this file except in compliance with the License.
You may obtain a copy of the License at

    http://www.apache.org/licenses/LICENSE-2.0

Unless required by applicable law or agreed to in writing, software
distributed under the License is distributed on an "AS IS" BASIS,
WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
See the License for the specific language governing permissions and
limitations under the License.
*/

package accesspeoplehr

import (
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode"

	"github.com/dirsync/dirsync/internal/provider"
)

// Employment statuses, in the terms of the integration dirsync imitates. Access People HR sends no usable
// status text (its EmployeeStatus field is an undocumented numeric code), so the client derives these
// from LeavingDate and puts them in Employee.EmploymentStatus.
const (
	// StatusActive is a current employee: no leaving date.
	StatusActive = "ACTIVE"
	// StatusLeaverMarked has a leaving date of today or later: still Active. The leaving date is the last
	// day worked, so the employee stays active through it.
	StatusLeaverMarked = "LEAVER_MARKED"
	// StatusLeaver has a leaving date before today: Inactive.
	StatusLeaver = "LEAVER"
)

// minYear is the earliest year a date may have; earlier ones (0001-01-01 is .NET's "no date") read as "".
const minYear = 1900

// employmentState maps a normalised leaving date onto Active and the status text. today is YYYY-MM-DD in
// UTC; dates in that form compare as strings.
func employmentState(leavingDate, today string) (active bool, status string) {
	switch {
	case leavingDate == "":
		return true, StatusActive
	case leavingDate >= today:
		return true, StatusLeaverMarked
	default:
		return false, StatusLeaver
	}
}

// normaliseDate turns YYYY-MM-DD, D/M/YYYY (day first, as People HR's UK users write it) or either with
// a time after a 'T' or a space into YYYY-MM-DD. Anything else, or a year before minYear, is "".
func normaliseDate(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexAny(s, "T "); i >= 0 {
		s = s[:i]
	}
	for _, layout := range []string{time.DateOnly, "2/1/2006"} {
		if t, err := time.Parse(layout, s); err == nil && t.Year() >= minYear {
			return t.Format(time.DateOnly)
		}
	}
	return ""
}

// validEmail returns s when it looks like one address (exactly one '@' with text either side, no white
// space or control characters), else "": an unusable work e-mail is dropped, the employee is still synced.
func validEmail(s string) string {
	at := strings.IndexByte(s, '@')
	if at <= 0 || at == len(s)-1 || strings.Count(s, "@") != 1 {
		return ""
	}
	if strings.ContainsFunc(s, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }) {
		return ""
	}
	return s
}

// normaliseName collapses runs of white space to one space and trims: the identity of a department.
func normaliseName(s string) string { return provider.NormaliseSpace(s) }

// people indexes the response's employees to resolve a manager.
type people struct {
	ids map[string]bool
	// byName maps a case-folded, space-normalised "First Last" to its id, or "" when two share it;
	// byEmail a lower-cased work e-mail likewise.
	byName  map[string]string
	byEmail map[string]string
}

func nameKey(s string) string { return strings.ToLower(normaliseName(s)) }

// manager resolves a record's line manager to an EmployeeId in the response: ReportsToEmployeeId when it
// names one; else ReportsTo when it is an id; else the employee whose work e-mail is
// ReportsToEmailAddress; else ReportsTo as a "First Last" name that exactly one employee has. An employee
// is never their own manager. Anything else is "".
func (p *people) manager(r *apiEmployee, self string) string {
	ok := func(id string) bool { return id != "" && id != self && p.ids[id] }
	if id := r.ReportsToEmployeeID.text; ok(id) {
		return id
	}
	if id := r.ReportsTo.text; ok(id) {
		return id
	}
	if mail := validEmail(r.ReportsToEmailAddress.text); mail != "" {
		if id := p.byEmail[strings.ToLower(mail)]; ok(id) {
			return id
		}
	}
	if r.ReportsTo.text == "" {
		return ""
	}
	if id := p.byName[nameKey(r.ReportsTo.text)]; ok(id) {
		return id
	}
	return ""
}

// toSnapshot maps decoded records onto provider-neutral employees (in response order) and the departments
// their Department values name (sorted). It fails the whole fetch on a record without an EmployeeId (it
// cannot be materialised, and dropping it would delete that user) or on an EmployeeId twice. Ids are
// exact text: "pw1" and "PW1" are two employees.
func toSnapshot(recs []apiEmployee, today string) ([]provider.Employee, []provider.Department, error) {
	p := &people{ids: make(map[string]bool, len(recs)), byName: make(map[string]string, len(recs)),
		byEmail: make(map[string]string, len(recs))}
	for i := range recs {
		id := recs[i].EmployeeID.text
		if id == "" {
			return nil, nil, invalid(fmt.Sprintf("employee record %d of %d has no EmployeeId", i+1, len(recs)))
		}
		if p.ids[id] {
			return nil, nil, invalid(fmt.Sprintf("EmployeeId %q appears more than once", provider.OneLine(id, 64)))
		}
		p.ids[id] = true
		provider.AddUnique(p.byName, nameKey(recs[i].FirstName.text+" "+recs[i].LastName.text), id)
		provider.AddUnique(p.byEmail, strings.ToLower(validEmail(recs[i].EmailID.text)), id)
	}

	emps := make([]provider.Employee, 0, len(recs))
	depts := map[string]provider.Department{}
	for i := range recs {
		r := &recs[i]
		id := r.EmployeeID.text
		end := normaliseDate(r.LeavingDate.text)
		active, status := employmentState(end, today)
		e := provider.Employee{
			ExternalID:        id,
			Email:             validEmail(r.EmailID.text),
			FirstName:         r.FirstName.text,
			LastName:          r.LastName.text,
			PreferredName:     r.KnownAs.text,
			DisplayName:       provider.DisplayName(r.KnownAs.text, r.FirstName.text, r.LastName.text),
			JobTitle:          r.JobRole.text,
			Active:            active,
			EmploymentStatus:  status,
			ManagerExternalID: p.manager(r, id),
			ManagerEmail:      validEmail(r.ReportsToEmailAddress.text),
			StartDate:         normaliseDate(r.StartDate.text),
			EndDate:           end,
			EmploymentType:    r.EmploymentType.text,
			Location:          provider.NewAffiliation("", r.Location.text),
			Company:           provider.NewAffiliation("", r.Company.text),
		}
		if d := normaliseName(r.Department.text); d != "" {
			e.DepartmentIDs = []string{d}
			depts[d] = provider.Department{ExternalID: d, Name: d}
		}
		emps = append(emps, e)
	}

	out := make([]provider.Department, 0, len(depts))
	for _, d := range depts {
		out = append(out, d)
	}
	slices.SortFunc(out, func(a, b provider.Department) int { return strings.Compare(a.ExternalID, b.ExternalID) })
	return emps, out, nil
}
