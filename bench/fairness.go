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

package main

import (
	"context"
	"errors"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	dirsyncv1alpha1 "github.com/dirsync/dirsync/api/v1alpha1"
)

// fairnessResult is the fairness part of the many phase under one --max-concurrent-syncs.
type fairnessResult struct {
	Syncs           int
	Interval        time.Duration
	Window          time.Duration
	ProviderTimeout time.Duration
	Hanging         int
	Others          int
	// Delays of the others' scheduled syncs: from the due time (status.nextSyncTime) to the status
	// showing the sync done (the watch event), and to its start (status.lastSyncTime; both times have a
	// resolution of 1 s).
	Done, Started []time.Duration
	// Pending counts others that were due and had not synced when the window closed; PendingFor is the
	// longest such wait so far (a lower bound of its delay).
	Pending    int
	PendingFor time.Duration
	// HangingAttempts are the hanging Directories' sync attempts that ended in the window, and
	// HangingReason their Ready reason at the end.
	HangingAttempts int
	HangingReason   string
}

// fairness sets every fleet Directory's syncInterval to -many-interval and forces a sync of all, so that
// the others' due times are known; then points -many-hanging Directories at hanging keys (by their
// Secrets: each syncs at once and hangs until the provider request timeout) and watches the others'
// scheduled syncs for -fairness-window. The hanging Directories get their own keys back at the end.
func (c *cluster) fairness(ctx context.Context, syncs int, timeout time.Duration) (fairnessResult, error) {
	m := c.cfg.many
	f := fairnessResult{Syncs: syncs, Interval: m.interval, Window: m.window, ProviderTimeout: timeout, Hanging: m.hanging,
		Others: m.directories - m.hanging}
	if err := c.eachFleetDirectory(ctx, func(d *dirsyncv1alpha1.Directory) error {
		if d.Spec.SyncInterval != nil && d.Spec.SyncInterval.Duration == m.interval {
			return nil
		}
		patch := fmt.Sprintf(`{"spec":{"syncInterval":%q}}`, m.interval.String())
		return c.cl.Patch(ctx, d, client.RawPatch(types.MergePatchType, []byte(patch)))
	}); err != nil {
		return f, err
	}
	if _, err := c.requestAll(ctx, fmt.Sprintf("fairness-%d", syncs), m.users); err != nil {
		return f, fmt.Errorf("syncing every Directory before: %w", err)
	}
	hanging := map[string]bool{}
	for j := range m.hanging {
		i := hangingIndex(j, m)
		key := client.ObjectKey{Namespace: fleetNamespace(nsManyPrefix, i, m.namespaces), Name: fleetName(i)}
		hanging[key.String()] = true
		if err := c.setFleetKey(ctx, key, c.fleet.keys[m.directories+j]); err != nil {
			return f, err
		}
	}
	logf("many: fairness (--max-concurrent-syncs=%d): %d Directories hang; watching the others' schedule for %s", syncs, m.hanging, m.window)
	w := &scheduleWatch{hanging: hanging, last: map[string]dirsyncv1alpha1.DirectoryStatus{}}
	err := c.watchDirectories(ctx, m.window, client.MatchingLabels{labelFleet: "true"}, nil,
		func(d *dirsyncv1alpha1.Directory, at time.Time) (bool, error) {
			if isManyNamespace(d.Namespace) {
				w.observe(d, at, &f)
			}
			return false, nil
		})
	if !errors.Is(err, errWatchTimeout) {
		return f, err
	}
	w.close(time.Now(), &f)
	for j := range m.hanging {
		i := hangingIndex(j, m)
		key := client.ObjectKey{Namespace: fleetNamespace(nsManyPrefix, i, m.namespaces), Name: fleetName(i)}
		if err := c.setFleetKey(ctx, key, c.fleet.keys[i]); err != nil {
			return f, err
		}
	}
	logf("many: fairness (--max-concurrent-syncs=%d): %d scheduled syncs of the others, worst delay %s (start %s), %d pending (%s); hanging: %d attempts, %s",
		syncs, len(f.Done), percentile(f.Done, 100).Round(time.Millisecond), percentile(f.Started, 100), f.Pending, f.PendingFor.Round(time.Second),
		f.HangingAttempts, f.HangingReason)
	return f, nil
}

// hangingIndex is the j-th hanging Directory: spread over the namespaces (d-000, d-021, d-042, …).
func hangingIndex(j int, m manyConfig) int {
	return (j*(m.directories/m.hanging) + j) % m.directories
}

// setFleetKey puts key in the Directory's Secret (a Secret change makes it sync at once).
func (c *cluster) setFleetKey(ctx context.Context, dir client.ObjectKey, key string) error {
	s := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: dir.Namespace, Name: dir.Name + "-key"}}
	patch := fmt.Sprintf(`{"stringData":{"apiKey":%q}}`, key)
	return c.cl.Patch(ctx, s, client.RawPatch(types.MergePatchType, []byte(patch)))
}

// scheduleWatch follows the Directories' statuses through watch events.
type scheduleWatch struct {
	hanging map[string]bool
	last    map[string]dirsyncv1alpha1.DirectoryStatus
}

func (w *scheduleWatch) observe(d *dirsyncv1alpha1.Directory, at time.Time, f *fairnessResult) {
	key := d.Namespace + "/" + d.Name
	prev, seen := w.last[key]
	w.last[key] = *d.Status.DeepCopy()
	if !seen || d.Status.LastSyncTime == nil || prev.LastSyncTime == nil || !d.Status.LastSyncTime.After(prev.LastSyncTime.Time) {
		return
	}
	if w.hanging[key] {
		f.HangingAttempts++
		return
	}
	if prev.NextSyncTime == nil {
		return
	}
	due := prev.NextSyncTime.Time
	f.Done = append(f.Done, at.Sub(due))
	f.Started = append(f.Started, d.Status.LastSyncTime.Sub(due))
}

// close counts the others that were due but had not synced at now, and the hanging ones' Ready reason.
func (w *scheduleWatch) close(now time.Time, f *fairnessResult) {
	reasons := map[string]int{}
	for key, st := range w.last {
		if w.hanging[key] {
			if r := meta.FindStatusCondition(st.Conditions, dirsyncv1alpha1.ConditionReady); r != nil {
				reasons[r.Reason]++
			}
			continue
		}
		if st.NextSyncTime != nil && now.Sub(st.NextSyncTime.Time) > 2*time.Second {
			f.Pending++
			f.PendingFor = max(f.PendingFor, now.Sub(st.NextSyncTime.Time))
		}
	}
	for r, n := range reasons {
		if f.HangingReason != "" {
			f.HangingReason += ", "
		}
		f.HangingReason += fmt.Sprintf("%s × %d", r, n)
	}
}
