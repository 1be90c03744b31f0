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
	"context"
	"fmt"
	"net/http"
	"sync"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	dirsyncv1alpha1 "github.com/dirsync/dirsync/api/v1alpha1"
	"github.com/dirsync/dirsync/internal/provider"
)

// defaultWriteWorkers is how many writes one sync sends at once when WriteWorkers is unset.
const defaultWriteWorkers = 8

func newProviderHTTPClient(providerType string, timeout time.Duration) *http.Client {
	return provider.NewHTTPClient(provider.HTTPOptions{Timeout: timeout, OnResponse: observeProviderResponse(providerType)})
}

// apply sends the plan's writes with bounded parallelism. Every op is attempted; the first error is
// returned after all have finished, so one failed write does not stop the others.
func (r *DirectoryReconciler) apply(ctx context.Context, dir *dirsyncv1alpha1.Directory, p plan, now time.Time) error {
	workers := r.WriteWorkers
	if workers <= 0 {
		workers = defaultWriteWorkers
	}
	if workers > len(p.ops) {
		workers = len(p.ops)
	}
	ops := make(chan op)
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		errs []error
	)
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for o := range ops {
				if err := r.applyOne(ctx, dir, o, now); err != nil {
					mu.Lock()
					errs = append(errs, err)
					mu.Unlock()
				}
			}
		}()
	}
	for _, o := range p.ops {
		ops <- o
	}
	close(ops)
	wg.Wait()
	if len(errs) > 0 {
		return fmt.Errorf("%d of %d writes failed, first: %w", len(errs), len(p.ops), errs[0])
	}
	return nil
}

func (r *DirectoryReconciler) applyOne(ctx context.Context, dir *dirsyncv1alpha1.Directory, o op, now time.Time) error {
	switch o.kind {
	case opCreate:
		return r.create(ctx, dir, o.desired, now)
	case opUpdate:
		return r.update(ctx, o.desired, o.existing, now)
	case opStatus:
		return r.writeStatus(ctx, o.desired, o.existing, upToDate(), now)
	case opHold:
		return r.writeStatus(ctx, nil, o.existing, removedFromProvider(), now)
	case opDelete:
		uid := o.existing.GetUID()
		err := r.Client.Delete(ctx, o.existing, client.Preconditions{UID: &uid})
		countWrite(o.existing, "delete")
		if apierrors.IsNotFound(err) || apierrors.IsConflict(err) { // already gone, or replaced by someone else
			return nil
		}
		return wrapWrite(err, "deleting", o.existing)
	}
	return nil
}

func (r *DirectoryReconciler) create(ctx context.Context, dir *dirsyncv1alpha1.Directory, desired child, now time.Time) error {
	obj := desired.DeepCopyObject().(child)
	err := r.Client.Create(ctx, obj)
	countWrite(obj, "create")
	if apierrors.IsAlreadyExists(err) {
		// Not in the cache yet, or not ours: read it live and decide.
		live := desired.DeepCopyObject().(child)
		if err := r.APIReader.Get(ctx, client.ObjectKeyFromObject(desired), live); err != nil {
			return wrapWrite(err, "reading", desired)
		}
		if !isControlledBy(live, dir) {
			return fmt.Errorf("%s %s/%s exists and is not controlled by Directory %s; rename or delete it",
				kindOf(live), live.GetNamespace(), live.GetName(), dir.Name)
		}
		return r.update(ctx, desired, live, now)
	}
	if err != nil {
		return wrapWrite(err, "creating", obj)
	}
	return r.writeStatus(ctx, desired, obj, upToDate(), now)
}

// update patches spec, labels and the controller reference of existing to match desired, leaving
// other labels and owners alone, then writes the status for the new generation.
func (r *DirectoryReconciler) update(ctx context.Context, desired, existing child, now time.Time) error {
	patched := existing.DeepCopyObject().(child)
	copySpec(patched, desired)
	labels := patched.GetLabels()
	if labels == nil {
		labels = map[string]string{}
	}
	for k, v := range desired.GetLabels() {
		labels[k] = v
	}
	patched.SetLabels(labels)
	refs := []metav1.OwnerReference{}
	for _, ref := range patched.GetOwnerReferences() {
		if ref.Controller == nil || !*ref.Controller {
			refs = append(refs, ref)
		}
	}
	patched.SetOwnerReferences(append(refs, desired.GetOwnerReferences()...))
	err := r.Client.Patch(ctx, patched, client.MergeFrom(existing))
	countWrite(patched, "patch")
	if err != nil {
		return wrapWrite(err, "patching", patched)
	}
	return r.writeStatus(ctx, desired, patched, upToDate(), now)
}

// writeStatus sets the Synced condition (and, for a group, the member count) for obj's current
// generation and patches the status subresource.
func (r *DirectoryReconciler) writeStatus(ctx context.Context, desired, obj child, c metav1.Condition, now time.Time) error {
	base := obj.DeepCopyObject().(child)
	setCondition(obj, c, now)
	switch t := obj.(type) {
	case *dirsyncv1alpha1.DirectoryUser:
		t.Status.ObservedGeneration = t.Generation
	case *dirsyncv1alpha1.DirectoryGroup:
		t.Status.ObservedGeneration = t.Generation
		t.Status.MemberCount = int32(len(t.Spec.Members))
	}
	err := r.Client.Status().Patch(ctx, obj, client.MergeFrom(base))
	countWrite(obj, "status")
	if apierrors.IsNotFound(err) {
		return nil // deleted meanwhile (e.g. by hand): the next sync recreates it
	}
	return wrapWrite(err, "updating the status of", obj)
}

func copySpec(dst, src child) {
	switch d := dst.(type) {
	case *dirsyncv1alpha1.DirectoryUser:
		d.Spec = *src.(*dirsyncv1alpha1.DirectoryUser).Spec.DeepCopy()
	case *dirsyncv1alpha1.DirectoryGroup:
		d.Spec = *src.(*dirsyncv1alpha1.DirectoryGroup).Spec.DeepCopy()
	}
}

func upToDate() metav1.Condition {
	return metav1.Condition{Type: dirsyncv1alpha1.ConditionSynced, Status: metav1.ConditionTrue, Reason: dirsyncv1alpha1.ReasonUpToDate,
		Message: "Matches the provider as of the last sync."}
}

func removedFromProvider() metav1.Condition {
	return metav1.Condition{Type: dirsyncv1alpha1.ConditionSynced, Status: metav1.ConditionFalse, Reason: dirsyncv1alpha1.ReasonRemovedFromProvider,
		Message: "The provider no longer returns this object; its deletion is held by the Directory's deletion guard."}
}

func kindOf(o client.Object) string {
	if _, ok := o.(*dirsyncv1alpha1.DirectoryUser); ok {
		return "DirectoryUser"
	}
	return "DirectoryGroup"
}

func countWrite(o client.Object, verb string) {
	objectWrites.WithLabelValues(kindOf(o), verb).Inc()
}

func wrapWrite(err error, doing string, o client.Object) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("%s %s %s/%s: %w", doing, kindOf(o), o.GetNamespace(), o.GetName(), err)
}
