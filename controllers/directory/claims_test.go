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
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	dirsyncv1alpha1 "github.com/dirsync/dirsync/api/v1alpha1"
	"github.com/dirsync/dirsync/controllers/directory/directorytest"
	"github.com/dirsync/dirsync/internal/provider"
	"github.com/dirsync/dirsync/internal/provider/fakehr"
	"github.com/dirsync/dirsync/internal/provider/registry"
)

// Employees claimed while the provider is read (newClaimer) plan exactly what the full snapshot plans:
// the same ops writing the same objects and the same departures, also when what was assumed of a claimed
// employee fails (its line manager is not returned, its object changed or went during the fetch).
func TestClaimedEmployeesPlanAsTheSnapshotWould(t *testing.T) {
	located := func(snap *provider.Snapshot) *provider.Snapshot {
		snap.Employees[0].Location = provider.Affiliation{ID: "ldn", Name: "London"}
		snap.Employees[2].Location = provider.Affiliation{ID: "ldn", Name: "LONDON"} // another spelling: the first one names the group
		return snap
	}
	without := func(id string) func(*provider.Snapshot) *provider.Snapshot {
		return func(snap *provider.Snapshot) *provider.Snapshot {
			snap.Employees = slices.DeleteFunc(snap.Employees, func(e provider.Employee) bool { return e.ExternalID == id })
			return snap
		}
	}
	tests := []struct {
		name    string
		groupBy []dirsyncv1alpha1.GroupType
		// snapshot changes the provider's data after the objects were written; during changes the objects
		// while the provider is read (after the claims, before the second listing).
		snapshot    func(*provider.Snapshot) *provider.Snapshot
		during      func(*children)
		wantClaimed []string
		want        map[string]string
	}{
		{name: "nothing changed: every user is claimed, nothing written",
			wantClaimed: []string{"acme-1001", "acme-1002", "acme-1003", "acme-1004"}, want: map[string]string{}},
		{name: "a changed employee is left in the snapshot", snapshot: func(s *provider.Snapshot) *provider.Snapshot {
			s.Employees[0].JobTitle = "CTO"
			return s
		}, wantClaimed: []string{"acme-1002", "acme-1003", "acme-1004"}, want: map[string]string{"acme-1001": "update"}},
		{name: "a claimed user's line manager is no longer returned: its manager reference goes", snapshot: without("1001"),
			wantClaimed: []string{"acme-1002", "acme-1003", "acme-1004"}, want: map[string]string{"acme-1001": "delete", "acme-1002": "update", "acme-10": "update"}},
		{name: "a claimed user changed while the provider was read: restored", during: func(ex *children) {
			u := ex.users[0].DeepCopy()
			u.Spec.JobTitle = "CEO"
			ex.users[0] = u
		}, wantClaimed: []string{"acme-1001", "acme-1002", "acme-1003", "acme-1004"}, want: map[string]string{"acme-1001": "update"}},
		{name: "a claimed user was deleted while the provider was read: created again", during: func(ex *children) {
			ex.users = ex.users[1:]
		}, wantClaimed: []string{"acme-1001", "acme-1002", "acme-1003", "acme-1004"}, want: map[string]string{"acme-1001": "create"}},
		{name: "a claimed user's group was deleted while the provider was read: created again", during: func(ex *children) {
			ex.groups = ex.groups[1:]
		}, wantClaimed: []string{"acme-1001", "acme-1002", "acme-1003", "acme-1004"}, want: map[string]string{"acme-10": "create"}},
		{name: "a location spelled otherwise than its group's name is not claimed; the name stays",
			groupBy:  []dirsyncv1alpha1.GroupType{dirsyncv1alpha1.GroupTypeDepartment, dirsyncv1alpha1.GroupTypeLocation},
			snapshot: located, wantClaimed: []string{"acme-1001", "acme-1002", "acme-1004"}, want: map[string]string{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := testDirectory(dirsyncv1alpha1.InactiveUserPolicyKeep)
			dir.Spec.GroupBy = tt.groupBy
			snapshot := testSnapshot
			if tt.snapshot != nil {
				snapshot = func() *provider.Snapshot { return tt.snapshot(testSnapshot()) }
			}
			written := testSnapshot()
			if tt.groupBy != nil {
				written = located(written)
			}
			before := materialized(testDesired(t, dir, written))
			after := children{users: slices.Clone(before.users), groups: slices.Clone(before.groups)}
			if tt.during != nil {
				tt.during(&after)
			}
			d, cl := testDesiredClaimed(t, dir, snapshot(), before, after)
			if got := names(cl.users); !slices.Equal(got, tt.wantClaimed) {
				t.Errorf("claimed %v, want %v", got, tt.wantClaimed)
			}
			full := testDesiredAgainst(t, dir, snapshot(), after)
			if d.returned != full.returned {
				t.Errorf("returned %d employees, the full snapshot %d", d.returned, full.returned)
			}
			if got, want := names(departedFrom(d, after).users), names(departedFrom(full, after).users); !slices.Equal(got, want) {
				t.Errorf("departed users %v, want %v", got, want)
			}
			now := timeZero.Add(time.Hour)
			p, fp := diff(d, after, false, now), diff(full, after, false, now)
			if diff := cmp.Diff(tt.want, kinds(p)); diff != "" {
				t.Fatalf("plan (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(kinds(fp), kinds(p)); diff != "" || p.unchanged != fp.unchanged {
				t.Fatalf("plan differs from the full snapshot's (-full +claimed):\n%s\nunchanged %d, full %d", diff, p.unchanged, fp.unchanged)
			}
			got, want := writtenObjects(p), writtenObjects(fp)
			for _, name := range slices.Sorted(maps.Keys(want)) {
				if !equality.Semantic.DeepEqual(got[name], want[name]) {
					t.Errorf("%s is written as\n%+v\nthe full snapshot writes\n%+v", name, got[name], want[name])
				}
			}
		})
	}
}

func writtenObjects(p childPlan) map[string]child {
	out := map[string]child{}
	for _, o := range p.ops {
		out[o.name] = o.obj
	}
	return out
}

// An id the listing sends twice is refused, also when both were claimed.
func TestClaimedDuplicateIsRefused(t *testing.T) {
	dir := testDirectory(dirsyncv1alpha1.InactiveUserPolicyKeep)
	ex := materialized(testDesired(t, dir, testSnapshot()))
	claim, cl := newClaimer(testBuilder(dir), ex)
	snap := testSnapshot()
	snap.Employees = provider.Unclaimed(append(snap.Employees, snap.Employees[2]), claim)
	if len(snap.Employees) != 0 {
		t.Fatalf("%d employees were not claimed", len(snap.Employees))
	}
	if _, err := buildModel(dir, snap, cl); err == nil || !strings.Contains(err.Error(), `"1003" appears twice`) {
		t.Fatalf("err = %v, want a duplicate id error", err)
	}
}

// The claimer takes nothing it cannot vouch for: an employee the Directory drops (inactiveUserPolicy
// Delete), one whose manager or group has no object yet, one whose id two objects carry.
func TestClaimerLeavesWhatItCannotVouchFor(t *testing.T) {
	dir := testDirectory(dirsyncv1alpha1.InactiveUserPolicyKeep)
	ex := materialized(testDesired(t, dir, testSnapshot()))
	dup := ex.users[2].DeepCopy()
	dup.Name = "acme-1003-copy"
	ex.users = append(ex.users, dup)
	del := testDirectory(dirsyncv1alpha1.InactiveUserPolicyDelete)
	snap := testSnapshot()
	snap.Employees[0].ManagerExternalID = "4242"       // no object for the manager
	snap.Employees[3].DepartmentIDs = []string{"4343"} // no object for the group
	var taken []string
	claim, _ := newClaimer(testBuilder(del), ex)
	for i := range snap.Employees {
		if claim(&snap.Employees[i]) {
			taken = append(taken, snap.Employees[i].ExternalID)
		}
	}
	if len(taken) != 0 {
		t.Fatalf("claimed %v, want none (1001 manager, 1002 inactive, 1003 twice, 1004 group)", taken)
	}
	// Without those reasons the same claimer takes them: the test above is not vacuous.
	claim, _ = newClaimer(testBuilder(dir), materialized(testDesired(t, dir, testSnapshot())))
	for _, e := range testSnapshot().Employees {
		if !claim(&e) {
			t.Errorf("employee %s was not claimed", e.ExternalID)
		}
	}
}

// Both providers honour provider.Config.Claim: every employee is offered once, complete (as the fetch
// without a claim returns it), and the snapshot holds exactly those not claimed.
func TestProvidersOfferEveryEmployeeToTheClaim(t *testing.T) {
	for _, pc := range directorytest.ProviderCases {
		t.Run(pc.Name, func(t *testing.T) {
			srv := pc.Start(fakehr.Generate(fakehr.GenerateOptions{Seed: 3, Employees: 250, IDs: pc.IDs, Today: testClock.Now()}))
			t.Cleanup(srv.Close)
			r := &Reconciler{Providers: registry.Default(), Clock: testClock, ProviderTimeout: 5 * time.Second, AllowInsecureEndpoints: true,
				AllowedEndpointHosts: directorytest.FakeHosts}
			dir := &dirsyncv1alpha1.Directory{ObjectMeta: metav1.ObjectMeta{Namespace: "team-a", Name: "acme"},
				Spec: dirsyncv1alpha1.DirectorySpec{Provider: pc.Provider, Endpoint: srv.URL()}}
			full, err := r.fetch(t.Context(), dir, srv.APIKey(), nil, nil)
			if err != nil {
				t.Fatal(err)
			}
			offered := map[string]provider.Employee{}
			claim := func(e *provider.Employee) bool {
				if _, twice := offered[e.ExternalID]; twice {
					t.Errorf("employee %s offered twice", e.ExternalID)
				}
				offered[e.ExternalID] = *e
				return len(offered)%3 != 0
			}
			snap, err := r.fetch(t.Context(), dir, srv.APIKey(), nil, claim)
			if err != nil {
				t.Fatal(err)
			}
			if len(snap.Employees) == 0 || len(snap.Employees) == len(full.Employees) {
				t.Fatalf("%d of %d employees left in the snapshot; want the third not claimed", len(snap.Employees), len(full.Employees))
			}
			for _, e := range full.Employees {
				if d := cmp.Diff(e, offered[e.ExternalID]); d != "" {
					t.Errorf("employee %s offered as (-fetched +offered):\n%s", e.ExternalID, d)
				}
			}
			left := 0
			for _, e := range snap.Employees {
				if d := cmp.Diff(offered[e.ExternalID], e); d != "" {
					t.Errorf("employee %s in the snapshot differs from the one offered:\n%s", e.ExternalID, d)
				}
				left++
			}
			if len(offered) != len(full.Employees) || left != len(full.Employees)/3 {
				t.Errorf("offered %d, left %d; want %d offered and a third left", len(offered), left, len(full.Employees))
			}
		})
	}
}
