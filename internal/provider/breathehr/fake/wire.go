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
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/dirsync/dirsync/internal/provider/fakehr"
)

// Breathe HR's status texts, as the fake sends them.
const (
	// StatusCurrent renders fakehr.Current.
	StatusCurrent = "Current employee"
	// StatusPendingLeaver renders fakehr.PendingLeaver.
	StatusPendingLeaver = "Pending leaver"
	// StatusExEmployee renders fakehr.Former: the documented text (shared/provider-wire.md A2).
	StatusExEmployee = "Ex-employee"
)

// StatusText renders a fakehr status as Breathe's text; a status outside the three is sent as it is,
// so tests can serve unknown texts.
func StatusText(st fakehr.Status) string {
	switch st {
	case fakehr.Current:
		return StatusCurrent
	case fakehr.PendingLeaver:
		return StatusPendingLeaver
	case fakehr.Former:
		return StatusExEmployee
	default:
		return string(st)
	}
}

// employeeJSON is an employee in Breathe's shape: every key of a real sandbox response, in its order
// (shared/provider-wire.md A2), personal data included, with nulls where the API sends them.
type employeeJSON struct {
	LengthOfServiceInMonths  int              `json:"length_of_service_in_months"`
	Age                      *int             `json:"age"`
	FullOrPartTime           *string          `json:"full_or_part_time"`
	NoticePeriod             *string          `json:"notice_period"`
	PhotoURL                 string           `json:"photo_url"`
	WorkingPattern           workingPattern   `json:"working_pattern"`
	HolidayAllowance         holidayAllowance `json:"holiday_allowance"`
	LineManager              *managerJSON     `json:"line_manager"`
	HolidayApprover          *managerJSON     `json:"holiday_approver"`
	Department               *refJSON         `json:"department"`
	Division                 *refJSON         `json:"division"`
	Location                 *refJSON         `json:"location"`
	Gender                   *string          `json:"gender"`
	StatutoryHolidayCountry  *string          `json:"statutory_holiday_country"`
	ReceivesStatutoryHoliday bool             `json:"receives_statutory_holidays"`
	Salary                   *string          `json:"salary"`
	Status                   string           `json:"status"`
	JobStartDate             *string          `json:"job_start_date"`
	JobTitle                 *string          `json:"job_title"`
	HR                       bool             `json:"hr"`
	CustomFields             []any            `json:"custom_fields"`
	ID                       any              `json:"id"`
	AccountID                int              `json:"account_id"`
	FirstName                string           `json:"first_name"`
	MiddleName               *string          `json:"middle_name"`
	LastName                 string           `json:"last_name"`
	Email                    *string          `json:"email"`
	JoinDate                 *string          `json:"join_date"`
	Dob                      *string          `json:"dob"`
	KnownAs                  *string          `json:"known_as"`
	MaritalStatus            *string          `json:"marital_status"`
	Nationality              *string          `json:"nationality"`
	Ethnicity                *string          `json:"ethnicity"`
	NationalInsuranceNo      *string          `json:"national_insurance_no"`
	DrivingLicense           *string          `json:"driving_license"`
	DDI                      *string          `json:"ddi"`
	WorkExt                  *string          `json:"work_ext"`
	WorkMobile               *string          `json:"work_mobile"`
	PersonalMobile           *string          `json:"personal_mobile"`
	HomeTelephone            *string          `json:"home_telephone"`
	PersonalEmail            *string          `json:"personal_email"`
	Address1                 *string          `json:"address1"`
	Address2                 *string          `json:"address2"`
	Address3                 *string          `json:"address3"`
	City                     *string          `json:"city"`
	County                   *string          `json:"county"`
	Postcode                 *string          `json:"postcode"`
	Country                  *string          `json:"country"`
	LinkedIn                 *string          `json:"linked_in"`
	Facebook                 *string          `json:"facebook"`
	Skype                    *string          `json:"skype"`
	Twitter                  *string          `json:"twitter"`
	BankName                 *string          `json:"bank_name"`
	BankBranch               *string          `json:"bank_branch"`
	SortCode                 *string          `json:"sort_code"`
	AccountNumber            *string          `json:"account_number"`
	BuildingSociety          *string          `json:"building_society"`
	RefNumber                *string          `json:"ref_number"`
	LeavingDate              *string          `json:"leaving_date"`
	EmployeeRef              *string          `json:"employee_ref"`
	ContractProvider         *string          `json:"contract_provider"`
	ProbationDate            *string          `json:"probation_date"`
	RemunerationCurrency     currency         `json:"remuneration_currency"`
	CreatedAt                string           `json:"created_at"`
	UpdatedAt                string           `json:"updated_at"`
}

type workingPattern struct {
	ID         int    `json:"id"`
	Name       string `json:"name"`
	TotalHours string `json:"total_hours"`
	Default    bool   `json:"default"`
}

type holidayAllowance struct {
	Name string `json:"name"`
	ID   int    `json:"id"`
}

type currency struct {
	ID             int    `json:"id"`
	CurrencyCode   string `json:"currency_code"`
	CurrencySymbol string `json:"currency_symbol"`
	Description    string `json:"description"`
}

type refJSON struct {
	ID   any    `json:"id"`
	Name string `json:"name"`
}

type managerJSON struct {
	ID        any     `json:"id"`
	FirstName *string `json:"first_name,omitempty"`
	LastName  *string `json:"last_name,omitempty"`
	Email     *string `json:"email,omitempty"`
}

// wireID sends an id of decimal digits as a JSON integer, as Breathe does; any other id as a string.
func wireID(id string) any {
	if id != "" && strings.Trim(id, "0123456789") == "" && (id == "0" || id[0] != '0') {
		return json.Number(id)
	}
	return id
}

// str is nil (JSON null) for an empty string.
func str(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// ref renders a fakehr.Ref as {"id", "name"}, or null when unset.
func ref(r fakehr.Ref) *refJSON {
	if r.ID == "" && r.Name == "" {
		return nil
	}
	return &refJSON{ID: wireID(r.ID), Name: r.Name}
}

// monthsSince is the whole months from a YYYY-MM-DD date to now, or 0.
func monthsSince(date string, now time.Time) int {
	t, err := time.Parse(time.DateOnly, date)
	if err != nil || t.After(now) {
		return 0
	}
	return (now.Year()-t.Year())*12 + int(now.Month()) - int(t.Month())
}

// renderEmployee renders e in Breathe's shape, looking up its department and manager in ix.
func renderEmployee(e fakehr.Employee, ix fakehr.Index, now time.Time) employeeJSON {
	out := employeeJSON{
		LengthOfServiceInMonths: monthsSince(e.StartDate, now),
		FullOrPartTime:          str(e.EmploymentType),
		WorkingPattern:          workingPattern{ID: 2842, Name: "standard working week", TotalHours: "37.5", Default: true},
		HolidayAllowance:        holidayAllowance{Name: "standard holiday allowance", ID: 2913},
		Division:                ref(e.Division),
		Location:                ref(e.Location),
		Salary:                  str(e.Salary),
		Status:                  StatusText(e.Status),
		JobStartDate:            str(e.StartDate),
		JobTitle:                str(e.JobTitle),
		ID:                      wireID(e.ID),
		AccountID:               798,
		FirstName:               e.FirstName,
		MiddleName:              str(e.MiddleName),
		LastName:                e.LastName,
		Email:                   str(e.Email),
		JoinDate:                str(e.StartDate),
		Dob:                     str(e.DateOfBirth),
		KnownAs:                 str(e.KnownAs),
		NationalInsuranceNo:     str(e.NINumber),
		PersonalMobile:          str(e.PersonalMobile),
		PersonalEmail:           str(e.PersonalEmail),
		Address1:                str(e.Address1),
		City:                    str("London"),
		Postcode:                str(e.Postcode),
		Country:                 str("United Kingdom"),
		LeavingDate:             str(e.LeavingDate),
		EmployeeRef:             str("E" + e.ID),
		RemunerationCurrency:    currency{ID: 1, CurrencyCode: "GBP", CurrencySymbol: "£", Description: "British Pound"},
		CreatedAt:               "2020-01-06T09:00:00+00:00",
		UpdatedAt:               "2024-03-01T12:00:00+00:00",
	}
	if e.DepartmentID != "" {
		name := ""
		if d := ix.Departments[e.DepartmentID]; d != nil {
			name = d.Name
		}
		out.Department = &refJSON{ID: wireID(e.DepartmentID), Name: name}
	}
	if e.ManagerID != "" {
		m := &managerJSON{ID: wireID(e.ManagerID)}
		if mgr := ix.Employees[e.ManagerID]; mgr != nil {
			m.FirstName, m.LastName, m.Email = str(mgr.FirstName), str(mgr.LastName), str(mgr.Email)
		}
		out.LineManager = m
	}
	return out
}

// listing renders every row of a resource, in the company's order, in O(rows).
func (s *Server) listing(resource string) []any {
	rows, _ := s.window(resource, 0, -1)
	return rows
}

// window renders the rows [start, end) of a resource (end < 0: to the last) and counts them all: a page
// costs the rows it carries, so reading a listing of N rows page by page stays O(N) for the fake too.
func (s *Server) window(resource string, start, end int) (rows []any, total int) {
	s.Read(func(c *fakehr.Company) {
		if resource == "departments" {
			total = len(c.Departments)
			lo, hi := bounds(start, end, total)
			rows = make([]any, 0, hi-lo)
			for _, d := range c.Departments[lo:hi] {
				rows = append(rows, refJSON{ID: wireID(d.ID), Name: d.Name})
			}
			return
		}
		total = len(c.Employees)
		lo, hi := bounds(start, end, total)
		ix := fakehr.NewIndex(c)
		now := s.opts.now()
		rows = make([]any, 0, hi-lo)
		for _, e := range c.Employees[lo:hi] {
			rows = append(rows, renderEmployee(e, ix, now))
		}
	})
	return rows, total
}

// bounds clamps [start, end) to [0, total]; end < 0 means total.
func bounds(start, end, total int) (lo, hi int) {
	if end < 0 || end > total {
		end = total
	}
	return min(max(start, 0), end), end
}

// page renders one page of a resource.
func (s *Server) page(r *http.Request, resource string, q query) response {
	start := (q.page - 1) * q.perPage
	rows, total := s.window(resource, start, start+q.perPage)
	return s.pageResponse(r, resource, q, rows, total)
}

type query struct{ page, perPage int }

// pageQuery reads page (default 1) and per_page (default def, at most MaxPerPage).
func pageQuery(r *http.Request, def int) query {
	q := query{page: 1, perPage: def}
	if n, err := strconv.Atoi(r.URL.Query().Get("page")); err == nil && n >= 1 {
		q.page = n
	}
	if n, err := strconv.Atoi(r.URL.Query().Get("per_page")); err == nil && n >= 1 {
		q.perPage = min(n, MaxPerPage)
	}
	return q
}

// listResponse answers one page of rows with Total, Per-Page and Link headers.
func (s *Server) listResponse(r *http.Request, resource string, q query, rows []any) response {
	total := len(rows)
	start := min((q.page-1)*q.perPage, total)
	end := min(start+q.perPage, total)
	return s.pageResponse(r, resource, q, rows[start:end], total)
}

// pageResponse answers one page, the rows it carries, of a listing of total rows.
func (s *Server) pageResponse(r *http.Request, resource string, q query, rows []any, total int) response {
	last := max(1, (total+q.perPage-1)/q.perPage)
	body, err := json.Marshal(map[string]any{resource: rows})
	if err != nil {
		return errorResponse(http.StatusInternalServerError, "Internal server error")
	}
	h := http.Header{}
	h.Set("Per-Page", strconv.Itoa(q.perPage))
	if !s.opts.noTotal {
		h.Set("Total", strconv.Itoa(total))
	}
	if !s.opts.noLink {
		// As recorded from the real API: page 1 has last and next; a middle page first, prev, last and next;
		// the last page first and prev; a listing that fits on one page no Link at all.
		var links []string
		if q.page > 1 {
			links = append(links, link(r, 1, "first"), link(r, min(q.page-1, last), "prev"))
		}
		if q.page < last {
			links = append(links, link(r, last, "last"), link(r, q.page+1, "next"))
		}
		if len(links) > 0 {
			h.Set("Link", strings.Join(links, ", "))
		}
	}
	return response{code: http.StatusOK, header: h, body: body}
}

// link is one Link header entry pointing at page n of the requested listing, as an absolute URL. Like the
// real API's, it repeats per_page only when the request sent it.
func link(r *http.Request, n int, rel string) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	q := r.URL.Query()
	q.Set("page", strconv.Itoa(n))
	u := url.URL{Scheme: scheme, Host: r.Host, Path: r.URL.Path, RawQuery: q.Encode()}
	return fmt.Sprintf("<%s>; rel=%q", u.String(), rel)
}

func errorResponse(code int, msg string) response {
	body, _ := json.Marshal(map[string]string{"error": msg})
	return response{code: code, header: http.Header{}, body: body}
}

// Breathe HR's recorded error bodies.
const (
	// unauthorizedBody is the 401 for a bad key, recorded from the real API.
	unauthorizedBody = `{"error":"401 Unauthorized"}`
	// rateLimitedBody is the documented 429 body; the real API sends no Retry-After.
	rateLimitedBody = `{"error":{"type":"Rate Limit Reached"}}`
)

func unauthorized() response {
	return response{code: http.StatusUnauthorized, header: http.Header{"Cache-Control": {"no-cache"}}, body: []byte(unauthorizedBody)}
}

func rateLimited() response {
	return response{code: http.StatusTooManyRequests, header: http.Header{}, body: []byte(rateLimitedBody)}
}

// faultResponse answers a request that f applies to.
func (s *Server) faultResponse(r *http.Request, resource string, q query, f fakehr.Fault) response {
	switch f.Kind {
	case fakehr.FaultUnauthorized:
		return unauthorized()
	case fakehr.FaultServerError:
		code := f.Code
		if code == 0 {
			code = http.StatusServiceUnavailable
		}
		return errorResponse(code, http.StatusText(code))
	case fakehr.FaultRateLimited:
		resp := rateLimited()
		if f.RetryAfter > 0 {
			resp.header.Set("Retry-After", strconv.FormatInt(int64((f.RetryAfter+time.Second-1)/time.Second), 10))
		}
		return resp
	case fakehr.FaultMalformedJSON:
		return response{code: http.StatusOK, header: http.Header{},
			body: []byte(`{"` + resource + `": [{"id": 1001, "first_name": "Amelia",, }`)}
	case fakehr.FaultMissingPage:
		return errorResponse(http.StatusNotFound, "Not found")
	case fakehr.FaultErrorEnvelope:
		return errorResponse(http.StatusInternalServerError, f.Message)
	case fakehr.FaultEmptyList:
		return s.listResponse(r, resource, q, []any{})
	case fakehr.FaultDuplicateIDs:
		rows := s.listing(resource)
		if len(rows) > 0 {
			rows = append([]any{rows[0]}, rows...)
		}
		return s.listResponse(r, resource, q, rows)
	case fakehr.FaultTruncatedBody, fakehr.FaultSlowBody, fakehr.FaultHang:
		resp := s.listResponse(r, resource, q, s.listing(resource))
		resp.fault = &f
		return resp
	default:
		return s.page(r, resource, q)
	}
}

// writeBody writes resp, applying a truncated- or slow-body fault. Both declare the full Content-Length
// and send half the body first; a truncated body then drops the connection. A hang sends nothing until
// the client gives up, or its Delay passes and the answer follows.
func (s *Server) writeBody(w http.ResponseWriter, r *http.Request, resp response) {
	if resp.fault != nil && resp.fault.Kind == fakehr.FaultHang {
		if !fakehr.Hang(r.Context(), s.Quitting(), resp.fault.Delay) {
			return
		}
		resp.fault = nil
	}
	w.Header().Set("Content-Length", strconv.Itoa(len(resp.body)))
	w.WriteHeader(resp.code)
	if resp.fault == nil {
		_, _ = w.Write(resp.body)
		return
	}
	half := len(resp.body) / 2
	_, _ = w.Write(resp.body[:half])
	if fl, ok := w.(http.Flusher); ok {
		fl.Flush()
	}
	if resp.fault.Kind == fakehr.FaultTruncatedBody {
		panic(http.ErrAbortHandler) // closes the connection (HTTP/1) or resets the stream (HTTP/2), silently
	}
	t := time.NewTimer(resp.fault.Delay)
	defer t.Stop()
	select {
	case <-r.Context().Done():
		return
	case <-t.C:
	}
	_, _ = w.Write(resp.body[half:])
}
