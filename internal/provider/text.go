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

// OneLine trims s, turns control characters and runs of white space into one space, and cuts it to max
// runes with an ellipsis: provider text made fit for an error message or a condition.
func OneLine(s string, max int) string {
	s = strings.Join(strings.FieldsFunc(s, func(r rune) bool {
		return unicode.IsSpace(r) || unicode.IsControl(r) || r == utf8.RuneError
	}), " ")
	if utf8.RuneCountInString(s) <= max {
		return s
	}
	r := []rune(s)
	return strings.TrimSpace(string(r[:max-1])) + "…"
}
