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
	"slices"
	"strings"
	"testing"
	"time"

	eventsv1 "k8s.io/api/events/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/util/retry"
	"sigs.k8s.io/controller-runtime/pkg/client"

	dirsyncv1alpha1 "github.com/dirsync/dirsync/api/v1alpha1"
	"github.com/dirsync/dirsync/internal/testenv"
)

// A burst of removals larger than the Directory's deletion guard allows (here 6 of 10 people: more than
// 25% and more than 3) is held, with a token for exactly that set, while every other event goes out;
// a wrong token releases nothing, the right one releases exactly the set, once.
func TestDirectoryWebhookHoldsABurstOfRemovalsUntilApproved(t *testing.T) {
	w := newWorld(t)
	var people []*dirsyncv1alpha1.DirectoryUser
	for i := range 10 {
		people = append(people, w.user(person{name: fmt.Sprintf("acme-%d", i), id: fmt.Sprint(i), first: "P"}))
	}
	rc := newReceiver(t, "WorkOS-Signature")
	startOperator(t, operatorOptions{})
	w.webhook("app", rc.srv.URL, nil)
	w.waitReady("app", dirsyncv1alpha1.ReasonDelivered, func(wh *dirsyncv1alpha1.DirectoryWebhook) bool { return wh.Status.DeliveredEvents == 10 })

	for _, u := range people[:4] {
		w.remove(u)
	}
	w.user(person{name: "acme-4", id: "4", first: "P", inactive: true})
	w.user(person{name: "acme-5", id: "5", first: "P", inactive: true})
	w.user(person{name: "acme-new", id: "new", first: "Nia"})
	wh := w.waitReady("app", dirsyncv1alpha1.ReasonRemovalsHeld, func(wh *dirsyncv1alpha1.DirectoryWebhook) bool { return wh.Status.DeliveredEvents == 11 })
	held := wh.Status.HeldRemovals
	wantNames := []string{"acme-0", "acme-1", "acme-2", "acme-3", "acme-4", "acme-5"}
	if held == nil || held.Users != 6 || held.Groups != 0 || !slices.Equal(held.Names, wantNames) || len(held.ApprovalToken) != tokenLength {
		t.Fatalf("status.heldRemovals = %+v; want 6 people %v and a token", held, wantNames)
	}
	if wh.Status.PendingEvents != 6 || !strings.Contains(verdictMessage(wh), held.ApprovalToken) {
		t.Errorf("held events are pending (%d, want 6), and Ready says how to approve them: %s", wh.Status.PendingEvents, verdictMessage(wh))
	}
	if got := rc.deliveries(); len(got) != 11 || story(got)[10] != "dsync.user.created "+w.ns+".acme-new" {
		t.Fatalf("only the newcomer went out; got%s", summarize(got[10:]))
	}

	approveIn := func(token string) {
		t.Helper()
		wh := &dirsyncv1alpha1.DirectoryWebhook{}
		wh.Namespace, wh.Name = w.ns, "app"
		testenv.Update(t, k8sClient, wh, func(o *dirsyncv1alpha1.DirectoryWebhook) {
			if o.Annotations == nil {
				o.Annotations = map[string]string{}
			}
			o.Annotations[dirsyncv1alpha1.AnnotationApproveRemovals] = token
		})
	}
	approveIn("not-the-token")
	w.waitReady("app", dirsyncv1alpha1.ReasonRemovalsHeld, func(wh *dirsyncv1alpha1.DirectoryWebhook) bool {
		return wh.Status.LastHandledApproval == "not-the-token" && wh.Status.LastApproval == nil
	})
	waitEvent(t, w.ns, "ApprovalRejected")
	approveIn(held.ApprovalToken)
	wh = w.waitReady("app", dirsyncv1alpha1.ReasonDelivered, func(wh *dirsyncv1alpha1.DirectoryWebhook) bool { return wh.Status.DeliveredEvents == 17 })
	if a := wh.Status.LastApproval; a == nil || a.Token != held.ApprovalToken || a.Users != 6 {
		t.Errorf("status.lastApproval = %+v", a)
	}
	got := sorted(rc.deliveries()[11:])
	var want []string
	for i := range 4 {
		want = append(want, fmt.Sprintf("dsync.user.deleted %s.acme-%d", w.ns, i))
	}
	want = append(want, "dsync.user.updated "+w.ns+".acme-4", "dsync.user.updated "+w.ns+".acme-5")
	if !slices.Equal(got, want) {
		t.Errorf("the approval released %v; want %v", got, want)
	}
	waitEvent(t, w.ns, "RemovalsApproved")
}

func verdictMessage(wh *dirsyncv1alpha1.DirectoryWebhook) string {
	for _, c := range wh.Status.Conditions {
		if c.Type == dirsyncv1alpha1.ConditionReady {
			return c.Message
		}
	}
	return ""
}

// waitEvent waits for an Event with reason about a DirectoryWebhook of the namespace.
func waitEvent(t *testing.T, ns, reason string) {
	t.Helper()
	eventually(t, func() (bool, string) {
		var l eventsv1.EventList
		must(t, k8sClient.List(t.Context(), &l, client.InNamespace(ns)))
		var reasons []string
		for _, e := range l.Items {
			if e.Regarding.Kind == "DirectoryWebhook" {
				reasons = append(reasons, e.Reason)
			}
		}
		return slices.Contains(reasons, reason), describe("no %s Event; have %v", reason, reasons)
	})
}

// Removals wait for the Directory's writes to pause before the guard weighs them, but no longer than its
// sync: the status it writes at the end of a sync (Syncing not True) lets them go at once. Here the wait
// would be a minute; a leaver is told within seconds of the Directory's status write.
func TestDirectoryWebhookWeighsRemovalsWhenTheDirectorySyncEnds(t *testing.T) {
	w := newWorld(t)
	for i := range 5 {
		w.user(person{name: fmt.Sprintf("acme-%d", i), id: fmt.Sprint(i), first: "P"})
	}
	rc := newReceiver(t, "WorkOS-Signature")
	startOperator(t, operatorOptions{settle: time.Minute})
	w.webhook("app", rc.srv.URL, nil)
	w.waitReady("app", dirsyncv1alpha1.ReasonDelivered, func(wh *dirsyncv1alpha1.DirectoryWebhook) bool { return wh.Status.DeliveredEvents == 5 })
	w.user(person{name: "acme-0", id: "0", first: "P", inactive: true}) // a sync's write of a leaver
	time.Sleep(2 * time.Second)                                         // removals settle: nothing yet
	if n := len(rc.deliveries()); n != 5 {
		t.Fatalf("the leaver was told before the Directory's writes settled: %d events", n)
	}
	start := time.Now()
	must(t, retry.RetryOnConflict(retry.DefaultRetry, func() error { // the Directory controller's end-of-sync status write
		d := &dirsyncv1alpha1.Directory{}
		if err := k8sClient.Get(w.ctx, client.ObjectKey{Namespace: w.ns, Name: "acme"}, d); err != nil {
			return err
		}
		d.Status.LastSyncTime = &metav1.Time{Time: time.Now().Truncate(time.Second)}
		meta.SetStatusCondition(&d.Status.Conditions, metav1.Condition{Type: dirsyncv1alpha1.ConditionSyncing, Status: metav1.ConditionFalse,
			Reason: dirsyncv1alpha1.ReasonIdle, Message: "No sync is running."})
		return k8sClient.Status().Update(w.ctx, d)
	}))
	rc.waitFor(t, "the leaver", func(ds []delivery) bool { return len(ds) == 6 })
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("the leaver was told %s after the Directory's sync ended", d)
	}
}
