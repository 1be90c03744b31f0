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
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/dirsync/dirsync/internal/provider"
)

func readFixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestDecodeEmployeesFixture decodes a realistic page: nulls, missing fields, a numeric-string id,
// bad dates, unknown status text, non-ASCII names, and every kind of personal data.
func TestDecodeEmployeesFixture(t *testing.T) {
	body := readFixture(t, "employees_page.json")
	got, err := decodeEmployees(body)
	if err != nil {
		t.Fatalf("decodeEmployees: %v", err)
	}
	want := []provider.Employee{
		{
			ExternalID: "4711", Email: "siobhan.osuilleabhain@acme.example.com", FirstName: "Siobhán", LastName: "Ó Súilleabháin",
			DisplayName: "Siobhán Ó Súilleabháin", JobTitle: "Head of Platform Engineering", Active: true,
			EmploymentStatus: "Current employee", DepartmentIDs: []string{"12"}, ManagerExternalID: "4001",
			ManagerEmail: "grace.mensah@acme.example.com", StartDate: "2016-09-05", EmploymentType: "Full time",
			Location: provider.Affiliation{ID: "1", Name: "Bristol Office"}, Division: provider.Affiliation{ID: "3", Name: "Technology"},
		},
		{
			ExternalID: "4712", Email: "bea.pena@acme.example.com", FirstName: "Beatriz", LastName: "Peña", PreferredName: "Bea",
			DisplayName: "Bea Peña", JobTitle: "Account Executive", Active: true, EmploymentStatus: "Pending leaver",
			StartDate: "2019-03-18", EndDate: "2026-08-31",
		},
		{
			ExternalID: "4713", FirstName: "Łukasz", LastName: "Nowak", DisplayName: "Łukasz Nowak", EmploymentStatus: "former employee",
			DepartmentIDs: []string{"15"}, ManagerExternalID: "4711", EndDate: "2024-01-19",
		},
		{
			ExternalID: "4714", Email: "chen@acme.example.com", FirstName: "Chen", DisplayName: "Chen", EmploymentStatus: "Maternity leave",
		},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("decodeEmployees (-want +got):\n%s", diff)
	}

	out, _ := json.Marshal(got)
	text := string(out) + fmt.Sprintf("%+v", got)
	personal := []string{"1984-07-23", "QQ 12 34 56 C", "siobhan.private77", "07700 900461", "0117 496 0718", "Larkspur",
		"Redland", "BS6 7QA", "86250", "31926819", "60-16-13", "Northwind", "Peanut", "4711-private", "Female", "Married",
		"Irish", "1991-12-02", "QQ 98 76 54 A", "Harbour Road", "EH6 6LL", "41000", "1979-05-30", "39500", "Avon",
		"Áine", "EMP-0042"}
	for _, p := range personal {
		if !strings.Contains(string(body), p) {
			t.Fatalf("fixture lacks %q: the check below would prove nothing", p)
		}
		if strings.Contains(text, p) {
			t.Errorf("decoded employees contain personal data %q", p)
		}
	}
}

func TestDecodeDepartmentsFixture(t *testing.T) {
	got, err := decodeDepartments(readFixture(t, "departments_page.json"))
	if err != nil {
		t.Fatalf("decodeDepartments: %v", err)
	}
	want := []provider.Department{{ExternalID: "12", Name: "Engineering"}, {ExternalID: "15", Name: "Finance"},
		{ExternalID: "17", Name: "Customer Success"}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("decodeDepartments (-want +got):\n%s", diff)
	}
}

// The golden tests decode the bodies of shared/provider-fixtures (real shapes, synthetic people; see
// SOURCES.md there), copied into testdata/ as breathe-*.

// goldenEmployees is what breathe-employees-page1.json must decode to, with breathe-departments.json.
var goldenEmployees = []provider.Employee{
	{
		ExternalID: "1795", Email: "joe.example@acme.example.com", FirstName: "Joe", LastName: "Example", DisplayName: "Joe Example",
		JobTitle: "Operations Director", Active: true, EmploymentStatus: "Current employee", DepartmentIDs: []string{"301"},
		StartDate: "2021-04-06",
	},
	{
		ExternalID: "1802", Email: "zoe.obriain@acme.example.com", FirstName: "Zoë", LastName: "Ó Briain", PreferredName: "Zo",
		DisplayName: "Zo Ó Briain", JobTitle: "Logistics Coordinator", Active: true, EmploymentStatus: "Pending leaver",
		DepartmentIDs: []string{"301"}, ManagerExternalID: "1795", ManagerEmail: "joe.example@acme.example.com",
		StartDate: "2023-09-04", EndDate: "2099-06-30",
	},
	{
		ExternalID: "1811", Email: "sam.sample@acme.example.com", FirstName: "Sam", LastName: "Sample", DisplayName: "Sam Sample",
		EmploymentStatus: "Ex-employee", StartDate: "2019-01-07", EndDate: "2020-08-14",
	},
}

var goldenDepartments = []provider.Department{{ExternalID: "301", Name: "Operations"}, {ExternalID: "302", Name: "Finance"},
	{ExternalID: "303", Name: "Customer Success"}}

func TestGoldenPages(t *testing.T) {
	depts, err := decodeDepartments(readFixture(t, "breathe-departments.json"))
	if err != nil {
		t.Fatalf("decodeDepartments: %v", err)
	}
	if diff := cmp.Diff(goldenDepartments, depts); diff != "" {
		t.Errorf("departments (-want +got):\n%s", diff)
	}
	ws, err := decodeEmployeePage(readFixture(t, "breathe-employees-page1.json"))
	if err != nil {
		t.Fatalf("decodeEmployeePage: %v", err)
	}
	if diff := cmp.Diff(goldenEmployees, toEmployees(ws, depts)); diff != "" {
		t.Errorf("employees (-want +got):\n%s", diff)
	}
}

// TestGoldenHeaders reads the recorded page-1 headers: Link has last and next (absolute, no port),
// Total counts records, Per-Page the page size.
func TestGoldenHeaders(t *testing.T) {
	h := recordedHeaders(t, "breathe-employees-page1.headers.txt")
	links, found := parseLinks(h.Values("Link"))
	want := map[string]string{
		"last": "https://api.breathehr.com/v1/employees?page=3&per_page=100",
		"next": "https://api.breathehr.com/v1/employees?page=2&per_page=100",
	}
	if diff := cmp.Diff(want, links); diff != "" || !found {
		t.Errorf("Link (-want +got):\n%s", diff)
	}
	if h.Get("Total") != "212" || h.Get("Per-Page") != "100" || h.Get("Retry-After") != "" {
		t.Errorf("Total %q, Per-Page %q, Retry-After %q", h.Get("Total"), h.Get("Per-Page"), h.Get("Retry-After"))
	}
	for _, endpoint := range []string{"https://api.breathehr.com/v1", "https://api.breathehr.com:443/v1"} {
		l := &listing{c: &Client{base: mustURLT(t, endpoint)}, resource: "employees", visited: map[string]bool{}}
		cur := mustURLT(t, endpoint+"/employees?page=1&per_page=100")
		next, err := l.next(cur, 1, h, 100, "GET /v1/employees (page 1)")
		if err != nil || next.String() != want["next"] {
			t.Errorf("endpoint %s: next page = %v, %v; want %s", endpoint, next, err, want["next"])
		}
	}
}

// recordedHeaders parses a headers.txt fixture: "Name: value" lines after the status line; # comments.
func recordedHeaders(t *testing.T, name string) http.Header {
	t.Helper()
	h := http.Header{}
	for _, line := range strings.Split(string(readFixture(t, name)), "\n") {
		if strings.HasPrefix(line, "#") || strings.HasPrefix(line, "HTTP/") {
			continue
		}
		if k, v, ok := strings.Cut(line, ": "); ok {
			h.Add(k, v)
		}
	}
	return h
}

func mustURLT(t *testing.T, s string) *url.URL { return mustURL(t, s) }

func TestWireID(t *testing.T) {
	tests := []struct {
		in      string
		want    string
		wantErr bool
	}{
		{`1001`, "1001", false},
		{`"1001"`, "1001", false},
		{`" 42 "`, "42", false},
		{`"0042"`, "42", false},
		{`1001.0`, "1001", false},
		{`1.001e3`, "1001", false},
		{`null`, "", false},
		{`0`, "", true},
		{`-3`, "", true},
		{`1.5`, "", true},
		{`"abc"`, "", true},
		{`""`, "", true},
		{`"0x10"`, "", true},
		{`"NaN"`, "", true},
		{`"Inf"`, "", true},
		{`1e300`, "", true},
		{`18446744073709551616`, "", true},
		{`true`, "", true},
		{`{"id": 1}`, "", true},
	}
	for _, tt := range tests {
		var id wireID
		err := json.Unmarshal([]byte(tt.in), &id)
		if (err != nil) != tt.wantErr || string(id) != tt.want {
			t.Errorf("wireID(%s) = %q, %v; want %q, error %v", tt.in, id, err, tt.want, tt.wantErr)
		}
	}
}

func TestWireDateNeverFails(t *testing.T) {
	for in, want := range map[string]string{`"2024-05-01"`: "2024-05-01", `null`: "", `20240501`: "", `{"d": 1}`: "",
		`"01/05/2024"`: "", `["2024-05-01"]`: ""} {
		var d wireDate
		if err := json.Unmarshal([]byte(in), &d); err != nil || string(d) != want {
			t.Errorf("wireDate(%s) = %q, %v; want %q", in, d, err, want)
		}
	}
}

func TestErrorText(t *testing.T) {
	tests := map[string]string{
		`{"error": "Invalid API key"}`:                  "Invalid API key",
		`{"message": "Not enabled"}`:                    "Not enabled",
		`{"error": {"message": "nested"}}`:              "nested",
		`{"errors": ["one", "two"]}`:                    "one; two",
		`{"error": "", "message": "second"}`:            "second",
		`{"status": 500}`:                               "",
		`<html><title>Secret internals</title></html>`:  "",
		`Invalid API key prod-abc`:                      "",
		``:                                              "",
		`["error"]`:                                     "",
		`{"error": 42}`:                                 "",
		`{"error": {"detail": "deep", "code": "E123"}}`: "deep",
	}
	for in, want := range tests {
		if got := errorText([]byte(in)); got != want {
			t.Errorf("errorText(%s) = %q, want %q", in, got, want)
		}
	}
}

// FuzzDecodeEmployees feeds arbitrary bodies to the page decoder: it must never panic, and every
// employee it returns must have a canonical, non-empty id and well-formed dates.
func FuzzDecodeEmployees(f *testing.F) {
	f.Add(readFixture(f, "employees_page.json"))
	f.Add([]byte(`{"employees": [{"id": 1, "department": {"id": "2"}, "line_manager": {"id": 3.0}}]}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		emps, err := decodeEmployees(body)
		if err != nil {
			if emps != nil {
				t.Fatalf("employees returned with error %v", err)
			}
			return
		}
		for _, e := range emps {
			if e.ExternalID == "" || !provider.IsDigits(e.ExternalID) || e.ExternalID[0] == '0' {
				t.Fatalf("employee with a bad ExternalID %q", e.ExternalID)
			}
			for _, d := range []string{e.StartDate, e.EndDate} {
				if d != "" && validDate(d) != d {
					t.Fatalf("invalid date %q kept", d)
				}
			}
			for _, id := range append(e.DepartmentIDs, e.ManagerExternalID) {
				if id != "" && !provider.IsDigits(id) {
					t.Fatalf("bad reference id %q", id)
				}
			}
			if e.Active != IsActive(e.EmploymentStatus) {
				t.Fatalf("Active %v disagrees with status %q", e.Active, e.EmploymentStatus)
			}
		}
	})
}
