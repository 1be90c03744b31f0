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

// DirectoryGroupSpec is one department as the provider returned it.
type DirectoryGroupSpec struct {
	// directoryRef names the Directory this group came from.
	// +required
	DirectoryRef DirectoryReference `json:"directoryRef"`

	// externalID is the department's id in the HR system (for Access People HR, its normalised name).
	// +required
	// +kubebuilder:validation:MinLength=1
	ExternalID string `json:"externalID"`

	// displayName is the department's name.
	// +optional
	DisplayName string `json:"displayName,omitempty"`

	// members are the sorted names of the DirectoryUser objects in this department.
	// +optional
	// +listType=atomic
	Members []string `json:"members,omitempty"`
}

// DirectoryGroupStatus is the status of a DirectoryGroup.
type DirectoryGroupStatus struct {
	// memberCount is the number of members.
	// +optional
	MemberCount int32 `json:"memberCount"`

	// observedGeneration is the generation the operator last wrote.
	// +optional
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`

	// conditions: Synced is True (UpToDate) while the group matches the provider, and False (RemovedFromProvider) while its deletion is held by the deletion guard.
	// +optional
	// +listType=map
	// +listMapKey=type
	Conditions []metav1.Condition `json:"conditions,omitempty"`
}

// DirectoryGroup is one department of a Directory's HR system.
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:categories=dirsync,shortName=dg
// +kubebuilder:printcolumn:name="Display Name",type=string,JSONPath=".spec.displayName"
// +kubebuilder:printcolumn:name="Members",type=integer,JSONPath=".status.memberCount"
// +kubebuilder:printcolumn:name="Directory",type=string,JSONPath=".spec.directoryRef.name"
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=".metadata.creationTimestamp"
// +kubebuilder:selectablefield:JSONPath=".spec.displayName"
type DirectoryGroup struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// spec is the department as the provider returned it.
	// +required
	Spec DirectoryGroupSpec `json:"spec"`

	// status says whether the group still matches the provider.
	// +optional
	Status DirectoryGroupStatus `json:"status,omitempty"`
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
	SchemeBuilder.Register(&DirectoryGroup{}, &DirectoryGroupList{})
}
