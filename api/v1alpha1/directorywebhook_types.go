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

// WebhookEventType is one kind of event a DirectoryWebhook delivers, named as WorkOS Directory Sync names it.
// +kubebuilder:validation:Enum=dsync.user.created;dsync.user.updated;dsync.user.deleted;dsync.group.created;dsync.group.updated;dsync.group.deleted;dsync.group.user_added;dsync.group.user_removed
type WebhookEventType string

const (
	// EventUserCreated is sent when a person appears in the Directory (or, with spec.initial All, for everyone a new webhook finds).
	EventUserCreated WebhookEventType = "dsync.user.created"
	// EventUserUpdated is sent when a person's fields change; a leaver arrives as this event with state "inactive".
	EventUserUpdated WebhookEventType = "dsync.user.updated"
	// EventUserDeleted is sent when a person's DirectoryUser goes (deleted from the HR system, or inactiveUserPolicy Delete).
	EventUserDeleted WebhookEventType = "dsync.user.deleted"
	// EventGroupCreated is sent when a group appears.
	EventGroupCreated WebhookEventType = "dsync.group.created"
	// EventGroupUpdated is sent when a group's name changes.
	EventGroupUpdated WebhookEventType = "dsync.group.updated"
	// EventGroupDeleted is sent when a group goes.
	EventGroupDeleted WebhookEventType = "dsync.group.deleted"
	// EventGroupUserAdded is sent when a person joins a group.
	EventGroupUserAdded WebhookEventType = "dsync.group.user_added"
	// EventGroupUserRemoved is sent when a person leaves a group (or is deleted).
	EventGroupUserRemoved WebhookEventType = "dsync.group.user_removed"
)

// AllWebhookEventTypes lists every WebhookEventType: what spec.events means when it is empty.
var AllWebhookEventTypes = []WebhookEventType{
	EventUserCreated, EventUserUpdated, EventUserDeleted,
	EventGroupCreated, EventGroupUpdated, EventGroupDeleted,
	EventGroupUserAdded, EventGroupUserRemoved,
}

// WebhookFormat is how a DirectoryWebhook shapes its requests.
// +kubebuilder:validation:Enum=WorkOS;CloudEvents
type WebhookFormat string

const (
	// WebhookFormatWorkOS sends bodies and the WorkOS-Signature header shaped like WorkOS's own webhooks.
	WebhookFormatWorkOS WebhookFormat = "WorkOS"
	// WebhookFormatCloudEvents sends CloudEvents 1.0 in structured JSON mode, signed the same way.
	WebhookFormatCloudEvents WebhookFormat = "CloudEvents"
)

// WebhookInitial says what a new DirectoryWebhook tells of the people and groups that already exist.
// +kubebuilder:validation:Enum=All;None
type WebhookInitial string

const (
	// WebhookInitialAll delivers a created event for every existing group and person (and their memberships).
	WebhookInitialAll WebhookInitial = "All"
	// WebhookInitialNone records what exists when the webhook starts without sending it; only later changes are delivered.
	WebhookInitialNone WebhookInitial = "None"
)

// Defaults of DirectoryWebhook, as the CRD applies them at admission.
const (
	// DefaultWebhookSecretKey is spec.secretRef.key's default.
	DefaultWebhookSecretKey = "secret"
)

// Labels and annotations of DirectoryWebhook and its records.
const (
	// LabelWebhook is set on every DirectoryWebhookRecord to the name of its DirectoryWebhook.
	LabelWebhook = "dirsync.io/webhook"
	// AnnotationApproveRemovals approves the removals a DirectoryWebhook holds when its value is the
	// status.heldRemovals.approvalToken of exactly that set; an approval is used once.
	AnnotationApproveRemovals = "dirsync.io/approve-removals"
)

// WebhookSecretReference names the Secret, in the DirectoryWebhook's namespace, holding the signing
// secret. There is deliberately no namespace field.
type WebhookSecretReference struct {
	// name is the name of the Secret in the DirectoryWebhook's namespace.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	Name string `json:"name,omitempty"`

	// key is the key within the Secret's data that holds the signing secret.
	// +optional
	// +kubebuilder:default=secret
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	Key string `json:"key,omitempty"`
}

// KeyOrDefault returns key, or "secret" when it is unset (as the CRD defaults it).
func (r WebhookSecretReference) KeyOrDefault() string {
	if r.Key == "" {
		return DefaultWebhookSecretKey
	}
	return r.Key
}

// DirectoryWebhookSpec says which Directory's changes are sent where, and how.
type DirectoryWebhookSpec struct {
	// directoryRef names the Directory, in this namespace, whose people and groups the events describe.
	// It cannot be changed: create another DirectoryWebhook to follow another Directory.
	// +required
	// +kubebuilder:validation:XValidation:rule="self == oldSelf",message="directoryRef cannot be changed; create another DirectoryWebhook"
	DirectoryRef DirectoryReference `json:"directoryRef,omitzero"`

	// url is where events are POSTed. It must be https:// unless the manager runs with
	// --allow-insecure-endpoints; loopback, link-local and cloud metadata addresses are refused likewise.
	// Redirects are never followed.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=2048
	// +kubebuilder:validation:XValidation:rule="isURL(self) && (self.startsWith('https://') || self.startsWith('http://')) && url(self).getHostname() != ''",message="url must be an absolute https:// URL with a host, e.g. https://app.example.com/webhooks/workos"
	URL string `json:"url,omitempty"`

	// secretRef names the Secret, in this namespace, and the key in it that holds the signing secret
	// (the WorkOS-Signature HMAC key).
	// +required
	SecretRef WebhookSecretReference `json:"secretRef,omitzero"`

	// events lists the event types to deliver; empty or absent means all of them. Changes of other
	// types are recorded as delivered without being sent.
	// +optional
	// +listType=set
	// +kubebuilder:validation:MaxItems=8
	Events []WebhookEventType `json:"events,omitempty"`

	// format is WorkOS (bodies and the WorkOS-Signature header shaped like WorkOS's own webhooks) or
	// CloudEvents (CloudEvents 1.0 structured JSON, signed the same way).
	// +optional
	// +kubebuilder:default=WorkOS
	Format WebhookFormat `json:"format,omitempty"`

	// initial is All (a new webhook delivers a created event for everyone who exists) or None (it records
	// what exists without sending it, and delivers only later changes). Only read when the webhook starts
	// with no record.
	// +optional
	// +kubebuilder:default=All
	Initial WebhookInitial `json:"initial,omitempty"`

	// suspend stops all deliveries while true; changes keep accumulating and are delivered on resume.
	// +optional
	Suspend *bool `json:"suspend,omitempty"`
}

// HeldRemovals describes the removals a DirectoryWebhook holds, and how to approve exactly them.
type HeldRemovals struct {
	// users is how many people's deletion or deactivation events are held.
	// +optional
	Users int32 `json:"users,omitzero"`
	// groups is how many group deletion events are held.
	// +optional
	Groups int32 `json:"groups,omitzero"`
	// names lists up to 20 of the held objects (DirectoryUser and DirectoryGroup names), users first, each sorted.
	// +optional
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=20
	Names []string `json:"names,omitempty"`
	// approvalToken is derived from the exact held set. Annotating the DirectoryWebhook with
	// dirsync.io/approve-removals=<token> delivers exactly this set.
	// +optional
	ApprovalToken string `json:"approvalToken,omitempty"`
}

// DirectoryWebhookStatus is what the operator last delivered.
type DirectoryWebhookStatus struct {
	// conditions hold Ready: True (Delivered: nothing pending; Delivering: events are on their way) or
	// False (ReceiverFailing, RemovalsHeld, SecretNotFound, InvalidSpec, DirectoryNotReady, Suspended).
	// +optional
	// +listType=map
	// +listMapKey=type
	Conditions []metav1.Condition `json:"conditions,omitempty"`

	// observedGeneration is the generation of the spec the deliveries use.
	// +optional
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`

	// pendingEvents is how many events wait to be delivered (held ones included).
	// +optional
	PendingEvents int32 `json:"pendingEvents,omitzero"`

	// deliveredEvents is how many events the receiver acknowledged since the webhook was created
	// (events of types not in spec.events are not counted).
	// +optional
	DeliveredEvents int64 `json:"deliveredEvents,omitzero"`

	// failedAttempts is how many delivery attempts failed since the receiver last acknowledged one.
	// +optional
	FailedAttempts int32 `json:"failedAttempts,omitzero"`

	// lastError says why the last failed attempt failed: the HTTP status or the kind of network error,
	// never a response body or the secret.
	// +optional
	// +kubebuilder:validation:MaxLength=256
	LastError string `json:"lastError,omitempty"`

	// lastDeliveryTime is when the receiver last acknowledged an event.
	// +optional
	LastDeliveryTime *metav1.Time `json:"lastDeliveryTime,omitempty"`

	// recordedUsers and recordedGroups are how many people and groups the receiver has been told of
	// (the webhook's record, kept in its DirectoryWebhookRecords).
	// +optional
	RecordedUsers int32 `json:"recordedUsers,omitzero"`

	// recordedGroups is how many groups the receiver has been told of.
	// +optional
	RecordedGroups int32 `json:"recordedGroups,omitzero"`

	// heldRemovals describes the deletions and deactivations held because they exceed the Directory's
	// spec.deletionGuard.maxDeletePercent, with the token that approves them.
	// +optional
	HeldRemovals *HeldRemovals `json:"heldRemovals,omitempty"`

	// lastApproval is the last approval of held removals that was accepted.
	// +optional
	LastApproval *DeletionApproval `json:"lastApproval,omitempty"`

	// lastHandledApproval is the value of the dirsync.io/approve-removals annotation that was last
	// answered, accepted or not; an approval is used once.
	// +optional
	LastHandledApproval string `json:"lastHandledApproval,omitempty"`
}

// DirectoryWebhook sends signed events about a Directory's people and groups to an application, as
// WorkOS Directory Sync's webhooks do. Events are derived from state: what the Directory holds now
// against what this webhook has delivered, so nothing is lost across restarts or receiver outages.
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:categories=dirsync,shortName=dwh
// +kubebuilder:printcolumn:name="Directory",type=string,JSONPath=".spec.directoryRef.name"
// +kubebuilder:printcolumn:name="Format",type=string,JSONPath=".spec.format"
// +kubebuilder:printcolumn:name="Ready",type=string,JSONPath=".status.conditions[?(@.type==\"Ready\")].status"
// +kubebuilder:printcolumn:name="Reason",type=string,JSONPath=".status.conditions[?(@.type==\"Ready\")].reason"
// +kubebuilder:printcolumn:name="Pending",type=integer,JSONPath=".status.pendingEvents"
// +kubebuilder:printcolumn:name="Delivered",type=integer,JSONPath=".status.deliveredEvents"
// +kubebuilder:printcolumn:name="URL",type=string,JSONPath=".spec.url",priority=1
// +kubebuilder:printcolumn:name="Last Error",type=string,JSONPath=".status.lastError",priority=1
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=".metadata.creationTimestamp"
// +kubebuilder:validation:XValidation:rule="size(self.metadata.name) <= 63",message="a DirectoryWebhook's name must be at most 63 characters: it is used as the dirsync.io/webhook label value"
type DirectoryWebhook struct {
	metav1.TypeMeta `json:",inline"`
	// metadata is the object's standard metadata.
	// +optional
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// spec says which Directory's changes are sent where.
	// +required
	Spec DirectoryWebhookSpec `json:"spec,omitzero"`

	// status is what the operator last delivered.
	// +optional
	Status DirectoryWebhookStatus `json:"status,omitzero"`
}

// +kubebuilder:object:root=true

// DirectoryWebhookList contains a list of DirectoryWebhook.
type DirectoryWebhookList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []DirectoryWebhook `json:"items"`
}

// GetConditions returns the webhook's conditions.
func (w *DirectoryWebhook) GetConditions() []metav1.Condition { return w.Status.Conditions }

// SetConditions replaces the webhook's conditions.
func (w *DirectoryWebhook) SetConditions(c []metav1.Condition) { w.Status.Conditions = c }

// IsSuspended reports whether spec.suspend is true.
func (w *DirectoryWebhook) IsSuspended() bool { return w.Spec.Suspend != nil && *w.Spec.Suspend }

// FormatOrDefault returns spec.format, or WorkOS when it is unset.
func (w *DirectoryWebhook) FormatOrDefault() WebhookFormat {
	if w.Spec.Format == "" {
		return WebhookFormatWorkOS
	}
	return w.Spec.Format
}

// InitialOrDefault returns spec.initial, or All when it is unset.
func (w *DirectoryWebhook) InitialOrDefault() WebhookInitial {
	if w.Spec.Initial == "" {
		return WebhookInitialAll
	}
	return w.Spec.Initial
}

// EventsOrDefault returns spec.events, or every event type when it is empty.
func (w *DirectoryWebhook) EventsOrDefault() []WebhookEventType {
	if len(w.Spec.Events) == 0 {
		return AllWebhookEventTypes
	}
	return w.Spec.Events
}

// DirectoryWebhookRecordSpec is one shard of a DirectoryWebhook's record: for each person and group of
// the shard, what the receiver has been told (an id, a content hash, a sequence number and, per person,
// the groups), compressed. The operator alone writes it; see docs/webhooks-out.md.
type DirectoryWebhookRecordSpec struct {
	// layout numbers the way the record is split into shards; a record that grows is written again
	// under the next layout before the previous one is deleted.
	// +required
	// +kubebuilder:validation:Minimum=1
	Layout int32 `json:"layout,omitempty"`

	// shards is how many shards the layout has.
	// +required
	// +kubebuilder:validation:Minimum=1
	Shards int32 `json:"shards,omitempty"`

	// shard is this shard's index, from 0 to shards-1.
	// +optional
	// +kubebuilder:validation:Minimum=0
	Shard int32 `json:"shard,omitzero"`

	// entries is how many people and groups the shard holds.
	// +optional
	// +kubebuilder:validation:Minimum=0
	Entries int32 `json:"entries,omitzero"`

	// data is the shard's entries, gzip-compressed text (see docs/webhooks-out.md, "The record").
	// +optional
	// +kubebuilder:validation:MaxLength=1048576
	Data []byte `json:"data,omitempty"`
}

// DirectoryWebhookRecord is one shard of what a DirectoryWebhook has delivered, owned by it and written
// only by the operator: no role of the install lets namespace users change it.
// +kubebuilder:object:root=true
// +kubebuilder:printcolumn:name="Layout",type=integer,JSONPath=".spec.layout"
// +kubebuilder:printcolumn:name="Shard",type=integer,JSONPath=".spec.shard"
// +kubebuilder:printcolumn:name="Entries",type=integer,JSONPath=".spec.entries"
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=".metadata.creationTimestamp"
type DirectoryWebhookRecord struct {
	metav1.TypeMeta `json:",inline"`
	// metadata is the object's standard metadata.
	// +optional
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// spec is the shard's content.
	// +required
	Spec DirectoryWebhookRecordSpec `json:"spec,omitzero"`
}

// +kubebuilder:object:root=true

// DirectoryWebhookRecordList contains a list of DirectoryWebhookRecord.
type DirectoryWebhookRecordList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []DirectoryWebhookRecord `json:"items"`
}

func init() {
	register(&DirectoryWebhook{}, &DirectoryWebhookList{}, &DirectoryWebhookRecord{}, &DirectoryWebhookRecordList{})
}
