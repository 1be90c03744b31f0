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

package controllers

import (
	"strconv"

	"github.com/prometheus/client_golang/prometheus"
	"sigs.k8s.io/controller-runtime/pkg/metrics"
)

// Metrics served on the manager's metrics endpoint. Labels stay low-cardinality: no user names.
var (
	syncsTotal = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "dirsync_syncs_total",
		Help: "Syncs by result: the Ready reason the sync ended with (Synced, DeletionGuardTriggered, InvalidCredentials, ...).",
	}, []string{"namespace", "directory", "provider", "result"})

	syncDuration = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "dirsync_sync_duration_seconds",
		Help:    "Duration of a sync, from reading the Secret to the last write.",
		Buckets: []float64{0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300},
	}, []string{"namespace", "directory", "provider"})

	usersGauge = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "dirsync_users",
		Help: "DirectoryUser objects per directory, by state (active, inactive).",
	}, []string{"namespace", "directory", "state"})

	groupsGauge = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "dirsync_groups",
		Help: "DirectoryGroup objects per directory.",
	}, []string{"namespace", "directory"})

	providerRequests = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "dirsync_provider_requests_total",
		Help: "HTTP requests to HR providers by status code (\"error\" when no response arrived).",
	}, []string{"provider", "code"})

	objectWrites = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "dirsync_object_writes_total",
		Help: "Write requests the operator sent for DirectoryUser and DirectoryGroup objects, by kind and verb (create, patch, status, delete).",
	}, []string{"kind", "verb"})
)

func init() {
	metrics.Registry.MustRegister(syncsTotal, syncDuration, usersGauge, groupsGauge, providerRequests, objectWrites)
}

// observeProviderResponse counts one provider HTTP request.
func observeProviderResponse(providerType string) func(code int) {
	return func(code int) {
		label := "error"
		if code > 0 {
			label = strconv.Itoa(code)
		}
		providerRequests.WithLabelValues(providerType, label).Inc()
	}
}

// forgetDirectoryMetrics deletes a deleted Directory's series.
func forgetDirectoryMetrics(namespace, name string) {
	labels := prometheus.Labels{"namespace": namespace, "directory": name}
	syncsTotal.DeletePartialMatch(labels)
	syncDuration.DeletePartialMatch(labels)
	usersGauge.DeletePartialMatch(labels)
	groupsGauge.DeletePartialMatch(labels)
}
