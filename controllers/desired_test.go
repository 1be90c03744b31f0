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
	"encoding/json"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	dirsyncv1alpha1 "github.com/dirsync/dirsync/api/v1alpha1"
	"github.com/dirsync/dirsync/internal/provider"
)

func testDirectory(policy dirsyncv1alpha1.InactiveUserPolicy) *dirsyncv1alpha1.Directory {
	return &dirsyncv1alpha1.Directory{
		ObjectMeta: metav1.ObjectMeta{Name: "acme", Namespace: "hr", UID: types.UID("dir-uid"), Generation: 1},
		Spec: dirsyncv1alpha1.DirectorySpec{Provider: dirsyncv1alpha1.ProviderBreatheHR, InactiveUserPolicy: policy,
			CredentialsSecretRef: dirsyncv1alpha1.SecretKeyReference{Name: "key", Key: "apiKey"}},
	}
}

func testSnapshot() *provider.Snapshot {
	return &provider.Snapshot{
		Departments: []provider.Department{{ExternalID: "10", Name: "Engineering"}, {ExternalID: "11", Name: "Sales"}},
		Employees: []provider.Employee{
			{ExternalID: "1001", Email: "ada@example.com", FirstName: "Ada", LastName: "Lovelace", DisplayName: "Ada Lovelace",
				JobTitle: "Engineer", Active: true, EmploymentStatus: "Current employee", DepartmentIDs: []string{"10"}, StartDate: "2020-01-02"},
			{ExternalID: "1002", Email: "bob@example.com", FirstName: "Bob", LastName: "Smith", DisplayName: "Bob Smith",
				Active: false, EmploymentStatus: "Ex-employee", DepartmentIDs: []string{"10"}, ManagerExternalID: "1001", EndDate: "2024-05-01"},
			{ExternalID: "1003", FirstName: "Zoë", LastName: "Brontë", DisplayName: "Zoë Brontë", Active: true, EmploymentStatus: "Pending leaver"},
			{ExternalID: "1004", FirstName: "Cy", Active: true, EmploymentStatus: "Current employee", DepartmentIDs: []string{"99"}},
		},
	}
}

func TestDesiredObjects(t *testing.T) {
	tests := []struct {
		name        string
		policy      dirsyncv1alpha1.InactiveUserPolicy
		wantUsers   []string
		wantMembers map[string][]string // group name → members
		wantGroups  map[string][]string // user name → groups
	}{
		{
			name:      "Keep materializes leavers as Inactive",
			policy:    dirsyncv1alpha1.InactiveUserPolicyKeep,
			wantUsers: []string{"acme-1001", "acme-1002", "acme-1003", "acme-1004"},
			wantMembers: map[string][]string{"acme-10": {"acme-1001", "acme-1002"}, "acme-11": nil,
				"acme-99": {"acme-1004"}},
			wantGroups: map[string][]string{"acme-1001": {"acme-10"}, "acme-1002": {"acme-10"}, "acme-1003": nil, "acme-1004": {"acme-99"}},
		},
		{
			name:        "Delete leaves inactive users out, and out of their groups",
			policy:      dirsyncv1alpha1.InactiveUserPolicyDelete,
			wantUsers:   []string{"acme-1001", "acme-1003", "acme-1004"},
			wantMembers: map[string][]string{"acme-10": {"acme-1001"}, "acme-11": nil, "acme-99": {"acme-1004"}},
			wantGroups:  map[string][]string{"acme-1001": {"acme-10"}, "acme-1003": nil, "acme-1004": {"acme-99"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := testDirectory(tt.policy)
			d, err := desiredObjects(dir, testSnapshot())
			if err != nil {
				t.Fatal(err)
			}
			if got := sortedKeys(d.users); strings.Join(got, ",") != strings.Join(tt.wantUsers, ",") {
				t.Fatalf("users = %v, want %v", got, tt.wantUsers)
			}
			for g, members := range tt.wantMembers {
				grp, ok := d.groups[g]
				if !ok {
					t.Fatalf("group %s missing; have %v", g, sortedKeys(d.groups))
				}
				if strings.Join(grp.Spec.Members, ",") != strings.Join(members, ",") || grp.Status.MemberCount != int32(len(members)) {
					t.Fatalf("group %s members = %v (%d), want %v", g, grp.Spec.Members, grp.Status.MemberCount, members)
				}
			}
			if len(d.groups) != len(tt.wantMembers) {
				t.Fatalf("groups = %v", sortedKeys(d.groups))
			}
			for u, groups := range tt.wantGroups {
				if strings.Join(d.users[u].Spec.Groups, ",") != strings.Join(groups, ",") {
					t.Fatalf("user %s groups = %v, want %v", u, d.users[u].Spec.Groups, groups)
				}
			}
		})
	}
}

func TestDesiredUserFieldsLabelsAndOwner(t *testing.T) {
	dir := testDirectory(dirsyncv1alpha1.InactiveUserPolicyKeep)
	d, err := desiredObjects(dir, testSnapshot())
	if err != nil {
		t.Fatal(err)
	}
	bob := d.users["acme-1002"]
	want := dirsyncv1alpha1.DirectoryUserSpec{
		DirectoryRef: dirsyncv1alpha1.DirectoryReference{Name: "acme"}, ExternalID: "1002", Email: "bob@example.com",
		FirstName: "Bob", LastName: "Smith", DisplayName: "Bob Smith", State: dirsyncv1alpha1.UserStateInactive,
		EmploymentStatus: "Ex-employee", Groups: []string{"acme-10"}, ManagerExternalID: "1001", EndDate: "2024-05-01",
	}
	gotJSON, _ := json.Marshal(bob.Spec)
	wantJSON, _ := json.Marshal(want)
	if string(gotJSON) != string(wantJSON) {
		t.Fatalf("spec =\n%s\nwant\n%s", gotJSON, wantJSON)
	}
	if bob.Labels[dirsyncv1alpha1.LabelDirectory] != "acme" || bob.Labels[dirsyncv1alpha1.LabelState] != "inactive" {
		t.Fatalf("labels = %v", bob.Labels)
	}
	if d.users["acme-1001"].Labels[dirsyncv1alpha1.LabelState] != "active" {
		t.Fatalf("active user's state label = %v", d.users["acme-1001"].Labels)
	}
	ref := metav1.GetControllerOf(bob)
	if ref == nil || ref.UID != dir.UID || ref.Kind != "Directory" || ref.BlockOwnerDeletion == nil || !*ref.BlockOwnerDeletion {
		t.Fatalf("controller ref = %+v", ref)
	}
	if d.activeUsers() != 3 || d.employees != 4 {
		t.Fatalf("activeUsers = %d, employees = %d", d.activeUsers(), d.employees)
	}
}

func TestDesiredObjectsRejectsDuplicateIDs(t *testing.T) {
	snap := testSnapshot()
	snap.Employees = append(snap.Employees, snap.Employees[0])
	if _, err := desiredObjects(testDirectory(""), snap); err == nil || !strings.Contains(err.Error(), "1001") {
		t.Fatalf("err = %v, want a duplicate-id error naming 1001", err)
	}
	snap = testSnapshot()
	snap.Employees = append(snap.Employees, provider.Employee{ExternalID: "PW1", Active: true}, provider.Employee{ExternalID: "pw1", Active: true})
	d, err := desiredObjects(testDirectory(""), snap)
	if err != nil {
		t.Fatalf("ids differing in case must both be kept: %v", err)
	}
	if len(d.users) != 6 {
		t.Fatalf("users = %v", sortedKeys(d.users))
	}
}
