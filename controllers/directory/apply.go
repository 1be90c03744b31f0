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
	"context"
	"fmt"
	"sync"
	"sync/atomic"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/apiutil"

	dirsyncv1alpha1 "github.com/dirsync/dirsync/api/v1alpha1"
	"github.com/dirsync/dirsync/controllers/internal/compact"
)

// defaultWriteWorkers is how many writes one sync sends at once when WriteWorkers is unset.
const defaultWriteWorkers = 8

// apply sends the plan's writes with bounded parallelism, one request each. Every op is attempted; ok[i]
// says whether op i succeeded, and the error (an *applyError) counts the failures. progress, when not
// nil, is called after each write with how many are done.
func (r *Reconciler) apply(ctx context.Context, dir *dirsyncv1alpha1.Directory, p childPlan, progress func(done int)) (ok []bool, err error) {
	ok = make([]bool, len(p.ops))
	workers := r.WriteWorkers
	if workers <= 0 {
		workers = defaultWriteWorkers
	}
	workers = min(workers, len(p.ops))
	next := make(chan int)
	var (
		wg     sync.WaitGroup
		mu     sync.Mutex
		failed int
		first  error
		done   atomic.Int64
	)
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				err := r.write(ctx, dir, p.ops[i])
				ok[i] = err == nil
				p.ops[i].obj, p.ops[i].base = nil, nil // written: let it go
				if err != nil {
					mu.Lock()
					if failed++; first == nil {
						first = err
					}
					mu.Unlock()
				}
				if progress != nil {
					progress(int(done.Add(1)))
				}
			}
		}()
	}
	for i := range p.ops {
		next <- i
	}
	close(next)
	wg.Wait()
	if failed > 0 {
		return ok, &applyError{failed: failed, total: len(p.ops), first: first}
	}
	return ok, nil
}

// write sends one op as one request.
func (r *Reconciler) write(ctx context.Context, dir *dirsyncv1alpha1.Directory, o childOp) error {
	if o.obj != nil {
		compact.OwnMeta(o.obj)
	}
	switch o.kind {
	case opCreate:
		err := r.Client.Create(ctx, o.obj)
		r.countWrite(o.obj, "create")
		if apierrors.IsAlreadyExists(err) {
			return r.createTaken(ctx, dir, o.obj)
		}
		return r.wrapWrite(err, "creating", o.obj)
	case opUpdate, opHold:
		err := r.Client.Patch(ctx, o.obj, client.MergeFrom(o.base))
		r.countWrite(o.obj, "patch")
		if apierrors.IsNotFound(err) {
			return nil // deleted meanwhile (e.g. by hand): the next sync recreates it
		}
		return r.wrapWrite(err, "patching", o.obj)
	case opDelete:
		uid := o.base.GetUID()
		err := r.Client.Delete(ctx, o.base, client.Preconditions{UID: &uid})
		r.countWrite(o.base, "delete")
		if apierrors.IsNotFound(err) || apierrors.IsConflict(err) { // already gone, or replaced by someone else
			return nil
		}
		return r.wrapWrite(err, "deleting", o.base)
	}
	return nil
}

// createTaken explains a create that found its name taken although the cache did not show it: another
// owner's object (the next sync, with the cache caught up, picks a free name) or our own not yet seen.
func (r *Reconciler) createTaken(ctx context.Context, dir *dirsyncv1alpha1.Directory, desired child) error {
	live := desired.DeepCopyObject().(child)
	if err := r.APIReader.Get(ctx, client.ObjectKeyFromObject(desired), live); err != nil {
		return r.wrapWrite(err, "reading", desired)
	}
	if !isControlledBy(live, dir) {
		return fmt.Errorf("%s %s/%s exists and is not controlled by Directory %s; the next sync gives the new object another name",
			r.kindOf(live), live.GetNamespace(), live.GetName(), dir.Name)
	}
	return nil // ours already: the next sync compares it like any other
}

// kindOf is the object's kind, from the scheme.
func (r *Reconciler) kindOf(o client.Object) string {
	gvk, err := apiutil.GVKForObject(o, r.Scheme)
	if err != nil {
		return fmt.Sprintf("%T", o)
	}
	return gvk.Kind
}

func (r *Reconciler) countWrite(o client.Object, verb string) {
	objectWrites.WithLabelValues(r.kindOf(o), verb).Inc()
}

func (r *Reconciler) wrapWrite(err error, doing string, o client.Object) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("%s %s %s/%s: %w", doing, r.kindOf(o), o.GetNamespace(), o.GetName(), err)
}
