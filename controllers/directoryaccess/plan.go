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
	"cmp"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
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
	// vouched is what dirsync vouches for in existing: the subjects it keeps on record if this op's
	// write fails (see summarize).
	vouched sets.Set[string]
	// orphan marks the deletion of a RoleBinding left behind by a DirectoryAccess that is gone.
	orphan bool
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
	data       accessData                 // only users and groups the Directory controls
	namespaces namespaceView
	// bindings are the RoleBindings that claim to be this DirectoryAccess's, sorted out (ownership.go).
	bindings sortedBindings
	// record is what dirsync last bound, from the status.
	record record
	// settling is set while DirectoryUser changes of the Directory are still arriving (the last one
	// less than revocationSettle ago, and the first less than the settle limit): a sync's changes are
	// then not all in yet.
	settling bool
	// maxBindingBytes bounds the subjects dirsync writes (see bindingBytes); zero means defaultMaxBindingBytes.
	maxBindingBytes int
}

// defaultMaxBindingBytes is how large the subjects of all of a DirectoryAccess's RoleBindings together
// may be: about 1 MiB, under the API server's 1.5 MiB request limit, and so is status.boundSubjects.
const defaultMaxBindingBytes = 1 << 20

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
	// staleAt is when the Directory's data will be too old (maxDirectoryStaleness); zero when it already is or has none.
	staleAt time.Time
	// foreign are RoleBindings labelled for this DirectoryAccess that are not its ("namespace/name").
	foreign []string
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
	state, staleAt := directoryState(acc, in.directory, now)
	p := plan{next: rep.next, staleAt: staleAt, denied: len(targetProblems) > 0, foreign: foreignNames(in.bindings.foreign)}
	want := p.wantedSubjects(acc, in, rep, state, targets)
	for s := range in.record.bound {
		if rep.endDated[s] && p.held == 0 && p.deferred == 0 { // a held or deferred revocation removes no one yet
			p.endDated++
		}
	}
	p.ops = bindingOps(acc, targets, in.bindings, want, state == dirFresh)
	p.problems = append(p.problems, targetProblems...)
	p.problems = append(p.problems, p.dataProblems(acc, rep, state)...)
	if size, limit := bindingBytes(want), cmp.Or(in.maxBindingBytes, defaultMaxBindingBytes); size > limit {
		p.denied = true
		p.ops = revocationsOnly(p.ops, func(string) bool { return true })
		p.problems = append(p.problems, problem{dirsyncv1alpha1.ReasonBindingTooLarge, fmt.Sprintf(
			"The selected people would make RoleBindings of about %d KiB, more than the %d KiB dirsync writes, so nothing is granted "+
				"(revocations still happen). Bind fewer people per DirectoryAccess (split spec.groups), or grant large groups through your identity provider's groups.",
			size>>10, limit>>10)})
	}
	return p
}

// dataProblems are what the Ready condition says about the directory data and the subjects.
func (p *plan) dataProblems(acc *dirsyncv1alpha1.DirectoryAccess, rep subjectReport, state dirState) []problem {
	var out []problem
	name := acc.Spec.DirectoryRef.Name
	switch state {
	case dirNotFound:
		out = append(out, problem{dirsyncv1alpha1.ReasonDirectoryNotFound, fmt.Sprintf(
			"Directory %s does not exist, so no one can be known to work here: every subject this DirectoryAccess bound is revoked. "+
				"Create the Directory (or fix spec.directoryRef) to bind its people again.", name)})
	case dirStale:
		out = append(out, problem{dirsyncv1alpha1.ReasonDirectoryStale, fmt.Sprintf(
			"Directory %s has applied no data from its HR system for longer than spec.lifecycle.maxDirectoryStaleness (%s): a failing provider, "+
				"spec.suspend or spec.dryRun. Every subject this DirectoryAccess bound is revoked until the Directory syncs again (see its Ready condition).",
			name, acc.MaxDirectoryStalenessOrDefault())})
	case dirFrozen:
		out = append(out, problem{dirsyncv1alpha1.ReasonDirectoryNotReady, fmt.Sprintf(
			"Directory %s is not Ready, so its data may be stale: the RoleBindings are kept as they are and no one is added, "+
				"but people past their endDate or marked Inactive are still removed. After spec.lifecycle.maxDirectoryStaleness (%s) "+
				"without fresh data everyone is revoked.", name, acc.MaxDirectoryStalenessOrDefault())})
	}
	if p.held > 0 {
		out = append(out, problem{dirsyncv1alpha1.ReasonRevocationHeld, fmt.Sprintf(
			"The directory data would revoke more than spec.revocationGuard.maxRevokePercent (%d%%) of the bound subjects at once, "+
				"so those revocations are held and status.heldRevocations says how many. Check the HR system; if the change is right, "+
				"raise maxRevokePercent.", acc.MaxRevokePercentOrDefault())})
	}
	if len(rep.conflicts) > 0 {
		out = append(out, problem{dirsyncv1alpha1.ReasonSubjectConflict,
			"These subjects are rendered by more than one person of the Directory (external ids after the subject), so they are bound for none of them: " +
				capList(rep.conflicts, "; ") + ". Give each person a distinct e-mail in the HR system, or render subjects from .ExternalID."})
	}
	if len(rep.invalid) > 0 {
		out = append(out, problem{dirsyncv1alpha1.ReasonInvalidTemplate,
			"spec.subject.template gives no valid subject for these selected people, so they are not bound: " + capList(rep.invalid, ", ") + "."})
	}
	return out
}

// dirState is how far the Directory's data can be trusted.
type dirState int

const (
	dirFresh    dirState = iota // Ready (or its deletion guard holding): its data is current
	dirFrozen                   // not Ready, within maxDirectoryStaleness: keep, add no one
	dirNotFound                 // gone: nobody can be known to belong
	dirStale                    // no data applied for longer than maxDirectoryStaleness
)

// directoryState says how far the Directory's data can be trusted at now, and when it goes stale.
// Fail closed: a Directory that is gone, or has applied no data (failing, suspended or in dry run) for
// longer than spec.lifecycle.maxDirectoryStaleness, leaves no one bound. DeletionGuardTriggered does not
// freeze: that sync applied everything but held deletions, and the held users carry RemovedFromProvider,
// which the revocation guard weighs.
func directoryState(acc *dirsyncv1alpha1.DirectoryAccess, dir *dirsyncv1alpha1.Directory, now time.Time) (dirState, time.Time) {
	if dir == nil {
		return dirNotFound, time.Time{}
	}
	applied := dir.Status.LastAppliedSyncTime
	if applied == nil {
		applied = dir.Status.LastSuccessfulSyncTime // written by a version without lastAppliedSyncTime
	}
	var staleAt time.Time
	if applied != nil {
		staleAt = applied.Add(acc.MaxDirectoryStalenessOrDefault())
		if !now.Before(staleAt) {
			return dirStale, time.Time{}
		}
	}
	c := meta.FindStatusCondition(dir.Status.Conditions, dirsyncv1alpha1.ConditionReady)
	if c == nil || c.Status != metav1.ConditionTrue && c.Reason != dirsyncv1alpha1.ReasonDeletionGuardTriggered {
		return dirFrozen, staleAt
	}
	return dirFresh, staleAt
}

// wantedSubjects is, per namespace, who its RoleBinding should bind: for every RoleBinding dirsync owns
// in a target namespace and, when the data is fresh, every target namespace that has none yet. Only
// subjects the data wants or that dirsync itself bound are ever in it: a subject someone else added is
// dropped, and one dirsync keeps while a revocation is held or deferred stays only in a RoleBinding that
// still has it as dirsync wrote it — it is never copied to another.
//
// Revocations that the directory data causes (people turned Inactive, deleted, moved, past their
// endDate, in conflict) are weighed by the revocation guard against dirsync's record of what it bound,
// never against what it reads back; a Directory writes one sync's changes one DirectoryUser at a time,
// so while those writes are still arriving (settling) they wait, and once the data has settled the guard
// weighs them all at once. Revocations a spec change causes, and those of a Directory that is gone or
// stale, always go through.
func (p *plan) wantedSubjects(acc *dirsyncv1alpha1.DirectoryAccess, in accessInput, rep subjectReport, state dirState, targets []string) map[string]sets.Set[string] {
	desired := sets.KeySet(rep.desired)
	bound := in.record.bound
	want := map[string]sets.Set[string]{}
	var revoke sets.Set[string]
	switch state {
	case dirNotFound, dirStale:
		for ns := range in.bindings.owned {
			want[ns] = sets.New[string]()
		}
		return want
	case dirFrozen:
		removed := sets.KeySet(rep.endDated).Union(sets.KeySet(rep.inactive))
		for ns, b := range in.bindings.owned {
			want[ns] = vouchedFor(b, desired, in.record).Difference(removed)
		}
		revoke = bound.Intersection(removed)
	case dirFresh:
		for _, ns := range targets {
			want[ns] = desired.Clone()
		}
		revoke = bound.Difference(desired)
	}
	// observedGeneration is the generation of the last reconcile that reached its verdict: when the spec
	// changed since, what the bound set loses now is the spec change's doing, not the data's.
	if !in.record.known || acc.Status.ObservedGeneration != acc.Generation || revoke.Len() == 0 {
		return want
	}
	switch decideRevocations(revoke.Len(), bound.Len(), in.settling, acc.MaxRevokePercentOrDefault()) {
	case revocationsHeld:
		p.held = revoke.Len()
	case revocationsDeferred:
		p.deferred = revoke.Len()
	default:
		return want
	}
	for ns, b := range in.bindings.owned {
		if w, ok := want[ns]; ok {
			want[ns] = w.Union(vouchedFor(b, desired, in.record).Intersection(revoke))
		}
	}
	return want
}

// vouchedFor is what dirsync can vouch for in a RoleBinding it owns: all of its User subjects when they
// are exactly what it last wrote, otherwise only those that both the data and the record want.
func vouchedFor(b ownedBinding, desired sets.Set[string], rec record) sets.Set[string] {
	cur := userSubjects(b.rb)
	if b.intact {
		return cur
	}
	out := cur.Intersection(desired)
	if rec.known {
		out = out.Intersection(rec.bound)
	}
	return out
}

// bindingBytes estimates the size of the subjects of all the wanted RoleBindings together (as JSON:
// about 64 bytes each besides the name), which bounds every RoleBinding and status.boundSubjects.
func bindingBytes(want map[string]sets.Set[string]) int {
	all := sets.New[string]()
	for _, w := range want {
		all = all.Union(w)
	}
	n := 0
	for s := range all {
		n += len(s) + 64
	}
	return n
}

// Verdicts of decideRevocations.
const (
	revocationsApplied = iota
	revocationsDeferred
	revocationsHeld
)

// decideRevocations says what happens to revoke data-driven revocations out of bound subjects: they
// wait while the data is settling, unless the guard is off (100); then they are held when the guards'
// percentage rule says so (verdict.GuardHolds) and applied otherwise. At or below the guard's floor they
// are never held, even at maxRevokePercent 0: a few leavers always lose their access.
func decideRevocations(revoke, bound int, settling bool, maxRevokePercent int32) int {
	switch {
	case revoke == 0 || maxRevokePercent >= 100:
		return revocationsApplied
	case settling:
		return revocationsDeferred
	case revoke > verdict.GuardFloor && verdict.GuardHolds(revoke, bound, maxRevokePercent):
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

// bindingOps compares the wanted subjects of each namespace with the RoleBinding dirsync owns there,
// creating one in a target namespace that has none when create is set (fresh data); RoleBindings in
// namespaces no longer targeted, and orphans, are deleted. Foreign RoleBindings are never touched.
func bindingOps(acc *dirsyncv1alpha1.DirectoryAccess, targets []string, bs sortedBindings, want map[string]sets.Set[string], create bool) []bindingOp {
	var ops []bindingOp
	targeted := sets.New(targets...)
	for ns, b := range bs.owned {
		vouched := userSubjects(b.rb)
		if !b.intact {
			vouched = sets.New[string]()
		}
		w, ok := want[ns]
		if !targeted.Has(ns) || !ok {
			ops = append(ops, bindingOp{verb: verbDelete, ns: ns, existing: b.rb, vouched: vouched})
			continue
		}
		op := compareBinding(b.rb, desiredAccessBinding(acc, ns, b.rb.Name, sets.List(w)))
		op.vouched = vouched
		ops = append(ops, op)
	}
	for _, ns := range targets {
		if _, ok := bs.owned[ns]; !ok && create {
			ops = append(ops, compareBinding(nil, desiredAccessBinding(acc, ns, accessBindingName(acc), sets.List(want[ns]))))
		}
	}
	for i := range bs.orphans {
		ops = append(ops, bindingOp{verb: verbDelete, ns: bs.orphans[i].Namespace, existing: &bs.orphans[i], orphan: true})
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

// desiredAccessBinding is the RoleBinding name of acc in namespace ns, binding subjects (sorted).
func desiredAccessBinding(acc *dirsyncv1alpha1.DirectoryAccess, ns, name string, subjects []string) *rbacv1.RoleBinding {
	rb := &rbacv1.RoleBinding{
		ObjectMeta: metav1.ObjectMeta{
			Name:      name,
			Namespace: ns,
			Labels: map[string]string{
				dirsyncv1alpha1.LabelManagedBy: dirsyncv1alpha1.ManagedByDirsync,
				dirsyncv1alpha1.LabelAccess:    accessLabelValue(acc.Namespace, acc.Name),
				dirsyncv1alpha1.LabelAccessUID: string(acc.UID),
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

// grants reports whether op adds a subject (or creates a RoleBinding that binds someone).
func (op bindingOp) grants() bool {
	switch op.verb {
	case verbCreate, verbReplace:
		return len(op.desired.Subjects) > 0
	case verbPatch:
		return userSubjects(op.desired).Difference(userSubjects(op.existing)).Len() > 0
	}
	return false
}

// revocationOnly is op without any grant: a create is dropped (ok false), a patch or replace keeps only
// the subjects of existing that desired keeps (a roleRef change waits), with desired's labels.
func (op bindingOp) revocationOnly() (bindingOp, bool) {
	switch op.verb {
	case verbCreate:
		return op, false
	case verbPatch, verbReplace:
		keep := userSubjects(op.existing).Intersection(userSubjects(op.desired))
		desired := op.existing.DeepCopy()
		desired.Subjects = desiredAccessBinding(&dirsyncv1alpha1.DirectoryAccess{}, op.ns, "", sets.List(keep)).Subjects
		desired.Labels = mergeMaps(desired.Labels, op.desired.Labels)
		desired.Annotations = mergeMaps(desired.Annotations, op.desired.Annotations)
		out := compareBinding(op.existing, desired)
		out.vouched = op.vouched
		return out, true
	}
	return op, true
}

// revocationsOnly turns a plan into one that grants nothing: creates are dropped, and a RoleBinding
// in a namespace where allowed says dirsync may write keeps only those of its subjects that remain
// desired (a roleRef change waits). Used when some namespace is out of reach, so that no one gains
// access anywhere until every grant can be written, while leavers still lose it where dirsync can act.
func revocationsOnly(ops []bindingOp, allowed func(ns string) bool) []bindingOp {
	out := make([]bindingOp, 0, len(ops))
	for _, op := range ops {
		switch {
		case op.verb == verbKeep || op.verb == verbDelete && allowed(op.ns):
		case !allowed(op.ns):
			if op.existing == nil {
				continue
			}
			op = bindingOp{verb: verbKeep, ns: op.ns, existing: op.existing, vouched: op.vouched}
		default:
			var ok bool
			if op, ok = op.revocationOnly(); !ok {
				continue
			}
		}
		out = append(out, op)
	}
	return out
}

// mergeMaps returns a copy of base with every key of over set to over's value.
func mergeMaps(base, over map[string]string) map[string]string {
	out := make(map[string]string, len(base)+len(over))
	maps.Copy(out, base)
	maps.Copy(out, over)
	return out
}

// opResult is what one op's writes left behind.
type opResult struct {
	// final is what the RoleBinding holds after the writes (nil: it does not exist).
	final *rbacv1.RoleBinding
	// wrote is set when at least one write to it succeeded: final is then all dirsync's writing.
	wrote bool
	// err is the write that failed, if any.
	err error
}

// unwritten is the result of ops nothing was attempted for.
func unwritten(ops []bindingOp) []opResult {
	out := make([]opResult, len(ops))
	for i, op := range ops {
		out[i] = opResult{final: op.existing}
	}
	return out
}

// accessSummary is what the writes left behind, for the status and the metrics.
type accessSummary struct {
	// bindings are the RoleBindings dirsync owns now, sorted by namespace, with their UIDs and digests.
	bindings []dirsyncv1alpha1.AccessBinding
	// bound is every subject dirsync vouches for in them: the new status.boundSubjects.
	bound            sets.Set[string]
	granted, revoked int // subjects added and removed, over all RoleBindings
	writes           int // RoleBinding writes made
	// failed are "namespace/name: error" of the RoleBindings whose writes failed.
	failed []string
}

// summarize describes what the writes left behind, and the new record. A RoleBinding dirsync wrote is
// recorded as written (its UID and the digest of its subjects); one it did not write keeps its old
// record entry, and only what dirsync vouched for in it counts as bound, so a subject someone else
// added is never recorded as dirsync's.
func summarize(ops []bindingOp, results []opResult, old record) accessSummary {
	s := accessSummary{bound: sets.New[string]()}
	for i, op := range ops {
		res := results[i]
		before, after := sets.New[string](), sets.New[string]()
		if op.existing != nil {
			before = userSubjects(op.existing)
		}
		if res.final != nil {
			after = userSubjects(res.final)
		}
		s.granted += after.Difference(before).Len()
		s.revoked += before.Difference(after).Len()
		if res.wrote {
			s.writes++
		}
		if res.err != nil {
			s.failed = append(s.failed, fmt.Sprintf("%s/%s: %s", op.ns, bindingName(op), shortError(res.err)))
		}
		if entry, ok := recordEntry(op, res, old); ok {
			s.bindings = append(s.bindings, entry)
			if res.final != nil {
				s.bound = s.bound.Union(vouchedAfter(op, res))
			}
		}
	}
	slices.SortStableFunc(s.bindings, func(a, b dirsyncv1alpha1.AccessBinding) int { return strings.Compare(a.Namespace, b.Namespace) })
	slices.Sort(s.failed)
	return s
}

// recordEntry is status.bindings' entry for op's RoleBinding after the writes, if it is dirsync's.
func recordEntry(op bindingOp, res opResult, old record) (dirsyncv1alpha1.AccessBinding, bool) {
	prev, hadEntry := old.bindings[op.ns]
	switch {
	case op.orphan:
		return dirsyncv1alpha1.AccessBinding{}, false // never recorded
	case res.wrote && res.final != nil:
		return dirsyncv1alpha1.AccessBinding{Namespace: op.ns, Name: res.final.Name, UID: string(res.final.UID),
			Subjects: int32(len(res.final.Subjects)), Digest: subjectsDigest(res.final.Subjects)}, true
	case res.final == nil && op.verb == verbCreate && res.err != nil && !definitelyNotCreated(res.err):
		// The create may have happened: the entry stays by name, so the RoleBinding is adopted if it exists.
		return dirsyncv1alpha1.AccessBinding{Namespace: op.ns, Name: op.desired.Name}, true
	case res.final == nil:
		return dirsyncv1alpha1.AccessBinding{}, false
	case hadEntry && prev.Name == res.final.Name:
		return prev, true // not written: its record is what it was
	}
	return dirsyncv1alpha1.AccessBinding{Namespace: op.ns, Name: res.final.Name, UID: string(res.final.UID),
		Subjects: int32(len(res.final.Subjects))}, true
}

// vouchedAfter is what dirsync vouches for in op's RoleBinding after the writes: everything in it when
// dirsync wrote it, otherwise what it vouched for before.
func vouchedAfter(op bindingOp, res opResult) sets.Set[string] {
	if res.wrote {
		return userSubjects(res.final)
	}
	if op.vouched == nil {
		return sets.New[string]()
	}
	return op.vouched.Intersection(userSubjects(res.final))
}

// definitelyNotCreated reports whether a create's error proves that nothing was created.
func definitelyNotCreated(err error) bool {
	return apierrors.IsAlreadyExists(err) || apierrors.IsForbidden(err) || apierrors.IsInvalid(err) || apierrors.IsBadRequest(err) ||
		apierrors.IsNotFound(err) || apierrors.IsRequestEntityTooLargeError(err)
}

// shortError is err's message, at most 200 characters, for a condition message.
func shortError(err error) string {
	msg := err.Error()
	if len(msg) > 200 {
		msg = msg[:200] + "…"
	}
	return msg
}

func bindingName(op bindingOp) string {
	if op.desired != nil {
		return op.desired.Name
	}
	return op.existing.Name
}

// writes is how many RoleBinding writes the ops need (a replace counts once).
func writes(ops []bindingOp) int {
	n := 0
	for _, op := range ops {
		if op.verb != verbKeep {
			n++
		}
	}
	return n
}

// keepAll is a plan that leaves every RoleBinding dirsync owns as it is.
func keepAll(bs sortedBindings) []bindingOp {
	ops := make([]bindingOp, 0, len(bs.owned))
	for ns, b := range bs.owned {
		vouched := userSubjects(b.rb)
		if !b.intact {
			vouched = sets.New[string]()
		}
		ops = append(ops, bindingOp{verb: verbKeep, ns: ns, existing: b.rb, vouched: vouched})
	}
	slices.SortStableFunc(ops, func(a, b bindingOp) int { return strings.Compare(a.ns, b.ns) })
	return ops
}
