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
	"k8s.io/apimachinery/pkg/api/meta"
	clocktesting "k8s.io/utils/clock/testing"

	dirsyncv1alpha1 "github.com/dirsync/dirsync/api/v1alpha1"
	"github.com/dirsync/dirsync/controllers/directory/directorytest"
	"github.com/dirsync/dirsync/internal/provider"
	"github.com/dirsync/dirsync/internal/provider/fakehr"
)

func TestClassify(t *testing.T) {
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
		{name: "malformed key: no request sent", err: fmt.Errorf("the API key contains white space: %w", provider.ErrUnauthorized), wantReason: dirsyncv1alpha1.ReasonInvalidCredentials, wantInMessage: "white space"},
		{name: "401", err: fmt.Errorf("GET /employees: HTTP 401: %w", provider.ErrUnauthorized), wantReason: dirsyncv1alpha1.ReasonInvalidCredentials, wantInMessage: "update the Secret"},
		{name: "429", err: fmt.Errorf("wrapped: %w", &provider.RateLimitedError{RetryAfter: time.Minute}), wantReason: dirsyncv1alpha1.ReasonRateLimited, wantInMessage: "nextSyncTime", wantRetryAfter: time.Minute},
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
				t.Fatalf("classify = %s %q %s, want %s containing %q, retry after %s", f.reason, f.message, f.retryAfter, tt.wantReason, tt.wantInMessage, tt.wantRetryAfter)
			}
			if strings.Contains(strings.ToLower(f.message), strings.ToLower(key)) {
				t.Fatalf("message leaks the key: %q", f.message)
			}
		})
	}
}

func TestMarkFailedThenSucceeded(t *testing.T) {
	dir := testDirectory("")
	markAttempt(dir, "7", timeZero)
	down := failure{reason: dirsyncv1alpha1.ReasonProviderUnavailable, message: "down"}
	markFailed(dir, down, timeZero)
	markAttempt(dir, "7", timeZero.Add(30*time.Second))
	markFailed(dir, down, timeZero.Add(30*time.Second))
	if dir.Status.ConsecutiveFailures != 2 || !dir.Status.NextSyncTime.Time.Equal(timeZero.Add(90*time.Second)) {
		t.Fatalf("after two failures: failures %d next %v", dir.Status.ConsecutiveFailures, dir.Status.NextSyncTime)
	}
	if dir.Status.ObservedGeneration != 0 || dir.Status.LastSuccessfulSyncTime != nil {
		t.Fatal("a failure must not record observedGeneration or a successful sync")
	}
	markAttempt(dir, "7", timeZero.Add(2*time.Minute))
	markSynced(dir, syncOutcome{users: 3, active: 2, groups: 1}, timeZero.Add(2*time.Minute))
	c := meta.FindStatusCondition(dir.Status.Conditions, dirsyncv1alpha1.ConditionReady)
	if c.Reason != dirsyncv1alpha1.ReasonSynced || dir.Status.ConsecutiveFailures != 0 || dir.Status.ObservedGeneration != dir.Generation ||
		!dir.Status.NextSyncTime.Time.Equal(timeZero.Add(32*time.Minute)) || dir.Status.UserCount != 3 || dir.Status.ActiveUserCount != 2 {
		t.Fatalf("after success: %+v", dir.Status)
	}
}

// A sync whose writes failed says so: Ready=False ApplyFailed, counts of what exists, and the backoff.
func TestApplyFailedIsReadyFalseWithCounts(t *testing.T) {
	dir := testDirectory("")
	markAttempt(dir, "7", timeZero)
	markSynced(dir, syncOutcome{users: 1}, timeZero)
	markAttempt(dir, "7", timeZero.Add(time.Hour))
	f := reasonFor(&applyError{failed: 1, total: 3, first: errors.New("creating DirectoryUser hr/acme-2: quota exceeded")}, dir, "")
	setCounts(dir, syncOutcome{users: 2, active: 2, groups: 1})
	markFailed(dir, f, timeZero.Add(time.Hour))
	c := meta.FindStatusCondition(dir.Status.Conditions, dirsyncv1alpha1.ConditionReady)
	if c.Status != "False" || c.Reason != dirsyncv1alpha1.ReasonApplyFailed || !strings.Contains(c.Message, "acme-2: quota exceeded") {
		t.Fatalf("Ready = %+v", c)
	}
	if dir.Status.ConsecutiveFailures != 1 || !dir.Status.NextSyncTime.Time.Equal(timeZero.Add(time.Hour+30*time.Second)) || dir.Status.UserCount != 2 {
		t.Fatalf("after a failed apply: %+v", dir.Status)
	}
	if s := meta.FindStatusCondition(dir.Status.Conditions, dirsyncv1alpha1.ConditionSyncing); s == nil || s.Status != "False" {
		t.Fatalf("Syncing = %+v", s)
	}
}

func TestPlanSummary(t *testing.T) {
	tests := []struct {
		name          string
		users, groups [4]int
		held          bool
		want          string
	}{
		{name: "first sync", users: [4]int{200, 0, 0, 0}, groups: [4]int{12, 0, 0, 0}, want: "would create 200 users and 12 groups, update 0, delete 0"},
		{name: "changes", users: [4]int{1, 3, 0, 2}, groups: [4]int{0, 1, 0, 0},
			want: "would create 1 users and 0 groups, update 3 users and 1 groups, delete 2 users and 0 groups"},
		{name: "held", users: [4]int{0, 0, 60, 0}, held: true, want: "would create 0, update 0, delete 0; the deletion guard would hold 60 users and 0 groups"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := planSummary(tt.users, tt.groups, tt.held); got != tt.want {
				t.Fatalf("planSummary = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestThousands(t *testing.T) {
	for n, want := range map[int]string{0: "0", 999: "999", 1000: "1,000", 6000: "6,000", 20000: "20,000", 1234567: "1,234,567"} {
		if got := thousands(n); got != want {
			t.Errorf("thousands(%d) = %q, want %q", n, got, want)
		}
	}
}

// The Syncing messages a sync's two progress callbacks record for the next tick to publish.
func TestProgressMessages(t *testing.T) {
	p := &progress{}
	tests := []struct {
		report              func()
		reason, wantMessage string
	}{
		{func() { p.reading("Breathe HR")(40, 101) }, dirsyncv1alpha1.ReasonReadingProvider, "Reading Breathe HR: read 40 of 101 pages."},
		{func() { p.reading("Access People HR")(1, 0) }, dirsyncv1alpha1.ReasonReadingProvider, "Reading Access People HR: read 1 page."},
		{func() { p.reading("Breathe HR")(2, 0) }, dirsyncv1alpha1.ReasonReadingProvider, "Reading Breathe HR: read 2 pages."},
		{func() { p.applied(20000)(6000) }, dirsyncv1alpha1.ReasonApplying, "Applying: applied 6,000 of 20,000 changes."},
	}
	for _, tt := range tests {
		tt.report()
		if p.reason != tt.reason || p.message != tt.wantMessage {
			t.Errorf("Syncing %s %q, want %s %q", p.reason, p.message, tt.reason, tt.wantMessage)
		}
	}
}

// Every error the provider packages can return — each fault of each fake, met by the real client
// built through the registry, and each factory refusal — is classified by a rule, never by the
// fallback, and with the reason the fault calls for.
func TestClassifyEveryProviderError(t *testing.T) {
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
				r := &DirectoryReconciler{Providers: directorytest.Providers(), Clock: clocktesting.NewFakeClock(timeZero),
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
			r := &DirectoryReconciler{Providers: directorytest.Providers(), Clock: clocktesting.NewFakeClock(timeZero)}
			_, err := r.fetch(t.Context(), dir, tc.key, nil, nil)
			f := reasonFor(err, dir, tc.key)
			if err == nil || f.unclassified || f.reason != tc.want || strings.Contains(f.message, "invalid response") {
				t.Fatalf("factory error %v: %s %q, want %s", err, f.reason, f.message, tc.want)
			}
		})
	}
}
