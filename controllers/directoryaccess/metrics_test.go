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

	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/metrics"
)

func TestAccessMetricsAreRegisteredAndForgotten(t *testing.T) {
	key := types.NamespacedName{Namespace: "metrics-ns", Name: "metrics-access"}
	accessSubjects.WithLabelValues(key.Namespace, key.Name).Set(3)
	accessRevocationSeconds.Observe(0.2)
	families, err := metrics.Registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	have := map[string]bool{}
	for _, f := range families {
		have[f.GetName()] = true
	}
	for _, name := range []string{"dirsync_access_subjects", "dirsync_access_revocation_seconds"} {
		if !have[name] {
			t.Errorf("metric %s is not registered", name)
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
