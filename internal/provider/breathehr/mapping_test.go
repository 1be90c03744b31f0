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
	"reflect"
	"testing"

	"github.com/dirsync/dirsync/internal/provider"
	"github.com/dirsync/dirsync/internal/provider/fakehr"
)

func TestIsActive(t *testing.T) {
	tests := []struct {
		status string
		want   bool
	}{
		{"Current employee", true},
		{"Pending leaver", true},
		{"  Current employee ", true},
		{"current EMPLOYEE", true},
		{"pending leaver", true},
		{"Former employee", false},
		{"", false},
		{"Current", false},
		{"Current employees", false},
		{"Pending  leaver", false},
		{"Maternity leave", false},
		{"Active", false},
	}
	for _, tt := range tests {
		if got := IsActive(tt.status); got != tt.want {
			t.Errorf("IsActive(%q) = %v, want %v", tt.status, got, tt.want)
		}
	}
}

// TestStatusThroughTheFake serves each status text over HTTP and checks Active and EmploymentStatus.
func TestStatusThroughTheFake(t *testing.T) {
	tests := []struct {
		status     fakehr.Status
		wantText   string
		wantActive bool
	}{
		{fakehr.Current, "Current employee", true},
		{fakehr.PendingLeaver, "Pending leaver", true},
		{fakehr.Former, "Former employee", false},
		{"Suspended", "Suspended", false},
		{" Pending leaver ", "Pending leaver", true},
	}
	c := fakehr.Company{}
	for i, tt := range tests {
		c.Employees = append(c.Employees, fakehr.Employee{ID: string(rune('1' + i)), FirstName: "A", Status: tt.status})
	}
	s := startFake(t, c)
	snap, err := newClient(t, s.URL(), nil).Fetch(context.Background())
	if err != nil {
		t.Fatalf("Fetch: %v", err)
	}
	for i, tt := range tests {
		e := snap.Employees[i]
		if e.EmploymentStatus != tt.wantText || e.Active != tt.wantActive {
			t.Errorf("status %q: got (%q, %v), want (%q, %v)", tt.status, e.EmploymentStatus, e.Active, tt.wantText, tt.wantActive)
		}
	}
}

func TestToEmployee(t *testing.T) {
	tests := []struct {
		name string
		in   wireEmployee
		want provider.Employee
	}{
		{
			name: "known_as wins the display name",
			in:   wireEmployee{ID: "7", FirstName: " Robert ", LastName: "Smith", KnownAs: " Bob ", Status: "Current employee"},
			want: provider.Employee{ExternalID: "7", FirstName: "Robert", LastName: "Smith", DisplayName: "Bob",
				Active: true, EmploymentStatus: "Current employee"},
		},
		{
			name: "first and last without stray spaces",
			in:   wireEmployee{ID: "8", FirstName: "Chen"},
			want: provider.Employee{ExternalID: "8", FirstName: "Chen", DisplayName: "Chen"},
		},
		{
			name: "join date preferred over job start date",
			in:   wireEmployee{ID: "9", JoinDate: "2015-01-05", JobStartDate: "2020-06-01", LeavingDate: "2026-04-30"},
			want: provider.Employee{ExternalID: "9", StartDate: "2015-01-05", EndDate: "2026-04-30"},
		},
		{
			name: "job start date when join date is missing",
			in:   wireEmployee{ID: "10", JobStartDate: "2020-06-01"},
			want: provider.Employee{ExternalID: "10", StartDate: "2020-06-01"},
		},
		{
			name: "department and line manager",
			in: wireEmployee{ID: "11", Department: &wireRef{ID: "12", Name: "Engineering"}, LineManager: &wireRef{ID: "3"},
				Email: " a@example.com ", JobTitle: " Engineer "},
			want: provider.Employee{ExternalID: "11", DepartmentIDs: []string{"12"}, ManagerExternalID: "3",
				Email: "a@example.com", JobTitle: "Engineer"},
		},
		{
			name: "department and manager objects without ids",
			in:   wireEmployee{ID: "12", Department: &wireRef{}, LineManager: &wireRef{}},
			want: provider.Employee{ExternalID: "12"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := toEmployee(tt.in); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("toEmployee:\n got %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

func TestValidDate(t *testing.T) {
	tests := map[string]string{
		"2024-02-29":           "2024-02-29",
		" 2024-01-31 ":         "2024-01-31",
		"2023-02-29":           "",
		"2024-13-01":           "",
		"31/12/2025":           "",
		"2024-1-5":             "",
		"2024-01-05T00:00:00Z": "",
		"":                     "",
	}
	for in, want := range tests {
		if got := validDate(in); got != want {
			t.Errorf("validDate(%q) = %q, want %q", in, got, want)
		}
	}
}
