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

package naming

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"k8s.io/apimachinery/pkg/util/validation"
)

func TestPlainName(t *testing.T) {
	tests := []struct {
		name, base, id, want string
		ok                   bool
	}{
		{name: "numeric id", base: "acme", id: "1042", want: "acme-1042", ok: true},
		{name: "upper case is lower-cased", base: "accesspeoplehr", id: "PW1", want: "accesspeoplehr-pw1", ok: true},
		{name: "spaces become dashes", base: "accesspeoplehr", id: "Customer Success", want: "accesspeoplehr-customer-success", ok: true},
		{name: "punctuation runs become one dash", base: "acme", id: "R&D / EMEA", want: "acme-r-d-emea", ok: true},
		{name: "typed base", base: "acme-location", id: "London", want: "acme-location-london", ok: true},
		{name: "nothing usable", base: "acme", id: "---", ok: false},
		{name: "too long", base: "acme", id: strings.Repeat("x", 300), ok: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := Plain(tt.base, tt.id)
			if got != tt.want || ok != tt.ok {
				t.Fatalf("Plain(%q, %q) = %q, %v; want %q, %v", tt.base, tt.id, got, ok, tt.want, tt.ok)
			}
		})
	}
}

func TestAssignNames(t *testing.T) {
	req := func(id string) Request { return Request{Base: "acme", ID: id, Key: id} }
	tests := []struct {
		name  string
		reqs  []Request
		used  []string // this Directory's existing names
		taken []string // names other owners hold in the namespace
		want  map[string]string
	}{
		{
			name: "readable names when free",
			reqs: []Request{req("PW1"), req("Customer Success"), req("42")},
			want: map[string]string{"PW1": "acme-pw1", "Customer Success": "acme-customer-success", "42": "acme-42"},
		},
		{
			name: "ids differing only in case: the first by exact id keeps the plain name, the other is suffixed",
			reqs: []Request{req("pw1"), req("PW1")},
			want: map[string]string{"PW1": "acme-pw1", "pw1": Hashed("acme", "pw1", "pw1")},
		},
		{
			name: "a name held by this Directory's existing object is not reused",
			reqs: []Request{req("pw1")},
			used: []string{"acme-pw1"},
			want: map[string]string{"pw1": Hashed("acme", "pw1", "pw1")},
		},
		{
			name:  "another Directory's object (acme-x + id 1 vs acme + id x-1): the newcomer is suffixed",
			reqs:  []Request{req("x-1")},
			taken: []string{"acme-x-1"},
			want:  map[string]string{"x-1": Hashed("acme", "x-1", "x-1")},
		},
		{
			name:  "even the hashed name is taken: numbered",
			reqs:  []Request{req("x-1")},
			taken: []string{"acme-x-1", Hashed("acme", "x-1", "x-1")},
			want:  map[string]string{"x-1": Hashed("acme", "x-1", "x-1") + "-2"},
		},
		{
			name: "an id with nothing usable gets the hashed name",
			reqs: []Request{req("ÄÖÜ")},
			want: map[string]string{"ÄÖÜ": Hashed("acme", "ÄÖÜ", "ÄÖÜ")},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			used := map[string]bool{}
			for _, n := range tt.used {
				used[n] = true
			}
			taken := map[string]bool{}
			for _, n := range tt.taken {
				taken[n] = true
			}
			got := Assign(tt.reqs, used, func(n string) bool { return taken[n] })
			if d := cmp.Diff(tt.want, got); d != "" {
				t.Fatalf("Assign (-want +got):\n%s", d)
			}
			for _, n := range got {
				if errs := validation.IsDNS1123Subdomain(n); len(errs) > 0 {
					t.Fatalf("%q is not a valid name: %v", n, errs)
				}
			}
		})
	}
}

// Existing objects keep their names, whatever the naming rule says today: an object named by an older
// version (with a hash) is found by its externalID and never renamed.
// FuzzObjectName: any set of ids yields valid, distinct names, stable for the same input.
func FuzzObjectName(f *testing.F) {
	for _, s := range []string{"1042", "PW1", "pw1", "", "Zoë", strings.Repeat("a", 260), "a.b", "-", "ÄÖÜ"} {
		f.Add("acme", s)
	}
	f.Fuzz(func(t *testing.T, dir, id string) {
		dir = Sanitize(dir)
		if dir == "" || len(dir) > 63 {
			dir = "acme"
		}
		ids := []string{id, strings.ToUpper(id), id + "x", strings.ToLower(id) + " "}
		reqs := func() []Request {
			var out []Request
			seen := map[string]bool{}
			for _, i := range ids {
				if !seen[i] {
					seen[i] = true
					out = append(out, Request{Base: dir, ID: i, Key: i})
				}
			}
			return out
		}
		got := Assign(reqs(), map[string]bool{}, nil)
		names := map[string]string{}
		for key, n := range got {
			if errs := validation.IsDNS1123Subdomain(n); len(errs) > 0 {
				t.Fatalf("name for %q = %q: %v", key, n, errs)
			}
			if prev, dup := names[n]; dup {
				t.Fatalf("ids %q and %q share the name %q", prev, key, n)
			}
			names[n] = key
		}
		if len(got) != len(reqs()) {
			t.Fatalf("some ids got no name: %v", got)
		}
		if again := Assign(reqs(), map[string]bool{}, nil); !cmp.Equal(got, again) {
			t.Fatalf("not stable: %v then %v", got, again)
		}
	})
}
