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
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/ptr"

	dirsyncv1alpha1 "github.com/dirsync/dirsync/api/v1alpha1"
	"github.com/dirsync/dirsync/internal/receiver/token"
)

func TestWebhookStatus(t *testing.T) {
	received := metav1.NewTime(timeZero.Add(-time.Minute))
	tests := []struct {
		name       string
		secret     tokenSecret
		receiverOn bool
		wantPath   string
		wantReason string
		wantStatus metav1.ConditionStatus
	}{
		{name: "a usable token: the path, Receiving", secret: tokenSecret{path: "/hook/abc", version: "7"}, receiverOn: true,
			wantPath: "/hook/abc", wantReason: dirsyncv1alpha1.ReasonReceiving, wantStatus: metav1.ConditionTrue},
		{name: "no usable token: no path, and why", secret: tokenSecret{problem: "Secret x/y does not exist."}, receiverOn: true,
			wantReason: dirsyncv1alpha1.ReasonWebhookSecretInvalid, wantStatus: metav1.ConditionFalse},
		{name: "the receiver is off: the path, and ReceiverDisabled", secret: tokenSecret{path: "/hook/abc", version: "7"},
			wantPath: "/hook/abc", wantReason: dirsyncv1alpha1.ReasonReceiverDisabled, wantStatus: metav1.ConditionFalse},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := testDirectory("")
			d.Status.Webhook = &dirsyncv1alpha1.IncomingWebhookStatus{Path: "/hook/old", LastReceivedTime: &received}
			webhookStatus(d, tt.secret, tt.receiverOn, timeZero)
			if d.Status.Webhook.Path != tt.wantPath || d.Status.Webhook.SecretVersion != tt.secret.version {
				t.Errorf("status.webhook = %+v, want path %q and secretVersion %q", d.Status.Webhook, tt.wantPath, tt.secret.version)
			}
			if !d.Status.Webhook.LastReceivedTime.Equal(&received) {
				t.Errorf("lastReceivedTime (the receiver's) was not kept: %v", d.Status.Webhook.LastReceivedTime)
			}
			c := meta.FindStatusCondition(d.Status.Conditions, dirsyncv1alpha1.ConditionWebhookReceiver)
			if c == nil || c.Reason != tt.wantReason || c.Status != tt.wantStatus {
				t.Fatalf("WebhookReceiver condition = %+v, want %s %s", c, tt.wantStatus, tt.wantReason)
			}
			if tt.secret.problem != "" && c.Message != tt.secret.problem {
				t.Errorf("the message should say what is wrong: %q", c.Message)
			}
			if meta.FindStatusCondition(d.Status.Conditions, dirsyncv1alpha1.ConditionReady) != nil {
				t.Errorf("the webhook's state must not touch Ready: %+v", d.Status.Conditions)
			}
		})
	}
}

func TestReadToken(t *testing.T) {
	const tok = "0123456789abcdef0123456789abcdef"
	owned := func(d *dirsyncv1alpha1.Directory) *corev1.Secret {
		return &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: d.Name + "-webhook", Namespace: d.Namespace, ResourceVersion: "9",
			OwnerReferences: []metav1.OwnerReference{{APIVersion: "dirsync.io/v1alpha1", Kind: "Directory", Name: d.Name, UID: d.UID, Controller: ptr.To(true)}}},
			Data: map[string][]byte{"token": []byte(" " + tok + "\n")}}
	}
	tests := []struct {
		name        string
		userSecret  bool // spec.webhook.secretRef names it
		mutate      func(*corev1.Secret)
		wantPath    bool
		wantProblem string
	}{
		{name: "the operator's own Secret", wantPath: true},
		{name: "a user's Secret (no owner needed)", userSecret: true, mutate: func(s *corev1.Secret) { s.OwnerReferences = nil }, wantPath: true},
		{name: "a Secret of the operator's name that someone else made", mutate: func(s *corev1.Secret) { s.OwnerReferences = nil },
			wantProblem: "does not own it"},
		{name: "owned by another Directory", mutate: func(s *corev1.Secret) { s.OwnerReferences[0].UID = "other" }, wantProblem: "does not own it"},
		{name: "a short token", userSecret: true, mutate: func(s *corev1.Secret) { s.Data["token"] = []byte("short") },
			wantProblem: "has 5 characters; it needs at least 32"},
		{name: "no token key", userSecret: true, mutate: func(s *corev1.Secret) { s.Data = map[string][]byte{"apiKey": []byte(tok)} },
			wantProblem: `no usable key "token"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := testDirectory("")
			d.UID = types.UID("dir-uid")
			d.Spec.Webhook = &dirsyncv1alpha1.IncomingWebhook{Enabled: ptr.To(true)}
			if tt.userSecret {
				d.Spec.Webhook.SecretRef = &dirsyncv1alpha1.LocalSecretReference{Name: d.Name + "-webhook"}
			}
			s := owned(d)
			if tt.mutate != nil {
				tt.mutate(s)
			}
			got := readToken(d, s)
			if tt.wantPath {
				if want := token.Path(d.Namespace, d.Name, tok); got.path != want || got.version != "9" || got.problem != "" {
					t.Fatalf("readToken = %+v, want path %s (white space around the token trimmed) and version 9", got, want)
				}
				return
			}
			if got.path != "" || !strings.Contains(got.problem, tt.wantProblem) {
				t.Fatalf("readToken = %+v, want no path and a problem saying %q", got, tt.wantProblem)
			}
			if strings.Contains(got.problem, tok) {
				t.Fatalf("the problem contains the token: %q", got.problem)
			}
		})
	}
}

// Hinted syncs of Access People HR Directories stay within peopleHRHintsPerMinute in any minute, across
// Directories; other providers' are not counted (their clients pace themselves).
func TestMarkHinted(t *testing.T) {
	d := testDirectory("")
	markHinted(d, timeZero.Add(1500*time.Millisecond)) // no status.webhook (turned off): nothing to record
	if d.Status.Webhook != nil {
		t.Fatalf("markHinted made a status.webhook: %+v", d.Status.Webhook)
	}
	d.Status.Webhook = &dirsyncv1alpha1.IncomingWebhookStatus{Path: "/hook/x"}
	markHinted(d, timeZero.Add(1500*time.Millisecond))
	if got := d.Status.Webhook.LastHintedSyncTime; got == nil || !got.Time.Equal(timeZero.Add(time.Second)) {
		t.Fatalf("lastHintedSyncTime = %v, want %v (whole seconds, as lastSyncTime)", got, timeZero.Add(time.Second))
	}
}

func TestHintBudget(t *testing.T) {
	var b hintBudget
	for i := range peopleHRHintsPerMinute {
		if wait := b.take(dirsyncv1alpha1.ProviderAccessPeopleHR, timeZero.Add(time.Duration(i)*time.Second)); wait != 0 {
			t.Fatalf("hinted sync %d in the first minute waits %s", i+1, wait)
		}
	}
	at := timeZero.Add(30 * time.Second)
	if wait := b.take(dirsyncv1alpha1.ProviderAccessPeopleHR, at); wait != 30*time.Second {
		t.Fatalf("sync %d within a minute waits %s, want 30s (until the first leaves the window)", peopleHRHintsPerMinute+1, wait)
	}
	if wait := b.take(dirsyncv1alpha1.ProviderBreatheHR, at); wait != 0 {
		t.Fatalf("a Breathe HR hinted sync waits %s: its client keeps its own budget", wait)
	}
	if wait := b.take(dirsyncv1alpha1.ProviderAccessPeopleHR, timeZero.Add(time.Minute)); wait != 0 {
		t.Fatalf("a minute after the first, a sync waits %s", wait)
	}
	if wait := b.take(dirsyncv1alpha1.ProviderAccessPeopleHR, timeZero.Add(time.Minute)); wait != time.Second {
		t.Fatalf("the next one waits %s, want 1s", wait)
	}
}
