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

package controllers

import (
	"sort"

	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	dirsyncv1alpha1 "github.com/dirsync/dirsync/api/v1alpha1"
)

// child is a DirectoryUser or a DirectoryGroup.
type child interface {
	client.Object
	GetConditions() []metav1.Condition
	SetConditions([]metav1.Condition)
}

// opKind is what the sync does to one object.
type opKind int

const (
	opCreate opKind = iota // the provider has it, the cluster does not
	opUpdate               // spec, labels or owner differ: patch them, then the status
	opStatus               // only the status is stale (e.g. a held deletion that the provider returned again)
	opDelete               // the provider no longer has it
	opHold                 // the provider no longer has it, but the deletion guard holds the deletion
)

// op is one write. desired is nil for deletions; existing is nil for creations.
type op struct {
	kind     opKind
	desired  child
	existing child
}

// plan is the difference between what the provider returned and what the cluster holds.
type plan struct {
	ops       []op
	unchanged int
}

// count returns how many ops of kind k the plan holds, and how many of those are users.
func (p plan) count(k opKind) (all, users int) {
	for _, o := range p.ops {
		if o.kind != k {
			continue
		}
		all++
		if _, ok := objectOf(o).(*dirsyncv1alpha1.DirectoryUser); ok {
			users++
		}
	}
	return all, users
}

func objectOf(o op) child {
	if o.desired != nil {
		return o.desired
	}
	return o.existing
}

// diff compares the desired objects with the existing ones (which must all be controlled by the
// Directory) and returns only the writes needed. Objects that already match are counted, not written.
func diff(d desiredState, users []dirsyncv1alpha1.DirectoryUser, groups []dirsyncv1alpha1.DirectoryGroup) plan {
	var p plan
	seen := make(map[string]bool, len(users))
	for i := range users {
		ex := &users[i]
		seen[ex.Name] = true
		want, ok := d.users[ex.Name]
		if !ok {
			p.ops = append(p.ops, op{kind: opDelete, existing: ex})
			continue
		}
		p.add(want, ex, equality.Semantic.DeepEqual(want.Spec, ex.Spec))
	}
	for _, name := range sortedKeys(d.users) {
		if !seen[name] {
			p.ops = append(p.ops, op{kind: opCreate, desired: d.users[name]})
		}
	}
	clear(seen)
	for i := range groups {
		ex := &groups[i]
		seen[ex.Name] = true
		want, ok := d.groups[ex.Name]
		if !ok {
			p.ops = append(p.ops, op{kind: opDelete, existing: ex})
			continue
		}
		p.add(want, ex, equality.Semantic.DeepEqual(want.Spec, ex.Spec) && ex.Status.MemberCount == want.Status.MemberCount)
	}
	for _, name := range sortedKeys(d.groups) {
		if !seen[name] {
			p.ops = append(p.ops, op{kind: opCreate, desired: d.groups[name]})
		}
	}
	return p
}

func (p *plan) add(want, ex child, sameSpec bool) {
	switch {
	case !sameSpec || !sameMeta(want, ex):
		p.ops = append(p.ops, op{kind: opUpdate, desired: want, existing: ex})
	case !isUpToDate(ex):
		p.ops = append(p.ops, op{kind: opStatus, desired: want, existing: ex})
	default:
		p.unchanged++
	}
}

// sameMeta reports whether ex carries every label of want with the same value (other labels are
// left alone) and want's controller ownerReference.
func sameMeta(want, ex client.Object) bool {
	for k, v := range want.GetLabels() {
		if ex.GetLabels()[k] != v {
			return false
		}
	}
	wantRef := metav1.GetControllerOf(want)
	exRef := metav1.GetControllerOf(ex)
	return wantRef != nil && exRef != nil && wantRef.UID == exRef.UID
}

// isUpToDate reports whether the object's status says Synced=True for its current generation.
func isUpToDate(o child) bool {
	c := meta.FindStatusCondition(o.GetConditions(), dirsyncv1alpha1.ConditionSynced)
	return c != nil && c.Status == metav1.ConditionTrue && c.Reason == dirsyncv1alpha1.ReasonUpToDate &&
		c.ObservedGeneration == o.GetGeneration() && observedGeneration(o) == o.GetGeneration()
}

// isHeld reports whether the object is already marked RemovedFromProvider for its current generation.
func isHeld(o child) bool {
	c := meta.FindStatusCondition(o.GetConditions(), dirsyncv1alpha1.ConditionSynced)
	return c != nil && c.Status == metav1.ConditionFalse && c.Reason == dirsyncv1alpha1.ReasonRemovedFromProvider &&
		c.ObservedGeneration == o.GetGeneration()
}

func observedGeneration(o child) int64 {
	switch t := o.(type) {
	case *dirsyncv1alpha1.DirectoryUser:
		return t.Status.ObservedGeneration
	case *dirsyncv1alpha1.DirectoryGroup:
		return t.Status.ObservedGeneration
	}
	return 0
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
