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
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/sets"
	"k8s.io/utils/ptr"

	dirsyncv1alpha1 "github.com/dirsync/dirsync/api/v1alpha1"
	"github.com/dirsync/dirsync/internal/subject"
)

// accessNow is the pure tests' clock: 2026-03-02 09:00 UTC.
var accessNow = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

// accUser is a DirectoryUser of Directory acme in namespace hr.
func accUser(id, email string, state dirsyncv1alpha1.UserState, groups ...string) dirsyncv1alpha1.DirectoryUser {
	return dirsyncv1alpha1.DirectoryUser{
		ObjectMeta: metav1.ObjectMeta{Name: "acme-" + strings.ToLower(id), Namespace: "hr",
			Labels: map[string]string{dirsyncv1alpha1.LabelDirectory: "acme"}},
		Spec: dirsyncv1alpha1.DirectoryUserSpec{DirectoryRef: dirsyncv1alpha1.DirectoryReference{Name: "acme"}, ExternalID: id,
			Email: email, FirstName: "Ada", LastName: "Lovelace", State: state, Groups: groups},
	}
}

// accWithDates sets a person's startDate and endDate.
func accWithDates(u dirsyncv1alpha1.DirectoryUser, start, end string) dirsyncv1alpha1.DirectoryUser {
	u.Spec.StartDate, u.Spec.EndDate = start, end
	return u
}

// accAccess is DirectoryAccess hr/eng binding group acme-eng to ClusterRole edit in namespace web, already
// observed at its generation (so data-driven revocations go through the guard).
func accAccess(mutate ...func(*dirsyncv1alpha1.DirectoryAccess)) *dirsyncv1alpha1.DirectoryAccess {
	a := &dirsyncv1alpha1.DirectoryAccess{
		ObjectMeta: metav1.ObjectMeta{Name: "eng", Namespace: "hr", Generation: 1},
		Spec: dirsyncv1alpha1.DirectoryAccessSpec{
			DirectoryRef: dirsyncv1alpha1.DirectoryReference{Name: "acme"},
			Groups:       []string{"acme-eng"},
			RoleRef:      dirsyncv1alpha1.AccessRoleRef{Kind: dirsyncv1alpha1.AccessRoleClusterRole, Name: "edit"},
			Target:       dirsyncv1alpha1.AccessTarget{Namespaces: []string{"web"}},
			Subject:      dirsyncv1alpha1.AccessSubject{Kind: dirsyncv1alpha1.AccessSubjectUser, Template: "oidc:{{ lower .Email }}"},
		},
		Status: dirsyncv1alpha1.DirectoryAccessStatus{ObservedGeneration: 1},
	}
	for _, m := range mutate {
		m(a)
	}
	return a
}

func TestComputeSubjects(t *testing.T) {
	active, inactive := dirsyncv1alpha1.UserStateActive, dirsyncv1alpha1.UserStateInactive
	held := accUser("1009", "held@x.io", active, "acme-eng")
	held.Status.Conditions = []metav1.Condition{{Type: dirsyncv1alpha1.ConditionSynced, Status: metav1.ConditionFalse, Reason: dirsyncv1alpha1.ReasonRemovedFromProvider}}
	tests := []struct {
		name          string
		access        *dirsyncv1alpha1.DirectoryAccess
		users         []dirsyncv1alpha1.DirectoryUser
		want          []string
		wantEndDated  []string
		wantConflicts []string
		wantInvalid   []string
		wantNext      string
	}{
		{name: "active members of a selected group", users: []dirsyncv1alpha1.DirectoryUser{
			accUser("1001", "a@x.io", active, "acme-eng"), accUser("1002", "b@x.io", active, "acme-sales"),
			accUser("1003", "c@x.io", active, "acme-sales", "acme-eng")},
			want: []string{"oidc:a@x.io", "oidc:c@x.io"}},
		{name: "an Inactive member is not bound", users: []dirsyncv1alpha1.DirectoryUser{
			accUser("1001", "a@x.io", inactive, "acme-eng"), accUser("1002", "b@x.io", active, "acme-eng")},
			want: []string{"oidc:b@x.io"}},
		{name: "a member the provider no longer lists (held by the Directory's guard) is not bound",
			users: []dirsyncv1alpha1.DirectoryUser{held, accUser("1002", "b@x.io", active, "acme-eng")}, want: []string{"oidc:b@x.io"}},
		{name: "endDate passed while still Active: not bound, and marked end-dated", users: []dirsyncv1alpha1.DirectoryUser{
			accWithDates(accUser("1001", "a@x.io", active, "acme-eng"), "", "2026-03-01"),
			accWithDates(accUser("1002", "b@x.io", active, "acme-eng"), "", "2026-03-02")},
			want: []string{"oidc:b@x.io"}, wantEndDated: []string{"oidc:a@x.io"}, wantNext: "2026-03-03"},
		{name: "revokeAtEndDate false keeps a pending leaver", access: accAccess(func(a *dirsyncv1alpha1.DirectoryAccess) {
			a.Spec.Lifecycle.RevokeAtEndDate = ptr.To(false)
		}), users: []dirsyncv1alpha1.DirectoryUser{accWithDates(accUser("1001", "a@x.io", active, "acme-eng"), "", "2026-03-01")},
			want: []string{"oidc:a@x.io"}},
		{name: "no one before startDate; the timer is the start", users: []dirsyncv1alpha1.DirectoryUser{
			accWithDates(accUser("1001", "a@x.io", active, "acme-eng"), "2026-03-09", ""),
			accWithDates(accUser("1002", "b@x.io", active, "acme-eng"), "2026-03-02", "")},
			want: []string{"oidc:b@x.io"}, wantNext: "2026-03-09"},
		{name: "honourStartDate false binds a joiner early", access: accAccess(func(a *dirsyncv1alpha1.DirectoryAccess) {
			a.Spec.Lifecycle.HonourStartDate = ptr.To(false)
		}), users: []dirsyncv1alpha1.DirectoryUser{accWithDates(accUser("1001", "a@x.io", active, "acme-eng"), "2026-03-09", "")},
			want: []string{"oidc:a@x.io"}},
		{name: "a reused e-mail: an Inactive leaver and an Active joiner render the same subject; neither is bound",
			users: []dirsyncv1alpha1.DirectoryUser{accUser("1001", "sam@x.io", inactive, "acme-eng"), accUser("1077", "Sam@x.io", active, "acme-eng"),
				accUser("1002", "b@x.io", active, "acme-eng")},
			want: []string{"oidc:b@x.io"}, wantConflicts: []string{"oidc:sam@x.io: 1001, 1077"}},
		{name: "a conflict between people outside the selected groups is not this access's business",
			users: []dirsyncv1alpha1.DirectoryUser{accUser("1001", "sam@x.io", active, "acme-sales"), accUser("1077", "sam@x.io", active, "acme-ops")}},
		{name: "template renders nothing valid for a selected person", access: accAccess(func(a *dirsyncv1alpha1.DirectoryAccess) {
			a.Spec.Subject.Template = "{{ .Email }}"
		}), users: []dirsyncv1alpha1.DirectoryUser{accUser("1001", "", active, "acme-eng"), accUser("1002", "system:admin", active, "acme-eng"),
			accUser("1003", "", active, "acme-sales"), accUser("1004", "d@x.io", active, "acme-eng")},
			want: []string{"d@x.io"}, wantInvalid: []string{"1001 (has no email)", "1002 (renders a reserved system: name)"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			acc := tt.access
			if acc == nil {
				acc = accAccess()
			}
			st, err := subject.Parse(acc.Spec.Subject.Template)
			if err != nil {
				t.Fatal(err)
			}
			rep := computeSubjects(acc, st, map[string]bool{"acme-eng": true}, tt.users, accessNow)
			if diff := cmp.Diff(tt.want, sets.List(sets.KeySet(rep.desired)), cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("desired (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.wantEndDated, sets.List(sets.KeySet(rep.endDated)), cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("endDated (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.wantConflicts, rep.conflicts, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("conflicts (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.wantInvalid, rep.invalid, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("invalid (-want +got):\n%s", diff)
			}
			next := ""
			if !rep.next.IsZero() {
				next = rep.next.Format(time.DateOnly)
			}
			if next != tt.wantNext {
				t.Errorf("next %q, want %q", next, tt.wantNext)
			}
		})
	}
}

func TestSelectedGroups(t *testing.T) {
	groups := []dirsyncv1alpha1.DirectoryGroup{
		{ObjectMeta: metav1.ObjectMeta{Name: "acme-eng", Labels: map[string]string{"team": "platform"}}},
		{ObjectMeta: metav1.ObjectMeta{Name: "acme-sre", Labels: map[string]string{"team": "platform"}}},
		{ObjectMeta: metav1.ObjectMeta{Name: "acme-sales"}},
	}
	tests := []struct {
		name     string
		spec     dirsyncv1alpha1.DirectoryAccessSpec
		want     string
		wantFail bool
	}{
		{name: "names only", spec: dirsyncv1alpha1.DirectoryAccessSpec{Groups: []string{"acme-sales", "not-yet-there"}}, want: "[acme-sales not-yet-there]"},
		{name: "selector only", spec: dirsyncv1alpha1.DirectoryAccessSpec{GroupSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"team": "platform"}}},
			want: "[acme-eng acme-sre]"},
		{name: "both", spec: dirsyncv1alpha1.DirectoryAccessSpec{Groups: []string{"acme-sales"},
			GroupSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"team": "platform"}}}, want: "[acme-eng acme-sales acme-sre]"},
		{name: "invalid selector", spec: dirsyncv1alpha1.DirectoryAccessSpec{GroupSelector: &metav1.LabelSelector{
			MatchExpressions: []metav1.LabelSelectorRequirement{{Key: "team", Operator: metav1.LabelSelectorOpIn}}}}, wantFail: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := selectedGroups(&tt.spec, groups)
			if (err != nil) != tt.wantFail {
				t.Fatalf("error %v, want failure %v", err, tt.wantFail)
			}
			if !tt.wantFail && fmt.Sprint(sets.List(sets.KeySet(got))) != tt.want {
				t.Errorf("selected %v, want %s", sets.List(sets.KeySet(got)), tt.want)
			}
		})
	}
}

func TestLifecycleDays(t *testing.T) {
	tests := []struct {
		name          string
		start, end    string
		now           time.Time
		started, done bool
	}{
		{name: "no dates", now: accessNow, started: true},
		{name: "starts today", start: "2026-03-02", now: accessNow, started: true},
		{name: "starts tomorrow", start: "2026-03-03", now: accessNow},
		{name: "starts tomorrow, one second before midnight", start: "2026-03-03", now: time.Date(2026, 3, 2, 23, 59, 59, 0, time.UTC)},
		{name: "ends today: still here until midnight", end: "2026-03-02", now: accessNow, started: true},
		{name: "ended yesterday", end: "2026-03-01", now: accessNow, started: true, done: true},
		{name: "ends today, at midnight after it", end: "2026-03-02", now: time.Date(2026, 3, 3, 0, 0, 0, 0, time.UTC), started: true, done: true},
		{name: "malformed dates impose nothing", start: "next week", end: "03/01/2026", now: accessNow, started: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := started(tt.start, tt.now); got != tt.started {
				t.Errorf("started(%q) = %v", tt.start, got)
			}
			if got := ended(tt.end, tt.now); got != tt.done {
				t.Errorf("ended(%q) = %v", tt.end, got)
			}
		})
	}
}
