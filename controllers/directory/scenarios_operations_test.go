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
	"strings"
	"time"

	"k8s.io/utils/ptr"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/watch"
	"sigs.k8s.io/controller-runtime/pkg/client"

	dirsyncv1alpha1 "github.com/dirsync/dirsync/api/v1alpha1"
	"github.com/dirsync/dirsync/controllers/directory/directorytest"
	"github.com/dirsync/dirsync/controllers/internal/verdict"
	"github.com/dirsync/dirsync/internal/provider/fakehr"
	"github.com/dirsync/dirsync/internal/testenv"
)

// Day-2 operations (issue 11): preview, approval of held deletions, and progress.

func dryRunAtCreation(d *dirsyncv1alpha1.Directory) { d.Spec.DryRun = ptr.To(true) }

func scenarioDryRun(h *harness) {
	d := h.WaitReason(dirsyncv1alpha1.ReasonDryRun)
	if n := len(h.Users()) + len(h.Groups()); n != 0 || writes.count(h.NS) != 0 {
		h.T.Fatalf("a Directory created with dryRun wrote %d objects (%d writes)", n, writes.count(h.NS))
	}
	plan := d.Status.Plan
	if plan == nil || plan.Update+plan.Delete+plan.Held != 0 || plan.GuardWouldHold || len(plan.Examples.Create) != maxExamples {
		h.T.Fatalf("plan = %+v", plan)
	}
	if !strings.HasPrefix(plan.Summary, "would create ") || !strings.HasSuffix(plan.Summary, ", update 0, delete 0") ||
		!strings.Contains(verdict.Ready(d).Message, plan.Summary) || verdict.Ready(d).Status != metav1.ConditionFalse {
		h.T.Fatalf("summary %q, Ready %+v", plan.Summary, verdict.Ready(d))
	}
	h.WaitEvent(dirsyncv1alpha1.ReasonDryRun)
	h.ForceSync() // the same plan again: no second Event
	if n := countEvents(h, dirsyncv1alpha1.ReasonDryRun); n != 1 {
		h.T.Fatalf("%d DryRun Events for one distinct plan", n)
	}
	if writes.count(h.NS) != 0 {
		h.T.Fatal("a dry run wrote a user or group")
	}
	testenv.Update(h.T, k8sClient, h.Directory(), func(d *dirsyncv1alpha1.Directory) { d.Spec.DryRun = ptr.To(false) })
	d = h.WaitReason(dirsyncv1alpha1.ReasonSynced)
	if d.Status.Plan != nil {
		h.T.Fatalf("plan still shown after dryRun was turned off: %+v", d.Status.Plan)
	}
	users, groups := len(h.Users()), len(h.Groups())
	if want := fmt.Sprintf("would create %d users and %d groups, update 0, delete 0", users, groups); plan.Summary != want || int(plan.Create) != users+groups {
		h.T.Fatalf("the plan said %q (%d creates); applying created %d users and %d groups", plan.Summary, plan.Create, users, groups)
	}
	h.expectMatchesProvider()
}

// removeHalf removes half of the employees from the fake and returns their ids.
func removeHalf(h *harness) map[string]bool {
	all := h.Srv.Company().Employees
	removed := map[string]bool{}
	h.Srv.Update(func(c *fakehr.Company) {
		for _, e := range all[:len(all)/2] {
			c.RemoveEmployee(e.ID)
			removed[e.ID] = true
		}
	})
	return removed
}

func scenarioDryRunEvaluatesTheGuard(h *harness) {
	h.WaitReason(dirsyncv1alpha1.ReasonSynced)
	n := len(h.Users())
	removed := removeHalf(h)
	w := writes.count(h.NS)
	d := h.SyncWith(func(d *dirsyncv1alpha1.Directory) { d.Spec.DryRun = ptr.To(true) })
	plan := d.Status.Plan
	if verdict.Ready(d).Reason != dirsyncv1alpha1.ReasonDryRun || plan == nil || !plan.GuardWouldHold || int(plan.Held) < len(removed) || plan.Delete != 0 {
		h.T.Fatalf("Ready %+v, plan %+v; want the guard to hold %d deletions", verdict.Ready(d), plan, len(removed))
	}
	if !strings.Contains(plan.Summary, "the deletion guard would hold") || writes.count(h.NS) != w || len(h.Users()) != n {
		h.T.Fatalf("summary %q; a dry run wrote %d times", plan.Summary, writes.count(h.NS)-w)
	}
}

func scenarioApproveHeldDeletions(h *harness) {
	h.WaitReason(dirsyncv1alpha1.ReasonSynced)
	all := len(h.Users())
	removed := removeHalf(h)
	h.ForceSync()
	d := h.WaitReason(dirsyncv1alpha1.ReasonDeletionGuardTriggered)
	held := d.Status.HeldDeletions
	if held == nil || int(held.Users) != len(removed) || held.ApprovalToken == "" || len(held.Names) == 0 || len(held.Names) > 20 {
		h.T.Fatalf("heldDeletions = %+v, want %d users", held, len(removed))
	}

	// A token that is not the held set's deletes nothing and says why.
	approve(h, "not-the-token")
	h.WaitEvent("ApprovalRejected")
	if len(h.Users()) != all {
		h.T.Fatal("a wrong token deleted users")
	}

	// The provider changes meanwhile: the old token no longer matches.
	stale := held.ApprovalToken
	h.Srv.Update(func(c *fakehr.Company) { c.RemoveEmployee(c.Employees[0].ID) })
	d = approve(h, stale)
	if len(h.Users()) != all || d.Status.LastApproval != nil || d.Status.HeldDeletions.ApprovalToken == stale {
		h.T.Fatalf("a stale token released deletions: %d of %d users, lastApproval %+v", len(h.Users()), all, d.Status.LastApproval)
	}

	// The exact held set's token deletes exactly it, once.
	token := d.Status.HeldDeletions.ApprovalToken
	heldAt := d.Status.LastSyncTime
	d = approve(h, token)
	if verdict.Ready(d).Reason != dirsyncv1alpha1.ReasonSynced || d.Status.HeldDeletions != nil || d.Status.LastApproval == nil ||
		d.Status.LastApproval.Token != token || int(d.Status.LastApproval.Users) != len(removed)+1 {
		h.T.Fatalf("after approval: Ready %+v, held %+v, lastApproval %+v", verdict.Ready(d), d.Status.HeldDeletions, d.Status.LastApproval)
	}
	if at := d.Status.LastApproval.ApprovedAt; at.IsZero() || at.Before(heldAt) {
		h.T.Fatalf("lastApproval.approvedAt = %v, want the approving sync's time, not before the held sync's %v", at, heldAt)
	}
	h.WaitEvent("DeletionsApproved")
	h.expectMatchesProvider()

	// Used once: the annotation still carries the token, but a new mass removal is held again.
	removeHalf(h)
	h.ForceSync()
	d = h.WaitReason(dirsyncv1alpha1.ReasonDeletionGuardTriggered)
	if d.Status.LastApproval.Token != token || d.Annotations[dirsyncv1alpha1.AnnotationApproveDeletions] != token {
		h.T.Fatalf("lastApproval %+v", d.Status.LastApproval)
	}
}

// approve sets the approve-deletions annotation and waits until a sync has answered it.
func approve(h *harness, token string) *dirsyncv1alpha1.Directory {
	h.T.Helper()
	d := h.Directory()
	patch := client.MergeFrom(d.DeepCopy())
	if d.Annotations == nil {
		d.Annotations = map[string]string{}
	}
	d.Annotations[dirsyncv1alpha1.AnnotationApproveDeletions] = token
	must(h.T, k8sClient.Patch(h.Ctx, d, patch))
	testenv.Eventually(h.T, 30*time.Second, func() (bool, string) {
		d = h.Directory()
		return d.Status.LastHandledApproval == token, "approval " + token + " not answered yet"
	})
	return d
}

// A slow sync shows Syncing=True with what it is doing, then ends with Syncing=False; the test watches
// the Directory so it sees every status the server had.
func scenarioProgress(h *harness) {
	h.WaitReason(dirsyncv1alpha1.ReasonSynced)
	w, err := watchClient.Watch(h.Ctx, &dirsyncv1alpha1.DirectoryList{}, client.InNamespace(h.NS))
	must(h.T, err)
	defer w.Stop()
	h.Srv.InjectFault(fakehr.Fault{Kind: fakehr.FaultSlowBody, Delay: 3 * testProgressEvery, Times: 1})
	value := directorytest.NextValue()
	d := h.Directory()
	patch := client.MergeFrom(d.DeepCopy())
	if d.Annotations == nil {
		d.Annotations = map[string]string{}
	}
	d.Annotations[dirsyncv1alpha1.AnnotationSyncRequestedAt] = value
	must(h.T, k8sClient.Patch(h.Ctx, d, patch))
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
					h.T.Fatalf("a slow sync never showed Syncing=True with its progress; saw %v", seen)
				}
				if verdict.Ready(d).Reason != dirsyncv1alpha1.ReasonSynced {
					h.T.Fatalf("Ready = %+v", verdict.Ready(d))
				}
				return
			}
		case <-timeout:
			h.T.Fatalf("the slow sync did not finish; Syncing messages seen: %v", seen)
		}
	}
}

// directoryWrites counts the status writes a quick, unchanged resync makes to its Directory: one.
func scenarioQuickResyncWritesOneStatus(h *harness) {
	h.WaitReason(dirsyncv1alpha1.ReasonSynced)
	w, s := writes.count(h.NS), writes.statusCount(h.NS)
	h.ForceSync()
	if got := writes.count(h.NS) - w; got != 0 {
		h.T.Fatalf("an unchanged resync made %d writes to users and groups", got)
	}
	if got := writes.statusCount(h.NS) - s; got != 1 {
		h.T.Fatalf("an unchanged resync made %d Directory status writes, want 1", got)
	}
}
