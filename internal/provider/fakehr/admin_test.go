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

package fakehr

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// memServer is the smallest Server: the shared State, recording what the admin API asks of it.
type memServer struct{ *State }

var _ Server = memServer{}

func (memServer) Close() {}

func do(t *testing.T, h http.Handler, method, path, body string) (int, string) {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(method, path, strings.NewReader(body)))
	b, err := io.ReadAll(rec.Result().Body)
	if err != nil {
		t.Fatal(err)
	}
	return rec.Code, string(b)
}

func TestAdminHandler(t *testing.T) {
	tests := []struct {
		name       string
		method     string
		path       string
		body       string
		wantCode   int
		wantBody   string // substring of the answer, when set
		wantFaults []Fault
		wantAPIKey string
	}{
		{name: "stats", method: "GET", path: "/admin/stats", wantCode: 200, wantBody: `{"requests":7}`},
		{name: "fault with duration strings", method: "POST", path: "/admin/fault",
			body:     `{"kind":"RateLimited","times":2,"retryAfter":"30s"}`,
			wantCode: 204, wantFaults: []Fault{{Kind: FaultRateLimited, Times: 2, RetryAfter: 30 * time.Second}}},
		{name: "fault with seconds", method: "POST", path: "/admin/fault",
			body:     `{"kind":"SlowBody","delay":1.5}`,
			wantCode: 204, wantFaults: []Fault{{Kind: FaultSlowBody, Delay: 1500 * time.Millisecond}}},
		{name: "fault with code and message", method: "POST", path: "/admin/fault",
			body:     `{"kind":"ErrorEnvelope","message":"Invalid request","code":500}`,
			wantCode: 204, wantFaults: []Fault{{Kind: FaultErrorEnvelope, Message: "Invalid request", Code: 500}}},
		{name: "unknown fault kind", method: "POST", path: "/admin/fault", body: `{"kind":"Gremlins"}`,
			wantCode: 400, wantBody: `unknown fault kind`},
		{name: "bad duration", method: "POST", path: "/admin/fault", body: `{"kind":"RateLimited","retryAfter":"soon"}`,
			wantCode: 400, wantBody: `Go duration`},
		{name: "negative times", method: "POST", path: "/admin/fault", body: `{"kind":"ServerError","times":-1}`,
			wantCode: 400},
		{name: "unknown field", method: "POST", path: "/admin/fault", body: `{"kind":"ServerError","tims":1}`,
			wantCode: 400, wantBody: `unknown field`},
		{name: "trailing data", method: "POST", path: "/admin/fault", body: `{"kind":"ServerError"} {}`,
			wantCode: 400},
		{name: "clear faults", method: "DELETE", path: "/admin/fault", wantCode: 204},
		{name: "rotate key", method: "PUT", path: "/admin/apikey", body: `{"apiKey":"new-key"}`,
			wantCode: 204, wantAPIKey: "new-key"},
		{name: "empty key", method: "PUT", path: "/admin/apikey", body: `{"apiKey":""}`, wantCode: 400},
		{name: "too many employees", method: "POST", path: "/admin/generate", body: `{"employees":100000000}`,
			wantCode: 400},
		{name: "wrong method", method: "POST", path: "/admin/stats", wantCode: 405},
		{name: "unknown path", method: "GET", path: "/admin/nothing", wantCode: 404},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := memServer{&State{apiKey: "old-key", requests: 7, faults: []Fault{{Kind: FaultEmptyList}}}}
			before := append([]Fault(nil), s.faults...)
			code, body := do(t, AdminHandler(s, PrefixedIDs), tt.method, tt.path, tt.body)
			if code != tt.wantCode {
				t.Fatalf("code = %d, want %d (body %s)", code, tt.wantCode, body)
			}
			if !strings.Contains(body, tt.wantBody) {
				t.Errorf("body = %s, want it to contain %s", body, tt.wantBody)
			}
			if strings.Contains(body, "old-key") {
				t.Errorf("body %s contains the API key", body)
			}
			wantFaults := before
			switch {
			case tt.method == "DELETE":
				wantFaults = nil
			case tt.wantFaults != nil:
				wantFaults = append(before, tt.wantFaults...)
			}
			if diff := cmp.Diff(wantFaults, s.faults); diff != "" {
				t.Errorf("faults (-want +got):\n%s", diff)
			}
			wantKey := "old-key"
			if tt.wantAPIKey != "" {
				wantKey = tt.wantAPIKey
			}
			if s.APIKey() != wantKey {
				t.Errorf("apiKey = %q, want %q", s.APIKey(), wantKey)
			}
		})
	}
}

func TestAdminGenerateKeepsIDStyle(t *testing.T) {
	s := memServer{&State{}}
	code, body := do(t, AdminHandler(s, PrefixedIDs), "POST", "/admin/generate", `{"seed":3,"employees":5,"departments":2}`)
	if code != 200 || strings.TrimSpace(body) != `{"employees":5,"departments":2}` {
		t.Fatalf("generate = %d %s", code, body)
	}
	want := Generate(GenerateOptions{Seed: 3, Employees: 5, Departments: 2, IDs: PrefixedIDs})
	got := s.Company()
	if len(got.Employees) != 5 || got.Employees[0].ID != "PW1" {
		t.Fatalf("employees = %+v, want 5 with ids PW1…", got.Employees)
	}
	// Generate anchors dates on today; compare everything else.
	for i := range got.Employees {
		got.Employees[i].StartDate, want.Employees[i].StartDate = "", ""
		got.Employees[i].LeavingDate, want.Employees[i].LeavingDate = "", ""
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("company (-want +got):\n%s", diff)
	}
}

func TestAdminCompanyRoundTrip(t *testing.T) {
	c := Company{
		Employees:   []Employee{{ID: "1001", FirstName: "Zoë", LastName: "Brontë", Email: "z@example.com", Status: Current, DepartmentID: "10"}},
		Departments: []Department{{ID: "10", Name: "Engineering"}},
	}
	b, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	s := memServer{&State{}}
	h := AdminHandler(s, NumericIDs)
	if code, body := do(t, h, "PUT", "/admin/company", string(b)); code != 204 {
		t.Fatalf("PUT company = %d %s", code, body)
	}
	if diff := cmp.Diff(c, s.Company()); diff != "" {
		t.Errorf("stored company (-want +got):\n%s", diff)
	}
	code, body := do(t, h, "GET", "/admin/company", "")
	if code != 200 {
		t.Fatalf("GET company = %d %s", code, body)
	}
	var got Company
	if err := json.Unmarshal([]byte(body), &got); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(c, got); diff != "" {
		t.Errorf("GET company (-want +got):\n%s", diff)
	}
}

func TestDurationJSON(t *testing.T) {
	tests := []struct {
		in   string
		want time.Duration
		err  bool
	}{
		{in: `"30s"`, want: 30 * time.Second},
		{in: `"1m30s"`, want: 90 * time.Second},
		{in: `45`, want: 45 * time.Second},
		{in: `0.25`, want: 250 * time.Millisecond},
		{in: `"30"`, err: true},
		{in: `true`, err: true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			var d Duration
			err := json.Unmarshal([]byte(tt.in), &d)
			if (err != nil) != tt.err {
				t.Fatalf("err = %v, want error %v", err, tt.err)
			}
			if !tt.err && time.Duration(d) != tt.want {
				t.Errorf("got %v, want %v", time.Duration(d), tt.want)
			}
		})
	}
	b, _ := json.Marshal(Duration(90 * time.Second))
	if string(b) != `"1m30s"` {
		t.Errorf("marshal = %s, want \"1m30s\"", b)
	}
}
