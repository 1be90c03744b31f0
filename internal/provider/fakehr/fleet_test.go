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
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// keyServer is a HandlerServer that answers 200 with its company's size to its key (header K), else 401.
type keyServer struct{ *State }

func newKeyServer(c Company, key string) HandlerServer { return &keyServer{State: NewState(c, key)} }

func (s *keyServer) Close()          {}
func (s *keyServer) SetURL(u string) { s.State.SetURL(u) }
func (s *keyServer) Handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.CountRequest()
		if f, ok := s.TakeFault(nil); ok && f.Kind == FaultServerError {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		if !s.KeyMatches(r.Header.Get("K")) {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		fmt.Fprintf(w, "%d", len(s.Company().Employees))
	})
}

func newTestFleet(t *testing.T, hanging ...string) *Fleet {
	t.Helper()
	var keys []string
	for i := 0; i < 5; i++ {
		keys = append(keys, fmt.Sprintf("key-%03d", i))
	}
	h := map[string]bool{}
	for _, k := range hanging {
		h[k] = true
	}
	f, err := NewFleet(FleetOptions{
		Keys: keys,
		Company: func(i int) Company {
			return Generate(GenerateOptions{Seed: int64(i), Employees: 10 + i, Departments: 2})
		},
		New:     newKeyServer,
		KeyOf:   func(r *http.Request) string { return r.Header.Get("K") },
		Hanging: h,
	})
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func call(t *testing.T, h http.Handler, key string) (int, string) {
	t.Helper()
	rec := httptest.NewRecorder()
	req := httptest.NewRequest(http.MethodGet, "/", nil)
	req.Header.Set("K", key)
	h.ServeHTTP(rec, req)
	return rec.Code, rec.Body.String()
}

func TestFleetServesOneCompanyPerKey(t *testing.T) {
	f := newTestFleet(t)
	h := f.Handler()
	for i, key := range f.Keys() {
		if code, body := call(t, h, key); code != 200 || body != fmt.Sprint(10+i) {
			t.Errorf("%s: %d %s; want the %d employees of its own company", key, code, body, 10+i)
		}
	}
	if code, _ := call(t, h, "key-999"); code != http.StatusUnauthorized {
		t.Errorf("a key outside the fleet: %d, want 401", code)
	}
	if code, _ := call(t, h, ""); code != http.StatusUnauthorized {
		t.Errorf("no key: %d, want 401", code)
	}
	if f.Requests() != 7 {
		t.Errorf("Requests = %d, want 7", f.Requests())
	}
	s, _ := f.Company("key-002")
	if s.Requests() != 1 {
		t.Errorf("key-002 counted %d requests, want 1", s.Requests())
	}
	if _, err := NewFleet(FleetOptions{Keys: []string{"a", "a"}, New: newKeyServer}); err == nil {
		t.Error("a repeated key was accepted")
	}
	if _, err := NewFleet(FleetOptions{Keys: []string{"a"}, New: newKeyServer, Hanging: map[string]bool{"b": true}}); err == nil {
		t.Error("a hanging key outside the fleet was accepted")
	}
}

func TestFleetHangingKeysHangUntilTheClientGivesUp(t *testing.T) {
	f := newTestFleet(t, "key-004")
	srv := httptest.NewServer(f.Handler())
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL, nil)
	req.Header.Set("K", "key-004")
	start := time.Now()
	if resp, err := http.DefaultClient.Do(req); err == nil {
		resp.Body.Close()
		t.Fatalf("a hanging key answered HTTP %d", resp.StatusCode)
	}
	if time.Since(start) < 150*time.Millisecond {
		t.Error("the request ended before the client's deadline")
	}
	if code, _ := call(t, f.Handler(), "key-003"); code != 200 {
		t.Errorf("another key: %d", code)
	}
	if s, _ := f.Company("key-004"); s.Requests() != 1 {
		t.Errorf("the hanging request was not counted")
	}

	// Quit ends hanging requests, so a server can shut down.
	done := make(chan struct{})
	go func() {
		call(t, f.Handler(), "key-004")
		close(done)
	}()
	deadline := time.Now().Add(10 * time.Second)
	for s, _ := f.Company("key-004"); s.Requests() < 2; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the second hanging request never reached the fleet in 10s")
		}
	}
	f.Quit()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("the hanging request had not ended 10s after Quit")
	}
}

func TestFleetAdmin(t *testing.T) {
	f := newTestFleet(t)
	a := FleetAdminHandler(f, NumericIDs)
	h := f.Handler()
	call(t, h, "key-001")
	call(t, h, "key-001")

	if code, body := do(t, a, "GET", "/admin/stats", ""); code != 200 || strings.TrimSpace(body) != `{"requests":2,"companies":5}` {
		t.Errorf("fleet stats: %d %s", code, body)
	}
	if code, body := do(t, a, "GET", "/admin/stats?key=key-001", ""); code != 200 || strings.TrimSpace(body) != `{"requests":2}` {
		t.Errorf("company stats: %d %s", code, body)
	}
	if code, _ := do(t, a, "GET", "/admin/company?key=nobody", ""); code != 404 {
		t.Errorf("unknown key: %d, want 404", code)
	}
	if code, _ := do(t, a, "GET", "/admin/company", ""); code != 400 {
		t.Errorf("company without a key: %d, want 400", code)
	}
	if code, _ := do(t, a, "PUT", "/admin/apikey?key=key-001", `{"apiKey":"x"}`); code != 400 {
		t.Errorf("key rotation in a fleet: %d, want 400", code)
	}
	if code, body := do(t, a, "POST", "/admin/generate?key=key-003", `{"employees":3}`); code != 200 || !strings.Contains(body, `"employees":3`) {
		t.Errorf("generate: %d %s", code, body)
	}
	if _, body := call(t, h, "key-003"); body != "3" {
		t.Errorf("key-003 serves %s employees after generate, want 3", body)
	}

	// A fault without a key reaches every company, also one not used yet; with a key, only that one.
	if code, _ := do(t, a, "POST", "/admin/fault", `{"kind":"ServerError"}`); code != 204 {
		t.Fatal("fleet fault refused")
	}
	for _, k := range []string{"key-001", "key-004"} {
		if code, _ := call(t, h, k); code != 503 {
			t.Errorf("%s after a fleet fault: %d, want 503", k, code)
		}
	}
	do(t, a, "DELETE", "/admin/fault", "")
	do(t, a, "POST", "/admin/fault?key=key-002", `{"kind":"ServerError"}`)
	for k, want := range map[string]int{"key-001": 200, "key-002": 503} {
		if code, _ := call(t, h, k); code != want {
			t.Errorf("%s: %d, want %d", k, code, want)
		}
	}
}
