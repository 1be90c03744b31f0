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
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/dirsync/dirsync/internal/provider/fakehr"
)

var today = time.Date(2024, 6, 11, 12, 0, 0, 0, time.UTC)

// company has one current employee, a pending leaver, one leaving today and a former employee.
func company() fakehr.Company {
	return fakehr.Company{
		Departments: []fakehr.Department{{ID: "10", Name: "Engineering"}},
		Employees: []fakehr.Employee{
			{ID: "PW1", FirstName: "Amelia", LastName: "Smith", MiddleName: "Rose", Email: "amelia@example.com",
				JobTitle: "Director", Status: fakehr.Current, DepartmentID: "10", StartDate: "2015-03-02",
				DateOfBirth: "1979-11-23", NINumber: "QQ123456C", PersonalEmail: "amelia@home.example.net",
				PersonalMobile: "07700 900111", Address1: "7 Secret Gardens", Postcode: "BA1 1AA", Salary: "61500",
				Location: fakehr.Ref{ID: "3", Name: "Leeds"}, Company: "Acme Example Services Ltd", EmploymentType: "Part Time"},
			{ID: "PW2", FirstName: "Zoë", LastName: "Müller", Status: fakehr.PendingLeaver, ManagerID: "PW1",
				StartDate: "2019-02-01", LeavingDate: "2024-07-01"},
			{ID: "PW3", FirstName: "Chen", LastName: "Wang", Status: fakehr.PendingLeaver, LeavingDate: "2024-06-11"},
			{ID: "PW4", FirstName: "Björn", LastName: "Andersson", Status: fakehr.Former, LeavingDate: "2024-06-10"},
		},
	}
}

func newServer(t *testing.T, opts ...Option) *Server {
	t.Helper()
	s := NewServer(company(), append([]Option{WithClock(func() time.Time { return today })}, opts...)...)
	t.Cleanup(s.Close)
	return s
}

type answer struct {
	code int
	env  struct {
		IsError bool
		Status  int
		Message string
		Result  []map[string]any
	}
	raw string
}

func post(t *testing.T, url, body string) answer {
	t.Helper()
	resp, err := http.Post(url+"/Employee", "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	a := answer{code: resp.StatusCode, raw: string(b)}
	if resp.StatusCode == http.StatusOK {
		if err := json.Unmarshal(b, &a.env); err != nil {
			t.Fatalf("not an envelope: %v: %s", err, b)
		}
	}
	return a
}

func request(key, action, includeLeavers string) string {
	b, _ := json.Marshal(map[string]string{"APIKey": key, "Action": action, "IncludeLeavers": includeLeavers})
	return string(b)
}

func ids(a answer) []string {
	var out []string
	for _, r := range a.env.Result {
		out = append(out, r["EmployeeId"].(map[string]any)["DisplayValue"].(string))
	}
	return out
}

func TestEnvelopes(t *testing.T) {
	s := newServer(t)
	tests := []struct {
		name       string
		body       string
		wantError  bool
		wantStatus int
		wantMsg    string
		wantIDs    string
	}{
		{name: "all employees", body: request(DefaultAPIKey, "GetAllEmployeeDetail", "true"), wantIDs: "PW1 PW2 PW3 PW4",
			wantMsg: MessageOK},
		{name: "leavers whose date passed are hidden", body: request(DefaultAPIKey, "GetAllEmployeeDetail", "false"),
			wantIDs: "PW1 PW2 PW3", wantMsg: MessageOK},
		{name: "JSON boolean accepted", body: `{"APIKey":"` + DefaultAPIKey + `","Action":"GetAllEmployeeDetail","IncludeLeavers":true}`,
			wantIDs: "PW1 PW2 PW3 PW4", wantMsg: MessageOK},
		{name: "IncludeLeavers absent means false", body: `{"APIKey":"` + DefaultAPIKey + `","Action":"GetAllEmployeeDetail"}`,
			wantIDs: "PW1 PW2 PW3", wantMsg: MessageOK},
		{name: "wrong key", body: request("nope", "GetAllEmployeeDetail", "true"), wantError: true,
			wantStatus: StatusInvalidAPIKey, wantMsg: MessageInvalidAPIKey},
		{name: "no key", body: `{"Action":"GetAllEmployeeDetail","IncludeLeavers":"true"}`, wantError: true,
			wantStatus: StatusAPIKeyMissing, wantMsg: MessageAPIKeyMissing},
		{name: "unknown action", body: request(DefaultAPIKey, "GetAllSalaries", "true"), wantError: true,
			wantStatus: StatusInvalidAction, wantMsg: MessageInvalidAction},
		{name: "bad boolean", body: request(DefaultAPIKey, "GetAllEmployeeDetail", "yes"), wantError: true,
			wantStatus: StatusInvalidJSON, wantMsg: MessageInvalidJSON},
		{name: "not JSON", body: `APIKey=` + DefaultAPIKey, wantError: true, wantStatus: StatusInvalidJSON,
			wantMsg: MessageInvalidJSON},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := post(t, s.URL(), tt.body)
			if a.code != http.StatusOK {
				t.Fatalf("HTTP %d; every answer must be HTTP 200", a.code)
			}
			if a.env.IsError != tt.wantError || a.env.Status != tt.wantStatus || a.env.Message != tt.wantMsg {
				t.Errorf("envelope isError=%v Status=%d Message=%q, want %v %d %q", a.env.IsError, a.env.Status,
					a.env.Message, tt.wantError, tt.wantStatus, tt.wantMsg)
			}
			if got := strings.Join(ids(a), " "); got != tt.wantIDs {
				t.Errorf("ids %q, want %q", got, tt.wantIDs)
			}
		})
	}
}

func TestMethodAndPath(t *testing.T) {
	s := newServer(t)
	resp, err := http.Get(s.URL() + "/Employee")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed || resp.Header.Get("Allow") != http.MethodPost {
		t.Errorf("GET: HTTP %d Allow %q, want 405 Allow POST", resp.StatusCode, resp.Header.Get("Allow"))
	}
	resp, err = http.Post(s.URL()+"/Holiday", "application/json", strings.NewReader(request(DefaultAPIKey, "x", "true")))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("POST /Holiday: HTTP %d, want 404", resp.StatusCode)
	}
}

func TestRecordWireFormat(t *testing.T) {
	tests := []struct {
		name        string
		opts        []Option
		wantStart   string
		wantLeaving any
	}{
		{name: "default", wantStart: "2019-02-01", wantLeaving: "2024-07-01"},
		{name: "day first", opts: []Option{WithDayFirstDates()}, wantStart: "01/02/2019", wantLeaving: "01/07/2024"},
		{name: "wrapped leaving date", opts: []Option{WithWrappedLeavingDate()}, wantStart: "2019-02-01",
			wantLeaving: map[string]any{"DisplayValue": "2024-07-01", "FieldHistory": []any{}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newServer(t, tt.opts...)
			a := post(t, s.URL(), request(DefaultAPIKey, "GetAllEmployeeDetail", "true"))
			pw1, pw2 := a.env.Result[0], a.env.Result[1]
			dv := func(r map[string]any, k string) any { return r[k].(map[string]any)["DisplayValue"] }
			if dv(pw2, "StartDate") != tt.wantStart {
				t.Errorf("StartDate %v, want %v", dv(pw2, "StartDate"), tt.wantStart)
			}
			if got, _ := json.Marshal(pw2["LeavingDate"]); string(got) != mustJSON(tt.wantLeaving) {
				t.Errorf("LeavingDate %s, want %s", got, mustJSON(tt.wantLeaving))
			}
			if pw1["LeavingDate"] != "" && dv0(pw1["LeavingDate"]) != "" {
				t.Errorf("a current employee has a leaving date: %v", pw1["LeavingDate"])
			}
			if dv(pw2, "ReportsTo") != "Amelia Smith" || dv(pw2, "ReportsToEmployeeId") != "PW1" ||
				dv(pw2, "ReportsToEmailAddress") != "amelia@example.com" {
				t.Errorf("ReportsTo %v / %v / %v, want the manager's name, id and e-mail", dv(pw2, "ReportsTo"),
					dv(pw2, "ReportsToEmployeeId"), dv(pw2, "ReportsToEmailAddress"))
			}
			if dv(pw1, "Department") != "Engineering" || dv(pw1, "OtherName") != "Rose" || dv(pw1, "Location") != "Leeds" ||
				dv(pw1, "Company") != "Acme Example Services Ltd" || dv(pw1, "EmploymentType") != "Part Time" {
				t.Errorf("Department %v OtherName %v Location %v Company %v EmploymentType %v", dv(pw1, "Department"),
					dv(pw1, "OtherName"), dv(pw1, "Location"), dv(pw1, "Company"), dv(pw1, "EmploymentType"))
			}
			for _, personal := range []string{"QQ123456C", "amelia@home.example.net", "07700 900111", "7 Secret Gardens",
				"61500"} {
				if !strings.Contains(a.raw, personal) {
					t.Errorf("the fake must serve personal data %q so tests can prove it is dropped", personal)
				}
			}
		})
	}
}

// TestRecordShapeMatchesTheVendor: the envelope and a record have the vendor's keys, nesting, wrapping and
// value types, as in the golden fixture ../testdata/peoplehr-getallemployeedetail.json.
func TestRecordShapeMatchesTheVendor(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join("..", "testdata", "peoplehr-getallemployeedetail.json"))
	if err != nil {
		t.Fatal(err)
	}
	var golden map[string]any
	if err := json.Unmarshal(raw, &golden); err != nil {
		t.Fatal(err)
	}
	s := newServer(t)
	a := post(t, s.URL(), request(DefaultAPIKey, "GetAllEmployeeDetail", "true"))
	var got map[string]any
	if err := json.Unmarshal([]byte(a.raw), &got); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(shape(golden), shape(got)); diff != "" {
		t.Errorf("the fake's answer differs in shape from the vendor's (-vendor +fake):\n%s", diff)
	}
	if diff := cmp.Diff(keyOrder(t, raw, 1), keyOrder(t, []byte(a.raw), 1)); diff != "" {
		t.Errorf("record keys in another order (-vendor +fake):\n%s", diff)
	}
}

// shape replaces every value by its JSON type, keeps object keys, and reduces an array to its first element.
func shape(v any) any {
	switch x := v.(type) {
	case map[string]any:
		out := map[string]any{}
		for k, y := range x {
			out[k] = shape(y)
		}
		return out
	case []any:
		if len(x) == 0 {
			return "[]"
		}
		return []any{shape(x[0])}
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

// keyOrder is the keys of the first record of Result, in order (depth 1: the record's own keys).
func keyOrder(t *testing.T, raw []byte, _ int) []string {
	t.Helper()
	var env struct{ Result []json.RawMessage }
	if err := json.Unmarshal(raw, &env); err != nil || len(env.Result) == 0 {
		t.Fatalf("%v: no records", err)
	}
	dec := json.NewDecoder(strings.NewReader(string(env.Result[0])))
	_, _ = dec.Token()
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

func dv0(v any) any {
	if m, ok := v.(map[string]any); ok {
		return m["DisplayValue"]
	}
	return v
}

func mustJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func TestFaults(t *testing.T) {
	good := request(DefaultAPIKey, "GetAllEmployeeDetail", "true")
	tests := []struct {
		name  string
		fault fakehr.Fault
		check func(t *testing.T, code int, header http.Header, body string, err error)
	}{
		{name: "unauthorized", fault: fakehr.Fault{Kind: fakehr.FaultUnauthorized},
			check: func(t *testing.T, code int, _ http.Header, body string, _ error) {
				if code != 200 || !strings.Contains(body, `"isError":true`) || !strings.Contains(body, MessageInvalidAPIKey) {
					t.Errorf("HTTP %d %s", code, body)
				}
			}},
		{name: "server error", fault: fakehr.Fault{Kind: fakehr.FaultServerError},
			check: func(t *testing.T, code int, _ http.Header, _ string, _ error) {
				if code != 503 {
					t.Errorf("HTTP %d, want 503", code)
				}
			}},
		{name: "server error code", fault: fakehr.Fault{Kind: fakehr.FaultServerError, Code: 502},
			check: func(t *testing.T, code int, _ http.Header, _ string, _ error) {
				if code != 502 {
					t.Errorf("HTTP %d, want 502", code)
				}
			}},
		{name: "rate limited with Retry-After", fault: fakehr.Fault{Kind: fakehr.FaultRateLimited, RetryAfter: 1500 * time.Millisecond},
			check: func(t *testing.T, code int, h http.Header, _ string, _ error) {
				if code != 429 || h.Get("Retry-After") != "2" {
					t.Errorf("HTTP %d Retry-After %q, want 429 and 2", code, h.Get("Retry-After"))
				}
			}},
		{name: "rate limited without Retry-After", fault: fakehr.Fault{Kind: fakehr.FaultRateLimited},
			check: func(t *testing.T, code int, h http.Header, _ string, _ error) {
				if code != 429 || h.Get("Retry-After") != "" {
					t.Errorf("HTTP %d Retry-After %q, want 429 and none", code, h.Get("Retry-After"))
				}
			}},
		{name: "malformed", fault: fakehr.Fault{Kind: fakehr.FaultMalformedJSON},
			check: func(t *testing.T, code int, _ http.Header, body string, _ error) {
				if code != 200 || json.Valid([]byte(body)) {
					t.Errorf("HTTP %d, valid JSON %v", code, json.Valid([]byte(body)))
				}
			}},
		{name: "truncated", fault: fakehr.Fault{Kind: fakehr.FaultTruncatedBody},
			check: func(t *testing.T, _ int, _ http.Header, _ string, err error) {
				if err == nil {
					t.Errorf("reading a cut-off body succeeded")
				}
			}},
		{name: "missing page", fault: fakehr.Fault{Kind: fakehr.FaultMissingPage},
			check: func(t *testing.T, _ int, _ http.Header, _ string, err error) {
				if err == nil {
					t.Errorf("reading a cut-off body succeeded")
				}
			}},
		{name: "empty list", fault: fakehr.Fault{Kind: fakehr.FaultEmptyList},
			check: func(t *testing.T, code int, _ http.Header, body string, _ error) {
				if code != 200 || !strings.Contains(body, `"Result":[]`) {
					t.Errorf("HTTP %d %s", code, body)
				}
			}},
		{name: "error envelope", fault: fakehr.Fault{Kind: fakehr.FaultErrorEnvelope, Message: "Database is down"},
			check: func(t *testing.T, code int, _ http.Header, body string, _ error) {
				if code != 200 || body != `{"isError":true,"Status":6,"Message":"Database is down","Result":null}` {
					t.Errorf("HTTP %d %s", code, body)
				}
			}},
		{name: "error envelope with the vendor's code and text", fault: fakehr.Fault{Kind: fakehr.FaultErrorEnvelope, Code: 5,
			Message: "No access on employee schema."},
			check: func(t *testing.T, code int, _ http.Header, body string, _ error) {
				if code != 200 || body != `{"isError":true,"Status":5,"Message":"No access on employee schema.","Result":null}` {
					t.Errorf("HTTP %d %s", code, body)
				}
			}},
		{name: "error envelope without a message", fault: fakehr.Fault{Kind: fakehr.FaultErrorEnvelope},
			check: func(t *testing.T, code int, _ http.Header, body string, _ error) {
				if code != 200 || !strings.Contains(body, MessageServerError) {
					t.Errorf("HTTP %d %s", code, body)
				}
			}},
		{name: "hang that ends", fault: fakehr.Fault{Kind: fakehr.FaultHang, Delay: 10 * time.Millisecond},
			check: func(t *testing.T, code int, _ http.Header, body string, err error) {
				if err != nil || code != 200 || !json.Valid([]byte(body)) {
					t.Errorf("HTTP %d err %v", code, err)
				}
			}},
		{name: "duplicate ids", fault: fakehr.Fault{Kind: fakehr.FaultDuplicateIDs},
			check: func(t *testing.T, _ int, _ http.Header, body string, _ error) {
				if strings.Count(body, `"DisplayValue":"PW1"`) < 2+1 { // id twice, plus PW2's ReportsToEmployeeId
					t.Errorf("PW1 is not served twice")
				}
			}},
		{name: "slow body completes", fault: fakehr.Fault{Kind: fakehr.FaultSlowBody, Delay: 10 * time.Millisecond},
			check: func(t *testing.T, code int, _ http.Header, body string, err error) {
				if err != nil || code != 200 || !json.Valid([]byte(body)) {
					t.Errorf("HTTP %d err %v", code, err)
				}
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newServer(t)
			tt.fault.Times = 1
			s.InjectFault(tt.fault)
			resp, err := http.Post(s.URL()+"/Employee", "application/json", strings.NewReader(good))
			if err != nil {
				t.Fatal(err)
			}
			body, rerr := io.ReadAll(resp.Body)
			resp.Body.Close()
			tt.check(t, resp.StatusCode, resp.Header, string(body), rerr)

			after := post(t, s.URL(), good)
			if after.code != 200 || after.env.IsError || len(after.env.Result) != 4 {
				t.Errorf("the fault did not clear after Times=1: HTTP %d %s", after.code, after.raw)
			}
			if s.Requests() != 2 {
				t.Errorf("Requests() = %d, want 2", s.Requests())
			}
		})
	}
}

func TestHangUntilTheClientGivesUp(t *testing.T) {
	s := newServer(t)
	s.InjectFault(fakehr.Fault{Kind: fakehr.FaultHang})
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, s.URL()+"/Employee",
		strings.NewReader(request(DefaultAPIKey, "GetAllEmployeeDetail", "true")))
	resp, err := http.DefaultClient.Do(req)
	if err == nil {
		resp.Body.Close()
		t.Fatalf("HTTP %d; want no answer before the client's deadline", resp.StatusCode)
	}
}

func TestRequestKey(t *testing.T) {
	for body, want := range map[string]string{
		request("k-1", "GetAllEmployeeDetail", "true"): "k-1",
		`{"apikey":"k-2"}`: "k-2",
		`{"APIKey":7}`:     "",
		`not json`:         "",
	} {
		r := httptest.NewRequest(http.MethodPost, "/Employee", strings.NewReader(body))
		if got := RequestKey(r); got != want {
			t.Errorf("RequestKey(%s) = %q, want %q", body, got, want)
		}
		if rest, _ := io.ReadAll(r.Body); string(rest) != body {
			t.Errorf("the body was consumed: %q left of %q", rest, body)
		}
	}
}

func TestFaultQueueAndCountdown(t *testing.T) {
	s := newServer(t)
	good := request(DefaultAPIKey, "GetAllEmployeeDetail", "true")
	s.InjectFault(fakehr.Fault{Kind: fakehr.FaultServerError, Times: 2})
	s.InjectFault(fakehr.Fault{Kind: fakehr.FaultRateLimited, Times: 1})
	var codes []int
	for i := 0; i < 4; i++ {
		codes = append(codes, post(t, s.URL(), good).code)
	}
	if want := []int{503, 503, 429, 200}; !equalInts(codes, want) {
		t.Errorf("codes %v, want %v", codes, want)
	}
	s.InjectFault(fakehr.Fault{Kind: fakehr.FaultServerError}) // Times 0: until cleared
	for i := 0; i < 3; i++ {
		if c := post(t, s.URL(), good).code; c != 503 {
			t.Errorf("a persistent fault answered %d", c)
		}
	}
	s.ClearFaults()
	if c := post(t, s.URL(), good).code; c != 200 {
		t.Errorf("after ClearFaults: HTTP %d", c)
	}
	if s.Requests() != 8 {
		t.Errorf("Requests() = %d, want 8", s.Requests())
	}
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

func TestCompanyChangesAndKeyRotation(t *testing.T) {
	s := newServer(t)
	s.Update(func(c *fakehr.Company) {
		c.RemoveEmployee("PW4")
		c.Departments[0].Name = "Platform Engineering"
	})
	a := post(t, s.URL(), request(DefaultAPIKey, "GetAllEmployeeDetail", "true"))
	if got := strings.Join(ids(a), " "); got != "PW1 PW2 PW3" {
		t.Errorf("after removing PW4: %q", got)
	}
	if !strings.Contains(a.raw, "Platform Engineering") {
		t.Errorf("the renamed department is not served")
	}
	if got := s.Company(); len(got.Employees) != 3 {
		t.Errorf("Company() has %d employees", len(got.Employees))
	}
	s.SetCompany(company())
	s.SetAPIKey("rotated")
	if a := post(t, s.URL(), request(DefaultAPIKey, "GetAllEmployeeDetail", "true")); !a.env.IsError {
		t.Errorf("the old key still works after rotation")
	}
	if a := post(t, s.URL(), request("rotated", "GetAllEmployeeDetail", "true")); a.env.IsError || len(a.env.Result) != 4 {
		t.Errorf("the new key: %s", a.raw)
	}
	if s.APIKey() != "rotated" {
		t.Errorf("APIKey() = %q", s.APIKey())
	}
}

func TestNewWithoutListener(t *testing.T) {
	s := New(company(), "k", WithClock(func() time.Time { return today }))
	ts := httptest.NewServer(s.Handler())
	defer ts.Close()
	s.SetURL(ts.URL + "/")
	if s.URL() != ts.URL {
		t.Errorf("URL() = %q, want %q", s.URL(), ts.URL)
	}
	if a := post(t, s.URL(), request("k", "GetAllEmployeeDetail", "true")); a.env.IsError || len(a.env.Result) != 4 {
		t.Errorf("%s", a.raw)
	}
	s.Close() // no listener: nothing to do
}

func TestConcurrentUse(t *testing.T) {
	s := newServer(t)
	good := request(DefaultAPIKey, "GetAllEmployeeDetail", "true")
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		wg.Add(2)
		go func() {
			defer wg.Done()
			resp, err := http.Post(s.URL()+"/Employee", "application/json", strings.NewReader(good))
			if err == nil {
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
			}
		}()
		go func(i int) {
			defer wg.Done()
			s.Update(func(c *fakehr.Company) { c.Employees[0].JobTitle = strings.Repeat("x", i) })
			s.InjectFault(fakehr.Fault{Kind: fakehr.FaultEmptyList, Times: 1})
			_ = s.Company()
		}(i)
	}
	wg.Wait()
	if s.Requests() != 8 {
		t.Errorf("Requests() = %d, want 8", s.Requests())
	}
}
