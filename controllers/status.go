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
	"context"
	"errors"
	"fmt"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	dirsyncv1alpha1 "github.com/dirsync/dirsync/api/v1alpha1"
	"github.com/dirsync/dirsync/internal/provider"
)

// conditioned is any object with metav1 conditions.
type conditioned interface {
	metav1.Object
	GetConditions() []metav1.Condition
	SetConditions([]metav1.Condition)
}

// setCondition sets c on obj, filling ObservedGeneration from the object and truncating the
// transition time to seconds; the time only moves when the status changes. It reports whether
// anything changed.
func setCondition(obj conditioned, c metav1.Condition, now time.Time) bool {
	c.ObservedGeneration = obj.GetGeneration()
	c.LastTransitionTime = metav1.NewTime(now.Truncate(time.Second))
	conds := obj.GetConditions()
	changed := meta.SetStatusCondition(&conds, c)
	obj.SetConditions(conds)
	return changed
}

// errSecret is a problem with the credentials Secret that only the user can fix.
type errSecret struct{ msg string }

func (e *errSecret) Error() string { return e.msg }

// errInsecureEndpoint is an http:// endpoint while the manager does not allow them.
type errInsecureEndpoint struct{ endpoint string }

func (e *errInsecureEndpoint) Error() string {
	return fmt.Sprintf("spec.endpoint %s is not https://; no request was sent. Use an https:// URL "+
		"(the manager accepts http:// only when started with --allow-insecure-endpoints, for local fakes)", e.endpoint)
}

// reasonFor maps a sync error to the Ready condition's reason and an actionable message. The message
// is deterministic (no times or counts) and never contains the API key: apiKey is redacted from it.
func reasonFor(err error, dir *dirsyncv1alpha1.Directory, apiKey string) (reason, message string) {
	ref := dir.Spec.CredentialsSecretRef
	name := providerName(dir.Spec.Provider)
	var rl *provider.RateLimitedError
	var se *errSecret
	var ie *errInsecureEndpoint
	switch {
	case errors.As(err, &se):
		reason, message = dirsyncv1alpha1.ReasonSecretNotFound, se.msg
	case errors.As(err, &ie):
		reason, message = dirsyncv1alpha1.ReasonInsecureEndpoint, ie.Error()
	case errors.Is(err, provider.ErrUnauthorized):
		reason = dirsyncv1alpha1.ReasonInvalidCredentials
		message = fmt.Sprintf("%s rejected the API key in Secret %s (key %s): %v. Create a new key in %s and update the Secret; the next sync starts within seconds.",
			name, ref.Name, secretKey(dir), err, name)
	case errors.As(err, &rl):
		reason = dirsyncv1alpha1.ReasonRateLimited
		message = fmt.Sprintf("%s is rate limiting requests; the next attempt waits until status.nextSyncTime. If this persists, another client may share the API key, or raise spec.syncInterval.", name)
	case errors.Is(err, provider.ErrInvalidResponse):
		reason = dirsyncv1alpha1.ReasonInvalidProviderResponse
		message = fmt.Sprintf("%s sent a response that is not a complete directory, so nothing was changed: %v. Check spec.endpoint; the sync is retried with backoff.", name, err)
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, provider.ErrUnavailable):
		reason = dirsyncv1alpha1.ReasonProviderUnavailable
		message = fmt.Sprintf("%s could not be reached or failed, so nothing was changed: %v. The sync is retried with backoff.", name, err)
	default:
		reason = dirsyncv1alpha1.ReasonProviderUnavailable
		message = fmt.Sprintf("The sync from %s failed, so nothing was changed: %v. The sync is retried with backoff.", name, err)
	}
	return reason, provider.Redact(message, apiKey)
}

func secretKey(dir *dirsyncv1alpha1.Directory) string {
	if k := dir.Spec.CredentialsSecretRef.Key; k != "" {
		return k
	}
	return "apiKey"
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

// syncOutcome is what a successful fetch-and-apply did, for the status.
type syncOutcome struct {
	changes       dirsyncv1alpha1.SyncChanges
	users, active int32
	groups        int32
	guard         guardResult
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

// markSucceeded writes a successful sync's counts, schedule and Ready condition.
func markSucceeded(dir *dirsyncv1alpha1.Directory, out syncOutcome, now time.Time) {
	st := &dir.Status
	st.ObservedGeneration = dir.Generation
	st.LastSuccessfulSyncTime = st.LastSyncTime
	st.ConsecutiveFailures = 0
	next := metav1.NewTime(nextSync(st.LastSyncTime.Time, dir.SyncIntervalOrDefault().Duration, 0, 0))
	st.NextSyncTime = &next
	st.UserCount, st.ActiveUserCount, st.GroupCount = out.users, out.active, out.groups
	changes := out.changes
	st.LastSyncChanges = &changes
	c := metav1.Condition{Type: dirsyncv1alpha1.ConditionReady, Status: metav1.ConditionTrue, Reason: dirsyncv1alpha1.ReasonSynced,
		Message: "The last sync read the whole directory from the provider and applied it."}
	if out.guard.held {
		c = metav1.Condition{Type: dirsyncv1alpha1.ConditionReady, Status: metav1.ConditionFalse,
			Reason: dirsyncv1alpha1.ReasonDeletionGuardTriggered, Message: out.guard.message}
	}
	setCondition(dir, c, now)
}

// markFailed records a failed sync: Ready=False with the reason, and the backoff schedule.
func markFailed(dir *dirsyncv1alpha1.Directory, reason, message string, retryAfter time.Duration, now time.Time) {
	st := &dir.Status
	st.ConsecutiveFailures++
	next := metav1.NewTime(nextSync(st.LastSyncTime.Time, dir.SyncIntervalOrDefault().Duration, st.ConsecutiveFailures, retryAfter))
	st.NextSyncTime = &next
	setCondition(dir, metav1.Condition{Type: dirsyncv1alpha1.ConditionReady, Status: metav1.ConditionFalse, Reason: reason, Message: message}, now)
}

// markApplyFailed records a sync whose provider read succeeded but whose writes to the API server
// failed: the retry backs off like a provider failure (so it never calls the provider in a hot loop),
// and the Ready condition keeps saying what it said, since the API error is logged and returned.
func markApplyFailed(dir *dirsyncv1alpha1.Directory) {
	st := &dir.Status
	st.ConsecutiveFailures++
	next := metav1.NewTime(nextSync(st.LastSyncTime.Time, dir.SyncIntervalOrDefault().Duration, st.ConsecutiveFailures, 0))
	st.NextSyncTime = &next
}

// markSuspended sets Ready=False Suspended; the schedule is left as it was.
func markSuspended(dir *dirsyncv1alpha1.Directory, now time.Time) {
	setCondition(dir, metav1.Condition{Type: dirsyncv1alpha1.ConditionReady, Status: metav1.ConditionFalse, Reason: dirsyncv1alpha1.ReasonSuspended,
		Message: "spec.suspend is true: no provider calls are made and every user and group stays as it is. Set it to false to resume."}, now)
}
