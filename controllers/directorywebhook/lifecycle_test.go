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
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	dirsyncv1alpha1 "github.com/dirsync/dirsync/api/v1alpha1"
	"github.com/dirsync/dirsync/internal/testenv"
)

// recordGate refuses the operator's writes of DirectoryWebhookRecords while closed: the process is as
// good as dead between sending an event and recording it.
type recordGate struct{ closed atomic.Bool }

func (g *recordGate) wrap(next http.RoundTripper) http.RoundTripper {
	return testenv.RoundTripperFunc(func(r *http.Request) (*http.Response, error) {
		if g.closed.Load() && r.Method != http.MethodGet && strings.Contains(r.URL.Path, "/directorywebhookrecords") {
			return nil, errors.New("the story refuses record writes (a crash)")
		}
		return next.RoundTrip(r)
	})
}

// titles are the job titles of a person's user events, in the order the receiver got them.
func titles(ds []delivery, object string) []string {
	var out []string
	for _, d := range ds {
		if d.object() == object && strings.HasPrefix(d.typ(), "dsync.user.") {
			attrs, _ := d.data()["custom_attributes"].(map[string]any)
			out = append(out, str(attrs["job_title"]))
		}
	}
	return out
}

// A restarted operator reads its record and sends nothing it has sent.
func TestDirectoryWebhookRestartSendsNothingAgain(t *testing.T) {
	w := newWorld(t)
	w.group("acme-eng", "Engineering")
	for i := range 5 {
		w.user(person{name: fmt.Sprintf("acme-%d", i), id: fmt.Sprint(i), first: "P", groups: []string{"acme-eng"}})
	}
	rc := newReceiver(t, "WorkOS-Signature")
	op := startOperator(t, operatorOptions{})
	w.webhook("app", rc.srv.URL, nil)
	wh := w.waitReady("app", dirsyncv1alpha1.ReasonDelivered, func(wh *dirsyncv1alpha1.DirectoryWebhook) bool { return wh.Status.DeliveredEvents == 11 })
	op.stop()
	// The record: one shard, owned by the webhook, holding the 5 people and the group.
	recs := w.records("app")
	if len(recs) != 1 || recs[0].Spec.Entries != 6 || recs[0].Spec.Shards != 1 || !isControlledBy(&recs[0], wh.UID) {
		t.Fatalf("the record after delivery: %d objects, %+v", len(recs), recs)
	}
	startOperator(t, operatorOptions{})
	w.user(person{name: "acme-new", id: "new", first: "Nia"})
	rc.waitFor(t, "the newcomer", func(ds []delivery) bool { return len(ds) >= 12 })
	w.waitReady("app", dirsyncv1alpha1.ReasonDelivered, func(wh *dirsyncv1alpha1.DirectoryWebhook) bool { return wh.Status.DeliveredEvents == 12 })
	if got := rc.deliveries(); len(got) != 12 || story(got)[11] != "dsync.user.created "+w.ns+".acme-new" {
		t.Fatalf("after a restart only the newcomer is told; got%s", summarize(got[11:]))
	}
	uniqueIDs(t, rc.deliveries())
}

// A crash between sending an event and recording it loses nothing: the object was marked unsure before
// the event went out, so the restarted operator tells it again in full, with a new event id (a receiver
// that drops duplicates by id still applies it). First Bob changes once (told, not recorded): he is told
// again. Then Alice changes A → B (told, not recorded) → A: a record without the mark would say "A,
// nothing to send", and the receiver would keep B.
func TestDirectoryWebhookCrashBetweenSendAndRecordLosesNothing(t *testing.T) {
	w := newWorld(t)
	w.user(person{name: "acme-alice", id: "1", first: "Alice", title: "A"})
	w.user(person{name: "acme-bob", id: "2", first: "Bob", title: "one"})
	rc := newReceiver(t, "WorkOS-Signature")
	gate := &recordGate{}
	op := startOperator(t, operatorOptions{wrap: gate.wrap})
	w.webhook("app", rc.srv.URL, nil)
	w.waitReady("app", dirsyncv1alpha1.ReasonDelivered, func(wh *dirsyncv1alpha1.DirectoryWebhook) bool { return wh.Status.DeliveredEvents == 2 })
	ns := w.ns + "."
	// crashOn makes the receiver acknowledge the event with this title, and the operator unable to record
	// anything from that moment.
	crashOn := func(title string) {
		rc.setAnswer(func(d delivery) int {
			if ts := titles([]delivery{d}, d.object()); len(ts) == 1 && ts[0] == title {
				gate.closed.Store(true)
			}
			return http.StatusOK
		})
	}

	crashOn("two")
	w.user(person{name: "acme-bob", id: "2", first: "Bob", title: "two"})
	rc.waitFor(t, "Bob's two", func(ds []delivery) bool { return len(ds) >= 3 })
	w.waitReady("app", dirsyncv1alpha1.ReasonApplyFailed, nil)
	op.stop()
	gate.closed.Store(false)
	rc.setAnswer(nil)
	op = startOperator(t, operatorOptions{wrap: gate.wrap})
	rc.waitFor(t, "Bob told again", func(ds []delivery) bool { return len(ds) >= 4 })
	w.waitReady("app", dirsyncv1alpha1.ReasonDelivered, nil)
	if diff := cmp.Diff([]string{"one", "two", "two"}, titles(rc.deliveries(), ns+"acme-bob")); diff != "" {
		t.Errorf("Bob's titles as the receiver got them (-want +got):\n%s", diff)
	}

	crashOn("B")
	w.user(person{name: "acme-alice", id: "1", first: "Alice", title: "B"})
	rc.waitFor(t, "Alice's B", func(ds []delivery) bool { return len(ds) >= 5 })
	w.user(person{name: "acme-alice", id: "1", first: "Alice", title: "A"})
	w.waitReady("app", dirsyncv1alpha1.ReasonApplyFailed, nil) // the intent to send A cannot be written: A is not sent
	op.stop()
	if got := rc.deliveries(); len(got) != 5 {
		t.Fatalf("nothing is sent while the record cannot be written; got%s", summarize(got))
	}
	gate.closed.Store(false)
	rc.setAnswer(nil)
	startOperator(t, operatorOptions{wrap: gate.wrap})
	rc.waitFor(t, "Alice told again", func(ds []delivery) bool { return len(ds) >= 6 })
	w.waitReady("app", dirsyncv1alpha1.ReasonDelivered, nil)
	got := rc.deliveries()
	if diff := cmp.Diff([]string{"A", "B", "A"}, titles(got, ns+"acme-alice")); diff != "" {
		t.Errorf("Alice's titles as the receiver got them (-want +got):\n%s", diff)
	}
	uniqueIDs(t, got)
}

// A receiver that does not answer fails its webhook's deliveries (Ready False ReceiverFailing, a short
// lastError, events pending) but slows neither another webhook of the same Directory nor the Directory;
// once it answers, it gets every pending change once, as it is now.
func TestDirectoryWebhookDeadReceiverLosesNothingAndSlowsNoOne(t *testing.T) {
	w := newWorld(t)
	for i := range 12 {
		w.user(person{name: fmt.Sprintf("acme-%02d", i), id: fmt.Sprint(i), first: "P", title: "v1"})
	}
	dead, live := newReceiver(t, "WorkOS-Signature"), newReceiver(t, "WorkOS-Signature")
	var down atomic.Bool
	down.Store(true)
	dead.setAnswer(func(delivery) int {
		if down.Load() {
			time.Sleep(2500 * time.Millisecond) // longer than the operator's 2 s attempt timeout
			return http.StatusServiceUnavailable
		}
		return http.StatusOK
	})
	startOperator(t, operatorOptions{})
	w.webhook("dead", dead.srv.URL, nil)
	w.webhook("live", live.srv.URL, nil)
	w.waitReady("live", dirsyncv1alpha1.ReasonDelivered, func(wh *dirsyncv1alpha1.DirectoryWebhook) bool { return wh.Status.DeliveredEvents == 12 })
	wh := w.waitReady("dead", dirsyncv1alpha1.ReasonReceiverFailing, nil)
	if wh.Status.LastError != "no answer within 2s" || wh.Status.PendingEvents != 12 || wh.Status.FailedAttempts < failingAfter {
		t.Errorf("a dead receiver's status: lastError %q, pending %d, failedAttempts %d", wh.Status.LastError, wh.Status.PendingEvents, wh.Status.FailedAttempts)
	}

	// While it is down, people change twice: the live receiver is told at once, each time.
	for _, title := range []string{"v2", "v3"} {
		for i := range 12 {
			w.user(person{name: fmt.Sprintf("acme-%02d", i), id: fmt.Sprint(i), first: "P", title: title})
		}
		w.waitReady("live", dirsyncv1alpha1.ReasonDelivered, func(wh *dirsyncv1alpha1.DirectoryWebhook) bool {
			return wh.Status.DeliveredEvents == int64(12*map[string]int{"v2": 2, "v3": 3}[title])
		})
	}
	down.Store(false)
	w.waitReady("dead", dirsyncv1alpha1.ReasonDelivered, nil)
	got := dead.deliveries()
	uniqueIDs(t, got)
	for i := range 12 {
		ts := titles(got, fmt.Sprintf("%s.acme-%02d", w.ns, i))
		// The creation was planned before the outage (and retried as it was); then the net change: v3.
		if len(ts) == 0 || ts[len(ts)-1] != "v3" || len(ts) > 2 || (len(ts) == 2 && ts[0] == ts[1]) {
			t.Errorf("person %d: the recovered receiver got titles %v; want each state at most once, ending with v3", i, ts)
		}
	}
}

// One object's events go out one at a time, in order, while several objects are in flight at once.
func TestDirectoryWebhookOrdersEventsPerObject(t *testing.T) {
	w := newWorld(t)
	for i := range 8 {
		w.user(person{name: fmt.Sprintf("acme-%d", i), id: fmt.Sprint(i), first: "P", title: "t0"})
	}
	rc := newReceiver(t, "WorkOS-Signature")
	rc.setAnswer(func(delivery) int { time.Sleep(20 * time.Millisecond); return http.StatusOK })
	startOperator(t, operatorOptions{})
	w.webhook("app", rc.srv.URL, nil)
	w.waitReady("app", dirsyncv1alpha1.ReasonDelivered, func(wh *dirsyncv1alpha1.DirectoryWebhook) bool { return wh.Status.DeliveredEvents == 8 })
	for step := 1; step <= 10; step++ {
		w.user(person{name: "acme-0", id: "0", first: "P", title: fmt.Sprintf("t%d", step)})
		time.Sleep(15 * time.Millisecond) // a change while the previous one may be in flight
	}
	got := rc.waitFor(t, "the last title", func(ds []delivery) bool {
		ts := titles(ds, w.ns+".acme-0")
		return len(ts) > 0 && ts[len(ts)-1] == "t10"
	})
	ts := titles(got, w.ns+".acme-0")
	for i := 1; i < len(ts); i++ {
		var a, b int
		_, _ = fmt.Sscanf(ts[i-1], "t%d", &a)
		_, _ = fmt.Sscanf(ts[i], "t%d", &b)
		if b <= a {
			t.Errorf("the titles went back or repeated: %v", ts)
		}
	}
	rc.mu.Lock()
	defer rc.mu.Unlock()
	for subject, n := range rc.maxInFlight {
		if n > 1 {
			t.Errorf("%d events of %s were in flight at once", n, subject)
		}
	}
	if rc.maxConcurrent < 2 || rc.maxConcurrent > maxInFlight {
		t.Errorf("at most %d requests at once, and more than one for several objects; saw %d", maxInFlight, rc.maxConcurrent)
	}
}
