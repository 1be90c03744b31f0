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
	"slices"
	"strings"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation"

	dirsyncv1alpha1 "github.com/dirsync/dirsync/api/v1alpha1"
	"github.com/dirsync/dirsync/controllers/internal/compact"
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

// groupKey identifies a group across syncs: its type and the provider's id for it.
func groupKey(t dirsyncv1alpha1.GroupType, id string) string {
	return string(typeOrDepartment(t)) + "/" + id
}

// typeOrDepartment is a group's type, Department for groups written before group types existed.
func typeOrDepartment(t dirsyncv1alpha1.GroupType) dirsyncv1alpha1.GroupType {
	if t == "" {
		return dirsyncv1alpha1.GroupTypeDepartment
	}
	return t
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

// nameBase is the prefix of a new group's name: the Directory's name for departments (as before group
// types existed), and the Directory's name plus the type for the others, e.g. acme-location-london.
func nameBase(dir string, t dirsyncv1alpha1.GroupType) string {
	if typeOrDepartment(t) == dirsyncv1alpha1.GroupTypeDepartment {
		return dir
	}
	return dir + "-" + strings.ToLower(string(t))
}

// desiredState is every object a Directory should own after a sync, keyed by object name. Built at once,
// it lets the model and the names go before the writes start; each object is dropped once written.
type desiredState struct {
	users  map[string]*dirsyncv1alpha1.DirectoryUser
	groups map[string]*dirsyncv1alpha1.DirectoryGroup
	// matching are the names of desired users that exist exactly as desired (see desiredObjects): they
	// are counted, not kept, so that a sync of a directory that barely changed never holds a second
	// copy of every user next to the cache's.
	matching map[string]bool
	// returned is how many employees the provider returned, before inactiveUserPolicy.
	returned int
}

// wantsUser reports whether the Directory should own a user of this name after the sync.
func (d desiredState) wantsUser(name string) bool {
	_, ok := d.users[name]
	return ok || d.matching[name]
}

// desiredObjects builds the DirectoryUser and DirectoryGroup objects of the model, named by userNames
// (externalID → name) and groupNames (group key → name). It copies only the allowlisted fields.
// owner is the controller ownerReference every object gets (see ownerRef). A finished user that cached
// (when not nil: the Directory's users as listed now) already holds exactly so goes, by name, into
// d.matching and the object is dropped at once; so does a claimed user (m.claimed) that is still the
// cached object and whose line manager assumption held. Groups are always kept (they are few, and a
// held deletion changes them).
func desiredObjects(dir *dirsyncv1alpha1.Directory, owner metav1.OwnerReference, m model, userNames, groupNames map[string]string,
	now time.Time, cached userIndex) desiredState {
	d := desiredState{
		users:    make(map[string]*dirsyncv1alpha1.DirectoryUser),
		groups:   make(map[string]*dirsyncv1alpha1.DirectoryGroup, len(m.groups)),
		matching: make(map[string]bool, len(cached)), // at most every existing user; none in a first sync
		returned: m.returned,
	}
	groupByKey := desiredGroups(dir, owner, m, groupNames, d.groups)
	manager := func(id, name string) string { // the name of the user's line manager, or ""
		if mgr := userNames[id]; m.kept[id] && mgr != "" && mgr != name {
			return mgr
		}
		return ""
	}
	keep := func(u *dirsyncv1alpha1.DirectoryUser) {
		setCondition(u, upToDate(), now)
		if cached != nil && cached.matches(u) {
			d.matching[u.Name] = true
			return
		}
		compact.ShareMeta(u)
		d.users[u.Name] = u
	}
	for _, c := range m.claimed {
		if name := userNames[c.Spec.ExternalID]; name != "" {
			groups := m.claimedMemberships(c, groupByKey)
			if u := claimedUser(dir, owner, c, name, manager(c.Spec.ManagerExternalID, name), groups, cached); u != nil {
				keep(u)
			} else {
				d.matching[name] = true
			}
		}
	}
	var groups []modelGroup
	for _, e := range m.employees {
		name := userNames[e.ExternalID]
		if name == "" {
			continue
		}
		u := desiredUser(dir, owner, name, e)
		if mgr := manager(e.ManagerExternalID, name); mgr != "" {
			u.Spec.ManagerRef = &dirsyncv1alpha1.UserReference{Name: mgr}
		}
		groups = memberships(groups[:0], m.kinds, e) // the groups buildModel added for e
		for _, mg := range groups {
			if g := groupByKey[groupID{mg.typ, mg.id}]; g != nil {
				join(u, g)
			}
		}
		slices.Sort(u.Spec.Groups)
		keep(u)
	}
	for _, g := range d.groups {
		slices.Sort(g.Spec.Members)
		g.Status.MemberCount = int32(len(g.Spec.Members))
		setCondition(g, upToDate(), now)
	}
	return d
}

// desiredGroups builds the model's groups that have a name into byName, and returns them by type and id.
func desiredGroups(dir *dirsyncv1alpha1.Directory, owner metav1.OwnerReference, m model, groupNames map[string]string,
	byName map[string]*dirsyncv1alpha1.DirectoryGroup) map[groupID]*dirsyncv1alpha1.DirectoryGroup {
	byKey := make(map[groupID]*dirsyncv1alpha1.DirectoryGroup, len(m.groups))
	for _, mg := range m.groups {
		if name := groupNames[mg.key]; name != "" { // no free name (see naming.Assign): left out rather than guessed
			g := desiredGroup(dir, owner, name, mg)
			byName[name] = g
			byKey[groupID{mg.typ, mg.id}] = g
		}
	}
	return byKey
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

func desiredGroup(dir *dirsyncv1alpha1.Directory, owner metav1.OwnerReference, name string, mg modelGroup) *dirsyncv1alpha1.DirectoryGroup {
	g := &dirsyncv1alpha1.DirectoryGroup{
		ObjectMeta: childMeta(dir, owner, name),
		Spec: dirsyncv1alpha1.DirectoryGroupSpec{
			DirectoryRef: dirsyncv1alpha1.DirectoryReference{Name: dir.Name},
			Type:         mg.typ,
			ExternalID:   mg.id,
			DisplayName:  mg.display,
		},
	}
	g.Labels[dirsyncv1alpha1.LabelGroupType] = strings.ToLower(string(mg.typ))
	return g
}

// join makes u a member of g: in the group's members, the user's groups, and the user's label for the
// group's kind when the name fits a label value (the first group of a kind names it).
func join(u *dirsyncv1alpha1.DirectoryUser, g *dirsyncv1alpha1.DirectoryGroup) {
	if joinUser(u, g) {
		g.Spec.Members = append(g.Spec.Members, u.Name)
	}
}

// joinUser is join's part on the user: it reports false when u already was in g.
func joinUser(u *dirsyncv1alpha1.DirectoryUser, g *dirsyncv1alpha1.DirectoryGroup) bool {
	if slices.Contains(u.Spec.Groups, g.Name) {
		return false
	}
	u.Spec.Groups = append(u.Spec.Groups, g.Name)
	if l := typeLabel(g.Spec.Type); l != "" && len(validation.IsValidLabelValue(g.Name)) == 0 {
		if _, set := u.Labels[l]; !set {
			u.Labels[l] = g.Name
		}
	}
	return true
}

// typeLabel is the DirectoryUser label that names the user's group of type t.
func typeLabel(t dirsyncv1alpha1.GroupType) string {
	switch t {
	case dirsyncv1alpha1.GroupTypeDepartment:
		return dirsyncv1alpha1.LabelDepartment
	case dirsyncv1alpha1.GroupTypeLocation:
		return dirsyncv1alpha1.LabelLocation
	case dirsyncv1alpha1.GroupTypeDivision:
		return dirsyncv1alpha1.LabelDivision
	case dirsyncv1alpha1.GroupTypeCompany:
		return dirsyncv1alpha1.LabelCompany
	}
	return ""
}

// managedLabels are the label keys dirsync owns on its objects: it sets them, changes them and removes
// them when the data no longer calls for them. Every other label is left alone.
var managedLabels = []string{
	dirsyncv1alpha1.LabelDirectory, dirsyncv1alpha1.LabelState, dirsyncv1alpha1.LabelGroupType,
	dirsyncv1alpha1.LabelDepartment, dirsyncv1alpha1.LabelLocation, dirsyncv1alpha1.LabelDivision, dirsyncv1alpha1.LabelCompany,
}

func desiredUser(dir *dirsyncv1alpha1.Directory, owner metav1.OwnerReference, name string, e *provider.Employee) *dirsyncv1alpha1.DirectoryUser {
	u := &dirsyncv1alpha1.DirectoryUser{ObjectMeta: childMeta(dir, owner, name), Spec: userSpec(dir, e)}
	u.Labels[dirsyncv1alpha1.LabelState] = stateLabel(u.Spec.State)
	return u
}

// userSpec is the spec of e's DirectoryUser, without its manager reference and groups.
func userSpec(dir *dirsyncv1alpha1.Directory, e *provider.Employee) dirsyncv1alpha1.DirectoryUserSpec {
	state := dirsyncv1alpha1.UserStateInactive
	if e.Active {
		state = dirsyncv1alpha1.UserStateActive
	}
	return dirsyncv1alpha1.DirectoryUserSpec{
		DirectoryRef:      dirsyncv1alpha1.DirectoryReference{Name: dir.Name},
		ExternalID:        e.ExternalID,
		Email:             e.Email,
		FirstName:         e.FirstName,
		LastName:          e.LastName,
		DisplayName:       e.DisplayName,
		JobTitle:          e.JobTitle,
		State:             state,
		EmploymentStatus:  e.EmploymentStatus,
		ManagerExternalID: e.ManagerExternalID,
		StartDate:         e.StartDate,
		EndDate:           e.EndDate,
		PreferredName:     e.PreferredName,
		Location:          e.Location.Name,
		Division:          e.Division.Name,
		Company:           e.Company.Name,
		EmploymentType:    e.EmploymentType,
		ManagerEmail:      e.ManagerEmail,
	}
}

// stateLabel is the value of the dirsync.io/state label for a state.
func stateLabel(s dirsyncv1alpha1.UserState) string {
	if s == dirsyncv1alpha1.UserStateActive {
		return "active"
	}
	return "inactive"
}

// childMeta is the metadata every owned object carries: the directory label and the Directory's
// controller ownerReference, so that deleting the Directory garbage-collects its users and groups.
func childMeta(dir *dirsyncv1alpha1.Directory, owner metav1.OwnerReference, name string) metav1.ObjectMeta {
	return metav1.ObjectMeta{
		Name:            name,
		Namespace:       dir.Namespace,
		Labels:          map[string]string{dirsyncv1alpha1.LabelDirectory: dir.Name},
		OwnerReferences: []metav1.OwnerReference{owner},
	}
}
