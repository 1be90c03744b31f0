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

// Condition types.
const (
	// ConditionReady is the Directory's summary condition: True when the last sync succeeded.
	ConditionReady = "Ready"
	// ConditionSynced is the DirectoryUser/DirectoryGroup condition: True while the object matches the provider.
	ConditionSynced = "Synced"
	// ConditionSyncing is the Directory's progress condition: True while a sync that has run for more than
	// a few seconds is still running, with what it has done so far; False otherwise.
	ConditionSyncing = "Syncing"
	// ConditionWebhookReceiver is the Directory's webhook condition, present while spec.webhook.enabled is
	// true: True when status.webhook.path takes requests, False with a reason otherwise.
	ConditionWebhookReceiver = "WebhookReceiver"
)

// Reasons of the Directory's WebhookReceiver condition.
const (
	// ReasonReceiving: status.webhook.path takes requests.
	ReasonReceiving = "Receiving"
	// ReasonWebhookSecretInvalid: the token Secret is missing, has no usable token, or (for the Secret the
	// operator makes) exists but belongs to someone else; status.webhook.path is empty.
	ReasonWebhookSecretInvalid = "WebhookSecretInvalid"
	// ReasonReceiverDisabled: the manager runs with --receiver-bind-address=0, so nothing listens on the path.
	ReasonReceiverDisabled = "ReceiverDisabled"
)

// Reasons of the Directory's Ready condition.
const (
	// ReasonSynced: the last sync fetched the whole directory and applied it.
	ReasonSynced = "Synced"
	// ReasonSecretNotFound: the credentials Secret, or its key, does not exist.
	ReasonSecretNotFound = "SecretNotFound"
	// ReasonInvalidCredentials: the provider rejected the API key.
	ReasonInvalidCredentials = "InvalidCredentials"
	// ReasonProviderUnavailable: the provider could not be reached or answered with a server error.
	ReasonProviderUnavailable = "ProviderUnavailable"
	// ReasonRateLimited: the provider throttled the operator; the next attempt waits as it asked.
	ReasonRateLimited = "RateLimited"
	// ReasonInvalidProviderResponse: the provider answered with something that is not a complete directory.
	ReasonInvalidProviderResponse = "InvalidProviderResponse"
	// ReasonInsecureEndpoint: spec.endpoint is http:// and the manager does not allow insecure endpoints.
	ReasonInsecureEndpoint = "InsecureEndpoint"
	// ReasonDeletionGuardTriggered: the sync would delete too many users or groups, so deletions are held.
	ReasonDeletionGuardTriggered = "DeletionGuardTriggered"
	// ReasonSuspended: spec.suspend is true; no provider calls are made.
	ReasonSuspended = "Suspended"
	// ReasonApplyFailed: the provider's data was read, but writing it to the cluster failed (a name owned by
	// someone else, a quota, an admission policy); the message says how many writes failed and why the first did.
	ReasonApplyFailed = "ApplyFailed"
	// ReasonInvalidSpec: the Directory's spec cannot be used with its provider (e.g. an endpoint it cannot use).
	ReasonInvalidSpec = "InvalidSpec"
	// ReasonDryRun: spec.dryRun is true; the last sync computed status.plan and wrote no user or group.
	ReasonDryRun = "DryRun"
	// ReasonTooManyUsers: the provider lists more employees than the manager's --max-users-per-directory
	// allows; the sync stopped reading there and changed nothing.
	ReasonTooManyUsers = "TooManyUsers"
)

// Reasons of the Directory's Syncing condition.
const (
	// ReasonReadingProvider: the sync is reading the provider.
	ReasonReadingProvider = "ReadingProvider"
	// ReasonApplying: the sync is writing users and groups.
	ReasonApplying = "Applying"
	// ReasonIdle: no sync is running.
	ReasonIdle = "Idle"
)

// Reasons of the DirectoryUser/DirectoryGroup Synced condition.
const (
	// ReasonUpToDate: the object matches what the provider returned in the last sync.
	ReasonUpToDate = "UpToDate"
	// ReasonRemovedFromProvider: the provider no longer returns this object, and its deletion is held by the deletion guard.
	ReasonRemovedFromProvider = "RemovedFromProvider"
)

// Reasons of the DirectoryAccess's Ready condition (issue 14, the access stream).
const (
	// ReasonBound: every selected, eligible person is bound in every target namespace.
	ReasonBound = "Bound"
	// ReasonNotPermitted: dirsync may not write a RoleBinding it needs (the admin has not bound
	// dirsync-access-grantor there, or the role is not in its allow-list), or a RoleBinding of that name
	// exists that dirsync did not create. Nothing is granted anywhere until that is fixed; revocations still happen.
	ReasonNotPermitted = "NotPermitted"
	// ReasonSubjectConflict: two people of the Directory render the same subject, which is bound for neither.
	ReasonSubjectConflict = "SubjectConflict"
	// ReasonRevocationHeld: the directory data would revoke more than spec.revocationGuard.maxRevokePercent
	// of the subjects at once, so those revocations are held.
	ReasonRevocationHeld = "RevocationHeld"
	// ReasonDirectoryNotReady: the Directory cannot read its HR system (or does not exist yet), so the
	// RoleBindings are kept as they were, except that people past their endDate or Inactive are still removed.
	ReasonDirectoryNotReady = "DirectoryNotReady"
	// ReasonInvalidTemplate: spec.subject.template does not parse, or renders no valid subject for some people.
	ReasonInvalidTemplate = "InvalidTemplate"
	// ReasonInvalidSelector: spec.groupSelector or spec.target.namespaceSelector is not a valid label selector.
	ReasonInvalidSelector = "InvalidSelector"
	// ReasonDirectoryNotFound: the Directory named by spec.directoryRef does not exist, so nobody can be
	// known to belong: every subject dirsync bound is revoked (fail closed).
	ReasonDirectoryNotFound = "DirectoryNotFound"
	// ReasonDirectoryStale: the Directory has applied no provider data for longer than
	// spec.lifecycle.maxDirectoryStaleness (a failing provider, suspend or dry run), so every subject
	// dirsync bound is revoked (fail closed) until it syncs again.
	ReasonDirectoryStale = "DirectoryStale"
	// ReasonAdmissionPolicyMissing: the ValidatingAdmissionPolicy (or its binding) that checks who may
	// create a DirectoryAccess is not installed, so dirsync grants nothing (it still revokes).
	ReasonAdmissionPolicyMissing = "AdmissionPolicyMissing"
	// ReasonBindingTooLarge: a RoleBinding would exceed the size dirsync writes (about 1 MiB), so nothing
	// is granted (it still revokes).
	ReasonBindingTooLarge = "BindingTooLarge"
)

// Reasons of the DirectoryWebhook's Ready condition (issue 24, events for applications). It also uses
// ReasonSecretNotFound, ReasonInvalidSpec, ReasonSuspended and ReasonDirectoryNotReady.
const (
	// ReasonDelivered: the receiver has acknowledged every change of the Directory; nothing is pending.
	ReasonDelivered = "Delivered"
	// ReasonDelivering: events are pending and the receiver is acknowledging them.
	ReasonDelivering = "Delivering"
	// ReasonReceiverFailing: the receiver refused, failed or did not answer the last attempts; they are
	// retried with backoff and nothing is lost.
	ReasonReceiverFailing = "ReceiverFailing"
	// ReasonRemovalsHeld: the pending deletions and deactivations exceed the Directory's
	// spec.deletionGuard.maxDeletePercent, so they are held (status.heldRemovals) until approved.
	ReasonRemovalsHeld = "RemovalsHeld"
)
