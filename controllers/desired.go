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
	"fmt"
	"sort"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	dirsyncv1alpha1 "github.com/dirsync/dirsync/api/v1alpha1"
	"github.com/dirsync/dirsync/internal/provider"
)

// desiredState is every object a Directory should own after a sync, keyed by object name.
type desiredState struct {
	users  map[string]*dirsyncv1alpha1.DirectoryUser
	groups map[string]*dirsyncv1alpha1.DirectoryGroup
	// employees is how many employees the provider returned, before inactiveUserPolicy.
	employees int
}

// activeUsers counts the desired users whose state is Active.
func (d desiredState) activeUsers() int32 {
	var n int32
	for _, u := range d.users {
		if u.Spec.State == dirsyncv1alpha1.UserStateActive {
			n++
		}
	}
	return n
}

// stateLabel is the value of the dirsync.io/state label for a state.
func stateLabel(s dirsyncv1alpha1.UserState) string {
	if s == dirsyncv1alpha1.UserStateActive {
		return "active"
	}
	return "inactive"
}

// desiredObjects turns a provider snapshot into the DirectoryUser and DirectoryGroup objects the
// Directory should own. It copies only the allowlisted fields. Two employees (or departments) that
// would share an object name are an invalid response: the snapshot is rejected rather than guessed at.
func desiredObjects(dir *dirsyncv1alpha1.Directory, snap *provider.Snapshot) (desiredState, error) {
	d := desiredState{
		users:     make(map[string]*dirsyncv1alpha1.DirectoryUser, len(snap.Employees)),
		groups:    make(map[string]*dirsyncv1alpha1.DirectoryGroup, len(snap.Departments)),
		employees: len(snap.Employees),
	}
	groupByDept := make(map[string]*dirsyncv1alpha1.DirectoryGroup, len(snap.Departments))
	addGroup := func(id, display string) error {
		name := objectName(dir.Name, id)
		if _, dup := d.groups[name]; dup {
			return fmt.Errorf("%w: department id %q appears twice", provider.ErrInvalidResponse, id)
		}
		g := &dirsyncv1alpha1.DirectoryGroup{
			ObjectMeta: childMeta(dir, name),
			Spec: dirsyncv1alpha1.DirectoryGroupSpec{
				DirectoryRef: dirsyncv1alpha1.DirectoryReference{Name: dir.Name},
				ExternalID:   id,
				DisplayName:  display,
			},
		}
		d.groups[name] = g
		groupByDept[id] = g
		return nil
	}
	for _, dept := range snap.Departments {
		if err := addGroup(dept.ExternalID, dept.Name); err != nil {
			return desiredState{}, err
		}
	}
	keepInactive := dir.Spec.InactiveUserPolicy != dirsyncv1alpha1.InactiveUserPolicyDelete
	for i := range snap.Employees {
		e := &snap.Employees[i]
		if e.ExternalID == "" {
			return desiredState{}, fmt.Errorf("%w: an employee has no id", provider.ErrInvalidResponse)
		}
		name := objectName(dir.Name, e.ExternalID)
		if _, dup := d.users[name]; dup {
			return desiredState{}, fmt.Errorf("%w: employee id %q appears twice", provider.ErrInvalidResponse, e.ExternalID)
		}
		if !e.Active && !keepInactive {
			continue
		}
		u := desiredUser(dir, name, e)
		for _, deptID := range e.DepartmentIDs {
			g, ok := groupByDept[deptID]
			if !ok { // a department the listing did not name: still a group, named by its id
				if err := addGroup(deptID, deptID); err != nil {
					return desiredState{}, err
				}
				g = groupByDept[deptID]
			}
			g.Spec.Members = append(g.Spec.Members, name)
			u.Spec.Groups = append(u.Spec.Groups, g.Name)
		}
		sort.Strings(u.Spec.Groups)
		d.users[name] = u
	}
	for _, g := range d.groups {
		sort.Strings(g.Spec.Members)
		g.Status.MemberCount = int32(len(g.Spec.Members))
	}
	return d, nil
}

func desiredUser(dir *dirsyncv1alpha1.Directory, name string, e *provider.Employee) *dirsyncv1alpha1.DirectoryUser {
	state := dirsyncv1alpha1.UserStateInactive
	if e.Active {
		state = dirsyncv1alpha1.UserStateActive
	}
	u := &dirsyncv1alpha1.DirectoryUser{
		ObjectMeta: childMeta(dir, name),
		Spec: dirsyncv1alpha1.DirectoryUserSpec{
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
		},
	}
	u.Labels[dirsyncv1alpha1.LabelState] = stateLabel(state)
	return u
}

// childMeta is the metadata every owned object carries: the directory label and a controller
// ownerReference, so that deleting the Directory garbage-collects its users and groups.
func childMeta(dir *dirsyncv1alpha1.Directory, name string) metav1.ObjectMeta {
	return metav1.ObjectMeta{
		Name:            name,
		Namespace:       dir.Namespace,
		Labels:          map[string]string{dirsyncv1alpha1.LabelDirectory: dir.Name},
		OwnerReferences: []metav1.OwnerReference{*metav1.NewControllerRef(dir, dirsyncv1alpha1.GroupVersion.WithKind("Directory"))},
	}
}
