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
	"bytes"
	"context"
	"crypto/tls"
	"io"
	"net"
	"net/http"
	"net/netip"
	"syscall"
	"time"

	"github.com/dirsync/dirsync/internal/provider"
)

// Delivery limits.
const (
	// DefaultAttemptTimeout bounds one delivery attempt, the response included.
	DefaultAttemptTimeout = 10 * time.Second
	// maxResponseBytes is how much of a response is read (and thrown away, so the connection is reused).
	maxResponseBytes = 64 << 10
)

// newHTTPClient is the client of every delivery: TLS verified (1.2 at least), a timeout per attempt,
// no redirect followed (a 3xx is a failed attempt: a redirect could carry the body, and its signature,
// elsewhere), and a dialer that refuses loopback, link-local and metadata addresses unless allowInsecure
// (checked on the address actually dialed, so DNS cannot point around it). A proxy from the environment
// (HTTPS_PROXY, NO_PROXY) is used as for providers; the dialer then checks the proxy's address.
func newHTTPClient(timeout time.Duration, allowInsecure bool) *http.Client {
	dialer := &net.Dialer{Timeout: min(timeout, 10*time.Second), KeepAlive: 30 * time.Second}
	if !allowInsecure {
		dialer.Control = refuseForbidden
	}
	return &http.Client{
		Timeout: timeout,
		Transport: &http.Transport{
			Proxy:                 http.ProxyFromEnvironment,
			DialContext:           dialer.DialContext,
			TLSClientConfig:       &tls.Config{MinVersion: tls.VersionTLS12},
			TLSHandshakeTimeout:   min(timeout, 10*time.Second),
			ResponseHeaderTimeout: timeout,
			MaxIdleConnsPerHost:   maxInFlight,
			IdleConnTimeout:       90 * time.Second,
			ForceAttemptHTTP2:     true,
		},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// refuseForbidden is the dialer's check of the address it is about to connect to.
func refuseForbidden(_, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return nil // not an IP address: nothing to check (the dialer always passes one)
	}
	if why := forbiddenAddress(ap.Addr()); why != "" {
		return &forbiddenAddrError{addr: ap.Addr().String(), why: why}
	}
	return nil
}

// post sends one signed body and reads at most maxResponseBytes of the answer.
func post(ctx context.Context, hc *http.Client, url, contentType, sigHeader, sig string, body []byte, now time.Time) attempt {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return attempt{err: err}
	}
	req.Header.Set("Content-Type", contentType)
	req.Header.Set("User-Agent", provider.UserAgent())
	req.Header.Set(sigHeader, sig)
	resp, err := hc.Do(req)
	if err != nil {
		return attempt{err: err}
	}
	defer func() { _ = resp.Body.Close() }()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxResponseBytes))
	a := attempt{code: resp.StatusCode}
	if resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode == http.StatusServiceUnavailable {
		a.retryAfter = provider.RetryAfter(resp.Header.Get("Retry-After"), now)
	}
	return a
}
