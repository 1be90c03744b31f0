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
	"strings"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation"

	dirsyncv1alpha1 "github.com/dirsync/dirsync/api/v1alpha1"
	"github.com/dirsync/dirsync/controllers/internal/compact"
	"github.com/dirsync/dirsync/controllers/internal/verdict"
	"github.com/dirsync/dirsync/internal/provider"
)

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

// objectNames are the object names of a sync's model (see nameObjects): users by externalID, groups by
// group key.
type objectNames struct {
	users, groups map[string]string
}

// objectBuilder builds the objects a Directory owns: every one carries the directory label and the
// Directory's controller ownerReference (owner, built once per sync).
type objectBuilder struct {
	dir   *dirsyncv1alpha1.Directory
	owner metav1.OwnerReference
	// comparing is set for the claimer's builder: the users it builds only serve to compare, and the
	// groups they join are the cache's, which must not change (see user).
	comparing bool
}

// user is the one builder of a desired DirectoryUser, for every path a sync takes: an employee of the
// snapshot (desiredObjects), a claimed employee whose cached user must be written again (claimedUser),
// and the claimer's comparison of an employee with its cached user while the provider is read (into a
// scratch object it reuses). It makes u the user named name whose provider data is data (a spec as
// userSpec gives it; data's groups and manager reference are ignored, and data is not changed), whose
// line manager is manager (nil for none), in groups, in that order (the first group of a kind names the
// user's label for it). u also enters the groups' members, unless the builder is comparing: the cached
// groups the claimer compares against are never changed. u is a new object, or one user built before,
// whose labels map and groups slice it reuses.
func (b objectBuilder) user(u *dirsyncv1alpha1.DirectoryUser, name string, data *dirsyncv1alpha1.DirectoryUserSpec,
	manager *dirsyncv1alpha1.UserReference, groups []*dirsyncv1alpha1.DirectoryGroup) {
	if u.Labels == nil {
		u.ObjectMeta = b.meta(name)
	} else {
		u.Name = name
		clear(u.Labels)
		u.Labels[dirsyncv1alpha1.LabelDirectory] = b.dir.Name
	}
	names := u.Spec.Groups[:0]
	u.Spec = *data
	u.Spec.Groups, u.Spec.ManagerRef = names, manager
	u.Labels[dirsyncv1alpha1.LabelState] = stateLabel(u.Spec.State)
	for _, g := range groups {
		if joinUser(u, g) && !b.comparing {
			g.Spec.Members = append(g.Spec.Members, u.Name)
		}
	}
	slices.Sort(u.Spec.Groups)
}

// managerRef is the reference to the line manager's user named name, or nil for "".
func managerRef(name string) *dirsyncv1alpha1.UserReference {
	if name == "" {
		return nil
	}
	return &dirsyncv1alpha1.UserReference{Name: name}
}

// desiredObjects builds the DirectoryUser and DirectoryGroup objects of the model, named by names. It
// copies only the allowlisted fields. A finished user that listed (when not nil: the Directory's users as
// listed now) already holds exactly so goes, by name, into d.matching and the object is dropped at once;
// so does a claimed user (m.claimed) that is still the listed object and whose line manager assumption
// held. Groups are always kept (they are few, and a held deletion changes them).
func desiredObjects(b objectBuilder, m model, names objectNames, now time.Time, listed userIndex) desiredState {
	d := desiredState{
		users:    make(map[string]*dirsyncv1alpha1.DirectoryUser),
		groups:   make(map[string]*dirsyncv1alpha1.DirectoryGroup, len(m.groups)),
		matching: make(map[string]bool, len(listed)), // at most every existing user; none in a first sync
		returned: m.returned,
	}
	groupByKey := b.desiredGroups(m, names.groups, d.groups)
	manager := func(id, name string) string { // the name of the user's line manager, or ""
		if mgr := names.users[id]; m.kept[id] && mgr != "" && mgr != name {
			return mgr
		}
		return ""
	}
	keep := func(u *dirsyncv1alpha1.DirectoryUser) {
		verdict.SetUnobserved(u, upToDate(), now)
		if listed != nil && listed.matches(u) {
			d.matching[u.Name] = true
			return
		}
		compact.ShareMeta(u)
		d.users[u.Name] = u
	}
	for _, c := range m.claimed {
		if name := names.users[c.Spec.ExternalID]; name != "" {
			groups := m.claimedMemberships(c, groupByKey)
			if u := b.claimedUser(c, name, manager(c.Spec.ManagerExternalID, name), groups, listed); u != nil {
				keep(u)
			} else {
				d.matching[name] = true
			}
		}
	}
	var kinds []modelGroup
	var groups []*dirsyncv1alpha1.DirectoryGroup
	for _, e := range m.employees {
		name := names.users[e.ExternalID]
		if name == "" {
			continue
		}
		kinds, groups = memberships(kinds[:0], m.kinds, e), groups[:0] // the groups buildModel added for e
		for _, mg := range kinds {
			if g := groupByKey[groupID{mg.typ, mg.id}]; g != nil {
				groups = append(groups, g)
			}
		}
		data := userSpec(b.dir, e)
		u := &dirsyncv1alpha1.DirectoryUser{}
		b.user(u, name, &data, managerRef(manager(e.ManagerExternalID, name)), groups)
		keep(u)
	}
	for _, g := range d.groups {
		slices.Sort(g.Spec.Members)
		g.Status.MemberCount = int32(len(g.Spec.Members))
		verdict.SetUnobserved(g, upToDate(), now)
	}
	return d
}

// desiredGroups builds the model's groups that have a name into byName, and returns them by type and id.
func (b objectBuilder) desiredGroups(m model, groupNames map[string]string,
	byName map[string]*dirsyncv1alpha1.DirectoryGroup) map[groupID]*dirsyncv1alpha1.DirectoryGroup {
	byKey := make(map[groupID]*dirsyncv1alpha1.DirectoryGroup, len(m.groups))
	for _, mg := range m.groups {
		if name := groupNames[mg.key]; name != "" { // no free name (see naming.Assign): left out rather than guessed
			g := b.group(name, mg)
			byName[name] = g
			byKey[groupID{mg.typ, mg.id}] = g
		}
	}
	return byKey
}

// group is the DirectoryGroup named name of the model's group mg, without members.
func (b objectBuilder) group(name string, mg modelGroup) *dirsyncv1alpha1.DirectoryGroup {
	g := &dirsyncv1alpha1.DirectoryGroup{
		ObjectMeta: b.meta(name),
		Spec: dirsyncv1alpha1.DirectoryGroupSpec{
			DirectoryRef: dirsyncv1alpha1.DirectoryReference{Name: b.dir.Name},
			Type:         mg.typ,
			ExternalID:   mg.id,
			DisplayName:  mg.display,
		},
	}
	g.Labels[dirsyncv1alpha1.LabelGroupType] = strings.ToLower(string(mg.typ))
	return g
}

// joinUser puts g in u's groups, and in the user's label for the group's kind when the name fits a label
// value (the first group of a kind names it): it reports false when u already was in g.
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

// meta is the metadata every owned object carries: the directory label and the Directory's controller
// ownerReference, so that deleting the Directory garbage-collects its users and groups.
func (b objectBuilder) meta(name string) metav1.ObjectMeta {
	return metav1.ObjectMeta{
		Name:            name,
		Namespace:       b.dir.Namespace,
		Labels:          map[string]string{dirsyncv1alpha1.LabelDirectory: b.dir.Name},
		OwnerReferences: []metav1.OwnerReference{b.owner},
	}
}
