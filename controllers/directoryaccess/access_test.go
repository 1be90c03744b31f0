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

package directoryaccess

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/rest"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	dirsyncv1alpha1 "github.com/dirsync/dirsync/api/v1alpha1"
	"github.com/dirsync/dirsync/controllers/directory/directorytest"
	"github.com/dirsync/dirsync/controllers/internal/verdict"
	"github.com/dirsync/dirsync/internal/provider/fakehr"
	"github.com/dirsync/dirsync/internal/testenv"
)

// accessTimeout bounds every wait of the DirectoryAccess stories.
const accessTimeout = 30 * time.Second

// person is one employee of a story's fake company. dept is "eng", "sales" or "".
type person struct {
	id, email     string
	status        fakehr.Status
	dept          string
	start, ending string // YYYY-MM-DD
}

func (p person) subject() string { return "oidc:" + strings.ToLower(p.email) }

// accessWorld is a Directory (Breathe HR fake) in its own namespace with a company the story
// controls, and DirectoryAccesses next to it, reconciled by the impersonated operator.
type accessWorld struct {
	*directorytest.Harness
	eng, sales string // DirectoryGroup names of the two departments
}

func newAccessWorld(t *testing.T, people ...person) *accessWorld {
	t.Helper()
	t.Cleanup(accessClock.reset)
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("DirectoryAccess controller log:\n%s", accessLog())
		}
	})
	h := directorytest.New(t, k8sClient, directorytest.ProviderCases[0], 1, directoryClock.Now(), nil)
	h.WaitReason(dirsyncv1alpha1.ReasonSynced)
	w := &accessWorld{Harness: h}
	w.setPeople(people...)
	groups := h.Groups()
	w.eng, w.sales = groups["Engineering"].Name, groups["Sales"].Name
	if w.eng == "" || w.sales == "" {
		t.Fatalf("no Engineering or Sales DirectoryGroup: %v", slices.Sorted(maps.Keys(groups)))
	}
	return w
}

// setPeople makes the fake serve exactly these people and syncs the Directory.
func (w *accessWorld) setPeople(people ...person) {
	w.T.Helper()
	c := fakehr.Company{Departments: []fakehr.Department{{ID: "10", Name: "Engineering"}, {ID: "11", Name: "Sales"}}}
	for _, p := range people {
		dept := map[string]string{"eng": "10", "sales": "11"}[p.dept]
		start := p.start
		if start == "" {
			start = "2020-01-06"
		}
		c.Employees = append(c.Employees, fakehr.Employee{ID: p.id, FirstName: "P" + p.id, LastName: "Test", Email: p.email,
			Status: p.status, DepartmentID: dept, StartDate: start, LeavingDate: p.ending})
	}
	w.Srv.SetCompany(c)
	if d := w.ForceSync(); verdict.Ready(d) == nil || verdict.Ready(d).Reason != dirsyncv1alpha1.ReasonSynced {
		w.T.Fatalf("the sync did not succeed: %+v", verdict.Ready(d))
	}
}

// target creates a namespace for RoleBindings; optIn binds dirsync-access-grantor there to the operator.
func (w *accessWorld) target(optIn bool, labels ...string) string {
	w.T.Helper()
	ns := testenv.NewNamespace(w.T, k8sClient, "dirsync-target-", labels...)
	if optIn {
		w.optIn(ns)
	}
	return ns
}

// optIn is what an administrator does: bind dirsync-access-grantor to the operator in ns.
func (w *accessWorld) optIn(ns string) {
	w.T.Helper()
	must(w.T, k8sClient.Create(w.Ctx, &rbacv1.RoleBinding{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: accessGrantorRole},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: accessGrantorRole},
		Subjects:   []rbacv1.Subject{{Kind: rbacv1.UserKind, APIGroup: rbacv1.GroupName, Name: accessOperator}},
	}))
}

// createAccess creates DirectoryAccess "eng" binding the Engineering group to edit in the targets.
func (w *accessWorld) createAccess(targets []string, mutate ...func(*dirsyncv1alpha1.DirectoryAccess)) types.NamespacedName {
	w.T.Helper()
	a := &dirsyncv1alpha1.DirectoryAccess{
		ObjectMeta: metav1.ObjectMeta{Name: "eng", Namespace: w.NS},
		Spec: dirsyncv1alpha1.DirectoryAccessSpec{
			DirectoryRef: dirsyncv1alpha1.DirectoryReference{Name: w.Key.Name},
			Groups:       []string{w.eng},
			RoleRef:      dirsyncv1alpha1.AccessRoleRef{Kind: dirsyncv1alpha1.AccessRoleClusterRole, Name: "edit"},
			Target:       dirsyncv1alpha1.AccessTarget{Namespaces: targets},
			Subject:      dirsyncv1alpha1.AccessSubject{Template: "oidc:{{ lower .Email }}"},
		},
	}
	for _, m := range mutate {
		m(a)
	}
	must(w.T, k8sClient.Create(w.Ctx, a))
	key := client.ObjectKeyFromObject(a)
	w.T.Cleanup(func() { _ = k8sClient.Delete(context.Background(), a) })
	return key
}

func (w *accessWorld) access(key types.NamespacedName) *dirsyncv1alpha1.DirectoryAccess {
	w.T.Helper()
	a := &dirsyncv1alpha1.DirectoryAccess{}
	must(w.T, k8sClient.Get(w.Ctx, key, a))
	return a
}

// waitAccess waits until the DirectoryAccess's Ready reason is reason for its current generation.
func (w *accessWorld) waitAccess(key types.NamespacedName, reason string) *dirsyncv1alpha1.DirectoryAccess {
	w.T.Helper()
	var a *dirsyncv1alpha1.DirectoryAccess
	testenv.Eventually(w.T, accessTimeout, func() (bool, string) {
		a = w.access(key)
		c := meta.FindStatusCondition(a.Status.Conditions, dirsyncv1alpha1.ConditionReady)
		if c == nil {
			return false, "no Ready condition yet"
		}
		return c.Reason == reason && a.Status.ObservedGeneration == a.Generation,
			fmt.Sprintf("Ready=%s %s: %s (generation %d, observed %d)", c.Status, c.Reason, c.Message, a.Generation, a.Status.ObservedGeneration)
	})
	return a
}

// binding reads the DirectoryAccess's RoleBinding in ns from the API server; nil when there is none.
func (w *accessWorld) binding(key types.NamespacedName, ns string) *rbacv1.RoleBinding {
	w.T.Helper()
	rb := &rbacv1.RoleBinding{}
	name := accessBindingName(&dirsyncv1alpha1.DirectoryAccess{ObjectMeta: metav1.ObjectMeta{Namespace: key.Namespace, Name: key.Name}})
	err := k8sClient.Get(w.Ctx, types.NamespacedName{Namespace: ns, Name: name}, rb)
	if apierrors.IsNotFound(err) {
		return nil
	}
	must(w.T, err)
	return rb
}

// waitSubjects waits until the RoleBinding in ns binds exactly want (nil: no RoleBinding at all).
func (w *accessWorld) waitSubjects(key types.NamespacedName, ns string, want []string) *rbacv1.RoleBinding {
	w.T.Helper()
	var rb *rbacv1.RoleBinding
	testenv.Eventually(w.T, accessTimeout, func() (bool, string) {
		rb = w.binding(key, ns)
		if rb == nil {
			return want == nil, "no RoleBinding in " + ns
		}
		got := subjectNames(rb)
		return want != nil && slices.Equal(got, want), fmt.Sprintf("RoleBinding %s/%s binds %v, want %v", ns, rb.Name, got, want)
	})
	return rb
}

func subjectNames(rb *rbacv1.RoleBinding) []string {
	out := []string{}
	for _, s := range rb.Subjects {
		out = append(out, s.Name)
	}
	return out
}

// accessEvents are the reasons of the Events regarding DirectoryAccess key.
func (w *accessWorld) accessEvents(key types.NamespacedName) []string {
	w.T.Helper()
	var l eventsv1.EventList
	must(w.T, k8sClient.List(w.Ctx, &l, client.InNamespace(key.Namespace)))
	var out []string
	for _, e := range l.Items {
		if e.Regarding.Kind == "DirectoryAccess" && e.Regarding.Name == key.Name {
			out = append(out, e.Reason)
		}
	}
	return out
}

// day is the access controller's date, shifted by days, as YYYY-MM-DD.
func day(days int) string { return accessClock.Now().AddDate(0, 0, days).Format(time.DateOnly) }

var (
	alice = person{id: "5001", email: "Alice@Example.com", status: fakehr.Current, dept: "eng"}
	bob   = person{id: "5002", email: "bob@example.com", status: fakehr.Current, dept: "eng"}
	carol = person{id: "5003", email: "carol@example.com", status: fakehr.Current, dept: "sales"}
	erin  = person{id: "5004", email: "erin@example.com", status: fakehr.Former, dept: "eng"}
)

func TestDirectoryAccessBindsActiveMembersAndRevokesALeaver(t *testing.T) {
	testenv.Require(t)
	w := newAccessWorld(t, alice, bob, carol, erin)
	web, api := w.target(true), w.target(true)
	key := w.createAccess([]string{web, api})

	a := w.waitAccess(key, dirsyncv1alpha1.ReasonBound)
	want := []string{alice.subject(), bob.subject()} // active members of Engineering, sorted; erin left, carol is in Sales
	for _, ns := range []string{web, api} {
		rb := w.waitSubjects(key, ns, want)
		type binding struct {
			RoleRef                      rbacv1.RoleRef
			ManagedBy, Access            string // labels
			SubjectKind, SubjectAPIGroup string // of the first subject
		}
		wantRB := binding{
			RoleRef:   rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: "edit"},
			ManagedBy: "dirsync", Access: key.Namespace + "." + key.Name,
			SubjectKind: rbacv1.UserKind, SubjectAPIGroup: rbacv1.GroupName,
		}
		gotRB := binding{
			RoleRef:   rb.RoleRef,
			ManagedBy: rb.Labels[dirsyncv1alpha1.LabelManagedBy], Access: rb.Labels[dirsyncv1alpha1.LabelAccess],
			SubjectKind: rb.Subjects[0].Kind, SubjectAPIGroup: rb.Subjects[0].APIGroup,
		}
		if diff := cmp.Diff(wantRB, gotRB); diff != "" {
			t.Errorf("RoleBinding %s/%s (-want +got):\n%s", ns, rb.Name, diff)
		}
	}
	if a.Status.Subjects != 2 || len(a.Status.Bindings) != 2 || a.Status.Bindings[0].Subjects != 2 ||
		!slices.Contains(a.Finalizers, dirsyncv1alpha1.FinalizerAccessBindings) {
		t.Errorf("status %+v, finalizers %v", a.Status, a.Finalizers)
	}

	// Bob leaves: HR marks him a former employee. The sync that sees it updates his DirectoryUser,
	// and that update alone removes him from both RoleBindings.
	bobLeft := bob
	bobLeft.status, bobLeft.ending = fakehr.Former, day(-1)
	w.setPeople(alice, bobLeft, carol, erin)
	for _, ns := range []string{web, api} {
		w.waitSubjects(key, ns, []string{alice.subject()})
	}
	testenv.Eventually(t, accessTimeout, func() (bool, string) { // the status follows the RoleBinding writes
		a = w.access(key)
		return a.Status.Subjects == 1 && a.Status.LastChange != nil && a.Status.LastChange.Revoked == 2 && a.Status.LastChange.Granted == 0,
			fmt.Sprintf("after the leaver: subjects %d, lastChange %+v", a.Status.Subjects, a.Status.LastChange)
	})
	testenv.Eventually(t, accessTimeout, func() (bool, string) {
		ev := w.accessEvents(key)
		return slices.Contains(ev, "AccessChanged"), fmt.Sprintf("events %v", ev)
	})

	// A user deleted outright (inactiveUserPolicy: Delete, or removed from HR) is removed too.
	w.setPeople(bobLeft, carol, erin)
	for _, ns := range []string{web, api} {
		w.waitSubjects(key, ns, []string{})
	}
}

func TestDirectoryAccessUnchangedDataWritesNothing(t *testing.T) {
	testenv.Require(t)
	w := newAccessWorld(t, alice, bob, carol)
	web := w.target(true)
	key := w.createAccess([]string{web})
	w.waitSubjects(key, web, []string{alice.subject(), bob.subject()})
	w.waitAccess(key, dirsyncv1alpha1.ReasonBound)

	// A change HR makes that matters to no binding (a new job title) reconciles the DirectoryAccess, which
	// then writes nothing: no RoleBinding request and not even a permission review.
	writes, reviews := accessWrites.snapshot(web)
	before := testenv.Reconciles(t, "directoryaccess")
	aliceTitle := alice
	w.Srv.Update(func(c *fakehr.Company) { c.Employee(aliceTitle.id).JobTitle = "Principal Engineer" })
	w.ForceSync()
	testenv.Eventually(t, accessTimeout, func() (bool, string) {
		return testenv.Reconciles(t, "directoryaccess") > before, "no DirectoryAccess reconcile after the user changed"
	})
	w.waitAccess(key, dirsyncv1alpha1.ReasonBound)
	if gotW, gotR := accessWrites.snapshot(web); gotW != writes || gotR != reviews {
		t.Errorf("an unchanged reconcile made %d RoleBinding writes and %d SelfSubjectAccessReviews", gotW-writes, gotR-reviews)
	}
}

func TestDirectoryAccessMoverChangesBothGrantsInOneSync(t *testing.T) {
	testenv.Require(t)
	w := newAccessWorld(t, alice, bob, carol)
	web, crm := w.target(true), w.target(true)
	eng := w.createAccess([]string{web})
	sales := w.createAccess([]string{crm}, func(a *dirsyncv1alpha1.DirectoryAccess) {
		a.Name, a.Spec.Groups, a.Spec.RoleRef.Name = "sales", []string{w.sales}, "view"
	})
	w.waitSubjects(eng, web, []string{alice.subject(), bob.subject()})
	w.waitSubjects(sales, crm, []string{carol.subject()})

	// Alice moves from Engineering to Sales: one sync, one DirectoryUser update, both grants move.
	moved := alice
	moved.dept = "sales"
	w.setPeople(moved, bob, carol)
	w.waitSubjects(eng, web, []string{bob.subject()})
	w.waitSubjects(sales, crm, []string{alice.subject(), carol.subject()})
}

func TestDirectoryAccessRepairsDriftButNeverAdopts(t *testing.T) {
	testenv.Require(t)
	w := newAccessWorld(t, alice, bob)
	web, foreign := w.target(true), w.target(true)
	key := w.createAccess([]string{web})
	want := []string{alice.subject(), bob.subject()}
	rb := w.waitSubjects(key, web, want)

	// Someone adds themselves to the managed RoleBinding: reverted.
	testenv.Update(t, k8sClient, rb, func(rb *rbacv1.RoleBinding) {
		rb.Subjects = append(rb.Subjects, rbacv1.Subject{Kind: rbacv1.UserKind, APIGroup: rbacv1.GroupName, Name: "oidc:mallory@example.com"})
	})
	w.waitSubjects(key, web, want)

	// Someone deletes it: re-created.
	must(t, k8sClient.Delete(w.Ctx, w.binding(key, web)))
	w.waitSubjects(key, web, want)

	// A RoleBinding of the same name that dirsync did not create, in a namespace the access is then
	// pointed at, is never adopted or changed: dirsync binds there under another name.
	name := accessBindingName(w.access(key))
	mine := &rbacv1.RoleBinding{ObjectMeta: metav1.ObjectMeta{Namespace: foreign, Name: name},
		RoleRef:  rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: "view"},
		Subjects: []rbacv1.Subject{{Kind: rbacv1.UserKind, APIGroup: rbacv1.GroupName, Name: "someone-else"}}}
	must(t, k8sClient.Create(w.Ctx, mine))
	a := w.access(key)
	testenv.Update(t, k8sClient, a, func(a *dirsyncv1alpha1.DirectoryAccess) { a.Spec.Target.Namespaces = []string{web, foreign} })
	if rb := w.waitRecorded(key, foreign, want); rb.Name != fallbackBindingName(a) {
		t.Errorf("dirsync bound in %s as %s, want the fallback name %s", foreign, rb.Name, fallbackBindingName(a))
	}
	w.waitAccess(key, dirsyncv1alpha1.ReasonBound)
	got := &rbacv1.RoleBinding{}
	must(t, k8sClient.Get(w.Ctx, client.ObjectKeyFromObject(mine), got))
	if !slices.Equal(subjectNames(got), []string{"someone-else"}) || got.RoleRef.Name != "view" || got.Labels[dirsyncv1alpha1.LabelManagedBy] != "" {
		t.Errorf("the foreign RoleBinding was changed: %+v", got)
	}
}

func TestDirectoryAccessNotPermittedWritesNothingUntilOptedIn(t *testing.T) {
	testenv.Require(t)
	w := newAccessWorld(t, alice, bob)
	web, secret := w.target(true), w.target(false)
	key := w.createAccess([]string{web, secret})

	// secret is not opted in: nothing is written anywhere, not even in web, and Ready says where and what.
	a := w.waitAccess(key, dirsyncv1alpha1.ReasonNotPermitted)
	msg := meta.FindStatusCondition(a.Status.Conditions, dirsyncv1alpha1.ConditionReady).Message
	if !strings.Contains(msg, "namespace "+secret) || !strings.Contains(msg, "ClusterRole edit") || strings.Contains(msg, "namespace "+web+" ") {
		t.Errorf("Ready message should name namespace %s and ClusterRole edit, and not %s: %s", secret, web, msg)
	}
	if writes, _ := accessWrites.snapshot(web, secret); writes != 0 || w.binding(key, web) != nil {
		t.Errorf("%d RoleBinding writes while not permitted (binding in %s: %v)", writes, web, w.binding(key, web))
	}

	// The administrator opts secret in: within the retry, both are bound.
	w.optIn(secret)
	for _, ns := range []string{web, secret} {
		w.waitSubjects(key, ns, []string{alice.subject(), bob.subject()})
	}
	w.waitAccess(key, dirsyncv1alpha1.ReasonBound)

	// A role outside the grantor's allow-list (admin) is not permitted anywhere: the bindings keep
	// their old role, and nothing is replaced.
	a = w.access(key)
	testenv.Update(t, k8sClient, a, func(a *dirsyncv1alpha1.DirectoryAccess) { a.Spec.RoleRef.Name = "admin" })
	a = w.waitAccess(key, dirsyncv1alpha1.ReasonNotPermitted)
	if msg := meta.FindStatusCondition(a.Status.Conditions, dirsyncv1alpha1.ConditionReady).Message; !strings.Contains(msg, "ClusterRole admin") {
		t.Errorf("Ready message does not name ClusterRole admin: %s", msg)
	}
	if rb := w.binding(key, web); rb == nil || rb.RoleRef.Name != "edit" {
		t.Errorf("the binding in %s changed role although admin is not allowed: %+v", web, rb)
	}
}

func TestDirectoryAccessDeletionRemovesEveryBinding(t *testing.T) {
	testenv.Require(t)
	w := newAccessWorld(t, alice)
	web, api := w.target(true), w.target(true)
	key := w.createAccess([]string{web, api})
	w.waitSubjects(key, web, []string{alice.subject()})
	w.waitSubjects(key, api, []string{alice.subject()})

	// The operator loses its grant in api: the deletion waits there and Ready says where.
	must(t, k8sClient.Delete(w.Ctx, &rbacv1.RoleBinding{ObjectMeta: metav1.ObjectMeta{Namespace: api, Name: accessGrantorRole}}))
	must(t, k8sClient.Delete(w.Ctx, w.access(key)))
	w.waitSubjects(key, web, nil)
	a := w.waitDeletingAccess(key, dirsyncv1alpha1.ReasonNotPermitted)
	if msg := meta.FindStatusCondition(a.Status.Conditions, dirsyncv1alpha1.ConditionReady).Message; !strings.Contains(msg, api) {
		t.Errorf("Ready message does not name namespace %s: %s", api, msg)
	}
	w.optIn(api)
	w.waitSubjects(key, api, nil)
	testenv.Eventually(t, accessTimeout, func() (bool, string) {
		err := k8sClient.Get(w.Ctx, key, &dirsyncv1alpha1.DirectoryAccess{})
		return apierrors.IsNotFound(err), fmt.Sprintf("DirectoryAccess still there: %v", err)
	})
}

// waitDeletingAccess waits for a Ready reason on a DirectoryAccess being deleted (its generation moved).
func (w *accessWorld) waitDeletingAccess(key types.NamespacedName, reason string) *dirsyncv1alpha1.DirectoryAccess {
	w.T.Helper()
	var a *dirsyncv1alpha1.DirectoryAccess
	testenv.Eventually(w.T, accessTimeout, func() (bool, string) {
		a = w.access(key)
		c := meta.FindStatusCondition(a.Status.Conditions, dirsyncv1alpha1.ConditionReady)
		return c != nil && c.Reason == reason, fmt.Sprintf("Ready %+v", c)
	})
	return a
}

func TestDirectoryAccessHonoursStartAndEndDates(t *testing.T) {
	testenv.Require(t)
	pending := person{id: "5010", email: "pending@example.com", status: fakehr.PendingLeaver, dept: "eng", ending: day(-1)}
	joiner := person{id: "5011", email: "joiner@example.com", status: fakehr.Current, dept: "eng", start: day(7)}
	w := newAccessWorld(t, alice, pending, joiner)
	web := w.target(true)
	key := w.createAccess([]string{web})

	// HR still says Active (a pending leaver) but the endDate has passed; the joiner starts next week.
	w.waitSubjects(key, web, []string{alice.subject()})
	a := w.waitAccess(key, dirsyncv1alpha1.ReasonBound)
	if u := w.Users()[pending.id]; u.Spec.State != dirsyncv1alpha1.UserStateActive || u.Spec.EndDate != pending.ending {
		t.Fatalf("the pending leaver is %s with endDate %q; the story needs Active with %s", u.Spec.State, u.Spec.EndDate, pending.ending)
	}
	if wantNext := day(7); a.Status.NextReviewTime == nil || a.Status.NextReviewTime.UTC().Format(time.DateOnly) != wantNext {
		t.Errorf("nextReviewTime %v, want %s 00:00 UTC (the joiner's start)", a.Status.NextReviewTime, wantNext)
	}

	// With both lifecycle rules off, both are bound.
	testenv.Update(t, k8sClient, a, func(a *dirsyncv1alpha1.DirectoryAccess) {
		a.Spec.Lifecycle = dirsyncv1alpha1.AccessLifecycle{HonourStartDate: ptr.To(false), RevokeAtEndDate: ptr.To(false)}
	})
	w.waitSubjects(key, web, []string{alice.subject(), joiner.subject(), pending.subject()})
}

// The endDate boundary passes with no event at all, and while the provider is down: the timer revokes.
func TestDirectoryAccessRevokesAtEndDateByTimerEvenDuringAnOutage(t *testing.T) {
	testenv.Require(t)
	end := accessClock.Now().AddDate(0, 0, 3).Truncate(24 * time.Hour) // a midnight, 3 days on
	accessClock.setNow(end.Add(-8 * time.Second))                      // 23:59:52 on the last day
	leaving := person{id: "5020", email: "leaving@example.com", status: fakehr.PendingLeaver, dept: "eng",
		ending: end.AddDate(0, 0, -1).Format(time.DateOnly)}
	w := newAccessWorld(t, alice, bob, leaving)
	web := w.target(true)
	key := w.createAccess([]string{web}, func(a *dirsyncv1alpha1.DirectoryAccess) {
		// The story's clock is 3 days past the Directory's last sync: within this limit, not within the default's 24h.
		a.Spec.Lifecycle.MaxDirectoryStaleness = &metav1.Duration{Duration: 720 * time.Hour}
	})
	w.waitSubjects(key, web, []string{alice.subject(), bob.subject(), leaving.subject()})

	// The provider goes down: the Directory is not Ready, the bindings are frozen as they are
	// (a user deleted by hand meanwhile stays bound), but the endDate still takes effect at midnight.
	w.Srv.InjectFault(fakehr.Fault{Kind: fakehr.FaultServerError})
	if d := w.ForceSync(); verdict.Ready(d).Reason != dirsyncv1alpha1.ReasonProviderUnavailable {
		t.Fatalf("Directory Ready %+v, want ProviderUnavailable", verdict.Ready(d))
	}
	w.waitAccess(key, dirsyncv1alpha1.ReasonDirectoryNotReady)
	bobUser := w.Users()[bob.id]
	must(t, k8sClient.Delete(w.Ctx, &bobUser))
	w.waitSubjects(key, web, []string{alice.subject(), bob.subject()}) // leaving's midnight passes within the wait
	if now := accessClock.Now(); now.Before(end) {
		t.Errorf("revoked at %s, before the end of %s", now, leaving.ending)
	}
	w.waitAccess(key, dirsyncv1alpha1.ReasonDirectoryNotReady)
	w.Srv.ClearFaults()
}

func TestDirectoryAccessRevocationGuardHoldsAMassRevocation(t *testing.T) {
	testenv.Require(t)
	var team, gone []person
	for i := range 10 {
		p := person{id: fmt.Sprint(5100 + i), email: fmt.Sprintf("p%02d@example.com", i), status: fakehr.Current, dept: "eng"}
		team = append(team, p)
		if i < 6 {
			p.status = fakehr.Former
		}
		gone = append(gone, p)
	}
	w := newAccessWorld(t, team...)
	web := w.target(true)
	key := w.createAccess([]string{web})
	var all []string
	for _, p := range team {
		all = append(all, p.subject())
	}
	w.waitSubjects(key, web, all)
	w.waitAccess(key, dirsyncv1alpha1.ReasonBound)

	// One snapshot marks 6 of 10 as leavers: more than 50% and more than 3. Held, not revoked.
	writes, _ := accessWrites.snapshot(web)
	w.setPeople(gone...)
	a := w.waitAccess(key, dirsyncv1alpha1.ReasonRevocationHeld)
	if a.Status.HeldRevocations != 6 {
		t.Errorf("heldRevocations %d, want 6", a.Status.HeldRevocations)
	}
	if rb := w.binding(key, web); len(rb.Subjects) != 10 {
		t.Errorf("held revocations were applied: %v", subjectNames(rb))
	}
	if got, _ := accessWrites.snapshot(web); got != writes {
		t.Errorf("%d RoleBinding writes while the revocations were held", got-writes)
	}

	// The operator checks HR and lets it through.
	testenv.Update(t, k8sClient, a, func(a *dirsyncv1alpha1.DirectoryAccess) { a.Spec.RevocationGuard.MaxRevokePercent = ptr.To[int32](100) })
	w.waitSubjects(key, web, all[6:])
	w.waitAccess(key, dirsyncv1alpha1.ReasonBound)
}

func TestDirectoryAccessSubjectConflictsAndInvalidSubjectsBindNobody(t *testing.T) {
	testenv.Require(t)
	// A leaver's address reused by a joiner, in another case; and someone whose e-mail renders system:.
	reuser := person{id: "5031", email: "ERIN@example.com", status: fakehr.Current, dept: "eng"}
	sneaky := person{id: "5032", email: "system:masters", status: fakehr.Current, dept: "eng"}
	w := newAccessWorld(t, alice, erin, reuser, sneaky)
	web := w.target(true)
	key := w.createAccess([]string{web}, func(a *dirsyncv1alpha1.DirectoryAccess) { a.Spec.Subject.Template = "{{ lower .Email }}" })
	w.waitSubjects(key, web, []string{"alice@example.com"})
	a := w.waitAccess(key, dirsyncv1alpha1.ReasonSubjectConflict)
	msg := meta.FindStatusCondition(a.Status.Conditions, dirsyncv1alpha1.ConditionReady).Message
	for _, want := range []string{"erin@example.com: " + erin.id + ", " + reuser.id, sneaky.id + " (renders a reserved system: name)"} {
		if !strings.Contains(msg, want) {
			t.Errorf("Ready message lacks %q: %s", want, msg)
		}
	}

	// A template that does not parse changes nothing and says why.
	testenv.Update(t, k8sClient, a, func(a *dirsyncv1alpha1.DirectoryAccess) { a.Spec.Subject.Template = "{{ .Salary }}" })
	a = w.waitAccess(key, dirsyncv1alpha1.ReasonInvalidTemplate)
	if msg := meta.FindStatusCondition(a.Status.Conditions, dirsyncv1alpha1.ConditionReady).Message; !strings.Contains(msg, ".Salary") {
		t.Errorf("Ready message does not name the bad field: %s", msg)
	}
	w.waitSubjects(key, web, []string{"alice@example.com"})
}

func TestDirectoryAccessSuspendAndNamespaceSelector(t *testing.T) {
	testenv.Require(t)
	w := newAccessWorld(t, alice, bob)
	web, other := w.target(true, "dirsync-test/team=eng-"+w.NS), w.target(true)
	key := w.createAccess(nil, func(a *dirsyncv1alpha1.DirectoryAccess) {
		a.Spec.Target.NamespaceSelector = &metav1.LabelSelector{MatchLabels: map[string]string{"dirsync-test/team": "eng-" + w.NS}}
	})
	w.waitSubjects(key, web, []string{alice.subject(), bob.subject()})
	if w.binding(key, other) != nil {
		t.Errorf("a namespace the selector does not match got a RoleBinding")
	}

	// The namespace starts matching: bound. The first stops matching: unbound.
	labelNamespace(t, other, "eng-"+w.NS)
	w.waitSubjects(key, other, []string{alice.subject(), bob.subject()})
	labelNamespace(t, web, "")
	w.waitSubjects(key, web, nil)

	// Suspended, nothing changes: not even a leaver is revoked.
	a := w.access(key)
	testenv.Update(t, k8sClient, a, func(a *dirsyncv1alpha1.DirectoryAccess) { a.Spec.Suspend = ptr.To(true) })
	w.waitAccess(key, dirsyncv1alpha1.ReasonSuspended)
	bobLeft := bob
	bobLeft.status = fakehr.Former
	w.setPeople(alice, bobLeft)
	consistentlySubjects(t, w, key, other, []string{alice.subject(), bob.subject()}, 2*time.Second)
	a = w.access(key)
	testenv.Update(t, k8sClient, a, func(a *dirsyncv1alpha1.DirectoryAccess) { a.Spec.Suspend = ptr.To(false) })
	w.waitSubjects(key, other, []string{alice.subject()})
}

func labelNamespace(t *testing.T, name, team string) {
	t.Helper()
	testenv.Update(t, k8sClient, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}}, func(ns *corev1.Namespace) {
		if team == "" {
			delete(ns.Labels, "dirsync-test/team")
		} else {
			ns.Labels["dirsync-test/team"] = team
		}
	})
}

// consistentlySubjects fails if the RoleBinding's subjects differ from want at any poll during d: the
// bounded "never happens" check.
func consistentlySubjects(t *testing.T, w *accessWorld, key types.NamespacedName, ns string, want []string, d time.Duration) {
	t.Helper()
	err := wait.PollUntilContextTimeout(context.Background(), 100*time.Millisecond, d, true, func(context.Context) (bool, error) {
		if rb := w.binding(key, ns); rb == nil || !slices.Equal(subjectNames(rb), want) {
			return false, fmt.Errorf("RoleBinding in %s changed to %v, want it to stay %v", ns, rb, want)
		}
		return false, nil
	})
	if !wait.Interrupted(err) {
		t.Fatal(err)
	}
}

// The admission policy: a DirectoryAccess whose creator could not bind the role in its target
// namespaces themselves is refused, so dirsync is nobody's confused deputy.
func TestDirectoryAccessAdmissionPolicyStopsAConfusedDeputy(t *testing.T) {
	testenv.Require(t)
	w := newAccessWorld(t, alice)
	web := w.target(true)
	const jane = "jane@example.com"
	// Jane may create DirectoryAccesses in the Directory's namespace, and nothing else.
	must(t, k8sClient.Create(w.Ctx, &rbacv1.Role{ObjectMeta: metav1.ObjectMeta{Namespace: w.NS, Name: "access-author"},
		Rules: []rbacv1.PolicyRule{{APIGroups: []string{"dirsync.io"}, Resources: []string{"directoryaccesses"}, Verbs: []string{"create", "get", "update"}}}}))
	must(t, k8sClient.Create(w.Ctx, &rbacv1.RoleBinding{ObjectMeta: metav1.ObjectMeta{Namespace: w.NS, Name: "access-author"},
		RoleRef:  rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "Role", Name: "access-author"},
		Subjects: []rbacv1.Subject{{Kind: rbacv1.UserKind, APIGroup: rbacv1.GroupName, Name: jane}}}))
	asJane := rest.CopyConfig(restConfig)
	asJane.Impersonate = rest.ImpersonationConfig{UserName: jane, Groups: []string{"system:authenticated"}}
	janeClient, err := client.New(asJane, client.Options{Scheme: k8sClient.Scheme()})
	must(t, err)
	access := func(name string, target dirsyncv1alpha1.AccessTarget) *dirsyncv1alpha1.DirectoryAccess {
		return &dirsyncv1alpha1.DirectoryAccess{ObjectMeta: metav1.ObjectMeta{Namespace: w.NS, Name: name},
			Spec: dirsyncv1alpha1.DirectoryAccessSpec{DirectoryRef: dirsyncv1alpha1.DirectoryReference{Name: w.Key.Name}, Groups: []string{w.eng},
				RoleRef: dirsyncv1alpha1.AccessRoleRef{Kind: dirsyncv1alpha1.AccessRoleClusterRole, Name: "edit"}, Target: target,
				Subject: dirsyncv1alpha1.AccessSubject{Template: "{{ .Email }}"}}}
	}
	testenv.Eventually(t, accessTimeout, func() (bool, string) { // RBAC reaches the authorizer within moments
		err := janeClient.Create(w.Ctx, access("probe", dirsyncv1alpha1.AccessTarget{Namespaces: []string{w.NS}}))
		return err != nil && !apierrors.IsForbidden(err) || err != nil && strings.Contains(err.Error(), "ValidatingAdmissionPolicy"),
			fmt.Sprintf("%v", err)
	})

	err = janeClient.Create(w.Ctx, access("jane-web", dirsyncv1alpha1.AccessTarget{Namespaces: []string{web}}))
	if err == nil || !strings.Contains(err.Error(), "you may not bind ClusterRole edit in namespace "+web) {
		t.Fatalf("creating a DirectoryAccess for edit in %s as jane, who cannot bind it there: %v; want the policy's denial", web, err)
	}
	err = janeClient.Create(w.Ctx, access("jane-all", dirsyncv1alpha1.AccessTarget{NamespaceSelector: &metav1.LabelSelector{}}))
	if err == nil || !strings.Contains(err.Error(), "namespaceSelector") {
		t.Fatalf("creating a DirectoryAccess with a namespaceSelector as jane: %v; want the policy's denial", err)
	}

	// The same grantor role, bound to jane in web, lets her.
	must(t, k8sClient.Create(w.Ctx, &rbacv1.RoleBinding{ObjectMeta: metav1.ObjectMeta{Namespace: web, Name: "jane-grantor"},
		RoleRef:  rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: accessGrantorRole},
		Subjects: []rbacv1.Subject{{Kind: rbacv1.UserKind, APIGroup: rbacv1.GroupName, Name: jane}}}))
	testenv.Eventually(t, accessTimeout, func() (bool, string) {
		err := janeClient.Create(w.Ctx, access("jane-web", dirsyncv1alpha1.AccessTarget{Namespaces: []string{web}}))
		return err == nil, fmt.Sprintf("%v", err)
	})
	w.waitSubjects(types.NamespacedName{Namespace: w.NS, Name: "jane-web"}, web, []string{"Alice@Example.com"})
	t.Cleanup(func() {
		_ = k8sClient.Delete(context.Background(), &dirsyncv1alpha1.DirectoryAccess{ObjectMeta: metav1.ObjectMeta{Namespace: w.NS, Name: "jane-web"}})
	})
}

func TestAPIServerValidatesDirectoryAccess(t *testing.T) {
	testenv.Require(t)
	ns := testenv.NewNamespace(t, k8sClient, "dirsync-test-")
	valid := func() *dirsyncv1alpha1.DirectoryAccess {
		return &dirsyncv1alpha1.DirectoryAccess{ObjectMeta: metav1.ObjectMeta{Namespace: ns, GenerateName: "da-"},
			Spec: dirsyncv1alpha1.DirectoryAccessSpec{DirectoryRef: dirsyncv1alpha1.DirectoryReference{Name: "acme"}, Groups: []string{"acme-10"},
				RoleRef: dirsyncv1alpha1.AccessRoleRef{Kind: dirsyncv1alpha1.AccessRoleClusterRole, Name: "view"},
				Target:  dirsyncv1alpha1.AccessTarget{Namespaces: []string{"web"}}, Subject: dirsyncv1alpha1.AccessSubject{Template: "{{ .Email }}"}}}
	}
	tests := []struct {
		name, wantErr string
		mutate        func(*dirsyncv1alpha1.DirectoryAccess)
	}{
		{name: "no groups", wantErr: "set groups, groupSelector or both", mutate: func(a *dirsyncv1alpha1.DirectoryAccess) { a.Spec.Groups = nil }},
		// Through a typed client an empty struct or string is left out, so the API server says Required.
		{name: "no target", wantErr: "spec.target: Required value", mutate: func(a *dirsyncv1alpha1.DirectoryAccess) { a.Spec.Target.Namespaces = nil }},
		{name: "a Role in two namespaces", wantErr: "a Role can only be bound in exactly one namespace", mutate: func(a *dirsyncv1alpha1.DirectoryAccess) {
			a.Spec.RoleRef.Kind, a.Spec.Target.Namespaces = dirsyncv1alpha1.AccessRoleRole, []string{"web", "api"}
		}},
		{name: "a Role with a selector", wantErr: "a Role can only be bound in exactly one namespace", mutate: func(a *dirsyncv1alpha1.DirectoryAccess) {
			a.Spec.RoleRef.Kind, a.Spec.Target.NamespaceSelector = dirsyncv1alpha1.AccessRoleRole, &metav1.LabelSelector{}
		}},
		{name: "a Group subject", wantErr: "spec.subject.kind", mutate: func(a *dirsyncv1alpha1.DirectoryAccess) { a.Spec.Subject.Kind = "Group" }},
		{name: "an empty template", wantErr: "spec.subject: Required value", mutate: func(a *dirsyncv1alpha1.DirectoryAccess) { a.Spec.Subject.Template = "" }},
		{name: "11 namespaces", wantErr: "spec.target.namespaces", mutate: func(a *dirsyncv1alpha1.DirectoryAccess) {
			a.Spec.Target.Namespaces = strings.Split("a b c d e f g h i j k", " ")
		}},
		{name: "maxRevokePercent over 100", wantErr: "maxRevokePercent", mutate: func(a *dirsyncv1alpha1.DirectoryAccess) {
			a.Spec.RevocationGuard.MaxRevokePercent = ptr.To[int32](101)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := valid()
			tt.mutate(a)
			err := k8sClient.Create(context.Background(), a)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("create: %v; want an error containing %q", err, tt.wantErr)
			}
		})
	}
	a := valid()
	must(t, k8sClient.Create(context.Background(), a))
	t.Cleanup(func() { _ = k8sClient.Delete(context.Background(), a) })
	if a.Spec.Subject.Kind != dirsyncv1alpha1.AccessSubjectUser || a.Spec.Lifecycle.HonourStartDate == nil || !*a.Spec.Lifecycle.HonourStartDate ||
		a.Spec.Lifecycle.RevokeAtEndDate == nil || !*a.Spec.Lifecycle.RevokeAtEndDate || a.MaxRevokePercentOrDefault() != 50 ||
		a.Spec.RevocationGuard.MaxRevokePercent == nil {
		t.Errorf("defaults not applied: %+v", a.Spec)
	}
}

// accessLog is the DirectoryAccess controller's share of the suite's log (the last 60 lines).
func accessLog() string {
	var lines []string
	for _, l := range strings.Split(logs.String(), "\n") {
		if strings.Contains(l, "directoryaccess") || strings.Contains(l, "DirectoryAccess") {
			lines = append(lines, l)
		}
	}
	return strings.Join(lines[max(0, len(lines)-60):], "\n")
}
