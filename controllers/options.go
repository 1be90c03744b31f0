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
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"

	dirsyncv1alpha1 "github.com/dirsync/dirsync/api/v1alpha1"
	"github.com/dirsync/dirsync/controllers/internal/compact"
)

// CacheOptions is the manager's cache: objects without managedFields (a third of a small object's
// size), limited to namespaces when any are given. Secrets are only ever watched as metadata. Users and
// groups, by far the most numerous objects, also share their repeated strings, labels, owners and
// conditions (compact.Transform).
// RoleBindings are cached only when labelled app.kubernetes.io/managed-by=dirsync: the DirectoryAccess
// controller never reads anyone else's, and a cluster's thousands of other bindings stay out of memory.
func CacheOptions(namespaces []string) cache.Options {
	strip := cache.TransformStripManagedFields()
	children := func(in any) (any, error) { return compact.Transform(strip(in)) }
	o := cache.Options{
		DefaultTransform: strip,
		ByObject: map[client.Object]cache.ByObject{
			&dirsyncv1alpha1.DirectoryUser{}:  {Transform: children},
			&dirsyncv1alpha1.DirectoryGroup{}: {Transform: children},
			&rbacv1.RoleBinding{}:             {Label: labels.SelectorFromSet(labels.Set{dirsyncv1alpha1.LabelManagedBy: dirsyncv1alpha1.ManagedByDirsync})},
		},
	}
	if len(namespaces) > 0 {
		o.DefaultNamespaces = map[string]cache.Config{}
		for _, ns := range namespaces {
			o.DefaultNamespaces[ns] = cache.Config{}
		}
	}
	return o
}

// ClientOptions is the manager's client: reads from the cache wait until it has seen this process's
// own writes, so a reconcile right after a sync never acts on stale status or children. Typed Secrets
// are never read through it: the Directory controller reads them by name with the manager's API reader.
func ClientOptions() client.Options {
	return client.Options{Cache: &client.CacheOptions{EnableReadYourWritesConsistency: ptr.To(true)}}
}
