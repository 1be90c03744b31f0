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
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"sigs.k8s.io/controller-runtime/pkg/client"

	dirsyncv1alpha1 "github.com/dirsync/dirsync/api/v1alpha1"
)

func (b *builder) statusCommand() *cobra.Command {
	return b.leaf(leafSpec{
		use: "status [NAME]", group: groupDirectory,
		short: "Show a Directory: provider, Ready and why, last/next sync, counts, last changes, held deletions",
		long: "Show a Directory: its provider, whether it is Ready and why (with a hint of what to run next when it is not), " +
			"the sync in progress, the last and next sync, its counts, the last sync's changes, the deletions the guard holds " +
			"with the commands that approve them, the last approval and a dry run's plan summary.\n\n" +
			"Without a name it prints a table of the namespace's Directories (-A: every namespace's), then each one's details.",
		example: `  # Every Directory of the current namespace: a table, then each one's details
  kubectl dirsync status

  # One Directory
  kubectl dirsync status acme -n hr

  # Every Directory of the cluster, for a script
  kubectl dirsync status -A -o json`,
		args: argsSpec(0, 1, "the Directory's name", "Directory name"),
		flags: func(fs *pflag.FlagSet, o *options) {
			allNamespacesFlag(fs, o, "Directories")
			outputFlag(fs, o)
		},
		complete: b.completeNames(listDirectoryNames),
		run:      runStatus,
	})
}

// runStatus prints one Directory in detail, or every Directory of the namespace (of all namespaces
// with -A) as a table followed by each one's details.
func runStatus(ctx context.Context, e *env, args []string) error {
	if len(args) == 1 {
		if e.opts.allNamespaces {
			return usageErrorf("a Directory name cannot be combined with --all-namespaces")
		}
		dir, err := e.getDirectory(ctx, args[0])
		if err != nil {
			return err
		}
		if e.opts.output != "" {
			return printStructured(e.out, e.opts.output, directoryViewOf(dir, e.now()))
		}
		fmt.Fprint(e.out, formatDetail(dir, e.now()))
		return nil
	}
	var list dirsyncv1alpha1.DirectoryList
	opts, where := e.listScope()
	if err := e.client.List(ctx, &list, opts...); err != nil {
		return apiError(err, "listing Directories"+where, request{"list", resDirectories, e.scopeNamespace()})
	}
	dirs := sortedDirectories(list.Items)
	if e.opts.output != "" {
		out := itemList[directoryView]{Items: []directoryView{}}
		for i := range dirs {
			out.Items = append(out.Items, directoryViewOf(&dirs[i], e.now()))
		}
		return printStructured(e.out, e.opts.output, out)
	}
	if len(dirs) == 0 {
		if e.opts.allNamespaces {
			fmt.Fprintln(e.out, "No Directories found.")
		} else {
			fmt.Fprintf(e.out, "No Directories found in namespace %s.\n", e.namespace)
		}
		return nil
	}
	fmt.Fprint(e.out, formatList(dirs, e.opts.allNamespaces, e.now()))
	return nil
}

// listScope is the namespace option of a list (none with -A) and the words that say so in an error.
func (e *env) listScope() ([]client.ListOption, string) {
	if e.opts.allNamespaces {
		return nil, " in every namespace"
	}
	return []client.ListOption{client.InNamespace(e.namespace)}, " in namespace " + e.namespace
}

// scopeNamespace is the namespace a list reads: "" for every namespace.
func (e *env) scopeNamespace() string {
	if e.opts.allNamespaces {
		return ""
	}
	return e.namespace
}

// sortedDirectories is a copy of dirs sorted by namespace and name.
func sortedDirectories(dirs []dirsyncv1alpha1.Directory) []dirsyncv1alpha1.Directory {
	dirs = append([]dirsyncv1alpha1.Directory(nil), dirs...)
	slices.SortFunc(dirs, func(a, b dirsyncv1alpha1.Directory) int {
		return cmp.Or(cmp.Compare(a.Namespace, b.Namespace), cmp.Compare(a.Name, b.Name))
	})
	return dirs
}

// formatList is a table of the Directories, then each one's details, sorted by namespace and name.
func formatList(dirs []dirsyncv1alpha1.Directory, allNamespaces bool, now time.Time) string {
	dirs = sortedDirectories(dirs)
	var b strings.Builder
	b.WriteString(formatTable(dirs, allNamespaces, now))
	for i := range dirs {
		b.WriteString("\n")
		b.WriteString(formatDetail(&dirs[i], now))
	}
	return b.String()
}

// formatTable is one line per Directory, kubectl-style.
func formatTable(dirs []dirsyncv1alpha1.Directory, allNamespaces bool, now time.Time) string {
	var b strings.Builder
	w := tabwriter.NewWriter(&b, 0, 8, 3, ' ', 0)
	header := "NAME\tPROVIDER\tREADY\tREASON\tUSERS\tACTIVE\tGROUPS\tHELD\tLAST SYNC\tNEXT SYNC"
	if allNamespaces {
		header = "NAMESPACE\t" + header
	}
	fmt.Fprintln(w, header)
	for i := range dirs {
		d := &dirs[i]
		st := &d.Status
		held := "-"
		if st.HeldDeletions != nil {
			held = fmt.Sprint(st.HeldDeletions.Users + st.HeldDeletions.Groups)
		}
		if allNamespaces {
			fmt.Fprintf(w, "%s\t", d.Namespace)
		}
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%d\t%d\t%d\t%s\t%s\t%s\n", d.Name, d.Spec.Provider, readyStatus(d), orDash(readyReason(d)),
			st.UserCount, st.ActiveUserCount, st.GroupCount, held, relTime(st.LastSyncTime, now), nextSyncCell(d, now))
	}
	_ = w.Flush()
	return b.String()
}

// nextSyncCell is when the next sync is due, or why there is none.
func nextSyncCell(d *dirsyncv1alpha1.Directory, now time.Time) string {
	switch {
	case d.IsSuspended():
		return "suspended"
	case d.Status.NextSyncTime == nil:
		return "-"
	}
	return relTime(d.Status.NextSyncTime, now)
}

// formatDetail describes one Directory: provider, Ready and why, the sync in progress, the schedule,
// counts, the last changes, held deletions with the commands that approve them, the last approval and
// a dry run's plan summary.
func formatDetail(d *dirsyncv1alpha1.Directory, now time.Time) string {
	var b strings.Builder
	st := &d.Status
	line := func(label, format string, args ...any) {
		fmt.Fprintf(&b, "%-15s %s\n", label+":", fmt.Sprintf(format, args...))
	}
	line("Directory", "%s/%s", d.Namespace, d.Name)
	provider := string(d.Spec.Provider)
	if d.Spec.Endpoint != "" {
		provider += " at " + d.Spec.Endpoint
	}
	line("Provider", "%s", provider)
	line("Ready", "%s", readyLine(d))
	if h := directoryHint(d); h != "" {
		line("Hint", "%s", h)
	}
	if c := condition(d, dirsyncv1alpha1.ConditionSyncing); isSyncing(d) {
		line("Syncing", "%s (since %s)", orDash(c.Message), relTime(&c.LastTransitionTime, now))
	}
	if m := modeLine(d); m != "" {
		line("Mode", "%s", m)
	}
	line("Last sync", "%s", relAndAbs(st.LastSyncTime, now))
	if st.LastSuccessfulSyncTime == nil || st.LastSyncTime == nil || !st.LastSuccessfulSyncTime.Equal(st.LastSyncTime) {
		line("Last success", "%s", relAndAbs(st.LastSuccessfulSyncTime, now))
	}
	line("Next sync", "%s", nextSyncLine(d, now))
	line("Counts", "%s", countsLine(st))
	if st.LastSyncChanges != nil {
		line("Last changes", "%s", changesLine(st.LastSyncChanges))
	}
	if st.Plan != nil {
		line("Plan", "%s (details: kubectl dirsync plan %s -n %s)", orDash(st.Plan.Summary), d.Name, d.Namespace)
	}
	if st.HeldDeletions != nil {
		line("Held deletions", "%s", heldLine(st.HeldDeletions))
		writeHeld(&b, d, "  ")
	}
	if a := st.LastApproval; a != nil {
		line("Last approval", "%s: deleted %s and %s (token %s)", relTime(&a.ApprovedAt, now),
			plural(a.Users, "user"), plural(a.Groups, "group"), a.Token)
	}
	return b.String()
}

// modeLine names the spec settings that change what a sync does, or "".
func modeLine(d *dirsyncv1alpha1.Directory) string {
	var modes []string
	if d.IsSuspended() {
		modes = append(modes, "suspended (spec.suspend: no provider calls)")
	}
	if d.IsDryRun() {
		modes = append(modes, "dry run (spec.dryRun: syncs compute status.plan and write nothing)")
	}
	return strings.Join(modes, "; ")
}

// nextSyncLine is when the next sync is due and the interval; an overdue time while no sync runs hints
// that the manager may not be running.
func nextSyncLine(d *dirsyncv1alpha1.Directory, now time.Time) string {
	every := shortDuration(d.SyncIntervalOrDefault().Duration)
	switch {
	case d.IsSuspended():
		return fmt.Sprintf("none while suspended (every %s otherwise)", every)
	case d.Status.NextSyncTime == nil:
		return fmt.Sprintf("as soon as the operator sees it (every %s)", every)
	}
	s := fmt.Sprintf("%s, every %s", relAndAbs(d.Status.NextSyncTime, now), every)
	if overdue(d, now) {
		s += " (overdue: is the dirsync manager running?)"
	}
	return s
}

// overdue reports whether the next sync is more than a minute late while no sync runs, which hints that
// no manager is running.
func overdue(d *dirsyncv1alpha1.Directory, now time.Time) bool {
	next := d.Status.NextSyncTime
	return !d.IsSuspended() && next != nil && now.Sub(next.Time) > time.Minute && !isSyncing(d)
}
