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
	"io"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/util/wait"
	"sigs.k8s.io/controller-runtime/pkg/client"

	dirsyncv1alpha1 "github.com/dirsync/dirsync/api/v1alpha1"
)

// Reasons of the Warning Events the operator emits when it does not use an approval.
const (
	eventApprovalRejected  = "ApprovalRejected"
	eventApprovalNotNeeded = "ApprovalNotNeeded"
)

func (b *builder) approveCommand() *cobra.Command {
	return b.leaf(leafSpec{
		use: "approve NAME", group: groupDirectory,
		short: "Show the deletions the guard holds and approve exactly them (sets dirsync.io/approve-deletions)",
		long: "Show what the deletion guard holds (status.heldDeletions: counts and up to 20 names), ask [y/N] (--yes skips), " +
			"set dirsync.io/approve-deletions to the held set's token and wait until the operator has answered it " +
			"(status.lastHandledApproval); then print what was deleted.\n\n" +
			"If the held set changed in the meantime, the operator deletes nothing and emits an ApprovalRejected Event: the " +
			"command prints it with the set held now and fails. It fails too when nothing is held.",
		example: `  # Review the held deletions, then confirm
  kubectl dirsync approve acme -n hr

  # Approve without asking (in a script that has reviewed them)
  kubectl dirsync approve acme -n hr --yes`,
		args: argsSpec(1, 1, "the Directory's name", "Directory name"),
		flags: func(fs *pflag.FlagSet, o *options) {
			fs.BoolVarP(&o.yes, "yes", "y", false, "Approve without asking for confirmation.")
			waitFlags(fs, o)
		},
		complete: b.completeNames(listDirectoryNames),
		run:      runApprove,
	})
}

// runApprove shows the deletions the guard holds, asks for confirmation (unless --yes), sets
// dirsync.io/approve-deletions to the held set's token and, unless --wait=false, waits until the operator
// has answered it (status.lastHandledApproval). The approval worked when status.lastApproval carries the
// token; otherwise the held set changed in between, and the operator's Event says how.
func runApprove(ctx context.Context, e *env, args []string) error {
	dir, err := e.getDirectory(ctx, args[0])
	if err != nil {
		return err
	}
	if err := approvable(dir); err != nil {
		return err
	}
	if err := e.confirmHeld(dir); err != nil {
		return err
	}
	token := dir.Status.HeldDeletions.ApprovalToken
	if err := e.annotate(ctx, dir, dirsyncv1alpha1.AnnotationApproveDeletions, token); err != nil {
		return err
	}
	fmt.Fprintf(e.out, "Approved with %s=%s.\n", dirsyncv1alpha1.AnnotationApproveDeletions, token)
	if !e.opts.wait {
		return nil
	}
	return e.awaitApproval(ctx, dir, token)
}

// confirmHeld prints the held deletions and, unless --yes, asks whether to delete them.
func (e *env) confirmHeld(dir *dirsyncv1alpha1.Directory) error {
	var b strings.Builder
	fmt.Fprintf(&b, "Directory %s/%s: ", dir.Namespace, dir.Name)
	writeHeldNames(&b, dir.Status.HeldDeletions, "")
	fmt.Fprint(e.out, b.String())
	if e.opts.yes {
		return nil
	}
	n := dir.Status.HeldDeletions.Users + dir.Status.HeldDeletions.Groups
	ok, err := confirm(e, fmt.Sprintf("Delete these %d objects? [y/N]: ", n))
	if err != nil {
		return err
	}
	if !ok {
		return errors.New("not approved: nothing was deleted")
	}
	return nil
}

// awaitApproval waits until the operator has answered the approval token and reports what it did.
func (e *env) awaitApproval(ctx context.Context, dir *dirsyncv1alpha1.Directory, token string) error {
	fmt.Fprintf(e.out, "Waiting up to %s for the operator to delete them…\n", shortDuration(e.opts.timeout))
	dir, err := e.waitFor(ctx, client.ObjectKeyFromObject(dir), func(d *dirsyncv1alpha1.Directory) (bool, error) {
		return d.Status.LastHandledApproval == token && !isSyncing(d), nil
	})
	if errors.Is(err, errTimeout) {
		return waitTimeout(err, dir, dir != nil && dir.Status.LastHandledApproval == token,
			fmt.Sprintf("the approval %s", token), e.namespace)
	}
	if err != nil {
		return err
	}
	if a := dir.Status.LastApproval; a != nil && a.Token == token {
		fmt.Fprintf(e.out, "Deleted %s and %s.\n  Ready: %s\n", plural(a.Users, "user"), plural(a.Groups, "group"), readyLine(dir))
		return nil
	}
	fmt.Fprint(e.out, formatRejection(dir, token, e.approvalEvent(ctx, dir, token)))
	return errors.New("the operator did not use the approval: nothing was deleted")
}

// approvable says why the Directory's held deletions cannot be approved now, or nil.
func approvable(dir *dirsyncv1alpha1.Directory) error {
	h := dir.Status.HeldDeletions
	switch {
	case h == nil || h.ApprovalToken == "":
		return fmt.Errorf("the Directory %s/%s holds no deletions: there is nothing to approve", dir.Namespace, dir.Name)
	case dir.IsDryRun():
		return fmt.Errorf("the Directory %s/%s is in dry run (spec.dryRun is true): the operator answers approvals only on a real sync; "+
			"set spec.dryRun to false first", dir.Namespace, dir.Name)
	case dir.IsSuspended():
		return fmt.Errorf("the Directory %s/%s is suspended (spec.suspend is true): the operator answers no approval until it is resumed",
			dir.Namespace, dir.Name)
	case h.ApprovalToken == dir.Status.LastHandledApproval:
		return fmt.Errorf("the operator has already answered an approval with this held set's token %s, and an approval is used once; "+
			"to let these deletions through, raise spec.deletionGuard.maxDeletePercent", h.ApprovalToken)
	}
	return nil
}

// confirm prints the prompt and reads one line: y or yes (any case) confirms; anything else, or no
// answer at all, does not.
func confirm(e *env, prompt string) (bool, error) {
	fmt.Fprint(e.out, prompt)
	line, err := e.in.ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return false, fmt.Errorf("reading the answer: %w", err)
	}
	if errors.Is(err, io.EOF) && line == "" {
		fmt.Fprintln(e.out)
		return false, errors.New("no answer on standard input: nothing was approved (use --yes to approve without asking)")
	}
	switch strings.ToLower(strings.TrimSpace(line)) {
	case "y", "yes":
		return true, nil
	}
	return false, nil
}

// formatRejection explains an approval the operator handled but did not use: the Event that says why
// (if readable) and the deletions held now, with the commands that approve them.
func formatRejection(dir *dirsyncv1alpha1.Directory, token string, event string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "The operator did not use the approval %s: the deletions the guard holds changed since they were shown.\n", token)
	if event != "" {
		fmt.Fprintf(&b, "  Event: %s\n", event)
	} else {
		fmt.Fprintf(&b, "  See: kubectl get events -n %s --field-selector involvedObject.name=%s\n", dir.Namespace, dir.Name)
	}
	if dir.Status.HeldDeletions != nil {
		writeHeld(&b, dir, "  ")
	} else {
		b.WriteString("  The deletion guard holds no deletions now.\n")
	}
	return b.String()
}

// approvalEvent is the message of the operator's Warning Event about the approval token (ApprovalRejected
// or ApprovalNotNeeded), or "" when there is none or Events cannot be read. Events are recorded
// asynchronously, so it looks for a few seconds.
func (e *env) approvalEvent(ctx context.Context, dir *dirsyncv1alpha1.Directory, token string) string {
	var msg string
	_ = wait.PollUntilContextTimeout(ctx, e.poll, eventWait, true, func(ctx context.Context) (bool, error) {
		var list corev1.EventList
		err := e.client.List(ctx, &list, client.InNamespace(dir.Namespace), client.MatchingFields{
			"involvedObject.kind": "Directory", "involvedObject.name": dir.Name, "involvedObject.uid": string(dir.UID),
		})
		if apierrors.IsForbidden(err) {
			return false, err // not allowed to read Events: say nothing rather than wait
		}
		if err != nil {
			return false, nil
		}
		msg = latestApprovalEvent(list.Items, token)
		return msg != "", nil
	})
	return msg
}

// latestApprovalEvent is the message of the newest ApprovalRejected or ApprovalNotNeeded Event that names the token.
func latestApprovalEvent(events []corev1.Event, token string) string {
	var matching []corev1.Event
	for _, ev := range events {
		if (ev.Reason == eventApprovalRejected || ev.Reason == eventApprovalNotNeeded) && strings.Contains(ev.Message, token) {
			matching = append(matching, ev)
		}
	}
	if len(matching) == 0 {
		return ""
	}
	slices.SortStableFunc(matching, func(a, b corev1.Event) int { return eventTime(&a).Compare(eventTime(&b)) })
	last := matching[len(matching)-1]
	return last.Reason + ": " + last.Message
}

// eventTime is when an Event last happened, whichever API (core/v1 or events.k8s.io/v1) recorded it.
func eventTime(ev *corev1.Event) time.Time {
	t := ev.CreationTimestamp.Time
	for _, c := range []time.Time{ev.EventTime.Time, ev.LastTimestamp.Time} {
		if c.After(t) {
			t = c
		}
	}
	if ev.Series != nil && ev.Series.LastObservedTime.After(t) {
		t = ev.Series.LastObservedTime.Time
	}
	return t
}
