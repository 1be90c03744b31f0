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

// Package compact keeps the memory of a Directory with many users small: the manager's cache holds
// every DirectoryUser and DirectoryGroup, and a sync holds the users it is about to write, and both
// repeat the same few values thousands of times. Its pieces:
//
//   - intern: one strongly held copy of each repeated string (namespace, label keys and values, the
//     Directory's name, job titles, locations, dates, manager and group names, condition texts);
//   - shared values (Labels, Owners, Conditions in the code: sharedLabels, sharedOwners,
//     sharedConditions): one instance of each distinct label map, owner reference list and condition
//     list, keyed by its content;
//   - Transform: the cache transform of users and groups (controllers.CacheOptions), which interns an
//     object's strings and makes it hold the shared values;
//   - ShareMeta and OwnMeta: a sync's desired users hold the shared values until written (ShareMeta),
//     and a user about to be written gets its own copies back (OwnMeta), since the client decodes the
//     API server's answer into the object it sent.
//
// Both tables forget everything past maxShared entries, so values no object holds any more cannot pile
// up. Shared values are read-only: every reader of the cache already treats its objects so.
package compact

import (
	"maps"
	"slices"
	"strconv"
	"strings"
	"sync"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	dirsyncv1alpha1 "github.com/dirsync/dirsync/api/v1alpha1"
)

// Transform makes a cached user or group share what thousands of objects repeat instead of each
// holding its own copy as decoded: the strings (the namespace, label keys and values, the Directory's
// name, job titles, locations, dates, managers, group names, condition texts) and, whole, equal label maps,
// owner reference lists and condition lists (a Directory's users carry a few dozen distinct ones). The
// object is not otherwise changed. Cached objects are read-only, as every reader of the cache already
// assumes (lists skip the deep copy; writes work on copies), so sharing them is safe.
func Transform(in any, err error) (any, error) {
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

// Object is a DirectoryUser or DirectoryGroup: what the shared values are for.
type Object interface {
	client.Object
	GetConditions() []metav1.Condition
	SetConditions([]metav1.Condition)
}

// ShareMeta makes a desired user hold the one shared instance of its labels, owner references and
// conditions, as the cache's objects do (see Transform): a first sync keeps every user it creates
// until written, and they repeat a few dozen distinct values. Shared values are read-only: a write
// gives the object its own copies first (see OwnMeta).
func ShareMeta(u *dirsyncv1alpha1.DirectoryUser) {
	u.Labels = sharedLabels.get(u.Labels)
	u.OwnerReferences = sharedOwners.get(u.OwnerReferences)
	u.Status.Conditions = sharedConditions.get(u.Status.Conditions)
}

// OwnMeta gives an object about to be written its own labels, owner references and conditions: the
// client decodes the API server's answer into the object it sent, which must not write shared values.
func OwnMeta(o Object) {
	o.SetLabels(maps.Clone(o.GetLabels()))
	o.SetOwnerReferences(slices.Clone(o.GetOwnerReferences()))
	o.SetConditions(slices.Clone(o.GetConditions()))
}
