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
	"fmt"
	"net"
	"syscall"
	"testing"
	"time"
)

func TestBackoff(t *testing.T) {
	for _, tc := range []struct {
		failures   int
		retryAfter time.Duration
		rand       float64
		want       time.Duration
	}{
		{1, 0, 0, 500 * time.Millisecond},
		{1, 0, 0.99, 995 * time.Millisecond},
		{2, 0, 0, time.Second},
		{4, 0, 0, 4 * time.Second},
		{8, 0, 0, time.Minute},
		{30, 0, 0.5, 90 * time.Second},
		{1, 30 * time.Second, 0, 30 * time.Second},
		{1, time.Hour, 0, retryAfterCap},
		{20, time.Second, 0, time.Minute},
	} {
		if got := backoff(tc.failures, tc.retryAfter, tc.rand).Round(time.Microsecond); got != tc.want {
			t.Errorf("backoff(%d, %s, %v) = %s, want %s", tc.failures, tc.retryAfter, tc.rand, got, tc.want)
		}
	}
}

// What status.lastError and the result label say of an attempt: the status or the kind of failure,
// never more.
func TestFailureText(t *testing.T) {
	dns := &net.DNSError{Err: "no such host", Name: "receiver.invalid", IsNotFound: true}
	for _, tc := range []struct {
		a            attempt
		result, text string
	}{
		{attempt{code: 204}, "success", ""},
		{attempt{code: 302}, "redirect", "HTTP 302: the receiver redirects, and redirects are not followed; set spec.url to the final URL"},
		{attempt{code: 401}, "http_4xx", "HTTP 401 from the receiver"},
		{attempt{code: 429, retryAfter: 90 * time.Second}, "http_4xx", "HTTP 429: the receiver asked to wait 1m30s"},
		{attempt{code: 503}, "http_5xx", "HTTP 503 from the receiver"},
		{attempt{err: fmt.Errorf("Post: %w", context.DeadlineExceeded)}, "timeout", "no answer within 10s"},
		{attempt{err: &net.OpError{Op: "dial", Err: dns}}, "connection", "the URL's host name does not resolve"},
		{attempt{err: &net.OpError{Op: "dial", Err: syscall.ECONNREFUSED}}, "connection", "connection refused"},
		{attempt{err: &net.OpError{Op: "dial", Err: &forbiddenAddrError{addr: "127.0.0.1", why: "a loopback address"}}}, "refused_address",
			"the URL resolves to 127.0.0.1, a loopback address; the manager connects there only with --allow-insecure-endpoints"},
	} {
		if got := tc.a.result(); got != tc.result {
			t.Errorf("%+v: result %s, want %s", tc.a, got, tc.result)
		}
		if tc.result == "success" {
			continue
		}
		if got := failureText(tc.a, 10*time.Second); got != tc.text {
			t.Errorf("%+v: %q, want %q", tc.a, got, tc.text)
		}
	}
}
