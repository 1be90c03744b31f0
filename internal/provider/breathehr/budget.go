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

package breathehr

import (
	"context"
	"crypto/sha256"
	"sync"
	"time"
)

// Breathe HR allows 60 requests in 60 seconds per account, sends a 429 without Retry-After above it, and
// does not say how it counts. The client keeps every 60-second window, sliding or fixed, at 55 requests or
// fewer: five of headroom for other integrations using the same account and for network jitter. A
// listing of up to 55 requests goes out at once; a larger one waits a minute for each further 55.
const (
	// RequestBudget is how many requests the client sends in any BudgetWindow for one account.
	RequestBudget = 55
	// BudgetWindow is the window of Breathe HR's rate limit.
	BudgetWindow = 60 * time.Second
)

// budget keeps the requests for one account within limit per window. Waiters reserve send times in order,
// so concurrent listings (two Directories with the same key) are interleaved, never woken together.
type budget struct {
	limit  int
	window time.Duration

	mu        sync.Mutex
	slots     []time.Time // granted send times not given back, ascending
	seen      time.Time   // the latest now a reservation was asked at: no slot is granted before it
	notBefore time.Time   // after a 429: no request before this
	users     int         // listings holding the budget (for the registry)
}

// reserve grants the earliest send time at or after now that keeps every window within the limit.
func (b *budget) reserve(now time.Time) time.Time {
	b.mu.Lock()
	defer b.mu.Unlock()
	if now.After(b.seen) {
		b.seen = now
	}
	t := b.seen
	if t.Before(b.notBefore) {
		t = b.notBefore
	}
	n := len(b.slots)
	if n > 0 && t.Before(b.slots[n-1]) {
		t = b.slots[n-1]
	}
	if n >= b.limit {
		if earliest := b.slots[n-b.limit].Add(b.window); t.Before(earliest) {
			t = earliest
		}
	}
	b.slots = append(b.slots, t)
	b.forget()
	return t
}

// forget drops the slots no later reservation can share a window with: those a whole window before
// seen, since every later slot is at or after seen. Keeping a count instead (the last limit slots) is
// wrong once a slot is given back: the one dropped before it still holds its window. It compacts only
// when twice the limit is held, so that a reservation rarely copies the slice.
func (b *budget) forget() {
	if len(b.slots) <= 2*b.limit {
		return
	}
	old := 0
	for old < len(b.slots) && !b.slots[old].Add(b.window).After(b.seen) {
		old++
	}
	if old > 0 {
		b.slots = append(b.slots[:0], b.slots[old:]...)
	}
}

// cancel gives back a slot that was reserved and not used.
func (b *budget) cancel(slot time.Time) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for i := len(b.slots) - 1; i >= 0; i-- {
		if b.slots[i].Equal(slot) {
			b.slots = append(b.slots[:i], b.slots[i+1:]...)
			return
		}
	}
}

// pause holds every request of the account until until: the provider said the budget is spent.
func (b *budget) pause(until time.Time) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if until.After(b.notBefore) {
		b.notBefore = until
	}
}

// idle reports whether the budget holds nothing that a new one would not: nobody uses it, no request was
// sent within the window and no pause is pending. The caller holds the registry's lock.
func (b *budget) idle(now time.Time) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	last := time.Time{}
	if n := len(b.slots); n > 0 {
		last = b.slots[n-1]
	}
	return b.users == 0 && now.Sub(last) >= b.window && !now.Before(b.notBefore)
}

// budgets shares one budget per account between every listing in the process: the same API key at the
// same origin gets the same budget, so two Directories using one key share Breathe's 60 a minute. Entries
// are keyed by a SHA-256 of origin and key, never the key itself, and dropped once idle.
type budgets struct {
	mu sync.Mutex
	m  map[[sha256.Size]byte]*budget
}

// accounts is the process's registry.
var accounts = &budgets{}

// budgetID is the registry key of an account: a hash of the origin (scheme, host, effective port) and the
// API key. A key is valid at one origin only (production and sandbox keys differ), and separate fake
// servers in tests get separate budgets.
func budgetID(origin, apiKey string) [sha256.Size]byte {
	return sha256.Sum256([]byte(origin + "\n" + apiKey))
}

// acquire returns the account's budget, creating it, and drops budgets that have gone idle. Every acquire
// must be followed by a release.
func (r *budgets) acquire(id [sha256.Size]byte, limit int, window time.Duration, now time.Time) *budget {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.m == nil {
		r.m = map[[sha256.Size]byte]*budget{}
	}
	r.sweep(now)
	b, ok := r.m[id]
	if !ok {
		b = &budget{limit: limit, window: window}
		r.m[id] = b
	}
	b.mu.Lock()
	b.users++
	b.mu.Unlock()
	return b
}

// release ends one listing's use of b.
func (r *budgets) release(b *budget, now time.Time) {
	r.mu.Lock()
	defer r.mu.Unlock()
	b.mu.Lock()
	b.users--
	b.mu.Unlock()
	r.sweep(now)
}

// sweep drops idle budgets; the caller holds r.mu.
func (r *budgets) sweep(now time.Time) {
	for id, b := range r.m {
		if b.idle(now) {
			delete(r.m, id)
		}
	}
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
