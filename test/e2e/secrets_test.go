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
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	dirsyncv1alpha1 "github.com/dirsync/dirsync/api/v1alpha1"
	"github.com/dirsync/dirsync/internal/provider/fakehr"
	"github.com/dirsync/dirsync/test/utils"
)

// The API key (canaryKey, in every test's Secret) never appears in what the manager emits: its log
// files (every manager of this run: this file sorts last so that its test runs after the others),
// its /metrics output, the Events and the Directories in the tests' namespaces. Failure paths run
// first: the provider rejects the key, the provider answers with an error that quotes the key back,
// and the Secret holds a wrong key (which contains the canary, so it is searched for too).
func TestAPIKeyNeverInManagerOutput(t *testing.T) {
	kubeconfig := operatorIdentity(t)
	ns := newNamespace(t, "e2e-apikey-")
	hr := startFakeHR(t, smallCompany)
	metricsAddr := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	mgr := startManager(t, "manager-metrics", kubeconfig, "--metrics-bind-address="+metricsAddr, "--metrics-secure=false")
	watch := []*utils.Process{mgr.Process, hr.Process}
	key := createDirectory(t, ns, "breathe", hr)
	waitReady(t, key, smallCompany, firstSyncTimeout, watch...)

	// The provider rejects the key.
	hr.injectFault(t, fakehr.FaultRequest{Kind: fakehr.FaultUnauthorized})
	expectReady(t, forceSync(t, key, syncTimeout, watch...), "False/"+dirsyncv1alpha1.ReasonInvalidCredentials)
	hr.clearFaults(t)

	// The provider fails with an error message that quotes the key back.
	hr.injectFault(t, fakehr.FaultRequest{Kind: fakehr.FaultErrorEnvelope,
		Message: "API key " + canaryKey + " is not valid for this account"})
	dir := forceSync(t, key, syncTimeout, watch...)
	if isReady(dir) {
		t.Fatalf("the sync succeeded against an error envelope: %s", describe(dir))
	}
	t.Logf("after an error quoting the key: %s", describe(dir))
	hr.clearFaults(t)

	// A wrong key in the Secret, then the right one again; each Secret change syncs at once.
	expectReady(t, setAPIKey(t, key, canaryKey+"-WRONG", watch...), "False/"+dirsyncv1alpha1.ReasonInvalidCredentials)
	expectReady(t, setAPIKey(t, key, canaryKey, watch...), "True/"+dirsyncv1alpha1.ReasonSynced)

	// Everything the manager emitted.
	sources := map[string]string{}
	code, metrics, err := httpDo(callCtx(t), http.MethodGet, "http://"+metricsAddr+"/metrics", nil)
	if err != nil || code != http.StatusOK || !strings.Contains(string(metrics), "dirsync_") {
		t.Fatalf("GET http://%s/metrics: HTTP %d, %v; want 200 with dirsync_ metrics", metricsAddr, code, err)
	}
	sources["GET /metrics"] = string(metrics)
	managerLogsMu.Lock()
	logs := append([]string(nil), managerLogs...)
	managerLogsMu.Unlock()
	for _, path := range logs {
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		sources[path] = string(b)
	}
	testNamespacesMu.Lock()
	namespaces := append([]string{operatorNamespace}, testNamespaces...)
	testNamespacesMu.Unlock()
	sawWarning := false
	for _, n := range namespaces {
		var events eventsv1.EventList
		var coreEvents corev1.EventList
		var dirs dirsyncv1alpha1.DirectoryList
		for _, l := range []client.ObjectList{&events, &coreEvents, &dirs} {
			if err := k8s.List(callCtx(t), l, client.InNamespace(n)); err != nil {
				t.Fatalf("listing %T in %s: %v", l, n, err)
			}
			b, err := json.Marshal(l)
			if err != nil {
				t.Fatal(err)
			}
			sources[fmt.Sprintf("%T in namespace %s", l, n)] = string(b)
		}
		for _, e := range events.Items {
			sawWarning = sawWarning || (n == ns && e.Type == corev1.EventTypeWarning && e.Reason == dirsyncv1alpha1.ReasonInvalidCredentials)
		}
	}
	if !sawWarning {
		t.Errorf("no Warning %s Event in %s: the failure path's Event was not recorded, so it was not searched", dirsyncv1alpha1.ReasonInvalidCredentials, ns)
	}
	for name, text := range sources {
		if i := strings.Index(text, canaryKey); i >= 0 {
			from, to := max(0, i-200), min(len(text), i+len(canaryKey)+100)
			t.Errorf("the API key appears in %s: …%s…", name, text[from:to])
		}
	}
	t.Logf("searched %d manager logs, /metrics (%d bytes), and Events and Directories in %d namespaces", len(logs), len(metrics), len(namespaces))
}

// setAPIKey writes value into the Directory's Secret and waits for the sync attempt that used this
// version of the Secret (status.lastAttemptedSecretVersion).
func setAPIKey(t *testing.T, key types.NamespacedName, value string, watch ...*utils.Process) *dirsyncv1alpha1.Directory {
	t.Helper()
	secret := &corev1.Secret{}
	secretKey := types.NamespacedName{Namespace: key.Namespace, Name: key.Name + "-api-key"}
	if err := k8s.Get(callCtx(t), secretKey, secret); err != nil {
		t.Fatal(err)
	}
	secret.Data = map[string][]byte{"apiKey": []byte(value)}
	if err := k8s.Update(callCtx(t), secret); err != nil {
		t.Fatalf("updating Secret %s: %v", secretKey, err)
	}
	var dir *dirsyncv1alpha1.Directory
	eventually(t, syncTimeout, "a sync with Secret version "+secret.ResourceVersion, func(ctx context.Context) (bool, string) {
		d, err := getDirectory(ctx, key)
		if err != nil {
			return false, err.Error()
		}
		dir = d
		return d.Status.LastAttemptedSecretVersion == secret.ResourceVersion,
			fmt.Sprintf("lastAttemptedSecretVersion %q; %s", d.Status.LastAttemptedSecretVersion, describe(d))
	}, watch...)
	return dir
}

// expectReady fails unless the Directory's Ready condition has the given "Status/Reason".
func expectReady(t *testing.T, dir *dirsyncv1alpha1.Directory, want string) {
	t.Helper()
	if got := readyReason(dir); got != want {
		t.Fatalf("Directory %s/%s: Ready %s, want %s: %s", dir.Namespace, dir.Name, got, want, describe(dir))
	}
}
