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
	"slices"
	"strings"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	dirsyncv1alpha1 "github.com/dirsync/dirsync/api/v1alpha1"
	"github.com/dirsync/dirsync/controllers/internal/verdict"
	"github.com/dirsync/dirsync/internal/provider/fakehr"
	"github.com/dirsync/dirsync/internal/testenv"
)

// A richer directory (issue 12): group kinds, work attributes and a navigable manager.

func groupByDepartmentAndLocation(d *dirsyncv1alpha1.Directory) {
	d.Spec.GroupBy = []dirsyncv1alpha1.GroupType{dirsyncv1alpha1.GroupTypeDepartment, dirsyncv1alpha1.GroupTypeLocation}
}

// groupsOfType returns the Directory's groups of one type, by display name.
func groupsOfType(h *harness, t dirsyncv1alpha1.GroupType) map[string]dirsyncv1alpha1.DirectoryGroup {
	h.T.Helper()
	var l dirsyncv1alpha1.DirectoryGroupList
	must(h.T, k8sClient.List(h.Ctx, &l, client.InNamespace(h.NS), client.MatchingLabels{dirsyncv1alpha1.LabelGroupType: toLower(t)}))
	out := map[string]dirsyncv1alpha1.DirectoryGroup{}
	for _, g := range l.Items {
		if g.Spec.Type != t {
			h.T.Fatalf("group %s has label %s but type %s", g.Name, t, g.Spec.Type)
		}
		out[g.Spec.DisplayName] = g
	}
	return out
}

func toLower(t dirsyncv1alpha1.GroupType) string {
	return map[dirsyncv1alpha1.GroupType]string{dirsyncv1alpha1.GroupTypeDepartment: "department", dirsyncv1alpha1.GroupTypeLocation: "location",
		dirsyncv1alpha1.GroupTypeDivision: "division", dirsyncv1alpha1.GroupTypeCompany: "company"}[t]
}

// expectLocations checks every user's location, its label and the location groups' members against the fake.
func expectLocations(h *harness) {
	h.T.Helper()
	locations := groupsOfType(h, dirsyncv1alpha1.GroupTypeLocation)
	members := map[string][]string{}
	for _, e := range h.Srv.Company().Employees {
		u := h.Users()[e.ID]
		if u.Spec.Location != e.Location.Name {
			h.T.Fatalf("user %s location %q, provider %q", e.ID, u.Spec.Location, e.Location.Name)
		}
		if e.Location.Name == "" {
			if l, ok := u.Labels[dirsyncv1alpha1.LabelLocation]; ok {
				h.T.Fatalf("user %s has no location but the label %q", e.ID, l)
			}
			continue
		}
		g, ok := locations[e.Location.Name]
		if !ok {
			h.T.Fatalf("location %q has no group; have %d", e.Location.Name, len(locations))
		}
		if u.Labels[dirsyncv1alpha1.LabelLocation] != g.Name || !slices.Contains(u.Spec.Groups, g.Name) {
			h.T.Fatalf("user %s label %q groups %v; want location group %s", e.ID, u.Labels[dirsyncv1alpha1.LabelLocation], u.Spec.Groups, g.Name)
		}
		members[e.Location.Name] = append(members[e.Location.Name], u.Name)
	}
	for name, g := range locations {
		slices.Sort(members[name])
		if diff := cmp.Diff(members[name], g.Spec.Members, cmpopts.EquateEmpty()); diff != "" {
			h.T.Fatalf("location %q members (-want +got):\n%s", name, diff)
		}
		if int(g.Status.MemberCount) != len(members[name]) {
			h.T.Fatalf("location %q memberCount %d, want %d", name, g.Status.MemberCount, len(members[name]))
		}
	}
}

func scenarioLocationChange(h *harness) {
	h.WaitReason(dirsyncv1alpha1.ReasonSynced)
	expectLocations(h)
	id := anEmployee(h)
	c := h.Srv.Company()
	from := c.Employee(id).Location
	to := fakehr.Locations[0]
	if to.Name == from.Name {
		to = fakehr.Locations[1]
	}
	h.Srv.Update(func(c *fakehr.Company) { c.Employee(id).Location = to })
	h.ForceSync()
	expectLocations(h)
	if got := h.Users()[id].Spec.Location; got != to.Name {
		h.T.Fatalf("location = %q, want %q", got, to.Name)
	}
	h.expectMatchesProvider()
}

func scenarioGroupKindAddedAndRemoved(h *harness) {
	d := h.WaitReason(dirsyncv1alpha1.ReasonSynced)
	if n := len(groupsOfType(h, dirsyncv1alpha1.GroupTypeLocation)); n != 0 {
		h.T.Fatalf("%d location groups before Location was enabled", n)
	}
	testenv.Update(h.T, k8sClient, d, func(d *dirsyncv1alpha1.Directory) {
		d.Spec.GroupBy = []dirsyncv1alpha1.GroupType{dirsyncv1alpha1.GroupTypeDepartment, dirsyncv1alpha1.GroupTypeLocation}
	})
	h.WaitReason(dirsyncv1alpha1.ReasonSynced)
	testenv.Eventually(h.T, 10*time.Second, func() (bool, string) {
		d = h.Directory()
		return d.Status.ObservedGeneration == d.Generation, "the spec change is not synced yet"
	})
	expectLocations(h)
	locations, departments := len(groupsOfType(h, dirsyncv1alpha1.GroupTypeLocation)), len(groupsOfType(h, dirsyncv1alpha1.GroupTypeDepartment))
	if locations < 4 {
		h.T.Fatalf("the generated company has %d locations; the story needs more than the guard's floor", locations)
	}

	// Removing the kind would delete every location group: more than 25% of the groups, so the guard holds it.
	testenv.Update(h.T, k8sClient, h.Directory(), func(d *dirsyncv1alpha1.Directory) {
		d.Spec.GroupBy = []dirsyncv1alpha1.GroupType{dirsyncv1alpha1.GroupTypeDepartment}
	})
	d = h.WaitReason(dirsyncv1alpha1.ReasonDeletionGuardTriggered)
	if held := d.Status.HeldDeletions; held == nil || int(held.Groups) != locations || held.Users != 0 || locations*100 <= 25*(locations+departments) {
		h.T.Fatalf("held %+v, want the %d location groups of %d", held, locations, locations+departments)
	}
	if n := len(groupsOfType(h, dirsyncv1alpha1.GroupTypeLocation)); n != locations {
		h.T.Fatalf("%d of %d location groups remain while held", n, locations)
	}
	d = approve(h, d.Status.HeldDeletions.ApprovalToken)
	if verdict.Ready(d).Reason != dirsyncv1alpha1.ReasonSynced || len(groupsOfType(h, dirsyncv1alpha1.GroupTypeLocation)) != 0 {
		h.T.Fatalf("after approving: Ready %+v, %d location groups", verdict.Ready(d), len(groupsOfType(h, dirsyncv1alpha1.GroupTypeLocation)))
	}
	for _, u := range h.Users() {
		if l, ok := u.Labels[dirsyncv1alpha1.LabelLocation]; ok || slices.ContainsFunc(u.Spec.Groups, func(g string) bool { return g != "" && g == l }) {
			h.T.Fatalf("user %s still carries the location label %q or group", u.Name, l)
		}
	}
	h.expectMatchesProvider()
}

func scenarioGroupKindVanishes(h *harness) {
	h.WaitReason(dirsyncv1alpha1.ReasonSynced)
	locations := len(groupsOfType(h, dirsyncv1alpha1.GroupTypeLocation))
	if locations == 0 {
		h.T.Fatal("the generated company has no locations")
	}

	// The provider stops sending anyone's location while spec.groupBy still asks for Location: whatever
	// the counts, losing a whole kind is held until someone approves it. A percentage that the location
	// groups stay under shows that it is not the percentage rule holding them.
	h.Srv.Update(func(c *fakehr.Company) {
		for i := range c.Employees {
			c.Employees[i].Location = fakehr.Ref{}
		}
	})
	const pct = 90
	if all := locations + len(groupsOfType(h, dirsyncv1alpha1.GroupTypeDepartment)); locations*100 > pct*all {
		h.T.Fatalf("%d location groups of %d: the story needs fewer than %d%%", locations, all, pct)
	}
	h.SyncWith(func(d *dirsyncv1alpha1.Directory) { d.Spec.DeletionGuard.MaxDeletePercent = ptr.To[int32](pct) })
	d := h.WaitReason(dirsyncv1alpha1.ReasonDeletionGuardTriggered)
	if msg := verdict.Ready(d).Message; !strings.Contains(msg, "no Location groups") {
		h.T.Fatalf("Ready message does not name the vanished kind: %s", msg)
	}
	if held := d.Status.HeldDeletions; held == nil || int(held.Groups) != locations || held.Users != 0 {
		h.T.Fatalf("held %+v, want the %d location groups", held, locations)
	}
	if n := len(groupsOfType(h, dirsyncv1alpha1.GroupTypeLocation)); n != locations {
		h.T.Fatalf("%d of %d location groups remain while held", n, locations)
	}
	d = approve(h, d.Status.HeldDeletions.ApprovalToken)
	if verdict.Ready(d).Reason != dirsyncv1alpha1.ReasonSynced || len(groupsOfType(h, dirsyncv1alpha1.GroupTypeLocation)) != 0 {
		h.T.Fatalf("after approving: Ready %+v, %d location groups", verdict.Ready(d), len(groupsOfType(h, dirsyncv1alpha1.GroupTypeLocation)))
	}
	h.expectMatchesProvider()
}

// aReport returns an employee whose line manager is in the company, and the manager's id.
func aReport(h *harness) (report, manager string) {
	c := h.Srv.Company()
	for _, e := range c.Employees {
		if m := c.Employee(e.ManagerID); e.ManagerID != "" && m != nil && e.Status == fakehr.Current && m.Status == fakehr.Current {
			return e.ID, e.ManagerID
		}
	}
	h.T.Fatal("the generated company has no current employee with a current line manager")
	return "", ""
}

func scenarioManagerLeaves(h *harness) {
	h.WaitReason(dirsyncv1alpha1.ReasonSynced)
	report, manager := aReport(h)
	users := h.Users()
	if ref := users[report].Spec.ManagerRef; ref == nil || ref.Name != users[manager].Name {
		h.T.Fatalf("managerRef = %+v, want %s", ref, users[manager].Name)
	}
	var direct dirsyncv1alpha1.DirectoryUserList // the README's "direct reports" query
	must(h.T, k8sClient.List(h.Ctx, &direct, client.InNamespace(h.NS), client.MatchingFields{"spec.managerRef.name": users[manager].Name}))
	if !slices.ContainsFunc(direct.Items, func(u dirsyncv1alpha1.DirectoryUser) bool { return u.Spec.ExternalID == report }) {
		h.T.Fatalf("--field-selector spec.managerRef.name=%s does not list %s", users[manager].Name, report)
	}

	// The manager becomes a leaver: still in the directory (Inactive), so the provider's word stands.
	h.Srv.Update(func(c *fakehr.Company) {
		c.Employee(manager).Status, c.Employee(manager).LeavingDate = fakehr.Former, testClock.Now().AddDate(0, 0, -1).Format("2006-01-02")
	})
	h.ForceSync()
	if ref := h.Users()[report].Spec.ManagerRef; ref == nil || ref.Name != users[manager].Name {
		h.T.Fatalf("a leaver manager still in the directory: managerRef = %+v", ref)
	}

	// The manager is removed from the provider: the reference goes, the raw id stays as the provider says.
	h.Srv.Update(func(c *fakehr.Company) { c.RemoveEmployee(manager) })
	h.ForceSync()
	u := h.Users()[report]
	now := h.Srv.Company()
	wantID := now.Employee(report).ManagerID // Breathe HR still names the manager's id
	if h.Case.Provider == dirsyncv1alpha1.ProviderAccessPeopleHR {
		wantID = "" // the fake Access People HR, like the real one, sends no ReportsTo for a manager it no longer has
	}
	if u.Spec.ManagerRef != nil || u.Spec.ManagerExternalID != wantID {
		h.T.Fatalf("after the manager left the directory: managerRef %+v, managerExternalID %q", u.Spec.ManagerRef, u.Spec.ManagerExternalID)
	}
	h.expectMatchesProvider()
}
