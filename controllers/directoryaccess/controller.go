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
	"context"
	"time"

	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/clock"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
	"sigs.k8s.io/controller-runtime/pkg/recorder"

	dirsyncv1alpha1 "github.com/dirsync/dirsync/api/v1alpha1"
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
)

// DirectoryAccessReconciler keeps, for each DirectoryAccess, one RoleBinding per target namespace
// whose subjects are exactly the eligible members of the selected DirectoryGroups.
type DirectoryAccessReconciler struct {
	// Client reads from the manager's cache (RoleBindings: only those labelled managed-by=dirsync)
	// and writes to the API server.
	Client client.Client
	// APIReader reads uncached: to tell whether a RoleBinding that dirsync wants to create exists
	// without its label.
	APIReader client.Reader
	Clock     clock.PassiveClock
	Recorder  recorder.EventRecorder
	// WatchNamespaces are the namespaces the manager watches; empty means all, and then Namespaces
	// are watched too (for spec.target.namespaceSelector).
	WatchNamespaces []string
	// NotPermittedRetry is how often a NotPermitted DirectoryAccess checks its permissions again; zero means 15s.
	NotPermittedRetry time.Duration

	changes  userChanges
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
func (r *DirectoryAccessReconciler) Reconcile(ctx context.Context, req ctrl.Request) (res ctrl.Result, retErr error) {
	acc := &dirsyncv1alpha1.DirectoryAccess{}
	if err := r.Client.Get(ctx, req.NamespacedName, acc); err != nil {
		if apierrors.IsNotFound(err) {
			forgetAccessMetrics(req.NamespacedName)
		}
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	changes := r.changes.state(req.NamespacedName)
	if acc.DeletionTimestamp.IsZero() {
		if err := r.ensureFinalizer(ctx, acc); err != nil {
			return ctrl.Result{}, err
		}
	}
	before := acc.DeepCopy()
	defer func() { retErr = r.patchStatus(ctx, before, acc, retErr) }()

	now := r.Clock.Now()
	switch {
	case !acc.DeletionTimestamp.IsZero():
		return r.finalize(ctx, acc, now)
	case acc.IsSuspended():
		markAccessSuspended(acc, now)
		return ctrl.Result{}, nil
	}
	in, err := r.observe(ctx, acc)
	if err != nil {
		return ctrl.Result{}, err
	}
	in.settling = !changes.hasLast || time.Since(changes.last) < revocationSettle
	p := planAccess(acc, in, now)
	if p.fatal {
		markAccess(acc, p.problems, summarize(keepAll(in.existing)), 0, 0, time.Time{}, now)
		return ctrl.Result{}, nil
	}
	ops, denied, err := r.authorize(ctx, acc, p)
	if err != nil {
		return ctrl.Result{}, err
	}
	sum, err := r.applyOps(ctx, ops)
	if err != nil {
		return ctrl.Result{}, err
	}
	r.trackSettle(req.NamespacedName, changes, p, sum)
	markAccess(acc, append(denied, p.problems...), sum, p.held, p.deferred, p.next, now)
	r.recordEvents(acc, before, sum, p)
	accessSubjects.WithLabelValues(acc.Namespace, acc.Name).Set(float64(sum.subjects))
	return r.requeue(p, len(denied) > 0, r.changes.state(req.NamespacedName).last, now), nil
}

// trackSettle keeps the settle wait going while revocations are deferred (starting one when no
// DirectoryUser change explains them), and otherwise closes it, observing the revocation latency.
func (r *DirectoryAccessReconciler) trackSettle(key types.NamespacedName, changes changeState, p accessPlan, sum accessSummary) {
	switch {
	case p.deferred > 0 && !changes.hasLast:
		r.changes.hold(key, time.Now())
	case p.deferred == 0 && changes.hasLast:
		if sum.revoked > 0 && changes.hasFirst {
			accessRevocationSeconds.Observe(time.Since(changes.first).Seconds())
		}
		r.changes.handled(key, changes.last)
	}
}

// requeue is when to look again without an event: once the directory data has settled if revocations
// wait for it, at the next startDate/endDate boundary (a second after it, so that the clock has passed
// it), and soon while something is not permitted.
func (r *DirectoryAccessReconciler) requeue(p accessPlan, denied bool, lastChange, now time.Time) ctrl.Result {
	retry := r.NotPermittedRetry
	if retry <= 0 {
		retry = defaultNotPermittedRetry
	}
	res := accessRequeue(p.next, denied || p.denied, retry, now)
	if settle := time.Until(lastChange.Add(revocationSettle)); p.deferred > 0 && (res.RequeueAfter == 0 || settle < res.RequeueAfter) {
		res.RequeueAfter = max(settle, 10*time.Millisecond)
	}
	return res
}

// accessRequeue is the requeue for the next startDate/endDate boundary (a second after it, so that the
// clock has passed it), or after retry while something is not permitted, whichever comes first.
func accessRequeue(next time.Time, denied bool, retry time.Duration, now time.Time) ctrl.Result {
	var after time.Duration
	if !next.IsZero() {
		after = next.Sub(now) + time.Second
	}
	if denied && (after == 0 || after > retry) {
		after = retry
	}
	return ctrl.Result{RequeueAfter: after}
}

// ensureFinalizer adds the finalizer that lets dirsync delete the RoleBindings (in other namespaces,
// so no ownerReference can) before the DirectoryAccess goes.
func (r *DirectoryAccessReconciler) ensureFinalizer(ctx context.Context, acc *dirsyncv1alpha1.DirectoryAccess) error {
	if controllerutil.ContainsFinalizer(acc, dirsyncv1alpha1.FinalizerAccessBindings) {
		return nil
	}
	patch := client.MergeFrom(acc.DeepCopy())
	controllerutil.AddFinalizer(acc, dirsyncv1alpha1.FinalizerAccessBindings)
	return r.Client.Patch(ctx, acc, patch)
}

// patchStatus writes the status once, only when it changed, as a merge patch.
func (r *DirectoryAccessReconciler) patchStatus(ctx context.Context, before, acc *dirsyncv1alpha1.DirectoryAccess, retErr error) error {
	if equality.Semantic.DeepEqual(before.Status, acc.Status) {
		return retErr
	}
	if err := r.Client.Status().Patch(ctx, acc, client.MergeFrom(before)); err != nil && !apierrors.IsNotFound(err) && retErr == nil {
		return err
	}
	return retErr
}

// SetupWithManager watches DirectoryAccesses (spec changes and deletion), the DirectoryUsers, DirectoryGroups
// and Directories they read, the RoleBindings they manage (label-filtered cache), and Namespaces (labels).
func (r *DirectoryAccessReconciler) SetupWithManager(mgr ctrl.Manager) error {
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
