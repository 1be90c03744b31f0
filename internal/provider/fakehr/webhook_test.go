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
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestPacketEncode(t *testing.T) {
	p := Packet{ActionID: 2, Action: "Employee Detail Updated", EmployeeID: "PW1", Fields: map[string]string{"OldValue": "a", "FieldName": "Other Name(s)"}}
	tests := []struct{ encoding, want, contentType string }{
		{"", `{"Action":"Employee Detail Updated","ActionId":2,"EmployeeId":"PW1","FieldName":"Other Name(s)","OldValue":"a"}`, "application/json"},
		{EncodingForm, "Action=Employee+Detail+Updated&ActionId=2&EmployeeId=PW1&FieldName=Other+Name%28s%29&OldValue=a", "application/x-www-form-urlencoded"},
		{EncodingText, "ActionId:2, Action:Employee Detail Updated, EmployeeId:PW1, FieldName:Other Name(s), OldValue:a", "text/plain"},
	}
	for _, tt := range tests {
		b, ct, err := p.Encode(tt.encoding)
		if err != nil || string(b) != tt.want || ct != tt.contentType {
			t.Errorf("Encode(%q) = %s, %s, %v; want %s, %s", tt.encoding, b, ct, err, tt.want, tt.contentType)
		}
	}
	if _, _, err := p.Encode("xml"); err == nil {
		t.Error("an unknown encoding was accepted")
	}
}

// Marking a leaver through the admin API changes the company and posts People HR's "Marked Leaver"
// packet to the listener, in the listener's encoding.
func TestAdminLeaverPostsToTheListener(t *testing.T) {
	var mu sync.Mutex
	var got []string
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		got = append(got, r.Method+" "+r.URL.Path+" "+string(b))
		mu.Unlock()
		w.WriteHeader(http.StatusAccepted)
	}))
	defer hook.Close()
	s := memServer{NewState(Company{Employees: []Employee{{ID: "PW21", Status: Current}, {ID: "PW22", Status: Current}}}, "k")}
	h := AdminHandler(s, PrefixedIDs)

	if code, body := do(t, h, "POST", "/admin/leaver", `{"id":"PW21"}`); code != 200 || strings.Contains(body, "webhook") {
		t.Fatalf("a leaver without a listener: %d %s, want 200 and no delivery", code, body)
	}
	if code, body := do(t, h, "PUT", "/admin/webhook", `{"url":"`+hook.URL+`/hook/abc","encoding":"text"}`); code != 204 {
		t.Fatalf("PUT /admin/webhook: %d %s", code, body)
	}
	code, body := do(t, h, "POST", "/admin/leaver", `{"id":"PW22"}`)
	if code != 200 || !strings.Contains(body, `"webhookStatus":202`) {
		t.Fatalf("POST /admin/leaver: %d %s, want 200 with webhookStatus 202", code, body)
	}
	c := s.Company()
	yesterday := time.Now().UTC().AddDate(0, 0, -1).Format(time.DateOnly)
	for _, id := range []string{"PW21", "PW22"} {
		if e := c.Employee(id); e.Status != Former || e.LeavingDate != yesterday {
			t.Errorf("%s is %s leaving %s, want Former leaving %s", id, e.Status, e.LeavingDate, yesterday)
		}
	}
	if want := "POST /hook/abc ActionId:3, Action:Marked Leaver, EmployeeId:PW22"; len(got) != 1 || got[0] != want {
		t.Fatalf("the listener got %q, want one %q", got, want)
	}
	if code, body := do(t, h, "POST", "/admin/webhook", `{"actionId":11,"action":"Sickness Added","employeeId":"PW3","encoding":"json"}`); code != 200 || !strings.Contains(body, `"status":202`) {
		t.Fatalf("POST /admin/webhook: %d %s", code, body)
	}
	if code, _ := do(t, h, "POST", "/admin/leaver", `{"id":"PW99"}`); code != 404 {
		t.Errorf("an unknown leaver: %d, want 404", code)
	}
	if code, _ := do(t, h, "PUT", "/admin/webhook", `{"url":"ftp://x"}`); code != 400 {
		t.Errorf("a listener that is not http(s): %d, want 400", code)
	}
	if code, _ := do(t, FleetAdminHandler(nil, PrefixedIDs), "PUT", "/admin/webhook", `{"url":"http://x"}`); code != 400 {
		t.Errorf("a fleet's listener: %d, want 400", code)
	}
}
