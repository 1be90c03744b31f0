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

package directory

import (
	"strings"

	dirsyncv1alpha1 "github.com/dirsync/dirsync/api/v1alpha1"
)

// A user is known across syncs by the provider's id for the employee (spec.externalID), a group by its
// type and the provider's id for it (groupKey): names are chosen once and never recomputed (names.go).

// groupKey identifies a group across syncs: its type and the provider's id for it.
func groupKey(t dirsyncv1alpha1.GroupType, id string) string {
	return string(typeOrDepartment(t)) + "/" + id
}

// groupID is a group's key (see groupKey) as a map key that needs no string built.
type groupID struct {
	typ dirsyncv1alpha1.GroupType
	id  string
}

// typeOrDepartment is a group's type, Department for groups written before group types existed.
func typeOrDepartment(t dirsyncv1alpha1.GroupType) dirsyncv1alpha1.GroupType {
	if t == "" {
		return dirsyncv1alpha1.GroupTypeDepartment
	}
	return t
}

// nameBase is the prefix of a new group's name: the Directory's name for departments (as before group
// types existed), and the Directory's name plus the type for the others, e.g. acme-location-london.
func nameBase(dir string, t dirsyncv1alpha1.GroupType) string {
	if typeOrDepartment(t) == dirsyncv1alpha1.GroupTypeDepartment {
		return dir
	}
	return dir + "-" + strings.ToLower(string(t))
}

// uniqueBy maps objects by key; a key that two objects share maps to the zero value.
func uniqueBy[T any, K comparable](objs []T, key func(T) K) map[K]T {
	out := make(map[K]T, len(objs))
	for _, o := range objs {
		k := key(o)
		if _, dup := out[k]; dup {
			var zero T
			out[k] = zero
			continue
		}
		out[k] = o
	}
	return out
}
