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

package directorywebhook

import (
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/metrics"

	dirsyncv1alpha1 "github.com/dirsync/dirsync/api/v1alpha1"
)

func TestEveryMetricIsRegistered(t *testing.T) {
	w := &dirsyncv1alpha1.DirectoryWebhook{ObjectMeta: metav1.ObjectMeta{Name: "m", Namespace: "ns"}}
	markDelivering(w, report{loaded: true, planned: true, pending: 2, held: newHeldSet([]string{"a"}, nil), lastDelivery: time.Now()}, 0, 25, time.Now())
	recordWebhook(w)
	deliveries.WithLabelValues("ns", "m", "success").Inc()
	deliverySeconds.Observe(0.1)
	attemptSeconds.Observe(0.01)
	recordWriteSeconds.Observe(0.01)
	families, err := metrics.Registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	have := map[string]bool{}
	for _, f := range families {
		have[f.GetName()] = true
	}
	for _, name := range []string{"dirsync_directorywebhook_deliveries_total", "dirsync_directorywebhook_pending_events", "dirsync_directorywebhook_held_removals",
		"dirsync_directorywebhook_ready", "dirsync_directorywebhook_last_delivery_timestamp_seconds", "dirsync_directorywebhook_delivery_seconds",
		"dirsync_directorywebhook_attempt_seconds", "dirsync_directorywebhook_record_write_seconds"} {
		if !have[name] {
			t.Errorf("metric %s is not registered", name)
		}
	}
	forgetWebhookMetrics(types.NamespacedName{Namespace: "ns", Name: "m"})
	families, _ = metrics.Registry.Gather()
	for _, f := range families {
		for _, m := range f.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "webhook" && l.GetValue() == "m" {
					t.Errorf("%s still has a series for the deleted webhook", f.GetName())
				}
			}
		}
	}
}
