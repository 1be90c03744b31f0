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

package plugin

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/wait"
	"sigs.k8s.io/controller-runtime/pkg/client"

	dirsyncv1alpha1 "github.com/dirsync/dirsync/api/v1alpha1"
)

// createWebhook creates a DirectoryWebhook of Directory acme and writes status as the operator would.
func createWebhook(t *testing.T, ns, name string, status dirsyncv1alpha1.DirectoryWebhookStatus) *dirsyncv1alpha1.DirectoryWebhook {
	t.Helper()
	wh := &dirsyncv1alpha1.DirectoryWebhook{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec: dirsyncv1alpha1.DirectoryWebhookSpec{DirectoryRef: dirsyncv1alpha1.DirectoryReference{Name: "acme"},
			URL: "https://" + name + ".example/hooks/workos?token=abc", SecretRef: dirsyncv1alpha1.WebhookSecretReference{Name: name + "-signing"}}}
	if err := k8sClient.Create(callCtx(t), wh); err != nil {
		t.Fatalf("creating DirectoryWebhook %s/%s: %v", ns, name, err)
	}
	wh.Status = status
	if err := k8sClient.Status().Update(callCtx(t), wh); err != nil {
		t.Fatalf("writing the status of DirectoryWebhook %s/%s: %v", ns, name, err)
	}
	return wh
}

func webhookStatus(reason string, ready metav1.ConditionStatus, msg string, now time.Time) dirsyncv1alpha1.DirectoryWebhookStatus {
	return dirsyncv1alpha1.DirectoryWebhookStatus{Conditions: []metav1.Condition{cond(dirsyncv1alpha1.ConditionReady, ready, reason, msg, now)},
		DeliveredEvents: 120, LastDeliveryTime: mt(now.Add(-2 * time.Minute)), RecordedUsers: 40, RecordedGroups: 4}
}

func heldWebhookStatus(now time.Time, token string) dirsyncv1alpha1.DirectoryWebhookStatus {
	st := webhookStatus(dirsyncv1alpha1.ReasonRemovalsHeld, metav1.ConditionFalse, "The Directory's changes would remove 6 people.", now)
	st.PendingEvents = 6
	st.HeldRemovals = &dirsyncv1alpha1.HeldRemovals{Users: 6, Names: []string{"acme-1", "acme-2", "acme-3"}, ApprovalToken: token}
	return st
}

// answerWebhookApproval simulates the operator's answer to dirsync.io/approve-removals (see answerApproval).
func answerWebhookApproval(t *testing.T, key types.NamespacedName, accept bool, newToken string) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = wait.PollUntilContextCancel(ctx, 20*time.Millisecond, true, func(ctx context.Context) (bool, error) {
			w := &dirsyncv1alpha1.DirectoryWebhook{}
			if err := k8sClient.Get(ctx, key, w); err != nil {
				return false, nil
			}
			token := w.Annotations[dirsyncv1alpha1.AnnotationApproveRemovals]
			if token == "" || token == w.Status.LastHandledApproval {
				return false, nil
			}
			w.Status.LastHandledApproval = token
			now := time.Now()
			if accept {
				h := w.Status.HeldRemovals
				w.Status.LastApproval = &dirsyncv1alpha1.DeletionApproval{Token: token, ApprovedAt: *mt(now), Users: h.Users, Groups: h.Groups}
				w.Status.HeldRemovals = nil
				meta.SetStatusCondition(&w.Status.Conditions, cond(dirsyncv1alpha1.ConditionReady, metav1.ConditionTrue, dirsyncv1alpha1.ReasonDelivering, "Delivering.", now))
			} else {
				w.Status.HeldRemovals = &dirsyncv1alpha1.HeldRemovals{Users: 7, Names: []string{"acme-1"}, ApprovalToken: newToken}
				ev := &eventsv1.Event{ObjectMeta: metav1.ObjectMeta{Namespace: w.Namespace, GenerateName: w.Name + "-approval-"},
					EventTime: metav1.NewMicroTime(now), ReportingController: "dirsync", ReportingInstance: "dirsync-test",
					Action: "Approve", Reason: "ApprovalRejected", Type: corev1.EventTypeWarning,
					Regarding: corev1.ObjectReference{APIVersion: dirsyncv1alpha1.GroupVersion.String(), Kind: "DirectoryWebhook",
						Namespace: w.Namespace, Name: w.Name, UID: w.UID},
					Note: "The approval " + token + " released nothing: the held removals changed (token " + newToken + ")"}
				if err := k8sClient.Create(context.Background(), ev); err != nil {
					t.Errorf("creating the Event: %v", err)
				}
			}
			_ = k8sClient.Status().Update(ctx, w)
			return false, nil
		})
	}()
	t.Cleanup(func() { cancel(); <-done })
}

func TestWebhookCommands(t *testing.T) {
	requireEnvtest(t)
	now := time.Now().UTC().Truncate(time.Second)
	ns := newNamespace(t)
	createWebhook(t, ns, "billing", webhookStatus(dirsyncv1alpha1.ReasonDelivered, metav1.ConditionTrue, "The receiver has acknowledged every change.", now))
	failing := webhookStatus(dirsyncv1alpha1.ReasonReceiverFailing, metav1.ConditionFalse, "The receiver failed the last attempts (HTTP 503 from the receiver).", now)
	failing.PendingEvents, failing.FailedAttempts, failing.LastError = 14, 5, "HTTP 503 from the receiver"
	createWebhook(t, ns, "siem", failing)
	createWebhook(t, ns, "offboarding", heldWebhookStatus(now, "tok-held"))

	t.Run("status lists the webhooks, with what to do about one that fails", func(t *testing.T) {
		r := runPlugin(t, nil, "", "webhook", "status", "-n", ns)
		if r.code != 0 {
			t.Fatalf("want exit code 0; %s", r)
		}
		assertContains(t, r, []string{"NAME          DIRECTORY   RECEIVER", "billing       acme        billing.example       True    Delivered",
			"siem          acme        siem.example          False   ReceiverFailing   14        120         5", ns + "/siem: The receiver failed",
			"Hint: check the receiver", "kubectl dirsync webhook approve offboarding -n " + ns}, nil)
		if strings.Contains(r.out, "token=abc") {
			t.Errorf("the table shows the URL's query; %s", r)
		}
	})
	t.Run("status NAME shows the held removals and how to approve them", func(t *testing.T) {
		r := runPlugin(t, nil, "", "webhook", "status", "offboarding", "-n", ns)
		assertContains(t, r, []string{"DirectoryWebhook: " + ns + "/offboarding", "Format:           WorkOS, signed in WorkOS-Signature with Secret offboarding-signing key secret",
			"Events:           all", "Ready:            False (RemovalsHeld)", "Pending:          6 events",
			"The removal guard holds the removal of 6 people and 0 groups", "  acme-1\n", "  … and 3 more\n",
			"    kubectl dirsync webhook approve offboarding -n " + ns + "\n", "dirsync.io/approve-removals=tok-held"}, nil)
	})
	t.Run("status -o json", func(t *testing.T) {
		r := runPlugin(t, nil, "", "webhook", "status", "-n", ns, "-o", "json")
		var v itemList[webhookView]
		if err := json.Unmarshal([]byte(r.out), &v); r.code != 0 || err != nil || len(v.Items) != 3 || v.Items[2].LastError != "HTTP 503 from the receiver" {
			t.Fatalf("%v; %s", err, r)
		}
	})
	t.Run("approve: no approves nothing", func(t *testing.T) {
		wh := createWebhook(t, ns, "no", heldWebhookStatus(now, "tok-no"))
		r := runPlugin(t, nil, "n\n", "webhook", "approve", "no", "-n", ns)
		assertContains(t, r, []string{"Tell the receiver of these 6 removals? [y/N]: "}, []string{"not approved: nothing was released"})
		got := &dirsyncv1alpha1.DirectoryWebhook{}
		if err := k8sClient.Get(callCtx(t), client.ObjectKeyFromObject(wh), got); err != nil || got.Annotations[dirsyncv1alpha1.AnnotationApproveRemovals] != "" || r.code != 1 {
			t.Errorf("answering no: %v, annotations %v; %s", err, got.Annotations, r)
		}
	})
	t.Run("approve --yes sets the token and reports the release", func(t *testing.T) {
		wh := createWebhook(t, ns, "yes", heldWebhookStatus(now, "tok-yes"))
		answerWebhookApproval(t, client.ObjectKeyFromObject(wh), true, "")
		r := runPlugin(t, nil, "", "webhook", "approve", "yes", "-n", ns, "--yes")
		if r.code != 0 {
			t.Fatalf("want exit code 0; %s", r)
		}
		assertContains(t, r, []string{"Approved with dirsync.io/approve-removals=tok-yes.", "Released the removal of 6 people and 0 groups"}, nil)
	})
	t.Run("approve, but the held set changed: the operator's Event says so", func(t *testing.T) {
		wh := createWebhook(t, ns, "changed", heldWebhookStatus(now, "tok-old"))
		answerWebhookApproval(t, client.ObjectKeyFromObject(wh), false, "tok-new")
		r := runPlugin(t, nil, "y\n", "webhook", "approve", "changed", "-n", ns)
		if r.code != 1 {
			t.Fatalf("want exit code 1; %s", r)
		}
		assertContains(t, r, []string{"The operator did not use the approval tok-old", "Event: ApprovalRejected: The approval tok-old released nothing",
			"The removal guard holds the removal of 7 people"}, []string{"nothing was released"})
	})
	t.Run("approve with nothing held", func(t *testing.T) {
		r := runPlugin(t, nil, "y\n", "webhook", "approve", "billing", "-n", ns)
		assertContains(t, r, nil, []string{"holds no removals: there is nothing to approve"})
	})
	t.Run("no such webhook", func(t *testing.T) {
		r := runPlugin(t, nil, "", "webhook", "status", "nope", "-n", ns)
		assertContains(t, r, nil, []string{"no DirectoryWebhook \"nope\" in namespace"})
	})
}
