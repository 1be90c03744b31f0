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

package directoryaccess

import (
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/metrics"

	dirsyncv1alpha1 "github.com/dirsync/dirsync/api/v1alpha1"
)

func TestAccessMetricsAreRegisteredAndForgotten(t *testing.T) {
	key := types.NamespacedName{Namespace: "metrics-ns", Name: "metrics-access"}
	acc := &dirsyncv1alpha1.DirectoryAccess{ObjectMeta: metav1.ObjectMeta{Namespace: key.Namespace, Name: key.Name},
		Status: dirsyncv1alpha1.DirectoryAccessStatus{Subjects: 3, HeldRevocations: 6, Conditions: []metav1.Condition{
			{Type: dirsyncv1alpha1.ConditionReady, Status: metav1.ConditionFalse, Reason: dirsyncv1alpha1.ReasonRevocationHeld}}}}
	recordAccess(acc)
	acc.Status.Conditions[0].Reason = dirsyncv1alpha1.ReasonNotPermitted // one series per DirectoryAccess: the old reason goes
	recordAccess(acc)
	accessRevocationSeconds.Observe(0.2)
	if got := gatherValue(t, "dirsync_access_held_revocations", key); got != 6 {
		t.Errorf("held revocations %v, want 6", got)
	}
	if got := gatherValue(t, "dirsync_access_ready", key); got != 0 {
		t.Errorf("ready %v for a DirectoryAccess that is not Ready", got)
	}
	families, err := metrics.Registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	have := map[string]bool{}
	for _, f := range families {
		have[f.GetName()] = true
	}
	for _, name := range []string{"dirsync_access_subjects", "dirsync_access_revocation_seconds", "dirsync_access_ready", "dirsync_access_held_revocations"} {
		if !have[name] {
			t.Errorf("metric %s is not registered", name)
		}
	}
	for _, m := range gatherSeries(t, "dirsync_access_ready", key) {
		if m != dirsyncv1alpha1.ReasonNotPermitted {
			t.Errorf("a stale dirsync_access_ready series with reason %s", m)
		}
	}
	forgetAccessMetrics(key)
	families, _ = metrics.Registry.Gather()
	for _, f := range families {
		for _, m := range f.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "access" && l.GetValue() == key.Name {
					t.Errorf("%s still has a series for the deleted DirectoryAccess", f.GetName())
				}
			}
		}
	}
}

// gatherSeries is the reason label of every series of metric name for DirectoryAccess key.
func gatherSeries(t *testing.T, name string, key types.NamespacedName) []string {
	t.Helper()
	families, err := metrics.Registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, f := range families {
		if f.GetName() != name {
			continue
		}
		for _, m := range f.GetMetric() {
			labels := map[string]string{}
			for _, l := range m.GetLabel() {
				labels[l.GetName()] = l.GetValue()
			}
			if labels["namespace"] == key.Namespace && labels["access"] == key.Name {
				out = append(out, labels["reason"])
			}
		}
	}
	return out
}

// gatherValue is the value of the (only) gauge series of metric name for DirectoryAccess key, or -1.
func gatherValue(t *testing.T, name string, key types.NamespacedName) float64 {
	t.Helper()
	families, err := metrics.Registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		if f.GetName() != name {
			continue
		}
		for _, m := range f.GetMetric() {
			labels := map[string]string{}
			for _, l := range m.GetLabel() {
				labels[l.GetName()] = l.GetValue()
			}
			if labels["namespace"] == key.Namespace && labels["access"] == key.Name {
				return m.GetGauge().GetValue()
			}
		}
	}
	return -1
}
