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
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/dirsync/dirsync/internal/provider"
	"github.com/dirsync/dirsync/internal/provider/breathehr/fake"
	"github.com/dirsync/dirsync/internal/provider/fakehr"
)

// paced sets the production budget (defaultOptions) on testOptions, with clk as its clock and reg as its registry.
func paced(clk *fakeClock, reg *budgets) func(*options) {
	return func(o *options) {
		d := defaultOptions()
		o.budget, o.window, o.clock, o.sleep, o.accounts = d.budget, d.window, clk.now, clk.sleep, reg
	}
}

// stubListing answers every request without a network: /departments one empty page, /employees pages
// of 100 rows until employees rows are listed, no Link header (the client pages by count). It records
// the clock's time of each request.
type stubListing struct {
	clk       *fakeClock
	employees int

	mu    sync.Mutex
	times []time.Time
}

func (s *stubListing) RoundTrip(r *http.Request) (*http.Response, error) {
	s.mu.Lock()
	s.times = append(s.times, s.clk.now())
	s.mu.Unlock()
	body := `{"departments": []}`
	if strings.HasSuffix(r.URL.Path, "/employees") {
		page, _ := strconv.Atoi(r.URL.Query().Get("page"))
		n := min(PerPage, max(0, s.employees-(page-1)*PerPage))
		body = employeesJSON(1+(page-1)*PerPage, n)
	}
	h := http.Header{"Content-Type": {"application/json"}, "Total": {strconv.Itoa(s.employees)}, "Per-Page": {strconv.Itoa(PerPage)}}
	if strings.HasSuffix(r.URL.Path, "/departments") {
		h.Set("Total", "0")
	}
	return &http.Response{StatusCode: http.StatusOK, Header: h, Body: io.NopCloser(strings.NewReader(body)), Request: r,
		ContentLength: int64(len(body))}, nil
}

// maxInWindow is the most requests any window of length w holds.
func maxInWindow(times []time.Time, w time.Duration) int {
	most := 0
	for i := range times {
		n := 0
		for j := i; j < len(times) && times[j].Sub(times[i]) < w; j++ {
			n++
		}
		most = max(most, n)
	}
	return most
}

// TestBudgetKeepsEveryWindowWithinTheLimit lists 24,850 employees (249 pages + 1 departments page = 250
// requests) on a fake clock: no 60-second window may hold more than 60 requests; the client keeps 55.
func TestBudgetKeepsEveryWindowWithinTheLimit(t *testing.T) {
	clk := newFakeClock()
	stub := &stubListing{clk: clk, employees: 24850}
	c := testClient(t, "https://api.breathehr.com/v1", &http.Client{Transport: stub}, paced(clk, &budgets{}))
	snap, err := c.Fetch(context.Background())
	if err != nil {
		t.Fatalf("Fetch: %v", err)
	}
	if len(stub.times) != 250 || snap.Requests != 250 || len(snap.Employees) != 24850 {
		t.Fatalf("%d requests (snapshot says %d), %d employees; want 250 and 24850", len(stub.times), snap.Requests, len(snap.Employees))
	}
	if most := maxInWindow(stub.times, documentedWindow); most != documentedBudget {
		t.Fatalf("a 60 s window held %d requests; want the documented budget, %d, used in full", most, documentedBudget)
	}
	// 250 = 4×55 + 30: four full windows and a fifth, so the listing takes four minutes and no more.
	if took := stub.times[249].Sub(stub.times[0]); took != 4*time.Minute {
		t.Errorf("the listing took %v; want 4m0s", took)
	}
}

// TestRateLimitMidListingWaitsAndResumes: another integration has spent half the account's minute, so
// Breathe answers 429 in the middle of the listing. The client waits for the window to clear and asks for
// the same page again: nothing already read is read twice, and the listing completes.
func TestRateLimitMidListingWaitsAndResumes(t *testing.T) {
	clk := newFakeClock()
	c := company(5950) // 60 employee pages + 1 departments page
	s := fake.New(c, testKey, fake.WithRateLimit(60, time.Minute), fake.WithClock(clk.now))
	var mu sync.Mutex
	var log []string // "page code" per request of the client
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := httptest.NewRecorder()
		s.Handler().ServeHTTP(rec, r)
		mu.Lock()
		log = append(log, fmt.Sprintf("%s?%s %d", r.URL.Path, r.URL.Query().Get("page"), rec.Code))
		mu.Unlock()
		for k, v := range rec.Header() {
			w.Header()[k] = v
		}
		w.WriteHeader(rec.Code)
		_, _ = w.Write(rec.Body.Bytes())
	}))
	defer srv.Close()
	s.SetURL(srv.URL)
	for i := 0; i < 30; i++ { // the other integration, on the same key
		if raw := fetchRaw(t, s.URL()+"/departments"); !strings.Contains(raw, "departments") {
			t.Fatalf("other integration's request %d: %s", i, raw)
		}
	}
	mu.Lock()
	log = nil
	mu.Unlock()

	snap, err := testClient(t, s.URL(), nil, paced(clk, &budgets{})).Fetch(context.Background())
	if err != nil {
		t.Fatalf("Fetch: %v", err)
	}
	checkSnapshot(t, c, snap)
	var want []string
	want = append(want, "/v1/departments?1 200")
	for p := 1; p <= 60; p++ {
		if p == 30 { // the client's 31st request: 30 + 30 = 60 in the window
			want = append(want, "/v1/employees?30 429")
		}
		want = append(want, fmt.Sprintf("/v1/employees?%d 200", p))
	}
	if diff := cmp.Diff(want, log); diff != "" {
		t.Errorf("requests (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]time.Duration{time.Minute}, clk.sleeps()); diff != "" {
		t.Errorf("waits (-want +got):\n%s", diff)
	}
}

// TestRetryAfterIsHonoured: a 429 with a Retry-After within a minute is waited out exactly.
func TestRetryAfterIsHonoured(t *testing.T) {
	clk := newFakeClock()
	s := startFake(t, company(5))
	s.InjectFault(fakehr.Fault{Kind: fakehr.FaultRateLimited, RetryAfter: 7 * time.Second, Times: 2})
	snap, err := testClient(t, s.URL(), nil, paced(clk, &budgets{})).Fetch(context.Background())
	if err != nil || len(snap.Employees) != 5 {
		t.Fatalf("Fetch = %v, %v; want 5 employees", snap, err)
	}
	if diff := cmp.Diff([]time.Duration{7 * time.Second, 7 * time.Second}, clk.sleeps()); diff != "" {
		t.Errorf("waits (-want +got):\n%s", diff)
	}
}

// TestDirectoriesWithTheSameKeyShareTheBudget: two listings with one key (even with the endpoint spelled
// with its port) share 55 a minute; another key has its own.
func TestDirectoriesWithTheSameKeyShareTheBudget(t *testing.T) {
	clk := newFakeClock()
	reg := &budgets{}
	stub := &stubListing{clk: clk, employees: 3900} // 40 requests a listing
	hc := &http.Client{Transport: stub}
	a := testClient(t, "https://api.breathehr.com/v1", hc, paced(clk, reg))
	b := testClient(t, "https://api.breathehr.com:443/v1", hc, paced(clk, reg))
	other := testClient(t, "https://api.breathehr.com/v1", hc, paced(clk, reg))
	other.account = budgetID(provider.Origin(other.base), "prod-another-account")

	if _, err := a.Fetch(context.Background()); err != nil {
		t.Fatal(err)
	}
	if _, err := other.Fetch(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := clk.sleeps(); len(got) != 0 {
		t.Fatalf("80 requests on two accounts waited %v", got)
	}
	if reg.len() != 2 {
		t.Errorf("the registry holds %d budgets, want 2 (one per account)", reg.len())
	}
	if _, err := b.Fetch(context.Background()); err != nil {
		t.Fatal(err)
	}
	// a sent 40 and b 15 at once; b's other 25 wait for a's first to leave the window.
	if diff := cmp.Diff([]time.Duration{time.Minute}, clk.sleeps()); diff != "" {
		t.Errorf("waits (-want +got):\n%s", diff)
	}
}

func TestBudget(t *testing.T) {
	t0 := today
	b := &budget{limit: 3, window: time.Minute}
	var got []time.Duration
	for i := 0; i < 7; i++ {
		got = append(got, b.reserve(t0).Sub(t0))
	}
	want := []time.Duration{0, 0, 0, time.Minute, time.Minute, time.Minute, 2 * time.Minute}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("reservations (-want +got):\n%s", diff)
	}

	t.Run("a cancelled reservation is given back", func(t *testing.T) {
		b := &budget{limit: 1, window: time.Minute}
		b.reserve(t0)
		slot := b.reserve(t0)
		b.cancel(slot)
		if next := b.reserve(t0); !next.Equal(t0.Add(time.Minute)) {
			t.Fatalf("after a cancel the next slot is %v, want t0+1m", next.Sub(t0))
		}
	})
	t.Run("the only slot given back frees its window", func(t *testing.T) {
		b := &budget{limit: 1, window: time.Minute}
		b.cancel(b.reserve(t0))
		if next := b.reserve(t0); !next.Equal(t0) {
			t.Fatalf("after the only slot was given back the next is t0+%v, want t0", next.Sub(t0))
		}
	})
	t.Run("a pause holds every reservation", func(t *testing.T) {
		b := &budget{limit: 10, window: time.Minute}
		b.pause(t0.Add(time.Minute))
		b.pause(t0.Add(time.Second)) // an earlier pause never shortens one
		if next := b.reserve(t0); !next.Equal(t0.Add(time.Minute)) {
			t.Fatalf("slot during a pause = %v, want t0+1m", next.Sub(t0))
		}
	})
	t.Run("a slot given back after many keeps the window of the ones sent", func(t *testing.T) {
		b := &budget{limit: 3, window: time.Minute}
		var got []time.Duration
		for range 7 { // three at t0, three at t0+1m, one at t0+2m
			got = append(got, b.reserve(t0).Sub(t0))
		}
		b.cancel(t0.Add(2 * time.Minute)) // its listing ended while it waited
		now := t0.Add(time.Minute)        // the three of t0+1m are sent
		got = append(got, b.reserve(now).Sub(t0))
		want := []time.Duration{0, 0, 0, time.Minute, time.Minute, time.Minute, 2 * time.Minute, 2 * time.Minute}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Fatalf("reservations (-want +got):\n%s", diff)
		}
	})
	t.Run("a caller whose clock lags gets no slot before a time already asked at", func(t *testing.T) {
		b := &budget{limit: 10, window: time.Minute}
		b.cancel(b.reserve(t0.Add(10 * time.Second)))
		if next := b.reserve(t0); !next.Equal(t0.Add(10 * time.Second)) {
			t.Fatalf("slot = t0+%v, want t0+10s", next.Sub(t0))
		}
	})
	t.Run("later callers never get an earlier slot", func(t *testing.T) {
		b := &budget{limit: 2, window: time.Minute}
		b.reserve(t0)
		b.reserve(t0)
		b.reserve(t0) // t0+1m
		if next := b.reserve(t0.Add(time.Second)); next.Before(t0.Add(time.Minute)) {
			t.Fatalf("slot %v precedes an earlier reservation", next.Sub(t0))
		}
	})
}

// sleepCtx waits out d unless ctx ends first; a wait of nothing returns at once, with ctx's error.
func TestSleepCtx(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	if err := sleepCtx(ctx, 0); err != nil {
		t.Fatalf("no wait: %v", err)
	}
	start := time.Now()
	if err := sleepCtx(ctx, 20*time.Millisecond); err != nil || time.Since(start) < 20*time.Millisecond {
		t.Fatalf("20ms: %v after %v, want nil after 20ms at least", err, time.Since(start))
	}
	cancel()
	if err := sleepCtx(ctx, 0); !errors.Is(err, context.Canceled) {
		t.Fatalf("no wait, cancelled: %v, want context.Canceled", err)
	}
	start = time.Now()
	if err := sleepCtx(ctx, time.Hour); !errors.Is(err, context.Canceled) || time.Since(start) > time.Minute {
		t.Fatalf("an hour, cancelled: %v after %v, want context.Canceled at once", err, time.Since(start))
	}
}

func TestBudgetRegistryForgetsIdleAccounts(t *testing.T) {
	reg := &budgets{}
	t0 := today
	id := budgetID("https://api.breathehr.com:443", testKey)
	if strings.Contains(string(id[:]), testKey) {
		t.Fatal("the registry key holds the API key")
	}
	if id != budgetID(provider.Origin(mustURL(t, "https://API.breathehr.com/v1")), testKey) {
		t.Fatal("one account under two spellings of its endpoint has two budgets")
	}
	b := reg.acquire(id, 55, time.Minute, t0)
	b.reserve(t0)
	if again := reg.acquire(id, 55, time.Minute, t0); again != b {
		t.Fatal("the same account got a second budget")
	} else {
		reg.release(again, t0)
	}
	reg.release(b, t0.Add(30*time.Second))
	if reg.len() != 1 {
		t.Fatal("a budget with a request in the window was dropped: a new listing would get a fresh minute")
	}
	other := reg.acquire(budgetID("https://api.breathehr.com:443", "prod-other"), 55, time.Minute, t0.Add(time.Minute))
	if reg.len() != 1 {
		t.Fatalf("the registry holds %d budgets; want the idle one dropped and the new one kept", reg.len())
	}
	reg.release(other, t0.Add(time.Minute))
	if reg.len() != 0 {
		t.Fatalf("the registry holds %d budgets after every one went idle, want none", reg.len())
	}
}

func TestCancelledWaitSendsNothing(t *testing.T) {
	s := startFake(t, company(5))
	reg := &budgets{}
	clk := newFakeClock()
	c := testClient(t, s.URL(), nil, paced(clk, reg))
	b := reg.acquire(c.account, documentedBudget, documentedWindow, clk.now())
	for range documentedBudget { // another listing spent the minute
		b.reserve(clk.now())
	}
	ctx, cancel := context.WithCancel(context.Background())
	c.o.sleep = func(context.Context, time.Duration) error { cancel(); return context.Canceled }
	_, err := c.Fetch(ctx)
	if !errors.Is(err, provider.ErrUnavailable) || !errors.Is(err, context.Canceled) || s.Requests() != 0 {
		t.Fatalf("Fetch = %v after %d requests; want ErrUnavailable and context.Canceled after none", err, s.Requests())
	}
	if next := b.reserve(clk.now()); !next.Equal(clk.now().Add(time.Minute)) {
		t.Errorf("the cancelled slot was kept: next slot in %v", next.Sub(clk.now()))
	}
}
