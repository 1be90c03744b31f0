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
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"sigs.k8s.io/controller-runtime/pkg/client"

	dirsyncv1alpha1 "github.com/dirsync/dirsync/api/v1alpha1"
)

// createAccess creates a DirectoryAccess binding the members of Directory acme's group to ClusterRole
// role in targets, and writes status as the operator would.
func createAccess(t *testing.T, ns, name, group, role string, targets []string, status dirsyncv1alpha1.DirectoryAccessStatus) {
	t.Helper()
	acc := &dirsyncv1alpha1.DirectoryAccess{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec: dirsyncv1alpha1.DirectoryAccessSpec{
			DirectoryRef: dirsyncv1alpha1.DirectoryReference{Name: "acme"},
			Groups:       []string{group},
			RoleRef:      dirsyncv1alpha1.AccessRoleRef{Kind: dirsyncv1alpha1.AccessRoleClusterRole, Name: role},
			Target:       dirsyncv1alpha1.AccessTarget{Namespaces: targets},
			Subject:      dirsyncv1alpha1.AccessSubject{Kind: dirsyncv1alpha1.AccessSubjectUser, Template: "oidc:{{ lower .Email }}"},
		},
	}
	if err := k8sClient.Create(callCtx(t), acc); err != nil {
		t.Fatalf("creating DirectoryAccess %s/%s: %v", ns, name, err)
	}
	acc.Status = status
	if err := k8sClient.Status().Update(callCtx(t), acc); err != nil {
		t.Fatalf("writing the status of DirectoryAccess %s/%s: %v", ns, name, err)
	}
}

// createManagedBinding creates a RoleBinding as dirsync does for the DirectoryAccess ref.
func createManagedBinding(t *testing.T, ns, name, ref, role string, subjects ...string) {
	t.Helper()
	rb := managedBinding(ns, name, ref, role, subjects...)
	if err := k8sClient.Create(callCtx(t), &rb); err != nil {
		t.Fatalf("creating RoleBinding %s/%s: %v", ns, name, err)
	}
	t.Cleanup(func() { _ = k8sClient.Delete(context.Background(), &rb) })
}

func boundStatus(now time.Time, bindings ...dirsyncv1alpha1.AccessBinding) dirsyncv1alpha1.DirectoryAccessStatus {
	return dirsyncv1alpha1.DirectoryAccessStatus{
		Conditions: []metav1.Condition{cond(dirsyncv1alpha1.ConditionReady, metav1.ConditionTrue, dirsyncv1alpha1.ReasonBound,
			"Every selected, eligible person is bound in every target namespace that exists.", now)},
		Subjects: 2, Bindings: bindings, LastChange: &dirsyncv1alpha1.AccessChange{Granted: 2, Time: mt(now)},
	}
}

func TestAccessCommands(t *testing.T) {
	requireEnvtest(t)
	now := time.Now().UTC().Truncate(time.Second)
	ns, web, old := newNamespace(t), newNamespace(t), newNamespace(t)
	rbName := "dirsync-eng-edit-0badcafe"
	createAccess(t, ns, "eng-edit", "acme-eng", "edit", []string{web},
		boundStatus(now, dirsyncv1alpha1.AccessBinding{Namespace: web, Name: rbName, Subjects: 2}))
	held := boundStatus(now)
	held.Conditions[0] = cond(dirsyncv1alpha1.ConditionReady, metav1.ConditionFalse, dirsyncv1alpha1.ReasonNotPermitted,
		"Namespace "+old+": dirsync may not bind ClusterRole view.", now)
	createAccess(t, ns, "ops-view", "acme-ops", "view", []string{old}, held)
	createManagedBinding(t, web, rbName, ns+"/eng-edit", "edit", "oidc:bob@example.com", "oidc:alice@example.com")
	createManagedBinding(t, old, "dirsync-gone-12345678", ns+"/gone", "view", "oidc:carol@example.com")

	t.Run("list -A shows every managed RoleBinding, the orphan too", func(t *testing.T) {
		r := runPlugin(t, nil, "", "access", "list", "-A")
		if r.code != 0 {
			t.Fatalf("want exit code 0; %s", r)
		}
		assertContains(t, r, []string{"NAMESPACE", ns + "   eng-edit   acme", "ClusterRole/edit   True    Bound",
			"False   NotPermitted", web + "   " + rbName, ns + "/eng-edit",
			old + "   dirsync-gone-12345678", ns + "/gone (orphaned: no such DirectoryAccess)",
			"kubectl delete rolebinding dirsync-gone-12345678 -n " + old, "Before uninstalling dirsync"}, nil)
	})
	t.Run("list in the namespace", func(t *testing.T) {
		r := runPlugin(t, nil, "", "access", "list", "-n", ns)
		if r.code != 0 || strings.Contains(r.out, "orphaned") || strings.HasPrefix(r.out, "NAMESPACE") {
			t.Fatalf("want exit code 0, no NAMESPACE column and no orphans; %s", r)
		}
		assertContains(t, r, []string{"eng-edit   acme", web + "   " + rbName}, nil)
	})
	t.Run("list -o json", func(t *testing.T) {
		r := runPlugin(t, nil, "", "access", "list", "-A", "-o", "json")
		var v accessListView
		if err := json.Unmarshal([]byte(r.out), &v); r.code != 0 || err != nil {
			t.Fatalf("%v; %s", err, r)
		}
		var mine []accessView
		for _, a := range v.Items {
			if a.Namespace == ns {
				mine = append(mine, a)
			}
		}
		if len(mine) != 2 || len(mine[0].Bindings) != 1 || strings.Join(mine[0].Bindings[0].Subjects, ",") != "oidc:alice@example.com,oidc:bob@example.com" {
			t.Errorf("access list -o json: %+v", mine)
		}
		found := false
		for _, o := range v.OrphanedBindings {
			found = found || o.Access == ns+"/gone"
		}
		if !found {
			t.Errorf("the orphan is not in orphanedBindings: %+v", v.OrphanedBindings)
		}
	})
	t.Run("status NAME", func(t *testing.T) {
		r := runPlugin(t, nil, "", "access", "status", "eng-edit", "-n", ns)
		if r.code != 0 {
			t.Fatalf("want exit code 0; %s", r)
		}
		assertContains(t, r, []string{"DirectoryAccess:  " + ns + "/eng-edit", "Ready:            True (Bound)",
			"  " + web + ": " + rbName + ", ClusterRole edit, 2 subjects\n    oidc:alice@example.com\n    oidc:bob@example.com\n"}, nil)
		r = runPlugin(t, nil, "", "access", "status", "ops-view", "-n", ns)
		assertContains(t, r, []string{"Ready:            False (NotPermitted)", "Hint:             an administrator opts a namespace in"}, nil)
	})
	t.Run("a missing DirectoryAccess", func(t *testing.T) {
		r := runPlugin(t, nil, "", "access", "status", "nope", "-n", ns)
		if r.code != 1 {
			t.Fatalf("want exit code 1; %s", r)
		}
		assertContains(t, r, nil, []string{`error: no DirectoryAccess "nope" in namespace "` + ns + `"`})
	})
	t.Run("without the right to read RoleBindings: status.bindings, and a warning that says so", func(t *testing.T) {
		user := "dave-" + ns
		kc := userKubeconfig(t, user)
		grant(t, ns, user, dirsyncv1alpha1.GroupVersion.Group, []string{"directoryaccesses"}, []string{"get", "list"})
		if err := wait.PollUntilContextTimeout(callCtx(t), 20*time.Millisecond, 10*time.Second, true, func(context.Context) (bool, error) {
			return runPlugin(t, nil, "", "access", "status", "eng-edit", "-n", ns, "--kubeconfig="+kc).code == 0, nil
		}); err != nil {
			t.Fatalf("%s still may not read DirectoryAccesses: %v", user, err)
		}
		r := runPlugin(t, nil, "", "access", "list", "-n", ns, "--kubeconfig="+kc)
		if r.code != 0 {
			t.Fatalf("want exit code 0; %s", r)
		}
		assertContains(t, r, []string{web + "   " + rbName, "2 (from status)"},
			[]string{"warning: listing the RoleBindings dirsync manages in namespace " + web,
				"You need list on rolebindings.rbac.authorization.k8s.io in namespace " + web + ": the built-in ClusterRole admin gives it there"})
	})
}

// The label dirsync's RoleBindings carry is what access list finds them by.
func TestManagedBindingsAreFoundByLabel(t *testing.T) {
	requireEnvtest(t)
	ns, web := newNamespace(t), newNamespace(t)
	createAccess(t, ns, "eng", "acme-eng", "edit", []string{web}, boundStatus(time.Now()))
	createManagedBinding(t, web, "dirsync-eng-1", ns+"/eng", "edit", "oidc:a@x")
	unlabelled := rbacv1.RoleBinding{ObjectMeta: metav1.ObjectMeta{Namespace: web, Name: "by-hand",
		Annotations: map[string]string{dirsyncv1alpha1.AnnotationAccess: ns + "/eng"}},
		RoleRef:  rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: "edit"},
		Subjects: []rbacv1.Subject{{Kind: rbacv1.UserKind, APIGroup: rbacv1.GroupName, Name: "oidc:z@x"}}}
	if err := k8sClient.Create(callCtx(t), &unlabelled); err != nil {
		t.Fatal(err)
	}
	r := runPlugin(t, nil, "", "access", "status", "eng", "-n", ns)
	if r.code != 0 || !strings.Contains(r.out, "dirsync-eng-1") || strings.Contains(r.out, "by-hand") {
		t.Errorf("want dirsync-eng-1 and not the unlabelled by-hand; %s", r)
	}
	var rbs rbacv1.RoleBindingList
	if err := k8sClient.List(callCtx(t), &rbs, client.InNamespace(web)); err != nil || len(rbs.Items) != 2 {
		t.Fatalf("%d RoleBindings in %s (%v), want 2", len(rbs.Items), web, err)
	}
}

// access explain against the API server: Alice, an engineer, is bound by eng-edit; ops-view selects a
// group she is not in; the e-mail is matched ignoring case, and someone unknown is told so.
func TestAccessExplainCommand(t *testing.T) {
	requireEnvtest(t)
	now := time.Now().UTC().Truncate(time.Second)
	ns, web := newNamespace(t), newNamespace(t)
	createDirectory(t, ns, "acme", nil, syncedStatus(now))
	for _, p := range []dirsyncv1alpha1.DirectoryUser{
		person("1001", "Alice@Example.com", dirsyncv1alpha1.UserStateActive, "acme-eng"),
		withDates(person("1002", "bob@example.com", dirsyncv1alpha1.UserStateActive, "acme-eng"), "", now.AddDate(0, 0, -2).Format(time.DateOnly)),
	} {
		p.Namespace = ns
		if err := k8sClient.Create(callCtx(t), &p); err != nil {
			t.Fatal(err)
		}
	}
	rbName := "dirsync-eng-edit-0badcafe"
	createAccess(t, ns, "eng-edit", "acme-eng", "edit", []string{web},
		boundStatus(now, dirsyncv1alpha1.AccessBinding{Namespace: web, Name: rbName, Subjects: 1}))
	createAccess(t, ns, "ops-view", "acme-ops", "view", []string{web}, boundStatus(now))
	createManagedBinding(t, web, rbName, ns+"/eng-edit", "edit", "oidc:alice@example.com")

	r := runPlugin(t, nil, "", "access", "explain", "ALICE@example.com", "-n", ns)
	if r.code != 0 {
		t.Fatalf("want exit code 0; %s", r)
	}
	assertContains(t, r, []string{
		"DirectoryAccess " + ns + "/eng-edit: ClusterRole edit — HAS IT",
		"  Subject:    oidc:alice@example.com (template oidc:{{ lower .Email }})",
		"  Bindings:   " + web + " (" + rbName + "): bound",
		"DirectoryAccess " + ns + "/ops-view: ClusterRole view — LACKS IT",
		"  Not bound:  in none of the selected groups (theirs: acme-eng; selected: acme-ops)",
		"In the end ALICE@example.com has, through dirsync:\n  ClusterRole edit in namespace " + web + " (DirectoryAccess " + ns + "/eng-edit)\n",
	}, nil)

	r = runPlugin(t, nil, "", "access", "explain", "bob@example.com", "-n", ns, "-o", "json")
	var v explainView
	if err := json.Unmarshal([]byte(r.out), &v); r.code != 0 || err != nil {
		t.Fatalf("%v; %s", err, r)
	}
	if len(v.Explanations) != 2 || len(v.Grants) != 0 || v.Explanations[0].Eligible ||
		!strings.Contains(v.Explanations[0].Reasons[0], "has passed") {
		t.Errorf("explain bob -o json: %+v", v)
	}

	r = runPlugin(t, nil, "", "access", "explain", "nobody@example.com", "-n", ns)
	if r.code != 0 {
		t.Fatalf("want exit code 0; %s", r)
	}
	assertContains(t, r, []string{"no DirectoryUser of Directory acme has the e-mail nobody@example.com",
		"In the end nobody@example.com has no role through these DirectoryAccesses."}, nil)

	r = runPlugin(t, nil, "", "access", "explain", "alice@example.com", "-n", web)
	assertContains(t, r, []string{"No DirectoryAccesses found in namespace " + web + ": dirsync grants alice@example.com nothing there."}, nil)
}
