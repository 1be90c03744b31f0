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

package directory

import (
	"context"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
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
	"github.com/dirsync/dirsync/internal/provider/registry"
)

// secretNameIndex indexes Directories by spec.credentialsSecretRef.name.
const secretNameIndex = "spec.credentialsSecretRef.name"

// DirectoryReconciler syncs a Directory's HR system into DirectoryUser and DirectoryGroup objects.
type DirectoryReconciler struct {
	// Client reads from the manager's cache and writes to the API server.
	Client client.Client
	// APIReader reads the credentials Secret uncached, by name.
	APIReader client.Reader
	// Scheme gives the kinds of the objects it writes (owner references, messages, metrics).
	Scheme *runtime.Scheme
	// Providers builds a provider client per sync.
	Providers registry.Registry
	Clock     clock.PassiveClock
	Recorder  recorder.EventRecorder

	// AllowInsecureEndpoints lets spec.endpoint be http:// (local fakes only).
	AllowInsecureEndpoints bool
	// ProviderTimeout bounds each provider HTTP request; zero means the provider package default.
	ProviderTimeout time.Duration
	// MaxConcurrentSyncs is how many Directories sync at once.
	MaxConcurrentSyncs int
	// WriteWorkers is how many object writes one sync sends in parallel.
	WriteWorkers int
	// ProgressEvery is how long a sync runs before the Syncing condition shows its progress, and how
	// often it is refreshed; zero means 5s.
	ProgressEvery time.Duration

	httpClients sync.Map // provider type → *http.Client, shared across syncs for connection reuse
	// informers is the manager's cache, set by SetupWithManager: listChildren reads its index directly.
	informers cache.Informers
}

// +kubebuilder:rbac:groups=dirsync.io,resources=directories,verbs=get;list;watch
// +kubebuilder:rbac:groups=dirsync.io,resources=directories/status,verbs=get;update;patch
// +kubebuilder:rbac:groups=dirsync.io,resources=directoryusers;directorygroups,verbs=get;list;watch;create;update;patch;delete
// +kubebuilder:rbac:groups="",resources=secrets,verbs=get;list;watch
// +kubebuilder:rbac:groups=events.k8s.io,resources=events,verbs=create;patch

// Reconcile syncs one Directory when its schedule says so, and otherwise only requeues for the next sync.
func (r *DirectoryReconciler) Reconcile(ctx context.Context, req ctrl.Request) (res ctrl.Result, retErr error) {
	dir := &dirsyncv1alpha1.Directory{}
	if err := r.Client.Get(ctx, req.NamespacedName, dir); err != nil {
		if apierrors.IsNotFound(err) {
			forgetDirectoryMetrics(req.Namespace, req.Name)
		}
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	before := dir.DeepCopy()
	defer func() { retErr = r.patchStatus(ctx, before, dir, retErr) }()

	now := r.Clock.Now()
	if dir.IsSuspended() {
		markSuspended(dir, now)
		return ctrl.Result{}, nil
	}
	secretVersion, err := r.secretVersion(ctx, dir)
	if err != nil {
		return ctrl.Result{}, err
	}
	d := decide(dir, secretVersion, now)
	if !d.syncNow {
		return ctrl.Result{RequeueAfter: d.wait}, nil
	}
	p := r.startProgress(ctx, before)
	r.sync(ctx, dir, p, secretVersion, d.trigger, now)
	p.stop()
	return ctrl.Result{RequeueAfter: dir.Status.NextSyncTime.Sub(now)}, nil
}

// secretVersion is the credentials Secret's resourceVersion from the metadata-only cache, or "" when
// it does not exist. Secret data is never cached; it is read by name when a sync runs.
func (r *DirectoryReconciler) secretVersion(ctx context.Context, dir *dirsyncv1alpha1.Directory) (string, error) {
	meta := &metav1.PartialObjectMetadata{}
	meta.SetGroupVersionKind(corev1.SchemeGroupVersion.WithKind("Secret"))
	key := types.NamespacedName{Namespace: dir.Namespace, Name: dir.Spec.CredentialsSecretRef.Name}
	if err := r.Client.Get(ctx, key, meta); err != nil {
		return "", client.IgnoreNotFound(err)
	}
	return meta.ResourceVersion, nil
}

// patchStatus writes the Directory's status once, only when it changed, as a merge patch. The manager's
// client has read-your-writes consistency on, so the next reconcile sees this status, not a stale one.
func (r *DirectoryReconciler) patchStatus(ctx context.Context, before, dir *dirsyncv1alpha1.Directory, retErr error) error {
	recordDirectory(dir)
	if equality.Semantic.DeepEqual(before.Status, dir.Status) {
		return retErr
	}
	if err := r.Client.Status().Patch(ctx, dir, client.MergeFrom(before)); err != nil {
		if retErr == nil {
			return err
		}
		return retErr
	}
	return retErr
}

// SetupWithManager watches Directories (spec and annotation changes only, so status writes don't wake
// it), their users and groups, and the metadata of Secrets, mapped to the Directories that use them.
func (r *DirectoryReconciler) SetupWithManager(mgr ctrl.Manager) error {
	if err := mgr.GetFieldIndexer().IndexField(context.Background(), &dirsyncv1alpha1.Directory{}, secretNameIndex,
		func(o client.Object) []string {
			return []string{o.(*dirsyncv1alpha1.Directory).Spec.CredentialsSecretRef.Name}
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

// directoriesForSecret maps a Secret event to the Directories in its namespace that reference it.
func (r *DirectoryReconciler) directoriesForSecret(ctx context.Context, secret client.Object) []reconcile.Request {
	var list dirsyncv1alpha1.DirectoryList
	if err := r.Client.List(ctx, &list, client.InNamespace(secret.GetNamespace()),
		client.MatchingFields{secretNameIndex: secret.GetName()}); err != nil {
		ctrl.LoggerFrom(ctx).Error(err, "Listing Directories for a Secret failed", "secret", client.ObjectKeyFromObject(secret))
		return nil
	}
	reqs := make([]reconcile.Request, 0, len(list.Items))
	for _, d := range list.Items {
		reqs = append(reqs, reconcile.Request{NamespacedName: client.ObjectKeyFromObject(&d)})
	}
	return reqs
}
