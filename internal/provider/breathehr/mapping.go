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
	"strings"

	"github.com/dirsync/dirsync/internal/provider"
)

// Breathe HR's status texts.
const (
	// StatusCurrent is a current employee: active.
	StatusCurrent = "Current employee"
	// StatusPendingLeaver has a leaving date ahead: still active.
	StatusPendingLeaver = "Pending leaver"
	// StatusFormer has left: inactive.
	StatusFormer = "Former employee"
)

// IsActive reports whether a Breathe HR status text makes the employee active: only "Current employee"
// and "Pending leaver" do (surrounding spaces and letter case ignored). Any other text, including an
// empty or unknown one, is inactive.
func IsActive(status string) bool {
	s := strings.TrimSpace(status)
	return strings.EqualFold(s, StatusCurrent) || strings.EqualFold(s, StatusPendingLeaver)
}

// toEmployee maps one decoded employee onto the provider-neutral type. w.ID is already canonical.
func toEmployee(w wireEmployee) provider.Employee {
	first := strings.TrimSpace(w.FirstName)
	last := strings.TrimSpace(w.LastName)
	status := strings.TrimSpace(w.Status)
	e := provider.Employee{
		ExternalID:       string(w.ID),
		Email:            strings.TrimSpace(w.Email),
		FirstName:        first,
		LastName:         last,
		DisplayName:      displayName(strings.TrimSpace(w.KnownAs), first, last),
		JobTitle:         strings.TrimSpace(w.JobTitle),
		Active:           IsActive(status),
		EmploymentStatus: status,
		StartDate:        string(w.JoinDate),
		EndDate:          string(w.LeavingDate),
	}
	if e.StartDate == "" {
		e.StartDate = string(w.JobStartDate)
	}
	if w.Department != nil && w.Department.ID != "" {
		e.DepartmentIDs = []string{string(w.Department.ID)}
	}
	if w.LineManager != nil {
		e.ManagerExternalID = string(w.LineManager.ID)
	}
	return e
}

// displayName is the known-as name when set, else "first last" without stray spaces.
func displayName(knownAs, first, last string) string {
	if knownAs != "" {
		return knownAs
	}
	return strings.TrimSpace(first + " " + last)
}
