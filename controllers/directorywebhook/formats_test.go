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
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	dirsyncv1alpha1 "github.com/dirsync/dirsync/api/v1alpha1"
)

// format CloudEvents sends CloudEvents 1.0 in structured JSON mode, signed in Dirsync-Signature with the
// same scheme, and a leaver has the type io.dirsync.user.deactivated.v1.
func TestDirectoryWebhookCloudEventsFormat(t *testing.T) {
	w := newWorld(t)
	w.group("acme-eng", "Engineering")
	w.user(person{name: "acme-1", id: "1", first: "Alice", last: "Ng", email: "alice@acme.test", groups: []string{"acme-eng"}})
	rc := newReceiver(t, "Dirsync-Signature")
	startOperator(t, operatorOptions{})
	w.webhook("siem", rc.srv.URL, func(wh *dirsyncv1alpha1.DirectoryWebhook) { wh.Spec.Format = dirsyncv1alpha1.WebhookFormatCloudEvents })
	rc.waitFor(t, "the initial events", func(ds []delivery) bool { return len(ds) >= 3 })
	w.user(person{name: "acme-1", id: "1", first: "Alice", last: "Ng", email: "alice@acme.test", inactive: true, groups: []string{"acme-eng"}})
	got := rc.waitFor(t, "the deactivation", func(ds []delivery) bool { return len(ds) >= 4 })

	types := story(got)
	slices.Sort(types)
	ns := w.ns + "."
	want := []string{"io.dirsync.group.created.v1 " + ns + "acme-eng", "io.dirsync.group.user_added.v1 " + ns + "acme-1 " + ns + "acme-eng",
		"io.dirsync.user.created.v1 " + ns + "acme-1", "io.dirsync.user.deactivated.v1 " + ns + "acme-1"}
	if diff := cmp.Diff(want, types); diff != "" {
		t.Fatalf("CloudEvents types (-want +got):\n%s", diff)
	}
	for _, d := range got {
		ce := d.event
		if ce["specversion"] != "1.0" || ce["datacontenttype"] != "application/json" ||
			ce["source"] != "/apis/dirsync.io/v1alpha1/namespaces/"+w.ns+"/directories/acme" || !strings.HasPrefix(str(ce["id"]), "event_") {
			t.Errorf("CloudEvent attributes: %v", ce)
		}
		if _, err := time.Parse(time.RFC3339Nano, str(ce["time"])); err != nil {
			t.Errorf("time %q is not RFC 3339: %v", ce["time"], err)
		}
		if ct := d.header.Get("Content-Type"); !strings.HasPrefix(ct, "application/cloudevents+json") {
			t.Errorf("Content-Type %q, want application/cloudevents+json", ct)
		}
		if d.header.Get("WorkOS-Signature") != "" {
			t.Error("a CloudEvents request carries Dirsync-Signature, not WorkOS-Signature")
		}
		wantSubject := map[string]string{
			"io.dirsync.group.created.v1":    "directorygroups/acme-eng",
			"io.dirsync.group.user_added.v1": "directorygroups/acme-eng/members/acme-1",
			"io.dirsync.user.created.v1":     "directoryusers/acme-1",
			"io.dirsync.user.deactivated.v1": "directoryusers/acme-1",
		}[d.typ()]
		if ce["subject"] != wantSubject {
			t.Errorf("%s: subject %v, want %s", d.typ(), ce["subject"], wantSubject)
		}
		if d.typ() == "io.dirsync.user.deactivated.v1" && d.data()["state"] != "inactive" {
			t.Errorf("the deactivated event's data has state inactive; got %v", d.data()["state"])
		}
	}
}

// initial None records the Directory as it is without telling it: only later changes arrive.
func TestDirectoryWebhookInitialNoneTellsOnlyLaterChanges(t *testing.T) {
	w := newWorld(t)
	w.group("acme-eng", "Engineering")
	w.user(person{name: "acme-1", id: "1", first: "Alice", groups: []string{"acme-eng"}})
	w.user(person{name: "acme-2", id: "2", first: "Bob", groups: []string{"acme-eng"}})
	rc := newReceiver(t, "WorkOS-Signature")
	startOperator(t, operatorOptions{})
	w.webhook("app", rc.srv.URL, func(wh *dirsyncv1alpha1.DirectoryWebhook) { wh.Spec.Initial = dirsyncv1alpha1.WebhookInitialNone })
	wh := w.waitReady("app", dirsyncv1alpha1.ReasonDelivered, func(wh *dirsyncv1alpha1.DirectoryWebhook) bool { return wh.Status.RecordedUsers == 2 })
	if wh.Status.DeliveredEvents != 0 || len(rc.deliveries()) != 0 {
		t.Fatalf("initial None sent %d events: %s", len(rc.deliveries()), summarize(rc.deliveries()))
	}
	w.user(person{name: "acme-3", id: "3", first: "Carol"})
	w.user(person{name: "acme-2", id: "2", first: "Robert", groups: []string{"acme-eng"}})
	got := rc.waitFor(t, "the later changes", func(ds []delivery) bool { return len(ds) >= 2 })
	ns := w.ns + "."
	if diff := cmp.Diff([]string{"dsync.user.created " + ns + "acme-3", "dsync.user.updated " + ns + "acme-2"}, sorted(got)); diff != "" {
		t.Fatalf("events after an initial None (-want +got):\n%s", diff)
	}
}

// spec.events limits what is sent; the rest is recorded as told, so it is not sent later either.
func TestDirectoryWebhookEventsFilter(t *testing.T) {
	w := newWorld(t)
	w.group("acme-eng", "Engineering")
	alice := w.user(person{name: "acme-1", id: "1", first: "Alice", groups: []string{"acme-eng"}})
	w.user(person{name: "acme-2", id: "2", first: "Bob"})
	rc := newReceiver(t, "WorkOS-Signature")
	startOperator(t, operatorOptions{})
	w.webhook("offboarding", rc.srv.URL, func(wh *dirsyncv1alpha1.DirectoryWebhook) {
		wh.Spec.Events = []dirsyncv1alpha1.WebhookEventType{dirsyncv1alpha1.EventUserDeleted, dirsyncv1alpha1.EventUserUpdated}
	})
	w.waitReady("offboarding", dirsyncv1alpha1.ReasonDelivered, func(wh *dirsyncv1alpha1.DirectoryWebhook) bool { return wh.Status.RecordedUsers == 2 })
	w.remove(alice)
	w.user(person{name: "acme-2", id: "2", first: "Bob", inactive: true})
	got := rc.waitFor(t, "the deletion and the leaver", func(ds []delivery) bool { return len(ds) >= 2 })
	ns := w.ns + "."
	if diff := cmp.Diff([]string{"dsync.user.deleted " + ns + "acme-1", "dsync.user.updated " + ns + "acme-2"}, sorted(got)); diff != "" {
		t.Fatalf("events of a filtered webhook (-want +got):\n%s", diff)
	}
	w.waitReady("offboarding", dirsyncv1alpha1.ReasonDelivered, func(wh *dirsyncv1alpha1.DirectoryWebhook) bool {
		return wh.Status.DeliveredEvents == 2 && wh.Status.RecordedUsers == 1
	})
}
