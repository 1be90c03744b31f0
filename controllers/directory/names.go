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
	"maps"

	"github.com/dirsync/dirsync/internal/naming"
)

// A name is chosen once, when an object is created, and never changes: later syncs find the object by
// its spec.externalID (and, for groups, spec.type), not by recomputing the name. So a person keeps
// their object, and an object never starts describing someone else.

// nameObjects maps every employee (by externalID) and group (by group key) of the model to its object
// name: the name of the existing object with that externalID (names never change), or a new name that
// neither this Directory's objects nor, per taken, anything else in the namespace has.
func nameObjects(dir string, m model, ch children, takenUsers, takenGroups func(string) bool) objectNames {
	users := make(map[string]string, len(ch.users)+len(m.employees))
	for _, u := range ch.users { // of two objects claiming one id, the first keeps it; the other departs
		if _, dup := users[u.Spec.ExternalID]; !dup {
			users[u.Spec.ExternalID] = u.Name
		}
	}
	groups := make(map[string]string, len(m.groups))
	usedGroups := make(map[string]bool, len(ch.groups))
	for _, g := range ch.groups {
		usedGroups[g.Name] = true
		if key := groupKey(g.Spec.Type, g.Spec.ExternalID); groups[key] == "" {
			groups[key] = g.Name
		}
	}
	var newUsers, newGroups []naming.Request
	for _, c := range m.claimed { // only when its object went while the provider was read
		if _, ok := users[c.Spec.ExternalID]; !ok {
			newUsers = append(newUsers, naming.Request{Base: dir, ID: c.Spec.ExternalID, Key: c.Spec.ExternalID})
		}
	}
	for _, e := range m.employees {
		if _, ok := users[e.ExternalID]; !ok {
			newUsers = append(newUsers, naming.Request{Base: dir, ID: e.ExternalID, Key: e.ExternalID})
		}
	}
	for _, g := range m.groups {
		if _, ok := groups[g.key]; !ok {
			newGroups = append(newGroups, naming.Request{Base: nameBase(dir, g.typ), ID: g.id, Key: g.key})
		}
	}
	if len(newUsers) > 0 { // the names in use are collected only then: a resync rarely names anyone
		usedUsers := make(map[string]bool, len(ch.users))
		for _, u := range ch.users {
			usedUsers[u.Name] = true
		}
		maps.Copy(users, naming.Assign(newUsers, usedUsers, takenUsers))
	}
	if len(newGroups) > 0 {
		maps.Copy(groups, naming.Assign(newGroups, usedGroups, takenGroups))
	}
	return objectNames{users: users, groups: groups}
}
