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
	"fmt"
	"slices"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"

	dirsyncv1alpha1 "github.com/dirsync/dirsync/api/v1alpha1"
	"github.com/dirsync/dirsync/internal/subject"
)

// The explanation of `access explain`: for one person and one DirectoryAccess, what the directory data
// says (selected group, state, dates, subject, conflicts) and what the RoleBindings say. The rules are
// the controller's (controllers/directoryaccess_subjects.go); the RoleBindings are the truth, and the
// verdict says when the two differ and why.

// personView is a DirectoryUser as explain shows it.
type personView struct {
	Name                string                    `json:"name"` // the DirectoryUser
	ExternalID          string                    `json:"externalID"`
	Email               string                    `json:"email"`
	State               dirsyncv1alpha1.UserState `json:"state"`
	Groups              []string                  `json:"groups"`
	StartDate           string                    `json:"startDate,omitempty"`
	EndDate             string                    `json:"endDate,omitempty"`
	RemovedFromProvider bool                      `json:"removedFromProvider"` // its deletion is held by the Directory's guard
}

// presence says whether a subject is in one managed RoleBinding.
type presence struct {
	Namespace string `json:"namespace"`
	Name      string `json:"name"`
	Bound     bool   `json:"bound"`
	// Unread is set when the RoleBinding could not be read, so Bound is unknown (false).
	Unread bool `json:"unread,omitempty"`
}

// explanation is why one person has, or lacks, one DirectoryAccess's role.
type explanation struct {
	Access          string        `json:"access"` // <namespace>/<name>
	Role            roleView      `json:"role"`
	Directory       string        `json:"directory"`
	DirectoryReady  conditionView `json:"directoryReady"`
	AccessReady     conditionView `json:"accessReady"`
	Person          *personView   `json:"person,omitempty"` // nil when no DirectoryUser of the Directory has the e-mail
	SelectedGroups  []string      `json:"selectedGroups"`
	MatchingGroups  []string      `json:"matchingGroups"` // the person's groups that are selected
	Template        string        `json:"template"`
	Subject         string        `json:"subject,omitempty"` // as the template renders it for the person
	Conflicts       []string      `json:"conflicts,omitempty"`
	Eligible        bool          `json:"eligible"`        // the directory data says: bind them
	Reasons         []string      `json:"reasons"`         // why not eligible, in the controller's order; empty when eligible
	Notes           []string      `json:"notes"`           // dates ahead and other facts that do not change the answer today
	HeldRevocations int32         `json:"heldRevocations"` // of the DirectoryAccess as a whole
	Bindings        []presence    `json:"bindings"`
	BoundIn         []string      `json:"boundIn"` // namespaces whose RoleBinding binds the subject
	Verdict         string        `json:"verdict"`
	endDated        bool          // revoked by the end date: removed even while the Directory is not Ready
}

// grantView is one role someone ends up with.
type grantView struct {
	Namespace string   `json:"namespace"`
	Role      roleView `json:"role"`
	Access    string   `json:"access"`
}

// explainView is `access explain -o json|yaml`.
type explainView struct {
	Email        string        `json:"email"`
	Explanations []explanation `json:"explanations"`
	Grants       []grantView   `json:"grants"`
}

// explainInput is what explaining one DirectoryAccess reads.
type explainInput struct {
	access    *dirsyncv1alpha1.DirectoryAccess
	directory *dirsyncv1alpha1.Directory       // nil when it does not exist
	users     []dirsyncv1alpha1.DirectoryUser  // every DirectoryUser of the Directory
	groups    []dirsyncv1alpha1.DirectoryGroup // the Directory's groups, for spec.groupSelector
	bindings  []bindingView                    // the RoleBindings the DirectoryAccess manages
}

// explainAccess explains the DirectoryAccess for every DirectoryUser of its Directory whose e-mail is
// email (compared case-insensitively), or, when there is none, says so.
func explainAccess(in explainInput, email string, now time.Time) []explanation {
	a := in.access
	base := explanation{
		Access: a.Namespace + "/" + a.Name, Role: roleView{Kind: string(a.Spec.RoleRef.Kind), Name: a.Spec.RoleRef.Name},
		Directory: a.Spec.DirectoryRef.Name, AccessReady: conditionOf(a.Status.Conditions, dirsyncv1alpha1.ConditionReady),
		DirectoryReady: conditionView{Status: metav1.ConditionUnknown}, Template: a.Spec.Subject.Template,
		HeldRevocations: a.Status.HeldRevocations, Reasons: []string{}, Notes: []string{}, BoundIn: []string{},
	}
	if in.directory != nil {
		base.DirectoryReady = conditionOf(in.directory.Status.Conditions, dirsyncv1alpha1.ConditionReady)
	}
	selected, selErr := explainSelected(&a.Spec, in.groups)
	base.SelectedGroups = sortedKeys(selected)
	tmpl, tmplErr := subject.Parse(a.Spec.Subject.Template)

	var out []explanation
	for i := range in.users {
		u := &in.users[i]
		if !strings.EqualFold(u.Spec.Email, email) {
			continue
		}
		e := base
		e.Reasons, e.Notes = []string{}, []string{}
		e.Person = personOf(u)
		e.MatchingGroups = matching(u.Spec.Groups, selected)
		if selErr != nil {
			e.Reasons = append(e.Reasons, selErr.Error()+": nobody is bound")
		}
		e.explainData(a, u, now)
		if tmplErr != nil {
			e.Reasons = append(e.Reasons, tmplErr.Error()+": nobody is bound")
		} else {
			e.explainSubject(tmpl, u, in.users)
		}
		e.explainBindings(in.bindings)
		e.Eligible = len(e.Reasons) == 0
		e.Verdict = verdict(&e, in.directory)
		out = append(out, e)
	}
	if len(out) == 0 {
		e := base
		e.Reasons = []string{fmt.Sprintf("no DirectoryUser of Directory %s has the e-mail %s (compared ignoring case)", a.Spec.DirectoryRef.Name, email)}
		if in.directory == nil {
			e.Reasons = []string{fmt.Sprintf("Directory %s does not exist in namespace %s", a.Spec.DirectoryRef.Name, a.Namespace)}
		}
		e.explainBindings(in.bindings)
		e.Verdict = "lacks it: " + e.Reasons[0] + "."
		out = append(out, e)
	}
	return out
}

// explainSelected is spec.groups plus the Directory's groups that match spec.groupSelector.
func explainSelected(spec *dirsyncv1alpha1.DirectoryAccessSpec, groups []dirsyncv1alpha1.DirectoryGroup) (map[string]bool, error) {
	out := map[string]bool{}
	for _, g := range spec.Groups {
		out[g] = true
	}
	if spec.GroupSelector == nil {
		return out, nil
	}
	sel, err := metav1.LabelSelectorAsSelector(spec.GroupSelector)
	if err != nil {
		return out, fmt.Errorf("spec.groupSelector is invalid (%w)", err)
	}
	for i := range groups {
		if sel.Matches(labels.Set(groups[i].Labels)) {
			out[groups[i].Name] = true
		}
	}
	return out, nil
}

func personOf(u *dirsyncv1alpha1.DirectoryUser) *personView {
	return &personView{Name: u.Name, ExternalID: u.Spec.ExternalID, Email: u.Spec.Email, State: u.Spec.State,
		Groups: slices.Clone(u.Spec.Groups), StartDate: u.Spec.StartDate, EndDate: u.Spec.EndDate, RemovedFromProvider: removedFromProvider(u)}
}

// removedFromProvider reports whether the provider no longer lists the person and the Directory's
// deletion guard holds their deletion: access treats them as gone.
func removedFromProvider(u *dirsyncv1alpha1.DirectoryUser) bool {
	c := meta.FindStatusCondition(u.Status.Conditions, dirsyncv1alpha1.ConditionSynced)
	return c != nil && c.Reason == dirsyncv1alpha1.ReasonRemovedFromProvider
}

// explainSubject renders the person's subject and finds who else renders it (ignoring case): a subject
// several people render is bound for none of them.
func (e *explanation) explainSubject(tmpl *subject.Template, u *dirsyncv1alpha1.DirectoryUser, users []dirsyncv1alpha1.DirectoryUser) {
	s, err := tmpl.Render(subjectFieldsOf(u))
	if err != nil {
		e.Reasons = append(e.Reasons, "spec.subject.template gives them no subject: it "+err.Error())
		return
	}
	e.Subject = s
	for i := range users {
		other := &users[i]
		if other.Name == u.Name || removedFromProvider(other) { // gone from the provider: conflicts with no one
			continue
		}
		if o, err := tmpl.Render(subjectFieldsOf(other)); err == nil && strings.EqualFold(o, s) {
			e.Conflicts = append(e.Conflicts, fmt.Sprintf("%s (external id %s, %s)", other.Name, other.Spec.ExternalID, other.Spec.State))
		}
	}
	if len(e.Conflicts) > 0 {
		slices.Sort(e.Conflicts)
		who := "another person"
		if n := len(e.Conflicts); n > 1 {
			who = fmt.Sprintf("%d other people", n)
		}
		e.Reasons = append(e.Reasons, fmt.Sprintf("%s of the Directory renders their subject %s too, so it is bound for none of them", who, s))
	}
}

func subjectFieldsOf(u *dirsyncv1alpha1.DirectoryUser) subject.Fields {
	return subject.Fields{Email: u.Spec.Email, ExternalID: u.Spec.ExternalID, FirstName: u.Spec.FirstName, LastName: u.Spec.LastName}
}

// explainData checks the person against the selection, their state and the lifecycle dates.
func (e *explanation) explainData(a *dirsyncv1alpha1.DirectoryAccess, u *dirsyncv1alpha1.DirectoryUser, now time.Time) {
	if len(e.MatchingGroups) == 0 {
		e.Reasons = append(e.Reasons, fmt.Sprintf("in none of the selected groups (theirs: %s; selected: %s)",
			orNone(u.Spec.Groups), orNone(e.SelectedGroups)))
	}
	if u.Spec.State != dirsyncv1alpha1.UserStateActive {
		e.Reasons = append(e.Reasons, fmt.Sprintf("the HR system marks them %s", orDash(string(u.Spec.State))))
	}
	if removedFromProvider(u) {
		e.Reasons = append(e.Reasons, "the provider no longer lists them (the Directory's deletion guard holds their deletion), so access treats them as gone")
	}
	start, hasStart := day(u.Spec.StartDate)
	switch {
	case hasStart && now.Before(start) && a.HonourStartDate():
		e.Reasons = append(e.Reasons, fmt.Sprintf("their startDate %s has not come (%s; lifecycle.honourStartDate)", u.Spec.StartDate, relTime(ptrTime(start), now)))
	case hasStart && now.Before(start):
		e.Notes = append(e.Notes, fmt.Sprintf("their startDate %s is ahead, but lifecycle.honourStartDate is false", u.Spec.StartDate))
	}
	end, hasEnd := day(u.Spec.EndDate)
	if !hasEnd {
		return
	}
	revokeAt := end.AddDate(0, 0, 1)
	switch {
	case !a.RevokeAtEndDate():
		e.Notes = append(e.Notes, fmt.Sprintf("their endDate is %s, which lifecycle.revokeAtEndDate=false ignores", u.Spec.EndDate))
	case !now.Before(revokeAt):
		e.endDated = true
		e.Reasons = append(e.Reasons, fmt.Sprintf("their endDate %s has passed (access ends at 00:00 UTC the day after; lifecycle.revokeAtEndDate)", u.Spec.EndDate))
	default:
		e.Notes = append(e.Notes, fmt.Sprintf("their endDate is %s: access ends %s (%s)", u.Spec.EndDate,
			relTime(ptrTime(revokeAt), now), revokeAt.Format(time.RFC3339)))
	}
}

// explainBindings says, for each RoleBinding the DirectoryAccess manages, whether it binds the subject.
func (e *explanation) explainBindings(bindings []bindingView) {
	e.Bindings = []presence{}
	for _, b := range bindings {
		p := presence{Namespace: b.Namespace, Name: b.Name, Unread: b.FromStatus}
		p.Bound = e.Subject != "" && slices.Contains(b.Subjects, e.Subject)
		if p.Bound {
			e.BoundIn = append(e.BoundIn, b.Namespace)
		}
		e.Bindings = append(e.Bindings, p)
	}
}

// verdict is the answer in one sentence: has it or lacks it, and, where the RoleBindings differ from
// what the data says, why.
func verdict(e *explanation, dir *dirsyncv1alpha1.Directory) string {
	where := strings.Join(e.BoundIn, ", ")
	switch {
	case e.Eligible && len(e.BoundIn) > 0 && len(e.BoundIn) == len(e.Bindings):
		return fmt.Sprintf("has it in %s: the data says bind them, and every RoleBinding does.", where)
	case e.Eligible && len(e.BoundIn) > 0:
		return fmt.Sprintf("has it in %s only; %s.", where, whyNotBound(e, dir))
	case e.Eligible:
		return "lacks it, though the data says bind them: " + whyNotBound(e, dir) + "."
	case len(e.BoundIn) > 0:
		return fmt.Sprintf("still has it in %s, though the data says they should go (%s): %s.", where, e.Reasons[0], whyStillBound(e, dir))
	}
	return "lacks it: " + e.Reasons[0] + "."
}

// whyNotBound explains a person the data selects but some RoleBinding lacks.
func whyNotBound(e *explanation, dir *dirsyncv1alpha1.Directory) string {
	switch {
	case e.AccessReady.Reason == dirsyncv1alpha1.ReasonSuspended:
		return "the DirectoryAccess is suspended (spec.suspend), so nobody is added"
	case e.AccessReady.Reason == dirsyncv1alpha1.ReasonNotPermitted:
		return "dirsync may not write some target's RoleBinding (Ready: NotPermitted), and then grants nothing anywhere"
	case directoryFrozen(dir):
		return fmt.Sprintf("Directory %s is not Ready, so nobody is added until it is", e.Directory)
	case slices.ContainsFunc(e.Bindings, func(p presence) bool { return p.Unread }):
		return "some RoleBindings could not be read"
	case len(e.Bindings) == 0:
		return "no RoleBinding exists yet (no target namespace exists, or the manager has not reconciled it)"
	}
	return "the manager has not reconciled the change yet (is it running?)"
}

// whyStillBound explains a person the data no longer selects but some RoleBinding still binds.
func whyStillBound(e *explanation, dir *dirsyncv1alpha1.Directory) string {
	switch {
	case e.AccessReady.Reason == dirsyncv1alpha1.ReasonSuspended:
		return "the DirectoryAccess is suspended (spec.suspend), so nobody is revoked"
	case e.HeldRevocations > 0 || e.AccessReady.Reason == dirsyncv1alpha1.ReasonRevocationHeld:
		return fmt.Sprintf("the revocation guard holds %d revocations of this DirectoryAccess (Ready: RevocationHeld)", e.HeldRevocations)
	case directoryFrozen(dir) && e.Person != nil && e.Person.State == dirsyncv1alpha1.UserStateActive && !e.endDated:
		return fmt.Sprintf("Directory %s is not Ready, so its data may be stale and the RoleBindings are kept, except for leavers and end dates", e.Directory)
	}
	return "the manager has not revoked it yet (revocations wait about a second for the rest of a sync's changes; if this persists, is the manager running?)"
}

// directoryFrozen is the controller's rule: the Directory's data is not trusted to grant while it does
// not exist, has not synced, or its last sync failed (a held deletion does not count).
func directoryFrozen(dir *dirsyncv1alpha1.Directory) bool {
	if dir == nil {
		return true
	}
	c := condition(dir, dirsyncv1alpha1.ConditionReady)
	return c == nil || c.Status != metav1.ConditionTrue && c.Reason != dirsyncv1alpha1.ReasonDeletionGuardTriggered
}

// grantsOf are the roles the explanations say the person ends up with, by namespace.
func grantsOf(explanations []explanation) []grantView {
	out := []grantView{}
	for _, e := range explanations {
		for _, ns := range e.BoundIn {
			out = append(out, grantView{Namespace: ns, Role: e.Role, Access: e.Access})
		}
	}
	slices.SortFunc(out, func(a, b grantView) int {
		return strings.Compare(a.Namespace+"\x00"+a.Access, b.Namespace+"\x00"+b.Access)
	})
	return out
}

// day reads a YYYY-MM-DD date as 00:00 UTC that day; an empty or malformed date imposes no limit.
func day(s string) (time.Time, bool) {
	if s == "" {
		return time.Time{}, false
	}
	d, err := time.Parse(time.DateOnly, s)
	return d, err == nil
}

func ptrTime(t time.Time) *metav1.Time { m := metav1.NewTime(t); return &m }

func matching(groups []string, selected map[string]bool) []string {
	out := []string{}
	for _, g := range groups {
		if selected[g] {
			out = append(out, g)
		}
	}
	slices.Sort(out)
	return out
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

func orNone(items []string) string {
	if len(items) == 0 {
		return "none"
	}
	return strings.Join(items, ", ")
}
