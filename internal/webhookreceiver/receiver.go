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

// Package webhookreceiver is what an application does with a DirectoryWebhook's requests, as a small
// example (cmd/dirsync-receiver wraps it; the benchmark and the e2e tests use it): verify the signature
// (WorkOS-Signature or Dirsync-Signature: "t=<unix ms>, v1=<hex HMAC-SHA256 of "<t>.<raw body>">", with a
// tolerance on t), refuse anything else, drop a redelivery by its event id, and answer 2xx quickly.
//
// It is written from the documented scheme, the way an application would write it, and shares no code
// with the operator's signer.
package webhookreceiver

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// DefaultTolerance is how far a signature's timestamp may be from now: WorkOS's SDKs' default.
const DefaultTolerance = 180 * time.Second

// maxBody caps a request body.
const maxBody = 1 << 20

// Verify checks header (the value of WorkOS-Signature or Dirsync-Signature) against the raw body.
func Verify(header string, body, secret []byte, now time.Time, tolerance time.Duration) error {
	var ts, sig string
	for _, part := range strings.Split(header, ",") {
		k, v, _ := strings.Cut(strings.TrimSpace(part), "=")
		switch k {
		case "t":
			ts = v
		case "v1":
			sig = v
		}
	}
	if ts == "" || sig == "" {
		return errors.New("the signature header has no t= or v1=")
	}
	ms, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return fmt.Errorf("the signature's timestamp %q is not a number", ts)
	}
	if d := now.Sub(time.UnixMilli(ms)); d > tolerance || d < -tolerance {
		return fmt.Errorf("the signature's timestamp is %s away from now, more than %s", d.Round(time.Second), tolerance)
	}
	want := hmac.New(sha256.New, secret)
	fmt.Fprintf(want, "%s.", ts)
	want.Write(body)
	got, err := hex.DecodeString(sig)
	if err != nil || !hmac.Equal(got, want.Sum(nil)) {
		return errors.New("the signature does not match the body")
	}
	return nil
}

// Event is one request the receiver accepted.
type Event struct {
	// ID is the event's id; Type its WorkOS event ("dsync.user.created") or CloudEvents type.
	ID, Type string
	// Object is the id of the person or group the event is about (for a membership, the person), and
	// Group the group of a membership event.
	Object, Group string
	// Duplicate is true when an event with this id was accepted before.
	Duplicate bool
	Received  time.Time
	Body      []byte
}

// Stats counts what the receiver saw.
type Stats struct {
	Accepted   int `json:"accepted"`
	Duplicates int `json:"duplicates"`
	Rejected   int `json:"rejected"`
	Failed     int `json:"failed"`
}

// Handler receives a DirectoryWebhook's requests.
type Handler struct {
	// Secret is the signing secret, the same as in the webhook's Secret.
	Secret []byte
	// Tolerance bounds the signature's age; zero means DefaultTolerance.
	Tolerance time.Duration
	// Answer, when set, decides the status of a verified request (to show a failing receiver); nil
	// answers 204. A duplicate is acknowledged like any other event: the sender must stop resending it.
	Answer func(Event) int
	// OnEvent is called for each accepted request whose answer is 2xx, in the order they are answered.
	OnEvent func(Event)
	// Now is the clock; nil is time.Now.
	Now func() time.Time

	mu    sync.Mutex
	seen  map[string]bool
	stats Stats
}

// ServeHTTP verifies, decodes and answers one request. GET /stats answers the counts as JSON.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodGet && r.URL.Path == "/stats" {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(h.Stats())
		return
	}
	if r.Method != http.MethodPost {
		http.Error(w, "POST only", http.StatusMethodNotAllowed)
		return
	}
	now := h.now()
	ev, body, err := h.read(r, now)
	if err != nil {
		h.count(func(s *Stats) { s.Rejected++ })
		http.Error(w, err.Error(), http.StatusBadRequest) // says nothing the sender does not know
		return
	}
	ev.Received, ev.Body = now, body
	code := http.StatusNoContent
	if h.Answer != nil {
		code = h.Answer(ev)
	}
	if code < 200 || code > 299 {
		h.count(func(s *Stats) { s.Failed++ })
		w.WriteHeader(code)
		return
	}
	h.mu.Lock()
	if h.seen == nil {
		h.seen = map[string]bool{}
	}
	ev.Duplicate = h.seen[ev.ID]
	h.seen[ev.ID] = true
	h.stats.Accepted++
	if ev.Duplicate {
		h.stats.Duplicates++
	}
	if h.OnEvent != nil {
		h.OnEvent(ev)
	}
	h.mu.Unlock()
	w.WriteHeader(code)
}

// read reads, verifies and decodes one request.
func (h *Handler) read(r *http.Request, now time.Time) (Event, []byte, error) {
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
	if err != nil {
		return Event{}, nil, err
	}
	if len(body) > maxBody {
		return Event{}, nil, errors.New("the body is larger than 1 MiB")
	}
	header := r.Header.Get("WorkOS-Signature")
	if header == "" {
		header = r.Header.Get("Dirsync-Signature")
	}
	if err := Verify(header, body, h.Secret, now, h.tolerance()); err != nil {
		return Event{}, nil, err
	}
	ev, err := decode(body)
	return ev, body, err
}

// Stats returns the counts so far.
func (h *Handler) Stats() Stats {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.stats
}

func (h *Handler) count(f func(*Stats)) {
	h.mu.Lock()
	defer h.mu.Unlock()
	f(&h.stats)
}

func (h *Handler) now() time.Time {
	if h.Now != nil {
		return h.Now()
	}
	return time.Now()
}

func (h *Handler) tolerance() time.Duration {
	if h.Tolerance > 0 {
		return h.Tolerance
	}
	return DefaultTolerance
}

// body is what the receiver reads of either format.
type body struct {
	ID    string `json:"id"`
	Event string `json:"event"` // WorkOS
	Type  string `json:"type"`  // CloudEvents
	Data  struct {
		ID   string `json:"id"`
		User *struct {
			ID string `json:"id"`
		} `json:"user"`
		Group *struct {
			ID string `json:"id"`
		} `json:"group"`
	} `json:"data"`
}

func decode(b []byte) (Event, error) {
	var v body
	if err := json.Unmarshal(b, &v); err != nil {
		return Event{}, fmt.Errorf("the body is not JSON: %w", err)
	}
	ev := Event{ID: v.ID, Type: v.Event, Object: v.Data.ID}
	if ev.Type == "" {
		ev.Type = v.Type
	}
	if v.Data.User != nil {
		ev.Object = v.Data.User.ID
	}
	if v.Data.Group != nil {
		ev.Group = v.Data.Group.ID
	}
	if ev.ID == "" || ev.Type == "" {
		return Event{}, errors.New("the body has no id or event type")
	}
	return ev, nil
}
