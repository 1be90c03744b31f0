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

// Package uninstall holds the check that keeps dirsync from being uninstalled while a DirectoryAccess
// exists. A DirectoryAccess carries the finalizer dirsync.io/access-bindings, which only a running
// manager removes, after it has deleted the RoleBindings the DirectoryAccess manages in every target
// namespace. Remove the manager (or the CRDs) first and those RoleBindings stay behind with nobody left
// to revoke a leaver's access, and a CRD deletion waits forever on the finalizers. The chart's
// pre-delete hook runs this check (`manager uninstall-check`); docs/uninstall.md gives the order.
package uninstall

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strings"

	"k8s.io/apimachinery/pkg/api/meta"
	"sigs.k8s.io/controller-runtime/pkg/client"

	dirsyncv1alpha1 "github.com/dirsync/dirsync/api/v1alpha1"
)

// Remaining is a DirectoryAccess that still exists.
type Remaining struct {
	// Namespace and Name identify it.
	Namespace, Name string
	// Deleting is true once it has been deleted and waits for the manager to delete its RoleBindings
	// and remove the finalizer.
	Deleting bool
}

// Find lists the DirectoryAccesses in namespaces (every namespace when empty), sorted by namespace and
// name. Where the API server does not know the kind (the CRDs are gone, or were never installed),
// nothing remains. Any other error, a refused list included, is returned: the check fails closed.
func Find(ctx context.Context, c client.Reader, namespaces []string) ([]Remaining, error) {
	scopes := namespaces
	if len(scopes) == 0 {
		scopes = []string{""}
	}
	var out []Remaining
	for _, ns := range scopes {
		var list dirsyncv1alpha1.DirectoryAccessList
		if err := c.List(ctx, &list, client.InNamespace(ns)); meta.IsNoMatchError(err) {
			return nil, nil
		} else if err != nil {
			where := "in every namespace"
			if ns != "" {
				where = "in namespace " + ns
			}
			return nil, fmt.Errorf("listing DirectoryAccesses %s: %w", where, err)
		}
		for _, a := range list.Items {
			out = append(out, Remaining{Namespace: a.Namespace, Name: a.Name, Deleting: a.DeletionTimestamp != nil})
		}
	}
	slices.SortFunc(out, func(a, b Remaining) int {
		return strings.Compare(a.Namespace+"/"+a.Name, b.Namespace+"/"+b.Name)
	})
	return out, nil
}

// maxListed bounds how many DirectoryAccesses Refusal names; the rest are counted.
const maxListed = 20

// Refusal is what the check prints when DirectoryAccesses remain: which, why that blocks the uninstall,
// what to do, and how to override it. It is empty when none remain.
func Refusal(remaining []Remaining) string {
	if len(remaining) == 0 {
		return ""
	}
	var b strings.Builder
	noun := "DirectoryAccesses still exist"
	if len(remaining) == 1 {
		noun = "DirectoryAccess still exists"
	}
	fmt.Fprintf(&b, "Refusing to uninstall dirsync: %d %s. Without the manager, the RoleBindings they manage would "+
		"stay behind with nothing left to revoke a leaver's access, and deleting the CRDs would wait forever on their finalizers.\n",
		len(remaining), noun)
	for i, r := range remaining {
		if i == maxListed {
			fmt.Fprintf(&b, "  … and %d more\n", len(remaining)-maxListed)
			break
		}
		fmt.Fprintf(&b, "  %s/%s", r.Namespace, r.Name)
		if r.Deleting {
			b.WriteString(" (being deleted: the manager has not yet deleted all its RoleBindings; see its Ready condition)")
		}
		b.WriteString("\n")
	}
	b.WriteString("Delete them, wait until they are gone (the manager deletes their RoleBindings first), then uninstall again:\n" +
		"  kubectl get directoryaccesses -A\n" +
		"  kubectl delete directoryaccesses --all -n <namespace>\n" +
		"  kubectl wait --for=delete directoryaccesses --all -n <namespace> --timeout=5m\n" +
		"To uninstall anyway and leave their RoleBindings behind: helm uninstall --no-hooks. " +
		"See docs/uninstall.md (https://github.com/dirsync/dirsync/blob/main/docs/uninstall.md).\n")
	return b.String()
}

// Exit codes of Check, and of `manager uninstall-check`.
const (
	// ExitClear: no DirectoryAccess remains; uninstalling leaves no access behind.
	ExitClear = 0
	// ExitRefused: DirectoryAccesses remain.
	ExitRefused = 1
	// ExitUnknown: the check could not list them (no permission, no API server); it fails closed.
	ExitUnknown = 2
)

// Check runs the check: it prints what it found and returns the exit code.
func Check(ctx context.Context, c client.Reader, namespaces []string, stdout, stderr io.Writer) int {
	remaining, err := Find(ctx, c, namespaces)
	if err != nil {
		fmt.Fprintf(stderr, "Refusing to uninstall dirsync: could not tell whether DirectoryAccesses remain: %v\n"+
			"To uninstall anyway (and leave any DirectoryAccess's RoleBindings behind): helm uninstall --no-hooks. See docs/uninstall.md.\n", err)
		return ExitUnknown
	}
	if len(remaining) > 0 {
		fmt.Fprint(stderr, Refusal(remaining))
		return ExitRefused
	}
	where := "in any namespace"
	if len(namespaces) > 0 {
		where = "in " + strings.Join(namespaces, ", ")
	}
	fmt.Fprintf(stdout, "No DirectoryAccess remains %s: uninstalling dirsync leaves no access behind.\n", where)
	return ExitClear
}
