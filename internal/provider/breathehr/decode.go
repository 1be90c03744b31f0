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

package breathehr

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/dirsync/dirsync/internal/provider"
)

// The wire types below are the privacy allowlist: they declare only the fields dirsync may copy, so
// that date of birth, NI number, salary, personal contact details and addresses are skipped by the
// decoder and never exist in memory. Do not add a field here without checking it is not personal data.

// wireEmployee is one element of GET /employees.
type wireEmployee struct {
	ID        wireID `json:"id"`
	FirstName string `json:"first_name"`
	LastName  string `json:"last_name"`
	KnownAs   string `json:"known_as"`
	Email     string `json:"email"`
	JobTitle  string `json:"job_title"`
	Status    string `json:"status"`
	// The start date is company_join_date in Breathe's own example and join_date in recorded payloads;
	// job_start_date is the start in the current job, the last resort.
	CompanyJoinDate wireDate `json:"company_join_date"`
	JoinDate        wireDate `json:"join_date"`
	JobStartDate    wireDate `json:"job_start_date"`
	LeavingDate     wireDate `json:"leaving_date"`
	FullOrPartTime  wireText `json:"full_or_part_time"`
	Department      wireRef  `json:"department"`
	Division        wireRef  `json:"division"`
	Location        wireRef  `json:"location"`
	LineManager     wireRef  `json:"line_manager"`
}

// wireDepartment is one element of GET /departments.
type wireDepartment struct {
	ID   wireID `json:"id"`
	Name string `json:"name"`
}

type employeesPage struct {
	Employees *[]wireEmployee `json:"employees"`
}

type departmentsPage struct {
	Departments *[]wireDepartment `json:"departments"`
}

// wireRef is an embedded department, division, location or line manager. No public source shows one that
// is not null; by analogy with the embedded objects that are shown it is {"id", "name"} (a line manager
// {"id", "first_name", "last_name", "email"}), but a string, "", a number or null must not fail the page
// either: a string is read as an id when it is digits, an e-mail when it has an @, and a name otherwise;
// a number as an id; anything else as absent. Only these fields are read from it.
type wireRef struct {
	ID        string // canonical decimal, or ""
	Name      string
	FirstName string
	LastName  string
	Email     string
}

// UnmarshalJSON implements json.Unmarshaler. It never fails.
func (r *wireRef) UnmarshalJSON(b []byte) error {
	*r = wireRef{}
	b = bytes.TrimSpace(b)
	if len(b) > 0 && b[0] == '{' && r.fromPlainObject(b) {
		return nil
	}
	r.decode(b)
	return nil
}

// fromPlainObject reads the fields of obj, a valid JSON object, the way decode does, without a nested
// json.Unmarshal per object (four per employee: the listing's largest cost in allocations). It reports
// false, having set nothing, when a key is not plain (escapes or non-ASCII, which encoding/json
// unescapes or folds in ways this does not): decode then reads obj.
func (r *wireRef) fromPlainObject(obj []byte) bool {
	var id, name, first, last, email []byte
	ok := eachMember(obj, func(key, val []byte) bool {
		switch k := key[1 : len(key)-1]; {
		case !isPlainASCII(k):
			return false
		case asciiEqualFold(k, "id"):
			id = val
		case asciiEqualFold(k, "name"):
			name = val
		case asciiEqualFold(k, "first_name"):
			first = val
		case asciiEqualFold(k, "last_name"):
			last = val
		case asciiEqualFold(k, "email"):
			email = val
		}
		return true
	})
	if !ok {
		return false
	}
	var wid wireID
	if len(id) > 0 && wid.UnmarshalJSON(id) == nil {
		r.ID = string(wid)
	}
	for _, f := range []struct {
		raw []byte
		to  *string
	}{{name, &r.Name}, {first, &r.FirstName}, {last, &r.LastName}, {email, &r.Email}} {
		if len(f.raw) > 0 {
			var t wireText
			_ = t.UnmarshalJSON(f.raw)
			*f.to = string(t)
		}
	}
	return true
}

// decode is UnmarshalJSON through encoding/json, for any value.
func (r *wireRef) decode(b []byte) {
	*r = wireRef{}
	if len(b) > 0 && b[0] == '{' {
		var o struct {
			ID        json.RawMessage `json:"id"`
			Name      wireText        `json:"name"`
			FirstName wireText        `json:"first_name"`
			LastName  wireText        `json:"last_name"`
			Email     wireText        `json:"email"`
		}
		if json.Unmarshal(b, &o) != nil {
			return
		}
		var id wireID
		if len(o.ID) > 0 && id.UnmarshalJSON(o.ID) == nil {
			r.ID = string(id)
		}
		r.Name, r.FirstName, r.LastName, r.Email = string(o.Name), string(o.FirstName), string(o.LastName), string(o.Email)
		return
	}
	var id wireID
	if len(b) > 0 && b[0] != '"' && id.UnmarshalJSON(b) == nil {
		r.ID = string(id) // a bare number
		return
	}
	var s string
	if json.Unmarshal(b, &s) != nil {
		return
	}
	s = strings.TrimSpace(s)
	switch {
	case provider.IsDigits(s) && id.UnmarshalJSON([]byte(s)) == nil:
		r.ID = string(id)
	case strings.Contains(s, "@"):
		r.Email = s
	default:
		r.Name = s
	}
}

// wireText is a trimmed string; null, a number, an object or anything else that is not a string reads as
// "" without failing the page (an object's "name" is read, as full_or_part_time may be one).
type wireText string

// UnmarshalJSON implements json.Unmarshaler. It never fails.
func (t *wireText) UnmarshalJSON(b []byte) error {
	if s, ok := plainString(b); ok {
		*t = wireText(strings.TrimSpace(s))
		return nil
	}
	t.decode(b)
	return nil
}

// decode is UnmarshalJSON through encoding/json, for any value.
func (t *wireText) decode(b []byte) {
	*t = ""
	var s string
	if json.Unmarshal(b, &s) == nil {
		*t = wireText(strings.TrimSpace(s))
		return
	}
	var o struct {
		Name string `json:"name"`
	}
	if bytes.HasPrefix(bytes.TrimSpace(b), []byte("{")) && json.Unmarshal(b, &o) == nil {
		*t = wireText(strings.TrimSpace(o.Name))
	}
}

var (
	errInvalidID     = errors.New("an id is not a positive integer")
	errNotJSONObject = errors.New("the body is not the expected JSON object")
)

// decodeEmployeePage decodes one GET /employees page. Every employee it returns has an id.
func decodeEmployeePage(body []byte) ([]wireEmployee, error) {
	var p employeesPage
	if err := unmarshal(body, &p); err != nil {
		return nil, err
	}
	if p.Employees == nil {
		return nil, errors.New(`the body has no "employees" list`)
	}
	for i, w := range *p.Employees {
		if w.ID == "" {
			return nil, fmt.Errorf("employee %d on the page has no id", i+1)
		}
	}
	return *p.Employees, nil
}

// decodeDepartments decodes one GET /departments page.
func decodeDepartments(body []byte) ([]provider.Department, error) {
	var p departmentsPage
	if err := unmarshal(body, &p); err != nil {
		return nil, err
	}
	if p.Departments == nil {
		return nil, errors.New(`the body has no "departments" list`)
	}
	out := make([]provider.Department, 0, len(*p.Departments))
	for i, w := range *p.Departments {
		if w.ID == "" {
			return nil, fmt.Errorf("department %d on the page has no id", i+1)
		}
		out = append(out, provider.Department{ExternalID: string(w.ID), Name: provider.NormaliseSpace(w.Name)})
	}
	return out, nil
}

// unmarshal decodes one JSON value and nothing after it. Its errors never quote the body: json's own
// syntax and type errors name an offset, a character or a Go type, and wireID's errors are fixed texts.
func unmarshal(body []byte, v any) error {
	if t := bytes.TrimSpace(body); len(t) == 0 || t[0] != '{' {
		return errNotJSONObject
	}
	if err := json.Unmarshal(body, v); err != nil {
		var se *json.SyntaxError
		var te *json.UnmarshalTypeError
		switch {
		case errors.As(err, &se):
			return fmt.Errorf("invalid JSON at byte %d", se.Offset)
		case errors.As(err, &te):
			return fmt.Errorf("a JSON %s where the field %q expects another type", te.Value, te.Field)
		case errors.Is(err, errInvalidID):
			return errInvalidID
		default:
			return errNotJSONObject
		}
	}
	return nil
}

// wireID is a Breathe id in canonical decimal text, or "" for null or absent. The API sends integers;
// a numeric string ("1001") or an integral number in another notation (1001.0, 1.001e3) is accepted too.
type wireID string

// maxExactID is the largest integer a float64 (and a JavaScript client) holds exactly.
const maxExactID = 1 << 53

// UnmarshalJSON implements json.Unmarshaler.
func (id *wireID) UnmarshalJSON(b []byte) error {
	s := string(bytes.TrimSpace(b))
	if s == "null" {
		*id = ""
		return nil
	}
	if strings.HasPrefix(s, `"`) {
		var str string
		if err := json.Unmarshal(b, &str); err != nil {
			return errInvalidID
		}
		s = strings.TrimSpace(str)
	}
	if provider.IsDigits(s) {
		n, err := strconv.ParseUint(s, 10, 64)
		if err != nil || n == 0 {
			return errInvalidID
		}
		*id = wireID(strconv.FormatUint(n, 10))
		return nil
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || f < 1 || f > maxExactID || f != math.Trunc(f) || !json.Valid([]byte(s)) {
		return errInvalidID
	}
	*id = wireID(strconv.FormatUint(uint64(f), 10))
	return nil
}

// wireDate is a YYYY-MM-DD date, or "". Anything else (a malformed date, a number, an object) decodes
// to "" without failing the page: one bad date must not stop a sync.
type wireDate string

// UnmarshalJSON implements json.Unmarshaler.
func (d *wireDate) UnmarshalJSON(b []byte) error {
	*d = ""
	s, ok := plainString(b)
	if !ok && json.Unmarshal(b, &s) != nil {
		return nil
	}
	*d = wireDate(validDate(s))
	return nil
}

// validDate returns s trimmed when it is a real calendar date in YYYY-MM-DD form, else "".
func validDate(s string) string {
	s = strings.TrimSpace(s)
	if len(s) != len("2006-01-02") {
		return ""
	}
	if _, err := time.Parse("2006-01-02", s); err != nil {
		return ""
	}
	return s
}

// errorText extracts the provider's error text from an error body: a JSON "error", "message" or
// "errors" string (or list of strings), or a "message", "error", "detail" or "type" string one level
// inside (the 429 body is {"error":{"type":"Rate Limit Reached"}}). It never returns raw, non-JSON body
// text.
func errorText(body []byte) string {
	var top map[string]json.RawMessage
	if json.Unmarshal(body, &top) != nil {
		return ""
	}
	for _, k := range []string{"error", "message", "errors"} {
		raw, ok := top[k]
		if !ok {
			continue
		}
		var s string
		if json.Unmarshal(raw, &s) == nil && s != "" {
			return s
		}
		var list []string
		if json.Unmarshal(raw, &list) == nil && len(list) > 0 {
			return strings.Join(list, "; ")
		}
		var inner map[string]json.RawMessage
		if json.Unmarshal(raw, &inner) == nil {
			for _, ik := range []string{"message", "error", "detail", "type"} {
				if json.Unmarshal(inner[ik], &s) == nil && s != "" {
					return s
				}
			}
		}
	}
	return ""
}
