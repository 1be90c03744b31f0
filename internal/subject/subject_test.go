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
	"go/parser"
	"go/token"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// person is someone with these external id and e-mail, named Ada Lovelace.
func person(id, email string) Fields {
	return Fields{ExternalID: id, Email: email, FirstName: "Ada", LastName: "Lovelace"}
}

func TestParse(t *testing.T) {
	tests := []struct {
		name, template string
		wantErr        string // substring; "" means it parses
		wantFields     []string
	}{
		{name: "plain OIDC with a prefix", template: "oidc:{{ lower .Email }}", wantFields: []string{"Email"}},
		{name: "GKE: the Google account e-mail", template: "{{ .Email }}", wantFields: []string{"Email"}},
		{name: "EKS assumed-role session with @ replaced", template: `arn:aws:sts::111122223333:assumed-role/Dev/{{ .Email | replace "@" "-" }}`, wantFields: []string{"Email"}},
		{name: "two fields and trims", template: `{{ trim .FirstName | lower }}.{{ lower .LastName | trimSuffix "x" }}`, wantFields: []string{"FirstName", "LastName"}},
		{name: "external id", template: "hr:{{ .ExternalID }}", wantFields: []string{"ExternalID"}},
		{name: "a comment is fine", template: "{{/* oidc */}}{{ .Email }}", wantFields: []string{"Email"}},
		{name: "syntax error", template: "{{ .Email ", wantErr: "does not parse"},
		{name: "unknown field", template: "{{ .Salary }}", wantErr: "field .Salary does not exist"},
		{name: "nested field", template: "{{ .Email.Domain }}", wantErr: "does not exist"},
		{name: "printf could allocate without bound", template: `{{ printf "%999999999d" 1 }}`, wantErr: "function printf is not allowed"},
		{name: "range over a number could spin", template: "{{ range 1000000000 }}x{{ end }}", wantErr: "not allowed"},
		{name: "variables", template: "{{ $e := .Email }}{{ $e }}", wantErr: "variables are not allowed"},
		{name: "if", template: "{{ if .Email }}{{ .Email }}{{ end }}", wantErr: "not allowed"},
		{name: "the dot itself", template: "{{ . }}", wantErr: "not allowed"},
		{name: "define", template: `{{ define "x" }}a{{ end }}{{ .Email }}`, wantErr: "may not define templates"},
		{name: "template call", template: `{{ template "subject" }}`, wantErr: "not allowed"},
		{name: "numbers", template: "{{ 3 }}", wantErr: "not allowed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st, err := Parse(tt.template)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.wantFields, st.Fields(), cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("fields (-want +got):\n%s", diff)
			}
		})
	}
}

func TestRender(t *testing.T) {
	alice := person("1001", "Alice.Smith@Example.com")
	tests := []struct {
		name, template string
		person         Fields
		want, wantErr  string
	}{
		{name: "lower-cased e-mail with a prefix", template: "oidc:{{ lower .Email }}", person: alice, want: "oidc:alice.smith@example.com"},
		{name: "case is kept without lower", template: "{{ .Email }}", person: alice, want: "Alice.Smith@Example.com"},
		{name: "EKS session name", template: `arn:aws:sts::111122223333:assumed-role/Dev/{{ .Email | lower | replace "@" "-" }}`, person: alice,
			want: "arn:aws:sts::111122223333:assumed-role/Dev/alice.smith-example.com"},
		{name: "a used field is empty", template: "oidc:{{ .Email }}", person: person("1002", ""), wantErr: "has no email"},
		{name: "renders empty", template: `{{ .Email | trimSuffix .Email }}`, person: alice, wantErr: "renders empty"},
		{name: "system: prefix", template: "system:{{ .ExternalID }}", person: alice, wantErr: "system:"},
		{name: "System: prefix in another case", template: "SYSTEM:{{ .ExternalID }}", person: alice, wantErr: "system:"},
		{name: "system: reached through a field", template: "{{ .Email }}", person: person("1003", "system:masters"), wantErr: "system:"},
		{name: "whitespace", template: "{{ .FirstName }} {{ .LastName }}", person: alice, wantErr: "whitespace"},
		{name: "too long", template: "{{ .Email }}", person: person("1004", strings.Repeat("a", 600)), wantErr: "more than 512"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st, err := Parse(tt.template)
			if err != nil {
				t.Fatal(err)
			}
			got, err := st.Render(tt.person)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("Render = %q, %v; want an error containing %q", got, err, tt.wantErr)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("Render = %q, %v; want %q", got, err, tt.want)
			}
		})
	}
}

// Fields returns a copy: a caller cannot change what Render checks.
func TestFieldsIsACopy(t *testing.T) {
	st, err := Parse("{{ .Email }}")
	if err != nil {
		t.Fatal(err)
	}
	st.Fields()[0] = "FirstName"
	if _, err := st.Render(Fields{FirstName: "Ada"}); err == nil || err.Error() != "has no email" {
		t.Errorf("Render after changing Fields' result: %v, want has no email", err)
	}
}

// The package stays pure: the standard library only, so the plugin can use it without the controller's
// dependencies (and no import of controller-runtime can creep in).
func TestImportsOnlyTheStandardLibrary(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, parser.ImportsOnly)
		if err != nil {
			t.Fatal(err)
		}
		for _, imp := range f.Imports {
			path := strings.Trim(imp.Path.Value, `"`)
			if first, _, _ := strings.Cut(path, "/"); strings.Contains(first, ".") {
				t.Errorf("%s imports %s: internal/subject may import the standard library only", name, path)
			}
		}
	}
}
