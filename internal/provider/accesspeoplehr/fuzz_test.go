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
	"github.com/dirsync/dirsync/internal/provider/providertest"
)

// fuzzLimit is the employee limit of the fuzzed decoder: low, so that inputs reach it.
const fuzzLimit = 50

// decodeBudget bounds what decoding one body may allocate. The answer carries no size the decoder
// trusts, so what it allocates is linear in the body: the envelope's unknown keys are walked token by
// token, and each number or string token boxes a value (up to about 60 bytes per input byte, garbage
// at once); a record of two bytes ({}) decodes into a 240-byte struct and the slice's growth, about
// 1.3 KiB, but at most fuzzLimit+1 of them are decoded. A decoder that sized anything by a count the
// provider sends would break it.
func decodeBudget(body []byte) uint64 { return 1<<20 + 128*uint64(len(body)) }

// FuzzDecodeEmployees feeds arbitrary bodies to the response decoder. It must not panic or allocate
// more than decodeBudget; an error must be classified and never carry the API key; a success must hold
// at most fuzzLimit employees, each with a non-empty, unique ExternalID whose manager and departments
// exist in the same snapshot. The seed corpus is in testdata/fuzz/FuzzDecodeEmployees (with the
// attacks of issue 21: records past the limit, a flood of tokens); run with:
// go test -fuzz FuzzDecodeEmployees ./internal/provider/accesspeoplehr
func FuzzDecodeEmployees(f *testing.F) {
	realistic, err := os.ReadFile("testdata/realistic.json")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(realistic)
	f.Add([]byte(`{"isError":true,"Status":10,"Message":"Invalid API key ` + testKey + `","Result":null}`))

	f.Fuzz(func(t *testing.T, body []byte) {
		var emps []provider.Employee
		var depts []provider.Department
		var err error
		n := providertest.AllocatedBy(func() { emps, depts, err = decodeResponse(bytes.NewReader(body), "2024-06-11", testKey, fuzzLimit) })
		if budget := decodeBudget(body); n > budget {
			t.Fatalf("decoding %d bytes allocated %d KiB, over the budget of %d KiB", len(body), n>>10, budget>>10)
		}
		if len(emps) > fuzzLimit {
			t.Fatalf("%d employees decoded, over the limit of %d", len(emps), fuzzLimit)
		}
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
