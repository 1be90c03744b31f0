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

package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log"
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestParseFlags(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		wantErr string
	}{
		{name: "defaults"},
		{name: "sizes", args: []string{"--employees=10000", "--departments=40", "--seed=7"}},
		{name: "no employees", args: []string{"--employees=0"}, wantErr: "--employees"},
		{name: "empty key", args: []string{"--breathe-api-key="}, wantErr: "must not be empty"},
		{name: "stray argument", args: []string{"extra"}, wantErr: "unexpected arguments"},
		{name: "many companies", args: []string{"--companies=200", "--hanging-companies=10", "--employees=500"}},
		{name: "negative companies", args: []string{"--companies=-1"}, wantErr: "--companies"},
		{name: "more hanging than companies", args: []string{"--companies=2", "--hanging-companies=3"}, wantErr: "--hanging-companies"},
		{name: "hanging without companies", args: []string{"--hanging-companies=1"}, wantErr: "--hanging-companies"},
		{name: "companies with a fixed key", args: []string{"--companies=2", "--breathe-api-key=k"}, wantErr: "drop --breathe-api-key"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := parseFlags(tt.args, io.Discard)
			if (err != nil) != (tt.wantErr != "") || (err != nil && !strings.Contains(err.Error(), tt.wantErr)) {
				t.Fatalf("err = %v, want %q", err, tt.wantErr)
			}
		})
	}
}

func TestServesBothFakesAndAdmin(t *testing.T) {
	o, err := parseFlags([]string{"--breathe-addr=127.0.0.1:0", "--peoplehr-addr=127.0.0.1:0",
		"--employees=5", "--departments=2", "--breathe-api-key=secret-b", "--peoplehr-api-key=secret-p"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	var logs bytes.Buffer
	a, err := start(o, log.New(&logs, "", 0))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.serve(ctx) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serve: %v", err)
		}
	}()

	breathe, people := a.fakes[0].url, a.fakes[1].url
	if !strings.HasSuffix(breathe, "/v1") || strings.HasSuffix(people, "/v1") {
		t.Fatalf("urls = %s, %s", breathe, people)
	}

	req, _ := http.NewRequest(http.MethodGet, breathe+"/employees", nil)
	req.Header.Set("X-API-KEY", "secret-b")
	if code, body := call(t, req); code != http.StatusOK || !strings.Contains(body, "1001") {
		t.Errorf("Breathe employees = %d %.200s", code, body)
	}
	stats, _ := http.NewRequest(http.MethodGet, strings.TrimSuffix(breathe, "/v1")+"/admin/stats", nil)
	if code, body := call(t, stats); code != http.StatusOK || strings.TrimSpace(body) != `{"requests":1}` {
		t.Errorf("Breathe stats = %d %s", code, body)
	}

	gen, _ := http.NewRequest(http.MethodPost, people+"/admin/generate", strings.NewReader(`{"employees":3}`))
	if code, body := call(t, gen); code != http.StatusOK || !strings.Contains(body, `"employees":3`) {
		t.Errorf("Access People HR generate = %d %s", code, body)
	}
	company, _ := http.NewRequest(http.MethodGet, people+"/admin/company", nil)
	if code, body := call(t, company); code != http.StatusOK || !strings.Contains(body, `"ID":"PW3"`) {
		t.Errorf("Access People HR company = %d %.200s, want prefixed ids", code, body)
	}

	if strings.Count(logs.String(), "\n") != 2 {
		t.Errorf("want one log line per listener, got:\n%s", logs.String())
	}
	for _, key := range []string{"secret-b", "secret-p"} {
		if strings.Contains(logs.String(), key) {
			t.Errorf("logs contain an API key:\n%s", logs.String())
		}
	}
}

func TestFleetKey(t *testing.T) {
	for _, tt := range []struct {
		i, n int
		want string
	}{{0, 1, "key-000"}, {7, 200, "key-007"}, {199, 200, "key-199"}, {999, 1000, "key-999"}, {5, 1001, "key-0005"}} {
		if got := FleetKey(tt.i, tt.n); got != tt.want {
			t.Errorf("FleetKey(%d, %d) = %q, want %q", tt.i, tt.n, got, tt.want)
		}
	}
}

// TestServesManyCompanies: with --companies, each key has its own seeded company on both listeners, the
// last --hanging-companies keys hang until the client gives up, and shutdown does not wait for them.
func TestServesManyCompanies(t *testing.T) {
	o, err := parseFlags([]string{"--breathe-addr=127.0.0.1:0", "--peoplehr-addr=127.0.0.1:0",
		"--employees=3", "--departments=2", "--companies=3", "--hanging-companies=1"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	var logs bytes.Buffer
	a, err := start(o, log.New(&logs, "", 0))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.serve(ctx) }()
	breathe, people := a.fakes[0].url, a.fakes[1].url
	if !strings.Contains(logs.String(), "Breathe HR API at "+breathe+" (admin API at ") ||
		!strings.Contains(logs.String(), "3 companies (keys key-000 … key-002, 1 hanging)") {
		t.Errorf("log:\n%s", logs.String())
	}

	employees := func(key string) string {
		req, _ := http.NewRequest(http.MethodGet, breathe+"/employees", nil)
		req.Header.Set("X-API-KEY", key)
		code, body := call(t, req)
		return fmt.Sprint(code, " ", strings.Count(body, `"account_id"`))
	}
	for _, key := range []string{"key-000", "key-001"} {
		if got := employees(key); got != "200 3" {
			t.Errorf("Breathe HR with %s: %s, want 200 and 3 employees", key, got)
		}
	}
	if got := employees("breathe-demo-key"); got != "401 0" {
		t.Errorf("Breathe HR with a key outside the fleet: %s, want 401", got)
	}
	first, _ := http.NewRequest(http.MethodGet, breathe+"/employees", nil)
	first.Header.Set("X-API-KEY", "key-000")
	_, body0 := call(t, first)
	second, _ := http.NewRequest(http.MethodGet, breathe+"/employees", nil)
	second.Header.Set("X-API-KEY", "key-001")
	if _, body1 := call(t, second); body0 == body1 {
		t.Error("two keys serve the same company; each should have its own seed")
	}

	post, _ := http.NewRequest(http.MethodPost, people+"/Employee",
		strings.NewReader(`{"APIKey":"key-001","Action":"GetAllEmployeeDetail","IncludeLeavers":"true"}`))
	if code, body := call(t, post); code != 200 || !strings.Contains(body, `"isError":false`) || !strings.Contains(body, `"PW3"`) {
		t.Errorf("Access People HR with key-001: %d %.200s", code, body)
	}

	hc := &http.Client{Timeout: 200 * time.Millisecond}
	hang, _ := http.NewRequest(http.MethodGet, breathe+"/employees", nil)
	hang.Header.Set("X-API-KEY", "key-002")
	if resp, err := hc.Do(hang); err == nil {
		resp.Body.Close()
		t.Errorf("the hanging key got HTTP %d", resp.StatusCode)
	}
	stats, _ := http.NewRequest(http.MethodGet, strings.TrimSuffix(breathe, "/v1")+"/admin/stats", nil)
	if code, body := call(t, stats); code != 200 || strings.TrimSpace(body) != `{"requests":6,"companies":3}` {
		t.Errorf("fleet stats = %d %s", code, body)
	}
	one, _ := http.NewRequest(http.MethodGet, strings.TrimSuffix(breathe, "/v1")+"/admin/stats?key=key-002", nil)
	if code, body := call(t, one); code != 200 || strings.TrimSpace(body) != `{"requests":1}` {
		t.Errorf("key-002 stats = %d %s", code, body)
	}

	// A request still hanging when the server stops must not hold the shutdown.
	go func() {
		req, _ := http.NewRequest(http.MethodGet, breathe+"/employees", nil)
		req.Header.Set("X-API-KEY", "key-002")
		if resp, err := http.DefaultClient.Do(req); err == nil {
			resp.Body.Close()
		}
	}()
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(5 * time.Millisecond) {
		if _, body := call(t, one.Clone(context.Background())); strings.TrimSpace(body) == `{"requests":2}` {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the second hanging request never arrived")
		}
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("serve: %v", err)
		}
	case <-time.After(3 * time.Second):
		t.Fatal("shutdown waited for a hanging request")
	}
}

func call(t *testing.T, req *http.Request) (int, string) {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(b)
}
