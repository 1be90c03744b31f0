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

package directoryaccess

import (
	"context"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	dirsyncv1alpha1 "github.com/dirsync/dirsync/api/v1alpha1"
	"github.com/dirsync/dirsync/internal/testenv"
)

// Issue 21: what CEL can check cheaply about a hostile subject template is refused at admission, so
// it never reaches the operator (which refuses the rest at parse or render: internal/subject). These
// are the templates that grow without bound, or make the operator do work in proportion to their
// length: a replace with a constant empty OLD (double-quoted or raw), more than 32 pipes, more than
// 16 actions.
func TestAPIServerRefusesHostileSubjectTemplates(t *testing.T) {
	testenv.Require(t)
	ns := testenv.NewNamespace(t, k8sClient, "dirsync-test-")
	access := func(template string) *dirsyncv1alpha1.DirectoryAccess {
		return &dirsyncv1alpha1.DirectoryAccess{ObjectMeta: metav1.ObjectMeta{Namespace: ns, GenerateName: "da-"},
			Spec: dirsyncv1alpha1.DirectoryAccessSpec{DirectoryRef: dirsyncv1alpha1.DirectoryReference{Name: "acme"}, Groups: []string{"acme-10"},
				RoleRef: dirsyncv1alpha1.AccessRoleRef{Kind: dirsyncv1alpha1.AccessRoleClusterRole, Name: "view"},
				Target:  dirsyncv1alpha1.AccessTarget{Namespaces: []string{"web"}}, Subject: dirsyncv1alpha1.AccessSubject{Template: template}}}
	}
	refused := []struct{ name, template, wantErr string }{
		{name: "the issue's template: replace with an empty OLD, 14 times",
			template: "{{ .Email" + strings.Repeat(` | replace "" "ab"`, 14) + " }}", wantErr: "empty OLD"},
		{name: "replace with an empty OLD as a call", template: `{{ replace "" "ab" .Email }}`, wantErr: "empty OLD"},
		{name: "replace with an empty raw-string OLD", template: "{{ .Email | replace\t`` `ab` }}", wantErr: "empty OLD"},
		{name: "33 pipes", template: "{{ .Email" + strings.Repeat(" | lower", 33) + " }}", wantErr: "at most 32"},
		{name: "17 actions", template: strings.Repeat("{{ .Email }}", 17), wantErr: "at most 16"},
	}
	for _, tt := range refused {
		t.Run(tt.name, func(t *testing.T) {
			a := access(tt.template)
			err := k8sClient.Create(context.Background(), a)
			if err == nil {
				t.Cleanup(func() { _ = k8sClient.Delete(context.Background(), a) })
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) || !strings.Contains(err.Error(), "spec.subject.template") {
				t.Fatalf("create: %v; want a refusal of spec.subject.template containing %q", err, tt.wantErr)
			}
		})
	}
	// What platforms need still passes: every template of the README's table, the longest ones included.
	for _, template := range []string{
		"oidc:{{ lower .Email }}",
		`arn:aws:sts::111122223333:assumed-role/Developers/{{ .Email | replace "@" "-" }}`,
		"{{ .Email" + strings.Repeat(" | lower", 32) + " }}",
		strings.Repeat("{{ .ExternalID }}", 16),
	} {
		a := access(template)
		if err := k8sClient.Create(context.Background(), a); err != nil {
			t.Errorf("create with template %q: %v", template, err)
			continue
		}
		t.Cleanup(func() { _ = k8sClient.Delete(context.Background(), a) })
	}
}
