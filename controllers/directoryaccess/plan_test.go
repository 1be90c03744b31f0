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
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/ptr"

	dirsyncv1alpha1 "github.com/dirsync/dirsync/api/v1alpha1"
)

// accDirectory is Directory hr/acme with the given Ready status and reason ("" status: no condition).
func accDirectory(status metav1.ConditionStatus, reason string) *dirsyncv1alpha1.Directory {
	d := &dirsyncv1alpha1.Directory{ObjectMeta: metav1.ObjectMeta{Name: "acme", Namespace: "hr"}}
	if status != "" {
		d.Status.Conditions = []metav1.Condition{{Type: dirsyncv1alpha1.ConditionReady, Status: status, Reason: reason}}
	}
	return d
}

// accBinding is the managed RoleBinding of accAccess() in ns, binding subjects.
func accBinding(ns string, subjects ...string) rbacv1.RoleBinding {
	slices.Sort(subjects)
	rb := desiredAccessBinding(accAccess(), ns, subjects)
	rb.UID = types.UID("uid-" + ns)
	return *rb
}

// people makes n Active members of acme-eng with e-mails p0@x.io, p1@x.io, …
func accPeople(n int) []dirsyncv1alpha1.DirectoryUser {
	out := make([]dirsyncv1alpha1.DirectoryUser, 0, n)
	for i := range n {
		out = append(out, accUser(fmt.Sprint(2000+i), fmt.Sprintf("p%d@x.io", i), dirsyncv1alpha1.UserStateActive, "acme-eng"))
	}
	return out
}

// accSubjects renders p0…p(n-1) as subjects.
func accSubjects(n int) []string {
	out := make([]string, 0, n)
	for i := range n {
		out = append(out, fmt.Sprintf("oidc:p%d@x.io", i))
	}
	return out
}

func accNamespaces(names ...string) namespaceView {
	v := namespaceView{labels: map[string]map[string]string{}}
	for _, n := range names {
		k, labels, _ := strings.Cut(n, ":") // "web:team=eng"
		v.labels[k] = map[string]string{}
		if labels != "" {
			lk, lv, _ := strings.Cut(labels, "=")
			v.labels[k][lk] = lv
		}
	}
	return v
}

// accOutcome is what a test expects of a plan: per namespace the verb and the resulting subjects.
type accOutcome map[string]string // namespace → "verb [subjects]"

func accOps(ops []bindingOp) accOutcome {
	out := accOutcome{}
	for _, op := range ops {
		final := op.existing
		if op.verb != verbKeep {
			final = op.desired
		}
		var subjects []string
		if final != nil {
			for _, s := range final.Subjects {
				subjects = append(subjects, s.Name)
			}
		}
		verb := op.verb
		if verb == verbKeep {
			verb = "keep"
		}
		out[op.ns] = fmt.Sprintf("%s %v", verb, subjects)
	}
	return out
}

func accReasons(ps []problem) []string {
	var out []string
	for _, p := range ps {
		out = append(out, p.reason)
	}
	return out
}

func TestPlanAccess(t *testing.T) {
	active, inactive := dirsyncv1alpha1.UserStateActive, dirsyncv1alpha1.UserStateInactive
	ready := accDirectory(metav1.ConditionTrue, dirsyncv1alpha1.ReasonSynced)
	outage := accDirectory(metav1.ConditionFalse, dirsyncv1alpha1.ReasonProviderUnavailable)
	alice, bob := accUser("1001", "alice@x.io", active, "acme-eng"), accUser("1002", "bob@x.io", active, "acme-eng")
	aliceLeft := accUser("1001", "alice@x.io", inactive, "acme-eng")
	aliceEnded := accWithDates(alice, "", "2026-03-01")
	tests := []struct {
		name      string
		access    *dirsyncv1alpha1.DirectoryAccess
		dir       *dirsyncv1alpha1.Directory
		users     []dirsyncv1alpha1.DirectoryUser
		existing  []rbacv1.RoleBinding
		ns        namespaceView
		want      accOutcome
		wantHeld  int
		settling  bool
		reasons   []string
		denied    bool
		wantFatal bool
	}{
		{name: "first reconcile creates one binding per target namespace, subjects sorted",
			dir: ready, users: []dirsyncv1alpha1.DirectoryUser{bob, alice}, ns: accNamespaces("web", "api"),
			access: accAccess(func(a *dirsyncv1alpha1.DirectoryAccess) { a.Spec.Target.Namespaces = []string{"web", "api", "gone"} }),
			want:   accOutcome{"api": "create [oidc:alice@x.io oidc:bob@x.io]", "web": "create [oidc:alice@x.io oidc:bob@x.io]"}},
		{name: "nothing changed: no write",
			dir: ready, users: []dirsyncv1alpha1.DirectoryUser{alice, bob}, ns: accNamespaces("web"),
			existing: []rbacv1.RoleBinding{accBinding("web", "oidc:alice@x.io", "oidc:bob@x.io")},
			want:     accOutcome{"web": "keep [oidc:alice@x.io oidc:bob@x.io]"}},
		{name: "a leaver turned Inactive is removed",
			dir: ready, users: []dirsyncv1alpha1.DirectoryUser{aliceLeft, bob}, ns: accNamespaces("web"),
			existing: []rbacv1.RoleBinding{accBinding("web", "oidc:alice@x.io", "oidc:bob@x.io")},
			want:     accOutcome{"web": "patch [oidc:bob@x.io]"}},
		{name: "a deleted user is removed",
			dir: ready, users: []dirsyncv1alpha1.DirectoryUser{bob}, ns: accNamespaces("web"),
			existing: []rbacv1.RoleBinding{accBinding("web", "oidc:alice@x.io", "oidc:bob@x.io")},
			want:     accOutcome{"web": "patch [oidc:bob@x.io]"}},
		{name: "foreign subjects added by hand are reverted",
			dir: ready, users: []dirsyncv1alpha1.DirectoryUser{bob}, ns: accNamespaces("web"),
			existing: []rbacv1.RoleBinding{accBinding("web", "oidc:bob@x.io", "oidc:mallory@x.io")},
			want:     accOutcome{"web": "patch [oidc:bob@x.io]"}},
		{name: "a mover leaves one access's group: removed in the same plan",
			dir: ready, users: []dirsyncv1alpha1.DirectoryUser{accUser("1001", "alice@x.io", active, "acme-sales"), bob}, ns: accNamespaces("web"),
			existing: []rbacv1.RoleBinding{accBinding("web", "oidc:alice@x.io", "oidc:bob@x.io")},
			want:     accOutcome{"web": "patch [oidc:bob@x.io]"}},
		{name: "endDate passed while HR still says Active: removed",
			dir: ready, users: []dirsyncv1alpha1.DirectoryUser{aliceEnded, bob}, ns: accNamespaces("web"),
			existing: []rbacv1.RoleBinding{accBinding("web", "oidc:alice@x.io", "oidc:bob@x.io")},
			want:     accOutcome{"web": "patch [oidc:bob@x.io]"}},
		{name: "provider outage: bindings kept, no one added, but end-dated and Inactive people go",
			dir: outage, ns: accNamespaces("web", "api"),
			access: accAccess(func(a *dirsyncv1alpha1.DirectoryAccess) { a.Spec.Target.Namespaces = []string{"web", "api"} }),
			users: []dirsyncv1alpha1.DirectoryUser{aliceEnded, bob, accUser("1003", "carol@x.io", inactive, "acme-eng"),
				accUser("1004", "dan@x.io", active, "acme-eng")},
			existing: []rbacv1.RoleBinding{accBinding("web", "oidc:alice@x.io", "oidc:bob@x.io", "oidc:carol@x.io", "oidc:gone@x.io")},
			want:     accOutcome{"web": "patch [oidc:bob@x.io oidc:gone@x.io]"}, reasons: []string{dirsyncv1alpha1.ReasonDirectoryNotReady}},
		{name: "a Directory that never synced binds nobody", dir: accDirectory("", ""), users: []dirsyncv1alpha1.DirectoryUser{alice},
			ns: accNamespaces("web"), want: accOutcome{}, reasons: []string{dirsyncv1alpha1.ReasonDirectoryNotReady}},
		{name: "a missing Directory binds nobody", users: []dirsyncv1alpha1.DirectoryUser{alice},
			ns: accNamespaces("web"), want: accOutcome{}, reasons: []string{dirsyncv1alpha1.ReasonDirectoryNotReady}},
		{name: "the Directory's deletion guard does not freeze: its data is current",
			dir: accDirectory(metav1.ConditionFalse, dirsyncv1alpha1.ReasonDeletionGuardTriggered), users: []dirsyncv1alpha1.DirectoryUser{alice},
			ns: accNamespaces("web"), want: accOutcome{"web": "create [oidc:alice@x.io]"}},
		{name: "a snapshot revoking 60% of 10 subjects is held, additions still apply",
			dir: ready, users: append(accPeople(4), accUser("3000", "new@x.io", active, "acme-eng")), ns: accNamespaces("web"),
			existing: []rbacv1.RoleBinding{accBinding("web", accSubjects(10)...)},
			want:     accOutcome{"web": fmt.Sprintf("patch %v", append([]string{"oidc:new@x.io"}, accSubjects(10)...))},
			wantHeld: 6, reasons: []string{dirsyncv1alpha1.ReasonRevocationHeld}},
		{name: "while a sync's changes are still arriving, revocations wait; grants do not",
			dir: ready, users: []dirsyncv1alpha1.DirectoryUser{aliceLeft, accWithDates(bob, "", "2026-02-01"), accUser("1003", "carol@x.io", active, "acme-eng")},
			existing: []rbacv1.RoleBinding{accBinding("web", "oidc:alice@x.io", "oidc:bob@x.io")}, ns: accNamespaces("web"), settling: true,
			want: accOutcome{"web": "patch [oidc:alice@x.io oidc:bob@x.io oidc:carol@x.io]"}},
		{name: "3 leavers of 4 are never held (the floor)",
			dir: ready, users: accPeople(1), ns: accNamespaces("web"),
			existing: []rbacv1.RoleBinding{accBinding("web", accSubjects(4)...)},
			want:     accOutcome{"web": "patch [oidc:p0@x.io]"}},
		{name: "a held revocation goes through when maxRevokePercent is raised to 100",
			access: accAccess(func(a *dirsyncv1alpha1.DirectoryAccess) { a.Spec.RevocationGuard.MaxRevokePercent = ptr.To[int32](100) }),
			dir:    ready, users: accPeople(4), ns: accNamespaces("web"), existing: []rbacv1.RoleBinding{accBinding("web", accSubjects(10)...)},
			want: accOutcome{"web": fmt.Sprintf("patch %v", accSubjects(4))}},
		{name: "revocations a spec change causes are not held",
			access: accAccess(func(a *dirsyncv1alpha1.DirectoryAccess) { a.Generation = 2; a.Spec.Groups = []string{"acme-sales"} }),
			dir:    ready, users: accPeople(10), ns: accNamespaces("web"), existing: []rbacv1.RoleBinding{accBinding("web", accSubjects(10)...)},
			want: accOutcome{"web": "patch []"}},
		{name: "a snapshot dating most departures in the past is held like any mass revocation",
			dir: ready, ns: accNamespaces("web"), existing: []rbacv1.RoleBinding{accBinding("web", accSubjects(10)...)},
			users: func() []dirsyncv1alpha1.DirectoryUser {
				us := accPeople(10)
				for i := range 8 {
					us[i] = accWithDates(us[i], "", "2026-02-28")
				}
				return us
			}(),
			want: accOutcome{"web": fmt.Sprintf("keep %v", accSubjects(10))}, wantHeld: 8, reasons: []string{dirsyncv1alpha1.ReasonRevocationHeld}},
		{name: "two people rendering one subject: bound for neither",
			dir: ready, ns: accNamespaces("web"), users: []dirsyncv1alpha1.DirectoryUser{alice, accUser("1099", "ALICE@x.io", active, "acme-eng"), bob},
			existing: []rbacv1.RoleBinding{accBinding("web", "oidc:alice@x.io", "oidc:bob@x.io")},
			want:     accOutcome{"web": "patch [oidc:bob@x.io]"}, reasons: []string{dirsyncv1alpha1.ReasonSubjectConflict}},
		{name: "a namespace that stops matching the selector loses its binding",
			access: accAccess(func(a *dirsyncv1alpha1.DirectoryAccess) {
				a.Spec.Target = dirsyncv1alpha1.AccessTarget{NamespaceSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"team": "eng"}}}
			}),
			dir: ready, users: []dirsyncv1alpha1.DirectoryUser{alice}, ns: accNamespaces("web:team=eng", "api:team=ops"),
			existing: []rbacv1.RoleBinding{accBinding("web", "oidc:alice@x.io"), accBinding("api", "oidc:alice@x.io")},
			want:     accOutcome{"web": "keep [oidc:alice@x.io]", "api": "delete []"}},
		{name: "a roleRef change replaces the binding",
			access: accAccess(func(a *dirsyncv1alpha1.DirectoryAccess) { a.Generation = 2; a.Spec.RoleRef.Name = "view" }),
			dir:    ready, users: []dirsyncv1alpha1.DirectoryUser{alice}, ns: accNamespaces("web"),
			existing: []rbacv1.RoleBinding{accBinding("web", "oidc:alice@x.io")},
			want:     accOutcome{"web": "replace [oidc:alice@x.io]"}},
		{name: "with --watch-namespace, an unwatched target is NotPermitted and nothing is granted",
			dir: ready, users: []dirsyncv1alpha1.DirectoryUser{alice}, ns: namespaceView{watched: map[string]bool{"hr": true}},
			want: accOutcome{}, reasons: []string{dirsyncv1alpha1.ReasonNotPermitted}, denied: true},
		{name: "a template that does not parse changes nothing",
			access: accAccess(func(a *dirsyncv1alpha1.DirectoryAccess) { a.Spec.Subject.Template = "{{ .Salary }}" }),
			dir:    ready, users: []dirsyncv1alpha1.DirectoryUser{alice}, ns: accNamespaces("web"),
			existing: []rbacv1.RoleBinding{accBinding("web", "oidc:bob@x.io")},
			want:     accOutcome{}, reasons: []string{dirsyncv1alpha1.ReasonInvalidTemplate}, wantFatal: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			acc := tt.access
			if acc == nil {
				acc = accAccess()
			}
			p := planAccess(acc, accessInput{directory: tt.dir, data: accessData{users: tt.users}, namespaces: tt.ns, bindings: tt.existing,
				settling: tt.settling}, accessNow)
			if diff := cmp.Diff(tt.want, accOps(p.ops), cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("ops (-want +got):\n%s", diff)
			}
			if p.held != tt.wantHeld {
				t.Errorf("held %d, want %d", p.held, tt.wantHeld)
			}
			if diff := cmp.Diff(tt.reasons, accReasons(p.problems), cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("problem reasons (-want +got):\n%s\nproblems: %v", diff, p.problems)
			}
			if p.denied != tt.denied || p.fatal != tt.wantFatal {
				t.Errorf("denied %v fatal %v, want %v %v", p.denied, p.fatal, tt.denied, tt.wantFatal)
			}
		})
	}
}

func TestDecideRevocations(t *testing.T) {
	tests := []struct {
		name          string
		revoke, bound int
		settling      bool
		pct           int32
		want          int
	}{
		{name: "nothing to revoke", bound: 10, settling: true, pct: 50, want: revocationsApplied},
		{name: "one leaver once settled", revoke: 1, bound: 10, pct: 50, want: revocationsApplied},
		{name: "one leaver while the sync is still writing", revoke: 1, bound: 10, settling: true, pct: 50, want: revocationsDeferred},
		{name: "a mass revocation once settled", revoke: 6, bound: 10, pct: 50, want: revocationsHeld},
		{name: "the guard off: never waits", revoke: 6, bound: 10, settling: true, pct: 100, want: revocationsApplied},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := decideRevocations(tt.revoke, tt.bound, tt.settling, tt.pct); got != tt.want {
				t.Errorf("decideRevocations = %d, want %d", got, tt.want)
			}
		})
	}
}

func TestRevocationsOnlyGrantsNothing(t *testing.T) {
	acc := accAccess(func(a *dirsyncv1alpha1.DirectoryAccess) {
		a.Spec.Target.Namespaces = []string{"web", "api", "new", "old"}
	})
	existing := []rbacv1.RoleBinding{accBinding("web", "oidc:alice@x.io", "oidc:bob@x.io"), accBinding("api", "oidc:alice@x.io"),
		accBinding("old", "oidc:alice@x.io"), accBinding("gone", "oidc:alice@x.io")}
	p := planAccess(acc, accessInput{directory: accDirectory(metav1.ConditionTrue, dirsyncv1alpha1.ReasonSynced),
		data: accessData{users: []dirsyncv1alpha1.DirectoryUser{
			accUser("1002", "bob@x.io", dirsyncv1alpha1.UserStateActive, "acme-eng"),
			accUser("1003", "carol@x.io", dirsyncv1alpha1.UserStateActive, "acme-eng")}},
		namespaces: accNamespaces("web", "api", "new", "old"), bindings: existing}, accessNow)
	denied := map[string]bool{"old": true}
	got := accOps(revocationsOnly(p.ops, func(ns string) bool { return !denied[ns] }))
	want := accOutcome{
		"web":  "patch [oidc:bob@x.io]", // alice revoked, carol not granted
		"api":  "patch []",              // alice revoked, bob and carol not granted
		"old":  "keep [oidc:alice@x.io]",
		"gone": "delete []",
	} // "new" would be a create: dropped
	if diff := cmp.Diff(want, got, cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("revocationsOnly (-want +got):\n%s", diff)
	}
}

func TestSummarize(t *testing.T) {
	acc := accAccess()
	old := accBinding("web", "oidc:a", "oidc:b")
	ops := []bindingOp{
		compareBinding(&old, desiredAccessBinding(acc, "web", []string{"oidc:b", "oidc:c", "oidc:d"})),
		compareBinding(nil, desiredAccessBinding(acc, "api", []string{"oidc:b"})),
		{verb: verbDelete, ns: "gone", existing: ptr.To(accBinding("gone", "oidc:x"))},
	}
	s := summarize(ops)
	if s.granted != 3 || s.revoked != 2 || s.writes != 3 || s.subjects != 3 || len(s.bindings) != 2 ||
		s.bindings[0] != (dirsyncv1alpha1.AccessBinding{Namespace: "api", Name: accessBindingName(acc), Subjects: 1}) {
		t.Errorf("summary %+v", s)
	}
}
