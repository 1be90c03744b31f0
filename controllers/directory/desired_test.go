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
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	dirsyncv1alpha1 "github.com/dirsync/dirsync/api/v1alpha1"
	"github.com/dirsync/dirsync/controllers/internal/compact"
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

// testDesired runs the pure pipeline on a snapshot: model, names (nothing exists yet), desired objects.
func testDesired(t *testing.T, dir *dirsyncv1alpha1.Directory, snap *provider.Snapshot) desiredState {
	t.Helper()
	m, err := buildModel(dir, snap, nil)
	if err != nil {
		t.Fatal(err)
	}
	names := nameObjects(dir.Name, m, children{}, nil, nil)
	return desiredObjects(testBuilder(dir), m, names, timeZero, nil)
}

// testDesiredAgainst is testDesired as the reconciler runs it against existing objects: the users that
// already match are named in matching, not kept.
func testDesiredAgainst(t *testing.T, dir *dirsyncv1alpha1.Directory, snap *provider.Snapshot, ex children) desiredState {
	t.Helper()
	m, err := buildModel(dir, snap, nil)
	if err != nil {
		t.Fatal(err)
	}
	names := nameObjects(dir.Name, m, ex, nil, nil)
	return desiredObjects(testBuilder(dir), m, names, timeZero, indexUsers(ex.users))
}

// testDesiredClaimed is testDesired as the reconciler runs it when the cache holds the Directory's
// objects: before (the objects listed before the fetch) decide which employees are claimed as they
// arrive, after (listed once the provider answered) name and match the rest. It also returns the claims.
func testDesiredClaimed(t *testing.T, dir *dirsyncv1alpha1.Directory, snap *provider.Snapshot, before, after children) (desiredState, *claims) {
	t.Helper()
	claim, cl := newClaimer(testBuilder(dir), before)
	snap.Employees = provider.Unclaimed(snap.Employees, claim)
	m, err := buildModel(dir, snap, cl)
	if err != nil {
		t.Fatal(err)
	}
	names := nameObjects(dir.Name, m, after, nil, nil)
	return desiredObjects(testBuilder(dir), m, names, timeZero, indexUsers(after.users)), cl
}

func testOwner(dir *dirsyncv1alpha1.Directory) metav1.OwnerReference {
	return *metav1.NewControllerRef(dir, dirsyncv1alpha1.GroupVersion.WithKind("Directory"))
}

// testBuilder builds dir's objects, as a sync does.
func testBuilder(dir *dirsyncv1alpha1.Directory) objectBuilder {
	return objectBuilder{dir: dir, owner: testOwner(dir)}
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
			d := testDesired(t, testDirectory(tt.policy), testSnapshot())
			if d := cmp.Diff(tt.wantUsers, slices.Sorted(maps.Keys(d.users))); d != "" {
				t.Fatalf("users (-want +got):\n%s", d)
			}
			members := map[string][]string{}
			for name, g := range d.groups {
				members[name] = g.Spec.Members
				if g.Status.MemberCount != int32(len(g.Spec.Members)) {
					t.Errorf("group %s memberCount %d for %d members", name, g.Status.MemberCount, len(g.Spec.Members))
				}
			}
			if d := cmp.Diff(tt.wantMembers, members, cmpEmptyIsNil); d != "" {
				t.Fatalf("members (-want +got):\n%s", d)
			}
			groups := map[string][]string{}
			for name, u := range d.users {
				groups[name] = u.Spec.Groups
			}
			if d := cmp.Diff(tt.wantGroups, groups, cmpEmptyIsNil); d != "" {
				t.Fatalf("groups (-want +got):\n%s", d)
			}
		})
	}
}

var cmpEmptyIsNil = cmp.Transformer("emptyIsNil", func(s []string) []string {
	if len(s) == 0 {
		return nil
	}
	return s
})

func TestDesiredUserFieldsLabelsAndOwner(t *testing.T) {
	dir := testDirectory(dirsyncv1alpha1.InactiveUserPolicyKeep)
	d := testDesired(t, dir, testSnapshot())
	users := d.users
	bob := users["acme-1002"]
	want := dirsyncv1alpha1.DirectoryUserSpec{
		DirectoryRef: dirsyncv1alpha1.DirectoryReference{Name: "acme"}, ExternalID: "1002", Email: "bob@example.com",
		FirstName: "Bob", LastName: "Smith", DisplayName: "Bob Smith", State: dirsyncv1alpha1.UserStateInactive,
		EmploymentStatus: "Ex-employee", Groups: []string{"acme-10"}, ManagerExternalID: "1001", EndDate: "2024-05-01",
		ManagerRef: &dirsyncv1alpha1.UserReference{Name: "acme-1001"},
	}
	if diff := cmp.Diff(want, bob.Spec); diff != "" {
		t.Fatalf("spec (-want +got):\n%s", diff)
	}
	wantLabels := map[string]string{dirsyncv1alpha1.LabelDirectory: "acme", dirsyncv1alpha1.LabelState: "inactive", dirsyncv1alpha1.LabelDepartment: "acme-10"}
	if diff := cmp.Diff(wantLabels, bob.Labels); diff != "" {
		t.Fatalf("labels (-want +got):\n%s", diff)
	}
	if users["acme-1001"].Labels[dirsyncv1alpha1.LabelState] != "active" {
		t.Fatalf("active user's state label = %v", users["acme-1001"].Labels)
	}
	ref := metav1.GetControllerOf(bob)
	if ref == nil || ref.UID != dir.UID || ref.Kind != "Directory" || ref.BlockOwnerDeletion == nil || !*ref.BlockOwnerDeletion {
		t.Fatalf("controller ref = %+v", ref)
	}
	if !hasSynced(bob, metav1.ConditionTrue, dirsyncv1alpha1.ReasonUpToDate) || !hasSynced(d.groups["acme-10"], metav1.ConditionTrue, dirsyncv1alpha1.ReasonUpToDate) {
		t.Fatalf("desired objects must carry Synced=True UpToDate: %+v", bob.Status)
	}
	if g := d.groups["acme-10"]; g.Spec.Type != dirsyncv1alpha1.GroupTypeDepartment || g.Labels[dirsyncv1alpha1.LabelGroupType] != "department" {
		t.Fatalf("department group type %q labels %v", g.Spec.Type, g.Labels)
	}
	if d.returned != 4 {
		t.Fatalf("returned = %d", d.returned)
	}
}

// A manager who is not materialized (left out by inactiveUserPolicy Delete, or not in the listing) is
// not referenced; the raw id stays.
func TestManagerRefOnlyToMaterializedUsers(t *testing.T) {
	snap := testSnapshot()
	snap.Employees[0].Active = false             // 1001 leaves; 1002 reports to 1001
	snap.Employees[2].ManagerExternalID = "4242" // not in the listing
	d := testDesired(t, testDirectory(dirsyncv1alpha1.InactiveUserPolicyDelete), snap)
	users := d.users
	for name, u := range users {
		if u.Spec.ManagerRef != nil {
			t.Errorf("%s has managerRef %v", name, u.Spec.ManagerRef)
		}
	}
	if users["acme-1003"].Spec.ManagerExternalID != "4242" {
		t.Errorf("the raw manager id must stay: %+v", users["acme-1003"].Spec)
	}
}

func TestDesiredGroupsByKind(t *testing.T) {
	snap := testSnapshot()
	london := provider.Affiliation{ID: "London", Name: "London"}
	snap.Employees[0].Location, snap.Employees[1].Location = london, london
	snap.Employees[2].Location = provider.Affiliation{ID: "7", Name: "Remote (UK)"}
	snap.Employees[0].Division = provider.Affiliation{ID: "3", Name: "Platform"}
	dir := testDirectory(dirsyncv1alpha1.InactiveUserPolicyKeep)
	dir.Spec.GroupBy = []dirsyncv1alpha1.GroupType{dirsyncv1alpha1.GroupTypeLocation, dirsyncv1alpha1.GroupTypeDivision}
	d := testDesired(t, dir, snap)
	got := map[string]string{}
	for name, g := range d.groups {
		got[name] = string(g.Spec.Type) + " " + g.Spec.DisplayName + " " + strings.Join(g.Spec.Members, ",")
	}
	want := map[string]string{
		"acme-location-london": "Location London acme-1001,acme-1002",
		"acme-location-7":      "Location Remote (UK) acme-1003",
		"acme-division-3":      "Division Platform acme-1001",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("groups (-want +got):\n%s", diff)
	}
	ada := d.users["acme-1001"]
	if diff := cmp.Diff([]string{"acme-division-3", "acme-location-london"}, ada.Spec.Groups); diff != "" {
		t.Fatalf("groups (-want +got):\n%s", diff)
	}
	if ada.Labels[dirsyncv1alpha1.LabelLocation] != "acme-location-london" || ada.Labels[dirsyncv1alpha1.LabelDivision] != "acme-division-3" ||
		ada.Labels[dirsyncv1alpha1.LabelDepartment] != "" || ada.Spec.Location != "London" {
		t.Fatalf("labels %v, location %q", ada.Labels, ada.Spec.Location)
	}
}

// A group name too long for a label value gives no label, never a truncated one.
func TestGroupLabelOnlyWhenTheNameFits(t *testing.T) {
	snap := testSnapshot()
	long := strings.Repeat("engineering-", 6)
	snap.Departments = append(snap.Departments, provider.Department{ExternalID: long, Name: "Long"})
	snap.Employees[0].DepartmentIDs = []string{long}
	d := testDesired(t, testDirectory(""), snap)
	ada := d.users["acme-1001"]
	if _, ok := ada.Labels[dirsyncv1alpha1.LabelDepartment]; ok || len(ada.Spec.Groups) != 1 {
		t.Fatalf("labels %v groups %v", ada.Labels, ada.Spec.Groups)
	}
}

func TestBuildModelRejectsDuplicateIDs(t *testing.T) {
	snap := testSnapshot()
	snap.Employees = append(snap.Employees, snap.Employees[0])
	if _, err := buildModel(testDirectory(""), snap, nil); err == nil || !strings.Contains(err.Error(), "1001") {
		t.Fatalf("err = %v, want a duplicate-id error naming 1001", err)
	}
	snap = testSnapshot()
	snap.Departments = append(snap.Departments, snap.Departments[0])
	if _, err := buildModel(testDirectory(""), snap, nil); err == nil || !strings.Contains(err.Error(), "10") {
		t.Fatalf("err = %v, want a duplicate-department error", err)
	}
	snap = testSnapshot()
	snap.Employees = append(snap.Employees, provider.Employee{ExternalID: "PW1", Active: true}, provider.Employee{ExternalID: "pw1", Active: true})
	d := testDesired(t, testDirectory(""), snap)
	if len(d.users) != 6 || d.users["acme-pw1"] == nil || d.users["acme-pw1"].Spec.ExternalID != "PW1" {
		t.Fatalf("ids differing in case must both be kept, the first by exact id with the plain name: %v", slices.Sorted(maps.Keys(d.users)))
	}
}

// Desired users to be written share equal labels, owner references and conditions (a first sync holds
// every one until written); the object a write sends gets its own, so the answer the client decodes
// into it cannot change another user's.
func TestDesiredUsersShareMetaUntilWritten(t *testing.T) {
	dir := testDirectory(dirsyncv1alpha1.InactiveUserPolicyKeep)
	snap := testSnapshot()
	snap.Employees[1].Active = true // 1001 and 1002: same department and state, so the same labels
	d := testDesired(t, dir, snap)
	a, b := d.users["acme-1001"], d.users["acme-1002"]
	same := func(x, y any) bool { return reflect.ValueOf(x).UnsafePointer() == reflect.ValueOf(y).UnsafePointer() }
	if !same(a.Labels, b.Labels) || !same(a.OwnerReferences, b.OwnerReferences) || !same(a.Status.Conditions, b.Status.Conditions) {
		t.Fatal("equal labels, owner references or conditions of two desired users are not one instance")
	}
	before := b.DeepCopy()
	compact.OwnMeta(a)
	if same(a.Labels, b.Labels) || same(a.OwnerReferences, b.OwnerReferences) || same(a.Status.Conditions, b.Status.Conditions) {
		t.Fatal("the object to write still shares its labels, owner references or conditions")
	}
	a.Labels["x"] = "y"
	a.OwnerReferences[0].Name = "other"
	a.Status.Conditions[0].Reason = "Other"
	if d := cmp.Diff(before, b); d != "" {
		t.Fatalf("writing into one user's metadata changed another's:\n%s", d)
	}
}
