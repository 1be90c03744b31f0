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
	"testing"

	"sigs.k8s.io/controller-runtime/pkg/metrics"

	dirsyncv1alpha1 "github.com/dirsync/dirsync/api/v1alpha1"
)

func TestEveryMetricIsRegistered(t *testing.T) {
	// Touch each vector once so that Gather reports it.
	syncsTotal.WithLabelValues("ns", "d", "BreatheHR", "Synced")
	syncDuration.WithLabelValues("ns", "d", "BreatheHR")
	usersGauge.WithLabelValues("ns", "d", "active")
	groupsGauge.WithLabelValues("ns", "d")
	countProviderResponse("BreatheHR")(200)
	objectWrites.WithLabelValues("DirectoryUser", "create")
	dir := testDirectory("")
	dir.Namespace, dir.Name = "ns", "d"
	dir.Status.HeldDeletions = &dirsyncv1alpha1.HeldDeletions{Users: 4}
	markAttempt(dir, "1", timeZero)
	markSynced(dir, syncOutcome{users: 3, active: 2}, timeZero)
	recordDirectory(dir)
	families, err := metrics.Registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	have := map[string]bool{}
	for _, f := range families {
		have[f.GetName()] = true
	}
	for _, name := range []string{"dirsync_syncs_total", "dirsync_sync_duration_seconds", "dirsync_users", "dirsync_groups",
		"dirsync_provider_requests_total", "dirsync_object_writes_total", "dirsync_directory_ready",
		"dirsync_directory_sync_interval_seconds", "dirsync_last_successful_sync_timestamp_seconds", "dirsync_held_deletions"} {
		if !have[name] {
			t.Errorf("metric %s is not registered", name)
		}
	}
	forgetDirectoryMetrics("ns", "d")
	families, _ = metrics.Registry.Gather()
	for _, f := range families {
		for _, m := range f.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "directory" && l.GetValue() == "d" {
					t.Errorf("%s still has a series for the deleted directory", f.GetName())
				}
			}
		}
	}
}
