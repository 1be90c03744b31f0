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

package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// UserState is whether the HR system counts an employee as working here.
// +kubebuilder:validation:Enum=Active;Inactive
type UserState string

const (
	// UserStateActive is an employee the provider counts as active (e.g. Breathe's "Current employee" or "Pending leaver").
	UserStateActive UserState = "Active"
	// UserStateInactive is anyone else, e.g. a former employee.
	UserStateInactive UserState = "Inactive"
)

// DirectoryUserSpec is one employee as the provider returned them, limited to the allowlisted fields.
// No date of birth, salary, address, national insurance number or personal contact is ever stored.
type DirectoryUserSpec struct {
	// directoryRef names the Directory this user came from.
	// +required
	DirectoryRef DirectoryReference `json:"directoryRef,omitzero"`

	// externalID is the employee's id in the HR system.
	// +required
	// +kubebuilder:validation:MinLength=1
	ExternalID string `json:"externalID,omitempty"`

	// email is the employee's work e-mail address, as the provider sent it.
	// +optional
	// +kubebuilder:validation:MinLength=1
	Email string `json:"email,omitempty"`

	// firstName is the employee's first name.
	// +optional
	// +kubebuilder:validation:MinLength=1
	FirstName string `json:"firstName,omitempty"`

	// lastName is the employee's last name.
	// +optional
	// +kubebuilder:validation:MinLength=1
	LastName string `json:"lastName,omitempty"`

	// displayName is the name to show: the preferred (known-as) name if the provider has one, else the
	// first name, followed by the last name.
	// +optional
	// +kubebuilder:validation:MinLength=1
	DisplayName string `json:"displayName,omitempty"`

	// jobTitle is the employee's job title.
	// +optional
	// +kubebuilder:validation:MinLength=1
	JobTitle string `json:"jobTitle,omitempty"`

	// state is Active or Inactive, mapped from the provider's status as docs/providers.md documents for each provider.
	// +required
	State UserState `json:"state,omitempty"`

	// employmentStatus is the provider's own status text, e.g. "Current employee".
	// +optional
	// +kubebuilder:validation:MinLength=1
	EmploymentStatus string `json:"employmentStatus,omitempty"`

	// groups are the sorted names of the DirectoryGroup objects this user belongs to.
	// +optional
	// +listType=atomic
	Groups []string `json:"groups,omitempty"`

	// managerExternalID is the externalID of the employee's line manager.
	// +optional
	// +kubebuilder:validation:MinLength=1
	ManagerExternalID string `json:"managerExternalID,omitempty"`

	// startDate is the employee's start date, YYYY-MM-DD; empty when unknown.
	// +optional
	// +kubebuilder:validation:MinLength=1
	StartDate string `json:"startDate,omitempty"`

	// endDate is the employee's leaving date, YYYY-MM-DD; empty when unknown.
	// +optional
	// +kubebuilder:validation:MinLength=1
	EndDate string `json:"endDate,omitempty"`

	// preferredName is the name the employee goes by (Breathe HR known_as, Access People HR KnownAs); absent when the provider has none.
	// +optional
	// +kubebuilder:validation:MinLength=1
	PreferredName string `json:"preferredName,omitempty"`

	// location is the name of the employee's work location (Breathe HR location, Access People HR Location).
	// +optional
	// +kubebuilder:validation:MinLength=1
	Location string `json:"location,omitempty"`

	// division is the name of the employee's division (Breathe HR division; Access People HR has none).
	// +optional
	// +kubebuilder:validation:MinLength=1
	Division string `json:"division,omitempty"`

	// company is the name of the employing company (Access People HR Company; Breathe HR has none).
	// +optional
	// +kubebuilder:validation:MinLength=1
	Company string `json:"company,omitempty"`

	// employmentType is the provider's employment type text, e.g. "Full Time" (Breathe HR full_or_part_time, Access People HR EmploymentType).
	// +optional
	// +kubebuilder:validation:MinLength=1
	EmploymentType string `json:"employmentType,omitempty"`

	// managerEmail is the line manager's work e-mail address (Access People HR ReportsToEmailAddress; Breathe HR line_manager.email when sent).
	// +optional
	// +kubebuilder:validation:MinLength=1
	ManagerEmail string `json:"managerEmail,omitempty"`

	// managerRef names the DirectoryUser of the employee's line manager in the same Directory; absent when the manager is not in the directory.
	// +optional
	ManagerRef *UserReference `json:"managerRef,omitempty"`
}

// UserReference names a DirectoryUser in the same namespace.
type UserReference struct {
	// name is the name of the DirectoryUser.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	Name string `json:"name,omitempty"`
}

// DirectoryUserStatus says whether a DirectoryUser matches the provider. The operator writes it in the
// same request as the spec (the kind has no status subresource), so it always describes the spec beside it.
type DirectoryUserStatus struct {
	// conditions hold Synced, True (UpToDate) while the object matches the provider, and False (RemovedFromProvider) while its deletion is held by the deletion guard.
	// +optional
	// +listType=map
	// +listMapKey=type
	Conditions []metav1.Condition `json:"conditions,omitempty"`
}

// DirectoryUser is one employee of a Directory's HR system. It has no status subresource: the operator
// writes spec and status in one request, so creating or changing a user costs one write.
// +kubebuilder:object:root=true
// +kubebuilder:resource:categories=dirsync,shortName=du
// +kubebuilder:printcolumn:name="Email",type=string,JSONPath=".spec.email"
// +kubebuilder:printcolumn:name="Display Name",type=string,JSONPath=".spec.displayName"
// +kubebuilder:printcolumn:name="State",type=string,JSONPath=".spec.state"
// +kubebuilder:printcolumn:name="Directory",type=string,JSONPath=".spec.directoryRef.name"
// +kubebuilder:printcolumn:name="Synced",type=string,JSONPath=".status.conditions[?(@.type==\"Synced\")].status",priority=1
// +kubebuilder:printcolumn:name="Manager",type=string,JSONPath=".spec.managerRef.name",priority=1
// +kubebuilder:printcolumn:name="Location",type=string,JSONPath=".spec.location",priority=1
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=".metadata.creationTimestamp"
// +kubebuilder:selectablefield:JSONPath=".spec.email"
// +kubebuilder:selectablefield:JSONPath=".spec.state"
// +kubebuilder:selectablefield:JSONPath=".spec.externalID"
// +kubebuilder:selectablefield:JSONPath=".spec.location"
// +kubebuilder:selectablefield:JSONPath=".spec.employmentType"
// +kubebuilder:selectablefield:JSONPath=".spec.managerRef.name"
type DirectoryUser struct {
	metav1.TypeMeta `json:",inline"`
	// metadata is the object's standard metadata.
	// +optional
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// spec is the employee as the provider returned them.
	// +required
	Spec DirectoryUserSpec `json:"spec,omitzero"`

	// status says whether the object still matches the provider.
	// +optional
	Status DirectoryUserStatus `json:"status,omitzero"`
}

// +kubebuilder:object:root=true

// DirectoryUserList contains a list of DirectoryUser.
type DirectoryUserList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []DirectoryUser `json:"items"`
}

// GetConditions returns the user's conditions.
func (u *DirectoryUser) GetConditions() []metav1.Condition { return u.Status.Conditions }

// SetConditions replaces the user's conditions.
func (u *DirectoryUser) SetConditions(c []metav1.Condition) { u.Status.Conditions = c }

func init() {
	register(&DirectoryUser{}, &DirectoryUserList{})
}
