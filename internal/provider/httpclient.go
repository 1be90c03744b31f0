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

package provider

import (
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"
)

// DefaultRequestTimeout bounds one HTTP request to a provider, body included.
const DefaultRequestTimeout = 60 * time.Second

// DefaultMaxBodyBytes caps one response body. Access People HR returns a whole company in one body
// (about 2 KiB an employee), so 64 MiB leaves room for ~30,000 employees.
const DefaultMaxBodyBytes int64 = 64 << 20

// ErrBodyTooLarge is wrapped (with ErrInvalidResponse) when a response body exceeds the cap.
var ErrBodyTooLarge = errors.New("the response body is larger than the limit")

// HTTPOptions configures NewHTTPClient.
type HTTPOptions struct {
	// Timeout bounds one request including its body; zero means DefaultRequestTimeout.
	Timeout time.Duration
	// OnResponse, when set, is called once per request with the HTTP status code, or 0 when no response arrived.
	OnResponse func(code int)
}

// NewHTTPClient returns the client every provider request goes through: TLS verification always on
// (TLS 1.2 at least), a per-request timeout, and no redirect that leaves the original host, so a redirect
// can never carry an API key header to another server.
func NewHTTPClient(o HTTPOptions) *http.Client {
	if o.Timeout <= 0 {
		o.Timeout = DefaultRequestTimeout
	}
	base := &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		TLSClientConfig:       &tls.Config{MinVersion: tls.VersionTLS12},
		TLSHandshakeTimeout:   10 * time.Second,
		ResponseHeaderTimeout: o.Timeout,
		MaxIdleConnsPerHost:   4,
		IdleConnTimeout:       90 * time.Second,
		ForceAttemptHTTP2:     true,
	}
	var rt http.RoundTripper = base
	if o.OnResponse != nil {
		rt = &observingTransport{next: base, observe: o.OnResponse}
	}
	return SameHostOnly(&http.Client{Transport: rt, Timeout: o.Timeout})
}

// ErrRedirectRefused is what the redirect policy returns for a redirect that leaves the first request's
// scheme and host; it never names the target.
var ErrRedirectRefused = errors.New("refused a redirect to another host or scheme")

// SameHostOnly returns a shallow copy of hc whose redirect policy refuses every redirect that leaves the
// first request's scheme and host, whatever hc's own policy is. Go forwards custom headers (Breathe's
// X-API-KEY) to any host a redirect names, and re-sends a POST body (Access People HR's key) on 307/308.
func SameHostOnly(hc *http.Client) *http.Client {
	cp := *hc
	next := hc.CheckRedirect
	cp.CheckRedirect = func(req *http.Request, via []*http.Request) error {
		if req.URL.Host != via[0].URL.Host || req.URL.Scheme != via[0].URL.Scheme {
			return ErrRedirectRefused
		}
		if next != nil {
			return next(req, via)
		}
		if len(via) >= 5 {
			return errors.New("stopped after 5 redirects")
		}
		return nil
	}
	return &cp
}

type observingTransport struct {
	next    http.RoundTripper
	observe func(code int)
}

func (t *observingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := t.next.RoundTrip(req)
	if err != nil {
		t.observe(0)
		return resp, err
	}
	t.observe(resp.StatusCode)
	return resp, nil
}

// LimitBody returns a reader over r that fails with ErrBodyTooLarge (wrapped in ErrInvalidResponse)
// once more than maxBytes bytes have been read; maxBytes <= 0 means DefaultMaxBodyBytes. n counts the
// bytes read.
func LimitBody(r io.Reader, maxBytes int64, n *int64) io.Reader {
	if maxBytes <= 0 {
		maxBytes = DefaultMaxBodyBytes
	}
	return &limitedReader{r: r, left: maxBytes, n: n}
}

type limitedReader struct {
	r    io.Reader
	left int64
	n    *int64
	err  error // sticky: once over the cap, every later read fails the same way
}

func (l *limitedReader) Read(p []byte) (int, error) {
	if l.err != nil {
		return 0, l.err
	}
	if l.left <= 0 {
		// Probe one byte: a body of exactly maxBytes bytes is fine.
		var one [1]byte
		k, err := l.r.Read(one[:])
		if k > 0 {
			l.err = fmt.Errorf("%w: %w", ErrInvalidResponse, ErrBodyTooLarge)
			return 0, l.err
		}
		return 0, err
	}
	if int64(len(p)) > l.left {
		p = p[:l.left]
	}
	k, err := l.r.Read(p)
	l.left -= int64(k)
	if l.n != nil {
		*l.n += int64(k)
	}
	return k, err
}
