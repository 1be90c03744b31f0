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
	"testing"
)

func TestGuardHolds(t *testing.T) {
	tests := []struct {
		revoke, bound int
		pct           int32
		want          bool
	}{
		{revoke: 0, bound: 10, pct: 50},
		{revoke: 3, bound: 3, pct: 50}, // the floor: 3 never held
		{revoke: 4, bound: 4, pct: 50, want: true},
		{revoke: 5, bound: 10, pct: 50}, // exactly 50%
		{revoke: 6, bound: 10, pct: 50, want: true},
		{revoke: 6, bound: 10, pct: 100},            // disabled
		{revoke: 1, bound: 100, pct: 0, want: true}, // 0 holds every revocation
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%d_of_%d_at_%d%%", tt.revoke, tt.bound, tt.pct), func(t *testing.T) {
			if got := GuardHolds(tt.revoke, tt.bound, tt.pct); got != tt.want {
				t.Errorf("GuardHolds = %v, want %v", got, tt.want)
			}
		})
	}
}
