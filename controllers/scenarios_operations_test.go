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
	"strings"
	"time"

	"k8s.io/utils/ptr"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/watch"
	"sigs.k8s.io/controller-runtime/pkg/client"

	dirsyncv1alpha1 "github.com/dirsync/dirsync/api/v1alpha1"
	"github.com/dirsync/dirsync/internal/provider/fakehr"
)

// Day-2 operations (issue 11): preview, approval of held deletions, and progress.

func dryRunAtCreation(d *dirsyncv1alpha1.Directory) { d.Spec.DryRun = ptr.To(true) }

func scenarioDryRun(h *harness) {
	d := h.waitReason(dirsyncv1alpha1.ReasonDryRun)
	if n := len(h.users()) + len(h.groups()); n != 0 || writes.count(h.ns) != 0 {
		h.t.Fatalf("a Directory created with dryRun wrote %d objects (%d writes)", n, writes.count(h.ns))
	}
	plan := d.Status.Plan
	if plan == nil || plan.Update+plan.Delete+plan.Held != 0 || plan.GuardWouldHold || len(plan.Examples.Create) != maxExamples {
		h.t.Fatalf("plan = %+v", plan)
	}
	if !strings.HasPrefix(plan.Summary, "would create ") || !strings.HasSuffix(plan.Summary, ", update 0, delete 0") ||
		!strings.Contains(ready(d).Message, plan.Summary) || ready(d).Status != metav1.ConditionFalse {
		h.t.Fatalf("summary %q, Ready %+v", plan.Summary, ready(d))
	}
	h.waitEvent(dirsyncv1alpha1.ReasonDryRun)
	h.forceSync() // the same plan again: no second Event
	if n := countEvents(h, dirsyncv1alpha1.ReasonDryRun); n != 1 {
		h.t.Fatalf("%d DryRun Events for one distinct plan", n)
	}
	if writes.count(h.ns) != 0 {
		h.t.Fatal("a dry run wrote a user or group")
	}
	update(h.t, h.directory(), func(d *dirsyncv1alpha1.Directory) { d.Spec.DryRun = ptr.To(false) })
	d = h.waitReason(dirsyncv1alpha1.ReasonSynced)
	if d.Status.Plan != nil {
		h.t.Fatalf("plan still shown after dryRun was turned off: %+v", d.Status.Plan)
	}
	users, groups := len(h.users()), len(h.groups())
	if want := fmt.Sprintf("would create %d users and %d groups, update 0, delete 0", users, groups); plan.Summary != want || int(plan.Create) != users+groups {
		h.t.Fatalf("the plan said %q (%d creates); applying created %d users and %d groups", plan.Summary, plan.Create, users, groups)
	}
	h.expectMatchesProvider()
}

// removeHalf removes half of the employees from the fake and returns their ids.
func removeHalf(h *harness) map[string]bool {
	all := h.srv.Company().Employees
	removed := map[string]bool{}
	h.srv.Update(func(c *fakehr.Company) {
		for _, e := range all[:len(all)/2] {
			c.RemoveEmployee(e.ID)
			removed[e.ID] = true
		}
	})
	return removed
}

func scenarioDryRunEvaluatesTheGuard(h *harness) {
	h.waitReason(dirsyncv1alpha1.ReasonSynced)
	n := len(h.users())
	removed := removeHalf(h)
	w := writes.count(h.ns)
	d := syncWith(h, func(d *dirsyncv1alpha1.Directory) { d.Spec.DryRun = ptr.To(true) })
	plan := d.Status.Plan
	if ready(d).Reason != dirsyncv1alpha1.ReasonDryRun || plan == nil || !plan.GuardWouldHold || int(plan.Held) < len(removed) || plan.Delete != 0 {
		h.t.Fatalf("Ready %+v, plan %+v; want the guard to hold %d deletions", ready(d), plan, len(removed))
	}
	if !strings.Contains(plan.Summary, "the deletion guard would hold") || writes.count(h.ns) != w || len(h.users()) != n {
		h.t.Fatalf("summary %q; a dry run wrote %d times", plan.Summary, writes.count(h.ns)-w)
	}
}

func scenarioApproveHeldDeletions(h *harness) {
	h.waitReason(dirsyncv1alpha1.ReasonSynced)
	all := len(h.users())
	removed := removeHalf(h)
	h.forceSync()
	d := h.waitReason(dirsyncv1alpha1.ReasonDeletionGuardTriggered)
	held := d.Status.HeldDeletions
	if held == nil || int(held.Users) != len(removed) || held.ApprovalToken == "" || len(held.Names) == 0 || len(held.Names) > 20 {
		h.t.Fatalf("heldDeletions = %+v, want %d users", held, len(removed))
	}

	// A token that is not the held set's deletes nothing and says why.
	approve(h, "not-the-token")
	h.waitEvent("ApprovalRejected")
	if len(h.users()) != all {
		h.t.Fatal("a wrong token deleted users")
	}

	// The provider changes meanwhile: the old token no longer matches.
	stale := held.ApprovalToken
	h.srv.Update(func(c *fakehr.Company) { c.RemoveEmployee(c.Employees[0].ID) })
	d = approve(h, stale)
	if len(h.users()) != all || d.Status.LastApproval != nil || d.Status.HeldDeletions.ApprovalToken == stale {
		h.t.Fatalf("a stale token released deletions: %d of %d users, lastApproval %+v", len(h.users()), all, d.Status.LastApproval)
	}

	// The exact held set's token deletes exactly it, once.
	token := d.Status.HeldDeletions.ApprovalToken
	heldAt := d.Status.LastSyncTime
	d = approve(h, token)
	if ready(d).Reason != dirsyncv1alpha1.ReasonSynced || d.Status.HeldDeletions != nil || d.Status.LastApproval == nil ||
		d.Status.LastApproval.Token != token || int(d.Status.LastApproval.Users) != len(removed)+1 {
		h.t.Fatalf("after approval: Ready %+v, held %+v, lastApproval %+v", ready(d), d.Status.HeldDeletions, d.Status.LastApproval)
	}
	if at := d.Status.LastApproval.ApprovedAt; at.IsZero() || at.Before(heldAt) {
		h.t.Fatalf("lastApproval.approvedAt = %v, want the approving sync's time, not before the held sync's %v", at, heldAt)
	}
	h.waitEvent("DeletionsApproved")
	h.expectMatchesProvider()

	// Used once: the annotation still carries the token, but a new mass removal is held again.
	removeHalf(h)
	h.forceSync()
	d = h.waitReason(dirsyncv1alpha1.ReasonDeletionGuardTriggered)
	if d.Status.LastApproval.Token != token || d.Annotations[dirsyncv1alpha1.AnnotationApproveDeletions] != token {
		h.t.Fatalf("lastApproval %+v", d.Status.LastApproval)
	}
}

// approve sets the approve-deletions annotation and waits until a sync has answered it.
func approve(h *harness, token string) *dirsyncv1alpha1.Directory {
	h.t.Helper()
	d := h.directory()
	patch := client.MergeFrom(d.DeepCopy())
	if d.Annotations == nil {
		d.Annotations = map[string]string{}
	}
	d.Annotations[dirsyncv1alpha1.AnnotationApproveDeletions] = token
	must(h.t, k8sClient.Patch(h.ctx, d, patch))
	eventually(h.t, 30*time.Second, func() (bool, string) {
		d = h.directory()
		return d.Status.LastHandledApproval == token, "approval " + token + " not answered yet"
	})
	return d
}

// A slow sync shows Syncing=True with what it is doing, then ends with Syncing=False; the test watches
// the Directory so it sees every status the server had.
func scenarioProgress(h *harness) {
	h.waitReason(dirsyncv1alpha1.ReasonSynced)
	w, err := watchClient.Watch(h.ctx, &dirsyncv1alpha1.DirectoryList{}, client.InNamespace(h.ns))
	must(h.t, err)
	defer w.Stop()
	h.srv.InjectFault(fakehr.Fault{Kind: fakehr.FaultSlowBody, Delay: 3 * testProgressEvery, Times: 1})
	value := nextValue()
	d := h.directory()
	patch := client.MergeFrom(d.DeepCopy())
	if d.Annotations == nil {
		d.Annotations = map[string]string{}
	}
	d.Annotations[dirsyncv1alpha1.AnnotationSyncRequestedAt] = value
	must(h.t, k8sClient.Patch(h.ctx, d, patch))
	var seen []string
	timeout := time.After(30 * time.Second)
	for {
		select {
		case ev := <-w.ResultChan():
			if ev.Type != watch.Modified {
				continue
			}
			d := ev.Object.(*dirsyncv1alpha1.Directory)
			c := meta.FindStatusCondition(d.Status.Conditions, dirsyncv1alpha1.ConditionSyncing)
			if c != nil && c.Status == metav1.ConditionTrue {
				seen = append(seen, c.Reason+": "+c.Message)
			}
			if d.Status.LastHandledSyncRequest == value && c != nil && c.Status == metav1.ConditionFalse {
				if len(seen) == 0 || !strings.Contains(seen[0], "Reading") {
					h.t.Fatalf("a slow sync never showed Syncing=True with its progress; saw %v", seen)
				}
				if ready(d).Reason != dirsyncv1alpha1.ReasonSynced {
					h.t.Fatalf("Ready = %+v", ready(d))
				}
				return
			}
		case <-timeout:
			h.t.Fatalf("the slow sync did not finish; Syncing messages seen: %v", seen)
		}
	}
}

// directoryWrites counts the status writes a quick, unchanged resync makes to its Directory: one.
func scenarioQuickResyncWritesOneStatus(h *harness) {
	h.waitReason(dirsyncv1alpha1.ReasonSynced)
	w, s := writes.count(h.ns), writes.statusCount(h.ns)
	h.forceSync()
	if got := writes.count(h.ns) - w; got != 0 {
		h.t.Fatalf("an unchanged resync made %d writes to users and groups", got)
	}
	if got := writes.statusCount(h.ns) - s; got != 1 {
		h.t.Fatalf("an unchanged resync made %d Directory status writes, want 1", got)
	}
}
