//go:build e2e

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

package e2e

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/rest"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	dirsyncv1alpha1 "github.com/dirsync/dirsync/api/v1alpha1"
)

// aggregationTimeout bounds how long kube-controller-manager's clusterrole-aggregation controller
// takes to fold a new ClusterRole into the built-in view, edit and admin.
const aggregationTimeout = 60 * time.Second

// applyDirectoryRoles applies the Directory ClusterRoles (admin, editor, viewer) of the chart
// rendered for release with args, and deletes them when the test ends.
func applyDirectoryRoles(t *testing.T, release, ns string, args ...string) {
	t.Helper()
	var roles []*unstructured.Unstructured
	for _, o := range decodeObjects(t, helmTemplate(t, release, ns, args...)) {
		if o.GetKind() == "ClusterRole" && strings.Contains(o.GetName(), "-directory-") {
			roles = append(roles, o)
		}
	}
	if len(roles) != 3 {
		t.Fatalf("the chart renders %d Directory ClusterRoles, want admin, editor and viewer", len(roles))
	}
	for _, r := range roles {
		r.SetResourceVersion("")
		if err := k8s.Create(callCtx(t), r); err != nil {
			t.Fatalf("creating ClusterRole %s: %v", r.GetName(), err)
		}
		t.Cleanup(func() { _ = k8s.Delete(context.Background(), r) })
	}
}

// canI is `kubectl auth can-i VERB directories -n NS --as USER`.
func canI(verb, ns, user string) string {
	out, _ := kubectl("", "auth", "can-i", verb, "directories.dirsync.io", "-n", ns, "--as="+user)
	return strings.TrimSpace(out)
}

// updateAs changes the Directory's spec.syncInterval as user, through the API server's authorizer.
func updateAs(t *testing.T, user string, key types.NamespacedName) error {
	t.Helper()
	cfg := rest.CopyConfig(adminConfig)
	cfg.Impersonate = rest.ImpersonationConfig{UserName: user, Groups: []string{"system:authenticated"}}
	c, err := client.New(cfg, client.Options{Scheme: scheme})
	if err != nil {
		t.Fatal(err)
	}
	dir := &dirsyncv1alpha1.Directory{}
	if err := k8s.Get(callCtx(t), key, dir); err != nil {
		t.Fatal(err)
	}
	dir.Spec.SyncInterval = &metav1.Duration{Duration: 2 * time.Hour}
	return c.Update(callCtx(t), dir)
}

// Issue 21: a Directory is a second key to every DirectoryAccess on it: whoever may change its
// endpoint or its Secret chooses the HR data those bind. So the Directory editor and admin roles no
// longer aggregate into the built-in edit and admin: a namespace editor cannot change a Directory's
// spec (`kubectl auth can-i update directories` says no, and an update is Forbidden). The chart's
// rbac.aggregateDirectoryRoles turns the aggregation back on. It runs against the local control
// plane's kube-controller-manager, whose clusterrole-aggregation controller envtest does not have.
func TestBuiltInEditCannotChangeADirectoryUnlessTheChartAggregates(t *testing.T) {
	ns := newNamespace(t, "e2e-aggregation-")
	const editor = "e2e-namespace-editor"
	binding := &rbacv1.RoleBinding{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "namespace-editor"},
		RoleRef:  rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: "edit"},
		Subjects: []rbacv1.Subject{{Kind: rbacv1.UserKind, APIGroup: rbacv1.GroupName, Name: editor}}}
	if err := k8s.Create(callCtx(t), binding); err != nil {
		t.Fatal(err)
	}
	dir := &dirsyncv1alpha1.Directory{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "hr"},
		Spec: dirsyncv1alpha1.DirectorySpec{Provider: dirsyncv1alpha1.ProviderBreatheHR, Suspend: ptr.To(true),
			CredentialsSecretRef: dirsyncv1alpha1.SecretKeyReference{Name: "hr-api-key"}}}
	if err := k8s.Create(callCtx(t), dir); err != nil {
		t.Fatal(err)
	}
	key := client.ObjectKeyFromObject(dir)

	// The chart's Directory roles with default values. The viewer role still aggregates into view
	// (and view into edit): once the editor may read Directories, the aggregation controller has
	// seen the roles.
	applyDirectoryRoles(t, "e2e-aggregation-off", ns)
	eventually(t, aggregationTimeout, "the built-in edit to let "+editor+" read Directories (through view)", func(context.Context) (bool, string) {
		got := canI("get", ns, editor)
		return got == "yes", "kubectl auth can-i get directories: " + got
	})
	consistently(t, 5*time.Second, "the built-in edit to grant no write on Directories", func(context.Context) (bool, string) {
		for _, verb := range []string{"update", "patch", "create", "delete"} {
			if got := canI(verb, ns, editor); got != "no" {
				return false, fmt.Sprintf("kubectl auth can-i %s directories -n %s --as=%s: %s", verb, ns, editor, got)
			}
		}
		return true, ""
	})
	if err := updateAs(t, editor, key); !apierrors.IsForbidden(err) {
		t.Fatalf("updating the Directory's spec as %s, bound to the built-in edit: %v; want Forbidden", editor, err)
	}

	// rbac.aggregateDirectoryRoles: true puts the aggregation back.
	applyDirectoryRoles(t, "e2e-aggregation-on", ns, "--set", "rbac.aggregateDirectoryRoles=true")
	eventually(t, aggregationTimeout, "the built-in edit to let "+editor+" update Directories", func(context.Context) (bool, string) {
		got := canI("update", ns, editor)
		return got == "yes", "kubectl auth can-i update directories: " + got
	})
	if err := updateAs(t, editor, key); err != nil {
		t.Fatalf("updating the Directory's spec as %s with rbac.aggregateDirectoryRoles: %v", editor, err)
	}
}
