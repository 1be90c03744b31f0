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
	"strings"
	"testing"
)

func TestPlainString(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want string
		ok   bool
	}{
		{`"Engineering"`, "Engineering", true},
		{`" padded "`, " padded ", true},
		{`""`, "", true},
		{`"a\"b"`, "", false},   // an escape: encoding/json unescapes it
		{`"\u0041"`, "", false}, // likewise
		{`"Zoë"`, "", false},    // non-ASCII: encoding/json replaces invalid UTF-8
		{"\"tab\there\"", "", false},
		{`null`, "", false},
		{`12`, "", false},
		{`"`, "", false},
	} {
		got, ok := plainString([]byte(tc.in))
		if got != tc.want || ok != tc.ok {
			t.Errorf("plainString(%s) = %q, %v; want %q, %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
}

func TestEachMember(t *testing.T) {
	obj := []byte(`{ "id" : 12 , "name":"a}b\"c", "nested": {"x": [1, {"y": "]"}], "z": "\\"},` +
		"\n\t\"list\": [ ], \"t\": true, \"n\": null, \"f\": -1.5e3 }")
	var got []string
	if !eachMember(obj, func(k, v []byte) bool { got = append(got, string(k)+"="+string(v)); return true }) {
		t.Fatal("eachMember stopped without being asked to")
	}
	want := []string{`"id"=12`, `"name"="a}b\"c"`, `"nested"={"x": [1, {"y": "]"}], "z": "\\"}`, `"list"=[ ]`,
		`"t"=true`, `"n"=null`, `"f"=-1.5e3`}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("members:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	var calls int
	if eachMember(obj, func(_, _ []byte) bool { calls++; return calls < 2 }) || calls != 2 {
		t.Errorf("eachMember went on after f returned false (%d calls)", calls)
	}
	if !eachMember([]byte(`{}`), func(_, _ []byte) bool { t.Error("called for an empty object"); return true }) {
		t.Error("eachMember({}) = false")
	}
}

// The plain paths read a reference exactly as encoding/json does, including keys in another case, a
// repeated key (the last wins) and the values the page must survive; an escaped key goes the slow way.
func TestWireRefPlainObject(t *testing.T) {
	for _, tc := range []struct {
		in    string
		want  wireRef
		plain bool
	}{
		{`{"id": 7, "name": " Sales "}`, wireRef{ID: "7", Name: "Sales"}, true},
		{`{"ID": "0012", "First_Name": "Ada", "LAST_NAME": "Lovelace", "Email": "ada@example.com"}`,
			wireRef{ID: "12", FirstName: "Ada", LastName: "Lovelace", Email: "ada@example.com"}, true},
		{`{"id": 1, "id": 2, "name": "a", "name": {"name": "b"}}`, wireRef{ID: "2", Name: "b"}, true},
		{`{"id": "x", "name": 5, "extra": {"id": 9}}`, wireRef{}, true},
		{`{"id": null, "name": "Zoë"}`, wireRef{Name: "Zoë"}, true},
		{`{"n\u0061me": "Ops", "id": 3}`, wireRef{ID: "3", Name: "Ops"}, false},
		{`{"`, wireRef{}, false}, // never from encoding/json, which validates first: no panic, nothing read
		{`{"id": 1, "name"`, wireRef{}, false},
		{`{id: 1}`, wireRef{}, false},
	} {
		var r wireRef
		if plain := r.fromPlainObject([]byte(tc.in)); plain != tc.plain {
			t.Errorf("fromPlainObject(%s) = %v, want %v", tc.in, plain, tc.plain)
		}
		var got, slow wireRef
		_ = got.UnmarshalJSON([]byte(tc.in))
		slow.decode([]byte(tc.in))
		if got != tc.want || slow != tc.want {
			t.Errorf("%s: UnmarshalJSON %+v, encoding/json %+v; want %+v", tc.in, got, slow, tc.want)
		}
	}
}

// FuzzPlainJSON checks that the wire types read every valid JSON value alike through their plain paths
// and through encoding/json.
func FuzzPlainJSON(f *testing.F) {
	for _, s := range []string{`"Sales"`, `" x "`, `"a\"b"`, `"2024-02-29"`, `null`, `12`, `{"name": "x"}`,
		`{"id": 1, "ID": "2", "Name": "a", "first_name": "b", "LAST_name": "c", "email": "d@e"}`,
		`{"id": {"id": 1}, "name": ["x"], "n\u0061me": "y"}`, `{"email": "a@b", "email": null}`, `"ada@example.com"`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if !json.Valid(b) {
			if len(b) > 0 && b[0] == '{' {
				var r wireRef
				r.fromPlainObject(b) // must not panic on what encoding/json would never hand it
			}
			return
		}
		var text, textSlow wireText
		_ = text.UnmarshalJSON(b)
		textSlow.decode(b)
		if text != textSlow {
			t.Fatalf("wireText(%q): %q, encoding/json %q", b, text, textSlow)
		}
		var date wireDate
		_ = date.UnmarshalJSON(b)
		var s string
		var want wireDate
		if json.Unmarshal(b, &s) == nil {
			want = wireDate(validDate(s))
		}
		if date != want {
			t.Fatalf("wireDate(%q) = %q, encoding/json %q", b, date, want)
		}
		var ref, refSlow wireRef
		_ = ref.UnmarshalJSON(b)
		refSlow.decode(bytes.TrimSpace(b))
		if ref != refSlow {
			t.Fatalf("wireRef(%q): %+v, encoding/json %+v", b, ref, refSlow)
		}
	})
}

// BenchmarkDecodeEmployeePage decodes the recorded page of employees (go test -bench DecodeEmployeePage
// -benchmem): what every sync spends per page before mapping.
func BenchmarkDecodeEmployeePage(b *testing.B) {
	body := readFixture(b, "employees_page.json")
	b.ReportAllocs()
	for b.Loop() {
		if _, err := decodeEmployeePage(body); err != nil {
			b.Fatal(err)
		}
	}
}
