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

	"github.com/dirsync/dirsync/internal/purity"
)

// The pure files take no client, clock, logger or recorder: values in, values out, each table-tested.
// They are leaves: none uses what an I/O file (controller, sync, children, apply, progress, metrics,
// memory, webhook) declares.
func TestPureFilesAreLeaves(t *testing.T) {
	purity.Check(t, ".", "claims.go", "desired.go", "diff.go", "errors.go", "guard.go", "hints.go", "keys.go",
		"model.go", "names.go", "schedule.go", "status.go")
}
