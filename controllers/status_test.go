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
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"

	dirsyncv1alpha1 "github.com/dirsync/dirsync/api/v1alpha1"
	"github.com/dirsync/dirsync/internal/provider"
)

func TestReasonFor(t *testing.T) {
	const key = "sk-live-SECRET-1234"
	tests := []struct {
		name, wantReason, wantInMessage string
		err                             error
	}{
		{name: "missing Secret", err: &errSecret{msg: "Secret hr/key does not exist"}, wantReason: dirsyncv1alpha1.ReasonSecretNotFound, wantInMessage: "does not exist"},
		{name: "insecure endpoint", err: &errInsecureEndpoint{endpoint: "http://x"}, wantReason: dirsyncv1alpha1.ReasonInsecureEndpoint, wantInMessage: "--allow-insecure-endpoints"},
		{name: "401", err: fmt.Errorf("GET /employees: HTTP 401: %w", provider.ErrUnauthorized), wantReason: dirsyncv1alpha1.ReasonInvalidCredentials, wantInMessage: "update the Secret"},
		{name: "429", err: fmt.Errorf("wrapped: %w", &provider.RateLimitedError{RetryAfter: time.Minute}), wantReason: dirsyncv1alpha1.ReasonRateLimited, wantInMessage: "nextSyncTime"},
		{name: "bad JSON", err: fmt.Errorf("decoding: %w", provider.ErrInvalidResponse), wantReason: dirsyncv1alpha1.ReasonInvalidProviderResponse, wantInMessage: "nothing was changed"},
		{name: "5xx", err: fmt.Errorf("HTTP 503: %w", provider.ErrUnavailable), wantReason: dirsyncv1alpha1.ReasonProviderUnavailable, wantInMessage: "HTTP 503"},
		{name: "provider echoes the key", err: fmt.Errorf("bad key %s: %w", key, provider.ErrUnauthorized), wantReason: dirsyncv1alpha1.ReasonInvalidCredentials, wantInMessage: "[redacted]"},
		{name: "provider echoes the key in upper case", err: fmt.Errorf("bad key %s: %w", strings.ToUpper(key), provider.ErrUnauthorized), wantReason: dirsyncv1alpha1.ReasonInvalidCredentials, wantInMessage: "[redacted]"},
		{name: "unknown error", err: errors.New("boom"), wantReason: dirsyncv1alpha1.ReasonProviderUnavailable, wantInMessage: "boom"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			reason, msg := reasonFor(tt.err, testDirectory(""), key)
			if reason != tt.wantReason || !strings.Contains(msg, tt.wantInMessage) {
				t.Fatalf("reasonFor = %s %q, want %s containing %q", reason, msg, tt.wantReason, tt.wantInMessage)
			}
			if strings.Contains(strings.ToLower(msg), strings.ToLower(key)) {
				t.Fatalf("message leaks the key: %q", msg)
			}
		})
	}
}

func TestMarkFailedThenSucceeded(t *testing.T) {
	dir := testDirectory("")
	markAttempt(dir, "7", timeZero)
	markFailed(dir, dirsyncv1alpha1.ReasonProviderUnavailable, "down", 0, timeZero)
	markAttempt(dir, "7", timeZero.Add(30*time.Second))
	markFailed(dir, dirsyncv1alpha1.ReasonProviderUnavailable, "down", 0, timeZero.Add(30*time.Second))
	if dir.Status.ConsecutiveFailures != 2 || !dir.Status.NextSyncTime.Time.Equal(timeZero.Add(90*time.Second)) {
		t.Fatalf("after two failures: failures %d next %v", dir.Status.ConsecutiveFailures, dir.Status.NextSyncTime)
	}
	if dir.Status.ObservedGeneration != 0 || dir.Status.LastSuccessfulSyncTime != nil {
		t.Fatal("a failure must not record observedGeneration or a successful sync")
	}
	markAttempt(dir, "7", timeZero.Add(2*time.Minute))
	markSucceeded(dir, syncOutcome{users: 3, active: 2, groups: 1}, timeZero.Add(2*time.Minute))
	c := meta.FindStatusCondition(dir.Status.Conditions, dirsyncv1alpha1.ConditionReady)
	if c.Reason != dirsyncv1alpha1.ReasonSynced || dir.Status.ConsecutiveFailures != 0 || dir.Status.ObservedGeneration != dir.Generation ||
		!dir.Status.NextSyncTime.Time.Equal(timeZero.Add(32*time.Minute)) || dir.Status.UserCount != 3 || dir.Status.ActiveUserCount != 2 {
		t.Fatalf("after success: %+v", dir.Status)
	}
}

func TestMarkApplyFailedBacksOffWithoutTouchingReady(t *testing.T) {
	dir := testDirectory("")
	markAttempt(dir, "7", timeZero)
	markSucceeded(dir, syncOutcome{users: 1}, timeZero)
	ready := *meta.FindStatusCondition(dir.Status.Conditions, dirsyncv1alpha1.ConditionReady)
	markAttempt(dir, "7", timeZero.Add(time.Hour))
	markApplyFailed(dir)
	if dir.Status.ConsecutiveFailures != 1 || !dir.Status.NextSyncTime.Time.Equal(timeZero.Add(time.Hour+30*time.Second)) {
		t.Fatalf("after a failed apply: failures %d next %v", dir.Status.ConsecutiveFailures, dir.Status.NextSyncTime)
	}
	if got := *meta.FindStatusCondition(dir.Status.Conditions, dirsyncv1alpha1.ConditionReady); got != ready {
		t.Fatalf("Ready changed from %+v to %+v", ready, got)
	}
}
