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

// Package directoryaccess holds the DirectoryAccess reconciler, which keeps one RoleBinding per target
// namespace whose subjects are the eligible members of the selected DirectoryGroups. Reconcile reads as a
// table of contents; one reconcile that binds runs through an accessScope:
//
//   - I/O: observe.go (the planner's input from the cache), authorize.go (SelfSubjectAccessReviews
//     before any write), apply.go (the writes and their Events), finalize.go (the finalizer), settle.go
//     (whether revocations wait for the directory data to settle, on the injected clock), watch.go
//     (indexes, predicates, event mapping), metrics.go;
//   - pure, table-tested leaves that use nothing of the I/O files (TestPureFilesAreLeaves): subjects.go
//     (the subject template, who is bound), ownership.go (which RoleBindings are this DirectoryAccess's,
//     and what dirsync vouches for in them), plan.go (the Directory's freshness, the revocation guard,
//     the operations, the new record), names.go, status.go.
//
// It never imports the Directory controller; its stories (access_test.go) run one, end to end.
package directoryaccess

import (
	"cmp"
	"context"
	"time"

	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/clock"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
	"sigs.k8s.io/controller-runtime/pkg/recorder"

	dirsyncv1alpha1 "github.com/dirsync/dirsync/api/v1alpha1"

	"github.com/dirsync/dirsync/controllers/internal/verdict"
)

const (
	// defaultNotPermittedRetry is how often a DirectoryAccess that is NotPermitted checks again: the
	// RoleBinding an administrator creates to opt a namespace in is not dirsync's, so no watch event announces it.
	defaultNotPermittedRetry = 15 * time.Second
	// revocationSettle is how long after the last DirectoryUser change of a Directory its data counts as
	// settled. A Directory writes one sync's changes back to back (8 in parallel, at least 20 a second),
	// so a pause this long means the sync is done, and the revocation guard can weigh all of it at once.
	// Revocations nothing explains (a date passing, a restart) wait this long too, from when they are seen.
	revocationSettle = time.Second
	// defaultSettleLimit bounds how long revocations wait for the directory data to settle, however fast
	// DirectoryUser changes keep arriving: a leaver's access never waits for a sync's churn longer than this.
	defaultSettleLimit = 30 * time.Second
)

// Reconciler keeps, for each DirectoryAccess, one RoleBinding per target namespace
// whose subjects are exactly the eligible members of the selected DirectoryGroups.
type Reconciler struct {
	// Client reads from the manager's cache (RoleBindings: only those labelled managed-by=dirsync)
	// and writes to the API server.
	Client client.Client
	// APIReader reads uncached: to tell whether a RoleBinding that dirsync wants to create exists
	// without its label.
	APIReader client.Reader
	// Clock is the time of every decision: lifecycle dates, conditions, and when the directory data has
	// settled (see userChanges).
	Clock clock.PassiveClock
	// Recorder emits one Normal Event per reconcile that changed RoleBindings, and a Warning when Ready
	// turns False or changes reason.
	Recorder recorder.EventRecorder
	// WatchNamespaces are the namespaces the manager watches; empty means all, and then Namespaces
	// are watched too (for spec.target.namespaceSelector).
	WatchNamespaces []string
	// NotPermittedRetry is how often a NotPermitted DirectoryAccess checks its permissions again, and
	// one whose writes failed retries; zero means 15s.
	NotPermittedRetry time.Duration
	// SettleLimit bounds how long revocations wait for the directory data to settle; zero means 30s.
	SettleLimit time.Duration
	// MaxBindingBytes bounds the subjects of one DirectoryAccess's RoleBindings (and of its
	// status.boundSubjects); zero means 1 MiB.
	MaxBindingBytes int
	// AdmissionPolicy is the name of the ValidatingAdmissionPolicy that refuses a DirectoryAccess whose
	// author could not bind its role themselves (config/admission). Nothing is granted while it, or a
	// binding that puts it in force, is missing. Empty turns the check off.
	AdmissionPolicy string
	// GrantorRole is the name of the ClusterRole an administrator binds to opt a namespace in, for
	// messages; empty means dirsync-access-grantor.
	GrantorRole string

	// changes are the DirectoryUser changes seen and not yet handled, per DirectoryAccess (settle.go).
	changes userChanges
	// foreign remembers which foreign RoleBindings were last reported, per DirectoryAccess.
	foreign  foreignReports
	reviewer client.Client // uncached, for SelfSubjectAccessReviews (the cached client would wait for them in a cache)
}

// +kubebuilder:rbac:groups=dirsync.io,resources=directoryaccesses,verbs=get;list;watch;update;patch
// +kubebuilder:rbac:groups=dirsync.io,resources=directoryaccesses/status,verbs=get;update;patch
// +kubebuilder:rbac:groups=rbac.authorization.k8s.io,resources=rolebindings,verbs=get;list;watch
// +kubebuilder:rbac:groups="",resources=namespaces,verbs=get;list;watch

// Writing RoleBindings is deliberately not in these markers: an administrator grants it per namespace
// by binding the ClusterRole dirsync-access-grantor (config/rbac/access_grantor_role.yaml).

// Reconcile recomputes a DirectoryAccess's RoleBindings in full from the directory data and writes
// only those that differ.
func (r *Reconciler) Reconcile(ctx context.Context, req ctrl.Request) (res ctrl.Result, retErr error) {
	acc := &dirsyncv1alpha1.DirectoryAccess{}
	if err := r.Client.Get(ctx, req.NamespacedName, acc); err != nil {
		if apierrors.IsNotFound(err) {
			forgetAccessMetrics(req.NamespacedName)
			r.foreign.forget(req.NamespacedName)
			return ctrl.Result{}, r.sweep(ctx, req.NamespacedName)
		}
		return ctrl.Result{}, err
	}
	changes := r.changes.state(req.NamespacedName) // before anything is read: a later change requeues
	if acc.DeletionTimestamp.IsZero() {
		if err := r.ensureFinalizer(ctx, acc); err != nil {
			return ctrl.Result{}, err
		}
	}
	s := &accessScope{ctx: ctx, key: req.NamespacedName, acc: acc, base: acc.DeepCopy(), now: r.Clock.Now(), changes: changes}
	defer func() { retErr = cmp.Or(retErr, r.writeStatus(s)) }() // from s.base: the status as the server has it

	switch {
	case !acc.DeletionTimestamp.IsZero():
		return r.finalize(ctx, acc, s.now)
	case acc.IsSuspended():
		markSuspended(acc, s.now)
		return ctrl.Result{}, nil
	}
	return r.bind(s)
}

// writeStatus writes the DirectoryAccess's status, when it changed since s.base, and makes that the base.
func (r *Reconciler) writeStatus(s *accessScope) error {
	if err := verdict.PatchStatus(s.ctx, r.Client, s.base, s.acc, func(a *dirsyncv1alpha1.DirectoryAccess) any { return &a.Status }); err != nil {
		return err
	}
	s.base = s.acc.DeepCopy()
	return nil
}

// accessScope is one reconcile of a DirectoryAccess: what it started with, handed from phase to phase
// (observe → plan → authorize → record the intent → apply → status, events and settle).
type accessScope struct {
	ctx context.Context
	key types.NamespacedName
	acc *dirsyncv1alpha1.DirectoryAccess
	// base is the DirectoryAccess's status as the server has it: the status patch starts from it.
	base *dirsyncv1alpha1.DirectoryAccess
	now  time.Time
	// changes are the DirectoryUser changes noted when the reconcile started (see userChanges).
	changes changeState
}

// bind plans the RoleBindings from the directory data, checks that dirsync may write them, records the
// RoleBindings it is about to create, writes the difference and records the verdict.
func (r *Reconciler) bind(s *accessScope) (ctrl.Result, error) {
	in, err := r.observe(s.ctx, s.acc)
	if err != nil {
		return ctrl.Result{}, err
	}
	in.settling = s.changes.settling(s.now, r.settleLimit())
	p := planAccess(s.acc, in, s.now)
	if p.fatal {
		ops := keepAll(in.bindings)
		markReconciled(s.acc, reconcileResult{problems: p.problems, summary: summarize(ops, unwritten(ops), in.record)}, s.now)
		return ctrl.Result{}, nil
	}
	ops, denied, err := r.authorize(s.ctx, s.acc, p)
	if err != nil {
		return ctrl.Result{}, err
	}
	if markCreating(s.acc, ops) {
		if err := r.writeStatus(s); err != nil { // the record names what is created before it exists
			return ctrl.Result{}, err
		}
	}
	results := r.applyOps(s.ctx, ops)
	sum := summarize(ops, results, in.record)
	if sum.writes > 0 || len(sum.failed) > 0 {
		ctrl.LoggerFrom(s.ctx).Info("Updated RoleBindings", "writes", sum.writes, "granted", sum.granted, "revoked", sum.revoked,
			"subjects", sum.bound.Len(), "failed", len(sum.failed))
	}
	r.trackSettle(s.key, s.changes, p, sum)
	problems := append(append(denied, applyProblem(sum.failed)...), p.problems...)
	markReconciled(s.acc, reconcileResult{problems: problems, summary: sum, held: p.held, deferred: p.deferred, next: p.next}, s.now)
	r.recordEvents(s, sum, p)
	recordAccess(s.acc)
	return r.requeue(p, len(denied) > 0 || len(sum.failed) > 0, r.changes.state(s.key), s.now), nil
}

// SetupWithManager watches DirectoryAccesses (spec changes and deletion), the DirectoryUsers, DirectoryGroups
// and Directories they read, the RoleBindings they manage (label-filtered cache), and Namespaces (labels).
func (r *Reconciler) SetupWithManager(mgr ctrl.Manager) error {
	if err := indexAccessFields(context.Background(), mgr.GetFieldIndexer()); err != nil {
		return err
	}
	reviewer, err := client.New(mgr.GetConfig(), client.Options{HTTPClient: mgr.GetHTTPClient(), Scheme: mgr.GetScheme(), Mapper: mgr.GetRESTMapper()})
	if err != nil {
		return err
	}
	r.reviewer = reviewer
	b := ctrl.NewControllerManagedBy(mgr).
		Named("directoryaccess").
		For(&dirsyncv1alpha1.DirectoryAccess{}, builder.WithPredicates(predicate.Or[client.Object](
			predicate.GenerationChangedPredicate{}, deletionStarted()))).
		Watches(&dirsyncv1alpha1.DirectoryUser{}, handler.EnqueueRequestsFromMapFunc(r.accessesForUser),
			builder.WithPredicates(predicate.ResourceVersionChangedPredicate{})).
		Watches(&dirsyncv1alpha1.DirectoryGroup{}, handler.EnqueueRequestsFromMapFunc(r.accessesForDirectoryObject),
			builder.WithPredicates(predicate.LabelChangedPredicate{})).
		Watches(&dirsyncv1alpha1.Directory{}, handler.EnqueueRequestsFromMapFunc(r.accessesForDirectoryObject),
			builder.WithPredicates(readyChanged())).
		Watches(&rbacv1.RoleBinding{}, handler.EnqueueRequestsFromMapFunc(accessForBinding))
	if len(r.WatchNamespaces) == 0 {
		b = b.WatchesMetadata(&corev1.Namespace{}, handler.EnqueueRequestsFromMapFunc(r.accessesForNamespace),
			builder.WithPredicates(predicate.Or[client.Object](predicate.LabelChangedPredicate{}, deletionStarted())))
	}
	return b.WithOptions(controller.Options{MaxConcurrentReconciles: 2}).Complete(r)
}
