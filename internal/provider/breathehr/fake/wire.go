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
	// StatusFormer renders fakehr.Former.
	StatusFormer = "Former employee"
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
		return StatusFormer
	default:
		return string(st)
	}
}

// employeeJSON is an employee in Breathe's shape, personal data included, with nulls where the API
// sends them.
type employeeJSON struct {
	ID                  any          `json:"id"`
	AccountID           int          `json:"account_id"`
	EmployeeRef         string       `json:"employee_ref"`
	Title               *string      `json:"title"`
	FirstName           string       `json:"first_name"`
	MiddleName          *string      `json:"middle_name"`
	LastName            string       `json:"last_name"`
	KnownAs             *string      `json:"known_as"`
	Email               *string      `json:"email"`
	JobTitle            *string      `json:"job_title"`
	Status              string       `json:"status"`
	JoinDate            *string      `json:"join_date"`
	JobStartDate        *string      `json:"job_start_date"`
	LeavingDate         *string      `json:"leaving_date"`
	FullOrPartTime      string       `json:"full_or_part_time"`
	Department          *refJSON     `json:"department"`
	Division            *refJSON     `json:"division"`
	Location            *refJSON     `json:"location"`
	LineManager         *managerJSON `json:"line_manager"`
	Dob                 *string      `json:"dob"`
	Gender              *string      `json:"gender"`
	MaritalStatus       *string      `json:"marital_status"`
	Nationality         *string      `json:"nationality"`
	Ethnicity           *string      `json:"ethnicity"`
	NationalInsuranceNo *string      `json:"national_insurance_no"`
	PersonalEmail       *string      `json:"personal_email"`
	PersonalMobile      *string      `json:"personal_mobile"`
	HomeTelephone       *string      `json:"home_telephone"`
	Address1            *string      `json:"address1"`
	Address2            *string      `json:"address2"`
	Address3            *string      `json:"address3"`
	Town                *string      `json:"town"`
	County              *string      `json:"county"`
	Postcode            *string      `json:"postcode"`
	Country             *string      `json:"country"`
	Salary              *string      `json:"salary"`
	PhotoURL            *string      `json:"photo_url"`
	CustomFields        []any        `json:"custom_fields"`
	CreatedAt           string       `json:"created_at"`
	UpdatedAt           string       `json:"updated_at"`
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

// renderEmployee renders e in Breathe's shape, looking up its department and manager in ix.
func renderEmployee(e fakehr.Employee, ix fakehr.Index) employeeJSON {
	out := employeeJSON{
		ID:                  wireID(e.ID),
		AccountID:           1,
		EmployeeRef:         "E" + e.ID,
		FirstName:           e.FirstName,
		MiddleName:          str(e.MiddleName),
		LastName:            e.LastName,
		KnownAs:             str(e.KnownAs),
		Email:               str(e.Email),
		JobTitle:            str(e.JobTitle),
		Status:              StatusText(e.Status),
		JoinDate:            str(e.StartDate),
		JobStartDate:        str(e.StartDate),
		LeavingDate:         str(e.LeavingDate),
		FullOrPartTime:      "Full time",
		Location:            &refJSON{ID: json.Number("1"), Name: "Head Office"},
		Dob:                 str(e.DateOfBirth),
		NationalInsuranceNo: str(e.NINumber),
		PersonalEmail:       str(e.PersonalEmail),
		PersonalMobile:      str(e.PersonalMobile),
		Address1:            str(e.Address1),
		Town:                str("London"),
		Postcode:            str(e.Postcode),
		Country:             str("United Kingdom"),
		Salary:              str(e.Salary),
		CustomFields:        []any{},
		CreatedAt:           "2020-01-06T09:00:00.000Z",
		UpdatedAt:           "2024-03-01T12:00:00.000Z",
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
	var rows []any
	s.Read(func(c *fakehr.Company) {
		if resource == "departments" {
			rows = make([]any, 0, len(c.Departments))
			for _, d := range c.Departments {
				rows = append(rows, refJSON{ID: wireID(d.ID), Name: d.Name})
			}
			return
		}
		ix := fakehr.NewIndex(c)
		rows = make([]any, 0, len(c.Employees))
		for _, e := range c.Employees {
			rows = append(rows, renderEmployee(e, ix))
		}
	})
	return rows
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
	last := max(1, (total+q.perPage-1)/q.perPage)
	start := min((q.page-1)*q.perPage, total)
	end := min(start+q.perPage, total)
	body, err := json.Marshal(map[string]any{resource: rows[start:end]})
	if err != nil {
		return errorResponse(http.StatusInternalServerError, "Internal server error")
	}
	h := http.Header{}
	h.Set("Per-Page", strconv.Itoa(q.perPage))
	if !s.opts.noTotal {
		h.Set("Total", strconv.Itoa(total))
	}
	if !s.opts.noLink {
		var links []string
		if q.page > 1 {
			links = append(links, link(r, 1, q.perPage, "first"), link(r, min(q.page-1, last), q.perPage, "prev"))
		}
		if q.page < last {
			links = append(links, link(r, q.page+1, q.perPage, "next"), link(r, last, q.perPage, "last"))
		}
		if len(links) > 0 {
			h.Set("Link", strings.Join(links, ", "))
		}
	}
	return response{code: http.StatusOK, header: h, body: body}
}

// link is one Link header entry pointing at page n of the requested listing, as an absolute URL.
func link(r *http.Request, n, perPage int, rel string) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	q := r.URL.Query()
	q.Set("page", strconv.Itoa(n))
	q.Set("per_page", strconv.Itoa(perPage))
	u := url.URL{Scheme: scheme, Host: r.Host, Path: r.URL.Path, RawQuery: q.Encode()}
	return fmt.Sprintf("<%s>; rel=%q", u.String(), rel)
}

func errorResponse(code int, msg string) response {
	body, _ := json.Marshal(map[string]string{"error": msg})
	return response{code: code, header: http.Header{}, body: body}
}

// faultResponse answers a request that f applies to.
func (s *Server) faultResponse(r *http.Request, resource string, q query, f fakehr.Fault) response {
	switch f.Kind {
	case fakehr.FaultUnauthorized:
		return errorResponse(http.StatusUnauthorized, "Invalid API key")
	case fakehr.FaultServerError:
		code := f.Code
		if code == 0 {
			code = http.StatusServiceUnavailable
		}
		return errorResponse(code, http.StatusText(code))
	case fakehr.FaultRateLimited:
		resp := errorResponse(http.StatusTooManyRequests, "Rate limit exceeded")
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
	case fakehr.FaultTruncatedBody, fakehr.FaultSlowBody:
		resp := s.listResponse(r, resource, q, s.listing(resource))
		resp.fault = &f
		return resp
	default:
		return s.listResponse(r, resource, q, s.listing(resource))
	}
}

// writeBody writes resp, applying a truncated- or slow-body fault. Both declare the full Content-Length
// and send half the body first; a truncated body then drops the connection.
func writeBody(w http.ResponseWriter, r *http.Request, resp response) {
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
