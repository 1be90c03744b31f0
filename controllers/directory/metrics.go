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
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/metrics"

	dirsyncv1alpha1 "github.com/dirsync/dirsync/api/v1alpha1"
	"github.com/dirsync/dirsync/controllers/internal/verdict"
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
		Help: "Write requests the operator sent for DirectoryUser and DirectoryGroup objects, by kind and verb (create, patch, delete).",
	}, []string{"kind", "verb"})

	directoryReady = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "dirsync_directory_ready",
		Help: "1 when the Directory's Ready condition is True, else 0; reason is the condition's reason. One series per Directory.",
	}, []string{"namespace", "directory", "provider", "reason"})

	syncInterval = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "dirsync_directory_sync_interval_seconds",
		Help: "The Directory's spec.syncInterval in seconds.",
	}, []string{"namespace", "directory"})

	lastSuccess = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "dirsync_last_successful_sync_timestamp_seconds",
		Help: "Unix time at which the Directory's last successful sync started.",
	}, []string{"namespace", "directory"})

	heldDeletionsGauge = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "dirsync_held_deletions",
		Help: "Objects whose deletion the deletion guard holds now, by kind (DirectoryUser, DirectoryGroup).",
	}, []string{"namespace", "directory", "kind"})
)

// directoryVecs are the series that belong to one Directory and go with it.
var directoryVecs = []interface {
	DeletePartialMatch(prometheus.Labels) int
}{syncsTotal, syncDuration, usersGauge, groupsGauge, directoryReady, syncInterval, lastSuccess, heldDeletionsGauge}

func init() {
	metrics.Registry.MustRegister(syncsTotal, syncDuration, usersGauge, groupsGauge, providerRequests, objectWrites,
		directoryReady, syncInterval, lastSuccess, heldDeletionsGauge)
}

// recordDirectory sets the Directory's gauges from its status: what exists, whether it is Ready and
// why, its interval, its last success and what the guard holds.
func recordDirectory(dir *dirsyncv1alpha1.Directory) {
	ns, name := dir.Namespace, dir.Name
	st := &dir.Status
	usersGauge.WithLabelValues(ns, name, "active").Set(float64(st.ActiveUserCount))
	usersGauge.WithLabelValues(ns, name, "inactive").Set(float64(st.UserCount - st.ActiveUserCount))
	groupsGauge.WithLabelValues(ns, name).Set(float64(st.GroupCount))
	syncInterval.WithLabelValues(ns, name).Set(dir.SyncIntervalOrDefault().Seconds())
	if st.LastSuccessfulSyncTime != nil {
		lastSuccess.WithLabelValues(ns, name).Set(float64(st.LastSuccessfulSyncTime.Unix()))
	}
	var users, groups int32
	if h := st.HeldDeletions; h != nil {
		users, groups = h.Users, h.Groups
	}
	heldDeletionsGauge.WithLabelValues(ns, name, "DirectoryUser").Set(float64(users))
	heldDeletionsGauge.WithLabelValues(ns, name, "DirectoryGroup").Set(float64(groups))
	c := verdict.Ready(dir)
	if c == nil {
		return
	}
	value := 0.0
	if c.Status == metav1.ConditionTrue {
		value = 1
	}
	directoryReady.DeletePartialMatch(prometheus.Labels{"namespace": ns, "directory": name})
	directoryReady.WithLabelValues(ns, name, string(dir.Spec.Provider), c.Reason).Set(value)
}

// recordSync counts one sync attempt, which ended with result (the Ready reason) after duration.
func recordSync(dir *dirsyncv1alpha1.Directory, result string, duration time.Duration) {
	p := string(dir.Spec.Provider)
	syncsTotal.WithLabelValues(dir.Namespace, dir.Name, p, result).Inc()
	syncDuration.WithLabelValues(dir.Namespace, dir.Name, p).Observe(duration.Seconds())
}

// countProviderResponse counts one provider HTTP request.
func countProviderResponse(providerType string) func(code int) {
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
	for _, v := range directoryVecs {
		v.DeletePartialMatch(labels)
	}
}
