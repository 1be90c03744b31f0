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

package directorywebhook

import (
	"context"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	toolscache "k8s.io/client-go/tools/cache"
	"k8s.io/client-go/util/workqueue"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	ctrlevent "sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/manager"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"
	"sigs.k8s.io/controller-runtime/pkg/source"

	dirsyncv1alpha1 "github.com/dirsync/dirsync/api/v1alpha1"
)

// Field indexes of the DirectoryWebhook controller.
const (
	webhookDirectoryIndex = "spec.directoryRef.name"
	webhookSecretIndex    = "spec.secretRef.name"
)

// SetupWithManager watches DirectoryWebhooks (spec and annotations), the Directories and Secrets they
// reference, and their workers' reports; the Directories' people and groups wake the workers directly,
// without a reconcile. The workers run while the manager does (and only on the leader).
func (r *Reconciler) SetupWithManager(mgr ctrl.Manager) error {
	indexer := mgr.GetFieldIndexer()
	if err := indexer.IndexField(context.Background(), &dirsyncv1alpha1.DirectoryWebhook{}, webhookDirectoryIndex, func(o client.Object) []string {
		return []string{o.(*dirsyncv1alpha1.DirectoryWebhook).Spec.DirectoryRef.Name}
	}); err != nil {
		return err
	}
	if err := indexer.IndexField(context.Background(), &dirsyncv1alpha1.DirectoryWebhook{}, webhookSecretIndex, func(o client.Object) []string {
		return []string{o.(*dirsyncv1alpha1.DirectoryWebhook).Spec.SecretRef.Name}
	}); err != nil {
		return err
	}
	// The records are written with a client of their own, outside the cache: the manager's client, with
	// read-your-writes consistency, would start an informer (a cache of every record, and a watch the
	// operator's role does not grant) to wait for its own writes.
	records, err := client.New(mgr.GetConfig(), client.Options{HTTPClient: mgr.GetHTTPClient(), Scheme: mgr.GetScheme(), Mapper: mgr.GetRESTMapper()})
	if err != nil {
		return err
	}
	r.records = records
	r.workers = map[types.NamespacedName]*worker{}
	r.notifications = make(chan ctrlevent.GenericEvent, 1024)
	informers := mgr.GetCache()
	r.children = func(ctx context.Context, ns, dir string, uid types.UID) ([]*dirsyncv1alpha1.DirectoryUser, []*dirsyncv1alpha1.DirectoryGroup, error) {
		return readChildren(ctx, r.Client, informers, ns, dir, uid)
	}
	ctx, cancel := context.WithCancel(context.Background())
	r.ctx = ctx
	if err := mgr.Add(manager.RunnableFunc(func(done context.Context) error {
		<-done.Done()
		cancel()
		r.stopAll()
		return nil
	})); err != nil {
		return err
	}
	wake := handler.Funcs{
		CreateFunc: func(_ context.Context, e ctrlevent.CreateEvent, _ workqueue.TypedRateLimitingInterface[reconcile.Request]) {
			r.wake(e.Object)
		},
		UpdateFunc: func(_ context.Context, e ctrlevent.UpdateEvent, _ workqueue.TypedRateLimitingInterface[reconcile.Request]) {
			r.wake(e.ObjectNew)
		},
		DeleteFunc: func(_ context.Context, e ctrlevent.DeleteEvent, _ workqueue.TypedRateLimitingInterface[reconcile.Request]) {
			r.wake(e.Object)
		},
		GenericFunc: func(context.Context, ctrlevent.GenericEvent, workqueue.TypedRateLimitingInterface[reconcile.Request]) {
		},
	}
	idle := handler.Funcs{
		UpdateFunc: func(_ context.Context, e ctrlevent.UpdateEvent, _ workqueue.TypedRateLimitingInterface[reconcile.Request]) {
			r.directoryIdle(e.ObjectNew)
		},
	}
	return ctrl.NewControllerManagedBy(mgr).
		Named("directorywebhook").
		For(&dirsyncv1alpha1.DirectoryWebhook{}, builder.WithPredicates(
			predicate.Or[client.Object](predicate.GenerationChangedPredicate{}, predicate.AnnotationChangedPredicate{}))).
		Watches(&dirsyncv1alpha1.Directory{}, handler.EnqueueRequestsFromMapFunc(r.webhooksForDirectory)).
		Watches(&dirsyncv1alpha1.Directory{}, idle).
		WatchesMetadata(&corev1.Secret{}, handler.EnqueueRequestsFromMapFunc(r.webhooksForSecret)).
		Watches(&dirsyncv1alpha1.DirectoryUser{}, wake).
		Watches(&dirsyncv1alpha1.DirectoryGroup{}, wake).
		WatchesRawSource(source.Channel(r.notifications, &handler.EnqueueRequestForObject{})).
		WithOptions(controller.Options{MaxConcurrentReconciles: 2}).
		Complete(r)
}

// wake tells the workers of the webhooks of a person's or group's Directory that it changed.
func (r *Reconciler) wake(o client.Object) {
	dir := o.GetLabels()[dirsyncv1alpha1.LabelDirectory]
	if dir == "" {
		return
	}
	r.mu.Lock()
	var ws []*worker
	for key, w := range r.workers {
		if key.Namespace == o.GetNamespace() && w.cfg.Load().directory == dir {
			ws = append(ws, w)
		}
	}
	r.mu.Unlock()
	for _, w := range ws {
		w.kick(true)
	}
}

// directoryIdle tells the workers of a Directory's webhooks that it wrote its status with no sync running
// (its Syncing condition is not True): a sync's changes are all written.
func (r *Reconciler) directoryIdle(o client.Object) {
	dir, ok := o.(*dirsyncv1alpha1.Directory)
	if !ok || meta.IsStatusConditionTrue(dir.Status.Conditions, dirsyncv1alpha1.ConditionSyncing) {
		return
	}
	r.mu.Lock()
	var ws []*worker
	for key, w := range r.workers {
		if key.Namespace == dir.Namespace && w.cfg.Load().directory == dir.Name {
			ws = append(ws, w)
		}
	}
	r.mu.Unlock()
	for _, w := range ws {
		w.directoryIdle()
	}
}

// webhooksForDirectory maps a Directory to the webhooks that reference it.
func (r *Reconciler) webhooksForDirectory(ctx context.Context, o client.Object) []reconcile.Request {
	return r.webhooksBy(ctx, o.GetNamespace(), webhookDirectoryIndex, o.GetName())
}

// webhooksForSecret maps a Secret to the webhooks that name it.
func (r *Reconciler) webhooksForSecret(ctx context.Context, o client.Object) []reconcile.Request {
	return r.webhooksBy(ctx, o.GetNamespace(), webhookSecretIndex, o.GetName())
}

func (r *Reconciler) webhooksBy(ctx context.Context, ns, index, value string) []reconcile.Request {
	var list dirsyncv1alpha1.DirectoryWebhookList
	if err := r.Client.List(ctx, &list, client.InNamespace(ns), client.MatchingFields{index: value}, client.UnsafeDisableDeepCopy); err != nil {
		ctrl.LoggerFrom(ctx).Error(err, "Listing DirectoryWebhooks failed", "index", index, "value", value)
		return nil
	}
	reqs := make([]reconcile.Request, 0, len(list.Items))
	for i := range list.Items {
		reqs = append(reqs, reconcile.Request{NamespacedName: client.ObjectKeyFromObject(&list.Items[i])})
	}
	return reqs
}

// readChildren lists, from the cache and without copying, the people and groups the Directory (by
// UID) controls. It reads the informer's store directly where the cache exposes one (a cache of all
// namespaces), since a List copies every object.
func readChildren(ctx context.Context, c client.Client, informers cache.Informers, ns, dir string, uid types.UID) ([]*dirsyncv1alpha1.DirectoryUser, []*dirsyncv1alpha1.DirectoryGroup, error) {
	users, err := controlled[*dirsyncv1alpha1.DirectoryUser](ctx, c, informers, &dirsyncv1alpha1.DirectoryUser{}, &dirsyncv1alpha1.DirectoryUserList{}, ns, dir, uid)
	if err != nil {
		return nil, nil, fmt.Errorf("listing DirectoryUsers: %w", err)
	}
	groups, err := controlled[*dirsyncv1alpha1.DirectoryGroup](ctx, c, informers, &dirsyncv1alpha1.DirectoryGroup{}, &dirsyncv1alpha1.DirectoryGroupList{}, ns, dir, uid)
	if err != nil {
		return nil, nil, fmt.Errorf("listing DirectoryGroups: %w", err)
	}
	return users, groups, nil
}

type indexedInformer interface{ GetIndexer() toolscache.Indexer }

func controlled[P client.Object](ctx context.Context, c client.Client, informers cache.Informers, kind client.Object, list client.ObjectList, ns, dir string, uid types.UID) ([]P, error) {
	var items []any
	inf, err := informers.GetInformer(ctx, kind)
	if err != nil {
		return nil, err
	}
	if i, ok := inf.(indexedInformer); ok {
		if items, err = i.GetIndexer().ByIndex(toolscache.NamespaceIndex, ns); err != nil {
			return nil, err
		}
	} else {
		if err := c.List(ctx, list, client.InNamespace(ns), client.MatchingLabels{dirsyncv1alpha1.LabelDirectory: dir}, client.UnsafeDisableDeepCopy); err != nil {
			return nil, err
		}
		if err := meta.EachListItem(list, func(o runtime.Object) error { items = append(items, o); return nil }); err != nil {
			return nil, err
		}
	}
	out := make([]P, 0, len(items))
	for _, o := range items {
		if p, ok := o.(P); ok && p.GetLabels()[dirsyncv1alpha1.LabelDirectory] == dir {
			if ref := metav1.GetControllerOf(p); ref != nil && ref.UID == uid {
				out = append(out, p)
			}
		}
	}
	return out, nil
}
