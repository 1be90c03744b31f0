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
	"maps"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	dirsyncv1alpha1 "github.com/dirsync/dirsync/api/v1alpha1"
	"github.com/dirsync/dirsync/controllers/internal/verdict"
)

// materialized returns the objects as they would exist after a sync of d, plus a label someone else added.
func materialized(d desiredState) children {
	var ex children
	for _, name := range slices.Sorted(maps.Keys(d.users)) {
		u := d.users[name].DeepCopy()
		u.Generation = 1
		u.Labels["team"] = "added-by-someone-else"
		ex.users = append(ex.users, u)
	}
	for _, name := range slices.Sorted(maps.Keys(d.groups)) {
		g := d.groups[name].DeepCopy()
		g.Generation = 1
		ex.groups = append(ex.groups, g)
	}
	return ex
}

func kinds(p childPlan) map[string]string {
	out := map[string]string{}
	for _, o := range p.ops {
		out[o.name] = o.kind.String()
	}
	return out
}

func TestDiff(t *testing.T) {
	dir := testDirectory(dirsyncv1alpha1.InactiveUserPolicyKeep)
	tests := []struct {
		name          string
		change        func(ex *children)
		held          bool
		want          map[string]string
		wantUnchanged int
	}{
		{name: "unchanged data writes nothing", want: map[string]string{}, wantUnchanged: 7},
		{name: "nothing exists yet: create everything", change: func(ex *children) { *ex = children{} },
			want: map[string]string{"acme-1001": "create", "acme-1002": "create", "acme-1003": "create", "acme-1004": "create",
				"acme-10": "create", "acme-11": "create", "acme-99": "create"}},
		{name: "another writer changed a field: restore it", change: func(ex *children) { ex.users[0].Spec.JobTitle = "CEO" },
			want: map[string]string{"acme-1001": "update"}, wantUnchanged: 6},
		{name: "state label removed: restore it", change: func(ex *children) { delete(ex.users[1].Labels, dirsyncv1alpha1.LabelState) },
			want: map[string]string{"acme-1002": "update"}, wantUnchanged: 6},
		{name: "a stale managed label is removed", change: func(ex *children) { ex.users[2].Labels[dirsyncv1alpha1.LabelLocation] = "acme-location-old" },
			want: map[string]string{"acme-1003": "update"}, wantUnchanged: 6},
		{name: "object written by the old version (condition with observedGeneration) converges",
			change: func(ex *children) {
				c := ex.users[2].Status.Conditions[0]
				c.ObservedGeneration = 1
				ex.users[2].Status.Conditions = []metav1.Condition{c}
				ex.groups[0].Status.Conditions = nil
			},
			want: map[string]string{"acme-1003": "update", "acme-10": "update"}, wantUnchanged: 5},
		{name: "provider no longer returns a user or group: delete",
			change: func(ex *children) {
				extra := ex.users[0].DeepCopy()
				extra.Name = "acme-2000"
				gextra := ex.groups[0].DeepCopy()
				gextra.Name = "acme-77"
				ex.users, ex.groups = append(ex.users, extra), append(ex.groups, gextra)
			},
			want: map[string]string{"acme-2000": "delete", "acme-77": "delete"}, wantUnchanged: 7},
		{name: "held: departed objects are marked, once",
			change: func(ex *children) {
				extra := ex.users[0].DeepCopy()
				extra.Name = "acme-2000"
				already := ex.users[0].DeepCopy()
				already.Name = "acme-2001"
				verdict.SetUnobserved(already, removedFromProvider(), timeZero)
				ex.users = append(ex.users, extra, already)
			},
			held: true, want: map[string]string{"acme-2000": "hold"}, wantUnchanged: 8},
		{name: "foreign controller on the object: take it back",
			change: func(ex *children) {
				ex.users[3].OwnerReferences = []metav1.OwnerReference{{UID: "other", Controller: new(bool)}}
			},
			want: map[string]string{"acme-1004": "update"}, wantUnchanged: 6},
		{name: "member count drifted: restore it", change: func(ex *children) { ex.groups[0].Status.MemberCount = 9 },
			want: map[string]string{"acme-10": "update"}, wantUnchanged: 6},
	}
	for _, tt := range tests {
		// Each case runs three times: with every desired user built and kept; as the reconciler builds them
		// from a full snapshot, dropping at once the users that already match (desiredState.matching); and
		// as it reads the provider, claiming those employees as they arrive (see newClaimer). All must plan
		// the same.
		for _, mode := range []string{"kept", "dropMatching", "claimed"} {
			t.Run(fmt.Sprintf("%s/%s", tt.name, mode), func(t *testing.T) {
				ex := materialized(testDesired(t, dir, testSnapshot()))
				if tt.change != nil {
					tt.change(&ex)
				}
				d := testDesired(t, dir, testSnapshot())
				if mode != "kept" {
					if d = testDesiredAgainst(t, dir, testSnapshot(), ex); mode == "claimed" {
						d, _ = testDesiredClaimed(t, dir, testSnapshot(), ex, ex)
					}
					for name := range d.users {
						if k := kinds(diff(d, ex, tt.held, timeZero)); k[name] != "create" && k[name] != "update" {
							t.Errorf("desired user %s was kept although it needs no write", name)
						}
					}
				}
				if got, want := names(departedFrom(d, ex).users), names(departedFrom(testDesired(t, dir, testSnapshot()), ex).users); !slices.Equal(got, want) {
					t.Errorf("departed users %v, want %v", got, want)
				}
				p := diff(d, ex, tt.held, timeZero.Add(time.Hour))
				if d := cmp.Diff(tt.want, kinds(p)); d != "" || p.unchanged != tt.wantUnchanged {
					t.Fatalf("plan (-want +got):\n%s\nunchanged %d, want %d", d, p.unchanged, tt.wantUnchanged)
				}
			})
		}
	}
}

func names[P child](objs []P) []string {
	var out []string
	for _, o := range objs {
		out = append(out, o.GetName())
	}
	return out
}

// An update is one merge patch from the existing object: it keeps the object's identity, annotations,
// finalizers, foreign labels and non-controller owners, and the Synced transition time when the
// condition did not change.
func TestUpdateKeepsForeignMetadataAndTransitionTime(t *testing.T) {
	dir := testDirectory(dirsyncv1alpha1.InactiveUserPolicyKeep)
	ex := materialized(testDesired(t, dir, testSnapshot()))
	u := ex.users[0]
	u.UID, u.ResourceVersion = "uid-1", "42"
	u.Annotations = map[string]string{"note": "keep me"}
	u.Finalizers = []string{"example.com/hold"}
	u.OwnerReferences = append(u.OwnerReferences, metav1.OwnerReference{Kind: "Team", Name: "t", UID: "team-uid"})
	u.Spec.JobTitle = "CEO"
	before := u.DeepCopy()
	p := diff(testDesired(t, dir, testSnapshot()), ex, false, timeZero.Add(time.Hour))
	if len(p.ops) != 1 || p.ops[0].kind != opUpdate {
		t.Fatalf("plan = %v", kinds(p))
	}
	got := p.ops[0].obj.(*dirsyncv1alpha1.DirectoryUser)
	if got.UID != "uid-1" || got.ResourceVersion != "42" || got.Annotations["note"] != "keep me" || len(got.Finalizers) != 1 ||
		got.Labels["team"] != "added-by-someone-else" || len(got.OwnerReferences) != 2 || got.Spec.JobTitle != "Engineer" {
		t.Fatalf("patched object lost metadata or kept the foreign write: %+v", got.ObjectMeta)
	}
	if got.Status.Conditions[0].LastTransitionTime != before.Status.Conditions[0].LastTransitionTime {
		t.Fatal("an unchanged Synced condition got a new transition time")
	}
	if d := cmp.Diff(before, u); d != "" {
		t.Fatalf("diff modified the existing (cached) object:\n%s", d)
	}
}
