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
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	dirsyncv1alpha1 "github.com/dirsync/dirsync/api/v1alpha1"
	"github.com/dirsync/dirsync/controllers/internal/verdict"
)

// tokenLength is how many hex characters of the held set's hash make its approval token.
const tokenLength = 12

// departed is what a Directory controls that the provider's data no longer calls for: computed once per
// sync, then counted by the guard, kept in groups while held, and turned into deletions or holds.
type departed struct {
	users  []*dirsyncv1alpha1.DirectoryUser
	groups []*dirsyncv1alpha1.DirectoryGroup
}

// departedFrom lists the existing objects whose names desired does not have.
func departedFrom(d desiredState, ch children) departed {
	var out departed
	for _, u := range ch.users {
		if !d.wantsUser(u.Name) {
			out.users = append(out.users, u)
		}
	}
	for _, g := range ch.groups {
		if _, ok := d.groups[g.Name]; !ok {
			out.groups = append(out.groups, g)
		}
	}
	return out
}

// guardInput is what the deletion guard decides on: counts only.
type guardInput struct {
	existingUsers, departingUsers   int
	existingGroups, departingGroups int
	// returned is how many employees the provider returned.
	returned int
	// vanished are the group kinds still in spec.groupBy of which groups exist but the provider's data
	// now has none (see vanishedKinds).
	vanished         []dirsyncv1alpha1.GroupType
	maxDeletePercent int32
}

// vanishedKinds lists, in groupBy order, the kinds of groupBy that have existing groups but no desired
// one: the provider stopped sending that attribute for everyone, which is how a whole kind vanishes by
// accident. A kind removed from groupBy is not listed: that removal is asked for, and the percentage
// rule weighs it. Groups written before group kinds existed have no type and are departments.
func vanishedKinds(groupBy []dirsyncv1alpha1.GroupType, ch children, d desiredState) []dirsyncv1alpha1.GroupType {
	existingOf, desiredOf := map[dirsyncv1alpha1.GroupType]int{}, map[dirsyncv1alpha1.GroupType]int{}
	for _, g := range ch.groups {
		existingOf[typeOrDepartment(g.Spec.Type)]++
	}
	for _, g := range d.groups {
		desiredOf[typeOrDepartment(g.Spec.Type)]++
	}
	var out []dirsyncv1alpha1.GroupType
	for _, k := range groupBy {
		if existingOf[k] > 0 && desiredOf[k] == 0 {
			out = append(out, k)
		}
	}
	return out
}

// guardHolds says whether the deletion guard holds every deletion of a sync, and why. It holds when
// users would go and either the provider returned no employees, or maxDeletePercent is 0, or more than
// maxDeletePercent of the existing users and more than verdict.GuardFloor users would go. When only groups would
// go (a department restructure, or a group kind removed from spec.groupBy), the same percentage rule
// applies to groups. Whatever the counts, it holds when a kind still in spec.groupBy would lose every
// group (vanished): a whole kind vanishing is a provider accident until someone approves it.
// maxDeletePercent 100 disables the guard.
func guardHolds(in guardInput) (bool, string) {
	if in.maxDeletePercent >= 100 || in.departingUsers+in.departingGroups == 0 {
		return false, ""
	}
	pct := int(in.maxDeletePercent)
	switch {
	case in.departingUsers > 0 && in.returned == 0:
		return true, "The provider returned no employees while users exist, so no user or group was deleted. " +
			"If the directory really is empty, approve the held deletions (status.heldDeletions) or set spec.deletionGuard.maxDeletePercent to 100 for one sync."
	case pct == 0:
		return true, "spec.deletionGuard.maxDeletePercent is 0, so no user or group was deleted. " +
			"Approve the held deletions (status.heldDeletions) or raise maxDeletePercent to let removals through."
	case len(in.vanished) > 0:
		kinds := make([]string, len(in.vanished))
		for i, k := range in.vanished {
			kinds[i] = string(k)
		}
		return true, fmt.Sprintf("The provider's data has no %s groups any more while spec.groupBy still asks for them, so no user or group was deleted. "+
			"Check the HR system; if that is right, approve the held deletions (status.heldDeletions) or remove the kind from spec.groupBy.",
			strings.Join(kinds, " or "))
	case in.departingUsers > 0:
		if verdict.GuardHolds(in.departingUsers, in.existingUsers, in.maxDeletePercent) {
			return true, fmt.Sprintf("The provider no longer returns more than %d%% of the existing users, so no user or group was deleted. "+
				"Check the HR system; if the removals are right, approve them (status.heldDeletions) or raise spec.deletionGuard.maxDeletePercent.", pct)
		}
	case verdict.GuardHolds(in.departingGroups, in.existingGroups, in.maxDeletePercent):
		return true, fmt.Sprintf("More than %d%% of the existing groups would be deleted (a provider change, or a kind removed from spec.groupBy), "+
			"so no group was deleted. If that is right, approve the held deletions (status.heldDeletions) or raise spec.deletionGuard.maxDeletePercent.", pct)
	}
	return false, ""
}

// guardDecision is what the deletion guard and any approval decided for one sync.
type guardDecision struct {
	// hold is true when departed objects stay, marked RemovedFromProvider.
	hold    bool
	message string
	// held describes the held set (also when an approval released it, for the record).
	held *dirsyncv1alpha1.HeldDeletions
	// approval is the answer to a dirsync.io/approve-deletions token no sync had answered (token).
	approval approvalAnswer
	token    string
}

// approvalAnswer is how a sync answered an approval of held deletions.
type approvalAnswer int

const (
	approvalNone      approvalAnswer = iota // no new token
	approvalNotNeeded                       // the guard holds nothing now
	approvalRejected                        // the token is not the held set's
	approvalAccepted                        // the token released exactly the held set
)

// decideGuard asks the deletion guard about the departed set and answers a pending approval: a token
// that matches the held set releases it (once), recorded in status.lastApproval; any other token deletes
// nothing. Either way the token is answered (status.lastHandledApproval); the caller says why in an Event.
// A dry run answers no approval.
func decideGuard(dir *dirsyncv1alpha1.Directory, d desiredState, ch children, dep departed, now time.Time) guardDecision {
	hold, msg := guardHolds(guardInput{
		existingUsers: len(ch.users), departingUsers: len(dep.users),
		existingGroups: len(ch.groups), departingGroups: len(dep.groups),
		returned: d.returned, vanished: vanishedKinds(dir.GroupByOrDefault(), ch, d),
		maxDeletePercent: dir.MaxDeletePercentOrDefault(),
	})
	g := guardDecision{hold: hold, message: msg}
	if hold {
		g.held = heldDeletions(dep)
	}
	token := dir.Annotations[dirsyncv1alpha1.AnnotationApproveDeletions]
	if token == "" || token == dir.Status.LastHandledApproval || dir.IsDryRun() {
		return g
	}
	dir.Status.LastHandledApproval, g.token = token, token
	switch {
	case !hold:
		g.approval = approvalNotNeeded
	case token != g.held.ApprovalToken:
		g.approval = approvalRejected
	default:
		g.hold, g.approval = false, approvalAccepted
		dir.Status.LastApproval = &dirsyncv1alpha1.DeletionApproval{Token: token, ApprovedAt: metav1.NewTime(now.Truncate(time.Second)),
			Users: g.held.Users, Groups: g.held.Groups}
	}
	return g
}

// keepHeldMemberships puts every departed user back into the members of the desired groups its spec
// names. When the guard holds a user's deletion, the user then stays as it was on both sides: its
// object, and its membership of groups that remain (an empty employee list with intact departments
// would otherwise empty every group). Each group it touches is sorted once.
func keepHeldMemberships(desired desiredState, users []*dirsyncv1alpha1.DirectoryUser) {
	touched := map[*dirsyncv1alpha1.DirectoryGroup]bool{}
	for _, u := range users {
		for _, name := range u.Spec.Groups {
			if g, ok := desired.groups[name]; ok {
				g.Spec.Members = append(g.Spec.Members, u.Name)
				touched[g] = true
			}
		}
	}
	for g := range touched {
		slices.Sort(g.Spec.Members)
		g.Spec.Members = slices.Compact(g.Spec.Members)
		g.Status.MemberCount = int32(len(g.Spec.Members))
	}
}

// heldDeletions describes a held set for the Directory's status: counts, up to 20 names (users first),
// and the approval token, a hash of exactly which objects (kind, name and externalID) are held.
func heldDeletions(dep departed) *dirsyncv1alpha1.HeldDeletions {
	lines := make([]string, 0, len(dep.users)+len(dep.groups))
	var names []string
	for _, u := range dep.users {
		lines = append(lines, "DirectoryUser/"+u.Name+"/"+u.Spec.ExternalID)
		names = append(names, u.Name)
	}
	slices.Sort(names)
	var groupNames []string
	for _, g := range dep.groups {
		lines = append(lines, "DirectoryGroup/"+g.Name+"/"+groupKey(g.Spec.Type, g.Spec.ExternalID))
		groupNames = append(groupNames, g.Name)
	}
	slices.Sort(groupNames)
	names = append(names, groupNames...)
	if len(names) > 20 {
		names = names[:20]
	}
	slices.Sort(lines)
	sum := sha256.Sum256([]byte(strings.Join(lines, "\n")))
	return &dirsyncv1alpha1.HeldDeletions{
		Users: int32(len(dep.users)), Groups: int32(len(dep.groups)), Names: names,
		ApprovalToken: hex.EncodeToString(sum[:])[:tokenLength],
	}
}
