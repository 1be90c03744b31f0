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

// Package chart tests the Helm chart in dist/chart with the pinned helm (bin/helm, `make helm`;
// HELM overrides): it lints, it renders with default values exactly what `kubectl kustomize
// config/default` renders, and its values do what values.yaml says.
package chart

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"sigs.k8s.io/yaml"

	"github.com/dirsync/dirsync/test/utils"
)

const (
	chartDir  = "../../dist/chart"
	configDir = "../../config"
	release   = "dirsync"
	namespace = "dirsync-system" // config/default's
)

// object is one rendered object.
type object map[string]any

func (o object) kind() string { s, _ := o["kind"].(string); return s }
func (o object) meta() map[string]any {
	m, _ := o["metadata"].(map[string]any)
	return m
}
func (o object) name() string      { s, _ := o.meta()["name"].(string); return s }
func (o object) namespace() string { s, _ := o.meta()["namespace"].(string); return s }
func (o object) key() string       { return o.kind() + " " + o.namespace() + "/" + o.name() }

// hook is the object's helm.sh/hook annotation: Helm runs such an object at a point of the release's
// life (the uninstall check before a delete) instead of installing it with the rest.
func (o object) hook() string {
	ann, _ := o.meta()["annotations"].(map[string]any)
	s, _ := ann["helm.sh/hook"].(string)
	return s
}

// clusterScoped are the cluster-scoped kinds that kubectl's kustomize gives a namespace anyway
// (it does not know them); the chart leaves it off, so the comparison drops it on config/'s side.
var clusterScoped = []string{"ValidatingAdmissionPolicy", "ValidatingAdmissionPolicyBinding",
	"MutatingAdmissionPolicy", "MutatingAdmissionPolicyBinding"}

// into decodes the object into a typed API object.
func into[T any](t *testing.T, o object) T {
	t.Helper()
	var v T
	b, err := yaml.Marshal(o)
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.UnmarshalStrict(b, &v); err != nil {
		t.Fatalf("decoding %s: %v", o.key(), err)
	}
	return v
}

// helm is the pinned helm binary.
func helm(t *testing.T) string {
	t.Helper()
	bin := os.Getenv("HELM")
	if bin == "" {
		bin = "../../bin/helm"
	}
	if _, err := os.Stat(bin); err != nil {
		t.Fatalf("no helm at %s (%v): run `make helm`, or `make test`, which builds it; HELM=path overrides", bin, err)
	}
	return bin
}

// run runs a command that reads dist/chart or config/ (helm, kubectl kustomize) and returns its output.
func run(t *testing.T, name string, args ...string) []byte {
	t.Helper()
	// The command reads those files, not this test: open them here so that Go's test cache sees them
	// and an edit there re-runs the package instead of replaying its last pass.
	if err := utils.OpenInputs(chartDir, configDir); err != nil {
		t.Fatalf("opening the chart and config/: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s%s", filepath.Base(name), strings.Join(args, " "), err, out, stderr.String())
	}
	return out
}

// decode splits a YAML stream into objects.
func decode(t *testing.T, stream []byte) []object {
	t.Helper()
	var objs []object
	for _, doc := range regexp.MustCompile(`(?m)^---\s*$`).Split(string(stream), -1) {
		if strings.TrimSpace(doc) == "" {
			continue
		}
		var o object
		if err := yaml.Unmarshal([]byte(doc), &o); err != nil {
			t.Fatalf("decoding %q: %v", doc, err)
		}
		if o != nil {
			objs = append(objs, o)
		}
	}
	return objs
}

// kubeVersion is the Kubernetes version helm renders for (the chart's kubeVersion constraint is
// checked against it): the control plane's, as the Makefile exports it. A helm built with go
// install would otherwise assume v1.20.
func kubeVersion() string {
	if v := os.Getenv("ENVTEST_K8S_VERSION"); v != "" {
		return "v" + strings.TrimPrefix(v, "v")
	}
	return "v1.37.2"
}

// render runs helm template with the release name and args (--set …, -f …).
func render(t *testing.T, releaseName string, args ...string) []object {
	t.Helper()
	return decode(t, run(t, helm(t), append([]string{"template", releaseName, chartDir, "--namespace", namespace,
		"--kube-version", kubeVersion()}, args...)...))
}

// helmOnly are the keys Helm's labels and annotations add that config/ does not have.
var helmOnly = []string{
	"helm.sh/chart", "app.kubernetes.io/managed-by", "app.kubernetes.io/instance", "app.kubernetes.io/version",
	"app.kubernetes.io/name", "helm.sh/resource-policy",
}

// normalize drops, anywhere in v, the label and annotation keys that only say who installed an
// object (Helm or kustomize), and the maps left empty. Selectors are checked against pod labels in
// TestChartValues, so dropping app.kubernetes.io/name and instance there loses nothing.
func normalize(v any) any {
	switch t := v.(type) {
	case map[string]any:
		out := map[string]any{}
		for k, e := range t {
			if slices.Contains(helmOnly, k) {
				continue
			}
			e = normalize(e)
			if m, ok := e.(map[string]any); ok && len(m) == 0 && (k == "labels" || k == "annotations" || k == "matchLabels") {
				continue
			}
			out[k] = e
		}
		return out
	case []any:
		out := make([]any, len(t))
		for i, e := range t {
			out[i] = normalize(e)
		}
		return out
	default:
		return v
	}
}

func TestHelmLint(t *testing.T) {
	for _, tt := range []struct{ name, values string }{
		{name: "default values"},
		{name: "every option", values: filepath.Join(chartDir, "ci", "all-values.yaml")},
	} {
		t.Run(tt.name, func(t *testing.T) {
			args := []string{"lint", "--strict", chartDir, "--namespace", namespace, "--kube-version", kubeVersion()}
			if tt.values != "" {
				args = append(args, "-f", tt.values)
			}
			run(t, helm(t), args...)
		})
	}
}

// With default values and release "dirsync" in dirsync-system, the chart installs the objects of
// config/default, field by field, apart from who-installed-it labels and the Namespace (Helm leaves
// it to --create-namespace). Hooks are not installed objects (the uninstall check runs only on
// `helm uninstall`; TestUninstallCheckHook checks it). A new object, rule, flag or field in config/
// fails this until the chart has it (most of it arrives through `make chart`).
func TestChartRendersWhatConfigDefaultInstalls(t *testing.T) {
	want := map[string]object{}
	for _, o := range decode(t, run(t, "kubectl", "kustomize", filepath.Join(configDir, "default"))) {
		if o.kind() == "Namespace" {
			continue
		}
		if slices.Contains(clusterScoped, o.kind()) {
			delete(o.meta(), "namespace")
		}
		want[o.key()] = o
	}
	got := map[string]object{}
	for _, o := range render(t, release) {
		if o.hook() == "" {
			got[o.key()] = o
		}
	}
	if len(want) < 10 {
		t.Fatalf("config/default renders only %d objects; the comparison would prove little", len(want))
	}
	for key, w := range want {
		g, ok := got[key]
		if !ok {
			t.Errorf("the chart does not render %s, which config/default does (run make chart; for a Deployment, "+
				"Service, ServiceAccount, NetworkPolicy or the manager's binding, edit dist/chart/templates)", key)
			continue
		}
		if d := cmp.Diff(normalize(map[string]any(w)), normalize(map[string]any(g))); d != "" {
			t.Errorf("%s differs between config/default (-) and the chart (+):\n%s", key, d)
		}
	}
	for key := range got {
		if _, ok := want[key]; !ok {
			t.Errorf("the chart renders %s with default values, which config/default does not", key)
		}
	}
}

// rendered is one render's objects, by kind.
type rendered []object

func (r rendered) all(kind string) []object {
	var out []object
	for _, o := range r {
		if o.kind() == kind {
			out = append(out, o)
		}
	}
	return out
}

func (r rendered) deployment(t *testing.T) (appsv1.Deployment, corev1.Container) {
	t.Helper()
	deps := r.all("Deployment")
	if len(deps) != 1 {
		t.Fatalf("%d Deployments rendered, want 1", len(deps))
	}
	d := into[appsv1.Deployment](t, deps[0])
	for _, c := range d.Spec.Template.Spec.Containers {
		if c.Name == "manager" {
			return d, c
		}
	}
	t.Fatal("no manager container")
	return d, corev1.Container{}
}

// checkInvariants holds for every set of values: every reference resolves, selectors select the
// manager's pods, the pod runs restricted, and names fit.
func checkInvariants(t *testing.T, r rendered) {
	t.Helper()
	dep, c := r.deployment(t)
	pods := labels.Set(dep.Spec.Template.Labels)
	sel, err := metav1.LabelSelectorAsSelector(dep.Spec.Selector)
	if err != nil || !sel.Matches(pods) {
		t.Errorf("the Deployment's selector %v does not select its pods %v", dep.Spec.Selector, pods)
	}
	for _, o := range r.all("Service") {
		s := into[corev1.Service](t, o)
		if !labels.SelectorFromSet(s.Spec.Selector).Matches(pods) {
			t.Errorf("Service %s selects %v, not the manager's pods %v", s.Name, s.Spec.Selector, pods)
		}
	}
	for _, o := range r.all("NetworkPolicy") {
		if ps, _ := o["spec"].(map[string]any)["podSelector"].(map[string]any); ps != nil {
			ml, _ := ps["matchLabels"].(map[string]any)
			for k, v := range ml {
				if pods[k] != v {
					t.Errorf("NetworkPolicy %s selects %s=%v, which the manager's pods lack", o.name(), k, v)
				}
			}
		}
	}
	sc := dep.Spec.Template.Spec.SecurityContext
	if sc == nil || sc.RunAsNonRoot == nil || !*sc.RunAsNonRoot || sc.SeccompProfile == nil ||
		c.SecurityContext == nil || c.SecurityContext.ReadOnlyRootFilesystem == nil || !*c.SecurityContext.ReadOnlyRootFilesystem ||
		c.SecurityContext.AllowPrivilegeEscalation == nil || *c.SecurityContext.AllowPrivilegeEscalation ||
		c.SecurityContext.Capabilities == nil || !slices.Contains(c.SecurityContext.Capabilities.Drop, "ALL") {
		t.Errorf("the manager pod is not restricted: pod %+v, container %+v", sc, c.SecurityContext)
	}

	accounts := map[string]bool{}
	for _, o := range r.all("ServiceAccount") {
		accounts[o.namespace()+"/"+o.name()] = true
	}
	if !accounts[dep.Namespace+"/"+dep.Spec.Template.Spec.ServiceAccountName] {
		t.Errorf("the Deployment runs as ServiceAccount %s, which the chart does not render", dep.Spec.Template.Spec.ServiceAccountName)
	}
	roles := map[string]bool{}
	for _, o := range r.all("ClusterRole") {
		roles["ClusterRole/"+o.name()] = true
	}
	for _, o := range r.all("Role") {
		roles["Role/"+o.namespace()+"/"+o.name()] = true
	}
	check := func(where string, ref rbacv1.RoleRef, subjects []rbacv1.Subject, ns string) {
		key := "ClusterRole/" + ref.Name
		if ref.Kind == "Role" {
			key = "Role/" + ns + "/" + ref.Name
		}
		if !roles[key] {
			t.Errorf("%s refers to %s, which the chart does not render", where, key)
		}
		for _, s := range subjects {
			if s.Kind == rbacv1.ServiceAccountKind && !accounts[s.Namespace+"/"+s.Name] {
				t.Errorf("%s binds ServiceAccount %s/%s, which the chart does not render", where, s.Namespace, s.Name)
			}
		}
	}
	for _, o := range r.all("ClusterRoleBinding") {
		b := into[rbacv1.ClusterRoleBinding](t, o)
		check("ClusterRoleBinding "+b.Name, b.RoleRef, b.Subjects, "")
	}
	for _, o := range r.all("RoleBinding") {
		b := into[rbacv1.RoleBinding](t, o)
		check("RoleBinding "+b.Namespace+"/"+b.Name, b.RoleRef, b.Subjects, b.Namespace)
	}
	for _, o := range r {
		if n := len(o.name()); n > 63 && o.kind() != "CustomResourceDefinition" {
			t.Errorf("%s: name of %d characters, over 63", o.key(), n)
		}
	}
}

func args(c corev1.Container) []string { return append(slices.Clone(c.Command), c.Args...) }

// managerBinding reports how the manager ClusterRole is bound: cluster-wide, or in which namespaces.
func managerBinding(t *testing.T, r rendered, fullname string) (clusterWide bool, namespaces []string) {
	t.Helper()
	for _, o := range r.all("ClusterRoleBinding") {
		if into[rbacv1.ClusterRoleBinding](t, o).RoleRef.Name == fullname+"-manager-role" {
			clusterWide = true
		}
	}
	for _, o := range r.all("RoleBinding") {
		if b := into[rbacv1.RoleBinding](t, o); b.RoleRef.Name == fullname+"-manager-role" {
			namespaces = append(namespaces, b.Namespace)
		}
	}
	slices.Sort(namespaces)
	return clusterWide, namespaces
}

func TestChartValues(t *testing.T) {
	rules, err := os.ReadFile(filepath.Join(configDir, "prometheus", "rules.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	dashboard, err := os.ReadFile(filepath.Join(configDir, "grafana", "dirsync.json"))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		release string
		args    []string
		check   func(t *testing.T, r rendered)
	}{{
		name: "defaults: cluster-wide, one replica electing a leader, secure metrics, no monitoring objects",
		check: func(t *testing.T, r rendered) {
			_, c := r.deployment(t)
			if cw, ns := managerBinding(t, r, release); !cw || len(ns) > 0 {
				t.Errorf("manager role bound cluster-wide %v, in namespaces %v; want cluster-wide only", cw, ns)
			}
			for _, want := range []string{"--leader-elect", "--metrics-bind-address=:8443"} {
				if !slices.Contains(args(c), want) {
					t.Errorf("args %v lack %s", args(c), want)
				}
			}
			for _, a := range args(c) {
				if strings.HasPrefix(a, "--allow-insecure-endpoints") || strings.HasPrefix(a, "--watch-namespace") || strings.HasPrefix(a, "--max-users-per-directory") ||
					strings.HasPrefix(a, "--allowed-endpoint-hosts") {
					t.Errorf("default args have %s", a)
				}
			}
			for _, kind := range []string{"ServiceMonitor", "PrometheusRule", "ConfigMap"} {
				if n := len(r.all(kind)); n != 0 {
					t.Errorf("%d %s rendered by default", n, kind)
				}
			}
			if n := len(r.all("CustomResourceDefinition")); n < 3 {
				t.Errorf("%d CRDs rendered, want every one", n)
			}
			for _, o := range r.all("CustomResourceDefinition") {
				if ann, _ := o.meta()["annotations"].(map[string]any); ann["helm.sh/resource-policy"] != "keep" {
					t.Errorf("CRD %s is not kept on uninstall: annotations %v", o.name(), ann)
				}
			}
		},
	}, {
		name: "watchNamespaces: RoleBindings in those namespaces only, and --watch-namespace",
		args: []string{"--set", "watchNamespaces={hr,finance}"},
		check: func(t *testing.T, r rendered) {
			cw, ns := managerBinding(t, r, release)
			if cw || !slices.Equal(ns, []string{"finance", "hr"}) {
				t.Errorf("manager role bound cluster-wide %v, in namespaces %v; want RoleBindings in finance and hr only", cw, ns)
			}
			if _, c := r.deployment(t); !slices.Contains(args(c), "--watch-namespace=hr,finance") {
				t.Errorf("args %v lack --watch-namespace=hr,finance", args(c))
			}
		},
	}, {
		name: "more than one replica elects a leader even when leaderElection.enabled is false",
		args: []string{"--set", "replicas=3", "--set", "leaderElection.enabled=false"},
		check: func(t *testing.T, r rendered) {
			d, c := r.deployment(t)
			if d.Spec.Replicas == nil || *d.Spec.Replicas != 3 || !slices.Contains(args(c), "--leader-elect") {
				t.Errorf("replicas %v, args %v; want 3 replicas with --leader-elect", d.Spec.Replicas, args(c))
			}
		},
	}, {
		name: "one replica may run without leader election",
		args: []string{"--set", "leaderElection.enabled=false"},
		check: func(t *testing.T, r rendered) {
			if _, c := r.deployment(t); slices.Contains(args(c), "--leader-elect") {
				t.Errorf("args %v have --leader-elect", args(c))
			}
		},
	}, {
		name: "manager flags, insecure endpoints, allowed hosts, image and resources",
		args: []string{"--set", "manager.kubeAPIQPS=200", "--set", "manager.kubeAPIBurst=400", "--set", "manager.maxConcurrentSyncs=4",
			"--set", "manager.syncWriteWorkers=16", "--set", "manager.providerRequestTimeout=2m", "--set", "manager.allowInsecureEndpoints=true",
			"--set", "manager.maxUsersPerDirectory=20000", "--set", "manager.allowedEndpointHosts={hr-proxy.corp.example:8443,127.0.0.1}",
			"--set", "manager.extraArgs={--zap-log-level=debug}", "--set", "image.repository=ghcr.io/example/dirsync",
			"--set", "image.tag=v1.2.3", "--set", "resources.limits.memory=1Gi"},
		check: func(t *testing.T, r rendered) {
			_, c := r.deployment(t)
			for _, want := range []string{"--kube-api-qps=200", "--kube-api-burst=400", "--max-concurrent-syncs=4", "--sync-write-workers=16",
				"--provider-request-timeout=2m", "--allow-insecure-endpoints", "--max-users-per-directory=20000",
				"--allowed-endpoint-hosts=hr-proxy.corp.example:8443,127.0.0.1", "--zap-log-level=debug"} {
				if !slices.Contains(args(c), want) {
					t.Errorf("args %v lack %s", args(c), want)
				}
			}
			if c.Image != "ghcr.io/example/dirsync:v1.2.3" {
				t.Errorf("image %q", c.Image)
			}
			if got := c.Resources.Limits.Memory().String(); got != "1Gi" {
				t.Errorf("memory limit %s, want 1Gi", got)
			}
		},
	}, {
		name: "metrics off: no metrics Service, no NetworkPolicy for :8443, no :8443",
		args: []string{"--set", "metrics.enabled=false", "--set", "metrics.serviceMonitor.enabled=true"},
		check: func(t *testing.T, r rendered) {
			for _, o := range r.all("Service") {
				if strings.Contains(o.name(), "metrics") {
					t.Errorf("Service %s rendered with metrics off", o.name())
				}
			}
			if np := policyFor(t, r, 8443); np != nil {
				t.Errorf("NetworkPolicy %s for :8443 rendered with metrics off", np.Name)
			}
			if n := len(r.all("ServiceMonitor")); n != 0 {
				t.Errorf("%d ServiceMonitor rendered with metrics off", n)
			}
			_, c := r.deployment(t)
			if !slices.Contains(args(c), "--metrics-bind-address=0") || slices.ContainsFunc(c.Ports, func(p corev1.ContainerPort) bool { return p.ContainerPort == 8443 }) {
				t.Errorf("args %v, ports %v; want metrics off", args(c), c.Ports)
			}
		},
	}, {
		name: "monitoring on: a ServiceMonitor keeping the namespace label, the alerts and the dashboard of config/",
		args: []string{"--set", "metrics.serviceMonitor.enabled=true", "--set", "metrics.serviceMonitor.insecureSkipVerify=true",
			"--set", "prometheusRule.enabled=true", "--set", "grafanaDashboard.enabled=true"},
		check: func(t *testing.T, r rendered) {
			sms := r.all("ServiceMonitor")
			if len(sms) != 1 {
				t.Fatalf("%d ServiceMonitors", len(sms))
			}
			eps, _ := sms[0]["spec"].(map[string]any)["endpoints"].([]any)
			if len(eps) != 1 || eps[0].(map[string]any)["honorLabels"] != true {
				t.Errorf("ServiceMonitor endpoints %v: want one with honorLabels: true (the metrics' own namespace label)", eps)
			}
			for _, deprecated := range []string{"bearerTokenFile", "bearerTokenSecret"} {
				if _, ok := eps[0].(map[string]any)[deprecated]; ok {
					t.Errorf("the ServiceMonitor uses the deprecated %s: %v", deprecated, eps[0])
				}
			}
			prs := r.all("PrometheusRule")
			if len(prs) != 1 {
				t.Fatalf("%d PrometheusRules", len(prs))
			}
			var want map[string]any
			if err := yaml.Unmarshal(rules, &want); err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(want, prs[0]["spec"]); d != "" {
				t.Errorf("PrometheusRule spec differs from config/prometheus/rules.yaml (-want +got):\n%s", d)
			}
			cms := r.all("ConfigMap")
			if len(cms) != 1 {
				t.Fatalf("%d ConfigMaps", len(cms))
			}
			data, _ := cms[0]["data"].(map[string]any)
			if got, _ := data["dirsync.json"].(string); strings.TrimSpace(got) != strings.TrimSpace(string(dashboard)) {
				t.Error("the dashboard ConfigMap does not hold config/grafana/dirsync.json")
			}
		},
	}, {
		name: "rbac.aggregateDirectoryRoles: the Directory editor and admin roles aggregate into edit and admin; by default into nothing",
		args: []string{"--set", "rbac.aggregateDirectoryRoles=true"},
		check: func(t *testing.T, r rendered) {
			want := map[string]string{release + "-directory-editor-role": "rbac.authorization.k8s.io/aggregate-to-edit",
				release + "-directory-admin-role": "rbac.authorization.k8s.io/aggregate-to-admin"}
			for value, roles := range map[string]rendered{"true": r, "false (the default)": rendered(render(t, release))} {
				for name, label := range want {
					got := "absent"
					for _, o := range roles.all("ClusterRole") {
						if o.name() == name {
							if v, ok := into[rbacv1.ClusterRole](t, o).Labels[label]; ok {
								got = v
							}
						}
					}
					if (got == "true") != (value == "true") {
						t.Errorf("with rbac.aggregateDirectoryRoles=%s, ClusterRole %s has %s: %s", value, name, label, got)
					}
				}
			}
		},
	}, {
		name: "CRDs managed elsewhere",
		args: []string{"--set", "crds.install=false"},
		check: func(t *testing.T, r rendered) {
			if n := len(r.all("CustomResourceDefinition")); n != 0 {
				t.Errorf("%d CRDs rendered with crds.install=false", n)
			}
		},
	}, {
		name:    "another release name prefixes every name and keeps every reference",
		release: "hr",
		check: func(t *testing.T, r rendered) {
			for _, o := range r {
				if o.kind() != "CustomResourceDefinition" && !strings.HasPrefix(o.name(), "hr-dirsync-") {
					t.Errorf("%s is not prefixed hr-dirsync-", o.key())
				}
			}
		},
	}, {
		name: "every option at once (ci/all-values.yaml)",
		args: []string{"-f", filepath.Join(chartDir, "ci", "all-values.yaml")},
		check: func(t *testing.T, r rendered) {
			if cw, ns := managerBinding(t, r, release); cw || len(ns) != 2 {
				t.Errorf("manager role bound cluster-wide %v, in %v", cw, ns)
			}
		},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rel := tt.release
			if rel == "" {
				rel = release
			}
			r := rendered(render(t, rel, tt.args...))
			checkInvariants(t, r)
			tt.check(t, r)
		})
	}
}
