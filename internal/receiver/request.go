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

package receiver

import (
	"context"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	dirsyncv1alpha1 "github.com/dirsync/dirsync/api/v1alpha1"
)

// dirState is what the receiver remembers of one Directory that sent requests lately: its rate and Event
// budgets, and when it last wrote the Directory's sync request and lastReceivedTime. It is forgotten
// once idle (forgetIdle): a new one starts with full budgets, which is what the old one had refilled to.
type dirState struct {
	key        types.NamespacedName
	requests   bucket
	events     bucket
	lastWrite  time.Time   // the last sync request written (or being written)
	trailing   *time.Timer // the write scheduled for lastWrite + WriteEvery, if any
	lastStatus time.Time   // the last lastReceivedTime written
	seen       time.Time   // the last request
}

// forgetAfter is how long a Directory's state outlives its last request: longer than any of its buckets
// takes to refill, and than WriteEvery and StatusEvery.
const forgetAfter = 2 * time.Minute

// takeGlobal takes a token of the receiver-wide bucket.
func (r *Receiver) takeGlobal(now time.Time) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.global.take(now, rate{r.limits.GlobalPerSecond, r.limits.GlobalBurst})
}

// takeDirectory takes a token of the Directory's bucket.
func (r *Receiver) takeDirectory(dir *dirsyncv1alpha1.Directory, now time.Time) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.stateOf(dir, now).requests.take(now, rate{r.limits.DirectoryPerSecond, r.limits.DirectoryBurst})
}

// stateOf is the Directory's state, made if needed; r.mu must be held.
func (r *Receiver) stateOf(dir *dirsyncv1alpha1.Directory, now time.Time) *dirState {
	s, ok := r.dirs[dir.UID]
	if !ok {
		s = &dirState{key: client.ObjectKeyFromObject(dir)}
		r.dirs[dir.UID] = s
	}
	s.seen = now
	return s
}

// requestSync answers an accepted request: an Event (within the Directory's budget), lastReceivedTime
// (at most every StatusEvery), and the sync request itself, written at once unless one was written less
// than WriteEvery ago; then one more write is scheduled for the end of that interval, which every request
// until then joins. So a flood of requests costs one annotation write per WriteEvery per replica, and the
// last request of a flood is always followed by a write, hence by a sync that starts after it.
func (r *Receiver) requestSync(ctx context.Context, dir *dirsyncv1alpha1.Directory, h hint, now time.Time) error {
	r.mu.Lock()
	s := r.stateOf(dir, now)
	event := s.events.take(now, rate{r.limits.EventsPerMinute / 60, r.limits.EventBurst})
	status := now.Sub(s.lastStatus) >= r.limits.StatusEvery && !receivedSince(dir, now.Add(-r.limits.StatusEvery))
	if status {
		s.lastStatus = now
	}
	write := now.Sub(s.lastWrite) >= r.limits.WriteEvery
	switch {
	case write:
		s.lastWrite = now
	case s.trailing == nil && r.ctx != nil && !r.stopped:
		r.pending.Add(1)
		uid := dir.UID
		s.trailing = time.AfterFunc(s.lastWrite.Add(r.limits.WriteEvery).Sub(now), func() { defer r.pending.Done(); r.trailingWrite(uid) })
	}
	r.mu.Unlock()

	if event {
		r.Recorder.Eventf(dir, nil, corev1.EventTypeNormal, "WebhookReceived", "Webhook",
			"Webhook request: %s. A sync is requested.", describe(h))
	}
	if status {
		r.writeReceived(ctx, dir, now)
	}
	if !write {
		return nil
	}
	if err := r.writeRequest(ctx, client.ObjectKeyFromObject(dir), now); err != nil {
		r.mu.Lock()
		s.lastWrite = time.Time{} // the next request writes at once
		r.mu.Unlock()
		return err
	}
	return nil
}

// receivedSince reports whether the Directory's lastReceivedTime (as cached) is after t.
func receivedSince(dir *dirsyncv1alpha1.Directory, t time.Time) bool {
	w := dir.Status.Webhook
	return w != nil && w.LastReceivedTime != nil && w.LastReceivedTime.After(t)
}

// trailingWrite is the scheduled write of a Directory's sync request: unless the Directory has gone,
// turned its webhook off or been suspended meanwhile.
func (r *Receiver) trailingWrite(uid types.UID) {
	now := r.Clock.Now()
	r.mu.Lock()
	s, ok := r.dirs[uid]
	if ok {
		s.trailing, s.lastWrite = nil, now
	}
	ctx := r.ctx
	r.mu.Unlock()
	if !ok || ctx.Err() != nil {
		return
	}
	dir := &dirsyncv1alpha1.Directory{}
	if err := r.Client.Get(ctx, s.key, dir); err != nil || dir.UID != uid || !dir.WebhookEnabled() || dir.IsSuspended() {
		return
	}
	if err := r.writeRequest(ctx, s.key, now); err != nil {
		r.log.Error(err, "Requesting a sync failed", "directory", s.key)
	}
}

// writeRequest sets the Directory's dirsync.io/sync-requested-at to a new "webhook/<time>" value: a merge
// patch of that one annotation, so it races with nobody's other changes.
func (r *Receiver) writeRequest(ctx context.Context, key types.NamespacedName, now time.Time) error {
	value := dirsyncv1alpha1.SyncRequestWebhookPrefix + now.UTC().Format(time.RFC3339Nano)
	patch := fmt.Appendf(nil, `{"metadata":{"annotations":{%q:%q}}}`, dirsyncv1alpha1.AnnotationSyncRequestedAt, value)
	dir := &dirsyncv1alpha1.Directory{ObjectMeta: metav1.ObjectMeta{Namespace: key.Namespace, Name: key.Name}}
	if err := r.Client.Patch(ctx, dir, client.RawPatch(types.MergePatchType, patch)); err != nil {
		return fmt.Errorf("annotating Directory %s: %w", key, err)
	}
	syncRequestsTotal.Inc()
	return nil
}

// writeReceived sets status.webhook.lastReceivedTime, as a merge patch of that one field. A failure is
// only logged: the sync request matters, this does not.
func (r *Receiver) writeReceived(ctx context.Context, dir *dirsyncv1alpha1.Directory, now time.Time) {
	t, err := metav1.NewTime(now.Truncate(time.Second)).MarshalJSON()
	if err != nil {
		return
	}
	patch := fmt.Appendf(nil, `{"status":{"webhook":{"lastReceivedTime":%s}}}`, t)
	target := &dirsyncv1alpha1.Directory{ObjectMeta: metav1.ObjectMeta{Namespace: dir.Namespace, Name: dir.Name}}
	if err := r.Client.Status().Patch(ctx, target, client.RawPatch(types.MergePatchType, patch)); err != nil {
		r.log.V(1).Info("Writing status.webhook.lastReceivedTime failed", "directory", client.ObjectKeyFromObject(dir), "error", err.Error())
	}
}

// stopTrailing cancels the scheduled writes that have not started, and lets no more be scheduled: the
// manager is stopping, and the next leader's schedule (or the sender's retry) is the safety net.
func (r *Receiver) stopTrailing() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.stopped = true
	for _, s := range r.dirs {
		if s.trailing != nil && s.trailing.Stop() {
			s.trailing = nil
			r.pending.Done()
		}
	}
}

// forgetIdle drops, every minute, the state of Directories that sent nothing for forgetAfter.
func (r *Receiver) forgetIdle(ctx context.Context) {
	t := time.NewTicker(time.Minute)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		now := r.Clock.Now()
		r.mu.Lock()
		for uid, s := range r.dirs {
			if s.trailing == nil && now.Sub(s.seen) > forgetAfter {
				delete(r.dirs, uid)
			}
		}
		r.mu.Unlock()
	}
}
