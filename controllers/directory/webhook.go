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
	"context"
	"fmt"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	dirsyncv1alpha1 "github.com/dirsync/dirsync/api/v1alpha1"
	"github.com/dirsync/dirsync/internal/receiver/token"
)

// reconcileWebhook keeps status.webhook and the WebhookReceiver condition in step with spec.webhook: it
// makes the token Secret the Directory owns when none is named and none exists, and derives the
// receiver's path from the token whenever the Secret's version changes. A Secret whose version is the one
// the path came from is not read again, so the reconciles that children's events cause cost one lookup in
// the metadata cache. Only API failures other than a refusal are returned.
func (r *Reconciler) reconcileWebhook(ctx context.Context, dir *dirsyncv1alpha1.Directory, now time.Time) error {
	if !dir.WebhookEnabled() {
		dir.Status.Webhook = nil
		meta.RemoveStatusCondition(&dir.Status.Conditions, dirsyncv1alpha1.ConditionWebhookReceiver)
		return nil
	}
	s, err := r.tokenSecret(ctx, dir)
	if err != nil {
		return err
	}
	webhookStatus(dir, s, !r.ReceiverDisabled, now)
	return nil
}

// ownsTokenSecret reports whether the operator makes (and owns) the Directory's token Secret.
func ownsTokenSecret(dir *dirsyncv1alpha1.Directory) bool {
	return dir.Spec.Webhook == nil || dir.Spec.Webhook.SecretRef == nil
}

// tokenSecret finds the Directory's token Secret and derives the path from it (see reconcileWebhook).
func (r *Reconciler) tokenSecret(ctx context.Context, dir *dirsyncv1alpha1.Directory) (tokenSecret, error) {
	key := types.NamespacedName{Namespace: dir.Namespace, Name: dir.WebhookSecretName()}
	cached := &metav1.PartialObjectMetadata{}
	cached.SetGroupVersionKind(corev1.SchemeGroupVersion.WithKind("Secret"))
	err := r.Client.Get(ctx, key, cached)
	if err != nil && !apierrors.IsNotFound(err) {
		return tokenSecret{}, fmt.Errorf("getting Secret %s: %w", key, err)
	}
	if st := dir.Status.Webhook; err == nil && st != nil && st.Path != "" && st.SecretVersion == cached.ResourceVersion {
		return tokenSecret{path: st.Path, version: st.SecretVersion}, nil
	}
	// The cache may not have seen a Secret just made: the API server says whether it exists.
	secret := &corev1.Secret{}
	err = r.APIReader.Get(ctx, key, secret)
	switch {
	case apierrors.IsNotFound(err) && ownsTokenSecret(dir):
		return r.createTokenSecret(ctx, dir, key)
	case apierrors.IsNotFound(err):
		return tokenSecret{problem: missingTokenSecret(dir, key.Name)}, nil
	case apierrors.IsForbidden(err):
		return tokenSecret{problem: forbiddenTokenSecret(dir, key.Name)}, nil
	case err != nil:
		return tokenSecret{}, fmt.Errorf("getting Secret %s: %w", key, err)
	}
	return readToken(dir, secret), nil
}

// readToken derives the path from a token Secret. The Secret the operator makes must be controlled by the
// Directory: a Secret of that name that someone else made is not taken over.
func readToken(dir *dirsyncv1alpha1.Directory, secret *corev1.Secret) tokenSecret {
	if ownsTokenSecret(dir) && !metav1.IsControlledBy(secret, dir) {
		return tokenSecret{problem: foreignTokenSecret(dir, secret.Name)}
	}
	t, err := token.Check(secret.Data[dirsyncv1alpha1.WebhookTokenKey])
	if err != nil {
		return tokenSecret{problem: unusableToken(dir, secret.Name, err)}
	}
	return tokenSecret{path: token.Path(dir.Namespace, dir.Name, t), version: secret.ResourceVersion}
}

// createTokenSecret makes the Directory's token Secret: a random token of 256 bits, owned by the
// Directory (deleted with it; deleting the Secret rotates the token).
func (r *Reconciler) createTokenSecret(ctx context.Context, dir *dirsyncv1alpha1.Directory, key types.NamespacedName) (tokenSecret, error) {
	t, err := token.New()
	if err != nil {
		return tokenSecret{}, err
	}
	owner, err := r.ownerRef(dir)
	if err != nil {
		return tokenSecret{}, err
	}
	secret := &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: key.Name, Namespace: key.Namespace,
			Labels:          map[string]string{dirsyncv1alpha1.LabelDirectory: dir.Name},
			OwnerReferences: []metav1.OwnerReference{owner}},
		Type: corev1.SecretTypeOpaque,
		Data: map[string][]byte{dirsyncv1alpha1.WebhookTokenKey: []byte(t)},
	}
	err = r.Client.Create(ctx, secret)
	switch {
	case apierrors.IsAlreadyExists(err): // made in the meantime (another reconcile, or a person): read it
		if err := r.APIReader.Get(ctx, key, secret); err != nil {
			return tokenSecret{}, fmt.Errorf("getting Secret %s: %w", key, err)
		}
		return readToken(dir, secret), nil
	case apierrors.IsForbidden(err):
		return tokenSecret{problem: forbiddenTokenSecret(dir, key.Name)}, nil
	case err != nil:
		return tokenSecret{}, fmt.Errorf("creating Secret %s: %w", key, err)
	}
	r.Recorder.Eventf(dir, nil, corev1.EventTypeNormal, "WebhookTokenCreated", "Webhook",
		"Created Secret %s with a new webhook token; status.webhook.path is the receiver's path for it.", key.Name)
	return tokenSecret{path: token.Path(dir.Namespace, dir.Name, t), version: secret.ResourceVersion}, nil
}

// peopleHRHintsPerMinute bounds the syncs that webhook hints start for Access People HR Directories,
// across the manager, in any minute. Access People HR allows 30 API calls a minute per source IP, shared
// by every Directory behind the manager's egress IP (a sync is one call); 20 leaves a third for the
// scheduled syncs. Breathe HR's client already keeps each account within its budget, hinted or not.
const peopleHRHintsPerMinute = 20

// hintBudget holds back webhook-triggered syncs beyond a provider's per-minute share (see
// peopleHRHintsPerMinute); a sync it holds back is requeued until the window has room.
type hintBudget struct {
	mu     sync.Mutex
	starts map[dirsyncv1alpha1.ProviderType][]time.Time // per provider, the starts in the last minute, oldest first
}

// hintLimits are the providers whose hinted syncs hintBudget bounds, per minute.
var hintLimits = map[dirsyncv1alpha1.ProviderType]int{dirsyncv1alpha1.ProviderAccessPeopleHR: peopleHRHintsPerMinute}

// take records a hinted sync of provider p starting at now and returns 0, or returns how long to wait
// for room in the window (recording nothing).
func (b *hintBudget) take(p dirsyncv1alpha1.ProviderType, now time.Time) time.Duration {
	limit, ok := hintLimits[p]
	if !ok {
		return 0
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.starts == nil {
		b.starts = map[dirsyncv1alpha1.ProviderType][]time.Time{}
	}
	s := b.starts[p]
	for len(s) > 0 && !now.Before(s[0].Add(time.Minute)) {
		s = s[1:]
	}
	if len(s) >= limit {
		b.starts[p] = s
		return s[0].Add(time.Minute).Sub(now)
	}
	b.starts[p] = append(s, now)
	return 0
}
