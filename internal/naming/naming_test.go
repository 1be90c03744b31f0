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
		{name: "exactly 253 characters", base: "acme", id: strings.Repeat("x", 248), want: "acme-" + strings.Repeat("x", 248), ok: true},
		{name: "254 characters", base: "acme", id: strings.Repeat("x", 249), ok: false},
		{name: "the ends of the ranges a-z and 0-9", base: "acme", id: "AZ az 09", want: "acme-az-az-09", ok: true},
		{name: "leading and trailing punctuation is dropped", base: "acme", id: "(R&D)", want: "acme-r-d", ok: true},
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
			want: map[string]string{"PW1": "acme-pw1", "pw1": "acme-pw1-c592df4a86"},
		},
		{
			name: "a name held by this Directory's existing object is not reused",
			reqs: []Request{req("pw1")},
			used: []string{"acme-pw1"},
			want: map[string]string{"pw1": "acme-pw1-c592df4a86"},
		},
		{
			name:  "another Directory's object (acme-x + id 1 vs acme + id x-1): the newcomer is suffixed",
			reqs:  []Request{req("x-1")},
			taken: []string{"acme-x-1"},
			want:  map[string]string{"x-1": "acme-x-1-e0f26c5c92"},
		},
		{
			name:  "even the hashed name is taken: numbered",
			reqs:  []Request{req("x-1")},
			taken: []string{"acme-x-1", "acme-x-1-e0f26c5c92"},
			want:  map[string]string{"x-1": "acme-x-1-e0f26c5c92-2"},
		},
		{
			name: "an id with nothing usable gets the hashed name",
			reqs: []Request{req("ÄÖÜ")},
			want: map[string]string{"ÄÖÜ": "acme-1eccaaf0c4"},
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

// refuseFirst is a taken func that says the first n names it is asked about are taken: Assign asks in
// order (the plain name, the hashed name, then -2, -3, …), so it steers Assign down that list without
// the test computing a name with the code under test.
func refuseFirst(n int) func(string) bool {
	asked := 0
	return func(string) bool {
		asked++
		return asked <= n
	}
}

// The hash suffix is the first 10 hex digits of the key's SHA-256, computed outside Go
// (printf '%s' KEY | sha256sum | cut -c1-10): pw1 c592df4a86, x-1 e0f26c5c92, ÄÖÜ 1eccaaf0c4, and
// 260 x's ca19811c67, 232 x's and -yyyy ac27e65f28.
func TestHashedNames(t *testing.T) {
	x260 := strings.Repeat("x", 260)
	// acme- (5) + the id cut to 233 + -ca19811c67 (11) = 249: four characters left for -100.
	longest := "acme-" + strings.Repeat("x", 233) + "-ca19811c67"
	tests := []struct {
		name    string
		id      string
		refused int // names taken, in the order Assign asks
		want    string
	}{
		{name: "plain name taken", id: "pw1", refused: 1, want: "acme-pw1-c592df4a86"},
		{name: "hashed name taken too", id: "x-1", refused: 2, want: "acme-x-1-e0f26c5c92-2"},
		{name: "nothing usable: no plain name to ask for", id: "ÄÖÜ", refused: 0, want: "acme-1eccaaf0c4"},
		{name: "nothing usable, hashed taken", id: "ÄÖÜ", refused: 1, want: "acme-1eccaaf0c4-2"},
		{name: "too long for a plain name", id: x260, refused: 0, want: longest},
		{name: "longest id, hashed taken", id: x260, refused: 1, want: longest + "-2"},
		{name: "longest id, the last numbered name", id: x260, refused: 99, want: longest + "-100"},
		{name: "longest id, every name taken", id: x260, refused: 100, want: ""},
		{name: "a cut that ends on a dash loses the dash", id: strings.Repeat("x", 232) + "-yyyy", refused: 1,
			want: "acme-" + strings.Repeat("x", 232) + "-ac27e65f28"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Assign([]Request{{Base: "acme", ID: tt.id, Key: tt.id}}, map[string]bool{}, refuseFirst(tt.refused))
			if got[tt.id] != tt.want {
				t.Fatalf("name = %q (%d characters), want %q (%d)", got[tt.id], len(got[tt.id]), tt.want, len(tt.want))
			}
			if len(got[tt.id]) > 253 {
				t.Fatalf("%q is %d characters, over the 253 of an object name", got[tt.id], len(got[tt.id]))
			}
		})
	}
}

// TestNamesFitWhateverIsTaken: for every base length a DNS subdomain allows and ids of every kind, with
// the plain, hashed and numbered names taken in turn, a name is never longer than 253 characters, is
// a valid DNS-1123 subdomain, and is found whenever one of the form base-<hash>-NNN fits.
func TestNamesFitWhateverIsTaken(t *testing.T) {
	ids := []string{"1", "PW1", "ÄÖÜ", "R&D / EMEA", strings.Repeat("x", 252), strings.Repeat("ab-", 100), strings.Repeat("y", 400)}
	for n := 1; n <= 253; n++ {
		base := strings.Repeat("b", n)
		if n > 4 {
			base = "d." + base[2:] // dots are allowed in a Directory name
		}
		for _, id := range ids {
			for _, refused := range []int{0, 1, 2, 99} {
				got, ok := Assign([]Request{{Base: base, ID: id, Key: id}}, map[string]bool{}, refuseFirst(refused))[id]
				if !ok {
					// base-<10 hex>-100 needs 15 characters beyond the base.
					if n+15 <= 253 {
						t.Fatalf("base of %d, id %.20q, %d taken: no name, though one fits", n, id, refused)
					}
					continue
				}
				if len(got) > 253 || len(validation.IsDNS1123Subdomain(got)) > 0 {
					t.Fatalf("base of %d, id %.20q, %d taken: %q (%d characters) is not a valid object name: %v",
						n, id, refused, got, len(got), validation.IsDNS1123Subdomain(got))
				}
			}
		}
	}
}
