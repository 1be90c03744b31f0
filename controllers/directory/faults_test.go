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
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	eventsv1 "k8s.io/api/events/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/metrics"

	dirsyncv1alpha1 "github.com/dirsync/dirsync/api/v1alpha1"
	"github.com/dirsync/dirsync/controllers/directory/directorytest"
	"github.com/dirsync/dirsync/controllers/internal/verdict"
	"github.com/dirsync/dirsync/internal/provider/fakehr"
	"github.com/dirsync/dirsync/internal/testenv"
)

// faultCase is a way the provider can fail. Every case must leave what is materialized exactly as it
// was, say why in the Ready condition and a Warning Event, call the provider again only when
// status.nextSyncTime has come, and converge on the next successful sync.
type faultCase struct {
	name string
	// only limits the case to one provider; skip says why the others cannot have the fault.
	only dirsyncv1alpha1.ProviderType
	skip string
	// employees sizes the company; 0 means 12.
	employees int
	// fault is injected into the fake; refused instead points spec.endpoint at a closed port.
	fault   fakehr.Fault
	refused bool
	reason  string
	// message is text the Ready message must contain, whatever the provider.
	message string
	// firstWait and secondWait are nextSyncTime - lastSyncTime after the first and second failed attempt;
	// zero means the plain backoff (30s, then 1m).
	firstWait, secondWait time.Duration
	// guardHeld marks a well-formed but empty answer: the sync succeeds, the deletion guard holds every
	// deletion, and the held users' Synced conditions (status only) are written.
	guardHeld bool
}

var faultCases = []faultCase{
	{name: "connection refused", refused: true, reason: dirsyncv1alpha1.ReasonProviderUnavailable, message: "connection refused"},
	{name: "timeout mid-body", fault: fakehr.Fault{Kind: fakehr.FaultSlowBody, Delay: time.Minute},
		reason: dirsyncv1alpha1.ReasonProviderUnavailable, message: "timed out"},
	{name: "HTTP 503", fault: fakehr.Fault{Kind: fakehr.FaultServerError},
		reason: dirsyncv1alpha1.ReasonProviderUnavailable, message: "HTTP 503"},
	{name: "HTTP 429 without Retry-After", fault: fakehr.Fault{Kind: fakehr.FaultRateLimited},
		reason: dirsyncv1alpha1.ReasonRateLimited, message: "rate limiting"},
	{name: "HTTP 429 with Retry-After 120s", fault: fakehr.Fault{Kind: fakehr.FaultRateLimited, RetryAfter: 120 * time.Second},
		reason: dirsyncv1alpha1.ReasonRateLimited, message: "rate limiting", firstWait: 120 * time.Second, secondWait: 120 * time.Second},
	{name: "truncated JSON", fault: fakehr.Fault{Kind: fakehr.FaultTruncatedBody}, reason: dirsyncv1alpha1.ReasonInvalidProviderResponse},
	{name: "malformed JSON", fault: fakehr.Fault{Kind: fakehr.FaultMalformedJSON},
		reason: dirsyncv1alpha1.ReasonInvalidProviderResponse, message: "valid JSON"},
	{name: "missing page", only: dirsyncv1alpha1.ProviderBreatheHR,
		skip:      "Access People HR returns the whole company in one response: there is no page to miss",
		employees: 101, fault: fakehr.Fault{Kind: fakehr.FaultMissingPage},
		reason: dirsyncv1alpha1.ReasonInvalidProviderResponse, message: "page 2"},
	{name: "empty list", fault: fakehr.Fault{Kind: fakehr.FaultEmptyList},
		reason: dirsyncv1alpha1.ReasonDeletionGuardTriggered, message: "no employees", guardHeld: true},
	{name: "duplicated employee ids", fault: fakehr.Fault{Kind: fakehr.FaultDuplicateIDs},
		reason: dirsyncv1alpha1.ReasonInvalidProviderResponse},
	{name: "no answer until the request times out", fault: fakehr.Fault{Kind: fakehr.FaultHang},
		reason: dirsyncv1alpha1.ReasonProviderUnavailable, message: "timed out"},
}

func TestProviderFaultsChangeNothingAndBackOff(t *testing.T) {
	testenv.Require(t)
	for _, pc := range directorytest.ProviderCases {
		for _, fc := range faultCases {
			t.Run(pc.Name+"/"+fc.name, func(t *testing.T) {
				if fc.only != "" && fc.only != pc.Provider {
					t.Skip(fc.skip)
				}
				n := fc.employees
				if n == 0 {
					n = 12
				}
				runFaultCase(newHarness(t, pc, n, nil), fc)
			})
		}
	}
}

func runFaultCase(h *harness, fc faultCase) {
	h.T.Helper()
	h.WaitReason(dirsyncv1alpha1.ReasonSynced)
	before := snapshotChildren(h)
	id := anEmployee(h)
	h.Srv.Update(func(c *fakehr.Company) { c.RemoveEmployee(id) }) // a fetch that got through would delete this user
	w := writes.count(h.NS)
	attempts := syncAttempts(h.T, h.NS)

	endpoint := closedEndpoint(h.T)
	d := h.SyncWith(func(d *dirsyncv1alpha1.Directory) {
		if fc.refused {
			d.Spec.Endpoint = endpoint
		} else {
			h.Srv.InjectFault(fc.fault)
		}
	})
	c := verdict.Ready(d)
	if c.Status != metav1.ConditionFalse || c.Reason != fc.reason || !strings.Contains(c.Message, fc.message) {
		h.T.Fatalf("Ready = %s %s %q; want False %s mentioning %q", c.Status, c.Reason, c.Message, fc.reason, fc.message)
	}
	if e := waitWarning(h, fc.reason); e.Note != c.Message {
		h.T.Fatalf("Warning Event says %q, the Ready condition %q", e.Note, c.Message)
	}
	before.expectUnchanged(h)
	expectNoWrites(h, fc, w)
	expectBackoff(h, d, fc, 1, fc.firstWait, 30*time.Second)

	// Backoff: child events before nextSyncTime reconcile the Directory but never call the provider.
	requests := h.Srv.Requests()
	touchUser(h, directorytest.NextValue())
	if got := h.Srv.Requests(); got != requests || syncAttempts(h.T, h.NS) != attempts+1 {
		h.T.Fatalf("a child event before nextSyncTime made %d provider requests and %v sync attempts, want 0 and 1", got-requests, syncAttempts(h.T, h.NS)-attempts)
	}
	if again := h.Directory(); !again.Status.LastSyncTime.Equal(d.Status.LastSyncTime) || !again.Status.NextSyncTime.Equal(d.Status.NextSyncTime) {
		h.T.Fatalf("a child event moved the schedule: last %v → %v, next %v → %v",
			d.Status.LastSyncTime, again.Status.LastSyncTime, d.Status.NextSyncTime, again.Status.NextSyncTime)
	}

	// At nextSyncTime exactly one more attempt is made, which still changes nothing.
	d2 := retryWhenDue(h, d)
	if got := syncAttempts(h.T, h.NS); got != attempts+2 {
		h.T.Fatalf("%v sync attempts after the retry was due, want %v", got, attempts+2)
	}
	if !fc.refused && h.Srv.Requests() <= requests {
		h.T.Fatal("the retry at nextSyncTime made no provider request")
	}
	if verdict.Ready(d2).Reason != fc.reason {
		h.T.Fatalf("retry: Ready reason %s, want %s", verdict.Ready(d2).Reason, fc.reason)
	}
	expectBackoff(h, d2, fc, 2, fc.secondWait, time.Minute)
	before.expectUnchanged(h)
	expectNoWrites(h, fc, w)
	if n := countEvents(h, fc.reason); n != 1 {
		h.T.Fatalf("%d %s Events; a fault that persists must not repeat its Event", n, fc.reason)
	}

	// The next successful sync converges, removal included.
	h.Srv.ClearFaults()
	d3 := h.SyncWith(func(d *dirsyncv1alpha1.Directory) { d.Spec.Endpoint = h.Srv.URL() })
	if verdict.Ready(d3).Reason != dirsyncv1alpha1.ReasonSynced || d3.Status.ConsecutiveFailures != 0 ||
		!d3.Status.NextSyncTime.Time.Equal(d3.Status.LastSyncTime.Add(30*time.Minute)) {
		h.T.Fatalf("after recovery: Ready %+v, failures %d, last %v, next %v", verdict.Ready(d3), d3.Status.ConsecutiveFailures,
			d3.Status.LastSyncTime, d3.Status.NextSyncTime)
	}
	if _, ok := h.Users()[id]; ok {
		h.T.Fatalf("employee %s, removed during the fault, still has a DirectoryUser after recovery", id)
	}
	h.expectMatchesProvider()
}

// expectNoWrites checks that the manager wrote no user or group since the count was w. A held
// deletion is the exception: it marks the held users Synced=False RemovedFromProvider (status only).
func expectNoWrites(h *harness, fc faultCase, w int) {
	h.T.Helper()
	if got := writes.count(h.NS) - w; got != 0 && !fc.guardHeld {
		h.T.Fatalf("a failed sync wrote %d times to users or groups", got)
	}
}

// expectBackoff checks consecutiveFailures and the wait before the next attempt after the n-th failure.
func expectBackoff(h *harness, d *dirsyncv1alpha1.Directory, fc faultCase, n int32, want, plain time.Duration) {
	h.T.Helper()
	st := d.Status
	if fc.guardHeld { // a successful sync: the normal schedule
		n, want = 0, 30*time.Minute
	} else if want == 0 {
		want = plain
	}
	if st.ConsecutiveFailures != n || st.NextSyncTime == nil || st.NextSyncTime.Sub(st.LastSyncTime.Time) != want {
		h.T.Fatalf("consecutiveFailures %d, nextSyncTime - lastSyncTime = %v; want %d and %v",
			st.ConsecutiveFailures, st.NextSyncTime.Sub(st.LastSyncTime.Time), n, want)
	}
}

func TestProviderOutageBacksOffExponentiallyUpToSyncInterval(t *testing.T) {
	testenv.Require(t)
	for _, pc := range directorytest.ProviderCases {
		t.Run(pc.Name, func(t *testing.T) {
			h := newHarness(t, pc, 12, func(d *dirsyncv1alpha1.Directory) {
				d.Spec.SyncInterval = &metav1.Duration{Duration: 2 * time.Minute}
			})
			h.WaitReason(dirsyncv1alpha1.ReasonSynced)
			before := snapshotChildren(h)
			h.Srv.InjectFault(fakehr.Fault{Kind: fakehr.FaultServerError})
			for i, want := range []time.Duration{30 * time.Second, time.Minute, 2 * time.Minute, 2 * time.Minute} {
				requests := h.Srv.Requests()
				d := h.ForceSync()
				st := d.Status
				if verdict.Ready(d).Reason != dirsyncv1alpha1.ReasonProviderUnavailable || st.ConsecutiveFailures != int32(i+1) ||
					st.NextSyncTime.Sub(st.LastSyncTime.Time) != want || h.Srv.Requests() <= requests {
					t.Fatalf("poll %d: Ready %s, consecutiveFailures %d, nextSyncTime - lastSyncTime %v; want ProviderUnavailable, %d, %v",
						i+1, verdict.Ready(d).Reason, st.ConsecutiveFailures, st.NextSyncTime.Sub(st.LastSyncTime.Time), i+1, want)
				}
			}
			waitWarning(h, dirsyncv1alpha1.ReasonProviderUnavailable)
			if n := countEvents(h, dirsyncv1alpha1.ReasonProviderUnavailable); n != 1 {
				t.Fatalf("%d ProviderUnavailable Events for one outage, want 1", n)
			}
			before.expectUnchanged(h)
			h.Srv.ClearFaults()
			d := h.ForceSync()
			if verdict.Ready(d).Reason != dirsyncv1alpha1.ReasonSynced || d.Status.ConsecutiveFailures != 0 ||
				d.Status.NextSyncTime.Sub(d.Status.LastSyncTime.Time) != 2*time.Minute {
				t.Fatalf("after recovery: Ready %s, consecutiveFailures %d, next %v", verdict.Ready(d).Reason, d.Status.ConsecutiveFailures, d.Status.NextSyncTime)
			}
			h.expectMatchesProvider()
		})
	}
}

// TestIDThatChangesCaseIsAnotherPerson: Access People HR ids are text, and "PW3" and "pw3" are two
// people. Both get valid, distinct object names; the old one goes only when the deletion guard allows.
func TestIDThatChangesCaseIsAnotherPerson(t *testing.T) {
	testenv.Require(t)
	var pc directorytest.ProviderCase
	for _, p := range directorytest.ProviderCases {
		if p.Provider == dirsyncv1alpha1.ProviderAccessPeopleHR {
			pc = p
		}
	}
	h := newHarness(t, pc, 12, func(d *dirsyncv1alpha1.Directory) {
		d.Spec.DeletionGuard.MaxDeletePercent = ptr.To[int32](0) // hold every deletion at first
	})
	h.WaitReason(dirsyncv1alpha1.ReasonSynced)
	oldID := anEmployee(h) // e.g. "PW3", in a department
	newID := strings.ToLower(oldID)
	old, ok := h.Users()[oldID]
	if !ok || oldID == newID || len(old.Spec.Groups) == 0 {
		t.Fatalf("want a user with an upper-case id in a group; %s: %+v", oldID, old.Spec)
	}
	h.Srv.Update(func(c *fakehr.Company) {
		c.Employee(oldID).ID = newID
		for i := range c.Employees {
			if c.Employees[i].ManagerID == oldID {
				c.Employees[i].ManagerID = newID
			}
		}
	})
	h.ForceSync()
	d := h.WaitReason(dirsyncv1alpha1.ReasonDeletionGuardTriggered)
	users := h.Users()
	renamed, ok := users[newID]
	if !ok || users[oldID].UID != old.UID {
		t.Fatalf("after the id changed case: %s present %v, %s kept %v", newID, ok, oldID, users[oldID].UID == old.UID)
	}
	if renamed.Name == old.Name || !isDNSName(renamed.Name) || !isDNSName(old.Name) {
		t.Fatalf("object names %q (%s) and %q (%s) must be distinct DNS-1123 names", old.Name, oldID, renamed.Name, newID)
	}
	type person struct{ Email, FirstName string }
	if diff := cmp.Diff(person{old.Spec.Email, old.Spec.FirstName}, person{renamed.Spec.Email, renamed.Spec.FirstName}); diff != "" {
		t.Fatalf("the user under the new id %s is not the same person as under %s (-old +new):\n%s", newID, oldID, diff)
	}
	for _, g := range old.Spec.Groups { // the held user keeps its memberships while it is held
		if members := h.groupsByName()[g].Spec.Members; !containsString(members, old.Name) || !containsString(members, renamed.Name) {
			t.Fatalf("group %s members %v, want both %s (held) and %s", g, members, old.Name, renamed.Name)
		}
	}
	if int(d.Status.UserCount) != len(h.Srv.Company().Employees)+1 {
		t.Fatalf("userCount %d, want the held user counted too (%d)", d.Status.UserCount, len(h.Srv.Company().Employees)+1)
	}

	testenv.Update(t, k8sClient, d, func(d *dirsyncv1alpha1.Directory) { d.Spec.DeletionGuard.MaxDeletePercent = ptr.To[int32](25) })
	h.WaitReason(dirsyncv1alpha1.ReasonSynced)
	if _, ok := h.Users()[oldID]; ok {
		t.Fatalf("the user under the old id %s was not deleted once the guard allowed it", oldID)
	}
	h.expectMatchesProvider()

	// Both spellings at once are two people with two objects.
	h.Srv.Update(func(c *fakehr.Company) {
		e := *c.Employee(newID)
		e.ID, e.Email = oldID, "second."+e.Email
		c.Employees = append(c.Employees, e)
	})
	h.ForceSync()
	h.WaitReason(dirsyncv1alpha1.ReasonSynced)
	users = h.Users()
	if users[oldID].Name == "" || users[newID].Name == "" || users[oldID].Name == users[newID].Name {
		t.Fatalf("%s → %q, %s → %q: want two distinct objects", oldID, users[oldID].Name, newID, users[newID].Name)
	}
	h.expectMatchesProvider()
}

// groupsByName returns the namespace's groups by object name.
func (h *harness) groupsByName() map[string]dirsyncv1alpha1.DirectoryGroup {
	h.T.Helper()
	out := map[string]dirsyncv1alpha1.DirectoryGroup{}
	for _, g := range h.Groups() {
		out[g.Name] = g
	}
	return out
}

func isDNSName(s string) bool { return len(validation.IsDNS1123Subdomain(s)) == 0 }

// retryWhenDue steps the clock past d's nextSyncTime, wakes the controller with a child event and
// waits for the sync attempt that follows.
func retryWhenDue(h *harness, d *dirsyncv1alpha1.Directory) *dirsyncv1alpha1.Directory {
	h.T.Helper()
	testClock.SetTime(d.Status.NextSyncTime.Add(time.Second))
	touchUser(h, directorytest.NextValue())
	var now *dirsyncv1alpha1.Directory
	testenv.Eventually(h.T, 30*time.Second, func() (bool, string) {
		now = h.Directory()
		return now.Status.LastSyncTime.After(d.Status.LastSyncTime.Time),
			fmt.Sprintf("no sync attempt after nextSyncTime %v passed", d.Status.NextSyncTime)
	})
	return now
}

// closedEndpoint is an http:// URL on 127.0.0.1 where nothing listens: connecting is refused.
func closedEndpoint(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	must(t, err)
	addr := l.Addr().String()
	must(t, l.Close())
	return "http://" + addr + "/v1"
}

// syncAttempts is how many sync attempts of Directories in ns have finished (dirsync_syncs_total).
func syncAttempts(t *testing.T, ns string) float64 {
	t.Helper()
	families, err := metrics.Registry.Gather()
	must(t, err)
	var n float64
	for _, f := range families {
		if f.GetName() != "dirsync_syncs_total" {
			continue
		}
		for _, m := range f.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "namespace" && l.GetValue() == ns {
					n += m.GetCounter().GetValue()
				}
			}
		}
	}
	return n
}

// directoryEvents are the events.k8s.io Events regarding the harness's Directory.
func directoryEvents(h *harness) []eventsv1.Event {
	h.T.Helper()
	var l eventsv1.EventList
	must(h.T, k8sClient.List(h.Ctx, &l, client.InNamespace(h.NS)))
	var out []eventsv1.Event
	for _, e := range l.Items {
		if e.Regarding.Kind == "Directory" && e.Regarding.Name == h.Key.Name {
			out = append(out, e)
		}
	}
	return out
}

// waitWarning waits for a Warning Event with reason regarding the Directory.
func waitWarning(h *harness, reason string) eventsv1.Event {
	h.T.Helper()
	var found eventsv1.Event
	testenv.Eventually(h.T, 10*time.Second, func() (bool, string) {
		var seen []string
		for _, e := range directoryEvents(h) {
			if e.Reason == reason && e.Type == "Warning" {
				found = e
				return true, ""
			}
			seen = append(seen, e.Type+" "+e.Reason)
		}
		return false, fmt.Sprintf("no Warning %s Event; have %v", reason, seen)
	})
	return found
}

// countEvents counts the occurrences of Events with reason regarding the Directory.
func countEvents(h *harness, reason string) int {
	h.T.Helper()
	n := 0
	for _, e := range directoryEvents(h) {
		if e.Reason != reason {
			continue
		}
		n++
		if e.Series != nil && e.Series.Count > 1 {
			n += int(e.Series.Count) - 1
		}
	}
	return n
}

// savedChildren is a copy of a Directory's users and groups, to prove later that nothing changed.
type savedChildren struct {
	users  map[string]dirsyncv1alpha1.DirectoryUser
	groups map[string]dirsyncv1alpha1.DirectoryGroup
}

func snapshotChildren(h *harness) savedChildren {
	h.T.Helper()
	return savedChildren{users: h.Users(), groups: h.Groups()}
}

// expectUnchanged checks that every user and group still exists, as the same object, with the same spec.
func (c savedChildren) expectUnchanged(h *harness) {
	h.T.Helper()
	users, groups := h.Users(), h.Groups()
	if len(users) != len(c.users) || len(groups) != len(c.groups) {
		h.T.Fatalf("%d users and %d groups, want %d and %d", len(users), len(groups), len(c.users), len(c.groups))
	}
	for id, was := range c.users {
		now, ok := users[id]
		if !ok || now.UID != was.UID {
			h.T.Fatalf("user %s was deleted or replaced", id)
		}
		if !equality.Semantic.DeepEqual(now.Spec, was.Spec) {
			h.T.Fatalf("user %s spec changed (-was +now):\n%s", id, cmp.Diff(was.Spec, now.Spec))
		}
	}
	for name, was := range c.groups {
		now, ok := groups[name]
		if !ok || now.UID != was.UID {
			h.T.Fatalf("group %q was deleted or replaced", name)
		}
		if !equality.Semantic.DeepEqual(now.Spec, was.Spec) {
			h.T.Fatalf("group %q spec changed (-was +now):\n%s", name, cmp.Diff(was.Spec, now.Spec))
		}
	}
}
