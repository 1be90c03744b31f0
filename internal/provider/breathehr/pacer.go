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
	"sync"
	"time"
)

// Breathe HR allows 60 requests in 60 seconds per account. The client spends a burst of 10 and then
// one request a second, so a sync never exceeds the limit on its own and leaves room for other callers.
const (
	burst  = 10
	refill = time.Second
)

// pacer is a token bucket: it holds up to size tokens, gains one every interval, and each request takes
// one, waiting for it when the bucket is empty. Waiters reserve tokens in order (the count may go
// negative), so concurrent callers are spaced out rather than woken together.
type pacer struct {
	mu       sync.Mutex
	size     float64
	interval time.Duration
	tokens   float64
	last     time.Time

	now   func() time.Time
	sleep func(ctx context.Context, d time.Duration) error
}

func newPacer(size int, interval time.Duration) *pacer {
	return &pacer{size: float64(size), interval: interval, tokens: float64(size), now: time.Now, sleep: sleepCtx}
}

// reserve takes a token and returns how long the caller must wait before using it.
func (p *pacer) reserve() time.Duration {
	p.mu.Lock()
	defer p.mu.Unlock()
	now := p.now()
	if !p.last.IsZero() {
		p.tokens = min(p.size, p.tokens+float64(now.Sub(p.last))/float64(p.interval))
	}
	p.last = now
	p.tokens--
	if p.tokens >= 0 {
		return 0
	}
	return time.Duration(-p.tokens * float64(p.interval))
}

// cancel returns a reserved token that was not used.
func (p *pacer) cancel() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.tokens = min(p.size, p.tokens+1)
}

// wait blocks until the caller may make one request, or ctx ends.
func (p *pacer) wait(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	d := p.reserve()
	if d <= 0 {
		return nil
	}
	if err := p.sleep(ctx, d); err != nil {
		p.cancel()
		return err
	}
	return nil
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
