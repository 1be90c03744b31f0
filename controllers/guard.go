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
	"slices"
	"sort"

	dirsyncv1alpha1 "github.com/dirsync/dirsync/api/v1alpha1"
)

// guardFloor is how many user deletions one sync may always make, whatever maxDeletePercent says
// (unless it is 0): one person leaving a three-person company is 33% and must not be held.
const guardFloor = 3

// guardResult says whether the deletion guard held the plan's deletions, and why.
type guardResult struct {
	held    bool
	message string
}

// applyGuard holds every deletion of the plan (users and groups) when the provider returned no
// employees while users exist, or when more than maxDeletePercent of the existing users would go and
// that is more than guardFloor users. maxDeletePercent 100 disables the guard; 0 holds every deletion.
// Held deletions become opHold: the objects stay, marked Synced=False RemovedFromProvider.
func applyGuard(p plan, existingUsers, employees int, maxDeletePercent int32) (plan, guardResult) {
	_, userDeletes := p.count(opDelete)
	if maxDeletePercent >= 100 || userDeletes == 0 {
		return p, guardResult{}
	}
	var msg string
	switch {
	case employees == 0:
		msg = "The provider returned no employees while users exist, so no user or group was deleted. " +
			"If the directory really is empty, set spec.deletionGuard.maxDeletePercent to 100 for one sync."
	case maxDeletePercent == 0:
		msg = "spec.deletionGuard.maxDeletePercent is 0, so no user or group was deleted. Raise it to let removals through."
	case userDeletes > guardFloor && userDeletes*100 > int(maxDeletePercent)*existingUsers:
		msg = fmt.Sprintf("The provider no longer returns more than %d%% of the existing users, so no user or group was deleted. "+
			"Check the HR system; if the removals are right, raise spec.deletionGuard.maxDeletePercent.", maxDeletePercent)
	default:
		return p, guardResult{}
	}
	held := plan{unchanged: p.unchanged, ops: make([]op, 0, len(p.ops))}
	for _, o := range p.ops {
		if o.kind == opDelete {
			if isHeld(o.existing) {
				held.unchanged++
				continue
			}
			o.kind = opHold
		}
		held.ops = append(held.ops, o)
	}
	return held, guardResult{held: true, message: msg}
}

// keepHeldMemberships puts every existing user that desired no longer has back into the members of the
// desired groups its spec names. When the guard holds a user's deletion, the user then stays as it was
// on both sides: its object, and its membership of groups that remain (an empty employee list with
// intact departments would otherwise empty every group).
func keepHeldMemberships(desired desiredState, existing []dirsyncv1alpha1.DirectoryUser) {
	for i := range existing {
		u := &existing[i]
		if _, ok := desired.users[u.Name]; ok {
			continue
		}
		for _, name := range u.Spec.Groups {
			g, ok := desired.groups[name]
			if !ok || slices.Contains(g.Spec.Members, u.Name) {
				continue
			}
			g.Spec.Members = append(g.Spec.Members, u.Name)
			sort.Strings(g.Spec.Members)
			g.Status.MemberCount = int32(len(g.Spec.Members))
		}
	}
}
