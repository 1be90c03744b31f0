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

// Package fake is a real HTTP fake of the Breathe HR API (GET /v1/employees and /v1/departments with
// X-API-KEY auth, page/per_page pagination, Link/Total/Per-Page headers) serving a fakehr.Company, with
// fault injection and optional rate-limit emulation. Tests start it with NewServer; the fakehr binary
// mounts New(...).Handler() on its own listener.
package fake

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"time"

	"github.com/dirsync/dirsync/internal/provider/fakehr"
)

// DefaultAPIKey is the key a Server accepts unless told otherwise.
const DefaultAPIKey = "breathe-demo-key"

const (
	// DefaultPerPage is the page size when a request names none. A public client's recorded test
	// (100 rows a page, 2129 rows over 22 pages, no per_page sent) suggests Breathe's default is 100.
	DefaultPerPage = 100
	// MaxPerPage is Breathe's largest page.
	MaxPerPage = 100
)

// Server is a fake Breathe HR API. It implements fakehr.Server and is safe for concurrent use.
type Server struct {
	*fakehr.State // company, key, URL, faults, request count

	mu     sync.Mutex  // guards recent
	recent []time.Time // request times within the rate-limit window
	opts   options

	hs *httptest.Server // nil unless started by NewServer
}

var _ fakehr.HandlerServer = (*Server)(nil)

type options struct {
	apiKey         string
	rateLimit      int
	ratePer        time.Duration
	noLink         bool
	noTotal        bool
	defaultPerPage int
	now            func() time.Time
}

// Option configures a Server.
type Option func(*options)

// WithAPIKey sets the accepted API key (default DefaultAPIKey).
func WithAPIKey(key string) Option { return func(o *options) { o.apiKey = key } }

// WithRateLimit answers 429 (without Retry-After, with Breathe's body {"error":{"type":"Rate Limit
// Reached"}}) once more than n API requests arrive within any per (a sliding window). Off by default, so
// benchmarks measure the client rather than the limit.
func WithRateLimit(n int, per time.Duration) Option {
	return func(o *options) { o.rateLimit, o.ratePer = n, per }
}

// WithoutLinkHeader stops the server sending Link headers, so clients must page by count.
func WithoutLinkHeader() Option { return func(o *options) { o.noLink = true } }

// WithoutTotalHeader stops the server sending the Total header.
func WithoutTotalHeader() Option { return func(o *options) { o.noTotal = true } }

// WithDefaultPerPage sets the page size used when a request sends no per_page (default DefaultPerPage).
func WithDefaultPerPage(n int) Option { return func(o *options) { o.defaultPerPage = n } }

// WithClock sets the clock of the rate-limit emulation and of length_of_service_in_months (default time.Now).
func WithClock(now func() time.Time) Option { return func(o *options) { o.now = now } }

// New returns a Server for c that does not listen: mount Handler() on a listener and call SetURL.
// An empty apiKey means DefaultAPIKey.
func New(c fakehr.Company, apiKey string, opts ...Option) *Server {
	o := options{apiKey: apiKey, defaultPerPage: DefaultPerPage, now: time.Now}
	for _, opt := range opts {
		opt(&o)
	}
	if o.apiKey == "" {
		o.apiKey = DefaultAPIKey
	}
	if o.defaultPerPage <= 0 || o.defaultPerPage > MaxPerPage {
		o.defaultPerPage = DefaultPerPage
	}
	return &Server{State: fakehr.NewState(c, o.apiKey), opts: o}
}

// NewServer starts a Server for c on 127.0.0.1 (httptest). Close it when done.
func NewServer(c fakehr.Company, opts ...Option) *Server {
	s := New(c, "", opts...)
	s.hs = httptest.NewServer(s.Handler())
	s.SetURL(s.hs.URL)
	return s
}

// Handler serves the API under /v1/.
func (s *Server) Handler() http.Handler { return http.HandlerFunc(s.serveHTTP) }

// SetURL records where the server is reachable: its root (http://host:port) or its base URL ending in /v1.
func (s *Server) SetURL(u string) {
	u = strings.TrimRight(u, "/")
	if !strings.HasSuffix(u, "/v1") {
		u += "/v1"
	}
	s.State.SetURL(u)
}

// RequestKey is the API key a request carries: its X-API-KEY header. A fakehr.Fleet routes by it.
func RequestKey(r *http.Request) string { return r.Header.Get("X-API-KEY") }

// Close ends hanging requests and stops the listener started by NewServer (a Server built with New has
// none).
func (s *Server) Close() {
	s.Quit()
	if s.hs != nil {
		s.hs.Close()
	}
}

// response is what one request is answered with, decided under the lock and written after it.
type response struct {
	code   int
	header http.Header
	body   []byte
	fault  *fakehr.Fault // a body fault (truncated, slow) applied while writing
}

func (s *Server) serveHTTP(w http.ResponseWriter, r *http.Request) {
	resp := s.answer(r)
	for k, v := range resp.header {
		w.Header()[k] = v
	}
	if resp.header.Get("Content-Type") == "" {
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
	}
	s.writeBody(w, r, resp)
}

// answer decides the response to r under the lock.
func (s *Server) answer(r *http.Request) response {
	s.CountRequest()
	if r.Method != http.MethodGet {
		return errorResponse(http.StatusMethodNotAllowed, "Method not allowed")
	}
	resource, ok := strings.CutPrefix(r.URL.Path, "/v1/")
	if !ok || (resource != "employees" && resource != "departments") {
		return errorResponse(http.StatusNotFound, "Not found")
	}
	if s.limited() {
		return rateLimited()
	}
	if !s.KeyMatches(RequestKey(r)) {
		return unauthorized()
	}
	q := pageQuery(r, s.opts.defaultPerPage)
	if f, ok := s.TakeFault(func(k fakehr.FaultKind) bool { return applies(k, resource, q.page) }); ok {
		return s.faultResponse(r, resource, q, f)
	}
	return s.page(r, resource, q)
}

// limited records this request for the rate-limit emulation and reports whether it is over the limit.
func (s *Server) limited() bool {
	if s.opts.rateLimit <= 0 {
		return false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.opts.now()
	keep := s.recent[:0]
	for _, t := range s.recent {
		if now.Sub(t) < s.opts.ratePer {
			keep = append(keep, t)
		}
	}
	s.recent = keep
	if len(s.recent) >= s.opts.rateLimit {
		return true
	}
	s.recent = append(s.recent, now)
	return false
}

func applies(k fakehr.FaultKind, resource string, page int) bool {
	switch k {
	case fakehr.FaultMissingPage:
		return resource == "employees" && page == 2
	case fakehr.FaultEmptyList, fakehr.FaultDuplicateIDs:
		return resource == "employees"
	default:
		return true
	}
}
