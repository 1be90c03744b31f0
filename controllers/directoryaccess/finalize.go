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
	"time"

	"k8s.io/apimachinery/pkg/types"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/klog/v2"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"

	"github.com/dirsync/dirsync/controllers/internal/verdict"

	apierrors "k8s.io/apimachinery/pkg/api/errors"

	dirsyncv1alpha1 "github.com/dirsync/dirsync/api/v1alpha1"
)

// ensureFinalizer adds the finalizer that lets dirsync delete the RoleBindings (in other namespaces,
// so no ownerReference can) before the DirectoryAccess goes.
func (r *Reconciler) ensureFinalizer(ctx context.Context, acc *dirsyncv1alpha1.DirectoryAccess) error {
	if controllerutil.ContainsFinalizer(acc, dirsyncv1alpha1.FinalizerAccessBindings) {
		return nil
	}
	patch := client.MergeFrom(acc.DeepCopy())
	controllerutil.AddFinalizer(acc, dirsyncv1alpha1.FinalizerAccessBindings)
	return r.Client.Patch(ctx, acc, patch)
}

// finalize deletes every RoleBinding of a deleted DirectoryAccess (those it owns, and orphans of an
// earlier DirectoryAccess of the same name), then removes the finalizer; RoleBindings that only claim to
// be its are left alone. Where dirsync may not delete, the DirectoryAccess stays with Ready=False
// NotPermitted naming the namespaces.
func (r *Reconciler) finalize(ctx context.Context, acc *dirsyncv1alpha1.DirectoryAccess, now time.Time) (ctrl.Result, error) {
	if !controllerutil.ContainsFinalizer(acc, dirsyncv1alpha1.FinalizerAccessBindings) {
		return ctrl.Result{}, nil
	}
	candidates, err := r.candidateBindings(ctx, acc)
	if err != nil {
		return ctrl.Result{}, err
	}
	bs := sortBindings(acc, recordOf(acc), candidates)
	doomed := slices.Clone(bs.orphans)
	for _, b := range bs.owned {
		doomed = append(doomed, *b.rb)
	}
	var failed []string
	for i := range doomed {
		if err := r.deleteBinding(ctx, &doomed[i]); apierrors.IsForbidden(err) {
			failed = append(failed, doomed[i].Namespace)
		} else if err != nil {
			return ctrl.Result{}, fmt.Errorf("deleting RoleBinding %s/%s: %w", doomed[i].Namespace, doomed[i].Name, err)
		}
	}
	if len(failed) > 0 {
		slices.Sort(failed)
		verdict.Set(acc, metav1.Condition{Type: dirsyncv1alpha1.ConditionReady, Status: metav1.ConditionFalse, Reason: dirsyncv1alpha1.ReasonNotPermitted,
			Message: "The DirectoryAccess is being deleted, but dirsync may not delete its RoleBindings in these namespaces: " + capList(failed, ", ") +
				". Bind " + r.grantorRole() + " there again, or delete the RoleBindings labelled " + dirsyncv1alpha1.LabelAccessUID + "=" +
				string(acc.UID) + " yourself."}, now)
		return r.requeue(plan{}, true, changeState{}, now), nil
	}
	patch := client.MergeFrom(acc.DeepCopy())
	controllerutil.RemoveFinalizer(acc, dirsyncv1alpha1.FinalizerAccessBindings)
	if err := r.Client.Patch(ctx, acc, patch); err != nil {
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	forgetAccessMetrics(client.ObjectKeyFromObject(acc))
	ctrl.LoggerFrom(ctx).Info("Deleted the RoleBindings of a deleted DirectoryAccess", "directoryAccess", klog.KObj(acc), "deleted", len(doomed))
	return ctrl.Result{}, nil
}

// sweep deletes the RoleBindings left behind by DirectoryAccess key, which no longer exists (someone
// removed its finalizer before dirsync could delete them): those carrying dirsync's labels for it, a
// dirsync.io/access-uid label and a name dirsync gives its RoleBindings. Anything else stays.
func (r *Reconciler) sweep(ctx context.Context, key types.NamespacedName) error {
	rbs, err := r.labelledBindings(ctx, key.Namespace, key.Name)
	if err != nil {
		return err
	}
	gone := &dirsyncv1alpha1.DirectoryAccess{ObjectMeta: metav1.ObjectMeta{Namespace: key.Namespace, Name: key.Name}}
	swept := 0
	for i := range rbs {
		rb := &rbs[i]
		if rb.Labels[dirsyncv1alpha1.LabelAccessUID] == "" || !claimsAccess(gone, rb) || !isAccessBindingName(gone, rb.Name) {
			continue
		}
		if err := r.deleteBinding(ctx, rb); apierrors.IsForbidden(err) {
			ctrl.LoggerFrom(ctx).Info("May not delete an orphaned RoleBinding", "roleBinding", klog.KObj(rb))
			continue
		} else if err != nil {
			return fmt.Errorf("deleting orphaned RoleBinding %s/%s: %w", rb.Namespace, rb.Name, err)
		}
		swept++
	}
	if swept > 0 {
		ctrl.LoggerFrom(ctx).Info("Deleted the RoleBindings of a DirectoryAccess that is gone", "directoryAccess", key, "deleted", swept)
	}
	return nil
}
