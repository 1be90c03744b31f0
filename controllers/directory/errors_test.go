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
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	clocktesting "k8s.io/utils/clock/testing"

	dirsyncv1alpha1 "github.com/dirsync/dirsync/api/v1alpha1"
	"github.com/dirsync/dirsync/controllers/directory/directorytest"
	"github.com/dirsync/dirsync/internal/provider"
	"github.com/dirsync/dirsync/internal/provider/fakehr"
)

func TestReasonFor(t *testing.T) {
	const key = "sk-live-SECRET-1234"
	tests := []struct {
		name, wantReason, wantInMessage string
		err                             error
		wantRetryAfter                  time.Duration
	}{
		{name: "missing Secret", err: &secretError{message: "Secret hr/key does not exist"}, wantReason: dirsyncv1alpha1.ReasonSecretNotFound, wantInMessage: "does not exist"},
		{name: "insecure endpoint", err: &insecureEndpointError{endpoint: "http://x"}, wantReason: dirsyncv1alpha1.ReasonInsecureEndpoint, wantInMessage: "--allow-insecure-endpoints"},
		{name: "spec the provider cannot use", err: &invalidSpecError{message: "spec.endpoint is not an absolute http(s) URL"}, wantReason: dirsyncv1alpha1.ReasonInvalidSpec, wantInMessage: "no request was sent"},
		{name: "provider factory refuses the config", err: fmt.Errorf("base URL has a query: %w", provider.ErrInvalidConfig), wantReason: dirsyncv1alpha1.ReasonInvalidSpec, wantInMessage: "base URL has a query"},
		{name: "an endpoint outside the allowed hosts", err: &provider.EndpointNotAllowedError{Provider: "breathehr", Host: "hr.attacker.example:443", Known: []string{"api.breathehr.com"}},
			wantReason: dirsyncv1alpha1.ReasonInvalidSpec, wantInMessage: "hr.attacker.example:443, which is not one of Breathe HR's hosts (api.breathehr.com, over https on port 443), so no request was sent"},
		{name: "malformed key: no request sent", err: fmt.Errorf("the API key contains white space: %w", provider.ErrUnauthorized), wantReason: dirsyncv1alpha1.ReasonInvalidCredentials, wantInMessage: "white space"},
		{name: "401", err: fmt.Errorf("GET /employees: HTTP 401: %w", provider.ErrUnauthorized), wantReason: dirsyncv1alpha1.ReasonInvalidCredentials, wantInMessage: "update the Secret"},
		{name: "429", err: fmt.Errorf("wrapped: %w", &provider.RateLimitedError{RetryAfter: time.Minute}), wantReason: dirsyncv1alpha1.ReasonRateLimited, wantInMessage: "nextSyncTime", wantRetryAfter: time.Minute},
		{name: "more employees than the limit", err: fmt.Errorf("breathehr: GET /employees: %w", &provider.TooManyEmployeesError{Limit: 100}),
			wantReason: dirsyncv1alpha1.ReasonTooManyUsers, wantInMessage: "more than 100 employees, the most the manager lets one Directory hold (--max-users-per-directory"},
		{name: "bad JSON", err: fmt.Errorf("decoding: %w", provider.ErrInvalidResponse), wantReason: dirsyncv1alpha1.ReasonInvalidProviderResponse, wantInMessage: "nothing was changed"},
		{name: "5xx", err: fmt.Errorf("HTTP 503: %w", provider.ErrUnavailable), wantReason: dirsyncv1alpha1.ReasonProviderUnavailable, wantInMessage: "HTTP 503"},
		{name: "timeout", err: fmt.Errorf("GET: %w", context.DeadlineExceeded), wantReason: dirsyncv1alpha1.ReasonProviderUnavailable, wantInMessage: "deadline"},
		{name: "writes failed", err: &applyError{failed: 2, total: 9, first: errors.New(`creating DirectoryUser hr/acme-1: denied by policy "no-ceo"`)},
			wantReason: dirsyncv1alpha1.ReasonApplyFailed, wantInMessage: `2 of 9 writes failed; the first: creating DirectoryUser hr/acme-1: denied by policy "no-ceo"`},
		{name: "the cluster failed", err: fmt.Errorf("listing DirectoryUsers: %w", apierrors.NewServiceUnavailable("etcd")), wantReason: dirsyncv1alpha1.ReasonApplyFailed, wantInMessage: "etcd"},
		{name: "provider echoes the key", err: fmt.Errorf("bad key %s: %w", key, provider.ErrUnauthorized), wantReason: dirsyncv1alpha1.ReasonInvalidCredentials, wantInMessage: "[redacted]"},
		{name: "provider echoes the key in upper case", err: fmt.Errorf("bad key %s: %w", strings.ToUpper(key), provider.ErrUnauthorized), wantReason: dirsyncv1alpha1.ReasonInvalidCredentials, wantInMessage: "[redacted]"},
		{name: "unknown error backs off as unavailable", err: errors.New("boom"), wantReason: dirsyncv1alpha1.ReasonProviderUnavailable, wantInMessage: "boom"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := reasonFor(tt.err, testDirectory(""), key)
			if f.reason != tt.wantReason || !strings.Contains(f.message, tt.wantInMessage) || f.retryAfter != tt.wantRetryAfter {
				t.Fatalf("reasonFor = %s %q %s, want %s containing %q, retry after %s", f.reason, f.message, f.retryAfter, tt.wantReason, tt.wantInMessage, tt.wantRetryAfter)
			}
			if strings.Contains(strings.ToLower(f.message), strings.ToLower(key)) {
				t.Fatalf("message leaks the key: %q", f.message)
			}
		})
	}
}

// Every error the provider packages can return — each fault of each fake, met by the real client
// built through the registry, and each factory refusal — is classified by a rule, never by the
// fallback, and with the reason the fault calls for.
func TestReasonForEveryProviderError(t *testing.T) {
	want := map[fakehr.FaultKind]string{
		fakehr.FaultUnauthorized:  dirsyncv1alpha1.ReasonInvalidCredentials,
		fakehr.FaultServerError:   dirsyncv1alpha1.ReasonProviderUnavailable,
		fakehr.FaultRateLimited:   dirsyncv1alpha1.ReasonRateLimited,
		fakehr.FaultMalformedJSON: dirsyncv1alpha1.ReasonInvalidProviderResponse,
		fakehr.FaultTruncatedBody: dirsyncv1alpha1.ReasonInvalidProviderResponse,
		fakehr.FaultSlowBody:      dirsyncv1alpha1.ReasonProviderUnavailable,
		fakehr.FaultMissingPage:   dirsyncv1alpha1.ReasonInvalidProviderResponse,
		fakehr.FaultEmptyList:     "",                                        // a well-formed, empty answer: no error (the guard decides)
		fakehr.FaultErrorEnvelope: dirsyncv1alpha1.ReasonProviderUnavailable, // Breathe HR: HTTP 500; Access People HR: Status 6
		fakehr.FaultDuplicateIDs:  dirsyncv1alpha1.ReasonInvalidProviderResponse,
		fakehr.FaultHang:          dirsyncv1alpha1.ReasonProviderUnavailable,
	}
	for _, pc := range directorytest.ProviderCases {
		for _, kind := range fakehr.FaultKinds {
			t.Run(pc.Name+"/"+string(kind), func(t *testing.T) {
				wantReason, ok := want[kind]
				if !ok {
					t.Fatalf("fault kind %s has no expected reason in this table", kind)
				}
				srv := pc.Start(fakehr.Generate(fakehr.GenerateOptions{Seed: 3, Employees: 120, IDs: pc.IDs, Today: timeZero}))
				t.Cleanup(srv.Close)
				srv.InjectFault(fakehr.Fault{Kind: kind, Delay: 5 * time.Second, Message: "Unexpected failure: please try later"})
				dir := testDirectory("")
				dir.Spec.Provider, dir.Spec.Endpoint = pc.Provider, srv.URL()
				r := &Reconciler{Providers: directorytest.Providers(), Clock: clocktesting.NewFakeClock(timeZero),
					AllowInsecureEndpoints: true, ProviderTimeout: 500 * time.Millisecond}
				snap, err := r.fetch(t.Context(), dir, srv.APIKey(), nil, nil)
				if err == nil && snap != nil {
					_, err = buildModel(dir, snap, nil) // duplicates are the model's to refuse
				}
				got := ""
				if err != nil {
					f := reasonFor(err, dir, srv.APIKey())
					if f.unclassified {
						t.Fatalf("%v fell through to the fallback", err)
					}
					got = f.reason
				}
				// Access People HR has no pages, so a missing page is no fault there.
				noPages := kind == fakehr.FaultMissingPage && pc.Provider == dirsyncv1alpha1.ProviderAccessPeopleHR
				if got != wantReason && (!noPages || got != "") {
					t.Fatalf("%s: reason %q (err %v), want %q", kind, got, err, wantReason)
				}
			})
		}
	}
	for name, tc := range map[string]struct {
		key, endpoint, want string
	}{
		"a key with white space":   {key: "two words", want: dirsyncv1alpha1.ReasonInvalidCredentials},
		"an endpoint with a query": {key: "k", endpoint: "https://api.breathehr.com/v1?x=1", want: dirsyncv1alpha1.ReasonInvalidSpec},
	} {
		t.Run("factory/"+name, func(t *testing.T) {
			dir := testDirectory("")
			dir.Spec.Endpoint = tc.endpoint
			r := &Reconciler{Providers: directorytest.Providers(), Clock: clocktesting.NewFakeClock(timeZero)}
			_, err := r.fetch(t.Context(), dir, tc.key, nil, nil)
			f := reasonFor(err, dir, tc.key)
			if err == nil || f.unclassified || f.reason != tc.want || strings.Contains(f.message, "invalid response") {
				t.Fatalf("factory error %v: %s %q, want %s", err, f.reason, f.message, tc.want)
			}
		})
	}
}
