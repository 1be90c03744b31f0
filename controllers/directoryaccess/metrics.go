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
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/metrics"
)

// Metrics of the DirectoryAccess controller. Labels never carry a person's name or subject.
var (
	accessSubjects = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "dirsync_access_subjects",
		Help: "Distinct subjects a DirectoryAccess binds.",
	}, []string{"namespace", "access"})

	accessRevocationSeconds = prometheus.NewHistogram(prometheus.HistogramOpts{
		Name:    "dirsync_access_revocation_seconds",
		Help:    "From the manager observing a DirectoryUser change to the RoleBinding update that revoked a subject because of it.",
		Buckets: []float64{0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60},
	})
)

func init() {
	metrics.Registry.MustRegister(accessSubjects, accessRevocationSeconds)
}

// forgetAccessMetrics deletes a deleted DirectoryAccess's series.
func forgetAccessMetrics(key types.NamespacedName) {
	accessSubjects.DeleteLabelValues(key.Namespace, key.Name)
}
