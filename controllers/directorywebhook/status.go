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

package directorywebhook

import (
	"fmt"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	dirsyncv1alpha1 "github.com/dirsync/dirsync/api/v1alpha1"
	"github.com/dirsync/dirsync/controllers/internal/verdict"
	"github.com/dirsync/dirsync/internal/provider"
)

// maxLastError bounds status.lastError (the CRD allows 256 characters).
const maxLastError = 250

// failingAfter is how many consecutive failed attempts turn Ready to False ReceiverFailing: one timeout
// is a blip, three in a row are an outage.
const failingAfter = 3

// report is what a webhook's worker has done, for its status.
type report struct {
	// generation is the webhook generation of the worker's configuration.
	generation int64
	// loaded is true once the record is read (and, for a new webhook, started); planned once the worker
	// has compared it with the Directory (until then, pending means nothing yet).
	loaded, planned bool
	// pending counts the events owed, held ones included.
	pending int
	// delivered counts the events the receiver acknowledged since the worker started.
	delivered int64
	// failures counts consecutive failed attempts (any object); lastError says why the last one failed.
	failures  int
	lastError string
	// lastDelivery is when the receiver last acknowledged an event.
	lastDelivery time.Time
	// users and groups are how many the record says the receiver knows of.
	users, groups int
	held          *heldSet
	// recordError says why the record cannot be read or written; nothing is sent meanwhile.
	recordError string
}

// markDelivering records a running worker's report in the webhook's status: the counts, the held
// removals and Ready, for the generation the worker runs with. deliveredBase is status.deliveredEvents
// when the worker started.
func markDelivering(w *dirsyncv1alpha1.DirectoryWebhook, r report, deliveredBase int64, maxDeletePercent int32, now time.Time) {
	st := &w.Status
	st.ObservedGeneration = r.generation
	st.PendingEvents = int32(r.pending)
	st.DeliveredEvents = deliveredBase + r.delivered
	st.FailedAttempts = int32(r.failures)
	st.LastError = provider.OneLine(r.lastError, maxLastError)
	if !r.lastDelivery.IsZero() {
		t := metav1.NewTime(r.lastDelivery.Truncate(time.Second))
		st.LastDeliveryTime = &t
	}
	if r.loaded {
		st.RecordedUsers, st.RecordedGroups = int32(r.users), int32(r.groups)
	}
	st.HeldRemovals = r.held.status()
	verdict.Set(w, deliveringReady(w, r, maxDeletePercent), now)
}

// deliveringReady is Ready for a running worker's report.
func deliveringReady(w *dirsyncv1alpha1.DirectoryWebhook, r report, maxDeletePercent int32) metav1.Condition {
	c := metav1.Condition{Type: dirsyncv1alpha1.ConditionReady, Status: metav1.ConditionFalse}
	switch {
	case r.recordError != "":
		c.Reason = dirsyncv1alpha1.ReasonApplyFailed
		c.Message = "The webhook's record (its DirectoryWebhookRecords) cannot be read or written: " + r.recordError +
			". Nothing is sent until it can be, so that nothing is lost; check the manager's RBAC and the API server."
	case r.held != nil:
		c.Reason = dirsyncv1alpha1.ReasonRemovalsHeld
		c.Message = fmt.Sprintf("The Directory's changes would remove %s and %s from the receiver's view, more than its "+
			"spec.deletionGuard.maxDeletePercent (%d%%) allows at once, so those removals are held; every other event is delivered. "+
			"If they are right, approve exactly them: kubectl dirsync webhook approve %s -n %s (or annotate %s=%s).",
			countNoun(r.held.users, "person", "people"), countNoun(r.held.groups, "group", "groups"), maxDeletePercent,
			w.Name, w.Namespace, dirsyncv1alpha1.AnnotationApproveRemovals, r.held.token)
	case r.failures >= failingAfter:
		c.Reason = dirsyncv1alpha1.ReasonReceiverFailing
		c.Message = "The receiver failed the last attempts (" + r.lastError + "). They are retried with backoff, " +
			"and nothing is lost: every pending change is delivered once it answers 2xx."
	case !r.loaded || !r.planned:
		c.Status, c.Reason = metav1.ConditionTrue, dirsyncv1alpha1.ReasonDelivering
		c.Message = "Reading the webhook's record and comparing it with the Directory."
	case r.pending > 0:
		c.Status, c.Reason = metav1.ConditionTrue, dirsyncv1alpha1.ReasonDelivering
		c.Message = "Events are being delivered; status.pendingEvents says how many remain."
	default:
		c.Status, c.Reason = metav1.ConditionTrue, dirsyncv1alpha1.ReasonDelivered
		c.Message = fmt.Sprintf("The receiver has acknowledged every change of Directory %s.", w.Spec.DirectoryRef.Name)
	}
	return c
}

// markStopped records why no worker runs (reason and message for Ready False), for the current
// generation: the verdict on this spec is that nothing can be delivered.
func markStopped(w *dirsyncv1alpha1.DirectoryWebhook, reason, message string, now time.Time) {
	w.Status.ObservedGeneration = w.Generation
	w.Status.HeldRemovals = nil
	verdict.Set(w, metav1.Condition{Type: dirsyncv1alpha1.ConditionReady, Status: metav1.ConditionFalse, Reason: reason, Message: message}, now)
}

func countNoun(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}
