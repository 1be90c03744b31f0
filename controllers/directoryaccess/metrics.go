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
	"github.com/prometheus/client_golang/prometheus"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/metrics"

	dirsyncv1alpha1 "github.com/dirsync/dirsync/api/v1alpha1"
	"github.com/dirsync/dirsync/controllers/internal/verdict"
)

// Metrics of the DirectoryAccess controller. Labels never carry a person's name or subject.
var (
	accessSubjects = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "dirsync_access_subjects",
		Help: "Distinct subjects a DirectoryAccess binds.",
	}, []string{"namespace", "access"})

	accessReadyGauge = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "dirsync_access_ready",
		Help: "1 when the DirectoryAccess is Ready, else 0; reason is its Ready reason. One series per DirectoryAccess.",
	}, []string{"namespace", "access", "reason"})

	accessHeldRevocations = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "dirsync_access_held_revocations",
		Help: "Subjects the revocation guard keeps bound although the directory data says they should go.",
	}, []string{"namespace", "access"})

	accessRevocationSeconds = prometheus.NewHistogram(prometheus.HistogramOpts{
		Name:    "dirsync_access_revocation_seconds",
		Help:    "From the manager observing a DirectoryUser change to the RoleBinding update that revoked a subject because of it.",
		Buckets: []float64{0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60},
	})
)

func init() {
	metrics.Registry.MustRegister(accessSubjects, accessReadyGauge, accessHeldRevocations, accessRevocationSeconds)
}

// recordAccess sets a DirectoryAccess's series from its status.
func recordAccess(acc *dirsyncv1alpha1.DirectoryAccess) {
	accessSubjects.WithLabelValues(acc.Namespace, acc.Name).Set(float64(acc.Status.Subjects))
	accessHeldRevocations.WithLabelValues(acc.Namespace, acc.Name).Set(float64(acc.Status.HeldRevocations))
	accessReadyGauge.DeletePartialMatch(prometheus.Labels{"namespace": acc.Namespace, "access": acc.Name})
	if c := verdict.Ready(acc); c != nil {
		ready := 0.0
		if c.Status == metav1.ConditionTrue {
			ready = 1
		}
		accessReadyGauge.WithLabelValues(acc.Namespace, acc.Name, c.Reason).Set(ready)
	}
}

// forgetAccessMetrics deletes a deleted DirectoryAccess's series.
func forgetAccessMetrics(key types.NamespacedName) {
	accessSubjects.DeleteLabelValues(key.Namespace, key.Name)
	accessHeldRevocations.DeleteLabelValues(key.Namespace, key.Name)
	accessReadyGauge.DeletePartialMatch(prometheus.Labels{"namespace": key.Namespace, "access": key.Name})
}
