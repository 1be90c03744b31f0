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
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/types"
)

func TestUserChangesKeepTheFirstAndLastUnhandledChange(t *testing.T) {
	var c userChanges
	key := types.NamespacedName{Namespace: "hr", Name: "eng"}
	t0 := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	c.note(key, t0.Add(time.Second))
	c.note(key, t0)
	c.note(key, t0.Add(2*time.Second))
	st := c.state(key)
	if !st.hasFirst || !st.first.Equal(t0) || !st.last.Equal(t0.Add(2*time.Second)) {
		t.Fatalf("state = %+v; want first %s and last 2s later", st, t0)
	}
	c.note(key, t0.Add(3*time.Second)) // arrives while a reconcile handles the first three
	c.handled(key, st.last)
	if !c.state(key).hasLast {
		t.Fatal("a change newer than the handled ones was forgotten")
	}
	c.handled(key, c.state(key).last)
	if st := c.state(key); st.hasFirst || st.hasLast {
		t.Errorf("handled changes are still there: %+v", st)
	}

	// A wait without a change to time: it settles like one, but gives the metric nothing.
	c.hold(key, t0)
	if st := c.state(key); st.hasFirst || !st.hasLast || !st.last.Equal(t0) {
		t.Errorf("after hold: %+v", st)
	}
}
