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
	"fmt"

	dirsyncv1alpha1 "github.com/dirsync/dirsync/api/v1alpha1"
	"github.com/dirsync/dirsync/internal/provider"
)

// model is a provider snapshot reduced to what a Directory materializes, keyed by the provider's ids:
// the employees it keeps (inactiveUserPolicy applied) and the groups of the kinds in spec.groupBy.
type model struct {
	employees []*provider.Employee
	// claimed are the users of employees claimed while the provider was read (see claims): each is the
	// cached object the employee matched, which stands in for it.
	claimed []*dirsyncv1alpha1.DirectoryUser
	groups  []modelGroup
	// groupIndex maps a group key (see groupKey) to its index in groups.
	groupIndex map[string]int
	// claimedGroups maps the name of a claimed user's group (in its spec.groups) to the group.
	claimedGroups map[string]groupID
	// kept holds the externalID of every employee returned: true for those the model keeps.
	kept map[string]bool
	// returned is how many employees the provider returned, before inactiveUserPolicy.
	returned int
	// kinds are the group types in spec.groupBy.
	kinds map[dirsyncv1alpha1.GroupType]bool
}

// modelGroup is one group the provider's data calls for.
type modelGroup struct {
	key, id, display string
	typ              dirsyncv1alpha1.GroupType
}

// buildModel checks the snapshot (no employee without an id, no id twice) and picks what the Directory
// keeps. A duplicate or missing id makes the whole snapshot invalid: guessing would risk wrong deletions.
// cl (nil: none) are the employees claimed while the snapshot was read; they count as returned and kept.
// Their groups are added before the snapshot employees', with the names the groups have (the claimer
// took only employees whose affiliations spell them so), so a group's display name stays put.
func buildModel(dir *dirsyncv1alpha1.Directory, snap *provider.Snapshot, cl *claims) (model, error) {
	m := model{groupIndex: map[string]int{}, returned: len(snap.Employees),
		kinds: map[dirsyncv1alpha1.GroupType]bool{}}
	for _, k := range dir.GroupByOrDefault() {
		m.kinds[k] = true
	}
	if err := m.addDepartments(snap.Departments); err != nil {
		return model{}, err
	}
	if cl != nil {
		m.returned += len(cl.users)
	}
	m.kept = make(map[string]bool, m.returned)
	if cl != nil {
		m.claimedGroups = map[string]groupID{}
		for _, u := range cl.users {
			if err := m.returns(u.Spec.ExternalID, true); err != nil {
				return model{}, err
			}
			m.claimed = append(m.claimed, u)
			m.addClaimedGroups(u, cl.groups)
		}
	}
	keepInactive := dir.Spec.InactiveUserPolicy != dirsyncv1alpha1.InactiveUserPolicyDelete
	for i := range snap.Employees {
		e := &snap.Employees[i]
		if err := m.returns(e.ExternalID, e.Active || keepInactive); err != nil {
			return model{}, err
		}
		if m.kept[e.ExternalID] {
			m.employees = append(m.employees, e)
			m.addGroupsOf(e)
		}
	}
	return m, nil
}

// addDepartments adds the listed departments, when the Directory groups by department.
func (m *model) addDepartments(depts []provider.Department) error {
	if !m.kinds[dirsyncv1alpha1.GroupTypeDepartment] {
		return nil
	}
	for _, d := range depts {
		if _, dup := m.groupIndex[groupKey(dirsyncv1alpha1.GroupTypeDepartment, d.ExternalID)]; dup {
			return fmt.Errorf("%w: department id %q appears twice", provider.ErrInvalidResponse, d.ExternalID)
		}
		m.addGroup(dirsyncv1alpha1.GroupTypeDepartment, d.ExternalID, d.Name)
	}
	return nil
}

// returns records that the provider returned the employee id, which the model keeps or not; an empty
// id, or one returned before, makes the snapshot invalid.
func (m *model) returns(id string, keep bool) error {
	if id == "" {
		return fmt.Errorf("%w: an employee has no id", provider.ErrInvalidResponse)
	}
	if _, seen := m.kept[id]; seen {
		return fmt.Errorf("%w: employee id %q appears twice", provider.ErrInvalidResponse, id)
	}
	m.kept[id] = keep
	return nil
}

// addClaimedGroups adds the groups a claimed user is in (byName: the cached groups the claimer saw) that
// are not in the model yet, each under the name it has.
func (m *model) addClaimedGroups(u *dirsyncv1alpha1.DirectoryUser, byName map[string]*dirsyncv1alpha1.DirectoryGroup) {
	for _, name := range u.Spec.Groups {
		if _, done := m.claimedGroups[name]; done {
			continue
		}
		if g := byName[name]; g != nil {
			mg := membership(g.Spec.Type, g.Spec.ExternalID, g.Spec.DisplayName)
			m.addGroup(mg.typ, mg.id, mg.display)
			m.claimedGroups[name] = groupID{mg.typ, mg.id}
		}
	}
}

// addGroup adds a group of type t once.
func (m *model) addGroup(t dirsyncv1alpha1.GroupType, id, display string) {
	key := groupKey(t, id)
	if _, ok := m.groupIndex[key]; !ok {
		if display == "" {
			display = id
		}
		m.groupIndex[key] = len(m.groups)
		m.groups = append(m.groups, modelGroup{key: key, id: id, display: display, typ: t})
	}
}

// addGroupsOf adds the groups of the enabled kinds that e belongs to.
func (m *model) addGroupsOf(e *provider.Employee) {
	for _, mg := range memberships(nil, m.kinds, e) {
		m.addGroup(mg.typ, mg.id, mg.display)
	}
}

// memberships appends to out the groups of the enabled kinds that e belongs to (without keys), in
// order: its departments, then its location, division and company.
func memberships(out []modelGroup, kinds map[dirsyncv1alpha1.GroupType]bool, e *provider.Employee) []modelGroup {
	if kinds[dirsyncv1alpha1.GroupTypeDepartment] {
		for _, id := range e.DepartmentIDs {
			out = append(out, membership(dirsyncv1alpha1.GroupTypeDepartment, id, ""))
		}
	}
	for _, a := range []struct {
		t dirsyncv1alpha1.GroupType
		v provider.Affiliation
	}{{dirsyncv1alpha1.GroupTypeLocation, e.Location}, {dirsyncv1alpha1.GroupTypeDivision, e.Division}, {dirsyncv1alpha1.GroupTypeCompany, e.Company}} {
		if kinds[a.t] && a.v.ID != "" {
			out = append(out, membership(a.t, a.v.ID, a.v.Name))
		}
	}
	return out
}

// membership is a group of type t and id as an employee's data names it: a department by its id (its
// name comes from the departments listing), any other kind by the name sent with it, or its id.
func membership(t dirsyncv1alpha1.GroupType, id, display string) modelGroup {
	t = typeOrDepartment(t)
	if t == dirsyncv1alpha1.GroupTypeDepartment || display == "" {
		display = id
	}
	return modelGroup{id: id, display: display, typ: t}
}
