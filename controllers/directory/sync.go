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
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	toolscache "k8s.io/client-go/tools/cache"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/apiutil"

	dirsyncv1alpha1 "github.com/dirsync/dirsync/api/v1alpha1"
	"github.com/dirsync/dirsync/internal/provider"
)

// SecretError is a problem with the credentials Secret that only the user can fix.
type SecretError struct{ Message string }

func (e *SecretError) Error() string { return e.Message }

// InsecureEndpointError is an http:// endpoint while the manager does not allow them.
type InsecureEndpointError struct{ Endpoint string }

func (e *InsecureEndpointError) Error() string {
	return fmt.Sprintf("spec.endpoint %s is not https://; no request was sent. Use an https:// URL "+
		"(the manager accepts http:// only when started with --allow-insecure-endpoints, for local fakes)", e.Endpoint)
}

// sync runs one sync attempt: read the key, fetch the whole directory, compute the plan, guard it and
// write the difference (or, in dry run, only report it). Every attempt ends with a Ready condition that
// says what happened; a failure of any kind backs off on the Directory's own schedule, so nothing
// falls through to a workqueue retry that would call the provider every few seconds.
func (r *DirectoryReconciler) sync(ctx context.Context, dir *dirsyncv1alpha1.Directory, prog *progress, secretVersion, trigger string, now time.Time) {
	log := ctrl.LoggerFrom(ctx).WithValues("provider", dir.Spec.Provider, "trigger", trigger)
	started := time.Now()
	prevReason := readyReason(dir)
	markAttempt(dir, secretVersion, now)

	apiKey, err := r.readAPIKey(ctx, dir)
	var out syncOutcome
	if err == nil {
		out, err = r.fetchAndApply(ctx, dir, prog, apiKey, now)
	}
	if err != nil {
		f := classify(err, dir, apiKey)
		if out.counted {
			setCounts(dir, out)
		}
		markFailed(dir, f, now)
		r.observe(dir, f.reason, started)
		if f.reason != prevReason {
			r.Recorder.Eventf(dir, nil, corev1.EventTypeWarning, f.reason, "Sync", "%s", f.message)
		}
		log.Info("Sync failed", "reason", f.reason, "message", f.message,
			"duration", time.Since(started).Round(time.Millisecond), "consecutiveFailures", dir.Status.ConsecutiveFailures)
		return
	}
	markSucceeded(dir, out, now)
	reason := readyReason(dir)
	r.observe(dir, reason, started)
	r.announce(dir, out, reason, prevReason)
	c := out.changes
	log.Info("Synced Directory", "reason", reason, "duration", time.Since(started).Round(time.Millisecond),
		"created", c.Created, "updated", c.Updated, "deleted", c.Deleted, "unchanged", c.Unchanged,
		"users", out.users, "activeUsers", out.active, "groups", out.groups,
		"providerRequests", out.requests, "providerBytes", out.bytes)
}

// announce emits the Events of a sync that read the provider: a Warning when the guard starts holding,
// a Normal summary when something changed, the dry-run plan once per distinct plan.
func (r *DirectoryReconciler) announce(dir *dirsyncv1alpha1.Directory, out syncOutcome, reason, prevReason string) {
	switch {
	case out.plan != nil:
		if out.newPlan {
			r.Recorder.Eventf(dir, nil, corev1.EventTypeNormal, dirsyncv1alpha1.ReasonDryRun, "Plan", "Dry run: %s", out.plan.Summary)
		}
		return
	case out.held != nil && reason != prevReason:
		r.Recorder.Eventf(dir, nil, corev1.EventTypeWarning, reason, "Sync", "%s", out.guardMessage)
	}
	if c := out.changes; c.Created+c.Updated+c.Deleted > 0 {
		r.Recorder.Eventf(dir, nil, corev1.EventTypeNormal, dirsyncv1alpha1.ReasonSynced, "Sync",
			"Created %d, updated %d and deleted %d users and groups; %d unchanged", c.Created, c.Updated, c.Deleted, c.Unchanged)
	}
}

func (r *DirectoryReconciler) observe(dir *dirsyncv1alpha1.Directory, result string, started time.Time) {
	p := string(dir.Spec.Provider)
	syncsTotal.WithLabelValues(dir.Namespace, dir.Name, p, result).Inc()
	syncDuration.WithLabelValues(dir.Namespace, dir.Name, p).Observe(time.Since(started).Seconds())
}

// readAPIKey reads the credentials Secret by name, uncached, and returns the key's value. The value
// lives only for this sync.
func (r *DirectoryReconciler) readAPIKey(ctx context.Context, dir *dirsyncv1alpha1.Directory) (string, error) {
	ref := dir.Spec.CredentialsSecretRef
	key := ref.KeyOrDefault()
	secret := &corev1.Secret{}
	err := r.APIReader.Get(ctx, types.NamespacedName{Namespace: dir.Namespace, Name: ref.Name}, secret)
	switch {
	case apierrors.IsNotFound(err):
		return "", &SecretError{Message: fmt.Sprintf("Secret %s/%s does not exist. Create it with the provider's API key under the key %q "+
			"(kubectl create secret generic %s --from-literal=%s=<key> -n %s); the sync starts within seconds.", dir.Namespace, ref.Name, key, ref.Name, key, dir.Namespace)}
	case apierrors.IsForbidden(err):
		return "", &SecretError{Message: fmt.Sprintf("The operator is not allowed to read Secret %s/%s. Check that its RBAC covers this namespace "+
			"(and that --watch-namespace includes it).", dir.Namespace, ref.Name)}
	case err != nil:
		return "", fmt.Errorf("getting Secret %s/%s: %w", dir.Namespace, ref.Name, err)
	}
	value := strings.TrimSpace(string(secret.Data[key]))
	if value == "" {
		return "", &SecretError{Message: fmt.Sprintf("Secret %s/%s has no key %q, or it is empty. Add the API key under that key, "+
			"or set spec.credentialsSecretRef.key to the key that holds it.", dir.Namespace, ref.Name, key)}
	}
	return value, nil
}

// fetchAndApply reads the whole directory from the provider, then materializes it. The employees whose
// users are already up to date are claimed as they arrive (see newClaimer), so that the snapshot holds
// only what changed; that needs the cache's own objects, read before the fetch.
func (r *DirectoryReconciler) fetchAndApply(ctx context.Context, dir *dirsyncv1alpha1.Directory, prog *progress, apiKey string, now time.Time) (syncOutcome, error) {
	name := providerName(dir.Spec.Provider)
	prog.set(dirsyncv1alpha1.ReasonReadingProvider, "Reading "+name+".")
	var claim func(*provider.Employee) bool
	var cl *claims
	if ex, err := r.listChildren(ctx, dir); err != nil {
		return syncOutcome{}, err
	} else if ex.cached {
		owner, err := r.ownerRef(dir)
		if err != nil {
			return syncOutcome{}, err
		}
		claim, cl = newClaimer(dir, owner, ex)
	}
	snap, err := r.fetch(ctx, dir, apiKey, prog.reading(name), claim)
	if err != nil {
		return syncOutcome{}, err
	}
	requests, bytes, employees := snap.Requests, snap.Bytes, len(snap.Employees)
	if cl != nil {
		employees += len(cl.users)
	}
	out, err := r.materialize(ctx, dir, snap, cl, prog, now) // the snapshot is not needed once the objects are built
	out.requests, out.bytes = requests, bytes
	releaseMemory.after(employees, time.Now())
	return out, err
}

// fetch builds the provider client for one sync and reads the whole directory.
// progress, when not nil, hears how many pages were read; claim, when not nil, is offered each employee.
func (r *DirectoryReconciler) fetch(ctx context.Context, dir *dirsyncv1alpha1.Directory, apiKey string, progress func(done, total int),
	claim func(*provider.Employee) bool) (*provider.Snapshot, error) {
	cfg := provider.Config{APIKey: apiKey, HTTPClient: r.httpClient(dir.Spec.Provider), Now: r.Clock.Now, Progress: progress, Claim: claim}
	if dir.Spec.Endpoint != "" {
		u, err := url.Parse(dir.Spec.Endpoint)
		if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
			return nil, &InvalidSpecError{Message: "spec.endpoint is not an absolute http(s) URL with a host"}
		}
		if u.Scheme == "http" && !r.AllowInsecureEndpoints {
			return nil, &InsecureEndpointError{Endpoint: dir.Spec.Endpoint}
		}
		cfg.BaseURL = u
	}
	p, err := r.Providers.New(dir.Spec.Provider, cfg)
	if err != nil {
		return nil, err
	}
	return p.Fetch(ctx)
}

// InvalidSpecError is a spec the provider cannot be used with, found before any request was sent.
type InvalidSpecError struct{ Message string }

func (e *InvalidSpecError) Error() string { return e.Message }

// httpClient returns the shared, instrumented HTTP client for one provider type.
func (r *DirectoryReconciler) httpClient(t dirsyncv1alpha1.ProviderType) *http.Client {
	if c, ok := r.httpClients.Load(t); ok {
		return c.(*http.Client)
	}
	c, _ := r.httpClients.LoadOrStore(t, provider.NewHTTPClient(provider.HTTPOptions{
		Timeout: r.ProviderTimeout, OnResponse: observeProviderResponse(string(t)),
	}))
	return c.(*http.Client)
}

// materialize turns the snapshot into objects, finds what departed, lets the deletion guard (and an
// approval) decide on deletions, and writes only the difference — or, in dry run, reports it.
func (r *DirectoryReconciler) materialize(ctx context.Context, dir *dirsyncv1alpha1.Directory, snap *provider.Snapshot, cl *claims, prog *progress, now time.Time) (syncOutcome, error) {
	m, err := buildModel(dir, snap, cl)
	if err != nil {
		return syncOutcome{}, err
	}
	ex, err := r.listChildren(ctx, dir)
	if err != nil {
		return syncOutcome{}, err
	}
	userNames, groupNames, err := r.names(ctx, dir, m, ex)
	if err != nil {
		return syncOutcome{}, err
	}
	owner, err := r.ownerRef(dir)
	if err != nil {
		return syncOutcome{}, err
	}
	desired := desiredObjects(dir, owner, m, userNames, groupNames, now, indexUsers(ex.users))
	dep := departedFrom(desired, ex)
	g := r.guard(dir, desired, ex, dep, now)
	if g.hold {
		keepHeldMemberships(desired, dep.users)
	}
	p := diff(desired, ex, g.hold, now)
	if dir.IsDryRun() {
		return dryRunOutcome(dir, p, ex, g), nil
	}
	prog.applied(len(p.ops))(0)
	ok, err := r.apply(ctx, dir, p, prog.applied(len(p.ops)))
	out := outcome(p, ok, ex, g)
	return out, err
}

// listChildren lists, from the cache and without copying, the users and groups this Directory controls.
func (r *DirectoryReconciler) listChildren(ctx context.Context, dir *dirsyncv1alpha1.Directory) (existing, error) {
	users, own, err := cachedChildren(ctx, r, dir, &dirsyncv1alpha1.DirectoryUser{}, &dirsyncv1alpha1.DirectoryUserList{})
	if err != nil {
		return existing{}, fmt.Errorf("listing DirectoryUsers: %w", err)
	}
	groups, _, err := cachedChildren(ctx, r, dir, &dirsyncv1alpha1.DirectoryGroup{}, &dirsyncv1alpha1.DirectoryGroupList{})
	if err != nil {
		return existing{}, fmt.Errorf("listing DirectoryGroups: %w", err)
	}
	return existing{users: users, groups: groups, cached: own}, nil
}

// indexedInformer is an informer whose store can be read directly: the manager's cache when it watches
// all namespaces (a cache of several namespaces does not expose one).
type indexedInformer interface{ GetIndexer() toolscache.Indexer }

// cachedChildren returns the cached objects of kind's type (list is its list) that the Directory controls, as the
// cache's own pointers: a client List, even without deep copies, copies every object into the list's
// value slice (a DirectoryUser is 608 bytes: 6 MB for 10,000 users on every sync). The client's List, limited
// to one object, still runs first: it waits, as every read through the manager's client does, until
// the cache has seen this process's own writes. Without an indexed informer it lists the usual way, and
// own is false: the objects are copies, made for this list.
func cachedChildren[P child](ctx context.Context, r *DirectoryReconciler, dir *dirsyncv1alpha1.Directory, kind P, list client.ObjectList) (objs []P, own bool, err error) {
	sel := []client.ListOption{client.InNamespace(dir.Namespace), client.MatchingLabels{dirsyncv1alpha1.LabelDirectory: dir.Name}, client.UnsafeDisableDeepCopy}
	var store toolscache.Indexer
	if r.informers != nil {
		inf, err := r.informers.GetInformer(ctx, kind)
		if err != nil {
			return nil, false, err
		}
		if i, ok := inf.(indexedInformer); ok {
			store = i.GetIndexer()
			sel = append(sel, client.Limit(1))
		}
	}
	if err := r.Client.List(ctx, list, sel...); err != nil {
		return nil, false, err
	}
	var items []any
	if store != nil {
		if items, err = store.ByIndex(toolscache.NamespaceIndex, dir.Namespace); err != nil {
			return nil, false, err
		}
	} else {
		if err := meta.EachListItem(list, func(o runtime.Object) error { items = append(items, o); return nil }); err != nil {
			return nil, false, err
		}
	}
	objs = make([]P, 0, len(items))
	for _, o := range items {
		if c, ok := o.(P); ok && c.GetLabels()[dirsyncv1alpha1.LabelDirectory] == dir.Name && isControlledBy(c, dir) {
			objs = append(objs, c)
		}
	}
	return objs, store != nil, nil
}

func isControlledBy(o client.Object, dir *dirsyncv1alpha1.Directory) bool {
	ref := metav1.GetControllerOf(o)
	return ref != nil && ref.UID == dir.UID
}

// names maps every employee and group of the model to its object name (see nameObjects). The namespace
// is listed for names taken by others only when a new object needs a name.
func (r *DirectoryReconciler) names(ctx context.Context, dir *dirsyncv1alpha1.Directory, m model, ex existing) (users, groups map[string]string, err error) {
	var listErr error
	lazy := func(list client.ObjectList) func(string) bool {
		var taken func(string) bool
		return func(name string) bool {
			if taken == nil {
				var err error
				if taken, err = r.takenNames(ctx, dir, list); err != nil {
					listErr, taken = err, func(string) bool { return true }
				}
			}
			return taken(name)
		}
	}
	users, groups = nameObjects(dir.Name, m, ex, lazy(&dirsyncv1alpha1.DirectoryUserList{}), lazy(&dirsyncv1alpha1.DirectoryGroupList{}))
	return users, groups, listErr
}

// takenNames returns a predicate over the names of objects of the list's kind, in the Directory's
// namespace, that the Directory does not control (another Directory's, or anyone's).
func (r *DirectoryReconciler) takenNames(ctx context.Context, dir *dirsyncv1alpha1.Directory, list client.ObjectList) (func(string) bool, error) {
	if err := r.Client.List(ctx, list, client.InNamespace(dir.Namespace), client.UnsafeDisableDeepCopy); err != nil {
		return nil, fmt.Errorf("listing names in namespace %s: %w", dir.Namespace, err)
	}
	taken := map[string]bool{}
	err := meta.EachListItem(list, func(o runtime.Object) error {
		if obj, ok := o.(client.Object); ok && !isControlledBy(obj, dir) {
			taken[obj.GetName()] = true
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return func(n string) bool { return taken[n] }, nil
}

// ownerRef is the controller ownerReference every child gets, with the Directory's kind from the scheme.
func (r *DirectoryReconciler) ownerRef(dir *dirsyncv1alpha1.Directory) (metav1.OwnerReference, error) {
	gvk, err := apiutil.GVKForObject(dir, r.Scheme)
	if err != nil {
		return metav1.OwnerReference{}, err
	}
	return *metav1.NewControllerRef(dir, gvk), nil
}

// guardDecision is what the deletion guard and any approval decided for one sync.
type guardDecision struct {
	// hold is true when departed objects stay, marked RemovedFromProvider.
	hold    bool
	message string
	// held describes the held set (also when an approval released it, for the record).
	held *dirsyncv1alpha1.HeldDeletions
	// approved is true when the dirsync.io/approve-deletions annotation released exactly the held set.
	approved bool
}

// guard asks the deletion guard about the departed set and answers a pending approval: a token that
// matches the held set releases it (once); any other token deletes nothing and says why in an Event.
func (r *DirectoryReconciler) guard(dir *dirsyncv1alpha1.Directory, d desiredState, ex existing, dep departed, now time.Time) guardDecision {
	hold, msg := guardHolds(guardInput{
		existingUsers: len(ex.users), departingUsers: len(dep.users),
		existingGroups: len(ex.groups), departingGroups: len(dep.groups),
		returned: d.returned, vanished: vanishedKinds(dir.GroupByOrDefault(), ex, d),
		maxDeletePercent: dir.MaxDeletePercentOrDefault(),
	})
	g := guardDecision{hold: hold, message: msg}
	if hold {
		g.held = heldDeletions(dep)
	}
	token := dir.Annotations[dirsyncv1alpha1.AnnotationApproveDeletions]
	if token == "" || token == dir.Status.LastHandledApproval || dir.IsDryRun() {
		return g
	}
	dir.Status.LastHandledApproval = token
	switch {
	case !hold:
		r.Recorder.Eventf(dir, nil, corev1.EventTypeWarning, "ApprovalNotNeeded", "Approve",
			"The approval %s was not used: the deletion guard holds no deletions now, so nothing needed approving.", token)
	case token != g.held.ApprovalToken:
		r.Recorder.Eventf(dir, nil, corev1.EventTypeWarning, "ApprovalRejected", "Approve",
			"The approval %s does not match the deletions held now (token %s): the provider's data changed since, so nothing was deleted. "+
				"Review status.heldDeletions and approve again.", token, g.held.ApprovalToken)
	default:
		g.hold, g.approved = false, true
		dir.Status.LastApproval = &dirsyncv1alpha1.DeletionApproval{Token: token, ApprovedAt: metav1.NewTime(now.Truncate(time.Second)),
			Users: g.held.Users, Groups: g.held.Groups}
		r.Recorder.Eventf(dir, nil, corev1.EventTypeNormal, "DeletionsApproved", "Approve",
			"The approval %s released the held deletions: %d users and %d groups are deleted.", token, g.held.Users, g.held.Groups)
	}
	return g
}
