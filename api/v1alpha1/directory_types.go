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

// ProviderType names an HR system that dirsync can read.
// +kubebuilder:validation:Enum=BreatheHR;AccessPeopleHR
type ProviderType string

const (
	// ProviderBreatheHR is Breathe HR (https://api.breathehr.com/v1).
	ProviderBreatheHR ProviderType = "BreatheHR"
	// ProviderAccessPeopleHR is Access People HR (https://api.peoplehr.net).
	ProviderAccessPeopleHR ProviderType = "AccessPeopleHR"
)

// AllProviderTypes lists every value of the ProviderType enum; a test checks the registry covers each.
var AllProviderTypes = []ProviderType{ProviderBreatheHR, ProviderAccessPeopleHR}

// InactiveUserPolicy says what happens to users the provider marks inactive.
// +kubebuilder:validation:Enum=Keep;Delete
type InactiveUserPolicy string

const (
	// InactiveUserPolicyKeep materializes inactive users with state Inactive.
	InactiveUserPolicyKeep InactiveUserPolicy = "Keep"
	// InactiveUserPolicyDelete deletes a user's object once the provider marks them inactive.
	InactiveUserPolicyDelete InactiveUserPolicy = "Delete"
)

// DeletionGuard limits how much one sync may delete.
type DeletionGuard struct {
	// maxDeletePercent is the largest share of existing users, in percent, that one sync may delete;
	// when no user goes, the same share of existing groups. A sync that would delete more holds every
	// deletion and sets Ready=False DeletionGuardTriggered. Deleting up to 3 users (or groups) is never
	// held by this rule. An empty answer from the provider, or a kind of spec.groupBy losing every one of
	// its groups, is always held (docs/operations.md, "The deletion guard"). 0 holds every deletion and
	// 100 disables the guard.
	// +optional
	// +kubebuilder:default=25
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:validation:Maximum=100
	MaxDeletePercent *int32 `json:"maxDeletePercent,omitempty"`
}

// DirectorySpec is what the platform team asks for: which HR system to read and how.
// +kubebuilder:validation:XValidation:rule="!has(self.syncInterval) || duration(self.syncInterval) >= duration('1m')",message="syncInterval must be at least 1m",fieldPath=".syncInterval"
// +kubebuilder:validation:XValidation:rule="self.provider != 'BreatheHR' || !has(self.groupBy) || self.groupBy.all(k, k in ['Department', 'Location', 'Division'])",message="BreatheHR offers the group kinds Department, Location and Division",fieldPath=".groupBy"
// +kubebuilder:validation:XValidation:rule="self.provider != 'AccessPeopleHR' || !has(self.groupBy) || self.groupBy.all(k, k in ['Department', 'Location', 'Company'])",message="AccessPeopleHR offers the group kinds Department, Location and Company",fieldPath=".groupBy"
type DirectorySpec struct {
	// provider is the HR system to read: BreatheHR or AccessPeopleHR.
	// +required
	Provider ProviderType `json:"provider,omitempty"`

	// credentialsSecretRef names the Secret, in this Directory's namespace, and the key in it that holds the provider's API key.
	// +required
	CredentialsSecretRef SecretKeyReference `json:"credentialsSecretRef,omitzero"`

	// endpoint overrides the provider's default base URL, e.g. the Breathe HR sandbox https://api.sandbox.breathehr.info/v1.
	// Its host must be one of the provider's own, over https on port 443 (api.breathehr.com and
	// api.sandbox.breathehr.info; api.peoplehr.net), unless the manager's --allowed-endpoint-hosts lists
	// it: any other is Ready=False InvalidSpec, and the API key is never sent there. http:// is refused
	// unless the manager runs with --allow-insecure-endpoints.
	// +optional
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=2048
	// +kubebuilder:validation:XValidation:rule="isURL(self) && (self.startsWith('https://') || self.startsWith('http://')) && url(self).getHostname() != ''",message="endpoint must be an absolute http:// or https:// URL with a host, e.g. https://api.sandbox.breathehr.info/v1"
	Endpoint string `json:"endpoint,omitempty"`

	// syncInterval is how often the directory is read from the provider, counted from the start of the last sync. At least 1m.
	// +optional
	// +kubebuilder:default="30m"
	// +kubebuilder:validation:Type=string
	// +kubebuilder:validation:Format=duration
	SyncInterval *metav1.Duration `json:"syncInterval,omitempty"`

	// suspend stops all provider calls while true; everything already materialized stays as it is.
	// +optional
	Suspend *bool `json:"suspend,omitempty"`

	// deletionGuard limits how many users (or, when no user goes, groups) one sync may delete.
	// +optional
	// +kubebuilder:default={}
	DeletionGuard DeletionGuard `json:"deletionGuard,omitzero"`

	// inactiveUserPolicy is Keep (materialize leavers with state Inactive) or Delete (remove a user's object once the provider marks them inactive).
	// +optional
	// +kubebuilder:default=Keep
	InactiveUserPolicy InactiveUserPolicy `json:"inactiveUserPolicy,omitempty"`

	// dryRun makes every sync read the provider and compute its plan (status.plan) without writing any
	// DirectoryUser or DirectoryGroup; Ready is then False with reason DryRun. Setting it to false applies at once.
	// +optional
	DryRun *bool `json:"dryRun,omitempty"`

	// groupBy lists what DirectoryGroups are made of: Department (the default), Location, and Division
	// (BreatheHR) or Company (AccessPeopleHR). Removing a kind deletes its groups through the deletion guard.
	// +optional
	// +kubebuilder:default={Department}
	// +listType=set
	// +kubebuilder:validation:MinItems=1
	// +kubebuilder:validation:MaxItems=4
	GroupBy []GroupType `json:"groupBy,omitempty"`

	// webhook lets the HR system (or any automation) ask for a sync at once by POSTing to the manager's
	// webhook receiver at status.webhook.path, instead of waiting for the next scheduled sync. A request is
	// a hint, never data: the sync reads the provider as a scheduled one does.
	// +optional
	Webhook *IncomingWebhook `json:"webhook,omitempty"`
}

// IncomingWebhook turns on the webhook receiver for one Directory.
type IncomingWebhook struct {
	// enabled makes the manager's receiver (--receiver-bind-address) accept POST <status.webhook.path> as a
	// request to sync this Directory soon. The path carries a secret derived from a token of at least 128
	// bits; rotate it by deleting the token Secret.
	// +optional
	Enabled *bool `json:"enabled,omitempty"`

	// secretRef names a Secret in the Directory's namespace whose key "token" holds the webhook token (at
	// least 32 characters, e.g. `openssl rand -hex 32`). When it is unset, the operator creates the Secret
	// <directory name>-webhook with a random token, owned by the Directory.
	// +optional
	SecretRef *LocalSecretReference `json:"secretRef,omitempty"`
}

// SyncChanges counts what one sync did, over users and groups together.
type SyncChanges struct {
	// created is how many objects the sync created.
	// +optional
	Created int32 `json:"created,omitzero"`
	// updated is how many objects the sync changed.
	// +optional
	Updated int32 `json:"updated,omitzero"`
	// deleted is how many objects the sync deleted.
	// +optional
	Deleted int32 `json:"deleted,omitzero"`
	// unchanged is how many objects already matched the provider.
	// +optional
	Unchanged int32 `json:"unchanged,omitzero"`
}

// SyncPlan is what a dry-run sync would do: counts over users and groups, and some of the objects' names.
type SyncPlan struct {
	// create is how many users and groups the sync would create.
	// +optional
	Create int32 `json:"create,omitzero"`
	// update is how many users and groups the sync would change.
	// +optional
	Update int32 `json:"update,omitzero"`
	// delete is how many users and groups the sync would delete.
	// +optional
	Delete int32 `json:"delete,omitzero"`
	// held is how many deletions the deletion guard would hold.
	// +optional
	Held int32 `json:"held,omitzero"`
	// guardWouldHold is true when the deletion guard would hold this plan's deletions.
	// +optional
	GuardWouldHold bool `json:"guardWouldHold,omitempty"`
	// examples names up to 10 objects per kind of change.
	// +optional
	Examples PlanExamples `json:"examples,omitzero"`
	// summary says the same in one sentence, e.g. "would create 200 users and 12 groups, update 0, delete 0".
	// +optional
	// +kubebuilder:validation:MaxLength=1024
	Summary string `json:"summary,omitempty"`
}

// PlanExamples names some of the objects a plan would change, sorted, at most 10 of each.
type PlanExamples struct {
	// create names objects the sync would create.
	// +optional
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=10
	Create []string `json:"create,omitempty"`
	// update names objects the sync would change.
	// +optional
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=10
	Update []string `json:"update,omitempty"`
	// delete names objects the sync would delete.
	// +optional
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=10
	Delete []string `json:"delete,omitempty"`
	// held names objects whose deletion the guard would hold.
	// +optional
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=10
	Held []string `json:"held,omitempty"`
}

// HeldDeletions describes the deletions the deletion guard holds, and how to approve exactly them.
type HeldDeletions struct {
	// users is how many DirectoryUser deletions are held.
	// +optional
	Users int32 `json:"users,omitzero"`
	// groups is how many DirectoryGroup deletions are held.
	// +optional
	Groups int32 `json:"groups,omitzero"`
	// names lists up to 20 of the held objects, users first, each sorted.
	// +optional
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=20
	Names []string `json:"names,omitempty"`
	// approvalToken is derived from the exact held set. Annotating the Directory with
	// dirsync.io/approve-deletions=<token> deletes exactly this set on an immediate sync.
	// +optional
	ApprovalToken string `json:"approvalToken,omitempty"`
}

// DeletionApproval records an approval of held deletions that was carried out.
type DeletionApproval struct {
	// token is the approval token that was accepted.
	// +required
	Token string `json:"token"`
	// approvedAt is when the sync that deleted the approved set started.
	// +required
	ApprovedAt metav1.Time `json:"approvedAt"`
	// users and groups are how many of each the approval deleted.
	// +optional
	Users int32 `json:"users,omitzero"`
	// groups is how many DirectoryGroups the approval deleted.
	// +optional
	Groups int32 `json:"groups,omitzero"`
}

// DirectoryStatus is what the operator last observed and did.
type DirectoryStatus struct {
	// conditions hold Ready, True (reason Synced) after a successful sync and False with a reason that
	// says what went wrong, and Syncing, True while a long sync runs, with its progress.
	// +optional
	// +listType=map
	// +listMapKey=type
	Conditions []metav1.Condition `json:"conditions,omitempty"`

	// observedGeneration is the generation of the spec that the last successful sync used.
	// +optional
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`

	// lastSyncTime is when the last sync attempt started.
	// +optional
	LastSyncTime *metav1.Time `json:"lastSyncTime,omitempty"`

	// lastSuccessfulSyncTime is when the last successful sync started.
	// +optional
	LastSuccessfulSyncTime *metav1.Time `json:"lastSuccessfulSyncTime,omitempty"`

	// lastAppliedSyncTime is when the last successful sync that applied the provider's data (not a dry
	// run) started: how fresh the DirectoryUsers are. A DirectoryAccess revokes everyone it bound once
	// this is older than its spec.lifecycle.maxDirectoryStaleness.
	// +optional
	LastAppliedSyncTime *metav1.Time `json:"lastAppliedSyncTime,omitempty"`

	// nextSyncTime is when the next scheduled sync is due: lastSyncTime + syncInterval, or sooner while retrying a failure.
	// +optional
	NextSyncTime *metav1.Time `json:"nextSyncTime,omitempty"`

	// userCount is the number of DirectoryUser objects of this Directory.
	// +optional
	UserCount int32 `json:"userCount,omitzero"`

	// activeUserCount is the number of those users whose state is Active.
	// +optional
	ActiveUserCount int32 `json:"activeUserCount,omitzero"`

	// groupCount is the number of DirectoryGroup objects of this Directory.
	// +optional
	GroupCount int32 `json:"groupCount,omitzero"`

	// lastSyncChanges counts what the last successful sync created, updated, deleted and left unchanged.
	// +optional
	LastSyncChanges *SyncChanges `json:"lastSyncChanges,omitempty"`

	// lastAttemptedGeneration is the spec generation the last sync attempt used; a newer generation syncs at once.
	// +optional
	LastAttemptedGeneration int64 `json:"lastAttemptedGeneration,omitempty"`

	// lastAttemptedSecretVersion is the resourceVersion of the credentials Secret the last sync attempt used; a rotated Secret syncs at once.
	// +optional
	LastAttemptedSecretVersion string `json:"lastAttemptedSecretVersion,omitempty"`

	// lastHandledSyncRequest is the value of the dirsync.io/sync-requested-at annotation that the last sync attempt answered.
	// +optional
	LastHandledSyncRequest string `json:"lastHandledSyncRequest,omitempty"`

	// consecutiveFailures counts failed sync attempts since the last success; it drives the retry backoff (30s doubling, capped at syncInterval).
	// +optional
	ConsecutiveFailures int32 `json:"consecutiveFailures,omitempty"`

	// plan is what the last dry-run sync would have done (spec.dryRun); absent when dryRun is false.
	// +optional
	Plan *SyncPlan `json:"plan,omitempty"`

	// heldDeletions describes the deletions the deletion guard holds now, with the token that approves them.
	// +optional
	HeldDeletions *HeldDeletions `json:"heldDeletions,omitempty"`

	// lastApproval is the last approval of held deletions that was carried out.
	// +optional
	LastApproval *DeletionApproval `json:"lastApproval,omitempty"`

	// lastHandledApproval is the value of the dirsync.io/approve-deletions annotation that the last sync answered,
	// accepted or not; an approval is used once.
	// +optional
	LastHandledApproval string `json:"lastHandledApproval,omitempty"`

	// webhook is where the webhook receiver takes this Directory's sync requests (spec.webhook); absent
	// while the webhook is off.
	// +optional
	Webhook *IncomingWebhookStatus `json:"webhook,omitempty"`
}

// IncomingWebhookStatus says where the webhook receiver listens for a Directory, and when it last heard.
type IncomingWebhookStatus struct {
	// path is the receiver's path for this Directory: POST https://<your receiver's host><path>. The path
	// is the credential (a hash of the token Secret, the Directory's namespace and name): whoever can
	// read it can ask for syncs. Empty while the token Secret is missing or invalid (see the
	// WebhookReceiver condition).
	// +optional
	// +kubebuilder:validation:MaxLength=256
	Path string `json:"path,omitempty"`

	// secretVersion is the resourceVersion of the token Secret that path was derived from.
	// +optional
	// +kubebuilder:validation:MaxLength=64
	SecretVersion string `json:"secretVersion,omitempty"`

	// lastReceivedTime is when the receiver last accepted a request for this Directory (written at most
	// every 10 seconds, not once per request).
	// +optional
	LastReceivedTime *metav1.Time `json:"lastReceivedTime,omitempty"`

	// lastHintedSyncTime is when the last sync that webhook requests started (not a scheduled or
	// requested one). The next starts no sooner than 15 seconds after it: the requests that arrive
	// meanwhile, or while it runs, are answered by one follow-up sync.
	// +optional
	LastHintedSyncTime *metav1.Time `json:"lastHintedSyncTime,omitempty"`
}

// Directory is an HR system whose employees and departments are materialized as DirectoryUser and DirectoryGroup objects in this namespace.
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:categories=dirsync,shortName=dir
// +kubebuilder:printcolumn:name="Provider",type=string,JSONPath=".spec.provider"
// +kubebuilder:printcolumn:name="Ready",type=string,JSONPath=".status.conditions[?(@.type==\"Ready\")].status"
// +kubebuilder:printcolumn:name="Reason",type=string,JSONPath=".status.conditions[?(@.type==\"Ready\")].reason"
// +kubebuilder:printcolumn:name="Users",type=integer,JSONPath=".status.userCount"
// +kubebuilder:printcolumn:name="Active",type=integer,JSONPath=".status.activeUserCount"
// +kubebuilder:printcolumn:name="Groups",type=integer,JSONPath=".status.groupCount"
// +kubebuilder:printcolumn:name="Last Sync",type=date,JSONPath=".status.lastSyncTime"
// +kubebuilder:printcolumn:name="Message",type=string,JSONPath=".status.conditions[?(@.type==\"Ready\")].message",priority=1
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=".metadata.creationTimestamp"
// +kubebuilder:validation:XValidation:rule="size(self.metadata.name) <= 63",message="a Directory's name must be at most 63 characters: it is used as the dirsync.io/directory label value"
type Directory struct {
	metav1.TypeMeta `json:",inline"`
	// metadata is the object's standard metadata.
	// +optional
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// spec says which HR system to read and how.
	// +required
	Spec DirectorySpec `json:"spec,omitzero"`

	// status is what the operator last observed and did.
	// +optional
	Status DirectoryStatus `json:"status,omitzero"`
}

// +kubebuilder:object:root=true

// DirectoryList contains a list of Directory.
type DirectoryList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []Directory `json:"items"`
}

// GetConditions returns the Directory's conditions.
func (d *Directory) GetConditions() []metav1.Condition { return d.Status.Conditions }

// SetConditions replaces the Directory's conditions.
func (d *Directory) SetConditions(c []metav1.Condition) { d.Status.Conditions = c }

// SyncIntervalOrDefault returns spec.syncInterval, or 30m when it is unset (as the CRD defaults it).
func (d *Directory) SyncIntervalOrDefault() metav1.Duration {
	if d.Spec.SyncInterval == nil || d.Spec.SyncInterval.Duration <= 0 {
		return metav1.Duration{Duration: DefaultSyncInterval}
	}
	return *d.Spec.SyncInterval
}

// IsSuspended reports whether spec.suspend is true.
func (d *Directory) IsSuspended() bool { return d.Spec.Suspend != nil && *d.Spec.Suspend }

// WebhookEnabled reports whether spec.webhook.enabled is true.
func (d *Directory) WebhookEnabled() bool {
	return d.Spec.Webhook != nil && d.Spec.Webhook.Enabled != nil && *d.Spec.Webhook.Enabled
}

// WebhookSecretName is the token Secret's name: spec.webhook.secretRef.name, or <name>-webhook, the
// Secret the operator creates and owns.
func (d *Directory) WebhookSecretName() string {
	if w := d.Spec.Webhook; w != nil && w.SecretRef != nil && w.SecretRef.Name != "" {
		return w.SecretRef.Name
	}
	return d.Name + WebhookSecretSuffix
}

// IsDryRun reports whether spec.dryRun is true.
func (d *Directory) IsDryRun() bool { return d.Spec.DryRun != nil && *d.Spec.DryRun }

// GroupByOrDefault returns spec.groupBy, or [Department] when it is unset (as the CRD defaults it).
func (d *Directory) GroupByOrDefault() []GroupType {
	if len(d.Spec.GroupBy) == 0 {
		return []GroupType{GroupTypeDepartment}
	}
	return d.Spec.GroupBy
}

// MaxDeletePercentOrDefault returns spec.deletionGuard.maxDeletePercent, or 25 when it is unset.
func (d *Directory) MaxDeletePercentOrDefault() int32 {
	if d.Spec.DeletionGuard.MaxDeletePercent == nil {
		return DefaultMaxDeletePercent
	}
	return *d.Spec.DeletionGuard.MaxDeletePercent
}

func init() {
	register(&Directory{}, &DirectoryList{})
}
