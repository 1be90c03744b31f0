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
	"testing"

	"github.com/google/go-cmp/cmp"

	dirsyncv1alpha1 "github.com/dirsync/dirsync/api/v1alpha1"
	"github.com/dirsync/dirsync/internal/provider"
)

func TestNameObjectsKeepsExistingNames(t *testing.T) {
	dir := testDirectory(dirsyncv1alpha1.InactiveUserPolicyKeep)
	snap := &provider.Snapshot{
		Departments: []provider.Department{{ExternalID: "Customer Success", Name: "Customer Success"}},
		Employees: []provider.Employee{
			{ExternalID: "PW1", Active: true, DepartmentIDs: []string{"Customer Success"}},
			{ExternalID: "PW2", Active: true},
		},
	}
	m, err := buildModel(dir, snap, nil)
	if err != nil {
		t.Fatal(err)
	}
	old := existingUser("acme-pw1-d43bc6e771", "PW1")
	dup := existingUser("acme-pw1-zzzz", "PW1") // a second object claiming the same id departs
	oldGroup := &dirsyncv1alpha1.DirectoryGroup{}
	oldGroup.Name, oldGroup.Spec.ExternalID = "acme-customer-success-dcc1cc4103", "Customer Success" // no type: written before types existed
	names := nameObjects("acme", m, children{users: []*dirsyncv1alpha1.DirectoryUser{old, dup}, groups: []*dirsyncv1alpha1.DirectoryGroup{oldGroup}}, nil, nil)
	users, groups := names.users, names.groups
	want := map[string]string{"PW1": "acme-pw1-d43bc6e771", "PW2": "acme-pw2"}
	if d := cmp.Diff(want, users); d != "" {
		t.Fatalf("user names (-want +got):\n%s", d)
	}
	if d := cmp.Diff(map[string]string{"Department/Customer Success": "acme-customer-success-dcc1cc4103"}, groups); d != "" {
		t.Fatalf("group names (-want +got):\n%s", d)
	}
}

func existingUser(name, id string) *dirsyncv1alpha1.DirectoryUser {
	u := &dirsyncv1alpha1.DirectoryUser{}
	u.Name, u.Spec.ExternalID, u.Spec.State = name, id, dirsyncv1alpha1.UserStateActive
	return u
}

// Every group kind draws its names from one set: a department whose id reads "location-1" and location
// 1 would both be acme-location-1, so the one that comes second in key order gets the hashed name.
func TestNameObjectsKeepsGroupKindsApart(t *testing.T) {
	dir := testDirectory(dirsyncv1alpha1.InactiveUserPolicyKeep)
	dir.Spec.GroupBy = []dirsyncv1alpha1.GroupType{dirsyncv1alpha1.GroupTypeDepartment, dirsyncv1alpha1.GroupTypeLocation}
	snap := &provider.Snapshot{
		Departments: []provider.Department{{ExternalID: "location-1", Name: "Location 1 team"}},
		Employees: []provider.Employee{{ExternalID: "1", Active: true, DepartmentIDs: []string{"location-1"},
			Location: provider.Affiliation{ID: "1", Name: "London"}}},
	}
	m, err := buildModel(dir, snap, nil)
	if err != nil {
		t.Fatal(err)
	}
	groups := nameObjects("acme", m, children{}, nil, nil).groups
	if len(groups) != 2 {
		t.Fatalf("group names %v, want one department and one location", groups)
	}
	seen := map[string]string{}
	for key, name := range groups {
		if other, dup := seen[name]; dup {
			t.Fatalf("groups %s and %s are both named %s", other, key, name)
		}
		seen[name] = key
	}
	if _, ok := seen["acme-location-1"]; !ok {
		t.Errorf("neither group got the readable name acme-location-1: %v", groups)
	}
}
