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

	dirsyncv1alpha1 "github.com/dirsync/dirsync/api/v1alpha1"
)

// event is one event owed to the receiver. Every event belongs to one object's sequence (a person's or
// a group's; memberships are in the person's), and one object's events go out one at a time, in order.
type event struct {
	typ  dirsyncv1alpha1.WebhookEventType
	kind objectKind
	key  string
	seq  uint32
	// group is the group of a membership event.
	group string
	// hash, active, idpID, name and groupType are the state a created or updated event tells, recorded
	// when the receiver acknowledges it.
	hash        uint64
	active      bool
	idpID       string
	name        string
	groupType   string
	deactivated bool
	// send is false for a type not in spec.events: the event is recorded as told without being sent.
	send bool
	// data is what the body's data says, filled only for the batches a plan hands out.
	data any
}

// batch is the events owed for one object, in the order they must arrive.
type batch struct {
	kind   objectKind
	key    string
	events []event
}

// qualified is a batch's object as one string: a person and a group may share a name.
func qualified(k objectKind, key string) string {
	if k == kindGroup {
		return "g/" + key
	}
	return "u/" + key
}

// planInput is what a plan is made from.
type planInput struct {
	now current
	rec *record
	// busy are the objects (qualified) whose batch is out: they are not planned again until it ends.
	busy map[string]bool
	// busyGroups are the groups that busy people's batches add or remove them from: such a group is not
	// deleted until those batches end.
	busyGroups map[string]bool
	// enabled are spec.events.
	enabled map[dirsyncv1alpha1.WebhookEventType]bool
	// guard weighs removals; see guard.go.
	guard guardInput
	// limit is how many batches the plan may hand out.
	limit int
}

// plan is what is owed now.
type plan struct {
	// batches are handed out, groups' first; at most limit.
	batches []*batch
	// pending counts every event owed, held and not yet plannable ones included.
	pending int
	// held are the removals the guard holds (nil when none).
	held *heldSet
	// settling is true when removals wait for the Directory's writes to pause before the guard weighs them.
	settling bool
}

// makePlan derives every object's owed events from the record and the current state, holds the
// removals the guard holds, and hands out up to limit batches. The order of dependencies holds across
// objects: a person is added to a group only once the group's creation is acknowledged, and a group is
// deleted only once nobody is recorded in it.
func makePlan(in planInput) plan {
	var p plan
	groups := groupBatches(in)
	users := userBatches(in)
	p.held, p.settling = decideGuard(in.guard, users.removals, groupRemovals(groups), in.rec)
	p.pending = users.pending
	for _, b := range groups {
		p.pending += len(b.events)
	}
	for _, b := range append(append(groups, users.changes...), users.removing...) {
		if p.held.holds(b) || (p.settling && isRemoval(b, in.rec)) || len(p.batches) >= in.limit {
			continue
		}
		p.batches = append(p.batches, b)
	}
	return p
}

// userPlan is what people are owed.
type userPlan struct {
	// changes and removing are the first batches, by name, that remove nobody and that remove someone
	// (a deletion, or an active person turning inactive), up to the plan's limit each: more could not be
	// handed out, and a worker plans several times a second while it delivers.
	changes, removing []*batch
	// removals names everyone removed, for the guard.
	removals []string
	// pending counts every person's events.
	pending int
}

// userBatches derives the events of every person who is not busy, in order of name.
func userBatches(in planInput) userPlan {
	keys := make([]string, 0, len(in.now.users)+len(in.rec.users))
	for k := range in.now.users {
		keys = append(keys, k)
	}
	for k := range in.rec.users {
		if _, ok := in.now.users[k]; !ok {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	groupTold := func(g string) bool {
		e := in.rec.groups[g]
		return e != nil && e.told && !e.unsure && !in.busy[qualified(kindGroup, g)]
	}
	var up userPlan
	var scratch []event
	for _, k := range keys {
		if in.busy[qualified(kindUser, k)] {
			continue
		}
		scratch = userEvents(scratch[:0], k, in.now.users[k], in.rec.users[k], groupTold)
		if len(scratch) == 0 {
			continue
		}
		up.pending += len(scratch)
		list := &up.changes
		if isRemoval(&batch{kind: kindUser, key: k, events: scratch}, in.rec) {
			up.removals = append(up.removals, k)
			list = &up.removing
		}
		if len(*list) < in.limit {
			b := &batch{kind: kindUser, key: k, events: slices.Clone(scratch)}
			for i := range b.events {
				b.events[i].send = in.enabled[b.events[i].typ]
			}
			*list = append(*list, b)
		}
	}
	return up
}

// userEvents appends to dst the events owed for one person: now is nil when the DirectoryUser is gone,
// e is nil when the receiver has never been told of them. An unsure entry is told again in full.
func userEvents(dst []event, key string, now *userNow, e *entry, groupTold func(string) bool) []event {
	if e == nil {
		e = &entry{}
	}
	start := len(dst)
	add := func(ev event) {
		ev.kind, ev.key, ev.seq = kindUser, key, e.seq+uint32(len(dst)-start)
		dst = append(dst, ev)
	}
	if now == nil {
		if !e.told && !e.unsure {
			return dst
		}
		for _, g := range union(e.groups, e.doubt) {
			add(event{typ: dirsyncv1alpha1.EventGroupUserRemoved, group: g})
		}
		add(event{typ: dirsyncv1alpha1.EventUserDeleted})
		return dst
	}
	if ev, ok := userStateEvent(now, e); ok {
		add(ev)
	}
	membershipEvents(now, e, groupTold, add)
	return dst
}

// userStateEvent is the created or updated event owed for a person who exists, if any.
func userStateEvent(now *userNow, e *entry) (event, bool) {
	ev := event{hash: now.hash, active: now.active, idpID: now.obj.Spec.ExternalID}
	switch {
	case !e.told:
		ev.typ = dirsyncv1alpha1.EventUserCreated
	case e.unsure || e.hash != now.hash:
		ev.typ = dirsyncv1alpha1.EventUserUpdated
		ev.deactivated = !now.active && (e.active || e.unsure)
	default:
		return event{}, false
	}
	return ev, true
}

// membershipEvents adds the removals from groups the person left, then the additions to groups they
// joined (or whose membership is in doubt) once the receiver knows of the group.
func membershipEvents(now *userNow, e *entry, groupTold func(string) bool, add func(event)) {
	for _, g := range union(e.groups, e.doubt) {
		if _, member := slices.BinarySearch(now.groups, g); !member {
			add(event{typ: dirsyncv1alpha1.EventGroupUserRemoved, group: g})
		}
	}
	for _, g := range now.groups {
		_, told := slices.BinarySearch(e.groups, g)
		_, doubted := slices.BinarySearch(e.doubt, g)
		if (!told || doubted) && groupTold(g) {
			add(event{typ: dirsyncv1alpha1.EventGroupUserAdded, group: g})
		}
	}
}

// groupBatches derives the batches of every group that is not busy, sorted by name.
func groupBatches(in planInput) []*batch {
	keys := make([]string, 0, len(in.now.groups)+len(in.rec.groups))
	for k := range in.now.groups {
		keys = append(keys, k)
	}
	for k := range in.rec.groups {
		if _, ok := in.now.groups[k]; !ok {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	var members map[string]bool
	var out []*batch
	for _, k := range keys {
		if in.busy[qualified(kindGroup, k)] {
			continue
		}
		now := in.now.groups[k]
		if now == nil && members == nil { // who is recorded in a group, computed once, when a group is gone
			members = recordedMembers(in.rec)
		}
		ev, ok := groupEvent(k, now, in.rec.groups[k], members[k] || in.busyGroups[k])
		if !ok {
			continue
		}
		ev.send = in.enabled[ev.typ]
		out = append(out, &batch{kind: kindGroup, key: k, events: []event{ev}})
	}
	return out
}

// groupEvent is the event owed for one group, if any: now is nil when it is gone (then it is deleted
// only once nobody is recorded in it or about to be: inUse), e nil when the receiver never heard of it.
func groupEvent(key string, now *groupNow, e *entry, inUse bool) (event, bool) {
	var ev event
	switch {
	case now == nil:
		if (!e.told && !e.unsure) || inUse {
			return event{}, false
		}
		ev = event{typ: dirsyncv1alpha1.EventGroupDeleted}
	case e == nil || !e.told:
		ev = groupState(dirsyncv1alpha1.EventGroupCreated, now)
	case e.unsure || e.hash != now.hash:
		ev = groupState(dirsyncv1alpha1.EventGroupUpdated, now)
	default:
		return event{}, false
	}
	ev.kind, ev.key = kindGroup, key
	if e != nil {
		ev.seq = e.seq
	}
	return ev, true
}

func groupState(typ dirsyncv1alpha1.WebhookEventType, now *groupNow) event {
	f := groupFields(now.obj)
	return event{typ: typ, hash: now.hash, idpID: f.IdpID, name: f.Name, groupType: f.Type}
}

// recordedMembers are the groups anyone is recorded in, or in doubt about.
func recordedMembers(rec *record) map[string]bool {
	m := map[string]bool{}
	for _, e := range rec.users {
		for _, g := range e.groups {
			m[g] = true
		}
		for _, g := range e.doubt {
			m[g] = true
		}
	}
	return m
}

// groupRemovals names the group batches that delete a group.
func groupRemovals(groups []*batch) []string {
	var out []string
	for _, b := range groups {
		if b.events[0].typ == dirsyncv1alpha1.EventGroupDeleted {
			out = append(out, b.key)
		}
	}
	return out
}

// isRemoval reports whether b removes someone from the receiver's view: a person deleted, or told as
// active and now inactive, or a group deleted.
func isRemoval(b *batch, rec *record) bool {
	for i := range b.events {
		switch ev := &b.events[i]; ev.typ {
		case dirsyncv1alpha1.EventUserDeleted, dirsyncv1alpha1.EventGroupDeleted:
			return true
		case dirsyncv1alpha1.EventUserUpdated:
			if e := rec.users[b.key]; e != nil && e.told && e.active && !ev.active {
				return true
			}
		}
	}
	return false
}

// union is the sorted union of two sorted lists.
func union(a, b []string) []string {
	if len(b) == 0 {
		return a
	}
	out := append(slices.Clone(a), b...)
	slices.Sort(out)
	return slices.Compact(out)
}

// fillData gives each event of b the data its body carries: the person or group as captured in now,
// or, when gone, as the record last told it.
func fillData(b *batch, now current, rec *record, namespace, directory string) {
	var user userData
	switch u := now.users[b.key]; {
	case b.kind != kindUser:
	case u != nil:
		user = userFields(u.obj)
		user.CreatedAt = u.obj.CreationTimestamp.UTC().Format(timeFormat)
		user.Groups = make([]groupData, 0, len(u.groups))
		for _, g := range u.groups {
			user.Groups = append(user.Groups, groupOf(g, now, rec, namespace, directory))
		}
	default:
		user = goneUser(namespace, directory, b.key, rec.users[b.key])
	}
	for i := range b.events {
		ev := &b.events[i]
		switch {
		case b.kind == kindGroup:
			ev.data = groupOf(b.key, now, rec, namespace, directory)
		case ev.group != "":
			ev.data = membershipData{DirectoryID: objectID(namespace, directory), User: user, Group: groupOf(ev.group, now, rec, namespace, directory)}
		default:
			ev.data = user
		}
	}
}

// timeFormat is the format of every time in a body.
const timeFormat = "2006-01-02T15:04:05Z07:00"

// groupOf is a group's data: as it is now, or as the record last told it.
func groupOf(key string, now current, rec *record, namespace, directory string) groupData {
	if g := now.groups[key]; g != nil {
		d := groupFields(g.obj)
		d.CreatedAt = g.obj.CreationTimestamp.UTC().Format(timeFormat)
		return d
	}
	if e := rec.groups[key]; e != nil {
		return goneGroup(namespace, directory, key, e)
	}
	return groupData{Object: "directory_group", ID: objectID(namespace, key), DirectoryID: objectID(namespace, directory), Name: strings.TrimPrefix(key, directory+"-")}
}
