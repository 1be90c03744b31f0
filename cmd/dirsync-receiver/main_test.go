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
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestParseFlagsAndSecret(t *testing.T) {
	if _, err := parseFlags([]string{"--answer", "42"}, io.Discard); err == nil {
		t.Error("--answer 42 accepted")
	}
	o, err := parseFlags([]string{"--listen", "127.0.0.1:0"}, io.Discard)
	if err != nil || o.answer != 204 {
		t.Fatalf("%+v %v", o, err)
	}
	if _, err := readSecret(o, func(string) string { return "" }); err == nil || !strings.Contains(err.Error(), secretEnv) {
		t.Errorf("no secret: %v", err)
	}
	file := filepath.Join(t.TempDir(), "secret")
	if err := os.WriteFile(file, []byte("from-file\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	o.secretFile = file
	if s, err := readSecret(o, func(string) string { return "from-env" }); err != nil || string(s) != "from-file" {
		t.Errorf("--secret-file: %q %v", s, err)
	}
}

// syncBuffer is a buffer that the server's goroutines and the test share.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}
func (s *syncBuffer) String() string { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

// The receiver prints one line per verified event and marks a redelivery.
func TestRunPrintsEvents(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	_ = ln.Close()
	out := &syncBuffer{}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, options{listen: addr, tolerance: time.Minute, answer: 204}, []byte("s3cret"), out, log.New(io.Discard, "", 0))
	}()
	body := `{"id":"event_9","event":"dsync.user.deleted","data":{"id":"hr.acme-9"}}`
	ts := strconv.FormatInt(time.Now().UnixMilli(), 10)
	m := hmac.New(sha256.New, []byte("s3cret"))
	m.Write([]byte(ts + "." + body))
	for range 2 {
		var resp *http.Response
		for i := 0; i < 50; i++ { // the server may not listen yet
			req, _ := http.NewRequest(http.MethodPost, "http://"+addr+"/hooks", strings.NewReader(body))
			req.Header.Set("WorkOS-Signature", "t="+ts+", v1="+hex.EncodeToString(m.Sum(nil)))
			if resp, err = http.DefaultClient.Do(req); err == nil {
				break
			}
			time.Sleep(20 * time.Millisecond)
		}
		if err != nil || resp.StatusCode != 204 {
			t.Fatalf("%v %v", resp, err)
		}
		_ = resp.Body.Close()
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 2 || !strings.HasSuffix(lines[0], " dsync.user.deleted hr.acme-9 event_9") || !strings.HasSuffix(lines[1], "event_9 (duplicate)") {
		t.Errorf("printed:\n%s", out.String())
	}
}
