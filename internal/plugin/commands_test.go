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
	"bytes"
	"context"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"k8s.io/utils/ptr"

	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/tools/clientcmd"
	"k8s.io/utils/clock"
	clocktesting "k8s.io/utils/clock/testing"
	"sigs.k8s.io/controller-runtime/pkg/client"

	dirsyncv1alpha1 "github.com/dirsync/dirsync/api/v1alpha1"
)

// result is one run of the plugin.
type result struct {
	code        int
	out, errOut string
}

func (r result) String() string {
	return "exit code " + strconv.Itoa(r.code) + "\n--- stdout:\n" + r.out + "--- stderr:\n" + r.errOut
}

// runPlugin runs `kubectl dirsync --kubeconfig=<envtest> args…` in-process with stdin, polling every
// 20ms, with the given clock (the real one when nil).
func runPlugin(t *testing.T, clk clock.PassiveClock, stdin string, args ...string) result {
	t.Helper()
	var out, errOut bytes.Buffer
	p := New(strings.NewReader(stdin), &out, &errOut)
	p.PollInterval = 20 * time.Millisecond
	if clk != nil {
		p.Clock = clk
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	code := p.Run(ctx, append([]string{"--kubeconfig=" + kubeconfigPath}, args...))
	return result{code: code, out: out.String(), errOut: errOut.String()}
}

func callCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func newNamespace(t *testing.T) string {
	t.Helper()
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{GenerateName: "plugin-"}}
	if err := k8sClient.Create(callCtx(t), ns); err != nil {
		t.Fatal(err)
	}
	return ns.Name
}

// createDirectory creates a Breathe HR Directory and writes status as the operator would.
func createDirectory(t *testing.T, ns, name string, spec func(*dirsyncv1alpha1.DirectorySpec), status dirsyncv1alpha1.DirectoryStatus) *dirsyncv1alpha1.Directory {
	t.Helper()
	dir := &dirsyncv1alpha1.Directory{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec: dirsyncv1alpha1.DirectorySpec{Provider: dirsyncv1alpha1.ProviderBreatheHR,
			CredentialsSecretRef: dirsyncv1alpha1.SecretKeyReference{Name: name + "-key"}},
	}
	if spec != nil {
		spec(&dir.Spec)
	}
	if err := k8sClient.Create(callCtx(t), dir); err != nil {
		t.Fatalf("creating Directory %s/%s: %v", ns, name, err)
	}
	dir.Status = status
	if err := k8sClient.Status().Update(callCtx(t), dir); err != nil {
		t.Fatalf("writing the status of Directory %s/%s: %v", ns, name, err)
	}
	return dir
}

func getDirectory(t *testing.T, key types.NamespacedName) *dirsyncv1alpha1.Directory {
	t.Helper()
	d := &dirsyncv1alpha1.Directory{}
	if err := k8sClient.Get(callCtx(t), key, d); err != nil {
		t.Fatal(err)
	}
	return d
}

func mt(t time.Time) *metav1.Time { m := metav1.NewTime(t.Truncate(time.Second)); return &m }

func cond(typ string, status metav1.ConditionStatus, reason, msg string, now time.Time) metav1.Condition {
	return metav1.Condition{Type: typ, Status: status, Reason: reason, Message: msg, LastTransitionTime: *mt(now)}
}

// syncedStatus is the status of a successful sync that started at start.
func syncedStatus(start time.Time) dirsyncv1alpha1.DirectoryStatus {
	return dirsyncv1alpha1.DirectoryStatus{
		Conditions: []metav1.Condition{
			cond(dirsyncv1alpha1.ConditionReady, metav1.ConditionTrue, dirsyncv1alpha1.ReasonSynced, "The last sync applied it.", start),
			cond(dirsyncv1alpha1.ConditionSyncing, metav1.ConditionFalse, dirsyncv1alpha1.ReasonIdle, "No sync is running.", start),
		},
		LastSyncTime: mt(start), LastSuccessfulSyncTime: mt(start), NextSyncTime: mt(start.Add(30 * time.Minute)),
		UserCount: 3, ActiveUserCount: 2, GroupCount: 1,
		LastSyncChanges: &dirsyncv1alpha1.SyncChanges{Created: 3, Unchanged: 1},
	}
}

// heldStatus is the status of a sync whose deletions the guard held.
func heldStatus(start time.Time, token string) dirsyncv1alpha1.DirectoryStatus {
	st := syncedStatus(start)
	st.Conditions[0] = cond(dirsyncv1alpha1.ConditionReady, metav1.ConditionFalse, dirsyncv1alpha1.ReasonDeletionGuardTriggered,
		"The sync would delete 5 of 8 users; every deletion is held.", start)
	st.HeldDeletions = &dirsyncv1alpha1.HeldDeletions{Users: 5, Groups: 1, Names: []string{"acme-1", "acme-2", "acme-3"}, ApprovalToken: token}
	return st
}

// simulateOperator stands in for the dirsync manager on one Directory until the test ends: every 20ms it
// reads the Directory and, when answer changes its status (returns true), writes that status.
func simulateOperator(t *testing.T, key types.NamespacedName, answer func(d *dirsyncv1alpha1.Directory) bool) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		_ = wait.PollUntilContextCancel(ctx, 20*time.Millisecond, true, func(ctx context.Context) (bool, error) {
			d := &dirsyncv1alpha1.Directory{}
			if err := k8sClient.Get(ctx, key, d); err != nil {
				return false, nil
			}
			if answer(d) {
				_ = k8sClient.Status().Update(ctx, d) // a conflict is retried on the next tick
			}
			return false, nil
		})
	}()
	t.Cleanup(func() { cancel(); wg.Wait() })
}

func assertContains(t *testing.T, r result, stdout, stderr []string) {
	t.Helper()
	for _, s := range stdout {
		if !strings.Contains(r.out, s) {
			t.Errorf("stdout does not contain %q; %s", s, r)
		}
	}
	for _, s := range stderr {
		if !strings.Contains(r.errOut, s) {
			t.Errorf("stderr does not contain %q; %s", s, r)
		}
	}
}

func TestStatusCommand(t *testing.T) {
	requireEnvtest(t)
	now := time.Now().UTC().Truncate(time.Second)
	clk := clocktesting.NewFakePassiveClock(now)
	ns, other := newNamespace(t), newNamespace(t)
	createDirectory(t, ns, "acme", nil, heldStatus(now.Add(-3*time.Minute), "tok-acme"))
	createDirectory(t, ns, "beta", func(s *dirsyncv1alpha1.DirectorySpec) { s.Suspend = ptr.To(true) }, syncedStatus(now.Add(-time.Hour)))
	createDirectory(t, other, "gamma", nil, dirsyncv1alpha1.DirectoryStatus{})
	empty := newNamespace(t)

	// The namespace of the kubeconfig's context is the default, as with kubectl.
	cfg, err := clientcmd.Load(adminKubeconfig)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Contexts[cfg.CurrentContext].Namespace = ns
	inNS := filepath.Join(t.TempDir(), "kubeconfig")
	if err := clientcmd.WriteToFile(*cfg, inNS); err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name           string
		args           []string
		wantCode       int
		stdout, stderr []string
		notOut         []string
	}{
		{name: "one Directory in detail, with the approve commands", args: []string{"status", "acme", "-n", ns},
			stdout: []string{
				"Directory:      " + ns + "/acme",
				"Ready:          False (DeletionGuardTriggered): The sync would delete 5 of 8 users; every deletion is held.",
				"Last sync:      3m ago (" + now.Add(-3*time.Minute).Format(time.RFC3339) + ")",
				"Next sync:      in 27m",
				"Counts:         3 users (2 active), 1 group",
				"Last changes:   3 created, 0 updated, 0 deleted, 1 unchanged",
				"Held deletions: 5 users and 1 group",
				"    acme-3\n    … and 3 more\n",
				"    kubectl dirsync approve acme -n " + ns + "\n",
				"    kubectl annotate dir acme -n " + ns + " dirsync.io/approve-deletions=tok-acme\n",
			},
			notOut: []string{"beta", "NAME"}},
		{name: "every Directory of the namespace: a table, then details", args: []string{"-n", ns, "status"},
			stdout: []string{"NAME   PROVIDER", "acme   BreatheHR   False", "beta   BreatheHR   True", "suspended",
				"Directory:      " + ns + "/acme", "Directory:      " + ns + "/beta", "Mode:           suspended"},
			notOut: []string{"gamma", "NAMESPACE"}},
		{name: "the kubeconfig context's namespace", args: []string{"status", "--kubeconfig=" + inNS},
			stdout: []string{"Directory:      " + ns + "/acme", "Directory:      " + ns + "/beta"}, notOut: []string{"gamma"}},
		{name: "-A: every namespace", args: []string{"status", "-A"},
			stdout: []string{"NAMESPACE", ns + "   acme", other + "   gamma", "Directory:      " + other + "/gamma",
				"Ready:          Unknown: the operator has not reported on this Directory yet"}},
		{name: "an empty namespace", args: []string{"status", "-n", empty}, stdout: []string{"No Directories found in namespace " + empty + "."}},
		{name: "a missing Directory", args: []string{"status", "nope", "-n", ns}, wantCode: 1,
			stderr: []string{`error: no Directory "nope" in namespace "` + ns + `"`}},
		{name: "a name with -A", args: []string{"status", "acme", "-A"}, wantCode: 2, stderr: []string{"cannot be combined with --all-namespaces"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := runPlugin(t, clk, "", tt.args...)
			if r.code != tt.wantCode {
				t.Fatalf("want exit code %d; %s", tt.wantCode, r)
			}
			assertContains(t, r, tt.stdout, tt.stderr)
			for _, s := range tt.notOut {
				if strings.Contains(r.out, s) {
					t.Errorf("stdout contains %q; %s", s, r)
				}
			}
		})
	}
}

// answerSync simulates the operator answering a sync request in two steps, as a long sync does: first
// Syncing=True with a progress message (the request already recorded as handled), then, after a while,
// the final status that final writes.
func answerSync(final func(d *dirsyncv1alpha1.Directory)) func(d *dirsyncv1alpha1.Directory) bool {
	var progressAt time.Time
	return func(d *dirsyncv1alpha1.Directory) bool {
		req := d.Annotations[dirsyncv1alpha1.AnnotationSyncRequestedAt]
		now := time.Now()
		switch {
		case req != "" && req != d.Status.LastHandledSyncRequest:
			d.Status.LastHandledSyncRequest = req
			meta.SetStatusCondition(&d.Status.Conditions, cond(dirsyncv1alpha1.ConditionSyncing, metav1.ConditionTrue,
				dirsyncv1alpha1.ReasonApplying, "Applying: applied 1 of 3 changes.", now))
			progressAt = now
			return true
		case isSyncing(d) && now.Sub(progressAt) > 500*time.Millisecond: // the sync takes half a second
			final(d)
			meta.SetStatusCondition(&d.Status.Conditions, cond(dirsyncv1alpha1.ConditionSyncing, metav1.ConditionFalse,
				dirsyncv1alpha1.ReasonIdle, "No sync is running.", now))
			return true
		}
		return false
	}
}

func TestSyncCommand(t *testing.T) {
	requireEnvtest(t)
	ns := newNamespace(t)
	start := time.Now().Add(-time.Hour)

	t.Run("waits through the sync and prints what it changed", func(t *testing.T) {
		dir := createDirectory(t, ns, "ok", nil, syncedStatus(start))
		simulateOperator(t, client.ObjectKeyFromObject(dir), answerSync(func(d *dirsyncv1alpha1.Directory) {
			d.Status = syncedStatus(time.Now())
			d.Status.LastHandledSyncRequest = d.Annotations[dirsyncv1alpha1.AnnotationSyncRequestedAt]
			d.Status.LastSyncChanges = &dirsyncv1alpha1.SyncChanges{Created: 2, Updated: 1, Unchanged: 7}
		}))
		r := runPlugin(t, nil, "", "sync", "ok", "-n", ns)
		if r.code != 0 {
			t.Fatalf("want exit code 0; %s", r)
		}
		assertContains(t, r, []string{"Requested a sync of Directory " + ns + "/ok (dirsync.io/sync-requested-at=",
			"  Applying: applied 1 of 3 changes.\n", "  Ready:   True (Synced)", "  Changes: 2 created, 1 updated, 0 deleted, 7 unchanged"}, nil)
		got := getDirectory(t, client.ObjectKeyFromObject(dir))
		value := got.Annotations[dirsyncv1alpha1.AnnotationSyncRequestedAt]
		if _, err := time.Parse(time.RFC3339, value); err != nil || value != got.Status.LastHandledSyncRequest {
			t.Errorf("sync-requested-at = %q (%v), lastHandledSyncRequest %q: want the same RFC 3339 time", value, err, got.Status.LastHandledSyncRequest)
		}
	})

	t.Run("a sync that leaves the Directory not Ready fails and says why", func(t *testing.T) {
		dir := createDirectory(t, ns, "down", nil, syncedStatus(start))
		simulateOperator(t, client.ObjectKeyFromObject(dir), answerSync(func(d *dirsyncv1alpha1.Directory) {
			d.Status.LastSyncTime = mt(time.Now())
			meta.SetStatusCondition(&d.Status.Conditions, cond(dirsyncv1alpha1.ConditionReady, metav1.ConditionFalse,
				dirsyncv1alpha1.ReasonProviderUnavailable, "Breathe HR answered HTTP 503; retrying in 30s.", time.Now()))
		}))
		r := runPlugin(t, nil, "", "sync", "down", "-n", ns)
		if r.code != 1 {
			t.Fatalf("want exit code 1; %s", r)
		}
		assertContains(t, r, []string{"  Ready:   False (ProviderUnavailable): Breathe HR answered HTTP 503; retrying in 30s.", "  Last successful sync: 60m ago"},
			[]string{"error: the Directory " + ns + "/down is not Ready after the sync (ProviderUnavailable)"})
	})

	t.Run("--wait=false only requests, and each request is a new value", func(t *testing.T) {
		dir := createDirectory(t, ns, "nowait", nil, syncedStatus(start))
		var values []string
		for range 2 {
			r := runPlugin(t, nil, "", "sync", "nowait", "-n", ns, "--wait=false")
			if r.code != 0 || strings.Contains(r.out, "Waiting") {
				t.Fatalf("want exit code 0 without waiting; %s", r)
			}
			values = append(values, getDirectory(t, client.ObjectKeyFromObject(dir)).Annotations[dirsyncv1alpha1.AnnotationSyncRequestedAt])
		}
		if values[0] == "" || values[0] == values[1] {
			t.Errorf("two requests set %q: want two different values", values)
		}
	})

	t.Run("without an operator it times out and says what to check", func(t *testing.T) {
		createDirectory(t, ns, "orphan", nil, syncedStatus(start))
		r := runPlugin(t, nil, "", "sync", "orphan", "-n", ns, "--timeout=1s")
		if r.code != 1 {
			t.Fatalf("want exit code 1; %s", r)
		}
		assertContains(t, r, nil, []string{"timed out after 1s", "is the dirsync manager running and watching namespace " + ns})
	})

	t.Run("a suspended Directory is not annotated", func(t *testing.T) {
		dir := createDirectory(t, ns, "paused", func(s *dirsyncv1alpha1.DirectorySpec) { s.Suspend = ptr.To(true) }, syncedStatus(start))
		r := runPlugin(t, nil, "", "sync", "paused", "-n", ns)
		if r.code != 1 {
			t.Fatalf("want exit code 1; %s", r)
		}
		assertContains(t, r, nil, []string{"is suspended", `'{"spec":{"suspend":false}}'`})
		if v, ok := getDirectory(t, client.ObjectKeyFromObject(dir)).Annotations[dirsyncv1alpha1.AnnotationSyncRequestedAt]; ok {
			t.Errorf("the suspended Directory was annotated with %q", v)
		}
	})

	t.Run("a missing Directory", func(t *testing.T) {
		r := runPlugin(t, nil, "", "sync", "nope", "-n", ns)
		if r.code != 1 {
			t.Fatalf("want exit code 1; %s", r)
		}
		assertContains(t, r, nil, []string{`no Directory "nope"`})
	})
}

// answerApproval simulates the operator's answer to the approve-deletions annotation: accept deletes
// the held set; otherwise it has changed (newToken) and the operator emits an ApprovalRejected Event
// through events.k8s.io/v1, as its recorder does.
func answerApproval(t *testing.T, accept bool, newToken string) func(d *dirsyncv1alpha1.Directory) bool {
	return func(d *dirsyncv1alpha1.Directory) bool {
		token := d.Annotations[dirsyncv1alpha1.AnnotationApproveDeletions]
		if token == "" || token == d.Status.LastHandledApproval {
			return false
		}
		d.Status.LastHandledApproval = token
		now := time.Now()
		if accept {
			h := d.Status.HeldDeletions
			d.Status.LastApproval = &dirsyncv1alpha1.DeletionApproval{Token: token, ApprovedAt: *mt(now), Users: h.Users, Groups: h.Groups}
			d.Status.HeldDeletions = nil
			meta.SetStatusCondition(&d.Status.Conditions, cond(dirsyncv1alpha1.ConditionReady, metav1.ConditionTrue, dirsyncv1alpha1.ReasonSynced, "Synced.", now))
			return true
		}
		d.Status.HeldDeletions = &dirsyncv1alpha1.HeldDeletions{Users: 6, Groups: 1, Names: []string{"acme-1"}, ApprovalToken: newToken}
		ev := &eventsv1.Event{
			ObjectMeta: metav1.ObjectMeta{Namespace: d.Namespace, GenerateName: d.Name + "-approval-"},
			EventTime:  metav1.NewMicroTime(now), ReportingController: "dirsync", ReportingInstance: "dirsync-test",
			Action: "Approve", Reason: "ApprovalRejected", Type: corev1.EventTypeWarning,
			Regarding: corev1.ObjectReference{APIVersion: dirsyncv1alpha1.GroupVersion.String(), Kind: "Directory",
				Namespace: d.Namespace, Name: d.Name, UID: d.UID},
			Note: "The approval " + token + " does not match the deletions held now (token " + newToken + ").",
		}
		if err := k8sClient.Create(context.Background(), ev); err != nil {
			t.Errorf("creating the ApprovalRejected Event: %v", err)
		}
		return true
	}
}

func TestApproveCommand(t *testing.T) {
	requireEnvtest(t)
	ns := newNamespace(t)
	start := time.Now().Add(-time.Minute)
	approval := func(t *testing.T, key types.NamespacedName) string {
		return getDirectory(t, key).Annotations[dirsyncv1alpha1.AnnotationApproveDeletions]
	}

	t.Run("answering no approves nothing", func(t *testing.T) {
		dir := createDirectory(t, ns, "no", nil, heldStatus(start, "tok-no"))
		r := runPlugin(t, nil, "n\n", "approve", "no", "-n", ns)
		if r.code != 1 {
			t.Fatalf("want exit code 1; %s", r)
		}
		assertContains(t, r, []string{"Directory " + ns + "/no: The deletion guard holds the deletion of 5 users and 1 group:\n  acme-1\n",
			"  … and 3 more\n", "Delete these 6 objects? [y/N]: "}, []string{"not approved: nothing was deleted"})
		if a := approval(t, client.ObjectKeyFromObject(dir)); a != "" {
			t.Errorf("the Directory was annotated with %q after answering no", a)
		}
	})

	t.Run("no answer on stdin approves nothing", func(t *testing.T) {
		dir := createDirectory(t, ns, "eof", nil, heldStatus(start, "tok-eof"))
		r := runPlugin(t, nil, "", "approve", "eof", "-n", ns)
		if r.code != 1 {
			t.Fatalf("want exit code 1; %s", r)
		}
		assertContains(t, r, nil, []string{"no answer on standard input", "--yes"})
		if a := approval(t, client.ObjectKeyFromObject(dir)); a != "" {
			t.Errorf("the Directory was annotated with %q without an answer", a)
		}
	})

	t.Run("answering yes sets the token and reports the deletions", func(t *testing.T) {
		dir := createDirectory(t, ns, "yes", nil, heldStatus(start, "tok-yes"))
		simulateOperator(t, client.ObjectKeyFromObject(dir), answerApproval(t, true, ""))
		r := runPlugin(t, nil, "y\n", "approve", "yes", "-n", ns)
		if r.code != 0 {
			t.Fatalf("want exit code 0; %s", r)
		}
		assertContains(t, r, []string{"Approved with dirsync.io/approve-deletions=tok-yes.", "Deleted 5 users and 1 group.", "  Ready: True (Synced)"}, nil)
		if a := approval(t, client.ObjectKeyFromObject(dir)); a != "tok-yes" {
			t.Errorf("approve-deletions = %q, want the held set's token tok-yes", a)
		}
	})

	t.Run("--yes, but the held set changed: the operator's Event says so", func(t *testing.T) {
		dir := createDirectory(t, ns, "changed", nil, heldStatus(start, "tok-old"))
		simulateOperator(t, client.ObjectKeyFromObject(dir), answerApproval(t, false, "tok-new"))
		r := runPlugin(t, nil, "", "approve", "changed", "-n", ns, "--yes")
		if r.code != 1 {
			t.Fatalf("want exit code 1; %s", r)
		}
		assertContains(t, r, []string{
			"The operator did not use the approval tok-old",
			"  Event: ApprovalRejected: The approval tok-old does not match the deletions held now (token tok-new).",
			"    kubectl annotate dir changed -n " + ns + " dirsync.io/approve-deletions=tok-new",
		}, []string{"the operator did not use the approval: nothing was deleted"})
		if strings.Contains(r.out, "[y/N]") {
			t.Errorf("--yes asked for confirmation; %s", r)
		}
	})

	t.Run("nothing held", func(t *testing.T) {
		createDirectory(t, ns, "clean", nil, syncedStatus(start))
		r := runPlugin(t, nil, "y\n", "approve", "clean", "-n", ns)
		if r.code != 1 {
			t.Fatalf("want exit code 1; %s", r)
		}
		assertContains(t, r, nil, []string{"holds no deletions: there is nothing to approve"})
	})
}

func TestPlanCommand(t *testing.T) {
	requireEnvtest(t)
	ns := newNamespace(t)
	now := time.Now().UTC().Truncate(time.Second)
	planned := syncedStatus(now.Add(-2 * time.Minute))
	planned.Conditions[0] = cond(dirsyncv1alpha1.ConditionReady, metav1.ConditionFalse, dirsyncv1alpha1.ReasonDryRun, "Dry run.", now)
	planned.Plan = &dirsyncv1alpha1.SyncPlan{Create: 2, Delete: 1, Summary: "would create 2 users and 0 groups, update 0, delete 1 user and 0 groups",
		Examples: dirsyncv1alpha1.PlanExamples{Create: []string{"dry-a", "dry-b"}, Delete: []string{"dry-z"}}}
	createDirectory(t, ns, "dry", func(s *dirsyncv1alpha1.DirectorySpec) { s.DryRun = ptr.To(true) }, planned)
	createDirectory(t, ns, "wet", nil, syncedStatus(now))

	r := runPlugin(t, clocktesting.NewFakePassiveClock(now), "", "plan", "dry", "-n", ns)
	if r.code != 0 {
		t.Fatalf("want exit code 0; %s", r)
	}
	assertContains(t, r, []string{"Plan of Directory " + ns + "/dry, from the dry-run sync of 2m ago",
		"  would create 2 users and 0 groups, update 0, delete 1 user and 0 groups\n",
		"  create: 2\n    dry-a\n    dry-b\n", "  delete: 1\n    dry-z\n", `--type merge -p '{"spec":{"dryRun":false}}'`}, nil)

	r = runPlugin(t, nil, "", "plan", "wet", "-n", ns)
	if r.code != 1 {
		t.Fatalf("want exit code 1; %s", r)
	}
	assertContains(t, r, nil, []string{"spec.dryRun is false", `kubectl patch dir wet -n ` + ns + ` --type merge -p '{"spec":{"dryRun":true}}'`})
}
