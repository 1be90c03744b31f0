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
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"reflect"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dirsync/dirsync/internal/provider"
	"github.com/dirsync/dirsync/internal/provider/accesspeoplehr/fake"
	"github.com/dirsync/dirsync/internal/provider/fakehr"
)

// testKey is recognisable, so a test can prove it never reaches an error text.
const testKey = "phr-live-7Hq2ZkP9xR4vT1mN"

// fixedNow is the injected clock: 2024-06-11 in UTC.
var fixedNow = time.Date(2024, 6, 11, 9, 30, 0, 0, time.UTC)

func clock(t time.Time) func() time.Time { return func() time.Time { return t } }

// newTestClient builds a Client for base with testKey, the fixed clock and a short timeout.
func newTestClient(t *testing.T, base string, timeout time.Duration) *Client {
	t.Helper()
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	c, err := newClient(provider.Config{
		BaseURL:    u,
		APIKey:     testKey,
		HTTPClient: provider.NewHTTPClient(provider.HTTPOptions{Timeout: timeout}),
		Now:        clock(fixedNow),
	})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// newFake serves c with testKey.
func newFake(t *testing.T, c fakehr.Company, opts ...fake.Option) *fake.Server {
	t.Helper()
	s := fake.NewServer(c, append([]fake.Option{fake.WithClock(clock(fixedNow))}, opts...)...)
	s.SetAPIKey(testKey)
	t.Cleanup(s.Close)
	return s
}

// serveFile serves one fixture as the API's answer.
func serveFile(t *testing.T, name string) *httptest.Server {
	t.Helper()
	body, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return serveBody(t, http.StatusOK, body)
}

func serveBody(t *testing.T, code int, body []byte) *httptest.Server {
	t.Helper()
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(code)
		_, _ = w.Write(body)
	}))
	t.Cleanup(ts.Close)
	return ts
}

// assertNoKey fails if err's text contains the API key in any case.
func assertNoKey(t *testing.T, err error) {
	t.Helper()
	if err != nil && strings.Contains(strings.ToLower(err.Error()), strings.ToLower(testKey)) {
		t.Fatalf("the error text contains the API key: %v", err)
	}
}

// errClass names the class of err for table comparisons.
func errClass(err error) string {
	var rl *provider.RateLimitedError
	switch {
	case err == nil:
		return "nil"
	case errors.As(err, &rl):
		return "RateLimited"
	case errors.Is(err, provider.ErrUnauthorized):
		return "Unauthorized"
	case errors.Is(err, provider.ErrUnavailable):
		return "Unavailable"
	case errors.Is(err, provider.ErrInvalidResponse):
		return "InvalidResponse"
	default:
		return "unclassified: " + err.Error()
	}
}

// expectedFromCompany is what a fetch of c must return, given today.
func expectedFromCompany(c fakehr.Company, today string) ([]provider.Employee, []provider.Department) {
	depts := map[string]bool{}
	var emps []provider.Employee
	for _, e := range c.Employees {
		x := provider.Employee{
			ExternalID:        e.ID,
			Email:             e.Email,
			FirstName:         e.FirstName,
			LastName:          e.LastName,
			DisplayName:       e.FirstName + " " + e.LastName,
			JobTitle:          e.JobTitle,
			ManagerExternalID: e.ManagerID,
			StartDate:         e.StartDate,
		}
		if e.KnownAs != "" {
			x.DisplayName = viaJSON(e.KnownAs)
		}
		switch e.Status {
		case fakehr.Current:
			x.Active, x.EmploymentStatus = true, StatusActive
		case fakehr.PendingLeaver:
			x.Active, x.EmploymentStatus, x.EndDate = true, StatusLeaverMarked, e.LeavingDate
		case fakehr.Former:
			x.Active, x.EmploymentStatus, x.EndDate = false, StatusLeaver, e.LeavingDate
		}
		if d, ok := c.Department(e.DepartmentID); ok && e.DepartmentID != "" {
			x.DepartmentIDs = []string{d.Name}
			depts[d.Name] = true
		}
		emps = append(emps, x)
	}
	var ds []provider.Department
	for _, d := range c.Departments {
		if depts[d.Name] {
			ds = append(ds, provider.Department{ExternalID: d.Name, Name: d.Name})
		}
	}
	sortDepartments(ds)
	return emps, ds
}

// viaJSON is s after a trip through encoding/json, which replaces invalid UTF-8 (fakehr.Generate makes
// known-as names from the first byte of a name, which is half a letter for "Łukasz").
func viaJSON(s string) string {
	b, _ := json.Marshal(s)
	var out string
	_ = json.Unmarshal(b, &out)
	return out
}

func sortDepartments(ds []provider.Department) {
	for i := 1; i < len(ds); i++ {
		for j := i; j > 0 && ds[j].ExternalID < ds[j-1].ExternalID; j-- {
			ds[j], ds[j-1] = ds[j-1], ds[j]
		}
	}
}

func diffEmployees(t *testing.T, got, want []provider.Employee) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("got %d employees, want %d", len(got), len(want))
	}
	for i := 0; i < len(got) && i < len(want); i++ {
		if !reflect.DeepEqual(got[i], want[i]) {
			t.Errorf("employee %d:\n got %+v\nwant %+v", i, got[i], want[i])
		}
	}
}

func TestFetchGeneratedCompanyEqualsCompany(t *testing.T) {
	tests := []struct {
		name string
		opts []fake.Option
	}{
		{name: "ISO dates, bare LeavingDate"},
		{name: "day-first dates", opts: []fake.Option{fake.WithDayFirstDates()}},
		{name: "wrapped LeavingDate", opts: []fake.Option{fake.WithWrappedLeavingDate()}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := fakehr.Generate(fakehr.GenerateOptions{Seed: 7, Employees: 300, IDs: fakehr.PrefixedIDs, Today: fixedNow})
			// OtherName is middle names: it must not become the display name while KnownAs is present.
			c.Employees[3].MiddleName = "Middleton"
			c.Employees[4].KnownAs = "Kit"
			s := newFake(t, c, tt.opts...)
			cl := newTestClient(t, s.URL(), 10*time.Second)

			snap, err := cl.Fetch(context.Background())
			if err != nil {
				t.Fatalf("Fetch: %v", err)
			}
			wantEmps, wantDepts := expectedFromCompany(c, today(fixedNow))
			diffEmployees(t, snap.Employees, wantEmps)
			if !reflect.DeepEqual(snap.Departments, wantDepts) {
				t.Errorf("departments:\n got %+v\nwant %+v", snap.Departments, wantDepts)
			}
			if snap.Requests != 1 || s.Requests() != 1 {
				t.Errorf("requests: snapshot %d, server %d; want 1 and 1", snap.Requests, s.Requests())
			}
			var statuses = map[string]int{}
			for _, e := range snap.Employees {
				statuses[e.EmploymentStatus]++
			}
			if statuses[StatusActive] == 0 || statuses[StatusLeaverMarked] == 0 || statuses[StatusLeaver] == 0 {
				t.Errorf("the generated company should exercise every status, got %v", statuses)
			}
		})
	}
}

func TestFetchRealisticFixture(t *testing.T) {
	ts := serveFile(t, "realistic.json")
	snap, err := newTestClient(t, ts.URL, 10*time.Second).Fetch(context.Background())
	if err != nil {
		t.Fatalf("Fetch: %v", err)
	}
	want := []provider.Employee{
		{ExternalID: "PW1", Email: "amelia.smith@example.com", FirstName: "Amelia", LastName: "Smith", DisplayName: "Millie",
			JobTitle: "Managing Director", Active: true, EmploymentStatus: StatusActive, DepartmentIDs: []string{"Engineering"},
			StartDate: "2015-03-02"},
		{ExternalID: "PW2", Email: "zoe.muller@example.com", FirstName: "Zoë", LastName: "Müller", DisplayName: "Zoë Müller",
			Active: true, EmploymentStatus: StatusActive, DepartmentIDs: []string{"Customer Success"},
			ManagerExternalID: "PW1", StartDate: "2019-02-01"},
		{ExternalID: "pw3", FirstName: "Łukasz", LastName: "Nowak", DisplayName: "Łukasz Nowak", JobTitle: "Engineer",
			Active: true, EmploymentStatus: StatusLeaverMarked, DepartmentIDs: []string{"Engineering"}, ManagerExternalID: "PW1",
			StartDate: "2020-09-14", EndDate: "2024-06-11"},
		{ExternalID: "PW3", Email: "siobhan.osuilleabhain@example.com", FirstName: "Siobhán", LastName: "Ó Súilleabháin",
			DisplayName: "Siobhán Ó Súilleabháin", JobTitle: "Account Executive", Active: false, EmploymentStatus: StatusLeaver,
			DepartmentIDs: []string{"Sales"}, ManagerExternalID: "PW2", StartDate: "2018-05-21", EndDate: "2024-06-10"},
		{ExternalID: "PW5", FirstName: "Chen", LastName: "Wang", DisplayName: "Wei", Active: true, EmploymentStatus: StatusActive},
		{ExternalID: "PW6", FirstName: "Björn", LastName: "Andersson", DisplayName: "Björn Andersson", JobTitle: "Senior Engineer",
			Active: true, EmploymentStatus: StatusLeaverMarked, ManagerExternalID: "PW2", StartDate: "2024-01-31",
			EndDate: "2024-07-01"},
		{ExternalID: "PW7", FirstName: "Priya", LastName: "Patel", DisplayName: "Priya Patel", JobTitle: "Analyst",
			Active: true, EmploymentStatus: StatusActive, DepartmentIDs: []string{"Engineering"}},
		{ExternalID: "PW8", Email: "kwame.mensah@example.com", FirstName: "Kwame", LastName: "Mensah", DisplayName: "Kwame Mensah",
			JobTitle: "Lead", Active: true, EmploymentStatus: StatusActive, DepartmentIDs: []string{"Sales"},
			StartDate: "2016-11-07"},
		{ExternalID: "PW9", Email: "noah.jones@example.com", FirstName: "Noah", LastName: "Jones", DisplayName: "Noah Jones",
			JobTitle: "Manager", Active: true, EmploymentStatus: StatusActive, DepartmentIDs: []string{"Sales"},
			StartDate: "2017-01-09"},
		{ExternalID: "PW10", Email: "noah.jones2@example.com", FirstName: "Noah", LastName: "Jones", DisplayName: "Noah Jones",
			JobTitle: "Engineer", Active: true, EmploymentStatus: StatusActive, DepartmentIDs: []string{"Engineering"},
			StartDate: "2021-04-12"},
	}
	diffEmployees(t, snap.Employees, want)
	wantDepts := []provider.Department{
		{ExternalID: "Customer Success", Name: "Customer Success"},
		{ExternalID: "Engineering", Name: "Engineering"},
		{ExternalID: "Sales", Name: "Sales"},
	}
	if !reflect.DeepEqual(snap.Departments, wantDepts) {
		t.Errorf("departments:\n got %+v\nwant %+v", snap.Departments, wantDepts)
	}
}

// personalKeys are the record keys whose every value is personal data that must never be copied.
var personalKeys = map[string]bool{
	"DateOfBirth": true, "NISNumber": true, "Gender": true, "Nationality": true, "ContactDetail": true,
	"OtherContact": true, "RightToWork": true, "BankDetail": true, "APIColumn1": true, "APIColumn2": true,
	"APIColumn3": true, "APIColumn4": true, "APIColumn5": true, "EmploymentDetail": true,
}

// personalValues collects every non-empty string under a personal key of the fixture's records.
func personalValues(t *testing.T, body []byte) []string {
	t.Helper()
	var doc struct{ Result []map[string]any }
	if err := json.Unmarshal(body, &doc); err != nil {
		t.Fatal(err)
	}
	var out []string
	var walk func(v any)
	walk = func(v any) {
		switch x := v.(type) {
		case string:
			if s := strings.TrimSpace(x); s != "" {
				out = append(out, s)
			}
		case map[string]any:
			for _, y := range x {
				walk(y)
			}
		case []any:
			for _, y := range x {
				walk(y)
			}
		}
	}
	for _, rec := range doc.Result {
		for k, v := range rec {
			if personalKeys[k] {
				walk(v)
			}
		}
	}
	return out
}

func TestPersonalFieldsNeverCopied(t *testing.T) {
	body, err := os.ReadFile("testdata/realistic.json")
	if err != nil {
		t.Fatal(err)
	}
	values := personalValues(t, body)
	if len(values) < 50 {
		t.Fatalf("the fixture should be full of personal data, found %d values", len(values))
	}

	c := fakehr.Generate(fakehr.GenerateOptions{Seed: 3, Employees: 50, IDs: fakehr.PrefixedIDs, Today: fixedNow})
	for _, e := range c.Employees {
		values = append(values, e.DateOfBirth, e.NINumber, e.PersonalEmail, e.PersonalMobile, e.Address1, e.Salary)
	}
	fixture := serveFile(t, "realistic.json")
	srv := newFake(t, c)

	for _, base := range []string{fixture.URL, srv.URL()} {
		snap, err := newTestClient(t, base, 10*time.Second).Fetch(context.Background())
		if err != nil {
			t.Fatalf("Fetch: %v", err)
		}
		out, err := json.Marshal(struct {
			E []provider.Employee
			D []provider.Department
		}{snap.Employees, snap.Departments})
		if err != nil {
			t.Fatal(err)
		}
		text := string(out) + fmt.Sprintf("%+v", snap)
		for _, v := range values {
			if strings.Contains(text, v) {
				t.Errorf("personal value %q was copied into the snapshot", v)
			}
		}
	}
}

func TestAllowlistIsTheStruct(t *testing.T) {
	want := []string{"EmployeeId", "FirstName", "LastName", "KnownAs", "OtherName", "EmailId", "StartDate", "LeavingDate",
		"JobRole", "Department", "ReportsTo", "ReportsToEmployeeId"}
	typ := reflect.TypeOf(apiEmployee{})
	var got []string
	for i := 0; i < typ.NumField(); i++ {
		got = append(got, typ.Field(i).Name)
		if typ.Field(i).Type != reflect.TypeOf(field{}) {
			t.Errorf("field %s is %s; every allowlisted field must be a text field", typ.Field(i).Name, typ.Field(i).Type)
		}
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("apiEmployee declares %v, want exactly %v", got, want)
	}
}

func TestStateFollowsLeavingDateAndClock(t *testing.T) {
	tests := []struct {
		name       string
		now        time.Time
		leaving    string
		wantActive bool
		wantStatus string
		wantEnd    string
	}{
		{name: "no leaving date", now: fixedNow, leaving: "", wantActive: true, wantStatus: StatusActive},
		{name: "left yesterday", now: fixedNow, leaving: "2024-06-10", wantStatus: StatusLeaver, wantEnd: "2024-06-10"},
		{name: "leaves today", now: fixedNow, leaving: "2024-06-11", wantActive: true, wantStatus: StatusLeaverMarked,
			wantEnd: "2024-06-11"},
		{name: "leaves tomorrow", now: fixedNow, leaving: "2024-06-12", wantActive: true, wantStatus: StatusLeaverMarked,
			wantEnd: "2024-06-12"},
		{name: "left last year, day first", now: fixedNow, leaving: "31/12/2023", wantStatus: StatusLeaver, wantEnd: "2023-12-31"},
		{name: "datetime form", now: fixedNow, leaving: "2024-06-10T00:00:00", wantStatus: StatusLeaver, wantEnd: "2024-06-10"},
		{name: "unparseable stays active", now: fixedNow, leaving: "next week", wantActive: true, wantStatus: StatusActive},
		{name: ".NET empty date stays active", now: fixedNow, leaving: "0001-01-01T00:00:00", wantActive: true,
			wantStatus: StatusActive},
		// 23:30 on the 10th in UTC-5 is already the 11th in UTC: a leaving date of the 10th has passed.
		{name: "today is the UTC date", now: time.Date(2024, 6, 10, 23, 30, 0, 0, time.FixedZone("UTC-5", -5*3600)),
			leaving: "2024-06-10", wantStatus: StatusLeaver, wantEnd: "2024-06-10"},
		// 00:30 on the 11th in UTC+14 is still the 10th in UTC: leaving on the 10th is today.
		{name: "ahead of UTC", now: time.Date(2024, 6, 11, 0, 30, 0, 0, time.FixedZone("UTC+14", 14*3600)),
			leaving: "2024-06-10", wantActive: true, wantStatus: StatusLeaverMarked, wantEnd: "2024-06-10"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body := fmt.Sprintf(`{"isError":false,"Status":0,"Message":"ok","Result":[{"EmployeeId":{"DisplayValue":"PW1"},`+
				`"FirstName":{"DisplayValue":"Ada"},"LeavingDate":%q}]}`, tt.leaving)
			ts := serveBody(t, http.StatusOK, []byte(body))
			c := newTestClient(t, ts.URL, 10*time.Second)
			c.now = clock(tt.now)
			snap, err := c.Fetch(context.Background())
			if err != nil {
				t.Fatalf("Fetch: %v", err)
			}
			e := snap.Employees[0]
			if e.Active != tt.wantActive || e.EmploymentStatus != tt.wantStatus || e.EndDate != tt.wantEnd {
				t.Errorf("got Active=%v status=%q end=%q, want %v %q %q", e.Active, e.EmploymentStatus, e.EndDate,
					tt.wantActive, tt.wantStatus, tt.wantEnd)
			}
		})
	}
}

func TestNormaliseDate(t *testing.T) {
	tests := map[string]string{
		"2024-01-31":           "2024-01-31",
		" 2024-01-31 ":         "2024-01-31",
		"2024-01-31T00:00:00":  "2024-01-31",
		"2024-01-31T13:45:10Z": "2024-01-31",
		"31/01/2024":           "2024-01-31",
		"1/2/2024":             "2024-02-01",
		"31/01/2024 00:00:00":  "2024-01-31",
		"2024-02-30":           "",
		"30/02/2024":           "",
		"01/31/2024":           "",
		"2024/01/31":           "",
		"31-01-2024":           "",
		"":                     "",
		"yesterday":            "",
		"0001-01-01T00:00:00":  "",
		"1899-12-31":           "",
		"1900-01-01":           "1900-01-01",
	}
	for in, want := range tests {
		if got := normaliseDate(in); got != want {
			t.Errorf("normaliseDate(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestValidEmail(t *testing.T) {
	tests := map[string]string{
		"ada@example.com":          "ada@example.com",
		"ADA.Lovelace@Example.COM": "ADA.Lovelace@Example.COM",
		"zoë@例え.jp":                "zoë@例え.jp",
		"":                         "",
		"ada":                      "",
		"@example.com":             "",
		"ada@":                     "",
		"ada@@example.com":         "",
		"ada@ex@ample.com":         "",
		"ada lovelace@example.com": "",
		"ada@example.com\n":        "",
		"ada\t@example.com":        "",
	}
	for in, want := range tests {
		if got := validEmail(in); got != want {
			t.Errorf("validEmail(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestDisplayName(t *testing.T) {
	f := func(s string) field { return field{text: s, present: true} }
	tests := []struct {
		name string
		rec  apiEmployee
		want string
	}{
		{"known as wins", apiEmployee{FirstName: f("Amelia"), LastName: f("Smith"), KnownAs: f("Millie"), OtherName: f("Rose")}, "Millie"},
		{"other name is middle names when KnownAs exists", apiEmployee{FirstName: f("Amelia"), LastName: f("Smith"),
			KnownAs: f(""), OtherName: f("Rose")}, "Amelia Smith"},
		{"other name when there is no KnownAs key", apiEmployee{FirstName: f("Chen"), LastName: f("Wang"),
			OtherName: f("Wei")}, "Wei"},
		{"first and last", apiEmployee{FirstName: f("Zoë"), LastName: f("Müller")}, "Zoë Müller"},
		{"first only", apiEmployee{FirstName: f("Zoë")}, "Zoë"},
		{"last only", apiEmployee{LastName: f("Müller")}, "Müller"},
		{"nothing", apiEmployee{}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := displayName(&tt.rec); got != tt.want {
				t.Errorf("displayName = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestEnvelopeErrors(t *testing.T) {
	long := strings.Repeat("Ω", 400)
	tests := []struct {
		name      string
		status    string // JSON value
		isError   string // JSON value
		message   string
		wantClass string
		wantText  []string
	}{
		{name: "invalid key", status: "10", message: "Invalid API Key", wantClass: "Unauthorized",
			wantText: []string{"Status 10", `"Invalid API Key"`}},
		{name: "expired key", status: "3", message: "The API key has expired.", wantClass: "Unauthorized"},
		{name: "unauthorised", status: "4", message: "You are unauthorised to access this resource", wantClass: "Unauthorized"},
		{name: "missing permission", status: "5", message: "API key does not have permission for GetAllEmployeeDetail",
			wantClass: "Unauthorized"},
		{name: "key echoed", status: "10", message: "Invalid API key '" + testKey + "' supplied", wantClass: "Unauthorized",
			wantText: []string{"[redacted]"}},
		{name: "key echoed in other case", status: "10", message: "API key " + strings.ToUpper(testKey) + " is not valid",
			wantClass: "Unauthorized", wantText: []string{"[redacted]"}},
		{name: "too many requests", status: "429", message: "Too many requests. Please try again later.", wantClass: "RateLimited"},
		{name: "rate limit for a key is not a bad key", status: "7", message: "API key exceeded the rate limit of 30 calls a minute",
			wantClass: "RateLimited"},
		{name: "throttled", status: "8", message: "Request throttled", wantClass: "RateLimited"},
		{name: "temporarily unavailable", status: "9", message: "Service temporarily unavailable", wantClass: "Unavailable"},
		{name: "timeout", status: "9", message: "Timeout expired while querying", wantClass: "Unavailable"},
		{name: "unknown failure", status: "1", message: "Object reference not set to an instance of an object.",
			wantClass: "InvalidResponse", wantText: []string{"Status 1", "Object reference"}},
		{name: "no message", status: "2", message: "", wantClass: "InvalidResponse", wantText: []string{"Status 2"}},
		{name: "status as text", status: `"E42"`, message: "Invalid API Key", wantClass: "Unauthorized",
			wantText: []string{"Status E42"}},
		{name: "no status", status: "", message: "Invalid API Key", wantClass: "Unauthorized", wantText: []string{"Status none"}},
		{name: "isError as text", status: "10", isError: `"True"`, message: "Invalid API Key", wantClass: "Unauthorized"},
		{name: "long message is cut", status: "1", message: long, wantClass: "InvalidResponse",
			wantText: []string{strings.Repeat("Ω", 149) + "…"}},
		{name: "control characters become spaces", status: "1", message: "line one\r\n\tline\x00two",
			wantClass: "InvalidResponse", wantText: []string{`"line one line two"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			isErr := tt.isError
			if isErr == "" {
				isErr = "true"
			}
			msg, _ := json.Marshal(tt.message)
			body := `{"isError":` + isErr + `,`
			if tt.status != "" {
				body += `"Status":` + tt.status + `,`
			}
			body += `"Message":` + string(msg) + `,"Result":null}`
			ts := serveBody(t, http.StatusOK, []byte(body))
			snap, err := newTestClient(t, ts.URL, 10*time.Second).Fetch(context.Background())
			if snap != nil {
				t.Errorf("got a snapshot with an error envelope")
			}
			if got := errClass(err); got != tt.wantClass {
				t.Fatalf("class = %s, want %s (%v)", got, tt.wantClass, err)
			}
			for _, w := range tt.wantText {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error text %q lacks %q", err.Error(), w)
				}
			}
			if strings.Contains(err.Error(), strings.Repeat("Ω", 151)) {
				t.Errorf("the message was not cut: %d bytes", len(err.Error()))
			}
			assertNoKey(t, err)
		})
	}
}

func TestClassifyTable(t *testing.T) {
	for _, r := range envelopeRules {
		msg := "Error: " + strings.ToUpper(strings.Join(r.words, " and ")) + "."
		if got := classify(r.status, msg); got != r.class {
			t.Errorf("classify(%q) = %d, want %d: a rule is shadowed by an earlier one", msg, got, r.class)
		}
	}
	if got := classify("1", "Something else went wrong"); got != classInvalid {
		t.Errorf("an unmatched message is class %d, want classInvalid", got)
	}
}

func TestFakeErrorEnvelopeAndWrongKey(t *testing.T) {
	c := fakehr.Generate(fakehr.GenerateOptions{Seed: 1, Employees: 5, IDs: fakehr.PrefixedIDs, Today: fixedNow})
	s := newFake(t, c)
	cl := newTestClient(t, s.URL(), 10*time.Second)

	s.SetAPIKey("another-key")
	_, err := cl.Fetch(context.Background())
	if !errors.Is(err, provider.ErrUnauthorized) || !strings.Contains(err.Error(), fake.MessageInvalidAPIKey) {
		t.Errorf("wrong key: got %v, want ErrUnauthorized quoting %q", err, fake.MessageInvalidAPIKey)
	}
	assertNoKey(t, err)
	s.SetAPIKey(testKey)

	s.InjectFault(fakehr.Fault{Kind: fakehr.FaultErrorEnvelope, Times: 1, Message: "Key " + testKey + " has expired"})
	_, err = cl.Fetch(context.Background())
	if !errors.Is(err, provider.ErrUnauthorized) || !strings.Contains(err.Error(), "[redacted]") {
		t.Errorf("echoed key: got %v, want ErrUnauthorized with the key redacted", err)
	}
	assertNoKey(t, err)

	if _, err := cl.Fetch(context.Background()); err != nil {
		t.Errorf("after the fault cleared itself: %v", err)
	}
}

func TestResponseShapes(t *testing.T) {
	const rec = `{"EmployeeId":{"DisplayValue":"PW1"},"FirstName":{"DisplayValue":"Ada"}}`
	tests := []struct {
		name      string
		body      string
		wantClass string
		wantN     int
	}{
		{name: "well formed", body: `{"isError":false,"Status":0,"Message":"ok","Result":[` + rec + `]}`, wantClass: "nil", wantN: 1},
		{name: "key spelled IsError, boolean as text", body: `{"IsError":"false","Status":0,"Message":"ok","Result":[` + rec + `]}`,
			wantClass: "nil", wantN: 1},
		{name: "Result first", body: `{"Result":[` + rec + `],"isError":false}`, wantClass: "nil", wantN: 1},
		{name: "empty list", body: `{"isError":false,"Status":0,"Result":[]}`, wantClass: "nil", wantN: 0},
		{name: "unknown keys skipped", body: `{"isError":false,"Extra":{"a":[1,{"b":null}]},"Result":[` + rec + `],"More":"x"}`,
			wantClass: "nil", wantN: 1},
		{name: "numeric id", body: `{"isError":false,"Result":[{"EmployeeId":{"DisplayValue":1049}}]}`, wantClass: "nil", wantN: 1},
		{name: "empty body", body: ``, wantClass: "InvalidResponse"},
		{name: "not JSON", body: `<html>Server Error</html>`, wantClass: "InvalidResponse"},
		{name: "top-level array", body: `[` + rec + `]`, wantClass: "InvalidResponse"},
		{name: "truncated", body: `{"isError":false,"Result":[` + rec[:30], wantClass: "InvalidResponse"},
		{name: "no isError", body: `{"Status":0,"Result":[` + rec + `]}`, wantClass: "InvalidResponse"},
		{name: "isError not boolean", body: `{"isError":"maybe","Result":[]}`, wantClass: "InvalidResponse"},
		{name: "isError number", body: `{"isError":0,"Result":[]}`, wantClass: "InvalidResponse"},
		{name: "no Result", body: `{"isError":false,"Status":0}`, wantClass: "InvalidResponse"},
		{name: "Result null", body: `{"isError":false,"Result":null}`, wantClass: "InvalidResponse"},
		{name: "Result object", body: `{"isError":false,"Result":{"EmployeeId":"PW1"}}`, wantClass: "InvalidResponse"},
		{name: "Result text", body: `{"isError":false,"Result":"none"}`, wantClass: "InvalidResponse"},
		{name: "Result twice", body: `{"isError":false,"Result":[` + rec + `],"Result":[]}`, wantClass: "InvalidResponse"},
		{name: "trailing data", body: `{"isError":false,"Result":[]} {"isError":true}`, wantClass: "InvalidResponse"},
		{name: "record is not an object", body: `{"isError":false,"Result":["PW1"]}`, wantClass: "InvalidResponse"},
		{name: "null record has no id", body: `{"isError":false,"Result":[null]}`, wantClass: "InvalidResponse"},
		{name: "record without id", body: `{"isError":false,"Result":[` + rec + `,{"FirstName":{"DisplayValue":"Bob"}}]}`,
			wantClass: "InvalidResponse"},
		{name: "blank id", body: `{"isError":false,"Result":[{"EmployeeId":{"DisplayValue":"  "}}]}`, wantClass: "InvalidResponse"},
		{name: "duplicate id", body: `{"isError":false,"Result":[` + rec + `,` + rec + `]}`, wantClass: "InvalidResponse"},
		{name: "duplicate id after trimming", body: `{"isError":false,"Result":[` + rec + `,{"EmployeeId":{"DisplayValue":" PW1 "}}]}`,
			wantClass: "InvalidResponse"},
		{name: "ids differing in case are two employees", body: `{"isError":false,"Result":[` + rec +
			`,{"EmployeeId":{"DisplayValue":"pw1"}}]}`, wantClass: "nil", wantN: 2},
		{name: "field is an array", body: `{"isError":false,"Result":[{"EmployeeId":{"DisplayValue":"PW1"},"EmailId":["a@b.c"]}]}`,
			wantClass: "InvalidResponse"},
		{name: "DisplayValue is a boolean", body: `{"isError":false,"Result":[{"EmployeeId":{"DisplayValue":true}}]}`,
			wantClass: "InvalidResponse"},
		{name: "personal fields of any shape are skipped", body: `{"isError":false,"Result":[{"EmployeeId":{"DisplayValue":"PW1"},` +
			`"DateOfBirth":true,"BankDetail":[1,2,{"x":null}],"ContactDetail":"n/a"}]}`, wantClass: "nil", wantN: 1},
		{name: "error envelope wins over a Result", body: `{"isError":true,"Status":10,"Message":"Invalid API Key","Result":[` + rec + `]}`,
			wantClass: "Unauthorized"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			emps, _, err := decodeResponse(strings.NewReader(tt.body), "2024-06-11", testKey)
			if got := errClass(err); got != tt.wantClass {
				t.Fatalf("class = %s, want %s (%v)", got, tt.wantClass, err)
			}
			if err != nil && emps != nil {
				t.Errorf("got employees with an error")
			}
			if err == nil && len(emps) != tt.wantN {
				t.Errorf("got %d employees, want %d", len(emps), tt.wantN)
			}
		})
	}
}

func TestHTTPFailures(t *testing.T) {
	c := fakehr.Generate(fakehr.GenerateOptions{Seed: 2, Employees: 20, IDs: fakehr.PrefixedIDs, Today: fixedNow})
	tests := []struct {
		name           string
		fault          fakehr.Fault
		wantClass      string
		wantRetryAfter time.Duration
		wantN          int
	}{
		{name: "503", fault: fakehr.Fault{Kind: fakehr.FaultServerError}, wantClass: "Unavailable"},
		{name: "500", fault: fakehr.Fault{Kind: fakehr.FaultServerError, Code: 500}, wantClass: "Unavailable"},
		{name: "502", fault: fakehr.Fault{Kind: fakehr.FaultServerError, Code: 502}, wantClass: "Unavailable"},
		{name: "404 is not the API", fault: fakehr.Fault{Kind: fakehr.FaultServerError, Code: 404}, wantClass: "InvalidResponse"},
		{name: "401 is not the API", fault: fakehr.Fault{Kind: fakehr.FaultServerError, Code: 401}, wantClass: "InvalidResponse"},
		{name: "429 with Retry-After", fault: fakehr.Fault{Kind: fakehr.FaultRateLimited, RetryAfter: 30 * time.Second},
			wantClass: "RateLimited", wantRetryAfter: 30 * time.Second},
		{name: "429 without Retry-After", fault: fakehr.Fault{Kind: fakehr.FaultRateLimited}, wantClass: "RateLimited"},
		{name: "bad key envelope", fault: fakehr.Fault{Kind: fakehr.FaultUnauthorized}, wantClass: "Unauthorized"},
		{name: "malformed JSON", fault: fakehr.Fault{Kind: fakehr.FaultMalformedJSON}, wantClass: "InvalidResponse"},
		{name: "truncated body", fault: fakehr.Fault{Kind: fakehr.FaultTruncatedBody}, wantClass: "InvalidResponse"},
		{name: "missing page acts as truncated", fault: fakehr.Fault{Kind: fakehr.FaultMissingPage}, wantClass: "InvalidResponse"},
		{name: "duplicate ids", fault: fakehr.Fault{Kind: fakehr.FaultDuplicateIDs}, wantClass: "InvalidResponse"},
		{name: "error envelope", fault: fakehr.Fault{Kind: fakehr.FaultErrorEnvelope, Message: "Database error"},
			wantClass: "InvalidResponse"},
		{name: "empty list is a valid answer", fault: fakehr.Fault{Kind: fakehr.FaultEmptyList}, wantClass: "nil"},
		{name: "slow but in time", fault: fakehr.Fault{Kind: fakehr.FaultSlowBody, Delay: 20 * time.Millisecond},
			wantClass: "nil", wantN: 20},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newFake(t, c)
			tt.fault.Times = 1
			s.InjectFault(tt.fault)
			snap, err := newTestClient(t, s.URL(), 10*time.Second).Fetch(context.Background())
			if got := errClass(err); got != tt.wantClass {
				t.Fatalf("class = %s, want %s (%v)", got, tt.wantClass, err)
			}
			assertNoKey(t, err)
			var rl *provider.RateLimitedError
			if errors.As(err, &rl) && rl.RetryAfter != tt.wantRetryAfter {
				t.Errorf("RetryAfter = %s, want %s", rl.RetryAfter, tt.wantRetryAfter)
			}
			if err == nil && len(snap.Employees) != tt.wantN {
				t.Errorf("got %d employees, want %d", len(snap.Employees), tt.wantN)
			}
			if s.Requests() != 1 {
				t.Errorf("the client made %d requests, want 1 (no retries)", s.Requests())
			}
		})
	}
}

func TestRetryAfter(t *testing.T) {
	tests := []struct {
		in   string
		want time.Duration
	}{
		{"", 0},
		{"120", 2 * time.Minute},
		{" 5 ", 5 * time.Second},
		{"0", 0},
		{"-3", 0},
		{"999999999999", maxRetryAfter},
		{fixedNow.Add(90 * time.Second).Format(http.TimeFormat), 90 * time.Second},
		{fixedNow.Add(-time.Hour).Format(http.TimeFormat), 0},
		{"soon", 0},
	}
	for _, tt := range tests {
		if got := retryAfter(tt.in, fixedNow); got != tt.want {
			t.Errorf("retryAfter(%q) = %s, want %s", tt.in, got, tt.want)
		}
	}
}

func TestTimeoutsAndConnectionErrors(t *testing.T) {
	c := fakehr.Generate(fakehr.GenerateOptions{Seed: 2, Employees: 20, IDs: fakehr.PrefixedIDs, Today: fixedNow})

	t.Run("body stalls past the timeout", func(t *testing.T) {
		s := newFake(t, c)
		s.InjectFault(fakehr.Fault{Kind: fakehr.FaultSlowBody, Delay: time.Minute})
		_, err := newTestClient(t, s.URL(), 300*time.Millisecond).Fetch(context.Background())
		if !errors.Is(err, provider.ErrUnavailable) {
			t.Fatalf("got %v, want ErrUnavailable", err)
		}
	})
	t.Run("no response headers before the context deadline", func(t *testing.T) {
		ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			_, _ = io.Copy(io.Discard, r.Body) // lets the server notice the client hanging up
			select {
			case <-r.Context().Done():
			case <-time.After(10 * time.Second):
			}
		}))
		t.Cleanup(ts.Close)
		ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
		defer cancel()
		_, err := newTestClient(t, ts.URL, 10*time.Second).Fetch(ctx)
		if !errors.Is(err, provider.ErrUnavailable) || !strings.Contains(err.Error(), "timed out") {
			t.Fatalf("got %v, want ErrUnavailable (timed out)", err)
		}
	})
	t.Run("connection refused", func(t *testing.T) {
		ts := httptest.NewServer(http.NotFoundHandler())
		base := ts.URL
		ts.Close()
		_, err := newTestClient(t, base, 10*time.Second).Fetch(context.Background())
		if !errors.Is(err, provider.ErrUnavailable) {
			t.Fatalf("got %v, want ErrUnavailable", err)
		}
		assertNoKey(t, err)
	})
}

func TestBodyCap(t *testing.T) {
	c := fakehr.Generate(fakehr.GenerateOptions{Seed: 4, Employees: 100, IDs: fakehr.PrefixedIDs, Today: fixedNow})
	s := newFake(t, c)

	// Measure the body once.
	full := newTestClient(t, s.URL(), 10*time.Second)
	snap, err := full.Fetch(context.Background())
	if err != nil {
		t.Fatal(err)
	}

	exact := newTestClient(t, s.URL(), 10*time.Second)
	exact.maxBody = snap.Bytes
	if _, err := exact.Fetch(context.Background()); err != nil {
		t.Errorf("a body of exactly the cap: %v", err)
	}

	over := newTestClient(t, s.URL(), 10*time.Second)
	over.maxBody = snap.Bytes - 1
	_, err = over.Fetch(context.Background())
	if !errors.Is(err, provider.ErrInvalidResponse) || !errors.Is(err, provider.ErrBodyTooLarge) {
		t.Errorf("a body over the cap: got %v, want ErrInvalidResponse wrapping ErrBodyTooLarge", err)
	}
}

func TestSnapshotCountsRequestsAndBytes(t *testing.T) {
	c := fakehr.Generate(fakehr.GenerateOptions{Seed: 5, Employees: 40, IDs: fakehr.PrefixedIDs, Today: fixedNow})
	s := fake.New(c, testKey, fake.WithClock(clock(fixedNow)))
	var written atomic.Int64
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.Handler().ServeHTTP(countingWriter{ResponseWriter: w, n: &written}, r)
	}))
	t.Cleanup(ts.Close)
	s.SetURL(ts.URL)

	snap, err := newTestClient(t, s.URL(), 10*time.Second).Fetch(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if snap.Requests != 1 || snap.Bytes != written.Load() || snap.Bytes == 0 {
		t.Errorf("Requests=%d Bytes=%d, want 1 and %d", snap.Requests, snap.Bytes, written.Load())
	}
}

type countingWriter struct {
	http.ResponseWriter
	n *atomic.Int64
}

func (c countingWriter) Write(p []byte) (int, error) {
	k, err := c.ResponseWriter.Write(p)
	c.n.Add(int64(k))
	return k, err
}

func TestRedirects(t *testing.T) {
	c := fakehr.Generate(fakehr.GenerateOptions{Seed: 6, Employees: 5, IDs: fakehr.PrefixedIDs, Today: fixedNow})
	s := fake.New(c, testKey, fake.WithClock(clock(fixedNow)))

	var elsewhere atomic.Int32
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		elsewhere.Add(1)
		body, _ := io.ReadAll(r.Body)
		if strings.Contains(string(body), testKey) {
			t.Errorf("the API key reached another host")
		}
		s.Handler().ServeHTTP(w, r)
	}))
	t.Cleanup(other.Close)

	origin := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/away/Employee":
			http.Redirect(w, r, other.URL+"/Employee", http.StatusTemporaryRedirect)
		case "/moved/Employee":
			http.Redirect(w, r, "/Employee", http.StatusPermanentRedirect)
		default:
			s.Handler().ServeHTTP(w, r)
		}
	}))
	t.Cleanup(origin.Close)

	clients := map[string]*http.Client{
		"manager client":          provider.NewHTTPClient(provider.HTTPOptions{Timeout: 10 * time.Second}),
		"client that follows all": {Timeout: 10 * time.Second},
	}
	for name, hc := range clients {
		t.Run(name, func(t *testing.T) {
			cfg := provider.Config{APIKey: testKey, HTTPClient: hc, Now: clock(fixedNow)}

			cfg.BaseURL, _ = url.Parse(origin.URL + "/away")
			p, err := New(cfg)
			if err != nil {
				t.Fatal(err)
			}
			_, err = p.Fetch(context.Background())
			if !errors.Is(err, provider.ErrInvalidResponse) {
				t.Errorf("redirect to another host: got %v, want ErrInvalidResponse", err)
			}
			if strings.Contains(fmt.Sprint(err), other.URL) {
				t.Errorf("the error names the redirect target: %v", err)
			}
			if n := elsewhere.Load(); n != 0 {
				t.Errorf("the other host got %d requests", n)
			}

			cfg.BaseURL, _ = url.Parse(origin.URL + "/moved")
			p, _ = New(cfg)
			if snap, err := p.Fetch(context.Background()); err != nil || len(snap.Employees) != 5 {
				t.Errorf("same-host 308 redirect: got %v", err)
			}
		})
	}
}

func TestRequestWireFormat(t *testing.T) {
	type seen struct {
		method, path, contentType, rawQuery string
		headers                             http.Header
		body                                map[string]any
	}
	got := make(chan seen, 1)
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var body map[string]any
		_ = json.NewDecoder(r.Body).Decode(&body)
		got <- seen{r.Method, r.URL.Path, r.Header.Get("Content-Type"), r.URL.RawQuery, r.Header.Clone(), body}
		_, _ = io.WriteString(w, `{"isError":false,"Status":0,"Message":"ok","Result":[]}`)
	}))
	t.Cleanup(ts.Close)

	for _, base := range []string{ts.URL, ts.URL + "/", ts.URL + "/peoplehr"} {
		t.Run(base, func(t *testing.T) {
			u, _ := url.Parse(base)
			p, err := New(provider.Config{BaseURL: u, APIKey: "  " + testKey + "\n", Now: clock(fixedNow)})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := p.Fetch(context.Background()); err != nil {
				t.Fatal(err)
			}
			s := <-got
			wantPath := strings.TrimRight(u.Path, "/") + "/Employee"
			if s.method != http.MethodPost || s.path != wantPath || s.rawQuery != "" {
				t.Errorf("request %s %s?%s, want POST %s", s.method, s.path, s.rawQuery, wantPath)
			}
			if !strings.HasPrefix(s.contentType, "application/json") {
				t.Errorf("Content-Type %q", s.contentType)
			}
			want := map[string]any{"APIKey": testKey, "Action": "GetAllEmployeeDetail", "IncludeLeavers": "true"}
			if !reflect.DeepEqual(s.body, want) {
				t.Errorf("body %v, want %v", s.body, want)
			}
			for k, v := range s.headers {
				if strings.Contains(strings.Join(v, " "), testKey) {
					t.Errorf("header %s carries the API key", k)
				}
			}
		})
	}
}

func TestNew(t *testing.T) {
	mustURL := func(s string) *url.URL {
		u, err := url.Parse(s)
		if err != nil {
			t.Fatal(err)
		}
		return u
	}
	tests := []struct {
		name         string
		cfg          provider.Config
		wantEndpoint string
		wantErr      bool
		wantUnauth   bool
	}{
		{name: "default", cfg: provider.Config{APIKey: "k"}, wantEndpoint: "https://api.peoplehr.net/Employee"},
		{name: "override", cfg: provider.Config{APIKey: "k", BaseURL: mustURL("http://127.0.0.1:8080/x/")},
			wantEndpoint: "http://127.0.0.1:8080/x/Employee"},
		{name: "query and fragment dropped", cfg: provider.Config{APIKey: "k", BaseURL: mustURL("https://h.example/?a=b#c")},
			wantEndpoint: "https://h.example/Employee"},
		{name: "relative URL", cfg: provider.Config{APIKey: "k", BaseURL: mustURL("/relative")}, wantErr: true},
		{name: "other scheme", cfg: provider.Config{APIKey: "k", BaseURL: mustURL("ftp://h.example")}, wantErr: true},
		{name: "user info", cfg: provider.Config{APIKey: "k", BaseURL: mustURL("https://u:p@h.example")}, wantErr: true},
		{name: "empty key", cfg: provider.Config{APIKey: " \n"}, wantErr: true, wantUnauth: true},
		{name: "key with a line break inside", cfg: provider.Config{APIKey: "ab\ncd"}, wantErr: true, wantUnauth: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := New(tt.cfg)
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, wantErr %v", err, tt.wantErr)
			}
			if tt.wantUnauth && !errors.Is(err, provider.ErrUnauthorized) {
				t.Errorf("err = %v, want ErrUnauthorized", err)
			}
			if err != nil {
				if p != nil {
					t.Errorf("a provider came back with an error")
				}
				return
			}
			if got := p.(*Client).endpoint.String(); got != tt.wantEndpoint {
				t.Errorf("endpoint = %s, want %s", got, tt.wantEndpoint)
			}
		})
	}
}

func TestWithoutKey(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want string
	}{
		{"unauthorized", fmt.Errorf("x %s: %w", testKey, provider.ErrUnauthorized), "Unauthorized"},
		{"unavailable", fmt.Errorf("x %s: %w", strings.ToUpper(testKey), provider.ErrUnavailable), "Unavailable"},
		{"rate limited", fmt.Errorf("x %s: %w", testKey, &provider.RateLimitedError{RetryAfter: time.Second}), "RateLimited"},
		{"invalid", fmt.Errorf("x %s: %w", testKey, provider.ErrInvalidResponse), "InvalidResponse"},
		{"unclassified becomes invalid", fmt.Errorf("x %s", testKey), "InvalidResponse"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := withoutKey(tt.err, testKey)
			assertNoKey(t, err)
			if got := errClass(err); got != tt.want {
				t.Errorf("class %s, want %s", got, tt.want)
			}
		})
	}
	clean := fmt.Errorf("clean: %w", provider.ErrUnavailable)
	if withoutKey(clean, testKey) != clean {
		t.Errorf("an error without the key was replaced")
	}
}
