//go:build !dirsync_bench

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

package breathehr

import "testing"

// TestShippedBuildCannotTurnPacingOff: without the dirsync_bench tag, nothing turns pacing off.
func TestShippedBuildCannotTurnPacingOff(t *testing.T) {
	t.Setenv("DIRSYNC_BENCH_UNPACED_PROVIDERS", "1")
	if PacingDisabled() || defaultOptions().budget != RequestBudget {
		t.Fatal("pacing is off in a build without the dirsync_bench tag")
	}
}
