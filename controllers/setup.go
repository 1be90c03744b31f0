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
	"maps"
	"slices"
	"strconv"
	"strings"
	"sync"

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
// groups, by far the most numerous objects, also share their repeated strings, labels, owners and
// conditions (see compactChild).
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

// compactChild makes a cached user or group share what thousands of objects repeat instead of each
// holding its own copy as decoded: the strings (the namespace, label keys and values, the Directory's
// name, job titles, locations, dates, managers, group names, condition texts) and, whole, equal label maps,
// owner reference lists and condition lists (a Directory's users carry a few dozen distinct ones). The
// object is not otherwise changed. Cached objects are read-only, as every reader of the cache already
// assumes (lists skip the deep copy; writes work on copies), so sharing them is safe.
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
		o.Status.Conditions = sharedConditions.get(o.Status.Conditions)
	case *dirsyncv1alpha1.DirectoryGroup:
		compactMeta(&o.ObjectMeta)
		o.Spec.DirectoryRef.Name = intern(o.Spec.DirectoryRef.Name)
		o.Spec.Type = dirsyncv1alpha1.GroupType(intern(string(o.Spec.Type)))
		o.Status.Conditions = sharedConditions.get(o.Status.Conditions)
	}
	return in, nil
}

func compactMeta(m *metav1.ObjectMeta) {
	m.Namespace = intern(m.Namespace)
	m.Labels = sharedLabels.get(m.Labels)
	m.OwnerReferences = sharedOwners.get(m.OwnerReferences)
}

// shared hands out one instance of each distinct value of a map or slice type, keyed by a canonical
// text of its content, so that equal values held by many cached objects are one in memory. It forgets
// everything once it holds maxShared values (objects keep theirs; new ones start sharing afresh), so
// values that no object holds any more cannot pile up over a long run.
type shared[T any] struct {
	key     func(T) string
	compact func(T) T // a copy of the first value seen for a key, with its strings interned
	mu      sync.Mutex
	byKey   map[string]T
}

const maxShared = 50_000

func (s *shared[T]) get(v T) T {
	k := s.key(v)
	if k == "" {
		return v
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if got, ok := s.byKey[k]; ok {
		return got
	}
	if s.byKey == nil || len(s.byKey) >= maxShared {
		s.byKey = map[string]T{}
	}
	v = s.compact(v)
	s.byKey[k] = v
	return v
}

var (
	sharedLabels = &shared[map[string]string]{
		key: func(m map[string]string) string {
			if len(m) == 0 {
				return ""
			}
			var b strings.Builder
			for _, k := range slices.Sorted(maps.Keys(m)) {
				writeKey(&b, k, m[k])
			}
			return b.String()
		},
		compact: func(m map[string]string) map[string]string {
			out := make(map[string]string, len(m))
			for k, v := range m {
				out[intern(k)] = intern(v)
			}
			return out
		},
	}
	sharedOwners = &shared[[]metav1.OwnerReference]{
		key: func(refs []metav1.OwnerReference) string {
			return listKey(refs, func(r metav1.OwnerReference) []string {
				return []string{r.APIVersion, r.Kind, r.Name, string(r.UID), boolText(r.Controller), boolText(r.BlockOwnerDeletion)}
			})
		},
		compact: func(refs []metav1.OwnerReference) []metav1.OwnerReference {
			out := slices.Clone(refs)
			for i := range out {
				r := &out[i]
				r.APIVersion, r.Kind, r.Name = intern(r.APIVersion), intern(r.Kind), intern(r.Name)
				r.UID = types.UID(intern(string(r.UID)))
			}
			return out
		},
	}
	sharedConditions = &shared[[]metav1.Condition]{
		key: func(conds []metav1.Condition) string {
			return listKey(conds, func(c metav1.Condition) []string {
				return []string{c.Type, string(c.Status), c.Reason, c.Message, strconv.FormatInt(c.ObservedGeneration, 10),
					strconv.FormatInt(c.LastTransitionTime.UnixNano(), 10)}
			})
		},
		compact: func(conds []metav1.Condition) []metav1.Condition {
			out := slices.Clone(conds)
			for i := range out {
				c := &out[i]
				c.Type, c.Reason, c.Message = intern(c.Type), intern(c.Reason), intern(c.Message)
				c.Status = metav1.ConditionStatus(intern(string(c.Status)))
			}
			return out
		},
	}
)

// listKey is the sharing key of a list: every field of every item, as writeKey writes them; "" for none.
func listKey[T any](items []T, fields func(T) []string) string {
	if len(items) == 0 {
		return ""
	}
	var b strings.Builder
	for _, it := range items {
		writeKey(&b, fields(it)...)
	}
	return b.String()
}

// writeKey writes each value prefixed by its length, so that different values never give the same text.
func writeKey(b *strings.Builder, values ...string) {
	for _, v := range values {
		b.WriteString(strconv.Itoa(len(v)))
		b.WriteByte(':')
		b.WriteString(v)
	}
}

// boolText is a *bool as text: "", "true" or "false".
func boolText(b *bool) string {
	if b == nil {
		return ""
	}
	return strconv.FormatBool(*b)
}

func internAll(l []string) {
	for i := range l {
		l[i] = intern(l[i])
	}
}

// intern returns the one copy of s that the cache shares. The copies are held strongly (a handle-less
// unique.Make shares only until the next garbage collection), and forgotten all at once past maxShared,
// like shared's values. It is for strings that repeat across objects: a string each object has its own
// of (a name, an e-mail address) would only add a table entry.
func intern(s string) string {
	if s == "" {
		return s
	}
	interned.mu.Lock()
	defer interned.mu.Unlock()
	if c, ok := interned.byValue[s]; ok {
		return c
	}
	if interned.byValue == nil || len(interned.byValue) >= maxShared {
		interned.byValue = map[string]string{}
	}
	c := strings.Clone(s) // not a part of a larger string that the table would keep alive
	interned.byValue[c] = c
	return c
}

var interned struct {
	mu      sync.Mutex
	byValue map[string]string
}
