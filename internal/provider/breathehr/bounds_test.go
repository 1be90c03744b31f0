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

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/dirsync/dirsync/internal/provider"
	"github.com/dirsync/dirsync/internal/provider/providertest"
)

// fetchBudget is what one fetch of a few small pages may allocate, the test's fake server included:
// about 1 MiB is what the fetches below allocate once bounded.
const fetchBudget = 16 << 20

// Issue 21: every size the provider sends (the Total and Per-Page headers, the length of a page's
// list) is clamped before it sizes an allocation. Total once sized the listing's slice directly:
// `Total: 68719476736` is a fatal out-of-memory that no recover catches, and 3,000,000 allocates 1 GiB.
// A page of empty objects decoded into 500-byte structs (170 times its size). A huge Per-Page made
// a full page of 100 look like the last one, losing every later page.
func TestProviderSuppliedSizesAreClamped(t *testing.T) {
	full := func(page int) string { return employeesJSON(page*1000, 100) }
	tests := []struct {
		name    string
		serve   func(w http.ResponseWriter, page int)
		wantErr string // substring; "" means success
		wantN   int    // employees on success
	}{{
		name: "Total: 68719476736 (a fatal out-of-memory before)",
		serve: func(w http.ResponseWriter, page int) {
			w.Header().Set("Total", "68719476736")
			fmt.Fprint(w, full(page))
		},
		wantErr: "more than 100000 employees",
	}, {
		name: "Total: 3000000 (1 GiB before)",
		serve: func(w http.ResponseWriter, page int) {
			w.Header().Set("Total", "3000000")
			fmt.Fprint(w, full(page))
		},
		wantErr: "more than 100000 employees",
	}, {
		name: "Total just under the user limit, three pages sent: a count mismatch",
		serve: func(w http.ResponseWriter, page int) {
			w.Header().Set("Total", "99999")
			fmt.Fprint(w, employeesJSON(page*1000, []int{0, 100, 100, 1}[min(page, 3)]))
		},
		wantErr: "read 201 employees but the Total header says 99999",
	}, {
		name: "Per-Page: 9223372036854775807 does not end the listing at a full page",
		serve: func(w http.ResponseWriter, page int) {
			w.Header().Set("Per-Page", "9223372036854775807")
			fmt.Fprint(w, employeesJSON(page*1000, []int{0, 100, 100, 50}[min(page, 3)]))
		},
		wantN: 250,
	}, {
		name: "Per-Page: -1 reads as the page size asked for",
		serve: func(w http.ResponseWriter, page int) {
			w.Header().Set("Per-Page", "-1")
			fmt.Fprint(w, employeesJSON(page*1000, []int{0, 100, 100, 50}[min(page, 3)]))
		},
		wantN: 250,
	}, {
		name: "a page of 1 MiB of empty objects (170 MiB decoded before)",
		serve: func(w http.ResponseWriter, _ int) {
			fmt.Fprint(w, `{"employees": [`+strings.Repeat("{},", 1<<20/3)+`{}]}`)
		},
		wantErr: "more than 1000 employees",
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := pageServer(t, func(w http.ResponseWriter, _ *http.Request, page int) { tt.serve(w, page) })
			c := testClient(t, srv.URL+"/v1", nil)
			var snap *provider.Snapshot
			var err error
			n := providertest.AllocatedBy(func() { snap, err = c.Fetch(context.Background()) })
			if n > fetchBudget {
				t.Errorf("the fetch allocated %d MiB, over the %d MiB budget", n>>20, fetchBudget>>20)
			}
			if tt.wantErr == "" {
				if err != nil || len(snap.Employees) != tt.wantN {
					t.Fatalf("Fetch: %v; want %d employees", err, tt.wantN)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("Fetch: %v; want an error containing %q", err, tt.wantErr)
			}
			var tooMany *provider.TooManyEmployeesError
			if !errors.Is(err, provider.ErrInvalidResponse) && !errors.As(err, &tooMany) {
				t.Errorf("Fetch: %v is neither ErrInvalidResponse nor a TooManyEmployeesError", err)
			}
		})
	}
}

func TestLongestList(t *testing.T) {
	tests := map[string]int{
		`{"employees": [{"id": 1}, {"id": 2}, {"id": 3}]}`:                3,
		`  {"employees": []}`:                                             0,
		`{"employees": [{}, {}], "departments": [1, 2, 3, [4, 5, 6, 7]]}`: 4,
		`{"a": "[1, 2, 3]", "employees": [{"name": "x, y]"}]}`:            1,
		`{"employ\u0065es": [{}, {}]}`:                                    2, // the key is not read: every list counts
		`{"employees": [,,,]}`:                                            0,
		`{"employees": [{}, {}`:                                           2, // cut off: the decoder reports it
		`[{}, {}, {}]`:                                                    0, // not an object: the decoder refuses it
		``:                                                                0,
	}
	for in, want := range tests {
		if got := longestList([]byte(in)); got != want {
			t.Errorf("longestList(%s) = %d, want %d", in, got, want)
		}
	}
}
