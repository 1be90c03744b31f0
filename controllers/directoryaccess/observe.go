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

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	dirsyncv1alpha1 "github.com/dirsync/dirsync/api/v1alpha1"
)

// observe gathers the planner's input from the cache: the Directory, its people and groups (only those
// it controls: a DirectoryUser someone else created with its label is nobody), the namespaces, and the
// RoleBindings that claim to be this DirectoryAccess's, sorted out against its record. Lists skip the
// cache's deep copy: the planner only reads them, and writes work on copies.
func (r *Reconciler) observe(ctx context.Context, acc *dirsyncv1alpha1.DirectoryAccess) (accessInput, error) {
	in := accessInput{record: recordOf(acc), maxBindingBytes: r.MaxBindingBytes}
	dirName := acc.Spec.DirectoryRef.Name
	dir := &dirsyncv1alpha1.Directory{}
	if err := r.Client.Get(ctx, types.NamespacedName{Namespace: acc.Namespace, Name: dirName}, dir); err == nil {
		in.directory = dir
	} else if !apierrors.IsNotFound(err) {
		return in, fmt.Errorf("getting Directory %s/%s: %w", acc.Namespace, dirName, err)
	}
	if in.directory != nil {
		if err := r.directoryData(ctx, acc, in.directory, &in.data); err != nil {
			return in, err
		}
	}
	var err error
	if in.namespaces, err = r.namespaces(ctx); err != nil {
		return in, err
	}
	candidates, err := r.candidateBindings(ctx, acc)
	if err != nil {
		return in, err
	}
	in.bindings = sortBindings(acc, in.record, candidates)
	return in, nil
}

// directoryData lists the users and (for spec.groupSelector) groups that dir controls.
func (r *Reconciler) directoryData(ctx context.Context, acc *dirsyncv1alpha1.DirectoryAccess, dir *dirsyncv1alpha1.Directory, data *accessData) error {
	ofDirectory := []client.ListOption{client.InNamespace(acc.Namespace),
		client.MatchingLabels{dirsyncv1alpha1.LabelDirectory: dir.Name}, client.UnsafeDisableDeepCopy}
	var users dirsyncv1alpha1.DirectoryUserList
	if err := r.Client.List(ctx, &users, ofDirectory...); err != nil {
		return fmt.Errorf("listing DirectoryUsers of %s/%s: %w", acc.Namespace, dir.Name, err)
	}
	data.users = slices.DeleteFunc(users.Items, func(u dirsyncv1alpha1.DirectoryUser) bool { return !metav1.IsControlledBy(&u, dir) })
	if acc.Spec.GroupSelector != nil {
		var groups dirsyncv1alpha1.DirectoryGroupList
		if err := r.Client.List(ctx, &groups, ofDirectory...); err != nil {
			return fmt.Errorf("listing DirectoryGroups of %s/%s: %w", acc.Namespace, dir.Name, err)
		}
		data.groups = slices.DeleteFunc(groups.Items, func(g dirsyncv1alpha1.DirectoryGroup) bool { return !metav1.IsControlledBy(&g, dir) })
	}
	return nil
}

// candidateBindings are the RoleBindings that may be this DirectoryAccess's: those the cache holds with
// its labels, and those its status records that the cache does not hold (their labels were stripped, so
// the label-filtered cache dropped them), read by name.
func (r *Reconciler) candidateBindings(ctx context.Context, acc *dirsyncv1alpha1.DirectoryAccess) ([]rbacv1.RoleBinding, error) {
	out, err := r.labelledBindings(ctx, acc.Namespace, acc.Name)
	if err != nil {
		return nil, err
	}
	for _, b := range acc.Status.Bindings {
		if slices.ContainsFunc(out, func(rb rbacv1.RoleBinding) bool { return rb.Namespace == b.Namespace && rb.Name == b.Name }) {
			continue
		}
		var rb rbacv1.RoleBinding
		switch err := r.APIReader.Get(ctx, types.NamespacedName{Namespace: b.Namespace, Name: b.Name}, &rb); {
		case err == nil:
			out = append(out, rb)
		case !apierrors.IsNotFound(err):
			return nil, fmt.Errorf("getting RoleBinding %s/%s: %w", b.Namespace, b.Name, err)
		}
	}
	return out, nil
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

// labelledBindings are the RoleBindings, in any namespace, that the cache holds with the dirsync.io/access
// label of DirectoryAccess namespace/name: its own, and anyone else's that claim to be.
func (r *Reconciler) labelledBindings(ctx context.Context, namespace, name string) ([]rbacv1.RoleBinding, error) {
	var list rbacv1.RoleBindingList
	if err := r.Client.List(ctx, &list, client.MatchingFields{accessBindingIndex: accessLabelValue(namespace, name)},
		client.UnsafeDisableDeepCopy); err != nil {
		return nil, fmt.Errorf("listing the RoleBindings of DirectoryAccess %s/%s: %w", namespace, name, err)
	}
	return list.Items, nil
}
