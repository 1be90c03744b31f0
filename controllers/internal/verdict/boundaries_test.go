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

package verdict

import (
	"fmt"
	"math/big"
	"testing"
)

// The README's floor is 3 objects ("more than 3 users", "more than 3" subjects), written here as a literal.
func TestGuardFloorIsThree(t *testing.T) {
	if GuardFloor != 3 {
		t.Fatalf("GuardFloor = %d; the README promises that up to 3 removals are never held by the percentage", GuardFloor)
	}
}

// GuardHolds at each edge of the rule: the floor, exactly the percentage, 0, 99 and 100.
func TestGuardHoldsAtItsBoundaries(t *testing.T) {
	tests := []struct {
		remove, total int
		pct           int32
		want          bool
	}{
		{remove: 3, total: 4, pct: 25},                // 75%, but not more than 3
		{remove: 4, total: 5, pct: 25, want: true},    // more than 3 and more than 25%
		{remove: 4, total: 16, pct: 25},               // exactly 25%
		{remove: 4, total: 15, pct: 25, want: true},   // 26.7%
		{remove: 50, total: 200, pct: 25},             // exactly 25%
		{remove: 51, total: 200, pct: 25, want: true}, // 25.5%
		{remove: 99, total: 100, pct: 99},             // exactly 99%
		{remove: 100, total: 100, pct: 99, want: true},
		{remove: 100, total: 100, pct: 100},          // 100 lets everything through
		{remove: 100, total: 100, pct: 101},          // and so does more
		{remove: 1, total: 1000, pct: 0, want: true}, // 0 holds every removal, under the floor too
		{remove: 0, total: 1000, pct: 0},             // no removal: nothing to hold
		{remove: 4, total: 400, pct: 1},              // exactly 1%
		{remove: 5, total: 400, pct: 1, want: true},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%d_of_%d_at_%d%%", tt.remove, tt.total, tt.pct), func(t *testing.T) {
			if got := GuardHolds(tt.remove, tt.total, tt.pct); got != tt.want {
				t.Errorf("GuardHolds = %v, want %v", got, tt.want)
			}
		})
	}
}

// readmeHolds is the rule as its documentation states it: 100 or more lets everything through, 0 holds
// every removal, and otherwise a removal of more than 3 objects and more than maxPercent of total (as
// fractions: remove/total > maxPercent/100) is held.
func readmeHolds(remove, total int, maxPercent int32) bool {
	switch {
	case maxPercent >= 100 || remove == 0:
		return false
	case maxPercent == 0:
		return true
	}
	return remove > 3 && big.NewRat(int64(remove), int64(total)).Cmp(big.NewRat(int64(maxPercent), 100)) > 0
}

// Every removal of up to 60 objects, at every percentage: GuardHolds decides as documented, and holding
// is monotone (a larger removal of the same total is never let through when a smaller one is held).
func TestGuardHoldsFollowsItsDocumentation(t *testing.T) {
	for total := 1; total <= 60; total++ {
		for pct := int32(0); pct <= 101; pct++ {
			held := false
			for remove := 0; remove <= total; remove++ {
				got := GuardHolds(remove, total, pct)
				if want := readmeHolds(remove, total, pct); got != want {
					t.Fatalf("GuardHolds(%d, %d, %d) = %v, want %v", remove, total, pct, got, want)
				}
				if held && !got {
					t.Fatalf("GuardHolds(%d, %d, %d) lets through what a smaller removal was held for", remove, total, pct)
				}
				held = got
			}
		}
	}
}
