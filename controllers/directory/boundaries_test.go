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

// The boundaries of the deletion guard, the departed set and the schedule, with expectations written
// from the README ("The deletion guard", "When a Directory syncs"), not from the code: each expectation
// is a literal or a model of the README's sentence, never a call of the function under test.

import (
	"fmt"
	"math"
	"math/big"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	dirsyncv1alpha1 "github.com/dirsync/dirsync/api/v1alpha1"
	"github.com/dirsync/dirsync/internal/provider"
)

// departedNames is a departed set as names: users, then "group:" and the groups, in the order given.
func departedNames(dep departed) []string {
	out := names(dep.users)
	for _, g := range dep.groups {
		out = append(out, "group:"+g.Name)
	}
	return out
}

// departedFrom is what the provider's data no longer calls for: whatever the way the sync built the
// desired users (kept, dropped as already matching, or claimed while the provider was read), a user
// that exists as desired has not departed.
func TestDepartedFrom(t *testing.T) {
	withExtras := func(ex *children) { // objects the provider never returned (testSnapshot has no 2000 and no department 77)
		u := existingUser("acme-2000", "2000")
		g := &dirsyncv1alpha1.DirectoryGroup{}
		g.Name, g.Spec.ExternalID = "acme-77", "77"
		ex.users, ex.groups = append(ex.users, u), append(ex.groups, g)
	}
	tests := []struct {
		name     string
		policy   dirsyncv1alpha1.InactiveUserPolicy
		snapshot func(*provider.Snapshot)
		existing func(*children)
		want     []string
	}{
		{name: "the provider returns everything that exists: nothing departs"},
		{name: "objects the provider does not return depart", existing: withExtras, want: []string{"acme-2000", "group:acme-77"}},
		{name: "an employee no longer returned departs, with the department only it was in",
			snapshot: func(s *provider.Snapshot) {
				s.Employees = []provider.Employee{s.Employees[0], s.Employees[1], s.Employees[3]} // 1003 is gone
				s.Employees[2].DepartmentIDs = nil                                                // 1004 leaves department 99
			},
			want: []string{"acme-1003", "group:acme-99"}},
		{name: "inactiveUserPolicy Delete: a leaver departs though the provider still returns them",
			policy: dirsyncv1alpha1.InactiveUserPolicyDelete, existing: withExtras, want: []string{"acme-1002", "acme-2000", "group:acme-77"}},
		{name: "an empty answer: every user departs, the departments listed stay",
			snapshot: func(s *provider.Snapshot) { s.Employees = nil },
			want:     []string{"acme-1001", "acme-1002", "acme-1003", "acme-1004", "group:acme-99"}},
	}
	for _, tt := range tests {
		for _, mode := range []string{"kept", "dropMatching", "claimed"} {
			t.Run(tt.name+"/"+mode, func(t *testing.T) {
				written := testDirectory(dirsyncv1alpha1.InactiveUserPolicyKeep)
				ex := materialized(testDesired(t, written, testSnapshot())) // acme-1001…1004, acme-10, acme-11, acme-99
				if tt.existing != nil {
					tt.existing(&ex)
				}
				dir := testDirectory(tt.policy)
				snap := func() *provider.Snapshot {
					s := testSnapshot()
					if tt.snapshot != nil {
						tt.snapshot(s)
					}
					return s
				}
				var d desiredState
				switch mode {
				case "kept":
					d = testDesired(t, dir, snap())
				case "dropMatching":
					d = testDesiredAgainst(t, dir, snap(), ex)
				default:
					d, _ = testDesiredClaimed(t, dir, snap(), ex, ex)
				}
				if diff := cmp.Diff(tt.want, departedNames(departedFrom(d, ex))); diff != "" {
					t.Errorf("departed (-want +got):\n%s", diff)
				}
			})
		}
	}
}

// guardCase is a guardInput written short: users existing/departing, groups existing/departing.
func guardCase(users, goneUsers, groups, goneGroups int, pct int32) guardInput {
	return guardInput{existingUsers: users, departingUsers: goneUsers, existingGroups: groups, departingGroups: goneGroups,
		returned: users - goneUsers, maxDeletePercent: pct}
}

// The README's deletion guard at each of its edges: the 3-object floor, exactly maxDeletePercent, 0 and
// 100, an empty answer, a kind vanishing.
func TestGuardHoldsAtItsBoundaries(t *testing.T) {
	location := []dirsyncv1alpha1.GroupType{dirsyncv1alpha1.GroupTypeLocation}
	tests := []struct {
		name string
		in   guardInput
		want bool
	}{
		{name: "3 users of 4 go: the floor", in: guardCase(4, 3, 5, 0, 25)},
		{name: "4 users of 5 go: over the floor and the percentage", in: guardCase(5, 4, 5, 0, 25), want: true},
		{name: "4 users of 16 is exactly 25%", in: guardCase(16, 4, 5, 0, 25)},
		{name: "4 users of 15 is over 25%", in: guardCase(15, 4, 5, 0, 25), want: true},
		{name: "25 users of 100 is exactly 25%", in: guardCase(100, 25, 5, 0, 25)},
		{name: "26 users of 100 is over 25%", in: guardCase(100, 26, 5, 0, 25), want: true},
		{name: "1 user of 1,000 at 0% is held: 0 holds every deletion", in: guardCase(1000, 1, 5, 0, 0), want: true},
		{name: "1 group of 1,000 at 0% is held", in: guardCase(10, 0, 1000, 1, 0), want: true},
		{name: "991 users of 1,000 at 99%: held", in: guardCase(1000, 991, 5, 0, 99), want: true},
		{name: "99 users of 100 at 99% is exactly 99%", in: guardCase(100, 99, 5, 0, 99)},
		{name: "every user goes at 100%: the guard is off", in: guardInput{existingUsers: 100, departingUsers: 100, maxDeletePercent: 100}},
		{name: "1% of 400 users at 1%", in: guardCase(400, 4, 5, 0, 1)},
		{name: "5 of 400 users at 1%", in: guardCase(400, 5, 5, 0, 1), want: true},
		{name: "3 groups of 3 go: the floor", in: guardCase(10, 0, 3, 3, 25)},
		{name: "4 groups of 4 go", in: guardCase(10, 0, 4, 4, 25), want: true},
		{name: "4 groups of 16 is exactly 25%", in: guardCase(10, 0, 16, 4, 25)},
		{name: "4 groups of 15 is over 25%", in: guardCase(10, 0, 15, 4, 25), want: true},
		{name: "users go under the rule while most groups go: the users decide", in: guardCase(100, 1, 10, 9, 25)},
		{name: "an empty answer with one user: held", in: guardInput{existingUsers: 1, departingUsers: 1, maxDeletePercent: 25}, want: true},
		{name: "an empty answer at 99%: held", in: guardInput{existingUsers: 1, departingUsers: 1, maxDeletePercent: 99}, want: true},
		{name: "an empty answer at 100%: the guard is off", in: guardInput{existingUsers: 1, departingUsers: 1, maxDeletePercent: 100}},
		{name: "no employees returned and no user to delete: the group rule decides",
			in: guardInput{existingGroups: 10, departingGroups: 1, maxDeletePercent: 25}},
		{name: "one group of a kind vanishes: held under the floor", in: guardInput{existingUsers: 10, returned: 10, existingGroups: 100,
			departingGroups: 1, vanished: location, maxDeletePercent: 99}, want: true},
		{name: "a kind vanishes at 100%: the guard is off", in: guardInput{existingUsers: 10, returned: 10, existingGroups: 100,
			departingGroups: 1, vanished: location, maxDeletePercent: 100}},
		{name: "nothing departs at 0%: nothing to hold", in: guardCase(10, 0, 10, 0, 0)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, msg := guardHolds(tt.in)
			if got != tt.want || (got && msg == "") || (!got && msg != "") {
				t.Fatalf("guardHolds(%+v) = %v %q, want %v with a message when held", tt.in, got, msg, tt.want)
			}
		})
	}
}

// readmeGuardHolds is the README's deletion guard, sentence by sentence: 100 disables it; otherwise it
// holds when users would go and the provider returned no employees; when 0 and anything would go; when a
// kind still in groupBy would lose every group; when users would go and more than maxDeletePercent of
// the existing users and more than 3 users would go; or when only groups would go and more than
// maxDeletePercent of the existing groups and more than 3 groups would go.
func readmeGuardHolds(in guardInput) bool {
	moreThan := func(part, whole int, pct int32) bool { // part/whole > pct/100, as fractions
		return part > 3 && big.NewRat(int64(part), int64(whole)).Cmp(big.NewRat(int64(pct), 100)) > 0
	}
	switch {
	case in.maxDeletePercent >= 100, in.departingUsers+in.departingGroups == 0:
		return false
	case in.departingUsers > 0 && in.returned == 0, in.maxDeletePercent == 0, len(in.vanished) > 0:
		return true
	case in.departingUsers > 0:
		return moreThan(in.departingUsers, in.existingUsers, in.maxDeletePercent)
	}
	return moreThan(in.departingGroups, in.existingGroups, in.maxDeletePercent)
}

// Every small directory, every share: the guard decides as the README says.
func TestGuardHoldsFollowsTheREADME(t *testing.T) {
	pcts := []int32{0, 1, 10, 24, 25, 26, 33, 34, 50, 66, 67, 99, 100}
	vanished := [][]dirsyncv1alpha1.GroupType{nil, {dirsyncv1alpha1.GroupTypeDivision}}
	checked := 0
	for users := range 13 {
		for goneUsers := range users + 1 {
			for _, groups := range []int{0, 1, 4, 9} {
				for goneGroups := range groups + 1 {
					for _, returned := range []int{0, users - goneUsers} {
						for _, v := range vanished {
							if v != nil && goneGroups == 0 {
								continue // a vanished kind has groups that go
							}
							for _, pct := range pcts {
								in := guardInput{existingUsers: users, departingUsers: goneUsers, existingGroups: groups, departingGroups: goneGroups,
									returned: returned, vanished: v, maxDeletePercent: pct}
								if got, _ := guardHolds(in); got != readmeGuardHolds(in) {
									t.Fatalf("guardHolds(%+v) = %v, the README says %v", in, got, !got)
								}
								checked++
							}
						}
					}
				}
			}
		}
	}
	// Larger directories for the percentage: users only.
	for users := 1; users <= 120; users++ {
		for goneUsers := 1; goneUsers <= users; goneUsers++ {
			for _, pct := range pcts {
				in := guardCase(users, goneUsers, 0, 0, pct)
				if got, _ := guardHolds(in); got != readmeGuardHolds(in) {
					t.Fatalf("guardHolds(%+v) = %v, the README says %v", in, got, !got)
				}
				checked++
			}
		}
	}
	t.Logf("%d inputs checked", checked)
}

// The README's backoff: "Every failure … retries after 30 s, then 1 m, 2 m and so on, capped at
// syncInterval, never sooner. A longer wait that the provider asks for is honoured." For every failure
// count up to 1,000 (and the extremes of its type) and intervals from a minute to the longest a Duration
// holds, the wait is that doubling, within [min(30s, syncInterval), syncInterval], and never shrinks as
// failures go on; a success waits syncInterval.
func TestNextSyncBackoffFollowsTheREADME(t *testing.T) {
	const year = 365 * 24 * time.Hour
	intervals := []time.Duration{time.Minute, 90 * time.Second, 30 * time.Minute, 24 * time.Hour, year, 200 * year, math.MaxInt64}
	for _, interval := range intervals {
		t.Run(interval.String(), func(t *testing.T) {
			wait := func(failures int32, retryAfter time.Duration) time.Duration {
				return nextSync(timeZero, interval, failures, retryAfter).Sub(timeZero)
			}
			for _, failures := range []int32{0, -1, math.MinInt32} {
				if got := wait(failures, 0); got != interval {
					t.Fatalf("after %d failures: %s, want syncInterval %s", failures, got, interval)
				}
			}
			backoff := 30 * time.Second // the n-th failure's doubling, capped
			var prev time.Duration
			for n := int32(1); n <= 1000; n++ {
				want := min(backoff, interval)
				got := wait(n, 0)
				if got != want {
					t.Fatalf("after %d failures: %s, want %s", n, got, want)
				}
				if got < min(30*time.Second, interval) || got > interval || got < prev {
					t.Fatalf("after %d failures: %s, outside [30s, %s] or shorter than after %d (%s)", n, got, interval, n-1, prev)
				}
				prev = got
				if backoff <= interval/2 {
					backoff *= 2
				} else {
					backoff = interval
				}
			}
			for _, n := range []int32{1001, math.MaxInt32} {
				if got := wait(n, 0); got != interval {
					t.Fatalf("after %d failures: %s, want syncInterval %s", n, got, interval)
				}
			}
			if interval < year { // a provider's Retry-After, longer than the backoff and than syncInterval
				if got := wait(1, interval+time.Hour); got != interval+time.Hour {
					t.Errorf("Retry-After %s after one failure: %s, want it honoured", interval+time.Hour, got)
				}
				if got := wait(1, 29*time.Second); got != min(30*time.Second, interval) {
					t.Errorf("Retry-After 29s after one failure: %s, want the backoff", got)
				}
			}
		})
	}
}

// The schedule's edge: due at nextSyncTime exactly, not a nanosecond before; and a Directory that synced
// but has no nextSyncTime (status written by hand, or lost) is due.
func TestDecideAtTheEdgeOfNextSyncTime(t *testing.T) {
	last, next := metav1.NewTime(timeZero), metav1.NewTime(timeZero.Add(30*time.Minute))
	dir := testDirectory("")
	dir.Generation = 1
	dir.Status = dirsyncv1alpha1.DirectoryStatus{LastSyncTime: &last, NextSyncTime: &next, LastAttemptedGeneration: 1, LastAttemptedSecretVersion: "7"}
	tests := []struct {
		now  time.Time
		want decision
	}{
		{now: next.Add(-time.Nanosecond), want: decision{wait: time.Nanosecond}},
		{now: next.Time, want: decision{syncNow: true, trigger: "schedule"}},
		{now: next.Add(time.Nanosecond), want: decision{syncNow: true, trigger: "schedule"}},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.now.Sub(next.Time)), func(t *testing.T) {
			if diff := cmp.Diff(tt.want, decide(dir, "7", tt.now), cmp.AllowUnexported(decision{})); diff != "" {
				t.Errorf("decide (-want +got):\n%s", diff)
			}
		})
	}
	lost := dir.DeepCopy()
	lost.Status.NextSyncTime = nil
	if got := decide(lost, "7", timeZero); !got.syncNow || got.trigger != "schedule" {
		t.Errorf("no nextSyncTime: %+v, want a scheduled sync", got)
	}
}
