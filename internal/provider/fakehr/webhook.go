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
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Packet is a webhook packet as Access People HR sends one to its listener URL for an HR action: an
// ActionId, the action's name and the employee's id, and for some actions more fields (FieldName,
// OldValue, NewValue, Reason…). The vendor documents packets only as Key:Value pairs, not their wire
// encoding, so the fake can send each of the forms a receiver must take (Encoding).
type Packet struct {
	ActionID   int               `json:"actionId"`
	Action     string            `json:"action,omitempty"`
	EmployeeID string            `json:"employeeId,omitempty"`
	Fields     map[string]string `json:"fields,omitempty"`
}

// Encodings of a packet: JSON ({"ActionId":3,"Action":"Marked Leaver","EmployeeId":"PW21"}), form fields
// (ActionId=3&Action=Marked+Leaver&EmployeeId=PW21) or the vendor's Key:Value text
// ("ActionId:3, Action:Marked Leaver, EmployeeId:PW21").
const (
	EncodingJSON = "json"
	EncodingForm = "form"
	EncodingText = "text"
)

// ActionMarkedLeaver is People HR's ActionId for "Marked Leaver".
const ActionMarkedLeaver = 3

// webhookTimeout bounds one delivery.
const webhookTimeout = 10 * time.Second

// pairs are the packet's keys and values in the vendor's order, then the extra fields by name.
func (p Packet) pairs() [][2]string {
	out := [][2]string{{"ActionId", strconv.Itoa(p.ActionID)}}
	if p.Action != "" {
		out = append(out, [2]string{"Action", p.Action})
	}
	if p.EmployeeID != "" {
		out = append(out, [2]string{"EmployeeId", p.EmployeeID})
	}
	keys := make([]string, 0, len(p.Fields))
	for k := range p.Fields {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		out = append(out, [2]string{k, p.Fields[k]})
	}
	return out
}

// Encode renders the packet as encoding says (EncodingJSON when empty) and returns the body and its
// Content-Type.
func (p Packet) Encode(encoding string) ([]byte, string, error) {
	pairs := p.pairs()
	switch encoding {
	case "", EncodingJSON:
		m := map[string]any{}
		for _, kv := range pairs {
			m[kv[0]] = kv[1]
		}
		m["ActionId"] = p.ActionID
		b, err := json.Marshal(m)
		return b, "application/json", err
	case EncodingForm:
		v := url.Values{}
		for _, kv := range pairs {
			v.Add(kv[0], kv[1])
		}
		return []byte(v.Encode()), "application/x-www-form-urlencoded", nil
	case EncodingText:
		parts := make([]string, len(pairs))
		for i, kv := range pairs {
			parts[i] = kv[0] + ":" + kv[1]
		}
		return []byte(strings.Join(parts, ", ")), "text/plain", nil
	}
	return nil, "", fmt.Errorf("unknown encoding %q: want %s, %s or %s", encoding, EncodingJSON, EncodingForm, EncodingText)
}

// Post delivers the packet to url with a POST, as People HR calls its listener, and returns the HTTP
// status of the answer.
func Post(ctx context.Context, target string, p Packet, encoding string) (int, error) {
	body, contentType, err := p.Encode(encoding)
	if err != nil {
		return 0, err
	}
	ctx, cancel := context.WithTimeout(ctx, webhookTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, strings.NewReader(string(body)))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", contentType)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
	return resp.StatusCode, nil
}

// listener is the URL the admin API posts HR actions to (PUT /admin/webhook), as People HR's Settings ›
// API holds one listener URL.
type listener struct {
	mu     sync.Mutex
	config WebhookListener
}

func (l *listener) get() WebhookListener {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.config
}

func (l *listener) set(c WebhookListener) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.config = c
}

// WebhookListener is the body of PUT and GET /admin/webhook.
type WebhookListener struct {
	URL      string `json:"url"`
	Encoding string `json:"encoding,omitempty"`
}

// WebhookRequest is the body of POST /admin/webhook: a packet, and where and how to post it (the
// listener's URL and encoding when empty).
type WebhookRequest struct {
	Packet
	URL      string `json:"url,omitempty"`
	Encoding string `json:"encoding,omitempty"`
}

// WebhookResponse answers POST /admin/webhook.
type WebhookResponse struct {
	Status int `json:"status"`
}

// LeaverRequest is the body of POST /admin/leaver.
type LeaverRequest struct {
	ID          string `json:"id"`
	LeavingDate string `json:"leavingDate,omitempty"`
}

// LeaverResponse answers POST /admin/leaver: the webhook's answer when a listener is set (0 and an
// error text when the delivery failed).
type LeaverResponse struct {
	Employee      string `json:"employee"`
	WebhookStatus int    `json:"webhookStatus,omitempty"`
	WebhookError  string `json:"webhookError,omitempty"`
}

// checkURL accepts an absolute http or https URL.
func checkURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("url %q: want an absolute http:// or https:// URL", raw)
	}
	return nil
}

func (a *admin) withListener(w http.ResponseWriter) bool {
	if a.hook == nil {
		writeError(w, http.StatusBadRequest, "a fleet has no webhook listener; start fakehr without --companies")
		return false
	}
	return true
}

func (a *admin) setListener(w http.ResponseWriter, r *http.Request) {
	if !a.withListener(w) {
		return
	}
	var c WebhookListener
	if !decode(w, r, &c) {
		return
	}
	if c.URL != "" {
		if err := checkURL(c.URL); err != nil {
			writeError(w, http.StatusBadRequest, err.Error())
			return
		}
	}
	if _, _, err := (Packet{}).Encode(c.Encoding); err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	a.hook.set(c)
	w.WriteHeader(http.StatusNoContent)
}

func (a *admin) getListener(w http.ResponseWriter, _ *http.Request) {
	if a.withListener(w) {
		writeJSON(w, http.StatusOK, a.hook.get())
	}
}

func (a *admin) postPacket(w http.ResponseWriter, r *http.Request) {
	if !a.withListener(w) {
		return
	}
	var req WebhookRequest
	if !decode(w, r, &req) {
		return
	}
	l := a.hook.get()
	target, encoding := cmp.Or(req.URL, l.URL), cmp.Or(req.Encoding, l.Encoding)
	if target == "" {
		writeError(w, http.StatusBadRequest, "no url, and no listener set (PUT /admin/webhook)")
		return
	}
	if err := checkURL(target); err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	code, err := Post(r.Context(), target, req.Packet, encoding)
	if err != nil {
		writeError(w, http.StatusBadGateway, "posting the packet: "+err.Error())
		return
	}
	writeJSON(w, http.StatusOK, WebhookResponse{Status: code})
}

func (a *admin) markLeaver(w http.ResponseWriter, r *http.Request) {
	if !a.withListener(w) {
		return
	}
	s, ok := a.server(w, r)
	if !ok {
		return
	}
	var req LeaverRequest
	if !decode(w, r, &req) {
		return
	}
	today := time.Now().UTC()
	date := cmp.Or(req.LeavingDate, today.AddDate(0, 0, -1).Format(time.DateOnly))
	if _, err := time.Parse(time.DateOnly, date); err != nil {
		writeError(w, http.StatusBadRequest, "leavingDate must be YYYY-MM-DD")
		return
	}
	found := false
	s.Update(func(c *Company) {
		if e := c.Employee(req.ID); e != nil {
			found = true
			e.LeavingDate, e.Status = date, Former
			if date >= today.Format(time.DateOnly) {
				e.Status = PendingLeaver
			}
		}
	})
	if !found {
		writeError(w, http.StatusNotFound, fmt.Sprintf("no employee has the id %q", req.ID))
		return
	}
	resp := LeaverResponse{Employee: req.ID}
	if l := a.hook.get(); l.URL != "" {
		p := Packet{ActionID: ActionMarkedLeaver, Action: "Marked Leaver", EmployeeID: req.ID}
		if code, err := Post(r.Context(), l.URL, p, l.Encoding); err != nil {
			resp.WebhookError = err.Error()
		} else {
			resp.WebhookStatus = code
		}
	}
	writeJSON(w, http.StatusOK, resp)
}
