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

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/util/sets"
	"sigs.k8s.io/controller-runtime/pkg/client"

	dirsyncv1alpha1 "github.com/dirsync/dirsync/api/v1alpha1"
)

func (b *builder) accessCommand() *cobra.Command {
	return group("access", "List DirectoryAccesses and their RoleBindings, and explain who has access and why",
		"Inspect DirectoryAccesses, which bind the Active members of a Directory's groups to a role in some namespaces, "+
			"and the RoleBindings dirsync manages for them.",
		`  # Every DirectoryAccess and every RoleBinding dirsync manages, cluster-wide
  kubectl dirsync access list -A

  # One DirectoryAccess in detail
  kubectl dirsync access status eng-edit -n hr

  # Why does Alice have, or lack, access?
  kubectl dirsync access explain alice@example.com -n hr`,
		groupAccess,
		b.accessListCommand(), b.accessStatusCommand(), b.accessExplainCommand())
}

func (b *builder) accessListCommand() *cobra.Command {
	return b.leaf(leafSpec{
		use:   "list",
		short: "List DirectoryAccesses with Ready, role, targets, subjects, held revocations, and every RoleBinding they manage",
		long: "List the DirectoryAccesses of the namespace (-A: of every namespace) with Ready and its reason, the Directory, " +
			"the role, the target namespaces, how many subjects are bound and how many revocations are held; then every " +
			"RoleBinding dirsync manages for them, read from the cluster.\n\n" +
			"With -A it also lists managed RoleBindings whose DirectoryAccess no longer exists (orphaned: nothing revokes them). " +
			"Before uninstalling dirsync, delete every DirectoryAccess while the manager runs and wait until this list shows " +
			"no RoleBinding.",
		example: `  # Every DirectoryAccess and managed RoleBinding of the cluster (before an uninstall: what would be left)
  kubectl dirsync access list -A

  # The DirectoryAccesses of one namespace, for a script
  kubectl dirsync access list -n hr -o json`,
		args: argsSpec(0, 0, "", ""),
		flags: func(fs *pflag.FlagSet, o *options) {
			allNamespacesFlag(fs, o, "DirectoryAccesses")
			outputFlag(fs, o)
		},
		run: runAccessList,
	})
}

func (b *builder) accessStatusCommand() *cobra.Command {
	return b.leaf(leafSpec{
		use:   "status NAME",
		short: "Show a DirectoryAccess: Ready and why, its RoleBindings per namespace with their subjects, held revocations, last change",
		long: "Show a DirectoryAccess in detail: what it selects and binds, Ready with its reason and message (and what to run " +
			"next when it is not Ready), how many subjects are bound and how many revocations the guard holds, the last change, " +
			"the next startDate/endDate review, and each RoleBinding it manages, per namespace, with its subjects.",
		example: `  # One DirectoryAccess
  kubectl dirsync access status eng-edit -n hr

  # Its bindings and subjects, for a script
  kubectl dirsync access status eng-edit -n hr -o yaml`,
		args:     argsSpec(1, 1, "the DirectoryAccess's name", "DirectoryAccess name"),
		flags:    outputFlag,
		complete: b.completeNames(listAccessNames),
		run:      runAccessStatus,
	})
}

// runAccessList prints the DirectoryAccesses and the RoleBindings they manage.
func runAccessList(ctx context.Context, e *env, _ []string) error {
	var list dirsyncv1alpha1.DirectoryAccessList
	opts, where := e.listScope()
	if err := e.client.List(ctx, &list, opts...); err != nil {
		return apiError(err, "listing DirectoryAccesses"+where, request{"list", resAccesses, e.scopeNamespace()})
	}
	accesses := list.Items
	slices.SortFunc(accesses, func(a, b dirsyncv1alpha1.DirectoryAccess) int {
		return cmp.Or(cmp.Compare(a.Namespace, b.Namespace), cmp.Compare(a.Name, b.Name))
	})
	bindings := e.readBindings(ctx, accesses)
	out := accessListOf(accesses, bindings, e.opts.allNamespaces)
	if e.opts.output != "" {
		return printStructured(e.out, e.opts.output, out)
	}
	fmt.Fprint(e.out, formatAccessList(out, e.opts.allNamespaces, e.namespace))
	return nil
}

// runAccessStatus prints one DirectoryAccess in detail.
func runAccessStatus(ctx context.Context, e *env, args []string) error {
	acc, err := e.getAccess(ctx, args[0])
	if err != nil {
		return err
	}
	v := accessViewOf(acc, e.readBindings(ctx, []dirsyncv1alpha1.DirectoryAccess{*acc}))
	if e.opts.output != "" {
		return printStructured(e.out, e.opts.output, v)
	}
	fmt.Fprint(e.out, formatAccessDetail(v, e.now()))
	return nil
}

// getAccess reads the DirectoryAccess name in the namespace.
func (e *env) getAccess(ctx context.Context, name string) (*dirsyncv1alpha1.DirectoryAccess, error) {
	acc := &dirsyncv1alpha1.DirectoryAccess{}
	if err := e.client.Get(ctx, e.key(name), acc); err != nil {
		if apierrors.IsNotFound(err) {
			return nil, fmt.Errorf("no DirectoryAccess %q in namespace %q", name, e.namespace)
		}
		return nil, apiError(err, fmt.Sprintf("reading DirectoryAccess %s/%s", e.namespace, name), request{"get", resAccesses, e.namespace})
	}
	return acc, nil
}

// boundState is the managed RoleBindings as read from the cluster.
type boundState struct {
	items []rbacv1.RoleBinding
	// everywhere is set when every namespace was read (with -A): a RoleBinding whose DirectoryAccess is
	// not listed is then orphaned.
	everywhere bool
	// read are the namespaces whose managed RoleBindings were read, when not everywhere.
	read sets.Set[string]
}

// readBindings reads the RoleBindings dirsync manages: in every namespace with -A, else in the
// namespaces the DirectoryAccesses target or say they bind in. A namespace it may not read is warned
// about: status.bindings then stands in for the RoleBindings there.
func (e *env) readBindings(ctx context.Context, accesses []dirsyncv1alpha1.DirectoryAccess) boundState {
	managed := client.MatchingLabels{dirsyncv1alpha1.LabelManagedBy: dirsyncv1alpha1.ManagedByDirsync}
	if e.opts.allNamespaces {
		var list rbacv1.RoleBindingList
		err := e.client.List(ctx, &list, managed)
		if err == nil {
			return boundState{items: list.Items, everywhere: true}
		}
		e.warnf("%v\nThe bindings shown are the DirectoryAccesses' status.bindings, and orphaned RoleBindings cannot be found.",
			apiError(err, "listing the RoleBindings dirsync manages in every namespace", request{"list", resRoleBindings, ""}))
		return boundState{read: sets.New[string]()}
	}
	st := boundState{read: sets.New[string]()}
	for _, ns := range sets.List(bindingNamespaces(accesses)) {
		var list rbacv1.RoleBindingList
		if err := e.client.List(ctx, &list, client.InNamespace(ns), managed); err != nil {
			e.warnf("%v\nThe bindings shown there are the DirectoryAccesses' status.bindings.",
				apiError(err, "listing the RoleBindings dirsync manages in namespace "+ns, request{"list", resRoleBindings, ns}))
			continue
		}
		st.read.Insert(ns)
		st.items = append(st.items, list.Items...)
	}
	return st
}

// bindingNamespaces are the namespaces where the DirectoryAccesses may have RoleBindings: their explicit
// targets and those their status lists.
func bindingNamespaces(accesses []dirsyncv1alpha1.DirectoryAccess) sets.Set[string] {
	out := sets.New[string]()
	for i := range accesses {
		out.Insert(accesses[i].Spec.Target.Namespaces...)
		for _, b := range accesses[i].Status.Bindings {
			out.Insert(b.Namespace)
		}
	}
	return out
}

// accessRef is the "<namespace>/<name>" of the DirectoryAccess that manages a RoleBinding, from its
// annotation, or "" when it has none.
func accessRef(rb *rbacv1.RoleBinding) string {
	return rb.Annotations[dirsyncv1alpha1.AnnotationAccess]
}

// userSubjects are the names of a RoleBinding's User subjects, sorted.
func userSubjects(rb *rbacv1.RoleBinding) []string {
	var out []string
	for _, s := range rb.Subjects {
		if s.Kind == rbacv1.UserKind {
			out = append(out, s.Name)
		}
	}
	slices.Sort(out)
	return out
}
