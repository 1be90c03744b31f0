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
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

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
	for reason := range problemPriority {
		if reason == "" {
			t.Error("empty reason in problemPriority")
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
	markReconciled(acc, reconcileResult{problems: held, summary: accessSummary{subjects: 10}, held: 6}, accessNow)
	markReconciled(acc, reconcileResult{summary: accessSummary{subjects: 10}, deferred: 6}, accessNow.Add(time.Minute)) // waiting: no verdict
	if c := verdict.Ready(acc); c.Reason != dirsyncv1alpha1.ReasonRevocationHeld || acc.Status.HeldRevocations != 6 {
		t.Errorf("while revocations wait: Ready %s, heldRevocations %d; want RevocationHeld and 6 kept", c.Reason, acc.Status.HeldRevocations)
	}
	markReconciled(acc, reconcileResult{summary: accessSummary{subjects: 4}}, accessNow.Add(2*time.Minute)) // let through
	if c := verdict.Ready(acc); c.Reason != dirsyncv1alpha1.ReasonBound || acc.Status.HeldRevocations != 0 || acc.Status.Subjects != 4 {
		t.Errorf("after the verdict: Ready %s, heldRevocations %d, subjects %d", c.Reason, acc.Status.HeldRevocations, acc.Status.Subjects)
	}
}
