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
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	dirsyncv1alpha1 "github.com/dirsync/dirsync/api/v1alpha1"
)

// The CRDs work with plain kubectl: `kubectl explain directory.spec` documents the fields,
// `kubectl get dirsync -A` lists all three kinds through the dirsync category, and
// `kubectl get du --field-selector spec.state=Inactive` filters on a selectable field. The objects
// are created directly (no manager), so only the API definitions are under test.
func TestKubectlExplainAndGetWork(t *testing.T) {
	ns := newNamespace(t, "e2e-kubectl-")
	ref := dirsyncv1alpha1.DirectoryReference{Name: "kubectl-dir"}
	objs := []client.Object{
		&dirsyncv1alpha1.Directory{
			ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: ref.Name},
			Spec: dirsyncv1alpha1.DirectorySpec{Provider: dirsyncv1alpha1.ProviderBreatheHR,
				CredentialsSecretRef: dirsyncv1alpha1.SecretKeyReference{Name: "absent"}},
		},
		&dirsyncv1alpha1.DirectoryUser{
			ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "kubectl-active"},
			Spec:       dirsyncv1alpha1.DirectoryUserSpec{DirectoryRef: ref, ExternalID: "1", State: dirsyncv1alpha1.UserStateActive},
		},
		&dirsyncv1alpha1.DirectoryUser{
			ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "kubectl-inactive"},
			Spec:       dirsyncv1alpha1.DirectoryUserSpec{DirectoryRef: ref, ExternalID: "2", State: dirsyncv1alpha1.UserStateInactive},
		},
		&dirsyncv1alpha1.DirectoryGroup{
			ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "kubectl-group"},
			Spec:       dirsyncv1alpha1.DirectoryGroupSpec{DirectoryRef: ref, ExternalID: "10"},
		},
	}
	for _, o := range objs {
		if err := k8s.Create(callCtx(t), o); err != nil {
			t.Fatalf("creating %T %s: %v", o, o.GetName(), err)
		}
	}

	explain := mustKubectl(t, "explain", "directory.spec")
	for _, field := range []string{"provider", "credentialsSecretRef"} {
		if !strings.Contains(explain, field) {
			t.Errorf("kubectl explain directory.spec does not mention %s:\n%s", field, explain)
		}
	}

	all := mustKubectl(t, "get", "dirsync", "-A", "-o", "name")
	for _, want := range []string{"directory.dirsync.io/kubectl-dir", "directoryuser.dirsync.io/kubectl-active",
		"directoryuser.dirsync.io/kubectl-inactive", "directorygroup.dirsync.io/kubectl-group"} {
		if !containsString(strings.Fields(all), want) {
			t.Errorf("kubectl get dirsync -A does not list %s:\n%s", want, all)
		}
	}

	inactive := strings.Fields(mustKubectl(t, "get", "du", "-n", ns, "--field-selector", "spec.state=Inactive", "-o", "name"))
	if len(inactive) != 1 || inactive[0] != "directoryuser.dirsync.io/kubectl-inactive" {
		t.Errorf("kubectl get du -n %s --field-selector spec.state=Inactive: %v; want only kubectl-inactive", ns, inactive)
	}
	// Across namespaces too, as the README's example runs it.
	if out := mustKubectl(t, "get", "du", "-A", "--field-selector", "spec.state=Inactive", "-o", "name"); strings.Contains(out, "kubectl-active") {
		t.Errorf("kubectl get du -A --field-selector spec.state=Inactive lists an Active user:\n%s", out)
	}
	// The printer columns of the table output.
	if out := mustKubectl(t, "get", "du", "-n", ns); !strings.Contains(out, "Inactive") || !strings.Contains(out, "STATE") {
		t.Errorf("kubectl get du -n %s has no STATE column:\n%s", ns, out)
	}
}
