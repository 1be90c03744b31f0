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

package token

import (
	"regexp"
	"strings"
	"testing"
)

func TestNew(t *testing.T) {
	a, err := New()
	if err != nil {
		t.Fatal(err)
	}
	b, err := New()
	if err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`^[0-9a-f]{64}$`).MatchString(a) || a == b {
		t.Fatalf("tokens %q and %q: want two different strings of 64 hex digits (256 bits)", a, b)
	}
	if _, err := Check([]byte(a)); err != nil {
		t.Fatalf("a new token is not usable: %v", err)
	}
}

func TestPath(t *testing.T) {
	const token = "0123456789abcdef0123456789abcdef"
	p := Path("hr", "acme", token)
	if !regexp.MustCompile(`^/hook/[0-9a-f]{64}$`).MatchString(p) {
		t.Fatalf("Path = %q, want /hook/ and 64 hex digits", p)
	}
	if strings.Contains(p, token) {
		t.Fatalf("the path %q contains the token", p)
	}
	for _, other := range []string{Path("hr", "acme", token+"x"), Path("hr", "acme2", token), Path("hr2", "acme", token),
		Path("hra", "cme", token)} {
		if other == p {
			t.Fatalf("another token, name or namespace gives the same path %q", p)
		}
	}
	if Path("hr", "acme", token) != p {
		t.Fatal("the path is not stable")
	}
}

func TestCheck(t *testing.T) {
	tests := []struct {
		raw, want, wantErr string
	}{
		{raw: "  0123456789abcdef0123456789abcdef\n", want: "0123456789abcdef0123456789abcdef"},
		{raw: "0123456789abcdef0123456789abcde", wantErr: "31 characters; it needs at least 32"},
		{raw: "", wantErr: "0 characters"},
		{raw: strings.Repeat("a", 4097), wantErr: "at most 4096"},
	}
	for _, tt := range tests {
		got, err := Check([]byte(tt.raw))
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("Check(%d characters) = %v, want an error saying %q", len(tt.raw), err, tt.wantErr)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("Check = %q, %v; want %q", got, err, tt.want)
		}
	}
}
