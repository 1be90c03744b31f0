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
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// AccessRoleKind is the kind of role a DirectoryAccess binds.
// +kubebuilder:validation:Enum=ClusterRole;Role
type AccessRoleKind string

const (
	// AccessRoleClusterRole binds a ClusterRole in each target namespace (through a RoleBinding).
	AccessRoleClusterRole AccessRoleKind = "ClusterRole"
	// AccessRoleRole binds a Role of the single target namespace.
	AccessRoleRole AccessRoleKind = "Role"
)

// AccessSubjectKind is the RBAC subject kind a DirectoryAccess renders for each person.
// +kubebuilder:validation:Enum=User
type AccessSubjectKind string

const (
	// AccessSubjectUser renders one rbac/v1 subject of kind User per person.
	AccessSubjectUser AccessSubjectKind = "User"
)

// Defaults of DirectoryAccess, as the CRD applies them at admission.
const (
	// DefaultMaxRevokePercent is spec.revocationGuard.maxRevokePercent's default.
	DefaultMaxRevokePercent int32 = 50
)

// Labels, annotations and the finalizer of DirectoryAccess and the RoleBindings it manages.
const (
	// LabelManagedBy is the Kubernetes recommended label; dirsync sets it to ManagedByDirsync on every
	// RoleBinding it creates, and only RoleBindings carrying it are ever changed or deleted.
	LabelManagedBy = "app.kubernetes.io/managed-by"
	// ManagedByDirsync is LabelManagedBy's value on dirsync's RoleBindings.
	ManagedByDirsync = "dirsync"
	// LabelAccess is set on every managed RoleBinding to "<namespace>.<name>" of its DirectoryAccess
	// (shortened with a hash when that would exceed 63 characters).
	LabelAccess = "dirsync.io/access"
	// AnnotationAccess is set on every managed RoleBinding to "<namespace>/<name>" of its DirectoryAccess.
	AnnotationAccess = "dirsync.io/access-ref"
	// LabelAccessUID is set on every managed RoleBinding to the UID of its DirectoryAccess. A RoleBinding
	// is dirsync's only when the DirectoryAccess's status records it (name and UID) and it carries this
	// label; RoleBindings that only carry the other labels are someone else's, never changed or trusted.
	LabelAccessUID = "dirsync.io/access-uid"
	// FinalizerAccessBindings keeps a DirectoryAccess until the RoleBindings it manages are deleted.
	FinalizerAccessBindings = "dirsync.io/access-bindings"
)

// AccessRoleRef names the role that the selected people are bound to.
type AccessRoleRef struct {
	// kind is ClusterRole or Role. A Role is allowed only with exactly one target namespace (its own).
	// +required
	Kind AccessRoleKind `json:"kind,omitempty"`

	// name is the name of the ClusterRole, or of the Role in the target namespace. It cannot be changed
	// in a RoleBinding, so changing it replaces the managed RoleBindings.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	Name string `json:"name,omitempty"`
}

// AccessTarget says in which namespaces the role is bound. Cluster-wide bindings are out of scope for v1alpha1.
// +kubebuilder:validation:XValidation:rule="(has(self.namespaces) && size(self.namespaces) > 0) || has(self.namespaceSelector)",message="set target.namespaces, target.namespaceSelector or both"
// +kubebuilder:validation:MinProperties=1
type AccessTarget struct {
	// namespaces are the names of the namespaces to bind the role in, at most 10 (the admission policy
	// checks its creator's rights in each; use namespaceSelector for more).
	// +optional
	// +listType=set
	// +kubebuilder:validation:MaxItems=10
	// +kubebuilder:validation:items:MinLength=1
	// +kubebuilder:validation:items:MaxLength=63
	Namespaces []string `json:"namespaces,omitempty"`

	// namespaceSelector selects more namespaces by their labels. A namespace that stops matching loses its binding.
	// +optional
	NamespaceSelector *metav1.LabelSelector `json:"namespaceSelector,omitempty"`
}

// AccessSubject says how a person becomes an RBAC subject.
type AccessSubject struct {
	// kind of the rendered subjects; only User in v1alpha1.
	// +optional
	// +kubebuilder:default=User
	Kind AccessSubjectKind `json:"kind,omitempty"`

	// template is a Go template that renders one person's user name exactly as the cluster's authenticator
	// reports it, e.g. `oidc:{{ lower .Email }}`. Fields: .Email, .ExternalID, .FirstName, .LastName.
	// Functions: lower, upper, trim, replace OLD NEW, trimPrefix, trimSuffix. Nothing else (no range,
	// variables, printf or nested templates). A person is not bound when a field the template uses is
	// empty for them, or when it renders empty, with whitespace, or starting with "system:". Bounds, so
	// that no template can make the operator allocate without bound: replace needs a non-empty OLD, at
	// most 16 actions, 8 commands in a pipeline and 32 function calls, and every intermediate string at
	// most 4096 bytes (the operator refuses the rest with InvalidTemplate).
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=1024
	// +kubebuilder:validation:XValidation:rule="!self.matches('replace[[:space:]]+(\"\"|``)')",message="replace with an empty OLD would insert NEW between every character; give replace the text to replace"
	// +kubebuilder:validation:XValidation:rule="self.split('|').size() <= 33",message="use at most 32 | (pipes)"
	// +kubebuilder:validation:XValidation:rule="self.split('{{').size() <= 17",message="use at most 16 actions ({{ }})"
	Template string `json:"template,omitempty"`
}

// AccessLifecycle ties access to the employment dates the HR system holds. Dates are whole days in UTC.
type AccessLifecycle struct {
	// honourStartDate is whether, as by default, to bind no one before 00:00 UTC on their startDate.
	// +optional
	// +kubebuilder:default=true
	HonourStartDate *bool `json:"honourStartDate,omitempty"`

	// revokeAtEndDate is whether, as by default, to unbind a person at 00:00 UTC after their endDate, even
	// while the HR system still says Active (e.g. a pending leaver) and even while the Directory is not
	// Ready. Like every revocation the data causes, it passes the revocation guard.
	// +optional
	// +kubebuilder:default=true
	RevokeAtEndDate *bool `json:"revokeAtEndDate,omitempty"`
	// maxDirectoryStaleness is how long the Directory may go without applying its provider's data
	// (status.lastAppliedSyncTime: a failing provider, spec.suspend and spec.dryRun all count as not
	// syncing) before every subject this DirectoryAccess bound is revoked, with Ready=False
	// DirectoryStale, until the Directory syncs again. Between 5m and 720h; 24h by default.
	// +optional
	// +kubebuilder:default="24h"
	// +kubebuilder:validation:XValidation:rule="duration(self) >= duration('5m') && duration(self) <= duration('720h')",message="maxDirectoryStaleness must be between 5m and 720h"
	MaxDirectoryStaleness *metav1.Duration `json:"maxDirectoryStaleness,omitempty"`
}

// RevocationGuard holds bulk revocations that one change of the directory data would cause.
type RevocationGuard struct {
	// maxRevokePercent is the largest share of the bound subjects, in percent, that one change of the
	// directory data (one Directory sync, or dates passing) may revoke. When more would go, and more than
	// 3, those revocations are held and Ready=False RevocationHeld. Revocations that a change of this
	// spec causes are never held. 100 disables the guard; 0 holds every revocation the data causes.
	// +optional
	// +kubebuilder:default=50
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:validation:Maximum=100
	MaxRevokePercent *int32 `json:"maxRevokePercent,omitempty"`
}

// DirectoryAccessSpec binds the Active members of some DirectoryGroups to a role in some namespaces.
// +kubebuilder:validation:XValidation:rule="(has(self.groups) && size(self.groups) > 0) || has(self.groupSelector)",message="set groups, groupSelector or both"
// +kubebuilder:validation:XValidation:rule="self.roleRef.kind != 'Role' || (has(self.target) && has(self.target.namespaces) && size(self.target.namespaces) == 1 && !has(self.target.namespaceSelector))",message="a Role can only be bound in exactly one namespace: set target.namespaces to that one namespace and no namespaceSelector",fieldPath=".roleRef.kind"
type DirectoryAccessSpec struct {
	// directoryRef names the Directory, in this namespace, whose people and groups are used.
	// +required
	DirectoryRef DirectoryReference `json:"directoryRef,omitzero"`

	// groups are names of DirectoryGroup objects of that Directory, in this namespace.
	// +optional
	// +listType=set
	// +kubebuilder:validation:MaxItems=256
	Groups []string `json:"groups,omitempty"`

	// groupSelector selects more DirectoryGroups of that Directory by their labels.
	// +optional
	GroupSelector *metav1.LabelSelector `json:"groupSelector,omitempty"`

	// roleRef is the role to bind.
	// +required
	RoleRef AccessRoleRef `json:"roleRef,omitzero"`

	// target says in which namespaces the role is bound: namespaces, namespaceSelector or both.
	// +required
	Target AccessTarget `json:"target,omitzero"`

	// subject says how a person is rendered as an RBAC subject.
	// +required
	Subject AccessSubject `json:"subject,omitzero"`

	// lifecycle ties access to startDate and endDate.
	// +optional
	// +kubebuilder:default={}
	Lifecycle AccessLifecycle `json:"lifecycle,omitzero"`

	// revocationGuard holds bulk revocations.
	// +optional
	// +kubebuilder:default={}
	RevocationGuard RevocationGuard `json:"revocationGuard,omitzero"`

	// suspend makes dirsync change nothing while true: no grants and no revocations. Delete the
	// DirectoryAccess to remove the access it gave.
	// +optional
	Suspend *bool `json:"suspend,omitempty"`
}

// AccessBinding is one RoleBinding a DirectoryAccess manages.
type AccessBinding struct {
	// namespace of the RoleBinding.
	// +required
	Namespace string `json:"namespace"`
	// name of the RoleBinding.
	// +required
	Name string `json:"name"`
	// subjects is how many subjects it binds.
	// +optional
	Subjects int32 `json:"subjects,omitzero"`
	// uid is the RoleBinding's UID: with the dirsync.io/access-uid label, what makes it dirsync's. Empty
	// while dirsync is about to create it.
	// +optional
	// +kubebuilder:validation:MaxLength=128
	UID string `json:"uid,omitempty"`
	// digest identifies the exact subjects dirsync last wrote to it (a SHA-256 prefix): a RoleBinding whose
	// subjects no longer match was changed by someone else, and dirsync keeps nothing of it it cannot vouch for.
	// +optional
	// +kubebuilder:validation:MaxLength=64
	Digest string `json:"digest,omitempty"`
}

// AccessChange counts what the last reconcile that changed a RoleBinding did.
type AccessChange struct {
	// granted is how many subjects it added, over all RoleBindings.
	// +optional
	Granted int32 `json:"granted,omitzero"`
	// revoked is how many subjects it removed, over all RoleBindings (deleted RoleBindings included).
	// +optional
	Revoked int32 `json:"revoked,omitzero"`
	// time is when it happened.
	// +optional
	Time *metav1.Time `json:"time,omitempty"`
}

// DirectoryAccessStatus is what dirsync last bound.
type DirectoryAccessStatus struct {
	// conditions hold Ready, True (Bound) when every selected, eligible person is bound in every target
	// namespace, and False with DirectoryNotFound, DirectoryStale, AdmissionPolicyMissing, NotPermitted,
	// ApplyFailed, BindingTooLarge, RevocationHeld, DirectoryNotReady, SubjectConflict, Suspended,
	// InvalidTemplate or InvalidSelector otherwise.
	// +optional
	// +listType=map
	// +listMapKey=type
	Conditions []metav1.Condition `json:"conditions,omitempty"`

	// observedGeneration is the generation of the spec that the last successful reconcile used.
	// +optional
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`

	// subjects is how many distinct subjects the DirectoryAccess binds.
	// +optional
	Subjects int32 `json:"subjects,omitzero"`

	// heldRevocations is how many subjects the revocation guard keeps bound although the data says they should go.
	// +optional
	HeldRevocations int32 `json:"heldRevocations,omitempty"`

	// bindings are the RoleBindings it manages, sorted by namespace.
	// +optional
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=10000
	Bindings []AccessBinding `json:"bindings,omitempty"`
	// boundSubjects is dirsync's own record of every subject it has bound (sorted): the revocation guard
	// weighs revocations against it, and a subject found in a managed RoleBinding but not here was put
	// there by someone else, so it is removed and never counted.
	// +optional
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=20000
	// +kubebuilder:validation:items:MaxLength=512
	BoundSubjects []string `json:"boundSubjects,omitempty"`

	// lastChange counts what the last reconcile that changed a RoleBinding granted and revoked.
	// +optional
	LastChange *AccessChange `json:"lastChange,omitempty"`

	// nextReviewTime is the next startDate or endDate boundary at which the subjects change without any other event.
	// +optional
	NextReviewTime *metav1.Time `json:"nextReviewTime,omitempty"`
}

// DirectoryAccess binds the Active members of a Directory's groups to a role in some namespaces, and
// revokes that access when HR says someone left.
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:categories=dirsync,shortName=da
// +kubebuilder:printcolumn:name="Directory",type=string,JSONPath=".spec.directoryRef.name"
// +kubebuilder:printcolumn:name="Role",type=string,JSONPath=".spec.roleRef.name"
// +kubebuilder:printcolumn:name="Ready",type=string,JSONPath=".status.conditions[?(@.type==\"Ready\")].status"
// +kubebuilder:printcolumn:name="Reason",type=string,JSONPath=".status.conditions[?(@.type==\"Ready\")].reason"
// +kubebuilder:printcolumn:name="Subjects",type=integer,JSONPath=".status.subjects"
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=".metadata.creationTimestamp"
type DirectoryAccess struct {
	metav1.TypeMeta `json:",inline"`
	// metadata is the object's standard metadata.
	// +optional
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// spec says who is bound to which role, where.
	// +required
	Spec DirectoryAccessSpec `json:"spec,omitzero"`

	// status is what dirsync last bound.
	// +optional
	Status DirectoryAccessStatus `json:"status,omitzero"`
}

// +kubebuilder:object:root=true

// DirectoryAccessList contains a list of DirectoryAccess.
type DirectoryAccessList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []DirectoryAccess `json:"items"`
}

// GetConditions returns the DirectoryAccess's conditions.
func (a *DirectoryAccess) GetConditions() []metav1.Condition { return a.Status.Conditions }

// SetConditions replaces the DirectoryAccess's conditions.
func (a *DirectoryAccess) SetConditions(c []metav1.Condition) { a.Status.Conditions = c }

// HonourStartDate returns spec.lifecycle.honourStartDate, true when unset.
func (a *DirectoryAccess) HonourStartDate() bool {
	return a.Spec.Lifecycle.HonourStartDate == nil || *a.Spec.Lifecycle.HonourStartDate
}

// RevokeAtEndDate returns spec.lifecycle.revokeAtEndDate, true when unset.
func (a *DirectoryAccess) RevokeAtEndDate() bool {
	return a.Spec.Lifecycle.RevokeAtEndDate == nil || *a.Spec.Lifecycle.RevokeAtEndDate
}

// DefaultMaxDirectoryStaleness is spec.lifecycle.maxDirectoryStaleness's default.
const DefaultMaxDirectoryStaleness = 24 * time.Hour

// MaxDirectoryStalenessOrDefault returns spec.lifecycle.maxDirectoryStaleness, or 24h when it is unset.
func (a *DirectoryAccess) MaxDirectoryStalenessOrDefault() time.Duration {
	if a.Spec.Lifecycle.MaxDirectoryStaleness == nil || a.Spec.Lifecycle.MaxDirectoryStaleness.Duration <= 0 {
		return DefaultMaxDirectoryStaleness
	}
	return a.Spec.Lifecycle.MaxDirectoryStaleness.Duration
}

// MaxRevokePercentOrDefault returns spec.revocationGuard.maxRevokePercent, or 50 when it is unset.
func (a *DirectoryAccess) MaxRevokePercentOrDefault() int32 {
	if a.Spec.RevocationGuard.MaxRevokePercent == nil {
		return DefaultMaxRevokePercent
	}
	return *a.Spec.RevocationGuard.MaxRevokePercent
}

// IsSuspended reports whether spec.suspend is true.
func (a *DirectoryAccess) IsSuspended() bool { return a.Spec.Suspend != nil && *a.Spec.Suspend }

func init() {
	register(&DirectoryAccess{}, &DirectoryAccessList{})
}
