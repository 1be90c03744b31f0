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

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	dirsyncv1alpha1 "github.com/dirsync/dirsync/api/v1alpha1"
)

func (b *builder) accessExplainCommand() *cobra.Command {
	return b.leaf(leafSpec{
		use:   "explain EMAIL",
		short: "Explain why a person has, or lacks, each DirectoryAccess's role: groups, state, dates, subject, held revocations",
		long: "Explain, for each DirectoryAccess of the namespace (-A: of every namespace), why the person with this e-mail has " +
			"or lacks its role: their DirectoryUser (found by spec.email, ignoring case), their groups against the selected ones, " +
			"their state, their startDate and endDate against the lifecycle settings, the subject the template renders for them " +
			"and whether another person renders it too, whether each managed RoleBinding binds them, and held revocations. " +
			"It ends with the namespaces and roles they have through dirsync.\n\n" +
			"The RoleBindings are the truth; where they differ from what the directory data says, the verdict says why. " +
			"Access granted outside dirsync (other RoleBindings, the identity provider's groups) is not shown.",
		example: `  # Why can (or can't) Alice edit in the namespaces the hr DirectoryAccesses target?
  kubectl dirsync access explain alice@example.com -n hr

  # Everything dirsync grants her, cluster-wide, for a script
  kubectl dirsync access explain alice@example.com -A -o json`,
		args: argsSpec(1, 1, "the person's e-mail", "e-mail"),
		flags: func(fs *pflag.FlagSet, o *options) {
			allNamespacesFlag(fs, o, "DirectoryAccesses")
			outputFlag(fs, o)
		},
		run: runAccessExplain,
	})
}

// runAccessExplain explains every DirectoryAccess of the namespace (or of every namespace) for one e-mail.
func runAccessExplain(ctx context.Context, e *env, args []string) error {
	email := strings.TrimSpace(args[0])
	if email == "" {
		return usageErrorf("explain needs the person's e-mail, got an empty one")
	}
	var list dirsyncv1alpha1.DirectoryAccessList
	opts, where := e.listScope()
	if err := e.client.List(ctx, &list, opts...); err != nil {
		return apiError(err, "listing DirectoryAccesses"+where, request{"list", resAccesses, e.scopeNamespace()})
	}
	accesses := list.Items
	slices.SortFunc(accesses, func(a, b dirsyncv1alpha1.DirectoryAccess) int {
		return cmp.Or(cmp.Compare(a.Namespace, b.Namespace), cmp.Compare(a.Name, b.Name))
	})
	bound := e.readBindings(ctx, accesses)
	data := directoryData{}
	view := explainView{Email: email, Explanations: []explanation{}}
	for i := range accesses {
		in, err := e.explainInput(ctx, &accesses[i], bound, data)
		if err != nil {
			return err
		}
		view.Explanations = append(view.Explanations, explainAccess(in, email, e.now())...)
	}
	view.Grants = grantsOf(view.Explanations)
	if e.opts.output != "" {
		return printStructured(e.out, e.opts.output, view)
	}
	fmt.Fprint(e.out, formatExplain(view, e.opts.allNamespaces, e.namespace))
	return nil
}

// directoryData caches what was read of each Directory, by namespace/name, so that several
// DirectoryAccesses of one Directory read its people once.
type directoryData map[types.NamespacedName]*directoryRead

type directoryRead struct {
	directory *dirsyncv1alpha1.Directory
	users     []dirsyncv1alpha1.DirectoryUser
	groups    []dirsyncv1alpha1.DirectoryGroup // nil until a DirectoryAccess with a groupSelector needs them
}

// explainInput reads what explaining one DirectoryAccess needs: its Directory, the Directory's people
// and (for a groupSelector) groups, and the RoleBindings it manages.
func (e *env) explainInput(ctx context.Context, a *dirsyncv1alpha1.DirectoryAccess, bound boundState, data directoryData) (explainInput, error) {
	key := types.NamespacedName{Namespace: a.Namespace, Name: a.Spec.DirectoryRef.Name}
	d := data[key]
	if d == nil {
		d = &directoryRead{}
		data[key] = d
		dir := &dirsyncv1alpha1.Directory{}
		switch err := e.client.Get(ctx, key, dir); {
		case err == nil:
			d.directory = dir
		case !apierrors.IsNotFound(err):
			return explainInput{}, apiError(err, "reading Directory "+key.String(), request{"get", resDirectories, key.Namespace})
		}
		var users dirsyncv1alpha1.DirectoryUserList
		if err := e.client.List(ctx, &users, ofDirectory(key)...); err != nil {
			return explainInput{}, apiError(err, "listing the DirectoryUsers of Directory "+key.String(), request{"list", resDirectoryUsers, key.Namespace})
		}
		d.users = users.Items
	}
	if a.Spec.GroupSelector != nil && d.groups == nil {
		var groups dirsyncv1alpha1.DirectoryGroupList
		if err := e.client.List(ctx, &groups, ofDirectory(key)...); err != nil {
			return explainInput{}, apiError(err, "listing the DirectoryGroups of Directory "+key.String(), request{"list", resDirectoryGroups, key.Namespace})
		}
		d.groups = append([]dirsyncv1alpha1.DirectoryGroup{}, groups.Items...)
	}
	return explainInput{access: a, directory: d.directory, users: d.users, groups: d.groups,
		bindings: accessViewOf(a, bound).Bindings}, nil
}

// ofDirectory selects the children of a Directory: its namespace and its label.
func ofDirectory(dir types.NamespacedName) []client.ListOption {
	return []client.ListOption{client.InNamespace(dir.Namespace), client.MatchingLabels{dirsyncv1alpha1.LabelDirectory: dir.Name}}
}

// formatExplain prints each explanation, then the roles the person ends up with.
func formatExplain(v explainView, allNamespaces bool, namespace string) string {
	var b strings.Builder
	scope, where := "of namespace "+namespace, "in namespace "+namespace
	if allNamespaces {
		scope, where = "of every namespace", "in any namespace"
	}
	if len(v.Explanations) == 0 {
		fmt.Fprintf(&b, "No DirectoryAccesses found %s: dirsync grants %s nothing there.\n", where, v.Email)
		return b.String()
	}
	fmt.Fprintf(&b, "Why %s has, or lacks, the role of each DirectoryAccess %s:\n", v.Email, scope)
	for i := range v.Explanations {
		b.WriteString("\n")
		writeExplanation(&b, &v.Explanations[i])
	}
	b.WriteString("\n")
	if len(v.Grants) == 0 {
		fmt.Fprintf(&b, "In the end %s has no role through these DirectoryAccesses.\n", v.Email)
	} else {
		fmt.Fprintf(&b, "In the end %s has, through dirsync:\n", v.Email)
		for _, g := range v.Grants {
			fmt.Fprintf(&b, "  %s in namespace %s (DirectoryAccess %s)\n", g.Role, g.Namespace, g.Access)
		}
	}
	b.WriteString("Access granted outside dirsync (other RoleBindings, the identity provider's groups) is not shown.\n")
	return b.String()
}

// writeExplanation prints one DirectoryAccess's explanation for one person.
func writeExplanation(b *strings.Builder, e *explanation) {
	answer := "LACKS IT"
	if len(e.BoundIn) > 0 {
		answer = "HAS IT"
	}
	fmt.Fprintf(b, "DirectoryAccess %s: %s — %s\n", e.Access, e.Role, answer)
	line := func(label, format string, args ...any) {
		fmt.Fprintf(b, "  %-11s %s\n", label+":", fmt.Sprintf(format, args...))
	}
	line("Directory", "%s, Ready %s", e.Directory, conditionShort(e.DirectoryReady))
	if p := e.Person; p != nil {
		removed := ""
		if p.RemovedFromProvider {
			removed = ", no longer listed by the provider"
		}
		line("Person", "DirectoryUser %s (external id %s, %s), %s%s", p.Name, p.ExternalID, p.Email, orDash(string(p.State)), removed)
		line("Groups", "%s; selected: %s; in common: %s", orNone(p.Groups), orNone(e.SelectedGroups), orNone(e.MatchingGroups))
		line("Dates", "startDate %s, endDate %s", orDash(p.StartDate), orDash(p.EndDate))
		if e.Subject != "" {
			line("Subject", "%s (template %s)", e.Subject, e.Template)
		}
	}
	for _, c := range e.Conflicts {
		line("Conflict", "%s renders the same subject", c)
	}
	for _, r := range e.Reasons {
		line("Not bound", "%s", r)
	}
	for _, n := range e.Notes {
		line("Note", "%s", n)
	}
	if e.HeldRevocations > 0 {
		line("Held", "the revocation guard holds %d revocations of this DirectoryAccess", e.HeldRevocations)
	}
	line("Bindings", "%s", presenceLine(e.Bindings))
	line("Verdict", "%s", e.Verdict)
	if e.AccessReady.Status != "True" && e.AccessReady.Reason != "" {
		line("Ready", "%s (%s): %s", e.AccessReady.Status, e.AccessReady.Reason, e.AccessReady.Message)
	}
}

// presenceLine is "web (dirsync-eng-…): bound; api (…): not bound", or why there is nothing to say.
func presenceLine(ps []presence) string {
	if len(ps) == 0 {
		return "none: the DirectoryAccess manages no RoleBinding yet"
	}
	parts := make([]string, 0, len(ps))
	for _, p := range ps {
		state := "not bound"
		switch {
		case p.Unread:
			state = "unknown (the RoleBinding could not be read)"
		case p.Bound:
			state = "bound"
		}
		parts = append(parts, fmt.Sprintf("%s (%s): %s", p.Namespace, p.Name, state))
	}
	return strings.Join(parts, "; ")
}

// conditionShort is "True (Synced)", or "Unknown" when there is no such condition.
func conditionShort(c conditionView) string {
	if c.Reason == "" {
		return string(c.Status)
	}
	return fmt.Sprintf("%s (%s)", c.Status, c.Reason)
}
