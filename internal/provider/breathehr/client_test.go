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
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/dirsync/dirsync/internal/provider"
	"github.com/dirsync/dirsync/internal/provider/breathehr/fake"
	"github.com/dirsync/dirsync/internal/provider/fakehr"
	"github.com/dirsync/dirsync/internal/provider/providertest"
)

// testKey is recognisable so tests can prove it never leaks into error text.
const testKey = "prod-SECRET-k3y-DO-NOT-LEAK-0123456789"

var today = time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)

func company(n int) fakehr.Company {
	return fakehr.Generate(fakehr.GenerateOptions{Seed: 42, Employees: n, Today: today})
}

func startFake(t *testing.T, c fakehr.Company, opts ...fake.Option) *fake.Server {
	t.Helper()
	s := fake.NewServer(c, append([]fake.Option{fake.WithAPIKey(testKey)}, opts...)...)
	t.Cleanup(s.Close)
	return s
}

// fakeClock is the budget's clock in tests: sleeping advances it at once and is recorded.
type fakeClock struct {
	mu    sync.Mutex
	t     time.Time
	slept []time.Duration
}

func newFakeClock() *fakeClock { return &fakeClock{t: today} }

func (c *fakeClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if d > 0 {
		c.t = c.t.Add(d)
		c.slept = append(c.slept, d)
	}
	return nil
}

func (c *fakeClock) sleeps() []time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]time.Duration(nil), c.slept...)
}

// testOptions are unpaced, with a fake clock and a registry of their own, so tests neither wait nor share.
func testOptions(clk *fakeClock) options {
	return options{window: BudgetWindow, waits: RateLimitWaits, clock: clk.now, sleep: clk.sleep, accounts: &budgets{}}
}

// testClient builds a client for base with testOptions changed by opts; hc may be nil.
func testClient(t *testing.T, base string, hc *http.Client, opts ...func(*options)) *Client {
	t.Helper()
	o := testOptions(newFakeClock())
	for _, opt := range opts {
		opt(&o)
	}
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	c, err := newClient(provider.Config{AllowedHosts: providertest.LocalHosts, BaseURL: u, APIKey: testKey, HTTPClient: hc, Now: func() time.Time { return today }}, o)
	if err != nil {
		t.Fatalf("newClient: %v", err)
	}
	return c
}

// want is what the client must make of a fake employee, which the fake renders with everything it has.
func want(e fakehr.Employee, c fakehr.Company) provider.Employee {
	out := provider.Employee{
		ExternalID:        e.ID,
		Email:             e.Email,
		FirstName:         e.FirstName,
		LastName:          e.LastName,
		PreferredName:     e.KnownAs,
		DisplayName:       providertest.DisplayName(e.KnownAs, e.FirstName, e.LastName),
		JobTitle:          e.JobTitle,
		Active:            e.Status == fakehr.Current || e.Status == fakehr.PendingLeaver,
		EmploymentStatus:  strings.TrimSpace(fake.StatusText(e.Status)),
		ManagerExternalID: e.ManagerID,
		StartDate:         e.StartDate,
		EndDate:           e.LeavingDate,
		EmploymentType:    e.EmploymentType,
		Location:          providertest.Affiliation(e.Location.ID, e.Location.Name),
		Division:          providertest.Affiliation(e.Division.ID, e.Division.Name),
	}
	if e.DepartmentID != "" {
		out.DepartmentIDs = []string{e.DepartmentID}
	}
	if m := c.Employee(e.ManagerID); m != nil {
		out.ManagerEmail = m.Email
	}
	return out
}

func checkSnapshot(t *testing.T, c fakehr.Company, snap *provider.Snapshot) {
	t.Helper()
	wantEmps := make([]provider.Employee, 0, len(c.Employees))
	for _, e := range c.Employees {
		wantEmps = append(wantEmps, want(e, c))
	}
	if diff := cmp.Diff(wantEmps, snap.Employees); diff != "" {
		t.Errorf("employees (-want +got):\n%s", diff)
	}
	var wantDepts []provider.Department
	for _, d := range c.Departments {
		wantDepts = append(wantDepts, provider.Department{ExternalID: d.ID, Name: d.Name})
	}
	if diff := cmp.Diff(wantDepts, snap.Departments); diff != "" {
		t.Errorf("departments (-want +got):\n%s", diff)
	}
}

func TestFetchGeneratedCompany(t *testing.T) {
	c := company(250)
	s := startFake(t, c)
	snap, err := testClient(t, s.URL(), nil).Fetch(context.Background())
	if err != nil {
		t.Fatalf("Fetch: %v", err)
	}
	checkSnapshot(t, c, snap)

	var states = map[bool]int{}
	for _, e := range snap.Employees {
		states[e.Active]++
	}
	if states[true] == 0 || states[false] == 0 {
		t.Errorf("generated company should have active and inactive employees, got %v", states)
	}
	// 1 department page + 3 employee pages (100, 100, 50).
	if snap.Requests != 4 || s.Requests() != 4 {
		t.Errorf("requests: snapshot %d, server %d; want 4", snap.Requests, s.Requests())
	}
	if snap.Bytes < 100*250 {
		t.Errorf("Bytes = %d, implausibly small", snap.Bytes)
	}
}

func TestFetchNonASCIINames(t *testing.T) {
	c := fakehr.Company{
		Departments: []fakehr.Department{{ID: "10", Name: "Ingeniería & Diseño"}},
		Employees: []fakehr.Employee{
			{ID: "1", FirstName: "Zoë", LastName: "Brontë", Email: "zoe@example.com", Status: fakehr.Current, DepartmentID: "10"},
			{ID: "2", FirstName: "Łukasz", LastName: "Ó Súilleabháin", KnownAs: "Łuki 🚀", Status: fakehr.PendingLeaver, ManagerID: "1"},
			{ID: "3", FirstName: "さくら", LastName: "田中", Status: fakehr.Former, LeavingDate: "2025-12-31"},
		},
	}
	s := startFake(t, c)
	snap, err := testClient(t, s.URL(), nil).Fetch(context.Background())
	if err != nil {
		t.Fatalf("Fetch: %v", err)
	}
	checkSnapshot(t, c, snap)
}

func TestFetchPagination(t *testing.T) {
	tests := []struct {
		name         string
		employees    int
		opts         []fake.Option
		wantRequests int // including the one departments page
	}{
		{name: "link next followed", employees: 250, wantRequests: 1 + 3},
		{name: "links without next end the listing", employees: 200, wantRequests: 1 + 2},
		{name: "no link header: until a short page", employees: 250, opts: []fake.Option{fake.WithoutLinkHeader()}, wantRequests: 1 + 3},
		{name: "no link header: a full last page needs an empty one", employees: 200,
			opts: []fake.Option{fake.WithoutLinkHeader()}, wantRequests: 1 + 3},
		{name: "no headers at all", employees: 101, opts: []fake.Option{fake.WithoutLinkHeader(), fake.WithoutTotalHeader()}, wantRequests: 1 + 2},
		{name: "empty account", employees: 0, opts: []fake.Option{fake.WithoutLinkHeader()}, wantRequests: 1 + 1},
		{name: "server default page size is ignored: client asks for 100", employees: 250,
			opts: []fake.Option{fake.WithoutLinkHeader(), fake.WithoutTotalHeader(), fake.WithDefaultPerPage(25)}, wantRequests: 1 + 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := company(1)
			c.Employees = company(max(tt.employees, 1)).Employees[:tt.employees]
			s := startFake(t, c, tt.opts...)
			snap, err := testClient(t, s.URL(), nil).Fetch(context.Background())
			if err != nil {
				t.Fatalf("Fetch: %v", err)
			}
			checkSnapshot(t, c, snap)
			if s.Requests() != tt.wantRequests || snap.Requests != tt.wantRequests {
				t.Errorf("requests: server %d, snapshot %d; want %d", s.Requests(), snap.Requests, tt.wantRequests)
			}
		})
	}
}

// pageServer serves /v1/employees from a function of the page number; departments are empty.
func pageServer(t *testing.T, serve func(w http.ResponseWriter, r *http.Request, page int)) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/v1/departments" {
			fmt.Fprint(w, `{"departments": []}`)
			return
		}
		// The client always asks for a numbered page (pagination.go); anything else is a bug to report.
		page, err := strconv.Atoi(r.URL.Query().Get("page"))
		if err != nil {
			t.Errorf("request %s: page is not a number: %v", r.URL.RequestURI(), err)
			http.Error(w, "page is not a number", http.StatusBadRequest)
			return
		}
		serve(w, r, page)
	}))
	t.Cleanup(srv.Close)
	return srv
}

// employeesJSON is a page of n employees with ids from first.
func employeesJSON(first, n int) string {
	var rows []string
	for i := 0; i < n; i++ {
		rows = append(rows, fmt.Sprintf(`{"id": %d, "first_name": "E%d", "status": "Current employee"}`, first+i, first+i))
	}
	return `{"employees": [` + strings.Join(rows, ",") + `]}`
}

func TestFetchPaginationFailures(t *testing.T) {
	tests := []struct {
		name    string
		serve   func(srvURL string) func(w http.ResponseWriter, r *http.Request, page int)
		wantMsg string
	}{
		{
			name: "Total disagrees with the rows read",
			serve: func(string) func(http.ResponseWriter, *http.Request, int) {
				return func(w http.ResponseWriter, _ *http.Request, _ int) {
					w.Header().Set("Total", "150")
					fmt.Fprint(w, employeesJSON(1, 40))
				}
			},
			wantMsg: "read 40 employees but the Total header says 150",
		},
		{
			name: "Total changes during the listing",
			serve: func(string) func(http.ResponseWriter, *http.Request, int) {
				return func(w http.ResponseWriter, _ *http.Request, page int) {
					w.Header().Set("Total", fmt.Sprint(150+page))
					fmt.Fprint(w, employeesJSON(page*100, 100))
				}
			},
			wantMsg: "Total header changed from 151 to 152",
		},
		{
			name: "Total is not a number",
			serve: func(string) func(http.ResponseWriter, *http.Request, int) {
				return func(w http.ResponseWriter, _ *http.Request, _ int) {
					w.Header().Set("Total", "lots")
					fmt.Fprint(w, employeesJSON(1, 3))
				}
			},
			wantMsg: "Total header is not a number",
		},
		{
			name: "next link repeats a page",
			serve: func(base string) func(http.ResponseWriter, *http.Request, int) {
				return func(w http.ResponseWriter, _ *http.Request, page int) {
					w.Header().Set("Link", fmt.Sprintf(`<%s/v1/employees?page=1&per_page=100>; rel="next"`, base))
					fmt.Fprint(w, employeesJSON(page*100, 100))
				}
			},
			wantMsg: "repeats a page already read",
		},
		{
			name: "the same page id twice across pages",
			serve: func(string) func(http.ResponseWriter, *http.Request, int) {
				return func(w http.ResponseWriter, _ *http.Request, page int) {
					if page == 1 {
						fmt.Fprint(w, employeesJSON(1, 100))
						return
					}
					fmt.Fprint(w, employeesJSON(100, 3)) // 100 was on page 1: the listing shifted
				}
			},
			wantMsg: "employee id 100 is listed twice",
		},
		{
			name: "missing employees list",
			serve: func(string) func(http.ResponseWriter, *http.Request, int) {
				return func(w http.ResponseWriter, _ *http.Request, _ int) { fmt.Fprint(w, `{"employee": []}`) }
			},
			wantMsg: `no "employees" list`,
		},
		{
			name: "employee without an id",
			serve: func(string) func(http.ResponseWriter, *http.Request, int) {
				return func(w http.ResponseWriter, _ *http.Request, _ int) {
					fmt.Fprint(w, `{"employees": [{"id": 1}, {"id": null, "first_name": "X"}]}`)
				}
			},
			wantMsg: "employee 2 on the page has no id",
		},
		{
			name: "employee id that is not a number",
			serve: func(string) func(http.ResponseWriter, *http.Request, int) {
				return func(w http.ResponseWriter, _ *http.Request, _ int) {
					fmt.Fprint(w, `{"employees": [{"id": "jane@example.com"}]}`)
				}
			},
			wantMsg: "an id is not a positive integer",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var base string
			srv := pageServer(t, func(w http.ResponseWriter, r *http.Request, page int) { tt.serve(base)(w, r, page) })
			base = srv.URL
			snap, err := testClient(t, srv.URL+"/v1", nil).Fetch(context.Background())
			if snap != nil {
				t.Errorf("got a snapshot with an error")
			}
			if !errors.Is(err, provider.ErrInvalidResponse) {
				t.Fatalf("err = %v, want ErrInvalidResponse", err)
			}
			if !strings.Contains(err.Error(), tt.wantMsg) {
				t.Errorf("err = %q, want it to contain %q", err, tt.wantMsg)
			}
			if strings.Contains(err.Error(), "jane@example.com") {
				t.Errorf("error quotes response data: %q", err)
			}
		})
	}
}

func TestFetchHonoursPerPageHeader(t *testing.T) {
	// The server caps pages at 25 rows, sends no Link and no Total, and says so only in Per-Page: without
	// it, a first page of 25 (< 100) would look like the last one and 35 employees would be lost.
	srv := pageServer(t, func(w http.ResponseWriter, _ *http.Request, page int) {
		w.Header().Set("Per-Page", "25")
		fmt.Fprint(w, employeesJSON(page*1000, []int{0, 25, 25, 10}[min(page, 3)]))
	})
	snap, err := testClient(t, srv.URL+"/v1", nil).Fetch(context.Background())
	if err != nil {
		t.Fatalf("Fetch: %v", err)
	}
	if len(snap.Employees) != 60 || snap.Requests != 1+3 {
		t.Errorf("got %d employees in %d requests, want 60 in 4", len(snap.Employees), snap.Requests)
	}
}

func TestFetchStopsAfterMaxPages(t *testing.T) {
	srv := pageServer(t, func(w http.ResponseWriter, _ *http.Request, page int) {
		fmt.Fprint(w, employeesJSON(page*100, 100)) // always a full page, never an end
	})
	c := testClient(t, srv.URL+"/v1", nil)
	c.maxPages = 5
	_, err := c.Fetch(context.Background())
	if !errors.Is(err, provider.ErrInvalidResponse) || !strings.Contains(err.Error(), "more than 5 pages") {
		t.Fatalf("err = %v, want ErrInvalidResponse after 5 pages", err)
	}
}

// recorder is a second server that counts requests and records whether any carried the key.
type recorder struct {
	*httptest.Server
	mu       sync.Mutex
	requests int
	sawKey   bool
}

func newRecorder(t *testing.T) *recorder {
	rec := &recorder{}
	rec.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec.mu.Lock()
		defer rec.mu.Unlock()
		rec.requests++
		for _, v := range r.Header {
			if strings.Contains(strings.Join(v, ","), testKey) {
				rec.sawKey = true
			}
		}
		fmt.Fprint(w, `{"employees": [], "departments": []}`)
	}))
	t.Cleanup(rec.Close)
	return rec
}

func TestKeyNeverSentToAnotherHost(t *testing.T) {
	clients := map[string]*http.Client{
		"default client":                     nil,
		"plain http.Client that follows any": {},
	}
	for cname, hc := range clients {
		t.Run(cname+"/next link to another host", func(t *testing.T) {
			rec := newRecorder(t)
			srv := pageServer(t, func(w http.ResponseWriter, _ *http.Request, _ int) {
				w.Header().Set("Link", fmt.Sprintf(`<%s/v1/employees?page=2>; rel="next"`, rec.URL))
				fmt.Fprint(w, employeesJSON(1, 100))
			})
			_, err := testClient(t, srv.URL+"/v1", hc).Fetch(context.Background())
			if !errors.Is(err, provider.ErrInvalidResponse) {
				t.Fatalf("err = %v, want ErrInvalidResponse", err)
			}
			if rec.requests != 0 || rec.sawKey {
				t.Errorf("other host got %d requests (key seen: %v)", rec.requests, rec.sawKey)
			}
		})
		t.Run(cname+"/redirect to another host", func(t *testing.T) {
			rec := newRecorder(t)
			srv := pageServer(t, func(w http.ResponseWriter, r *http.Request, _ int) {
				http.Redirect(w, r, rec.URL+"/v1/employees", http.StatusFound)
			})
			_, err := testClient(t, srv.URL+"/v1", hc).Fetch(context.Background())
			if !errors.Is(err, provider.ErrInvalidResponse) || !errors.Is(err, provider.ErrRedirectRefused) {
				t.Fatalf("err = %v, want a refused redirect (ErrInvalidResponse)", err)
			}
			if rec.requests != 0 || rec.sawKey {
				t.Errorf("other host got %d requests (key seen: %v)", rec.requests, rec.sawKey)
			}
		})
	}
	t.Run("same-host redirect is followed", func(t *testing.T) {
		srv := pageServer(t, func(w http.ResponseWriter, r *http.Request, page int) {
			if r.URL.Query().Get("moved") == "" {
				http.Redirect(w, r, r.URL.Path+"?moved=1&page="+fmt.Sprint(page), http.StatusMovedPermanently)
				return
			}
			fmt.Fprint(w, employeesJSON(1, 2))
		})
		snap, err := testClient(t, srv.URL+"/v1", nil).Fetch(context.Background())
		if err != nil || len(snap.Employees) != 2 {
			t.Fatalf("Fetch = %v, %v; want 2 employees", snap, err)
		}
	})
}

// faultCase is one injected fault and the error the client must return.
type faultCase struct {
	name      string
	fault     fakehr.Fault
	timeout   time.Duration // client timeout; 0 = default
	wantErr   error
	retry     time.Duration // for RateLimitedError
	wantInMsg string
	// wantRequests is how many requests the fetch makes (departments page 1 first); 0 means 1.
	wantRequests int
}

var faultCases = []faultCase{
	{name: "unauthorized", fault: fakehr.Fault{Kind: fakehr.FaultUnauthorized}, wantErr: provider.ErrUnauthorized,
		wantInMsg: `HTTP 401 ("401 Unauthorized")`},
	{name: "server error 503", fault: fakehr.Fault{Kind: fakehr.FaultServerError}, wantErr: provider.ErrUnavailable, wantInMsg: "HTTP 503"},
	{name: "server error 502", fault: fakehr.Fault{Kind: fakehr.FaultServerError, Code: 502}, wantErr: provider.ErrUnavailable, wantInMsg: "HTTP 502"},
	{name: "rate limited: waits the window, then gives up", fault: fakehr.Fault{Kind: fakehr.FaultRateLimited},
		wantInMsg:    `HTTP 429 ("Rate Limit Reached"): the provider is rate limiting requests, still after waiting 3 times`,
		wantRequests: 1 + RateLimitWaits},
	{name: "rate limited with a short Retry-After: waits it, then gives up",
		fault: fakehr.Fault{Kind: fakehr.FaultRateLimited, RetryAfter: 1500 * time.Millisecond}, retry: 2 * time.Second,
		wantInMsg: "still after waiting 3 times", wantRequests: 1 + RateLimitWaits},
	{name: "rate limited with a long Retry-After: the controller waits",
		fault: fakehr.Fault{Kind: fakehr.FaultRateLimited, RetryAfter: 2 * time.Minute}, retry: 2 * time.Minute,
		wantInMsg: "it asked to retry after 2m0s"},
	{name: "malformed JSON", fault: fakehr.Fault{Kind: fakehr.FaultMalformedJSON}, wantErr: provider.ErrInvalidResponse, wantInMsg: "invalid JSON"},
	{name: "truncated body", fault: fakehr.Fault{Kind: fakehr.FaultTruncatedBody}, wantErr: provider.ErrInvalidResponse, wantInMsg: "cut off"},
	{name: "slow body past the timeout", fault: fakehr.Fault{Kind: fakehr.FaultSlowBody, Delay: time.Hour},
		timeout: 300 * time.Millisecond, wantErr: provider.ErrUnavailable, wantInMsg: "timed out"},
	{name: "hang past the timeout", fault: fakehr.Fault{Kind: fakehr.FaultHang},
		timeout: 300 * time.Millisecond, wantErr: provider.ErrUnavailable, wantInMsg: "timed out waiting for the response"},
	{name: "missing page", fault: fakehr.Fault{Kind: fakehr.FaultMissingPage}, wantErr: provider.ErrInvalidResponse,
		wantInMsg: "GET /v1/employees (page 2): HTTP 404", wantRequests: 3},
	{name: "error envelope", fault: fakehr.Fault{Kind: fakehr.FaultErrorEnvelope, Message: "Account suspended: contact support"},
		wantErr: provider.ErrUnavailable, wantInMsg: `HTTP 500 ("Account suspended: contact support")`},
	{name: "duplicate ids", fault: fakehr.Fault{Kind: fakehr.FaultDuplicateIDs}, wantErr: provider.ErrInvalidResponse,
		wantInMsg: "is listed twice", wantRequests: 4},
}

func TestFetchFaults(t *testing.T) {
	for _, tt := range faultCases {
		t.Run(tt.name, func(t *testing.T) {
			s := startFake(t, company(250))
			s.InjectFault(tt.fault)
			var hc *http.Client
			if tt.timeout > 0 {
				hc = provider.NewHTTPClient(provider.HTTPOptions{Timeout: tt.timeout})
			}
			snap, err := testClient(t, s.URL(), hc).Fetch(context.Background())
			if snap != nil {
				t.Errorf("got a snapshot with %d employees; want none", len(snap.Employees))
			}
			if err == nil {
				t.Fatal("Fetch succeeded; want an error")
			}
			if class, problem := providertest.Classify(err); problem != "" {
				t.Fatal(problem)
			} else if tt.wantErr == nil {
				var rl *provider.RateLimitedError
				if !errors.As(err, &rl) {
					t.Fatalf("err = %v (%s), want *RateLimitedError", err, class)
				}
				if rl.RetryAfter != tt.retry {
					t.Errorf("RetryAfter = %v, want %v", rl.RetryAfter, tt.retry)
				}
			} else if !errors.Is(err, tt.wantErr) {
				t.Fatalf("err = %v (%s), want %v", err, class, tt.wantErr)
			}
			if !strings.Contains(err.Error(), tt.wantInMsg) {
				t.Errorf("err = %q, want it to contain %q", err, tt.wantInMsg)
			}
			if strings.Contains(err.Error(), testKey) {
				t.Errorf("error contains the API key: %q", err)
			}
			if want := max(tt.wantRequests, 1); s.Requests() != want {
				t.Errorf("%d requests, want %d", s.Requests(), want)
			}
		})
	}
}

// TestEveryFaultKindIsClassified runs the client against the fake with every fakehr.FaultKind: each
// either fails with exactly one of the provider package's classes or, for a well-formed answer, succeeds.
func TestEveryFaultKindIsClassified(t *testing.T) {
	want := map[fakehr.FaultKind]providertest.Class{
		fakehr.FaultUnauthorized:  providertest.Unauthorized,
		fakehr.FaultServerError:   providertest.Unavailable,
		fakehr.FaultRateLimited:   providertest.RateLimited,
		fakehr.FaultMalformedJSON: providertest.InvalidResponse,
		fakehr.FaultTruncatedBody: providertest.InvalidResponse,
		fakehr.FaultSlowBody:      providertest.Unavailable,
		fakehr.FaultMissingPage:   providertest.InvalidResponse,
		fakehr.FaultEmptyList:     "", // a well-formed, empty account: the deletion guard decides
		fakehr.FaultErrorEnvelope: providertest.Unavailable,
		fakehr.FaultDuplicateIDs:  providertest.InvalidResponse,
		fakehr.FaultHang:          providertest.Unavailable,
	}
	for _, kind := range fakehr.FaultKinds {
		t.Run(string(kind), func(t *testing.T) {
			wantClass, ok := want[kind]
			if !ok {
				t.Fatalf("no expectation for fault kind %s: add one", kind)
			}
			s := startFake(t, company(150))
			s.InjectFault(fakehr.Fault{Kind: kind, Delay: time.Hour})
			hc := provider.NewHTTPClient(provider.HTTPOptions{Timeout: 300 * time.Millisecond})
			snap, err := testClient(t, s.URL(), hc).Fetch(context.Background())
			if wantClass == "" {
				if err != nil || snap == nil {
					t.Fatalf("Fetch = %v, %v; want success", snap, err)
				}
				return
			}
			class, problem := providertest.Classify(err)
			if problem != "" || class != wantClass || snap != nil {
				t.Fatalf("Fetch = %v, %v: class %q %s; want %s", snap, err, class, problem, wantClass)
			}
		})
	}
}

func TestFetchFaultsThatStillSucceed(t *testing.T) {
	t.Run("empty list is a valid, empty account", func(t *testing.T) {
		s := startFake(t, company(250))
		s.InjectFault(fakehr.Fault{Kind: fakehr.FaultEmptyList})
		snap, err := testClient(t, s.URL(), nil).Fetch(context.Background())
		if err != nil || len(snap.Employees) != 0 || len(snap.Departments) != 12 {
			t.Fatalf("Fetch = %+v, %v; want 0 employees, 12 departments", snap, err)
		}
	})
	t.Run("slow body within the timeout", func(t *testing.T) {
		c := company(30)
		s := startFake(t, c)
		s.InjectFault(fakehr.Fault{Kind: fakehr.FaultSlowBody, Delay: time.Millisecond})
		snap, err := testClient(t, s.URL(), nil).Fetch(context.Background())
		if err != nil {
			t.Fatalf("Fetch: %v", err)
		}
		checkSnapshot(t, c, snap)
	})
	t.Run("a fault with Times clears itself", func(t *testing.T) {
		c := company(5)
		s := startFake(t, c)
		s.InjectFault(fakehr.Fault{Kind: fakehr.FaultServerError, Times: 1})
		cl := testClient(t, s.URL(), nil)
		if _, err := cl.Fetch(context.Background()); !errors.Is(err, provider.ErrUnavailable) {
			t.Fatalf("first Fetch: %v, want ErrUnavailable", err)
		}
		snap, err := cl.Fetch(context.Background())
		if err != nil {
			t.Fatalf("second Fetch: %v", err)
		}
		checkSnapshot(t, c, snap)
	})
}

func TestStatusClassification(t *testing.T) {
	long := strings.Repeat("é", 300)
	tests := []struct {
		code      int
		body      string
		header    map[string]string
		wantErr   error // nil: a *RateLimitedError
		wantIn    []string
		wantNotIn []string
	}{
		{code: 401, body: `{"error": "Invalid API key"}`, wantErr: provider.ErrUnauthorized,
			wantIn: []string{"GET /v1/departments (page 1): HTTP 401", `"Invalid API key"`, "check the API key"}},
		{code: 403, body: `{"message": "API access is not enabled"}`, wantErr: provider.ErrUnauthorized,
			wantIn: []string{"HTTP 403", "Settings → Integrations → API Setup"}},
		{code: 404, body: `<html><body>Not Found: internal-router-7</body></html>`, wantErr: provider.ErrInvalidResponse,
			wantIn: []string{"HTTP 404", "base path"}, wantNotIn: []string{"internal-router-7", "<html>"}},
		{code: 400, body: `{"error": {"message": "bad per_page"}}`, wantErr: provider.ErrInvalidResponse, wantIn: []string{`"bad per_page"`}},
		{code: 418, wantErr: provider.ErrInvalidResponse, wantIn: []string{"HTTP 418"}},
		{code: 302, wantErr: provider.ErrInvalidResponse, wantIn: []string{"HTTP 302"}}, // a redirect without Location
		{code: 500, body: `{"error": "` + long + `"}`, wantErr: provider.ErrUnavailable, wantIn: []string{strings.Repeat("é", 99) + "…"},
			wantNotIn: []string{strings.Repeat("é", 100)}},
		{code: 504, body: `{"error": "gateway\ntimeout\u0007"}`, wantErr: provider.ErrUnavailable, wantIn: []string{`"gateway timeout"`}},
		{code: 401, body: `{"error": "key ` + testKey + ` is not valid"}`, wantErr: provider.ErrUnauthorized,
			wantIn: []string{"[redacted]"}},
		{code: 200, body: `not json`, wantErr: provider.ErrInvalidResponse, wantIn: []string{"not the expected JSON"}},
		{code: 200, body: ``, wantErr: provider.ErrInvalidResponse},
		{code: 429, body: `{"error":{"type":"Rate Limit Reached"}}`, wantIn: []string{`HTTP 429 ("Rate Limit Reached")`}},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%d %.20s", tt.code, tt.body), func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("X-Echo-Key", r.Header.Get("X-API-KEY")) // a server that echoes headers
				w.WriteHeader(tt.code)
				fmt.Fprint(w, tt.body)
			}))
			defer srv.Close()
			snap, err := testClient(t, srv.URL+"/v1", nil).Fetch(context.Background())
			var rl *provider.RateLimitedError
			if snap != nil || (tt.wantErr != nil && !errors.Is(err, tt.wantErr)) || (tt.wantErr == nil && !errors.As(err, &rl)) {
				t.Fatalf("Fetch = %v, %v; want %v", snap, err, tt.wantErr)
			}
			for _, s := range tt.wantIn {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("err = %q, want it to contain %q", err, s)
				}
			}
			for _, s := range append(tt.wantNotIn, testKey, "per_page=") {
				if strings.Contains(err.Error(), s) {
					t.Errorf("err = %q contains %q", err, s)
				}
			}
		})
	}
}

func TestTransportErrors(t *testing.T) {
	t.Run("connection refused", func(t *testing.T) {
		srv := httptest.NewServer(http.NotFoundHandler())
		base := srv.URL + "/v1"
		srv.Close()
		_, err := testClient(t, base, nil).Fetch(context.Background())
		if !errors.Is(err, provider.ErrUnavailable) || strings.Contains(err.Error(), testKey) {
			t.Fatalf("err = %v, want ErrUnavailable without the key", err)
		}
	})
	t.Run("context cancelled", func(t *testing.T) {
		s := startFake(t, company(5))
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		_, err := testClient(t, s.URL(), nil).Fetch(ctx)
		if !errors.Is(err, provider.ErrUnavailable) || !errors.Is(err, context.Canceled) {
			t.Fatalf("err = %v, want ErrUnavailable and context.Canceled", err)
		}
	})
}

func TestBodyCap(t *testing.T) {
	s := startFake(t, company(250))
	c := testClient(t, s.URL(), nil)
	c.maxBody = 4096
	snap, err := c.Fetch(context.Background())
	if snap != nil || !errors.Is(err, provider.ErrInvalidResponse) || !errors.Is(err, provider.ErrBodyTooLarge) {
		t.Fatalf("Fetch = %v, %v; want ErrInvalidResponse and ErrBodyTooLarge", snap, err)
	}
}

func TestSnapshotHasNoPersonalData(t *testing.T) {
	c := company(250)
	s := startFake(t, c)
	snap, err := testClient(t, s.URL(), nil).Fetch(context.Background())
	if err != nil {
		t.Fatalf("Fetch: %v", err)
	}
	snap.Requests, snap.Bytes = 0, 0 // counters are numbers that could collide with a salary
	out, err := json.Marshal(snap)
	if err != nil {
		t.Fatal(err)
	}
	text := string(out) + fmt.Sprintf("%+v", *snap)
	for _, e := range c.Employees {
		for field, v := range map[string]string{"dob": e.DateOfBirth, "NI": e.NINumber, "personal email": e.PersonalEmail,
			"mobile": e.PersonalMobile, "address": e.Address1, "postcode": e.Postcode, "salary": `"` + e.Salary + `"`} {
			if v != "" && strings.Contains(text, v) {
				t.Fatalf("snapshot contains %s %q of employee %s", field, v, e.ID)
			}
		}
	}
	// The server did send them: the test would catch a leak.
	raw := fetchRaw(t, s.URL()+"/employees?per_page=1")
	if !strings.Contains(raw, c.Employees[0].NINumber) || !strings.Contains(raw, c.Employees[0].DateOfBirth) {
		t.Fatalf("fake did not serve personal data: %s", raw)
	}
}

func fetchRaw(t *testing.T, u string) string {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, u, nil)
	req.Header.Set("X-API-KEY", testKey)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var b strings.Builder
	buf := make([]byte, 4096)
	for {
		n, err := resp.Body.Read(buf)
		b.Write(buf[:n])
		if err != nil {
			break
		}
	}
	return b.String()
}

func TestLongRetryAfterHTTPDateGoesToTheController(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Retry-After", today.Add(120*time.Second).Format(http.TimeFormat))
		w.WriteHeader(http.StatusTooManyRequests)
	}))
	defer srv.Close()
	_, err := testClient(t, srv.URL, nil).Fetch(context.Background())
	var rl *provider.RateLimitedError
	if !errors.As(err, &rl) || rl.RetryAfter != 120*time.Second {
		t.Fatalf("err = %v, want RateLimitedError{2m}", err)
	}
}

func TestNew(t *testing.T) {
	t.Run("base URL path is kept", func(t *testing.T) {
		var paths []string
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			paths = append(paths, r.URL.Path+"?"+r.URL.RawQuery+" key="+fmt.Sprint(r.Header.Get("X-API-KEY") == testKey))
			fmt.Fprint(w, `{"employees": [], "departments": []}`)
		}))
		defer srv.Close()
		for _, base := range []string{srv.URL + "/custom/v1/", srv.URL} {
			paths = nil
			if _, err := testClient(t, base, nil).Fetch(context.Background()); err != nil {
				t.Fatalf("Fetch(%s): %v", base, err)
			}
			prefix := strings.TrimSuffix(strings.TrimPrefix(base, srv.URL), "/")
			want := []string{
				prefix + "/departments?page=1&per_page=100 key=true",
				prefix + "/employees?page=1&per_page=100 key=true",
			}
			if diff := cmp.Diff(want, paths); diff != "" {
				t.Errorf("base %s: requests (-want +got):\n%s", base, diff)
			}
		}
	})
	t.Run("defaults", func(t *testing.T) {
		p, err := New(provider.Config{AllowedHosts: providertest.LocalHosts, APIKey: " " + testKey + "\n"})
		if err != nil {
			t.Fatal(err)
		}
		c := p.(*Client)
		// The documented production endpoint (shared/providers.md), budget and window (budget.go), and three
		// waits after a 429 (RateLimitWaits' comment).
		if c.base.String() != "https://api.breathehr.com/v1" || c.apiKey != testKey || c.o.budget != 55 || c.o.window != time.Minute ||
			c.o.waits != 3 || c.o.accounts != accounts || c.http == nil {
			t.Errorf("New = base %s, key trimmed %v, options %+v", c.base, c.apiKey == testKey, c.o)
		}
	})
	bad := []struct {
		name    string
		base    string
		key     string
		wantErr error
		wantMsg string
	}{
		{"empty key", "", " ", provider.ErrUnauthorized, "the API key is empty"},
		{"key with a line break inside", "", "abc\ndef", provider.ErrUnauthorized, "the API key contains white space"},
		{"key with a space inside", "", "abc def", provider.ErrUnauthorized, "the API key contains white space"},
		{"relative URL", "/v1", "k", provider.ErrInvalidConfig, "absolute http or https URL"},
		{"ftp URL", "ftp://example.com/v1", "k", provider.ErrInvalidConfig, "absolute http or https URL"},
		{"credentials in URL", "https://user:pw@example.com/v1", "k", provider.ErrInvalidConfig, "user name or password"},
	}
	for _, tt := range bad {
		t.Run(tt.name, func(t *testing.T) {
			cfg := provider.Config{AllowedHosts: providertest.LocalHosts, APIKey: tt.key}
			if tt.base != "" {
				cfg.BaseURL, _ = url.Parse(tt.base)
			}
			_, err := New(cfg)
			if class, problem := providertest.Classify(err); problem != "" || !errors.Is(err, tt.wantErr) {
				t.Fatalf("New = %v (%s%s), want %v", err, class, problem, tt.wantErr)
			}
			if !strings.Contains(err.Error(), tt.wantMsg) || strings.Contains(err.Error(), "abc") ||
				strings.Contains(err.Error(), "invalid response") {
				t.Errorf("New = %v, want it to say %q without quoting the key", err, tt.wantMsg)
			}
		})
	}
}

func TestParseLinks(t *testing.T) {
	tests := []struct {
		in    []string
		want  map[string]string
		found bool
	}{
		{nil, map[string]string{}, false},
		{[]string{`<https://a/v1/employees?page=2&per_page=100>; rel="next", <https://a/v1/employees?page=3>; rel="last"`},
			map[string]string{"next": "https://a/v1/employees?page=2&per_page=100", "last": "https://a/v1/employees?page=3"}, true},
		{[]string{`<https://a/1>; rel="first"`, `<https://a/2>; rel=next`}, map[string]string{"first": "https://a/1", "next": "https://a/2"}, true},
		{[]string{`<https://a/x,y>; title="a, \"b\""; rel="prev next"`}, map[string]string{"prev": "https://a/x,y", "next": "https://a/x,y"}, true},
		{[]string{`<https://a/2>; REL="Next"`}, map[string]string{"next": "https://a/2"}, true},
		{[]string{`garbage`}, map[string]string{}, false},
		{[]string{`<unterminated; rel="next"`}, map[string]string{}, false},
	}
	for _, tt := range tests {
		got, found := parseLinks(tt.in)
		if diff := cmp.Diff(tt.want, got); diff != "" || found != tt.found {
			t.Errorf("parseLinks(%q): found %v, want %v; links (-want +got):\n%s", tt.in, found, tt.found, diff)
		}
	}
}

func mustURL(t *testing.T, s string) *url.URL {
	t.Helper()
	u, err := url.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func TestUserAgent(t *testing.T) {
	var got string
	srv := pageServer(t, func(w http.ResponseWriter, r *http.Request, _ int) {
		got = r.Header.Get("User-Agent")
		fmt.Fprint(w, employeesJSON(1, 1))
	})
	if _, err := testClient(t, srv.URL+"/v1", nil).Fetch(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got != provider.UserAgent() || !strings.HasPrefix(got, "dirsync/") {
		t.Fatalf("User-Agent = %q, want %q", got, provider.UserAgent())
	}
}

// TestNextLinkWithoutPortIsAccepted: Breathe's links name https://api.breathehr.com/v1 without a port; an
// endpoint written with :443 is the same origin.
func TestNextLinkWithoutPortIsAccepted(t *testing.T) {
	c := testClient(t, "https://api.breathehr.com:443/v1", nil)
	cur := mustURL(t, "https://api.breathehr.com:443/v1/employees?page=1&per_page=100")
	for _, ref := range []string{"https://api.breathehr.com/v1/employees?page=2&per_page=100",
		"https://API.BREATHEHR.COM:443/v1/employees?page=2", "/v1/employees?page=2"} {
		if _, err := c.nextURL(cur, ref); err != nil {
			t.Errorf("nextURL(%s) = %v; want it accepted", ref, err)
		}
	}
	for _, ref := range []string{"http://api.breathehr.com/v1/employees?page=2", "https://api.breathehr.com:8443/v1/employees?page=2",
		"https://api.breathehr.com.evil.example/v1/employees?page=2"} {
		if _, err := c.nextURL(cur, ref); err == nil {
			t.Errorf("nextURL(%s) accepted another origin", ref)
		}
	}
}

// The listener hears every page as it is read, and how many pages to expect once a listing's Total
// header says: 1 department page, then 3 employee pages.
func TestFetchReportsProgress(t *testing.T) {
	s := startFake(t, company(250))
	c := testClient(t, s.URL(), nil)
	var got []string
	c.progress = func(done, total int) { got = append(got, fmt.Sprintf("%d/%d", done, total)) }
	if _, err := c.Fetch(context.Background()); err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff([]string{"1/1", "2/4", "3/4", "4/4"}, got); d != "" {
		t.Fatalf("progress (-want +got):\n%s", d)
	}
}
