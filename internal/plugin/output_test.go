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
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/yaml"

	dirsyncv1alpha1 "github.com/dirsync/dirsync/api/v1alpha1"
)

// The field names of -o json are the plugin's interface: this test spells them out, so a rename fails it.
func TestDirectoryViewJSON(t *testing.T) {
	d := guardedDirectory()
	d.Spec.Endpoint = "https://hr.example.com"
	d.Status.LastApproval = &dirsyncv1alpha1.DeletionApproval{Token: "tok1", ApprovedAt: *at(-time.Hour), Users: 2}
	var out bytes.Buffer
	if err := printStructured(&out, outputJSON, directoryViewOf(d, testNow)); err != nil {
		t.Fatal(err)
	}
	var got map[string]any
	if err := json.Unmarshal(out.Bytes(), &got); err != nil {
		t.Fatalf("-o json is not JSON: %v\n%s", err, out.String())
	}
	want := map[string]any{
		"namespace": "hr", "name": "acme", "provider": "BreatheHR", "endpoint": "https://hr.example.com",
		"ready":     map[string]any{"status": "False", "reason": "DeletionGuardTriggered", "message": "Held.", "since": rfc(-time.Hour)},
		"suspended": false, "dryRun": false, "syncInterval": "30m",
		"lastSyncTime": rfc(-3 * time.Minute), "lastSuccessfulSyncTime": rfc(-3 * time.Minute), "nextSyncTime": rfc(27 * time.Minute),
		"overdue": false, "users": float64(200), "activeUsers": float64(190), "groups": float64(12),
		"lastSyncChanges": map[string]any{"created": float64(3), "updated": float64(1), "unchanged": float64(208)},
		"heldDeletions":   map[string]any{"users": float64(5), "groups": float64(1), "names": []any{"acme-1", "acme-2"}, "approvalToken": "tok123"},
		"lastApproval":    map[string]any{"token": "tok1", "approvedAt": rfc(-time.Hour), "users": float64(2)},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("status -o json (-want +got):\n%s", diff)
	}
	if !strings.HasPrefix(out.String(), "{\n    \"namespace\": \"hr\",\n") {
		t.Errorf("-o json is not indented as kubectl's:\n%s", out.String())
	}
}

func TestDirectoryView(t *testing.T) {
	tests := []struct {
		name  string
		dir   func() *dirsyncv1alpha1.Directory
		check func(t *testing.T, v directoryView)
	}{
		{"no Ready condition is Unknown, with a hint", func() *dirsyncv1alpha1.Directory {
			d := syncedDirectory()
			d.Status = dirsyncv1alpha1.DirectoryStatus{}
			return d
		}, func(t *testing.T, v directoryView) {
			if v.Ready.Status != metav1.ConditionUnknown || v.Ready.Since != nil || !strings.Contains(v.Hint, "manager") {
				t.Errorf("ready %+v, hint %q", v.Ready, v.Hint)
			}
		}},
		{"a running sync", func() *dirsyncv1alpha1.Directory {
			d := syncedDirectory()
			d.Status.Conditions = append(d.Status.Conditions, metav1.Condition{Type: dirsyncv1alpha1.ConditionSyncing,
				Status: metav1.ConditionTrue, Reason: dirsyncv1alpha1.ReasonApplying, Message: "Applying."})
			return d
		}, func(t *testing.T, v directoryView) {
			if v.Syncing == nil || v.Syncing.Message != "Applying." {
				t.Errorf("syncing %+v", v.Syncing)
			}
		}},
		{"an idle Directory has no syncing", syncedDirectory, func(t *testing.T, v directoryView) {
			if v.Syncing != nil || v.Hint != "" {
				t.Errorf("syncing %+v, hint %q", v.Syncing, v.Hint)
			}
		}},
		{"overdue", func() *dirsyncv1alpha1.Directory {
			d := syncedDirectory()
			d.Status.NextSyncTime = at(-10 * time.Minute)
			return d
		}, func(t *testing.T, v directoryView) {
			if !v.Overdue {
				t.Error("not overdue 10 minutes after nextSyncTime")
			}
		}},
		{"suspended is never overdue", func() *dirsyncv1alpha1.Directory {
			d := syncedDirectory()
			d.Spec.Suspend = ptr.To(true)
			d.Status.NextSyncTime = at(-10 * time.Minute)
			return d
		}, func(t *testing.T, v directoryView) {
			if v.Overdue || !v.Suspended {
				t.Errorf("overdue %v, suspended %v", v.Overdue, v.Suspended)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { tt.check(t, directoryViewOf(tt.dir(), testNow)) })
	}
}

func TestPrintStructuredYAML(t *testing.T) {
	var out bytes.Buffer
	v := itemList[planView]{Items: []planView{{Namespace: "hr", Name: "dry", DryRun: true,
		Plan: &dirsyncv1alpha1.SyncPlan{Create: 2, Summary: "would create 2 users"}}}}
	if err := printStructured(&out, outputYAML, v); err != nil {
		t.Fatal(err)
	}
	want := "items:\n- dryRun: true\n  name: dry\n  namespace: hr\n  plan:\n    create: 2\n    summary: would create 2 users\n"
	if diff := cmp.Diff(want, out.String()); diff != "" {
		t.Errorf("-o yaml (-want +got):\n%s", diff)
	}
	var back itemList[planView]
	if err := yaml.Unmarshal(out.Bytes(), &back); err != nil || back.Items[0].Plan.Create != 2 {
		t.Errorf("-o yaml does not read back: %v %+v", err, back)
	}
}

func TestAPIError(t *testing.T) {
	gr := schema.GroupResource{Group: "dirsync.io", Resource: "directories"}
	tests := []struct {
		name    string
		err     error
		req     request
		want    []string
		notWant []string
		is      func(error) bool
	}{
		{name: "no CRDs: Helm, kustomize and install.yaml",
			err: &meta.NoKindMatchError{GroupKind: schema.GroupKind{Group: "dirsync.io", Kind: "DirectoryAccess"}, SearchedVersions: []string{"v1alpha1"}},
			req: request{"list", resAccesses, "hr"},
			want: []string{"listing: the cluster does not serve dirsync.io/v1alpha1 DirectoryAccess: the dirsync CRDs are not installed",
				"\n  helm install dirsync dist/chart -n dirsync-system --create-namespace\n",
				"\n  kubectl apply --server-side -k config/default\n", "\n  kubectl apply --server-side -f install.yaml "}},
		{name: "a 403 in a namespace names the verb, the resource and the built-in role",
			err: apierrors.NewForbidden(schema.GroupResource{Resource: "events"}, "", errors.New(`User "bob" cannot list resource "events"`)),
			req: request{"list", resEvents, "hr"},
			want: []string{`User "bob" cannot list resource "events"`,
				"You need list on events in namespace hr: the built-in ClusterRole view gives it there",
				"kubectl create rolebinding view-me -n hr --clusterrole=view --user=YOU"},
			is: apierrors.IsForbidden},
		{name: "a 403 writing a Directory names dirsync's editor role: no built-in role gives it (issue 21)",
			err: apierrors.NewForbidden(gr, "acme", errors.New(`User "bob" cannot patch resource "directories"`)),
			req: request{"patch", resDirectories, "hr"},
			want: []string{`User "bob" cannot patch resource "directories"`,
				"You need patch on directories.dirsync.io in namespace hr: the ClusterRole dirsync-directory-editor-role gives it",
				"kubectl create rolebinding directory-editor-me -n hr --clusterrole=dirsync-directory-editor-role --user=YOU"},
			notWant: []string{"--clusterrole=edit"},
			is:      apierrors.IsForbidden},
		{name: "a 403 writing a DirectoryWebhook names dirsync's webhook editor role: edit does not give it",
			err: apierrors.NewForbidden(schema.GroupResource{Group: "dirsync.io", Resource: "directorywebhooks"}, "app", errors.New("no")),
			req: request{"patch", resWebhooks, "hr"},
			want: []string{"You need patch on directorywebhooks.dirsync.io in namespace hr: the ClusterRole dirsync-directorywebhook-editor-role gives it",
				"kubectl create rolebinding directorywebhook-editor-me -n hr --clusterrole=dirsync-directorywebhook-editor-role --user=YOU"},
			notWant: []string{"--clusterrole=edit"},
			is:      apierrors.IsForbidden},
		{name: "a 403 for every namespace needs a ClusterRoleBinding",
			err:  apierrors.NewForbidden(schema.GroupResource{Group: "rbac.authorization.k8s.io", Resource: "rolebindings"}, "", errors.New("no")),
			req:  request{"list", resRoleBindings, ""},
			want: []string{"You need list on rolebindings.rbac.authorization.k8s.io in every namespace: the built-in ClusterRole admin gives it when a ClusterRoleBinding binds it to you."}},
		{name: "reading is view's",
			err:  apierrors.NewForbidden(gr, "", errors.New("no")),
			req:  request{"list", resDirectories, "hr"},
			want: []string{"the built-in ClusterRole view gives it there"}},
		{name: "other errors are wrapped as they are",
			err: apierrors.NewInternalError(errors.New("boom")), req: request{"list", resDirectories, "hr"},
			want: []string{"listing: Internal error occurred: boom"}, notWant: []string{"You need", "Install"},
			is: apierrors.IsInternalError},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := apiError(tt.err, "listing", tt.req)
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error does not contain %q:\n%v", w, err)
				}
			}
			for _, w := range tt.notWant {
				if strings.Contains(err.Error(), w) {
					t.Errorf("error contains %q:\n%v", w, err)
				}
			}
			if tt.is != nil && !tt.is(err) {
				t.Errorf("the error no longer wraps the API error: %v", err)
			}
		})
	}
}

func TestDirectoryHint(t *testing.T) {
	withReady := func(reason string, mutate ...func(*dirsyncv1alpha1.Directory)) func() *dirsyncv1alpha1.Directory {
		return func() *dirsyncv1alpha1.Directory {
			d := syncedDirectory()
			d.Status.Conditions = []metav1.Condition{readyCond(metav1.ConditionFalse, reason, "Message.")}
			for _, m := range mutate {
				m(d)
			}
			return d
		}
	}
	tests := []struct {
		reason string
		dir    func() *dirsyncv1alpha1.Directory
		want   string // "" for no hint
	}{
		{dirsyncv1alpha1.ReasonSynced, syncedDirectory, ""},
		{dirsyncv1alpha1.ReasonSecretNotFound, withReady(dirsyncv1alpha1.ReasonSecretNotFound),
			"kubectl create secret generic key -n hr --from-literal=apiKey=YOUR-API-KEY"},
		{dirsyncv1alpha1.ReasonInvalidCredentials, withReady(dirsyncv1alpha1.ReasonInvalidCredentials),
			"kubectl create secret generic key -n hr --from-literal=apiKey=NEW-API-KEY --dry-run=client -o yaml | kubectl apply -f -"},
		{dirsyncv1alpha1.ReasonProviderUnavailable, withReady(dirsyncv1alpha1.ReasonProviderUnavailable), "kubectl dirsync sync acme -n hr"},
		{dirsyncv1alpha1.ReasonRateLimited, withReady(dirsyncv1alpha1.ReasonRateLimited), "kubectl logs -n dirsync-system deployment/dirsync-controller-manager"},
		{dirsyncv1alpha1.ReasonInvalidProviderResponse, withReady(dirsyncv1alpha1.ReasonInvalidProviderResponse), "the operator retries by itself"},
		{dirsyncv1alpha1.ReasonInsecureEndpoint, withReady(dirsyncv1alpha1.ReasonInsecureEndpoint), "--allow-insecure-endpoints"},
		{dirsyncv1alpha1.ReasonInvalidSpec, withReady(dirsyncv1alpha1.ReasonInvalidSpec), "kubectl edit directory acme -n hr"},
		{dirsyncv1alpha1.ReasonApplyFailed, withReady(dirsyncv1alpha1.ReasonApplyFailed), "kubectl get events -n hr --field-selector involvedObject.name=acme"},
		{dirsyncv1alpha1.ReasonTooManyUsers, withReady(dirsyncv1alpha1.ReasonTooManyUsers), "--max-users-per-directory (Helm: manager.maxUsersPerDirectory)"},
		{dirsyncv1alpha1.ReasonSuspended, withReady(dirsyncv1alpha1.ReasonSuspended), `'{"spec":{"suspend":false}}'`},
		{dirsyncv1alpha1.ReasonDryRun + " without a plan", withReady(dirsyncv1alpha1.ReasonDryRun), "kubectl dirsync sync acme -n hr, then kubectl dirsync plan acme -n hr"},
		{dirsyncv1alpha1.ReasonDryRun + " with a plan (the Plan line says it)", withReady(dirsyncv1alpha1.ReasonDryRun,
			func(d *dirsyncv1alpha1.Directory) { d.Status.Plan = &dirsyncv1alpha1.SyncPlan{} }), ""},
		{dirsyncv1alpha1.ReasonDeletionGuardTriggered + " (the held deletions say it)", withReady(dirsyncv1alpha1.ReasonDeletionGuardTriggered), ""},
	}
	for _, tt := range tests {
		t.Run(tt.reason, func(t *testing.T) {
			got := directoryHint(tt.dir())
			if (tt.want == "") != (got == "") || !strings.Contains(got, tt.want) {
				t.Errorf("directoryHint = %q, want one containing %q", got, tt.want)
			}
		})
	}
}

func TestImageTag(t *testing.T) {
	for in, want := range map[string]string{
		"ghcr.io/dirsync/dirsync:0.1.0":            "0.1.0",
		"controller:latest":                        "latest",
		"localhost:5000/dirsync":                   "",
		"localhost:5000/dirsync:v1@sha256:abc":     "v1",
		"registry.example.com/dirsync@sha256:0123": "",
		"": "",
	} {
		if got := imageTag(in); got != want {
			t.Errorf("imageTag(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestManagerVersionOf(t *testing.T) {
	dep := func(labels map[string]string, containers ...corev1.Container) *appsv1.Deployment {
		return &appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Namespace: "dirsync-system", Name: "dirsync-controller-manager", Labels: labels},
			Spec:   appsv1.DeploymentSpec{Replicas: ptr.To[int32](2), Template: corev1.PodTemplateSpec{Spec: corev1.PodSpec{Containers: containers}}},
			Status: appsv1.DeploymentStatus{ReadyReplicas: 1}}
	}
	sidecar := corev1.Container{Name: "proxy", Image: "proxy:9"}
	manager := corev1.Container{Name: "manager", Image: "ghcr.io/dirsync/dirsync:0.2.0"}
	tests := []struct {
		name string
		in   *appsv1.Deployment
		want managerVersion
	}{
		{"the chart's version label wins", dep(map[string]string{labelVersion: "0.1.0"}, sidecar, manager),
			managerVersion{"dirsync-system", "dirsync-controller-manager", "0.1.0", "ghcr.io/dirsync/dirsync:0.2.0", 1, 2}},
		{"else the manager container's tag", dep(nil, sidecar, manager),
			managerVersion{"dirsync-system", "dirsync-controller-manager", "0.2.0", "ghcr.io/dirsync/dirsync:0.2.0", 1, 2}},
		{"else the first container's", dep(nil, sidecar),
			managerVersion{"dirsync-system", "dirsync-controller-manager", "9", "proxy:9", 1, 2}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, managerVersionOf(tt.in)); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestFormatVersion(t *testing.T) {
	p := pluginVersion{Version: "v0.1.0", Commit: "abc123", GoVersion: "go1.26.0", Platform: "linux/amd64"}
	m := managerVersion{Namespace: "dirsync-system", Deployment: "dirsync-controller-manager", Version: "0.1.0", Image: "dirsync:0.1.0", Ready: 1, Replicas: 1}
	tests := []struct {
		name       string
		v          versionView
		clientOnly bool
		problem    string
		want       string
	}{
		{"client only", versionView{Plugin: p}, true, "", "Plugin:  v0.1.0 (commit abc123, go1.26.0, linux/amd64)\n"},
		{"with the manager", versionView{Plugin: p, Managers: []managerVersion{m}}, false, "",
			"Plugin:  v0.1.0 (commit abc123, go1.26.0, linux/amd64)\n" +
				"Manager: 0.1.0 (image dirsync:0.1.0, Deployment dirsync-system/dirsync-controller-manager, 1/1 ready)\n"},
		{"no manager", versionView{Plugin: pluginVersion{Version: "dev", GoVersion: "go1.26.0", Platform: "linux/amd64"}}, false, "",
			"Plugin:  dev (go1.26.0, linux/amd64)\nManager: none found (no Deployment labelled app.kubernetes.io/name=dirsync in any namespace)\n"},
		{"the cluster cannot be read", versionView{Plugin: p}, false, "listing: forbidden.\nYou need list",
			"Plugin:  v0.1.0 (commit abc123, go1.26.0, linux/amd64)\nManager: unknown: listing: forbidden.\n  You need list\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, formatVersion(tt.v, tt.clientOnly, tt.problem)); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}
