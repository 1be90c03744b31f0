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

package directorywebhook

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"slices"

	dirsyncv1alpha1 "github.com/dirsync/dirsync/api/v1alpha1"
)

// current is what the Directory holds now, as the webhook sees it: the people and groups the Directory
// controls, each with the hash of what an event would say about it. Pointers are the cache's own
// objects, read and never changed.
type current struct {
	users  map[string]*userNow
	groups map[string]*groupNow
	// pass numbers the fills, to find the people a fill did not see.
	pass uint32
}

// userNow is one person as the Directory holds them now.
type userNow struct {
	obj *dirsyncv1alpha1.DirectoryUser
	// hash is userData's hash: every field a user event carries except the groups.
	hash   uint64
	active bool
	// groups are the names of the person's DirectoryGroups that exist now, sorted.
	groups []string
	pass   uint32
}

// groupNow is one group as the Directory holds it now.
type groupNow struct {
	obj  *dirsyncv1alpha1.DirectoryGroup
	hash uint64
}

// newCurrent builds the current state from the objects the Directory controls. hashOf caches a user's
// hash by object (see hashCache); nil computes every one.
func newCurrent(users []*dirsyncv1alpha1.DirectoryUser, groups []*dirsyncv1alpha1.DirectoryGroup, hashOf func(*dirsyncv1alpha1.DirectoryUser) uint64) current {
	var c current
	c.fill(users, groups, hashOf)
	return c
}

// fill replaces c's content with the objects', reusing its maps and each person's entry: a worker plans
// several times a second while it delivers, and would otherwise allocate the whole state each time.
func (c *current) fill(users []*dirsyncv1alpha1.DirectoryUser, groups []*dirsyncv1alpha1.DirectoryGroup, hashOf func(*dirsyncv1alpha1.DirectoryUser) uint64) {
	if hashOf == nil {
		hashOf = userHash
	}
	if c.users == nil {
		c.users = make(map[string]*userNow, len(users))
	}
	c.groups = make(map[string]*groupNow, len(groups))
	for _, g := range groups {
		c.groups[g.Name] = &groupNow{obj: g, hash: groupHash(g)}
	}
	c.pass++
	for _, u := range users {
		n := c.users[u.Name]
		if n == nil {
			n = &userNow{}
			c.users[u.Name] = n
		}
		n.obj, n.hash, n.active, n.pass = u, hashOf(u), u.Spec.State != dirsyncv1alpha1.UserStateInactive, c.pass
		n.groups = n.groups[:0]
		for _, g := range u.Spec.Groups {
			if _, ok := c.groups[g]; ok {
				n.groups = append(n.groups, g)
			}
		}
		slices.Sort(n.groups)
		n.groups = slices.Compact(n.groups)
	}
	for name, n := range c.users {
		if n.pass != c.pass {
			delete(c.users, name)
		}
	}
}

// userHash is the hash of what a user event says about u, groups aside (a change of groups is told by
// group.user_added and user_removed): 64 bits of SHA-256 over the JSON of userFields.
func userHash(u *dirsyncv1alpha1.DirectoryUser) uint64 {
	return hash64(userFields(u))
}

// groupHash is the hash of what a group event says about g.
func groupHash(g *dirsyncv1alpha1.DirectoryGroup) uint64 {
	return hash64(groupFields(g))
}

func hash64(v any) uint64 {
	b, err := json.Marshal(v)
	if err != nil { // plain strings and maps: cannot fail
		panic(err)
	}
	sum := sha256.Sum256(b)
	return binary.BigEndian.Uint64(sum[:8])
}

// hashCache remembers each user's hash by the cached object it was computed from: the cache replaces an
// object when it changes, so an object seen before has the hash it had.
type hashCache struct {
	byObj map[*dirsyncv1alpha1.DirectoryUser]uint64
	next  map[*dirsyncv1alpha1.DirectoryUser]uint64
}

// of returns u's hash, computing it only for an object it has not seen in the last pass.
func (c *hashCache) of(u *dirsyncv1alpha1.DirectoryUser) uint64 {
	if c.next == nil {
		c.next = make(map[*dirsyncv1alpha1.DirectoryUser]uint64, len(c.byObj))
	}
	if c.byObj == nil {
		c.byObj = map[*dirsyncv1alpha1.DirectoryUser]uint64{}
	}
	h, ok := c.byObj[u]
	if !ok {
		h = userHash(u)
	}
	c.next[u] = h
	return h
}

// done ends a pass: objects not seen in it are forgotten, so the cache holds only the current objects.
// The two maps swap roles, so that a pass allocates nothing.
func (c *hashCache) done() {
	old := c.byObj
	c.byObj, c.next = c.next, old
	clear(c.next)
}
