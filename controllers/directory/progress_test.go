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

	dirsyncv1alpha1 "github.com/dirsync/dirsync/api/v1alpha1"
)

func TestThousands(t *testing.T) {
	for n, want := range map[int]string{0: "0", 999: "999", 1000: "1,000", 6000: "6,000", 20000: "20,000", 1234567: "1,234,567"} {
		if got := thousands(n); got != want {
			t.Errorf("thousands(%d) = %q, want %q", n, got, want)
		}
	}
}

// The Syncing messages a sync's two progress callbacks record for the next tick to publish.
func TestProgressMessages(t *testing.T) {
	p := &progress{}
	tests := []struct {
		report              func()
		reason, wantMessage string
	}{
		{func() { p.reading("Breathe HR")(40, 101) }, dirsyncv1alpha1.ReasonReadingProvider, "Reading Breathe HR: read 40 of 101 pages."},
		{func() { p.reading("Access People HR")(1, 0) }, dirsyncv1alpha1.ReasonReadingProvider, "Reading Access People HR: read 1 page."},
		{func() { p.reading("Breathe HR")(2, 0) }, dirsyncv1alpha1.ReasonReadingProvider, "Reading Breathe HR: read 2 pages."},
		{func() { p.applied(20000)(6000) }, dirsyncv1alpha1.ReasonApplying, "Applying: applied 6,000 of 20,000 changes."},
	}
	for _, tt := range tests {
		tt.report()
		if p.reason != tt.reason || p.message != tt.wantMessage {
			t.Errorf("Syncing %s %q, want %s %q", p.reason, p.message, tt.reason, tt.wantMessage)
		}
	}
}
