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
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	"github.com/dirsync/dirsync/test/utils"
)

// The chart's ServiceMonitor, as Prometheus would use it, against the real manager: the token of the
// chart's metrics-scraper ServiceAccount (the Secret the token controller fills) may read /metrics
// and an identity without the metrics reader role may not; with metrics.certSecret the manager
// serves that certificate (--metrics-cert-path, as the chart passes it) and it verifies against the
// CA for the ServiceMonitor's serverName. (The ServiceMonitor object itself needs the Prometheus
// operator's CRDs, which this control plane does not have: its fields are checked in test/chart.)
func TestChartServiceMonitorIdentityReadsVerifiedMetrics(t *testing.T) {
	const release = "e2e-metrics"
	chartNS := newNamespace(t, "e2e-metrics-system-")
	watched := newNamespace(t, "e2e-metrics-watched-")
	values := []string{"--no-hooks", "--set", "watchNamespaces={" + watched + "}", "--set", "metrics.serviceMonitor.enabled=true",
		"--set", "metrics.certSecret=" + release + "-metrics-cert"}
	var install []string
	var dep appsv1.Deployment
	var sm map[string]any
	for _, o := range decodeObjects(t, helmTemplate(t, release, chartNS, values...)) {
		switch o.GetKind() {
		case "ServiceMonitor":
			sm = o.Object
			continue
		case "Deployment":
			if err := runtime.DefaultUnstructuredConverter.FromUnstructured(o.Object, &dep); err != nil {
				t.Fatal(err)
			}
		}
		b, err := yaml.Marshal(o.Object)
		if err != nil {
			t.Fatal(err)
		}
		install = append(install, string(b))
	}
	if sm == nil || dep.Name == "" {
		t.Fatal("the chart rendered no ServiceMonitor or no Deployment")
	}
	if _, err := kubectl(strings.Join(install, "---\n"), "apply", "--server-side", "-f", "-"); err != nil {
		t.Fatalf("installing the chart: %v", err)
	}
	t.Cleanup(func() { _, _ = kubectl("", "delete", "deployment", "-n", chartNS, dep.Name, "--wait=false") })

	ep := sm["spec"].(map[string]any)["endpoints"].([]any)[0].(map[string]any)
	tokenSecret, _ := lookup(ep, "authorization", "credentials", "name").(string)
	tokenKey, _ := lookup(ep, "authorization", "credentials", "key").(string)
	serverName, _ := lookup(ep, "tlsConfig", "serverName").(string)
	if tokenSecret == "" || tokenKey == "" || serverName == "" {
		t.Fatalf("the ServiceMonitor's endpoint %v lacks a token Secret or a serverName", ep)
	}
	var token string
	eventually(t, 60*time.Second, "the token controller to fill Secret "+tokenSecret, func(ctx context.Context) (bool, string) {
		var s corev1.Secret
		if err := k8s.Get(ctx, client.ObjectKey{Namespace: chartNS, Name: tokenSecret}, &s); err != nil {
			return false, err.Error()
		}
		token = string(s.Data[tokenKey])
		return token != "", fmt.Sprintf("no %s in it yet", tokenKey)
	})

	// What cert-manager would write into metrics.certSecret, mounted where the chart mounts it.
	c := dep.Spec.Template.Spec.Containers[0]
	var certPath string
	for _, a := range c.Args {
		if p, ok := strings.CutPrefix(a, "--metrics-cert-path="); ok {
			certPath = p
		}
	}
	if certPath == "" {
		t.Fatalf("the Deployment's args %v have no --metrics-cert-path", c.Args)
	}
	certDir := t.TempDir()
	caPool := x509.NewCertPool()
	caPool.AddCert(utils.WriteServingCert(t, certDir, serverName))

	kubeconfig, err := serviceAccountKubeconfig(chartNS, dep.Spec.Template.Spec.ServiceAccountName)
	if err != nil {
		t.Fatal(err)
	}
	addr := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	args := append(append([]string{}, c.Args...), "--health-probe-bind-address=127.0.0.1:0", "--leader-election-namespace="+chartNS,
		"--metrics-bind-address="+addr, "--metrics-cert-path="+certDir)
	mgr := startManager(t, "manager-metrics", kubeconfig, args...)

	get := func(ctx context.Context, bearer string) (int, string, error) {
		hc := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: caPool, ServerName: serverName, MinVersion: tls.VersionTLS12}}}
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, "https://"+addr+"/metrics", nil)
		if err != nil {
			return 0, "", err
		}
		if bearer != "" {
			req.Header.Set("Authorization", "Bearer "+bearer)
		}
		resp, err := hc.Do(req)
		if err != nil {
			return 0, "", err
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
		return resp.StatusCode, string(b), err
	}
	eventually(t, 60*time.Second, "the scraper's token to read /metrics over a verified connection", func(ctx context.Context) (bool, string) {
		code, body, err := get(ctx, token)
		if err != nil {
			return false, err.Error()
		}
		return code == http.StatusOK && strings.Contains(body, "controller_runtime_"), fmt.Sprintf("HTTP %d", code)
	}, mgr.Process)

	ctx, cancel := context.WithTimeout(context.Background(), kubectlTimeout)
	defer cancel()
	if code, _, err := get(ctx, ""); err != nil || code != http.StatusUnauthorized {
		t.Errorf("without a token: HTTP %d, %v; want 401", code, err)
	}
	// The manager's own ServiceAccount is not bound to the metrics reader.
	other, err := kubectl("", "create", "token", dep.Spec.Template.Spec.ServiceAccountName, "-n", chartNS, "--duration=10m")
	if err != nil {
		t.Fatal(err)
	}
	if code, _, err := get(ctx, strings.TrimSpace(other)); err != nil || code != http.StatusForbidden {
		t.Errorf("with a token not bound to the metrics reader: HTTP %d, %v; want 403", code, err)
	}
}

// lookup walks nested maps.
func lookup(m map[string]any, path ...string) any {
	var v any = m
	for _, p := range path {
		mm, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = mm[p]
	}
	return v
}
