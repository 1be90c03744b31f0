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

package directorywebhook

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// The delivery client refuses loopback at dial time (whatever the URL's host says), follows no
// redirect, verifies TLS, bounds an attempt, reads a bounded answer and honours Retry-After.
func TestDeliveryClient(t *testing.T) {
	var hits atomic.Int32
	target := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { hits.Add(1) }))
	defer target.Close()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/redirect":
			http.Redirect(w, r, target.URL, http.StatusTemporaryRedirect)
		case "/busy":
			w.Header().Set("Retry-After", "120")
			w.WriteHeader(http.StatusTooManyRequests)
		case "/slow":
			time.Sleep(time.Second)
		case "/big":
			_, _ = w.Write([]byte(strings.Repeat("x", 10<<20)))
		case "/ok":
			if r.Header.Get("User-Agent") == "" || !strings.HasPrefix(r.Header.Get("User-Agent"), "dirsync/") || r.Header.Get("X-Sig") != "t=1, v1=ab" ||
				r.Header.Get("Content-Type") != "application/json" {
				w.WriteHeader(http.StatusBadRequest)
			}
		}
	}))
	defer srv.Close()
	ctx := context.Background()
	now := time.Now()
	send := func(hc *http.Client, url string) attempt {
		return post(ctx, hc, url, "application/json", "X-Sig", "t=1, v1=ab", []byte("{}"), now)
	}
	insecure := newHTTPClient(300*time.Millisecond, true)

	if a := send(newHTTPClient(time.Second, false), srv.URL+"/ok"); !errors.Is(a.err, errForbiddenAddress) || a.result() != "refused_address" {
		t.Errorf("a loopback receiver without --allow-insecure-endpoints: %+v", a)
	}
	if a := send(insecure, srv.URL+"/ok"); !a.ok() {
		t.Errorf("a plain delivery: %+v", a)
	}
	if a := send(insecure, srv.URL+"/redirect"); a.code != http.StatusTemporaryRedirect || hits.Load() != 0 {
		t.Errorf("a redirect: %+v, target hit %d times", a, hits.Load())
	}
	if a := send(insecure, srv.URL+"/busy"); a.code != 429 || a.retryAfter != 2*time.Minute {
		t.Errorf("a 429 with Retry-After: %+v", a)
	}
	if a := send(insecure, srv.URL+"/slow"); a.result() != "timeout" {
		t.Errorf("a slow receiver: %+v (%s)", a, a.result())
	}
	start := time.Now()
	if a := send(newHTTPClient(5*time.Second, true), srv.URL+"/big"); !a.ok() || time.Since(start) > 4*time.Second {
		t.Errorf("a big answer: %+v after %s", a, time.Since(start))
	}
	tlsSrv := httptest.NewTLSServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	defer tlsSrv.Close()
	if a := send(insecure, tlsSrv.URL); a.result() != "tls" {
		t.Errorf("an untrusted certificate: %+v (%s)", a, a.result())
	}
}
