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
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	dirsyncv1alpha1 "github.com/dirsync/dirsync/api/v1alpha1"
)

// completionTimeout bounds the API requests of one completion: a shell waits for it.
const completionTimeout = 5 * time.Second

// shells are the shells `completion` writes scripts for.
var shells = []string{"bash", "zsh", "fish", "powershell"}

// completionCommand prints a shell's completion script. kubectl completes a plugin's arguments itself
// (kubectl 1.26 and later) by running an executable named kubectl_complete-<plugin>: the help says how
// to make one.
func completionCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "completion SHELL",
		Short: "Print the shell completion script for bash, zsh, fish or powershell",
		Long: "Print the completion script of kubectl-dirsync for a shell: commands, flags, and the names of Directories " +
			"and DirectoryAccesses read from the cluster.\n\n" +
			"For `kubectl dirsync <TAB>`, kubectl (1.26 and later) runs an executable named kubectl_complete-dirsync from your " +
			"PATH; create it once next to kubectl-dirsync:\n\n" +
			"  printf '#!/bin/sh\\nexec kubectl-dirsync __complete \"$@\"\\n' > ~/.local/bin/kubectl_complete-dirsync\n" +
			"  chmod +x ~/.local/bin/kubectl_complete-dirsync\n\n" +
			"For `kubectl-dirsync <TAB>`, load the script this command prints into your shell.",
		Example: `  # bash, this shell only (needs the bash-completion package)
  source <(kubectl dirsync completion bash)

  # zsh, every new shell
  kubectl dirsync completion zsh > "${fpath[1]}/_kubectl-dirsync"

  # fish
  kubectl dirsync completion fish > ~/.config/fish/completions/kubectl-dirsync.fish

  # PowerShell
  kubectl dirsync completion powershell | Out-String | Invoke-Expression`,
		ValidArgs: shells,
		Args: func(_ *cobra.Command, args []string) error {
			if len(args) != 1 || !slices.Contains(shells, args[0]) {
				return usageErrorf("completion needs one shell of %s, got %q", strings.Join(shells, ", "), args)
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			root, out := cmd.Root(), cmd.OutOrStdout()
			switch args[0] {
			case "bash":
				return root.GenBashCompletionV2(out, true)
			case "zsh":
				return root.GenZshCompletion(out)
			case "fish":
				return root.GenFishCompletion(out, true)
			}
			return root.GenPowerShellCompletionWithDesc(out)
		},
	}
}

// completeNames completes a command's one name argument with what list returns from the cluster that
// the kubeconfig flags name, in the namespace they name. Any failure completes nothing.
func (b *builder) completeNames(list func(context.Context, client.Client, string) ([]string, error)) cobra.CompletionFunc {
	return func(cmd *cobra.Command, args []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
		if len(args) > 0 {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		c, ns, err := connect(b.config)
		if err != nil {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		ctx, cancel := context.WithTimeout(cmd.Context(), completionTimeout)
		defer cancel()
		names, err := list(ctx, c, ns)
		if err != nil {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		return withPrefix(names, toComplete), cobra.ShellCompDirectiveNoFileComp
	}
}

// completeNamespaces completes -n/--namespace with the cluster's namespaces.
func (b *builder) completeNamespaces(cmd *cobra.Command, _ []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
	c, _, err := connect(b.config)
	if err != nil {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	ctx, cancel := context.WithTimeout(cmd.Context(), completionTimeout)
	defer cancel()
	var list corev1.NamespaceList
	if err := c.List(ctx, &list); err != nil {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	names := make([]string, 0, len(list.Items))
	for _, ns := range list.Items {
		names = append(names, ns.Name)
	}
	return withPrefix(names, toComplete), cobra.ShellCompDirectiveNoFileComp
}

func listDirectoryNames(ctx context.Context, c client.Client, ns string) ([]string, error) {
	var list dirsyncv1alpha1.DirectoryList
	if err := c.List(ctx, &list, client.InNamespace(ns)); err != nil {
		return nil, err
	}
	names := make([]string, 0, len(list.Items))
	for _, d := range list.Items {
		names = append(names, d.Name)
	}
	return names, nil
}

func listAccessNames(ctx context.Context, c client.Client, ns string) ([]string, error) {
	var list dirsyncv1alpha1.DirectoryAccessList
	if err := c.List(ctx, &list, client.InNamespace(ns)); err != nil {
		return nil, err
	}
	names := make([]string, 0, len(list.Items))
	for _, a := range list.Items {
		names = append(names, a.Name)
	}
	return names, nil
}

// withPrefix is the names that start with prefix.
func withPrefix(names []string, prefix string) []string {
	out := make([]string, 0, len(names))
	for _, n := range names {
		if strings.HasPrefix(n, prefix) {
			out = append(out, n)
		}
	}
	return out
}
