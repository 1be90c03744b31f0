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

// Package directory holds the Directory reconciler, which syncs an HR system into DirectoryUser and
// DirectoryGroup objects. Reconcile reads as a table of contents; the work is done in phases:
//
//   - I/O: sync.go (one sync attempt, its syncScope: key → fetch → materialize), children.go (what the
//     Directory controls, read from the cache; names taken by others), apply.go (the writes, in
//     parallel), progress.go (the Syncing condition of a long sync), webhook.go (the webhook token Secret
//     and status.webhook; the budget of hinted syncs), metrics.go, memory.go;
//   - pure, table-tested leaves that use nothing of the I/O files (TestPureFilesAreLeaves): model.go
//     (snapshot → model), claims.go (employees claimed while the provider is read), desired.go (model →
//     desired objects, with the one user builder), names.go, keys.go, diff.go (desired vs existing →
//     childPlan), guard.go (the deletion guard and approvals), schedule.go, hints.go (the webhook's hints
//     in the schedule; status.webhook), status.go, errors.go (error types and reasonFor, the one classifier).
//
// directorytest is its story harness, for the tests of every controller that runs it.
package directory

import (
	"cmp"
	"context"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/util/workqueue"
	"k8s.io/utils/clock"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"
	"sigs.k8s.io/controller-runtime/pkg/recorder"

	dirsyncv1alpha1 "github.com/dirsync/dirsync/api/v1alpha1"
	"github.com/dirsync/dirsync/controllers/internal/verdict"
	"github.com/dirsync/dirsync/internal/provider"
	"github.com/dirsync/dirsync/internal/provider/registry"
)

// secretNameIndex indexes Directories by spec.credentialsSecretRef.name, and webhookSecretIndex those
// with spec.webhook.enabled by the name of their webhook token Secret.
const (
	secretNameIndex    = "spec.credentialsSecretRef.name"
	webhookSecretIndex = "webhookTokenSecret"
)

// Reconciler syncs a Directory's HR system into DirectoryUser and DirectoryGroup objects.
type Reconciler struct {
	// Client reads from the manager's cache and writes to the API server.
	Client client.Client
	// APIReader reads the credentials Secret uncached, by name.
	APIReader client.Reader
	// Scheme gives the kinds of the objects it writes (owner references, messages, metrics).
	Scheme *runtime.Scheme
	// Providers builds a provider client per sync.
	Providers registry.Registry
	// Clock is the time of every decision: the schedule, conditions, provider dates, durations.
	Clock clock.PassiveClock
	// Recorder emits the Events of a sync (Warnings on error transitions, a summary when anything changed).
	Recorder recorder.EventRecorder

	// AllowInsecureEndpoints lets spec.endpoint be http:// (local fakes only). It allows no host.
	AllowInsecureEndpoints bool
	// AllowedEndpointHosts are the hosts beyond each provider's own that spec.endpoint may name
	// (--allowed-endpoint-hosts): a Directory naming any other is InvalidSpec, and no request is sent.
	AllowedEndpointHosts []provider.AllowedHost
	// ProviderTimeout bounds each provider HTTP request; zero means the provider package default.
	ProviderTimeout time.Duration
	// MaxUsersPerDirectory is the most employees (leavers included) a Directory's provider may list; a
	// sync of more stops reading and fails with TooManyUsers. Zero means provider.DefaultMaxEmployees.
	MaxUsersPerDirectory int
	// MaxConcurrentSyncs is how many Directories sync at once.
	MaxConcurrentSyncs int
	// WriteWorkers is how many object writes one sync sends in parallel.
	WriteWorkers int
	// ProgressEvery is how long a sync runs before the Syncing condition shows its progress, and how
	// often it is refreshed; zero means 5s.
	ProgressEvery time.Duration
	// ReceiverDisabled says the manager serves no webhook receiver (--receiver-bind-address=0): a
	// Directory with spec.webhook still gets its path, with WebhookReceiver=False ReceiverDisabled.
	ReceiverDisabled bool

	httpClients sync.Map // provider type → *http.Client, shared across syncs for connection reuse
	hints       hintBudget
	// informers is the manager's cache, set by SetupWithManager: listChildren reads its store directly.
	informers cache.Informers
}

// +kubebuilder:rbac:groups=dirsync.io,resources=directories,verbs=get;list;watch
// +kubebuilder:rbac:groups=dirsync.io,resources=directories/status,verbs=get;update;patch
// +kubebuilder:rbac:groups=dirsync.io,resources=directoryusers;directorygroups,verbs=get;list;watch;create;update;patch;delete
// +kubebuilder:rbac:groups="",resources=secrets,verbs=get;list;watch;create
// +kubebuilder:rbac:groups=events.k8s.io,resources=events,verbs=create;patch

// Reconcile syncs one Directory when its schedule says so, and otherwise only requeues for the next sync.
func (r *Reconciler) Reconcile(ctx context.Context, req ctrl.Request) (res ctrl.Result, retErr error) {
	dir := &dirsyncv1alpha1.Directory{}
	if err := r.Client.Get(ctx, req.NamespacedName, dir); err != nil {
		if apierrors.IsNotFound(err) {
			forgetDirectoryMetrics(req.Namespace, req.Name)
		}
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	base := dir.DeepCopy() // the Directory as the server has it: the status patch starts from it
	defer func() { retErr = r.writeStatus(ctx, base, dir, retErr) }()

	now := r.Clock.Now()
	if err := r.reconcileWebhook(ctx, dir, now); err != nil {
		return ctrl.Result{}, err
	}
	if dir.IsSuspended() {
		markSuspended(dir, now)
		return ctrl.Result{}, nil
	}
	secretVersion, err := r.secretVersion(ctx, dir)
	if err != nil {
		return ctrl.Result{}, err
	}
	d := decide(dir, secretVersion, now)
	if d.syncNow && d.trigger == triggerWebhook {
		if wait := r.hints.take(dir.Spec.Provider, now); wait > 0 {
			return ctrl.Result{RequeueAfter: wait}, nil
		}
		markHinted(dir, now)
	}
	if !d.syncNow {
		return ctrl.Result{RequeueAfter: d.wait}, nil
	}
	s := &syncScope{ctx: ctx, log: ctrl.LoggerFrom(ctx).WithValues("provider", dir.Spec.Provider, "trigger", d.trigger),
		dir: dir, now: now, secretVersion: secretVersion, progress: r.startProgress(ctx, base)}
	r.sync(s)
	base = s.progress.stop() // the progress patches moved the server's status: the final patch starts there
	return ctrl.Result{RequeueAfter: dir.Status.NextSyncTime.Sub(now)}, nil
}

// secretVersion is the credentials Secret's resourceVersion from the metadata-only cache, or "" when
// it does not exist. Secret data is never cached; it is read by name when a sync runs.
func (r *Reconciler) secretVersion(ctx context.Context, dir *dirsyncv1alpha1.Directory) (string, error) {
	meta := &metav1.PartialObjectMetadata{}
	meta.SetGroupVersionKind(corev1.SchemeGroupVersion.WithKind("Secret"))
	key := types.NamespacedName{Namespace: dir.Namespace, Name: dir.Spec.CredentialsSecretRef.Name}
	if err := r.Client.Get(ctx, key, meta); err != nil {
		return "", client.IgnoreNotFound(err)
	}
	return meta.ResourceVersion, nil
}

// writeStatus records the Directory's gauges and writes its status once, only when it changed, as a
// merge patch from base (verdict.PatchStatus). The manager's client has read-your-writes consistency on,
// so the next reconcile sees this status, not a stale one.
func (r *Reconciler) writeStatus(ctx context.Context, base, dir *dirsyncv1alpha1.Directory, reconcileErr error) error {
	recordDirectory(dir)
	return cmp.Or(reconcileErr, verdict.PatchStatus(ctx, r.Client, base, dir, func(d *dirsyncv1alpha1.Directory) any { return &d.Status }))
}

// SetupWithManager watches Directories (spec and annotation changes only, so status writes don't wake
// it), their users and groups, and the metadata of Secrets, mapped to the Directories that use them.
func (r *Reconciler) SetupWithManager(mgr ctrl.Manager) error {
	if err := mgr.GetFieldIndexer().IndexField(context.Background(), &dirsyncv1alpha1.Directory{}, secretNameIndex,
		func(o client.Object) []string {
			return []string{o.(*dirsyncv1alpha1.Directory).Spec.CredentialsSecretRef.Name}
		}); err != nil {
		return err
	}
	if err := mgr.GetFieldIndexer().IndexField(context.Background(), &dirsyncv1alpha1.Directory{}, webhookSecretIndex,
		func(o client.Object) []string {
			if d := o.(*dirsyncv1alpha1.Directory); d.WebhookEnabled() {
				return []string{d.WebhookSecretName()}
			}
			return nil
		}); err != nil {
		return err
	}
	r.informers = mgr.GetCache()
	workers := r.MaxConcurrentSyncs
	if workers <= 0 {
		workers = 1
	}
	return ctrl.NewControllerManagedBy(mgr).
		Named("directory").
		For(&dirsyncv1alpha1.Directory{}, builder.WithPredicates(
			predicate.Or(predicate.GenerationChangedPredicate{}, predicate.AnnotationChangedPredicate{}))).
		Owns(&dirsyncv1alpha1.DirectoryUser{}).
		Owns(&dirsyncv1alpha1.DirectoryGroup{}).
		WatchesMetadata(&corev1.Secret{}, handler.EnqueueRequestsFromMapFunc(r.directoriesForSecret)).
		WithOptions(controller.Options{
			MaxConcurrentReconciles: workers,
			RateLimiter:             workqueue.NewTypedItemExponentialFailureRateLimiter[reconcile.Request](time.Second, 5*time.Minute),
		}).
		Complete(r)
}

// directoriesForSecret maps a Secret event to the Directories in its namespace that use it, for their API
// key or as their webhook token.
func (r *Reconciler) directoriesForSecret(ctx context.Context, secret client.Object) []reconcile.Request {
	var reqs []reconcile.Request
	for _, index := range []string{secretNameIndex, webhookSecretIndex} {
		var list dirsyncv1alpha1.DirectoryList
		if err := r.Client.List(ctx, &list, client.InNamespace(secret.GetNamespace()),
			client.MatchingFields{index: secret.GetName()}); err != nil {
			ctrl.LoggerFrom(ctx).Error(err, "Listing Directories for a Secret failed", "secret", client.ObjectKeyFromObject(secret))
			return nil
		}
		for _, d := range list.Items {
			reqs = append(reqs, reconcile.Request{NamespacedName: client.ObjectKeyFromObject(&d)})
		}
	}
	return reqs
}
