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

package main

import (
	"strings"
	"testing"
)

func obj(kind, name, ns string, extra map[string]any) map[string]any {
	md := map[string]any{"name": name, "labels": map[string]any{"app.kubernetes.io/name": "dirsync", "app.kubernetes.io/managed-by": "kustomize"}}
	if ns != "" {
		md["namespace"] = ns
	}
	o := map[string]any{"apiVersion": "v1", "kind": kind, "metadata": md}
	for k, v := range extra {
		o[k] = v
	}
	return o
}

// handWrittenObjects are config/default's objects that the chart renders by hand.
func handWrittenObjects() []map[string]any {
	var out []map[string]any
	for _, h := range handWritten {
		kind, name, _ := strings.Cut(h, "/")
		out = append(out, obj(kind, prefix+name, namespace, nil))
	}
	return out
}

func TestGenerate(t *testing.T) {
	binding := obj("RoleBinding", "dirsync-leader-election-rolebinding", namespace, map[string]any{
		"roleRef":  map[string]any{"kind": "Role", "name": "dirsync-leader-election-role"},
		"subjects": []any{map[string]any{"kind": "ServiceAccount", "name": "dirsync-controller-manager", "namespace": namespace}},
	})
	crd := obj("CustomResourceDefinition", "directories.dirsync.io", "", map[string]any{
		"spec": map[string]any{"description": "Uses {{ braces }} and names dirsync-controller-manager"},
	})
	crd["metadata"].(map[string]any)["annotations"] = map[string]any{"controller-gen.kubebuilder.io/version": "v0.23.0"}
	tests := []struct {
		name     string
		objs     []map[string]any
		path     string
		want     []string // substrings of the file
		wantNot  []string
		wantErr  string
		skipHand bool
	}{{
		name: "names, namespace and labels of another object are templated",
		objs: []map[string]any{binding, obj("Role", "dirsync-leader-election-role", namespace, nil)},
		path: "templates/generated/rolebinding_leader-election-rolebinding.yaml",
		want: []string{
			"  name: {{ include \"dirsync.fullname\" . }}-leader-election-rolebinding\n",
			"  namespace: {{ .Release.Namespace }}\n",
			"    {{- include \"dirsync.labels\" . | nindent 4 }}\n",
			"  name: {{ include \"dirsync.fullname\" . }}-leader-election-role\n",
			"  name: {{ include \"dirsync.fullname\" . }}-controller-manager\n",
		},
		wantNot: []string{"managed-by", "app.kubernetes.io/name", "dirsync-system"},
	}, {
		name: "a CRD is verbatim behind crds.install, kept with crds.keep, braces escaped",
		objs: []map[string]any{crd},
		path: "templates/crds/directories.dirsync.io.yaml",
		want: []string{
			"{{- if .Values.crds.install }}\n",
			"    {{- if .Values.crds.keep }}\n    helm.sh/resource-policy: keep\n    {{- end }}\n",
			`Uses {{ "{{" }} braces }} and names dirsync-controller-manager`,
			"  name: directories.dirsync.io\n",
			"{{- end }}\n",
		},
	}, {
		name: "a cluster-scoped kind that kustomize gave a namespace is written without one",
		objs: []map[string]any{obj("ValidatingAdmissionPolicyBinding", "dirsync-policy", namespace, map[string]any{
			"spec": map[string]any{"policyName": "dirsync-policy"},
		})},
		path:    "templates/generated/validatingadmissionpolicybinding_policy.yaml",
		want:    []string{"  policyName: {{ include \"dirsync.fullname\" . }}-policy\n"},
		wantNot: []string{"namespace"},
	}, {
		name:     "a hand-written object missing from config/default is an error",
		objs:     []map[string]any{binding},
		skipHand: true,
		wantErr:  "no longer renders dirsync-Namespace/system",
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			objs := tt.objs
			if !tt.skipHand {
				objs = append(objs, handWrittenObjects()...)
			}
			files, err := generate(objs)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			for path := range files {
				for _, h := range handWritten {
					if strings.Contains(path, strings.ToLower(strings.Split(h, "/")[0])+"_") && strings.Contains(path, strings.Split(h, "/")[1]+".yaml") {
						t.Errorf("hand-written %s was generated as %s", h, path)
					}
				}
			}
			got := string(files[tt.path])
			if got == "" {
				t.Fatalf("no %s among %d files", tt.path, len(files))
			}
			if !strings.HasPrefix(got, header) {
				t.Errorf("%s lacks the generated header", tt.path)
			}
			for _, w := range tt.want {
				if !strings.Contains(got, w) {
					t.Errorf("%s lacks %q:\n%s", tt.path, w, got)
				}
			}
			for _, w := range tt.wantNot {
				if strings.Contains(got, w) {
					t.Errorf("%s has %q:\n%s", tt.path, w, got)
				}
			}
		})
	}
}

func TestPrometheusRuleWrapsOnlyAGroupsFile(t *testing.T) {
	for _, tt := range []struct {
		in      string
		wantErr bool
	}{
		{in: "groups:\n- name: dirsync\n  rules: []\n"},
		{in: "groups: []\nextra: 1\n", wantErr: true},
		{in: "rules: []\n", wantErr: true},
	} {
		out, err := prometheusRule([]byte(tt.in))
		if (err != nil) != tt.wantErr {
			t.Errorf("prometheusRule(%q) error %v, want error %v", tt.in, err, tt.wantErr)
		}
		if err == nil && !strings.Contains(string(out), "kind: PrometheusRule") {
			t.Errorf("prometheusRule(%q) = %s", tt.in, out)
		}
	}
}
