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

	"github.com/go-logr/logr"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/types"

	dirsyncv1alpha1 "github.com/dirsync/dirsync/api/v1alpha1"
	"github.com/dirsync/dirsync/internal/provider"
)

// syncScope is one sync attempt: what the reconcile started it with, and what the attempt reads once and
// hands from phase to phase (key → fetch → model → names → desired objects → guard → diff → writes).
type syncScope struct {
	ctx context.Context
	log logr.Logger
	dir *dirsyncv1alpha1.Directory
	// now is the reconcile's time, from the injected clock: the attempt's start.
	now time.Time
	// secretVersion is the credentials Secret's version the schedule decided on (decide); the trigger is
	// in log's values.
	secretVersion string
	progress      *progress
	// apiKey is the credentials Secret's key, read once; it lives only for this attempt.
	apiKey string
	// build carries the Directory and its controller reference, built once, into every object.
	build objectBuilder
	// children is what the Directory controls: listed before the fetch when the cache's own objects can
	// be claimed from (newClaimer), and again once the provider answered, since a read can take minutes
	// and the writes must start from what exists then.
	children children
}

// sync runs one sync attempt: read the key, fetch the whole directory, compute the plan, guard it and
// write the difference (or, in dry run, only report it). Every attempt ends with a Ready condition that
// says what happened; a failure of any kind backs off on the Directory's own schedule, so nothing
// falls through to a workqueue retry that would call the provider every few seconds.
func (r *Reconciler) sync(s *syncScope) {
	prevReason := readyReason(s.dir)
	markAttempt(s.dir, s.secretVersion, s.now)
	out, err := r.readAndApply(s)
	if err != nil {
		r.failed(s, out, err, prevReason)
		return
	}
	markSynced(s.dir, out, s.now)
	reason := readyReason(s.dir)
	duration := r.Clock.Since(s.now)
	recordSync(s.dir, reason, duration)
	r.announce(s.dir, out, reason, prevReason)
	c := out.changes
	s.log.Info("Synced Directory", "reason", reason, "duration", duration.Round(time.Millisecond),
		"created", c.Created, "updated", c.Updated, "deleted", c.Deleted, "unchanged", c.Unchanged,
		"users", out.users, "activeUsers", out.active, "groups", out.groups,
		"providerRequests", out.requests, "providerBytes", out.bytes)
}

// failed records a failed attempt: Ready=False with the reason and backoff, the metrics, a Warning
// Event when the reason changed, and one log line.
func (r *Reconciler) failed(s *syncScope, out syncOutcome, err error, prevReason string) {
	f := reasonFor(err, s.dir, s.apiKey)
	if out.counted {
		setCounts(s.dir, out)
	}
	markFailed(s.dir, f, s.now)
	duration := r.Clock.Since(s.now)
	recordSync(s.dir, f.reason, duration)
	if f.reason != prevReason {
		r.Recorder.Eventf(s.dir, nil, corev1.EventTypeWarning, f.reason, "Sync", "%s", f.message)
	}
	s.log.Info("Sync failed", "reason", f.reason, "message", f.message,
		"duration", duration.Round(time.Millisecond), "consecutiveFailures", s.dir.Status.ConsecutiveFailures)
}

// readAndApply reads the key, then the provider, and applies what it read.
func (r *Reconciler) readAndApply(s *syncScope) (syncOutcome, error) {
	var err error
	if s.apiKey, err = r.readAPIKey(s.ctx, s.dir); err != nil {
		return syncOutcome{}, err
	}
	owner, err := r.ownerRef(s.dir)
	if err != nil {
		return syncOutcome{}, err
	}
	s.build = objectBuilder{dir: s.dir, owner: owner}
	return r.fetchAndApply(s)
}

// announce emits the Events of a sync that read the provider: a Warning when the guard starts holding,
// a Normal summary when something changed, the dry-run plan once per distinct plan.
func (r *Reconciler) announce(dir *dirsyncv1alpha1.Directory, out syncOutcome, reason, prevReason string) {
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

// readAPIKey reads the credentials Secret by name, uncached, and returns the key's value. The value
// lives only for this sync.
func (r *Reconciler) readAPIKey(ctx context.Context, dir *dirsyncv1alpha1.Directory) (string, error) {
	ref := dir.Spec.CredentialsSecretRef
	key := ref.KeyOrDefault()
	secret := &corev1.Secret{}
	err := r.APIReader.Get(ctx, types.NamespacedName{Namespace: dir.Namespace, Name: ref.Name}, secret)
	switch {
	case apierrors.IsNotFound(err):
		return "", &secretError{message: fmt.Sprintf("Secret %s/%s does not exist. Create it with the provider's API key under the key %q "+
			"(kubectl create secret generic %s --from-literal=%s=<key> -n %s); the sync starts within seconds.", dir.Namespace, ref.Name, key, ref.Name, key, dir.Namespace)}
	case apierrors.IsForbidden(err):
		return "", &secretError{message: fmt.Sprintf("The operator is not allowed to read Secret %s/%s. Check that its RBAC covers this namespace "+
			"(and that --watch-namespace includes it).", dir.Namespace, ref.Name)}
	case err != nil:
		return "", fmt.Errorf("getting Secret %s/%s: %w", dir.Namespace, ref.Name, err)
	}
	value := strings.TrimSpace(string(secret.Data[key]))
	if value == "" {
		return "", &secretError{message: fmt.Sprintf("Secret %s/%s has no key %q, or it is empty. Add the API key under that key, "+
			"or set spec.credentialsSecretRef.key to the key that holds it.", dir.Namespace, ref.Name, key)}
	}
	return value, nil
}

// fetchAndApply reads the whole directory from the provider, then materializes it. When the cache's own
// objects can be read, the employees whose users are already up to date are claimed as they arrive (see
// newClaimer), so that the snapshot holds only what changed.
func (r *Reconciler) fetchAndApply(s *syncScope) (syncOutcome, error) {
	name := providerName(s.dir.Spec.Provider)
	s.progress.set(dirsyncv1alpha1.ReasonReadingProvider, "Reading "+name+".")
	var claim func(*provider.Employee) bool
	var cl *claims
	if store, err := r.store(s.ctx, &dirsyncv1alpha1.DirectoryUser{}); err != nil {
		return syncOutcome{}, err
	} else if store != nil {
		if s.children, err = r.listChildren(s.ctx, s.dir); err != nil {
			return syncOutcome{}, err
		}
		claim, cl = newClaimer(s.build, s.children)
	}
	snap, err := r.fetch(s.ctx, s.dir, s.apiKey, s.progress.reading(name), claim)
	if err != nil {
		return syncOutcome{}, err
	}
	requests, bytes, employees := snap.Requests, snap.Bytes, len(snap.Employees)
	if cl != nil {
		employees += len(cl.users)
	}
	out, err := r.materialize(s, snap, cl) // the snapshot is not needed once the objects are built
	out.requests, out.bytes = requests, bytes
	releaseMemory.after(employees, r.Clock.Now())
	return out, err
}

// fetch builds the provider client for one sync and reads the whole directory.
// progress, when not nil, hears how many pages were read; claim, when not nil, is offered each employee.
func (r *Reconciler) fetch(ctx context.Context, dir *dirsyncv1alpha1.Directory, apiKey string, progress func(done, total int),
	claim func(*provider.Employee) bool) (*provider.Snapshot, error) {
	cfg := provider.Config{APIKey: apiKey, HTTPClient: r.httpClient(dir.Spec.Provider), Now: r.Clock.Now, Progress: progress, Claim: claim,
		MaxEmployees: r.MaxUsersPerDirectory, AllowedHosts: r.AllowedEndpointHosts}
	if dir.Spec.Endpoint != "" {
		u, err := url.Parse(dir.Spec.Endpoint)
		if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
			return nil, &invalidSpecError{message: "spec.endpoint is not an absolute http(s) URL with a host"}
		}
		if u.Scheme == "http" && !r.AllowInsecureEndpoints {
			return nil, &insecureEndpointError{endpoint: dir.Spec.Endpoint}
		}
		cfg.BaseURL = u
	}
	p, err := r.Providers.New(dir.Spec.Provider, cfg)
	if err != nil {
		return nil, err
	}
	return p.Fetch(ctx)
}

// httpClient returns the shared, instrumented HTTP client for one provider type.
func (r *Reconciler) httpClient(t dirsyncv1alpha1.ProviderType) *http.Client {
	if c, ok := r.httpClients.Load(t); ok {
		return c.(*http.Client)
	}
	c, _ := r.httpClients.LoadOrStore(t, provider.NewHTTPClient(provider.HTTPOptions{
		Timeout: r.ProviderTimeout, OnResponse: countProviderResponse(string(t)),
	}))
	return c.(*http.Client)
}

// materialize turns the snapshot into objects, finds what departed, lets the deletion guard (and an
// approval) decide on deletions, and writes only the difference — or, in dry run, reports it.
func (r *Reconciler) materialize(s *syncScope, snap *provider.Snapshot, cl *claims) (syncOutcome, error) {
	m, err := buildModel(s.dir, snap, cl)
	if err != nil {
		return syncOutcome{}, err
	}
	if s.children, err = r.listChildren(s.ctx, s.dir); err != nil {
		return syncOutcome{}, err
	}
	names, err := r.names(s.ctx, s.dir, m, s.children)
	if err != nil {
		return syncOutcome{}, err
	}
	desired := desiredObjects(s.build, m, names, s.now, indexUsers(s.children.users))
	dep := departedFrom(desired, s.children)
	g := decideGuard(s.dir, desired, s.children, dep, s.now)
	r.answerApproval(s.dir, g)
	if g.hold {
		keepHeldMemberships(desired, dep.users)
	}
	p := diff(desired, s.children, g.hold, s.now)
	if s.dir.IsDryRun() {
		return dryRunOutcome(s.dir, p, s.children, g), nil
	}
	applied := s.progress.applied(len(p.ops))
	applied(0)
	ok, err := r.apply(s.ctx, s.dir, p, applied)
	return outcome(p, ok, s.children, g), err
}

// answerApproval emits the Event that answers an approval of held deletions (see decideGuard).
func (r *Reconciler) answerApproval(dir *dirsyncv1alpha1.Directory, g guardDecision) {
	switch g.approval {
	case approvalNotNeeded:
		r.Recorder.Eventf(dir, nil, corev1.EventTypeWarning, "ApprovalNotNeeded", "Approve",
			"The approval %s was not used: the deletion guard holds no deletions now, so nothing needed approving.", g.token)
	case approvalRejected:
		r.Recorder.Eventf(dir, nil, corev1.EventTypeWarning, "ApprovalRejected", "Approve",
			"The approval %s does not match the deletions held now (token %s): the provider's data changed since, so nothing was deleted. "+
				"Review status.heldDeletions and approve again.", g.token, g.held.ApprovalToken)
	case approvalAccepted:
		r.Recorder.Eventf(dir, nil, corev1.EventTypeNormal, "DeletionsApproved", "Approve",
			"The approval %s released the held deletions: %d users and %d groups are deleted.", g.token, g.held.Users, g.held.Groups)
	}
}
