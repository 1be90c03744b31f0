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

package webhookreceiver

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestVerify(t *testing.T) {
	// A MAC computed outside Go (Python's hmac) for secret whsec_test, t 1700000000123 and this body.
	body := []byte(`{"event":"dsync.user.created"}`)
	header := "t=1700000000123, v1=51ef12907ff62ffee0583236e86d97c937609aa30cccea9e874c4d7d60b64ffa"
	at := time.UnixMilli(1700000000123)
	if err := Verify(header, body, []byte("whsec_test"), at.Add(time.Minute), DefaultTolerance); err != nil {
		t.Errorf("a good signature: %v", err)
	}
	for name, tc := range map[string]struct {
		header, secret string
		body           []byte
		now            time.Time
	}{
		"another body":    {header, "whsec_test", []byte(`{"event":"dsync.user.deleted"}`), at},
		"another secret":  {header, "whsec_other", body, at},
		"too old":         {header, "whsec_test", body, at.Add(4 * time.Minute)},
		"from the future": {header, "whsec_test", body, at.Add(-4 * time.Minute)},
		"no v1":           {"t=1700000000123", "whsec_test", body, at},
		"not hex":         {"t=1700000000123, v1=zz", "whsec_test", body, at},
		"empty":           {"", "whsec_test", body, at},
	} {
		if err := Verify(tc.header, tc.body, []byte(tc.secret), tc.now, DefaultTolerance); err == nil {
			t.Errorf("%s: verified", name)
		}
	}
}

func sign(secret string, body []byte, at time.Time) string {
	ts := strconv.FormatInt(at.UnixMilli(), 10)
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(ts + "." + string(body)))
	return "t=" + ts + ", v1=" + hex.EncodeToString(m.Sum(nil))
}

func TestHandler(t *testing.T) {
	var got []Event
	h := &Handler{Secret: []byte("s3cret"), OnEvent: func(ev Event) { got = append(got, ev) }}
	srv := httptest.NewServer(h)
	defer srv.Close()
	post := func(header, body string) int {
		req, _ := http.NewRequest(http.MethodPost, srv.URL, strings.NewReader(body))
		req.Header.Set(header, sign("s3cret", []byte(body), time.Now()))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		_ = resp.Body.Close()
		return resp.StatusCode
	}
	workos := `{"id":"event_1","event":"dsync.group.user_added","data":{"directory_id":"hr.acme","user":{"id":"hr.acme-1"},"group":{"id":"hr.acme-eng"}}}`
	ce := `{"specversion":"1.0","id":"event_2","type":"io.dirsync.user.deactivated.v1","data":{"id":"hr.acme-2"}}`
	if post("WorkOS-Signature", workos) != 204 || post("Dirsync-Signature", ce) != 204 || post("WorkOS-Signature", workos) != 204 {
		t.Fatal("a signed event was not acknowledged")
	}
	req, _ := http.NewRequest(http.MethodPost, srv.URL, strings.NewReader(workos))
	req.Header.Set("WorkOS-Signature", sign("wrong", []byte(workos), time.Now()))
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != http.StatusBadRequest {
		t.Errorf("a bad signature: %v %v", resp, err)
	}
	if len(got) != 3 || got[0].Type != "dsync.group.user_added" || got[0].Object != "hr.acme-1" || got[0].Group != "hr.acme-eng" ||
		got[1].Type != "io.dirsync.user.deactivated.v1" || got[1].Object != "hr.acme-2" || got[0].Duplicate || !got[2].Duplicate {
		t.Errorf("events: %+v", got)
	}
	resp, err := http.Get(srv.URL + "/stats")
	if err != nil {
		t.Fatal(err)
	}
	var st Stats
	_ = json.NewDecoder(resp.Body).Decode(&st)
	_ = resp.Body.Close()
	if st != (Stats{Accepted: 3, Duplicates: 1, Rejected: 1}) {
		t.Errorf("stats %+v", st)
	}
	h.Answer = func(Event) int { return http.StatusServiceUnavailable }
	if post("WorkOS-Signature", workos) != 503 || h.Stats().Failed != 1 {
		t.Error("Answer does not decide the status")
	}
}
