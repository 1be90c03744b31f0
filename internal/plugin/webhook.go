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
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/wait"
	"sigs.k8s.io/controller-runtime/pkg/client"

	dirsyncv1alpha1 "github.com/dirsync/dirsync/api/v1alpha1"
)

func (b *builder) webhookCommand() *cobra.Command {
	return group("webhook", "Show DirectoryWebhooks (events sent to applications) and approve the removals they hold",
		"Inspect DirectoryWebhooks, which send an application signed events about a Directory's people and groups, "+
			"as WorkOS Directory Sync's webhooks do, and approve the removals their guard holds.",
		`  # Every webhook of the namespace: is its receiver keeping up?
  kubectl dirsync webhook status -n hr

  # One webhook in detail
  kubectl dirsync webhook status billing-app -n hr

  # Deliver the removals the guard holds, after reviewing them
  kubectl dirsync webhook approve billing-app -n hr`,
		groupWebhook,
		b.webhookStatusCommand(), b.webhookApproveCommand())
}

func (b *builder) webhookStatusCommand() *cobra.Command {
	return b.leaf(leafSpec{
		use:   "status [NAME]",
		short: "Show DirectoryWebhooks: Ready and why, pending and delivered events, the last error, held removals",
		long: "Without NAME, a table of the DirectoryWebhooks of the namespace (-A: of every namespace) with Ready and its reason, " +
			"pending and delivered events, failed attempts and the last delivery. With NAME, one webhook in detail: where it sends " +
			"and how, Ready with its message and what to run next, the counts, the last error (never a body or the secret), " +
			"what its record holds, and the removals its guard holds with the commands that approve them.",
		example: `  # The webhooks of a namespace
  kubectl dirsync webhook status -n hr

  # One webhook, for a script
  kubectl dirsync webhook status billing-app -n hr -o json`,
		args: argsSpec(0, 1, "", "DirectoryWebhook name"),
		flags: func(fs *pflag.FlagSet, o *options) {
			allNamespacesFlag(fs, o, "DirectoryWebhooks")
			outputFlag(fs, o)
		},
		complete: b.completeNames(listWebhookNames),
		run:      runWebhookStatus,
	})
}

func (b *builder) webhookApproveCommand() *cobra.Command {
	return b.leaf(leafSpec{
		use:   "approve NAME",
		short: "Show the removals a webhook holds and approve exactly them (sets dirsync.io/approve-removals)",
		long: "Show the deletions and deactivations a DirectoryWebhook's guard holds (status.heldRemovals: counts and up to 20 names), " +
			"ask [y/N] (--yes skips), set dirsync.io/approve-removals to the held set's token and wait until the operator has " +
			"answered it (status.lastHandledApproval).\n\n" +
			"If the held set changed in the meantime, the operator releases nothing and emits an ApprovalRejected Event: the " +
			"command prints it with the set held now and fails. It fails too when nothing is held.",
		example: `  # Review the held removals, then confirm
  kubectl dirsync webhook approve billing-app -n hr

  # Approve without asking (in a script that has reviewed them)
  kubectl dirsync webhook approve billing-app -n hr --yes`,
		args: argsSpec(1, 1, "the DirectoryWebhook's name", "DirectoryWebhook name"),
		flags: func(fs *pflag.FlagSet, o *options) {
			fs.BoolVarP(&o.yes, "yes", "y", false, "Approve without asking for confirmation.")
			waitFlags(fs, o)
		},
		complete: b.completeNames(listWebhookNames),
		run:      runWebhookApprove,
	})
}

// runWebhookStatus prints the webhooks of the namespace as a table, or one in detail.
func runWebhookStatus(ctx context.Context, e *env, args []string) error {
	if len(args) == 1 {
		wh, err := e.getWebhook(ctx, args[0])
		if err != nil {
			return err
		}
		v := webhookViewOf(wh)
		if e.opts.output != "" {
			return printStructured(e.out, e.opts.output, v)
		}
		fmt.Fprint(e.out, formatWebhookDetail(v, e.now()))
		return nil
	}
	var list dirsyncv1alpha1.DirectoryWebhookList
	opts, where := e.listScope()
	if err := e.client.List(ctx, &list, opts...); err != nil {
		return apiError(err, "listing DirectoryWebhooks"+where, request{"list", resWebhooks, e.scopeNamespace()})
	}
	slices.SortFunc(list.Items, func(a, b dirsyncv1alpha1.DirectoryWebhook) int {
		return cmp.Or(cmp.Compare(a.Namespace, b.Namespace), cmp.Compare(a.Name, b.Name))
	})
	views := make([]webhookView, 0, len(list.Items))
	for i := range list.Items {
		views = append(views, webhookViewOf(&list.Items[i]))
	}
	if e.opts.output != "" {
		return printStructured(e.out, e.opts.output, itemList[webhookView]{Items: views})
	}
	fmt.Fprint(e.out, formatWebhookTable(views, e.opts.allNamespaces, e.namespace, e.now()))
	return nil
}

// runWebhookApprove shows the removals the guard holds, asks for confirmation (unless --yes), sets
// dirsync.io/approve-removals to the held set's token and, unless --wait=false, waits for the answer.
func runWebhookApprove(ctx context.Context, e *env, args []string) error {
	wh, err := e.getWebhook(ctx, args[0])
	if err != nil {
		return err
	}
	h := wh.Status.HeldRemovals
	switch {
	case h == nil || h.ApprovalToken == "":
		return fmt.Errorf("the DirectoryWebhook %s/%s holds no removals: there is nothing to approve", wh.Namespace, wh.Name)
	case h.ApprovalToken == wh.Status.LastHandledApproval:
		return fmt.Errorf("the operator has already answered an approval with this held set's token %s, and an approval is used once; "+
			"to let these removals through, raise the Directory's spec.deletionGuard.maxDeletePercent", h.ApprovalToken)
	}
	fmt.Fprintf(e.out, "DirectoryWebhook %s/%s: %s", wh.Namespace, wh.Name, heldRemovalsText(h, ""))
	if !e.opts.yes {
		ok, err := confirm(e, fmt.Sprintf("Tell the receiver of these %d removals? [y/N]: ", h.Users+h.Groups))
		if err != nil {
			return err
		}
		if !ok {
			return errors.New("not approved: nothing was released")
		}
	}
	token := h.ApprovalToken
	if err := e.annotateWebhook(ctx, wh, dirsyncv1alpha1.AnnotationApproveRemovals, token); err != nil {
		return err
	}
	fmt.Fprintf(e.out, "Approved with %s=%s.\n", dirsyncv1alpha1.AnnotationApproveRemovals, token)
	if !e.opts.wait {
		return nil
	}
	return e.awaitWebhookApproval(ctx, wh, token)
}

// awaitWebhookApproval waits until the operator has answered the token and says what it did.
func (e *env) awaitWebhookApproval(ctx context.Context, wh *dirsyncv1alpha1.DirectoryWebhook, token string) error {
	fmt.Fprintf(e.out, "Waiting up to %s for the operator to answer…\n", shortDuration(e.opts.timeout))
	key := client.ObjectKeyFromObject(wh)
	var last *dirsyncv1alpha1.DirectoryWebhook
	wctx, cancel := context.WithTimeout(ctx, e.opts.timeout)
	defer cancel()
	err := wait.PollUntilContextCancel(wctx, e.poll, true, func(ctx context.Context) (bool, error) {
		w := &dirsyncv1alpha1.DirectoryWebhook{}
		if err := e.client.Get(ctx, key, w); err != nil {
			if apierrors.IsNotFound(err) {
				return false, fmt.Errorf("the DirectoryWebhook %s was deleted while waiting", key)
			}
			return false, nil
		}
		last = w
		return w.Status.LastHandledApproval == token, nil
	})
	switch {
	case ctx.Err() != nil:
		return fmt.Errorf("interrupted while waiting: %w", ctx.Err())
	case wait.Interrupted(err):
		return fmt.Errorf("%w after %s: the operator has not answered the approval %s; is the dirsync manager running? "+
			"kubectl get deployments -A -l app.kubernetes.io/name=dirsync", errTimeout, e.opts.timeout, token)
	case err != nil:
		return err
	}
	if a := last.Status.LastApproval; a != nil && a.Token == token {
		fmt.Fprintf(e.out, "Released the removal of %s and %s; they are being delivered (kubectl dirsync webhook status %s -n %s).\n",
			people(a.Users), plural(a.Groups, "group"), last.Name, last.Namespace)
		return nil
	}
	var b strings.Builder
	fmt.Fprintf(&b, "The operator did not use the approval %s: the removals the guard holds changed since they were shown.\n", token)
	if ev := e.webhookEvent(ctx, last, token); ev != "" {
		fmt.Fprintf(&b, "  Event: %s\n", ev)
	}
	if h := last.Status.HeldRemovals; h != nil {
		b.WriteString(heldRemovalsText(h, "  "))
		fmt.Fprintf(&b, "  To approve the set held now:\n    kubectl dirsync webhook approve %s -n %s\n", last.Name, last.Namespace)
	} else {
		b.WriteString("  The guard holds no removals now.\n")
	}
	fmt.Fprint(e.out, b.String())
	return errors.New("the operator did not use the approval: nothing was released")
}

// webhookEvent is the operator's Warning Event about the token, or "" (see approvalEvent).
func (e *env) webhookEvent(ctx context.Context, wh *dirsyncv1alpha1.DirectoryWebhook, token string) string {
	var msg string
	_ = wait.PollUntilContextTimeout(ctx, e.poll, eventWait, true, func(ctx context.Context) (bool, error) {
		var list corev1.EventList
		err := e.client.List(ctx, &list, client.InNamespace(wh.Namespace), client.MatchingFields{
			"involvedObject.kind": "DirectoryWebhook", "involvedObject.name": wh.Name, "involvedObject.uid": string(wh.UID),
		})
		if apierrors.IsForbidden(err) {
			return false, err
		}
		if err != nil {
			return false, nil
		}
		msg = latestApprovalEvent(list.Items, token)
		return msg != "", nil
	})
	return msg
}

// getWebhook reads the DirectoryWebhook name in the namespace.
func (e *env) getWebhook(ctx context.Context, name string) (*dirsyncv1alpha1.DirectoryWebhook, error) {
	wh := &dirsyncv1alpha1.DirectoryWebhook{}
	if err := e.client.Get(ctx, e.key(name), wh); err != nil {
		if apierrors.IsNotFound(err) {
			return nil, fmt.Errorf("no DirectoryWebhook %q in namespace %q", name, e.namespace)
		}
		return nil, apiError(err, fmt.Sprintf("reading DirectoryWebhook %s/%s", e.namespace, name), request{"get", resWebhooks, e.namespace})
	}
	return wh, nil
}

// annotateWebhook sets one annotation on the webhook with a merge patch, which touches nothing else.
func (e *env) annotateWebhook(ctx context.Context, wh *dirsyncv1alpha1.DirectoryWebhook, key, value string) error {
	patch, err := json.Marshal(map[string]any{"metadata": map[string]any{"annotations": map[string]string{key: value}}})
	if err != nil {
		return err
	}
	if err := e.client.Patch(ctx, wh, client.RawPatch(types.MergePatchType, patch)); err != nil {
		return apiError(err, fmt.Sprintf("annotating DirectoryWebhook %s/%s with %s", wh.Namespace, wh.Name, key),
			request{"patch", resWebhooks, wh.Namespace})
	}
	return nil
}

func listWebhookNames(ctx context.Context, c client.Client, ns string) ([]string, error) {
	var list dirsyncv1alpha1.DirectoryWebhookList
	if err := c.List(ctx, &list, client.InNamespace(ns)); err != nil {
		return nil, err
	}
	names := make([]string, 0, len(list.Items))
	for _, w := range list.Items {
		names = append(names, w.Name)
	}
	return names, nil
}
