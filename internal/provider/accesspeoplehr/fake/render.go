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

// wrapped is how the API sends most fields; the history key's name differs by field, and history is
// always empty in GetAllEmployeeDetail (the vendor deprecated it there).
type wrapped struct {
	DisplayValue string     `json:"DisplayValue"`
	FieldHistory []struct{} `json:"FieldHistory"`
}

func w(s string) wrapped { return wrapped{DisplayValue: s, FieldHistory: []struct{}{}} }

// jobRole is JobRole's wrapping.
type jobRole struct {
	DisplayValue           string     `json:"DisplayValue"`
	FieldHistoryForJobRole []struct{} `json:"FieldHistoryForJobRole"`
}

// effective is the wrapping of Company, Location, Department, ReportsTo and EmploymentType.
type effective struct {
	DisplayValue                 string     `json:"DisplayValue"`
	FieldHistoryForEffectiveDate []struct{} `json:"FieldHistoryForEffectiveDate"`
}

func eff(s string) effective {
	return effective{DisplayValue: s, FieldHistoryForEffectiveDate: []struct{}{}}
}

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

type bankDetail struct {
	BankName      wrapped `json:"BankName"`
	BankAddress   wrapped `json:"BankAddress"`
	BankCode      wrapped `json:"BankCode"`
	AccountNumber wrapped `json:"AccountNumber"`
	AccountName   wrapped `json:"AccountName"`
}

type employmentDetail struct {
	PayrollCompany      wrapped `json:"PayrollCompany"`
	PayrollID           wrapped `json:"PayrollID"`
	TimeAndAttendanceID wrapped `json:"TimeAndAttendanceID"`
	RotaID              wrapped `json:"RotaID"`
	CRMID               wrapped `json:"CRMID"`
	ATSID               wrapped `json:"ATSID"`
	PerformanceID       wrapped `json:"PerformanceID"`
	BenefitsID          wrapped `json:"BenefitsID"`
	System1ID           wrapped `json:"System1ID"`
	System2ID           wrapped `json:"System2ID"`
	System3ID           wrapped `json:"System3ID"`
}

// record is one employee as GetAllEmployeeDetail renders it: every key of the vendor's record, in its
// order and wrapping (vendor Swagger Result1GetList5Array; the golden fixture
// ../testdata/peoplehr-getallemployeedetail.json).
type record struct {
	EmployeeID                  wrapped          `json:"EmployeeId"`
	Title                       wrapped          `json:"Title"`
	FirstName                   wrapped          `json:"FirstName"`
	LastName                    wrapped          `json:"LastName"`
	OtherName                   wrapped          `json:"OtherName"`
	KnownAs                     wrapped          `json:"KnownAs"`
	EmailID                     wrapped          `json:"EmailId"`
	StartDate                   wrapped          `json:"StartDate"`
	DateOfBirth                 wrapped          `json:"DateOfBirth"`
	JobRole                     jobRole          `json:"JobRole"`
	Company                     effective        `json:"Company"`
	CompanyEffectiveDate        plain            `json:"CompanyEffectiveDate"`
	Location                    effective        `json:"Location"`
	LocationEffectiveDate       plain            `json:"LocationEffectiveDate"`
	Department                  effective        `json:"Department"`
	DepartmentEffectiveDate     plain            `json:"DepartmentEffectiveDate"`
	JobRoleChangeDate           plain            `json:"JobRoleChangeDate"`
	ReportsTo                   effective        `json:"ReportsTo"`
	ReportsToEffectiveDate      plain            `json:"ReportsToEffectiveDate"`
	ReportsToEmployeeID         plain            `json:"ReportsToEmployeeId"`
	ReportsToEmailAddress       plain            `json:"ReportsToEmailAddress"`
	NISNumber                   wrapped          `json:"NISNumber"`
	Nationality                 wrapped          `json:"Nationality"`
	EmploymentType              effective        `json:"EmploymentType"`
	EmploymentTypeEffectiveDate plain            `json:"EmploymentTypeEffectiveDate"`
	EmployeeStatus              plain            `json:"EmployeeStatus"`
	HolidayAllowanceDays        plain            `json:"HolidayAllowanceDays"`
	HolidayAllowanceMins        plain            `json:"HolidayAllowanceMins"`
	NoticePeriod                wrapped          `json:"NoticePeriod"`
	ProbationEndDate            wrapped          `json:"ProbationEndDate"`
	Gender                      wrapped          `json:"Gender"`
	ContactDetail               contactDetail    `json:"ContactDetail"`
	OtherContact                []struct{}       `json:"OtherContact"`
	RightToWork                 []struct{}       `json:"RightToWork"`
	BackgroundDetail            []struct{}       `json:"BackgroundDetail"`
	BankDetail                  bankDetail       `json:"BankDetail"`
	EmploymentDetail            employmentDetail `json:"EmploymentDetail"`
	LeavingDate                 any              `json:"LeavingDate"`
	ReasonForLeaving            string           `json:"ReasonForLeaving"`
	EmployeeImage               string           `json:"EmployeeImage"`
	// APIColumn1…5 are account-defined API columns; the fake puts the salary in the first.
	APIColumn1             string `json:"APIColumn1"`
	APIColumn2             string `json:"APIColumn2"`
	APIColumn3             string `json:"APIColumn3"`
	APIColumn4             string `json:"APIColumn4"`
	APIColumn5             string `json:"APIColumn5"`
	LstFieldHistoryJobrole any    `json:"lstFieldHistoryJobrole"`
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
	var reportsTo, reportsToID, reportsToEmail, since string
	if mgr != nil {
		reportsTo, reportsToID, reportsToEmail, since = strings.TrimSpace(mgr.FirstName+" "+mgr.LastName), mgr.ID, mgr.Email, e.StartDate
	}
	address := e.Address1
	if e.Postcode != "" {
		address += ", " + e.Postcode
	}
	start := s.date(e.StartDate)
	r := record{
		EmployeeID:                  w(e.ID),
		Title:                       w(""),
		FirstName:                   w(e.FirstName),
		LastName:                    w(e.LastName),
		OtherName:                   w(e.MiddleName),
		KnownAs:                     w(e.KnownAs),
		EmailID:                     w(e.Email),
		StartDate:                   w(start),
		DateOfBirth:                 w(s.date(e.DateOfBirth)),
		JobRole:                     jobRole{DisplayValue: e.JobTitle, FieldHistoryForJobRole: []struct{}{}},
		Company:                     eff(e.Company),
		CompanyEffectiveDate:        plain{start},
		Location:                    eff(e.Location.Name),
		LocationEffectiveDate:       plain{start},
		Department:                  eff(dept),
		DepartmentEffectiveDate:     plain{start},
		ReportsTo:                   eff(reportsTo),
		ReportsToEffectiveDate:      plain{s.date(since)},
		ReportsToEmployeeID:         plain{reportsToID},
		ReportsToEmailAddress:       plain{reportsToEmail},
		NISNumber:                   w(e.NINumber),
		Nationality:                 w(""),
		EmploymentType:              eff(e.EmploymentType),
		EmploymentTypeEffectiveDate: plain{start},
		EmployeeStatus:              plain{"1"}, // the only value seen; a leaver's is undocumented
		HolidayAllowanceDays:        plain{"25.00"},
		HolidayAllowanceMins:        plain{"0"},
		NoticePeriod:                w(""),
		ProbationEndDate:            w(""),
		Gender:                      w(""),
		ContactDetail: contactDetail{
			Address:             w(address),
			WorkPhoneNumber:     w(""),
			PersonalPhoneNumber: w(e.PersonalMobile),
			PersonalEmail:       w(e.PersonalEmail),
			Mobile:              w(e.PersonalMobile),
		},
		OtherContact:     []struct{}{},
		RightToWork:      []struct{}{},
		BackgroundDetail: []struct{}{},
		BankDetail:       bankDetail{w(""), w(""), w(""), w(""), w("")},
		EmploymentDetail: employmentDetail{w(""), w(""), w(""), w(""), w(""), w(""), w(""), w(""), w(""), w(""), w("")},
		LeavingDate:      s.date(leaving),
		APIColumn1:       e.Salary,
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
