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
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/ptr"

	dirsyncv1alpha1 "github.com/dirsync/dirsync/api/v1alpha1"
	"github.com/dirsync/dirsync/internal/provider"
)

// status.userCount, activeUserCount and groupCount are what exists after a sync's writes: each write
// that succeeded moves them by what it changed, and a write that failed moves nothing. The expected
// counts are worked out by hand from the objects below.
func TestCountsAfterTheWrites(t *testing.T) {
	dir := testDirectory(dirsyncv1alpha1.InactiveUserPolicyKeep)
	// Existing: acme-1001, 1003, 1004 Active, 1002 Inactive; groups acme-10, acme-11, acme-99.
	// 4 users, 3 Active, 3 groups.
	ex := materialized(testDesired(t, dir, testSnapshot()))
	snap := testSnapshot()
	snap.Departments = snap.Departments[:1]                                                       // Sales (acme-11) is gone
	snap.Employees[0].Active = false                                                              // 1001 leaves
	snap.Employees = []provider.Employee{snap.Employees[0], snap.Employees[1], snap.Employees[3], // 1003 is gone
		{ExternalID: "1005", FirstName: "Di", Active: true}, {ExternalID: "1006", FirstName: "Ed"}} // two joiners, one already Inactive
	// After: 1001, 1002 and 1006 Inactive, 1004 and 1005 Active; acme-10, acme-99.
	tests := []struct {
		name                  string
		held                  bool
		fails                 func(childOp) bool
		users, active, groups int32
	}{
		{name: "every write succeeds", users: 5, active: 2, groups: 2},
		{name: "every write fails: what existed", fails: func(childOp) bool { return true }, users: 4, active: 3, groups: 3},
		{name: "the deletions fail", fails: func(o childOp) bool { return o.kind == opDelete }, users: 6, active: 3, groups: 3},
		{name: "the creations fail", fails: func(o childOp) bool { return o.kind == opCreate }, users: 3, active: 1, groups: 2},
		{name: "the updates fail", fails: func(o childOp) bool { return o.kind == opUpdate }, users: 5, active: 3, groups: 2},
		{name: "deletions held: marked objects still count", held: true, users: 6, active: 3, groups: 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := diff(testDesiredAgainst(t, dir, snap, ex), ex, tt.held, timeZero.Add(time.Hour))
			ok := make([]bool, len(p.ops))
			for i, o := range p.ops {
				ok[i] = tt.fails == nil || !tt.fails(o)
			}
			out := outcome(p, ok, ex, guardDecision{})
			if out.users != tt.users || out.active != tt.active || out.groups != tt.groups {
				t.Errorf("users %d, active %d, groups %d; want %d, %d, %d (plan %v)", out.users, out.active, out.groups,
					tt.users, tt.active, tt.groups, kinds(p))
			}
		})
	}
}

// A Directory controls an object when the object's controller ownerReference carries its UID: not an
// owner that is no controller, not another controller, not a reference by name alone.
func TestIsControlledBy(t *testing.T) {
	dir := testDirectory("")
	ref := func(uid string, controller bool) metav1.OwnerReference {
		return metav1.OwnerReference{APIVersion: "dirsync.io/v1alpha1", Kind: "Directory", Name: dir.Name, UID: types.UID(uid), Controller: ptr.To(controller)}
	}
	for _, tt := range []struct {
		name string
		refs []metav1.OwnerReference
		want bool
	}{
		{name: "its controller reference", refs: []metav1.OwnerReference{ref("dir-uid", true)}, want: true},
		{name: "an owner reference that is not a controller", refs: []metav1.OwnerReference{ref("dir-uid", false)}},
		{name: "another Directory of the same name", refs: []metav1.OwnerReference{ref("other-uid", true)}},
		{name: "no owner"},
	} {
		u := existingUser("acme-1001", "1001")
		u.OwnerReferences = tt.refs
		if got := isControlledBy(u, dir); got != tt.want {
			t.Errorf("%s: isControlledBy = %v, want %v", tt.name, got, tt.want)
		}
	}
}
