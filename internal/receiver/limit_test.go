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
	"testing"
	"time"
)

func TestBucket(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	r := rate{perSecond: 2, burst: 3}
	var b bucket
	for i := range 3 {
		if !b.take(t0, r) {
			t.Fatalf("request %d of a burst of 3 refused", i+1)
		}
	}
	if b.take(t0, r) {
		t.Fatal("a 4th request at once passed a bucket of 3")
	}
	if b.full(t0, r) {
		t.Fatal("an empty bucket says it is full")
	}
	if !b.take(t0.Add(500*time.Millisecond), r) {
		t.Fatal("half a second at 2/s refills one token, but the request was refused")
	}
	if b.take(t0.Add(500*time.Millisecond), r) {
		t.Fatal("a second request in the same instant passed")
	}
	if b.take(t0.Add(400*time.Millisecond), r) {
		t.Fatal("a clock going backwards refilled the bucket")
	}
	if !b.full(t0.Add(2*time.Second), r) {
		t.Fatal("after 1.5 s at 2/s the bucket should be full again")
	}
	for i := range 3 {
		if !b.take(t0.Add(10*time.Second), r) {
			t.Fatalf("after a long pause, request %d of a burst of 3 refused", i+1)
		}
	}
	if b.take(t0.Add(10*time.Second), r) {
		t.Fatal("a long pause filled the bucket beyond its burst")
	}
}
