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
	"slices"

	dirsyncv1alpha1 "github.com/dirsync/dirsync/api/v1alpha1"
	"github.com/dirsync/dirsync/internal/provider"
)

// claims are the employees a sync took from the provider's listing as it arrived (see newClaimer): those
// whose DirectoryUser already existed exactly as desiredObjects would build it. Of each only that cached
// object is kept, which holds all a sync needs of the employee (id, state, manager id, groups), so that a
// resync of a directory that barely changed never holds the whole listing next to the cache.
type claims struct {
	// users are the cached objects the claimed employees matched, in the order they were claimed.
	users []*dirsyncv1alpha1.DirectoryUser
	// groups are the cached groups by name, as the claimer saw them: they key the claimed users' groups.
	groups map[string]*dirsyncv1alpha1.DirectoryGroup
}

// newClaimer returns a provider.Config.Claim for one sync, and the claims it collects. b builds the
// Directory's objects; ch is what the Directory controls, the cache's own objects read before the fetch.
// It takes an employee the Directory keeps when the one object with its id is up to date as
// desiredObjects would build it, assuming that the line manager, whose object must exist, is still
// returned: desiredObjects checks that once the listing is complete, and that the object is still the
// listed one. Groups must exist, and a location, division or company under the name the employee's data
// gives it. Everything else stays in the snapshot, for the usual path.
func newClaimer(b objectBuilder, ch children) (func(*provider.Employee) bool, *claims) {
	compare := b
	compare.comparing = true
	c := &claimer{build: compare, kinds: map[dirsyncv1alpha1.GroupType]bool{},
		keepInactive: b.dir.Spec.InactiveUserPolicy != dirsyncv1alpha1.InactiveUserPolicyDelete,
		byID:         uniqueBy(ch.users, func(u *dirsyncv1alpha1.DirectoryUser) string { return u.Spec.ExternalID }),
		byKey: uniqueBy(ch.groups, func(g *dirsyncv1alpha1.DirectoryGroup) groupID {
			return groupID{typeOrDepartment(g.Spec.Type), g.Spec.ExternalID}
		}),
		scratch: &dirsyncv1alpha1.DirectoryUser{},
		claims: &claims{users: make([]*dirsyncv1alpha1.DirectoryUser, 0, len(ch.users)),
			groups: make(map[string]*dirsyncv1alpha1.DirectoryGroup, len(ch.groups))},
	}
	for _, k := range b.dir.GroupByOrDefault() {
		c.kinds[k] = true
	}
	for _, g := range ch.groups {
		c.claims.groups[g.Name] = g
	}
	return c.claim, c.claims
}

// claimer decides, employee by employee, what a sync claims (see newClaimer).
type claimer struct {
	build        objectBuilder
	kinds        map[dirsyncv1alpha1.GroupType]bool
	keepInactive bool
	// byID and byKey are the cached users by externalID and groups by type and id: nil where two objects
	// share one.
	byID   map[string]*dirsyncv1alpha1.DirectoryUser
	byKey  map[groupID]*dirsyncv1alpha1.DirectoryGroup
	claims *claims
	// scratch, its data, manager reference and groups are reused for every employee: a resync compares
	// thousands, and keeps none.
	scratch    *dirsyncv1alpha1.DirectoryUser
	data       dirsyncv1alpha1.DirectoryUserSpec
	ref        dirsyncv1alpha1.UserReference
	affiliated []modelGroup
	groups     []*dirsyncv1alpha1.DirectoryGroup
}

func (c *claimer) claim(e *provider.Employee) bool {
	current := c.byID[e.ExternalID]
	if current == nil || e.ExternalID == "" || (!e.Active && !c.keepInactive) {
		return false
	}
	if u := c.desired(e, current.Name); u == nil || !upToDateAs(u, current, sameUser) {
		return false
	}
	c.claims.users = append(c.claims.users, current)
	return true
}

// desired is the user desiredObjects would build for e, named name, if its line manager is returned; nil
// when it would name a manager or a group that has no object yet. It is the claimer's scratch object,
// valid until the next call.
func (c *claimer) desired(e *provider.Employee, name string) *dirsyncv1alpha1.DirectoryUser {
	var manager *dirsyncv1alpha1.UserReference
	if id := e.ManagerExternalID; id != "" {
		mgr := c.byID[id]
		if mgr == nil {
			return nil
		}
		if mgr.Name != name {
			c.ref.Name = mgr.Name
			manager = &c.ref
		}
	}
	c.affiliated, c.groups = memberships(c.affiliated[:0], c.kinds, e), c.groups[:0]
	for _, mg := range c.affiliated {
		g := c.byKey[groupID{mg.typ, mg.id}]
		if g == nil || (mg.typ != dirsyncv1alpha1.GroupTypeDepartment && g.Spec.DisplayName != mg.display) {
			return nil
		}
		c.groups = append(c.groups, g)
	}
	c.data = userSpec(c.build.dir, e)
	c.build.user(c.scratch, name, &c.data, manager, c.groups)
	return c.scratch
}

// claimedUser is desiredObjects' part for a claimed user c, named name, in groups, with the line manager
// named mgr ("" for none): nil when c is still the listed object and needs no write, else the desired
// object, built from c's data (which matched the employee when claimed). Either way the user joins its
// groups' members.
func (b objectBuilder) claimedUser(c *dirsyncv1alpha1.DirectoryUser, name, mgr string,
	groups []*dirsyncv1alpha1.DirectoryGroup, listed userIndex) *dirsyncv1alpha1.DirectoryUser {
	ref := c.Spec.ManagerRef
	if name == c.Name && listed[name] == c && ((ref == nil && mgr == "") || (ref != nil && ref.Name == mgr)) && sameNames(groups, c.Spec.Groups) {
		for _, g := range groups {
			g.Spec.Members = append(g.Spec.Members, name)
		}
		return nil
	}
	u := &dirsyncv1alpha1.DirectoryUser{}
	b.user(u, name, &c.Spec, managerRef(mgr), groups)
	return u
}

// claimedMemberships are the desired groups (byKey) of a claimed user, in the order of its spec.groups.
func (m *model) claimedMemberships(u *dirsyncv1alpha1.DirectoryUser, byKey map[groupID]*dirsyncv1alpha1.DirectoryGroup) []*dirsyncv1alpha1.DirectoryGroup {
	var groups []*dirsyncv1alpha1.DirectoryGroup
	for _, name := range u.Spec.Groups {
		if id, ok := m.claimedGroups[name]; ok && byKey[id] != nil {
			groups = append(groups, byKey[id])
		}
	}
	return groups
}

// sameNames reports whether the groups are, in order, the given names.
func sameNames(groups []*dirsyncv1alpha1.DirectoryGroup, names []string) bool {
	return slices.EqualFunc(groups, names, func(g *dirsyncv1alpha1.DirectoryGroup, name string) bool { return g.Name == name })
}

// userIndex is the Directory's users, as listed after the fetch, by name.
type userIndex map[string]*dirsyncv1alpha1.DirectoryUser

func indexUsers(users []*dirsyncv1alpha1.DirectoryUser) userIndex {
	ix := make(userIndex, len(users))
	for _, u := range users {
		ix[u.Name] = u
	}
	return ix
}

// matches reports whether a desired user exists exactly as desired.
func (ix userIndex) matches(w *dirsyncv1alpha1.DirectoryUser) bool {
	ex := ix[w.Name]
	return ex != nil && upToDateAs(w, ex, sameUser)
}
