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

package uninstall

import (
	"bytes"
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/go-logr/logr"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	"k8s.io/apimachinery/pkg/util/wait"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
	ctrllog "sigs.k8s.io/controller-runtime/pkg/log"

	dirsyncv1alpha1 "github.com/dirsync/dirsync/api/v1alpha1"
	"github.com/dirsync/dirsync/internal/testenv"
)

func TestRefusal(t *testing.T) {
	many := make([]Remaining, maxListed+3)
	for i := range many {
		many[i] = Remaining{Namespace: "hr", Name: fmt.Sprintf("a%02d", i)}
	}
	tests := []struct {
		name      string
		remaining []Remaining
		want      []string // substrings, in order
		not       []string
	}{
		{name: "none: no refusal"},
		{
			name:      "one, being deleted",
			remaining: []Remaining{{Namespace: "hr", Name: "engineering-edit", Deleting: true}},
			want: []string{"1 DirectoryAccess still exists", "  hr/engineering-edit (being deleted", "kubectl get directoryaccesses -A",
				"kubectl delete directoryaccesses --all -n <namespace>", "helm uninstall --no-hooks", "docs/uninstall.md"},
		},
		{
			name:      "two, in order",
			remaining: []Remaining{{Namespace: "hr", Name: "a"}, {Namespace: "web", Name: "b"}},
			want:      []string{"2 DirectoryAccesses still exist", "  hr/a\n", "  web/b\n"},
			not:       []string{"being deleted"},
		},
		{
			name:      "many: the first ones, then a count",
			remaining: many,
			want:      []string{fmt.Sprintf("%d DirectoryAccesses", len(many)), "hr/a00", fmt.Sprintf("hr/a%02d", maxListed-1), "… and 3 more"},
			not:       []string{fmt.Sprintf("hr/a%02d", maxListed)},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Refusal(tt.remaining)
			if len(tt.remaining) == 0 {
				if got != "" {
					t.Fatalf("Refusal(nil) = %q, want empty", got)
				}
				return
			}
			rest := got
			for _, w := range tt.want {
				i := strings.Index(rest, w)
				if i < 0 {
					t.Fatalf("refusal lacks %q (in order):\n%s", w, got)
				}
				rest = rest[i+len(w):]
			}
			for _, n := range tt.not {
				if strings.Contains(got, n) {
					t.Errorf("refusal has %q:\n%s", n, got)
				}
			}
		})
	}
}

// The check against a real API server, as the chart's pre-delete hook runs it: before the CRDs exist,
// with DirectoryAccesses in two namespaces, with one being deleted, with an identity that may list only
// in the watched namespace (the chart's RBAC with watchNamespaces), and with one that may list nothing.
func TestCheckAgainstTheAPIServer(t *testing.T) {
	testenv.Require(t)
	assets := testenv.Assets()
	ctrllog.SetLogger(logr.Discard())
	env := &envtest.Environment{BinaryAssetsDirectory: assets}
	cfg, err := env.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = env.Stop() })
	scheme := runtime.NewScheme()
	utilruntime.Must(clientgoscheme.AddToScheme(scheme))
	utilruntime.Must(dirsyncv1alpha1.AddToScheme(scheme))
	admin := newClient(t, cfg, scheme)
	ctx := context.Background()

	check := func(t *testing.T, c client.Client, namespaces []string, wantCode int, want ...string) {
		t.Helper()
		var stdout, stderr bytes.Buffer
		if code := Check(ctx, c, namespaces, &stdout, &stderr); code != wantCode {
			t.Fatalf("exit %d, want %d; stdout %q, stderr %q", code, wantCode, stdout.String(), stderr.String())
		}
		out := stdout.String() + stderr.String()
		for _, w := range want {
			if !strings.Contains(out, w) {
				t.Errorf("output lacks %q:\n%s", w, out)
			}
		}
	}

	t.Run("no CRDs: nothing can hold access", func(t *testing.T) {
		check(t, admin, nil, ExitClear, "No DirectoryAccess remains in any namespace")
	})

	if _, err := envtest.InstallCRDs(cfg, envtest.CRDInstallOptions{Paths: []string{filepath.Join("..", "..", "config", "crd", "bases")},
		ErrorIfPathMissing: true}); err != nil {
		t.Fatal(err)
	}
	// A fresh client: the first one's RESTMapper has cached that dirsync.io did not exist.
	admin = newClient(t, cfg, scheme)
	for _, ns := range []string{"hr", "web", "other"} {
		if err := admin.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}); err != nil {
			t.Fatal(err)
		}
	}

	t.Run("CRDs and no DirectoryAccess", func(t *testing.T) {
		check(t, admin, nil, ExitClear, "No DirectoryAccess remains in any namespace")
		check(t, admin, []string{"hr", "web"}, ExitClear, "No DirectoryAccess remains in hr, web")
	})

	createAccess(t, admin, "web", "sales-view", false)
	createAccess(t, admin, "hr", "engineering-edit", true)

	t.Run("every namespace: both, sorted, the deleted one marked", func(t *testing.T) {
		check(t, admin, nil, ExitRefused, "2 DirectoryAccesses still exist", "  hr/engineering-edit (being deleted", "  web/sales-view\n")
	})
	t.Run("watched namespaces only", func(t *testing.T) {
		check(t, admin, []string{"web", "other"}, ExitRefused, "1 DirectoryAccess still exists", "web/sales-view")
		check(t, admin, []string{"other"}, ExitClear, "No DirectoryAccess remains in other")
	})

	// The chart binds the manager's ClusterRole with a RoleBinding per watched namespace: the
	// check, run as that identity, must be given those namespaces, and then works.
	if err := admin.Create(ctx, &rbacv1.ClusterRole{ObjectMeta: metav1.ObjectMeta{Name: "list-access"}, Rules: []rbacv1.PolicyRule{{
		APIGroups: []string{dirsyncv1alpha1.GroupVersion.Group}, Resources: []string{"directoryaccesses"}, Verbs: []string{"list"}}}}); err != nil {
		t.Fatal(err)
	}
	if err := admin.Create(ctx, &rbacv1.RoleBinding{ObjectMeta: metav1.ObjectMeta{Name: "list-access", Namespace: "web"},
		RoleRef:  rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: "list-access"},
		Subjects: []rbacv1.Subject{{APIGroup: rbacv1.GroupName, Kind: rbacv1.UserKind, Name: "watcher"}}}); err != nil {
		t.Fatal(err)
	}
	t.Run("an identity that may list only in its namespace", func(t *testing.T) {
		watcher := impersonating(t, cfg, scheme, "watcher")
		// RBAC takes a moment to see the new binding.
		waitFor(t, func() bool {
			_, err := Find(ctx, watcher, []string{"web"})
			return err == nil
		})
		check(t, watcher, []string{"web"}, ExitRefused, "web/sales-view")
		check(t, watcher, nil, ExitUnknown, "could not tell", "listing DirectoryAccesses in every namespace", "forbidden")
	})
	t.Run("an identity that may list nothing fails closed", func(t *testing.T) {
		check(t, impersonating(t, cfg, scheme, "nobody"), []string{"hr"}, ExitUnknown, "in namespace hr", "helm uninstall --no-hooks")
	})
}

func newClient(t *testing.T, cfg *rest.Config, scheme *runtime.Scheme) client.Client {
	t.Helper()
	c, err := client.New(cfg, client.Options{Scheme: scheme})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func impersonating(t *testing.T, cfg *rest.Config, scheme *runtime.Scheme, user string) client.Client {
	t.Helper()
	c := rest.CopyConfig(cfg)
	c.Impersonate = rest.ImpersonationConfig{UserName: user}
	return newClient(t, c, scheme)
}

// createAccess creates a DirectoryAccess; deleting leaves it deleted but held by the finalizer the
// manager would remove.
func createAccess(t *testing.T, c client.Client, namespace, name string, deleting bool) {
	t.Helper()
	ctx := context.Background()
	a := &dirsyncv1alpha1.DirectoryAccess{
		ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: name},
		Spec: dirsyncv1alpha1.DirectoryAccessSpec{
			DirectoryRef: dirsyncv1alpha1.DirectoryReference{Name: "breathehr"},
			Groups:       []string{"breathehr-10"},
			RoleRef:      dirsyncv1alpha1.AccessRoleRef{Kind: dirsyncv1alpha1.AccessRoleClusterRole, Name: "view"},
			Target:       dirsyncv1alpha1.AccessTarget{Namespaces: []string{"web"}},
			Subject:      dirsyncv1alpha1.AccessSubject{Kind: dirsyncv1alpha1.AccessSubjectUser, Template: "{{ .Email }}"},
		},
	}
	if deleting {
		a.Finalizers = []string{dirsyncv1alpha1.FinalizerAccessBindings}
	}
	if err := c.Create(ctx, a); err != nil {
		t.Fatal(err)
	}
	if !deleting {
		return
	}
	if err := c.Delete(ctx, a); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		// Let the namespace's objects go when the API server stops; nothing else waits on it.
		if err := c.Get(ctx, client.ObjectKeyFromObject(a), a); apierrors.IsNotFound(err) {
			return
		}
		a.Finalizers = nil
		_ = c.Update(ctx, a)
	})
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	if err := wait.PollUntilContextTimeout(context.Background(), 50*time.Millisecond, 30*time.Second, true,
		func(context.Context) (bool, error) { return cond(), nil }); err != nil {
		t.Fatal("condition not met within 30s")
	}
}
