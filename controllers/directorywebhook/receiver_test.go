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
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// receiver is an application's webhook endpoint: it verifies every request's signature (with
// verifySignature, written from the documented scheme, not with the operator's code), keeps what
// arrived, and answers what the story tells it to.
type receiver struct {
	t      *testing.T
	srv    *httptest.Server
	secret string
	header string // the signature header it expects

	mu       sync.Mutex
	got      []delivery
	attempts int
	// answer, when set, decides the status of a request (after it is recorded as an attempt); nil is 200.
	answer func(d delivery) int
	// inFlight counts requests being handled, and maxInFlight the most at once, per subject.
	inFlight    map[string]int
	maxInFlight map[string]int
	// concurrent is how many requests are being handled, and maxConcurrent the most at once.
	concurrent, maxConcurrent int
}

// delivery is one acknowledged request.
type delivery struct {
	header http.Header
	body   []byte
	// event is the body decoded.
	event map[string]any
}

// id is the event id of a WorkOS or CloudEvents body.
func (d delivery) id() string { return str(d.event["id"]) }

// typ is the event type: WorkOS's "event", or CloudEvents' "type".
func (d delivery) typ() string {
	if t := str(d.event["event"]); t != "" {
		return t
	}
	return str(d.event["type"])
}

// data is the event's data object.
func (d delivery) data() map[string]any {
	m, _ := d.event["data"].(map[string]any)
	return m
}

// object is the id of the person or group the event is about (a membership event: the person).
func (d delivery) object() string {
	data := d.data()
	if u, ok := data["user"].(map[string]any); ok {
		return str(u["id"])
	}
	return str(data["id"])
}

func str(v any) string {
	s, _ := v.(string)
	return s
}

func newReceiver(t *testing.T, header string) *receiver {
	rc := &receiver{t: t, secret: testSecret, header: header, inFlight: map[string]int{}, maxInFlight: map[string]int{}}
	rc.srv = httptest.NewServer(http.HandlerFunc(rc.serve))
	t.Cleanup(rc.srv.Close)
	return rc
}

func (rc *receiver) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	if r.Method != http.MethodPost {
		rc.t.Errorf("receiver: %s request, want POST", r.Method)
	}
	if err := verifySignature(r.Header.Get(rc.header), body, rc.secret, time.Now(), 180*time.Second); err != nil {
		rc.t.Errorf("receiver: the signature does not verify: %v", err)
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	d := delivery{header: r.Header.Clone(), body: body}
	if err := json.Unmarshal(body, &d.event); err != nil {
		rc.t.Errorf("receiver: the body is not JSON: %v", err)
	}
	subject := d.object()
	rc.mu.Lock()
	rc.attempts++
	rc.inFlight[subject]++
	rc.maxInFlight[subject] = max(rc.maxInFlight[subject], rc.inFlight[subject])
	rc.concurrent++
	rc.maxConcurrent = max(rc.maxConcurrent, rc.concurrent)
	answer := rc.answer
	rc.mu.Unlock()
	code := http.StatusOK
	if answer != nil {
		code = answer(d)
	}
	rc.mu.Lock()
	rc.inFlight[subject]--
	rc.concurrent--
	if code >= 200 && code < 300 {
		rc.got = append(rc.got, d)
	}
	rc.mu.Unlock()
	w.WriteHeader(code)
}

// deliveries returns what was acknowledged so far.
func (rc *receiver) deliveries() []delivery {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]delivery(nil), rc.got...)
}

// setAnswer replaces the receiver's answer function.
func (rc *receiver) setAnswer(f func(d delivery) int) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	rc.answer = f
}

// waitFor waits until the acknowledged deliveries satisfy cond.
func (rc *receiver) waitFor(t *testing.T, what string, cond func([]delivery) bool) []delivery {
	t.Helper()
	var got []delivery
	eventually(t, func() (bool, string) {
		got = rc.deliveries()
		return cond(got), describe("%s; have %d deliveries: %s", what, len(got), summarize(got))
	})
	return got
}

// summarize lists deliveries as "type object" lines.
func summarize(ds []delivery) string {
	var b strings.Builder
	for _, d := range ds {
		fmt.Fprintf(&b, "\n  %s %s", d.typ(), d.object())
		if g, ok := d.data()["group"].(map[string]any); ok {
			fmt.Fprintf(&b, " (group %s)", str(g["id"]))
		}
	}
	return b.String()
}

// verifySignature checks a "t=<unix ms>, v1=<hex HMAC-SHA256>" header as WorkOS documents it: the MAC is
// over the timestamp, a dot and the raw body, keyed with the secret, and the timestamp must be recent.
// It is written from the documentation, independently of the operator's signer.
func verifySignature(header string, body []byte, secret string, now time.Time, tolerance time.Duration) error {
	var ts, mac string
	for _, part := range strings.Split(header, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok {
			return fmt.Errorf("malformed part %q", part)
		}
		switch k {
		case "t":
			ts = v
		case "v1":
			mac = v
		}
	}
	if ts == "" || mac == "" {
		return errors.New("no t= or v1=")
	}
	ms, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return fmt.Errorf("timestamp %q: %w", ts, err)
	}
	if age := now.Sub(time.UnixMilli(ms)); age > tolerance || age < -tolerance {
		return fmt.Errorf("timestamp %s is %s away", ts, age)
	}
	h := hmac.New(sha256.New, []byte(secret))
	h.Write([]byte(ts + "." + string(body)))
	want := h.Sum(nil)
	gotMAC, err := hex.DecodeString(mac)
	if err != nil {
		return fmt.Errorf("v1 is not hex: %w", err)
	}
	if !hmac.Equal(gotMAC, want) {
		return errors.New("v1 does not match")
	}
	return nil
}
