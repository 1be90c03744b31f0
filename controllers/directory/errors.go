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
	"errors"
	"fmt"
	"strings"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"

	dirsyncv1alpha1 "github.com/dirsync/dirsync/api/v1alpha1"
	"github.com/dirsync/dirsync/internal/provider"
)

// secretError is a problem with the credentials Secret that only the user can fix.
type secretError struct{ message string }

func (e *secretError) Error() string { return e.message }

// insecureEndpointError is an http:// endpoint while the manager does not allow them.
type insecureEndpointError struct{ endpoint string }

func (e *insecureEndpointError) Error() string {
	return fmt.Sprintf("spec.endpoint %s is not https://; no request was sent. Use an https:// URL "+
		"(the manager accepts http:// only when started with --allow-insecure-endpoints, for local fakes)", e.endpoint)
}

// invalidSpecError is a spec the provider cannot be used with, found before any request was sent.
type invalidSpecError struct{ message string }

func (e *invalidSpecError) Error() string { return e.message }

// applyError says that some of a sync's writes to the API server failed.
type applyError struct {
	// failed and total count the writes.
	failed, total int
	// first is the first failure, naming its object.
	first error
}

func (e *applyError) Error() string {
	return fmt.Sprintf("%d of %d writes failed; the first: %v", e.failed, e.total, e.first)
}

func (e *applyError) Unwrap() error { return e.first }

// failure is what a failed sync attempt tells the user: the Ready reason, an actionable message, and
// how long the provider asked to wait.
type failure struct {
	reason, message string
	retryAfter      time.Duration
	// unclassified is true when no rule knew the error (it backs off as ProviderUnavailable).
	unclassified bool
}

// reasonFor is the one place that decides what a sync error means. Every error a sync can meet — the
// Secret, the spec, each provider package's sentinel errors, context errors, writes to the API server —
// maps to a Ready reason and a message that says what to do. Nothing falls through to a workqueue retry:
// the caller backs off on the Directory's own schedule whatever the reason. The message is deterministic
// apart from the error text and never contains the API key: apiKey is redacted from it.
func reasonFor(err error, dir *dirsyncv1alpha1.Directory, apiKey string) failure {
	ref := dir.Spec.CredentialsSecretRef
	name := providerName(dir.Spec.Provider)
	var (
		se  *secretError
		ie  *insecureEndpointError
		is  *invalidSpecError
		ae  *applyError
		rl  *provider.RateLimitedError
		tm  *provider.TooManyEmployeesError
		na  *provider.EndpointNotAllowedError
		api apierrors.APIStatus
		f   failure
	)
	switch {
	case errors.As(err, &se):
		f = failure{reason: dirsyncv1alpha1.ReasonSecretNotFound, message: se.message}
	case errors.As(err, &ie):
		f = failure{reason: dirsyncv1alpha1.ReasonInsecureEndpoint, message: ie.Error()}
	case errors.As(err, &na):
		f = failure{reason: dirsyncv1alpha1.ReasonInvalidSpec, message: fmt.Sprintf(
			"spec.endpoint names %s, which is not one of %s's hosts (%s, over https on port 443), so no request was sent and the API key "+
				"stayed in the cluster. Remove spec.endpoint to use the provider's own, or, for a proxy or a mirror you trust with the key, "+
				"have the operator's administrator add the host to the manager's --allowed-endpoint-hosts (with Helm, the value "+
				"manager.allowedEndpointHosts).", na.Host, name, strings.Join(na.Known, ", "))}
	case errors.As(err, &is), errors.Is(err, provider.ErrInvalidConfig):
		f = failure{reason: dirsyncv1alpha1.ReasonInvalidSpec, message: fmt.Sprintf(
			"The Directory's spec cannot be used with %s, so no request was sent: %v. Fix spec.endpoint (or remove it to use the provider's default).", name, err)}
	case errors.As(err, &ae):
		f = failure{reason: dirsyncv1alpha1.ReasonApplyFailed, message: fmt.Sprintf(
			"The directory was read from %s, but writing it to the cluster failed: %v. Check that object (another owner, a ResourceQuota, "+
				"an admission policy); the rest was written, and the sync is retried with backoff.", name, err)}
	case errors.Is(err, provider.ErrUnauthorized):
		f = failure{reason: dirsyncv1alpha1.ReasonInvalidCredentials, message: fmt.Sprintf(
			"%s rejected the API key in Secret %s (key %s): %v. Create a new key in %s and update the Secret; the next sync starts within seconds.",
			name, ref.Name, ref.KeyOrDefault(), err, name)}
	case errors.As(err, &tm):
		f = failure{reason: dirsyncv1alpha1.ReasonTooManyUsers, message: fmt.Sprintf(
			"%s lists more than %d employees, the most the manager lets one Directory hold (--max-users-per-directory; with Helm, "+
				"the value manager.maxUsersPerDirectory), so the sync stopped reading and nothing was changed. Raise the limit, and the "+
				"manager's memory limit with it (about 4 KiB per user), or point the Directory at the account you meant.", name, tm.Limit)}
	case errors.As(err, &rl):
		f = failure{reason: dirsyncv1alpha1.ReasonRateLimited, retryAfter: rl.RetryAfter, message: fmt.Sprintf(
			"%s is rate limiting requests; the next attempt waits until status.nextSyncTime. If this persists, another client may share the API key, or raise spec.syncInterval.", name)}
	case errors.Is(err, provider.ErrInvalidResponse):
		f = failure{reason: dirsyncv1alpha1.ReasonInvalidProviderResponse, message: fmt.Sprintf(
			"%s sent a response that is not a complete directory, so nothing was changed: %v. Check spec.endpoint; the sync is retried with backoff.", name, err)}
	case errors.As(err, &api):
		f = failure{reason: dirsyncv1alpha1.ReasonApplyFailed, message: fmt.Sprintf(
			"Reading or writing the cluster failed, so nothing more was changed: %v. The sync is retried with backoff.", err)}
	case errors.Is(err, provider.ErrUnavailable), errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled):
		f = failure{reason: dirsyncv1alpha1.ReasonProviderUnavailable, message: fmt.Sprintf(
			"%s could not be reached or failed, so nothing was changed: %v. The sync is retried with backoff.", name, err)}
	default:
		f = failure{reason: dirsyncv1alpha1.ReasonProviderUnavailable, unclassified: true, message: fmt.Sprintf(
			"The sync from %s failed, so nothing was changed: %v. The sync is retried with backoff.", name, err)}
	}
	f.message = provider.Redact(f.message, apiKey)
	return f
}

// providerName is the product name users know.
func providerName(t dirsyncv1alpha1.ProviderType) string {
	switch t {
	case dirsyncv1alpha1.ProviderBreatheHR:
		return "Breathe HR"
	case dirsyncv1alpha1.ProviderAccessPeopleHR:
		return "Access People HR"
	}
	return string(t)
}
