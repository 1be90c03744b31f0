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

package fakehr

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/http"
	"sync"
)

// HandlerServer is a fake that serves its provider's API over HTTP, without a listener of its own: what a
// Fleet holds. Both provider fakes' New return one.
type HandlerServer interface {
	Server
	// Handler serves the provider's API.
	Handler() http.Handler
	// SetURL records where the handler is reachable.
	SetURL(u string)
	// Quit ends the requests that FaultHang holds.
	Quit()
}

// FleetOptions configures NewFleet.
type FleetOptions struct {
	// Keys are the API keys the fleet accepts, one company each, in order.
	Keys []string
	// Company builds the company of Keys[i]; it is called once, on the key's first use.
	Company func(i int) Company
	// New builds one company's fake, accepting apiKey.
	New func(c Company, apiKey string) HandlerServer
	// KeyOf reads the API key a request carries (Breathe HR: the X-API-KEY header; Access People HR: the
	// JSON body, which it must leave readable).
	KeyOf func(r *http.Request) string
	// Hanging are keys whose every API request hangs until the client gives up: nothing is sent, not even
	// headers. Such a request is counted on its company.
	Hanging map[string]bool
}

// Fleet serves many companies from one fake, each behind its own API key (cmd/fakehr --companies): a
// request goes to the company of the key it carries, and a key outside the fleet gets the provider's
// answer to a bad key. Companies are generated on first use, so a large fleet starts at once. It is safe
// for concurrent use.
type Fleet struct {
	o      FleetOptions
	index  map[string]int
	reject HandlerServer // answers every unknown key as the provider answers a bad one

	mu      sync.Mutex
	url     string
	servers map[string]HandlerServer
	faults  []Fault // injected into every company, the ones built later included
	quit    chan struct{}
	quitted bool
}

// NewFleet returns a Fleet; it fails when a key is empty or repeated.
func NewFleet(o FleetOptions) (*Fleet, error) {
	f := &Fleet{o: o, index: make(map[string]int, len(o.Keys)), servers: map[string]HandlerServer{}, quit: make(chan struct{})}
	for i, k := range o.Keys {
		if k == "" {
			return nil, fmt.Errorf("fleet key %d is empty", i)
		}
		if _, dup := f.index[k]; dup {
			return nil, fmt.Errorf("fleet key %q is repeated", k)
		}
		f.index[k] = i
	}
	for k := range o.Hanging {
		if _, ok := f.index[k]; !ok {
			return nil, fmt.Errorf("hanging key %q is not in the fleet", k)
		}
	}
	// The server for unknown keys accepts only a random key nobody has (a fake may read "" as its default).
	var nobody [16]byte
	if _, err := rand.Read(nobody[:]); err != nil {
		return nil, err
	}
	f.reject = o.New(Company{}, "unknown-"+hex.EncodeToString(nobody[:]))
	return f, nil
}

// Keys are the fleet's API keys, in order.
func (f *Fleet) Keys() []string { return append([]string(nil), f.o.Keys...) }

// SetURL records the base URL every company is served at.
func (f *Fleet) SetURL(u string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.url = u
	f.reject.SetURL(u)
	for _, s := range f.servers {
		s.SetURL(u)
	}
}

// URL is the base URL every company is served at (set by SetURL).
func (f *Fleet) URL() string { return f.reject.URL() }

// Company returns the fake serving key's company, building it on first use; false when key is not in
// the fleet.
func (f *Fleet) Company(key string) (HandlerServer, bool) {
	i, ok := f.index[key]
	if !ok {
		return nil, false
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if s, ok := f.servers[key]; ok {
		return s, true
	}
	s := f.o.New(f.o.Company(i), key)
	if f.url != "" {
		s.SetURL(f.url)
	}
	for _, ft := range f.faults {
		s.InjectFault(ft)
	}
	if f.quitted {
		s.Quit()
	}
	f.servers[key] = s
	return s, true
}

// InjectFault injects ft into every company, including those not built yet.
func (f *Fleet) InjectFault(ft Fault) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.faults = append(f.faults, ft)
	for _, s := range f.servers {
		s.InjectFault(ft)
	}
}

// ClearFaults clears every company's faults (hanging keys keep hanging).
func (f *Fleet) ClearFaults() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.faults = nil
	for _, s := range f.servers {
		s.ClearFaults()
	}
}

// Requests is how many API requests the fleet has answered, unknown keys included.
func (f *Fleet) Requests() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := f.reject.Requests()
	for _, s := range f.servers {
		n += s.Requests()
	}
	return n
}

// Quit ends every hanging request, now and later.
func (f *Fleet) Quit() {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.quitted {
		return
	}
	f.quitted = true
	close(f.quit)
	f.reject.Quit()
	for _, s := range f.servers {
		s.Quit()
	}
}

// Handler serves the provider's API for every company.
func (f *Fleet) Handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		key := f.o.KeyOf(r)
		s, ok := f.Company(key)
		if !ok {
			f.reject.Handler().ServeHTTP(w, r)
			return
		}
		if f.o.Hanging[key] {
			countRequest(s)
			Hang(r.Context(), f.quit, 0)
			return
		}
		s.Handler().ServeHTTP(w, r)
	})
}

// countRequest counts one API request on s when it can (every fake embeds *State).
func countRequest(s Server) {
	if c, ok := s.(interface{ CountRequest() }); ok {
		c.CountRequest()
	}
}
