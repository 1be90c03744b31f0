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

package provider

import "testing"

func TestRedact(t *testing.T) {
	tests := []struct{ name, s, key, want string }{
		{name: "exact", s: "bad key sk-ABC123 given", key: "sk-ABC123", want: "bad key [redacted] given"},
		{name: "other case", s: "BAD KEY SK-ABC123", key: "sk-ABC123", want: "BAD KEY [redacted]"},
		{name: "twice", s: "sk-ABC123/sk-abc123", key: "sk-ABC123", want: "[redacted]/[redacted]"},
		{name: "absent", s: "nothing here", key: "sk-ABC123", want: "nothing here"},
		{name: "empty key", s: "text", key: "", want: "text"},
		{name: "the whole text", s: "SK-ABC123", key: "sk-ABC123", want: "[redacted]"},
		{name: "longer than the text", s: "sk-ABC12", key: "sk-ABC123", want: "sk-ABC12"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Redact(tt.s, tt.key); got != tt.want {
				t.Fatalf("Redact(%q, %q) = %q, want %q", tt.s, tt.key, got, tt.want)
			}
		})
	}
}

func TestOneLine(t *testing.T) {
	if got := OneLine("  a\n\tb\x00c  ", 10); got != "a b c" {
		t.Fatalf("OneLine = %q", got)
	}
	if got := OneLine("abcdefghijkl", 5); got != "abcd…" {
		t.Fatalf("OneLine cut = %q", got)
	}
	if got := OneLine("abcde", 5); got != "abcde" {
		t.Fatalf("OneLine of exactly the limit = %q, want it whole", got)
	}
}

func TestAddUnique(t *testing.T) {
	index := map[string]string{}
	for _, kv := range [][2]string{{"ann ash", "1"}, {"bob birch", "2"}, {"ann ash", "3"}, {"", "4"}, {"ann ash", "5"}} {
		AddUnique(index, kv[0], kv[1])
	}
	want := map[string]string{"ann ash": "", "bob birch": "2"}
	if len(index) != len(want) || index["ann ash"] != "" || index["bob birch"] != "2" {
		t.Fatalf("index %v, want %v (a shared key resolves to nothing, an empty key is not added)", index, want)
	}
}
