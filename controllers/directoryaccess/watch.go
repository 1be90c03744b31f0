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
	"slices"
	"strings"

	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/types"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	dirsyncv1alpha1 "github.com/dirsync/dirsync/api/v1alpha1"
)

// Field indexes of the DirectoryAccess controller.
const (
	// accessDirectoryIndex indexes DirectoryAccesses by spec.directoryRef.name.
	accessDirectoryIndex = "spec.directoryRef.name"
	// accessBindingIndex indexes managed RoleBindings by their dirsync.io/access label.
	accessBindingIndex = "metadata.labels.dirsync.io/access"
)

func indexAccessFields(ctx context.Context, indexer client.FieldIndexer) error {
	if err := indexer.IndexField(ctx, &dirsyncv1alpha1.DirectoryAccess{}, accessDirectoryIndex, func(o client.Object) []string {
		return []string{o.(*dirsyncv1alpha1.DirectoryAccess).Spec.DirectoryRef.Name}
	}); err != nil {
		return err
	}
	return indexer.IndexField(ctx, &rbacv1.RoleBinding{}, accessBindingIndex, func(o client.Object) []string {
		l := o.GetLabels()
		if l[dirsyncv1alpha1.LabelManagedBy] != dirsyncv1alpha1.ManagedByDirsync || l[dirsyncv1alpha1.LabelAccess] == "" {
			return nil
		}
		return []string{l[dirsyncv1alpha1.LabelAccess]}
	})
}

// deletionStarted passes updates that set the deletion timestamp.
func deletionStarted() predicate.Funcs {
	return predicate.Funcs{
		UpdateFunc: func(e event.UpdateEvent) bool {
			return e.ObjectOld.GetDeletionTimestamp().IsZero() && !e.ObjectNew.GetDeletionTimestamp().IsZero()
		},
		CreateFunc:  func(event.CreateEvent) bool { return false },
		DeleteFunc:  func(event.DeleteEvent) bool { return false },
		GenericFunc: func(event.GenericEvent) bool { return false },
	}
}

// readyChanged passes Directory events that change its Ready condition's status or reason, and
// creations and deletions: a Directory's every-sync status writes are none of the access's business.
func readyChanged() predicate.Funcs {
	return predicate.Funcs{UpdateFunc: func(e event.UpdateEvent) bool {
		old, cur := e.ObjectOld.(*dirsyncv1alpha1.Directory), e.ObjectNew.(*dirsyncv1alpha1.Directory)
		a := meta.FindStatusCondition(old.Status.Conditions, dirsyncv1alpha1.ConditionReady)
		b := meta.FindStatusCondition(cur.Status.Conditions, dirsyncv1alpha1.ConditionReady)
		if a == nil || b == nil {
			return a != b
		}
		return a.Status != b.Status || a.Reason != b.Reason
	}}
}

// accessesForUser maps a DirectoryUser event to the DirectoryAccesses of its Directory, noting when it
// was seen for dirsync_access_revocation_seconds.
func (r *Reconciler) accessesForUser(ctx context.Context, o client.Object) []reconcile.Request {
	reqs := r.accessesForDirectoryObject(ctx, o)
	now := r.Clock.Now()
	for _, req := range reqs {
		r.changes.note(req.NamespacedName, now)
	}
	return reqs
}

// accessesForDirectoryObject maps a Directory, or a DirectoryUser or DirectoryGroup (by its
// dirsync.io/directory label), to the DirectoryAccesses that reference that Directory.
func (r *Reconciler) accessesForDirectoryObject(ctx context.Context, o client.Object) []reconcile.Request {
	dir := o.GetLabels()[dirsyncv1alpha1.LabelDirectory]
	if _, ok := o.(*dirsyncv1alpha1.Directory); ok {
		dir = o.GetName()
	}
	if dir == "" {
		return nil
	}
	var list dirsyncv1alpha1.DirectoryAccessList
	if err := r.Client.List(ctx, &list, client.InNamespace(o.GetNamespace()), client.MatchingFields{accessDirectoryIndex: dir},
		client.UnsafeDisableDeepCopy); err != nil {
		ctrl.LoggerFrom(ctx).Error(err, "Listing DirectoryAccesses for a Directory failed", "directory", dir)
		return nil
	}
	reqs := make([]reconcile.Request, 0, len(list.Items))
	for i := range list.Items {
		reqs = append(reqs, reconcile.Request{NamespacedName: client.ObjectKeyFromObject(&list.Items[i])})
	}
	return reqs
}

// accessForBinding maps a managed RoleBinding to its DirectoryAccess, from the dirsync.io/access-ref
// annotation ("<namespace>/<name>").
func accessForBinding(_ context.Context, o client.Object) []reconcile.Request {
	ns, name, ok := strings.Cut(o.GetAnnotations()[dirsyncv1alpha1.AnnotationAccess], "/")
	if !ok {
		ns, name, ok = strings.Cut(o.GetLabels()[dirsyncv1alpha1.LabelAccess], ".")
	}
	if !ok || ns == "" || name == "" {
		return nil
	}
	return []reconcile.Request{{NamespacedName: types.NamespacedName{Namespace: ns, Name: name}}}
}

// accessesForNamespace maps a Namespace event to the DirectoryAccesses that name it or select namespaces by label.
func (r *Reconciler) accessesForNamespace(ctx context.Context, o client.Object) []reconcile.Request {
	var list dirsyncv1alpha1.DirectoryAccessList
	if err := r.Client.List(ctx, &list, client.UnsafeDisableDeepCopy); err != nil {
		ctrl.LoggerFrom(ctx).Error(err, "Listing DirectoryAccesses for a Namespace failed", "namespace", o.GetName())
		return nil
	}
	var reqs []reconcile.Request
	for i := range list.Items {
		t := list.Items[i].Spec.Target
		if t.NamespaceSelector != nil || slices.Contains(t.Namespaces, o.GetName()) {
			reqs = append(reqs, reconcile.Request{NamespacedName: client.ObjectKeyFromObject(&list.Items[i])})
		}
	}
	return reqs
}
