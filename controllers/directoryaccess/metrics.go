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

	"github.com/prometheus/client_golang/prometheus"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/metrics"
)

// Metrics of the DirectoryAccess controller. Labels never carry a person's name or subject.
var (
	accessSubjects = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "dirsync_access_subjects",
		Help: "Distinct subjects a DirectoryAccess binds.",
	}, []string{"namespace", "access"})

	accessRevocationSeconds = prometheus.NewHistogram(prometheus.HistogramOpts{
		Name:    "dirsync_access_revocation_seconds",
		Help:    "From the manager observing a DirectoryUser change to the RoleBinding update that revoked a subject because of it.",
		Buckets: []float64{0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60},
	})
)

func init() {
	metrics.Registry.MustRegister(accessSubjects, accessRevocationSeconds)
}

// forgetAccessMetrics deletes a deleted DirectoryAccess's series.
func forgetAccessMetrics(key types.NamespacedName) {
	accessSubjects.DeleteLabelValues(key.Namespace, key.Name)
}

// userChanges remembers, per DirectoryAccess, the first and the last DirectoryUser change the manager
// saw that no reconcile has finished handling: the first for dirsync_access_revocation_seconds, the
// last to tell whether a Directory is still writing one sync's changes (see guardedSubjects). A
// reconcile that finds revocations it cannot attribute to a noted change (a timer, a restart, or a
// change the cache holds before its event reached this controller) starts a wait of its own with hold.
type userChanges struct {
	mu          sync.Mutex
	first, last map[types.NamespacedName]time.Time
}

// changeState is what userChanges knows about one DirectoryAccess.
type changeState struct {
	first, last       time.Time
	hasFirst, hasLast bool
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
}

// hold starts (or extends) a settle wait for key at t without a DirectoryUser change to time.
func (c *userChanges) hold(key types.NamespacedName, t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.init()
	if t.After(c.last[key]) {
		c.last[key] = t
	}
}

func (c *userChanges) init() {
	if c.first == nil {
		c.first, c.last = map[types.NamespacedName]time.Time{}, map[types.NamespacedName]time.Time{}
	}
}

// state returns what is known about key.
func (c *userChanges) state(key types.NamespacedName) changeState {
	c.mu.Lock()
	defer c.mu.Unlock()
	var s changeState
	s.first, s.hasFirst = c.first[key]
	s.last, s.hasLast = c.last[key]
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
}
