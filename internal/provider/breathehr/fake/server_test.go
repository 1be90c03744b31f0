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
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/dirsync/dirsync/internal/provider/fakehr"
)

type reply struct {
	code   int
	header http.Header
	body   map[string]json.RawMessage
	raw    string
}

func get(t *testing.T, s *Server, pathAndQuery, key string) reply {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, s.URL()+pathAndQuery, nil)
	if err != nil {
		t.Fatal(err)
	}
	if key != "" {
		req.Header.Set("X-API-KEY", key)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	r := reply{code: resp.StatusCode, header: resp.Header, raw: string(b)}
	_ = json.Unmarshal(b, &r.body)
	return r
}

func rows(t *testing.T, r reply, key string) []map[string]any {
	t.Helper()
	var out []map[string]any
	if err := json.Unmarshal(r.body[key], &out); err != nil {
		t.Fatalf("%s: %v in %s", key, err, r.raw)
	}
	return out
}

func generated(n int) fakehr.Company {
	return fakehr.Generate(fakehr.GenerateOptions{Seed: 7, Employees: n, Today: time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)})
}

func TestServerWireFormat(t *testing.T) {
	s := NewServer(generated(250))
	defer s.Close()
	if !strings.HasSuffix(s.URL(), "/v1") || s.APIKey() != DefaultAPIKey {
		t.Fatalf("URL %q, key %q", s.URL(), s.APIKey())
	}

	r := get(t, s, "/employees?page=2&per_page=100", DefaultAPIKey)
	if r.code != 200 || r.header.Get("Total") != "250" || r.header.Get("Per-Page") != "100" {
		t.Fatalf("page 2: %d Total=%q Per-Page=%q", r.code, r.header.Get("Total"), r.header.Get("Per-Page"))
	}
	emps := rows(t, r, "employees")
	if len(emps) != 100 || emps[0]["id"] != float64(1101) {
		t.Fatalf("page 2 has %d rows starting at id %v", len(emps), emps[0]["id"])
	}

	last := get(t, s, "/employees?page=3&per_page=100", DefaultAPIKey)
	if n := len(rows(t, last, "employees")); n != 50 || strings.Contains(last.header.Get("Link"), `rel="next"`) {
		t.Errorf("last page: %d rows, Link %q", n, last.header.Get("Link"))
	}
	capped := get(t, s, "/employees?per_page=500", DefaultAPIKey)
	if n := len(rows(t, capped, "employees")); n != MaxPerPage || capped.header.Get("Per-Page") != "100" {
		t.Errorf("per_page=500 gave %d rows", n)
	}
	depts := rows(t, get(t, s, "/departments", DefaultAPIKey), "departments")
	if len(depts) != 12 || depts[0]["id"] != float64(10) || depts[0]["name"] != "Engineering" {
		t.Errorf("departments: %v", depts)
	}
	if s.Requests() != 4 {
		t.Errorf("Requests = %d, want 4", s.Requests())
	}
}

// TestServerLinkHeaders checks the Link header against the recorded traffic: page 1 has last and next, a
// middle page first, prev, last and next, the last page first and prev, a one-page listing none; the
// URLs repeat per_page only when the request sent it.
func TestServerLinkHeaders(t *testing.T) {
	s := NewServer(generated(250))
	defer s.Close()
	u := s.URL() + "/employees"
	tests := []struct {
		query, want string
	}{
		{"?page=1&per_page=100", `<` + u + `?page=3&per_page=100>; rel="last", <` + u + `?page=2&per_page=100>; rel="next"`},
		{"?page=2&per_page=100", `<` + u + `?page=1&per_page=100>; rel="first", <` + u + `?page=1&per_page=100>; rel="prev", <` +
			u + `?page=3&per_page=100>; rel="last", <` + u + `?page=3&per_page=100>; rel="next"`},
		{"?page=3&per_page=100", `<` + u + `?page=1&per_page=100>; rel="first", <` + u + `?page=2&per_page=100>; rel="prev"`},
		{"", `<` + u + `?page=3>; rel="last", <` + u + `?page=2>; rel="next"`},
	}
	for _, tt := range tests {
		r := get(t, s, "/employees"+tt.query, DefaultAPIKey)
		if diff := cmp.Diff(tt.want, r.header.Get("Link")); diff != "" {
			t.Errorf("Link of %s (-want +got):\n%s", tt.query, diff)
		}
	}
	one := get(t, s, "/departments", DefaultAPIKey)
	if _, ok := one.header["Link"]; ok || one.header.Get("Total") != "12" || one.header.Get("Per-Page") != "100" {
		t.Errorf("a one-page listing: Link %q, Total %q, Per-Page %q; want no Link", one.header.Get("Link"),
			one.header.Get("Total"), one.header.Get("Per-Page"))
	}
}

// realEmployeeKeys is every key of an employee in a real sandbox response (shared/provider-wire.md A2).
var realEmployeeKeys = strings.Fields(`length_of_service_in_months age full_or_part_time notice_period photo_url
	working_pattern holiday_allowance line_manager holiday_approver department division location gender
	statutory_holiday_country receives_statutory_holidays salary status job_start_date job_title hr custom_fields id
	account_id first_name middle_name last_name email join_date dob known_as marital_status nationality ethnicity
	national_insurance_no driving_license ddi work_ext work_mobile personal_mobile home_telephone personal_email address1
	address2 address3 city county postcode country linked_in facebook skype twitter bank_name bank_branch sort_code
	account_number building_society ref_number leaving_date employee_ref contract_provider probation_date
	remuneration_currency created_at updated_at`)

// TestServerSendsTheRealShape: the fake's employee has exactly the real keys, in the real order, and every
// key of the golden fixture (../testdata/breathe-employees-page1.json) has the same JSON type where both
// are set.
func TestServerSendsTheRealShape(t *testing.T) {
	s := NewServer(generated(30))
	defer s.Close()
	r := get(t, s, "/employees", DefaultAPIKey)
	var page struct {
		Employees []json.RawMessage `json:"employees"`
	}
	if err := json.Unmarshal([]byte(r.raw), &page); err != nil || len(page.Employees) == 0 {
		t.Fatalf("%v %s", err, r.raw)
	}
	if diff := cmp.Diff(realEmployeeKeys, keysInOrder(t, page.Employees[0])); diff != "" {
		t.Errorf("employee keys (-real +fake):\n%s", diff)
	}

	raw, err := os.ReadFile(filepath.Join("..", "testdata", "breathe-employees-page1.json"))
	if err != nil {
		t.Fatal(err)
	}
	var golden struct {
		Employees []map[string]any `json:"employees"`
	}
	if err := json.Unmarshal(raw, &golden); err != nil {
		t.Fatal(err)
	}
	fakes := rows(t, r, "employees")
	for key := range golden.Employees[0] {
		if !slices.Contains(realEmployeeKeys, key) {
			t.Errorf("the golden fixture has %q, which the fake does not send", key)
		}
		for _, g := range golden.Employees {
			for _, f := range fakes {
				if g[key] != nil && f[key] != nil && jsonType(g[key]) != jsonType(f[key]) {
					t.Errorf("%s: fixture sends a %s, the fake a %s", key, jsonType(g[key]), jsonType(f[key]))
				}
			}
		}
	}
	if r.header.Get("Content-Type") == "" || r.header.Get("Retry-After") != "" {
		t.Errorf("headers %v", r.header)
	}
}

func keysInOrder(t *testing.T, obj json.RawMessage) []string {
	t.Helper()
	dec := json.NewDecoder(strings.NewReader(string(obj)))
	if _, err := dec.Token(); err != nil {
		t.Fatal(err)
	}
	var keys []string
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			t.Fatal(err)
		}
		keys = append(keys, tok.(string))
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			t.Fatal(err)
		}
	}
	return keys
}

func jsonType(v any) string {
	switch v.(type) {
	case map[string]any:
		return "object"
	case []any:
		return "array"
	case string:
		return "string"
	case float64:
		return "number"
	case bool:
		return "boolean"
	default:
		return "null"
	}
}

func TestServerEmployeeShape(t *testing.T) {
	c := fakehr.Company{
		Departments: []fakehr.Department{{ID: "12", Name: "Engineering"}},
		Employees: []fakehr.Employee{
			{ID: "1", FirstName: "Grace", LastName: "Mensah", Email: "g@example.com", Status: fakehr.Current,
				DepartmentID: "12", StartDate: "2020-01-06", DateOfBirth: "1980-02-03", NINumber: "QQ123456C",
				PersonalEmail: "g@personal.example.net", Salary: "70000", EmploymentType: "Part Time",
				Location: fakehr.Ref{ID: "2", Name: "Manchester"}, Division: fakehr.Ref{ID: "1", Name: "Technology"}},
			{ID: "2", FirstName: "Zoë", LastName: "Brontë", KnownAs: "Zo", Status: fakehr.PendingLeaver, ManagerID: "1", LeavingDate: "2026-04-30"},
			{ID: "3", FirstName: "Kwame", Status: fakehr.Former},
		},
	}
	s := NewServer(c, WithAPIKey("k"))
	defer s.Close()
	emps := rows(t, get(t, s, "/employees", "k"), "employees")
	want := []map[string]any{
		{"id": float64(1), "status": "Current employee", "known_as": nil, "leaving_date": nil, "line_manager": nil,
			"department": map[string]any{"id": float64(12), "name": "Engineering"}, "dob": "1980-02-03",
			"national_insurance_no": "QQ123456C", "personal_email": "g@personal.example.net", "salary": "70000", "join_date": "2020-01-06",
			"full_or_part_time": "Part Time", "location": map[string]any{"id": float64(2), "name": "Manchester"},
			"division": map[string]any{"id": float64(1), "name": "Technology"}},
		{"id": float64(2), "status": "Pending leaver", "known_as": "Zo", "leaving_date": "2026-04-30", "department": nil,
			"first_name": "Zoë", "line_manager": map[string]any{"id": float64(1), "first_name": "Grace", "last_name": "Mensah", "email": "g@example.com"}},
		{"id": float64(3), "status": "Ex-employee", "job_title": nil, "email": nil, "location": nil, "division": nil,
			"full_or_part_time": nil},
	}
	for i, w := range want {
		for k, v := range w {
			got, _ := json.Marshal(emps[i][k])
			exp, _ := json.Marshal(v)
			if _, ok := emps[i][k]; !ok || string(got) != string(exp) {
				t.Errorf("employee %d %s = %s, want %s", i, k, got, exp)
			}
		}
	}
}

func TestServerAuth(t *testing.T) {
	s := NewServer(generated(3))
	defer s.Close()
	for _, key := range []string{"", "wrong", DefaultAPIKey + "x"} {
		if r := get(t, s, "/employees", key); r.code != 401 || r.raw != `{"error":"401 Unauthorized"}` {
			t.Errorf("key %q: %d %s; want the recorded 401", key, r.code, r.raw)
		}
	}
	s.SetAPIKey("rotated")
	if r := get(t, s, "/employees", DefaultAPIKey); r.code != 401 {
		t.Errorf("old key after rotation: %d", r.code)
	}
	if r := get(t, s, "/employees", "rotated"); r.code != 200 {
		t.Errorf("new key: %d", r.code)
	}
	if r := get(t, s, "/nope", "rotated"); r.code != 404 {
		t.Errorf("unknown path: %d", r.code)
	}
}

func TestServerFaults(t *testing.T) {
	tests := []struct {
		fault      fakehr.Fault
		path       string
		wantCode   int
		wantHeader [2]string
		wantBody   string
	}{
		{fault: fakehr.Fault{Kind: fakehr.FaultUnauthorized}, path: "/departments", wantCode: 401, wantBody: `{"error":"401 Unauthorized"}`},
		{fault: fakehr.Fault{Kind: fakehr.FaultServerError}, path: "/employees", wantCode: 503},
		{fault: fakehr.Fault{Kind: fakehr.FaultServerError, Code: 500}, path: "/employees", wantCode: 500},
		{fault: fakehr.Fault{Kind: fakehr.FaultRateLimited}, path: "/employees", wantCode: 429, wantHeader: [2]string{"Retry-After", ""},
			wantBody: `{"error":{"type":"Rate Limit Reached"}}`},
		{fault: fakehr.Fault{Kind: fakehr.FaultHang, Delay: time.Millisecond}, path: "/employees", wantCode: 200},
		{fault: fakehr.Fault{Kind: fakehr.FaultRateLimited, RetryAfter: 30 * time.Second}, path: "/employees", wantCode: 429,
			wantHeader: [2]string{"Retry-After", "30"}},
		{fault: fakehr.Fault{Kind: fakehr.FaultMissingPage}, path: "/employees?page=2", wantCode: 404},
		{fault: fakehr.Fault{Kind: fakehr.FaultMissingPage}, path: "/employees?page=1", wantCode: 200},
		{fault: fakehr.Fault{Kind: fakehr.FaultEmptyList}, path: "/employees", wantCode: 200, wantHeader: [2]string{"Total", "0"},
			wantBody: `{"employees":[]}`},
		{fault: fakehr.Fault{Kind: fakehr.FaultEmptyList}, path: "/departments", wantCode: 200, wantHeader: [2]string{"Total", "12"}},
		{fault: fakehr.Fault{Kind: fakehr.FaultErrorEnvelope, Message: "Account locked"}, path: "/employees", wantCode: 500,
			wantBody: `{"error":"Account locked"}`},
		{fault: fakehr.Fault{Kind: fakehr.FaultDuplicateIDs}, path: "/employees", wantCode: 200, wantHeader: [2]string{"Total", "6"}},
	}
	for _, tt := range tests {
		t.Run(string(tt.fault.Kind)+tt.path, func(t *testing.T) {
			s := NewServer(fakehr.Generate(fakehr.GenerateOptions{Seed: 1, Employees: 5}))
			defer s.Close()
			s.InjectFault(tt.fault)
			r := get(t, s, tt.path, DefaultAPIKey)
			if r.code != tt.wantCode {
				t.Errorf("code %d, want %d (%s)", r.code, tt.wantCode, r.raw)
			}
			if h := tt.wantHeader; h[0] != "" && r.header.Get(h[0]) != h[1] {
				t.Errorf("%s = %q, want %q", h[0], r.header.Get(h[0]), h[1])
			}
			if tt.wantBody != "" && r.raw != tt.wantBody {
				t.Errorf("body %s, want %s", r.raw, tt.wantBody)
			}
		})
	}
	t.Run("malformed JSON", func(t *testing.T) {
		s := NewServer(generated(5))
		defer s.Close()
		s.InjectFault(fakehr.Fault{Kind: fakehr.FaultMalformedJSON})
		if r := get(t, s, "/employees", DefaultAPIKey); r.code != 200 || json.Valid([]byte(r.raw)) {
			t.Errorf("got %d %s", r.code, r.raw)
		}
	})
	t.Run("duplicate ids serve the first employee twice", func(t *testing.T) {
		s := NewServer(generated(5))
		defer s.Close()
		s.InjectFault(fakehr.Fault{Kind: fakehr.FaultDuplicateIDs})
		emps := rows(t, get(t, s, "/employees", DefaultAPIKey), "employees")
		if len(emps) != 6 || emps[0]["id"] != emps[1]["id"] {
			t.Errorf("got %d rows, first ids %v %v", len(emps), emps[0]["id"], emps[1]["id"])
		}
	})
	t.Run("Times counts down, ClearFaults clears", func(t *testing.T) {
		s := NewServer(generated(5))
		defer s.Close()
		s.InjectFault(fakehr.Fault{Kind: fakehr.FaultServerError, Times: 2})
		codes := []int{}
		for i := 0; i < 3; i++ {
			codes = append(codes, get(t, s, "/employees", DefaultAPIKey).code)
		}
		s.InjectFault(fakehr.Fault{Kind: fakehr.FaultServerError})
		s.ClearFaults()
		codes = append(codes, get(t, s, "/employees", DefaultAPIKey).code)
		if want := []int{503, 503, 200, 200}; !equalInts(codes, want) {
			t.Errorf("codes %v, want %v", codes, want)
		}
		if s.Requests() != 4 {
			t.Errorf("Requests = %d", s.Requests())
		}
	})
	t.Run("a hang sends nothing until the client gives up", func(t *testing.T) {
		s := NewServer(generated(5))
		defer s.Close()
		s.InjectFault(fakehr.Fault{Kind: fakehr.FaultHang})
		ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
		defer cancel()
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, s.URL()+"/employees", nil)
		req.Header.Set("X-API-KEY", DefaultAPIKey)
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			resp.Body.Close()
			t.Fatalf("got HTTP %d; want no answer before the client's deadline", resp.StatusCode)
		}
		if s.Requests() != 1 {
			t.Errorf("Requests = %d, want 1", s.Requests())
		}
	})
	t.Run("Close ends a hang", func(_ *testing.T) {
		s := NewServer(generated(5))
		s.InjectFault(fakehr.Fault{Kind: fakehr.FaultHang})
		// Only that the request ends matters: a hang ended by Close answers nothing, so the client
		// may see an empty response or a closed connection.
		done := make(chan struct{})
		go func() {
			defer close(done)
			req, _ := http.NewRequest(http.MethodGet, s.URL()+"/employees", nil)
			req.Header.Set("X-API-KEY", DefaultAPIKey)
			resp, err := http.DefaultClient.Do(req)
			if err == nil {
				resp.Body.Close()
			}
		}()
		for deadline := time.Now().Add(10 * time.Second); s.Requests() == 0; time.Sleep(time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatal("the request never reached the server in 10s")
			}
		}
		s.Close() // returns only once the hanging handler has
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			t.Fatal("the hanging request had not ended 10s after Close")
		}
	})
	t.Run("truncated body declares the full length and is cut", func(t *testing.T) {
		s := NewServer(generated(5))
		defer s.Close()
		s.InjectFault(fakehr.Fault{Kind: fakehr.FaultTruncatedBody})
		req, _ := http.NewRequest(http.MethodGet, s.URL()+"/employees", nil)
		req.Header.Set("X-API-KEY", DefaultAPIKey)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		if err == nil || int64(len(b)) >= resp.ContentLength {
			t.Errorf("read %d of %d bytes, err %v; want a cut-off body", len(b), resp.ContentLength, err)
		}
	})
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestServerRateLimit(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	s := NewServer(generated(3), WithRateLimit(2, time.Minute), WithClock(func() time.Time { return now }))
	defer s.Close()
	var codes []int
	for i := 0; i < 3; i++ {
		r := get(t, s, "/employees", DefaultAPIKey)
		codes = append(codes, r.code)
		if r.code == 429 && (r.header.Get("Retry-After") != "" || r.raw != `{"error":{"type":"Rate Limit Reached"}}`) {
			t.Errorf("Breathe sends 429 without Retry-After, with its documented body; got %v %s", r.header, r.raw)
		}
	}
	now = now.Add(time.Minute)
	codes = append(codes, get(t, s, "/employees", DefaultAPIKey).code)
	if want := []int{200, 200, 429, 200}; !equalInts(codes, want) {
		t.Errorf("codes %v, want %v", codes, want)
	}
}

func TestServerCompanyChanges(t *testing.T) {
	s := NewServer(generated(3))
	defer s.Close()
	s.Update(func(c *fakehr.Company) {
		c.RemoveEmployee(c.Employees[0].ID)
		c.Departments[0].Name = "Platform"
	})
	if c := s.Company(); len(c.Employees) != 2 || c.Departments[0].Name != "Platform" {
		t.Fatalf("Update not applied: %+v", c)
	}
	if n := len(rows(t, get(t, s, "/employees", DefaultAPIKey), "employees")); n != 2 {
		t.Errorf("served %d employees after removal", n)
	}
	s.SetCompany(fakehr.Company{})
	if n := len(rows(t, get(t, s, "/employees", DefaultAPIKey), "employees")); n != 0 {
		t.Errorf("served %d employees after SetCompany", n)
	}
}

func TestNewMountsOnAnyListener(t *testing.T) {
	s := New(generated(3), "custom-key")
	hs := httptest.NewServer(s.Handler())
	defer hs.Close()
	s.SetURL(hs.URL + "/")
	if s.URL() != hs.URL+"/v1" {
		t.Fatalf("URL = %q", s.URL())
	}
	if r := get(t, s, "/employees", "custom-key"); r.code != 200 || len(rows(t, r, "employees")) != 3 {
		t.Errorf("got %d %s", r.code, r.raw)
	}
	s.Close() // no listener of its own: a no-op
}
