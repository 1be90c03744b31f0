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

// Package directorywebhook holds the DirectoryWebhook reconciler, which sends an application signed
// events about a Directory's people and groups, as WorkOS Directory Sync's webhooks do. Events are
// derived from state (the Directory's DirectoryUsers and DirectoryGroups against the webhook's record of
// what it told), so a restart, a crash or a receiver down for a day loses nothing.
//
// Reconcile only checks the spec, the Directory and the Secret, starts or reconfigures the webhook's
// worker and writes its status; the worker (its own goroutines and queue per webhook) does the work:
//
//   - I/O: controller.go, watch.go (indexes, event mapping, reading the Directory's objects from the
//     cache), worker.go (planning, handing out and acknowledging events; the record written before and
//     after sending), deliver.go (the HTTP client: no redirects, TLS verified, refused addresses),
//     store.go (the record in DirectoryWebhookRecords), metrics.go;
//   - pure, table-tested leaves that use nothing of the I/O files (TestPureFilesAreLeaves): state.go
//     (the Directory's objects → current state and hashes), record.go (the record and its encoding),
//     plan.go (current state and record → events owed, in order), guard.go (the removal guard), body.go
//     (WorkOS and CloudEvents bodies, event ids), sign.go, endpoint.go (what a URL may reach),
//     backoff.go (retries and failure texts), status.go.
//
// It never imports the other controllers.
package directorywebhook

import (
	"context"
	"fmt"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/util/workqueue"
	"k8s.io/utils/clock"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	ctrlevent "sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/recorder"

	dirsyncv1alpha1 "github.com/dirsync/dirsync/api/v1alpha1"
	"github.com/dirsync/dirsync/controllers/internal/verdict"
)

// Reconciler runs one worker per DirectoryWebhook that can deliver, and reports what it does.
type Reconciler struct {
	// Client reads from the manager's cache (webhooks, Directories, their people and groups, Secrets'
	// metadata) and writes status and records.
	Client client.Client
	// APIReader reads uncached: the signing Secret, by name, and the webhooks' records.
	APIReader client.Reader
	// Clock is the time of conditions, event times and signatures.
	Clock clock.PassiveClock
	// Recorder emits a Warning when Ready turns False or changes reason, and the answers to approvals.
	Recorder recorder.EventRecorder
	// AllowInsecureEndpoints lets spec.url be http:// or reach loopback and link-local addresses
	// (local receivers in tests and demos only).
	AllowInsecureEndpoints bool
	// AttemptTimeout bounds one delivery attempt; zero means DefaultAttemptTimeout.
	AttemptTimeout time.Duration
	// Settle is how long the Directory's writes must pause before the removal guard weighs removals;
	// zero means 1s.
	Settle time.Duration

	// records writes the webhooks' records, uncached (see SetupWithManager).
	records client.Client

	mu      sync.Mutex
	workers map[types.NamespacedName]*worker
	// ctx is the workers' parent: it ends when the manager stops (see SetupWithManager).
	ctx context.Context
	// notifications wake the reconciler when a worker's report changed.
	notifications chan ctrlevent.GenericEvent
	children      func(ctx context.Context, namespace, directory string, uid types.UID) ([]*dirsyncv1alpha1.DirectoryUser, []*dirsyncv1alpha1.DirectoryGroup, error)
}

// +kubebuilder:rbac:groups=dirsync.io,resources=directorywebhooks,verbs=get;list;watch
// +kubebuilder:rbac:groups=dirsync.io,resources=directorywebhooks/status,verbs=get;update;patch
// +kubebuilder:rbac:groups=dirsync.io,resources=directorywebhookrecords,verbs=get;list;create;update;delete
// +kubebuilder:rbac:groups=dirsync.io,resources=directories;directoryusers;directorygroups,verbs=get;list;watch
// +kubebuilder:rbac:groups="",resources=secrets,verbs=get;list;watch
// +kubebuilder:rbac:groups=events.k8s.io,resources=events,verbs=create;patch

// Reconcile starts, reconfigures or stops the webhook's worker and writes its status.
func (r *Reconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	wh := &dirsyncv1alpha1.DirectoryWebhook{}
	if err := r.Client.Get(ctx, req.NamespacedName, wh); err != nil {
		if apierrors.IsNotFound(err) {
			r.stopWorker(req.NamespacedName, true)
			forgetWebhookMetrics(req.NamespacedName)
		}
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	base := wh.DeepCopy()
	now := r.Clock.Now()
	cfg, stopped, err := r.configure(ctx, wh)
	switch {
	case err != nil:
		return ctrl.Result{}, err
	case stopped != nil:
		r.stopWorker(req.NamespacedName, false)
		markStopped(wh, stopped.reason, stopped.message, now)
	default:
		w := r.ensureWorker(wh, cfg)
		r.answerApproval(wh, w, now)
		markDelivering(wh, w.report(), w.deliveredBase, cfg.maxDeletePercent, now)
	}
	return ctrl.Result{}, r.writeStatus(ctx, base, wh)
}

// writeStatus records the webhook's gauges, writes its status when it changed, and emits a Warning when
// Ready turned False or changed reason.
func (r *Reconciler) writeStatus(ctx context.Context, base, wh *dirsyncv1alpha1.DirectoryWebhook) error {
	recordWebhook(wh)
	was, now := verdict.Ready(base), verdict.Ready(wh)
	if now != nil && now.Status == metav1.ConditionFalse && (was == nil || was.Status != now.Status || was.Reason != now.Reason) {
		r.Recorder.Eventf(wh, nil, corev1.EventTypeWarning, now.Reason, "Deliver", "%s", now.Message)
	}
	return verdict.PatchStatus(ctx, r.Client, base, wh, func(w *dirsyncv1alpha1.DirectoryWebhook) any { return &w.Status })
}

// stopped says why a webhook has no worker.
type stopped struct{ reason, message string }

// configure checks what the webhook needs to deliver (a usable URL, a synced Directory, the signing
// secret) and returns the worker's configuration, or why it cannot run. Errors are API failures.
func (r *Reconciler) configure(ctx context.Context, wh *dirsyncv1alpha1.DirectoryWebhook) (*config, *stopped, error) {
	if wh.IsSuspended() {
		return nil, &stopped{dirsyncv1alpha1.ReasonSuspended, "spec.suspend is true: nothing is delivered. Changes are not lost: " +
			"set it to false and everything that changed meanwhile is delivered."}, nil
	}
	u, err := checkURL(wh.Spec.URL, r.AllowInsecureEndpoints)
	if err != nil {
		return nil, &stopped{dirsyncv1alpha1.ReasonInvalidSpec, err.Error()}, nil
	}
	dir := &dirsyncv1alpha1.Directory{}
	if err := r.Client.Get(ctx, types.NamespacedName{Namespace: wh.Namespace, Name: wh.Spec.DirectoryRef.Name}, dir); err != nil {
		if apierrors.IsNotFound(err) {
			return nil, &stopped{dirsyncv1alpha1.ReasonDirectoryNotReady, fmt.Sprintf("Directory %s does not exist in namespace %s; "+
				"nothing is delivered until it does.", wh.Spec.DirectoryRef.Name, wh.Namespace)}, nil
		}
		return nil, nil, err
	}
	if why := directoryNotReady(dir); why != "" {
		return nil, &stopped{dirsyncv1alpha1.ReasonDirectoryNotReady, why}, nil
	}
	secret, version, why, err := r.signingSecret(ctx, wh)
	if err != nil || why != "" {
		return nil, &stopped{dirsyncv1alpha1.ReasonSecretNotFound, why}, err
	}
	enabled := map[dirsyncv1alpha1.WebhookEventType]bool{}
	for _, t := range wh.EventsOrDefault() {
		enabled[t] = true
	}
	return &config{generation: wh.Generation, uid: wh.UID, directory: dir.Name, directoryUID: dir.UID, url: u.String(),
		secret: secret, secretVersion: version, format: wh.FormatOrDefault(), enabled: enabled, initial: wh.InitialOrDefault(),
		maxDeletePercent: dir.MaxDeletePercentOrDefault()}, nil, nil
}

// directoryNotReady says why a webhook cannot tell of the Directory's people yet, or "".
func directoryNotReady(dir *dirsyncv1alpha1.Directory) string {
	switch {
	case !dir.DeletionTimestamp.IsZero():
		return fmt.Sprintf("Directory %s is being deleted; nothing is delivered, so that its people are not told as deleted.", dir.Name)
	case dir.IsDryRun():
		return fmt.Sprintf("Directory %s is in dry run (spec.dryRun): it has no people or groups to tell of until it is turned off.", dir.Name)
	case dir.Status.LastSuccessfulSyncTime == nil:
		return fmt.Sprintf("Directory %s has not synced successfully yet; delivery starts after its first sync.", dir.Name)
	}
	return ""
}

// signingSecret reads the signing secret by name, uncached, unless the running worker already holds
// the Secret's current version (from the metadata-only cache). why says what is missing.
func (r *Reconciler) signingSecret(ctx context.Context, wh *dirsyncv1alpha1.DirectoryWebhook) (secret []byte, version, why string, err error) {
	ref := wh.Spec.SecretRef
	key := types.NamespacedName{Namespace: wh.Namespace, Name: ref.Name}
	meta := &metav1.PartialObjectMetadata{}
	meta.SetGroupVersionKind(corev1.SchemeGroupVersion.WithKind("Secret"))
	if err := r.Client.Get(ctx, key, meta); err == nil {
		if w := r.worker(client.ObjectKeyFromObject(wh)); w != nil {
			if c := w.cfg.Load(); c.secretVersion == meta.ResourceVersion && len(c.secret) > 0 {
				return c.secret, c.secretVersion, "", nil
			}
		}
	}
	s := &corev1.Secret{}
	if err := r.APIReader.Get(ctx, key, s); err != nil {
		if apierrors.IsNotFound(err) {
			return nil, "", fmt.Sprintf("Secret %s/%s, which spec.secretRef names for the signing secret, does not exist; create it: "+
				"kubectl create secret generic %s -n %s --from-literal=%s=\"$(openssl rand -hex 32)\"", wh.Namespace, ref.Name, ref.Name, wh.Namespace, ref.KeyOrDefault()), nil
		}
		return nil, "", "", fmt.Errorf("getting Secret %s: %w", key, err)
	}
	if len(s.Data[ref.KeyOrDefault()]) == 0 {
		return nil, "", fmt.Sprintf("Secret %s/%s has no key %s (or it is empty); add the signing secret there or set spec.secretRef.key",
			wh.Namespace, ref.Name, ref.KeyOrDefault()), nil
	}
	return s.Data[ref.KeyOrDefault()], s.ResourceVersion, "", nil
}

// worker returns the webhook's running worker, or nil.
func (r *Reconciler) worker(key types.NamespacedName) *worker {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.workers[key]
}

// ensureWorker returns the webhook's worker with cfg: the running one, reconfigured, or a new one when
// none runs or it ran for another object (a webhook or Directory deleted and created again).
func (r *Reconciler) ensureWorker(wh *dirsyncv1alpha1.DirectoryWebhook, cfg *config) *worker {
	key := client.ObjectKeyFromObject(wh)
	if w := r.worker(key); w != nil {
		old := w.cfg.Load()
		if old.uid == cfg.uid && old.directoryUID == cfg.directoryUID {
			w.cfg.Store(cfg)
			w.kick(false)
			return w
		}
		r.stopWorker(key, old.uid != cfg.uid)
	}
	w := &worker{r: r, key: key, store: newRecordStore(r.records, r.APIReader, wh), hc: newHTTPClient(r.attemptTimeout(), r.AllowInsecureEndpoints),
		log: ctrl.Log.WithName("directorywebhook").WithValues("directorywebhook", key), kickc: make(chan struct{}, 1),
		queue:         workqueue.NewTypedDelayingQueueWithConfig(workqueue.TypedDelayingQueueConfig[string]{Name: ""}),
		deliveredBase: wh.Status.DeliveredEvents, dirty: map[string]bool{}, busy: map[string]*outstanding{}, approved: map[string]bool{}}
	w.cfg.Store(cfg)
	r.mu.Lock()
	r.workers[key] = w
	r.mu.Unlock()
	w.start(r.ctx)
	return w
}

// stopWorker stops the webhook's worker, if one runs, once its record is written (unless the webhook is gone).
func (r *Reconciler) stopWorker(key types.NamespacedName, gone bool) {
	r.mu.Lock()
	w := r.workers[key]
	delete(r.workers, key)
	r.mu.Unlock()
	if w != nil {
		w.stop(gone)
	}
}

// stopAll stops every worker (the manager is stopping).
func (r *Reconciler) stopAll() {
	r.mu.Lock()
	keys := make([]types.NamespacedName, 0, len(r.workers))
	for k := range r.workers {
		keys = append(keys, k)
	}
	r.mu.Unlock()
	var wg sync.WaitGroup
	for _, k := range keys {
		wg.Go(func() { r.stopWorker(k, false) })
	}
	wg.Wait()
}

// answerApproval answers a dirsync.io/approve-removals token no reconcile has answered: a token that
// matches the held set releases it (once); any other releases nothing. Both are recorded and said in an Event.
func (r *Reconciler) answerApproval(wh *dirsyncv1alpha1.DirectoryWebhook, w *worker, now time.Time) {
	token := wh.Annotations[dirsyncv1alpha1.AnnotationApproveRemovals]
	rep := w.report()
	if token == "" || token == wh.Status.LastHandledApproval || !rep.loaded {
		return
	}
	wh.Status.LastHandledApproval = token
	switch held := rep.held; {
	case held == nil:
		r.Recorder.Eventf(wh, nil, corev1.EventTypeWarning, "ApprovalNotNeeded", "Approve",
			"The approval %s released nothing: the removal guard holds nothing now", token)
	case !w.approve(token):
		r.Recorder.Eventf(wh, nil, corev1.EventTypeWarning, "ApprovalRejected", "Approve",
			"The approval %s released nothing: the held removals changed (now %d people and %d groups, token %s)", token, held.users, held.groups, held.token)
	default:
		wh.Status.LastApproval = &dirsyncv1alpha1.DeletionApproval{Token: token, ApprovedAt: metav1.NewTime(now.Truncate(time.Second)),
			Users: int32(held.users), Groups: int32(held.groups)}
		r.Recorder.Eventf(wh, nil, corev1.EventTypeNormal, "RemovalsApproved", "Approve",
			"Approved with %s: delivering the removal of %d people and %d groups", token, held.users, held.groups)
	}
}

// notify asks for a reconcile of the webhook (its worker's report changed).
func (r *Reconciler) notify(key types.NamespacedName) {
	obj := &metav1.PartialObjectMetadata{ObjectMeta: metav1.ObjectMeta{Namespace: key.Namespace, Name: key.Name}}
	select {
	case r.notifications <- ctrlevent.GenericEvent{Object: obj}:
	default: // the queue is full of notifications already; a later one, or the next reconcile, reports this
	}
}

// notifyIfChanged asks for a reconcile when what the status shows of w's report changed since w last asked.
func (r *Reconciler) notifyIfChanged(w *worker) {
	rep := w.report()
	seen := reportSummary{rep.pending, rep.delivered, rep.failures, rep.lastError, rep.held.tokenOrEmpty(), rep.recordError, rep.loaded && rep.planned}
	if seen != w.notified {
		w.notified = seen
		r.notify(w.key)
	}
}

// reportSummary is what of a report the status shows.
type reportSummary struct {
	pending   int
	delivered int64
	failures  int
	lastError string
	held      string
	recordErr string
	loaded    bool
}

func (r *Reconciler) attemptTimeout() time.Duration {
	if r.AttemptTimeout > 0 {
		return r.AttemptTimeout
	}
	return DefaultAttemptTimeout
}

func (r *Reconciler) settle() time.Duration {
	if r.Settle > 0 {
		return r.Settle
	}
	return defaultSettle
}
