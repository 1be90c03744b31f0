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
)

// renderBudget is what rendering one person may allocate, whatever the template: the attacks below
// would allocate tens or hundreds of MiB each.
const renderBudget = 64 << 10

// allocated returns the bytes f allocated on the heap.
func allocated(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// pipe repeats stage n times after .Email in one action.
func pipe(stage string, n int) string {
	return "{{ .Email" + strings.Repeat(" | "+stage, n) + " }}"
}

// Issue 21: a DirectoryAccess author (any tenant who may create one) must not be able to make the
// shared operator allocate without bound. replace with an empty OLD inserts NEW between every
// character, so each stage multiplies the text: 14 stages of `replace "" "ab"` (about 280
// characters) turn a 20-character e-mail into 96 MiB, and a few more OOM-kill the manager, after
// which nothing is revoked anywhere. Each hostile template is refused at parse when the problem is
// in its text, and otherwise fails at render with a clear error, within renderBudget.
func TestHostileTemplatesAreRefusedInBoundedMemory(t *testing.T) {
	// An empty OLD that no parse-time check can see: it is computed at render.
	emptyAtRender := `replace (trimPrefix .Email .Email) "abcdefghijklmnop"`
	tests := []struct {
		name, template string
		person         Fields
		parseErr       string // substring of Parse's error; "" when the text parses
		renderErr      string // substring of Render's error
	}{{
		name:     "replace with a constant empty OLD, the issue's ~280 characters",
		template: pipe(`replace "" "ab"`, 14),
		parseErr: `replace with an empty OLD`,
	}, {
		name:     "replace with a constant empty OLD, as the first argument of a call",
		template: `{{ replace "" "ab" .Email }}`,
		parseErr: `replace with an empty OLD`,
	}, {
		name:      "replace with an empty OLD computed at render",
		template:  pipe(emptyAtRender, 6),
		person:    person("1001", "ada.lovelace@example.com"),
		renderErr: "replace with an empty OLD",
	}, {
		name:      "replace that grows the text past the cap, one stage at a time",
		template:  pipe(`replace "a" "aaaaaaaaaaaaaaaa"`, 7),
		person:    person("1002", "aaaaaaaaaaaaaaaa@example.com"),
		renderErr: "longer than 4096 bytes",
	}, {
		name:      "upper of a field over the cap",
		template:  "{{ upper .LastName }}",
		person:    Fields{Email: "a@example.com", ExternalID: "1", FirstName: "A", LastName: strings.Repeat("x", 1<<20)},
		renderErr: "longer than 4096 bytes",
	}, {
		name:     "a pipeline longer than the cap",
		template: pipe("lower", 9),
		parseErr: "more than 8 commands",
	}, {
		name:     "more actions than the cap",
		template: strings.Repeat("{{ .Email }}", 17),
		parseErr: "more than 16 actions",
	}, {
		name:     "more function calls than the cap, nested instead of piped",
		template: "{{ .Email | lower | lower | lower | lower }}" + strings.Repeat("{{ lower (lower (lower (lower .Email))) }}", 8),
		parseErr: "more than 32 function calls",
	}, {
		name:     "a template longer than the CRD allows",
		template: "oidc:" + strings.Repeat("x", 1100) + "{{ .Email }}",
		parseErr: "longer than 1024",
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st, err := Parse(tt.template)
			if tt.parseErr != "" {
				if err == nil {
					n := allocated(func() { _, _ = st.Render(person("1001", "ada.lovelace@example.com")) })
					t.Fatalf("Parse accepted it (want an error containing %q); rendering one person then allocated %d KiB", tt.parseErr, n>>10)
				}
				if !strings.Contains(err.Error(), tt.parseErr) {
					t.Fatalf("Parse: %v; want an error containing %q", err, tt.parseErr)
				}
				if !strings.HasPrefix(err.Error(), "spec.subject.template") {
					t.Errorf("Parse error %q does not name spec.subject.template", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			var got string
			n := allocated(func() { got, err = st.Render(tt.person) })
			if err == nil || !strings.Contains(err.Error(), tt.renderErr) {
				t.Errorf("Render = %d bytes, %v; want an error containing %q", len(got), err, tt.renderErr)
			}
			if n > renderBudget {
				t.Errorf("rendering one person allocated %d KiB, over the %d KiB budget", n>>10, renderBudget>>10)
			}
		})
	}
}

// The caps leave every template a platform needs working: the longest table entry in the README
// (EKS aws-auth) and a pipeline of the cap's length render as before.
func TestBoundsKeepRealTemplatesWorking(t *testing.T) {
	alice := person("1001", "Alice.Smith@Example.com")
	tests := []struct{ template, want string }{
		{`arn:aws:sts::111122223333:assumed-role/Developers/{{ .Email | replace "@" "-" }}`,
			"arn:aws:sts::111122223333:assumed-role/Developers/Alice.Smith-Example.com"},
		{pipe("lower", 7), "alice.smith@example.com"},
		{strings.Repeat("{{ .ExternalID }}", 16), strings.Repeat("1001", 16)},
		{`{{ .Email | trim | lower | replace "@" "-at-" | replace "." "-" | trimSuffix "-com" | trimPrefix "x" | upper }}`, "ALICE-SMITH-AT-EXAMPLE"},
	}
	for _, tt := range tests {
		st, err := Parse(tt.template)
		if err != nil {
			t.Errorf("Parse(%s): %v", tt.template, err)
			continue
		}
		if got, err := st.Render(alice); err != nil || got != tt.want {
			t.Errorf("Render(%s) = %q, %v; want %q", tt.template, got, err, tt.want)
		}
	}
}
