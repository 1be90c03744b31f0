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
	"time"

	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	dirsyncv1alpha1 "github.com/dirsync/dirsync/api/v1alpha1"
)

var timeZero = time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)

func TestDecide(t *testing.T) {
	synced := func(mut func(d *dirsyncv1alpha1.Directory)) *dirsyncv1alpha1.Directory {
		d := testDirectory("")
		d.Generation = 2
		last := metav1.NewTime(timeZero)
		next := metav1.NewTime(timeZero.Add(30 * time.Minute))
		d.Status = dirsyncv1alpha1.DirectoryStatus{LastSyncTime: &last, NextSyncTime: &next, LastAttemptedGeneration: 2,
			LastAttemptedSecretVersion: "100", LastHandledSyncRequest: "a"}
		d.Annotations = map[string]string{dirsyncv1alpha1.AnnotationSyncRequestedAt: "a"}
		if mut != nil {
			mut(d)
		}
		return d
	}
	tests := []struct {
		name        string
		dir         *dirsyncv1alpha1.Directory
		secret      string
		now         time.Time
		wantSync    bool
		wantTrigger string
		wantWait    time.Duration
	}{
		{name: "never synced", dir: synced(func(d *dirsyncv1alpha1.Directory) { d.Status = dirsyncv1alpha1.DirectoryStatus{} }),
			secret: "100", now: timeZero, wantSync: true, wantTrigger: "initial"},
		{name: "nothing new: wait for the schedule", dir: synced(nil), secret: "100", now: timeZero.Add(10 * time.Minute), wantWait: 20 * time.Minute},
		{name: "spec changed", dir: synced(func(d *dirsyncv1alpha1.Directory) { d.Generation = 3 }), secret: "100", now: timeZero.Add(time.Minute), wantSync: true, wantTrigger: "spec"},
		{name: "secret rotated", dir: synced(nil), secret: "101", now: timeZero.Add(time.Minute), wantSync: true, wantTrigger: "secret"},
		{name: "secret deleted", dir: synced(nil), secret: "", now: timeZero.Add(time.Minute), wantSync: true, wantTrigger: "secret"},
		{name: "new annotation value", dir: synced(func(d *dirsyncv1alpha1.Directory) { d.Annotations[dirsyncv1alpha1.AnnotationSyncRequestedAt] = "b" }),
			secret: "100", now: timeZero.Add(time.Minute), wantSync: true, wantTrigger: "request"},
		{name: "annotation removed is not a request", dir: synced(func(d *dirsyncv1alpha1.Directory) { d.Annotations = nil }),
			secret: "100", now: timeZero.Add(time.Minute), wantWait: 29 * time.Minute},
		{name: "due exactly at nextSyncTime", dir: synced(nil), secret: "100", now: timeZero.Add(30 * time.Minute), wantSync: true, wantTrigger: "schedule"},
		{name: "overdue after a restart", dir: synced(nil), secret: "100", now: timeZero.Add(5 * time.Hour), wantSync: true, wantTrigger: "schedule"},
		{name: "an approval pending: sync now", dir: synced(func(d *dirsyncv1alpha1.Directory) { d.Annotations[dirsyncv1alpha1.AnnotationApproveDeletions] = "abc" }),
			secret: "100", now: timeZero.Add(time.Minute), wantSync: true, wantTrigger: "approval"},
		{name: "an approval answered: wait", dir: synced(func(d *dirsyncv1alpha1.Directory) {
			d.Annotations[dirsyncv1alpha1.AnnotationApproveDeletions], d.Status.LastHandledApproval = "abc", "abc"
		}), secret: "100", now: timeZero.Add(time.Minute), wantWait: 29 * time.Minute},
		{name: "an approval pending after a failed sync waits for the retry", dir: synced(func(d *dirsyncv1alpha1.Directory) {
			d.Annotations[dirsyncv1alpha1.AnnotationApproveDeletions], d.Status.ConsecutiveFailures = "abc", 1
		}), secret: "100", now: timeZero.Add(time.Minute), wantWait: 29 * time.Minute},
		{name: "an approval in a dry run waits for the first real sync", dir: synced(func(d *dirsyncv1alpha1.Directory) {
			d.Annotations[dirsyncv1alpha1.AnnotationApproveDeletions], d.Spec.DryRun = "abc", ptr.To(true)
		}), secret: "100", now: timeZero.Add(time.Minute), wantWait: 29 * time.Minute},
		// The webhook receiver's hints ("webhook/…") are spaced: hintSpacing (15s) after the last hinted sync.
		{name: "a hint with no hinted sync before: sync now, even right after a sync", dir: synced(hint("webhook/1")),
			secret: "100", now: timeZero.Add(time.Second), wantSync: true, wantTrigger: "webhook"},
		{name: "a hint 15s after the last hinted sync: sync now", dir: synced(hinted("webhook/2")),
			secret: "100", now: timeZero.Add(15 * time.Second), wantSync: true, wantTrigger: "webhook"},
		{name: "a hint 5s after the last hinted sync waits 10s", dir: synced(hinted("webhook/2")),
			secret: "100", now: timeZero.Add(5 * time.Second), wantWait: 10 * time.Second},
		{name: "a hint answered: wait for the schedule", dir: synced(func(d *dirsyncv1alpha1.Directory) {
			hinted("webhook/1")(d)
			d.Status.LastHandledSyncRequest = "webhook/1"
		}), secret: "100", now: timeZero.Add(time.Minute), wantWait: 29 * time.Minute},
		{name: "a hint after a failed sync waits for the retry", dir: synced(func(d *dirsyncv1alpha1.Directory) {
			hint("webhook/1")(d)
			d.Status.ConsecutiveFailures = 2
		}), secret: "100", now: timeZero.Add(time.Minute), wantWait: 29 * time.Minute},
		{name: "a hint waits for the schedule when that is sooner", dir: synced(func(d *dirsyncv1alpha1.Directory) {
			hinted("webhook/2")(d)
			next := metav1.NewTime(timeZero.Add(8 * time.Second))
			d.Status.NextSyncTime = &next
		}), secret: "100", now: timeZero.Add(5 * time.Second), wantWait: 3 * time.Second},
		{name: "a person's request is not spaced", dir: synced(func(d *dirsyncv1alpha1.Directory) {
			hinted("2026-01-01T12:00:01Z")(d)
		}), secret: "100", now: timeZero.Add(time.Second), wantSync: true, wantTrigger: "request"},
		{name: "a spec change is not spaced either", dir: synced(func(d *dirsyncv1alpha1.Directory) {
			hinted("webhook/2")(d)
			d.Generation = 3
		}), secret: "100", now: timeZero.Add(time.Second), wantSync: true, wantTrigger: "spec"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := decide(tt.dir, tt.secret, tt.now)
			want := decision{syncNow: tt.wantSync, trigger: tt.wantTrigger, wait: tt.wantWait}
			if diff := cmp.Diff(want, got, cmp.AllowUnexported(decision{})); diff != "" {
				t.Fatalf("decide (-want +got):\n%s", diff)
			}
		})
	}
}

// hint sets the sync-requested-at annotation to value.
func hint(value string) func(*dirsyncv1alpha1.Directory) {
	return func(d *dirsyncv1alpha1.Directory) { d.Annotations[dirsyncv1alpha1.AnnotationSyncRequestedAt] = value }
}

// hinted is hint, with the last hinted sync started at timeZero (with the last sync).
func hinted(value string) func(*dirsyncv1alpha1.Directory) {
	return func(d *dirsyncv1alpha1.Directory) {
		hint(value)(d)
		t := metav1.NewTime(timeZero)
		d.Status.Webhook = &dirsyncv1alpha1.IncomingWebhookStatus{LastHintedSyncTime: &t}
	}
}

func TestNextSync(t *testing.T) {
	interval := 30 * time.Minute
	tests := []struct {
		name       string
		failures   int32
		retryAfter time.Duration
		interval   time.Duration
		want       time.Duration
	}{
		{name: "success: lastSyncTime + syncInterval", interval: interval, want: interval},
		{name: "first failure: 30s", failures: 1, interval: interval, want: 30 * time.Second},
		{name: "second failure: 1m", failures: 2, interval: interval, want: time.Minute},
		{name: "fifth failure: 8m", failures: 5, interval: interval, want: 8 * time.Minute},
		{name: "capped at syncInterval", failures: 7, interval: interval, want: interval},
		{name: "many failures stay capped", failures: 400, interval: interval, want: interval},
		{name: "short interval caps early", failures: 2, interval: time.Minute, want: time.Minute},
		{name: "Retry-After longer than the backoff wins", failures: 1, retryAfter: 2 * time.Minute, interval: interval, want: 2 * time.Minute},
		{name: "Retry-After shorter than the backoff is not a shortcut", failures: 3, retryAfter: 5 * time.Second, interval: interval, want: 2 * time.Minute},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := nextSync(timeZero, tt.interval, tt.failures, tt.retryAfter).Sub(timeZero); got != tt.want {
				t.Fatalf("nextSync after %d failures = +%s, want +%s", tt.failures, got, tt.want)
			}
		})
	}
}
