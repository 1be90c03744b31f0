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

package chart

import (
	"slices"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
)

// The webhook receiver (issue 23): on by default behind its own Service and NetworkPolicy; exposed, when
// asked, only over TLS and only under /hook/, by an Ingress or an HTTPRoute; off, nothing of it at all.
func TestReceiverValues(t *testing.T) {
	hasPort := func(c corev1.Container) bool {
		return slices.ContainsFunc(c.Ports, func(p corev1.ContainerPort) bool { return p.ContainerPort == 8090 && p.Name == "webhook" })
	}
	t.Run("defaults: the receiver on :8090, its Service and NetworkPolicy, nothing exposed", func(t *testing.T) {
		r := rendered(render(t, release))
		checkInvariants(t, r)
		if _, c := r.deployment(t); !slices.Contains(args(c), "--receiver-bind-address=:8090") || !hasPort(c) {
			t.Errorf("args %v, ports %v; want --receiver-bind-address=:8090 and the webhook port", args(c), c.Ports)
		}
		svc := receiverService(t, r)
		if len(svc.Spec.Ports) != 1 || svc.Spec.Ports[0].Port != 8090 || svc.Spec.Ports[0].Name != "webhook" {
			t.Errorf("Service ports %+v; want webhook 8090 only", svc.Spec.Ports)
		}
		np := policyFor(t, r, 8090)
		if np == nil || np.Spec.Ingress[0].From[0].NamespaceSelector.MatchLabels["dirsync.io/webhook-receiver"] != "enabled" {
			t.Errorf("NetworkPolicy for :8090: %+v; want one admitting namespaces labelled dirsync.io/webhook-receiver=enabled", np)
		}
		for _, kind := range []string{"Ingress", "HTTPRoute"} {
			if n := len(r.all(kind)); n != 0 {
				t.Errorf("%d %s rendered by default", n, kind)
			}
		}
	})
	t.Run("an Ingress: TLS, one host, only /hook/ to the receiver", func(t *testing.T) {
		r := rendered(render(t, release, "--set", "receiver.ingress.enabled=true", "--set", "receiver.ingress.host=hooks.example.com",
			"--set", "receiver.ingress.tls.secretName=hooks-tls", "--set", "receiver.ingress.className=nginx"))
		checkInvariants(t, r)
		ings := r.all("Ingress")
		if len(ings) != 1 {
			t.Fatalf("%d Ingresses", len(ings))
		}
		ing := into[networkingv1.Ingress](t, ings[0])
		if len(ing.Spec.TLS) != 1 || ing.Spec.TLS[0].SecretName != "hooks-tls" || !slices.Equal(ing.Spec.TLS[0].Hosts, []string{"hooks.example.com"}) {
			t.Errorf("TLS %+v; want hooks-tls for hooks.example.com", ing.Spec.TLS)
		}
		if ing.Spec.DefaultBackend != nil || len(ing.Spec.Rules) != 1 || ing.Spec.Rules[0].Host != "hooks.example.com" ||
			ing.Spec.IngressClassName == nil || *ing.Spec.IngressClassName != "nginx" {
			t.Fatalf("Ingress spec %+v; want one rule for hooks.example.com, class nginx, no default backend", ing.Spec)
		}
		paths := ing.Spec.Rules[0].HTTP.Paths
		if len(paths) != 1 || paths[0].Path != "/hook/" || paths[0].PathType == nil || *paths[0].PathType != networkingv1.PathTypePrefix ||
			paths[0].Backend.Service == nil || paths[0].Backend.Service.Name != receiverService(t, r).Name || paths[0].Backend.Service.Port.Name != "webhook" {
			t.Errorf("paths %+v; want only the Prefix /hook/ to the receiver's webhook port", paths)
		}
	})
	t.Run("an Ingress without TLS or host: a clear refusal", func(t *testing.T) {
		for flag, want := range map[string]string{
			"receiver.ingress.host=hooks.example.com": "receiver.ingress.tls.secretName is required",
			"receiver.ingress.tls.secretName=x":       "receiver.ingress.host is required",
		} {
			out := helmFails(t, "template", release, chartDir, "--namespace", namespace, "--kube-version", kubeVersion(),
				"--set", "receiver.ingress.enabled=true", "--set", flag)
			if !strings.Contains(out, want) {
				t.Errorf("with %s the refusal does not say %q:\n%s", flag, want, out)
			}
		}
	})
	t.Run("an HTTPRoute: attached where asked, only /hook/ to the receiver", func(t *testing.T) {
		r := rendered(render(t, release, "--set", "receiver.httpRoute.enabled=true", "--set", "receiver.httpRoute.parentRefs[0].name=public",
			"--set", "receiver.httpRoute.parentRefs[0].sectionName=https", "--set", "receiver.httpRoute.hostnames={hooks.example.com}"))
		routes := r.all("HTTPRoute")
		if len(routes) != 1 {
			t.Fatalf("%d HTTPRoutes", len(routes))
		}
		spec, _ := routes[0]["spec"].(map[string]any)
		parents, _ := spec["parentRefs"].([]any)
		if len(parents) != 1 || parents[0].(map[string]any)["sectionName"] != "https" {
			t.Errorf("parentRefs %v; want the https listener of public", parents)
		}
		rules, _ := spec["rules"].([]any)
		if len(rules) != 1 {
			t.Fatalf("rules %v; want one", rules)
		}
		rule := rules[0].(map[string]any)
		matches, _ := rule["matches"].([]any)
		backends, _ := rule["backendRefs"].([]any)
		if len(matches) != 1 || lookup(matches[0].(map[string]any), "path", "type") != "PathPrefix" || lookup(matches[0].(map[string]any), "path", "value") != "/hook/" ||
			len(backends) != 1 || backends[0].(map[string]any)["name"] != receiverService(t, r).Name {
			t.Errorf("rule %v; want only PathPrefix /hook/ to the receiver's Service", rule)
		}
		out := helmFails(t, "template", release, chartDir, "--namespace", namespace, "--kube-version", kubeVersion(), "--set", "receiver.httpRoute.enabled=true")
		if !strings.Contains(out, "receiver.httpRoute.parentRefs is required") {
			t.Errorf("an HTTPRoute without parentRefs: %s", out)
		}
	})
	t.Run("receiver off: --receiver-bind-address=0 and nothing of it rendered, even when exposure is asked", func(t *testing.T) {
		r := rendered(render(t, release, "--set", "receiver.enabled=false", "--set", "receiver.ingress.enabled=true", "--set", "receiver.httpRoute.enabled=true"))
		checkInvariants(t, r)
		if _, c := r.deployment(t); !slices.Contains(args(c), "--receiver-bind-address=0") || hasPort(c) {
			t.Errorf("args %v, ports %v; want the receiver off", args(c), c.Ports)
		}
		for _, o := range r.all("Service") {
			if strings.Contains(o.name(), "webhook-receiver") {
				t.Errorf("Service %s rendered with the receiver off", o.name())
			}
		}
		if np := policyFor(t, r, 8090); np != nil {
			t.Errorf("NetworkPolicy %s for :8090 with the receiver off", np.Name)
		}
		for _, kind := range []string{"Ingress", "HTTPRoute"} {
			if n := len(r.all(kind)); n != 0 {
				t.Errorf("%d %s with the receiver off", n, kind)
			}
		}
	})
}

func receiverService(t *testing.T, r rendered) corev1.Service {
	t.Helper()
	for _, o := range r.all("Service") {
		if strings.HasSuffix(o.name(), "-webhook-receiver") {
			return into[corev1.Service](t, o)
		}
	}
	t.Fatal("no <fullname>-webhook-receiver Service")
	return corev1.Service{}
}

// policyFor is the NetworkPolicy admitting traffic to port, or nil.
func policyFor(t *testing.T, r rendered, port int32) *networkingv1.NetworkPolicy {
	t.Helper()
	for _, o := range r.all("NetworkPolicy") {
		np := into[networkingv1.NetworkPolicy](t, o)
		for _, rule := range np.Spec.Ingress {
			for _, p := range rule.Ports {
				if p.Port != nil && p.Port.IntVal == port {
					return &np
				}
			}
		}
	}
	return nil
}
