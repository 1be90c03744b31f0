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
	"slices"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/sets"

	dirsyncv1alpha1 "github.com/dirsync/dirsync/api/v1alpha1"
	"github.com/dirsync/dirsync/controllers/internal/verdict"
)

func TestAccessReadyOrdersProblems(t *testing.T) {
	c := accessReady([]problem{{dirsyncv1alpha1.ReasonSubjectConflict, "conflict."}, {dirsyncv1alpha1.ReasonNotPermitted, "denied."}})
	if c.Status != metav1.ConditionFalse || c.Reason != dirsyncv1alpha1.ReasonNotPermitted || c.Message != "denied. Also: conflict." {
		t.Errorf("Ready = %+v", c)
	}
	if c := accessReady(nil); c.Status != metav1.ConditionTrue || c.Reason != dirsyncv1alpha1.ReasonBound {
		t.Errorf("Ready without problems = %+v", c)
	}
	// Every reason a reconcile can report has its own place, in this order: what the user must fix
	// first (the spec, the Directory, the install) before what dirsync holds back on purpose.
	order := []string{dirsyncv1alpha1.ReasonInvalidSelector, dirsyncv1alpha1.ReasonDirectoryNotFound, dirsyncv1alpha1.ReasonDirectoryStale,
		dirsyncv1alpha1.ReasonAdmissionPolicyMissing, dirsyncv1alpha1.ReasonNotPermitted, dirsyncv1alpha1.ReasonApplyFailed,
		dirsyncv1alpha1.ReasonBindingTooLarge, dirsyncv1alpha1.ReasonRevocationHeld, dirsyncv1alpha1.ReasonDirectoryNotReady,
		dirsyncv1alpha1.ReasonSubjectConflict, dirsyncv1alpha1.ReasonInvalidTemplate}
	if len(problemPriority) != len(order) {
		t.Errorf("problemPriority has %d reasons, want %d", len(problemPriority), len(order))
	}
	for i := 1; i < len(order); i++ {
		a, aok := problemPriority[order[i-1]]
		b, bok := problemPriority[order[i]]
		if !aok || !bok || a >= b {
			t.Errorf("%s (%d, %v) must come before %s (%d, %v)", order[i-1], a, aok, order[i], b, bok)
		}
		if c := accessReady([]problem{{order[i], "later."}, {order[i-1], "first."}}); c.Reason != order[i-1] || c.Message != "first. Also: later." {
			t.Errorf("Ready for %s and %s = %s %q", order[i], order[i-1], c.Reason, c.Message)
		}
	}
}

func TestAccessRequeue(t *testing.T) {
	next := accessNow.Add(3 * time.Hour)
	tests := []struct {
		name   string
		next   time.Time
		denied bool
		want   time.Duration
	}{
		{name: "nothing scheduled", want: 0},
		{name: "a boundary in 3h", next: next, want: 3*time.Hour + time.Second},
		{name: "not permitted: soon", denied: true, want: defaultNotPermittedRetry},
		{name: "not permitted and a boundary: the sooner", next: next, denied: true, want: defaultNotPermittedRetry},
		{name: "not permitted and a boundary in 2s", next: accessNow.Add(2 * time.Second), denied: true, want: 3 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := accessRequeue(tt.next, tt.denied, defaultNotPermittedRetry, accessNow).RequeueAfter; got != tt.want {
				t.Errorf("RequeueAfter %s, want %s", got, tt.want)
			}
		})
	}
}

func TestMarkReconciledKeepsTheGuardsVerdictWhileRevocationsWait(t *testing.T) {
	acc := accAccess()
	held := []problem{{dirsyncv1alpha1.ReasonRevocationHeld, "held."}}
	ten, four := sets.New(accSubjects(10)...), sets.New(accSubjects(4)...)
	markReconciled(acc, reconcileResult{problems: held, summary: accessSummary{bound: ten}, held: 6}, accessNow)
	markReconciled(acc, reconcileResult{summary: accessSummary{bound: ten}, deferred: 6}, accessNow.Add(time.Minute)) // waiting: no verdict
	if c := verdict.Ready(acc); c.Reason != dirsyncv1alpha1.ReasonRevocationHeld || acc.Status.HeldRevocations != 6 {
		t.Errorf("while revocations wait: Ready %s, heldRevocations %d; want RevocationHeld and 6 kept", c.Reason, acc.Status.HeldRevocations)
	}
	markReconciled(acc, reconcileResult{summary: accessSummary{bound: four}}, accessNow.Add(2*time.Minute)) // let through
	if c := verdict.Ready(acc); c.Reason != dirsyncv1alpha1.ReasonBound || acc.Status.HeldRevocations != 0 || acc.Status.Subjects != 4 ||
		!slices.Equal(acc.Status.BoundSubjects, sets.List(four)) {
		t.Errorf("after the verdict: Ready %s, heldRevocations %d, subjects %d, boundSubjects %v", c.Reason, acc.Status.HeldRevocations,
			acc.Status.Subjects, acc.Status.BoundSubjects)
	}
}

// Before dirsync creates a RoleBinding, the status records it by namespace and name (no UID yet), so
// that one created just before a crash is adopted afterwards rather than left behind as someone else's.
func TestMarkCreatingRecordsTheIntentOnce(t *testing.T) {
	acc := accAccess()
	web := accBinding("web", "oidc:a")
	acc.Status.Bindings = []dirsyncv1alpha1.AccessBinding{{Namespace: "web", Name: web.Name, UID: string(web.UID), Digest: "d"}}
	ops := []bindingOp{
		compareBinding(&web, desiredAccessBinding(acc, "web", web.Name, []string{"oidc:a"})),
		compareBinding(nil, desiredAccessBinding(acc, "api", "dirsync-eng-x", []string{"oidc:a"})),
	}
	if !markCreating(acc, ops) {
		t.Fatal("markCreating reported no change")
	}
	want := []dirsyncv1alpha1.AccessBinding{{Namespace: "api", Name: "dirsync-eng-x"}, {Namespace: "web", Name: web.Name, UID: string(web.UID), Digest: "d"}}
	if !slices.Equal(acc.Status.Bindings, want) {
		t.Errorf("bindings %+v, want %+v", acc.Status.Bindings, want)
	}
	if markCreating(acc, ops) {
		t.Error("recording the same intent twice changed the status")
	}
}
