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

// Package uninstall tests the Makefile's uninstall guard (hack/uninstall-guard.sh): `make undeploy`
// and `make uninstall`, run with kubectl against an envtest API server, refuse while a DirectoryAccess
// exists, name it and the command that lists them, delete nothing meanwhile, and go on once none is
// left or with FORCE=1.
package uninstall

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/go-logr/logr"
	corev1 "k8s.io/api/core/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
	ctrllog "sigs.k8s.io/controller-runtime/pkg/log"

	dirsyncv1alpha1 "github.com/dirsync/dirsync/api/v1alpha1"
	"github.com/dirsync/dirsync/internal/testenv"
)

const repoRoot = "../.."

// makeTarget runs `make <args>` in the repository with kubectl pointed at kubeconfig. `-o manifests`
// keeps `make uninstall` from regenerating the CRDs first: this test checks the guard, not the generator.
// kubectl gives up waiting for a deletion after DELETE_TIMEOUT, so a CRD that stays names itself in the
// output; should make hang anyway, the context kills it and WaitDelay stops waiting for the kubectl it
// started, which holds the output pipe.
func makeTarget(t *testing.T, kubeconfig string, args ...string) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	args = append([]string{"--no-print-directory", "-o", "manifests", "DELETE_TIMEOUT=90s"}, args...)
	cmd := exec.CommandContext(ctx, "make", args...)
	cmd.WaitDelay = 5 * time.Second
	cmd.Dir = repoRoot
	var env []string
	for _, kv := range os.Environ() {
		// The outer make's flags and a FORCE from the caller's shell must not leak in.
		if k, _, _ := strings.Cut(kv, "="); k != "MAKEFLAGS" && k != "MFLAGS" && k != "MAKELEVEL" && k != "FORCE" && k != "KUBECONFIG" {
			env = append(env, kv)
		}
	}
	cmd.Env = append(env, "KUBECONFIG="+kubeconfig)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	return out.String(), err
}

func TestMakeUndeployAndUninstallRefuseWhileDirectoryAccessesExist(t *testing.T) {
	if _, err := exec.LookPath("kubectl"); err != nil {
		t.Fatal("kubectl is not on PATH; the Makefile's deployment targets use it")
	}
	if _, err := exec.LookPath("make"); err != nil {
		t.Fatal("make is not on PATH")
	}
	testenv.Require(t)
	assets := testenv.Assets()
	ctrllog.SetLogger(logr.Discard())
	env := &envtest.Environment{BinaryAssetsDirectory: assets}
	cfg, err := env.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = env.Stop() })
	kubeconfig := filepath.Join(t.TempDir(), "kubeconfig")
	if err := os.WriteFile(kubeconfig, env.KubeConfig, 0o600); err != nil {
		t.Fatal(err)
	}
	scheme := runtime.NewScheme()
	utilruntime.Must(clientgoscheme.AddToScheme(scheme))
	utilruntime.Must(apiextensionsv1.AddToScheme(scheme))
	ctx := context.Background()

	t.Run("no CRDs: make uninstall has nothing to guard", func(t *testing.T) {
		if out, err := makeTarget(t, kubeconfig, "uninstall", "ignore-not-found=true"); err != nil {
			t.Fatalf("make uninstall without CRDs: %v\n%s", err, out)
		}
	})

	utilruntime.Must(dirsyncv1alpha1.AddToScheme(scheme))
	k8s, err := client.New(cfg, client.Options{Scheme: scheme})
	if err != nil {
		t.Fatal(err)
	}
	crdNames := installCRDs(t, cfg, k8s)
	if err := k8s.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "hr"}}); err != nil {
		t.Fatal(err)
	}
	access := &dirsyncv1alpha1.DirectoryAccess{
		ObjectMeta: metav1.ObjectMeta{Namespace: "hr", Name: "engineering-edit"},
		Spec: dirsyncv1alpha1.DirectoryAccessSpec{
			DirectoryRef: dirsyncv1alpha1.DirectoryReference{Name: "breathehr"},
			Groups:       []string{"breathehr-10"},
			RoleRef:      dirsyncv1alpha1.AccessRoleRef{Kind: dirsyncv1alpha1.AccessRoleClusterRole, Name: "edit"},
			Target:       dirsyncv1alpha1.AccessTarget{Namespaces: []string{"web"}},
			Subject:      dirsyncv1alpha1.AccessSubject{Kind: dirsyncv1alpha1.AccessSubjectUser, Template: "oidc:{{ .Email }}"},
		},
	}
	if err := k8s.Create(ctx, access); err != nil {
		t.Fatal(err)
	}
	crdsLeft := func(t *testing.T) int {
		t.Helper()
		n := 0
		for _, name := range crdNames {
			err := k8s.Get(ctx, client.ObjectKey{Name: name}, &apiextensionsv1.CustomResourceDefinition{})
			switch {
			case err == nil:
				n++
			case !apierrors.IsNotFound(err):
				t.Fatal(err)
			}
		}
		return n
	}

	for _, target := range []string{"undeploy", "uninstall"} {
		t.Run("make "+target+" refuses while a DirectoryAccess exists and deletes nothing", func(t *testing.T) {
			out, err := makeTarget(t, kubeconfig, target)
			if err == nil {
				t.Fatalf("make %s succeeded with DirectoryAccess hr/engineering-edit present:\n%s", target, out)
			}
			for _, want := range []string{"Refusing: 1 DirectoryAccess(es) still exist", "  hr/engineering-edit\n",
				"kubectl get directoryaccesses -A", "FORCE=1", "docs/uninstall.md"} {
				if !strings.Contains(out, want) {
					t.Errorf("make %s's output lacks %q:\n%s", target, want, out)
				}
			}
			if strings.Contains(out, "delete --ignore-not-found") {
				t.Errorf("make %s ran a delete after the refusal:\n%s", target, out)
			}
			if n := crdsLeft(t); n != len(crdNames) {
				t.Errorf("make %s refused, yet %d of %d CRDs are left", target, n, len(crdNames))
			}
			if err := k8s.Get(ctx, client.ObjectKeyFromObject(access), &dirsyncv1alpha1.DirectoryAccess{}); err != nil {
				t.Errorf("the DirectoryAccess after the refusal: %v", err)
			}
		})
	}

	t.Run("being deleted still counts: the manager has not removed its RoleBindings yet", func(t *testing.T) {
		held := access.DeepCopy()
		held.ObjectMeta = metav1.ObjectMeta{Namespace: "hr", Name: "held", Finalizers: []string{dirsyncv1alpha1.FinalizerAccessBindings}}
		if err := k8s.Create(ctx, held); err != nil {
			t.Fatal(err)
		}
		if err := k8s.Delete(ctx, held); err != nil {
			t.Fatal(err)
		}
		out, err := makeTarget(t, kubeconfig, "uninstall")
		if err == nil || !strings.Contains(out, "hr/held (being deleted") || !strings.Contains(out, "2 DirectoryAccess(es)") {
			t.Errorf("make uninstall: err %v; want a refusal naming hr/held as being deleted:\n%s", err, out)
		}
		held.Finalizers = nil
		if err := k8s.Get(ctx, client.ObjectKeyFromObject(held), held); err != nil {
			t.Fatal(err)
		}
		held.Finalizers = nil
		if err := k8s.Update(ctx, held); err != nil {
			t.Fatal(err)
		}
	})

	t.Run("FORCE=1 goes on, warning", func(t *testing.T) {
		out, err := makeTarget(t, kubeconfig, "uninstall", "FORCE=1")
		if err != nil {
			t.Fatalf("make uninstall FORCE=1: %v\n%s", err, out)
		}
		if !strings.Contains(out, "FORCE=1: going on although 1 DirectoryAccess(es) exist") {
			t.Errorf("no warning in:\n%s", out)
		}
		if n := crdsLeft(t); n != 0 {
			t.Errorf("%d CRDs left after make uninstall FORCE=1", n)
		}
	})

	t.Run("no DirectoryAccess left: make uninstall deletes the CRDs", func(t *testing.T) {
		installCRDs(t, cfg, k8s)
		if out, err := makeTarget(t, kubeconfig, "uninstall"); err != nil {
			t.Fatalf("make uninstall with no DirectoryAccess: %v\n%s", err, out)
		}
		if n := crdsLeft(t); n != 0 {
			t.Errorf("%d CRDs left after make uninstall", n)
		}
	})
}

// installCRDs installs the CRDs in config/crd/bases, lists each kind once, and returns the CRDs' names.
//
// The listing stands in for a cluster's kube-controller-manager, whose garbage collector and quota
// controllers watch every kind soon after its CRD is established; envtest runs none. Without it, a
// kind nobody has read has no storage yet in the API server when `make uninstall` deletes its CRD, so
// the API server's CRD finalizer is the first reader: its list of the remaining instances fails with
// "storage is (re)initializing" while the new watch cache fills (KEP-4568), its retry reads a stale
// copy of the CRD and gets a conflict, which it drops, and the next event it sees changed only the
// Terminating condition, which it ignores. The CRD then stays Terminating, with
// "InstanceDeletionFailed: could not list instances: storage is (re)initializing", until the API
// server's 5-minute informer resync, and kubectl waits that long (operator-framework/operator-controller#1437).
func installCRDs(t *testing.T, cfg *rest.Config, k8s client.Client) []string {
	t.Helper()
	crds, err := envtest.InstallCRDs(cfg, envtest.CRDInstallOptions{Paths: []string{filepath.Join(repoRoot, "config", "crd", "bases")},
		ErrorIfPathMissing: true})
	if err != nil {
		t.Fatal(err)
	}
	names := make([]string, 0, len(crds))
	for _, crd := range crds {
		names = append(names, crd.Name)
		list := &unstructured.UnstructuredList{}
		list.SetGroupVersionKind(schema.GroupVersionKind{Group: crd.Spec.Group, Version: crd.Spec.Versions[0].Name, Kind: crd.Spec.Names.ListKind})
		// Until its watch cache is filled, the API server answers 429 "storage is (re)initializing".
		if err := testenv.Poll(testenv.PollInterval, 30*time.Second, func(ctx context.Context) (bool, string, error) {
			if err := k8s.List(ctx, list); err != nil {
				return false, err.Error(), nil
			}
			return true, "", nil
		}); err != nil {
			t.Fatalf("listing %s: %v", crd.Name, err)
		}
	}
	return names
}
