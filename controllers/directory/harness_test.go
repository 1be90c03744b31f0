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
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"k8s.io/apimachinery/pkg/api/meta"

	dirsyncv1alpha1 "github.com/dirsync/dirsync/api/v1alpha1"
	"github.com/dirsync/dirsync/controllers/directory/directorytest"
	"github.com/dirsync/dirsync/internal/naming"
	"github.com/dirsync/dirsync/internal/provider"
	"github.com/dirsync/dirsync/internal/provider/fakehr"
)

func TestProviderCasesCoverEveryProviderType(t *testing.T) {
	for _, p := range dirsyncv1alpha1.AllProviderTypes {
		found := false
		for _, pc := range directorytest.ProviderCases {
			found = found || pc.Provider == p
		}
		if !found {
			t.Errorf("provider %s has no fake in the scenario table", p)
		}
	}
}

// harness is the story harness (directorytest.Harness) with the checks that know this package.
type harness struct{ *directorytest.Harness }

// newHarness is one Directory in its own namespace, synced by the suite's controller, pointing at its
// own fake server with a company of employees generated as of the suite clock's day.
func newHarness(t *testing.T, pc directorytest.ProviderCase, employees int, mutate func(*dirsyncv1alpha1.Directory)) *harness {
	t.Helper()
	return &harness{directorytest.New(t, k8sClient, pc, employees, testClock.Now(), mutate)}
}

// expectMatchesProvider checks every user and group against the fake's company.
func (h *harness) expectMatchesProvider() {
	h.T.Helper()
	c := h.Srv.Company()
	users := h.Users()
	if len(users) != len(c.Employees) {
		h.T.Fatalf("%d DirectoryUsers, provider has %d employees", len(users), len(c.Employees))
	}
	byDept := map[string][]string{} // department name → user object names
	for _, e := range c.Employees {
		u, ok := users[e.ID]
		if !ok {
			h.T.Fatalf("employee %s has no DirectoryUser", e.ID)
		}
		wantState := dirsyncv1alpha1.UserStateActive
		if e.Status == fakehr.Former {
			wantState = dirsyncv1alpha1.UserStateInactive
		}
		if u.Spec.State != wantState || u.Labels[dirsyncv1alpha1.LabelState] != stateLabel(wantState) {
			h.T.Fatalf("user %s state %s label %s, want %s", e.ID, u.Spec.State, u.Labels[dirsyncv1alpha1.LabelState], wantState)
		}
		if diff := cmp.Diff(h.wantCopied(c, e, u.Name), copied(u)); diff != "" {
			h.T.Fatalf("user of employee %s (-want +got):\n%s", e.ID, diff)
		}
		if c := meta.FindStatusCondition(u.Status.Conditions, dirsyncv1alpha1.ConditionSynced); c == nil || c.Reason != dirsyncv1alpha1.ReasonUpToDate || c.ObservedGeneration != 0 {
			h.T.Fatalf("user %s status %+v", e.ID, u.Status)
		}
		if d, ok := c.Department(e.DepartmentID); ok {
			byDept[d.Name] = append(byDept[d.Name], u.Name)
		}
	}
	groups := h.Groups()
	for dept, members := range byDept {
		g, ok := groups[dept]
		if !ok {
			h.T.Fatalf("department %q has no DirectoryGroup; have %v", dept, slices.Sorted(maps.Keys(groups)))
		}
		slices.Sort(members)
		if diff := cmp.Diff(members, g.Spec.Members, cmpopts.EquateEmpty()); diff != "" {
			h.T.Fatalf("group %q members (-want +got):\n%s", dept, diff)
		}
		if g.Status.MemberCount != int32(len(members)) {
			h.T.Fatalf("group %q memberCount %d, want %d", dept, g.Status.MemberCount, len(members))
		}
	}
	for name, g := range groups {
		if _, ok := byDept[name]; !ok && len(g.Spec.Members) > 0 {
			h.T.Fatalf("group %q has members %v but no employee is in that department", name, g.Spec.Members)
		}
	}
}

// copiedFields are what a DirectoryUser takes from its employee, and its readable name.
type copiedFields struct {
	Name                                            string
	FirstName, LastName, PreferredName, DisplayName string
	Email, JobTitle, Location, Division, Company    string
	EmploymentType, ManagerEmail                    string
}

func copied(u dirsyncv1alpha1.DirectoryUser) copiedFields {
	s := u.Spec
	return copiedFields{Name: u.Name, FirstName: s.FirstName, LastName: s.LastName, PreferredName: s.PreferredName,
		DisplayName: s.DisplayName, Email: s.Email, JobTitle: s.JobTitle, Location: s.Location, Division: s.Division,
		Company: s.Company, EmploymentType: s.EmploymentType, ManagerEmail: s.ManagerEmail}
}

// wantCopied is what the fake's employee e should become: the readable name <directory>-<id> lower-cased,
// or its hashed fallback when the object has that (only when the readable name was taken when the user
// was created, as by a held user whose id differs only in case); the work attributes each provider sends
// (Breathe HR a division, Access People HR a company); the manager's e-mail when the manager is in c.
func (h *harness) wantCopied(c fakehr.Company, e fakehr.Employee, name string) copiedFields {
	want, _ := naming.Plain(h.Key.Name, e.ID)
	if hashed := naming.Hashed(h.Key.Name, e.ID, e.ID); name == hashed {
		want = hashed
	}
	w := copiedFields{Name: want, FirstName: e.FirstName, LastName: e.LastName,
		PreferredName: e.KnownAs, DisplayName: provider.DisplayName(e.KnownAs, e.FirstName, e.LastName),
		Email: e.Email, JobTitle: e.JobTitle, Location: e.Location.Name, EmploymentType: e.EmploymentType}
	if h.Case.Provider == dirsyncv1alpha1.ProviderBreatheHR {
		w.Division = e.Division.Name
	} else {
		w.Company = e.Company
	}
	if m := c.Employee(e.ManagerID); e.ManagerID != "" && m != nil {
		w.ManagerEmail = m.Email
	}
	return w
}
