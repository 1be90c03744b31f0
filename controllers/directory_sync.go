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

package controllers

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	dirsyncv1alpha1 "github.com/dirsync/dirsync/api/v1alpha1"
	"github.com/dirsync/dirsync/internal/provider"
)

// reasonApplyFailed is the Warning Event's reason when the provider's data could not be written to the
// cluster (e.g. an object of the same name that another Directory or someone else owns).
const reasonApplyFailed = "ApplyFailed"

// sync reads the whole directory from the provider and applies the difference. A provider or Secret
// problem changes no object: it sets Ready=False with a reason and schedules a retry with backoff.
// Only Kubernetes API failures are returned as errors.
func (r *DirectoryReconciler) sync(ctx context.Context, dir *dirsyncv1alpha1.Directory, secretVersion, trigger string, now time.Time) (ctrl.Result, error) {
	log := ctrl.LoggerFrom(ctx).WithValues("provider", dir.Spec.Provider, "trigger", trigger)
	started := time.Now()
	prevReason := readyReason(dir)
	markAttempt(dir, secretVersion, now)

	apiKey, err := r.readAPIKey(ctx, dir)
	var snap *provider.Snapshot
	if err == nil {
		snap, err = r.fetch(ctx, dir, apiKey)
	}
	if err != nil {
		var se *errSecret
		if !isProviderError(err) && !errors.As(err, &se) {
			return ctrl.Result{}, err // a Kubernetes API failure: the workqueue retries
		}
		reason, message := reasonFor(err, dir, apiKey)
		var rl *provider.RateLimitedError
		var retryAfter time.Duration
		if errors.As(err, &rl) {
			retryAfter = rl.RetryAfter
		}
		markFailed(dir, reason, message, retryAfter, now)
		r.observe(dir, reason, started)
		if reason != prevReason {
			r.Recorder.Eventf(dir, nil, corev1.EventTypeWarning, reason, "Sync", "%s", message)
		}
		log.Info("Sync failed; nothing was changed", "reason", reason, "message", message,
			"duration", time.Since(started).Round(time.Millisecond), "consecutiveFailures", dir.Status.ConsecutiveFailures)
		return ctrl.Result{RequeueAfter: dir.Status.NextSyncTime.Sub(now)}, nil
	}

	out, err := r.materialize(ctx, dir, snap, now)
	if err != nil {
		markApplyFailed(dir)
		r.Recorder.Eventf(dir, nil, corev1.EventTypeWarning, reasonApplyFailed, "Sync", "%s", provider.Redact(err.Error(), apiKey))
		return ctrl.Result{}, err
	}
	markSucceeded(dir, out, now)
	reason := readyReason(dir)
	r.observe(dir, reason, started)
	usersGauge.WithLabelValues(dir.Namespace, dir.Name, "active").Set(float64(out.active))
	usersGauge.WithLabelValues(dir.Namespace, dir.Name, "inactive").Set(float64(out.users - out.active))
	groupsGauge.WithLabelValues(dir.Namespace, dir.Name).Set(float64(out.groups))
	c := out.changes
	if out.guard.held && reason != prevReason {
		r.Recorder.Eventf(dir, nil, corev1.EventTypeWarning, reason, "Sync", "%s", out.guard.message)
	}
	if c.Created+c.Updated+c.Deleted > 0 {
		r.Recorder.Eventf(dir, nil, corev1.EventTypeNormal, dirsyncv1alpha1.ReasonSynced, "Sync",
			"Created %d, updated %d and deleted %d users and groups; %d unchanged", c.Created, c.Updated, c.Deleted, c.Unchanged)
	}
	log.Info("Synced Directory", "reason", reason, "duration", time.Since(started).Round(time.Millisecond),
		"created", c.Created, "updated", c.Updated, "deleted", c.Deleted, "unchanged", c.Unchanged,
		"users", out.users, "activeUsers", out.active, "groups", out.groups,
		"providerRequests", snap.Requests, "providerBytes", snap.Bytes)
	return ctrl.Result{RequeueAfter: dir.Status.NextSyncTime.Sub(now)}, nil
}

func (r *DirectoryReconciler) observe(dir *dirsyncv1alpha1.Directory, result string, started time.Time) {
	p := string(dir.Spec.Provider)
	syncsTotal.WithLabelValues(dir.Namespace, dir.Name, p, result).Inc()
	syncDuration.WithLabelValues(dir.Namespace, dir.Name, p).Observe(time.Since(started).Seconds())
}

func readyReason(dir *dirsyncv1alpha1.Directory) string {
	if c := meta.FindStatusCondition(dir.Status.Conditions, dirsyncv1alpha1.ConditionReady); c != nil {
		return c.Reason
	}
	return ""
}

func isProviderError(err error) bool {
	var rl *provider.RateLimitedError
	var ie *errInsecureEndpoint
	return errors.Is(err, provider.ErrUnauthorized) || errors.Is(err, provider.ErrUnavailable) ||
		errors.Is(err, provider.ErrInvalidResponse) || errors.As(err, &rl) || errors.As(err, &ie) ||
		errors.Is(err, context.DeadlineExceeded)
}

// readAPIKey reads the credentials Secret by name, uncached, and returns the key's value. The value
// lives only for this sync.
func (r *DirectoryReconciler) readAPIKey(ctx context.Context, dir *dirsyncv1alpha1.Directory) (string, error) {
	ref := dir.Spec.CredentialsSecretRef
	key := secretKey(dir)
	secret := &corev1.Secret{}
	err := r.APIReader.Get(ctx, types.NamespacedName{Namespace: dir.Namespace, Name: ref.Name}, secret)
	switch {
	case apierrors.IsNotFound(err):
		return "", &errSecret{msg: fmt.Sprintf("Secret %s/%s does not exist. Create it with the provider's API key under the key %q "+
			"(kubectl create secret generic %s --from-literal=%s=<key> -n %s); the sync starts within seconds.", dir.Namespace, ref.Name, key, ref.Name, key, dir.Namespace)}
	case apierrors.IsForbidden(err):
		return "", &errSecret{msg: fmt.Sprintf("The operator is not allowed to read Secret %s/%s. Check that its RBAC covers this namespace "+
			"(and that --watch-namespace includes it).", dir.Namespace, ref.Name)}
	case err != nil:
		return "", fmt.Errorf("getting Secret %s/%s: %w", dir.Namespace, ref.Name, err)
	}
	value := strings.TrimSpace(string(secret.Data[key]))
	if value == "" {
		return "", &errSecret{msg: fmt.Sprintf("Secret %s/%s has no key %q, or it is empty. Add the API key under that key, "+
			"or set spec.credentialsSecretRef.key to the key that holds it.", dir.Namespace, ref.Name, key)}
	}
	return value, nil
}

// fetch builds the provider client for one sync and reads the whole directory.
func (r *DirectoryReconciler) fetch(ctx context.Context, dir *dirsyncv1alpha1.Directory, apiKey string) (*provider.Snapshot, error) {
	cfg := provider.Config{APIKey: apiKey, HTTPClient: r.httpClient(dir.Spec.Provider), Now: r.Clock.Now}
	if dir.Spec.Endpoint != "" {
		u, err := url.Parse(dir.Spec.Endpoint)
		if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
			return nil, fmt.Errorf("%w: spec.endpoint is not an absolute http(s) URL", provider.ErrInvalidResponse)
		}
		if u.Scheme == "http" && !r.AllowInsecureEndpoints {
			return nil, &errInsecureEndpoint{endpoint: dir.Spec.Endpoint}
		}
		cfg.BaseURL = u
	}
	p, err := r.Providers.New(dir.Spec.Provider, cfg)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", provider.ErrInvalidResponse, err)
	}
	return p.Fetch(ctx)
}

// materialize computes the desired objects, diffs them with the cached ones, applies the deletion
// guard and writes only the difference.
func (r *DirectoryReconciler) materialize(ctx context.Context, dir *dirsyncv1alpha1.Directory, snap *provider.Snapshot, now time.Time) (syncOutcome, error) {
	users, groups, err := r.listChildren(ctx, dir)
	if err != nil {
		return syncOutcome{}, err
	}
	desired, err := desiredObjects(dir, snap)
	if err != nil {
		return syncOutcome{}, err
	}
	p, guard := applyGuard(diff(desired, users, groups), len(users), desired.employees, dir.MaxDeletePercentOrDefault())
	if guard.held { // held users keep their group memberships too
		keepHeldMemberships(desired, users)
		p, guard = applyGuard(diff(desired, users, groups), len(users), desired.employees, dir.MaxDeletePercentOrDefault())
	}
	if err := r.apply(ctx, dir, p, now); err != nil {
		return syncOutcome{}, err
	}
	return outcome(desired, p, guard, users, groups), nil
}

// outcome counts what the sync did and what the Directory now owns. Objects whose deletion the guard
// held are still owned, so they are counted.
func outcome(desired desiredState, p plan, guard guardResult, users []dirsyncv1alpha1.DirectoryUser, groups []dirsyncv1alpha1.DirectoryGroup) syncOutcome {
	created, _ := p.count(opCreate)
	updated, _ := p.count(opUpdate)
	statusOnly, _ := p.count(opStatus)
	held, _ := p.count(opHold)
	deleted, _ := p.count(opDelete)
	out := syncOutcome{
		guard:  guard,
		users:  int32(len(desired.users)),
		active: desired.activeUsers(),
		groups: int32(len(desired.groups)),
		changes: dirsyncv1alpha1.SyncChanges{
			Created: int32(created), Updated: int32(updated + statusOnly + held),
			Deleted: int32(deleted), Unchanged: int32(p.unchanged),
		},
	}
	if !guard.held {
		return out
	}
	for i := range users {
		if _, ok := desired.users[users[i].Name]; !ok {
			out.users++
			if users[i].Spec.State == dirsyncv1alpha1.UserStateActive {
				out.active++
			}
		}
	}
	for i := range groups {
		if _, ok := desired.groups[groups[i].Name]; !ok {
			out.groups++
		}
	}
	return out
}

// listChildren lists, from the cache, the users and groups this Directory controls.
func (r *DirectoryReconciler) listChildren(ctx context.Context, dir *dirsyncv1alpha1.Directory) ([]dirsyncv1alpha1.DirectoryUser, []dirsyncv1alpha1.DirectoryGroup, error) {
	sel := []client.ListOption{client.InNamespace(dir.Namespace), client.MatchingLabels{dirsyncv1alpha1.LabelDirectory: dir.Name}}
	var ul dirsyncv1alpha1.DirectoryUserList
	if err := r.Client.List(ctx, &ul, sel...); err != nil {
		return nil, nil, fmt.Errorf("listing DirectoryUsers: %w", err)
	}
	var gl dirsyncv1alpha1.DirectoryGroupList
	if err := r.Client.List(ctx, &gl, sel...); err != nil {
		return nil, nil, fmt.Errorf("listing DirectoryGroups: %w", err)
	}
	users := ul.Items[:0]
	for _, u := range ul.Items {
		if isControlledBy(&u, dir) {
			users = append(users, u)
		}
	}
	groups := gl.Items[:0]
	for _, g := range gl.Items {
		if isControlledBy(&g, dir) {
			groups = append(groups, g)
		}
	}
	return users, groups, nil
}

func isControlledBy(o client.Object, dir *dirsyncv1alpha1.Directory) bool {
	ref := metav1.GetControllerOf(o)
	return ref != nil && ref.UID == dir.UID
}
