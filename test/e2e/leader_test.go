//go:build e2e

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

package e2e

import (
	"context"
	"fmt"
	"testing"
	"time"

	coordinationv1 "k8s.io/api/coordination/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/dirsync/dirsync/test/utils"
)

// acquiredLease is client-go's leader election log line, through controller-runtime's logger.
const acquiredLease = "Successfully acquired lease"

// failoverTimeout bounds a takeover after the leader is SIGKILLed: it cannot release the Lease, so
// the other replica waits out the lease duration (controller-runtime's default 15s) plus a retry
// period (2s).
const failoverTimeout = 60 * time.Second

// Two replicas with --leader-elect: exactly one holds the dirsync.io Lease and only that one syncs
// (its log has the "Synced Directory" lines, and the fake HR server sees one sync's requests per
// forced sync, not two). When the leader is SIGKILLed the other takes the Lease over and syncs the
// next forced sync.
func TestLeaderElectionOnlyOneReplicaSyncs(t *testing.T) {
	kubeconfig := operatorIdentity(t) // leader election through config/rbac's leader-election Role
	ns := newNamespace(t, "e2e-leader-")
	hr := startFakeHR(t, smallCompany)
	flags := []string{"--leader-elect", "--leader-election-namespace=" + operatorNamespace}
	replicas := []*manager{
		startManager(t, "replica-1", kubeconfig, flags...),
		startManager(t, "replica-2", kubeconfig, flags...),
	}
	all := []*utils.Process{replicas[0].Process, replicas[1].Process, hr.Process}

	var leaders []*manager
	eventually(t, 60*time.Second, "a replica to acquire the Lease", func(context.Context) (bool, string) {
		leaders = leaders[:0]
		for _, r := range replicas {
			if len(r.LogEntries(acquiredLease)) > 0 {
				leaders = append(leaders, r)
			}
		}
		return len(leaders) > 0, "no replica has logged " + acquiredLease
	}, all...)
	if len(leaders) != 1 {
		t.Fatalf("%d replicas acquired the Lease; want exactly one", len(leaders))
	}
	leader, follower := replicas[0], replicas[1]
	if leaders[0] == follower {
		leader, follower = follower, leader
	}
	holder, err := leaseHolder(callCtx(t))
	if err != nil || holder == "" {
		t.Fatalf("Lease %s/%s has no holder (%v) although %s logged %q", operatorNamespace, leaseName, err, leader.Name, acquiredLease)
	}
	t.Logf("%s leads; Lease holder %q", leader.Name, holder)

	// The first sync: one replica's worth of provider requests.
	before := hr.requests(t)
	key := createDirectory(t, ns, "breathe", hr)
	waitReady(t, key, smallCompany, firstSyncTimeout, all...)
	perSync := hr.requests(t) - before
	synced := leader.LogEntries("Synced Directory")
	if len(synced) != 1 {
		t.Fatalf("%s logged %d \"Synced Directory\" lines for the first sync; want 1", leader.Name, len(synced))
	}
	if got, _ := synced[0]["providerRequests"].(float64); int(got) != perSync {
		t.Errorf("the fake answered %d requests during the first sync, the leader made %v", perSync, synced[0]["providerRequests"])
	}

	// A forced sync: still only the leader's requests.
	before = hr.requests(t)
	if dir := forceSync(t, key, syncTimeout, all...); !isReady(dir) {
		t.Fatalf("forced sync: %s", describe(dir))
	}
	if got := hr.requests(t) - before; got != perSync {
		t.Errorf("the fake answered %d requests during a forced sync; want %d (one replica's sync)", got, perSync)
	}
	if n := leader.syncedLines(); n != 2 {
		t.Errorf("%s (leader) logged %d \"Synced Directory\" lines; want 2", leader.Name, n)
	}
	if n := follower.syncedLines(); n != 0 {
		t.Errorf("%s (follower) logged %d \"Synced Directory\" lines; want 0", follower.Name, n)
	}
	if n := len(follower.LogEntries("Starting workers")) + len(follower.LogEntries(acquiredLease)); n != 0 {
		t.Errorf("%s (follower) started its controller's workers or acquired the Lease while %s led", follower.Name, leader.Name)
	}

	// Failover: the leader dies without releasing the Lease.
	leader.kill(t)
	eventually(t, failoverTimeout, follower.Name+" to take over the Lease", func(ctx context.Context) (bool, string) {
		h, err := leaseHolder(ctx)
		if err != nil {
			return false, err.Error()
		}
		return h != "" && h != holder && len(follower.LogEntries(acquiredLease)) == 1,
			fmt.Sprintf("Lease holder %q; %s logged %q %d times", h, follower.Name, acquiredLease, len(follower.LogEntries(acquiredLease)))
	}, follower.Process, hr.Process)

	before = hr.requests(t)
	if dir := forceSync(t, key, syncTimeout, follower.Process, hr.Process); !isReady(dir) {
		t.Fatalf("forced sync after the failover: %s", describe(dir))
	}
	if got := hr.requests(t) - before; got != perSync {
		t.Errorf("the fake answered %d requests during the forced sync after the failover; want %d", got, perSync)
	}
	// Taking over is not a reason to sync: only the forced sync calls the provider.
	if n := follower.syncedLines(); n != 1 {
		t.Errorf("%s (new leader) logged %d \"Synced Directory\" lines; want 1 (the forced sync)", follower.Name, n)
	}
}

// leaseHolder is the holderIdentity of the manager's Lease, "" when there is none.
func leaseHolder(ctx context.Context) (string, error) {
	var lease coordinationv1.Lease
	if err := k8s.Get(ctx, types.NamespacedName{Namespace: operatorNamespace, Name: leaseName}, &lease); err != nil {
		return "", fmt.Errorf("reading Lease %s/%s: %w", operatorNamespace, leaseName, err)
	}
	if lease.Spec.HolderIdentity == nil {
		return "", nil
	}
	return *lease.Spec.HolderIdentity, nil
}
