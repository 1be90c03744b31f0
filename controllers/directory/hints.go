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

package directory

import (
	"fmt"
	"strings"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	dirsyncv1alpha1 "github.com/dirsync/dirsync/api/v1alpha1"
	"github.com/dirsync/dirsync/controllers/internal/verdict"
)

// hintSpacing is the least time between the starts of two syncs that webhook hints ask for. Every hint
// that arrives meanwhile, or while the first runs, is coalesced into one follow-up sync: a flood of hints
// costs a Directory at most one sync per 15 s (4 a minute, one provider request each for Access People HR,
// whose limit is 30 a minute per IP), and 1,000 hints in 10 s cause at most two syncs. The first hint
// after a quiet spell syncs at once, even right after a scheduled sync. A person's request (kubectl
// dirsync sync) is not spaced.
const hintSpacing = 15 * time.Second

// triggerWebhook is the trigger of a sync that webhook hints asked for.
const triggerWebhook = "webhook"

// isHint reports whether a dirsync.io/sync-requested-at value was written by the webhook receiver.
func isHint(value string) bool {
	return strings.HasPrefix(value, dirsyncv1alpha1.SyncRequestWebhookPrefix)
}

// hintPending reports whether the receiver has asked for a sync that no sync has answered yet.
func hintPending(dir *dirsyncv1alpha1.Directory) bool {
	v := requestedAt(dir)
	return isHint(v) && v != dir.Status.LastHandledSyncRequest
}

// hintDue is when a pending hint may start a sync: hintSpacing after the last hinted sync started
// (status.webhook.lastHintedSyncTime), or at once when there was none. After a failed sync a hint never
// shortens the backoff (a failing or throttling provider is not called more often because the HR system
// keeps calling us): it waits for the retry the schedule already holds, which answers it. ok is false in
// that case.
func hintDue(dir *dirsyncv1alpha1.Directory) (due time.Time, ok bool) {
	st := &dir.Status
	if st.ConsecutiveFailures > 0 {
		return time.Time{}, false
	}
	if w := st.Webhook; w != nil && w.LastHintedSyncTime != nil {
		return w.LastHintedSyncTime.Add(hintSpacing), true
	}
	return time.Time{}, true
}

// markHinted records that a sync hints asked for starts now (hintDue spaces the next from it). A Directory
// whose webhook was turned off has no status.webhook to record it in: its last pending hint syncs at once.
func markHinted(dir *dirsyncv1alpha1.Directory, now time.Time) {
	if w := dir.Status.Webhook; w != nil {
		t := metav1.NewTime(now.Truncate(time.Second))
		w.LastHintedSyncTime = &t
	}
}

// hintOrWait is decide's last word, when nothing else syncs now: a pending hint syncs once hintDue has come;
// otherwise the reconcile waits until the hint or the schedule is due, whichever is first.
func hintOrWait(dir *dirsyncv1alpha1.Directory, now time.Time) decision {
	wait := dir.Status.NextSyncTime.Sub(now)
	if !hintPending(dir) {
		return decision{wait: wait}
	}
	due, ok := hintDue(dir)
	if !ok {
		return decision{wait: wait}
	}
	if !now.Before(due) {
		return decision{syncNow: true, trigger: triggerWebhook}
	}
	return decision{wait: min(wait, due.Sub(now))}
}

// tokenSecret is what reconcileWebhook found of a Directory's webhook token Secret.
type tokenSecret struct {
	// path is the receiver's path derived from the token, "" when there is no usable token.
	path string
	// version is the Secret's resourceVersion.
	version string
	// problem says, for the WebhookReceiver condition, why there is no usable token.
	problem string
}

// webhookStatus writes status.webhook and the WebhookReceiver condition from the token Secret: the path
// (or none, with the reason), keeping the receiver's lastReceivedTime. receiverOn is false when the
// manager serves no receiver (--receiver-bind-address=0).
func webhookStatus(dir *dirsyncv1alpha1.Directory, s tokenSecret, receiverOn bool, now time.Time) {
	st := dir.Status.Webhook
	if st == nil {
		st = &dirsyncv1alpha1.IncomingWebhookStatus{}
		dir.Status.Webhook = st
	}
	st.Path, st.SecretVersion = s.path, s.version
	c := metav1.Condition{Type: dirsyncv1alpha1.ConditionWebhookReceiver, Status: metav1.ConditionTrue,
		Reason:  dirsyncv1alpha1.ReasonReceiving,
		Message: "POST to status.webhook.path on the manager's webhook receiver requests a sync."}
	switch {
	case s.path == "":
		c.Status, c.Reason = metav1.ConditionFalse, dirsyncv1alpha1.ReasonWebhookSecretInvalid
		c.Message = s.problem
	case !receiverOn:
		c.Status, c.Reason = metav1.ConditionFalse, dirsyncv1alpha1.ReasonReceiverDisabled
		c.Message = "The manager runs with --receiver-bind-address=0, so no receiver listens on status.webhook.path. " +
			"Set the flag (the chart's receiver.enabled) to take webhook requests; scheduled syncs go on."
	}
	verdict.Set(dir, c, now)
}

// Messages of the WebhookReceiver condition when the token Secret cannot be used. None contains the token.
func missingTokenSecret(dir *dirsyncv1alpha1.Directory, name string) string {
	return fmt.Sprintf("Secret %s/%s does not exist. Create it with a token of at least %d characters under the key %q "+
		"(kubectl create secret generic %s -n %s --from-literal=%s=\"$(openssl rand -hex 32)\"), or remove spec.webhook.secretRef "+
		"to let the operator make one.", dir.Namespace, name, dirsyncv1alpha1.MinWebhookTokenLength, dirsyncv1alpha1.WebhookTokenKey,
		name, dir.Namespace, dirsyncv1alpha1.WebhookTokenKey)
}

func unusableToken(dir *dirsyncv1alpha1.Directory, name string, why error) string {
	return fmt.Sprintf("Secret %s/%s has no usable key %q: %v. Put a random token there; the path changes within seconds.",
		dir.Namespace, name, dirsyncv1alpha1.WebhookTokenKey, why)
}

func foreignTokenSecret(dir *dirsyncv1alpha1.Directory, name string) string {
	return fmt.Sprintf("Secret %s/%s exists but this Directory does not own it, so the operator will not use it as the webhook token. "+
		"Delete it (the operator then makes one), or name it in spec.webhook.secretRef to use its key %q.",
		dir.Namespace, name, dirsyncv1alpha1.WebhookTokenKey)
}

func forbiddenTokenSecret(dir *dirsyncv1alpha1.Directory, name string) string {
	return fmt.Sprintf("The operator may not read or create Secret %s/%s. Check that its RBAC covers this namespace "+
		"(get and create on secrets; and that --watch-namespace includes it).", dir.Namespace, name)
}
