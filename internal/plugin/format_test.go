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
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"k8s.io/utils/ptr"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	dirsyncv1alpha1 "github.com/dirsync/dirsync/api/v1alpha1"
)

// testNow is the formatting tests' "now"; every time in a fixture is an offset from it.
var testNow = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

func at(d time.Duration) *metav1.Time { t := metav1.NewTime(testNow.Add(d)); return &t }

func rfc(d time.Duration) string { return testNow.Add(d).Format(time.RFC3339) }

func readyCond(status metav1.ConditionStatus, reason, msg string) metav1.Condition {
	return metav1.Condition{Type: dirsyncv1alpha1.ConditionReady, Status: status, Reason: reason, Message: msg, LastTransitionTime: *at(-time.Hour)}
}

// syncedDirectory is a Directory whose last sync, 3 minutes ago, succeeded.
func syncedDirectory() *dirsyncv1alpha1.Directory {
	return &dirsyncv1alpha1.Directory{
		ObjectMeta: metav1.ObjectMeta{Namespace: "hr", Name: "acme"},
		Spec: dirsyncv1alpha1.DirectorySpec{Provider: dirsyncv1alpha1.ProviderBreatheHR,
			CredentialsSecretRef: dirsyncv1alpha1.SecretKeyReference{Name: "key"},
			SyncInterval:         &metav1.Duration{Duration: 30 * time.Minute}},
		Status: dirsyncv1alpha1.DirectoryStatus{
			Conditions:             []metav1.Condition{readyCond(metav1.ConditionTrue, dirsyncv1alpha1.ReasonSynced, "All good.")},
			LastSyncTime:           at(-3 * time.Minute),
			LastSuccessfulSyncTime: at(-3 * time.Minute),
			NextSyncTime:           at(27 * time.Minute),
			UserCount:              200, ActiveUserCount: 190, GroupCount: 12,
			LastSyncChanges: &dirsyncv1alpha1.SyncChanges{Created: 3, Updated: 1, Unchanged: 208},
		},
	}
}

// guardedDirectory is a Directory whose last sync held 5 user and 1 group deletions.
func guardedDirectory() *dirsyncv1alpha1.Directory {
	d := syncedDirectory()
	d.Status.Conditions = []metav1.Condition{readyCond(metav1.ConditionFalse, dirsyncv1alpha1.ReasonDeletionGuardTriggered, "Held.")}
	d.Status.HeldDeletions = &dirsyncv1alpha1.HeldDeletions{Users: 5, Groups: 1, Names: []string{"acme-1", "acme-2"}, ApprovalToken: "tok123"}
	return d
}

func TestRelTime(t *testing.T) {
	tests := []struct {
		name string
		in   *metav1.Time
		want string
	}{
		{"nil", nil, "never"},
		{"now", at(0), "just now"},
		{"under a second ahead", at(500 * time.Millisecond), "just now"},
		{"3 minutes ago", at(-3 * time.Minute), "3m ago"},
		{"in 12 minutes", at(12 * time.Minute), "in 12m"},
		{"in 90 seconds", at(90 * time.Second), "in 90s"},
		{"2 hours ago, in minutes as kubectl's AGE", at(-2 * time.Hour), "120m ago"},
		{"5 hours ago", at(-5 * time.Hour), "5h ago"},
		{"3 days ago", at(-72 * time.Hour), "3d ago"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := relTime(tt.in, testNow); got != tt.want {
				t.Errorf("relTime = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestShortDuration(t *testing.T) {
	tests := []struct {
		in   time.Duration
		want string
	}{
		{30 * time.Minute, "30m"}, {time.Hour, "1h"}, {90 * time.Second, "1m30s"}, {2*time.Hour + 30*time.Minute, "2h30m"},
		{45 * time.Second, "45s"}, {0, "0s"}, {5 * time.Minute, "5m"},
	}
	for _, tt := range tests {
		if got := shortDuration(tt.in); got != tt.want {
			t.Errorf("shortDuration(%s) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestSyncRequestValue(t *testing.T) {
	now := testNow.Add(1500 * time.Millisecond)
	seconds, nanos := now.Format(time.RFC3339), now.Format(time.RFC3339Nano)
	tests := []struct {
		name             string
		current, handled string
		want             string
	}{
		{"no annotation yet: seconds, as date -u +%FT%TZ writes", "", "", seconds},
		{"an older request", rfc(-time.Hour), rfc(-time.Hour), seconds},
		{"the annotation already has this second", seconds, "", nanos},
		{"the operator already answered this second", "", seconds, nanos},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := syncRequestValue(now, tt.current, tt.handled)
			if got != tt.want {
				t.Errorf("syncRequestValue = %q, want %q", got, tt.want)
			}
			if _, err := time.Parse(time.RFC3339, got); err != nil {
				t.Errorf("%q is not RFC 3339: %v", got, err)
			}
		})
	}
}

// The whole detail view of a synced Directory, line by line.
func TestFormatDetailOfASyncedDirectory(t *testing.T) {
	d := syncedDirectory()
	d.Spec.Endpoint = "https://api.sandbox.breathehr.info/v1"
	want := strings.Join([]string{
		"Directory:      hr/acme",
		"Provider:       BreatheHR at https://api.sandbox.breathehr.info/v1",
		"Ready:          True (Synced): All good.",
		"Last sync:      3m ago (" + rfc(-3*time.Minute) + ")",
		"Next sync:      in 27m (" + rfc(27*time.Minute) + "), every 30m",
		"Counts:         200 users (190 active), 12 groups",
		"Last changes:   3 created, 1 updated, 0 deleted, 208 unchanged",
		"",
	}, "\n")
	if diff := cmp.Diff(want, formatDetail(d, testNow)); diff != "" {
		t.Errorf("formatDetail (-want +got):\n%s", diff)
	}
}

func TestFormatDetail(t *testing.T) {
	tests := []struct {
		name     string
		dir      func() *dirsyncv1alpha1.Directory
		want     []string // whole lines that must appear
		mustNot  []string // substrings that must not appear
		wantNext string
	}{
		{
			name: "held deletions print both approve commands with the exact token",
			dir:  guardedDirectory,
			want: []string{
				"Ready:          False (DeletionGuardTriggered): Held.",
				"Held deletions: 5 users and 1 group",
				"  The deletion guard holds the deletion of 5 users and 1 group:",
				"    acme-1",
				"    acme-2",
				"    … and 4 more",
				"    kubectl dirsync approve acme -n hr",
				"    kubectl annotate dir acme -n hr dirsync.io/approve-deletions=tok123",
			},
		},
		{
			name: "a running sync shows the Syncing message",
			dir: func() *dirsyncv1alpha1.Directory {
				d := syncedDirectory()
				d.Status.Conditions = append(d.Status.Conditions, metav1.Condition{Type: dirsyncv1alpha1.ConditionSyncing,
					Status: metav1.ConditionTrue, Reason: dirsyncv1alpha1.ReasonApplying, Message: "Applying: applied 6,000 of 20,000 changes.",
					LastTransitionTime: *at(-20 * time.Second)})
				d.Status.NextSyncTime = at(-5 * time.Minute) // due while it runs: not "overdue"
				return d
			},
			want:    []string{"Syncing:        Applying: applied 6,000 of 20,000 changes. (since 20s ago)"},
			mustNot: []string{"overdue"},
		},
		{
			name: "an idle Syncing condition is not shown",
			dir: func() *dirsyncv1alpha1.Directory {
				d := syncedDirectory()
				d.Status.Conditions = append(d.Status.Conditions, metav1.Condition{Type: dirsyncv1alpha1.ConditionSyncing,
					Status: metav1.ConditionFalse, Reason: dirsyncv1alpha1.ReasonIdle, Message: "No sync is running.", LastTransitionTime: *at(-time.Minute)})
				return d
			},
			mustNot: []string{"Syncing:", "No sync is running"},
		},
		{
			name: "an overdue sync with none running hints at the manager",
			dir: func() *dirsyncv1alpha1.Directory {
				d := syncedDirectory()
				d.Status.NextSyncTime = at(-10 * time.Minute)
				return d
			},
			want: []string{"Next sync:      10m ago (" + rfc(-10*time.Minute) + "), every 30m (overdue: is the dirsync manager running?)"},
		},
		{
			name: "a new Directory the operator has not seen",
			dir: func() *dirsyncv1alpha1.Directory {
				d := syncedDirectory()
				d.Spec.SyncInterval = nil
				d.Status = dirsyncv1alpha1.DirectoryStatus{}
				return d
			},
			want: []string{
				"Ready:          Unknown: the operator has not reported on this Directory yet (is the dirsync manager running?)",
				"Last sync:      never",
				"Last success:   never",
				"Next sync:      as soon as the operator sees it (every 30m)",
				"Counts:         0 users (0 active), 0 groups",
			},
			mustNot: []string{"Last changes", "Held deletions"},
		},
		{
			name: "a failed sync shows the last success separately",
			dir: func() *dirsyncv1alpha1.Directory {
				d := syncedDirectory()
				d.Status.Conditions = []metav1.Condition{readyCond(metav1.ConditionFalse, dirsyncv1alpha1.ReasonProviderUnavailable, "HTTP 503.")}
				d.Status.LastSuccessfulSyncTime = at(-5 * time.Hour)
				return d
			},
			want: []string{"Ready:          False (ProviderUnavailable): HTTP 503.", "Last success:   5h ago (" + rfc(-5*time.Hour) + ")"},
		},
		{
			name: "suspended and dry run",
			dir: func() *dirsyncv1alpha1.Directory {
				d := syncedDirectory()
				d.Spec.Suspend, d.Spec.DryRun = ptr.To(true), ptr.To(true)
				d.Status.Plan = &dirsyncv1alpha1.SyncPlan{Create: 3, Summary: "would create 3 users and 0 groups, update 0, delete 0"}
				return d
			},
			want: []string{
				"Mode:           suspended (spec.suspend: no provider calls); dry run (spec.dryRun: syncs compute status.plan and write nothing)",
				"Next sync:      none while suspended (every 30m otherwise)",
				"Plan:           would create 3 users and 0 groups, update 0, delete 0 (details: kubectl dirsync plan acme -n hr)",
			},
		},
		{
			name: "the last approval",
			dir: func() *dirsyncv1alpha1.Directory {
				d := syncedDirectory()
				d.Status.LastApproval = &dirsyncv1alpha1.DeletionApproval{Token: "tok9", ApprovedAt: *at(-3 * time.Hour), Users: 120, Groups: 3}
				return d
			},
			want: []string{"Last approval:  3h ago: deleted 120 users and 3 groups (token tok9)"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := formatDetail(tt.dir(), testNow)
			assertLines(t, got, tt.want)
			for _, s := range tt.mustNot {
				if strings.Contains(got, s) {
					t.Errorf("output contains %q:\n%s", s, got)
				}
			}
		})
	}
}

// assertLines fails unless every want is a whole line of out.
func assertLines(t *testing.T, out string, want []string) {
	t.Helper()
	lines := map[string]bool{}
	for _, l := range strings.Split(out, "\n") {
		lines[l] = true
	}
	for _, w := range want {
		if !lines[w] {
			t.Errorf("no line %q in:\n%s", w, out)
		}
	}
}

func TestFormatTable(t *testing.T) {
	other := guardedDirectory()
	other.Namespace, other.Name = "eng", "beta"
	other.Spec.Suspend = ptr.To(true)
	dirs := []dirsyncv1alpha1.Directory{*syncedDirectory(), *other}

	got := strings.Split(formatTable(dirs, false, testNow), "\n")
	wantHeader := []string{"NAME", "PROVIDER", "READY", "REASON", "USERS", "ACTIVE", "GROUPS", "HELD", "LAST", "SYNC", "NEXT", "SYNC"}
	if diff := cmp.Diff(wantHeader, strings.Fields(got[0])); diff != "" {
		t.Errorf("header %q, fields (-want +got):\n%s", got[0], diff)
	}
	wantRows := [][]string{
		{"acme", "BreatheHR", "True", "Synced", "200", "190", "12", "-", "3m", "ago", "in", "27m"},
		{"beta", "BreatheHR", "False", "DeletionGuardTriggered", "200", "190", "12", "6", "3m", "ago", "suspended"},
	}
	for i, want := range wantRows {
		if diff := cmp.Diff(want, strings.Fields(got[i+1])); diff != "" {
			t.Errorf("row %d %q, fields (-want +got):\n%s", i, got[i+1], diff)
		}
	}

	all := formatList(dirs, true, testNow)
	lines := strings.Split(all, "\n")
	if !strings.HasPrefix(lines[0], "NAMESPACE") || !strings.HasPrefix(lines[1], "eng ") || !strings.HasPrefix(lines[2], "hr ") {
		t.Errorf("formatList with -A: want a NAMESPACE column sorted by namespace:\n%s", all)
	}
	for _, want := range []string{"Directory:      eng/beta", "Directory:      hr/acme"} {
		if !strings.Contains(all, want) {
			t.Errorf("formatList has no details %q:\n%s", want, all)
		}
	}
	if strings.Index(all, "eng/beta") > strings.Index(all, "hr/acme") {
		t.Errorf("details are not in the table's order:\n%s", all)
	}
}

func TestFormatSyncOutcome(t *testing.T) {
	tests := []struct {
		name    string
		dir     func() *dirsyncv1alpha1.Directory
		wantErr string
		want    []string
		mustNot []string
	}{
		{
			name: "synced",
			dir:  syncedDirectory,
			want: []string{"Sync of Directory hr/acme finished after 4s.", "  Ready:   True (Synced): All good.",
				"  Changes: 3 created, 1 updated, 0 deleted, 208 unchanged", "  Counts:  200 users (190 active), 12 groups"},
		},
		{
			name: "a dry run succeeds with its plan",
			dir: func() *dirsyncv1alpha1.Directory {
				d := syncedDirectory()
				d.Spec.DryRun = ptr.To(true)
				d.Status.Conditions = []metav1.Condition{readyCond(metav1.ConditionFalse, dirsyncv1alpha1.ReasonDryRun, "Dry run.")}
				d.Status.Plan = &dirsyncv1alpha1.SyncPlan{Create: 1, Summary: "would create 1 user and 0 groups, update 0, delete 0"}
				return d
			},
			want:    []string{"  Plan:    would create 1 user and 0 groups, update 0, delete 0 (nothing was written; details: kubectl dirsync plan acme -n hr)"},
			mustNot: []string{"Changes:"},
		},
		{
			name:    "held deletions fail with the approve commands",
			dir:     guardedDirectory,
			wantErr: "the Directory hr/acme is not Ready after the sync (DeletionGuardTriggered)",
			want:    []string{"  Changes: 3 created, 1 updated, 0 deleted, 208 unchanged", "    kubectl dirsync approve acme -n hr"},
		},
		{
			name: "a provider failure says when the last success was",
			dir: func() *dirsyncv1alpha1.Directory {
				d := syncedDirectory()
				d.Status.Conditions = []metav1.Condition{readyCond(metav1.ConditionFalse, dirsyncv1alpha1.ReasonProviderUnavailable, "HTTP 503.")}
				d.Status.LastSuccessfulSyncTime = at(-5 * time.Hour)
				return d
			},
			wantErr: "the Directory hr/acme is not Ready after the sync (ProviderUnavailable)",
			want:    []string{"  Ready:   False (ProviderUnavailable): HTTP 503.", "  Last successful sync: 5h ago (" + rfc(-5*time.Hour) + ")"},
			mustNot: []string{"Changes:"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := formatSyncOutcome(tt.dir(), 4200*time.Millisecond, testNow)
			if gotErr := errString(err); gotErr != tt.wantErr {
				t.Errorf("error = %q, want %q", gotErr, tt.wantErr)
			}
			assertLines(t, got, tt.want)
			for _, s := range tt.mustNot {
				if strings.Contains(got, s) {
					t.Errorf("output contains %q:\n%s", s, got)
				}
			}
		})
	}
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

func TestFormatPlan(t *testing.T) {
	planned := func() *dirsyncv1alpha1.Directory {
		d := syncedDirectory()
		d.Spec.DryRun = ptr.To(true)
		d.Status.Plan = &dirsyncv1alpha1.SyncPlan{Create: 12, Delete: 2, Held: 2, GuardWouldHold: true,
			Summary:  "would create 10 users and 2 groups, update 0, delete 2 users and 0 groups",
			Examples: dirsyncv1alpha1.PlanExamples{Create: []string{"acme-a", "acme-b"}, Delete: []string{"acme-x", "acme-y"}, Held: []string{"acme-x", "acme-y"}}}
		return d
	}
	tests := []struct {
		name    string
		dir     func() *dirsyncv1alpha1.Directory
		wantErr []string // substrings of the error
		want    []string
	}{
		{
			name: "a plan",
			dir:  planned,
			want: []string{
				"Plan of Directory hr/acme, from the dry-run sync of 3m ago (" + rfc(-3*time.Minute) + "):",
				"  would create 10 users and 2 groups, update 0, delete 2 users and 0 groups",
				"  create: 12", "    acme-a", "    acme-b", "    … and 10 more",
				"  update: 0",
				"  delete: 2", "    acme-x",
				"  held:   2",
				`  kubectl patch dir acme -n hr --type merge -p '{"spec":{"dryRun":false}}'`,
			},
		},
		{
			name: "a plan left from an earlier dry run",
			dir: func() *dirsyncv1alpha1.Directory {
				d := planned()
				d.Spec.DryRun = ptr.To(false)
				return d
			},
			want: []string{"spec.dryRun is false now: this plan is from an earlier dry run, and the next sync applies whatever the provider returns then."},
		},
		{
			name:    "no dry run: how to enable it",
			dir:     syncedDirectory,
			wantErr: []string{"spec.dryRun is false", `kubectl patch dir acme -n hr --type merge -p '{"spec":{"dryRun":true}}'`},
		},
		{
			name: "dry run without a plan yet",
			dir: func() *dirsyncv1alpha1.Directory {
				d := syncedDirectory()
				d.Spec.DryRun = ptr.To(true)
				return d
			},
			wantErr: []string{"no plan yet", "kubectl dirsync sync acme -n hr"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := formatPlan(tt.dir(), testNow)
			if (err != nil) != (len(tt.wantErr) > 0) {
				t.Fatalf("error = %v, want one containing %q", err, tt.wantErr)
			}
			for _, s := range tt.wantErr {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("error %q does not contain %q", err, s)
				}
			}
			assertLines(t, got, tt.want)
		})
	}
	if got, _ := formatPlan(planned(), testNow); !strings.Contains(got, "The deletion guard would hold these deletions") {
		t.Errorf("guardWouldHold is not mentioned:\n%s", got)
	}
}

func TestApprovable(t *testing.T) {
	tests := []struct {
		name    string
		mutate  func(*dirsyncv1alpha1.Directory)
		wantErr string
	}{
		{"held deletions can be approved", func(*dirsyncv1alpha1.Directory) {}, ""},
		{"nothing held", func(d *dirsyncv1alpha1.Directory) { d.Status.HeldDeletions = nil }, "holds no deletions"},
		{"dry run", func(d *dirsyncv1alpha1.Directory) { d.Spec.DryRun = ptr.To(true) }, "dry run"},
		{"suspended", func(d *dirsyncv1alpha1.Directory) { d.Spec.Suspend = ptr.To(true) }, "suspended"},
		{"this token was already answered", func(d *dirsyncv1alpha1.Directory) { d.Status.LastHandledApproval = "tok123" }, "used once"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := guardedDirectory()
			tt.mutate(d)
			err := approvable(d)
			if tt.wantErr == "" && err != nil || tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)) {
				t.Errorf("approvable = %v, want an error containing %q", err, tt.wantErr)
			}
		})
	}
}

func TestLatestApprovalEvent(t *testing.T) {
	ev := func(reason, msg string, created time.Duration, mod func(*corev1.Event)) corev1.Event {
		e := corev1.Event{ObjectMeta: metav1.ObjectMeta{CreationTimestamp: *at(created)}, Reason: reason, Message: msg}
		if mod != nil {
			mod(&e)
		}
		return e
	}
	tests := []struct {
		name   string
		events []corev1.Event
		want   string
	}{
		{"none", nil, ""},
		{"another token's rejection", []corev1.Event{ev("ApprovalRejected", "The approval old does not match", -time.Minute, nil)}, ""},
		{"another reason naming the token", []corev1.Event{ev("DeletionsApproved", "The approval tok released", -time.Minute, nil)}, ""},
		{"the newest of two, by events.k8s.io eventTime", []corev1.Event{
			ev("ApprovalRejected", "first tok", -time.Hour, func(e *corev1.Event) { e.EventTime = metav1.NewMicroTime(testNow.Add(-time.Second)) }),
			ev("ApprovalRejected", "second tok", -time.Minute, nil),
		}, "ApprovalRejected: first tok"},
		{"a series counts its last observation", []corev1.Event{
			ev("ApprovalNotNeeded", "series tok", -time.Hour, func(e *corev1.Event) {
				e.Series = &corev1.EventSeries{Count: 2, LastObservedTime: metav1.NewMicroTime(testNow)}
			}),
			ev("ApprovalRejected", "plain tok", -time.Minute, nil),
		}, "ApprovalNotNeeded: series tok"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := latestApprovalEvent(tt.events, "tok"); got != tt.want {
				t.Errorf("latestApprovalEvent = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestFormatRejection(t *testing.T) {
	d := guardedDirectory()
	d.Status.HeldDeletions.ApprovalToken = "newtok"
	got := formatRejection(d, "oldtok", "ApprovalRejected: The approval oldtok does not match")
	assertLines(t, got, []string{
		"The operator did not use the approval oldtok: the deletions the guard holds changed since they were shown.",
		"  Event: ApprovalRejected: The approval oldtok does not match",
		"    kubectl annotate dir acme -n hr dirsync.io/approve-deletions=newtok",
	})
	d.Status.HeldDeletions = nil
	got = formatRejection(d, "oldtok", "")
	assertLines(t, got, []string{"  See: kubectl get events -n hr --field-selector involvedObject.name=acme",
		"  The deletion guard holds no deletions now."})
}

func TestPlural(t *testing.T) {
	for _, tt := range []struct {
		n    int32
		want string
	}{{0, "0 users"}, {1, "1 user"}, {2, "2 users"}} {
		if got := plural(tt.n, "user"); got != tt.want {
			t.Errorf("plural(%d) = %q, want %q", tt.n, got, tt.want)
		}
	}
}

func TestWaitTimeout(t *testing.T) {
	running := syncedDirectory()
	running.Status.Conditions = append(running.Status.Conditions, metav1.Condition{Type: dirsyncv1alpha1.ConditionSyncing,
		Status: metav1.ConditionTrue, Reason: dirsyncv1alpha1.ReasonReadingProvider, Message: "Reading Breathe HR: read 40 of 101 pages."})
	tests := []struct {
		name     string
		dir      *dirsyncv1alpha1.Directory
		answered bool
		want     string
	}{
		{"never answered: is a manager running?", running, false,
			"timed out after 5m waiting for the operator to answer the sync request: is the dirsync manager running and watching namespace hr?"},
		{"never read", nil, false,
			"timed out after 5m waiting for the operator to answer the sync request: is the dirsync manager running and watching namespace hr?"},
		{"answered, still syncing: says what it is doing", running, true,
			"timed out after 5m: the operator took up the sync request but its sync is still running: Reading Breathe HR: read 40 of 101 pages; " +
				"see kubectl dirsync status acme -n hr, or wait longer with --timeout"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := waitTimeout(fmt.Errorf("%w after 5m", errTimeout), tt.dir, tt.answered, "the sync request", "hr")
			if !errors.Is(err, errTimeout) || err.Error() != tt.want {
				t.Errorf("waitTimeout =\n  %v\nwant\n  %s", err, tt.want)
			}
		})
	}
}
