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
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"
)

// config/default with its [PROMETHEUS] line uncommented: the ServiceMonitor scrapes with the token of
// scraper.yaml's ServiceAccount, whose names kustomize does not rewrite inside a ServiceMonitor or an
// annotation, so they are written out with config/default's prefix; this checks they meet.
func TestServiceMonitorScrapesWithTheScrapersToken(t *testing.T) {
	kubectl, err := exec.LookPath("kubectl")
	if err != nil {
		t.Fatal("kubectl is not on PATH")
	}
	dir := t.TempDir()
	if err := os.CopyFS(filepath.Join(dir, "config"), os.DirFS("../../config")); err != nil {
		t.Fatal(err)
	}
	k := filepath.Join(dir, "config", "default", "kustomization.yaml")
	b, err := os.ReadFile(k)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(b, []byte("\n#- ../prometheus\n")) {
		t.Fatal("config/default/kustomization.yaml has no commented-out `#- ../prometheus` line to enable")
	}
	if err := os.WriteFile(k, bytes.ReplaceAll(b, []byte("\n#- ../prometheus\n"), []byte("\n- ../prometheus\n")), 0o600); err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	cmd := exec.Command(kubectl, "kustomize", filepath.Join(dir, "config", "default"))
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("kubectl kustomize: %v\n%s", err, stderr.String())
	}
	objs := map[string]map[string]any{}
	for _, doc := range splitYAML(out) {
		var o map[string]any
		var id struct {
			Kind     string            `json:"kind"`
			Metadata metav1.ObjectMeta `json:"metadata"`
		}
		if err := yaml.Unmarshal(doc, &o); err != nil || o == nil {
			continue
		}
		if err := yaml.Unmarshal(doc, &id); err != nil {
			t.Fatal(err)
		}
		objs[id.Kind+"/"+id.Metadata.Name] = o
	}
	sm := objs["ServiceMonitor/dirsync-controller-manager-metrics-monitor"]
	if sm == nil {
		t.Fatalf("no ServiceMonitor; rendered %d objects", len(objs))
	}
	eps, _ := sm["spec"].(map[string]any)["endpoints"].([]any)
	ep, _ := eps[0].(map[string]any)
	if _, ok := ep["bearerTokenFile"]; ok {
		t.Error("the ServiceMonitor uses the deprecated bearerTokenFile")
	}
	auth, _ := ep["authorization"].(map[string]any)
	creds, _ := auth["credentials"].(map[string]any)
	secretName, _ := creds["name"].(string)
	so := objs["Secret/"+secretName]
	if so == nil {
		t.Fatalf("the ServiceMonitor's token Secret %q is not rendered", secretName)
	}
	sb, _ := yaml.Marshal(so)
	var secret corev1.Secret
	if err := yaml.Unmarshal(sb, &secret); err != nil {
		t.Fatal(err)
	}
	sa := secret.Annotations[corev1.ServiceAccountNameKey]
	if secret.Type != corev1.SecretTypeServiceAccountToken || objs["ServiceAccount/"+sa] == nil || creds["key"] != "token" {
		t.Fatalf("Secret %s: type %s for ServiceAccount %q (rendered: %v), key %v", secretName, secret.Type, sa, objs["ServiceAccount/"+sa] != nil, creds["key"])
	}
	var bound []string
	for key, o := range objs {
		if !strings.HasPrefix(key, "ClusterRoleBinding/") && !strings.HasPrefix(key, "RoleBinding/") {
			continue
		}
		bb, _ := yaml.Marshal(o)
		var crb rbacv1.ClusterRoleBinding
		if err := yaml.Unmarshal(bb, &crb); err != nil {
			t.Fatal(err)
		}
		for _, s := range crb.Subjects {
			if s.Kind == rbacv1.ServiceAccountKind && s.Name == sa {
				bound = append(bound, crb.RoleRef.Name)
			}
		}
	}
	if len(bound) != 1 || bound[0] != "dirsync-metrics-reader" {
		t.Errorf("ServiceAccount %s is bound to %v; want dirsync-metrics-reader only", sa, bound)
	}
}
