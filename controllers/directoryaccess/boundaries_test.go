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

// The access plan at its edges, with expectations written from the README ("Offboarding semantics",
// the revocationGuard and lifecycle fields) and the plan's documented fields, not from the code: what a
// plan defers while the data settles, how many bound subjects it revokes for their endDate, when the
// next startDate/endDate boundary is, the revocation guard's floor and percentage, the binding size
// limit, and the RoleBinding names, spelled out.

import (
	"errors"
	"fmt"
	"math/big"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/sets"
	"k8s.io/utils/ptr"

	dirsyncv1alpha1 "github.com/dirsync/dirsync/api/v1alpha1"
)

// sortedSubjects is accSubjects(n) in a RoleBinding's order (sorted as strings: p10 before p2).
func sortedSubjects(n int) []string {
	s := accSubjects(n)
	slices.Sort(s)
	return s
}

// midnight is 00:00 UTC of a YYYY-MM-DD date.
func midnight(s string) time.Time {
	d, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return d
}

func TestPlanAccessDeferredEndDatedAndNext(t *testing.T) {
	active, inactive := dirsyncv1alpha1.UserStateActive, dirsyncv1alpha1.UserStateInactive
	ready := accDirectory(metav1.ConditionTrue, dirsyncv1alpha1.ReasonSynced)
	outage := accDirectory(metav1.ConditionFalse, dirsyncv1alpha1.ReasonProviderUnavailable)
	alice, bob := accUser("1001", "alice@x.io", active, "acme-eng"), accUser("1002", "bob@x.io", active, "acme-eng")
	carol := accUser("1003", "carol@x.io", active, "acme-eng")
	ab := []rbacv1.RoleBinding{accBinding("web", "oidc:alice@x.io", "oidc:bob@x.io")}
	tests := []struct {
		name     string
		access   *dirsyncv1alpha1.DirectoryAccess
		dir      *dirsyncv1alpha1.Directory // default: ready
		noDir    bool                       // the Directory does not exist
		users    []dirsyncv1alpha1.DirectoryUser
		existing []rbacv1.RoleBinding
		noRecord bool // as after an upgrade: nothing recorded yet
		settling bool
		now      time.Time // default: accessNow, 2026-03-02 09:00 UTC
		want     accOutcome
		held     int
		deferred int
		endDated int
		next     time.Time
	}{
		// endDated: the bound subjects revoked because their endDate has passed.
		{name: "a bound person whose endDate passed yesterday is revoked and counted",
			users: []dirsyncv1alpha1.DirectoryUser{accWithDates(alice, "", "2026-03-01"), bob}, existing: ab,
			want: accOutcome{"web": "patch [oidc:bob@x.io]"}, endDated: 1},
		{name: "an end-dated person never bound is not counted",
			users: []dirsyncv1alpha1.DirectoryUser{alice, bob, accWithDates(carol, "", "2026-02-01")}, existing: ab,
			want: accOutcome{"web": "keep [oidc:alice@x.io oidc:bob@x.io]"}},
		{name: "an endDate of today keeps the person until midnight, which is next",
			users: []dirsyncv1alpha1.DirectoryUser{accWithDates(alice, "", "2026-03-02"), bob}, existing: ab,
			want: accOutcome{"web": "keep [oidc:alice@x.io oidc:bob@x.io]"}, next: midnight("2026-03-03")},
		{name: "at midnight after the endDate the person goes",
			users: []dirsyncv1alpha1.DirectoryUser{accWithDates(alice, "", "2026-03-02"), bob}, existing: ab, now: midnight("2026-03-03"),
			want: accOutcome{"web": "patch [oidc:bob@x.io]"}, endDated: 1},
		{name: "a second before midnight the person stays",
			users: []dirsyncv1alpha1.DirectoryUser{accWithDates(alice, "", "2026-03-02"), bob}, existing: ab, now: midnight("2026-03-03").Add(-time.Second),
			want: accOutcome{"web": "keep [oidc:alice@x.io oidc:bob@x.io]"}, next: midnight("2026-03-03")},
		{name: "revokeAtEndDate false: no one is end-dated and an endDate is no boundary",
			access: accAccess(func(a *dirsyncv1alpha1.DirectoryAccess) { a.Spec.Lifecycle.RevokeAtEndDate = ptr.To(false) }),
			users:  []dirsyncv1alpha1.DirectoryUser{accWithDates(alice, "", "2026-03-01"), accWithDates(bob, "", "2026-03-05")}, existing: ab,
			want: accOutcome{"web": "keep [oidc:alice@x.io oidc:bob@x.io]"}},
		{name: "during an outage an end-dated person still goes, and counts",
			dir: outage, users: []dirsyncv1alpha1.DirectoryUser{accWithDates(alice, "", "2026-03-01"), bob}, existing: ab,
			want: accOutcome{"web": "patch [oidc:bob@x.io]"}, endDated: 1},
		{name: "three end-dated of four bound all go (the floor) and all count",
			users: func() []dirsyncv1alpha1.DirectoryUser {
				us := accPeople(4)
				for i := range 3 {
					us[i] = accWithDates(us[i], "", "2026-02-27")
				}
				return us
			}(), existing: []rbacv1.RoleBinding{accBinding("web", accSubjects(4)...)},
			want: accOutcome{"web": "patch [oidc:p3@x.io]"}, endDated: 3},
		{name: "end-dated people whose revocation the guard holds are not counted",
			users: func() []dirsyncv1alpha1.DirectoryUser {
				us := accPeople(10)
				for i := range 8 {
					us[i] = accWithDates(us[i], "", "2026-02-28")
				}
				return us
			}(), existing: []rbacv1.RoleBinding{accBinding("web", accSubjects(10)...)},
			want: accOutcome{"web": fmt.Sprintf("keep %v", accSubjects(10))}, held: 8},

		// next: the earliest future startDate, or day after an endDate, of a selected, active person.
		{name: "the earliest of a joiner's start and a leaver's last day is next",
			users: []dirsyncv1alpha1.DirectoryUser{accWithDates(alice, "2026-03-09", ""), accWithDates(bob, "2020-01-01", "2026-03-05"), carol},
			want:  accOutcome{"web": "create [oidc:bob@x.io oidc:carol@x.io]"}, next: midnight("2026-03-06")},
		{name: "a start at midnight now has come: the person is bound and it is no boundary",
			users: []dirsyncv1alpha1.DirectoryUser{accWithDates(alice, "2026-03-09", ""), accWithDates(bob, "2026-03-20", "")}, now: midnight("2026-03-09"),
			want: accOutcome{"web": "create [oidc:alice@x.io]"}, next: midnight("2026-03-20")},
		{name: "dates of people outside the groups, Inactive, or held by the Directory's guard are no boundary",
			users: []dirsyncv1alpha1.DirectoryUser{accWithDates(accUser("1004", "dan@x.io", active, "acme-sales"), "2026-03-04", ""),
				accWithDates(accUser("1005", "eve@x.io", inactive, "acme-eng"), "2026-03-04", "2026-03-05"),
				func() dirsyncv1alpha1.DirectoryUser {
					u := accWithDates(accUser("1006", "fay@x.io", active, "acme-eng"), "2026-03-04", "")
					u.Status.Conditions = []metav1.Condition{{Type: dirsyncv1alpha1.ConditionSynced, Status: metav1.ConditionFalse,
						Reason: dirsyncv1alpha1.ReasonRemovedFromProvider}}
					return u
				}(), accWithDates(carol, "", "2026-04-30")},
			want: accOutcome{"web": "create [oidc:carol@x.io]"}, next: midnight("2026-05-01")},
		{name: "honourStartDate false: a start is no boundary",
			access: accAccess(func(a *dirsyncv1alpha1.DirectoryAccess) { a.Spec.Lifecycle.HonourStartDate = ptr.To(false) }),
			users:  []dirsyncv1alpha1.DirectoryUser{accWithDates(alice, "2026-03-09", "")},
			want:   accOutcome{"web": "create [oidc:alice@x.io]"}},
		{name: "malformed dates are no boundary",
			users: []dirsyncv1alpha1.DirectoryUser{accWithDates(alice, "next week", "31/12/2026")},
			want:  accOutcome{"web": "create [oidc:alice@x.io]"}},

		// deferred: data-driven revocations wait while the Directory's writes are still arriving.
		{name: "while settling, a leaver waits and is counted as deferred",
			users: []dirsyncv1alpha1.DirectoryUser{accUser("1001", "alice@x.io", inactive, "acme-eng"), bob}, existing: ab, settling: true,
			want: accOutcome{"web": "keep [oidc:alice@x.io oidc:bob@x.io]"}, deferred: 1},
		{name: "while settling, a mass revocation is deferred, not held",
			users: accPeople(4), existing: []rbacv1.RoleBinding{accBinding("web", accSubjects(10)...)}, settling: true,
			want: accOutcome{"web": fmt.Sprintf("keep %v", accSubjects(10))}, deferred: 6},
		{name: "while settling, grants and end-dating wait apart: the grant goes, the end-dated person waits",
			users: []dirsyncv1alpha1.DirectoryUser{accWithDates(alice, "", "2026-03-01"), bob, carol}, existing: ab, settling: true,
			want: accOutcome{"web": "patch [oidc:alice@x.io oidc:bob@x.io oidc:carol@x.io]"}, deferred: 1},
		{name: "settled: the leaver goes",
			users: []dirsyncv1alpha1.DirectoryUser{accUser("1001", "alice@x.io", inactive, "acme-eng"), bob}, existing: ab,
			want: accOutcome{"web": "patch [oidc:bob@x.io]"}},
		{name: "with the guard off (100) nothing waits",
			access: accAccess(func(a *dirsyncv1alpha1.DirectoryAccess) { a.Spec.RevocationGuard.MaxRevokePercent = ptr.To[int32](100) }),
			users:  []dirsyncv1alpha1.DirectoryUser{bob}, existing: ab, settling: true,
			want: accOutcome{"web": "patch [oidc:bob@x.io]"}},
		{name: "a revocation the spec change causes does not wait",
			access: accAccess(func(a *dirsyncv1alpha1.DirectoryAccess) { a.Generation = 2; a.Spec.Groups = []string{"acme-sales"} }),
			users:  []dirsyncv1alpha1.DirectoryUser{alice, bob}, existing: ab, settling: true,
			want: accOutcome{"web": "patch []"}},
		{name: "with nothing recorded yet nothing waits",
			users: []dirsyncv1alpha1.DirectoryUser{bob}, existing: ab, noRecord: true, settling: true,
			want: accOutcome{"web": "patch [oidc:bob@x.io]"}},
		{name: "during an outage an end-dated person waits for the settle too",
			dir: outage, users: []dirsyncv1alpha1.DirectoryUser{accWithDates(alice, "", "2026-03-01"), bob}, existing: ab, settling: true,
			want: accOutcome{"web": "keep [oidc:alice@x.io oidc:bob@x.io]"}, deferred: 1},
		{name: "a Directory that is gone revokes everyone at once, settling or not",
			noDir: true, users: []dirsyncv1alpha1.DirectoryUser{alice, bob}, existing: ab, settling: true,
			want: accOutcome{"web": "patch []"}},

		// held: over the floor and over maxRevokePercent (50 by default) of what dirsync bound.
		{name: "4 of 8 bound go: exactly 50%, not held",
			users: accPeople(4), existing: []rbacv1.RoleBinding{accBinding("web", accSubjects(8)...)},
			want: accOutcome{"web": fmt.Sprintf("patch %v", accSubjects(4))}},
		{name: "4 of 7 bound go: over 50%, held",
			users: accPeople(3), existing: []rbacv1.RoleBinding{accBinding("web", accSubjects(7)...)},
			want: accOutcome{"web": fmt.Sprintf("keep %v", accSubjects(7))}, held: 4},
		{name: "at 0%, 4 of 100 bound go: over the floor, held",
			access: accAccess(func(a *dirsyncv1alpha1.DirectoryAccess) { a.Spec.RevocationGuard.MaxRevokePercent = ptr.To[int32](0) }),
			users:  accPeople(96), existing: []rbacv1.RoleBinding{accBinding("web", accSubjects(100)...)},
			want: accOutcome{"web": fmt.Sprintf("keep %v", sortedSubjects(100))}, held: 4},
		{name: "at 99%, every one of 10 bound going is held",
			access: accAccess(func(a *dirsyncv1alpha1.DirectoryAccess) { a.Spec.RevocationGuard.MaxRevokePercent = ptr.To[int32](99) }),
			users:  nil, existing: []rbacv1.RoleBinding{accBinding("web", accSubjects(10)...)},
			want: accOutcome{"web": fmt.Sprintf("keep %v", accSubjects(10))}, held: 10},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			acc := tt.access
			if acc == nil {
				acc = accAccess()
			}
			dir := ready
			if tt.dir != nil {
				dir = tt.dir
			}
			if tt.noDir {
				dir = nil
			}
			now := tt.now
			if now.IsZero() {
				now = accessNow
			}
			bs, rec := recorded(tt.existing...)
			if tt.noRecord {
				rec = record{bound: sets.New[string]()}
			}
			p := planAccess(acc, accessInput{directory: dir, data: accessData{users: tt.users}, namespaces: accNamespaces("web"),
				bindings: bs, record: rec, settling: tt.settling}, now)
			if diff := cmp.Diff(tt.want, accOps(p.ops), cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("ops (-want +got):\n%s", diff)
			}
			if p.held != tt.held || p.deferred != tt.deferred || p.endDated != tt.endDated {
				t.Errorf("held %d, deferred %d, endDated %d; want %d, %d, %d", p.held, p.deferred, p.endDated, tt.held, tt.deferred, tt.endDated)
			}
			if !p.next.Equal(tt.next) {
				t.Errorf("next %v, want %v", p.next, tt.next)
			}
		})
	}
}

// readmeRevocations is the README's revocation guard: a change that revokes nothing, or a guard at 100,
// applies; while the Directory's writes are still arriving the revocations wait (deferred); then more than
// maxRevokePercent of the bound subjects (remove/bound > pct/100, as fractions) and more than 3 is held
// ("0 holds every data-driven revocation over the floor of 3"); anything else applies.
func readmeRevocations(revoke, bound int, settling bool, pct int32) int {
	switch {
	case revoke == 0 || pct >= 100:
		return revocationsApplied
	case settling:
		return revocationsDeferred
	case revoke > 3 && big.NewRat(int64(revoke), int64(bound)).Cmp(big.NewRat(int64(pct), 100)) > 0:
		return revocationsHeld
	}
	return revocationsApplied
}

func TestDecideRevocationsFollowsTheREADME(t *testing.T) {
	for bound := 0; bound <= 40; bound++ {
		for revoke := 0; revoke <= bound; revoke++ {
			for _, settling := range []bool{false, true} {
				for _, pct := range []int32{0, 1, 10, 25, 33, 49, 50, 51, 75, 99, 100} {
					if got, want := decideRevocations(revoke, bound, settling, pct), readmeRevocations(revoke, bound, settling, pct); got != want {
						t.Fatalf("decideRevocations(%d, %d, %v, %d) = %d, want %d", revoke, bound, settling, pct, got, want)
					}
				}
			}
		}
	}
}

// The subjects dirsync writes are bounded: about 64 bytes per subject besides its name, over all the
// RoleBindings together; at the limit everything is granted, one byte under it nothing is.
func TestBindingSizeLimitAtItsEdge(t *testing.T) {
	// p0…p2 render "oidc:pN@x.io", 12 characters: 3 × (12 + 64) = 228 bytes, however many namespaces.
	acc := accAccess(func(a *dirsyncv1alpha1.DirectoryAccess) { a.Spec.Target.Namespaces = []string{"web", "api"} })
	for _, tt := range []struct {
		limit  int
		denied bool
		want   accOutcome
	}{
		{limit: 228, want: accOutcome{"web": fmt.Sprintf("create %v", accSubjects(3)), "api": fmt.Sprintf("create %v", accSubjects(3))}},
		{limit: 227, denied: true, want: accOutcome{}},
	} {
		t.Run(fmt.Sprint(tt.limit), func(t *testing.T) {
			p := planAccess(acc, accessInput{directory: accDirectory(metav1.ConditionTrue, dirsyncv1alpha1.ReasonSynced),
				data: accessData{users: accPeople(3)}, namespaces: accNamespaces("web", "api"), maxBindingBytes: tt.limit}, accessNow)
			if diff := cmp.Diff(tt.want, accOps(p.ops), cmpopts.EquateEmpty()); diff != "" || p.denied != tt.denied {
				t.Errorf("limit %d: denied %v (want %v), ops (-want +got):\n%s", tt.limit, p.denied, tt.denied, diff)
			}
		})
	}
}

// A condition message quotes at most 200 characters of an error.
func TestShortErrorKeeps200Characters(t *testing.T) {
	exactly := strings.Repeat("x", 200)
	if got := shortError(errors.New(exactly)); got != exactly {
		t.Errorf("a 200-character error became %q", got)
	}
	if got := shortError(errors.New(exactly + "y")); got != exactly+"…" {
		t.Errorf("a 201-character error became %q, want its first 200 characters and …", got)
	}
}

// What dirsync vouches for in a RoleBinding it did not write is what it vouched for before and the
// RoleBinding still has; one it wrote, everything in it.
func TestVouchedAfter(t *testing.T) {
	rb := accBinding("web", "oidc:a", "oidc:b")
	for _, tt := range []struct {
		name    string
		vouched sets.Set[string]
		wrote   bool
		want    []string
	}{
		{name: "not written: what it vouched for and still binds", vouched: sets.New("oidc:a", "oidc:gone"), want: []string{"oidc:a"}},
		{name: "not written, vouched for nothing", vouched: nil, want: nil},
		{name: "written: everything in it", vouched: sets.New("oidc:a"), wrote: true, want: []string{"oidc:a", "oidc:b"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got := vouchedAfter(bindingOp{verb: verbKeep, ns: "web", existing: &rb, vouched: tt.vouched}, opResult{final: &rb, wrote: tt.wrote})
			if diff := cmp.Diff(tt.want, sets.List(got), cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("vouched (-want +got):\n%s", diff)
			}
		})
	}
}

// The RoleBinding names and the dirsync.io/access label values, spelled out: dirsync-<name, at most 40
// characters without a trailing dot or dash>-<first 8 hex digits of sha256("<namespace>/<name>")>, and
// with a taken name, -<8 hex digits of sha256(uid)> after it; the label is <namespace>.<name>, or its
// first 54 characters, a dash and 8 hex digits of sha256 of the whole when that is over 63. The hashes
// were computed with sha256sum.
func TestAccessNamesSpelledOut(t *testing.T) {
	long := strings.Repeat("a", 250)
	for _, tt := range []struct{ ns, name, want string }{
		{"hr", "eng", "dirsync-eng-53a1147d"},
		{"hr2", "eng", "dirsync-eng-1825b3b5"},
		{"hr", long, "dirsync-" + strings.Repeat("a", 40) + "-3ea7c82c"},
		{"hr", "platform-team-ops-oncall-rotation-europ-west", "dirsync-platform-team-ops-oncall-rotation-europ-8c9dc5b1"},
		{"hr", "platform-team-ops-oncall-rotation-europ.west", "dirsync-platform-team-ops-oncall-rotation-europ-53b4dba2"},
	} {
		acc := &dirsyncv1alpha1.DirectoryAccess{ObjectMeta: metav1.ObjectMeta{Namespace: tt.ns, Name: tt.name}}
		if got := accessBindingName(acc); got != tt.want {
			t.Errorf("accessBindingName(%s/%.20s…) = %q, want %q", tt.ns, tt.name, got, tt.want)
		}
	}
	acc := &dirsyncv1alpha1.DirectoryAccess{ObjectMeta: metav1.ObjectMeta{Namespace: "hr", Name: "eng", UID: types.UID("3f6c1c9e-0000-4000-8000-000000000001")}}
	if got := fallbackBindingName(acc); got != "dirsync-eng-53a1147d-d573c840" {
		t.Errorf("fallbackBindingName = %q", got)
	}
	for _, tt := range []struct{ ns, name, want string }{
		{"hr", "eng", "hr.eng"},
		{strings.Repeat("n", 40), strings.Repeat("e", 22), strings.Repeat("n", 40) + "." + strings.Repeat("e", 22)}, // 63: fits
		{strings.Repeat("n", 40), strings.Repeat("e", 30), strings.Repeat("n", 40) + "." + strings.Repeat("e", 13) + "-9fa45389"},
		{"hr", long, "hr." + strings.Repeat("a", 51) + "-ac0256a7"},
	} {
		if got := accessLabelValue(tt.ns, tt.name); got != tt.want {
			t.Errorf("accessLabelValue(%.20s…, %.20s…) = %q, want %q", tt.ns, tt.name, got, tt.want)
		}
	}
}

// writes counts the RoleBinding writes a plan needs: every op but keep, a replace once.
func TestWritesCountsEveryOpButKeep(t *testing.T) {
	ops := []bindingOp{{verb: verbKeep}, {verb: verbCreate}, {verb: verbPatch}, {verb: verbReplace}, {verb: verbDelete}, {verb: verbKeep}}
	if got := writes(ops); got != 4 {
		t.Errorf("writes = %d, want 4", got)
	}
	if got := writes(nil); got != 0 {
		t.Errorf("writes(nil) = %d, want 0", got)
	}
}
