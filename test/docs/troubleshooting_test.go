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

package docs

import (
	"go/ast"
	"go/parser"
	"go/token"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// reported are the reasons each kind's condition can report, by the section of docs/troubleshooting.md
// that explains them, and the controller package that sets them. Written from the API's contract
// (api/v1alpha1/conditions.go and the CRD reference), not derived from the troubleshooting page.
var reported = []struct {
	section, controller string
	reasons             []string
}{
	{"Directory: Ready", "directory", []string{"Synced", "SecretNotFound", "InvalidCredentials", "ProviderUnavailable",
		"RateLimited", "InvalidProviderResponse", "InsecureEndpoint", "InvalidSpec", "TooManyUsers", "ApplyFailed",
		"DeletionGuardTriggered", "DryRun", "Suspended"}},
	{"Directory: Syncing", "directory", []string{"ReadingProvider", "Applying", "Idle"}},
	{"Directory: WebhookReceiver", "directory", []string{"Receiving", "WebhookSecretInvalid", "ReceiverDisabled"}},
	{"DirectoryUser and DirectoryGroup: Synced", "directory", []string{"UpToDate", "RemovedFromProvider"}},
	{"DirectoryAccess: Ready", "directoryaccess", []string{"Bound", "DirectoryNotFound", "DirectoryStale",
		"DirectoryNotReady", "AdmissionPolicyMissing", "NotPermitted", "ApplyFailed", "BindingTooLarge",
		"RevocationHeld", "SubjectConflict", "Suspended", "InvalidTemplate", "InvalidSelector"}},
	{"DirectoryWebhook: Ready", "directorywebhook", []string{"Delivered", "Delivering", "ReceiverFailing",
		"RemovalsHeld", "SecretNotFound", "InvalidSpec", "DirectoryNotReady", "ApplyFailed", "Suspended"}},
}

// apiReasons are the exported Reason* constants of api/v1alpha1/conditions.go: name → value.
func apiReasons(t *testing.T) map[string]string {
	t.Helper()
	file, err := parser.ParseFile(token.NewFileSet(), filepath.Join(root, "api", "v1alpha1", "conditions.go"), nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, d := range file.Decls {
		gen, ok := d.(*ast.GenDecl)
		if !ok || gen.Tok != token.CONST {
			continue
		}
		for _, spec := range gen.Specs {
			vs := spec.(*ast.ValueSpec)
			for i, n := range vs.Names {
				if !strings.HasPrefix(n.Name, "Reason") || !n.IsExported() || i >= len(vs.Values) {
					continue
				}
				if lit, ok := vs.Values[i].(*ast.BasicLit); ok {
					out[n.Name], _ = strconv.Unquote(lit.Value)
				}
			}
		}
	}
	if len(out) < 20 {
		t.Fatalf("read only %d reasons from conditions.go", len(out))
	}
	return out
}

// entries are the reasons docs/troubleshooting.md explains, by section: each "### `Reason`" heading
// under a "## Section" heading.
func entries(t *testing.T) map[string][]string {
	t.Helper()
	out := map[string][]string{}
	section := ""
	for _, h := range headings(readPage(t, "docs/troubleshooting.md")) {
		switch h.level {
		case 2:
			section = h.text
		case 3:
			for _, m := range inlineCode.FindAllStringSubmatch(h.text, -1) {
				out[section] = append(out[section], m[1])
			}
		}
	}
	return out
}

// Every reason a kind can report has its entry in that kind's section of docs/troubleshooting.md, and
// every exported Reason* constant of the API is one of them.
func TestEveryConditionReasonHasATroubleshootingEntry(t *testing.T) {
	reasons := apiReasons(t)
	documented := entries(t)
	covered := map[string]bool{}
	for _, r := range reported {
		source := controllerSource(t, r.controller)
		for _, reason := range r.reasons {
			covered[reason] = true
			if !slices.Contains(documented[r.section], reason) {
				t.Errorf("docs/troubleshooting.md has no \"### `%s`\" entry under \"## %s\"", reason, r.section)
			}
			if !strings.Contains(source, "Reason"+reason) {
				t.Errorf("controllers/%s never uses Reason%s, which the test says %s reports", r.controller, reason, r.section)
			}
		}
	}
	for _, name := range slices.Sorted(maps.Keys(reasons)) {
		if !covered[reasons[name]] {
			t.Errorf("%s (%q) is in api/v1alpha1/conditions.go but in no kind's list here, so no troubleshooting "+
				"entry is required for it: add it to reported and explain it in docs/troubleshooting.md", name, reasons[name])
		}
	}
}

// controllerSource is the Go source (tests left out) of the controller package controllers/<name>.
func controllerSource(t *testing.T, name string) string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(root, "controllers", name, "*.go"))
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		b.Write(data)
	}
	return b.String()
}
