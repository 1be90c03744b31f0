//go:build e2e

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

package e2e

import (
	"context"
	"fmt"
	"net/http"
	"os/exec"
	"strings"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/types"

	dirsyncv1alpha1 "github.com/dirsync/dirsync/api/v1alpha1"
	"github.com/dirsync/dirsync/internal/provider/fakehr"
	"github.com/dirsync/dirsync/test/utils"
)

// The issue-23 story from the outside, with the real manager as its ServiceAccount: a Directory turns
// its webhook on (the operator makes the token Secret, which its RBAC allows), HR marks a person a
// leaver, the customer's own automation calls the receiver with curl (Breathe HR has no webhooks of its
// own), and `kubectl auth can-i --as=<them>` turns from yes to no without waiting for the schedule.
func TestWebhookLeaverLosesAccess(t *testing.T) {
	kubeconfig := operatorIdentity(t)
	ns, web := newNamespace(t, "e2e-hook-"), newNamespace(t, "e2e-hook-web-")
	hr := startFakeHR(t, smallCompany)
	mgr := startManager(t, "manager", kubeconfig, withReceiver)
	watch := []*utils.Process{mgr.Process, hr.Process}
	dirKey := createDirectory(t, ns, "breathe", hr)
	waitReady(t, dirKey, smallCompany, firstSyncTimeout, watch...)
	leaver, group := pickActiveMember(t, dirKey)
	subject := "oidc:" + strings.ToLower(leaver.Spec.Email)

	mustKubectl(t, "create", "rolebinding", accessGrantor, "-n", web, "--clusterrole="+accessGrantor,
		"--serviceaccount="+operatorNamespace+":"+operatorServiceAccount)
	accKey := types.NamespacedName{Namespace: ns, Name: "eng-edit"}
	applyAccess(t, "", accKey, dirKey.Name, group, web)
	waitAccessReason(t, accKey, dirsyncv1alpha1.ReasonBound, watch...)
	expectCanI(t, subject, web, "yes")

	mustKubectl(t, "patch", "directory", dirKey.Name, "-n", ns, "--type=merge", "-p", `{"spec":{"webhook":{"enabled":true}}}`)
	path := waitWebhookPath(t, dirKey, watch...)
	url := mgr.receiverURL(t)
	if code := curlPost(t, url+path+"0", "ActionId:3"); code != http.StatusNotFound {
		t.Errorf("curl with a wrong path: HTTP %d, want 404", code)
	}

	var marked fakehr.LeaverResponse
	hr.admin(t, http.MethodPost, "/admin/leaver", fakehr.LeaverRequest{ID: leaver.Spec.ExternalID}, &marked)
	posted := time.Now()
	if code := curlPost(t, url+path, "EmployeeId:"+leaver.Spec.ExternalID); code != http.StatusAccepted {
		t.Fatalf("curl with the Directory's path: HTTP %d, want 202", code)
	}
	eventually(t, syncTimeout, "kubectl auth can-i --as="+subject+" to say no", func(context.Context) (bool, string) {
		out, _ := kubectl("", "auth", "can-i", "create", "deployments", "-n", web, "--as="+subject)
		return strings.TrimSpace(out) == "no", "can-i: " + strings.TrimSpace(out)
	}, watch...)
	t.Logf("access revoked %s after the webhook request", time.Since(posted).Round(time.Millisecond))
	dir, err := getDirectory(callCtx(t), dirKey)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(dir.Status.LastHandledSyncRequest, dirsyncv1alpha1.SyncRequestWebhookPrefix) {
		t.Errorf("the sync that saw the leaver answered %q, want the receiver's webhook/ request", dir.Status.LastHandledSyncRequest)
	}
}

// Two replicas with leader election: the POST reaches the follower (a Service may send it to any
// replica), the follower writes the request, and the leader syncs; the follower never syncs.
func TestWebhookReachesTheLeaderFromAnyReplica(t *testing.T) {
	kubeconfig := operatorIdentity(t)
	ns := newNamespace(t, "e2e-hook-leader-")
	hr := startFakeHR(t, smallCompany)
	flags := []string{"--leader-elect", "--leader-election-namespace=" + operatorNamespace, withReceiver}
	replicas := []*manager{startManager(t, "replica-1", kubeconfig, flags...), startManager(t, "replica-2", kubeconfig, flags...)}
	all := []*utils.Process{replicas[0].Process, replicas[1].Process, hr.Process}
	var leader, follower *manager
	eventually(t, failoverTimeout, "a replica to acquire the Lease", func(context.Context) (bool, string) {
		for i, r := range replicas {
			if len(r.LogEntries(acquiredLease)) > 0 {
				leader, follower = r, replicas[1-i]
				return true, ""
			}
		}
		return false, "no replica has logged " + acquiredLease
	}, all...)
	key := createDirectory(t, ns, "breathe", hr)
	waitReady(t, key, smallCompany, firstSyncTimeout, all...)
	mustKubectl(t, "patch", "directory", key.Name, "-n", ns, "--type=merge", "-p", `{"spec":{"webhook":{"enabled":true}}}`)
	path := waitWebhookPath(t, key, all...)
	synced := leader.syncedLines()

	if code := curlPost(t, follower.receiverURL(t)+path, `{"note":"from a customer's automation"}`); code != http.StatusAccepted {
		t.Fatalf("POST to %s (the follower): HTTP %d, want 202", follower.Name, code)
	}
	eventually(t, syncTimeout, "the leader to answer the follower's request", func(ctx context.Context) (bool, string) {
		d, err := getDirectory(ctx, key)
		if err != nil {
			return false, err.Error()
		}
		return strings.HasPrefix(d.Status.LastHandledSyncRequest, dirsyncv1alpha1.SyncRequestWebhookPrefix), describe(d)
	}, all...)
	if n := leader.syncedLines(); n != synced+1 {
		t.Errorf("%s (leader) logged %d more \"Synced Directory\" lines, want 1", leader.Name, n-synced)
	}
	if n := follower.syncedLines(); n != 0 {
		t.Errorf("%s (follower) logged %d \"Synced Directory\" lines; want 0", follower.Name, n)
	}
}

// waitWebhookPath waits until the Directory's WebhookReceiver condition is True and returns its path.
func waitWebhookPath(t *testing.T, key types.NamespacedName, watch ...*utils.Process) string {
	t.Helper()
	var path string
	eventually(t, syncTimeout, fmt.Sprintf("Directory %s to publish status.webhook.path", key), func(ctx context.Context) (bool, string) {
		d, err := getDirectory(ctx, key)
		if err != nil {
			return false, err.Error()
		}
		c := meta.FindStatusCondition(d.Status.Conditions, dirsyncv1alpha1.ConditionWebhookReceiver)
		if d.Status.Webhook == nil || c == nil {
			return false, "no status.webhook yet"
		}
		path = d.Status.Webhook.Path
		return path != "" && c.Reason == dirsyncv1alpha1.ReasonReceiving, c.Reason + ": " + c.Message
	}, watch...)
	return path
}

// curlPost POSTs body to url with curl, as a customer's script would, and returns the HTTP status.
func curlPost(t *testing.T, url, body string) int {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), httpTimeout)
	defer cancel()
	out, err := exec.CommandContext(ctx, "curl", "-sS", "-o", "/dev/null", "-w", "%{http_code}", "-X", "POST",
		"--data-binary", body, url).CombinedOutput()
	if err != nil {
		t.Fatalf("curl: %v: %s", err, out)
	}
	var code int
	if _, err := fmt.Sscan(string(out), &code); err != nil {
		t.Fatalf("curl printed %q", out)
	}
	return code
}
