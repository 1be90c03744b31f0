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
	"context"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/util/retry"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/metrics"

	dirsyncv1alpha1 "github.com/dirsync/dirsync/api/v1alpha1"
	"github.com/dirsync/dirsync/internal/naming"
	"github.com/dirsync/dirsync/internal/provider"
	apfake "github.com/dirsync/dirsync/internal/provider/accesspeoplehr/fake"
	breathefake "github.com/dirsync/dirsync/internal/provider/breathehr/fake"
	"github.com/dirsync/dirsync/internal/provider/fakehr"
)

// providerCase is one provider's fake, for the provider-independent scenario table.
type providerCase struct {
	name     string
	provider dirsyncv1alpha1.ProviderType
	ids      fakehr.IDStyle
	start    func(c fakehr.Company) fakehr.Server
}

var providerCases = []providerCase{
	{name: "BreatheHR", provider: dirsyncv1alpha1.ProviderBreatheHR, ids: fakehr.NumericIDs,
		start: func(c fakehr.Company) fakehr.Server { return breathefake.NewServer(c) }},
	{name: "AccessPeopleHR", provider: dirsyncv1alpha1.ProviderAccessPeopleHR, ids: fakehr.PrefixedIDs,
		start: func(c fakehr.Company) fakehr.Server { return apfake.NewServer(c) }},
}

func TestProviderCasesCoverEveryProviderType(t *testing.T) {
	for _, p := range dirsyncv1alpha1.AllProviderTypes {
		found := false
		for _, pc := range providerCases {
			found = found || pc.provider == p
		}
		if !found {
			t.Errorf("provider %s has no fake in the scenario table", p)
		}
	}
}

// harness is one Directory in its own namespace, pointing at its own fake server.
type harness struct {
	t   *testing.T
	ctx context.Context
	pc  providerCase
	srv fakehr.Server
	ns  string
	key client.ObjectKey
}

var requestSeq atomic.Int64

func newHarness(t *testing.T, pc providerCase, employees int, mutate func(*dirsyncv1alpha1.Directory)) *harness {
	t.Helper()
	requireEnvtest(t)
	ctx := context.Background()
	company := fakehr.Generate(fakehr.GenerateOptions{Seed: 42, Employees: employees, Departments: 4, IDs: pc.ids, Today: testClock.Now()})
	srv := pc.start(company)
	t.Cleanup(srv.Close)
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{GenerateName: "dirsync-test-"}}
	must(t, k8sClient.Create(ctx, ns))
	h := &harness{t: t, ctx: ctx, pc: pc, srv: srv, ns: ns.Name, key: client.ObjectKey{Namespace: ns.Name, Name: "acme"}}
	secret := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "hr-key", Namespace: ns.Name},
		StringData: map[string]string{"apiKey": srv.APIKey()}}
	must(t, k8sClient.Create(ctx, secret))
	dir := &dirsyncv1alpha1.Directory{
		ObjectMeta: metav1.ObjectMeta{Name: "acme", Namespace: ns.Name},
		Spec: dirsyncv1alpha1.DirectorySpec{
			Provider:             pc.provider,
			CredentialsSecretRef: dirsyncv1alpha1.SecretKeyReference{Name: "hr-key"},
			Endpoint:             srv.URL(),
		},
	}
	if mutate != nil {
		mutate(dir)
	}
	must(t, k8sClient.Create(ctx, dir))
	t.Cleanup(func() { _ = k8sClient.Delete(ctx, dir) })
	return h
}

// update re-reads obj, applies mutate and writes it, retrying when the controller wrote the object
// in between (a Get followed by an Update races with the controller's status writes).
func update[T client.Object](t *testing.T, obj T, mutate func(T)) {
	t.Helper()
	key := client.ObjectKeyFromObject(obj)
	must(t, retry.RetryOnConflict(retry.DefaultRetry, func() error {
		if err := k8sClient.Get(context.Background(), key, obj); err != nil {
			return err
		}
		mutate(obj)
		return k8sClient.Update(context.Background(), obj)
	}))
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func (h *harness) directory() *dirsyncv1alpha1.Directory {
	h.t.Helper()
	d := &dirsyncv1alpha1.Directory{}
	must(h.t, k8sClient.Get(h.ctx, h.key, d))
	return d
}

func ready(d *dirsyncv1alpha1.Directory) *metav1.Condition {
	return meta.FindStatusCondition(d.Status.Conditions, dirsyncv1alpha1.ConditionReady)
}

// waitReason waits until the Directory's Ready condition has reason, for its current generation.
func (h *harness) waitReason(reason string) *dirsyncv1alpha1.Directory {
	h.t.Helper()
	var d *dirsyncv1alpha1.Directory
	eventually(h.t, 30*time.Second, func() (bool, string) {
		d = h.directory()
		c := ready(d)
		if c == nil {
			return false, "no Ready condition yet"
		}
		return c.Reason == reason && d.Status.LastAttemptedGeneration == d.Generation,
			fmt.Sprintf("Ready=%s %s: %s (generation %d, attempted %d)", c.Status, c.Reason, c.Message, d.Generation, d.Status.LastAttemptedGeneration)
	})
	return d
}

// forceSync sets a new sync-requested-at value and waits until a sync has answered it.
func (h *harness) forceSync() *dirsyncv1alpha1.Directory {
	h.t.Helper()
	return syncWith(h, nil)
}

// syncWith applies mutate (if any) to the Directory together with a new sync-requested-at value, in one
// patch, and waits until a sync has answered that request.
func syncWith(h *harness, mutate func(*dirsyncv1alpha1.Directory)) *dirsyncv1alpha1.Directory {
	h.t.Helper()
	value := nextValue()
	d := h.directory()
	patch := client.MergeFrom(d.DeepCopy())
	if mutate != nil {
		mutate(d)
	}
	if d.Annotations == nil {
		d.Annotations = map[string]string{}
	}
	d.Annotations[dirsyncv1alpha1.AnnotationSyncRequestedAt] = value
	must(h.t, k8sClient.Patch(h.ctx, d, patch))
	eventually(h.t, 30*time.Second, func() (bool, string) {
		d = h.directory()
		return d.Status.LastHandledSyncRequest == value, "sync request " + value + " not answered yet"
	})
	return d
}

// nextValue is a value no annotation or label of this test run has had.
func nextValue() string { return "v" + strconv.FormatInt(requestSeq.Add(1), 10) }

func (h *harness) users() map[string]dirsyncv1alpha1.DirectoryUser {
	h.t.Helper()
	var l dirsyncv1alpha1.DirectoryUserList
	must(h.t, k8sClient.List(h.ctx, &l, client.InNamespace(h.ns)))
	out := map[string]dirsyncv1alpha1.DirectoryUser{}
	for _, u := range l.Items {
		out[u.Spec.ExternalID] = u
	}
	return out
}

// groups returns the department groups by display name (see groupsOfType for the other kinds).
func (h *harness) groups() map[string]dirsyncv1alpha1.DirectoryGroup {
	h.t.Helper()
	var l dirsyncv1alpha1.DirectoryGroupList
	must(h.t, k8sClient.List(h.ctx, &l, client.InNamespace(h.ns)))
	out := map[string]dirsyncv1alpha1.DirectoryGroup{}
	for _, g := range l.Items {
		if g.Spec.Type == dirsyncv1alpha1.GroupTypeDepartment {
			out[g.Spec.DisplayName] = g
		}
	}
	return out
}

// events returns the reasons of the Events regarding the Directory.
func (h *harness) events() []string {
	h.t.Helper()
	var l eventsv1.EventList
	must(h.t, k8sClient.List(h.ctx, &l, client.InNamespace(h.ns)))
	var reasons []string
	for _, e := range l.Items {
		if e.Regarding.Kind == "Directory" && e.Regarding.Name == h.key.Name {
			reasons = append(reasons, e.Reason)
		}
	}
	slices.Sort(reasons)
	return reasons
}

func (h *harness) waitEvent(reason string) {
	h.t.Helper()
	eventually(h.t, 10*time.Second, func() (bool, string) {
		got := h.events()
		for _, r := range got {
			if r == reason {
				return true, ""
			}
		}
		return false, fmt.Sprintf("no %s event; have %v", reason, got)
	})
}

// expectMatchesProvider checks every user and group against the fake's company.
func (h *harness) expectMatchesProvider() {
	h.t.Helper()
	c := h.srv.Company()
	users := h.users()
	if len(users) != len(c.Employees) {
		h.t.Fatalf("%d DirectoryUsers, provider has %d employees", len(users), len(c.Employees))
	}
	byDept := map[string][]string{} // department name → user object names
	for _, e := range c.Employees {
		u, ok := users[e.ID]
		if !ok {
			h.t.Fatalf("employee %s has no DirectoryUser", e.ID)
		}
		wantState := dirsyncv1alpha1.UserStateActive
		if e.Status == fakehr.Former {
			wantState = dirsyncv1alpha1.UserStateInactive
		}
		if u.Spec.State != wantState || u.Labels[dirsyncv1alpha1.LabelState] != stateLabel(wantState) {
			h.t.Fatalf("user %s state %s label %s, want %s", e.ID, u.Spec.State, u.Labels[dirsyncv1alpha1.LabelState], wantState)
		}
		if diff := cmp.Diff(h.wantCopied(c, e, u.Name), copied(u)); diff != "" {
			h.t.Fatalf("user of employee %s (-want +got):\n%s", e.ID, diff)
		}
		if c := meta.FindStatusCondition(u.Status.Conditions, dirsyncv1alpha1.ConditionSynced); c == nil || c.Reason != dirsyncv1alpha1.ReasonUpToDate || c.ObservedGeneration != 0 {
			h.t.Fatalf("user %s status %+v", e.ID, u.Status)
		}
		if d, ok := c.Department(e.DepartmentID); ok {
			byDept[d.Name] = append(byDept[d.Name], u.Name)
		}
	}
	groups := h.groups()
	for dept, members := range byDept {
		g, ok := groups[dept]
		if !ok {
			h.t.Fatalf("department %q has no DirectoryGroup; have %v", dept, slices.Sorted(maps.Keys(groups)))
		}
		slices.Sort(members)
		if diff := cmp.Diff(members, g.Spec.Members, cmpopts.EquateEmpty()); diff != "" {
			h.t.Fatalf("group %q members (-want +got):\n%s", dept, diff)
		}
		if g.Status.MemberCount != int32(len(members)) {
			h.t.Fatalf("group %q memberCount %d, want %d", dept, g.Status.MemberCount, len(members))
		}
	}
	for name, g := range groups {
		if _, ok := byDept[name]; !ok && len(g.Spec.Members) > 0 {
			h.t.Fatalf("group %q has members %v but no employee is in that department", name, g.Spec.Members)
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
	want, _ := naming.Plain(h.key.Name, e.ID)
	if hashed := naming.Hashed(h.key.Name, e.ID, e.ID); name == hashed {
		want = hashed
	}
	w := copiedFields{Name: want, FirstName: e.FirstName, LastName: e.LastName,
		PreferredName: e.KnownAs, DisplayName: provider.DisplayName(e.KnownAs, e.FirstName, e.LastName),
		Email: e.Email, JobTitle: e.JobTitle, Location: e.Location.Name, EmploymentType: e.EmploymentType}
	if h.pc.provider == dirsyncv1alpha1.ProviderBreatheHR {
		w.Division = e.Division.Name
	} else {
		w.Company = e.Company
	}
	if m := c.Employee(e.ManagerID); e.ManagerID != "" && m != nil {
		w.ManagerEmail = m.Email
	}
	return w
}

// reconciles is a controller's reconcile count ("directory", "directoryaccess"), from controller-runtime's
// own metrics.
func reconciles(t *testing.T, controller string) float64 {
	t.Helper()
	families, err := metrics.Registry.Gather()
	must(t, err)
	var n float64
	for _, f := range families {
		if f.GetName() != "controller_runtime_reconcile_total" {
			continue
		}
		for _, m := range f.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "controller" && l.GetValue() == controller {
					n += m.GetCounter().GetValue()
				}
			}
		}
	}
	return n
}
