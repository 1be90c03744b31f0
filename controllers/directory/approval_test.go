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
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	dirsyncv1alpha1 "github.com/dirsync/dirsync/api/v1alpha1"
	"github.com/dirsync/dirsync/internal/provider"
)

// The README's approval of held deletions: annotating dirsync.io/approve-deletions with
// status.heldDeletions.approvalToken releases exactly that held set, once, recorded in
// status.lastApproval; any other token deletes nothing; either way the token is answered
// (status.lastHandledApproval). A dry run answers no approval, and a token when nothing is held is
// answered as not needed.
func TestDecideGuardAnswersApprovals(t *testing.T) {
	now := timeZero.Add(90 * time.Minute).Add(700 * time.Millisecond)
	written := testDirectory(dirsyncv1alpha1.InactiveUserPolicyKeep)
	ex := materialized(testDesired(t, written, testSnapshot())) // 4 users, 3 groups
	empty := testSnapshot()
	empty.Employees = nil // the provider answers no one: every user and acme-99 depart, the guard holds
	// The token an administrator reads from status.heldDeletions after the first held sync.
	d := testDesiredAgainst(t, written, empty, ex)
	first := decideGuard(written.DeepCopy(), d, ex, departedFrom(d, ex), now)
	if !first.hold || first.held == nil || first.held.Users != 4 || first.held.Groups != 1 || first.approval != approvalNone {
		t.Fatalf("an empty answer: %+v, want 4 users and 1 group held and no approval", first)
	}
	token := first.held.ApprovalToken
	tests := []struct {
		name        string
		snapshot    *provider.Snapshot
		annotation  string
		handled     string // status.lastHandledApproval before the sync
		dryRun      bool
		wantHold    bool
		wantAnswer  approvalAnswer
		wantHandled string
		wantLast    *dirsyncv1alpha1.DeletionApproval
	}{
		{name: "no token: held", snapshot: empty, wantHold: true},
		{name: "the held set's token releases it, once, and is recorded", snapshot: empty, annotation: token,
			wantAnswer: approvalAccepted, wantHandled: token,
			wantLast: &dirsyncv1alpha1.DeletionApproval{Token: token, ApprovedAt: metav1.NewTime(timeZero.Add(90 * time.Minute)), Users: 4, Groups: 1}},
		{name: "another token deletes nothing", snapshot: empty, annotation: "0123456789ab", wantHold: true, wantAnswer: approvalRejected,
			wantHandled: "0123456789ab"},
		{name: "a token already answered is not answered again", snapshot: empty, annotation: token, handled: token, wantHold: true,
			wantHandled: token},
		{name: "a dry run answers no approval", snapshot: empty, annotation: token, dryRun: true, wantHold: true},
		{name: "a token when nothing is held is not needed", snapshot: testSnapshot(), annotation: token, wantAnswer: approvalNotNeeded,
			wantHandled: token},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := written.DeepCopy()
			if tt.annotation != "" {
				dir.Annotations = map[string]string{dirsyncv1alpha1.AnnotationApproveDeletions: tt.annotation}
			}
			dir.Status.LastHandledApproval = tt.handled
			if tt.dryRun {
				dir.Spec.DryRun = ptr.To(true)
			}
			d := testDesiredAgainst(t, dir, tt.snapshot, ex)
			g := decideGuard(dir, d, ex, departedFrom(d, ex), now)
			if g.hold != tt.wantHold || g.approval != tt.wantAnswer || dir.Status.LastHandledApproval != tt.wantHandled {
				t.Errorf("hold %v, answer %d, lastHandledApproval %q; want %v, %d, %q", g.hold, g.approval, dir.Status.LastHandledApproval,
					tt.wantHold, tt.wantAnswer, tt.wantHandled)
			}
			if diff := cmp.Diff(tt.wantLast, dir.Status.LastApproval); diff != "" {
				t.Errorf("lastApproval (-want +got):\n%s", diff)
			}
			wantToken := "" // the token this sync answered, for the Event
			if tt.wantAnswer != approvalNone {
				wantToken = tt.annotation
			}
			if g.token != wantToken {
				t.Errorf("answered token %q, want %q", g.token, wantToken)
			}
			if g.hold && (g.held == nil || g.held.ApprovalToken != token || g.message == "") {
				t.Errorf("held %+v with message %q; want the held set, its token and why", g.held, g.message)
			}
		})
	}
}

// A held set can be groups alone (a kind vanishing, a reorganisation): status.heldDeletions then counts
// no user, names the groups sorted, and its token still names exactly that set.
func TestHeldDeletionsOfGroupsOnly(t *testing.T) {
	var dep departed
	for _, name := range []string{"acme-location-3", "acme-location-1", "acme-location-2"} {
		g := &dirsyncv1alpha1.DirectoryGroup{}
		g.Name, g.Spec.Type, g.Spec.ExternalID = name, dirsyncv1alpha1.GroupTypeLocation, name[len(name)-1:]
		dep.groups = append(dep.groups, g)
	}
	h := heldDeletions(dep)
	if h.Users != 0 || h.Groups != 3 || !cmp.Equal(h.Names, []string{"acme-location-1", "acme-location-2", "acme-location-3"}) || len(h.ApprovalToken) != tokenLength {
		t.Fatalf("heldDeletions = %+v; want 0 users, 3 groups named in order, a token", h)
	}
	dep.groups = dep.groups[1:]
	if heldDeletions(dep).ApprovalToken == h.ApprovalToken {
		t.Error("one group fewer gave the same token")
	}
}
