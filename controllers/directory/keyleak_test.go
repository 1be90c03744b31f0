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

package directory

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/metrics"

	dirsyncv1alpha1 "github.com/dirsync/dirsync/api/v1alpha1"
	"github.com/dirsync/dirsync/controllers/directory/directorytest"
	"github.com/dirsync/dirsync/controllers/internal/verdict"
	"github.com/dirsync/dirsync/internal/provider/fakehr"
	"github.com/dirsync/dirsync/internal/testenv"
)

// canaryKey is an API key that is easy to find wherever it might leak.
const canaryKey = "dirsync-canary-KEY-7f3a9c"

// TestAPIKeyNeverLeaks syncs with a recognisable key through every failure mode, including a provider
// that echoes the key in its error text, and then searches everything the operator writes or exposes.
func TestAPIKeyNeverLeaks(t *testing.T) {
	testenv.Require(t)
	for _, pc := range directorytest.ProviderCases {
		t.Run(pc.Name, func(t *testing.T) {
			canary := pc
			canary.Start = func(c fakehr.Company) fakehr.Server {
				s := pc.Start(c)
				s.SetAPIKey(canaryKey)
				return s
			}
			// 101 employees, so that Breathe HR has a second page to lose.
			h := newHarness(t, canary, 101, nil)
			h.WaitReason(dirsyncv1alpha1.ReasonSynced) // the fake accepts only the canary key

			echo := fakehr.Fault{Kind: fakehr.FaultErrorEnvelope, Message: "API key " + canaryKey + " is locked; contact support"}
			for _, f := range []fakehr.Fault{
				{Kind: fakehr.FaultUnauthorized},
				{Kind: fakehr.FaultServerError},
				{Kind: fakehr.FaultRateLimited},
				{Kind: fakehr.FaultRateLimited, RetryAfter: 120 * time.Second},
				{Kind: fakehr.FaultMalformedJSON},
				{Kind: fakehr.FaultTruncatedBody},
				{Kind: fakehr.FaultSlowBody, Delay: time.Minute},
				{Kind: fakehr.FaultMissingPage},
				{Kind: fakehr.FaultEmptyList},
				{Kind: fakehr.FaultDuplicateIDs},
				echo,
			} {
				h.Srv.InjectFault(f)
				if d := h.ForceSync(); verdict.Ready(d).Reason == dirsyncv1alpha1.ReasonSynced {
					t.Fatalf("fault %s: the sync succeeded", f.Kind)
				}
				h.Srv.ClearFaults()
			}
			h.Srv.InjectFault(echo)
			if d := h.ForceSync(); !strings.Contains(verdict.Ready(d).Message, "[redacted]") {
				t.Fatalf("the provider's echo of the key was not redacted in %q", verdict.Ready(d).Message)
			}
			h.Srv.ClearFaults()

			h.Srv.SetAPIKey("another-key") // the provider rejects the canary key
			if d := h.ForceSync(); verdict.Ready(d).Reason != dirsyncv1alpha1.ReasonInvalidCredentials {
				t.Fatalf("a rejected key: Ready reason %s", verdict.Ready(d).Reason)
			}
			h.Srv.SetAPIKey(canaryKey)
			endpoint := closedEndpoint(t)
			if d := h.SyncWith(func(d *dirsyncv1alpha1.Directory) { d.Spec.Endpoint = endpoint }); verdict.Ready(d).Reason != dirsyncv1alpha1.ReasonProviderUnavailable {
				t.Fatalf("connection refused: Ready reason %s", verdict.Ready(d).Reason)
			}
			if d := h.SyncWith(func(d *dirsyncv1alpha1.Directory) { d.Spec.Endpoint = h.Srv.URL() }); verdict.Ready(d).Reason != dirsyncv1alpha1.ReasonSynced {
				t.Fatalf("recovery: Ready reason %s", verdict.Ready(d).Reason)
			}

			for where, text := range map[string]string{
				"the manager's logs":                   logs.String(),
				"events.k8s.io/v1 Events":              renderList(t, h.NS, &eventsv1.EventList{}),
				"core/v1 Events":                       renderList(t, h.NS, &corev1.EventList{}),
				"Directories (conditions included)":    renderList(t, h.NS, &dirsyncv1alpha1.DirectoryList{}),
				"DirectoryUsers (conditions included)": renderList(t, h.NS, &dirsyncv1alpha1.DirectoryUserList{}),
				"DirectoryGroups":                      renderList(t, h.NS, &dirsyncv1alpha1.DirectoryGroupList{}),
				"the metrics registry":                 renderMetrics(t),
			} {
				if strings.Contains(strings.ToLower(text), strings.ToLower(canaryKey)) {
					t.Errorf("the API key appears in %s", where)
				}
			}
			// The scan covered this Directory's series and its failures.
			if !strings.Contains(renderMetrics(t), `namespace="`+h.NS+`"`) || !strings.Contains(logs.String(), "Sync failed") {
				t.Fatal("the scanned metrics or logs do not cover this test's syncs")
			}
		})
	}
}

// renderList lists the namespace's objects into list and returns them as JSON.
func renderList(t *testing.T, ns string, list client.ObjectList) string {
	t.Helper()
	must(t, k8sClient.List(t.Context(), list, client.InNamespace(ns)))
	b, err := json.Marshal(list)
	must(t, err)
	return string(b)
}

// renderMetrics renders every metric family of the controller-runtime registry, the one the manager
// serves on /metrics: names, help and every label pair.
func renderMetrics(t *testing.T) string {
	t.Helper()
	families, err := metrics.Registry.Gather()
	must(t, err)
	var b strings.Builder
	for _, f := range families {
		fmt.Fprintf(&b, "# %s %s\n", f.GetName(), f.GetHelp())
		for _, m := range f.GetMetric() {
			b.WriteString(f.GetName())
			for _, l := range m.GetLabel() {
				fmt.Fprintf(&b, " %s=%q", l.GetName(), l.GetValue())
			}
			b.WriteString("\n")
		}
	}
	return b.String()
}
