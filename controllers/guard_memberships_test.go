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
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	dirsyncv1alpha1 "github.com/dirsync/dirsync/api/v1alpha1"
)

func TestKeepHeldMembershipsKeepsGoneUsersInRemainingGroups(t *testing.T) {
	user := func(name string, groups ...string) dirsyncv1alpha1.DirectoryUser {
		return dirsyncv1alpha1.DirectoryUser{ObjectMeta: metav1.ObjectMeta{Name: name}, Spec: dirsyncv1alpha1.DirectoryUserSpec{Groups: groups}}
	}
	group := func(name string, members ...string) *dirsyncv1alpha1.DirectoryGroup {
		g := &dirsyncv1alpha1.DirectoryGroup{ObjectMeta: metav1.ObjectMeta{Name: name}, Spec: dirsyncv1alpha1.DirectoryGroupSpec{Members: members}}
		g.Status.MemberCount = int32(len(members))
		return g
	}
	kept := user("acme-1")
	desired := desiredState{
		users:  map[string]*dirsyncv1alpha1.DirectoryUser{"acme-1": &kept},
		groups: map[string]*dirsyncv1alpha1.DirectoryGroup{"acme-sales": group("acme-sales", "acme-1"), "acme-ops": group("acme-ops")},
	}
	existing := []dirsyncv1alpha1.DirectoryUser{
		user("acme-1", "acme-sales"),
		user("acme-3", "acme-sales", "acme-gone"), // gone from the provider; acme-gone is not desired either
		user("acme-2", "acme-ops", "acme-sales"),  // gone from the provider
	}
	keepHeldMemberships(desired, existing)
	for name, want := range map[string]string{"acme-sales": "[acme-1 acme-2 acme-3] 3", "acme-ops": "[acme-2] 1"} {
		g := desired.groups[name]
		if got := fmt.Sprint(g.Spec.Members, " ", g.Status.MemberCount); got != want {
			t.Errorf("group %s = %s, want %s", name, got, want)
		}
	}
	if _, ok := desired.groups["acme-gone"]; ok || len(desired.users) != 1 {
		t.Errorf("keepHeldMemberships added objects: %v %v", sortedKeys(desired.groups), sortedKeys(desired.users))
	}
}
