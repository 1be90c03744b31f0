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
	"testing"

	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	dirsyncv1alpha1 "github.com/dirsync/dirsync/api/v1alpha1"
)

func TestGuardHolds(t *testing.T) {
	tests := []struct {
		name string
		in   guardInput
		want bool
	}{
		{name: "ordinary small removal in a large directory", in: guardInput{existingUsers: 200, departingUsers: 2, returned: 198, maxDeletePercent: 25}},
		{name: "one of two people leaves (50%) is not held", in: guardInput{existingUsers: 2, departingUsers: 1, returned: 1, maxDeletePercent: 25}},
		{name: "three of four leave: under the floor", in: guardInput{existingUsers: 4, departingUsers: 3, returned: 1, maxDeletePercent: 25}},
		{name: "mass removal over the percentage is held", in: guardInput{existingUsers: 200, departingUsers: 60, returned: 140, maxDeletePercent: 25}, want: true},
		{name: "exactly the percentage is allowed", in: guardInput{existingUsers: 200, departingUsers: 50, returned: 150, maxDeletePercent: 25}},
		{name: "empty provider answer is held", in: guardInput{existingUsers: 2, departingUsers: 2, maxDeletePercent: 25}, want: true},
		{name: "empty answer with the guard disabled proceeds", in: guardInput{existingUsers: 200, departingUsers: 200, maxDeletePercent: 100}},
		{name: "raised percentage lets the mass removal through", in: guardInput{existingUsers: 200, departingUsers: 60, returned: 140, maxDeletePercent: 50}},
		{name: "zero holds every deletion", in: guardInput{existingUsers: 200, departingUsers: 1, returned: 199, maxDeletePercent: 0}, want: true},
		{name: "nothing departs, nothing to hold", in: guardInput{existingUsers: 200, maxDeletePercent: 0}},
		{name: "only groups go: a whole kind vanishing is held", in: guardInput{existingUsers: 200, returned: 200, existingGroups: 20, departingGroups: 8, maxDeletePercent: 25}, want: true},
		{name: "only groups go: a few is not held", in: guardInput{existingUsers: 200, returned: 200, existingGroups: 20, departingGroups: 3, maxDeletePercent: 25}},
		{name: "only groups go, zero percent: held", in: guardInput{existingUsers: 200, returned: 200, existingGroups: 20, departingGroups: 1, maxDeletePercent: 0}, want: true},
		{name: "users and groups go: users decide", in: guardInput{existingUsers: 200, departingUsers: 2, returned: 198, existingGroups: 20, departingGroups: 10, maxDeletePercent: 25}},
		{name: "a kind vanishes: held under the floor", in: guardInput{existingUsers: 200, returned: 200, existingGroups: 43, departingGroups: 3,
			vanished: []dirsyncv1alpha1.GroupType{dirsyncv1alpha1.GroupTypeDivision}, maxDeletePercent: 25}, want: true},
		{name: "a kind vanishes while a few users leave: held", in: guardInput{existingUsers: 200, departingUsers: 2, returned: 198, existingGroups: 45,
			departingGroups: 5, vanished: []dirsyncv1alpha1.GroupType{dirsyncv1alpha1.GroupTypeLocation}, maxDeletePercent: 25}, want: true},
		{name: "a kind vanishes with the guard disabled: proceeds", in: guardInput{existingUsers: 200, returned: 200, existingGroups: 45, departingGroups: 5,
			vanished: []dirsyncv1alpha1.GroupType{dirsyncv1alpha1.GroupTypeLocation}, maxDeletePercent: 100}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, msg := guardHolds(tt.in)
			if got != tt.want || (got && msg == "") || (!got && msg != "") {
				t.Fatalf("guardHolds(%+v) = %v %q, want %v with a message when held", tt.in, got, msg, tt.want)
			}
		})
	}
}

func TestVanishedKinds(t *testing.T) {
	group := func(t dirsyncv1alpha1.GroupType, name string) *dirsyncv1alpha1.DirectoryGroup {
		g := &dirsyncv1alpha1.DirectoryGroup{}
		g.Name, g.Spec.Type = name, t
		return g
	}
	dept, loc, div := dirsyncv1alpha1.GroupTypeDepartment, dirsyncv1alpha1.GroupTypeLocation, dirsyncv1alpha1.GroupTypeDivision
	ex := children{groups: []*dirsyncv1alpha1.DirectoryGroup{group("", "acme-eng"), group(loc, "acme-location-1"), group(loc, "acme-location-2"), group(div, "acme-division-1")}}
	desired := func(gs ...*dirsyncv1alpha1.DirectoryGroup) desiredState {
		d := desiredState{groups: map[string]*dirsyncv1alpha1.DirectoryGroup{}}
		for _, g := range gs {
			d.groups[g.Name] = g
		}
		return d
	}
	tests := []struct {
		name    string
		groupBy []dirsyncv1alpha1.GroupType
		d       desiredState
		want    []dirsyncv1alpha1.GroupType
	}{
		{name: "every kind still has groups", groupBy: []dirsyncv1alpha1.GroupType{dept, loc, div},
			d: desired(group(dept, "acme-eng"), group(loc, "acme-location-3"), group(div, "acme-division-1"))},
		{name: "locations vanish; untyped groups count as departments", groupBy: []dirsyncv1alpha1.GroupType{dept, loc, div},
			d: desired(group(dept, "acme-eng"), group(div, "acme-division-1")), want: []dirsyncv1alpha1.GroupType{loc}},
		{name: "two kinds vanish, in groupBy order", groupBy: []dirsyncv1alpha1.GroupType{div, dept, loc},
			d: desired(group(dept, "acme-eng")), want: []dirsyncv1alpha1.GroupType{div, loc}},
		{name: "a kind removed from groupBy has not vanished", groupBy: []dirsyncv1alpha1.GroupType{dept, div},
			d: desired(group(dept, "acme-eng"), group(div, "acme-division-1"))},
		{name: "a kind just added has nothing to lose", groupBy: []dirsyncv1alpha1.GroupType{dept, loc, div, dirsyncv1alpha1.GroupTypeCompany},
			d: desired(group(dept, "acme-eng"), group(loc, "acme-location-1"), group(div, "acme-division-1"))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, vanishedKinds(tt.groupBy, ex, tt.d)); diff != "" {
				t.Errorf("vanishedKinds (-want +got):\n%s", diff)
			}
		})
	}
}

func TestKeepHeldMembershipsKeepsGoneUsersInRemainingGroups(t *testing.T) {
	user := func(name string, groups ...string) *dirsyncv1alpha1.DirectoryUser {
		return &dirsyncv1alpha1.DirectoryUser{ObjectMeta: metav1.ObjectMeta{Name: name}, Spec: dirsyncv1alpha1.DirectoryUserSpec{Groups: groups}}
	}
	group := func(name string, members ...string) *dirsyncv1alpha1.DirectoryGroup {
		g := &dirsyncv1alpha1.DirectoryGroup{ObjectMeta: metav1.ObjectMeta{Name: name}, Spec: dirsyncv1alpha1.DirectoryGroupSpec{Members: members}}
		g.Status.MemberCount = int32(len(members))
		return g
	}
	desired := desiredState{
		users:  map[string]*dirsyncv1alpha1.DirectoryUser{"acme-1": user("acme-1", "acme-sales")},
		groups: map[string]*dirsyncv1alpha1.DirectoryGroup{"acme-sales": group("acme-sales", "acme-1"), "acme-ops": group("acme-ops")},
	}
	gone := []*dirsyncv1alpha1.DirectoryUser{
		user("acme-3", "acme-sales", "acme-gone"), // acme-gone is not desired either
		user("acme-2", "acme-ops", "acme-sales"),
	}
	keepHeldMemberships(desired, gone)
	got := map[string]string{}
	for name, g := range desired.groups {
		got[name] = fmt.Sprint(g.Spec.Members, " ", g.Status.MemberCount)
	}
	if d := cmp.Diff(map[string]string{"acme-sales": "[acme-1 acme-2 acme-3] 3", "acme-ops": "[acme-2] 1"}, got); d != "" {
		t.Errorf("groups (-want +got):\n%s", d)
	}
	if len(desired.groups) != 2 || len(desired.users) != 1 {
		t.Errorf("keepHeldMemberships added objects: %v %v", desired.groups, desired.users)
	}
}

// The approval token names exactly the held set: the same set gives the same token, in any order; one
// more, one fewer, or the same name describing another person, gives another.
func TestHeldDeletionsToken(t *testing.T) {
	u := func(name, id string) *dirsyncv1alpha1.DirectoryUser { return existingUser(name, id) }
	g := &dirsyncv1alpha1.DirectoryGroup{}
	g.Name, g.Spec.ExternalID = "acme-7", "7"
	base := heldDeletions(departed{users: []*dirsyncv1alpha1.DirectoryUser{u("acme-1", "1"), u("acme-2", "2")}, groups: []*dirsyncv1alpha1.DirectoryGroup{g}})
	if base.Users != 2 || base.Groups != 1 || len(base.ApprovalToken) != tokenLength ||
		!cmp.Equal(base.Names, []string{"acme-1", "acme-2", "acme-7"}) {
		t.Fatalf("heldDeletions = %+v", base)
	}
	same := heldDeletions(departed{users: []*dirsyncv1alpha1.DirectoryUser{u("acme-2", "2"), u("acme-1", "1")}, groups: []*dirsyncv1alpha1.DirectoryGroup{g}})
	if same.ApprovalToken != base.ApprovalToken {
		t.Fatal("the same held set in another order gave another token")
	}
	for name, dep := range map[string]departed{
		"one fewer":     {users: []*dirsyncv1alpha1.DirectoryUser{u("acme-1", "1")}, groups: []*dirsyncv1alpha1.DirectoryGroup{g}},
		"one more":      {users: []*dirsyncv1alpha1.DirectoryUser{u("acme-1", "1"), u("acme-2", "2"), u("acme-3", "3")}, groups: []*dirsyncv1alpha1.DirectoryGroup{g}},
		"other person":  {users: []*dirsyncv1alpha1.DirectoryUser{u("acme-1", "1"), u("acme-2", "PW2")}, groups: []*dirsyncv1alpha1.DirectoryGroup{g}},
		"without group": {users: []*dirsyncv1alpha1.DirectoryUser{u("acme-1", "1"), u("acme-2", "2")}},
	} {
		if heldDeletions(dep).ApprovalToken == base.ApprovalToken {
			t.Errorf("%s: same token as the original set", name)
		}
	}
	var many departed
	for i := range 30 {
		many.users = append(many.users, u(fmt.Sprintf("acme-%02d", i), fmt.Sprint(i)))
	}
	if h := heldDeletions(many); len(h.Names) != 20 || h.Users != 30 {
		t.Fatalf("30 held users: %d names, %d users", len(h.Names), h.Users)
	}
}
