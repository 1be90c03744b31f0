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
	"cmp"
	"fmt"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	dirsyncv1alpha1 "github.com/dirsync/dirsync/api/v1alpha1"
)

// maxSubjectsShown is how many subjects of one RoleBinding the text output names.
const maxSubjectsShown = 20

// roleView is a roleRef.
type roleView struct {
	Kind string `json:"kind"`
	Name string `json:"name"`
}

func (r roleView) String() string { return r.Kind + " " + r.Name }

// bindingView is one RoleBinding dirsync manages.
type bindingView struct {
	Namespace string   `json:"namespace"`
	Name      string   `json:"name"`
	Role      roleView `json:"role"`
	// Access is the "<namespace>/<name>" of the DirectoryAccess that manages it.
	Access       string `json:"access"`
	SubjectCount int    `json:"subjectCount"`
	// Subjects are its User subjects, sorted; absent when the RoleBinding could not be read.
	Subjects []string `json:"subjects,omitempty"`
	// FromStatus is set when the RoleBinding could not be read, so this is what the DirectoryAccess's
	// status.bindings says about it.
	FromStatus bool `json:"fromStatus,omitempty"`
}

// accessView is one DirectoryAccess in `access list` and `access status`.
type accessView struct {
	Namespace         string                        `json:"namespace"`
	Name              string                        `json:"name"`
	Directory         string                        `json:"directory"`
	Role              roleView                      `json:"role"`
	Ready             conditionView                 `json:"ready"`
	Hint              string                        `json:"hint,omitempty"`
	Suspended         bool                          `json:"suspended"`
	Groups            []string                      `json:"groups,omitempty"`
	GroupSelector     string                        `json:"groupSelector,omitempty"`
	TargetNamespaces  []string                      `json:"targetNamespaces,omitempty"`
	NamespaceSelector string                        `json:"namespaceSelector,omitempty"`
	SubjectTemplate   string                        `json:"subjectTemplate"`
	HonourStartDate   bool                          `json:"honourStartDate"`
	RevokeAtEndDate   bool                          `json:"revokeAtEndDate"`
	MaxRevokePercent  int32                         `json:"maxRevokePercent"`
	Subjects          int32                         `json:"subjects"`
	HeldRevocations   int32                         `json:"heldRevocations"`
	LastChange        *dirsyncv1alpha1.AccessChange `json:"lastChange,omitempty"`
	NextReviewTime    *metav1.Time                  `json:"nextReviewTime,omitempty"`
	Bindings          []bindingView                 `json:"bindings"`
}

// accessListView is `access list -o json|yaml`.
type accessListView struct {
	Items []accessView `json:"items"`
	// OrphanedBindings are managed RoleBindings whose DirectoryAccess does not exist (with -A only).
	OrphanedBindings []bindingView `json:"orphanedBindings,omitempty"`
}

// accessListOf is the DirectoryAccesses (sorted) with the RoleBindings that name each, and, when every
// namespace was read, the RoleBindings that name none of them.
func accessListOf(accesses []dirsyncv1alpha1.DirectoryAccess, bound boundState, allNamespaces bool) accessListView {
	out := accessListView{Items: []accessView{}}
	known := map[string]bool{}
	for i := range accesses {
		out.Items = append(out.Items, accessViewOf(&accesses[i], bound))
		known[accesses[i].Namespace+"/"+accesses[i].Name] = true
	}
	if !allNamespaces || !bound.everywhere {
		return out
	}
	for i := range bound.items {
		if rb := &bound.items[i]; !known[accessRef(rb)] {
			out.OrphanedBindings = append(out.OrphanedBindings, bindingViewOf(rb))
		}
	}
	sortBindings(out.OrphanedBindings)
	return out
}

// accessViewOf is a DirectoryAccess with the RoleBindings that name it: those read from the cluster, and
// for a namespace that could not be read, what its status says.
func accessViewOf(a *dirsyncv1alpha1.DirectoryAccess, bound boundState) accessView {
	spec := &a.Spec
	v := accessView{
		Namespace: a.Namespace, Name: a.Name, Directory: spec.DirectoryRef.Name,
		Role:  roleView{Kind: string(spec.RoleRef.Kind), Name: spec.RoleRef.Name},
		Ready: conditionOf(a.Status.Conditions, dirsyncv1alpha1.ConditionReady), Hint: accessHint(a),
		Suspended: a.IsSuspended(), Groups: spec.Groups, GroupSelector: selectorString(spec.GroupSelector),
		TargetNamespaces: spec.Target.Namespaces, NamespaceSelector: selectorString(spec.Target.NamespaceSelector),
		SubjectTemplate: spec.Subject.Template, HonourStartDate: a.HonourStartDate(), RevokeAtEndDate: a.RevokeAtEndDate(),
		MaxRevokePercent: a.MaxRevokePercentOrDefault(), Subjects: a.Status.Subjects, HeldRevocations: a.Status.HeldRevocations,
		LastChange: a.Status.LastChange, NextReviewTime: a.Status.NextReviewTime, Bindings: []bindingView{},
	}
	ref := a.Namespace + "/" + a.Name
	for i := range bound.items {
		if rb := &bound.items[i]; accessRef(rb) == ref {
			v.Bindings = append(v.Bindings, bindingViewOf(rb))
		}
	}
	if !bound.everywhere {
		for _, b := range a.Status.Bindings {
			if !bound.read.Has(b.Namespace) {
				v.Bindings = append(v.Bindings, bindingView{Namespace: b.Namespace, Name: b.Name, Role: v.Role, Access: ref,
					SubjectCount: int(b.Subjects), FromStatus: true})
			}
		}
	}
	sortBindings(v.Bindings)
	return v
}

func bindingViewOf(rb *rbacv1.RoleBinding) bindingView {
	subjects := userSubjects(rb)
	return bindingView{Namespace: rb.Namespace, Name: rb.Name, Role: roleView{Kind: rb.RoleRef.Kind, Name: rb.RoleRef.Name},
		Access: accessRef(rb), SubjectCount: len(rb.Subjects), Subjects: subjects}
}

func sortBindings(b []bindingView) {
	slices.SortFunc(b, func(x, y bindingView) int {
		return cmp.Or(cmp.Compare(x.Namespace, y.Namespace), cmp.Compare(x.Name, y.Name))
	})
}

// selectorString is a label selector as kubectl writes one ("team=eng,tier in (a,b)"), or "" for none.
func selectorString(s *metav1.LabelSelector) string {
	if s == nil {
		return ""
	}
	return metav1.FormatLabelSelector(s)
}

// targetsCell is where a DirectoryAccess binds, for a table cell: its namespaces and selector.
func targetsCell(v *accessView) string {
	parts := slices.Clone(v.TargetNamespaces)
	if v.NamespaceSelector != "" {
		parts = append(parts, "selector "+v.NamespaceSelector)
	}
	return orDash(strings.Join(parts, ","))
}

// formatAccessList is a table of the DirectoryAccesses, then a table of every RoleBinding they manage
// (and, with -A, those whose DirectoryAccess is gone), then what that means for an uninstall.
func formatAccessList(l accessListView, allNamespaces bool, namespace string) string {
	var b strings.Builder
	if len(l.Items) == 0 {
		if allNamespaces {
			b.WriteString("No DirectoryAccesses found.\n")
		} else {
			fmt.Fprintf(&b, "No DirectoryAccesses found in namespace %s.\n", namespace)
		}
	} else {
		writeAccessTable(&b, l.Items, allNamespaces)
	}
	var bindings []bindingView
	for _, v := range l.Items {
		bindings = append(bindings, v.Bindings...)
	}
	sortBindings(bindings)
	if len(bindings)+len(l.OrphanedBindings) == 0 {
		return b.String()
	}
	fmt.Fprintf(&b, "\nRoleBindings managed by dirsync (%d):\n", len(bindings)+len(l.OrphanedBindings))
	w := tabwriter.NewWriter(&b, 0, 8, 3, ' ', 0)
	fmt.Fprintln(w, "NAMESPACE\tNAME\tROLE\tSUBJECTS\tDIRECTORYACCESS")
	for _, rb := range bindings {
		subjects := fmt.Sprint(rb.SubjectCount)
		if rb.FromStatus {
			subjects += " (from status)"
		}
		fmt.Fprintf(w, "%s\t%s\t%s/%s\t%s\t%s\n", rb.Namespace, rb.Name, rb.Role.Kind, rb.Role.Name, subjects, rb.Access)
	}
	for _, rb := range l.OrphanedBindings {
		fmt.Fprintf(w, "%s\t%s\t%s/%s\t%d\t%s (orphaned: no such DirectoryAccess)\n", rb.Namespace, rb.Name, rb.Role.Kind, rb.Role.Name,
			rb.SubjectCount, orDash(rb.Access))
	}
	_ = w.Flush()
	if len(l.OrphanedBindings) > 0 {
		b.WriteString("\nNothing revokes the access an orphaned RoleBinding gives. Delete each once you have checked it:\n")
		for _, rb := range l.OrphanedBindings {
			fmt.Fprintf(&b, "  kubectl delete rolebinding %s -n %s\n", rb.Name, rb.Namespace)
		}
	}
	if allNamespaces {
		b.WriteString("\nDeleting a DirectoryAccess deletes its RoleBindings while the dirsync manager runs. Before uninstalling dirsync, " +
			"delete every DirectoryAccess and wait until this list shows no RoleBinding: one left behind keeps granting access.\n")
	}
	return b.String()
}

func writeAccessTable(b *strings.Builder, items []accessView, allNamespaces bool) {
	w := tabwriter.NewWriter(b, 0, 8, 3, ' ', 0)
	header := "NAME\tDIRECTORY\tROLE\tREADY\tREASON\tTARGETS\tSUBJECTS\tHELD\tBINDINGS"
	if allNamespaces {
		header = "NAMESPACE\t" + header
	}
	fmt.Fprintln(w, header)
	for i := range items {
		v := &items[i]
		if allNamespaces {
			fmt.Fprintf(w, "%s\t", v.Namespace)
		}
		fmt.Fprintf(w, "%s\t%s\t%s/%s\t%s\t%s\t%s\t%d\t%d\t%d\n", v.Name, v.Directory, v.Role.Kind, v.Role.Name, v.Ready.Status,
			orDash(v.Ready.Reason), targetsCell(v), v.Subjects, v.HeldRevocations, len(v.Bindings))
	}
	_ = w.Flush()
}

// formatAccessDetail describes one DirectoryAccess: what it selects and binds, Ready and why, the
// counts, the last change and the next review, and each RoleBinding with its subjects.
func formatAccessDetail(v accessView, now time.Time) string {
	var b strings.Builder
	line := func(label, format string, args ...any) {
		fmt.Fprintf(&b, "%-17s %s\n", label+":", fmt.Sprintf(format, args...))
	}
	line("DirectoryAccess", "%s/%s", v.Namespace, v.Name)
	line("Directory", "%s", v.Directory)
	line("Role", "%s", v.Role)
	line("Groups", "%s", listWithSelector(v.Groups, v.GroupSelector, "the Directory's groups matching"))
	line("Targets", "%s", listWithSelector(v.TargetNamespaces, v.NamespaceSelector, "namespaces matching"))
	line("Subject", "User %s", v.SubjectTemplate)
	line("Lifecycle", "%s", lifecycleLine(&v))
	line("Ready", "%s", conditionLine(v.Ready, "the operator has not reported on this DirectoryAccess yet (is the dirsync manager running?)"))
	if v.Hint != "" {
		line("Hint", "%s", v.Hint)
	}
	if v.Suspended {
		line("Mode", "suspended (spec.suspend: no RoleBinding changes, no grants and no revocations)")
	}
	line("Subjects", "%d bound", v.Subjects)
	if v.HeldRevocations > 0 {
		line("Held revocations", "%d: the revocation guard keeps them bound although the directory data says they should go", v.HeldRevocations)
	}
	if c := v.LastChange; c != nil {
		line("Last change", "%d granted, %d revoked, %s", c.Granted, c.Revoked, relAndAbs(c.Time, now))
	}
	if v.NextReviewTime != nil {
		line("Next review", "%s: a startDate or endDate boundary", relAndAbs(v.NextReviewTime, now))
	}
	line("Bindings", "%d", len(v.Bindings))
	for _, rb := range v.Bindings {
		writeBinding(&b, rb)
	}
	return b.String()
}

// writeBinding prints one RoleBinding and up to maxSubjectsShown of its subjects.
func writeBinding(b *strings.Builder, rb bindingView) {
	if rb.FromStatus {
		fmt.Fprintf(b, "  %s: %s, %s, %s (from status: the RoleBinding could not be read)\n", rb.Namespace, rb.Name, rb.Role, plural(int32(rb.SubjectCount), "subject"))
		return
	}
	fmt.Fprintf(b, "  %s: %s, %s, %s\n", rb.Namespace, rb.Name, rb.Role, plural(int32(rb.SubjectCount), "subject"))
	for i, s := range rb.Subjects {
		if i == maxSubjectsShown {
			fmt.Fprintf(b, "    … and %d more\n", len(rb.Subjects)-maxSubjectsShown)
			break
		}
		fmt.Fprintf(b, "    %s\n", s)
	}
}

// listWithSelector is "a, b", "a, b; and <what> x=y", or "-".
func listWithSelector(items []string, selector, what string) string {
	parts := []string{}
	if len(items) > 0 {
		parts = append(parts, strings.Join(items, ", "))
	}
	if selector != "" {
		parts = append(parts, what+" "+selector)
	}
	return orDash(strings.Join(parts, "; and "))
}

// lifecycleLine says how startDate, endDate and the revocation guard apply.
func lifecycleLine(v *accessView) string {
	start := "bound from startDate"
	if !v.HonourStartDate {
		start = "startDate ignored"
	}
	end := "revoked after endDate"
	if !v.RevokeAtEndDate {
		end = "endDate ignored"
	}
	return fmt.Sprintf("%s; %s; revocation guard at %d%%", start, end, v.MaxRevokePercent)
}

// conditionLine is "True (Bound): message", or "Unknown: <absent>" when there is no such condition.
func conditionLine(c conditionView, absent string) string {
	if c.Reason == "" && c.Status == metav1.ConditionUnknown {
		return "Unknown: " + absent
	}
	s := fmt.Sprintf("%s (%s)", c.Status, c.Reason)
	if c.Message != "" {
		s += ": " + c.Message
	}
	return s
}
