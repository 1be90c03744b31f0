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
	"bytes"
	"encoding/json"
	"net/url"
	"strconv"
	"strings"

	dirsyncv1alpha1 "github.com/dirsync/dirsync/api/v1alpha1"
)

// hint is all the receiver ever takes from a request body: Access People HR's ActionId and EmployeeId,
// for the Event and the metrics. Nothing else of a body is kept, and even these decide only whether a
// sync is asked for: the sync reads the provider, as a scheduled one does.
type hint struct {
	// action is the ActionId, 0 when the body has none that reads as a number from 1 to 999.
	action int
	// employeeID is the EmployeeId when it looks like one (letters, digits, '.', '_', '-'; at most
	// maxEmployeeID characters), else "".
	employeeID string
}

// maxEmployeeID bounds the employee id an Event may carry: People HR's ids are short ("PW21").
const maxEmployeeID = 32

// parseHint reads an ActionId and an EmployeeId from a body whose encoding People HR does not document:
// a JSON object, form fields (ActionId=3&EmployeeId=PW21), or Key:Value text as the vendor shows its
// packets ("ActionId:3, Action:Marked Leaver, EmployeeId:PW21", one pair a line or comma-separated).
// Keys match without regard to case, spaces or underscores. The first occurrence of a key counts.
func parseHint(body []byte) hint {
	body = bytes.TrimSpace(body)
	var fields map[string]string
	if len(body) > 0 && body[0] == '{' {
		fields = jsonFields(body)
	}
	if fields == nil {
		fields = pairFields(string(body))
	}
	var h hint
	if n, err := strconv.Atoi(fields["actionid"]); err == nil && n >= 1 && n <= 999 {
		h.action = n
	}
	if id := fields["employeeid"]; validEmployeeID(id) {
		h.employeeID = id
	}
	return h
}

// wantedKey is the normalised form of the keys parseHint reads, or "".
func wantedKey(k string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(k) {
		if r >= 'a' && r <= 'z' {
			b.WriteRune(r)
		}
	}
	switch s := b.String(); s {
	case "actionid", "employeeid":
		return s
	}
	return ""
}

// jsonFields reads the wanted keys of a JSON object's top level, as strings (numbers in their JSON
// form); nil when the body is not a JSON object.
func jsonFields(body []byte) map[string]string {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(body, &raw); err != nil {
		return nil
	}
	fields := map[string]string{}
	for k, v := range raw {
		key := wantedKey(k)
		if key == "" {
			continue
		}
		var s string
		if json.Unmarshal(v, &s) != nil {
			s = string(v) // a number, or something parseHint will not accept
		}
		if _, seen := fields[key]; !seen {
			fields[key] = strings.TrimSpace(s)
		}
	}
	return fields
}

// pairFields reads the wanted keys of form fields or Key:Value text: pairs separated by '&', ',', ';'
// or line breaks, each split at its first '=' or ':'.
func pairFields(body string) map[string]string {
	fields := map[string]string{}
	pairs := strings.FieldsFunc(body, func(r rune) bool { return r == '&' || r == ',' || r == ';' || r == '\n' || r == '\r' })
	for _, p := range pairs {
		i := strings.IndexAny(p, "=:")
		if i < 0 {
			continue
		}
		k, v := p[:i], p[i+1:]
		if u, err := url.QueryUnescape(k); err == nil {
			k = u
		}
		if u, err := url.QueryUnescape(v); err == nil {
			v = u
		}
		key := wantedKey(strings.Trim(k, " \t{}\""))
		if _, seen := fields[key]; key != "" && !seen {
			fields[key] = strings.Trim(v, " \t{}\"")
		}
	}
	return fields
}

// idChars are the characters an employee id may have.
const idChars = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-"

func validEmployeeID(id string) bool {
	if id == "" || len(id) > maxEmployeeID {
		return false
	}
	for _, r := range id {
		if !strings.ContainsRune(idChars, r) {
			return false
		}
	}
	return true
}

// Access People HR's webhook actions that matter to the directory (its "Webhooks Detail"). Every other
// documented action is about absences, sickness, lateness or logbooks.
const (
	actionNewStarter      = 1
	actionDetailUpdated   = 2
	actionMarkedLeaver    = 3
	actionEmployeeDeleted = 18
)

var actionNames = map[int]string{
	actionNewStarter:      "New Starter Added",
	actionDetailUpdated:   "Employee Detail Updated",
	actionMarkedLeaver:    "Marked Leaver",
	actionEmployeeDeleted: "Employee Deleted",
}

// irrelevantAction reports whether an Access People HR action cannot change the directory: holidays
// (4-9), sickness (10-12), maternity and paternity (13-15), lateness (16-17), other events (21-25) and
// logbooks (31-54). An action outside these (19, 20, 26-30, above 54) is unknown, so it asks for a sync.
func irrelevantAction(a int) bool {
	return a >= 4 && a <= 17 || a >= 21 && a <= 25 || a >= 31 && a <= 54
}

// asksForSync decides whether a request with a valid token asks for a sync. For Access People HR, an
// action that cannot change the directory does not; one that does, or that is unknown, or a body whose
// action cannot be read, does. Other providers send no webhooks of their own: whatever a customer's
// automation posts asks for a sync.
func asksForSync(p dirsyncv1alpha1.ProviderType, h hint) bool {
	if p != dirsyncv1alpha1.ProviderAccessPeopleHR || h.action == 0 {
		return true
	}
	return !irrelevantAction(h.action)
}

// actionLabel is the hint's action as a metric label: the ActionId from 1 to 54, "other" above, or
// "none" when the body has no readable ActionId.
func actionLabel(h hint) string {
	switch {
	case h.action == 0:
		return "none"
	case h.action > 54:
		return "other"
	}
	return strconv.Itoa(h.action)
}

// describe is the hint for an Event: the action by name and number, and the employee id; no body text.
func describe(h hint) string {
	var s string
	switch name, ok := actionNames[h.action]; {
	case ok:
		s = name + " (ActionId " + strconv.Itoa(h.action) + ")"
	case h.action > 0:
		s = "ActionId " + strconv.Itoa(h.action)
	default:
		s = "no readable ActionId"
	}
	if h.employeeID != "" {
		s += ", employee " + h.employeeID
	}
	return s
}
