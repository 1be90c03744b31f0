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
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	dirsyncv1alpha1 "github.com/dirsync/dirsync/api/v1alpha1"
	"github.com/dirsync/dirsync/internal/provider"
)

// maxExamples is how many object names a dry-run plan shows per kind of change.
const maxExamples = 10

// setCondition sets c on obj, truncating the transition time to seconds; the time only moves when the
// status changes. The caller fills ObservedGeneration where it means something (the Directory);
// children leave it empty (see hasSynced).
func setCondition(obj child, c metav1.Condition, now time.Time) {
	c.LastTransitionTime = metav1.NewTime(now.Truncate(time.Second))
	conds := obj.GetConditions()
	meta.SetStatusCondition(&conds, c)
	obj.SetConditions(conds)
}

// failure is what a failed sync attempt tells the user: the Ready reason, an actionable message, and
// how long the provider asked to wait.
type failure struct {
	reason, message string
	retryAfter      time.Duration
	// unclassified is true when no rule knew the error (it backs off as ProviderUnavailable).
	unclassified bool
}

// classify is the one place that decides what a sync error means. Every error a sync can meet — the
// Secret, the spec, each provider package's sentinel errors, context errors, writes to the API server —
// maps to a Ready reason and a message that says what to do. Nothing falls through to a workqueue retry:
// the caller backs off on the Directory's own schedule whatever the reason. The message is deterministic
// apart from the error text and never contains the API key: apiKey is redacted from it.
func classify(err error, dir *dirsyncv1alpha1.Directory, apiKey string) failure {
	ref := dir.Spec.CredentialsSecretRef
	name := providerName(dir.Spec.Provider)
	var (
		se  *SecretError
		ie  *InsecureEndpointError
		is  *InvalidSpecError
		ae  *ApplyError
		rl  *provider.RateLimitedError
		api apierrors.APIStatus
		f   failure
	)
	switch {
	case errors.As(err, &se):
		f = failure{reason: dirsyncv1alpha1.ReasonSecretNotFound, message: se.Message}
	case errors.As(err, &ie):
		f = failure{reason: dirsyncv1alpha1.ReasonInsecureEndpoint, message: ie.Error()}
	case errors.As(err, &is), errors.Is(err, provider.ErrInvalidConfig):
		f = failure{reason: dirsyncv1alpha1.ReasonInvalidSpec, message: fmt.Sprintf(
			"The Directory's spec cannot be used with %s, so no request was sent: %v. Fix spec.endpoint (or remove it to use the provider's default).", name, err)}
	case errors.As(err, &ae):
		f = failure{reason: dirsyncv1alpha1.ReasonApplyFailed, message: fmt.Sprintf(
			"The directory was read from %s, but writing it to the cluster failed: %v. Check that object (another owner, a ResourceQuota, "+
				"an admission policy); the rest was written, and the sync is retried with backoff.", name, err)}
	case errors.Is(err, provider.ErrUnauthorized):
		f = failure{reason: dirsyncv1alpha1.ReasonInvalidCredentials, message: fmt.Sprintf(
			"%s rejected the API key in Secret %s (key %s): %v. Create a new key in %s and update the Secret; the next sync starts within seconds.",
			name, ref.Name, ref.KeyOrDefault(), err, name)}
	case errors.As(err, &rl):
		f = failure{reason: dirsyncv1alpha1.ReasonRateLimited, retryAfter: rl.RetryAfter, message: fmt.Sprintf(
			"%s is rate limiting requests; the next attempt waits until status.nextSyncTime. If this persists, another client may share the API key, or raise spec.syncInterval.", name)}
	case errors.Is(err, provider.ErrInvalidResponse):
		f = failure{reason: dirsyncv1alpha1.ReasonInvalidProviderResponse, message: fmt.Sprintf(
			"%s sent a response that is not a complete directory, so nothing was changed: %v. Check spec.endpoint; the sync is retried with backoff.", name, err)}
	case errors.As(err, &api):
		f = failure{reason: dirsyncv1alpha1.ReasonApplyFailed, message: fmt.Sprintf(
			"Reading or writing the cluster failed, so nothing more was changed: %v. The sync is retried with backoff.", err)}
	case errors.Is(err, provider.ErrUnavailable), errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled):
		f = failure{reason: dirsyncv1alpha1.ReasonProviderUnavailable, message: fmt.Sprintf(
			"%s could not be reached or failed, so nothing was changed: %v. The sync is retried with backoff.", name, err)}
	default:
		f = failure{reason: dirsyncv1alpha1.ReasonProviderUnavailable, unclassified: true, message: fmt.Sprintf(
			"The sync from %s failed, so nothing was changed: %v. The sync is retried with backoff.", name, err)}
	}
	f.message = provider.Redact(f.message, apiKey)
	return f
}

// providerName is the product name users know.
func providerName(t dirsyncv1alpha1.ProviderType) string {
	switch t {
	case dirsyncv1alpha1.ProviderBreatheHR:
		return "Breathe HR"
	case dirsyncv1alpha1.ProviderAccessPeopleHR:
		return "Access People HR"
	}
	return string(t)
}

func readyReason(dir *dirsyncv1alpha1.Directory) string {
	if c := meta.FindStatusCondition(dir.Status.Conditions, dirsyncv1alpha1.ConditionReady); c != nil {
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
func outcome(p plan, ok []bool, ex existing, g guardDecision) syncOutcome {
	out := syncOutcome{counted: true, users: int32(len(ex.users)), groups: int32(len(ex.groups))}
	for _, u := range ex.users {
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
func dryRunOutcome(dir *dirsyncv1alpha1.Directory, p plan, ex existing, g guardDecision) syncOutcome {
	out := outcome(p, make([]bool, len(p.ops)), ex, g)
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

// markSucceeded writes a sync's counts, schedule, held deletions, plan and Ready condition: Synced,
// DeletionGuardTriggered while the guard holds, or DryRun.
func markSucceeded(dir *dirsyncv1alpha1.Directory, out syncOutcome, now time.Time) {
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
	default:
		changes := out.changes
		st.LastSyncChanges = &changes
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
	c.ObservedGeneration = dir.Generation
	setCondition(dir, c, now)
	setCondition(dir, idle(dir), now)
}

// idle is the Syncing condition between syncs.
func idle(dir *dirsyncv1alpha1.Directory) metav1.Condition {
	return metav1.Condition{Type: dirsyncv1alpha1.ConditionSyncing, Status: metav1.ConditionFalse, Reason: dirsyncv1alpha1.ReasonIdle,
		Message: "No sync is running.", ObservedGeneration: dir.Generation}
}
