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
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/dirsync/dirsync/test/utils"
)

// decodeObjects splits a YAML stream (an installer, a rendered chart) into objects.
func decodeObjects(t *testing.T, stream string) []*unstructured.Unstructured {
	t.Helper()
	var out []*unstructured.Unstructured
	dec := utilyaml.NewYAMLOrJSONDecoder(strings.NewReader(stream), 4096)
	for {
		var m map[string]any
		if err := dec.Decode(&m); errors.Is(err, io.EOF) {
			return out
		} else if err != nil {
			t.Fatalf("decoding: %v", err)
		}
		if m != nil {
			out = append(out, &unstructured.Unstructured{Object: m})
		}
	}
}

// The installer `make build-installer` writes (dist/install.yaml, config/default with the image
// IMG) applies to the control plane as it is, and the Deployment's pod template is admitted in its
// namespace, which enforces the restricted Pod Security Standard: the ReplicaSet gets its pod
// created (there is no kubelet here to run it).
func TestInstallerAppliesAndItsPodIsAdmittedAsRestricted(t *testing.T) {
	installer := envOr("INSTALLER", filepath.Join(repoRoot, "dist", "install.yaml"))
	b, err := os.ReadFile(installer)
	if err != nil {
		t.Fatalf("%v: run `make build-installer` (make test-e2e does)", err)
	}
	objs := decodeObjects(t, string(b))
	var dep *unstructured.Unstructured
	for _, o := range objs {
		if o.GetKind() == "Deployment" {
			dep = o
		}
	}
	if dep == nil {
		t.Fatalf("%s has no Deployment", installer)
	}
	mustKubectl(t, "apply", "--server-side", "-f", installer)
	t.Cleanup(func() {
		_, _ = kubectl("", "delete", "deployment", "-n", dep.GetNamespace(), dep.GetName(), "--wait=false")
	})

	var d appsv1.Deployment
	if err := k8s.Get(callCtx(t), client.ObjectKeyFromObject(dep), &d); err != nil {
		t.Fatal(err)
	}
	if want := envOr("INSTALLER_IMG", "controller:latest"); d.Spec.Template.Spec.Containers[0].Image != want {
		t.Errorf("the installed manager's image is %q, want IMG %q", d.Spec.Template.Spec.Containers[0].Image, want)
	}
	ns := &corev1.Namespace{}
	if err := k8s.Get(callCtx(t), client.ObjectKey{Name: dep.GetNamespace()}, ns); err != nil {
		t.Fatal(err)
	}
	if got := ns.Labels["pod-security.kubernetes.io/enforce"]; got != "restricted" {
		t.Fatalf("namespace %s enforces Pod Security level %q, want restricted", ns.Name, got)
	}
	eventually(t, 60*time.Second, "the manager's ReplicaSet to create a pod under the restricted policy", func(ctx context.Context) (bool, string) {
		var pods corev1.PodList
		if err := k8s.List(ctx, &pods, client.InNamespace(dep.GetNamespace()), client.MatchingLabels(d.Spec.Selector.MatchLabels)); err != nil {
			return false, err.Error()
		}
		if len(pods.Items) > 0 {
			return true, ""
		}
		// A refusal shows up as a ReplicaSet condition (FailedCreate: … violates PodSecurity …).
		var rss appsv1.ReplicaSetList
		if err := k8s.List(ctx, &rss, client.InNamespace(dep.GetNamespace())); err != nil {
			return false, err.Error()
		}
		var seen []string
		for _, rs := range rss.Items {
			for _, c := range rs.Status.Conditions {
				seen = append(seen, c.Reason+": "+c.Message)
			}
		}
		return false, fmt.Sprintf("no pod yet; ReplicaSet conditions %v", seen)
	})
}

// helmTemplate renders dist/chart with the pinned helm.
func helmTemplate(t *testing.T, releaseName, namespace string, args ...string) string {
	t.Helper()
	helm := envOr("HELM", filepath.Join(repoRoot, "bin", "helm"))
	ctx, cancel := context.WithTimeout(context.Background(), kubectlTimeout)
	defer cancel()
	out, err := utils.Run(ctx, repoRoot, nil, helm,
		append([]string{"template", releaseName, "dist/chart", "--namespace", namespace,
			"--kube-version", "v" + envOr("ENVTEST_K8S_VERSION", "1.37.2")}, args...)...)
	if err != nil {
		t.Fatalf("%v (run `make helm`; make test-e2e does)", err)
	}
	return string(out)
}

// The chart as a user installs it: every object of a render with default values, and of one with
// watchNamespaces, is accepted by the API server (server-side dry run). Then the second render is
// applied, and bin/manager runs with its Deployment's arguments and a token of its ServiceAccount:
// it elects a leader through the chart's Role, syncs a Directory in the watched namespace through
// the RoleBinding there, and is never refused a request.
func TestHelmChartInstallsAndItsRBACRunsTheManager(t *testing.T) {
	const release = "e2e-chart"
	chartNS := newNamespace(t, "e2e-chart-system-")
	watched := newNamespace(t, "e2e-chart-watched-")

	// The dry runs include the hooks (the uninstall check's Job): the API server validates them too.
	defaults := helmTemplate(t, release, chartNS)
	if _, err := kubectl(defaults, "apply", "--server-side", "--dry-run=server", "-f", "-"); err != nil {
		t.Fatalf("the chart with default values: %v", err)
	}

	values := []string{"--set", "watchNamespaces={" + watched + "}",
		"--set", "manager.allowInsecureEndpoints=true", "--set", "manager.allowedEndpointHosts={127.0.0.1}", "--set", "manager.kubeAPIQPS=100", "--set", "manager.kubeAPIBurst=200",
		"--set", "manager.maxConcurrentSyncs=3"}
	if _, err := kubectl(helmTemplate(t, release, chartNS, values...), "apply", "--server-side", "--dry-run=server", "-f", "-"); err != nil {
		t.Fatalf("the chart with watchNamespaces, dry run: %v", err)
	}
	// What `helm install` installs: everything but the hooks, which run only at their point of the release.
	rendered := helmTemplate(t, release, chartNS, append(values, "--no-hooks")...)
	if _, err := kubectl(rendered, "apply", "--server-side", "-f", "-"); err != nil {
		t.Fatalf("the chart with watchNamespaces: %v", err)
	}

	var dep appsv1.Deployment
	for _, o := range decodeObjects(t, rendered) {
		if o.GetKind() == "Deployment" {
			if err := runtime.DefaultUnstructuredConverter.FromUnstructured(o.Object, &dep); err != nil {
				t.Fatal(err)
			}
		}
	}
	if dep.Name == "" {
		t.Fatal("the chart renders no Deployment")
	}
	// No kubelet here: stop the ReplicaSet from making pods that would never run.
	t.Cleanup(func() { _, _ = kubectl("", "delete", "deployment", "-n", chartNS, dep.Name, "--wait=false") })
	c := dep.Spec.Template.Spec.Containers[0]
	kubeconfig, err := serviceAccountKubeconfig(chartNS, dep.Spec.Template.Spec.ServiceAccountName)
	if err != nil {
		t.Fatal(err)
	}

	// The Deployment's arguments, with what only a pod has replaced: loopback listeners, and the
	// Lease's namespace (in a pod, the manager reads it from its ServiceAccount's mount).
	args := append(append([]string{}, c.Args...), "--metrics-bind-address=0", "--health-probe-bind-address=127.0.0.1:0",
		withReceiver, "--leader-election-namespace="+chartNS)
	hr := startFakeHR(t, smallCompany)
	mgr := startManager(t, "manager-from-chart", kubeconfig, args...)
	eventually(t, 60*time.Second, "the chart's manager to acquire its Lease", func(context.Context) (bool, string) {
		return len(mgr.LogEntries(acquiredLease)) > 0, "no " + acquiredLease + " in its log"
	}, mgr.Process)
	key := createDirectory(t, watched, "breathe", hr)
	waitReady(t, key, smallCompany, firstSyncTimeout, mgr.Process, hr.Process)
	mgr.assertNoForbidden(t)
}

// The chart's pre-delete hook as `helm uninstall` runs it, but for the pod (there is no kubelet here):
// bin/manager with the hook Job's command, as the Job's ServiceAccount with only the RBAC the chart
// installs (watchNamespaces: a RoleBinding in the watched namespace). It refuses, exit 1, while a
// DirectoryAccess exists in the watched namespace, naming it; one in another namespace is not this
// release's; once the DirectoryAccess is gone it exits 0.
func TestHelmUninstallHookRefusesWhileDirectoryAccessesExist(t *testing.T) {
	const release = "e2e-uninstall"
	chartNS := newNamespace(t, "e2e-uninstall-system-")
	watched := newNamespace(t, "e2e-uninstall-watched-")
	elsewhere := newNamespace(t, "e2e-uninstall-elsewhere-")
	values := []string{"--set", "watchNamespaces={" + watched + "}"}
	if _, err := kubectl(helmTemplate(t, release, chartNS, append(values, "--no-hooks")...), "apply", "--server-side", "-f", "-"); err != nil {
		t.Fatalf("installing the chart: %v", err)
	}
	var job batchv1.Job
	for _, o := range decodeObjects(t, helmTemplate(t, release, chartNS, append(values, "--show-only", "templates/manager/uninstall-check.yaml")...)) {
		if o.GetAnnotations()["helm.sh/hook"] != "pre-delete" {
			t.Fatalf("%s %s is not a pre-delete hook", o.GetKind(), o.GetName())
		}
		if err := runtime.DefaultUnstructuredConverter.FromUnstructured(o.Object, &job); err != nil {
			t.Fatal(err)
		}
	}
	var dep appsv1.Deployment
	for _, o := range decodeObjects(t, helmTemplate(t, release, chartNS, append(values, "--show-only", "templates/manager/deployment.yaml")...)) {
		if err := runtime.DefaultUnstructuredConverter.FromUnstructured(o.Object, &dep); err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(func() { _, _ = kubectl("", "delete", "deployment", "-n", chartNS, dep.Name, "--wait=false") })
	pod := job.Spec.Template.Spec
	if len(pod.Containers) != 1 || len(pod.Containers[0].Command) < 2 || pod.Containers[0].Command[0] != "/manager" {
		t.Fatalf("the hook's pod %+v does not run /manager", pod.Containers)
	}
	kubeconfig, err := serviceAccountKubeconfig(chartNS, pod.ServiceAccountName)
	if err != nil {
		t.Fatal(err)
	}
	check := func(wantCode int, want ...string) {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), kubectlTimeout)
		defer cancel()
		args := append(append([]string{}, pod.Containers[0].Command[1:]...), pod.Containers[0].Args...)
		out, err := utils.Run(ctx, repoRoot, nil, managerBin, append(args, "--kubeconfig="+kubeconfig)...)
		code := 0
		var exit *exec.ExitError
		if errors.As(err, &exit) {
			code = exit.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		if code != wantCode {
			t.Fatalf("the hook's command exited %d, want %d:\n%s", code, wantCode, out)
		}
		for _, w := range want {
			if !strings.Contains(string(out), w) {
				t.Errorf("the hook's output lacks %q:\n%s", w, out)
			}
		}
	}

	check(0, "No DirectoryAccess remains in "+watched)
	mustKubectl(t, "apply", "-n", elsewhere, "-f", filepath.Join(repoRoot, "config", "samples", "dirsync_v1alpha1_directoryaccess.yaml"))
	check(0, "No DirectoryAccess remains in "+watched)
	mustKubectl(t, "apply", "-n", watched, "-f", filepath.Join(repoRoot, "config", "samples", "dirsync_v1alpha1_directoryaccess.yaml"))
	check(1, "1 DirectoryAccess still exists", watched+"/engineering-edit", "helm uninstall --no-hooks")
	mustKubectl(t, "delete", "directoryaccess", "engineering-edit", "-n", watched, "--wait=true")
	check(0, "No DirectoryAccess remains in "+watched)
}
