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
	"unique"

	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"

	dirsyncv1alpha1 "github.com/dirsync/dirsync/api/v1alpha1"
)

// CacheOptions is the manager's cache: objects without managedFields (a third of a small object's
// size), limited to namespaces when any are given. Secrets are only ever watched as metadata. Users and
// groups, by far the most numerous objects, also share their repeated strings (see compactChild).
// RoleBindings are cached only when labelled app.kubernetes.io/managed-by=dirsync: the DirectoryAccess
// controller never reads anyone else's, and a cluster's thousands of other bindings stay out of memory.
func CacheOptions(namespaces []string) cache.Options {
	strip := cache.TransformStripManagedFields()
	o := cache.Options{
		DefaultTransform: strip,
		ByObject: map[client.Object]cache.ByObject{
			&dirsyncv1alpha1.DirectoryUser{}:  {Transform: func(in any) (any, error) { return compactChild(strip(in)) }},
			&dirsyncv1alpha1.DirectoryGroup{}: {Transform: func(in any) (any, error) { return compactChild(strip(in)) }},
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
// are never read through it: the reconciler reads them by name with the manager's API reader.
func ClientOptions() client.Options {
	return client.Options{Cache: &client.CacheOptions{EnableReadYourWritesConsistency: ptr.To(true)}}
}

// compactChild makes a cached user or group share the strings that thousands of objects repeat — the
// namespace, label keys and values, the owner reference, the Directory's name, job titles, locations,
// group and member names, condition texts — instead of each holding its own copy as decoded. The
// object is not otherwise changed. (Interned strings are released when no object uses them.)
func compactChild(in any, err error) (any, error) {
	if err != nil {
		return in, err
	}
	switch o := in.(type) {
	case *dirsyncv1alpha1.DirectoryUser:
		compactMeta(&o.ObjectMeta)
		s := &o.Spec
		s.DirectoryRef.Name = intern(s.DirectoryRef.Name)
		s.State = dirsyncv1alpha1.UserState(intern(string(s.State)))
		for _, f := range []*string{&s.EmploymentStatus, &s.JobTitle, &s.Location, &s.Division, &s.Company, &s.EmploymentType,
			&s.ManagerExternalID, &s.ManagerEmail, &s.StartDate, &s.EndDate} {
			*f = intern(*f)
		}
		internAll(s.Groups)
		if s.ManagerRef != nil {
			s.ManagerRef.Name = intern(s.ManagerRef.Name)
		}
		compactConditions(o.Status.Conditions)
	case *dirsyncv1alpha1.DirectoryGroup:
		compactMeta(&o.ObjectMeta)
		o.Spec.DirectoryRef.Name = intern(o.Spec.DirectoryRef.Name)
		o.Spec.Type = dirsyncv1alpha1.GroupType(intern(string(o.Spec.Type)))
		internAll(o.Spec.Members)
		compactConditions(o.Status.Conditions)
	}
	return in, nil
}

func compactMeta(m *metav1.ObjectMeta) {
	m.Name = intern(m.Name) // shared with the members lists of groups
	m.Namespace = intern(m.Namespace)
	if len(m.Labels) > 0 {
		shared := make(map[string]string, len(m.Labels))
		for k, v := range m.Labels {
			shared[intern(k)] = intern(v)
		}
		m.Labels = shared
	}
	for i := range m.OwnerReferences {
		r := &m.OwnerReferences[i]
		r.APIVersion, r.Kind, r.Name = intern(r.APIVersion), intern(r.Kind), intern(r.Name)
		r.UID = types.UID(intern(string(r.UID)))
	}
}

func compactConditions(conds []metav1.Condition) {
	for i := range conds {
		c := &conds[i]
		c.Type, c.Reason, c.Message = intern(c.Type), intern(c.Reason), intern(c.Message)
		c.Status = metav1.ConditionStatus(intern(string(c.Status)))
	}
}

func internAll(l []string) {
	for i := range l {
		l[i] = intern(l[i])
	}
}

func intern(s string) string {
	if s == "" {
		return s
	}
	return unique.Make(s).Value()
}
