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
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"
)

// Limits of the admin API, so that a typo cannot exhaust the fake's memory.
const (
	// MaxAdminBody is the largest request body the admin API reads (a company of ~100,000 people).
	MaxAdminBody = 64 << 20
	// MaxGeneratedEmployees is the largest company POST /admin/generate makes.
	MaxGeneratedEmployees = 200000
	// MaxGeneratedDepartments is the most departments POST /admin/generate makes.
	MaxGeneratedDepartments = 10000
)

// knownFaults are the FaultKinds POST /admin/fault accepts.
var knownFaults = func() map[FaultKind]bool {
	m := make(map[FaultKind]bool, len(FaultKinds))
	for _, k := range FaultKinds {
		m[k] = true
	}
	return m
}()

// AdminHandler serves an HTTP admin API over s, for driving a running fake from outside the
// process (cmd/fakehr, the demo, e2e tests and benchmarks). Mount it at /admin/. Bodies and
// answers are JSON:
//
//	GET    /admin/company   the served Company (Go field names: {"Employees":[{"ID":…}],"Departments":[…]})
//	PUT    /admin/company   replace the served Company with the body                          → 204
//	POST   /admin/generate  {"seed":1,"employees":200,"departments":12}: replace the company with
//	                        Generate's, ids in style ids (0 or absent means Generate's default) → 200 {"employees":N,"departments":M}
//	POST   /admin/fault     {"kind":"RateLimited","times":2,"retryAfter":"30s","code":0,"message":"","delay":"0s"} → 204
//	                        retryAfter and delay are Go duration strings ("1.5s", "2m"), or a bare
//	                        number of seconds; kind is a FaultKind, e.g. "Unauthorized", "ServerError"
//	DELETE /admin/fault     clear every fault                                                  → 204
//	GET    /admin/stats     {"requests":N}: API requests answered so far (admin calls not counted)
//	PUT    /admin/apikey    {"apiKey":"…"}: change the accepted key (a rotation)               → 204
//	PUT    /admin/webhook   {"url":"http://…/hook/…","encoding":"json"}: the listener URL that HR actions
//	                        are posted to, as People HR's Settings › API has one (url "" turns it off);
//	                        encoding is json (default), form or text (Packet.Encode)                  → 204
//	GET    /admin/webhook   the listener                                                          → 200
//	POST   /admin/webhook   {"actionId":11,"action":"Sickness Added","employeeId":"PW3","fields":{…},
//	                        "url":"…","encoding":"text"}: post one packet, to url or else the listener
//	                        → 200 {"status":202}, or 502 {"error":"…"} when the delivery failed
//	POST   /admin/leaver    {"id":"PW21","leavingDate":"2026-11-30"}: mark an employee a leaver (leaving
//	                        date yesterday when absent, so they are Former; a date ahead makes them a
//	                        PendingLeaver) and, when a listener is set, post People HR's "Marked Leaver"
//	                        packet (ActionId 3) to it → 200 {"employee":"PW21","webhookStatus":202}, with
//	                        "webhookError" when the delivery failed; 404 for an unknown id
//
// Bad bodies answer 400 (413 when over MaxAdminBody) with {"error":"…"}; unknown paths 404 and
// wrong methods 405, from http.ServeMux. The admin API has no authentication: listen on loopback.
// Its answers never contain the API key.
func AdminHandler(s Server, ids IDStyle) http.Handler {
	return (&admin{ids: ids, one: func(*http.Request) (Server, int, string) { return s, 0, "" }, hook: &listener{}}).mux()
}

// FleetAdminHandler serves the admin API of AdminHandler over a Fleet. Every call takes the query
// parameter key=K naming one company (404 when K is not in the fleet), with these exceptions:
//
//	POST   /admin/fault     without key: inject the fault into every company (also those not used yet)
//	DELETE /admin/fault     without key: clear every company's faults (hanging keys keep hanging)
//	GET    /admin/stats     without key: {"requests":N,"companies":M} over the whole fleet
//	PUT    /admin/apikey    refused (400): a fleet's keys are fixed
//	/admin/webhook, /admin/leaver  refused (400): a fleet has no listener
func FleetAdminHandler(f *Fleet, ids IDStyle) http.Handler {
	a := &admin{ids: ids, fleet: f, one: func(r *http.Request) (Server, int, string) {
		key := r.URL.Query().Get("key")
		if key == "" {
			return nil, http.StatusBadRequest, "name a company with the query parameter key=<API key>"
		}
		s, ok := f.Company(key)
		if !ok {
			return nil, http.StatusNotFound, "no company has that key"
		}
		return s, 0, ""
	}}
	return a.mux()
}

func (a *admin) mux() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /admin/company", a.getCompany)
	mux.HandleFunc("PUT /admin/company", a.putCompany)
	mux.HandleFunc("POST /admin/generate", a.generate)
	mux.HandleFunc("POST /admin/fault", a.injectFault)
	mux.HandleFunc("DELETE /admin/fault", a.clearFaults)
	mux.HandleFunc("GET /admin/stats", a.stats)
	mux.HandleFunc("PUT /admin/apikey", a.setAPIKey)
	mux.HandleFunc("PUT /admin/webhook", a.setListener)
	mux.HandleFunc("GET /admin/webhook", a.getListener)
	mux.HandleFunc("POST /admin/webhook", a.postPacket)
	mux.HandleFunc("POST /admin/leaver", a.markLeaver)
	return mux
}

type admin struct {
	// one is the company a request is about, or the status and message to answer instead.
	one   func(r *http.Request) (Server, int, string)
	ids   IDStyle
	fleet *Fleet    // nil for one company
	hook  *listener // nil for a fleet
}

// server is a.one's company, or false after answering the error.
func (a *admin) server(w http.ResponseWriter, r *http.Request) (Server, bool) {
	s, code, msg := a.one(r)
	if s == nil {
		writeError(w, code, msg)
		return nil, false
	}
	return s, true
}

// wholeFleet reports whether r is about every company of a fleet.
func (a *admin) wholeFleet(r *http.Request) bool {
	return a.fleet != nil && r.URL.Query().Get("key") == ""
}

// GenerateRequest is the body of POST /admin/generate.
type GenerateRequest struct {
	Seed        int64 `json:"seed"`
	Employees   int   `json:"employees"`
	Departments int   `json:"departments"`
}

// GenerateResponse answers POST /admin/generate.
type GenerateResponse struct {
	Employees   int `json:"employees"`
	Departments int `json:"departments"`
}

// FaultRequest is the body of POST /admin/fault: a Fault with JSON names and readable durations.
type FaultRequest struct {
	Kind       FaultKind `json:"kind"`
	Times      int       `json:"times,omitempty"`
	RetryAfter Duration  `json:"retryAfter,omitempty"`
	Code       int       `json:"code,omitempty"`
	Message    string    `json:"message,omitempty"`
	Delay      Duration  `json:"delay,omitempty"`
}

// StatsResponse answers GET /admin/stats.
type StatsResponse struct {
	Requests int `json:"requests"`
	// Companies is the fleet's size (FleetAdminHandler without key only).
	Companies int `json:"companies,omitempty"`
}

// APIKeyRequest is the body of PUT /admin/apikey.
type APIKeyRequest struct {
	APIKey string `json:"apiKey"`
}

// Duration is a time.Duration that reads from JSON as a Go duration string ("30s", "1m30s") or a
// number of seconds (30, 0.5), and writes as a duration string.
type Duration time.Duration

// UnmarshalJSON implements json.Unmarshaler.
func (d *Duration) UnmarshalJSON(b []byte) error {
	if len(b) > 0 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		v, err := time.ParseDuration(s)
		if err != nil {
			return fmt.Errorf("duration %q: want a Go duration such as \"30s\" or a number of seconds", s)
		}
		*d = Duration(v)
		return nil
	}
	secs, err := strconv.ParseFloat(string(b), 64)
	if err != nil {
		return fmt.Errorf("duration %s: want a Go duration such as \"30s\" or a number of seconds", b)
	}
	*d = Duration(time.Duration(secs * float64(time.Second)))
	return nil
}

// MarshalJSON implements json.Marshaler.
func (d Duration) MarshalJSON() ([]byte, error) { return json.Marshal(time.Duration(d).String()) }

func (a *admin) getCompany(w http.ResponseWriter, r *http.Request) {
	s, ok := a.server(w, r)
	if !ok {
		return
	}
	writeJSON(w, http.StatusOK, s.Company())
}

func (a *admin) putCompany(w http.ResponseWriter, r *http.Request) {
	s, ok := a.server(w, r)
	if !ok {
		return
	}
	var c Company
	if !decode(w, r, &c) {
		return
	}
	s.SetCompany(c)
	w.WriteHeader(http.StatusNoContent)
}

func (a *admin) generate(w http.ResponseWriter, r *http.Request) {
	s, ok := a.server(w, r)
	if !ok {
		return
	}
	var req GenerateRequest
	if !decode(w, r, &req) {
		return
	}
	if req.Employees < 0 || req.Employees > MaxGeneratedEmployees ||
		req.Departments < 0 || req.Departments > MaxGeneratedDepartments {
		writeError(w, http.StatusBadRequest, fmt.Sprintf("employees must be 0-%d and departments 0-%d (0 means the default)",
			MaxGeneratedEmployees, MaxGeneratedDepartments))
		return
	}
	c := Generate(GenerateOptions{Seed: req.Seed, Employees: req.Employees, Departments: req.Departments, IDs: a.ids})
	s.SetCompany(c)
	writeJSON(w, http.StatusOK, GenerateResponse{Employees: len(c.Employees), Departments: len(c.Departments)})
}

func (a *admin) injectFault(w http.ResponseWriter, r *http.Request) {
	var req FaultRequest
	if !decode(w, r, &req) {
		return
	}
	if !knownFaults[req.Kind] {
		writeError(w, http.StatusBadRequest, fmt.Sprintf("unknown fault kind %q", req.Kind))
		return
	}
	if req.Times < 0 || req.RetryAfter < 0 || req.Delay < 0 {
		writeError(w, http.StatusBadRequest, "times, retryAfter and delay must not be negative")
		return
	}
	f := Fault{Kind: req.Kind, Times: req.Times, RetryAfter: time.Duration(req.RetryAfter),
		Code: req.Code, Message: req.Message, Delay: time.Duration(req.Delay)}
	if a.wholeFleet(r) {
		a.fleet.InjectFault(f)
	} else if s, ok := a.server(w, r); ok {
		s.InjectFault(f)
	} else {
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (a *admin) clearFaults(w http.ResponseWriter, r *http.Request) {
	if a.wholeFleet(r) {
		a.fleet.ClearFaults()
	} else if s, ok := a.server(w, r); ok {
		s.ClearFaults()
	} else {
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (a *admin) stats(w http.ResponseWriter, r *http.Request) {
	if a.wholeFleet(r) {
		writeJSON(w, http.StatusOK, StatsResponse{Requests: a.fleet.Requests(), Companies: len(a.fleet.o.Keys)})
		return
	}
	if s, ok := a.server(w, r); ok {
		writeJSON(w, http.StatusOK, StatsResponse{Requests: s.Requests()})
	}
}

func (a *admin) setAPIKey(w http.ResponseWriter, r *http.Request) {
	if a.fleet != nil {
		writeError(w, http.StatusBadRequest, "a fleet's API keys are fixed; start fakehr with other --companies instead")
		return
	}
	s, ok := a.server(w, r)
	if !ok {
		return
	}
	var req APIKeyRequest
	if !decode(w, r, &req) {
		return
	}
	if req.APIKey == "" {
		writeError(w, http.StatusBadRequest, "apiKey must not be empty")
		return
	}
	s.SetAPIKey(req.APIKey)
	w.WriteHeader(http.StatusNoContent)
}

// decode reads one JSON value from the body into v, rejecting unknown fields and trailing data;
// on failure it answers 400 (413 when too large) and returns false.
func decode(w http.ResponseWriter, r *http.Request, v any) bool {
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, MaxAdminBody))
	dec.DisallowUnknownFields()
	err := dec.Decode(v)
	if err == nil && dec.Decode(&struct{}{}) != io.EOF {
		err = errors.New("unexpected data after the JSON value")
	}
	if err != nil {
		code := http.StatusBadRequest
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			code = http.StatusRequestEntityTooLarge
		}
		writeError(w, code, "bad request body: "+err.Error())
		return false
	}
	return true
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	var buf bytes.Buffer
	if err := json.NewEncoder(&buf).Encode(v); err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_, _ = w.Write(buf.Bytes())
}

func writeError(w http.ResponseWriter, code int, msg string) {
	writeJSON(w, code, map[string]string{"error": msg})
}
