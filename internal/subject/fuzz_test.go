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

package subject

import (
	"runtime"
	"strings"
	"testing"
	"unicode"
)

// fuzzBudget bounds parsing one template and rendering one person with it, whatever both are. Parse
// reads at most MaxTemplateLength (1 KiB) of text; Render makes at most MaxCalls (32) calls, each on an
// input of at most MaxIntermediate (4 KiB) bytes and with a result of at most three times that
// (lower and upper turn an invalid byte into a 3-byte U+FFFD) before it is refused: under 400 KiB in
// all, and in practice a few KiB. A function that grew its text without bound (replace with an empty
// OLD: the template allocated 285 MiB) breaks it at once.
const fuzzBudget = 1 << 20

// FuzzRender parses a template and renders one person with it: it must not panic or allocate more
// than fuzzBudget, and whatever it renders is a usable subject (at most MaxLength bytes, no white
// space or control characters, no system: prefix). The seeds in testdata/fuzz/FuzzRender are the
// attacks of issue 21.
func FuzzRender(f *testing.F) {
	f.Add("oidc:{{ lower .Email }}", "Ada.Lovelace@Example.com", "1001", "Ada", "Lovelace")
	f.Add(`arn:aws:sts::111122223333:assumed-role/Dev/{{ .Email | replace "@" "-" }}`, "ada@example.com", "1001", "Ada", "Lovelace")
	f.Fuzz(func(t *testing.T, template, email, id, first, last string) {
		var before, after runtime.MemStats
		var got string
		var err error
		runtime.ReadMemStats(&before)
		st, perr := Parse(template)
		if perr == nil {
			got, err = st.Render(Fields{Email: email, ExternalID: id, FirstName: first, LastName: last})
		}
		runtime.ReadMemStats(&after)
		if n := after.TotalAlloc - before.TotalAlloc; n > fuzzBudget {
			t.Fatalf("parsing a %d-byte template and rendering one person allocated %d KiB, over %d KiB", len(template), n>>10, fuzzBudget>>10)
		}
		if perr != nil || err != nil {
			return
		}
		if got == "" || len(got) > MaxLength || strings.HasPrefix(strings.ToLower(got), "system:") ||
			strings.IndexFunc(got, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }) >= 0 {
			t.Fatalf("Render gave the unusable subject %q", got)
		}
	})
}
