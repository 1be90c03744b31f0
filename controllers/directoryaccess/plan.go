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

	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/sets"

	dirsyncv1alpha1 "github.com/dirsync/dirsync/api/v1alpha1"
	"github.com/dirsync/dirsync/controllers/internal/verdict"
	"github.com/dirsync/dirsync/internal/subject"
)

// Verbs of a bindingOp.
const (
	verbKeep    = ""        // the RoleBinding is as it should be
	verbCreate  = "create"  // a new RoleBinding
	verbPatch   = "patch"   // subjects, labels or annotations differ: a merge patch
	verbReplace = "replace" // roleRef differs, which a RoleBinding cannot change: delete, then create
	verbDelete  = "delete"  // no longer targeted
)

// bindingOp is what happens to one RoleBinding.
type bindingOp struct {
	verb     string
	ns       string
	existing *rbacv1.RoleBinding // nil for create
	desired  *rbacv1.RoleBinding // nil for delete
}

// problem is one reason the DirectoryAccess is not (fully) Ready: a Ready reason and a deterministic message.
type problem struct{ reason, message string }

// namespaceView is what the manager can see of namespaces.
type namespaceView struct {
	// labels of every namespace that exists and is not terminating. nil when the manager watches only
	// some namespaces (--watch-namespace) and cannot list namespaces.
	labels map[string]map[string]string
	// watched are the namespaces the manager watches, when labels is nil.
	watched map[string]bool
}

// accessInput is everything planAccess reads; the reconciler gathers it from the cache.
type accessInput struct {
	directory  *dirsyncv1alpha1.Directory // nil when it does not exist
	data       accessData
	namespaces namespaceView
	bindings   []rbacv1.RoleBinding // every RoleBinding labelled as this DirectoryAccess's
	// settling is set while DirectoryUser changes of the Directory are still arriving (the last one
	// less than revocationSettle ago): a sync's changes are then not all in yet.
	settling bool
}

// plan is what one reconcile does to the RoleBindings, and what the status will say about it.
type plan struct {
	ops      []bindingOp
	problems []problem // in the order the Ready condition reports them
	// fatal problems stop all writes (a template or selector that does not parse).
	fatal bool
	// denied is set when some target is out of reach: then nothing is granted anywhere (see revocationsOnly).
	denied   bool
	held     int       // revocations the guard holds
	deferred int       // revocations waiting for the directory data to settle
	endDated int       // bound subjects removed because their endDate has passed
	next     time.Time // next startDate/endDate boundary; zero when none
}

// planAccess computes the RoleBindings a DirectoryAccess should have and the operations that get
// there. It reads no clock, client or cache: now and the input are all it knows.
func planAccess(acc *dirsyncv1alpha1.DirectoryAccess, in accessInput, now time.Time) plan {
	st, err := subject.Parse(acc.Spec.Subject.Template)
	if err != nil {
		return plan{fatal: true, problems: []problem{{dirsyncv1alpha1.ReasonInvalidTemplate, err.Error() + "."}}}
	}
	selected, err := selectedGroups(&acc.Spec, in.data.groups)
	if err != nil {
		return plan{fatal: true, problems: []problem{{dirsyncv1alpha1.ReasonInvalidSelector, err.Error() + "."}}}
	}
	targets, targetProblems, err := targetNamespaces(acc.Spec.Target, in.namespaces)
	if err != nil {
		return plan{fatal: true, problems: []problem{{dirsyncv1alpha1.ReasonInvalidSelector, err.Error() + "."}}}
	}
	rep := computeSubjects(acc, st, selected, in.data.users, now)
	frozen := directoryFrozen(in.directory)
	bound := boundSubjects(in.bindings)
	subjects, held, deferred := guardedSubjects(acc, rep, bound, frozen, in.settling)

	p := plan{held: held, deferred: deferred, next: rep.next, denied: len(targetProblems) > 0}
	for s := range bound {
		if rep.endDated[s] {
			p.endDated++
		}
	}
	p.ops = bindingOps(acc, targets, in.bindings, subjects, frozen)
	p.problems = append(p.problems, targetProblems...)
	if held > 0 {
		p.problems = append(p.problems, problem{dirsyncv1alpha1.ReasonRevocationHeld, fmt.Sprintf(
			"The directory data would revoke more than spec.revocationGuard.maxRevokePercent (%d%%) of the bound subjects at once, "+
				"so those revocations are held and status.heldRevocations says how many. Check the HR system; if the change is right, "+
				"raise maxRevokePercent.", acc.MaxRevokePercentOrDefault())})
	}
	if frozen {
		p.problems = append(p.problems, problem{dirsyncv1alpha1.ReasonDirectoryNotReady, fmt.Sprintf(
			"Directory %s is not Ready, so its data may be stale: the RoleBindings are kept as they are and no one is added, "+
				"but people past their endDate or marked Inactive are still removed.", acc.Spec.DirectoryRef.Name)})
	}
	if len(rep.conflicts) > 0 {
		p.problems = append(p.problems, problem{dirsyncv1alpha1.ReasonSubjectConflict,
			"These subjects are rendered by more than one person of the Directory (external ids after the subject), so they are bound for none of them: " +
				capList(rep.conflicts, "; ") + ". Give each person a distinct e-mail in the HR system, or render subjects from .ExternalID."})
	}
	if len(rep.invalid) > 0 {
		p.problems = append(p.problems, problem{dirsyncv1alpha1.ReasonInvalidTemplate,
			"spec.subject.template gives no valid subject for these selected people, so they are not bound: " + capList(rep.invalid, ", ") + "."})
	}
	return p
}

// directoryFrozen reports whether the Directory's data cannot be trusted to be current: it does not
// exist, has not synced yet, or its last sync failed (provider outage, bad credentials, suspended, …).
// DeletionGuardTriggered does not freeze: that sync applied everything but held deletions, and the
// held users carry RemovedFromProvider, which the revocation guard weighs.
func directoryFrozen(dir *dirsyncv1alpha1.Directory) bool {
	if dir == nil {
		return true
	}
	c := meta.FindStatusCondition(dir.Status.Conditions, dirsyncv1alpha1.ConditionReady)
	if c == nil {
		return true
	}
	return c.Status != metav1.ConditionTrue && c.Reason != dirsyncv1alpha1.ReasonDeletionGuardTriggered
}

// boundSubjects is the union of the User subjects of the existing RoleBindings.
func boundSubjects(existing []rbacv1.RoleBinding) sets.Set[string] {
	out := sets.New[string]()
	for i := range existing {
		for _, s := range existing[i].Subjects {
			if s.Kind == rbacv1.UserKind {
				out.Insert(s.Name)
			}
		}
	}
	return out
}

// guardedSubjects is the subject set to bind after the freeze and the revocation guard, with how
// many revocations the guard holds and how many wait for the data to settle. While frozen nobody is
// added and only end-dated and Inactive people are removed. Revocations a spec change causes always go
// through. All others come from the directory data (people turned Inactive, deleted, moved, past their
// endDate, in conflict), and a Directory writes one sync's changes one DirectoryUser at a time: so while
// those writes are still arriving (settling) they wait, and once the data has settled the guard weighs
// them all at once, as the Directory's guard weighs one provider snapshot. End dates are not exempt: a
// snapshot that suddenly dates half the company's departure in the past is as suspect as one that
// marks them Inactive.
func guardedSubjects(acc *dirsyncv1alpha1.DirectoryAccess, rep subjectReport, bound sets.Set[string], frozen, settling bool) (sets.Set[string], int, int) {
	target := sets.KeySet(rep.desired)
	if frozen {
		target = bound.Clone()
		for s := range bound {
			if rep.endDated[s] || rep.inactive[s] {
				target.Delete(s)
			}
		}
	}
	guarded := bound.Difference(target)
	// observedGeneration is the generation of the last reconcile that reached its verdict (markReconciled,
	// markSuspended): when the spec changed since, the bound set was planned from another spec, and what
	// it loses now is the spec change's doing, not the data's.
	dataDriven := acc.Status.ObservedGeneration == acc.Generation
	if !dataDriven {
		return target, 0, 0
	}
	switch decideRevocations(guarded.Len(), bound.Len(), settling, acc.MaxRevokePercentOrDefault()) {
	case revocationsHeld:
		return target.Union(guarded), guarded.Len(), 0
	case revocationsDeferred:
		return target.Union(guarded), 0, guarded.Len()
	}
	return target, 0, 0
}

// Verdicts of decideRevocations.
const (
	revocationsApplied = iota
	revocationsDeferred
	revocationsHeld
)

// decideRevocations says what happens to revoke data-driven revocations out of bound subjects: they
// wait while the data is settling, unless the guard is off (100); then they are held when the guards'
// percentage rule says so (verdict.GuardHolds) and applied otherwise.
func decideRevocations(revoke, bound int, settling bool, maxRevokePercent int32) int {
	switch {
	case revoke == 0 || maxRevokePercent >= 100:
		return revocationsApplied
	case settling:
		return revocationsDeferred
	case verdict.GuardHolds(revoke, bound, maxRevokePercent):
		return revocationsHeld
	}
	return revocationsApplied
}

// targetNamespaces resolves spec.target to existing namespaces, sorted. Namespaces the manager cannot
// see (--watch-namespace) are problems with reason NotPermitted; explicit namespaces that do not exist
// are skipped until they do.
func targetNamespaces(t dirsyncv1alpha1.AccessTarget, view namespaceView) ([]string, []problem, error) {
	out := sets.New[string]()
	var problems []problem
	for _, ns := range t.Namespaces {
		switch {
		case view.labels != nil && view.labels[ns] != nil:
			out.Insert(ns)
		case view.labels == nil && view.watched[ns]:
			out.Insert(ns)
		case view.labels == nil:
			problems = append(problems, problem{dirsyncv1alpha1.ReasonNotPermitted, fmt.Sprintf(
				"Namespace %s is not among the manager's --watch-namespace namespaces, so dirsync cannot bind anything there; nothing is granted until it is.", ns)})
		}
	}
	if t.NamespaceSelector == nil {
		return sets.List(out), problems, nil
	}
	sel, err := metav1.LabelSelectorAsSelector(t.NamespaceSelector)
	if err != nil {
		return nil, nil, fmt.Errorf("spec.target.namespaceSelector: %w", err)
	}
	if view.labels == nil {
		problems = append(problems, problem{dirsyncv1alpha1.ReasonNotPermitted,
			"spec.target.namespaceSelector needs a manager that watches all namespaces (it runs with --watch-namespace); list the namespaces in spec.target.namespaces instead."})
	}
	for ns, l := range view.labels {
		if sel.Matches(labels.Set(l)) {
			out.Insert(ns)
		}
	}
	return sets.List(out), problems, nil
}

// bindingOps compares the desired RoleBinding of each target namespace with the existing ones. While
// frozen, no RoleBinding is created and each keeps only those of its subjects that remain in subjects.
func bindingOps(acc *dirsyncv1alpha1.DirectoryAccess, targets []string, existing []rbacv1.RoleBinding, subjects sets.Set[string], frozen bool) []bindingOp {
	name := accessBindingName(acc)
	byNS := map[string]*rbacv1.RoleBinding{}
	var ops []bindingOp
	for i := range existing {
		rb := &existing[i]
		if rb.Name == name && byNS[rb.Namespace] == nil {
			byNS[rb.Namespace] = rb
			continue
		}
		ops = append(ops, bindingOp{verb: verbDelete, ns: rb.Namespace, existing: rb})
	}
	targeted := sets.New(targets...)
	for _, ns := range targets {
		cur := byNS[ns]
		want := subjects
		if frozen {
			if cur == nil {
				continue
			}
			want = boundSubjects([]rbacv1.RoleBinding{*cur}).Intersection(subjects)
		}
		ops = append(ops, compareBinding(cur, desiredAccessBinding(acc, ns, sets.List(want))))
	}
	for ns, rb := range byNS {
		if !targeted.Has(ns) {
			ops = append(ops, bindingOp{verb: verbDelete, ns: ns, existing: rb})
		}
	}
	slices.SortStableFunc(ops, func(a, b bindingOp) int { return strings.Compare(a.ns, b.ns) })
	return ops
}

// compareBinding says what turns existing (nil: none) into desired.
func compareBinding(existing, desired *rbacv1.RoleBinding) bindingOp {
	op := bindingOp{ns: desired.Namespace, existing: existing, desired: desired}
	switch {
	case existing == nil:
		op.verb = verbCreate
	case existing.RoleRef != desired.RoleRef:
		op.verb = verbReplace
	case !slices.Equal(existing.Subjects, desired.Subjects) || !hasAll(existing.Labels, desired.Labels) ||
		!hasAll(existing.Annotations, desired.Annotations):
		op.verb = verbPatch
	}
	return op
}

// hasAll reports whether have contains every key of want with the same value.
func hasAll(have, want map[string]string) bool {
	for k, v := range want {
		if have[k] != v {
			return false
		}
	}
	return true
}

// desiredAccessBinding is the RoleBinding of acc in namespace ns, binding subjects (sorted).
func desiredAccessBinding(acc *dirsyncv1alpha1.DirectoryAccess, ns string, subjects []string) *rbacv1.RoleBinding {
	rb := &rbacv1.RoleBinding{
		ObjectMeta: metav1.ObjectMeta{
			Name:      accessBindingName(acc),
			Namespace: ns,
			Labels: map[string]string{
				dirsyncv1alpha1.LabelManagedBy: dirsyncv1alpha1.ManagedByDirsync,
				dirsyncv1alpha1.LabelAccess:    accessLabelValue(acc.Namespace, acc.Name),
			},
			Annotations: map[string]string{dirsyncv1alpha1.AnnotationAccess: acc.Namespace + "/" + acc.Name},
		},
		RoleRef:  rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: string(acc.Spec.RoleRef.Kind), Name: acc.Spec.RoleRef.Name},
		Subjects: make([]rbacv1.Subject, 0, len(subjects)),
	}
	for _, s := range subjects {
		rb.Subjects = append(rb.Subjects, rbacv1.Subject{Kind: rbacv1.UserKind, APIGroup: rbacv1.GroupName, Name: s})
	}
	return rb
}

// revocationsOnly turns a plan into one that grants nothing: creates are dropped, and a RoleBinding
// in a namespace where allowed says dirsync may write keeps only those of its subjects that remain
// desired (a roleRef change waits). Used when some namespace is out of reach, so that no one gains
// access anywhere until every grant can be written, while leavers still lose it where dirsync can act.
func revocationsOnly(ops []bindingOp, allowed func(ns string) bool) []bindingOp {
	out := make([]bindingOp, 0, len(ops))
	for _, op := range ops {
		switch {
		case op.verb == verbKeep:
		case op.verb == verbCreate || !allowed(op.ns):
			op = bindingOp{verb: verbKeep, ns: op.ns, existing: op.existing}
			if op.existing == nil {
				continue
			}
		case op.verb == verbPatch || op.verb == verbReplace:
			keep := boundSubjects([]rbacv1.RoleBinding{*op.existing}).Intersection(boundSubjects([]rbacv1.RoleBinding{*op.desired}))
			desired := op.existing.DeepCopy()
			desired.Subjects = desiredAccessBinding(&dirsyncv1alpha1.DirectoryAccess{}, op.ns, sets.List(keep)).Subjects
			op = compareBinding(op.existing, desired)
		}
		out = append(out, op)
	}
	return out
}

// accessSummary is the state the ops leave behind, for the status and the metrics.
type accessSummary struct {
	bindings         []dirsyncv1alpha1.AccessBinding // sorted by namespace
	subjects         int                             // distinct subjects over those bindings
	granted, revoked int                             // subjects added and removed, over all RoleBindings
	writes           int                             // RoleBinding writes the ops need
}

// summarize describes what the ops leave behind.
func summarize(ops []bindingOp) accessSummary {
	var s accessSummary
	all := sets.New[string]()
	for _, op := range ops {
		before, after := sets.New[string](), sets.New[string]()
		if op.existing != nil {
			before = boundSubjects([]rbacv1.RoleBinding{*op.existing})
		}
		final := op.existing
		if op.verb != verbKeep {
			final = op.desired
			s.writes++
		}
		if final != nil {
			after = boundSubjects([]rbacv1.RoleBinding{*final})
			all = all.Union(after)
			s.bindings = append(s.bindings, dirsyncv1alpha1.AccessBinding{Namespace: final.Namespace, Name: final.Name, Subjects: int32(len(final.Subjects))})
		}
		s.granted += after.Difference(before).Len()
		s.revoked += before.Difference(after).Len()
	}
	s.subjects = all.Len()
	slices.SortStableFunc(s.bindings, func(a, b dirsyncv1alpha1.AccessBinding) int { return strings.Compare(a.Namespace, b.Namespace) })
	return s
}

// keepAll is a plan that leaves every existing RoleBinding as it is.
func keepAll(existing []rbacv1.RoleBinding) []bindingOp {
	ops := make([]bindingOp, 0, len(existing))
	for i := range existing {
		ops = append(ops, bindingOp{verb: verbKeep, ns: existing[i].Namespace, existing: &existing[i]})
	}
	return ops
}
