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

// Package manifests checks what `kubectl apply -k config/default` installs and what the Dockerfile
// builds: a restricted pod, authenticated HTTPS metrics behind a NetworkPolicy, and least privilege.
package manifests

import (
	"bufio"
	"bytes"
	"os"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"sigs.k8s.io/yaml"

	"github.com/dirsync/dirsync/test/utils"
)

// rendered is config/default as kubectl renders it, split into documents, by kind.
type rendered struct {
	byKind map[string][][]byte
}

var (
	renderOnce sync.Once
	render     rendered
	renderErr  string
)

// manifests renders config/default with kubectl's built-in kustomize, once per test binary.
func manifests(t *testing.T) rendered {
	t.Helper()
	renderOnce.Do(func() {
		kubectl, err := exec.LookPath("kubectl")
		if err != nil {
			renderErr = "kubectl is not on PATH; these tests render config/default with `kubectl kustomize` (install kubectl ≥ 1.27)"
			return
		}
		// kubectl reads config/, not this test: open it here so that Go's test cache sees it and an
		// edit there (a wider Role) re-runs the package instead of replaying its last pass.
		if err := utils.OpenInputs("../../config"); err != nil {
			renderErr = "opening config/: " + err.Error()
			return
		}
		var stderr bytes.Buffer
		cmd := exec.Command(kubectl, "kustomize", "../../config/default")
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			renderErr = "kubectl kustomize ../../config/default: " + err.Error() + ": " + stderr.String()
			return
		}
		render = rendered{byKind: map[string][][]byte{}}
		for _, doc := range splitYAML(out) {
			var tm metav1.TypeMeta
			if err := yaml.Unmarshal(doc, &tm); err != nil || tm.Kind == "" {
				continue
			}
			render.byKind[tm.Kind] = append(render.byKind[tm.Kind], doc)
		}
	})
	if renderErr != "" {
		t.Fatal(renderErr)
	}
	return render
}

// splitYAML splits a multi-document YAML stream on its "---" lines.
func splitYAML(b []byte) [][]byte {
	var docs [][]byte
	var cur bytes.Buffer
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	for sc.Scan() {
		if strings.TrimSpace(sc.Text()) == "---" {
			docs = append(docs, bytes.Clone(cur.Bytes()))
			cur.Reset()
			continue
		}
		cur.Write(sc.Bytes())
		cur.WriteByte('\n')
	}
	return append(docs, cur.Bytes())
}

// decodeAll decodes every document of kind into T.
func decodeAll[T any](t *testing.T, r rendered, kind string) []T {
	t.Helper()
	var out []T
	for _, doc := range r.byKind[kind] {
		var v T
		if err := yaml.UnmarshalStrict(doc, &v); err != nil {
			t.Fatalf("decoding a %s: %v", kind, err)
		}
		out = append(out, v)
	}
	return out
}

// manager returns the manager Deployment and its manager container.
func manager(t *testing.T) (appsv1.Deployment, corev1.Container) {
	t.Helper()
	deps := decodeAll[appsv1.Deployment](t, manifests(t), "Deployment")
	if len(deps) != 1 {
		t.Fatalf("config/default renders %d Deployments, want 1 (the manager)", len(deps))
	}
	for _, c := range deps[0].Spec.Template.Spec.Containers {
		if c.Name == "manager" {
			return deps[0], c
		}
	}
	t.Fatalf("Deployment %s has no container named manager", deps[0].Name)
	return appsv1.Deployment{}, corev1.Container{}
}

func TestManagerPodRunsRestricted(t *testing.T) {
	dep, c := manager(t)
	pod := dep.Spec.Template.Spec.SecurityContext
	if pod == nil || pod.RunAsNonRoot == nil || !*pod.RunAsNonRoot {
		t.Errorf("pod securityContext.runAsNonRoot is not true: %+v", pod)
	}
	if pod == nil || pod.SeccompProfile == nil || pod.SeccompProfile.Type != corev1.SeccompProfileTypeRuntimeDefault {
		t.Errorf("pod securityContext.seccompProfile is not RuntimeDefault: %+v", pod)
	}
	sc := c.SecurityContext
	if sc == nil {
		t.Fatal("the manager container has no securityContext")
	}
	if sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem {
		t.Error("container securityContext.readOnlyRootFilesystem is not true")
	}
	if sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation {
		t.Error("container securityContext.allowPrivilegeEscalation is not false")
	}
	if sc.Privileged != nil && *sc.Privileged {
		t.Error("the manager container is privileged")
	}
	if sc.Capabilities == nil || !slices.Contains(sc.Capabilities.Drop, "ALL") || len(sc.Capabilities.Add) > 0 {
		t.Errorf("container capabilities = %+v, want drop [ALL] and nothing added", sc.Capabilities)
	}
	if spec := dep.Spec.Template.Spec; spec.HostNetwork || spec.HostPID || spec.HostIPC {
		t.Error("the manager pod shares a host namespace")
	}
}

func TestManagerServesMetricsOverHTTPSAndElectsALeader(t *testing.T) {
	_, c := manager(t)
	args := append(slices.Clone(c.Command), c.Args...)
	for _, want := range []string{"--metrics-bind-address=:8443", "--leader-elect"} {
		if !slices.Contains(args, want) {
			t.Errorf("manager args %v lack %s", args, want)
		}
	}
	for _, a := range args {
		for _, bad := range []string{"--metrics-secure=false", "--allow-insecure-endpoints", "--unpaced-providers", "--enable-http2"} {
			if a == bad || (strings.HasPrefix(a, bad+"=") && !strings.HasSuffix(a, "=false")) {
				t.Errorf("manager arg %s weakens a production default", a)
			}
		}
	}
}

func TestMetricsEndpointIsAuthenticatedAndFenced(t *testing.T) {
	r := manifests(t)
	dep, _ := manager(t)
	pods := dep.Spec.Template.Labels

	fenced := false
	for _, np := range decodeAll[networkingv1.NetworkPolicy](t, r, "NetworkPolicy") {
		sel, err := metav1.LabelSelectorAsSelector(&np.Spec.PodSelector)
		if err != nil || !sel.Matches(labels.Set(pods)) {
			continue
		}
		for _, in := range np.Spec.Ingress {
			for _, p := range in.Ports {
				fenced = fenced || (p.Port != nil && p.Port.IntValue() == 8443 && len(in.From) > 0)
			}
		}
	}
	if !fenced {
		t.Error("no NetworkPolicy selects the manager pod and limits who may reach port 8443")
	}

	roles := decodeAll[rbacv1.ClusterRole](t, r, "ClusterRole")
	if !slices.ContainsFunc(roles, func(cr rbacv1.ClusterRole) bool {
		return slices.ContainsFunc(cr.Rules, func(p rbacv1.PolicyRule) bool {
			return slices.Contains(p.NonResourceURLs, "/metrics") && slices.Contains(p.Verbs, "get")
		})
	}) {
		t.Error("no ClusterRole grants get on the non-resource URL /metrics (metrics-reader)")
	}

	sa := serviceAccount(dep)
	granted := grantedToServiceAccount(t, r, sa)
	for _, want := range []struct{ group, resource string }{
		{"authentication.k8s.io", "tokenreviews"}, {"authorization.k8s.io", "subjectaccessreviews"},
	} {
		if !slices.ContainsFunc(granted, func(p rbacv1.PolicyRule) bool {
			return slices.Contains(p.APIGroups, want.group) && slices.Contains(p.Resources, want.resource) && slices.Contains(p.Verbs, "create")
		}) {
			t.Errorf("the manager's ServiceAccount %s may not create %s.%s, so it cannot authenticate metrics scrapes",
				sa, want.resource, want.group)
		}
	}
}

// The webhook receiver (issue 23) listens on its own port, 8090, behind its own Service, and a
// NetworkPolicy admits to it only the namespaces labelled dirsync.io/webhook-receiver=enabled (the
// ingress controller's): the metrics policy selects the same pods, so without it nothing would reach it.
func TestReceiverIsServedAndFenced(t *testing.T) {
	r := manifests(t)
	dep, c := manager(t)
	if args := append(slices.Clone(c.Command), c.Args...); !slices.Contains(args, "--receiver-bind-address=:8090") {
		t.Errorf("manager args %v lack --receiver-bind-address=:8090", args)
	}
	if !slices.ContainsFunc(c.Ports, func(p corev1.ContainerPort) bool { return p.ContainerPort == 8090 }) {
		t.Errorf("the manager container declares no port 8090: %v", c.Ports)
	}
	served := false
	for _, svc := range decodeAll[corev1.Service](t, r, "Service") {
		if labels.SelectorFromSet(svc.Spec.Selector).Matches(labels.Set(dep.Spec.Template.Labels)) {
			served = served || slices.ContainsFunc(svc.Spec.Ports, func(p corev1.ServicePort) bool { return p.TargetPort.IntValue() == 8090 })
		}
	}
	if !served {
		t.Error("no Service sends traffic to the manager's port 8090")
	}
	var from []networkingv1.NetworkPolicyPeer
	for _, np := range decodeAll[networkingv1.NetworkPolicy](t, r, "NetworkPolicy") {
		for _, in := range np.Spec.Ingress {
			if slices.ContainsFunc(in.Ports, func(p networkingv1.NetworkPolicyPort) bool { return p.Port != nil && p.Port.IntValue() == 8090 }) {
				from = append(from, in.From...)
			}
		}
	}
	if len(from) != 1 || from[0].NamespaceSelector == nil || from[0].NamespaceSelector.MatchLabels["dirsync.io/webhook-receiver"] != "enabled" {
		t.Errorf("port 8090 is admitted from %+v; want only namespaces labelled dirsync.io/webhook-receiver=enabled", from)
	}
}

func TestManagerHasLeastPrivilege(t *testing.T) {
	r := manifests(t)
	dep, _ := manager(t)
	sa := serviceAccount(dep)
	rules := grantedToServiceAccount(t, r, sa)
	if len(rules) == 0 {
		t.Fatalf("no role is bound to the manager's ServiceAccount %s", sa)
	}
	var managerRole bool
	for _, cr := range decodeAll[rbacv1.ClusterRole](t, r, "ClusterRole") {
		managerRole = managerRole || strings.HasSuffix(cr.Name, "manager-role")
	}
	if !managerRole {
		t.Error("config/default renders no ClusterRole named *manager-role")
	}
	for _, p := range rules {
		for _, field := range [][]string{p.Verbs, p.Resources, p.APIGroups, p.NonResourceURLs} {
			if slices.Contains(field, "*") {
				t.Errorf("the manager is granted a wildcard: %+v", p)
			}
		}
		// Secrets: read, and create (the webhook token Secret a Directory owns, issue 23); never changed or
		// deleted (garbage collection deletes the token Secret with its Directory).
		if slices.Contains(p.APIGroups, "") && slices.Contains(p.Resources, "secrets") {
			for _, v := range p.Verbs {
				if v != "get" && v != "list" && v != "watch" && v != "create" {
					t.Errorf("the manager may %s Secrets; it only ever reads them and creates webhook token Secrets", v)
				}
			}
		}
	}
}

func TestDockerfileRunsAsNonRootOnDistroless(t *testing.T) {
	b, err := os.ReadFile("../../Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	var from, user string
	args := map[string]string{} // ARG NAME=default before the first FROM, which FROM may use
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) < 2 {
			continue
		}
		switch strings.ToUpper(f[0]) {
		case "ARG":
			if k, v, ok := strings.Cut(f[1], "="); ok && from == "" {
				args[k] = v
			}
		case "FROM":
			from, user = os.Expand(f[1], func(k string) string { return args[k] }), "" // a new stage; USER does not carry over
		case "USER":
			user = f[1]
		}
	}
	if !strings.HasPrefix(from, "gcr.io/distroless/static") || !strings.Contains(from, "nonroot") {
		t.Errorf("the final stage is FROM %s by default, want gcr.io/distroless/static:nonroot", from)
	}
	name := strings.SplitN(user, ":", 2)[0]
	if name == "" || name == "root" || name == "0" {
		t.Errorf("the final stage's USER is %q, want a non-root user such as 65532:65532", user)
	}
}

// serviceAccount is the namespaced name the manager pod runs as, "namespace/name".
func serviceAccount(dep appsv1.Deployment) string {
	name := dep.Spec.Template.Spec.ServiceAccountName
	if name == "" {
		name = "default"
	}
	return dep.Namespace + "/" + name
}

// grantedToServiceAccount returns every rule of every Role and ClusterRole bound to sa.
func grantedToServiceAccount(t *testing.T, r rendered, sa string) []rbacv1.PolicyRule {
	t.Helper()
	rulesOf := map[string][]rbacv1.PolicyRule{}
	for _, cr := range decodeAll[rbacv1.ClusterRole](t, r, "ClusterRole") {
		rulesOf["ClusterRole/"+cr.Name] = cr.Rules
	}
	for _, ro := range decodeAll[rbacv1.Role](t, r, "Role") {
		rulesOf["Role/"+ro.Namespace+"/"+ro.Name] = ro.Rules
	}
	bound := func(subjects []rbacv1.Subject, ns string) bool {
		return slices.ContainsFunc(subjects, func(s rbacv1.Subject) bool {
			sns := s.Namespace
			if sns == "" {
				sns = ns
			}
			return s.Kind == "ServiceAccount" && sns+"/"+s.Name == sa
		})
	}
	var out []rbacv1.PolicyRule
	for _, b := range decodeAll[rbacv1.ClusterRoleBinding](t, r, "ClusterRoleBinding") {
		if bound(b.Subjects, "") {
			out = append(out, rulesOf["ClusterRole/"+b.RoleRef.Name]...)
		}
	}
	for _, b := range decodeAll[rbacv1.RoleBinding](t, r, "RoleBinding") {
		if !bound(b.Subjects, b.Namespace) {
			continue
		}
		key := "Role/" + b.Namespace + "/" + b.RoleRef.Name
		if b.RoleRef.Kind == "ClusterRole" {
			key = "ClusterRole/" + b.RoleRef.Name
		}
		out = append(out, rulesOf[key]...)
	}
	return out
}
