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
	"testing"

	"github.com/google/go-cmp/cmp"

	dirsyncv1alpha1 "github.com/dirsync/dirsync/api/v1alpha1"
)

// story is a receiver's view of the events: "type object [group]" strings.
func story(ds []delivery) []string {
	out := make([]string, 0, len(ds))
	for _, d := range ds {
		s := d.typ() + " " + d.object()
		if g, ok := d.data()["group"].(map[string]any); ok {
			s += " " + str(g["id"])
		}
		out = append(out, s)
	}
	return out
}

// sorted is story, sorted: the order across objects is free.
func sorted(ds []delivery) []string { return slices.Sorted(slices.Values(story(ds))) }

// before fails unless, in what the receiver got, a arrived before b.
func before(t *testing.T, ds []delivery, a, b string) {
	t.Helper()
	s := story(ds)
	i, j := slices.Index(s, a), slices.Index(s, b)
	if i < 0 || j < 0 || i > j {
		t.Errorf("%q must arrive before %q; got%s", a, b, summarize(ds))
	}
}

// uniqueIDs fails when two deliveries carry the same event id.
func uniqueIDs(t *testing.T, ds []delivery) {
	t.Helper()
	seen := map[string]bool{}
	for _, d := range ds {
		if d.id() == "" || seen[d.id()] {
			t.Errorf("event id %q is empty or repeated", d.id())
		}
		seen[d.id()] = true
	}
}

// A new webhook with the defaults tells the receiver of every group, person and membership, in WorkOS's
// shape and signed as WorkOS signs; then each kind of change arrives as its WorkOS event type, in order
// per object: every one of the eight event types is seen.
func TestDirectoryWebhookTellsEveryEventTypeInWorkOSFormat(t *testing.T) {
	w := newWorld(t)
	eng, sales := w.group("acme-eng", "Engineering"), w.group("acme-sales", "Sales")
	alice := w.user(person{name: "acme-1", id: "1", first: "Alice", last: "Ng", email: "alice@acme.test", title: "Engineer", groups: []string{"acme-eng"}})
	w.user(person{name: "acme-2", id: "2", first: "Bob", last: "Ruiz", email: "bob@acme.test", groups: []string{"acme-eng", "acme-sales"}})
	w.user(person{name: "acme-3", id: "3", first: "Carol", last: "Ito", email: "carol@acme.test", groups: []string{"acme-sales"}})
	rc := newReceiver(t, "WorkOS-Signature")
	startOperator(t, operatorOptions{})
	w.webhook("app", rc.srv.URL+"/webhooks/workos", nil)

	ns := w.ns + "."
	initial := []string{
		"dsync.group.created " + ns + "acme-eng", "dsync.group.created " + ns + "acme-sales",
		"dsync.group.user_added " + ns + "acme-1 " + ns + "acme-eng", "dsync.group.user_added " + ns + "acme-2 " + ns + "acme-eng",
		"dsync.group.user_added " + ns + "acme-2 " + ns + "acme-sales", "dsync.group.user_added " + ns + "acme-3 " + ns + "acme-sales",
		"dsync.user.created " + ns + "acme-1", "dsync.user.created " + ns + "acme-2", "dsync.user.created " + ns + "acme-3",
	}
	got := rc.waitFor(t, "the initial events", func(ds []delivery) bool { return len(ds) >= len(initial) })
	if diff := cmp.Diff(initial, sorted(got)); diff != "" {
		t.Fatalf("initial events (-want +got):\n%s", diff)
	}
	for _, g := range []string{"acme-eng", "acme-sales"} {
		for _, u := range []string{"acme-1", "acme-2", "acme-3"} {
			added := "dsync.group.user_added " + ns + u + " " + ns + g
			if slices.Contains(story(got), added) {
				before(t, got, "dsync.user.created "+ns+u, added)
				before(t, got, "dsync.group.created "+ns+g, added)
			}
		}
	}
	wh := w.waitReady("app", dirsyncv1alpha1.ReasonDelivered, func(wh *dirsyncv1alpha1.DirectoryWebhook) bool { return wh.Status.DeliveredEvents == 9 })
	if wh.Status.RecordedUsers != 3 || wh.Status.RecordedGroups != 2 || wh.Status.PendingEvents != 0 {
		t.Errorf("status: recorded %d users and %d groups, %d pending; want 3, 2, 0", wh.Status.RecordedUsers, wh.Status.RecordedGroups, wh.Status.PendingEvents)
	}

	// The body of a created person is WorkOS's directory_user, from the allowlisted fields.
	var created map[string]any
	for _, d := range got {
		if d.typ() == "dsync.user.created" && d.object() == ns+"acme-1" {
			created = d.event
		}
	}
	wantAlice := map[string]any{
		"object": "directory_user", "id": ns + "acme-1", "directory_id": ns + "acme", "idp_id": "1",
		"first_name": "Alice", "last_name": "Ng", "username": "alice@acme.test", "state": "active",
		"emails":            []any{map[string]any{"primary": true, "type": "work", "value": "alice@acme.test"}},
		"custom_attributes": map[string]any{"job_title": "Engineer"},
		"groups": []any{map[string]any{"object": "directory_group", "id": ns + "acme-eng", "directory_id": ns + "acme", "idp_id": "acme-eng",
			"name": "Engineering", "type": "Department", "created_at": eng.CreationTimestamp.UTC().Format(timeFormat)}},
		"created_at": alice.CreationTimestamp.UTC().Format(timeFormat),
	}
	if diff := cmp.Diff(wantAlice, created["data"]); diff != "" {
		t.Errorf("dsync.user.created data (-want +got):\n%s", diff)
	}
	if created["context"] == nil || created["created_at"] == nil || len(str(created["id"])) < 10 {
		t.Errorf("a WorkOS body has id, event, data, created_at and context; got %v", created)
	}

	// Changes: a group renamed, a title changed, a leaver, a person leaving a group.
	w.group("acme-sales", "Sales & Marketing")
	w.user(person{name: "acme-1", id: "1", first: "Alice", last: "Ng", email: "alice@acme.test", title: "Staff Engineer", groups: []string{"acme-eng"}})
	w.user(person{name: "acme-3", id: "3", first: "Carol", last: "Ito", email: "carol@acme.test", inactive: true, groups: []string{"acme-sales"}})
	w.user(person{name: "acme-2", id: "2", first: "Bob", last: "Ruiz", email: "bob@acme.test", groups: []string{"acme-eng"}})
	changes := []string{"dsync.group.updated " + ns + "acme-sales", "dsync.group.user_removed " + ns + "acme-2 " + ns + "acme-sales",
		"dsync.user.updated " + ns + "acme-1", "dsync.user.updated " + ns + "acme-3"}
	got = rc.waitFor(t, "the changes", func(ds []delivery) bool { return len(ds) >= len(initial)+len(changes) })
	if diff := cmp.Diff(changes, sorted(got[len(initial):])); diff != "" {
		t.Fatalf("events of the changes (-want +got):\n%s", diff)
	}
	for _, d := range got[len(initial):] {
		switch {
		case d.typ() == "dsync.user.updated" && d.object() == ns+"acme-3":
			if d.data()["state"] != "inactive" {
				t.Errorf("a leaver arrives as dsync.user.updated with state inactive; got %v", d.data()["state"])
			}
		case d.typ() == "dsync.group.updated":
			if d.data()["name"] != "Sales & Marketing" {
				t.Errorf("dsync.group.updated carries the new name; got %v", d.data()["name"])
			}
		}
	}

	// Removals: a person deleted, a person leaving a group that is then deleted.
	n := len(got)
	w.remove(alice)
	w.user(person{name: "acme-3", id: "3", first: "Carol", last: "Ito", email: "carol@acme.test", inactive: true})
	w.remove(sales)
	removals := []string{"dsync.group.deleted " + ns + "acme-sales", "dsync.group.user_removed " + ns + "acme-1 " + ns + "acme-eng",
		"dsync.group.user_removed " + ns + "acme-3 " + ns + "acme-sales", "dsync.user.deleted " + ns + "acme-1"}
	got = rc.waitFor(t, "the removals", func(ds []delivery) bool { return len(ds) >= n+len(removals) })
	if diff := cmp.Diff(removals, sorted(got[n:])); diff != "" {
		t.Fatalf("events of the removals (-want +got):\n%s", diff)
	}
	before(t, got, "dsync.group.user_removed "+ns+"acme-1 "+ns+"acme-eng", "dsync.user.deleted "+ns+"acme-1")
	before(t, got, "dsync.group.user_removed "+ns+"acme-3 "+ns+"acme-sales", "dsync.group.deleted "+ns+"acme-sales")
	for _, d := range got[n:] {
		if d.typ() == "dsync.user.deleted" {
			if d.data()["idp_id"] != "1" || d.data()["id"] != ns+"acme-1" {
				t.Errorf("dsync.user.deleted names the person by id and idp_id; got %v", d.data())
			}
		}
	}
	uniqueIDs(t, got)
	w.waitReady("app", dirsyncv1alpha1.ReasonDelivered, func(wh *dirsyncv1alpha1.DirectoryWebhook) bool {
		return wh.Status.DeliveredEvents == int64(len(got)) && wh.Status.RecordedUsers == 2 && wh.Status.RecordedGroups == 1
	})
}
