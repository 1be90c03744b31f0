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
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"reflect"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/dirsync/dirsync/internal/provider"
	"github.com/dirsync/dirsync/internal/provider/accesspeoplehr/fake"
	"github.com/dirsync/dirsync/internal/provider/fakehr"
	"github.com/dirsync/dirsync/internal/provider/providertest"
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
		AllowedHosts: providertest.LocalHosts,
		BaseURL:      u,
		APIKey:       testKey,
		HTTPClient:   provider.NewHTTPClient(provider.HTTPOptions{Timeout: timeout}),
		Now:          clock(fixedNow),
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
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
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

// errClass names the class of err for table comparisons: "nil", "Unauthorized", "Unavailable",
// "InvalidResponse", "InvalidConfig", "RateLimited", "Context", or "unclassified: …" when err wraps none
// or several of the provider package's classes.
func errClass(err error) string {
	if err == nil {
		return "nil"
	}
	class, problem := providertest.Classify(err)
	if problem != "" {
		return "unclassified: " + problem
	}
	return map[providertest.Class]string{
		providertest.Unauthorized: "Unauthorized", providertest.Unavailable: "Unavailable",
		providertest.InvalidResponse: "InvalidResponse", providertest.InvalidConfig: "InvalidConfig",
		providertest.RateLimited: "RateLimited", providertest.TooMany: "TooMany", providertest.Context: "Context",
	}[class]
}

// expectedFromCompany is what a fetch of c must return. Its states come from the fake's own statuses,
// which fakehr.Generate derived from the same day the test client's clock says (fixedNow).
func expectedFromCompany(c fakehr.Company) ([]provider.Employee, []provider.Department) {
	depts := map[string]bool{}
	var emps []provider.Employee
	for _, e := range c.Employees {
		x := provider.Employee{
			ExternalID:        e.ID,
			Email:             e.Email,
			FirstName:         e.FirstName,
			LastName:          e.LastName,
			PreferredName:     e.KnownAs,
			DisplayName:       providertest.DisplayName(e.KnownAs, e.FirstName, e.LastName),
			JobTitle:          e.JobTitle,
			ManagerExternalID: e.ManagerID,
			StartDate:         e.StartDate,
			EmploymentType:    e.EmploymentType,
			Location:          providertest.Affiliation("", e.Location.Name),
			Company:           providertest.Affiliation("", e.Company),
		}
		if m := c.Employee(e.ManagerID); m != nil {
			x.ManagerEmail = m.Email
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

func sortDepartments(ds []provider.Department) {
	for i := 1; i < len(ds); i++ {
		for j := i; j > 0 && ds[j].ExternalID < ds[j-1].ExternalID; j-- {
			ds[j], ds[j-1] = ds[j-1], ds[j]
		}
	}
}

func diffEmployees(t *testing.T, got, want []provider.Employee) {
	t.Helper()
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("employees (-want +got):\n%s", diff)
	}
}

func diffDepartments(t *testing.T, got, want []provider.Department) {
	t.Helper()
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("departments (-want +got):\n%s", diff)
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
			// OtherName is middle names: it never becomes the display name.
			c.Employees[3].MiddleName = "Middleton"
			c.Employees[4].KnownAs = "Kit"
			s := newFake(t, c, tt.opts...)
			cl := newTestClient(t, s.URL(), 10*time.Second)

			snap, err := cl.Fetch(context.Background())
			if err != nil {
				t.Fatalf("Fetch: %v", err)
			}
			wantEmps, wantDepts := expectedFromCompany(c)
			diffEmployees(t, snap.Employees, wantEmps)
			diffDepartments(t, snap.Departments, wantDepts)
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
	london, example, fullTime := provider.Affiliation{ID: "London", Name: "London"},
		provider.Affiliation{ID: "Example Ltd", Name: "Example Ltd"}, "Full Time"
	want := []provider.Employee{
		{ExternalID: "PW1", Email: "amelia.smith@example.com", FirstName: "Amelia", LastName: "Smith", PreferredName: "Millie",
			DisplayName: "Millie Smith", JobTitle: "Managing Director", Active: true, EmploymentStatus: StatusActive,
			DepartmentIDs: []string{"Engineering"}, StartDate: "2015-03-02", Location: london, Company: example, EmploymentType: fullTime},
		{ExternalID: "PW2", Email: "zoe.muller@example.com", FirstName: "Zoë", LastName: "Müller", DisplayName: "Zoë Müller",
			Active: true, EmploymentStatus: StatusActive, DepartmentIDs: []string{"Customer Success"},
			ManagerExternalID: "PW1", StartDate: "2019-02-01", Location: london, Company: example, EmploymentType: fullTime},
		{ExternalID: "pw3", FirstName: "Łukasz", LastName: "Nowak", DisplayName: "Łukasz Nowak", JobTitle: "Engineer",
			Active: true, EmploymentStatus: StatusLeaverMarked, DepartmentIDs: []string{"Engineering"}, ManagerExternalID: "PW1",
			StartDate: "2020-09-14", EndDate: "2024-06-11", Location: london, Company: example, EmploymentType: fullTime},
		{ExternalID: "PW3", Email: "siobhan.osuilleabhain@example.com", FirstName: "Siobhán", LastName: "Ó Súilleabháin",
			DisplayName: "Siobhán Ó Súilleabháin", JobTitle: "Account Executive", Active: false, EmploymentStatus: StatusLeaver,
			DepartmentIDs: []string{"Sales"}, ManagerExternalID: "PW2", StartDate: "2018-05-21", EndDate: "2024-06-10",
			Location: london, Company: example, EmploymentType: fullTime},
		// No KnownAs key at all: OtherName ("Wei") is middle names, not a preferred name.
		{ExternalID: "PW5", FirstName: "Chen", LastName: "Wang", DisplayName: "Chen Wang", Active: true, EmploymentStatus: StatusActive},
		{ExternalID: "PW6", FirstName: "Björn", LastName: "Andersson", DisplayName: "Björn Andersson", JobTitle: "Senior Engineer",
			Active: true, EmploymentStatus: StatusLeaverMarked, ManagerExternalID: "PW2", StartDate: "2024-01-31",
			EndDate: "2024-07-01", Location: london, Company: example, EmploymentType: fullTime},
		{ExternalID: "PW7", FirstName: "Priya", LastName: "Patel", DisplayName: "Priya Patel", JobTitle: "Analyst",
			Active: true, EmploymentStatus: StatusActive, DepartmentIDs: []string{"Engineering"},
			Location: london, Company: example, EmploymentType: fullTime},
		{ExternalID: "PW8", Email: "kwame.mensah@example.com", FirstName: "Kwame", LastName: "Mensah", DisplayName: "Kwame Mensah",
			JobTitle: "Lead", Active: true, EmploymentStatus: StatusActive, DepartmentIDs: []string{"Sales"},
			StartDate: "2016-11-07", Location: london, Company: example, EmploymentType: fullTime},
		{ExternalID: "PW9", Email: "noah.jones@example.com", FirstName: "Noah", LastName: "Jones", DisplayName: "Noah Jones",
			JobTitle: "Manager", Active: true, EmploymentStatus: StatusActive, DepartmentIDs: []string{"Sales"},
			StartDate: "2017-01-09", Location: london, Company: example, EmploymentType: fullTime},
		{ExternalID: "PW10", Email: "noah.jones2@example.com", FirstName: "Noah", LastName: "Jones", DisplayName: "Noah Jones",
			JobTitle: "Engineer", Active: true, EmploymentStatus: StatusActive, DepartmentIDs: []string{"Engineering"},
			StartDate: "2021-04-12", Location: london, Company: example, EmploymentType: fullTime},
	}
	diffEmployees(t, snap.Employees, want)
	diffDepartments(t, snap.Departments, []provider.Department{
		{ExternalID: "Customer Success", Name: "Customer Success"},
		{ExternalID: "Engineering", Name: "Engineering"},
		{ExternalID: "Sales", Name: "Sales"},
	})
}

// The golden tests decode the bodies of shared/provider-fixtures (the vendor's shapes, synthetic people;
// see SOURCES.md there), copied into testdata/ as peoplehr-*.

func TestGoldenGetAllEmployeeDetail(t *testing.T) {
	ts := serveFile(t, "peoplehr-getallemployeedetail.json")
	snap, err := newTestClient(t, ts.URL, 10*time.Second).Fetch(context.Background())
	if err != nil {
		t.Fatalf("Fetch: %v", err)
	}
	acme, fullTime := provider.Affiliation{ID: "Acme Example Ltd", Name: "Acme Example Ltd"}, "Full Time"
	want := []provider.Employee{
		{ExternalID: "PW1", Email: "alex.example@acme.example.com", FirstName: "Alex", LastName: "Example", DisplayName: "Alex Example",
			JobTitle: "Managing Director", Active: true, EmploymentStatus: StatusActive, DepartmentIDs: []string{"Management"},
			StartDate: "2016-03-01", EmploymentType: fullTime, Location: provider.Affiliation{ID: "London", Name: "London"}, Company: acme},
		{ExternalID: "PW6", Email: "jose.nunez@acme.example.com", FirstName: "José", LastName: "Núñez-Ørsted", PreferredName: "Pepe",
			DisplayName: "Pepe Núñez-Ørsted", JobTitle: "Platform Engineer", Active: true, EmploymentStatus: StatusActive,
			DepartmentIDs: []string{"Engineering"}, ManagerExternalID: "PW1", ManagerEmail: "alex.example@acme.example.com",
			StartDate: "2019-09-02", EmploymentType: fullTime, Location: provider.Affiliation{ID: "Bristol", Name: "Bristol"}, Company: acme},
		{ExternalID: "PW21", FirstName: "Chris", LastName: "Sample", DisplayName: "Chris Sample", JobTitle: "Support Analyst",
			EmploymentStatus: StatusLeaver, DepartmentIDs: []string{"Customer Support"}, ManagerExternalID: "PW1",
			ManagerEmail: "alex.example@acme.example.com", StartDate: "2018-05-14", EndDate: "2023-11-30", EmploymentType: "Part Time",
			Location: provider.Affiliation{ID: "London", Name: "London"}, Company: acme},
	}
	diffEmployees(t, snap.Employees, want)
	diffDepartments(t, snap.Departments, []provider.Department{
		{ExternalID: "Customer Support", Name: "Customer Support"},
		{ExternalID: "Engineering", Name: "Engineering"},
		{ExternalID: "Management", Name: "Management"},
	})
}

func TestGoldenInvalidKey(t *testing.T) {
	ts := serveFile(t, "peoplehr-error-invalid-key.json")
	_, err := newTestClient(t, ts.URL, 10*time.Second).Fetch(context.Background())
	if errClass(err) != "Unauthorized" || !strings.Contains(err.Error(), `(Status 2): "Invalid API Key."`) {
		t.Fatalf("Fetch = %v, want ErrUnauthorized quoting Status 2", err)
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
	want := []string{"EmployeeId", "FirstName", "LastName", "KnownAs", "EmailId", "StartDate", "LeavingDate",
		"JobRole", "Department", "Location", "Company", "EmploymentType", "ReportsTo", "ReportsToEmployeeId", "ReportsToEmailAddress"}
	typ := reflect.TypeOf(apiEmployee{})
	var got []string
	for i := 0; i < typ.NumField(); i++ {
		// The wire name decides what is decoded: the tag, or the Go name where there is none.
		name := typ.Field(i).Name
		if tag, ok := typ.Field(i).Tag.Lookup("json"); ok {
			name, _, _ = strings.Cut(tag, ",")
		}
		got = append(got, name)
		if typ.Field(i).Type != reflect.TypeOf(field{}) {
			t.Errorf("field %s is %s; every allowlisted field must be a text field", typ.Field(i).Name, typ.Field(i).Type)
		}
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("apiEmployee declares other fields (-want +got):\n%s", diff)
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

func TestManagerResolution(t *testing.T) {
	rec := func(id, first, last, email string, extra string) string {
		return fmt.Sprintf(`{"EmployeeId":{"DisplayValue":%q},"FirstName":{"DisplayValue":%q},"LastName":{"DisplayValue":%q},`+
			`"EmailId":{"DisplayValue":%q}%s}`, id, first, last, email, extra)
	}
	body := `{"isError":false,"Status":0,"Result":[` + strings.Join([]string{
		rec("PW1", "Grace", "Mensah", "grace@example.com", ""),
		rec("PW2", "Ada", "Lovelace", "", `,"ReportsToEmployeeId":{"DisplayValue":"PW1"}`),
		rec("PW3", "Bob", "Smith", "", `,"ReportsTo":{"DisplayValue":"x"},"ReportsToEmailAddress":{"DisplayValue":"GRACE@example.com"}`),
		rec("PW4", "Eve", "Stone", "", `,"ReportsTo":{"DisplayValue":"ada  lovelace"}`),
		rec("PW5", "Kit", "Marlowe", "", `,"ReportsToEmailAddress":{"DisplayValue":"gone@example.com"}`),
	}, ",") + `]}`
	emps, _, err := decodeResponse(strings.NewReader(body), "2024-06-11", testKey, provider.DefaultMaxEmployees)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range emps {
		got = append(got, e.ExternalID+"→"+e.ManagerExternalID+" "+e.ManagerEmail)
	}
	want := []string{"PW1→ ", "PW2→PW1 ", "PW3→PW1 GRACE@example.com", "PW4→PW2 ", "PW5→ gone@example.com"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("managers (-want +got):\n%s", diff)
	}
}

func TestEnvelopeErrors(t *testing.T) {
	long := strings.Repeat("Ω", 400)
	tests := []struct {
		name      string
		status    string // JSON value
		isError   string // JSON value
		message   string
		wantClass string // "Empty": a successful, empty snapshot
		wantText  []string
	}{
		// The vendor's own codes and texts (Swagger; shared/provider-wire.md B2).
		{name: "1 key missing", status: "1", message: "API key is missing.", wantClass: "Unauthorized",
			wantText: []string{"Status 1", `"API key is missing."`}},
		{name: "2 invalid key", status: "2", message: "Invalid API Key.", wantClass: "Unauthorized",
			wantText: []string{"Status 2", `"Invalid API Key."`}},
		{name: "2 whatever the text", status: "2", message: "", wantClass: "Unauthorized"},
		{name: "5 key does not exist", status: "5", message: "API key does not exists.", wantClass: "Unauthorized"},
		{name: "5 key without the permission", status: "5", message: "No access on employee schema.", wantClass: "Unauthorized",
			wantText: []string{`"No access on employee schema."`, `lacks the "Get All Employee Detail" permission`}},
		{name: "5 field validation", status: "5", message: "EmployeeId is invalid.", wantClass: "InvalidResponse"},
		{name: "6 something went wrong", status: "6", message: "Oops! Something went wrong.", wantClass: "Unavailable"},
		{name: "6 unknown error", status: "6", message: "Unknown error occured.", wantClass: "Unavailable"},
		{name: "6 no record found is an empty account", status: "6", message: "No record found.", wantClass: "Empty"},
		{name: "10 no record found is an empty account", status: "10", message: "No record found.", wantClass: "Empty"},
		{name: "10 no detail found is an empty account", status: "10", message: "No detail has been found.", wantClass: "Empty"},
		{name: "4 invalid action", status: "4", message: "Invalid Action.", wantClass: "InvalidResponse"},
		{name: "9 invalid json", status: "9", message: "Invalid json data.", wantClass: "InvalidResponse"},
		{name: "Status first: 9 with an outage's words", status: "9", message: "Service temporarily unavailable",
			wantClass: "InvalidResponse"},
		// A Status outside the vendor's table: the text decides (the throttling answer is undocumented).
		{name: "too many requests", status: "429", message: "Too many requests. Please try again later.", wantClass: "RateLimited"},
		{name: "rate limit for a key is not a bad key", status: "11", message: "API key exceeded the rate limit of 30 calls a minute",
			wantClass: "RateLimited"},
		{name: "throttled", status: "12", message: "Request throttled", wantClass: "RateLimited"},
		{name: "temporarily unavailable", status: "503", message: "Service temporarily unavailable", wantClass: "Unavailable"},
		{name: "key echoed", status: "", message: "Invalid API key '" + testKey + "' supplied", wantClass: "Unauthorized",
			wantText: []string{"[redacted]", "Status none"}},
		{name: "key echoed in other case", status: "2", message: "API key " + strings.ToUpper(testKey) + " is not valid",
			wantClass: "Unauthorized", wantText: []string{"[redacted]"}},
		{name: "unknown failure", status: "42", message: "Object reference not set to an instance of an object.",
			wantClass: "InvalidResponse", wantText: []string{"Status 42", "Object reference"}},
		{name: "status as text", status: `"E42"`, message: "Invalid API Key", wantClass: "Unauthorized",
			wantText: []string{"Status E42"}},
		{name: "status 2 as text", status: `"2"`, message: "", wantClass: "Unauthorized"},
		{name: "isError as text", status: "2", isError: `"True"`, message: "Invalid API Key.", wantClass: "Unauthorized"},
		{name: "long message is cut", status: "42", message: long, wantClass: "InvalidResponse",
			wantText: []string{strings.Repeat("Ω", 149) + "…"}},
		{name: "control characters become spaces", status: "42", message: "line one\r\n\tline\x00two",
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
			if tt.wantClass == "Empty" {
				if err != nil || snap == nil || len(snap.Employees) != 0 || len(snap.Departments) != 0 {
					t.Fatalf("Fetch = %+v, %v; want an empty snapshot", snap, err)
				}
				return
			}
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

func TestFakeErrorEnvelopeAndWrongKey(t *testing.T) {
	c := fakehr.Generate(fakehr.GenerateOptions{Seed: 1, Employees: 5, IDs: fakehr.PrefixedIDs, Today: fixedNow})
	s := newFake(t, c)
	cl := newTestClient(t, s.URL(), 10*time.Second)

	s.SetAPIKey("another-key")
	_, err := cl.Fetch(context.Background())
	if !errors.Is(err, provider.ErrUnauthorized) || !strings.Contains(err.Error(), `(Status 2): "`+fake.MessageInvalidAPIKey+`"`) {
		t.Errorf("wrong key: got %v, want ErrUnauthorized quoting %q", err, fake.MessageInvalidAPIKey)
	}
	assertNoKey(t, err)
	s.SetAPIKey(testKey)

	s.InjectFault(fakehr.Fault{Kind: fakehr.FaultErrorEnvelope, Times: 1, Code: 2, Message: "Key " + testKey + " has expired"})
	_, err = cl.Fetch(context.Background())
	if !errors.Is(err, provider.ErrUnauthorized) || !strings.Contains(err.Error(), "[redacted]") {
		t.Errorf("echoed key: got %v, want ErrUnauthorized with the key redacted", err)
	}
	assertNoKey(t, err)

	s.InjectFault(fakehr.Fault{Kind: fakehr.FaultErrorEnvelope, Times: 1, Code: 5, Message: "No access on employee schema."})
	_, err = cl.Fetch(context.Background())
	if !errors.Is(err, provider.ErrUnauthorized) || !strings.Contains(err.Error(), "Get All Employee Detail") {
		t.Errorf("key without the permission: got %v, want ErrUnauthorized naming the permission", err)
	}

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
		{name: "isError twice", body: `{"isError":true,"isError":false,"Result":[` + rec + `]}`, wantClass: "InvalidResponse"},
		{name: "Status twice", body: `{"isError":false,"Status":0,"Status":0,"Result":[` + rec + `]}`, wantClass: "InvalidResponse"},
		{name: "Message twice", body: `{"isError":false,"Message":"a","Message":"b","Result":[` + rec + `]}`, wantClass: "InvalidResponse"},
		{name: "an unknown key twice is skipped twice", body: `{"Extra":1,"Extra":[2,[3]],"isError":false,"Result":[` + rec + `]}`,
			wantClass: "nil", wantN: 1},
		{name: "an unknown array of one is skipped", body: `{"Extra":[1],"isError":false,"Result":[` + rec + `]}`,
			wantClass: "nil", wantN: 1},
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
		{name: "error envelope wins over a Result", body: `{"isError":true,"Status":2,"Message":"Invalid API Key.","Result":[` + rec + `]}`,
			wantClass: "Unauthorized"},
		{name: "no record found is an empty account", body: `{"isError":true,"Status":10,"Message":"No record found.","Result":null}`,
			wantClass: "nil", wantN: 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			emps, _, err := decodeResponse(strings.NewReader(tt.body), "2024-06-11", testKey, provider.DefaultMaxEmployees)
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

// The record without an EmployeeId is named by its place, counting from 1.
func TestRecordWithoutIDIsNamed(t *testing.T) {
	body := `{"isError":false,"Result":[{"EmployeeId":{"DisplayValue":"PW1"}},{"FirstName":{"DisplayValue":"Bob"}},` +
		`{"EmployeeId":{"DisplayValue":"PW3"}}]}`
	_, _, err := decodeResponse(strings.NewReader(body), "2024-06-11", testKey, provider.DefaultMaxEmployees)
	if !errors.Is(err, provider.ErrInvalidResponse) || !strings.Contains(err.Error(), "employee record 2 of 3 has no EmployeeId") {
		t.Fatalf("err = %v, want ErrInvalidResponse naming employee record 2 of 3", err)
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
			wantClass: "Unavailable"},
		{name: "error envelope, a request the vendor rejects", fault: fakehr.Fault{Kind: fakehr.FaultErrorEnvelope, Code: 4,
			Message: "Invalid Action."}, wantClass: "InvalidResponse"},
		{name: "hang that ends in time", fault: fakehr.Fault{Kind: fakehr.FaultHang, Delay: 20 * time.Millisecond},
			wantClass: "nil", wantN: 20},
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

// TestEveryFaultKindIsClassified runs the client against the fake with every fakehr.FaultKind: each
// either fails with exactly one of the provider package's classes or, for a well-formed answer, succeeds.
func TestEveryFaultKindIsClassified(t *testing.T) {
	want := map[fakehr.FaultKind]string{
		fakehr.FaultUnauthorized:  "Unauthorized",
		fakehr.FaultServerError:   "Unavailable",
		fakehr.FaultRateLimited:   "RateLimited",
		fakehr.FaultMalformedJSON: "InvalidResponse",
		fakehr.FaultTruncatedBody: "InvalidResponse",
		fakehr.FaultSlowBody:      "Unavailable",
		fakehr.FaultMissingPage:   "InvalidResponse", // no pages: the body is cut off instead
		fakehr.FaultEmptyList:     "nil",             // a well-formed, empty account: the deletion guard decides
		fakehr.FaultErrorEnvelope: "Unavailable",     // Status 6, the vendor's server failure
		fakehr.FaultDuplicateIDs:  "InvalidResponse",
		fakehr.FaultHang:          "Unavailable",
	}
	c := fakehr.Generate(fakehr.GenerateOptions{Seed: 2, Employees: 20, IDs: fakehr.PrefixedIDs, Today: fixedNow})
	for _, kind := range fakehr.FaultKinds {
		t.Run(string(kind), func(t *testing.T) {
			wantClass, ok := want[kind]
			if !ok {
				t.Fatalf("no expectation for fault kind %s: add one", kind)
			}
			s := newFake(t, c)
			s.InjectFault(fakehr.Fault{Kind: kind, Delay: time.Hour})
			snap, err := newTestClient(t, s.URL(), 300*time.Millisecond).Fetch(context.Background())
			if got := errClass(err); got != wantClass || (err == nil) != (snap != nil) {
				t.Fatalf("Fetch = %v, %v: class %s, want %s", snap, err, got, wantClass)
			}
			assertNoKey(t, err)
		})
	}
}

func TestUserAgent(t *testing.T) {
	got := make(chan string, 1)
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got <- r.Header.Get("User-Agent")
		_, _ = io.WriteString(w, `{"isError":false,"Status":0,"Result":[]}`)
	}))
	t.Cleanup(ts.Close)
	if _, err := newTestClient(t, ts.URL, 10*time.Second).Fetch(context.Background()); err != nil {
		t.Fatal(err)
	}
	if ua := <-got; ua != provider.UserAgent() || !strings.HasPrefix(ua, "dirsync/") {
		t.Fatalf("User-Agent = %q, want %q", ua, provider.UserAgent())
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
		ts := httptest.NewServer(http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
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
		if oe := new(net.OpError); !errors.As(err, &oe) {
			t.Errorf("got %v, want the dial error wrapped too", err)
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
			cfg := provider.Config{AllowedHosts: providertest.LocalHosts, APIKey: testKey, HTTPClient: hc, Now: clock(fixedNow)}

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
			p, err := New(provider.Config{AllowedHosts: providertest.LocalHosts, BaseURL: u, APIKey: "  " + testKey + "\n", Now: clock(fixedNow)})
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
			if diff := cmp.Diff(want, s.body); diff != "" {
				t.Errorf("body (-want +got):\n%s", diff)
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
		wantClass    string // of the error; "" for none
		wantMsg      string
	}{
		{name: "default", cfg: provider.Config{AllowedHosts: providertest.LocalHosts, APIKey: "k"}, wantEndpoint: "https://api.peoplehr.net/Employee"},
		{name: "override", cfg: provider.Config{AllowedHosts: providertest.LocalHosts, APIKey: "k", BaseURL: mustURL("http://127.0.0.1:8080/x/")},
			wantEndpoint: "http://127.0.0.1:8080/x/Employee"},
		{name: "query", cfg: provider.Config{AllowedHosts: providertest.LocalHosts, APIKey: "k", BaseURL: mustURL("https://h.example/?a=b#c")},
			wantClass: "InvalidConfig", wantMsg: "must not have a query or a fragment"},
		{name: "relative URL", cfg: provider.Config{AllowedHosts: providertest.LocalHosts, APIKey: "k", BaseURL: mustURL("/relative")}, wantClass: "InvalidConfig",
			wantMsg: "absolute http or https URL"},
		{name: "other scheme", cfg: provider.Config{AllowedHosts: providertest.LocalHosts, APIKey: "k", BaseURL: mustURL("ftp://h.example")}, wantClass: "InvalidConfig"},
		{name: "user info", cfg: provider.Config{AllowedHosts: providertest.LocalHosts, APIKey: "k", BaseURL: mustURL("https://u:p@h.example")}, wantClass: "InvalidConfig"},
		{name: "empty key", cfg: provider.Config{AllowedHosts: providertest.LocalHosts, APIKey: " \n"}, wantClass: "Unauthorized", wantMsg: "the API key is empty"},
		{name: "key with a line break inside", cfg: provider.Config{AllowedHosts: providertest.LocalHosts, APIKey: "q9z\nq8w"}, wantClass: "Unauthorized",
			wantMsg: "the API key contains white space"},
		{name: "key with a space inside", cfg: provider.Config{AllowedHosts: providertest.LocalHosts, APIKey: "q9z q8w"}, wantClass: "Unauthorized",
			wantMsg: "the API key contains white space"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := New(tt.cfg)
			if tt.wantClass == "" {
				if err != nil {
					t.Fatalf("New: %v", err)
				}
				if got := p.(*Client).endpoint.String(); got != tt.wantEndpoint {
					t.Errorf("endpoint = %s, want %s", got, tt.wantEndpoint)
				}
				return
			}
			if got := errClass(err); got != tt.wantClass || p != nil {
				t.Fatalf("New = %v, %v (%s); want %s", p, err, got, tt.wantClass)
			}
			if !strings.Contains(err.Error(), tt.wantMsg) || strings.Contains(err.Error(), "invalid response") ||
				strings.Contains(err.Error(), "q9z") {
				t.Errorf("New = %v; want it to say %q, without quoting the key", err, tt.wantMsg)
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
	// Kept means the same text and the same chain (errors.Is finds clean itself, not only its sentinel).
	if got := withoutKey(clean, testKey); !errors.Is(got, clean) || got.Error() != clean.Error() {
		t.Errorf("an error without the key was replaced: %v", got)
	}
}
