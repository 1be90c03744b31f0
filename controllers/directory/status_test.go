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
	"errors"
	"strings"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"

	dirsyncv1alpha1 "github.com/dirsync/dirsync/api/v1alpha1"
)

func TestMarkFailedThenSucceeded(t *testing.T) {
	dir := testDirectory("")
	markAttempt(dir, "7", timeZero)
	down := failure{reason: dirsyncv1alpha1.ReasonProviderUnavailable, message: "down"}
	markFailed(dir, down, timeZero)
	markAttempt(dir, "7", timeZero.Add(30*time.Second))
	markFailed(dir, down, timeZero.Add(30*time.Second))
	if dir.Status.ConsecutiveFailures != 2 || !dir.Status.NextSyncTime.Time.Equal(timeZero.Add(90*time.Second)) {
		t.Fatalf("after two failures: failures %d next %v", dir.Status.ConsecutiveFailures, dir.Status.NextSyncTime)
	}
	if dir.Status.ObservedGeneration != 0 || dir.Status.LastSuccessfulSyncTime != nil {
		t.Fatal("a failure must not record observedGeneration or a successful sync")
	}
	markAttempt(dir, "7", timeZero.Add(2*time.Minute))
	markSynced(dir, syncOutcome{users: 3, active: 2, groups: 1}, timeZero.Add(2*time.Minute))
	c := meta.FindStatusCondition(dir.Status.Conditions, dirsyncv1alpha1.ConditionReady)
	if c.Reason != dirsyncv1alpha1.ReasonSynced || dir.Status.ConsecutiveFailures != 0 || dir.Status.ObservedGeneration != dir.Generation ||
		!dir.Status.NextSyncTime.Time.Equal(timeZero.Add(32*time.Minute)) || dir.Status.UserCount != 3 || dir.Status.ActiveUserCount != 2 {
		t.Fatalf("after success: %+v", dir.Status)
	}
}

// status.lastAppliedSyncTime moves only when a sync applied the provider's data: a dry run or a failure
// leaves it, so a DirectoryAccess can tell how fresh the DirectoryUsers are.
func TestLastAppliedSyncTimeOnlyMovesWhenDataIsApplied(t *testing.T) {
	at := func(m int) time.Time { return timeZero.Add(time.Duration(m) * time.Minute) }
	tests := []struct {
		name string
		out  *syncOutcome // nil: the sync failed
		want time.Time    // lastAppliedSyncTime after a first sync at 0 and this one at 10
	}{
		{name: "applied", out: &syncOutcome{users: 1}, want: at(10)},
		{name: "applied but deletions held", out: &syncOutcome{users: 1, held: &dirsyncv1alpha1.HeldDeletions{Users: 2}}, want: at(10)},
		{name: "dry run", out: &syncOutcome{users: 1, plan: &dirsyncv1alpha1.SyncPlan{Summary: "would create 1 user"}}, want: at(0)},
		{name: "failed", want: at(0)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := testDirectory("")
			markAttempt(dir, "7", at(0))
			markSynced(dir, syncOutcome{users: 1}, at(0))
			markAttempt(dir, "7", at(10))
			if tt.out != nil {
				markSynced(dir, *tt.out, at(10))
			} else {
				markFailed(dir, failure{reason: dirsyncv1alpha1.ReasonProviderUnavailable, message: "down"}, at(10))
			}
			if got := dir.Status.LastAppliedSyncTime; got == nil || !got.Time.Equal(tt.want) {
				t.Errorf("lastAppliedSyncTime = %v, want %v", got, tt.want)
			}
		})
	}
}

// A sync whose writes failed says so: Ready=False ApplyFailed, counts of what exists, and the backoff.
func TestApplyFailedIsReadyFalseWithCounts(t *testing.T) {
	dir := testDirectory("")
	markAttempt(dir, "7", timeZero)
	markSynced(dir, syncOutcome{users: 1}, timeZero)
	markAttempt(dir, "7", timeZero.Add(time.Hour))
	f := reasonFor(&applyError{failed: 1, total: 3, first: errors.New("creating DirectoryUser hr/acme-2: quota exceeded")}, dir, "")
	setCounts(dir, syncOutcome{users: 2, active: 2, groups: 1})
	markFailed(dir, f, timeZero.Add(time.Hour))
	c := meta.FindStatusCondition(dir.Status.Conditions, dirsyncv1alpha1.ConditionReady)
	if c.Status != "False" || c.Reason != dirsyncv1alpha1.ReasonApplyFailed || !strings.Contains(c.Message, "acme-2: quota exceeded") {
		t.Fatalf("Ready = %+v", c)
	}
	if dir.Status.ConsecutiveFailures != 1 || !dir.Status.NextSyncTime.Time.Equal(timeZero.Add(time.Hour+30*time.Second)) || dir.Status.UserCount != 2 {
		t.Fatalf("after a failed apply: %+v", dir.Status)
	}
	if s := meta.FindStatusCondition(dir.Status.Conditions, dirsyncv1alpha1.ConditionSyncing); s == nil || s.Status != "False" {
		t.Fatalf("Syncing = %+v", s)
	}
}

func TestPlanSummary(t *testing.T) {
	tests := []struct {
		name          string
		users, groups [4]int
		held          bool
		want          string
	}{
		{name: "first sync", users: [4]int{200, 0, 0, 0}, groups: [4]int{12, 0, 0, 0}, want: "would create 200 users and 12 groups, update 0, delete 0"},
		{name: "changes", users: [4]int{1, 3, 0, 2}, groups: [4]int{0, 1, 0, 0},
			want: "would create 1 users and 0 groups, update 3 users and 1 groups, delete 2 users and 0 groups"},
		{name: "held", users: [4]int{0, 0, 60, 0}, held: true, want: "would create 0, update 0, delete 0; the deletion guard would hold 60 users and 0 groups"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := planSummary(tt.users, tt.groups, tt.held); got != tt.want {
				t.Fatalf("planSummary = %q, want %q", got, tt.want)
			}
		})
	}
}
