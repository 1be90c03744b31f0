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

package directorywebhook

import (
	"crypto/sha256"
	"encoding/hex"
	"slices"
	"strings"

	dirsyncv1alpha1 "github.com/dirsync/dirsync/api/v1alpha1"
	"github.com/dirsync/dirsync/controllers/internal/verdict"
)

// The removal guard: an application that is told that a quarter of the company left deprovisions a
// quarter of the company. The Directory's deletion guard stops its own sync from deleting too much, but
// not everything that reaches a webhook comes from one guarded sync: leavers are updates (no guard),
// removals pile up while a receiver is down, and an approved Directory deletion still reaches every
// application at once. So the webhook weighs what it is about to tell with the same rule
// (verdict.GuardHolds) and the Directory's spec.deletionGuard.maxDeletePercent, and holds the removals
// until someone approves exactly that set (status.heldRemovals, dirsync.io/approve-removals).

// tokenLength is how many hex characters of the held set's hash make its approval token.
const tokenLength = 12

// maxHeldNames is how many held objects status.heldRemovals names.
const maxHeldNames = 20

// guardInput is what the guard decides with, besides the removals of a plan.
type guardInput struct {
	// maxDeletePercent is the Directory's spec.deletionGuard.maxDeletePercent.
	maxDeletePercent int32
	// approved are the removals (qualified) an accepted approval released.
	approved map[string]bool
	// settling is true while the Directory is still writing changes: removals wait until it pauses, so
	// that the guard weighs one sync's removals together rather than a few at a time.
	settling bool
}

// heldSet is the removals the guard holds.
type heldSet struct {
	keys          map[string]bool // qualified
	users, groups int
	names         []string
	token         string
}

// holds reports whether h holds b's object.
func (h *heldSet) holds(b *batch) bool {
	return h != nil && h.keys[qualified(b.kind, b.key)]
}

// decideGuard decides on a plan's removals: people removed (users), then groups deleted (groups). It
// holds every unapproved removal when the people's share of those told exceeds the percentage (and
// verdict.GuardFloor), or, when no person goes, the groups' share does. While the Directory is still
// writing it only says that removals wait.
func decideGuard(in guardInput, users, groups []string, rec *record) (held *heldSet, settling bool) {
	users, groups = unapproved(kindUser, users, in.approved), unapproved(kindGroup, groups, in.approved)
	if len(users)+len(groups) == 0 {
		return nil, false
	}
	if in.settling {
		return nil, true
	}
	toldUsers, toldGroups := rec.told()
	switch {
	case len(users) > 0 && verdict.GuardHolds(len(users), toldUsers, in.maxDeletePercent):
	case len(users) == 0 && verdict.GuardHolds(len(groups), toldGroups, in.maxDeletePercent):
	default:
		return nil, false
	}
	return newHeldSet(users, groups), false
}

func unapproved(k objectKind, keys []string, approved map[string]bool) []string {
	var out []string
	for _, key := range keys {
		if !approved[qualified(k, key)] {
			out = append(out, key)
		}
	}
	return out
}

// newHeldSet describes a held set: its objects, up to maxHeldNames names (people first) and the
// approval token, a hash of exactly which objects are held.
func newHeldSet(users, groups []string) *heldSet {
	h := &heldSet{keys: map[string]bool{}, users: len(users), groups: len(groups)}
	lines := make([]string, 0, len(users)+len(groups))
	for _, k := range users {
		h.keys[qualified(kindUser, k)] = true
		lines = append(lines, qualified(kindUser, k))
	}
	for _, k := range groups {
		h.keys[qualified(kindGroup, k)] = true
		lines = append(lines, qualified(kindGroup, k))
	}
	names := append(slices.Sorted(slices.Values(users)), slices.Sorted(slices.Values(groups))...)
	h.names = names[:min(len(names), maxHeldNames)]
	slices.Sort(lines)
	sum := sha256.Sum256([]byte(strings.Join(lines, "\n")))
	h.token = hex.EncodeToString(sum[:])[:tokenLength]
	return h
}

// status is the held set as the webhook's status shows it.
func (h *heldSet) status() *dirsyncv1alpha1.HeldRemovals {
	if h == nil {
		return nil
	}
	return &dirsyncv1alpha1.HeldRemovals{Users: int32(h.users), Groups: int32(h.groups), Names: slices.Clone(h.names), ApprovalToken: h.token}
}

// tokenOrEmpty is h's approval token, or "" when nothing is held.
func (h *heldSet) tokenOrEmpty() string {
	if h == nil {
		return ""
	}
	return h.token
}
