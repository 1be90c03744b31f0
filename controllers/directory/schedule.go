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

package directory

import (
	"time"

	dirsyncv1alpha1 "github.com/dirsync/dirsync/api/v1alpha1"
)

// initialBackoff is the wait after the first failed sync; it doubles with each further failure,
// capped at syncInterval.
const initialBackoff = 30 * time.Second

// maxDoublings is how often initialBackoff can double within a time.Duration: 30s·2^28 is about 255
// years, 30s·2^29 overflows. Past it the backoff is syncInterval, which a Duration holds, so it is shorter.
const maxDoublings = 28

// decision is what the schedule says about one reconcile.
type decision struct {
	syncNow bool
	trigger string        // why the sync runs: initial, spec, secret, request, schedule
	wait    time.Duration // until the next scheduled sync, when syncNow is false
}

// decide says whether a reconcile should call the provider. It syncs on creation, on a spec change,
// when the credentials Secret's version differs from the one the last attempt used, when the
// sync-requested-at annotation has a new value (the receiver's hints are spaced: hintOrWait), when an
// approval of held deletions is pending and the
// last sync did not fail (after a failure the approval waits for the retry: answering it needs the
// provider's data, and a pending approval must not make every later event bypass the backoff), and
// when status.nextSyncTime has come. Anything else (a child changing, a resync of the cache) neither
// pulls the schedule forward nor pushes it back.
func decide(dir *dirsyncv1alpha1.Directory, secretVersion string, now time.Time) decision {
	st := &dir.Status
	switch {
	case st.LastSyncTime == nil:
		return decision{syncNow: true, trigger: "initial"}
	case dir.Generation != st.LastAttemptedGeneration:
		return decision{syncNow: true, trigger: "spec"}
	case secretVersion != st.LastAttemptedSecretVersion:
		return decision{syncNow: true, trigger: "secret"}
	case requestedAt(dir) != "" && !isHint(requestedAt(dir)) && requestedAt(dir) != st.LastHandledSyncRequest:
		return decision{syncNow: true, trigger: "request"}
	case approvalPending(dir) && st.ConsecutiveFailures == 0:
		return decision{syncNow: true, trigger: "approval"}
	case st.NextSyncTime == nil || !now.Before(st.NextSyncTime.Time):
		return decision{syncNow: true, trigger: "schedule"}
	}
	return hintOrWait(dir, now)
}

func requestedAt(dir *dirsyncv1alpha1.Directory) string {
	return dir.Annotations[dirsyncv1alpha1.AnnotationSyncRequestedAt]
}

// approvalPending reports whether the dirsync.io/approve-deletions annotation has a value no sync has
// answered yet (a dry run does not answer approvals: they wait for the first real sync).
func approvalPending(dir *dirsyncv1alpha1.Directory) bool {
	a := dir.Annotations[dirsyncv1alpha1.AnnotationApproveDeletions]
	return a != "" && a != dir.Status.LastHandledApproval && !dir.IsDryRun()
}

// nextSync is when the sync after one that started at start is due: start + syncInterval after a
// success; after the n-th consecutive failure, start + min(30s·2^(n-1), syncInterval), or later if the
// provider asked for a longer wait.
func nextSync(start time.Time, interval time.Duration, failures int32, retryAfter time.Duration) time.Time {
	if failures <= 0 {
		return start.Add(interval)
	}
	wait := interval
	if n := failures - 1; n <= maxDoublings {
		if b := initialBackoff << n; b < interval {
			wait = b
		}
	}
	if retryAfter > wait {
		wait = retryAfter
	}
	return start.Add(wait)
}
