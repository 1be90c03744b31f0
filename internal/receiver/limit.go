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

import "time"

// rate is a token bucket's refill rate (tokens a second) and size.
type rate struct {
	perSecond, burst float64
}

// bucket is a token bucket: it holds up to burst tokens, refills at perSecond, and each taken request
// costs one. The zero bucket is full. It is not safe for concurrent use: its owner locks.
type bucket struct {
	tokens float64
	last   time.Time
}

// take reports whether a request at now may pass, taking a token if so.
func (b *bucket) take(now time.Time, r rate) bool {
	if b.last.IsZero() {
		b.tokens = r.burst
	} else if d := now.Sub(b.last); d > 0 {
		b.tokens = min(r.burst, b.tokens+d.Seconds()*r.perSecond)
	}
	if now.After(b.last) {
		b.last = now
	}
	if b.tokens < 1 {
		return false
	}
	b.tokens--
	return true
}

// full reports whether the bucket would be full at now: a bucket that is full again can be forgotten,
// since a new one starts full.
func (b *bucket) full(now time.Time, r rate) bool {
	return b.last.IsZero() || b.tokens+now.Sub(b.last).Seconds()*r.perSecond >= r.burst
}
