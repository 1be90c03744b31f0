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
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/yaml"

	dirsyncv1alpha1 "github.com/dirsync/dirsync/api/v1alpha1"
)

// -o json|yaml against the API server: the views decode back, and errors stay errors.
func TestStructuredOutput(t *testing.T) {
	requireEnvtest(t)
	ns, empty := newNamespace(t), newNamespace(t)
	start := time.Now().Add(-time.Hour)
	createDirectory(t, ns, "acme", nil, heldStatus(start, "tok-json"))
	planned := syncedStatus(start)
	planned.Plan = &dirsyncv1alpha1.SyncPlan{Create: 2, Summary: "would create 2 users"}
	createDirectory(t, ns, "dry", func(s *dirsyncv1alpha1.DirectorySpec) { s.DryRun = ptr.To(true) }, planned)

	t.Run("status NAME -o json", func(t *testing.T) {
		r := runPlugin(t, nil, "", "status", "acme", "-n", ns, "-o", "json")
		var v directoryView
		if err := json.Unmarshal([]byte(r.out), &v); r.code != 0 || err != nil {
			t.Fatalf("%v; %s", err, r)
		}
		if v.Name != "acme" || v.Ready.Reason != dirsyncv1alpha1.ReasonDeletionGuardTriggered || v.HeldDeletions == nil ||
			v.HeldDeletions.ApprovalToken != "tok-json" || v.Users != 3 {
			t.Errorf("status -o json: %+v", v)
		}
	})
	t.Run("status -o yaml lists every Directory of the namespace", func(t *testing.T) {
		r := runPlugin(t, nil, "", "status", "-n", ns, "-o", "yaml")
		var v itemList[directoryView]
		if err := yaml.Unmarshal([]byte(r.out), &v); r.code != 0 || err != nil {
			t.Fatalf("%v; %s", err, r)
		}
		if len(v.Items) != 2 || v.Items[0].Name != "acme" || v.Items[1].Name != "dry" || !v.Items[1].DryRun {
			t.Errorf("status -o yaml: %+v", v.Items)
		}
	})
	t.Run("an empty namespace is an empty list", func(t *testing.T) {
		r := runPlugin(t, nil, "", "status", "-n", empty, "-o", "json")
		if r.code != 0 || r.out != "{\n    \"items\": []\n}\n" {
			t.Errorf("want an empty items list; %s", r)
		}
	})
	t.Run("plan -o json", func(t *testing.T) {
		r := runPlugin(t, nil, "", "plan", "dry", "-n", ns, "-o", "json")
		var v planView
		if err := json.Unmarshal([]byte(r.out), &v); r.code != 0 || err != nil {
			t.Fatalf("%v; %s", err, r)
		}
		if v.Plan == nil || v.Plan.Create != 2 || !v.DryRun || v.SyncTime == nil {
			t.Errorf("plan -o json: %+v", v)
		}
	})
	t.Run("plan -o json without a plan fails as the text does", func(t *testing.T) {
		r := runPlugin(t, nil, "", "plan", "acme", "-n", ns, "-o", "json")
		if r.code != 1 || r.out != "" || !strings.Contains(r.errOut, "has no plan: spec.dryRun is false") {
			t.Errorf("want exit code 1, nothing on stdout and why on stderr; %s", r)
		}
	})
}

// grant binds user to a Role of ns allowing verbs on resources of group.
func grant(t *testing.T, ns, user, group string, resources, verbs []string) {
	t.Helper()
	role := &rbacv1.Role{ObjectMeta: metav1.ObjectMeta{Namespace: ns, GenerateName: user + "-"},
		Rules: []rbacv1.PolicyRule{{APIGroups: []string{group}, Resources: resources, Verbs: verbs}}}
	if err := k8sClient.Create(callCtx(t), role); err != nil {
		t.Fatal(err)
	}
	rb := &rbacv1.RoleBinding{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: role.Name},
		RoleRef:  rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "Role", Name: role.Name},
		Subjects: []rbacv1.Subject{{Kind: rbacv1.UserKind, APIGroup: rbacv1.GroupName, Name: user}}}
	if err := k8sClient.Create(callCtx(t), rb); err != nil {
		t.Fatal(err)
	}
}

// A refused request says what is missing and which built-in role gives it.
func TestForbiddenSaysWhichRoleGivesIt(t *testing.T) {
	requireEnvtest(t)
	ns := newNamespace(t)
	createDirectory(t, ns, "acme", nil, syncedStatus(time.Now()))
	bob := userKubeconfig(t, "bob-"+ns)

	r := runPlugin(t, nil, "", "status", "-n", ns, "--kubeconfig="+bob)
	if r.code != 1 {
		t.Fatalf("want exit code 1; %s", r)
	}
	assertContains(t, r, nil, []string{`cannot list resource "directories" in API group "dirsync.io"`,
		"You need list on directories.dirsync.io in namespace " + ns + ": the built-in ClusterRole view gives it there"})

	grant(t, ns, "bob-"+ns, dirsyncv1alpha1.GroupVersion.Group, []string{"directories"}, []string{"get"})
	// The authorizer sees the new RoleBinding through its informer: wait until bob may read.
	if err := wait.PollUntilContextTimeout(callCtx(t), 20*time.Millisecond, 10*time.Second, true, func(context.Context) (bool, error) {
		return runPlugin(t, nil, "", "status", "acme", "-n", ns, "--kubeconfig="+bob).code == 0, nil
	}); err != nil {
		t.Fatalf("bob still may not read Directory acme: %v", err)
	}
	r = runPlugin(t, nil, "", "sync", "acme", "-n", ns, "--kubeconfig="+bob, "--wait=false")
	if r.code != 1 {
		t.Fatalf("want exit code 1; %s", r)
	}
	assertContains(t, r, nil, []string{"annotating Directory " + ns + "/acme with dirsync.io/sync-requested-at",
		"You need patch on directories.dirsync.io in namespace " + ns + ": the ClusterRole dirsync-directory-editor-role gives it"})
}

// version finds the manager's Deployment by its label; a user who may not list Deployments still gets
// the plugin's version, and why the manager's is missing.
func TestVersionCommand(t *testing.T) {
	requireEnvtest(t)
	ns := newNamespace(t)
	labels := map[string]string{labelName: managerName, "control-plane": "controller-manager"}
	dep := &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "dirsync-controller-manager", Labels: labels},
		Spec: appsv1.DeploymentSpec{
			Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: labels},
				Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "manager", Image: "registry.example.com/dirsync:0.3.0"}}}},
		},
	}
	if err := k8sClient.Create(callCtx(t), dep); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = k8sClient.Delete(context.Background(), dep) })

	r := runPlugin(t, nil, "", "version")
	if r.code != 0 {
		t.Fatalf("want exit code 0; %s", r)
	}
	assertContains(t, r, []string{"Plugin:  " + Version + " (",
		"Manager: 0.3.0 (image registry.example.com/dirsync:0.3.0, Deployment " + ns + "/dirsync-controller-manager, 0/1 ready)"}, nil)

	r = runPlugin(t, nil, "", "version", "-o", "json")
	var v versionView
	if err := json.Unmarshal([]byte(r.out), &v); r.code != 0 || err != nil {
		t.Fatalf("%v; %s", err, r)
	}
	if v.Plugin.Version != Version || len(v.Managers) == 0 || v.Managers[len(v.Managers)-1].Version != "0.3.0" {
		t.Errorf("version -o json: %+v", v)
	}

	r = runPlugin(t, nil, "", "version", "--kubeconfig="+userKubeconfig(t, "carol-"+ns))
	if r.code != 0 {
		t.Fatalf("want exit code 0; %s", r)
	}
	assertContains(t, r, []string{"Plugin:  ", "Manager: unknown: listing the manager's Deployments",
		"You need list on deployments.apps in every namespace: the built-in ClusterRole view gives it when a ClusterRoleBinding binds it to you."}, nil)
}

// Shell completion offers the namespace's Directory names.
func TestCompletionOfNames(t *testing.T) {
	requireEnvtest(t)
	ns := newNamespace(t)
	createDirectory(t, ns, "acme", nil, syncedStatus(time.Now()))
	createDirectory(t, ns, "beta", nil, syncedStatus(time.Now()))
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"__complete", "status", "--kubeconfig=" + kubeconfigPath, "-n", ns, ""}, "acme\nbeta\n:4\n"},
		{[]string{"__complete", "sync", "--kubeconfig=" + kubeconfigPath, "-n", ns, "b"}, "beta\n:4\n"},
		{[]string{"__complete", "access", "status", "--kubeconfig=" + kubeconfigPath, "-n", ns, ""}, ":4\n"},
	} {
		var out, errOut bytes.Buffer
		if code := New(nil, &out, &errOut).Run(context.Background(), tt.args); code != 0 || !strings.HasPrefix(out.String(), tt.want) {
			t.Errorf("%q: exit code %d, stdout %q, want it to start with %q", tt.args, code, out.String(), tt.want)
		}
	}
}
