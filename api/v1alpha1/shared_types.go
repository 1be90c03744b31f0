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

// DirectoryReference names the Directory, in the same namespace, that materialized an object.
type DirectoryReference struct {
	// name is the name of the Directory.
	// +required
	// +kubebuilder:validation:MinLength=1
	Name string `json:"name,omitempty"`
}

// SecretKeyReference names a key of a Secret in the Directory's namespace. There is deliberately no
// namespace field: a Directory can only use a Secret that lives beside it.
type SecretKeyReference struct {
	// name is the name of the Secret in the Directory's namespace.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	Name string `json:"name,omitempty"`

	// key is the key within the Secret's data that holds the provider's API key.
	// +optional
	// +kubebuilder:default=apiKey
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	Key string `json:"key,omitempty"`
}

// LocalSecretReference names a Secret in the referring object's namespace.
type LocalSecretReference struct {
	// name is the name of the Secret in the Directory's namespace.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	Name string `json:"name,omitempty"`
}

// KeyOrDefault returns key, or "apiKey" when it is unset (as the CRD defaults it).
func (r SecretKeyReference) KeyOrDefault() string {
	if r.Key == "" {
		return DefaultSecretKey
	}
	return r.Key
}

// Labels and annotations that dirsync reads or writes.
const (
	// LabelDirectory is set on every DirectoryUser and DirectoryGroup to the name of its Directory.
	LabelDirectory = "dirsync.io/directory"
	// LabelState is set on every DirectoryUser to "active" or "inactive".
	LabelState = "dirsync.io/state"
	// LabelGroupType is set on every DirectoryGroup to its spec.type in lower case (department, location, division, company).
	LabelGroupType = "dirsync.io/group-type"
	// LabelDepartment, LabelLocation, LabelDivision and LabelCompany are set on a DirectoryUser to the name of
	// its DirectoryGroup of that kind, when that kind is enabled and the name fits a label value.
	LabelDepartment = "dirsync.io/department"
	LabelLocation   = "dirsync.io/location"
	LabelDivision   = "dirsync.io/division"
	LabelCompany    = "dirsync.io/company"
	// AnnotationSyncRequestedAt forces a sync of a Directory whenever its value changes
	// (e.g. `kubectl annotate dir x dirsync.io/sync-requested-at="$(date -u +%FT%TZ)" --overwrite`).
	AnnotationSyncRequestedAt = "dirsync.io/sync-requested-at"
	// AnnotationApproveDeletions approves the deletions the guard holds when its value is the
	// status.heldDeletions.approvalToken of exactly that set; an approval is used once.
	AnnotationApproveDeletions = "dirsync.io/approve-deletions"
	// SyncRequestWebhookPrefix starts the dirsync.io/sync-requested-at values the webhook receiver writes
	// ("webhook/<time>"). Such a request is a hint: it syncs as soon as the Directory's webhook spacing
	// allows, coalesced with every other hint, instead of at once as a person's request does.
	SyncRequestWebhookPrefix = "webhook/"
)
