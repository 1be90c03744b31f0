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
	"errors"
	"fmt"
	"maps"
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
	acc := accAccess()
	rb := desiredAccessBinding(acc, ns, accessBindingName(acc), subjects)
	rb.UID = types.UID("uid-" + ns)
	return *rb
}

// recorded is the input in which dirsync wrote each of existing as it is: they are recorded in the
// status (UID and digest) and their subjects are the record of what it bound.
func recorded(existing ...rbacv1.RoleBinding) (sortedBindings, record) {
	bs := sortedBindings{owned: map[string]ownedBinding{}}
	rec := record{known: true, bound: sets.New[string](), bindings: map[string]dirsyncv1alpha1.AccessBinding{}}
	for i := range existing {
		rb := existing[i].DeepCopy()
		bs.owned[rb.Namespace] = ownedBinding{rb: rb, intact: true}
		rec.bound = rec.bound.Union(userSubjects(rb))
		rec.bindings[rb.Namespace] = dirsyncv1alpha1.AccessBinding{Namespace: rb.Namespace, Name: rb.Name, UID: string(rb.UID),
			Subjects: int32(len(rb.Subjects)), Digest: subjectsDigest(rb.Subjects)}
	}
	return bs, rec
}

// tampered is like recorded, but someone changed the subjects of the RoleBindings in namespaces ns
// after dirsync wrote them: they bind current, and the record still says what dirsync wrote.
func tampered(bs sortedBindings, ns string, current ...string) sortedBindings {
	b := bs.owned[ns]
	rb := b.rb.DeepCopy()
	slices.Sort(current)
	rb.Subjects = desiredAccessBinding(accAccess(), ns, rb.Name, current).Subjects
	bs.owned[ns] = ownedBinding{rb: rb}
	return bs
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
		// input lets a case build the RoleBindings and the record itself (default: recorded(existing...)).
		input    func() (sortedBindings, record)
		maxBytes int
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
			ns: accNamespaces("web"), want: accOutcome{}, reasons: []string{dirsyncv1alpha1.ReasonDirectoryNotFound}},
		{name: "a deleted Directory: everyone dirsync bound is revoked, whatever the guard says",
			users: []dirsyncv1alpha1.DirectoryUser{alice, bob}, ns: accNamespaces("web", "api"),
			access:   accAccess(func(a *dirsyncv1alpha1.DirectoryAccess) { a.Spec.Target.Namespaces = []string{"web", "api"} }),
			existing: []rbacv1.RoleBinding{accBinding("web", accSubjects(10)...), accBinding("api", accSubjects(10)...)},
			want:     accOutcome{"web": "patch []", "api": "patch []"}, reasons: []string{dirsyncv1alpha1.ReasonDirectoryNotFound}},
		{name: "a Directory that applied no data for longer than maxDirectoryStaleness: everyone is revoked",
			dir: stale(outage, 25*time.Hour), users: []dirsyncv1alpha1.DirectoryUser{alice, bob}, ns: accNamespaces("web"),
			existing: []rbacv1.RoleBinding{accBinding("web", "oidc:alice@x.io", "oidc:bob@x.io")},
			want:     accOutcome{"web": "patch []"}, reasons: []string{dirsyncv1alpha1.ReasonDirectoryStale}},
		{name: "a Directory in dry run for longer than maxDirectoryStaleness is stale, however recent its dry runs",
			dir: staleDryRun(25 * time.Hour), users: []dirsyncv1alpha1.DirectoryUser{alice}, ns: accNamespaces("web"),
			existing: []rbacv1.RoleBinding{accBinding("web", "oidc:alice@x.io")},
			want:     accOutcome{"web": "patch []"}, reasons: []string{dirsyncv1alpha1.ReasonDirectoryStale}},
		{name: "within maxDirectoryStaleness an outage only freezes",
			dir: stale(outage, 23*time.Hour), users: []dirsyncv1alpha1.DirectoryUser{alice, bob}, ns: accNamespaces("web"),
			existing: []rbacv1.RoleBinding{accBinding("web", "oidc:alice@x.io", "oidc:bob@x.io")},
			want:     accOutcome{"web": "keep [oidc:alice@x.io oidc:bob@x.io]"}, reasons: []string{dirsyncv1alpha1.ReasonDirectoryNotReady}},
		{name: "a subject someone added to one binding while revocations are held is removed there and never copied",
			access: accAccess(func(a *dirsyncv1alpha1.DirectoryAccess) { a.Spec.Target.Namespaces = []string{"web", "api"} }),
			dir:    ready, users: accPeople(4), ns: accNamespaces("web", "api"),
			input: func() (sortedBindings, record) {
				bs, rec := recorded(accBinding("web", accSubjects(10)...), accBinding("api", accSubjects(10)...))
				return tampered(bs, "web", append(accSubjects(10), "oidc:mallory@x.io", "system:serviceaccount:web:ci")...), rec
			},
			// 6 of 10 leave: held. In api (intact) they stay; in web (changed by someone) dirsync can vouch for
			// nothing but what the data wants, so the held people go there too, and mallory and the ServiceAccount with them.
			want:     accOutcome{"web": fmt.Sprintf("patch %v", accSubjects(4)), "api": fmt.Sprintf("keep %v", accSubjects(10))},
			wantHeld: 6, reasons: []string{dirsyncv1alpha1.ReasonRevocationHeld}},
		{name: "forged subjects neither count towards the guard nor hold a real leaver",
			dir: ready, users: accPeople(4), ns: accNamespaces("web"),
			input: func() (sortedBindings, record) {
				bs, rec := recorded(accBinding("web", accSubjects(5)...))
				forged := accSubjects(5)
				for i := range 20 {
					forged = append(forged, fmt.Sprintf("oidc:forged%02d@x.io", i))
				}
				return tampered(bs, "web", forged...), rec
			},
			want: accOutcome{"web": fmt.Sprintf("patch %v", accSubjects(4))}},
		{name: "a new target namespace gets only the desired subjects, never held ones",
			access: accAccess(func(a *dirsyncv1alpha1.DirectoryAccess) { a.Spec.Target.Namespaces = []string{"web", "new"} }),
			dir:    ready, users: accPeople(4), ns: accNamespaces("web", "new"), existing: []rbacv1.RoleBinding{accBinding("web", accSubjects(10)...)},
			want:     accOutcome{"web": fmt.Sprintf("keep %v", accSubjects(10)), "new": fmt.Sprintf("create %v", accSubjects(4))},
			wantHeld: 6, reasons: []string{dirsyncv1alpha1.ReasonRevocationHeld}},
		{name: "frozen, a binding someone changed keeps only who the data and the record both want",
			dir: outage, users: []dirsyncv1alpha1.DirectoryUser{alice, bob}, ns: accNamespaces("web"),
			input: func() (sortedBindings, record) {
				bs, rec := recorded(accBinding("web", "oidc:alice@x.io", "oidc:bob@x.io"))
				return tampered(bs, "web", "oidc:alice@x.io", "oidc:bob@x.io", "oidc:mallory@x.io"), rec
			},
			want: accOutcome{"web": "patch [oidc:alice@x.io oidc:bob@x.io]"}, reasons: []string{dirsyncv1alpha1.ReasonDirectoryNotReady}},
		{name: "after an upgrade (no record yet) nothing is held: the bindings become what the data says",
			dir: ready, users: accPeople(4), ns: accNamespaces("web"),
			input: func() (sortedBindings, record) {
				bs, _ := recorded(accBinding("web", accSubjects(10)...))
				b := bs.owned["web"]
				b.intact = false
				bs.owned["web"] = b
				return bs, record{bound: sets.New[string]()}
			},
			want: accOutcome{"web": fmt.Sprintf("patch %v", accSubjects(4))}},
		{name: "orphans of an earlier DirectoryAccess of this name are deleted",
			dir: ready, users: []dirsyncv1alpha1.DirectoryUser{alice}, ns: accNamespaces("web", "old"),
			input: func() (sortedBindings, record) {
				bs, rec := recorded(accBinding("web", "oidc:alice@x.io"))
				bs.orphans = []rbacv1.RoleBinding{accBinding("old", "oidc:alice@x.io")}
				return bs, rec
			},
			want: accOutcome{"web": "keep [oidc:alice@x.io]", "old": "delete []"}},
		{name: "RoleBindings larger than dirsync writes: nothing granted, revocations still apply",
			dir: ready, users: append(accPeople(50), accUser("1099", "x@x.io", inactive, "acme-eng")), ns: accNamespaces("web"),
			existing: []rbacv1.RoleBinding{accBinding("web", "oidc:x@x.io")}, maxBytes: 2048,
			want: accOutcome{"web": "patch []"}, denied: true, // x left; the 50 would not fit
			reasons: []string{dirsyncv1alpha1.ReasonBindingTooLarge}},
		{name: "with maxRevokePercent 0 one leaver still goes (the floor)",
			access: accAccess(func(a *dirsyncv1alpha1.DirectoryAccess) { a.Spec.RevocationGuard.MaxRevokePercent = ptr.To[int32](0) }),
			dir:    ready, users: []dirsyncv1alpha1.DirectoryUser{aliceLeft, bob}, ns: accNamespaces("web"),
			existing: []rbacv1.RoleBinding{accBinding("web", "oidc:alice@x.io", "oidc:bob@x.io")},
			want:     accOutcome{"web": "patch [oidc:bob@x.io]"}},
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
			bs, rec := recorded(tt.existing...)
			if tt.input != nil {
				bs, rec = tt.input()
			}
			p := planAccess(acc, accessInput{directory: tt.dir, data: accessData{users: tt.users}, namespaces: tt.ns, bindings: bs, record: rec,
				settling: tt.settling, maxBindingBytes: tt.maxBytes}, accessNow)
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

// stale is dir with its last applied data age ago.
func stale(dir *dirsyncv1alpha1.Directory, age time.Duration) *dirsyncv1alpha1.Directory {
	d := dir.DeepCopy()
	d.Status.LastAppliedSyncTime = &metav1.Time{Time: accessNow.Add(-age)}
	d.Status.LastSuccessfulSyncTime = d.Status.LastAppliedSyncTime
	return d
}

// staleDryRun is a Directory in dry run whose last dry run was a minute ago, and whose last applied data age ago.
func staleDryRun(age time.Duration) *dirsyncv1alpha1.Directory {
	d := stale(accDirectory(metav1.ConditionFalse, dirsyncv1alpha1.ReasonDryRun), age)
	d.Status.LastSuccessfulSyncTime = &metav1.Time{Time: accessNow.Add(-time.Minute)}
	return d
}

func TestDirectoryState(t *testing.T) {
	ready := accDirectory(metav1.ConditionTrue, dirsyncv1alpha1.ReasonSynced)
	limit := accAccess(func(a *dirsyncv1alpha1.DirectoryAccess) {
		a.Spec.Lifecycle.MaxDirectoryStaleness = &metav1.Duration{Duration: time.Hour}
	})
	upgraded := ready.DeepCopy() // written by a version without lastAppliedSyncTime
	upgraded.Status.LastSuccessfulSyncTime = &metav1.Time{Time: accessNow.Add(-2 * time.Hour)}
	tests := []struct {
		name        string
		acc         *dirsyncv1alpha1.DirectoryAccess
		dir         *dirsyncv1alpha1.Directory
		want        dirState
		wantStaleAt time.Time
	}{
		{name: "gone", dir: nil, want: dirNotFound},
		{name: "never synced", dir: accDirectory("", ""), want: dirFrozen},
		{name: "ready, applied 23h ago", dir: stale(ready, 23*time.Hour), want: dirFresh, wantStaleAt: accessNow.Add(time.Hour)},
		{name: "ready, applied exactly 24h ago", dir: stale(ready, 24*time.Hour), want: dirStale},
		{name: "a shorter limit", acc: limit, dir: stale(ready, 61*time.Minute), want: dirStale},
		{name: "the deletion guard holding is fresh data",
			dir: stale(accDirectory(metav1.ConditionFalse, dirsyncv1alpha1.ReasonDeletionGuardTriggered), time.Minute), want: dirFresh,
			wantStaleAt: accessNow.Add(24*time.Hour - time.Minute)},
		{name: "suspended within the limit", dir: stale(accDirectory(metav1.ConditionFalse, dirsyncv1alpha1.ReasonSuspended), time.Hour),
			want: dirFrozen, wantStaleAt: accessNow.Add(23 * time.Hour)},
		{name: "in dry run past the limit, dry runs recent", dir: staleDryRun(25 * time.Hour), want: dirStale},
		{name: "upgraded: lastSuccessfulSyncTime stands in", acc: limit, dir: upgraded, want: dirStale},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			acc := tt.acc
			if acc == nil {
				acc = accAccess()
			}
			got, staleAt := directoryState(acc, tt.dir, accessNow)
			if got != tt.want || !staleAt.Equal(tt.wantStaleAt) {
				t.Errorf("directoryState = %d, staleAt %v; want %d, %v", got, staleAt, tt.want, tt.wantStaleAt)
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
		{name: "at 0%, up to the floor goes through", revoke: 3, bound: 3, pct: 0, want: revocationsApplied},
		{name: "at 0%, one over the floor is held", revoke: 4, bound: 100, pct: 0, want: revocationsHeld},
		{name: "at 0%, one leaver still waits for the data to settle", revoke: 1, bound: 10, settling: true, pct: 0, want: revocationsDeferred},
		{name: "exactly the percentage is not more than it", revoke: 5, bound: 10, pct: 50, want: revocationsApplied},
		{name: "just over the percentage", revoke: 6, bound: 11, pct: 50, want: revocationsHeld},
		{name: "over the percentage but not over the floor", revoke: 3, bound: 4, pct: 10, want: revocationsApplied},
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
	bs, rec := recorded(accBinding("web", "oidc:alice@x.io", "oidc:bob@x.io"), accBinding("api", "oidc:alice@x.io"),
		accBinding("old", "oidc:alice@x.io"), accBinding("gone", "oidc:alice@x.io"))
	p := planAccess(acc, accessInput{directory: accDirectory(metav1.ConditionTrue, dirsyncv1alpha1.ReasonSynced),
		data: accessData{users: []dirsyncv1alpha1.DirectoryUser{
			accUser("1002", "bob@x.io", dirsyncv1alpha1.UserStateActive, "acme-eng"),
			accUser("1003", "carol@x.io", dirsyncv1alpha1.UserStateActive, "acme-eng")}},
		namespaces: accNamespaces("web", "api", "new", "old"), bindings: bs, record: rec}, accessNow)
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
	web := accBinding("web", "oidc:a", "oidc:b")
	bad := accBinding("bad", "oidc:a", "oidc:mallory") // someone changed it; dirsync wrote only oidc:a there
	gone := accBinding("gone", "oidc:x")
	bs, rec := recorded(web, accBinding("bad", "oidc:a"), gone)
	bs = tampered(bs, "bad", "oidc:a", "oidc:mallory")
	created := desiredAccessBinding(acc, "api", accessBindingName(acc), []string{"oidc:b"})
	created.UID = "uid-api"
	webAfter := desiredAccessBinding(acc, "web", web.Name, []string{"oidc:b", "oidc:c", "oidc:d"})
	webAfter.UID = web.UID
	ops := []bindingOp{
		compareBinding(&web, desiredAccessBinding(acc, "web", web.Name, []string{"oidc:b", "oidc:c", "oidc:d"})),
		compareBinding(nil, desiredAccessBinding(acc, "api", accessBindingName(acc), []string{"oidc:b"})),
		{verb: verbDelete, ns: "gone", existing: &gone, vouched: sets.New("oidc:x")},
		compareBinding(&bad, desiredAccessBinding(acc, "bad", bad.Name, []string{"oidc:a"})),
		compareBinding(nil, desiredAccessBinding(acc, "new", accessBindingName(acc), []string{"oidc:n"})),
	}
	ops[3].vouched = sets.New[string]()
	results := []opResult{
		{final: webAfter, wrote: true},
		{final: created, wrote: true},
		{wrote: true},
		{final: &bad, err: errors.New("admission webhook said no")}, // the write failed: nothing of it is vouched for
		{err: errors.New("connection reset")},                       // the create may have happened
	}
	_ = bs
	s := summarize(ops, results, rec)
	wantBindings := []dirsyncv1alpha1.AccessBinding{
		{Namespace: "api", Name: accessBindingName(acc), UID: "uid-api", Subjects: 1, Digest: subjectsDigest(created.Subjects)},
		rec.bindings["bad"],
		{Namespace: "new", Name: accessBindingName(acc)},
		{Namespace: "web", Name: web.Name, UID: string(web.UID), Subjects: 3, Digest: subjectsDigest(webAfter.Subjects)},
	}
	if diff := cmp.Diff(wantBindings, s.bindings); diff != "" {
		t.Errorf("bindings (-want +got):\n%s", diff)
	}
	if got, want := sets.List(s.bound), []string{"oidc:b", "oidc:c", "oidc:d"}; !slices.Equal(got, want) {
		t.Errorf("bound %v, want %v", got, want)
	}
	if s.granted != 3 || s.revoked != 2 || s.writes != 3 || len(s.failed) != 2 {
		t.Errorf("summary %+v", s)
	}
}

// mergeMaps lays dirsync's labels over a RoleBinding's own: the base may have fewer keys than what goes
// over it (a binding whose labels someone stripped has none), or more (a label of another tool).
func TestMergeMaps(t *testing.T) {
	tests := []struct {
		name       string
		base, over map[string]string
		want       map[string]string
	}{
		{name: "stripped: nothing under dirsync's labels", base: nil,
			over: map[string]string{"a": "1", "b": "2"}, want: map[string]string{"a": "1", "b": "2"}},
		{name: "another tool's label stays, dirsync's value wins", base: map[string]string{"a": "0", "other": "x", "more": "y"},
			over: map[string]string{"a": "1"}, want: map[string]string{"a": "1", "other": "x", "more": "y"}},
		{name: "both empty", want: map[string]string{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			base := maps.Clone(tt.base)
			if diff := cmp.Diff(tt.want, mergeMaps(tt.base, tt.over)); diff != "" {
				t.Errorf("mergeMaps (-want +got):\n%s", diff)
			}
			if !maps.Equal(base, tt.base) {
				t.Errorf("mergeMaps changed its base: %v, was %v", tt.base, base)
			}
		})
	}
}
