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

package fakehr

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestGenerateIsDeterministic(t *testing.T) {
	o := GenerateOptions{Seed: 9, Employees: 300, Today: time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)}
	if diff := cmp.Diff(Generate(o), Generate(o)); diff != "" {
		t.Fatalf("the same options gave another company (-first +second):\n%s", diff)
	}
	o2 := o
	o2.Seed = 10
	if cmp.Equal(Generate(o), Generate(o2)) {
		t.Fatal("another seed gave the same company")
	}
}

// TestGeneratedPeopleLookReal: preferred names are real nicknames, e-mails are readable ASCII and unique,
// and the work attributes come from realistic lists, with a few left unset.
func TestGeneratedPeopleLookReal(t *testing.T) {
	c := Generate(GenerateOptions{Seed: 1, Employees: 2000, Today: time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)})
	emails := map[string]bool{}
	counts := map[string]int{}
	for _, e := range c.Employees {
		if e.KnownAs != "" {
			counts["knownAs"]++
			if !contains(nicknames[e.FirstName], e.KnownAs) {
				t.Errorf("%s %s goes by %q, which is not a nickname of %s", e.FirstName, e.LastName, e.KnownAs, e.FirstName)
			}
		}
		local, domain, ok := strings.Cut(e.Email, "@")
		if !ok || domain != "example.com" || emails[e.Email] {
			t.Errorf("e-mail %q is malformed or repeated", e.Email)
		}
		emails[e.Email] = true
		if want := ASCIIName(e.FirstName) + "." + ASCIIName(e.LastName); !strings.HasPrefix(local, want) {
			t.Errorf("%s %s has e-mail %q, want it to start with %q", e.FirstName, e.LastName, e.Email, want)
		}
		for _, r := range local {
			if r > 0x7e {
				t.Errorf("e-mail %q is not ASCII", e.Email)
			}
		}
		if e.Location.Name != "" {
			counts["location"]++
			if !containsRef(Locations, e.Location) {
				t.Errorf("location %+v is not one of Locations", e.Location)
			}
		}
		if (e.Division.Name != "") != (e.DepartmentID != "") || (e.Division.Name != "" && !containsRef(Divisions, e.Division)) {
			t.Errorf("employee %s in department %q has division %+v", e.ID, e.DepartmentID, e.Division)
		}
		if !contains(Companies, e.Company) {
			t.Errorf("company %q is not one of Companies", e.Company)
		}
		if e.EmploymentType != "" {
			counts["employmentType"]++
			if !contains(EmploymentTypes, e.EmploymentType) {
				t.Errorf("employment type %q is not one of EmploymentTypes", e.EmploymentType)
			}
		}
	}
	n := len(c.Employees)
	for field, lo := range map[string]int{"knownAs": n / 40, "location": n * 9 / 10, "employmentType": n * 9 / 10} {
		if counts[field] < lo || counts[field] == n && field != "knownAs" {
			t.Errorf("%d of %d employees have a %s; want at least %d and not all", counts[field], n, field, lo)
		}
	}
}

func TestASCIIName(t *testing.T) {
	tests := map[string]string{
		"Siobhán":        "siobhan",
		"Müller":         "muller",
		"Ó Súilleabháin": "osuilleabhain",
		"O'Brien":        "obrien",
		"Łukasz":         "lukasz",
		"Øvergaard":      "overgaard",
		"Núñez-Ørsted":   "nunez-orsted",
		"Weiß":           "weiss",
		"Brontë":         "bronte",
		"田中":             "",
	}
	for in, want := range tests {
		if got := ASCIIName(in); got != want {
			t.Errorf("ASCIIName(%q) = %q, want %q", in, got, want)
		}
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func containsRef(list []Ref, r Ref) bool {
	for _, x := range list {
		if x == r {
			return true
		}
	}
	return false
}
