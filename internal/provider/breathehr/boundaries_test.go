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
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/dirsync/dirsync/internal/provider"
	"github.com/dirsync/dirsync/internal/provider/fakehr"
)

// Boundary cases of the decoders, pagination and retries, each with the value the specification gives
// (RFC 8288 for Link, shared/providers.md for Breathe HR); gremlins found each untested.

func TestEmail(t *testing.T) {
	for in, want := range map[string]string{
		"ann@example.com":   "ann@example.com",
		" ann@example.com ": "ann@example.com",
		"a@b":               "a@b",
		"@example.com":      "", // nothing before the @
		"ann@":              "", // nothing after it
		"a@b@c":             "",
		"a b@c":             "",
		"":                  "",
	} {
		if got := email(in); got != want {
			t.Errorf("email(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestParseLinksMalformedParameters(t *testing.T) {
	tests := []struct {
		in   string
		want map[string]string
	}{
		// An unterminated quoted value runs to the end of the header.
		{`<https://a/2>; rel="next`, map[string]string{"next": "https://a/2"}},
		// A backslash at the very end escapes nothing and is kept.
		{`<https://a/2>; rel="ne\`, map[string]string{"ne\\": "https://a/2"}},
		// An empty token value: no relation, and the next parameter is not swallowed into it.
		{`<https://a/2>; rel=; title=x`, map[string]string{}},
		{`<https://a/2>; =x; rel=next`, map[string]string{"next": "https://a/2"}},
		{`<https://a/2>; rel=next;`, map[string]string{"next": "https://a/2"}},
	}
	for _, tt := range tests {
		got, found := parseLinks([]string{tt.in})
		if diff := cmp.Diff(tt.want, got); diff != "" || !found {
			t.Errorf("parseLinks(%q): found %v, want true; links (-want +got):\n%s", tt.in, found, diff)
		}
	}
}

func TestWireIDBoundaries(t *testing.T) {
	for in, want := range map[string]string{
		`1990`:               "1990", // every digit is a digit
		`"9"`:                "9",
		`1.0`:                "1",                // the smallest id, written as a float
		`9007199254740992.0`: "9007199254740992", // 2^53, the largest a float holds exactly
		`9007199254740994.0`: "",                 // beyond it
		`9007199254740993`:   "9007199254740993", // digits are exact at any size a uint64 holds
	} {
		var id wireID
		err := json.Unmarshal([]byte(in), &id)
		if string(id) != want || (err != nil) != (want == "") {
			t.Errorf("wireID(%s) = %q, %v; want %q", in, id, err, want)
		}
	}
}

func TestWireRefNeverFails(t *testing.T) {
	for _, in := range []string{"", " ", "{", "{}", `"x"`, "12"} {
		r := wireRef{ID: "stale"}
		if err := r.UnmarshalJSON([]byte(in)); err != nil {
			t.Errorf("wireRef.UnmarshalJSON(%q) = %v, want nil", in, err)
		}
		if in != "12" && r.ID != "" {
			t.Errorf("wireRef.UnmarshalJSON(%q) kept id %q", in, r.ID)
		}
	}
}

// A listing of exactly MaxPages pages is complete; only one more page is too many.
func TestFetchAtExactlyMaxPages(t *testing.T) {
	srv := pageServer(t, func(w http.ResponseWriter, _ *http.Request, page int) {
		fmt.Fprint(w, employeesJSON(page*1000, []int{0, 100, 100, 100, 100, 7}[min(page, 5)]))
	})
	c := testClient(t, srv.URL+"/v1", nil)
	c.maxPages = 5
	snap, err := c.Fetch(context.Background())
	if err != nil || len(snap.Employees) != 407 {
		t.Fatalf("Fetch = %d employees, %v; want 407 in 5 pages", len(snapEmployees(snap)), err)
	}
}

func snapEmployees(s *provider.Snapshot) []provider.Employee {
	if s == nil {
		return nil
	}
	return s.Employees
}

// Total: 0 is a count like any other: rows beyond it are an inconsistent listing.
func TestFetchTotalZeroWithRows(t *testing.T) {
	srv := pageServer(t, func(w http.ResponseWriter, _ *http.Request, _ int) {
		w.Header().Set("Total", "0")
		fmt.Fprint(w, employeesJSON(1, 1))
	})
	_, err := testClient(t, srv.URL+"/v1", nil).Fetch(context.Background())
	if !errors.Is(err, provider.ErrInvalidResponse) || !strings.Contains(err.Error(), "read 1 employees but the Total header says 0") {
		t.Fatalf("Fetch = %v, want ErrInvalidResponse: read 1 but Total says 0", err)
	}
}

// Per-Page: 0 says nothing about the page size: the client keeps its own 100, for paging and progress.
func TestFetchIgnoresPerPageZero(t *testing.T) {
	srv := pageServer(t, func(w http.ResponseWriter, _ *http.Request, page int) {
		w.Header().Set("Per-Page", "0")
		w.Header().Set("Total", "105")
		fmt.Fprint(w, employeesJSON(page*1000, []int{0, 100, 5}[min(page, 2)]))
	})
	c := testClient(t, srv.URL+"/v1", nil)
	var got []string
	c.progress = func(done, total int) { got = append(got, fmt.Sprintf("%d/%d", done, total)) }
	snap, err := c.Fetch(context.Background())
	if err != nil || len(snap.Employees) != 105 {
		t.Fatalf("Fetch = %d employees, %v; want 105", len(snapEmployees(snap)), err)
	}
	// The departments page (no Total: unknown), then 105 employees at 100 a page: 2 pages.
	if d := cmp.Diff([]string{"1/0", "2/3", "3/3"}, got); d != "" {
		t.Errorf("progress (-want +got):\n%s", d)
	}
}

// Progress uses the server's Per-Page: 60 employees at 25 a page are three pages.
func TestProgressHonoursPerPage(t *testing.T) {
	srv := pageServer(t, func(w http.ResponseWriter, _ *http.Request, page int) {
		w.Header().Set("Per-Page", "25")
		w.Header().Set("Total", "60")
		fmt.Fprint(w, employeesJSON(page*1000, []int{0, 25, 25, 10}[min(page, 3)]))
	})
	c := testClient(t, srv.URL+"/v1", nil)
	var got []string
	c.progress = func(done, total int) { got = append(got, fmt.Sprintf("%d/%d", done, total)) }
	if _, err := c.Fetch(context.Background()); err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff([]string{"1/0", "2/4", "3/4", "4/4"}, got); d != "" {
		t.Errorf("progress (-want +got):\n%s", d)
	}
}

// Progress counts whole pages: 200 employees are two pages, not three; an empty listing is still one.
func TestProgressPageCounts(t *testing.T) {
	for _, tt := range []struct {
		employees int
		want      []string
	}{
		{employees: 200, want: []string{"1/1", "2/3", "3/3"}},
		{employees: 0, want: []string{"1/1", "2/2"}},
	} {
		co := fakehr.Company{Departments: []fakehr.Department{{ID: "1", Name: "Engineering"}}}
		if tt.employees > 0 { // (fakehr.Generate makes its default size of 0)
			co.Employees = company(tt.employees).Employees
		}
		s := startFake(t, co)
		c := testClient(t, s.URL(), nil)
		var got []string
		c.progress = func(done, total int) { got = append(got, fmt.Sprintf("%d/%d", done, total)) }
		if _, err := c.Fetch(context.Background()); err != nil {
			t.Fatal(err)
		}
		if d := cmp.Diff(tt.want, got); d != "" {
			t.Errorf("%d employees: progress (-want +got):\n%s", tt.employees, d)
		}
	}
}

// After a 429 the client waits at most RateLimitWaits (3) times for one request, then fails.
func TestRateLimitWaitsThreeTimesThenFails(t *testing.T) {
	clk := newFakeClock()
	s := startFake(t, company(5))
	s.InjectFault(fakehr.Fault{Kind: fakehr.FaultRateLimited, RetryAfter: time.Second, Times: 4})
	_, err := testClient(t, s.URL(), nil, paced(clk, &budgets{})).Fetch(context.Background())
	var rl *provider.RateLimitedError
	if !errors.As(err, &rl) || !strings.Contains(err.Error(), "still after waiting 3 times") {
		t.Fatalf("Fetch = %v, want a RateLimitedError after 3 waits", err)
	}
	if diff := cmp.Diff([]time.Duration{time.Second, time.Second, time.Second}, clk.sleeps()); diff != "" {
		t.Errorf("waits (-want +got):\n%s", diff)
	}
}

// Any 2xx is a success, 299 included.
func TestStatus299IsSuccess(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(299)
		if strings.HasSuffix(r.URL.Path, "/departments") {
			fmt.Fprint(w, `{"departments": []}`)
			return
		}
		fmt.Fprint(w, employeesJSON(1, 2))
	}))
	t.Cleanup(srv.Close)
	snap, err := testClient(t, srv.URL+"/v1", nil).Fetch(context.Background())
	if err != nil || len(snap.Employees) != 2 {
		t.Fatalf("Fetch = %d employees, %v; want 2", len(snapEmployees(snap)), err)
	}
}

// A 429 the client does not wait out (a Retry-After beyond a minute goes to the controller) is
// reported as it came: it did not wait at all.
func TestRateLimitNotWaitedSaysNoWaits(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Retry-After", "120")
		w.WriteHeader(http.StatusTooManyRequests)
	}))
	t.Cleanup(srv.Close)
	_, err := testClient(t, srv.URL+"/v1", nil).Fetch(context.Background())
	var rl *provider.RateLimitedError
	if !errors.As(err, &rl) || rl.RetryAfter != 2*time.Minute || strings.Contains(err.Error(), "waiting") {
		t.Fatalf("Fetch = %v, want a RateLimitedError of 2m that mentions no waiting", err)
	}
}

// A date written with JSON escapes is still a date.
func TestWireDateWithEscapes(t *testing.T) {
	var d wireDate
	if err := json.Unmarshal([]byte(`"2024\u002d05\u002d01"`), &d); err != nil || d != "2024-05-01" {
		t.Fatalf("wireDate = %q, %v; want 2024-05-01", d, err)
	}
}
