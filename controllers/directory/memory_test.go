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
)

// Memory is released only after a large sync, and at most once per releaseEvery however many end.
func TestMemoryReleaseIsRareAndOnlyAfterLargeSyncs(t *testing.T) {
	freed := 0
	m := &memoryRelease{free: func() { freed++ }}
	at := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	steps := []struct {
		employees int
		after     time.Duration
		want      bool
	}{
		{employees: releaseAfterEmployees - 1, want: false},
		{employees: releaseAfterEmployees, want: true},
		{employees: 50_000, after: releaseEvery - time.Second, want: false},
		{employees: 50_000, after: releaseEvery, want: true},
		{employees: 10, after: 2 * releaseEvery, want: false},
	}
	for i, s := range steps {
		if got := m.after(s.employees, at.Add(s.after)); got != s.want {
			t.Errorf("step %d (%d employees, +%s): released %t, want %t", i, s.employees, s.after, got, s.want)
		}
	}
	if freed != 2 {
		t.Errorf("freed %d times, want 2", freed)
	}
}
