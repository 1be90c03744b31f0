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

package accesspeoplehr

import (
	"bytes"
	"os"
	"strings"
	"testing"

	"github.com/dirsync/dirsync/internal/provider"
)

// FuzzDecodeEmployees feeds arbitrary bodies to the response decoder. It must not panic; an error must
// be classified and never carry the API key; a success must hold only employees with a non-empty, unique
// ExternalID whose manager and departments exist in the same snapshot. The seed corpus is in
// testdata/fuzz/FuzzDecodeEmployees; run with: go test -fuzz FuzzDecodeEmployees ./internal/provider/accesspeoplehr
func FuzzDecodeEmployees(f *testing.F) {
	realistic, err := os.ReadFile("testdata/realistic.json")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(realistic)
	f.Add([]byte(`{"isError":true,"Status":10,"Message":"Invalid API key ` + testKey + `","Result":null}`))

	f.Fuzz(func(t *testing.T, body []byte) {
		emps, depts, err := decodeResponse(bytes.NewReader(body), "2024-06-11", testKey, provider.DefaultMaxEmployees)
		if err != nil {
			if c := errClass(err); strings.HasPrefix(c, "unclassified") {
				t.Fatalf("an unclassified error: %v", err)
			}
			assertNoKey(t, err)
			if emps != nil || depts != nil {
				t.Fatalf("data came back with an error")
			}
			return
		}
		ids := map[string]bool{}
		for _, e := range emps {
			if e.ExternalID == "" {
				t.Fatalf("an employee with an empty ExternalID: %+v", e)
			}
			if ids[e.ExternalID] {
				t.Fatalf("ExternalID %q twice", e.ExternalID)
			}
			ids[e.ExternalID] = true
		}
		deptIDs := map[string]bool{}
		for _, d := range depts {
			if d.ExternalID == "" || d.Name != d.ExternalID || deptIDs[d.ExternalID] {
				t.Fatalf("a bad or repeated department: %+v", d)
			}
			deptIDs[d.ExternalID] = true
		}
		for _, e := range emps {
			if e.ManagerExternalID != "" && (!ids[e.ManagerExternalID] || e.ManagerExternalID == e.ExternalID) {
				t.Fatalf("employee %q has manager %q, not another employee of the snapshot", e.ExternalID, e.ManagerExternalID)
			}
			for _, d := range e.DepartmentIDs {
				if !deptIDs[d] {
					t.Fatalf("employee %q is in department %q, which the snapshot lacks", e.ExternalID, d)
				}
			}
			if e.Active != (e.EmploymentStatus != StatusLeaver) {
				t.Fatalf("employee %q: Active=%v with status %q", e.ExternalID, e.Active, e.EmploymentStatus)
			}
		}
	})
}
