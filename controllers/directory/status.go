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
	"fmt"
	"slices"
	"time"

	"k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	dirsyncv1alpha1 "github.com/dirsync/dirsync/api/v1alpha1"
	"github.com/dirsync/dirsync/controllers/internal/verdict"
)

// maxExamples is how many object names a dry-run plan shows per kind of change.
const maxExamples = 10

// readyReason is the reason of the Directory's Ready condition, or "".
func readyReason(dir *dirsyncv1alpha1.Directory) string {
	if c := verdict.Ready(dir); c != nil {
		return c.Reason
	}
	return ""
}

// syncOutcome is what a sync that read the provider did, for the status.
type syncOutcome struct {
	// counted is true when users, active and groups describe what exists now (also after failed writes).
	counted               bool
	changes               dirsyncv1alpha1.SyncChanges
	users, active, groups int32
	// held describes the deletions the guard holds (nil when none), with the guard's message.
	held         *dirsyncv1alpha1.HeldDeletions
	guardMessage string
	// plan is set in dry run; newPlan says it differs from the one in the status.
	plan     *dirsyncv1alpha1.SyncPlan
	newPlan  bool
	requests int
	bytes    int64
}

// outcome counts what exists after the plan's writes (ok[i]: op i succeeded) and what changed.
func outcome(p childPlan, ok []bool, ch children, g guardDecision) syncOutcome {
	out := syncOutcome{counted: true, users: int32(len(ch.users)), groups: int32(len(ch.groups))}
	for _, u := range ch.users {
		_, _, a := counts(u)
		out.active += a
	}
	out.changes.Unchanged = int32(p.unchanged)
	for i, o := range p.ops {
		if !ok[i] {
			continue
		}
		out.users, out.groups, out.active = out.users+o.users, out.groups+o.groups, out.active+o.active
		switch o.kind {
		case opCreate:
			out.changes.Created++
		case opUpdate, opHold:
			out.changes.Updated++
		case opDelete:
			out.changes.Deleted++
		}
	}
	if g.hold {
		out.held, out.guardMessage = g.held, g.message
	}
	return out
}

// dryRunOutcome reports a plan without applying it: the counts stay what exists.
func dryRunOutcome(dir *dirsyncv1alpha1.Directory, p childPlan, ch children, g guardDecision) syncOutcome {
	out := outcome(p, make([]bool, len(p.ops)), ch, g)
	pl := &dirsyncv1alpha1.SyncPlan{GuardWouldHold: g.hold}
	var users, groups [4]int // counts by opKind, per object kind
	for _, o := range p.ops {
		name := o.name
		byKind := &groups
		if o.user {
			byKind = &users
		}
		byKind[o.kind]++
		switch o.kind {
		case opCreate:
			pl.Create++
			pl.Examples.Create = appendExample(pl.Examples.Create, name)
		case opUpdate:
			pl.Update++
			pl.Examples.Update = appendExample(pl.Examples.Update, name)
		case opDelete:
			pl.Delete++
			pl.Examples.Delete = appendExample(pl.Examples.Delete, name)
		case opHold:
			pl.Held++
			pl.Examples.Held = appendExample(pl.Examples.Held, name)
		}
	}
	for _, l := range [][]string{pl.Examples.Create, pl.Examples.Update, pl.Examples.Delete, pl.Examples.Held} {
		slices.Sort(l)
	}
	pl.Summary = planSummary(users, groups, g.hold)
	out.plan = pl
	out.newPlan = !equality.Semantic.DeepEqual(dir.Status.Plan, pl)
	return out
}

func appendExample(l []string, name string) []string {
	if len(l) < maxExamples {
		return append(l, name)
	}
	return l
}

// planSummary is the plan in one sentence, e.g. "would create 200 users and 12 groups, update 0, delete 0".
func planSummary(users, groups [4]int, held bool) string {
	both := func(k opKind) string {
		if users[k]+groups[k] == 0 {
			return "0"
		}
		return fmt.Sprintf("%d users and %d groups", users[k], groups[k])
	}
	s := fmt.Sprintf("would create %s, update %s, delete %s", both(opCreate), both(opUpdate), both(opDelete))
	if held {
		s += fmt.Sprintf("; the deletion guard would hold %s", both(opHold))
	}
	return s
}

// markAttempt records that a sync starts now for the current spec, Secret and request.
func markAttempt(dir *dirsyncv1alpha1.Directory, secretVersion string, now time.Time) {
	st := &dir.Status
	t := metav1.NewTime(now.Truncate(time.Second))
	st.LastSyncTime = &t
	st.LastAttemptedGeneration = dir.Generation
	st.LastAttemptedSecretVersion = secretVersion
	st.LastHandledSyncRequest = requestedAt(dir)
}

func setCounts(dir *dirsyncv1alpha1.Directory, out syncOutcome) {
	dir.Status.UserCount, dir.Status.ActiveUserCount, dir.Status.GroupCount = out.users, out.active, out.groups
}

// markSynced writes a sync's counts, schedule, held deletions, plan and Ready condition: Synced,
// DeletionGuardTriggered while the guard holds, or DryRun. Only a sync that read the whole directory
// and applied (or previewed) it sets observedGeneration: a failed or suspended one leaves it.
func markSynced(dir *dirsyncv1alpha1.Directory, out syncOutcome, now time.Time) {
	st := &dir.Status
	st.ObservedGeneration = dir.Generation
	st.LastSuccessfulSyncTime = st.LastSyncTime
	st.ConsecutiveFailures = 0
	next := metav1.NewTime(nextSync(st.LastSyncTime.Time, dir.SyncIntervalOrDefault().Duration, 0, 0))
	st.NextSyncTime = &next
	setCounts(dir, out)
	st.HeldDeletions = out.held
	st.Plan = out.plan
	c := metav1.Condition{Type: dirsyncv1alpha1.ConditionReady, Status: metav1.ConditionTrue, Reason: dirsyncv1alpha1.ReasonSynced,
		Message: "The last sync read the whole directory from the provider and applied it."}
	switch {
	case out.plan != nil:
		c.Status, c.Reason = metav1.ConditionFalse, dirsyncv1alpha1.ReasonDryRun
		c.Message = "Dry run: " + out.plan.Summary + ". Nothing was written; see status.plan, and set spec.dryRun to false to apply."
	case out.held != nil:
		c.Status, c.Reason, c.Message = metav1.ConditionFalse, dirsyncv1alpha1.ReasonDeletionGuardTriggered, out.guardMessage
		changes := out.changes
		st.LastSyncChanges = &changes
		st.LastAppliedSyncTime = st.LastSyncTime // everything but the held deletions was applied
	default:
		changes := out.changes
		st.LastSyncChanges = &changes
		st.LastAppliedSyncTime = st.LastSyncTime
	}
	setReady(dir, c, now)
}

// markFailed records a failed sync: Ready=False with the reason, and the backoff schedule.
func markFailed(dir *dirsyncv1alpha1.Directory, f failure, now time.Time) {
	st := &dir.Status
	st.ConsecutiveFailures++
	next := metav1.NewTime(nextSync(st.LastSyncTime.Time, dir.SyncIntervalOrDefault().Duration, st.ConsecutiveFailures, f.retryAfter))
	st.NextSyncTime = &next
	if !dir.IsDryRun() {
		st.Plan = nil
	}
	setReady(dir, metav1.Condition{Type: dirsyncv1alpha1.ConditionReady, Status: metav1.ConditionFalse, Reason: f.reason, Message: f.message}, now)
}

// markSuspended sets Ready=False Suspended; the schedule is left as it was.
func markSuspended(dir *dirsyncv1alpha1.Directory, now time.Time) {
	setReady(dir, metav1.Condition{Type: dirsyncv1alpha1.ConditionReady, Status: metav1.ConditionFalse, Reason: dirsyncv1alpha1.ReasonSuspended,
		Message: "spec.suspend is true: no provider calls are made and every user and group stays as it is. Set it to false to resume."}, now)
}

// setReady sets the Ready condition for the current generation, and Syncing=False: no sync is running
// once a Ready verdict is written.
func setReady(dir *dirsyncv1alpha1.Directory, c metav1.Condition, now time.Time) {
	verdict.Set(dir, c, now)
	verdict.Set(dir, notSyncing(), now)
}

// notSyncing is the Syncing condition between syncs.
func notSyncing() metav1.Condition {
	return metav1.Condition{Type: dirsyncv1alpha1.ConditionSyncing, Status: metav1.ConditionFalse, Reason: dirsyncv1alpha1.ReasonIdle,
		Message: "No sync is running."}
}
