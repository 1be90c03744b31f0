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

// Package verdict holds what the Directory and DirectoryAccess controllers share in reaching and
// reporting a reconcile's verdict, written once:
//
//   - GuardHolds, the guards' percentage rule: the Directory's deletion guard and DirectoryAccess's
//     revocation guard both hold a removal of more than maxPercent of what exists (and more than
//     GuardFloor objects);
//   - Set and SetUnobserved, the one way to set a condition (CAPI's conditions.Set): the transition
//     time truncated to seconds, observedGeneration filled from the object;
//   - Ready, the one lookup of an object's Ready condition;
//   - PatchStatus, the one status write: a merge patch of the status subresource, only when it changed.
//
// Both kinds follow one rule for generations: every condition they set on themselves carries the
// object's generation, and status.observedGeneration is the generation the controller finished
// acting on (each controller says when that is).
package verdict

import (
	"context"
	"time"

	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	dirsyncv1alpha1 "github.com/dirsync/dirsync/api/v1alpha1"
)

// GuardFloor is how many removals one pass may always make, whatever the percentage says (unless it
// is 0): one person leaving a three-person company is 33% and must not be held.
const GuardFloor = 3

// GuardHolds is the guards' percentage rule: whether removing remove of total objects must wait for a
// person. maxPercent 100 (or more) lets everything through, 0 holds every removal, and otherwise a
// removal of more than GuardFloor objects and more than maxPercent of total is held.
func GuardHolds(remove, total int, maxPercent int32) bool {
	switch {
	case maxPercent >= 100 || remove == 0:
		return false
	case maxPercent == 0:
		return true
	}
	return remove > GuardFloor && remove*100 > int(maxPercent)*total
}

// Object is an API object with conditions: every dirsync kind.
type Object interface {
	client.Object
	GetConditions() []metav1.Condition
	SetConditions([]metav1.Condition)
}

// Set sets c on obj for obj's current generation (observedGeneration), truncating the transition time
// to seconds; the time moves only when the status changes. It reports whether anything changed.
func Set(obj Object, c metav1.Condition, now time.Time) bool {
	c.ObservedGeneration = obj.GetGeneration()
	return set(obj, c, now)
}

// SetUnobserved is Set without an observedGeneration, for the objects whose spec and status are
// written in one request (DirectoryUser, DirectoryGroup): their generation would always lag by one.
func SetUnobserved(obj Object, c metav1.Condition, now time.Time) bool {
	c.ObservedGeneration = 0
	return set(obj, c, now)
}

func set(obj Object, c metav1.Condition, now time.Time) bool {
	c.LastTransitionTime = metav1.NewTime(now.Truncate(time.Second))
	conds := obj.GetConditions()
	changed := meta.SetStatusCondition(&conds, c)
	obj.SetConditions(conds)
	return changed
}

// Ready is obj's Ready condition, or nil.
func Ready(obj Object) *metav1.Condition {
	return meta.FindStatusCondition(obj.GetConditions(), dirsyncv1alpha1.ConditionReady)
}

// PatchStatus writes obj's status, when status(obj) differs from status(before), as one merge patch
// from before on the status subresource. An object that is gone has no status to write. A reconcile
// returns its own error before this one: cmp.Or(reconcileErr, PatchStatus(…)).
func PatchStatus[T client.Object](ctx context.Context, c client.Client, before, obj T, status func(T) any) error {
	if equality.Semantic.DeepEqual(status(before), status(obj)) {
		return nil
	}
	return client.IgnoreNotFound(c.Status().Patch(ctx, obj, client.MergeFrom(before)))
}
