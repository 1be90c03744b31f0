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
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	dirsyncv1alpha1 "github.com/dirsync/dirsync/api/v1alpha1"
)

func (b *builder) syncCommand() *cobra.Command {
	return b.leaf(leafSpec{
		use: "sync NAME", group: groupDirectory,
		short: "Sync a Directory now (sets dirsync.io/sync-requested-at) and wait for the outcome",
		long: "Sync a Directory now: set dirsync.io/sync-requested-at to the current time and wait until the operator has " +
			"answered it (status.lastHandledSyncRequest) and no sync runs, printing the sync's progress on the way. Then print " +
			"Ready, the changes (a dry run's plan) and any held deletions.\n\n" +
			"It fails when the Directory is not Ready afterwards (a dry run's outcome is its plan, which counts as success), " +
			"and refuses a suspended Directory, which answers no request.",
		example: `  # Sync now and wait up to 5 minutes for the outcome
  kubectl dirsync sync acme -n hr

  # Only request the sync
  kubectl dirsync sync acme -n hr --wait=false

  # Wait longer for a big directory
  kubectl dirsync sync acme -n hr --timeout=15m`,
		args:     argsSpec(1, 1, "the Directory's name", "Directory name"),
		flags:    waitFlags,
		complete: b.completeNames(listDirectoryNames),
		run:      runSync,
	})
}

// runSync sets dirsync.io/sync-requested-at to a new value and, unless --wait=false, waits until the
// operator has answered it (status.lastHandledSyncRequest) and no sync runs, then prints the outcome.
// It fails when the Directory is not Ready afterwards, except for a dry run, whose outcome is a plan.
func runSync(ctx context.Context, e *env, args []string) error {
	dir, err := e.getDirectory(ctx, args[0])
	if err != nil {
		return err
	}
	if dir.IsSuspended() {
		return fmt.Errorf("the Directory %s/%s is suspended (spec.suspend is true), so the operator answers no sync request; resume it with:\n"+
			"  kubectl patch dir %s -n %s --type merge -p '{\"spec\":{\"suspend\":false}}'", dir.Namespace, dir.Name, dir.Name, dir.Namespace)
	}
	value := syncRequestValue(e.now(), dir.Annotations[dirsyncv1alpha1.AnnotationSyncRequestedAt], dir.Status.LastHandledSyncRequest)
	if err := e.annotate(ctx, dir, dirsyncv1alpha1.AnnotationSyncRequestedAt, value); err != nil {
		return err
	}
	fmt.Fprintf(e.out, "Requested a sync of Directory %s/%s (%s=%s).\n", dir.Namespace, dir.Name, dirsyncv1alpha1.AnnotationSyncRequestedAt, value)
	if !e.opts.wait {
		return nil
	}
	fmt.Fprintf(e.out, "Waiting up to %s for the operator to run it…\n", shortDuration(e.opts.timeout))
	started := e.clock.Now()
	dir, err = e.waitFor(ctx, client.ObjectKeyFromObject(dir), func(d *dirsyncv1alpha1.Directory) (bool, error) {
		if d.IsSuspended() {
			return false, fmt.Errorf("the Directory %s/%s was suspended while waiting for the sync", d.Namespace, d.Name)
		}
		return d.Status.LastHandledSyncRequest == value && !isSyncing(d), nil
	})
	if errors.Is(err, errTimeout) {
		return waitTimeout(err, dir, dir != nil && dir.Status.LastHandledSyncRequest == value,
			fmt.Sprintf("the sync request (status.lastHandledSyncRequest is %q, want %q)", lastHandled(dir), value), e.namespace)
	}
	if err != nil {
		return err
	}
	text, err := formatSyncOutcome(dir, e.clock.Since(started), e.now())
	fmt.Fprint(e.out, text)
	return err
}

// waitTimeout explains a wait that ran out of time: the operator is still syncing (answered), or it never
// answered at all, which usually means no manager runs for the namespace.
func waitTimeout(err error, dir *dirsyncv1alpha1.Directory, answered bool, what, namespace string) error {
	if answered {
		msg := ""
		if c := condition(dir, dirsyncv1alpha1.ConditionSyncing); c != nil {
			msg = ": " + strings.TrimSuffix(c.Message, ".")
		}
		return fmt.Errorf("%w: the operator took up %s but its sync is still running%s; "+
			"see kubectl dirsync status %s -n %s, or wait longer with --timeout", err, what, msg, dir.Name, dir.Namespace)
	}
	return fmt.Errorf("%w waiting for the operator to answer %s: is the dirsync manager running and watching namespace %s?", err, what, namespace)
}

func lastHandled(dir *dirsyncv1alpha1.Directory) string {
	if dir == nil {
		return ""
	}
	return dir.Status.LastHandledSyncRequest
}

// syncRequestValue is the annotation's new value: now in RFC 3339 (as `date -u +%FT%TZ` writes it), or
// with fractional seconds when that would not change the annotation or equals the last handled request,
// since the operator only answers a value it has not answered before.
func syncRequestValue(now time.Time, current, handled string) string {
	v := now.UTC().Format(time.RFC3339)
	if v == current || v == handled {
		v = now.UTC().Format(time.RFC3339Nano)
	}
	return v
}

// formatSyncOutcome says how the sync the operator just ran ended: Ready and why, what it changed (or, for
// a dry run, what it would change), and any held deletions with the commands that approve them. The error
// is non-nil when the Directory is not Ready, except for a dry run.
func formatSyncOutcome(dir *dirsyncv1alpha1.Directory, took time.Duration, now time.Time) (string, error) {
	var b strings.Builder
	st := &dir.Status
	fmt.Fprintf(&b, "Sync of Directory %s/%s finished after %s.\n", dir.Namespace, dir.Name, shortDuration(took.Round(time.Second)))
	fmt.Fprintf(&b, "  Ready:   %s\n", readyLine(dir))
	if h := directoryHint(dir); h != "" {
		fmt.Fprintf(&b, "  Hint:    %s\n", h)
	}
	reason := readyReason(dir)
	succeeded := st.LastSuccessfulSyncTime != nil && st.LastSyncTime != nil && st.LastSuccessfulSyncTime.Equal(st.LastSyncTime)
	switch {
	case reason == dirsyncv1alpha1.ReasonDryRun && st.Plan != nil:
		fmt.Fprintf(&b, "  Plan:    %s (nothing was written; details: kubectl dirsync plan %s -n %s)\n", orDash(st.Plan.Summary), dir.Name, dir.Namespace)
	case succeeded && st.LastSyncChanges != nil:
		fmt.Fprintf(&b, "  Changes: %s\n", changesLine(st.LastSyncChanges))
	case !succeeded:
		fmt.Fprintf(&b, "  Last successful sync: %s\n", relAndAbs(st.LastSuccessfulSyncTime, now))
	}
	fmt.Fprintf(&b, "  Counts:  %s\n", countsLine(st))
	if st.HeldDeletions != nil {
		writeHeld(&b, dir, "  ")
	}
	if readyStatus(dir) == string(metav1.ConditionTrue) || reason == dirsyncv1alpha1.ReasonDryRun {
		return b.String(), nil
	}
	return b.String(), fmt.Errorf("the Directory %s/%s is not Ready after the sync (%s)", dir.Namespace, dir.Name, orDash(reason))
}
