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

// Package accesspeoplehr reads an Access People HR (People HR) account into a provider.Snapshot. The API
// is RPC over HTTPS: one POST to <base>/Employee whose JSON body carries the API key and the action
// GetAllEmployeeDetail returns every employee, leavers included, in one envelope. Departments are derived
// from the employees' Department values. The client stream-decodes only allowlisted fields, is all or
// nothing, classifies failures onto the provider package's sentinel errors and never retries: the
// controller owns backoff. README.md beside this file records what was confirmed about the API, and where.
package accesspeoplehr

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"time"

	"github.com/dirsync/dirsync/internal/provider"
)

const (
	// DefaultBaseURL is Access People HR's production API; the client POSTs to DefaultBaseURL + "/Employee".
	DefaultBaseURL = "https://api.peoplehr.net"
	// EmployeePath is the endpoint, relative to the base URL, that serves GetAllEmployeeDetail.
	EmployeePath = "Employee"
	// ActionGetAllEmployeeDetail is the action the client asks for.
	ActionGetAllEmployeeDetail = "GetAllEmployeeDetail"

	// errorBodyBytes is how much of a non-2xx body the client drains (never reads into an error).
	errorBodyBytes = 4 << 10
)

// KnownHosts are the hosts of Access People HR's API: the only ones a Directory's endpoint may name
// unless the manager's --allowed-endpoint-hosts adds more (provider.CheckEndpointHost).
func KnownHosts() []string { return []string{"api.peoplehr.net"} }

// Client reads one Access People HR account. It lives for one sync; build it with New.
type Client struct {
	endpoint *url.URL
	apiKey   string
	http     *http.Client
	now      func() time.Time
	// maxBody caps the response body; zero means provider.DefaultMaxBodyBytes.
	maxBody int64
	// progress hears (1, 1) once the one response is read; nil when nobody listens.
	progress func(done, total int)
	// claim is provider.Config.Claim: offered every employee once the response is mapped.
	claim func(*provider.Employee) bool
	// maxEmployees is provider.Config.EmployeeLimit: the decoder stops at one record more.
	maxEmployees int
}

var _ provider.Provider = (*Client)(nil)

// New builds a Client from cfg; it is the provider.Factory for Access People HR. cfg.BaseURL (path kept,
// e.g. http://127.0.0.1:8080/peoplehr) overrides DefaultBaseURL; surrounding white space is trimmed
// from the API key, and a malformed one (empty, white space inside) is rejected with
// provider.ErrUnauthorized, an unusable base URL with provider.ErrInvalidConfig.
func New(cfg provider.Config) (provider.Provider, error) {
	c, err := newClient(cfg)
	if err != nil {
		return nil, err
	}
	return c, nil
}

func newClient(cfg provider.Config) (*Client, error) {
	base, err := provider.BaseURL("accesspeoplehr", cfg.BaseURL, DefaultBaseURL)
	if err != nil {
		return nil, err
	}
	if err := provider.CheckEndpointHost("accesspeoplehr", base, KnownHosts(), cfg.AllowedHosts); err != nil {
		return nil, err
	}
	key, err := provider.CheckAPIKey("accesspeoplehr", cfg.APIKey)
	if err != nil {
		return nil, err
	}
	hc := cfg.HTTPClient
	if hc == nil {
		hc = provider.NewHTTPClient(provider.HTTPOptions{})
	}
	return &Client{endpoint: base.JoinPath(EmployeePath), apiKey: key, http: provider.SameHostOnly(hc), now: cfg.Clock(), progress: cfg.Progress,
		claim: cfg.Claim, maxEmployees: cfg.EmployeeLimit()}, nil
}

// request is the body of the one call the client makes. Booleans are the strings "true"/"false".
type request struct {
	APIKey         string `json:"APIKey"`
	Action         string `json:"Action"`
	IncludeLeavers string `json:"IncludeLeavers"`
}

// Fetch POSTs GetAllEmployeeDetail (leavers included) once and returns every employee and the
// departments derived from them, or an error wrapping provider.ErrUnauthorized, provider.ErrUnavailable,
// provider.ErrInvalidResponse or a *provider.RateLimitedError. The error text never contains the API key.
// An account without employees ("No record found.") is an empty snapshot, not an error.
func (c *Client) Fetch(ctx context.Context) (*provider.Snapshot, error) {
	snap, err := c.fetch(ctx)
	if err != nil {
		return nil, withoutKey(err, c.apiKey)
	}
	return snap, nil
}

func (c *Client) fetch(ctx context.Context) (*provider.Snapshot, error) {
	body, err := json.Marshal(request{APIKey: c.apiKey, Action: ActionGetAllEmployeeDetail, IncludeLeavers: "true"})
	if err != nil {
		return nil, fmt.Errorf("accesspeoplehr: encoding the request: %w", provider.ErrInvalidConfig)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.endpoint.String(), bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("accesspeoplehr: building the request: %w", provider.ErrInvalidConfig)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", provider.UserAgent())

	resp, err := c.http.Do(req)
	if err != nil {
		return nil, transportError(err)
	}
	defer func() {
		_, _ = io.CopyN(io.Discard, resp.Body, errorBodyBytes)
		_ = resp.Body.Close()
	}()
	if err := statusError(resp, c.now()); err != nil {
		return nil, err
	}

	var n int64
	emps, depts, err := decodeResponse(provider.LimitBody(resp.Body, c.maxBody, &n), today(c.now()), c.apiKey, c.maxEmployees)
	if err != nil {
		return nil, err
	}
	if c.progress != nil {
		c.progress(1, 1)
	}
	return &provider.Snapshot{Employees: provider.Unclaimed(emps, c.claim), Departments: depts, Requests: 1, Bytes: n}, nil
}

// today is the calendar date of now in UTC, as YYYY-MM-DD.
func today(now time.Time) string { return now.UTC().Format(time.DateOnly) }

// transportError classifies a failed round trip: no response arrived.
func transportError(err error) error {
	switch {
	case errors.Is(err, provider.ErrRedirectRefused):
		return fmt.Errorf("accesspeoplehr: the endpoint redirected to another host, which is refused so that the API key "+
			"cannot follow: %w", provider.ErrInvalidResponse)
	case isTimeout(err):
		return fmt.Errorf("accesspeoplehr: the request timed out: %w", provider.ErrUnavailable)
	case errors.Is(err, context.Canceled):
		return fmt.Errorf("accesspeoplehr: the request was cancelled: %w", provider.ErrUnavailable)
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err // the URL is known to the caller; keep the cause short
	}
	return fmt.Errorf("accesspeoplehr: the request failed: %w: %w", err, provider.ErrUnavailable)
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout())
}

// statusError classifies the HTTP status: 2xx is decoded; 429 is rate limiting; 5xx is an outage; anything
// else (including a 401/403, which the real API never sends: its key errors come as HTTP 200 envelopes)
// is not the API answering.
func statusError(resp *http.Response, now time.Time) error {
	code := resp.StatusCode
	switch {
	case code >= 200 && code <= 299:
		return nil
	case code == http.StatusTooManyRequests:
		return fmt.Errorf("accesspeoplehr: the provider answered HTTP 429: %w",
			&provider.RateLimitedError{RetryAfter: provider.RetryAfter(resp.Header.Get("Retry-After"), now)})
	case code >= 500:
		return fmt.Errorf("accesspeoplehr: the provider answered HTTP %d: %w", code, provider.ErrUnavailable)
	default:
		return fmt.Errorf("accesspeoplehr: the provider answered HTTP %d: %w", code, provider.ErrInvalidResponse)
	}
}
