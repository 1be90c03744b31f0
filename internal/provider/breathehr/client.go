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

// Package breathehr reads a Breathe HR account (GET /employees and GET /departments, API key in the
// X-API-KEY header) into a provider.Snapshot. It decodes only allowlisted fields, pages through every
// listing before returning anything, paces itself to Breathe's 60 requests a minute, and classifies
// failures onto the provider package's sentinel errors. It never retries: the controller owns backoff.
package breathehr

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/dirsync/dirsync/internal/provider"
)

const (
	// DefaultBaseURL is Breathe HR's production API.
	DefaultBaseURL = "https://api.breathehr.com/v1"
	// SandboxBaseURL is Breathe HR's sandbox API, which takes the account's separate sandbox key.
	SandboxBaseURL = "https://api.sandbox.breathehr.info/v1"

	// PerPage is the page size the client asks for: Breathe's maximum.
	PerPage = 100
	// MaxPages bounds one listing, so that a misbehaving server cannot keep the client paging forever.
	MaxPages = 10000
	// MaxBodyBytes caps one page's body. A page of 100 employees is a few hundred KiB.
	MaxBodyBytes int64 = 16 << 20

	// errorBodyBytes is how much of an error response the client reads to find its error text.
	errorBodyBytes = 4 << 10
	// maxMessageRunes bounds the provider's error text quoted in an error.
	maxMessageRunes = 100
)

// Client reads one Breathe HR account. It lives for one sync; build it with New.
type Client struct {
	base     *url.URL
	apiKey   string
	http     *http.Client
	pacer    *pacer // nil when unpaced
	now      func() time.Time
	maxBody  int64
	maxPages int
}

var _ provider.Provider = (*Client)(nil)

// New builds a Client from cfg; it is the provider.Factory for Breathe HR. cfg.BaseURL (path kept, e.g.
// http://127.0.0.1:8080/v1) overrides DefaultBaseURL. Surrounding white space is trimmed from the key.
func New(cfg provider.Config) (provider.Provider, error) {
	base, err := baseURL(cfg.BaseURL)
	if err != nil {
		return nil, err
	}
	key := strings.TrimSpace(cfg.APIKey)
	if key == "" {
		return nil, errors.New("breathehr: the API key is empty")
	}
	if strings.ContainsFunc(key, func(r rune) bool { return r < 0x21 || r == 0x7f }) {
		return nil, errors.New("breathehr: the API key contains white space or a control character; store it without line breaks")
	}
	hc := cfg.HTTPClient
	if hc == nil {
		hc = provider.NewHTTPClient(provider.HTTPOptions{})
	}
	c := &Client{
		base:     base,
		apiKey:   key,
		http:     provider.SameHostOnly(hc),
		now:      cfg.Clock(),
		maxBody:  MaxBodyBytes,
		maxPages: MaxPages,
	}
	if !cfg.Unpaced {
		c.pacer = newPacer(burst, refill)
	}
	return c, nil
}

func baseURL(u *url.URL) (*url.URL, error) {
	if u == nil {
		return url.Parse(DefaultBaseURL)
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, errors.New("breathehr: the endpoint must be an absolute http or https URL, e.g. " + DefaultBaseURL)
	}
	if u.User != nil {
		return nil, errors.New("breathehr: the endpoint must not contain a user name or password")
	}
	b := &url.URL{Scheme: u.Scheme, Host: u.Host, Path: strings.TrimRight(u.Path, "/")}
	return b, nil
}

// Fetch reads every department and every employee. It returns the complete snapshot or an error, never both.
func (c *Client) Fetch(ctx context.Context) (*provider.Snapshot, error) {
	st := &stats{}
	depts, err := listAll(ctx, c, st, "departments", decodeDepartments)
	if err != nil {
		return nil, err
	}
	if id, dup := firstDuplicate(depts, func(d provider.Department) string { return d.ExternalID }); dup {
		return nil, fmt.Errorf("breathehr: department id %s is listed twice: %w", id, provider.ErrInvalidResponse)
	}
	emps, err := listAll(ctx, c, st, "employees", decodeEmployees)
	if err != nil {
		return nil, err
	}
	if id, dup := firstDuplicate(emps, func(e provider.Employee) string { return e.ExternalID }); dup {
		return nil, fmt.Errorf("breathehr: employee id %s is listed twice: %w", id, provider.ErrInvalidResponse)
	}
	return &provider.Snapshot{Employees: emps, Departments: depts, Requests: st.requests, Bytes: st.bytes}, nil
}

func firstDuplicate[T any](items []T, id func(T) string) (string, bool) {
	seen := make(map[string]struct{}, len(items))
	for _, it := range items {
		k := id(it)
		if _, ok := seen[k]; ok {
			return k, true
		}
		seen[k] = struct{}{}
	}
	return "", false
}

// stats counts one fetch's requests and body bytes.
type stats struct {
	requests int
	bytes    int64
}

// page is one successful response: its body and the headers pagination needs.
type page struct {
	body   []byte
	header http.Header
}

// get makes one paced GET and returns the body of a 2xx response, or a classified error. what names
// the request in errors ("GET /v1/employees (page 2)"): path only, never the query or headers.
func (c *Client) get(ctx context.Context, st *stats, u *url.URL, what string) (*page, error) {
	if c.pacer != nil {
		if err := c.pacer.wait(ctx); err != nil {
			return nil, fmt.Errorf("breathehr: %s: %w: %w", what, provider.ErrUnavailable, err)
		}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, fmt.Errorf("breathehr: %s: cannot build the request: %w", what, provider.ErrInvalidResponse)
	}
	req.Header.Set("X-API-KEY", c.apiKey)
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", "dirsync")
	st.requests++
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, c.transportError(ctx, what, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return nil, c.statusError(what, resp, st)
	}
	var n int64
	body, err := io.ReadAll(provider.LimitBody(resp.Body, c.maxBody, &n))
	st.bytes += n
	if err != nil {
		return nil, c.bodyError(ctx, what, err)
	}
	return &page{body: body, header: resp.Header}, nil
}

func (c *Client) transportError(ctx context.Context, what string, err error) error {
	if errors.Is(err, provider.ErrRedirectRefused) {
		return fmt.Errorf("breathehr: %s: %s, so the API key was not sent there; check the endpoint: %w",
			what, provider.ErrRedirectRefused, provider.ErrInvalidResponse)
	}
	if ctx.Err() != nil {
		return fmt.Errorf("breathehr: %s: %w: %w", what, provider.ErrUnavailable, ctx.Err())
	}
	cause := err
	var ue *url.Error
	if errors.As(err, &ue) {
		cause = ue.Err // url.Error's text repeats the whole URL
	}
	return fmt.Errorf("breathehr: %s: %s: %w", what, c.sanitise(cause.Error(), 200), provider.ErrUnavailable)
}

func (c *Client) bodyError(ctx context.Context, what string, err error) error {
	if errors.Is(err, provider.ErrInvalidResponse) { // the body cap
		return fmt.Errorf("breathehr: %s: %w", what, err)
	}
	var ne net.Error
	if ctx.Err() != nil || errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout()) {
		return fmt.Errorf("breathehr: %s: timed out reading the response: %w", what, provider.ErrUnavailable)
	}
	return fmt.Errorf("breathehr: %s: the response was cut off: %w", what, provider.ErrInvalidResponse)
}

// statusError classifies a non-2xx response. It quotes at most a short excerpt of the JSON error text.
func (c *Client) statusError(what string, resp *http.Response, st *stats) error {
	var n int64
	raw, _ := io.ReadAll(provider.LimitBody(io.LimitReader(resp.Body, errorBodyBytes), errorBodyBytes, &n))
	st.bytes += n
	head := fmt.Sprintf("breathehr: %s: HTTP %d", what, resp.StatusCode)
	if msg := c.sanitise(errorText(raw), maxMessageRunes); msg != "" {
		head += fmt.Sprintf(" (%q)", msg)
	}
	code := resp.StatusCode
	switch {
	case code == http.StatusUnauthorized:
		return fmt.Errorf("%s: %w; check the API key in the Secret (production and sandbox keys differ)",
			head, provider.ErrUnauthorized)
	case code == http.StatusForbidden:
		return fmt.Errorf("%s: %w; enable the API in Breathe HR under Settings → Integrations → API Setup, and check the key",
			head, provider.ErrUnauthorized)
	case code == http.StatusTooManyRequests:
		return fmt.Errorf("%s: %w", head, &provider.RateLimitedError{RetryAfter: retryAfter(resp.Header.Get("Retry-After"), c.now())})
	case code >= 500:
		return fmt.Errorf("%s: %w", head, provider.ErrUnavailable)
	case code == http.StatusNotFound:
		return fmt.Errorf("%s: %w; check the endpoint's base path, e.g. %s", head, provider.ErrInvalidResponse, DefaultBaseURL)
	default:
		return fmt.Errorf("%s: %w", head, provider.ErrInvalidResponse)
	}
}

// sanitise makes text safe to put in an error: the API key removed (any case), control characters and
// runs of white space collapsed to one space, and at most max runes kept.
func (c *Client) sanitise(s string, max int) string {
	return provider.OneLine(provider.Redact(s, c.apiKey), max)
}

// maxRetryAfter bounds a Retry-After value, so that a hostile value cannot overflow a Duration.
const maxRetryAfter = 24 * time.Hour

// retryAfter parses a Retry-After value: delay seconds or an HTTP date. Absent or unparsable gives 0.
func retryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if isDigits(v) {
		if len(v) > 6 { // more than 11 days either way
			return maxRetryAfter
		}
		var secs int64
		for _, r := range v {
			secs = secs*10 + int64(r-'0')
		}
		return min(time.Duration(secs)*time.Second, maxRetryAfter)
	}
	t, err := http.ParseTime(v)
	if err != nil {
		return 0
	}
	d := t.Sub(now)
	if d < 0 {
		return 0
	}
	return min(d, maxRetryAfter)
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
