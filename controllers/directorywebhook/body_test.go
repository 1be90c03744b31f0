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
	"encoding/json"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	dirsyncv1alpha1 "github.com/dirsync/dirsync/api/v1alpha1"
)

// An event's id is the same for the same event of the same webhook, and differs when the webhook, the
// object, the sequence number, the type, the group or the content differs.
func TestEventID(t *testing.T) {
	ev := event{typ: dirsyncv1alpha1.EventUserUpdated, kind: kindUser, key: "acme-1", seq: 4, hash: 42}
	id := eventID("uid-1", &ev)
	if again := eventID("uid-1", &ev); again != id || len(id) != len("event_")+32 {
		t.Fatalf("ids %s, %s", id, again)
	}
	for name, change := range map[string]func(e *event) string{
		"webhook": func(e *event) string { return eventID("uid-2", e) },
		"object":  func(e *event) string { e.key = "acme-2"; return eventID("uid-1", e) },
		"seq":     func(e *event) string { e.seq = 5; return eventID("uid-1", e) },
		"type":    func(e *event) string { e.typ = dirsyncv1alpha1.EventUserCreated; return eventID("uid-1", e) },
		"group":   func(e *event) string { e.group = "g"; return eventID("uid-1", e) },
		"content": func(e *event) string { e.hash = 43; return eventID("uid-1", e) },
	} {
		e := ev
		if change(&e) == id {
			t.Errorf("another %s gives the same id", name)
		}
	}
}

func TestCloudEventType(t *testing.T) {
	for _, tc := range []struct {
		ev   event
		want string
	}{
		{event{typ: dirsyncv1alpha1.EventUserCreated}, "io.dirsync.user.created.v1"},
		{event{typ: dirsyncv1alpha1.EventUserUpdated}, "io.dirsync.user.updated.v1"},
		{event{typ: dirsyncv1alpha1.EventUserUpdated, deactivated: true}, "io.dirsync.user.deactivated.v1"},
		{event{typ: dirsyncv1alpha1.EventUserDeleted}, "io.dirsync.user.deleted.v1"},
		{event{typ: dirsyncv1alpha1.EventGroupUserAdded}, "io.dirsync.group.user_added.v1"},
		{event{typ: dirsyncv1alpha1.EventGroupDeleted}, "io.dirsync.group.deleted.v1"},
	} {
		if got := cloudEventType(&tc.ev); got != tc.want {
			t.Errorf("%s (deactivated %v) = %s, want %s", tc.ev.typ, tc.ev.deactivated, got, tc.want)
		}
	}
}

// A person's hash covers what a user event says except the groups: a change of groups is told by
// membership events, not as an update of the person.
func TestUserHash(t *testing.T) {
	u := &dirsyncv1alpha1.DirectoryUser{ObjectMeta: metav1.ObjectMeta{Name: "acme-1", Namespace: "ns"},
		Spec: dirsyncv1alpha1.DirectoryUserSpec{ExternalID: "1", FirstName: "Alice", Email: "a@acme.test", State: dirsyncv1alpha1.UserStateActive, Groups: []string{"g1"}}}
	h := userHash(u)
	moved := u.DeepCopy()
	moved.Spec.Groups = []string{"g2"}
	moved.Status.Conditions = []metav1.Condition{{Type: "Synced"}}
	moved.ResourceVersion = "99"
	if userHash(moved) != h {
		t.Error("groups, status or metadata changed the hash")
	}
	for name, change := range map[string]func(*dirsyncv1alpha1.DirectoryUser){
		"state": func(u *dirsyncv1alpha1.DirectoryUser) { u.Spec.State = dirsyncv1alpha1.UserStateInactive },
		"email": func(u *dirsyncv1alpha1.DirectoryUser) { u.Spec.Email = "b@acme.test" },
		"title": func(u *dirsyncv1alpha1.DirectoryUser) { u.Spec.JobTitle = "CTO" },
		"end":   func(u *dirsyncv1alpha1.DirectoryUser) { u.Spec.EndDate = "2026-12-31" },
	} {
		c := u.DeepCopy()
		change(c)
		if userHash(c) == h {
			t.Errorf("a change of %s keeps the hash", name)
		}
	}
	var cache hashCache
	first := cache.of(u)
	if second := cache.of(u); first != h || second != h {
		t.Error("hashCache")
	}
	cache.done()
	if len(cache.byObj) != 1 {
		t.Errorf("the cache keeps the objects of the last pass only: %d", len(cache.byObj))
	}
	cache.done()
	if len(cache.byObj) != 0 {
		t.Errorf("an object not seen in a pass is forgotten: %d", len(cache.byObj))
	}
}

// A gone person is told by identifiers and last state only: the record keeps nothing else.
func TestRenderGone(t *testing.T) {
	rec := newRecord()
	rec.users["acme-1"] = &entry{idpID: "1", told: true, active: true, groups: []string{"acme-eng"}}
	rec.groups["acme-eng"] = &entry{idpID: "eng", name: "Engineering", typ: "Department", told: true}
	b := &batch{kind: kindUser, key: "acme-1", events: []event{
		{typ: dirsyncv1alpha1.EventGroupUserRemoved, kind: kindUser, key: "acme-1", group: "acme-eng"},
		{typ: dirsyncv1alpha1.EventUserDeleted, kind: kindUser, key: "acme-1", seq: 1},
	}}
	fillData(b, current{}, rec, "hr", "acme")
	body, err := render(renderInput{format: dirsyncv1alpha1.WebhookFormatWorkOS, webhookUID: "u", namespace: "hr", directory: "acme",
		at: time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)}, &b.events[1])
	if err != nil {
		t.Fatal(err)
	}
	var got map[string]any
	if err := json.Unmarshal(body, &got); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"id": eventID("u", &b.events[1]), "event": "dsync.user.deleted", "created_at": "2026-03-02T09:00:00Z", "context": map[string]any{},
		"data": map[string]any{"object": "directory_user", "id": "hr.acme-1", "directory_id": "hr.acme", "idp_id": "1", "emails": []any{}, "groups": []any{}, "state": "active"}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("dsync.user.deleted (-want +got):\n%s", diff)
	}
	m, _ := json.Marshal(b.events[0].data)
	if want := `{"directory_id":"hr.acme","user":{"object":"directory_user","id":"hr.acme-1","directory_id":"hr.acme","idp_id":"1","emails":[],"state":"active","groups":[]},"group":{"object":"directory_group","id":"hr.acme-eng","directory_id":"hr.acme","idp_id":"eng","name":"Engineering","type":"Department"}}`; string(m) != want {
		t.Errorf("user_removed data:\n%s\nwant\n%s", m, want)
	}
}
