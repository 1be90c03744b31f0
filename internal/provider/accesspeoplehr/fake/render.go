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

package fake

import (
	"encoding/json"
	"strings"
	"time"

	"github.com/dirsync/dirsync/internal/provider/fakehr"
)

// envelope is every answer of the API.
type envelope struct {
	IsError bool   `json:"isError"`
	Status  int    `json:"Status"`
	Message string `json:"Message"`
	Result  any    `json:"Result"`
}

func errorEnvelope(status int, message string) []byte {
	b, _ := json.Marshal(envelope{IsError: true, Status: status, Message: message, Result: nil})
	return b
}

// wrapped is how the API sends a field.
type wrapped struct {
	DisplayValue string     `json:"DisplayValue"`
	FieldHistory []struct{} `json:"FieldHistory"`
}

func w(s string) wrapped { return wrapped{DisplayValue: s, FieldHistory: []struct{}{}} }

// plain is a field the API sends without history (e.g. ReportsToEmployeeId).
type plain struct {
	DisplayValue string `json:"DisplayValue"`
}

type contactDetail struct {
	Address             wrapped `json:"Address"`
	WorkPhoneNumber     wrapped `json:"WorkPhoneNumber"`
	PersonalPhoneNumber wrapped `json:"PersonalPhoneNumber"`
	PersonalEmail       wrapped `json:"PersonalEmail"`
	Mobile              wrapped `json:"Mobile"`
}

// record is one employee as GetAllEmployeeDetail renders it (a realistic subset of the real record).
type record struct {
	EmployeeId          wrapped       `json:"EmployeeId"`
	Title               wrapped       `json:"Title"`
	FirstName           wrapped       `json:"FirstName"`
	LastName            wrapped       `json:"LastName"`
	OtherName           wrapped       `json:"OtherName"`
	KnownAs             wrapped       `json:"KnownAs"`
	EmailId             wrapped       `json:"EmailId"`
	StartDate           wrapped       `json:"StartDate"`
	DateOfBirth         wrapped       `json:"DateOfBirth"`
	JobRole             wrapped       `json:"JobRole"`
	Company             wrapped       `json:"Company"`
	Location            wrapped       `json:"Location"`
	Department          wrapped       `json:"Department"`
	ReportsTo           wrapped       `json:"ReportsTo"`
	ReportsToEmployeeId plain         `json:"ReportsToEmployeeId"`
	NISNumber           wrapped       `json:"NISNumber"`
	EmploymentType      wrapped       `json:"EmploymentType"`
	ContactDetail       contactDetail `json:"ContactDetail"`
	LeavingDate         any           `json:"LeavingDate"`
	ReasonForLeaving    string        `json:"ReasonForLeaving"`
	// APIColumn1 is one of the account-defined API columns; the fake puts the salary there.
	APIColumn1 string `json:"APIColumn1"`
}

// records renders the company. IncludeLeavers false hides employees whose leaving date has passed.
func (s *Server) records(includeLeavers bool) []record {
	c := s.Company()
	today := s.now().UTC().Format(time.DateOnly)

	byID := make(map[string]*fakehr.Employee, len(c.Employees))
	for i := range c.Employees {
		byID[c.Employees[i].ID] = &c.Employees[i]
	}
	out := make([]record, 0, len(c.Employees))
	for i := range c.Employees {
		e := &c.Employees[i]
		leaving := ""
		if e.Status != fakehr.Current {
			leaving = e.LeavingDate
		}
		if !includeLeavers && leaving != "" && leaving < today {
			continue
		}
		out = append(out, s.record(&c, e, byID[e.ManagerID], leaving))
	}
	return out
}

func (s *Server) record(c *fakehr.Company, e, mgr *fakehr.Employee, leaving string) record {
	dept := ""
	if d, ok := c.Department(e.DepartmentID); ok && e.DepartmentID != "" {
		dept = d.Name
	}
	var reportsTo, reportsToID string
	if mgr != nil {
		reportsTo, reportsToID = strings.TrimSpace(mgr.FirstName+" "+mgr.LastName), mgr.ID
	}
	address := e.Address1
	if e.Postcode != "" {
		address += ", " + e.Postcode
	}
	r := record{
		EmployeeId:          w(e.ID),
		Title:               w(""),
		FirstName:           w(e.FirstName),
		LastName:            w(e.LastName),
		OtherName:           w(e.MiddleName),
		KnownAs:             w(e.KnownAs),
		EmailId:             w(e.Email),
		StartDate:           w(s.date(e.StartDate)),
		DateOfBirth:         w(s.date(e.DateOfBirth)),
		JobRole:             w(e.JobTitle),
		Company:             w("Example Ltd"),
		Location:            w("London"),
		Department:          w(dept),
		ReportsTo:           w(reportsTo),
		ReportsToEmployeeId: plain{DisplayValue: reportsToID},
		NISNumber:           w(e.NINumber),
		EmploymentType:      w("Full Time"),
		ContactDetail: contactDetail{
			Address:             w(address),
			WorkPhoneNumber:     w(""),
			PersonalPhoneNumber: w(e.PersonalMobile),
			PersonalEmail:       w(e.PersonalEmail),
			Mobile:              w(e.PersonalMobile),
		},
		LeavingDate: s.date(leaving),
		APIColumn1:  e.Salary,
	}
	if leaving != "" {
		r.ReasonForLeaving = "Resignation"
	}
	if s.wrapLeaving {
		r.LeavingDate = w(s.date(leaving))
	}
	return r
}

// date renders a YYYY-MM-DD model date in the server's format.
func (s *Server) date(d string) string {
	if !s.dayFirst || d == "" {
		return d
	}
	t, err := time.Parse(time.DateOnly, d)
	if err != nil {
		return d
	}
	return t.Format("02/01/2006")
}
