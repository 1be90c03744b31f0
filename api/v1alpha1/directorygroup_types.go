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

// GroupType is what a DirectoryGroup groups people by.
// +kubebuilder:validation:Enum=Department;Location;Division;Company
type GroupType string

const (
	// GroupTypeDepartment groups people by department (every provider).
	GroupTypeDepartment GroupType = "Department"
	// GroupTypeLocation groups people by work location (every provider).
	GroupTypeLocation GroupType = "Location"
	// GroupTypeDivision groups people by division (Breathe HR).
	GroupTypeDivision GroupType = "Division"
	// GroupTypeCompany groups people by employing company (Access People HR).
	GroupTypeCompany GroupType = "Company"
)

// AllGroupTypes lists every GroupType, in the order groups of each type are reported.
var AllGroupTypes = []GroupType{GroupTypeDepartment, GroupTypeLocation, GroupTypeDivision, GroupTypeCompany}

// DirectoryGroupSpec is one department, location, division or company as the provider returned it.
type DirectoryGroupSpec struct {
	// directoryRef names the Directory this group came from.
	// +required
	DirectoryRef DirectoryReference `json:"directoryRef,omitzero"`

	// type is what the group groups people by: Department, Location, Division or Company.
	// +optional
	// +kubebuilder:default=Department
	Type GroupType `json:"type,omitempty"`

	// externalID is the group's id in the HR system, or its normalized name where the provider has no id
	// (Access People HR departments, locations and companies).
	// +required
	// +kubebuilder:validation:MinLength=1
	ExternalID string `json:"externalID,omitempty"`

	// displayName is the group's name.
	// +optional
	// +kubebuilder:validation:MinLength=1
	DisplayName string `json:"displayName,omitempty"`

	// members are the sorted names of the DirectoryUser objects in this group.
	// +optional
	// +listType=atomic
	Members []string `json:"members,omitempty"`
}

// DirectoryGroupStatus is the status of a DirectoryGroup. The operator writes it in the same request as
// the spec (the kind has no status subresource), so it always describes the spec beside it.
type DirectoryGroupStatus struct {
	// conditions hold Synced, True (UpToDate) while the group matches the provider, and False (RemovedFromProvider) while its deletion is held by the deletion guard.
	// +optional
	// +listType=map
	// +listMapKey=type
	Conditions []metav1.Condition `json:"conditions,omitempty"`

	// memberCount is the number of members.
	// +optional
	MemberCount int32 `json:"memberCount,omitzero"`
}

// DirectoryGroup is one department (or location, division, company) of a Directory's HR system. It has
// no status subresource: the operator writes spec and status in one request.
// +kubebuilder:object:root=true
// +kubebuilder:resource:categories=dirsync,shortName=dg
// +kubebuilder:printcolumn:name="Display Name",type=string,JSONPath=".spec.displayName"
// +kubebuilder:printcolumn:name="Type",type=string,JSONPath=".spec.type"
// +kubebuilder:printcolumn:name="Members",type=integer,JSONPath=".status.memberCount"
// +kubebuilder:printcolumn:name="Directory",type=string,JSONPath=".spec.directoryRef.name"
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=".metadata.creationTimestamp"
// +kubebuilder:selectablefield:JSONPath=".spec.displayName"
// +kubebuilder:selectablefield:JSONPath=".spec.type"
type DirectoryGroup struct {
	metav1.TypeMeta `json:",inline"`
	// metadata is the object's standard metadata.
	// +optional
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// spec is the group as the provider returned it.
	// +required
	Spec DirectoryGroupSpec `json:"spec,omitzero"`

	// status says whether the group still matches the provider.
	// +optional
	Status DirectoryGroupStatus `json:"status,omitzero"`
}

// +kubebuilder:object:root=true

// DirectoryGroupList contains a list of DirectoryGroup.
type DirectoryGroupList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []DirectoryGroup `json:"items"`
}

// GetConditions returns the group's conditions.
func (g *DirectoryGroup) GetConditions() []metav1.Condition { return g.Status.Conditions }

// SetConditions replaces the group's conditions.
func (g *DirectoryGroup) SetConditions(c []metav1.Condition) { g.Status.Conditions = c }

func init() {
	register(&DirectoryGroup{}, &DirectoryGroupList{})
}
