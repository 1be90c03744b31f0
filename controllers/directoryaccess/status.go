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
	"cmp"
	"slices"
	"strings"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/sets"
	ctrl "sigs.k8s.io/controller-runtime"

	dirsyncv1alpha1 "github.com/dirsync/dirsync/api/v1alpha1"
	"github.com/dirsync/dirsync/controllers/internal/verdict"
)

// problemPriority orders the Ready reasons of a DirectoryAccess: the first problem names the reason,
// and the message lists every problem in this order.
var problemPriority = map[string]int{
	dirsyncv1alpha1.ReasonInvalidSelector:        0,
	dirsyncv1alpha1.ReasonDirectoryNotFound:      1,
	dirsyncv1alpha1.ReasonDirectoryStale:         2,
	dirsyncv1alpha1.ReasonAdmissionPolicyMissing: 3,
	dirsyncv1alpha1.ReasonNotPermitted:           4,
	dirsyncv1alpha1.ReasonApplyFailed:            5,
	dirsyncv1alpha1.ReasonBindingTooLarge:        6,
	dirsyncv1alpha1.ReasonRevocationHeld:         7,
	dirsyncv1alpha1.ReasonDirectoryNotReady:      8,
	dirsyncv1alpha1.ReasonSubjectConflict:        9,
	dirsyncv1alpha1.ReasonInvalidTemplate:        10,
}

// accessReady is the Ready condition for a reconcile that found these problems.
func accessReady(problems []problem) metav1.Condition {
	if len(problems) == 0 {
		return metav1.Condition{Type: dirsyncv1alpha1.ConditionReady, Status: metav1.ConditionTrue, Reason: dirsyncv1alpha1.ReasonBound,
			Message: "Every selected, eligible person is bound in every target namespace that exists."}
	}
	sorted := append([]problem(nil), problems...)
	slices.SortStableFunc(sorted, func(a, b problem) int { return cmp.Compare(problemPriority[a.reason], problemPriority[b.reason]) })
	msgs := make([]string, 0, len(sorted))
	for _, p := range sorted {
		msgs = append(msgs, p.message)
	}
	return metav1.Condition{Type: dirsyncv1alpha1.ConditionReady, Status: metav1.ConditionFalse, Reason: sorted[0].reason,
		Message: strings.Join(msgs, " Also: ")}
}

// reconcileResult is what a reconcile that reached its verdict found and left behind.
type reconcileResult struct {
	// problems are why the DirectoryAccess is not (fully) Ready; none when it is.
	problems []problem
	// summary is what the RoleBindings hold after the reconcile's writes.
	summary accessSummary
	// held revocations the guard holds; deferred revocations waiting for the directory data to settle.
	held, deferred int
	// next is the next startDate/endDate boundary; zero when none.
	next time.Time
}

// markReconciled records a reconcile that reached its verdict: what is bound, what changed, and Ready,
// for the generation it planned (observedGeneration, which the revocation guard reads back: see
// guardedSubjects). While revocations wait for the data to settle (deferred), the guard has no verdict
// yet, so Ready and heldRevocations keep what the last verdict said (unless there is no Ready condition
// yet).
func markReconciled(acc *dirsyncv1alpha1.DirectoryAccess, res reconcileResult, now time.Time) {
	st := &acc.Status
	st.ObservedGeneration = acc.Generation
	sum := res.summary
	st.Subjects = int32(sum.bound.Len())
	st.Bindings = sum.bindings
	st.BoundSubjects = sets.List(sum.bound)
	if sum.granted+sum.revoked > 0 {
		t := metav1.NewTime(now.Truncate(time.Second))
		st.LastChange = &dirsyncv1alpha1.AccessChange{Granted: int32(sum.granted), Revoked: int32(sum.revoked), Time: &t}
	}
	st.NextReviewTime = nil
	if !res.next.IsZero() {
		t := metav1.NewTime(res.next)
		st.NextReviewTime = &t
	}
	if res.deferred > 0 && verdict.Ready(acc) != nil {
		return
	}
	st.HeldRevocations = int32(res.held)
	verdict.Set(acc, accessReady(res.problems), now)
}

// markCreating records, before dirsync creates them, the RoleBindings ops create (by namespace and name,
// without a UID yet), so that one created just before a crash is still known as dirsync's afterwards. It
// reports whether the record changed.
func markCreating(acc *dirsyncv1alpha1.DirectoryAccess, ops []bindingOp) bool {
	changed := false
	for _, op := range ops {
		if op.verb != verbCreate && op.verb != verbReplace {
			continue
		}
		entry := dirsyncv1alpha1.AccessBinding{Namespace: op.ns, Name: op.desired.Name}
		i := slices.IndexFunc(acc.Status.Bindings, func(b dirsyncv1alpha1.AccessBinding) bool { return b.Namespace == op.ns })
		switch {
		case i < 0:
			acc.Status.Bindings = append(acc.Status.Bindings, entry)
		case acc.Status.Bindings[i] != entry:
			acc.Status.Bindings[i] = entry
		default:
			continue
		}
		changed = true
	}
	slices.SortStableFunc(acc.Status.Bindings, func(a, b dirsyncv1alpha1.AccessBinding) int { return strings.Compare(a.Namespace, b.Namespace) })
	return changed
}

// markSuspended sets Ready=False Suspended for the current generation (observedGeneration: suspension is
// the verdict) and leaves everything else as it was.
func markSuspended(acc *dirsyncv1alpha1.DirectoryAccess, now time.Time) {
	acc.Status.ObservedGeneration = acc.Generation
	verdict.Set(acc, metav1.Condition{Type: dirsyncv1alpha1.ConditionReady, Status: metav1.ConditionFalse, Reason: dirsyncv1alpha1.ReasonSuspended,
		Message: "spec.suspend is true: dirsync changes no RoleBinding, so nobody is granted and nobody, not even a leaver, is revoked. " +
			"Set it to false to resume, or delete the DirectoryAccess to remove the access it gave."}, now)
}

// accessRequeue is the requeue for the next startDate/endDate boundary (a second after it, so that the
// clock has passed it), or after retry while something is not permitted, whichever comes first.
func accessRequeue(next time.Time, denied bool, retry time.Duration, now time.Time) ctrl.Result {
	var after time.Duration
	if !next.IsZero() {
		after = next.Sub(now) + time.Second
	}
	if denied && (after == 0 || after > retry) {
		after = retry
	}
	return ctrl.Result{RequeueAfter: after}
}
