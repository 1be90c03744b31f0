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
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	dirsyncv1alpha1 "github.com/dirsync/dirsync/api/v1alpha1"
)

// materialized returns the objects as they would exist after a sync of d: generation 1, Synced=True.
func materialized(d desiredState) ([]dirsyncv1alpha1.DirectoryUser, []dirsyncv1alpha1.DirectoryGroup) {
	now := time.Unix(1700000000, 0)
	var users []dirsyncv1alpha1.DirectoryUser
	for _, name := range sortedKeys(d.users) {
		u := d.users[name].DeepCopy()
		u.Generation = 1
		u.Labels["team"] = "added-by-someone-else"
		u.Status.ObservedGeneration = 1
		setCondition(u, upToDate(), now)
		users = append(users, *u)
	}
	var groups []dirsyncv1alpha1.DirectoryGroup
	for _, name := range sortedKeys(d.groups) {
		g := d.groups[name].DeepCopy()
		g.Generation = 1
		g.Status.ObservedGeneration = 1
		setCondition(g, upToDate(), now)
		groups = append(groups, *g)
	}
	return users, groups
}

func kinds(p plan) map[string]string {
	out := map[string]string{}
	for _, o := range p.ops {
		out[objectOf(o).GetName()] = [...]string{"create", "update", "status", "delete", "hold"}[o.kind]
	}
	return out
}

func TestDiff(t *testing.T) {
	dir := testDirectory(dirsyncv1alpha1.InactiveUserPolicyKeep)
	base, err := desiredObjects(dir, testSnapshot())
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name          string
		change        func(users []dirsyncv1alpha1.DirectoryUser, groups []dirsyncv1alpha1.DirectoryGroup) ([]dirsyncv1alpha1.DirectoryUser, []dirsyncv1alpha1.DirectoryGroup)
		snapshot      func() desiredState
		want          map[string]string
		wantUnchanged int
	}{
		{name: "unchanged data writes nothing", want: map[string]string{}, wantUnchanged: 7},
		{
			name: "nothing exists yet: create everything",
			change: func(u []dirsyncv1alpha1.DirectoryUser, g []dirsyncv1alpha1.DirectoryGroup) ([]dirsyncv1alpha1.DirectoryUser, []dirsyncv1alpha1.DirectoryGroup) {
				return nil, nil
			},
			want: map[string]string{"acme-1001": "create", "acme-1002": "create", "acme-1003": "create", "acme-1004": "create",
				"acme-10": "create", "acme-11": "create", "acme-99": "create"},
		},
		{
			name: "another writer changed a field: restore it",
			change: func(u []dirsyncv1alpha1.DirectoryUser, g []dirsyncv1alpha1.DirectoryGroup) ([]dirsyncv1alpha1.DirectoryUser, []dirsyncv1alpha1.DirectoryGroup) {
				u[0].Spec.JobTitle = "CEO"
				return u, g
			},
			want: map[string]string{"acme-1001": "update"}, wantUnchanged: 6,
		},
		{
			name: "state label removed: restore it",
			change: func(u []dirsyncv1alpha1.DirectoryUser, g []dirsyncv1alpha1.DirectoryGroup) ([]dirsyncv1alpha1.DirectoryUser, []dirsyncv1alpha1.DirectoryGroup) {
				delete(u[1].Labels, dirsyncv1alpha1.LabelState)
				return u, g
			},
			want: map[string]string{"acme-1002": "update"}, wantUnchanged: 6,
		},
		{
			name: "stale status only: write the status",
			change: func(u []dirsyncv1alpha1.DirectoryUser, g []dirsyncv1alpha1.DirectoryGroup) ([]dirsyncv1alpha1.DirectoryUser, []dirsyncv1alpha1.DirectoryGroup) {
				u[2].Generation = 2
				setCondition(&g[0], removedFromProvider(), time.Now())
				return u, g
			},
			want: map[string]string{"acme-1003": "status", "acme-10": "status"}, wantUnchanged: 5,
		},
		{
			name: "provider no longer returns a user or group: delete",
			change: func(u []dirsyncv1alpha1.DirectoryUser, g []dirsyncv1alpha1.DirectoryGroup) ([]dirsyncv1alpha1.DirectoryUser, []dirsyncv1alpha1.DirectoryGroup) {
				extra := u[0].DeepCopy()
				extra.Name = "acme-2000"
				gextra := g[0].DeepCopy()
				gextra.Name = "acme-77"
				return append(u, *extra), append(g, *gextra)
			},
			want: map[string]string{"acme-2000": "delete", "acme-77": "delete"}, wantUnchanged: 7,
		},
		{
			name: "foreign controller on the object: take it back",
			change: func(u []dirsyncv1alpha1.DirectoryUser, g []dirsyncv1alpha1.DirectoryGroup) ([]dirsyncv1alpha1.DirectoryUser, []dirsyncv1alpha1.DirectoryGroup) {
				u[3].OwnerReferences = []metav1.OwnerReference{{UID: "other", Controller: new(bool)}}
				return u, g
			},
			want: map[string]string{"acme-1004": "update"}, wantUnchanged: 6,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			users, groups := materialized(base)
			if tt.change != nil {
				users, groups = tt.change(users, groups)
			}
			p := diff(base, users, groups)
			got := kinds(p)
			if fmt.Sprint(got) != fmt.Sprint(tt.want) || p.unchanged != tt.wantUnchanged {
				t.Fatalf("plan = %v unchanged %d, want %v unchanged %d", got, p.unchanged, tt.want, tt.wantUnchanged)
			}
		})
	}
}
