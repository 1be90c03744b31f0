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

package purity

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// recorder is a testing.TB that keeps what Check reports.
type recorder struct {
	testing.TB
	errors []string
}

func (r *recorder) Helper() {}

func (r *recorder) Errorf(format string, args ...any) {
	r.errors = append(r.errors, fmt.Sprintf(format, args...))
}

func TestCheck(t *testing.T) {
	tests := []struct {
		name string
		pure []string
		want []string // the identifiers reported, sorted
	}{
		{name: "a leaf that uses only pure files and other packages", pure: []string{"pure.go"}},
		{name: "a file that uses a type, a method, a field, a function and a variable of an I/O file",
			pure: []string{"pure.go", "leaky.go"}, want: []string{"Name", "Reconciler", "cached", "load", "write"}},
		{name: "a listed file that does not exist", pure: []string{"pure.go", "gone.go"}, want: []string{"gone.go"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := &recorder{TB: t}
			Check(r, "testdata/mixed", tt.pure...)
			var got []string
			for _, e := range r.errors {
				switch {
				case strings.Contains(e, "the pure file uses "):
					got = append(got, strings.Fields(strings.SplitN(e, "the pure file uses ", 2)[1])[0])
				case strings.Contains(e, "gone.go"):
					got = append(got, "gone.go")
				default:
					t.Errorf("unexpected report %q", e)
				}
			}
			got = strings.Fields(strings.ReplaceAll(strings.Join(got, " "), ",", ""))
			slices.Sort(got)
			if d := cmp.Diff(tt.want, got, cmpopts.EquateEmpty()); d != "" {
				t.Errorf("reported (-want +got):\n%s\n%v", d, r.errors)
			}
		})
	}
}
