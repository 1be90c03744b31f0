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

	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	dirsyncv1alpha1 "github.com/dirsync/dirsync/api/v1alpha1"
)

// now builds a current state: users "name:state:group,group" and groups by name.
func nowOf(users []string, groups ...string) current {
	var us []*dirsyncv1alpha1.DirectoryUser
	for _, spec := range users {
		parts := splitSpec(spec)
		name, state, gs := parts[0], parts[1], parts[2]
		u := &dirsyncv1alpha1.DirectoryUser{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "ns"},
			Spec: dirsyncv1alpha1.DirectoryUserSpec{ExternalID: name, FirstName: name, State: dirsyncv1alpha1.UserStateActive}}
		if state == "inactive" {
			u.Spec.State = dirsyncv1alpha1.UserStateInactive
		}
		u.Spec.Groups = splitList(gs)
		us = append(us, u)
	}
	var gs []*dirsyncv1alpha1.DirectoryGroup
	for _, g := range groups {
		gs = append(gs, &dirsyncv1alpha1.DirectoryGroup{ObjectMeta: metav1.ObjectMeta{Name: g, Namespace: "ns"},
			Spec: dirsyncv1alpha1.DirectoryGroupSpec{ExternalID: g, DisplayName: g, Type: dirsyncv1alpha1.GroupTypeDepartment}})
	}
	return newCurrent(us, gs, nil)
}

func splitSpec(s string) [3]string {
	var out [3]string
	i := 0
	for _, r := range s {
		if r == ':' && i < 2 {
			i++
			continue
		}
		out[i] += string(r)
	}
	return out
}

// told records what now holds as told, changed by edit.
func told(now current) *record {
	rec := newRecord()
	rec.baseline(now)
	return rec
}

// brief renders events as "type key[ group] #seq", groups' batches first, each kind by name (the order
// across objects is free; within an object it is the order of its events).
func brief(bs []*batch) []string {
	bs = slices.Clone(bs)
	slices.SortStableFunc(bs, func(a, b *batch) int { return strings.Compare(qualified(a.kind, a.key), qualified(b.kind, b.key)) })
	var out []string
	for _, b := range bs {
		for _, ev := range b.events {
			s := fmt.Sprintf("%s %s", ev.typ, ev.key)
			if ev.group != "" {
				s += " " + ev.group
			}
			if ev.deactivated {
				s += " (deactivated)"
			}
			out = append(out, fmt.Sprintf("%s #%d", s, ev.seq))
		}
	}
	return out
}

var every = map[dirsyncv1alpha1.WebhookEventType]bool{}

func init() {
	for _, t := range dirsyncv1alpha1.AllWebhookEventTypes {
		every[t] = true
	}
}

func TestMakePlan(t *testing.T) {
	base := nowOf([]string{"a:active:eng", "b:active:eng,ops", "c:inactive:"}, "eng", "ops")
	tests := []struct {
		name string
		now  current
		rec  func() *record
		busy []string
		want []string
	}{
		{name: "a new webhook tells of groups, people, then (once the group is told) memberships",
			now: nowOf([]string{"a:active:eng"}, "eng"), rec: newRecord,
			want: []string{"dsync.group.created eng #0", "dsync.user.created a #0"}},
		{name: "once the group is told, the membership follows",
			now: nowOf([]string{"a:active:eng"}, "eng"),
			rec: func() *record {
				r := told(nowOf(nil, "eng"))
				r.users["a"] = &entry{idpID: "a", hash: userHash(nowOf([]string{"a:active:eng"}).users["a"].obj), seq: 1, told: true, active: true}
				return r
			},
			want: []string{"dsync.group.user_added a eng #1"}},
		{name: "nothing changed, nothing owed", now: base, rec: func() *record { return told(base) }},
		{name: "a leaver is an update that deactivates; a move is a removal (and an addition)",
			now: nowOf([]string{"a:inactive:eng", "b:active:ops", "c:inactive:eng"}, "eng", "ops"), rec: func() *record { return told(base) },
			want: []string{"dsync.user.updated a (deactivated) #0", "dsync.group.user_removed b eng #0", "dsync.group.user_added c eng #0"}},
		{name: "a person gone leaves their groups, then is deleted",
			now: nowOf([]string{"b:active:eng", "c:inactive:"}, "eng"), rec: func() *record { return told(base) },
			want: []string{"dsync.group.user_removed a eng #0", "dsync.user.deleted a #1", "dsync.group.user_removed b ops #0"}},
		{name: "a group is deleted only once nobody is recorded in it",
			now:  nowOf([]string{"a:active:eng", "b:active:eng", "c:inactive:"}, "eng"),
			rec:  func() *record { r := told(base); r.users["b"].groups = []string{"eng"}; return r },
			want: []string{"dsync.group.deleted ops #0"}},
		{name: "nor while a batch out adds or removes someone to it; a busy object is not planned",
			now: nowOf([]string{"a:active:eng", "b:active:eng", "c:inactive:"}, "eng"),
			rec: func() *record {
				r := told(base)
				r.users["b"].groups = []string{"eng"}
				r.users["b"].hash = 1
				return r
			},
			busy: []string{"u/b"}},
		{name: "an unsure person is told again in full, with the groups in doubt, from the reserved sequence number",
			now: base,
			rec: func() *record {
				r := told(base)
				r.users["b"].unsure, r.users["b"].seq, r.users["b"].doubt = true, 9, []string{"ops", "sales"}
				r.groups["sales"] = &entry{idpID: "sales", name: "sales", told: true}
				return r
			},
			want: []string{"dsync.user.updated b #9", "dsync.group.user_removed b sales #10", "dsync.group.user_added b ops #11"}},
		{name: "an unsure group is told again",
			now: base, rec: func() *record { r := told(base); r.groups["ops"].unsure, r.groups["ops"].seq = true, 3; return r },
			want: []string{"dsync.group.updated ops #3"}},
		{name: "an unsure new person who is gone may have been told: deleted",
			now: nowOf(nil), rec: func() *record { r := newRecord(); r.users["x"] = &entry{unsure: true, seq: 2}; return r },
			want: []string{"dsync.user.deleted x #2"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			busy := map[string]bool{}
			busyGroups := map[string]bool{}
			for _, q := range tt.busy {
				busy[q], busyGroups["ops"] = true, true
			}
			p := makePlan(planInput{now: tt.now, rec: tt.rec(), busy: busy, busyGroups: busyGroups, enabled: every, limit: 100,
				guard: guardInput{maxDeletePercent: 100}})
			if diff := cmp.Diff(tt.want, brief(p.batches)); diff != "" {
				t.Errorf("events (-want +got):\n%s", diff)
			}
		})
	}
}
