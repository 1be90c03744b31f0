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

	"github.com/google/go-cmp/cmp"

	dirsyncv1alpha1 "github.com/dirsync/dirsync/api/v1alpha1"
	"github.com/dirsync/dirsync/internal/provider"
)

// The README's object names, spelled out: <directory>-<id>, the kind in the name of locations,
// divisions and companies, and when the readable name is taken (ids differing only in case, a
// department whose id reads like a location), the newcomer, second in key order, gets the readable name
// plus the first 10 hex digits of sha256 of its key (its exact id; for a group, "<Kind>/<id>"). The
// hashes were computed with sha256sum.
func TestObjectNamesSpelledOut(t *testing.T) {
	dir := testDirectory(dirsyncv1alpha1.InactiveUserPolicyKeep)
	dir.Spec.GroupBy = []dirsyncv1alpha1.GroupType{dirsyncv1alpha1.GroupTypeDepartment, dirsyncv1alpha1.GroupTypeLocation}
	snap := &provider.Snapshot{
		Departments: []provider.Department{{ExternalID: "location-1", Name: "Location 1 team"}, {ExternalID: "Customer Success", Name: "CS"}},
		Employees: []provider.Employee{
			{ExternalID: "pw1", Active: true, DepartmentIDs: []string{"location-1"}, Location: provider.Affiliation{ID: "1", Name: "London"}},
			{ExternalID: "PW1", Active: true, Location: provider.Affiliation{ID: "London HQ", Name: "London HQ"}},
		},
	}
	m, err := buildModel(dir, snap, nil)
	if err != nil {
		t.Fatal(err)
	}
	names := nameObjects(dir.Name, m, children{}, nil, nil)
	if d := cmp.Diff(map[string]string{"PW1": "acme-pw1", "pw1": "acme-pw1-c592df4a86"}, names.users); d != "" {
		t.Errorf("user names (-want +got):\n%s", d)
	}
	want := map[string]string{
		"Department/location-1":       "acme-location-1",
		"Department/Customer Success": "acme-customer-success",
		"Location/1":                  "acme-location-1-c65da79a34",
		"Location/London HQ":          "acme-location-london-hq",
	}
	if d := cmp.Diff(want, names.groups); d != "" {
		t.Errorf("group names (-want +got):\n%s", d)
	}
}
