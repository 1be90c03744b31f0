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

// Package fake is an HTTP fake of the Access People HR API for tests, demos and benchmarks. It speaks the
// wire format the client expects: POST <URL>/Employee with a JSON body {"APIKey", "Action":
// "GetAllEmployeeDetail", "IncludeLeavers": "true"|"false"}; every answer, errors included, is HTTP 200 with
// an envelope {"isError", "Status", "Message", "Result"}; every employee field is wrapped as
// {"DisplayValue": "…", "FieldHistory": []} except LeavingDate, a bare string as in the public samples. It
// serves a fakehr.Company, personal fields included (so tests can prove they are never copied), and injects
// fakehr faults. cmd/fakehr wraps it.
package fake

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"time"

	"github.com/dirsync/dirsync/internal/provider/fakehr"
)

// DefaultAPIKey is the key NewServer accepts.
const DefaultAPIKey = "peoplehr-demo-key"

// Envelope Status codes and messages: the vendor's own (its Swagger's error tables; shared/provider-wire.md B2).
const (
	// StatusOK is the Status of a successful answer.
	StatusOK = 0
	// StatusAPIKeyMissing answers a request without an APIKey.
	StatusAPIKeyMissing = 1
	// StatusInvalidAPIKey answers a wrong APIKey (and fakehr.FaultUnauthorized).
	StatusInvalidAPIKey = 2
	// StatusInvalidAction answers an Action other than GetAllEmployeeDetail.
	StatusInvalidAction = 4
	// StatusServerError is the vendor's server failure, the Status of an injected fakehr.FaultErrorEnvelope
	// unless its Code says otherwise.
	StatusServerError = 6
	// StatusInvalidJSON answers a body that is not the expected JSON.
	StatusInvalidJSON = 9

	// MessageOK is the Message of a successful answer, in the vendor's words.
	MessageOK = "The requested processed successfully."
	// MessageAPIKeyMissing is the Message of StatusAPIKeyMissing.
	MessageAPIKeyMissing = "API key is missing."
	// MessageInvalidAPIKey is the Message of StatusInvalidAPIKey.
	MessageInvalidAPIKey = "Invalid API Key."
	// MessageInvalidAction is the Message of StatusInvalidAction.
	MessageInvalidAction = "Invalid Action."
	// MessageServerError is the Message of StatusServerError when the fault names none.
	MessageServerError = "Oops! Something went wrong."
	// MessageInvalidJSON is the Message of StatusInvalidJSON.
	MessageInvalidJSON = "Invalid json data."
)

// maxRequestBytes caps the request body the fake reads.
const maxRequestBytes = 1 << 20

// Option changes how a Server renders its company.
type Option func(*Server)

// WithDayFirstDates renders dates as DD/MM/YYYY instead of YYYY-MM-DD.
func WithDayFirstDates() Option { return func(s *Server) { s.dayFirst = true } }

// WithWrappedLeavingDate renders LeavingDate as {"DisplayValue": …} like the other fields, instead of the
// bare string the public samples show.
func WithWrappedLeavingDate() Option { return func(s *Server) { s.wrapLeaving = true } }

// WithClock sets the clock that decides which leavers IncludeLeavers "false" hides; the default is time.Now.
func WithClock(now func() time.Time) Option { return func(s *Server) { s.now = now } }

// Server is a fake Access People HR API. It is safe for concurrent use.
type Server struct {
	// Set at construction, read-only after.
	dayFirst    bool
	wrapLeaving bool
	now         func() time.Time
	ts          *httptest.Server

	*fakehr.State // company, key, URL, faults, request count
}

var _ fakehr.HandlerServer = (*Server)(nil)

// New returns a Server for c that accepts apiKey, without a listener: mount Handler() and tell it its
// address with SetURL.
func New(c fakehr.Company, apiKey string, opts ...Option) *Server {
	s := &Server{State: fakehr.NewState(c, apiKey), now: time.Now}
	for _, o := range opts {
		o(s)
	}
	return s
}

// NewServer returns a Server for c that accepts DefaultAPIKey, listening on 127.0.0.1 (httptest). Close it.
func NewServer(c fakehr.Company, opts ...Option) *Server {
	s := New(c, DefaultAPIKey, opts...)
	s.ts = httptest.NewServer(s.Handler())
	s.SetURL(s.ts.URL)
	return s
}

// Handler serves the API: POST /Employee.
func (s *Server) Handler() http.Handler { return http.HandlerFunc(s.serveHTTP) }

// Close ends hanging requests and stops the listener NewServer started (a Server from New has none).
func (s *Server) Close() {
	s.Quit()
	if s.ts != nil {
		s.ts.Close()
	}
}

// nextFault counts the request and returns the fault that answers it, if any. fakehr.FaultMissingPage has
// no meaning without pages and acts as FaultTruncatedBody.
func (s *Server) nextFault() (fakehr.Fault, bool) {
	s.CountRequest()
	return s.TakeFault(nil)
}

func (s *Server) serveHTTP(w http.ResponseWriter, r *http.Request) {
	if !strings.EqualFold(r.URL.Path, "/Employee") {
		http.NotFound(w, r)
		return
	}
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		http.Error(w, "405 method not allowed", http.StatusMethodNotAllowed)
		return
	}
	f, faulty := s.nextFault()
	if faulty && f.Kind == fakehr.FaultHang {
		if !fakehr.Hang(r.Context(), s.Quitting(), f.Delay) {
			return
		}
		faulty = false
	}
	if faulty && answerFault(w, r, f) {
		return
	}
	body := s.answer(r, f)
	writeBody(w, r, body, f)
}

// answerFault answers the faults that replace the whole answer and reports whether f was one of them;
// the others (EmptyList, DuplicateIDs, TruncatedBody, SlowBody, MissingPage) shape a normal answer.
func answerFault(w http.ResponseWriter, r *http.Request, f fakehr.Fault) bool {
	switch f.Kind {
	case fakehr.FaultUnauthorized:
		writeBody(w, r, errorEnvelope(StatusInvalidAPIKey, MessageInvalidAPIKey), fakehr.Fault{})
	case fakehr.FaultServerError:
		code := f.Code
		if code == 0 {
			code = http.StatusServiceUnavailable
		}
		http.Error(w, http.StatusText(code), code)
	case fakehr.FaultRateLimited:
		if f.RetryAfter > 0 {
			w.Header().Set("Retry-After", strconv.Itoa(int((f.RetryAfter+time.Second-1)/time.Second)))
		}
		http.Error(w, http.StatusText(http.StatusTooManyRequests), http.StatusTooManyRequests)
	case fakehr.FaultMalformedJSON:
		writeBody(w, r, []byte(`{"isError":false,"Status":0,"Message":"`+MessageOK+`","Result":[{"EmployeeId":`+
			`{"DisplayValue":"PW1"},<html><body>Server Error in '/' Application.</body></html>`), fakehr.Fault{})
	case fakehr.FaultErrorEnvelope:
		status, msg := StatusServerError, f.Message
		if f.Code != 0 {
			status = f.Code
		}
		if msg == "" {
			msg = MessageServerError
		}
		writeBody(w, r, errorEnvelope(status, msg), fakehr.Fault{})
	default:
		return false
	}
	return true
}

// clientRequest is the request body. Keys match case-insensitively, as an ASP.NET model binder does.
type clientRequest struct {
	APIKey         json.RawMessage
	Action         json.RawMessage
	IncludeLeavers json.RawMessage
}

// answer validates the request and renders the envelope; f may shape the data (EmptyList, DuplicateIDs).
func (s *Server) answer(r *http.Request, f fakehr.Fault) []byte {
	raw, err := io.ReadAll(io.LimitReader(r.Body, maxRequestBytes))
	if err != nil {
		return errorEnvelope(StatusInvalidJSON, MessageInvalidJSON)
	}
	var req clientRequest
	if err := json.Unmarshal(raw, &req); err != nil {
		return errorEnvelope(StatusInvalidJSON, MessageInvalidJSON)
	}
	var key, action string
	_ = json.Unmarshal(req.APIKey, &key)
	if key == "" {
		return errorEnvelope(StatusAPIKeyMissing, MessageAPIKeyMissing)
	}
	if !s.KeyMatches(key) {
		return errorEnvelope(StatusInvalidAPIKey, MessageInvalidAPIKey)
	}
	if json.Unmarshal(req.Action, &action) != nil || action != "GetAllEmployeeDetail" {
		return errorEnvelope(StatusInvalidAction, MessageInvalidAction)
	}
	includeLeavers, ok := parseBool(req.IncludeLeavers)
	if !ok {
		return errorEnvelope(StatusInvalidJSON, MessageInvalidJSON)
	}
	recs := s.records(includeLeavers)
	switch f.Kind {
	case fakehr.FaultEmptyList:
		recs = []record{}
	case fakehr.FaultDuplicateIDs:
		if len(recs) > 0 {
			recs = append(recs, recs[0])
		}
	}
	b, err := json.Marshal(envelope{IsError: false, Status: StatusOK, Message: MessageOK, Result: recs})
	if err != nil {
		return errorEnvelope(StatusServerError, MessageServerError)
	}
	return b
}

// RequestKey is the API key a request carries: the APIKey of its JSON body (any case of the key name). The
// body stays readable for the handler. A fakehr.Fleet routes by it.
func RequestKey(r *http.Request) string {
	raw, err := io.ReadAll(io.LimitReader(r.Body, maxRequestBytes))
	_ = r.Body.Close()
	r.Body = io.NopCloser(bytes.NewReader(raw))
	if err != nil {
		return ""
	}
	var req clientRequest
	var key string
	if json.Unmarshal(raw, &req) != nil || json.Unmarshal(req.APIKey, &key) != nil {
		return ""
	}
	return key
}

// parseBool reads IncludeLeavers: the strings "true"/"false" the client sends, or JSON booleans as other
// public clients send; absent means false.
func parseBool(raw json.RawMessage) (bool, bool) {
	if len(raw) == 0 || string(raw) == "null" {
		return false, true
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		var b bool
		if err := json.Unmarshal(raw, &b); err != nil {
			return false, false
		}
		return b, true
	}
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "true":
		return true, true
	case "false":
		return false, true
	}
	return false, false
}

// writeBody writes an HTTP 200 JSON body, cut or stalled as f says.
func writeBody(w http.ResponseWriter, r *http.Request, body []byte, f fakehr.Fault) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	switch f.Kind {
	case fakehr.FaultTruncatedBody, fakehr.FaultMissingPage:
		w.Header().Set("Content-Length", strconv.Itoa(len(body)))
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write(body[:len(body)/2])
		flush(w)
		panic(http.ErrAbortHandler) // drop the connection mid-body
	case fakehr.FaultSlowBody:
		w.Header().Set("Content-Length", strconv.Itoa(len(body)))
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write(body[:len(body)/2])
		flush(w)
		t := time.NewTimer(f.Delay)
		defer t.Stop()
		select {
		case <-t.C:
		case <-r.Context().Done():
			return
		}
		_, _ = w.Write(body[len(body)/2:])
	default:
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write(body)
	}
}

func flush(w http.ResponseWriter) {
	if fl, ok := w.(http.Flusher); ok {
		fl.Flush()
	}
}
