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

package directoryaccess

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"

	"k8s.io/apimachinery/pkg/types"

	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	dirsyncv1alpha1 "github.com/dirsync/dirsync/api/v1alpha1"
	"github.com/dirsync/dirsync/controllers/internal/verdict"
)

// applyOps writes the plan in two passes, so that no grant ever waits for a revocation and no failure
// in one namespace stops the others: first every revocation (deletions, the delete half of a roleRef
// change, and each patch's removals), then every grant (creations, and the rest of each patch). A
// namespace whose revocation failed gets no grant. Deletions carry a UID precondition. It returns what
// each op left behind.
func (r *Reconciler) applyOps(ctx context.Context, ops []bindingOp) []opResult {
	results := unwritten(ops)
	for i, op := range ops {
		results[i] = r.revoke(ctx, op, results[i])
	}
	for i, op := range ops {
		if results[i].err == nil {
			results[i] = r.grant(ctx, op, results[i])
		}
	}
	return results
}

// revoke makes op's revocations: a deletion, the deletion half of a replace, or a patch down to the
// subjects that existing and desired share (with desired's labels), when that differs from existing.
func (r *Reconciler) revoke(ctx context.Context, op bindingOp, res opResult) opResult {
	switch op.verb {
	case verbDelete, verbReplace:
		if err := r.deleteBinding(ctx, op.existing); err != nil {
			return opResult{final: op.existing, err: fmt.Errorf("deleting: %w", err)}
		}
		return opResult{wrote: true}
	case verbPatch:
		shrunk, _ := op.revocationOnly()
		if shrunk.verb == verbKeep {
			return res
		}
		obj, err := r.patchBinding(ctx, op.existing, shrunk.desired)
		if err != nil {
			return opResult{final: op.existing, err: fmt.Errorf("patching: %w", err)}
		}
		return opResult{final: obj, wrote: true}
	}
	return res
}

// grant makes op's grants once its revocations are written: a creation, the creation half of a
// replace, or the rest of a patch.
func (r *Reconciler) grant(ctx context.Context, op bindingOp, res opResult) opResult {
	switch op.verb {
	case verbCreate, verbReplace:
		obj := op.desired.DeepCopy()
		if err := r.Client.Create(ctx, obj); err != nil {
			return opResult{final: res.final, wrote: res.wrote, err: fmt.Errorf("creating: %w", err)}
		}
		return opResult{final: obj, wrote: true}
	case verbPatch:
		if slices.Equal(res.final.Subjects, op.desired.Subjects) && hasAll(res.final.Labels, op.desired.Labels) &&
			hasAll(res.final.Annotations, op.desired.Annotations) {
			return res
		}
		obj, err := r.patchBinding(ctx, res.final, op.desired)
		if err != nil {
			return opResult{final: res.final, wrote: res.wrote, err: fmt.Errorf("patching: %w", err)}
		}
		return opResult{final: obj, wrote: true}
	}
	return res
}

// patchBinding merge-patches existing to desired's subjects, labels and annotations, and returns the result.
func (r *Reconciler) patchBinding(ctx context.Context, existing, desired *rbacv1.RoleBinding) (*rbacv1.RoleBinding, error) {
	obj := existing.DeepCopy()
	obj.Subjects = desired.Subjects
	obj.Labels = mergeMaps(obj.Labels, desired.Labels)
	obj.Annotations = mergeMaps(obj.Annotations, desired.Annotations)
	if err := r.Client.Patch(ctx, obj, client.MergeFrom(existing)); err != nil {
		return nil, err
	}
	return obj, nil
}

func (r *Reconciler) deleteBinding(ctx context.Context, rb *rbacv1.RoleBinding) error {
	uid := rb.UID
	return client.IgnoreNotFound(r.Client.Delete(ctx, rb.DeepCopy(), client.Preconditions{UID: &uid}))
}

// recordEvents emits one Normal event per reconcile that changed RoleBindings, one Warning when Ready
// turns False or changes reason, and one Warning when the set of foreign RoleBindings (labelled for this
// DirectoryAccess but not its) changes.
func (r *Reconciler) recordEvents(s *accessScope, sum accessSummary, p plan) {
	acc := s.acc
	if sum.granted+sum.revoked > 0 {
		r.Recorder.Eventf(acc, nil, corev1.EventTypeNormal, "AccessChanged", "Bind",
			"Granted %d and revoked %d subjects over %d RoleBinding writes; %d subjects bound", sum.granted, sum.revoked, sum.writes, sum.bound.Len())
	}
	if p.endDated > 0 && sum.revoked > 0 {
		r.Recorder.Eventf(acc, nil, corev1.EventTypeNormal, "RevokedAtEndDate", "Revoke",
			"Revoked %d subjects whose endDate has passed", p.endDated)
	}
	was, now := verdict.Ready(s.base), verdict.Ready(acc)
	if now != nil && now.Status == metav1.ConditionFalse && (was == nil || was.Status != now.Status || was.Reason != now.Reason) {
		r.Recorder.Eventf(acc, nil, corev1.EventTypeWarning, now.Reason, "Bind", "%s", now.Message)
	}
	if r.foreign.changed(s.key, p.foreign) && len(p.foreign) > 0 {
		r.Recorder.Eventf(acc, nil, corev1.EventTypeWarning, "ForeignRoleBinding", "Ignore",
			"These RoleBindings carry dirsync's labels for this DirectoryAccess, but dirsync did not create them (status.bindings does not record them, "+
				"or they lack the %s label): they are ignored, never changed, counted or trusted. Find out who made them: %s",
			dirsyncv1alpha1.LabelAccessUID, capList(p.foreign, ", "))
	}
}

// applyProblem is the Ready problem of writes that failed, naming each RoleBinding.
func applyProblem(failed []string) []problem {
	if len(failed) == 0 {
		return nil
	}
	return []problem{{dirsyncv1alpha1.ReasonApplyFailed, "dirsync could not write these RoleBindings: " + strings.Join(capFirst(failed, 10), "; ") +
		". The other namespaces were written, revocations first; it retries shortly."}}
}

// capFirst is the first n of items, and how many more there are.
func capFirst(items []string, n int) []string {
	if len(items) <= n {
		return items
	}
	return append(slices.Clone(items[:n]), fmt.Sprintf("and %d more", len(items)-n))
}

// foreignReports remembers, per DirectoryAccess, the foreign RoleBindings last reported, so that one
// Event says so when they change, not one per reconcile.
type foreignReports struct {
	mu   sync.Mutex
	last map[types.NamespacedName]string
}

// changed records names as key's foreign RoleBindings and reports whether they differ from the last ones.
func (f *foreignReports) changed(key types.NamespacedName, names []string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.last == nil {
		f.last = map[types.NamespacedName]string{}
	}
	joined := strings.Join(names, ",")
	if f.last[key] == joined {
		return false
	}
	f.last[key] = joined
	return true
}

// forget drops what was reported for a DirectoryAccess that is gone.
func (f *foreignReports) forget(key types.NamespacedName) {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.last, key)
}
