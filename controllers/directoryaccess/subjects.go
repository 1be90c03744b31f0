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
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"

	dirsyncv1alpha1 "github.com/dirsync/dirsync/api/v1alpha1"
	"github.com/dirsync/dirsync/internal/subject"
)

// subjectFields is what a subject template sees of a person: the four allowed fields, nothing else.
func subjectFields(u *dirsyncv1alpha1.DirectoryUser) subject.Fields {
	return subject.Fields{Email: u.Spec.Email, ExternalID: u.Spec.ExternalID, FirstName: u.Spec.FirstName, LastName: u.Spec.LastName}
}

// subjectReport is who the data says should be bound, and why others are not.
type subjectReport struct {
	desired   map[string]bool // subjects of selected, eligible people
	endDated  map[string]bool // subjects of people whose endDate has passed (revokeAtEndDate)
	inactive  map[string]bool // subjects of people the HR system marks Inactive
	conflicts []string        // "subject: id1, id2" for subjects two people render, at least one of them selected
	invalid   []string        // "id (why)" for selected people with no valid subject
	next      time.Time       // the next startDate/endDate boundary after now; zero when none
}

// accessData is the directory data a DirectoryAccess is computed from.
type accessData struct {
	users  []dirsyncv1alpha1.DirectoryUser  // of the referenced Directory
	groups []dirsyncv1alpha1.DirectoryGroup // of the referenced Directory (for spec.groupSelector)
}

// selectedGroups is spec.groups plus the names of the Directory's groups that match spec.groupSelector.
func selectedGroups(spec *dirsyncv1alpha1.DirectoryAccessSpec, groups []dirsyncv1alpha1.DirectoryGroup) (map[string]bool, error) {
	out := map[string]bool{}
	for _, g := range spec.Groups {
		out[g] = true
	}
	if spec.GroupSelector == nil {
		return out, nil
	}
	sel, err := metav1.LabelSelectorAsSelector(spec.GroupSelector)
	if err != nil {
		return nil, fmt.Errorf("spec.groupSelector: %w", err)
	}
	for i := range groups {
		if sel.Matches(labels.Set(groups[i].Labels)) {
			out[groups[i].Name] = true
		}
	}
	return out, nil
}

// computeSubjects renders every person of the Directory and decides who is bound. A person is bound
// when they are in a selected group, Active, not removed from the provider (their deletion held by the
// Directory's guard), started (honourStartDate), not past their endDate (revokeAtEndDate), and render a
// valid subject that no other person of the Directory renders too (compared case-insensitively).
func computeSubjects(acc *dirsyncv1alpha1.DirectoryAccess, st *subject.Template, selected map[string]bool, users []dirsyncv1alpha1.DirectoryUser, now time.Time) subjectReport {
	rep := subjectReport{desired: map[string]bool{}, endDated: map[string]bool{}, inactive: map[string]bool{}}
	subjects, owners := rep.renderAll(st, selected, users)
	for _, idx := range owners {
		if len(idx) > 1 {
			rep.noteConflict(idx, users, subjects, selected)
		}
	}
	for i := range users {
		if s := subjects[i]; s != "" && len(owners[strings.ToLower(s)]) == 1 {
			rep.weigh(acc, &users[i], s, selected, now)
		}
	}
	slices.Sort(rep.conflicts)
	slices.Sort(rep.invalid)
	return rep
}

// renderAll renders each person's subject ("" when none), noting the selected, active people who get
// none, and indexes people by lower-cased subject.
func (rep *subjectReport) renderAll(st *subject.Template, selected map[string]bool, users []dirsyncv1alpha1.DirectoryUser) ([]string, map[string][]int) {
	subjects := make([]string, len(users))
	owners := map[string][]int{}
	for i := range users {
		if heldByDirectoryGuard(&users[i]) {
			// Gone from the provider (its deletion held by the Directory's guard): never bound, and it
			// conflicts with no one, so a person whose id HR changed keeps their subject under the new id.
			continue
		}
		s, err := st.Render(subjectFields(&users[i]))
		if err != nil {
			if inSelectedGroup(&users[i], selected) && users[i].Spec.State == dirsyncv1alpha1.UserStateActive {
				rep.invalid = append(rep.invalid, fmt.Sprintf("%s (%v)", users[i].Spec.ExternalID, err))
			}
			continue
		}
		subjects[i] = s
		owners[strings.ToLower(s)] = append(owners[strings.ToLower(s)], i)
	}
	return subjects, owners
}

// weigh records what person u, who alone renders subject s, means for the bindings.
func (rep *subjectReport) weigh(acc *dirsyncv1alpha1.DirectoryAccess, u *dirsyncv1alpha1.DirectoryUser, s string, selected map[string]bool, now time.Time) {
	active := u.Spec.State == dirsyncv1alpha1.UserStateActive
	if acc.RevokeAtEndDate() && ended(u.Spec.EndDate, now) {
		rep.endDated[s] = true
	}
	if !active {
		rep.inactive[s] = true
	}
	if !inSelectedGroup(u, selected) || !active || heldByDirectoryGuard(u) {
		return
	}
	rep.noteBoundary(acc, u, now)
	if rep.endDated[s] || (acc.HonourStartDate() && !started(u.Spec.StartDate, now)) {
		return
	}
	rep.desired[s] = true
}

// noteConflict records a subject that several people render, when one of them is selected.
func (rep *subjectReport) noteConflict(idx []int, users []dirsyncv1alpha1.DirectoryUser, subjects []string, selected map[string]bool) {
	relevant := false
	ids := make([]string, 0, len(idx))
	for _, i := range idx {
		relevant = relevant || inSelectedGroup(&users[i], selected)
		ids = append(ids, users[i].Spec.ExternalID)
	}
	if !relevant {
		return
	}
	slices.Sort(ids)
	rep.conflicts = append(rep.conflicts, fmt.Sprintf("%s: %s", subjects[idx[0]], strings.Join(ids, ", ")))
}

// noteBoundary keeps the earliest future startDate/endDate boundary of a selected, active person.
func (rep *subjectReport) noteBoundary(acc *dirsyncv1alpha1.DirectoryAccess, u *dirsyncv1alpha1.DirectoryUser, now time.Time) {
	var candidates []time.Time
	if d, ok := parseDay(u.Spec.StartDate); ok && acc.HonourStartDate() {
		candidates = append(candidates, d)
	}
	if d, ok := parseDay(u.Spec.EndDate); ok && acc.RevokeAtEndDate() {
		candidates = append(candidates, d.AddDate(0, 0, 1))
	}
	for _, c := range candidates {
		if c.After(now) && (rep.next.IsZero() || c.Before(rep.next)) {
			rep.next = c
		}
	}
}

func inSelectedGroup(u *dirsyncv1alpha1.DirectoryUser, selected map[string]bool) bool {
	for _, g := range u.Spec.Groups {
		if selected[g] {
			return true
		}
	}
	return false
}

// heldByDirectoryGuard reports whether the Directory's deletion guard holds this user: the provider no
// longer lists them. Access treats them as gone, through the revocation guard.
func heldByDirectoryGuard(u *dirsyncv1alpha1.DirectoryUser) bool {
	c := meta.FindStatusCondition(u.Status.Conditions, dirsyncv1alpha1.ConditionSynced)
	return c != nil && c.Reason == dirsyncv1alpha1.ReasonRemovedFromProvider
}

// parseDay reads a YYYY-MM-DD date as 00:00 UTC that day. Empty or malformed dates impose no limit.
func parseDay(s string) (time.Time, bool) {
	if s == "" {
		return time.Time{}, false
	}
	d, err := time.Parse(time.DateOnly, s)
	return d, err == nil
}

// started reports whether 00:00 UTC of startDate has come.
func started(startDate string, now time.Time) bool {
	d, ok := parseDay(startDate)
	return !ok || !now.Before(d)
}

// ended reports whether 00:00 UTC after endDate has come.
func ended(endDate string, now time.Time) bool {
	d, ok := parseDay(endDate)
	return ok && !now.Before(d.AddDate(0, 0, 1))
}
