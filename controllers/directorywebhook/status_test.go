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
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	dirsyncv1alpha1 "github.com/dirsync/dirsync/api/v1alpha1"
	"github.com/dirsync/dirsync/controllers/internal/verdict"
)

func TestMarkDelivering(t *testing.T) {
	at := time.Date(2026, 3, 2, 9, 0, 0, 500, time.UTC)
	tests := []struct {
		name   string
		rep    report
		reason string
		status metav1.ConditionStatus
		says   string
	}{
		{name: "nothing pending", rep: report{loaded: true, planned: true}, reason: dirsyncv1alpha1.ReasonDelivered, status: metav1.ConditionTrue, says: "every change of Directory acme"},
		{name: "pending", rep: report{loaded: true, planned: true, pending: 3}, reason: dirsyncv1alpha1.ReasonDelivering, status: metav1.ConditionTrue},
		{name: "loading", rep: report{}, reason: dirsyncv1alpha1.ReasonDelivering, status: metav1.ConditionTrue, says: "Reading"},
		{name: "loaded, not compared yet", rep: report{loaded: true}, reason: dirsyncv1alpha1.ReasonDelivering, status: metav1.ConditionTrue, says: "comparing"},
		{name: "two failures are a blip", rep: report{loaded: true, planned: true, pending: 3, failures: 2, lastError: "HTTP 503 from the receiver"},
			reason: dirsyncv1alpha1.ReasonDelivering, status: metav1.ConditionTrue},
		{name: "three are an outage", rep: report{loaded: true, planned: true, pending: 3, failures: 3, lastError: "HTTP 503 from the receiver"},
			reason: dirsyncv1alpha1.ReasonReceiverFailing, status: metav1.ConditionFalse, says: "(HTTP 503 from the receiver)"},
		{name: "held", rep: report{loaded: true, planned: true, pending: 9, held: newHeldSet([]string{"a", "b", "c", "d"}, nil)},
			reason: dirsyncv1alpha1.ReasonRemovalsHeld, status: metav1.ConditionFalse, says: "kubectl dirsync webhook approve app -n hr"},
		{name: "the record cannot be written", rep: report{loaded: true, planned: true, recordError: "forbidden"},
			reason: dirsyncv1alpha1.ReasonApplyFailed, status: metav1.ConditionFalse, says: "Nothing is sent until it can be"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := &dirsyncv1alpha1.DirectoryWebhook{ObjectMeta: metav1.ObjectMeta{Name: "app", Namespace: "hr", Generation: 4},
				Spec: dirsyncv1alpha1.DirectoryWebhookSpec{DirectoryRef: dirsyncv1alpha1.DirectoryReference{Name: "acme"}}}
			tt.rep.generation, tt.rep.delivered, tt.rep.lastDelivery = 3, 5, at
			markDelivering(w, tt.rep, 100, 25, at)
			c := verdict.Ready(w)
			if c.Reason != tt.reason || c.Status != tt.status || !strings.Contains(c.Message, tt.says) || c.ObservedGeneration != 4 {
				t.Errorf("Ready = %s %s (generation %d): %s", c.Status, c.Reason, c.ObservedGeneration, c.Message)
			}
			st := w.Status
			if st.ObservedGeneration != 3 || st.DeliveredEvents != 105 || st.PendingEvents != int32(tt.rep.pending) || !st.LastDeliveryTime.Time.Equal(at.Truncate(time.Second)) {
				t.Errorf("status = %+v", st)
			}
			if (st.HeldRemovals != nil) != (tt.rep.held != nil) {
				t.Errorf("heldRemovals = %+v", st.HeldRemovals)
			}
		})
	}
}

func TestMarkStopped(t *testing.T) {
	w := &dirsyncv1alpha1.DirectoryWebhook{ObjectMeta: metav1.ObjectMeta{Generation: 7},
		Status: dirsyncv1alpha1.DirectoryWebhookStatus{HeldRemovals: &dirsyncv1alpha1.HeldRemovals{Users: 4}, DeliveredEvents: 12}}
	markStopped(w, dirsyncv1alpha1.ReasonSuspended, "suspended", time.Now())
	if c := verdict.Ready(w); c.Reason != dirsyncv1alpha1.ReasonSuspended || c.Status != metav1.ConditionFalse || w.Status.ObservedGeneration != 7 ||
		w.Status.HeldRemovals != nil || w.Status.DeliveredEvents != 12 {
		t.Errorf("status = %+v", w.Status)
	}
}
