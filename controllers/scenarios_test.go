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
	"github.com/dirsync/dirsync/internal/provider/fakehr"
)

// scenario is a user story that must hold for every provider: it runs once per entry of providerCases.
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
	requireEnvtest(t)
	for _, pc := range providerCases {
		for _, sc := range scenarios {
			t.Run(pc.name+"/"+sc.name, func(t *testing.T) {
				sc.run(newHarness(t, pc, 20, sc.mutate))
			})
		}
	}
}

func scenarioFirstSync(h *harness) {
	d := h.waitReason(dirsyncv1alpha1.ReasonSynced)
	h.expectMatchesProvider()
	c := h.srv.Company()
	active := 0
	for _, e := range c.Employees {
		if e.Status != fakehr.Former {
			active++
		}
	}
	groups := h.groups()
	st := d.Status
	if int(st.UserCount) != len(c.Employees) || int(st.ActiveUserCount) != active || int(st.GroupCount) != len(groups) {
		h.t.Fatalf("status counts users %d active %d groups %d; want %d %d %d", st.UserCount, st.ActiveUserCount, st.GroupCount, len(c.Employees), active, len(groups))
	}
	if st.LastSyncChanges == nil || int(st.LastSyncChanges.Created) != len(c.Employees)+len(groups) || st.ObservedGeneration != d.Generation ||
		st.LastSuccessfulSyncTime == nil || st.NextSyncTime == nil || !st.NextSyncTime.Time.Equal(st.LastSyncTime.Add(30*time.Minute)) {
		h.t.Fatalf("status = %+v", st)
	}
	for _, u := range h.users() {
		ref := metav1.GetControllerOf(&u)
		if ref == nil || ref.UID != d.UID || u.Labels[dirsyncv1alpha1.LabelDirectory] != "acme" || u.Spec.DirectoryRef.Name != "acme" {
			h.t.Fatalf("user %s is not owned and labelled: %+v %v", u.Name, ref, u.Labels)
		}
	}
	for _, g := range groups {
		if ref := metav1.GetControllerOf(&g); ref == nil || ref.UID != d.UID || g.Labels[dirsyncv1alpha1.LabelDirectory] != "acme" {
			h.t.Fatalf("group %s is not owned and labelled", g.Name)
		}
	}
	// Privacy: nothing personal reaches a custom resource.
	// Everything dirsync writes (spec, labels, status), not server-set metadata such as resourceVersions,
	// in which a number like a salary can appear by chance.
	var ul dirsyncv1alpha1.DirectoryUserList
	must(h.t, k8sClient.List(h.ctx, &ul, client.InNamespace(h.ns)))
	var written []any
	for _, u := range ul.Items {
		written = append(written, u.Spec, u.Labels, u.Status)
	}
	blob, _ := json.Marshal(written)
	var gl dirsyncv1alpha1.DirectoryGroupList
	must(h.t, k8sClient.List(h.ctx, &gl, client.InNamespace(h.ns)))
	groupsBlob, _ := json.Marshal(gl.Items)
	events, _ := json.Marshal(directoryEvents(h))
	places := map[string]string{"a DirectoryUser": string(blob), "a DirectoryGroup": string(groupsBlob), "an Event": string(events),
		"the manager's log": logs.String()}
	for _, e := range c.Employees {
		for _, personal := range []string{e.DateOfBirth, e.NINumber, e.PersonalEmail, e.PersonalMobile, e.Address1, e.Postcode} {
			for where, text := range places {
				if personal != "" && strings.Contains(text, personal) {
					h.t.Fatalf("personal data %q of employee %s reached %s", personal, e.ID, where)
				}
			}
		}
		if e.Salary != "" && strings.Contains(string(blob), e.Salary) {
			h.t.Fatalf("the salary of employee %s reached a DirectoryUser", e.ID)
		}
	}
	h.waitEvent(dirsyncv1alpha1.ReasonSynced)
}

// anEmployee returns the id of the first current employee that is in a department.
func anEmployee(h *harness) string {
	for _, e := range h.srv.Company().Employees {
		if e.Status == fakehr.Current && e.DepartmentID != "" {
			return e.ID
		}
	}
	h.t.Fatal("the generated company has no current employee in a department")
	return ""
}

func scenarioLeaver(h *harness) {
	before := h.waitReason(dirsyncv1alpha1.ReasonSynced)
	id := anEmployee(h)
	leaving := testClock.Now().AddDate(0, 0, -1).Format("2006-01-02")
	h.srv.Update(func(c *fakehr.Company) {
		e := c.Employee(id)
		e.Status, e.LeavingDate = fakehr.Former, leaving
	})
	d := h.forceSync()
	u := h.users()[id]
	if u.Spec.State != dirsyncv1alpha1.UserStateInactive || u.Labels[dirsyncv1alpha1.LabelState] != "inactive" || u.Spec.EndDate != leaving {
		h.t.Fatalf("leaver %s: state %s label %s endDate %q", id, u.Spec.State, u.Labels[dirsyncv1alpha1.LabelState], u.Spec.EndDate)
	}
	if d.Status.ActiveUserCount != before.Status.ActiveUserCount-1 || d.Status.LastSyncChanges.Updated < 1 {
		h.t.Fatalf("active %d → %d, changes %+v", before.Status.ActiveUserCount, d.Status.ActiveUserCount, d.Status.LastSyncChanges)
	}
	h.expectMatchesProvider()
}

func scenarioDepartmentRename(h *harness) {
	h.waitReason(dirsyncv1alpha1.ReasonSynced)
	id := anEmployee(h)
	c := h.srv.Company()
	dept, _ := c.Department(c.Employee(id).DepartmentID)
	oldMembers := h.groups()[dept.Name].Spec.Members
	h.srv.Update(func(c *fakehr.Company) {
		for i := range c.Departments {
			if c.Departments[i].ID == dept.ID {
				c.Departments[i].Name = "Renamed Ünit"
			}
		}
	})
	h.forceSync()
	groups := h.groups()
	if _, ok := groups[dept.Name]; ok {
		h.t.Fatalf("group %q still exists after the rename", dept.Name)
	}
	g, ok := groups["Renamed Ünit"]
	if !ok || len(g.Spec.Members) != len(oldMembers) {
		h.t.Fatalf("renamed group = %+v, want %d members", g, len(oldMembers))
	}
	if u := h.users()[id]; !containsString(u.Spec.Groups, g.Name) {
		h.t.Fatalf("user %s groups %v do not name the renamed group %s", id, u.Spec.Groups, g.Name)
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
	h.waitReason(dirsyncv1alpha1.ReasonSynced)
	id := anEmployee(h)
	h.srv.Update(func(c *fakehr.Company) { c.RemoveEmployee(id) })
	d := h.forceSync()
	if _, ok := h.users()[id]; ok {
		h.t.Fatalf("removed employee %s still has a DirectoryUser", id)
	}
	if ready(d).Reason != dirsyncv1alpha1.ReasonSynced || d.Status.LastSyncChanges.Deleted < 1 {
		h.t.Fatalf("a single removal must not trip the guard: %+v %+v", ready(d), d.Status.LastSyncChanges)
	}
	h.expectMatchesProvider()
}

func scenarioGuardMassDeletion(h *harness) {
	h.waitReason(dirsyncv1alpha1.ReasonSynced)
	all := h.srv.Company().Employees
	removed := map[string]bool{}
	h.srv.Update(func(c *fakehr.Company) {
		for _, e := range all[:len(all)/2] {
			c.RemoveEmployee(e.ID)
			removed[e.ID] = true
		}
	})
	h.forceSync()
	d := h.waitReason(dirsyncv1alpha1.ReasonDeletionGuardTriggered)
	users := h.users()
	if len(users) != len(all) || int(d.Status.UserCount) != len(all) {
		h.t.Fatalf("the guard must hold every deletion: %d users remain (status %d) of %d", len(users), d.Status.UserCount, len(all))
	}
	for id := range removed {
		c := meta.FindStatusCondition(users[id].Status.Conditions, dirsyncv1alpha1.ConditionSynced)
		if c == nil || c.Status != metav1.ConditionFalse || c.Reason != dirsyncv1alpha1.ReasonRemovedFromProvider {
			h.t.Fatalf("held user %s has Synced %+v, want False RemovedFromProvider", id, c)
		}
	}
	h.waitEvent(dirsyncv1alpha1.ReasonDeletionGuardTriggered)

	update(h.t, d, func(d *dirsyncv1alpha1.Directory) { d.Spec.DeletionGuard.MaxDeletePercent = ptr.To[int32](60) })
	h.waitReason(dirsyncv1alpha1.ReasonSynced)
	if got := len(h.users()); got != len(all)-len(removed) {
		h.t.Fatalf("after raising maxDeletePercent, %d users remain, want %d", got, len(all)-len(removed))
	}
	h.expectMatchesProvider()
}

func scenarioGuardEmptyList(h *harness) {
	h.waitReason(dirsyncv1alpha1.ReasonSynced)
	n := len(h.users())
	h.srv.InjectFault(fakehr.Fault{Kind: fakehr.FaultEmptyList})
	h.forceSync()
	h.waitReason(dirsyncv1alpha1.ReasonDeletionGuardTriggered)
	if got := len(h.users()); got != n {
		h.t.Fatalf("empty answer deleted users: %d of %d remain", got, n)
	}
	h.srv.ClearFaults()
	h.forceSync()
	h.waitReason(dirsyncv1alpha1.ReasonSynced)
	h.expectMatchesProvider() // also checks every user is Synced=True UpToDate again
}

// expectNothingChanged syncs under a fault and checks no child was written and every user is kept.
func expectNothingChanged(h *harness, reason string) *dirsyncv1alpha1.Directory {
	h.t.Helper()
	n := len(h.users())
	w := writes.count(h.ns)
	id := anEmployee(h)
	h.srv.Update(func(c *fakehr.Company) { c.RemoveEmployee(id) }) // would be a deletion if fetched
	h.forceSync()
	d := h.waitReason(reason)
	if got := len(h.users()); got != n {
		h.t.Fatalf("%s deleted users: %d of %d remain", reason, got, n)
	}
	if got := writes.count(h.ns); got != w {
		h.t.Fatalf("%s wrote %d times to users or groups", reason, got-w)
	}
	if ready(d).Status != metav1.ConditionFalse || d.Status.ConsecutiveFailures < 1 ||
		!d.Status.NextSyncTime.Time.Equal(d.Status.LastSyncTime.Add(30*time.Second)) {
		h.t.Fatalf("after a failure: Ready %+v, failures %d, next %v (last %v)", ready(d), d.Status.ConsecutiveFailures, d.Status.NextSyncTime, d.Status.LastSyncTime)
	}
	h.waitEvent(reason)
	return d
}

func scenarioInvalidCredentials(h *harness) {
	h.waitReason(dirsyncv1alpha1.ReasonSynced)
	secretKey := h.srv.APIKey()
	h.srv.SetAPIKey("rotated-on-the-provider-side")
	d := expectNothingChanged(h, dirsyncv1alpha1.ReasonInvalidCredentials)
	if strings.Contains(ready(d).Message, secretKey) || strings.Contains(logs.String(), secretKey) {
		h.t.Fatal("the API key leaked into the condition or the logs")
	}
}

func scenarioProviderUnavailable(h *harness) {
	h.waitReason(dirsyncv1alpha1.ReasonSynced)
	h.srv.InjectFault(fakehr.Fault{Kind: fakehr.FaultServerError})
	expectNothingChanged(h, dirsyncv1alpha1.ReasonProviderUnavailable)
	h.srv.ClearFaults()
	d := h.forceSync()
	if ready(d).Reason != dirsyncv1alpha1.ReasonSynced || d.Status.ConsecutiveFailures != 0 {
		h.t.Fatalf("after recovery: %+v failures %d", ready(d), d.Status.ConsecutiveFailures)
	}
	h.expectMatchesProvider()
}

func scenarioSecretRotation(h *harness) {
	h.waitReason(dirsyncv1alpha1.ReasonSynced)
	h.srv.SetAPIKey("the-new-key")
	h.forceSync()
	h.waitReason(dirsyncv1alpha1.ReasonInvalidCredentials)
	secret := &corev1.Secret{}
	must(h.t, k8sClient.Get(h.ctx, client.ObjectKey{Namespace: h.ns, Name: "hr-key"}, secret))
	secret.Data["apiKey"] = []byte("the-new-key")
	must(h.t, k8sClient.Update(h.ctx, secret))
	// No annotation, no clock step: the Secret's metadata watch alone triggers the sync.
	d := h.waitReason(dirsyncv1alpha1.ReasonSynced)
	if d.Status.LastAttemptedSecretVersion != secret.ResourceVersion {
		h.t.Fatalf("last attempt used Secret version %s, want %s", d.Status.LastAttemptedSecretVersion, secret.ResourceVersion)
	}
}

func scenarioSecretDeleted(h *harness) {
	h.waitReason(dirsyncv1alpha1.ReasonSynced)
	n := len(h.users())
	secret := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: h.ns, Name: "hr-key"}}
	must(h.t, k8sClient.Delete(h.ctx, secret))
	d := h.waitReason(dirsyncv1alpha1.ReasonSecretNotFound)
	if !strings.Contains(ready(d).Message, "hr-key") || len(h.users()) != n {
		h.t.Fatalf("SecretNotFound: message %q, %d of %d users", ready(d).Message, len(h.users()), n)
	}
	must(h.t, k8sClient.Create(h.ctx, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: h.ns, Name: "hr-key"},
		StringData: map[string]string{"apiKey": h.srv.APIKey()}}))
	h.waitReason(dirsyncv1alpha1.ReasonSynced)
}

func scenarioAnnotation(h *harness) {
	first := h.waitReason(dirsyncv1alpha1.ReasonSynced)
	before := h.srv.Requests()
	d := h.forceSync()
	if h.srv.Requests() <= before {
		h.t.Fatal("the annotation did not make a provider request")
	}
	if !d.Status.LastSyncTime.Equal(first.Status.LastSyncTime) && d.Status.LastSyncTime.Before(first.Status.LastSyncTime) {
		h.t.Fatal("lastSyncTime went backwards")
	}
}

func scenarioNoopResync(h *harness) {
	h.waitReason(dirsyncv1alpha1.ReasonSynced)
	total := len(h.users()) + len(h.groups())
	w := writes.count(h.ns)
	d := h.forceSync()
	if got := writes.count(h.ns) - w; got != 0 {
		h.t.Fatalf("an unchanged resync made %d writes to users and groups", got)
	}
	want := dirsyncv1alpha1.SyncChanges{Unchanged: int32(total)}
	if diff := cmp.Diff(want, *d.Status.LastSyncChanges); diff != "" {
		h.t.Fatalf("lastSyncChanges (-want +got):\n%s", diff)
	}
}

// touchUser changes a label on one user (an event the controller sees through Owns) and waits until
// the controller has reconciled at least once more.
func touchUser(h *harness, value string) {
	h.t.Helper()
	before := reconciles(h.t, "directory")
	for _, u := range h.users() {
		patch := client.MergeFrom(u.DeepCopy())
		u.Labels["example.com/touched"] = value
		must(h.t, k8sClient.Patch(h.ctx, &u, patch))
		break
	}
	eventually(h.t, 10*time.Second, func() (bool, string) {
		return reconciles(h.t, "directory") > before, "no reconcile after a child event"
	})
}

func scenarioSchedule(h *harness) {
	d := h.waitReason(dirsyncv1alpha1.ReasonSynced)
	requests := h.srv.Requests()
	touchUser(h, "1")
	if h.srv.Requests() != requests {
		h.t.Fatal("a child event called the provider before the schedule was due")
	}
	if again := h.directory(); !again.Status.NextSyncTime.Equal(d.Status.NextSyncTime) {
		h.t.Fatalf("a child event moved nextSyncTime from %v to %v", d.Status.NextSyncTime, again.Status.NextSyncTime)
	}
	testClock.SetTime(d.Status.NextSyncTime.Add(time.Second))
	touchUser(h, "2")
	eventually(h.t, 10*time.Second, func() (bool, string) {
		now := h.directory()
		return now.Status.LastSyncTime.After(d.Status.LastSyncTime.Time),
			fmt.Sprintf("lastSyncTime still %v after the schedule was due", now.Status.LastSyncTime)
	})
	if h.srv.Requests() <= requests {
		h.t.Fatal("the scheduled sync made no provider request")
	}
	now := h.directory()
	if !now.Status.NextSyncTime.Time.Equal(now.Status.LastSyncTime.Add(30 * time.Minute)) {
		h.t.Fatalf("nextSyncTime %v is not lastSyncTime %v + 30m", now.Status.NextSyncTime, now.Status.LastSyncTime)
	}
}

func scenarioForeignWrite(h *harness) {
	h.waitReason(dirsyncv1alpha1.ReasonSynced)
	id := anEmployee(h)
	u := h.users()[id]
	want := u.Spec.JobTitle
	patch := client.MergeFrom(u.DeepCopy())
	u.Spec.JobTitle = "Chief Intruder"
	must(h.t, k8sClient.Patch(h.ctx, &u, patch))
	requests := h.srv.Requests()
	touchUser(h, "x") // the foreign write alone must not start a sync (no hot loop)
	if h.srv.Requests() != requests {
		h.t.Fatal("another writer's change made the operator call the provider before the next sync")
	}
	h.forceSync()
	if got := h.users()[id].Spec.JobTitle; got != want {
		h.t.Fatalf("jobTitle = %q after the next sync, want %q restored", got, want)
	}
}

func scenarioDeletedByHand(h *harness) {
	h.waitReason(dirsyncv1alpha1.ReasonSynced)
	id := anEmployee(h)
	u := h.users()[id]
	must(h.t, k8sClient.Delete(h.ctx, &u))
	eventually(h.t, 10*time.Second, func() (bool, string) {
		_, ok := h.users()[id]
		return !ok, "user not gone yet"
	})
	h.forceSync()
	if got, ok := h.users()[id]; !ok || got.UID == u.UID {
		h.t.Fatalf("user %s was not recreated", id)
	}
	h.expectMatchesProvider()
}

func scenarioSuspend(h *harness) {
	d := h.waitReason(dirsyncv1alpha1.ReasonSynced)
	n := len(h.users())
	update(h.t, d, func(d *dirsyncv1alpha1.Directory) { d.Spec.Suspend = ptr.To(true) })
	eventually(h.t, 10*time.Second, func() (bool, string) {
		c := ready(h.directory())
		return c.Reason == dirsyncv1alpha1.ReasonSuspended, fmt.Sprintf("Ready reason %s", c.Reason)
	})
	requests := h.srv.Requests()
	h.srv.Update(func(c *fakehr.Company) { c.Employees = nil })
	touchUser(h, "suspended")
	if h.srv.Requests() != requests || len(h.users()) != n {
		h.t.Fatal("a suspended Directory called the provider or changed objects")
	}
	update(h.t, h.directory(), func(d *dirsyncv1alpha1.Directory) { d.Spec.Suspend = ptr.To(false) })
	h.waitReason(dirsyncv1alpha1.ReasonDeletionGuardTriggered) // resumes: the now-empty answer is held
}
