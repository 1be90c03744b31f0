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

package breathehr

import (
	"slices"
	"strings"

	"github.com/dirsync/dirsync/internal/provider"
)

// Breathe HR's status texts.
const (
	// StatusCurrent is a current employee: active.
	StatusCurrent = "Current employee"
	// StatusPendingLeaver has a leaving date ahead: still active.
	StatusPendingLeaver = "Pending leaver"
	// StatusExEmployee has left: inactive. Breathe's create-employee form lists it as the third value (one
	// source, see shared/provider-wire.md A2); any other text is inactive too.
	StatusExEmployee = "Ex-employee"
)

// IsActive reports whether a Breathe HR status text makes the employee active: only "Current employee"
// and "Pending leaver" do (surrounding spaces and letter case ignored). Any other text, including
// "Ex-employee", an empty or an unknown one, is inactive.
func IsActive(status string) bool {
	s := strings.TrimSpace(status)
	return strings.EqualFold(s, StatusCurrent) || strings.EqualFold(s, StatusPendingLeaver)
}

// mapper maps employees page by page (the tests' toEmployees maps a whole listing at once): each decoded employee is mapped as
// its page arrives, and only the line managers sent without an id wait for the whole listing. With a
// claim (provider.Config.Claim), each complete employee is offered to it at once, and one it takes is
// not kept; only what resolving a pending line manager needs of it stays (its e-mail and name, indexed).
type mapper struct {
	deptByName map[string]string
	out        []provider.Employee
	// pending are the employees (index in out) whose line manager came without an id.
	pending []pendingManager
	claim   func(*provider.Employee) bool
	// seen counts the employees mapped so far.
	seen int
	// claimed indexes the claimed employees by e-mail and name, for the pending line managers.
	claimed *index
}

type pendingManager struct {
	i   int
	ref wireRef
}

func newMapper(depts []provider.Department) *mapper {
	m := &mapper{deptByName: map[string]string{}, out: []provider.Employee{}}
	for _, d := range depts {
		provider.AddUnique(m.deptByName, nameKey(d.Name), d.ExternalID)
	}
	return m
}

// addPage maps one page of the listing, whose Total header says total (-1: not sent).
func (m *mapper) addPage(ws []wireEmployee, total int) {
	// Nothing claimed so far (a first sync): room for the whole listing at once, but never more than
	// maxPresizedRows on the provider's word (the caller has refused a Total over the user limit).
	if want := min(total, maxPresizedRows); m.seen > 0 && len(m.out) == m.seen && want > cap(m.out) {
		m.out = slices.Grow(m.out, want-len(m.out))
	}
	m.seen += len(ws)
	for i := range ws {
		e := toEmployee(&ws[i], m.department(ws[i].Department))
		if r := ws[i].LineManager; r.ID == "" && (r.Email != "" || r.Name != "" || r.FirstName != "" || r.LastName != "") {
			m.pending = append(m.pending, pendingManager{i: len(m.out), ref: r})
		} else if m.claim != nil && m.claim(&e) {
			if m.claimed == nil {
				m.claimed = newIndex(nil)
			}
			m.claimed.add(&e)
			continue
		}
		m.out = append(m.out, e)
	}
}

// employees resolves the pending line managers against every employee (claimed ones included), offers
// those employees to the claim, and returns all that were not claimed.
func (m *mapper) employees() []provider.Employee {
	if len(m.pending) == 0 {
		return m.out
	}
	ix := m.claimed
	if ix == nil {
		ix = newIndex(nil)
	}
	for i := range m.out {
		ix.add(&m.out[i])
	}
	for _, p := range m.pending {
		if id := ix.manager(p.ref); id != m.out[p.i].ExternalID {
			m.out[p.i].ManagerExternalID = id
		}
	}
	if m.claim == nil {
		return m.out
	}
	taken := make(map[int]bool, len(m.pending))
	for _, p := range m.pending {
		taken[p.i] = m.claim(&m.out[p.i])
	}
	kept := m.out[:0]
	for i := range m.out {
		if !taken[i] {
			kept = append(kept, m.out[i])
		}
	}
	return kept
}

// department is the id of an employee's department: its id, or the listed department with its name.
func (m *mapper) department(r wireRef) string {
	if r.ID != "" {
		return r.ID
	}
	return m.deptByName[nameKey(r.Name)]
}

// toEmployee maps one decoded employee in department dept. A line manager sent without an id is left
// to the mapper.
func toEmployee(w *wireEmployee, dept string) provider.Employee {
	first := strings.TrimSpace(w.FirstName)
	last := strings.TrimSpace(w.LastName)
	known := strings.TrimSpace(w.KnownAs)
	status := strings.TrimSpace(w.Status)
	e := provider.Employee{
		ExternalID:       string(w.ID),
		Email:            strings.TrimSpace(w.Email),
		FirstName:        first,
		LastName:         last,
		PreferredName:    known,
		DisplayName:      provider.DisplayName(known, first, last),
		JobTitle:         strings.TrimSpace(w.JobTitle),
		Active:           IsActive(status),
		EmploymentStatus: status,
		StartDate:        firstOf(string(w.CompanyJoinDate), string(w.JoinDate), string(w.JobStartDate)),
		EndDate:          string(w.LeavingDate),
		EmploymentType:   string(w.FullOrPartTime),
		Location:         provider.NewAffiliation(w.Location.ID, w.Location.Name),
		Division:         provider.NewAffiliation(w.Division.ID, w.Division.Name),
		ManagerEmail:     email(w.LineManager.Email),
	}
	if dept != "" {
		e.DepartmentIDs = []string{dept}
	}
	if id := w.LineManager.ID; id != e.ExternalID {
		e.ManagerExternalID = id
	}
	return e
}

func firstOf(values ...string) string {
	for _, v := range values {
		if v != "" {
			return v
		}
	}
	return ""
}

// email returns s trimmed when it looks like one address, else "".
func email(s string) string {
	s = strings.TrimSpace(s)
	if at := strings.IndexByte(s, '@'); at <= 0 || at == len(s)-1 || strings.Count(s, "@") != 1 || strings.ContainsAny(s, " \t\r\n") {
		return ""
	}
	return s
}

// index resolves a line manager that came without an id against the employees, by work e-mail or by
// "first last" name. A name that two share resolves to nothing.
type index struct {
	byEmail map[string]string
	byName  map[string]string
}

func nameKey(s string) string { return strings.ToLower(provider.NormaliseSpace(s)) }

func newIndex(emps []provider.Employee) *index {
	ix := &index{byEmail: map[string]string{}, byName: map[string]string{}}
	for i := range emps {
		ix.add(&emps[i])
	}
	return ix
}

// add indexes one employee by work e-mail and "first last" name.
func (ix *index) add(e *provider.Employee) {
	provider.AddUnique(ix.byEmail, strings.ToLower(email(e.Email)), e.ExternalID)
	provider.AddUnique(ix.byName, nameKey(e.FirstName+" "+e.LastName), e.ExternalID)
}

// manager is the id of an employee's line manager: its id, or the employee with its e-mail, or with its
// name ("first last", or a bare name).
func (ix *index) manager(r wireRef) string {
	if e := email(r.Email); e != "" {
		if id := ix.byEmail[strings.ToLower(e)]; id != "" {
			return id
		}
	}
	if name := nameKey(r.FirstName + " " + r.LastName); name != "" {
		return ix.byName[name]
	}
	return ix.byName[nameKey(r.Name)]
}
