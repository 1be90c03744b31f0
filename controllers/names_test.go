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

package controllers

import (
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/util/validation"
)

func TestObjectName(t *testing.T) {
	long := strings.Repeat("x", 300)
	tests := []struct {
		name, dir, id string
		want          string // exact name, or "" to check only validity and the prefix
		wantPrefix    string
	}{
		{name: "numeric id is used as is", dir: "acme", id: "1042", want: "acme-1042"},
		{name: "lower-case id with dash is used as is", dir: "acme", id: "pw-1", want: "acme-pw-1"},
		{name: "upper case gets a hash", dir: "acme", id: "PW1", wantPrefix: "acme-pw1-"},
		{name: "spaces and punctuation", dir: "acme", id: "Customer Success / EMEA", wantPrefix: "acme-customer-success-emea-"},
		{name: "non-ASCII only", dir: "acme", id: "Zoë's Ünit", wantPrefix: "acme-zo-s-nit-"},
		{name: "nothing usable", dir: "acme", id: "---", wantPrefix: "acme-"},
		{name: "too long is truncated with a hash", dir: "acme", id: long, wantPrefix: "acme-xxx"},
		{name: "leading dash", dir: "acme", id: "-7", wantPrefix: "acme-7-"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := objectName(tt.dir, tt.id)
			if errs := validation.IsDNS1123Subdomain(got); len(errs) > 0 {
				t.Fatalf("objectName(%q, %q) = %q is not a DNS-1123 subdomain: %v", tt.dir, tt.id, got, errs)
			}
			if tt.want != "" && got != tt.want {
				t.Fatalf("objectName(%q, %q) = %q, want %q", tt.dir, tt.id, got, tt.want)
			}
			if tt.wantPrefix != "" && (!strings.HasPrefix(got, tt.wantPrefix) || got == tt.wantPrefix) {
				t.Fatalf("objectName(%q, %q) = %q, want prefix %q plus a hash", tt.dir, tt.id, got, tt.wantPrefix)
			}
			if again := objectName(tt.dir, tt.id); again != got {
				t.Fatalf("not stable: %q then %q", got, again)
			}
		})
	}
}

func TestObjectNameDistinguishesIDsThatSanitizeAlike(t *testing.T) {
	ids := []string{"pw1", "PW1", "Pw1", "pw 1", "pw-1", "pw_1", "PW-1", "pw1 "}
	seen := map[string]string{}
	for _, id := range ids {
		n := objectName("acme", id)
		if prev, dup := seen[n]; dup {
			t.Fatalf("ids %q and %q both map to %q", prev, id, n)
		}
		seen[n] = id
	}
}

// FuzzObjectName: any id yields a valid, stable name, and different ids never share a name unless
// their hashes collide.
func FuzzObjectName(f *testing.F) {
	for _, s := range []string{"1042", "PW1", "pw1", "", "Zoë", strings.Repeat("a", 260), "a.b", "-", "ÄÖÜ"} {
		f.Add("acme", s)
	}
	f.Fuzz(func(t *testing.T, dir, id string) {
		dir = sanitize(dir)
		if dir == "" || len(dir) > 63 {
			dir = "acme"
		}
		got := objectName(dir, id)
		if errs := validation.IsDNS1123Subdomain(got); len(errs) > 0 {
			t.Fatalf("objectName(%q, %q) = %q: %v", dir, id, got, errs)
		}
		if objectName(dir, id) != got {
			t.Fatal("not stable")
		}
		if id != "" && objectName(dir, id+"x") == got {
			t.Fatalf("ids %q and %q share a name", id, id+"x")
		}
		if upper := strings.ToUpper(id); upper != id && objectName(dir, upper) == got {
			t.Fatalf("ids %q and %q share a name", id, upper)
		}
	})
}
