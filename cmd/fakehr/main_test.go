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
	"io"
	"log"
	"net/http"
	"strings"
	"testing"
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
