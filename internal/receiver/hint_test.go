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

package receiver

import (
	"strings"
	"testing"

	dirsyncv1alpha1 "github.com/dirsync/dirsync/api/v1alpha1"
)

// People HR documents its packets only as Key:Value pairs; the wire encoding is unknown. Each form it
// could take must give the same ActionId and EmployeeId, and nothing else of the body.
func TestParseHint(t *testing.T) {
	tests := []struct {
		name string
		body string
		want hint
	}{
		{name: "the vendor's Key:Value text", body: "ActionId:3, Action:Marked Leaver, EmployeeId:PW21", want: hint{3, "PW21"}},
		{name: "Key:Value text, one pair a line", body: "ActionId:18\r\nAction:Employee Deleted\r\nEmployeeId:PW21\r\n", want: hint{18, "PW21"}},
		{name: "JSON with a numeric ActionId", body: `{"ActionId": 3, "Action": "Marked Leaver", "EmployeeId": "PW21"}`, want: hint{3, "PW21"}},
		{name: "JSON with string values and other casing", body: `{"actionId":"1","employeeID":"S20","Action":"New Starter Added"}`, want: hint{1, "S20"}},
		{name: "JSON with a numeric EmployeeId", body: `{"ActionId":2,"EmployeeId":180}`, want: hint{2, "180"}},
		{name: "form fields", body: "ActionId=2&Action=Employee+Detail+Updated&EmployeeId=PW1&FieldName=Other+Name%28s%29&OldValue=a&NewValue=b", want: hint{2, "PW1"}},
		{name: "braces around Key:Value text", body: "{ActionId:3, EmployeeId:PW5-2}", want: hint{3, "PW5-2"}},
		{name: "keys with spaces and underscores", body: "Action Id: 3\nEmployee_Id: PW21", want: hint{3, "PW21"}},
		{name: "the first ActionId counts, not one inside a later text", body: "ActionId:10, Reason:note says ActionId:3, EmployeeId:PW2", want: hint{10, "PW2"}},
		{name: "empty body", body: "", want: hint{}},
		{name: "no ActionId", body: `{"event":"something"}`, want: hint{}},
		{name: "an ActionId that is not a number", body: "ActionId:three, EmployeeId:PW21", want: hint{0, "PW21"}},
		{name: "an ActionId out of range", body: "ActionId:-3", want: hint{}},
		{name: "an ActionId as a float", body: `{"ActionId": 3.5}`, want: hint{}},
		{name: "an employee id with markup is dropped", body: `{"ActionId":3,"EmployeeId":"<script>alert(1)</script>"}`, want: hint{3, ""}},
		{name: "an employee id too long is dropped", body: "ActionId:3, EmployeeId:" + strings.Repeat("A", 33), want: hint{3, ""}},
		{name: "an employee id with a space is dropped", body: `{"ActionId":3,"EmployeeId":"Jane Doe"}`, want: hint{3, ""}},
		{name: "nested JSON is not searched", body: `{"data":{"ActionId":3}}`, want: hint{}},
		{name: "binary garbage", body: "\x00\xff\xfe:=&,", want: hint{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := parseHint([]byte(tt.body)); got != tt.want {
				t.Fatalf("parseHint(%q) = %+v, want %+v", tt.body, got, tt.want)
			}
		})
	}
}

func TestAsksForSync(t *testing.T) {
	people, breathe := dirsyncv1alpha1.ProviderAccessPeopleHR, dirsyncv1alpha1.ProviderBreatheHR
	tests := []struct {
		name     string
		provider dirsyncv1alpha1.ProviderType
		action   int
		want     bool
	}{
		{"New Starter Added", people, 1, true},
		{"Employee Detail Updated", people, 2, true},
		{"Marked Leaver", people, 3, true},
		{"Employee Deleted", people, 18, true},
		{"a holiday", people, 4, false},
		{"sickness (health data)", people, 11, false},
		{"maternity", people, 14, false},
		{"lateness", people, 17, false},
		{"other events", people, 23, false},
		{"a logbook", people, 40, false},
		{"the last logbook action", people, 54, false},
		{"an unknown action (19) may matter", people, 19, true},
		{"an action beyond the documented ones may matter", people, 77, true},
		{"no readable action", people, 0, true},
		{"Breathe HR has no webhooks: a customer's call always asks", breathe, 11, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := asksForSync(tt.provider, hint{action: tt.action}); got != tt.want {
				t.Fatalf("asksForSync(%s, ActionId %d) = %v, want %v", tt.provider, tt.action, got, tt.want)
			}
		})
	}
}

func TestDescribeAndLabel(t *testing.T) {
	tests := []struct {
		h                       hint
		wantDescribe, wantLabel string
	}{
		{hint{3, "PW21"}, "Marked Leaver (ActionId 3), employee PW21", "3"},
		{hint{19, ""}, "ActionId 19", "19"},
		{hint{0, "PW2"}, "no readable ActionId, employee PW2", "none"},
		{hint{300, ""}, "ActionId 300", "other"},
	}
	for _, tt := range tests {
		if got := describe(tt.h); got != tt.wantDescribe {
			t.Errorf("describe(%+v) = %q, want %q", tt.h, got, tt.wantDescribe)
		}
		if got := actionLabel(tt.h); got != tt.wantLabel {
			t.Errorf("actionLabel(%+v) = %q, want %q", tt.h, got, tt.wantLabel)
		}
	}
}
