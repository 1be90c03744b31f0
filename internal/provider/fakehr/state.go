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
	"crypto/subtle"
	"strings"
	"sync"
)

// State is what every fake server keeps behind one lock: the company, the accepted API key, the base
// URL, the injected faults and the request count. A fake embeds it and so implements most of Server;
// it adds only its wire format (Handler), SetURL's normalisation and Close.
type State struct {
	mu       sync.Mutex
	company  Company
	apiKey   string
	url      string
	faults   []Fault
	requests int

	quit     chan struct{} // closed by Quit: hanging requests end
	quitOnce sync.Once
}

// NewState returns a State serving a copy of c and accepting apiKey.
func NewState(c Company, apiKey string) *State {
	return &State{company: c.Clone(), apiKey: apiKey, quit: make(chan struct{})}
}

// Quit ends every request that FaultHang holds, now and later: call it before shutting a server down,
// which otherwise waits for them. It is safe to call more than once.
func (s *State) Quit() { s.quitOnce.Do(func() { close(s.quit) }) }

// Quitting is closed once Quit has been called.
func (s *State) Quitting() <-chan struct{} { return s.quit }

// URL is the base URL recorded by SetURL.
func (s *State) URL() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.url
}

// SetURL records the base URL, without a trailing slash.
func (s *State) SetURL(u string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.url = strings.TrimRight(u, "/")
}

// APIKey is the key the server accepts.
func (s *State) APIKey() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.apiKey
}

// SetAPIKey changes the accepted key (a rotation on the provider's side).
func (s *State) SetAPIKey(key string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.apiKey = key
}

// KeyMatches reports, in constant time, whether key is the accepted one. An empty key never matches.
func (s *State) KeyMatches(key string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return key != "" && subtle.ConstantTimeCompare([]byte(key), []byte(s.apiKey)) == 1
}

// Company returns a copy of the served company.
func (s *State) Company() Company {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.company.Clone()
}

// SetCompany replaces the served company.
func (s *State) SetCompany(c Company) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.company = c.Clone()
}

// Update changes the served company in place, under the lock. f must not call other State methods.
func (s *State) Update(f func(c *Company)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f(&s.company)
}

// Read calls f with the served company under the lock, for rendering a response without copying it.
// f must neither keep c nor call other State methods.
func (s *State) Read(f func(c *Company)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f(&s.company)
}

// InjectFault queues f. When several faults apply to a request, the earliest injected answers it.
func (s *State) InjectFault(f Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = append(s.faults, f)
}

// ClearFaults removes every injected fault.
func (s *State) ClearFaults() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = nil
}

// CountRequest records one API request (admin calls are not counted).
func (s *State) CountRequest() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests++
}

// Requests is how many API requests the server has answered, whatever their outcome.
func (s *State) Requests() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.requests
}

// TakeFault returns the earliest injected fault for which applies is true (nil applies: any), counting
// down its Times and removing it when they run out.
func (s *State) TakeFault(applies func(FaultKind) bool) (Fault, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, f := range s.faults {
		if applies != nil && !applies(f.Kind) {
			continue
		}
		if f.Times > 0 {
			s.faults[i].Times--
			if s.faults[i].Times == 0 {
				s.faults = append(s.faults[:i], s.faults[i+1:]...)
			}
		}
		return f, true
	}
	return Fault{}, false
}

// Index maps employee and department ids to their records, so a fake renders n employees in O(n).
type Index struct {
	Employees   map[string]*Employee
	Departments map[string]*Department
}

// NewIndex indexes c; the pointers are into c.
func NewIndex(c *Company) Index {
	ix := Index{Employees: make(map[string]*Employee, len(c.Employees)), Departments: make(map[string]*Department, len(c.Departments))}
	for i := range c.Employees {
		ix.Employees[c.Employees[i].ID] = &c.Employees[i]
	}
	for i := range c.Departments {
		ix.Departments[c.Departments[i].ID] = &c.Departments[i]
	}
	return ix
}
