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

package directory

import (
	"maps"
	"slices"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	dirsyncv1alpha1 "github.com/dirsync/dirsync/api/v1alpha1"
	"github.com/dirsync/dirsync/controllers/internal/verdict"
)

// child is a DirectoryUser or a DirectoryGroup: an object with conditions that a Directory controls.
// Both API types implement it; the controller needs nothing else of them.
type child interface {
	client.Object
	GetObjectMeta() metav1.Object
	GetConditions() []metav1.Condition
	SetConditions([]metav1.Condition)
}

var (
	_ child = &dirsyncv1alpha1.DirectoryUser{}
	_ child = &dirsyncv1alpha1.DirectoryGroup{}
)

// children is what a Directory controls now, read from the cache without copying: never modify it.
type children struct {
	users  []*dirsyncv1alpha1.DirectoryUser
	groups []*dirsyncv1alpha1.DirectoryGroup
	// cacheOwned is true when the objects are the cache's own (see listControlled), not copies made for
	// the list: only those can be claimed from while the provider is read.
	cacheOwned bool
}

// isControlledBy reports whether dir is o's controller (by UID).
func isControlledBy(o client.Object, dir *dirsyncv1alpha1.Directory) bool {
	ref := metav1.GetControllerOf(o)
	return ref != nil && ref.UID == dir.UID
}

// opKind is what the sync does to one object. Every op is exactly one write request.
type opKind int

const (
	opCreate opKind = iota // the provider has it, the cluster does not: create spec and status at once
	opUpdate               // spec, status, our labels or the owner differ: one merge patch
	opHold                 // the provider no longer has it, but the deletion guard holds the deletion: mark it
	opDelete               // the provider no longer has it
)

func (k opKind) String() string {
	switch k {
	case opCreate:
		return "create"
	case opUpdate:
		return "update"
	case opHold:
		return "hold"
	case opDelete:
		return "delete"
	}
	return "unknown"
}

// childOp is one write to a child. obj is what to write (nil for deletions, and dropped once written, so
// a sync never holds every written object at once); base is the existing object the patch or deletion
// starts from (nil for creations). name, user and the deltas describe the op for counting without obj.
type childOp struct {
	kind opKind
	obj  child
	base child
	name string
	user bool
	// users, groups and active are what the op changes in the Directory's counts when it succeeds.
	users, groups, active int32
}

// newChildOp describes a write of w (nil for a deletion) over ex (nil for a creation).
func newChildOp(kind opKind, w, ex child) childOp {
	o := childOp{kind: kind, obj: w, base: ex}
	subject := w
	if subject == nil {
		subject = ex
	}
	o.name = subject.GetName()
	_, o.user = subject.(*dirsyncv1alpha1.DirectoryUser)
	switch kind {
	case opCreate:
		o.users, o.groups, o.active = counts(w)
	case opDelete:
		o.users, o.groups, o.active = counts(ex)
		o.users, o.groups, o.active = -o.users, -o.groups, -o.active
	case opUpdate:
		_, _, after := counts(w)
		_, _, before := counts(ex)
		o.active = after - before
	}
	return o
}

// counts is what one object adds to a Directory's users, groups and active users.
func counts(c child) (users, groups, active int32) {
	u, ok := c.(*dirsyncv1alpha1.DirectoryUser)
	if !ok {
		return 0, 1, 0
	}
	if u.Spec.State == dirsyncv1alpha1.UserStateActive {
		return 1, 0, 1
	}
	return 1, 0, 0
}

// childPlan is the difference between what the provider returned and what the cluster holds: the
// writes to the Directory's users and groups. (The API's SyncPlan is its summary in a dry run.)
type childPlan struct {
	ops       []childOp
	unchanged int
}

// diff compares the desired objects with the existing ones (all controlled by the Directory) and returns
// only the writes needed; objects that already match are counted, not written. Departed objects are
// deleted, or marked RemovedFromProvider when the guard holds. An update carries the existing object's
// metadata (its annotations, other labels and owners stay), so it is one merge patch of what changed.
func diff(d desiredState, ch children, held bool, now time.Time) childPlan {
	df := &differ{held: held, now: now}
	diffKind(df, d.users, d.matching, ch.users, sameUser)
	pairIDChanges(df.plan.ops)
	diffKind(df, d.groups, nil, ch.groups, sameGroup)
	return df.plan
}

// pairIDChanges moves the deletion of each user whose work e-mail a created user has (compared
// case-insensitively) to just before that creation. That is what an HR system changing a person's id
// looks like (Access People HR lets HR do it): the person leaves under the old id and joins under the
// new one in the same sync. Written back to back, the two changes reach a DirectoryAccess within the
// moment its revocations wait for a sync's changes to settle, so the person's subject, rendered the
// same from both records, is never revoked and granted again; written apart (deletions come first, a
// large sync's creations last), the new record would meanwhile conflict with the old one and the
// subject could be revoked once the settle limit passed. ops holds only users' ops.
func pairIDChanges(ops []childOp) {
	before := idChanges(ops)
	if len(before) == 0 {
		return
	}
	moved := make(map[int]bool, len(before))
	for _, d := range before {
		moved[d] = true
	}
	reordered := make([]childOp, 0, len(ops))
	for i, o := range ops {
		if moved[i] {
			continue
		}
		if d, ok := before[i]; ok {
			reordered = append(reordered, ops[d])
		}
		reordered = append(reordered, o)
	}
	copy(ops, reordered)
}

// idChanges maps the index of each user creation to the index of the deletion of a user with the same
// work e-mail (case-insensitive), at most one deletion per creation.
func idChanges(ops []childOp) map[int]int {
	userEmail := func(c child) string {
		if u, ok := c.(*dirsyncv1alpha1.DirectoryUser); ok {
			return strings.ToLower(u.Spec.Email)
		}
		return ""
	}
	created := map[string]int{} // lower-cased e-mail → index of the creation
	for i, o := range ops {
		if e := userEmail(o.obj); o.kind == opCreate && e != "" {
			created[e] = i
		}
	}
	before := map[int]int{}
	for i, o := range ops {
		if e := userEmail(o.base); o.kind == opDelete && e != "" {
			if c, ok := created[e]; ok {
				before[c] = i
				delete(created, e) // one deletion per creation
			}
		}
	}
	return before
}

// differ builds a childPlan: whether the guard holds the deletions, and the sync's time for the
// conditions it sets.
type differ struct {
	held bool
	now  time.Time
	plan childPlan
}

// sameUser and sameGroup compare what dirsync writes of an object besides its metadata and conditions.
func sameUser(w, e *dirsyncv1alpha1.DirectoryUser) bool {
	return equality.Semantic.DeepEqual(&w.Spec, &e.Spec) // pointers: no copy of either spec
}

func sameGroup(w, e *dirsyncv1alpha1.DirectoryGroup) bool {
	return w.Status.MemberCount == e.Status.MemberCount && equality.Semantic.DeepEqual(&w.Spec, &e.Spec)
}

// upToDateAs reports whether ex needs no write to be w: the same spec, dirsync's labels and controller,
// and the Synced condition as dirsync writes it for an object that matches the provider.
func upToDateAs[P child](w, ex P, sameSpec func(w, e P) bool) bool {
	return sameSpec(w, ex) && sameMeta(w, ex) && hasSynced(ex, metav1.ConditionTrue, dirsyncv1alpha1.ReasonUpToDate)
}

// diffKind adds the ops of one kind: nothing, an update, a hold or a deletion for each existing object,
// and a creation for each desired one that does not exist. matching names desired objects already
// found up to date (see desiredObjects), which are not in want.
func diffKind[P child](df *differ, want map[string]P, matching map[string]bool, current []P, sameSpec func(w, e P) bool) {
	p, held, now := &df.plan, df.held, df.now
	seen := make(map[string]bool, len(want)) // the desired objects that exist: few, in a resync
	for _, ex := range current {
		if _, ok := want[ex.GetName()]; ok {
			seen[ex.GetName()] = true
		}
		if matching[ex.GetName()] {
			p.unchanged++
			continue
		}
		w, ok := want[ex.GetName()]
		switch {
		case !ok && !held:
			p.ops = append(p.ops, newChildOp(opDelete, nil, ex))
		case !ok && hasSynced(ex, metav1.ConditionFalse, dirsyncv1alpha1.ReasonRemovedFromProvider):
			p.unchanged++ // already held
		case !ok:
			h := ex.DeepCopyObject().(P)
			verdict.SetUnobserved(h, removedFromProvider(), now)
			p.ops = append(p.ops, newChildOp(opHold, h, ex))
		case upToDateAs(w, ex, sameSpec):
			p.unchanged++
		default:
			adopt(w, ex, now)
			p.ops = append(p.ops, newChildOp(opUpdate, w, ex))
		}
	}
	for _, name := range slices.Sorted(maps.Keys(want)) {
		if !seen[name] {
			p.ops = append(p.ops, newChildOp(opCreate, want[name], nil))
		}
	}
}

// adopt gives w the existing object's metadata (identity, annotations, finalizers, other labels and
// owners), with dirsync's labels and controller reference from w, and ex's conditions with Synced set,
// so the transition time moves only when the condition changes.
func adopt(w, ex child, now time.Time) {
	m := ex.GetObjectMeta().(*metav1.ObjectMeta).DeepCopy()
	labels := m.Labels
	if labels == nil {
		labels = map[string]string{}
	}
	for _, k := range managedLabels {
		delete(labels, k)
	}
	maps.Copy(labels, w.GetLabels())
	m.Labels = labels
	refs := slices.DeleteFunc(m.OwnerReferences, func(r metav1.OwnerReference) bool { return r.Controller != nil && *r.Controller })
	m.OwnerReferences = append(refs, w.GetOwnerReferences()...)
	c := meta.FindStatusCondition(w.GetConditions(), dirsyncv1alpha1.ConditionSynced)
	*w.GetObjectMeta().(*metav1.ObjectMeta) = *m
	w.SetConditions(slices.Clone(ex.GetConditions()))
	if c != nil {
		verdict.SetUnobserved(w, *c, now)
	}
}

// sameMeta reports whether ex carries exactly w's values for the labels dirsync manages (other labels are
// left alone) and w's controller ownerReference.
func sameMeta(w, ex client.Object) bool {
	for _, k := range managedLabels {
		wv, wok := w.GetLabels()[k]
		ev, eok := ex.GetLabels()[k]
		if wok != eok || wv != ev {
			return false
		}
	}
	wantRef := metav1.GetControllerOf(w)
	exRef := metav1.GetControllerOf(ex)
	return wantRef != nil && exRef != nil && wantRef.UID == exRef.UID
}

// hasSynced reports whether the object's Synced condition has this status and reason, as dirsync writes
// it now: without an observedGeneration (spec and status are written together, so a generation would
// always lag by one) and with the current message.
func hasSynced(o child, status metav1.ConditionStatus, reason string) bool {
	c := meta.FindStatusCondition(o.GetConditions(), dirsyncv1alpha1.ConditionSynced)
	if c == nil || c.Status != status || c.Reason != reason || c.ObservedGeneration != 0 {
		return false
	}
	want := upToDate()
	if reason == dirsyncv1alpha1.ReasonRemovedFromProvider {
		want = removedFromProvider()
	}
	return c.Message == want.Message
}

// upToDate is the Synced condition of an object that matches the provider.
func upToDate() metav1.Condition {
	return metav1.Condition{Type: dirsyncv1alpha1.ConditionSynced, Status: metav1.ConditionTrue, Reason: dirsyncv1alpha1.ReasonUpToDate,
		Message: "Matches the provider as of the last sync."}
}

// removedFromProvider is the Synced condition of an object whose deletion the guard holds.
func removedFromProvider() metav1.Condition {
	return metav1.Condition{Type: dirsyncv1alpha1.ConditionSynced, Status: metav1.ConditionFalse, Reason: dirsyncv1alpha1.ReasonRemovedFromProvider,
		Message: "The provider no longer returns this object; its deletion is held by the Directory's deletion guard."}
}
