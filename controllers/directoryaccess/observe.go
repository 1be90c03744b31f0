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

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	dirsyncv1alpha1 "github.com/dirsync/dirsync/api/v1alpha1"
)

// observe gathers the planner's input from the cache: the Directory, its people and groups, the
// namespaces and the RoleBindings this DirectoryAccess manages. Lists skip the cache's deep copy: the
// planner only reads them, and writes work on copies.
func (r *Reconciler) observe(ctx context.Context, acc *dirsyncv1alpha1.DirectoryAccess) (accessInput, error) {
	var in accessInput
	dirName := acc.Spec.DirectoryRef.Name
	dir := &dirsyncv1alpha1.Directory{}
	if err := r.Client.Get(ctx, types.NamespacedName{Namespace: acc.Namespace, Name: dirName}, dir); err == nil {
		in.directory = dir
	} else if !apierrors.IsNotFound(err) {
		return in, fmt.Errorf("getting Directory %s/%s: %w", acc.Namespace, dirName, err)
	}
	ofDirectory := []client.ListOption{client.InNamespace(acc.Namespace),
		client.MatchingLabels{dirsyncv1alpha1.LabelDirectory: dirName}, client.UnsafeDisableDeepCopy}
	var users dirsyncv1alpha1.DirectoryUserList
	if err := r.Client.List(ctx, &users, ofDirectory...); err != nil {
		return in, fmt.Errorf("listing DirectoryUsers of %s/%s: %w", acc.Namespace, dirName, err)
	}
	in.data.users = users.Items
	if acc.Spec.GroupSelector != nil {
		var groups dirsyncv1alpha1.DirectoryGroupList
		if err := r.Client.List(ctx, &groups, ofDirectory...); err != nil {
			return in, fmt.Errorf("listing DirectoryGroups of %s/%s: %w", acc.Namespace, dirName, err)
		}
		in.data.groups = groups.Items
	}
	var err error
	if in.namespaces, err = r.namespaces(ctx); err != nil {
		return in, err
	}
	in.bindings, err = r.managedBindings(ctx, acc)
	return in, err
}

// namespaces is the manager's view of namespaces: all of them with their labels when it watches all.
func (r *Reconciler) namespaces(ctx context.Context) (namespaceView, error) {
	if len(r.WatchNamespaces) > 0 {
		v := namespaceView{watched: map[string]bool{}}
		for _, ns := range r.WatchNamespaces {
			v.watched[ns] = true
		}
		return v, nil
	}
	list := &metav1.PartialObjectMetadataList{}
	list.SetGroupVersionKind(corev1.SchemeGroupVersion.WithKind("NamespaceList"))
	if err := r.Client.List(ctx, list, client.UnsafeDisableDeepCopy); err != nil {
		return namespaceView{}, fmt.Errorf("listing Namespaces: %w", err)
	}
	v := namespaceView{labels: make(map[string]map[string]string, len(list.Items))}
	for _, ns := range list.Items {
		if ns.DeletionTimestamp.IsZero() {
			v.labels[ns.Name] = ns.Labels
			if ns.Labels == nil {
				v.labels[ns.Name] = map[string]string{}
			}
		}
	}
	return v, nil
}

// managedBindings are the RoleBindings, in any namespace, labelled as this DirectoryAccess's.
func (r *Reconciler) managedBindings(ctx context.Context, acc *dirsyncv1alpha1.DirectoryAccess) ([]rbacv1.RoleBinding, error) {
	var list rbacv1.RoleBindingList
	if err := r.Client.List(ctx, &list, client.MatchingFields{accessBindingIndex: accessLabelValue(acc.Namespace, acc.Name)},
		client.UnsafeDisableDeepCopy); err != nil {
		return nil, fmt.Errorf("listing the RoleBindings of DirectoryAccess %s/%s: %w", acc.Namespace, acc.Name, err)
	}
	return list.Items, nil
}
