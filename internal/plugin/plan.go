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
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	dirsyncv1alpha1 "github.com/dirsync/dirsync/api/v1alpha1"
)

func (b *builder) planCommand() *cobra.Command {
	return b.leaf(leafSpec{
		use: "plan NAME", group: groupDirectory,
		short: "Print what a dry-run Directory's sync would do (status.plan)",
		long: "Print status.plan of a Directory with spec.dryRun: the summary, how many users and groups a sync would create, " +
			"update, delete and hold, up to 10 names of each, whether the deletion guard would hold the deletions, and the " +
			"command that turns dry run off. Without a plan it fails and says how to get one.",
		example: `  # What would the first real sync do?
  kubectl dirsync plan acme -n hr

  # The plan's counts, for a script
  kubectl dirsync plan acme -n hr -o json`,
		args:     argsSpec(1, 1, "the Directory's name", "Directory name"),
		flags:    outputFlag,
		complete: b.completeNames(listDirectoryNames),
		run:      runPlan,
	})
}

// runPlan prints the Directory's dry-run plan (status.plan); it fails when there is none, saying how to get one.
func runPlan(ctx context.Context, e *env, args []string) error {
	dir, err := e.getDirectory(ctx, args[0])
	if err != nil {
		return err
	}
	if e.opts.output != "" && dir.Status.Plan != nil {
		return printStructured(e.out, e.opts.output, planView{Namespace: dir.Namespace, Name: dir.Name, DryRun: dir.IsDryRun(),
			SyncTime: dir.Status.LastSuccessfulSyncTime, Plan: dir.Status.Plan})
	}
	text, err := formatPlan(dir, e.now())
	fmt.Fprint(e.out, text)
	return err
}

// patchDryRun is the kubectl command that turns spec.dryRun on or off.
func patchDryRun(dir *dirsyncv1alpha1.Directory, on bool) string {
	return fmt.Sprintf(`kubectl patch dir %s -n %s --type merge -p '{"spec":{"dryRun":%t}}'`, dir.Name, dir.Namespace, on)
}

// formatPlan is status.plan: the summary, the counts with up to 10 names each, whether the deletion guard
// would hold the deletions, and how to apply it. Without a plan it returns an error that says how to get one.
func formatPlan(dir *dirsyncv1alpha1.Directory, now time.Time) (string, error) {
	p := dir.Status.Plan
	if p == nil && !dir.IsDryRun() {
		return "", fmt.Errorf("the Directory %s/%s has no plan: spec.dryRun is false, so its syncs apply changes instead of planning them.\n"+
			"To see what a sync would do without writing anything, enable dry run:\n  %s\nthen run a sync and print its plan:\n"+
			"  kubectl dirsync sync %s -n %s && kubectl dirsync plan %s -n %s",
			dir.Namespace, dir.Name, patchDryRun(dir, true), dir.Name, dir.Namespace, dir.Name, dir.Namespace)
	}
	if p == nil {
		return "", fmt.Errorf("the Directory %s/%s has no plan yet: spec.dryRun is true but no dry-run sync has finished (Ready: %s).\n"+
			"Run one now with: kubectl dirsync sync %s -n %s", dir.Namespace, dir.Name, readyLine(dir), dir.Name, dir.Namespace)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "Plan of Directory %s/%s, from the dry-run sync of %s:\n", dir.Namespace, dir.Name, relAndAbs(dir.Status.LastSuccessfulSyncTime, now))
	if p.Summary != "" {
		fmt.Fprintf(&b, "  %s\n", p.Summary)
	}
	b.WriteString("\n")
	for _, part := range []struct {
		label string
		count int32
		names []string
	}{
		{"create", p.Create, p.Examples.Create},
		{"update", p.Update, p.Examples.Update},
		{"delete", p.Delete, p.Examples.Delete},
		{"held", p.Held, p.Examples.Held},
	} {
		fmt.Fprintf(&b, "  %-7s %d\n", part.label+":", part.count)
		for _, n := range part.names {
			fmt.Fprintf(&b, "    %s\n", n)
		}
		if more := int(part.count) - len(part.names); more > 0 && len(part.names) > 0 {
			fmt.Fprintf(&b, "    … and %d more\n", more)
		}
	}
	if p.GuardWouldHold {
		fmt.Fprintf(&b, "\nThe deletion guard would hold these deletions: applying deletes nothing until they are approved "+
			"(kubectl dirsync approve %s -n %s) or spec.deletionGuard.maxDeletePercent is raised.\n", dir.Name, dir.Namespace)
	}
	if dir.IsDryRun() {
		fmt.Fprintf(&b, "\nNothing was written. To apply, turn dry run off (the next sync then writes):\n  %s\n", patchDryRun(dir, false))
	} else {
		b.WriteString("\nspec.dryRun is false now: this plan is from an earlier dry run, and the next sync applies whatever the provider returns then.\n")
	}
	return b.String(), nil
}
