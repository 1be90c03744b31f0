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

package directoryaccess

import (
	"context"
	"fmt"
	"slices"
	"strings"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	authorizationv1 "k8s.io/api/authorization/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/types"

	dirsyncv1alpha1 "github.com/dirsync/dirsync/api/v1alpha1"
)

// authorize checks, before any write, that dirsync may make every write of the plan: that the admission
// policy which keeps it from being a confused deputy is installed (when the plan grants), the verbs on
// rolebindings and bind on the role, asked of the API server with SelfSubjectAccessReviews, and a name
// for each RoleBinding it would create that no one else's RoleBinding has. When anything is out of
// reach, the plan grants nothing anywhere and only revokes where it may (revocationsOnly); the problems
// say where. A plan without writes asks nothing, so an unchanged DirectoryAccess costs no request.
func (r *Reconciler) authorize(ctx context.Context, acc *dirsyncv1alpha1.DirectoryAccess, p plan) ([]bindingOp, []problem, error) {
	if writes(p.ops) == 0 && !p.denied {
		return p.ops, nil, nil
	}
	missing, err := r.admissionPolicyMissing(ctx, p.ops)
	if err != nil {
		return nil, nil, err
	}
	if missing != "" {
		return revocationsOnly(p.ops, func(string) bool { return true }), []problem{{dirsyncv1alpha1.ReasonAdmissionPolicyMissing, missing}}, nil
	}
	denied, problems, err := r.deniedNamespaces(ctx, acc, p.ops)
	if err != nil {
		return nil, nil, err
	}
	if len(denied) == 0 && !p.denied {
		return p.ops, nil, nil
	}
	if len(problems) > 0 {
		problems[len(problems)-1].message += " Nothing is granted in any namespace until every target is permitted; revocations still happen where dirsync may write."
	}
	return revocationsOnly(p.ops, func(ns string) bool { return !denied[ns] }), problems, nil
}

// deniedNamespaces asks, for each write of ops, whether dirsync may make it, and picks the name of each
// RoleBinding it creates; it returns the namespaces where it may not, and why.
func (r *Reconciler) deniedNamespaces(ctx context.Context, acc *dirsyncv1alpha1.DirectoryAccess, ops []bindingOp) (map[string]bool, []problem, error) {
	denied := map[string]bool{}
	var problems []problem
	for i, op := range ops {
		if op.verb == verbKeep || denied[op.ns] {
			continue
		}
		missing, err := r.missingPermissions(ctx, acc, op)
		if err != nil {
			return nil, nil, err
		}
		if len(missing) == 0 && op.verb == verbCreate {
			if missing, err = r.nameFor(ctx, acc, &ops[i]); err != nil {
				return nil, nil, err
			}
		}
		if len(missing) > 0 {
			denied[op.ns] = true
			problems = append(problems, problem{dirsyncv1alpha1.ReasonNotPermitted, strings.Join(missing, " ")})
		}
	}
	return denied, problems, nil
}

// admissionPolicyMissing says, as one sentence, why the admission policy that checks who may create a
// DirectoryAccess is not in force ("" when it is, when ops grant nothing, or when the manager was told
// there is none to check): it must exist, fail closed, and have a binding that denies. It is read
// uncached, and only when ops grant, so an unchanged DirectoryAccess costs no request.
func (r *Reconciler) admissionPolicyMissing(ctx context.Context, ops []bindingOp) (string, error) {
	name := r.AdmissionPolicy
	if name == "" || !slices.ContainsFunc(ops, bindingOp.grants) {
		return "", nil
	}
	fix := " dirsync grants nothing until it is (it still revokes). Install config/admission (or the chart), which needs Kubernetes 1.30 or later; " +
		"--access-admission-policy names the policy."
	var policy admissionregistrationv1.ValidatingAdmissionPolicy
	switch err := r.APIReader.Get(ctx, types.NamespacedName{Name: name}, &policy); {
	case apierrors.IsNotFound(err):
		return "The ValidatingAdmissionPolicy " + name + ", which refuses a DirectoryAccess whose author could not bind its role, does not exist, so" + fix, nil
	case apierrors.IsForbidden(err):
		return "dirsync may not read the ValidatingAdmissionPolicy " + name + " (bind the ClusterRole admission-policy-reader to its ServiceAccount), so" + fix, nil
	case err != nil:
		return "", fmt.Errorf("getting ValidatingAdmissionPolicy %s: %w", name, err)
	}
	if policy.Spec.FailurePolicy != nil && *policy.Spec.FailurePolicy == admissionregistrationv1.Ignore {
		return "The ValidatingAdmissionPolicy " + name + " has failurePolicy Ignore, so a failing check would let anyone through, and" + fix, nil
	}
	var bindings admissionregistrationv1.ValidatingAdmissionPolicyBindingList
	if err := r.APIReader.List(ctx, &bindings); apierrors.IsForbidden(err) {
		return "dirsync may not list ValidatingAdmissionPolicyBindings (bind the ClusterRole admission-policy-reader to its ServiceAccount), so" + fix, nil
	} else if err != nil {
		return "", fmt.Errorf("listing ValidatingAdmissionPolicyBindings: %w", err)
	}
	for _, b := range bindings.Items {
		if b.Spec.PolicyName == name && b.DeletionTimestamp.IsZero() && slices.Contains(b.Spec.ValidationActions, admissionregistrationv1.Deny) {
			return "", nil
		}
	}
	return "No ValidatingAdmissionPolicyBinding puts the ValidatingAdmissionPolicy " + name + " in force with validationActions Deny, so" + fix, nil
}

// missingPermissions lists, as one sentence, what dirsync lacks to carry out op, or nil.
func (r *Reconciler) missingPermissions(ctx context.Context, acc *dirsyncv1alpha1.DirectoryAccess, op bindingOp) ([]string, error) {
	role := strings.ToLower(string(acc.Spec.RoleRef.Kind)) + "s"
	checks := map[string][2]string{ // verb → resource, name
		verbCreate: {"rolebindings", ""}, verbPatch: {"rolebindings", ""}, verbDelete: {"rolebindings", ""}, "bind": {role, acc.Spec.RoleRef.Name}}
	var verbs []string
	switch op.verb {
	case verbDelete:
		verbs = []string{verbDelete}
	case verbCreate:
		verbs = []string{verbCreate, "bind"}
	case verbPatch:
		verbs = []string{verbPatch, "bind"}
	case verbReplace:
		verbs = []string{verbDelete, verbCreate, verbPatch, "bind"}
	}
	var missing []string
	for _, verb := range verbs {
		c := checks[verb]
		sar := &authorizationv1.SelfSubjectAccessReview{Spec: authorizationv1.SelfSubjectAccessReviewSpec{
			ResourceAttributes: &authorizationv1.ResourceAttributes{Namespace: op.ns, Verb: verb, Group: rbacv1.GroupName, Resource: c[0], Name: c[1]}}}
		if err := r.reviewer.Create(ctx, sar); err != nil {
			return nil, fmt.Errorf("asking whether dirsync may %s %s in namespace %s: %w", verb, c[0], op.ns, err)
		}
		if !sar.Status.Allowed {
			missing = append(missing, strings.TrimSuffix(verb+" "+c[0]+"/"+c[1], "/"))
		}
	}
	if len(missing) == 0 {
		return nil, nil
	}
	return []string{fmt.Sprintf("dirsync may not bind %s %s in namespace %s (it lacks: %s). An administrator opts the namespace in by binding "+
		"the ClusterRole %s to dirsync's ServiceAccount with a RoleBinding in %s; the role must be in that ClusterRole's bind allow-list.",
		acc.Spec.RoleRef.Kind, acc.Spec.RoleRef.Name, op.ns, strings.Join(missing, ", "), r.grantorRole(), op.ns)}, nil
}

// grantorRole is the name of the ClusterRole an administrator binds to opt a namespace in.
func (r *Reconciler) grantorRole() string {
	if r.GrantorRole != "" {
		return r.GrantorRole
	}
	return "dirsync-access-grantor"
}

// nameFor picks the name of the RoleBinding op creates: the usual one, or, when someone else's
// RoleBinding already has it (a tenant may create one first, to block dirsync), one with a hash of the
// DirectoryAccess's UID. It says, as one sentence, when both are taken. RoleBindings without dirsync's
// labels are not in the cache, so the names are read directly.
func (r *Reconciler) nameFor(ctx context.Context, acc *dirsyncv1alpha1.DirectoryAccess, op *bindingOp) ([]string, error) {
	for _, name := range []string{accessBindingName(acc), fallbackBindingName(acc)} {
		err := r.APIReader.Get(ctx, types.NamespacedName{Namespace: op.ns, Name: name}, &rbacv1.RoleBinding{})
		switch {
		case apierrors.IsNotFound(err):
			op.desired.Name = name
			return nil, nil
		case err != nil:
			return nil, fmt.Errorf("getting RoleBinding %s/%s: %w", op.ns, name, err)
		}
	}
	return []string{fmt.Sprintf("RoleBindings %s/%s and %s/%s exist and were not created by dirsync for this DirectoryAccess; "+
		"dirsync never adopts or changes them. Delete or rename one to let dirsync bind there.",
		op.ns, accessBindingName(acc), op.ns, fallbackBindingName(acc))}, nil
}
