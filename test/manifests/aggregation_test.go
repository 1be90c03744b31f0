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

package manifests

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	rbacv1 "k8s.io/api/rbac/v1"
	"sigs.k8s.io/yaml"
)

// The labels that fold a ClusterRole into the built-in roles people are bound to everywhere.
const (
	aggregateToEdit  = "rbac.authorization.k8s.io/aggregate-to-edit"
	aggregateToAdmin = "rbac.authorization.k8s.io/aggregate-to-admin"
)

// Issue 21: writing a Directory is the grant power of every DirectoryAccess on it, so no ClusterRole
// config/default installs that grants anything of dirsync.io aggregates into the built-in edit or
// admin. The viewer roles still aggregate into view. test/e2e TestBuiltInEditCannotChangeADirectoryUnlessTheChartAggregates shows
// the effect on a cluster.
func TestNoDirectoryRoleAggregatesIntoEditOrAdminByDefault(t *testing.T) {
	viewers := 0
	for _, cr := range decodeAll[rbacv1.ClusterRole](t, manifests(t), "ClusterRole") {
		if !grantsDirsync(cr) {
			continue
		}
		for _, l := range []string{aggregateToEdit, aggregateToAdmin} {
			if cr.Labels[l] == "true" {
				t.Errorf("ClusterRole %s has %s: everyone bound to the built-in role may then write what it grants", cr.Name, l)
			}
		}
		if cr.Labels["rbac.authorization.k8s.io/aggregate-to-view"] == "true" {
			viewers++
		}
	}
	if viewers == 0 {
		t.Error("no dirsync ClusterRole aggregates into view: the check above saw nothing")
	}
}

// config/aggregate-directory-roles, the component config/default names in a comment, puts the
// aggregation of the Directory editor and admin roles back, and nothing else.
func TestAggregateComponentPutsTheAggregationBack(t *testing.T) {
	kubectl, err := exec.LookPath("kubectl")
	if err != nil {
		t.Skip("kubectl is not on PATH")
	}
	config, err := filepath.Abs("../../config")
	if err != nil {
		t.Fatal(err)
	}
	overlay := t.TempDir()
	rel, err := filepath.Rel(overlay, config) // kustomize takes no absolute path to a base
	if err != nil {
		t.Fatal(err)
	}
	k := "resources:\n- " + filepath.Join(rel, "default") + "\ncomponents:\n- " + filepath.Join(rel, "aggregate-directory-roles") + "\n"
	if err := os.WriteFile(filepath.Join(overlay, "kustomization.yaml"), []byte(k), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(kubectl, "kustomize", overlay).CombinedOutput()
	if err != nil {
		t.Fatalf("kubectl kustomize with the component: %v: %s", err, out)
	}
	aggregated := map[string]string{}
	for _, doc := range splitYAML(out) {
		if !strings.Contains(string(doc), "kind: ClusterRole\n") {
			continue
		}
		var cr rbacv1.ClusterRole
		if err := yaml.Unmarshal(doc, &cr); err != nil {
			t.Fatal(err)
		}
		for _, l := range []string{aggregateToEdit, aggregateToAdmin} {
			if cr.Labels[l] == "true" && grantsDirsync(cr) {
				aggregated[cr.Name] = l
			}
		}
	}
	want := map[string]string{"dirsync-directory-editor-role": aggregateToEdit, "dirsync-directory-admin-role": aggregateToAdmin}
	if len(aggregated) != len(want) || aggregated["dirsync-directory-editor-role"] != aggregateToEdit || aggregated["dirsync-directory-admin-role"] != aggregateToAdmin {
		t.Errorf("with the component, these dirsync roles aggregate into edit or admin: %v; want %v", aggregated, want)
	}
}

// grantsDirsync reports whether cr grants anything of dirsync.io.
func grantsDirsync(cr rbacv1.ClusterRole) bool {
	for _, r := range cr.Rules {
		for _, g := range r.APIGroups {
			if g == "dirsync.io" || g == "*" {
				return true
			}
		}
	}
	return false
}
