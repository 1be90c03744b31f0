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

package directoryaccess

import (
	"sync"
	"time"

	"k8s.io/apimachinery/pkg/types"
	ctrl "sigs.k8s.io/controller-runtime"
)

// The settle state machine: revocations that the directory data causes wait until a Directory has
// written all of one sync's DirectoryUser changes (see guardedSubjects), so that the revocation guard
// weighs them at once. Every time here is the reconciler's injected clock.

// userChanges remembers, per DirectoryAccess, the first and the last DirectoryUser change the manager
// saw that no reconcile has finished handling: the first for dirsync_access_revocation_seconds, the
// last to tell whether a Directory is still writing one sync's changes (see guardedSubjects). A
// reconcile that finds revocations it cannot attribute to a noted change (a timer, a restart, or a
// change the cache holds before its event reached this controller) starts a wait of its own with hold.
type userChanges struct {
	mu sync.Mutex
	// first and last are the first and last noted DirectoryUser change; since is when the current wait
	// began (the first change, or a hold), which bounds it.
	first, last, since map[types.NamespacedName]time.Time
}

// changeState is what userChanges knows about one DirectoryAccess.
type changeState struct {
	first, last, since time.Time
	hasFirst, hasLast  bool
}

// note records that a DirectoryUser change relevant to key was seen at t.
func (c *userChanges) note(key types.NamespacedName, t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.init()
	if old, ok := c.first[key]; !ok || t.Before(old) {
		c.first[key] = t
	}
	if t.After(c.last[key]) {
		c.last[key] = t
	}
	if old, ok := c.since[key]; !ok || t.Before(old) {
		c.since[key] = t
	}
}

// hold starts (or extends) a settle wait for key at t without a DirectoryUser change to time.
func (c *userChanges) hold(key types.NamespacedName, t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.init()
	if t.After(c.last[key]) {
		c.last[key] = t
	}
	if _, ok := c.since[key]; !ok {
		c.since[key] = t
	}
}

func (c *userChanges) init() {
	if c.first == nil {
		c.first, c.last, c.since = map[types.NamespacedName]time.Time{}, map[types.NamespacedName]time.Time{}, map[types.NamespacedName]time.Time{}
	}
}

// state returns what is known about key.
func (c *userChanges) state(key types.NamespacedName) changeState {
	c.mu.Lock()
	defer c.mu.Unlock()
	var s changeState
	s.first, s.hasFirst = c.first[key]
	s.last, s.hasLast = c.last[key]
	s.since = c.since[key]
	return s
}

// handled forgets key's changes, unless one newer than last arrived meanwhile (its reconcile is queued).
func (c *userChanges) handled(key types.NamespacedName, last time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.last[key].After(last) {
		return
	}
	delete(c.first, key)
	delete(c.last, key)
	delete(c.since, key)
}

// settling reports whether DirectoryUser changes of the Directory may still be arriving at now: the
// last one less than revocationSettle ago, or none noted at all (revocations nothing explains wait from
// when they are seen, see trackSettle). A wait never lasts longer than limit from when it began, however
// fast changes keep coming: revocations then go to the guard with what has arrived.
func (s changeState) settling(now time.Time, limit time.Duration) bool {
	if !s.hasLast {
		return true
	}
	return now.Sub(s.last) < revocationSettle && now.Sub(s.since) < limit
}

// settleLimit is how long revocations may wait for the directory data to settle: SettleLimit, or 30s.
func (r *Reconciler) settleLimit() time.Duration {
	if r.SettleLimit > 0 {
		return r.SettleLimit
	}
	return defaultSettleLimit
}

// trackSettle keeps the settle wait going while revocations are deferred (starting one when no
// DirectoryUser change explains them), and otherwise closes it, observing the revocation latency.
func (r *Reconciler) trackSettle(key types.NamespacedName, changes changeState, p plan, sum accessSummary) {
	switch {
	case p.deferred > 0 && !changes.hasLast:
		r.changes.hold(key, r.Clock.Now())
	case p.deferred == 0 && changes.hasLast:
		if sum.revoked > 0 && changes.hasFirst {
			accessRevocationSeconds.Observe(r.Clock.Since(changes.first).Seconds())
		}
		r.changes.handled(key, changes.last)
	}
}

// requeue is when to look again without an event: once the directory data has settled (or the wait's
// limit has come) if revocations wait for it, at the next startDate/endDate boundary or when the
// Directory's data goes stale (a second after it, so that the clock has passed it), and soon while
// something is not permitted or a write failed.
func (r *Reconciler) requeue(p plan, retrySoon bool, changes changeState, now time.Time) ctrl.Result {
	retry := r.NotPermittedRetry
	if retry <= 0 {
		retry = defaultNotPermittedRetry
	}
	next := p.next
	if !p.staleAt.IsZero() && (next.IsZero() || p.staleAt.Before(next)) {
		next = p.staleAt
	}
	res := accessRequeue(next, retrySoon || p.denied, retry, now)
	if p.deferred > 0 {
		settled := changes.last.Add(revocationSettle)
		if limit := changes.since.Add(r.settleLimit()); limit.Before(settled) {
			settled = limit
		}
		settle := settled.Sub(r.Clock.Now())
		if res.RequeueAfter == 0 || settle < res.RequeueAfter {
			res.RequeueAfter = max(settle, 10*time.Millisecond)
		}
	}
	return res
}
