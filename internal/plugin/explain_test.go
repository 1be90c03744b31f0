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

package plugin

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	dirsyncv1alpha1 "github.com/dirsync/dirsync/api/v1alpha1"
)

// person is a DirectoryUser of Directory acme in namespace hr.
func person(id, email string, state dirsyncv1alpha1.UserState, groups ...string) dirsyncv1alpha1.DirectoryUser {
	return dirsyncv1alpha1.DirectoryUser{
		ObjectMeta: metav1.ObjectMeta{Namespace: "hr", Name: "acme-" + id, Labels: map[string]string{dirsyncv1alpha1.LabelDirectory: "acme"}},
		Spec: dirsyncv1alpha1.DirectoryUserSpec{DirectoryRef: dirsyncv1alpha1.DirectoryReference{Name: "acme"}, ExternalID: id, Email: email,
			FirstName: "Ada", LastName: "Lovelace", State: state, Groups: groups},
	}
}

func withDates(u dirsyncv1alpha1.DirectoryUser, start, end string) dirsyncv1alpha1.DirectoryUser {
	u.Spec.StartDate, u.Spec.EndDate = start, end
	return u
}

// explainCase is hr/eng-edit (acme-engineering → edit in web and api, as oidc:<lower e-mail>) over a
// Ready Directory acme whose Alice (1001) is an Active engineer bound in both RoleBindings.
type explainCase struct {
	access   *dirsyncv1alpha1.DirectoryAccess
	dir      *dirsyncv1alpha1.Directory
	users    []dirsyncv1alpha1.DirectoryUser
	groups   []dirsyncv1alpha1.DirectoryGroup
	bindings []bindingView
}

func aliceCase() explainCase {
	a := boundAccess()
	bound := func(ns string, subjects ...string) bindingView {
		return bindingView{Namespace: ns, Name: "dirsync-eng-edit-0badcafe", Role: roleView{"ClusterRole", "edit"}, Access: "hr/eng-edit",
			SubjectCount: len(subjects), Subjects: subjects}
	}
	return explainCase{
		access: a, dir: syncedDirectory(),
		users: []dirsyncv1alpha1.DirectoryUser{
			person("1001", "Alice@Example.com", dirsyncv1alpha1.UserStateActive, "acme-engineering", "acme-london"),
			person("1002", "bob@example.com", dirsyncv1alpha1.UserStateActive, "acme-sales"),
		},
		bindings: []bindingView{bound("api", "oidc:alice@example.com"), bound("web", "oidc:alice@example.com")},
	}
}

func (c explainCase) explain(email string) []explanation {
	return explainAccess(explainInput{access: c.access, directory: c.dir, users: c.users, groups: c.groups, bindings: c.bindings}, email, testNow)
}

func TestExplainAccess(t *testing.T) {
	inactive := dirsyncv1alpha1.UserStateInactive
	notBound := func(c *explainCase) {
		for i := range c.bindings {
			c.bindings[i].Subjects = nil
		}
	}
	setReady := func(a *dirsyncv1alpha1.DirectoryAccess, reason string) {
		a.Status.Conditions = []metav1.Condition{readyCond(metav1.ConditionFalse, reason, "Message.")}
	}
	tests := []struct {
		name        string
		email       string // alice@example.com when empty
		mutate      func(c *explainCase)
		wantBoundIn []string
		eligible    bool
		reasons     []string // substrings of Reasons, in order
		notes       []string // substrings of Notes
		verdict     string   // substring
		subject     string
	}{
		{name: "an Active engineer bound everywhere has it", wantBoundIn: []string{"api", "web"}, eligible: true,
			subject: "oidc:alice@example.com", verdict: "has it in api, web: the data says bind them, and every RoleBinding does."},
		{name: "the e-mail matches ignoring case", email: "ALICE@EXAMPLE.COM", wantBoundIn: []string{"api", "web"}, eligible: true},
		{name: "no DirectoryUser has the e-mail", email: "carol@example.com",
			reasons: []string{"no DirectoryUser of Directory acme has the e-mail carol@example.com"}, verdict: "lacks it: no DirectoryUser"},
		{name: "the Directory does not exist", mutate: func(c *explainCase) { c.dir, c.users = nil, nil; notBound(c) },
			reasons: []string{"Directory acme does not exist in namespace hr"}},
		{name: "not in a selected group", email: "bob@example.com",
			reasons: []string{"in none of the selected groups (theirs: acme-sales; selected: acme-engineering)"},
			verdict: "lacks it: in none of the selected groups"},
		{name: "a groupSelector selects by the DirectoryGroup's labels", email: "bob@example.com", mutate: func(c *explainCase) {
			c.access.Spec.GroupSelector = &metav1.LabelSelector{MatchLabels: map[string]string{"kind": "department"}}
			c.groups = []dirsyncv1alpha1.DirectoryGroup{{ObjectMeta: metav1.ObjectMeta{Name: "acme-sales", Labels: map[string]string{"kind": "department"}}}}
		}, eligible: true, subject: "oidc:bob@example.com",
			verdict: "lacks it, though the data says bind them: the manager has not reconciled the change yet"},
		{name: "Inactive and no longer bound", mutate: func(c *explainCase) { c.users[0].Spec.State = inactive; notBound(c) },
			reasons: []string{"the HR system marks them Inactive"}, verdict: "lacks it: the HR system marks them Inactive."},
		{name: "Inactive but still bound: the revocation guard holds it", mutate: func(c *explainCase) {
			c.users[0].Spec.State = inactive
			c.access.Status.HeldRevocations = 12
			setReady(c.access, dirsyncv1alpha1.ReasonRevocationHeld)
		}, wantBoundIn: []string{"api", "web"}, reasons: []string{"Inactive"},
			verdict: "still has it in api, web, though the data says they should go (the HR system marks them Inactive): the revocation guard holds 12 revocations"},
		{name: "not selected but still bound while the Directory is not Ready: kept", email: "alice@example.com", mutate: func(c *explainCase) {
			c.users[0].Spec.Groups = []string{"acme-sales"}
			c.dir.Status.Conditions = []metav1.Condition{readyCond(metav1.ConditionFalse, dirsyncv1alpha1.ReasonProviderUnavailable, "503.")}
		}, wantBoundIn: []string{"api", "web"}, reasons: []string{"in none of the selected groups"},
			verdict: "Directory acme is not Ready, so its data may be stale and the RoleBindings are kept"},
		{name: "end-dated and still bound while the Directory is not Ready: the manager should remove it", mutate: func(c *explainCase) {
			c.users[0] = withDates(c.users[0], "", "2026-03-01")
			c.dir.Status.Conditions = []metav1.Condition{readyCond(metav1.ConditionFalse, dirsyncv1alpha1.ReasonProviderUnavailable, "503.")}
		}, wantBoundIn: []string{"api", "web"}, reasons: []string{"their endDate 2026-03-01 has passed"},
			verdict: "the manager has not revoked it yet (revocations wait about a second"},
		{name: "removed from the provider", mutate: func(c *explainCase) {
			c.users[0].Status.Conditions = []metav1.Condition{{Type: dirsyncv1alpha1.ConditionSynced, Status: metav1.ConditionFalse,
				Reason: dirsyncv1alpha1.ReasonRemovedFromProvider}}
			notBound(c)
		}, reasons: []string{"the provider no longer lists them"}},
		{name: "before startDate", mutate: func(c *explainCase) { c.users[0] = withDates(c.users[0], "2026-03-09", ""); notBound(c) },
			reasons: []string{"their startDate 2026-03-09 has not come (in 6d"}},
		{name: "before startDate, but honourStartDate is false", mutate: func(c *explainCase) {
			c.users[0] = withDates(c.users[0], "2026-03-09", "")
			c.access.Spec.Lifecycle.HonourStartDate = ptr.To(false)
		}, eligible: true, wantBoundIn: []string{"api", "web"}, notes: []string{"lifecycle.honourStartDate is false"}},
		{name: "starts today", mutate: func(c *explainCase) { c.users[0] = withDates(c.users[0], "2026-03-02", "") },
			eligible: true, wantBoundIn: []string{"api", "web"}},
		{name: "endDate passed", mutate: func(c *explainCase) { c.users[0] = withDates(c.users[0], "", "2026-03-01"); notBound(c) },
			reasons: []string{"their endDate 2026-03-01 has passed (access ends at 00:00 UTC the day after; lifecycle.revokeAtEndDate)"}},
		{name: "leaving today: bound until midnight", mutate: func(c *explainCase) { c.users[0] = withDates(c.users[0], "", "2026-03-02") },
			eligible: true, wantBoundIn: []string{"api", "web"}, notes: []string{"their endDate is 2026-03-02: access ends in 15h (2026-03-03T00:00:00Z)"}},
		{name: "endDate passed, but revokeAtEndDate is false", mutate: func(c *explainCase) {
			c.users[0] = withDates(c.users[0], "", "2026-03-01")
			c.access.Spec.Lifecycle.RevokeAtEndDate = ptr.To(false)
		}, eligible: true, wantBoundIn: []string{"api", "web"}, notes: []string{"which lifecycle.revokeAtEndDate=false ignores"}},
		{name: "another person, in no selected group, renders the same subject", mutate: func(c *explainCase) {
			c.access.Spec.Subject.Template = "oidc:{{ lower .LastName }}"
			c.users[1].Spec.LastName = "Byron"
			c.users = append(c.users, person("1077", "ada@example.org", inactive, "acme-ops"))
			notBound(c)
		}, subject: "oidc:lovelace",
			reasons: []string{"another person of the Directory renders their subject oidc:lovelace too, so it is bound for none of them"}},
		{name: "the template gives them no subject", mutate: func(c *explainCase) {
			c.access.Spec.Subject.Template = "hr:{{ .ExternalID }}"
			c.users[0].Spec.ExternalID = ""
			notBound(c)
		}, reasons: []string{"spec.subject.template gives them no subject: it has no externalID"}},
		{name: "a template that does not parse binds nobody", mutate: func(c *explainCase) {
			c.access.Spec.Subject.Template = "{{ .Salary }}"
			notBound(c)
		}, reasons: []string{"spec.subject.template: field .Salary does not exist"}, verdict: "nobody is bound."},
		{name: "eligible, but the Directory is not Ready: nobody is added", mutate: func(c *explainCase) {
			c.dir.Status.Conditions = []metav1.Condition{readyCond(metav1.ConditionFalse, dirsyncv1alpha1.ReasonInvalidCredentials, "401.")}
			notBound(c)
		}, eligible: true, verdict: "lacks it, though the data says bind them: Directory acme is not Ready, so nobody is added until it is."},
		{name: "eligible, but a target is not permitted: nothing is granted anywhere", mutate: func(c *explainCase) {
			setReady(c.access, dirsyncv1alpha1.ReasonNotPermitted)
			notBound(c)
		}, eligible: true, verdict: "dirsync may not write some target's RoleBinding (Ready: NotPermitted), and then grants nothing anywhere"},
		{name: "eligible, bound in one namespace only", mutate: func(c *explainCase) { c.bindings[0].Subjects = nil },
			eligible: true, wantBoundIn: []string{"web"}, verdict: "has it in web only; the manager has not reconciled the change yet"},
		{name: "a RoleBinding that could not be read", mutate: func(c *explainCase) {
			c.bindings[0] = bindingView{Namespace: "api", Name: "dirsync-eng-edit-0badcafe", FromStatus: true, SubjectCount: 1}
		}, eligible: true, wantBoundIn: []string{"web"}, verdict: "has it in web only; some RoleBindings could not be read."},
		{name: "no RoleBinding yet", mutate: func(c *explainCase) { c.bindings = nil },
			eligible: true, verdict: "no RoleBinding exists yet"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := aliceCase()
			if tt.mutate != nil {
				tt.mutate(&c)
			}
			email := tt.email
			if email == "" {
				email = "alice@example.com"
			}
			got := c.explain(email)
			if len(got) != 1 {
				t.Fatalf("%d explanations, want 1: %+v", len(got), got)
			}
			e := got[0]
			if diff := cmp.Diff(tt.wantBoundIn, e.BoundIn, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("boundIn (-want +got):\n%s", diff)
			}
			if e.Eligible != tt.eligible {
				t.Errorf("eligible %v, want %v; reasons %q", e.Eligible, tt.eligible, e.Reasons)
			}
			if len(e.Reasons) < len(tt.reasons) {
				t.Fatalf("reasons %q, want %q", e.Reasons, tt.reasons)
			}
			for i, want := range tt.reasons {
				if !strings.Contains(e.Reasons[i], want) {
					t.Errorf("reason %d %q, want it to contain %q", i, e.Reasons[i], want)
				}
			}
			if tt.reasons == nil && len(e.Reasons) > 0 && tt.eligible {
				t.Errorf("reasons %q for an eligible person", e.Reasons)
			}
			for _, want := range tt.notes {
				if !strings.Contains(strings.Join(e.Notes, "\n"), want) {
					t.Errorf("notes %q, want one containing %q", e.Notes, want)
				}
			}
			if !strings.Contains(e.Verdict, tt.verdict) {
				t.Errorf("verdict %q, want it to contain %q", e.Verdict, tt.verdict)
			}
			if tt.subject != "" && e.Subject != tt.subject {
				t.Errorf("subject %q, want %q", e.Subject, tt.subject)
			}
		})
	}
}

// A re-hire: two DirectoryUsers share the e-mail. Each is explained, and each blocks the other.
func TestExplainTwoPeopleWithOneEmail(t *testing.T) {
	c := aliceCase()
	c.users = append(c.users, person("1099", "alice@example.com", dirsyncv1alpha1.UserStateInactive, "acme-engineering"))
	got := c.explain("alice@example.com")
	if len(got) != 2 || got[0].Person.ExternalID != "1001" || got[1].Person.ExternalID != "1099" {
		t.Fatalf("explanations: %+v", got)
	}
	for _, e := range got {
		if len(e.Conflicts) != 1 || e.Eligible {
			t.Errorf("%s: conflicts %q, eligible %v; want one conflict and not eligible", e.Person.ExternalID, e.Conflicts, e.Eligible)
		}
	}
	if got[0].Conflicts[0] != "acme-1099 (external id 1099, Inactive)" {
		t.Errorf("conflict %q", got[0].Conflicts[0])
	}
}

func TestFormatExplain(t *testing.T) {
	c := aliceCase()
	view := explainView{Email: "alice@example.com", Explanations: c.explain("alice@example.com")}
	ops := aliceCase()
	ops.access.Name, ops.access.Spec.Groups, ops.access.Spec.RoleRef.Name = "ops-view", []string{"acme-ops"}, "view"
	ops.bindings = nil
	view.Explanations = append(view.Explanations, ops.explain("alice@example.com")...)
	view.Grants = grantsOf(view.Explanations)

	got := formatExplain(view, false, "hr")
	for _, want := range []string{
		"Why alice@example.com has, or lacks, the role of each DirectoryAccess of namespace hr:\n\n",
		"DirectoryAccess hr/eng-edit: ClusterRole edit — HAS IT\n",
		"  Directory:  acme, Ready True (Synced)\n",
		"  Person:     DirectoryUser acme-1001 (external id 1001, Alice@Example.com), Active\n",
		"  Groups:     acme-engineering, acme-london; selected: acme-engineering; in common: acme-engineering\n",
		"  Dates:      startDate -, endDate -\n",
		"  Subject:    oidc:alice@example.com (template oidc:{{ lower .Email }})\n",
		"  Bindings:   api (dirsync-eng-edit-0badcafe): bound; web (dirsync-eng-edit-0badcafe): bound\n",
		"  Verdict:    has it in api, web",
		"DirectoryAccess hr/ops-view: ClusterRole view — LACKS IT\n",
		"  Not bound:  in none of the selected groups (theirs: acme-engineering, acme-london; selected: acme-ops)\n",
		"  Bindings:   none: the DirectoryAccess manages no RoleBinding yet\n",
		"In the end alice@example.com has, through dirsync:\n" +
			"  ClusterRole edit in namespace api (DirectoryAccess hr/eng-edit)\n" +
			"  ClusterRole edit in namespace web (DirectoryAccess hr/eng-edit)\n",
		"Access granted outside dirsync (other RoleBindings, the identity provider's groups) is not shown.\n",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("explain does not contain %q:\n%s", want, got)
		}
	}
	if got := formatExplain(explainView{Email: "a@x"}, true, "hr"); got != "No DirectoryAccesses found in any namespace: dirsync grants a@x nothing there.\n" {
		t.Errorf("no DirectoryAccess: %q", got)
	}
}
