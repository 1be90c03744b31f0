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
	"maps"

	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	dirsyncv1alpha1 "github.com/dirsync/dirsync/api/v1alpha1"

	corev1 "k8s.io/api/core/v1"

	"github.com/dirsync/dirsync/controllers/internal/verdict"
)

// applyOps writes the plan: creates, merge patches (subjects, labels, annotations), deletes with a UID
// precondition, and delete-then-create where the roleRef changed. It returns what the plan leaves behind.
func (r *Reconciler) applyOps(ctx context.Context, ops []bindingOp) (accessSummary, error) {
	sum := summarize(ops)
	for _, op := range ops {
		var err error
		switch op.verb {
		case verbCreate:
			err = r.Client.Create(ctx, op.desired.DeepCopy())
		case verbPatch:
			obj := op.existing.DeepCopy()
			obj.Subjects = op.desired.Subjects
			obj.Labels = mergeMaps(obj.Labels, op.desired.Labels)
			obj.Annotations = mergeMaps(obj.Annotations, op.desired.Annotations)
			err = r.Client.Patch(ctx, obj, client.MergeFrom(op.existing))
		case verbReplace:
			if err = r.deleteBinding(ctx, op.existing); err == nil {
				err = r.Client.Create(ctx, op.desired.DeepCopy())
			}
		case verbDelete:
			err = r.deleteBinding(ctx, op.existing)
		}
		if err != nil {
			return sum, fmt.Errorf("%s RoleBinding %s/%s: %w", op.verb, op.ns, bindingName(op), err)
		}
	}
	if sum.writes > 0 {
		ctrl.LoggerFrom(ctx).Info("Updated RoleBindings", "writes", sum.writes, "granted", sum.granted, "revoked", sum.revoked, "subjects", sum.subjects)
	}
	return sum, nil
}

func (r *Reconciler) deleteBinding(ctx context.Context, rb *rbacv1.RoleBinding) error {
	uid := rb.UID
	return client.IgnoreNotFound(r.Client.Delete(ctx, rb.DeepCopy(), client.Preconditions{UID: &uid}))
}

func bindingName(op bindingOp) string {
	if op.desired != nil {
		return op.desired.Name
	}
	return op.existing.Name
}

// mergeMaps returns a copy of base with every key of over set to over's value.
func mergeMaps(base, over map[string]string) map[string]string {
	out := make(map[string]string, len(base)+len(over))
	maps.Copy(out, base)
	maps.Copy(out, over)
	return out
}

// recordEvents emits one Normal event per reconcile that changed RoleBindings, and one Warning when
// Ready turns False or changes reason.
func (r *Reconciler) recordEvents(acc, before *dirsyncv1alpha1.DirectoryAccess, sum accessSummary, p plan) {
	if sum.granted+sum.revoked > 0 {
		r.Recorder.Eventf(acc, nil, corev1.EventTypeNormal, "AccessChanged", "Bind",
			"Granted %d and revoked %d subjects over %d RoleBindings; %d subjects bound", sum.granted, sum.revoked, sum.writes, sum.subjects)
	}
	if p.endDated > 0 && sum.revoked > 0 {
		r.Recorder.Eventf(acc, nil, corev1.EventTypeNormal, "RevokedAtEndDate", "Revoke",
			"Revoked %d subjects whose endDate has passed", p.endDated)
	}
	was, now := verdict.Ready(before), verdict.Ready(acc)
	if now != nil && now.Status == metav1.ConditionFalse && (was == nil || was.Status != now.Status || was.Reason != now.Reason) {
		r.Recorder.Eventf(acc, nil, corev1.EventTypeWarning, now.Reason, "Bind", "%s", now.Message)
	}
}
