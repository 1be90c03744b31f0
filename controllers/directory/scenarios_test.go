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
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	dirsyncv1alpha1 "github.com/dirsync/dirsync/api/v1alpha1"
	"github.com/dirsync/dirsync/controllers/directory/directorytest"
	"github.com/dirsync/dirsync/controllers/internal/verdict"
	"github.com/dirsync/dirsync/internal/provider/fakehr"
	"github.com/dirsync/dirsync/internal/testenv"
)

// scenario is a user story that must hold for every provider: it runs once per entry of directorytest.ProviderCases.
type scenario struct {
	name string
	run  func(h *harness)
	// mutate, when set, changes the Directory before it is created.
	mutate func(*dirsyncv1alpha1.Directory)
}

var scenarios = []scenario{
	{"first sync materializes every employee and department", scenarioFirstSync, nil},
	{"a leaver becomes Inactive", scenarioLeaver, nil},
	{"a department rename follows the provider", scenarioDepartmentRename, nil},
	{"a removed employee is deleted", scenarioRemovedEmployee, nil},
	{"the deletion guard holds a mass deletion until maxDeletePercent is raised", scenarioGuardMassDeletion, nil},
	{"the deletion guard holds an empty answer", scenarioGuardEmptyList, nil},
	{"a rejected key sets InvalidCredentials and changes nothing", scenarioInvalidCredentials, nil},
	{"a provider outage sets ProviderUnavailable and changes nothing", scenarioProviderUnavailable, nil},
	{"rotating the Secret resyncs within seconds", scenarioSecretRotation, nil},
	{"a deleted Secret sets SecretNotFound and changes nothing", scenarioSecretDeleted, nil},
	{"the sync-requested-at annotation forces a sync", scenarioAnnotation, nil},
	{"an unchanged resync writes nothing", scenarioNoopResync, nil},
	{"the schedule is honoured and child events do not call the provider", scenarioSchedule, nil},
	{"another writer's change is restored on the next sync", scenarioForeignWrite, nil},
	{"a user deleted by hand is recreated on the next sync", scenarioDeletedByHand, nil},
	{"suspend stops provider calls and keeps every object", scenarioSuspend, nil},
	{"a dry run computes the plan and writes nothing until dryRun is false", scenarioDryRun, dryRunAtCreation},
	{"a dry run evaluates the deletion guard", scenarioDryRunEvaluatesTheGuard, nil},
	{"an approval deletes exactly the held set, once", scenarioApproveHeldDeletions, nil},
	{"a slow sync shows its progress in the Syncing condition", scenarioProgress, nil},
	{"a quick unchanged resync writes one Directory status and no child", scenarioQuickResyncWritesOneStatus, nil},
	{"a location change moves the user between location groups", scenarioLocationChange, groupByDepartmentAndLocation},
	{"a group kind added creates its groups, removed is held then approved", scenarioGroupKindAddedAndRemoved, nil},
	{"a group kind whose data vanishes is held, whatever the counts", scenarioGroupKindVanishes, groupByDepartmentAndLocation},
	{"a manager leaving keeps or clears the reports' managerRef as the provider says", scenarioManagerLeaves, nil},
}

func TestScenarios(t *testing.T) {
	testenv.Require(t)
	for _, pc := range directorytest.ProviderCases {
		for _, sc := range scenarios {
			t.Run(pc.Name+"/"+sc.name, func(t *testing.T) {
				sc.run(newHarness(t, pc, 20, sc.mutate))
			})
		}
	}
}

func scenarioFirstSync(h *harness) {
	d := h.WaitReason(dirsyncv1alpha1.ReasonSynced)
	h.expectMatchesProvider()
	c := h.Srv.Company()
	active := 0
	for _, e := range c.Employees {
		if e.Status != fakehr.Former {
			active++
		}
	}
	groups := h.Groups()
	st := d.Status
	if int(st.UserCount) != len(c.Employees) || int(st.ActiveUserCount) != active || int(st.GroupCount) != len(groups) {
		h.T.Fatalf("status counts users %d active %d groups %d; want %d %d %d", st.UserCount, st.ActiveUserCount, st.GroupCount, len(c.Employees), active, len(groups))
	}
	if st.LastSyncChanges == nil || int(st.LastSyncChanges.Created) != len(c.Employees)+len(groups) || st.ObservedGeneration != d.Generation ||
		st.LastSuccessfulSyncTime == nil || st.NextSyncTime == nil || !st.NextSyncTime.Time.Equal(st.LastSyncTime.Add(30*time.Minute)) {
		h.T.Fatalf("status = %+v", st)
	}
	for _, u := range h.Users() {
		ref := metav1.GetControllerOf(&u)
		if ref == nil || ref.UID != d.UID || u.Labels[dirsyncv1alpha1.LabelDirectory] != "acme" || u.Spec.DirectoryRef.Name != "acme" {
			h.T.Fatalf("user %s is not owned and labelled: %+v %v", u.Name, ref, u.Labels)
		}
	}
	for _, g := range groups {
		if ref := metav1.GetControllerOf(&g); ref == nil || ref.UID != d.UID || g.Labels[dirsyncv1alpha1.LabelDirectory] != "acme" {
			h.T.Fatalf("group %s is not owned and labelled", g.Name)
		}
	}
	// Privacy: nothing personal reaches a custom resource.
	// Everything dirsync writes (spec, labels, status), not server-set metadata such as resourceVersions,
	// in which a number like a salary can appear by chance.
	var ul dirsyncv1alpha1.DirectoryUserList
	must(h.T, k8sClient.List(h.Ctx, &ul, client.InNamespace(h.NS)))
	var written []any
	for _, u := range ul.Items {
		written = append(written, u.Spec, u.Labels, u.Status)
	}
	blob, _ := json.Marshal(written)
	var gl dirsyncv1alpha1.DirectoryGroupList
	must(h.T, k8sClient.List(h.Ctx, &gl, client.InNamespace(h.NS)))
	groupsBlob, _ := json.Marshal(gl.Items)
	events, _ := json.Marshal(directoryEvents(h))
	places := map[string]string{"a DirectoryUser": string(blob), "a DirectoryGroup": string(groupsBlob), "an Event": string(events),
		"the manager's log": logs.String()}
	for _, e := range c.Employees {
		for _, personal := range []string{e.DateOfBirth, e.NINumber, e.PersonalEmail, e.PersonalMobile, e.Address1, e.Postcode} {
			for where, text := range places {
				if personal != "" && strings.Contains(text, personal) {
					h.T.Fatalf("personal data %q of employee %s reached %s", personal, e.ID, where)
				}
			}
		}
		if e.Salary != "" && strings.Contains(string(blob), e.Salary) {
			h.T.Fatalf("the salary of employee %s reached a DirectoryUser", e.ID)
		}
	}
	h.WaitEvent(dirsyncv1alpha1.ReasonSynced)
}

// anEmployee returns the id of the first current employee that is in a department.
func anEmployee(h *harness) string {
	for _, e := range h.Srv.Company().Employees {
		if e.Status == fakehr.Current && e.DepartmentID != "" {
			return e.ID
		}
	}
	h.T.Fatal("the generated company has no current employee in a department")
	return ""
}

func scenarioLeaver(h *harness) {
	before := h.WaitReason(dirsyncv1alpha1.ReasonSynced)
	id := anEmployee(h)
	leaving := testClock.Now().AddDate(0, 0, -1).Format("2006-01-02")
	h.Srv.Update(func(c *fakehr.Company) {
		e := c.Employee(id)
		e.Status, e.LeavingDate = fakehr.Former, leaving
	})
	d := h.ForceSync()
	u := h.Users()[id]
	if u.Spec.State != dirsyncv1alpha1.UserStateInactive || u.Labels[dirsyncv1alpha1.LabelState] != "inactive" || u.Spec.EndDate != leaving {
		h.T.Fatalf("leaver %s: state %s label %s endDate %q", id, u.Spec.State, u.Labels[dirsyncv1alpha1.LabelState], u.Spec.EndDate)
	}
	if d.Status.ActiveUserCount != before.Status.ActiveUserCount-1 || d.Status.LastSyncChanges.Updated < 1 {
		h.T.Fatalf("active %d → %d, changes %+v", before.Status.ActiveUserCount, d.Status.ActiveUserCount, d.Status.LastSyncChanges)
	}
	h.expectMatchesProvider()
}

func scenarioDepartmentRename(h *harness) {
	h.WaitReason(dirsyncv1alpha1.ReasonSynced)
	id := anEmployee(h)
	c := h.Srv.Company()
	dept, _ := c.Department(c.Employee(id).DepartmentID)
	oldMembers := h.Groups()[dept.Name].Spec.Members
	h.Srv.Update(func(c *fakehr.Company) {
		for i := range c.Departments {
			if c.Departments[i].ID == dept.ID {
				c.Departments[i].Name = "Renamed Ünit"
			}
		}
	})
	h.ForceSync()
	groups := h.Groups()
	if _, ok := groups[dept.Name]; ok {
		h.T.Fatalf("group %q still exists after the rename", dept.Name)
	}
	g, ok := groups["Renamed Ünit"]
	if !ok || len(g.Spec.Members) != len(oldMembers) {
		h.T.Fatalf("renamed group = %+v, want %d members", g, len(oldMembers))
	}
	if u := h.Users()[id]; !containsString(u.Spec.Groups, g.Name) {
		h.T.Fatalf("user %s groups %v do not name the renamed group %s", id, u.Spec.Groups, g.Name)
	}
	h.expectMatchesProvider()
}

func containsString(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func scenarioRemovedEmployee(h *harness) {
	h.WaitReason(dirsyncv1alpha1.ReasonSynced)
	id := anEmployee(h)
	h.Srv.Update(func(c *fakehr.Company) { c.RemoveEmployee(id) })
	d := h.ForceSync()
	if _, ok := h.Users()[id]; ok {
		h.T.Fatalf("removed employee %s still has a DirectoryUser", id)
	}
	if verdict.Ready(d).Reason != dirsyncv1alpha1.ReasonSynced || d.Status.LastSyncChanges.Deleted < 1 {
		h.T.Fatalf("a single removal must not trip the guard: %+v %+v", verdict.Ready(d), d.Status.LastSyncChanges)
	}
	h.expectMatchesProvider()
}

func scenarioGuardMassDeletion(h *harness) {
	h.WaitReason(dirsyncv1alpha1.ReasonSynced)
	all := h.Srv.Company().Employees
	removed := map[string]bool{}
	h.Srv.Update(func(c *fakehr.Company) {
		for _, e := range all[:len(all)/2] {
			c.RemoveEmployee(e.ID)
			removed[e.ID] = true
		}
	})
	h.ForceSync()
	d := h.WaitReason(dirsyncv1alpha1.ReasonDeletionGuardTriggered)
	users := h.Users()
	if len(users) != len(all) || int(d.Status.UserCount) != len(all) {
		h.T.Fatalf("the guard must hold every deletion: %d users remain (status %d) of %d", len(users), d.Status.UserCount, len(all))
	}
	for id := range removed {
		c := meta.FindStatusCondition(users[id].Status.Conditions, dirsyncv1alpha1.ConditionSynced)
		if c == nil || c.Status != metav1.ConditionFalse || c.Reason != dirsyncv1alpha1.ReasonRemovedFromProvider {
			h.T.Fatalf("held user %s has Synced %+v, want False RemovedFromProvider", id, c)
		}
	}
	h.WaitEvent(dirsyncv1alpha1.ReasonDeletionGuardTriggered)

	testenv.Update(h.T, k8sClient, d, func(d *dirsyncv1alpha1.Directory) { d.Spec.DeletionGuard.MaxDeletePercent = ptr.To[int32](60) })
	h.WaitReason(dirsyncv1alpha1.ReasonSynced)
	if got := len(h.Users()); got != len(all)-len(removed) {
		h.T.Fatalf("after raising maxDeletePercent, %d users remain, want %d", got, len(all)-len(removed))
	}
	h.expectMatchesProvider()
}

func scenarioGuardEmptyList(h *harness) {
	h.WaitReason(dirsyncv1alpha1.ReasonSynced)
	n := len(h.Users())
	h.Srv.InjectFault(fakehr.Fault{Kind: fakehr.FaultEmptyList})
	h.ForceSync()
	h.WaitReason(dirsyncv1alpha1.ReasonDeletionGuardTriggered)
	if got := len(h.Users()); got != n {
		h.T.Fatalf("empty answer deleted users: %d of %d remain", got, n)
	}
	h.Srv.ClearFaults()
	h.ForceSync()
	h.WaitReason(dirsyncv1alpha1.ReasonSynced)
	h.expectMatchesProvider() // also checks every user is Synced=True UpToDate again
}

// expectNothingChanged syncs under a fault and checks no child was written and every user is kept.
func expectNothingChanged(h *harness, reason string) *dirsyncv1alpha1.Directory {
	h.T.Helper()
	n := len(h.Users())
	w := writes.count(h.NS)
	id := anEmployee(h)
	h.Srv.Update(func(c *fakehr.Company) { c.RemoveEmployee(id) }) // would be a deletion if fetched
	h.ForceSync()
	d := h.WaitReason(reason)
	if got := len(h.Users()); got != n {
		h.T.Fatalf("%s deleted users: %d of %d remain", reason, got, n)
	}
	if got := writes.count(h.NS); got != w {
		h.T.Fatalf("%s wrote %d times to users or groups", reason, got-w)
	}
	if verdict.Ready(d).Status != metav1.ConditionFalse || d.Status.ConsecutiveFailures < 1 ||
		!d.Status.NextSyncTime.Time.Equal(d.Status.LastSyncTime.Add(30*time.Second)) {
		h.T.Fatalf("after a failure: Ready %+v, failures %d, next %v (last %v)", verdict.Ready(d), d.Status.ConsecutiveFailures, d.Status.NextSyncTime, d.Status.LastSyncTime)
	}
	h.WaitEvent(reason)
	return d
}

func scenarioInvalidCredentials(h *harness) {
	h.WaitReason(dirsyncv1alpha1.ReasonSynced)
	secretKey := h.Srv.APIKey()
	h.Srv.SetAPIKey("rotated-on-the-provider-side")
	d := expectNothingChanged(h, dirsyncv1alpha1.ReasonInvalidCredentials)
	if strings.Contains(verdict.Ready(d).Message, secretKey) || strings.Contains(logs.String(), secretKey) {
		h.T.Fatal("the API key leaked into the condition or the logs")
	}
}

func scenarioProviderUnavailable(h *harness) {
	h.WaitReason(dirsyncv1alpha1.ReasonSynced)
	h.Srv.InjectFault(fakehr.Fault{Kind: fakehr.FaultServerError})
	expectNothingChanged(h, dirsyncv1alpha1.ReasonProviderUnavailable)
	h.Srv.ClearFaults()
	d := h.ForceSync()
	if verdict.Ready(d).Reason != dirsyncv1alpha1.ReasonSynced || d.Status.ConsecutiveFailures != 0 {
		h.T.Fatalf("after recovery: %+v failures %d", verdict.Ready(d), d.Status.ConsecutiveFailures)
	}
	h.expectMatchesProvider()
}

func scenarioSecretRotation(h *harness) {
	h.WaitReason(dirsyncv1alpha1.ReasonSynced)
	h.Srv.SetAPIKey("the-new-key")
	h.ForceSync()
	h.WaitReason(dirsyncv1alpha1.ReasonInvalidCredentials)
	secret := &corev1.Secret{}
	must(h.T, k8sClient.Get(h.Ctx, client.ObjectKey{Namespace: h.NS, Name: "hr-key"}, secret))
	secret.Data["apiKey"] = []byte("the-new-key")
	must(h.T, k8sClient.Update(h.Ctx, secret))
	// No annotation, no clock step: the Secret's metadata watch alone triggers the sync.
	d := h.WaitReason(dirsyncv1alpha1.ReasonSynced)
	if d.Status.LastAttemptedSecretVersion != secret.ResourceVersion {
		h.T.Fatalf("last attempt used Secret version %s, want %s", d.Status.LastAttemptedSecretVersion, secret.ResourceVersion)
	}
}

func scenarioSecretDeleted(h *harness) {
	h.WaitReason(dirsyncv1alpha1.ReasonSynced)
	n := len(h.Users())
	secret := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: h.NS, Name: "hr-key"}}
	must(h.T, k8sClient.Delete(h.Ctx, secret))
	d := h.WaitReason(dirsyncv1alpha1.ReasonSecretNotFound)
	if !strings.Contains(verdict.Ready(d).Message, "hr-key") || len(h.Users()) != n {
		h.T.Fatalf("SecretNotFound: message %q, %d of %d users", verdict.Ready(d).Message, len(h.Users()), n)
	}
	must(h.T, k8sClient.Create(h.Ctx, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: h.NS, Name: "hr-key"},
		StringData: map[string]string{"apiKey": h.Srv.APIKey()}}))
	h.WaitReason(dirsyncv1alpha1.ReasonSynced)
}

func scenarioAnnotation(h *harness) {
	first := h.WaitReason(dirsyncv1alpha1.ReasonSynced)
	before := h.Srv.Requests()
	d := h.ForceSync()
	if h.Srv.Requests() <= before {
		h.T.Fatal("the annotation did not make a provider request")
	}
	if !d.Status.LastSyncTime.Equal(first.Status.LastSyncTime) && d.Status.LastSyncTime.Before(first.Status.LastSyncTime) {
		h.T.Fatal("lastSyncTime went backwards")
	}
}

func scenarioNoopResync(h *harness) {
	h.WaitReason(dirsyncv1alpha1.ReasonSynced)
	total := len(h.Users()) + len(h.Groups())
	w := writes.count(h.NS)
	d := h.ForceSync()
	if got := writes.count(h.NS) - w; got != 0 {
		h.T.Fatalf("an unchanged resync made %d writes to users and groups", got)
	}
	want := dirsyncv1alpha1.SyncChanges{Unchanged: int32(total)}
	if diff := cmp.Diff(want, *d.Status.LastSyncChanges); diff != "" {
		h.T.Fatalf("lastSyncChanges (-want +got):\n%s", diff)
	}
}

// touchUser changes a label on one user (an event the controller sees through Owns) and waits until
// the controller has reconciled at least once more.
func touchUser(h *harness, value string) {
	h.T.Helper()
	before := testenv.Reconciles(h.T, "directory")
	for _, u := range h.Users() {
		patch := client.MergeFrom(u.DeepCopy())
		u.Labels["example.com/touched"] = value
		must(h.T, k8sClient.Patch(h.Ctx, &u, patch))
		break
	}
	testenv.Eventually(h.T, 10*time.Second, func() (bool, string) {
		return testenv.Reconciles(h.T, "directory") > before, "no reconcile after a child event"
	})
}

func scenarioSchedule(h *harness) {
	d := h.WaitReason(dirsyncv1alpha1.ReasonSynced)
	requests := h.Srv.Requests()
	touchUser(h, "1")
	if h.Srv.Requests() != requests {
		h.T.Fatal("a child event called the provider before the schedule was due")
	}
	if again := h.Directory(); !again.Status.NextSyncTime.Equal(d.Status.NextSyncTime) {
		h.T.Fatalf("a child event moved nextSyncTime from %v to %v", d.Status.NextSyncTime, again.Status.NextSyncTime)
	}
	testClock.SetTime(d.Status.NextSyncTime.Add(time.Second))
	touchUser(h, "2")
	testenv.Eventually(h.T, 10*time.Second, func() (bool, string) {
		now := h.Directory()
		return now.Status.LastSyncTime.After(d.Status.LastSyncTime.Time),
			fmt.Sprintf("lastSyncTime still %v after the schedule was due", now.Status.LastSyncTime)
	})
	if h.Srv.Requests() <= requests {
		h.T.Fatal("the scheduled sync made no provider request")
	}
	now := h.Directory()
	if !now.Status.NextSyncTime.Time.Equal(now.Status.LastSyncTime.Add(30 * time.Minute)) {
		h.T.Fatalf("nextSyncTime %v is not lastSyncTime %v + 30m", now.Status.NextSyncTime, now.Status.LastSyncTime)
	}
}

func scenarioForeignWrite(h *harness) {
	h.WaitReason(dirsyncv1alpha1.ReasonSynced)
	id := anEmployee(h)
	u := h.Users()[id]
	want := u.Spec.JobTitle
	patch := client.MergeFrom(u.DeepCopy())
	u.Spec.JobTitle = "Chief Intruder"
	must(h.T, k8sClient.Patch(h.Ctx, &u, patch))
	requests := h.Srv.Requests()
	touchUser(h, "x") // the foreign write alone must not start a sync (no hot loop)
	if h.Srv.Requests() != requests {
		h.T.Fatal("another writer's change made the operator call the provider before the next sync")
	}
	h.ForceSync()
	if got := h.Users()[id].Spec.JobTitle; got != want {
		h.T.Fatalf("jobTitle = %q after the next sync, want %q restored", got, want)
	}
}

func scenarioDeletedByHand(h *harness) {
	h.WaitReason(dirsyncv1alpha1.ReasonSynced)
	id := anEmployee(h)
	u := h.Users()[id]
	must(h.T, k8sClient.Delete(h.Ctx, &u))
	testenv.Eventually(h.T, 10*time.Second, func() (bool, string) {
		_, ok := h.Users()[id]
		return !ok, "user not gone yet"
	})
	h.ForceSync()
	if got, ok := h.Users()[id]; !ok || got.UID == u.UID {
		h.T.Fatalf("user %s was not recreated", id)
	}
	h.expectMatchesProvider()
}

func scenarioSuspend(h *harness) {
	d := h.WaitReason(dirsyncv1alpha1.ReasonSynced)
	n := len(h.Users())
	testenv.Update(h.T, k8sClient, d, func(d *dirsyncv1alpha1.Directory) { d.Spec.Suspend = ptr.To(true) })
	testenv.Eventually(h.T, 10*time.Second, func() (bool, string) {
		c := verdict.Ready(h.Directory())
		return c.Reason == dirsyncv1alpha1.ReasonSuspended, fmt.Sprintf("Ready reason %s", c.Reason)
	})
	requests := h.Srv.Requests()
	h.Srv.Update(func(c *fakehr.Company) { c.Employees = nil })
	touchUser(h, "suspended")
	if h.Srv.Requests() != requests || len(h.Users()) != n {
		h.T.Fatal("a suspended Directory called the provider or changed objects")
	}
	testenv.Update(h.T, k8sClient, h.Directory(), func(d *dirsyncv1alpha1.Directory) { d.Spec.Suspend = ptr.To(false) })
	h.WaitReason(dirsyncv1alpha1.ReasonDeletionGuardTriggered) // resumes: the now-empty answer is held
}
