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

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Redacted replaces an API key wherever a provider (or anything else) echoes it.
const Redacted = "[redacted]"

// Redact replaces every occurrence of key in s, ignoring ASCII case, with Redacted.
func Redact(s, key string) string {
	if key == "" || len(key) > len(s) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		if i+len(key) <= len(s) && strings.EqualFold(s[i:i+len(key)], key) {
			b.WriteString(Redacted)
			i += len(key)
			continue
		}
		b.WriteByte(s[i])
		i++
	}
	return b.String()
}

// OneLine trims s, turns control characters and runs of white space into one space, and cuts it to
// maxRunes runes with an ellipsis: provider text made fit for an error message or a condition.
func OneLine(s string, maxRunes int) string {
	s = strings.Join(strings.FieldsFunc(s, func(r rune) bool {
		return unicode.IsSpace(r) || unicode.IsControl(r) || r == utf8.RuneError
	}), " ")
	if utf8.RuneCountInString(s) <= maxRunes {
		return s
	}
	r := []rune(s)
	return strings.TrimSpace(string(r[:maxRunes-1])) + "…"
}

// NormaliseSpace collapses runs of white space to one space and trims: how a name that serves as an
// identity (an Access People HR department, an affiliation without an id) is compared.
func NormaliseSpace(s string) string { return strings.Join(strings.Fields(s), " ") }

// DisplayName is the preferred name, or without one the first name, followed by the last name ("Bob
// Smith"), white space normalised. A preferred name that already ends with the last name ("Bob Smith") is
// not given it twice.
func DisplayName(preferred, first, last string) string {
	given := NormaliseSpace(preferred)
	if given == "" {
		given = NormaliseSpace(first)
	}
	last = NormaliseSpace(last)
	if last != "" && (strings.EqualFold(given, last) || hasSuffixFold(given, " "+last)) {
		return given
	}
	return strings.TrimSpace(given + " " + last)
}

func hasSuffixFold(s, suffix string) bool {
	return len(s) >= len(suffix) && strings.EqualFold(s[len(s)-len(suffix):], suffix)
}

// NewAffiliation builds an Affiliation from a provider's id and name: both trimmed (the name's white space
// normalised), and the name standing in for a missing id.
func NewAffiliation(id, name string) Affiliation {
	id, name = strings.TrimSpace(id), NormaliseSpace(name)
	if id == "" {
		id = name
	}
	return Affiliation{ID: id, Name: name}
}

// AddUnique maps k to id in an index that resolves a reference sent without an id (a name, an e-mail),
// or to "" once a second id has k: a key two share resolves to nothing. An empty k is not added.
func AddUnique(index map[string]string, k, id string) {
	if k == "" {
		return
	}
	if _, dup := index[k]; dup {
		index[k] = ""
		return
	}
	index[k] = id
}

// IsDigits reports whether s is one or more ASCII digits: how a numeric id or a Retry-After in seconds
// is recognised.
func IsDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
