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
// X-API-KEY header) into a provider.Snapshot. It decodes only allowlisted fields and pages through every
// listing before returning anything. It keeps every account within Breathe's 60 requests a minute, shared
// by every Directory using the same key; a 429 in the middle of a listing makes it wait for the window to
// clear and resume the same page, a bounded number of times. Failures are classified onto the provider
// package's sentinel errors; retrying a failed sync is the controller's business.
package breathehr

import (
	"bytes"
	"context"
	"crypto/sha256"
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
	// DefaultBaseURL is Breathe HR's production API.
	DefaultBaseURL = "https://api.breathehr.com/v1"
	// SandboxBaseURL is Breathe HR's sandbox API (.info, not .com), which takes the account's separate
	// sandbox key.
	SandboxBaseURL = "https://api.sandbox.breathehr.info/v1"

	// PerPage is the page size the client asks for: Breathe's maximum.
	PerPage = 100
	// MaxPages bounds one listing, so that a misbehaving server cannot keep the client paging forever.
	MaxPages = 10000
	// MaxBodyBytes caps one page's body. A page of 100 employees is a few hundred KiB.
	MaxBodyBytes int64 = 16 << 20
	// MaxPageItems bounds the rows of one page: ten times the PerPage the client asks for. The rows are
	// counted in the body before it is decoded, since a row of two bytes ({}) decodes into a struct of
	// about 500.
	MaxPageItems = 10 * PerPage
	// maxPresizedRows is the most rows the Total header may reserve room for at once: 100 pages.
	maxPresizedRows = 100 * PerPage
	// maxPresizedBody is the most a Content-Length header may reserve for one page's body; a larger
	// body (never a real page) grows the buffer as it is read.
	maxPresizedBody int64 = 1 << 20
	// RateLimitWaits is how many times one request waits after a 429 before the fetch fails with a
	// *provider.RateLimitedError.
	RateLimitWaits = 3
	// MaxRateLimitWait is the longest wait after a 429 the client sits out itself: Breathe sends no
	// Retry-After, so it waits BudgetWindow; a longer Retry-After, should one appear, goes to the controller
	// in the RateLimitedError, whose schedule honours it.
	MaxRateLimitWait = BudgetWindow

	// errorBodyBytes is how much of an error response the client reads to find its error text.
	errorBodyBytes = 4 << 10
	// maxMessageRunes bounds the provider's error text quoted in an error.
	maxMessageRunes = 100
)

// KnownHosts are the hosts of Breathe HR's API, production and sandbox: the only ones a Directory's
// endpoint may name unless the manager's --allowed-endpoint-hosts adds more (provider.CheckEndpointHost).
func KnownHosts() []string { return []string{"api.breathehr.com", "api.sandbox.breathehr.info"} }

// Client reads one Breathe HR account. It lives for one sync; build it with New.
type Client struct {
	base     *url.URL
	apiKey   string
	account  [sha256.Size]byte // budgetID(base's origin, apiKey)
	http     *http.Client
	maxBody  int64
	maxPages int
	// maxEmployees is provider.Config.EmployeeLimit: the listing stops once it says or sends more.
	maxEmployees int
	o            options
	// progress hears pages read of the pages expected (0 while unknown); nil when nobody listens.
	progress func(done, total int)
	// claim is provider.Config.Claim: offered each employee as its page is mapped (see mapper).
	claim func(*provider.Employee) bool
}

var _ provider.Provider = (*Client)(nil)

// options are what NewFactory's Options set; the zero value is never used.
type options struct {
	budget int           // requests per window; 0 means unpaced
	window time.Duration // the budget's window
	waits  int           // waits after a 429, per request
	// The budget's clock, sleep and registry: wall time and the process registry except in tests.
	clock    func() time.Time
	sleep    func(ctx context.Context, d time.Duration) error
	accounts *budgets
}

func defaultOptions() options {
	o := options{budget: RequestBudget, window: BudgetWindow, waits: RateLimitWaits, clock: time.Now,
		sleep: sleepCtx, accounts: accounts}
	if benchUnpaced() {
		o.budget = 0
	}
	return o
}

// benchUnpaced reports whether pacing is off. Only a binary built with the dirsync_bench tag can say yes
// (see bench.go); the manager that ships cannot turn pacing off.
var benchUnpaced = func() bool { return false }

// PacingDisabled reports whether this binary was built with the dirsync_bench tag and told to send
// requests unpaced, as the benchmark does against its fake.
func PacingDisabled() bool { return benchUnpaced() }

// Option changes the clients a Factory builds.
type Option func(*options)

// WithRateLimitWaits sets how many times one request waits after a 429 before the fetch fails (default
// RateLimitWaits); 0 fails at the first 429, as tests of the controller's backoff want.
func WithRateLimitWaits(n int) Option { return func(o *options) { o.waits = max(0, n) } }

// NewFactory returns the provider.Factory for Breathe HR with opts applied.
func NewFactory(opts ...Option) provider.Factory {
	o := defaultOptions()
	for _, opt := range opts {
		opt(&o)
	}
	return func(cfg provider.Config) (provider.Provider, error) { return newClient(cfg, o) }
}

// New builds a Client from cfg; it is the provider.Factory for Breathe HR. cfg.BaseURL (path kept, e.g.
// http://127.0.0.1:8080/v1) overrides DefaultBaseURL. Surrounding white space is trimmed from the key.
func New(cfg provider.Config) (provider.Provider, error) { return newClient(cfg, defaultOptions()) }

func newClient(cfg provider.Config, o options) (*Client, error) {
	base, err := provider.BaseURL("breathehr", cfg.BaseURL, DefaultBaseURL)
	if err != nil {
		return nil, err
	}
	if err := provider.CheckEndpointHost("breathehr", base, KnownHosts(), cfg.AllowedHosts); err != nil {
		return nil, err
	}
	key, err := provider.CheckAPIKey("breathehr", cfg.APIKey)
	if err != nil {
		return nil, err
	}
	hc := cfg.HTTPClient
	if hc == nil {
		hc = provider.NewHTTPClient(provider.HTTPOptions{})
	}
	return &Client{
		base:         base,
		apiKey:       key,
		account:      budgetID(provider.Origin(base), key),
		http:         provider.SameHostOnly(hc),
		maxBody:      MaxBodyBytes,
		maxPages:     MaxPages,
		maxEmployees: cfg.EmployeeLimit(),
		o:            o,
		progress:     cfg.Progress,
		claim:        cfg.Claim,
	}, nil
}

// Fetch reads every department and every employee. It returns the complete snapshot or an error, never both.
func (c *Client) Fetch(ctx context.Context) (*provider.Snapshot, error) {
	st := &stats{}
	if c.o.budget > 0 {
		st.budget = c.o.accounts.acquire(c.account, c.o.budget, c.o.window, c.o.clock())
		defer func() { c.o.accounts.release(st.budget, c.o.clock()) }()
	}
	depts, err := listAll(ctx, c, st, "departments", decodeDepartments)
	if err != nil {
		return nil, err
	}
	if id, dup := firstDuplicate(depts, func(d provider.Department) string { return d.ExternalID }); dup {
		return nil, fmt.Errorf("breathehr: department id %s is listed twice: %w", id, provider.ErrInvalidResponse)
	}
	m := newMapper(depts) // maps each page as it is read: the decoded pages are not all held at once
	m.claim = c.claim
	if err := eachPage(ctx, c, st, "employees", decodeEmployeePage, c.mapPage(m)); err != nil {
		return nil, err
	}
	emps := m.employees()
	if id, dup := firstDuplicate(emps, func(e provider.Employee) string { return e.ExternalID }); dup {
		return nil, fmt.Errorf("breathehr: employee id %s is listed twice: %w", id, provider.ErrInvalidResponse)
	}
	return &provider.Snapshot{Employees: emps, Departments: depts, Requests: st.requests, Bytes: st.bytes}, nil
}

// mapPage hands each page of the employee listing to m, once the page and its Total header are
// within the employee limit: over it, the listing stops with a *provider.TooManyEmployeesError.
func (c *Client) mapPage(m *mapper) func(ws []wireEmployee, total int) error {
	return func(ws []wireEmployee, total int) error {
		if total > c.maxEmployees || m.seen+len(ws) > c.maxEmployees {
			return fmt.Errorf("breathehr: GET /employees: %w", &provider.TooManyEmployeesError{Limit: c.maxEmployees})
		}
		m.addPage(ws, total)
		return nil
	}
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

// stats is one fetch's state: its requests and body bytes, the account's budget (nil when unpaced), and
// the pages read and expected for progress (pagesBefore: pages of the listings already finished).
type stats struct {
	requests    int
	bytes       int64
	budget      *budget
	pages       int
	pagesBefore int
}

// page is one successful response: its body and the headers pagination needs.
type page struct {
	body   []byte
	header http.Header
}

// get makes one paced GET and returns the body of a 2xx response, or a classified error. After a 429 it
// holds the account's budget for the window (or the Retry-After, up to MaxRateLimitWait) and asks for the
// same page again, at most c.o.waits times, so that the pages already read are kept. what names the
// request in errors ("GET /v1/employees (page 2)"): path only, never the query or headers.
func (c *Client) get(ctx context.Context, st *stats, u *url.URL, what string) (*page, error) {
	for waits := 0; ; waits++ {
		if err := c.pace(ctx, st.budget); err != nil {
			return nil, fmt.Errorf("breathehr: %s: %w: %w", what, provider.ErrUnavailable, err)
		}
		p, err := c.getOnce(ctx, st, u, what)
		var rl *provider.RateLimitedError
		if err == nil || !errors.As(err, &rl) {
			return p, err
		}
		wait := rl.RetryAfter
		if wait <= 0 {
			wait = c.o.window
		}
		if waits >= c.o.waits || wait > MaxRateLimitWait {
			if waits > 0 {
				return nil, fmt.Errorf("%w, still after waiting %d times", err, waits)
			}
			return nil, err
		}
		if st.budget != nil {
			st.budget.pause(c.o.clock().Add(wait)) // every listing of the account waits, not only this one
		} else if err := c.o.sleep(ctx, wait); err != nil {
			return nil, fmt.Errorf("breathehr: %s: %w: %w", what, provider.ErrUnavailable, err)
		}
	}
}

// pace waits for the account's next send time; b is nil when unpaced.
func (c *Client) pace(ctx context.Context, b *budget) error {
	if err := ctx.Err(); err != nil || b == nil {
		return err
	}
	now := c.o.clock()
	slot := b.reserve(now)
	if err := c.o.sleep(ctx, slot.Sub(now)); err != nil {
		b.cancel(slot)
		return err
	}
	return nil
}

// getOnce makes one GET.
func (c *Client) getOnce(ctx context.Context, st *stats, u *url.URL, what string) (*page, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, fmt.Errorf("breathehr: %s: cannot build the request: %w", what, provider.ErrInvalidConfig)
	}
	req.Header.Set("X-API-KEY", c.apiKey)
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", provider.UserAgent())
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
	// A page is read into a buffer of its declared length (up to maxPresizedBody), not grown by
	// doubling: a 10,000-employee listing is ~17 MiB of pages, which io.ReadAll would allocate about
	// three times. A larger declared length is not believed: the buffer grows as the body arrives.
	buf := bytes.NewBuffer(make([]byte, 0, min(max(resp.ContentLength, 0), c.maxBody, maxPresizedBody)+bytes.MinRead))
	_, err = buf.ReadFrom(provider.LimitBody(resp.Body, c.maxBody, &n))
	body := buf.Bytes()
	st.bytes += n
	if err != nil {
		return nil, c.bodyError(ctx, what, err)
	}
	return &page{body: body, header: resp.Header}, nil
}

func (c *Client) transportError(ctx context.Context, what string, err error) error {
	if errors.Is(err, provider.ErrRedirectRefused) {
		return fmt.Errorf("breathehr: %s: %w, so the API key was not sent there; check the endpoint: %w",
			what, provider.ErrRedirectRefused, provider.ErrInvalidResponse)
	}
	if ctx.Err() != nil {
		return fmt.Errorf("breathehr: %s: %w: %w", what, provider.ErrUnavailable, ctx.Err())
	}
	var ne net.Error
	if errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout()) {
		// Go words a client timeout several ways ("awaiting headers", "request canceled"); say it one way.
		return fmt.Errorf("breathehr: %s: timed out waiting for the response: %w", what, provider.ErrUnavailable)
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
		return fmt.Errorf("%s: %w", head, &provider.RateLimitedError{RetryAfter: provider.RetryAfter(resp.Header.Get("Retry-After"), c.o.clock())})
	case code >= 500:
		return fmt.Errorf("%s: %w", head, provider.ErrUnavailable)
	case code == http.StatusNotFound:
		return fmt.Errorf("%s: %w; check the endpoint's base path, e.g. %s", head, provider.ErrInvalidResponse, DefaultBaseURL)
	default:
		return fmt.Errorf("%s: %w", head, provider.ErrInvalidResponse)
	}
}

// sanitise makes text safe to put in an error: the API key removed (any case), control characters and
// runs of white space collapsed to one space, and at most maxRunes runes kept.
func (c *Client) sanitise(s string, maxRunes int) string {
	return provider.OneLine(provider.Redact(s, c.apiKey), maxRunes)
}
