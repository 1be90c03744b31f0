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

package plugin

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/sets"
	"k8s.io/utils/ptr"

	dirsyncv1alpha1 "github.com/dirsync/dirsync/api/v1alpha1"
)

// boundAccess is hr/eng-edit: engineering's members get edit in web and api, two subjects bound.
func boundAccess() *dirsyncv1alpha1.DirectoryAccess {
	return &dirsyncv1alpha1.DirectoryAccess{
		ObjectMeta: metav1.ObjectMeta{Namespace: "hr", Name: "eng-edit"},
		Spec: dirsyncv1alpha1.DirectoryAccessSpec{
			DirectoryRef: dirsyncv1alpha1.DirectoryReference{Name: "acme"},
			Groups:       []string{"acme-engineering"},
			RoleRef:      dirsyncv1alpha1.AccessRoleRef{Kind: dirsyncv1alpha1.AccessRoleClusterRole, Name: "edit"},
			Target:       dirsyncv1alpha1.AccessTarget{Namespaces: []string{"web", "api"}},
			Subject:      dirsyncv1alpha1.AccessSubject{Kind: dirsyncv1alpha1.AccessSubjectUser, Template: "oidc:{{ lower .Email }}"},
		},
		Status: dirsyncv1alpha1.DirectoryAccessStatus{
			Conditions: []metav1.Condition{readyCond(metav1.ConditionTrue, dirsyncv1alpha1.ReasonBound, "Every selected, eligible person is bound.")},
			Subjects:   2,
			Bindings: []dirsyncv1alpha1.AccessBinding{{Namespace: "api", Name: "dirsync-eng-edit-0badcafe", Subjects: 2},
				{Namespace: "web", Name: "dirsync-eng-edit-0badcafe", Subjects: 2}},
			LastChange:     &dirsyncv1alpha1.AccessChange{Granted: 2, Time: at(-time.Hour)},
			NextReviewTime: at(48 * time.Hour),
		},
	}
}

// managedBinding is a RoleBinding as dirsync writes it for the DirectoryAccess ref ("<ns>/<name>").
func managedBinding(ns, name, ref, role string, subjects ...string) rbacv1.RoleBinding {
	rb := rbacv1.RoleBinding{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name,
			Labels:      map[string]string{dirsyncv1alpha1.LabelManagedBy: dirsyncv1alpha1.ManagedByDirsync},
			Annotations: map[string]string{dirsyncv1alpha1.AnnotationAccess: ref}},
		RoleRef: rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: role},
	}
	for _, s := range subjects {
		rb.Subjects = append(rb.Subjects, rbacv1.Subject{Kind: rbacv1.UserKind, APIGroup: rbacv1.GroupName, Name: s})
	}
	return rb
}

func TestAccessListOf(t *testing.T) {
	eng := boundAccess()
	web := managedBinding("web", "dirsync-eng-edit-0badcafe", "hr/eng-edit", "edit", "oidc:b@x", "oidc:a@x")
	api := managedBinding("api", "dirsync-eng-edit-0badcafe", "hr/eng-edit", "edit", "oidc:a@x", "oidc:b@x")
	orphan := managedBinding("old", "dirsync-gone-12345678", "hr/gone", "view", "oidc:c@x")

	t.Run("-A, every namespace read: bindings by DirectoryAccess, and the orphan", func(t *testing.T) {
		got := accessListOf([]dirsyncv1alpha1.DirectoryAccess{*eng}, boundState{items: []rbacv1.RoleBinding{web, orphan, api}, everywhere: true}, true)
		want := []bindingView{
			{Namespace: "api", Name: "dirsync-eng-edit-0badcafe", Role: roleView{"ClusterRole", "edit"}, Access: "hr/eng-edit", SubjectCount: 2, Subjects: []string{"oidc:a@x", "oidc:b@x"}},
			{Namespace: "web", Name: "dirsync-eng-edit-0badcafe", Role: roleView{"ClusterRole", "edit"}, Access: "hr/eng-edit", SubjectCount: 2, Subjects: []string{"oidc:a@x", "oidc:b@x"}},
		}
		if diff := cmp.Diff(want, got.Items[0].Bindings); diff != "" {
			t.Errorf("bindings (-want +got):\n%s", diff)
		}
		if len(got.OrphanedBindings) != 1 || got.OrphanedBindings[0].Access != "hr/gone" || got.OrphanedBindings[0].Namespace != "old" {
			t.Errorf("orphaned: %+v", got.OrphanedBindings)
		}
	})
	t.Run("one namespace: no orphans are claimed", func(t *testing.T) {
		got := accessListOf([]dirsyncv1alpha1.DirectoryAccess{*eng}, boundState{items: []rbacv1.RoleBinding{web, orphan}, read: sets.New("web", "old")}, false)
		if len(got.OrphanedBindings) != 0 {
			t.Errorf("orphaned without -A: %+v", got.OrphanedBindings)
		}
	})
	t.Run("a namespace that could not be read shows status.bindings", func(t *testing.T) {
		got := accessViewOf(eng, boundState{items: []rbacv1.RoleBinding{web}, read: sets.New("web")})
		want := []bindingView{
			{Namespace: "api", Name: "dirsync-eng-edit-0badcafe", Role: roleView{"ClusterRole", "edit"}, Access: "hr/eng-edit", SubjectCount: 2, FromStatus: true},
			{Namespace: "web", Name: "dirsync-eng-edit-0badcafe", Role: roleView{"ClusterRole", "edit"}, Access: "hr/eng-edit", SubjectCount: 2, Subjects: []string{"oidc:a@x", "oidc:b@x"}},
		}
		if diff := cmp.Diff(want, got.Bindings); diff != "" {
			t.Errorf("bindings (-want +got):\n%s", diff)
		}
	})
	t.Run("a RoleBinding the status lists but the cluster no longer has is not shown", func(t *testing.T) {
		got := accessViewOf(eng, boundState{read: sets.New("web", "api")})
		if len(got.Bindings) != 0 {
			t.Errorf("bindings: %+v", got.Bindings)
		}
	})
}

// The field names of access -o json are the plugin's interface.
func TestAccessViewJSON(t *testing.T) {
	a := boundAccess()
	a.Spec.Target.NamespaceSelector = &metav1.LabelSelector{MatchLabels: map[string]string{"team": "eng"}}
	a.Spec.RevocationGuard.MaxRevokePercent = ptr.To[int32](30)
	web := managedBinding("web", "dirsync-eng-edit-0badcafe", "hr/eng-edit", "edit", "oidc:a@x")
	var out bytes.Buffer
	if err := printStructured(&out, outputJSON, accessViewOf(a, boundState{items: []rbacv1.RoleBinding{web}, everywhere: true})); err != nil {
		t.Fatal(err)
	}
	var got map[string]any
	if err := json.Unmarshal(out.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"namespace": "hr", "name": "eng-edit", "directory": "acme", "role": map[string]any{"kind": "ClusterRole", "name": "edit"},
		"ready":     map[string]any{"status": "True", "reason": "Bound", "message": "Every selected, eligible person is bound.", "since": rfc(-time.Hour)},
		"suspended": false, "groups": []any{"acme-engineering"}, "targetNamespaces": []any{"web", "api"}, "namespaceSelector": "team=eng",
		"subjectTemplate": "oidc:{{ lower .Email }}", "honourStartDate": true, "revokeAtEndDate": true, "maxRevokePercent": float64(30),
		"subjects": float64(2), "heldRevocations": float64(0),
		"lastChange":     map[string]any{"granted": float64(2), "time": rfc(-time.Hour)},
		"nextReviewTime": rfc(48 * time.Hour),
		"bindings": []any{map[string]any{"namespace": "web", "name": "dirsync-eng-edit-0badcafe", "role": map[string]any{"kind": "ClusterRole", "name": "edit"},
			"access": "hr/eng-edit", "subjectCount": float64(1), "subjects": []any{"oidc:a@x"}}},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("access status -o json (-want +got):\n%s", diff)
	}
}

func TestFormatAccessList(t *testing.T) {
	held := boundAccess()
	held.Name = "ops-view"
	held.Spec.RoleRef.Name = "view"
	held.Spec.Target = dirsyncv1alpha1.AccessTarget{NamespaceSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"team": "ops"}}}
	held.Status.Conditions = []metav1.Condition{readyCond(metav1.ConditionFalse, dirsyncv1alpha1.ReasonRevocationHeld, "Held.")}
	held.Status.HeldRevocations = 4
	bound := boundState{everywhere: true, items: []rbacv1.RoleBinding{
		managedBinding("web", "dirsync-eng-edit-0badcafe", "hr/eng-edit", "edit", "oidc:a@x", "oidc:b@x"),
		managedBinding("old", "dirsync-gone-12345678", "hr/gone", "view", "oidc:c@x"),
	}}
	l := accessListOf([]dirsyncv1alpha1.DirectoryAccess{*boundAccess(), *held}, bound, true)

	got := formatAccessList(l, true, "hr")
	lines := strings.Split(got, "\n")
	for i, want := range [][]string{
		{"NAMESPACE", "NAME", "DIRECTORY", "ROLE", "READY", "REASON", "TARGETS", "SUBJECTS", "HELD", "BINDINGS"},
		{"hr", "eng-edit", "acme", "ClusterRole/edit", "True", "Bound", "web,api", "2", "0", "1"},
		{"hr", "ops-view", "acme", "ClusterRole/view", "False", "RevocationHeld", "selector", "team=ops", "2", "4", "0"},
	} {
		if diff := cmp.Diff(want, strings.Fields(lines[i])); diff != "" {
			t.Errorf("table line %d (-want +got):\n%s", i, diff)
		}
	}
	for _, want := range []string{
		"\nRoleBindings managed by dirsync (2):\n",
		"web         dirsync-eng-edit-0badcafe   ClusterRole/edit   2          hr/eng-edit\n",
		"old         dirsync-gone-12345678       ClusterRole/view   1          hr/gone (orphaned: no such DirectoryAccess)\n",
		"Nothing revokes the access an orphaned RoleBinding gives. Delete each once you have checked it:\n  kubectl delete rolebinding dirsync-gone-12345678 -n old\n",
		"Before uninstalling dirsync, delete every DirectoryAccess and wait until this list shows no RoleBinding",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("access list does not contain %q:\n%s", want, got)
		}
	}

	inNS := formatAccessList(accessListOf([]dirsyncv1alpha1.DirectoryAccess{*boundAccess()},
		boundState{items: bound.items[:1], read: sets.New("web", "api")}, false), false, "hr")
	if strings.HasPrefix(inNS, "NAMESPACE") || strings.Contains(inNS, "uninstalling") || strings.Contains(inNS, "orphaned") {
		t.Errorf("access list in one namespace:\n%s", inNS)
	}
	for _, tt := range []struct {
		all  bool
		want string
	}{{false, "No DirectoryAccesses found in namespace hr.\n"}, {true, "No DirectoryAccesses found.\n"}} {
		if got := formatAccessList(accessListView{}, tt.all, "hr"); got != tt.want {
			t.Errorf("empty list (-A %v): %q, want %q", tt.all, got, tt.want)
		}
	}
}

func TestFormatAccessDetail(t *testing.T) {
	a := boundAccess()
	a.Spec.GroupSelector = &metav1.LabelSelector{MatchLabels: map[string]string{"kind": "team"}}
	a.Spec.Lifecycle.HonourStartDate = ptr.To(false)
	a.Status.Conditions = []metav1.Condition{readyCond(metav1.ConditionFalse, dirsyncv1alpha1.ReasonRevocationHeld, "Held.")}
	a.Status.HeldRevocations = 3
	subjects := []string{}
	for i := range 25 {
		subjects = append(subjects, "oidc:p"+string(rune('a'+i))+"@x")
	}
	web := managedBinding("web", "dirsync-eng-edit-0badcafe", "hr/eng-edit", "edit", subjects...)
	got := formatAccessDetail(accessViewOf(a, boundState{items: []rbacv1.RoleBinding{web}, read: sets.New("web")}), testNow)
	want := strings.Join([]string{
		"DirectoryAccess:  hr/eng-edit",
		"Directory:        acme",
		"Role:             ClusterRole edit",
		"Groups:           acme-engineering; and the Directory's groups matching kind=team",
		"Targets:          web, api",
		"Subject:          User oidc:{{ lower .Email }}",
		"Lifecycle:        startDate ignored; revoked after endDate; revocation guard at 50%",
		"Ready:            False (RevocationHeld): Held.",
		"Hint:             " + accessHint(a),
		"Subjects:         2 bound",
		"Held revocations: 3: the revocation guard keeps them bound although the directory data says they should go",
		"Last change:      2 granted, 0 revoked, 60m ago (" + rfc(-time.Hour) + ")",
		"Next review:      in 2d (" + rfc(48*time.Hour) + "): a startDate or endDate boundary",
		"Bindings:         2",
		"  api: dirsync-eng-edit-0badcafe, ClusterRole edit, 2 subjects (from status: the RoleBinding could not be read)",
		"  web: dirsync-eng-edit-0badcafe, ClusterRole edit, 25 subjects",
	}, "\n") + "\n"
	if !strings.HasPrefix(got, want) {
		t.Errorf("formatAccessDetail (-want +got):\n%s", cmp.Diff(want, got))
	}
	if !strings.Contains(got, "    oidc:pt@x\n    … and 5 more\n") || strings.Contains(got, "oidc:pu@x") {
		t.Errorf("the subjects are not capped at 20:\n%s", got)
	}
}

func TestAccessHint(t *testing.T) {
	tests := []struct {
		reason string
		want   string
	}{
		{dirsyncv1alpha1.ReasonBound, ""},
		{dirsyncv1alpha1.ReasonNotPermitted,
			"kubectl create rolebinding dirsync-access-grantor -n NAMESPACE --clusterrole=dirsync-access-grantor --serviceaccount=dirsync-system:dirsync-controller-manager"},
		{dirsyncv1alpha1.ReasonSubjectConflict, "kubectl dirsync access explain EMAIL -n hr"},
		{dirsyncv1alpha1.ReasonInvalidTemplate, "kubectl dirsync access explain EMAIL -n hr"},
		{dirsyncv1alpha1.ReasonRevocationHeld, `kubectl patch directoryaccess eng-edit -n hr --type merge -p '{"spec":{"revocationGuard":{"maxRevokePercent":100}}}'`},
		{dirsyncv1alpha1.ReasonDirectoryNotReady, "kubectl dirsync status acme -n hr"},
		{dirsyncv1alpha1.ReasonSuspended, `kubectl patch directoryaccess eng-edit -n hr --type merge -p '{"spec":{"suspend":false}}'`},
		{dirsyncv1alpha1.ReasonInvalidSelector, "kubectl edit directoryaccess eng-edit -n hr"},
	}
	for _, tt := range tests {
		t.Run(tt.reason, func(t *testing.T) {
			a := boundAccess()
			if tt.reason != dirsyncv1alpha1.ReasonBound {
				a.Status.Conditions = []metav1.Condition{readyCond(metav1.ConditionFalse, tt.reason, "Message.")}
			}
			got := accessHint(a)
			if (tt.want == "") != (got == "") || !strings.Contains(got, tt.want) {
				t.Errorf("accessHint = %q, want one containing %q", got, tt.want)
			}
		})
	}
	if got := accessHint(&dirsyncv1alpha1.DirectoryAccess{}); !strings.Contains(got, "check that the manager runs") {
		t.Errorf("a DirectoryAccess without Ready: %q", got)
	}
}
