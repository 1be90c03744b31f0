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
	"strings"

	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"sigs.k8s.io/controller-runtime/pkg/client"

	dirsyncv1alpha1 "github.com/dirsync/dirsync/api/v1alpha1"

	authorizationv1 "k8s.io/api/authorization/v1"
)

// authorize checks, before any write, that dirsync may make every write of the plan: the verbs on
// rolebindings and bind on the role, asked of the API server with SelfSubjectAccessReviews, and that
// no RoleBinding it would create exists without its label. When anything is out of reach, the plan
// grants nothing anywhere and only revokes where it may (revocationsOnly); the problems say where.
// A plan without writes asks nothing, so an unchanged DirectoryAccess costs no request.
func (r *Reconciler) authorize(ctx context.Context, acc *dirsyncv1alpha1.DirectoryAccess, p plan) ([]bindingOp, []problem, error) {
	if summarize(p.ops).writes == 0 && !p.denied {
		return p.ops, nil, nil
	}
	denied := map[string]bool{}
	var problems []problem
	for _, op := range p.ops {
		if op.verb == verbKeep || denied[op.ns] {
			continue
		}
		missing, err := r.missingPermissions(ctx, acc, op)
		if err != nil {
			return nil, nil, err
		}
		if len(missing) == 0 && op.verb == verbCreate {
			if missing, err = r.foreignBinding(ctx, op.desired); err != nil {
				return nil, nil, err
			}
		}
		if len(missing) > 0 {
			denied[op.ns] = true
			problems = append(problems, problem{dirsyncv1alpha1.ReasonNotPermitted, strings.Join(missing, " ")})
		}
	}
	if len(denied) == 0 && !p.denied {
		return p.ops, nil, nil
	}
	if len(problems) > 0 {
		problems[len(problems)-1].message += " Nothing is granted in any namespace until every target is permitted; revocations still happen where dirsync may write."
	}
	return revocationsOnly(p.ops, func(ns string) bool { return !denied[ns] }), problems, nil
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
		"the ClusterRole dirsync-access-grantor to dirsync's ServiceAccount with a RoleBinding in %s; the role must be in that ClusterRole's bind allow-list.",
		acc.Spec.RoleRef.Kind, acc.Spec.RoleRef.Name, op.ns, strings.Join(missing, ", "), op.ns)}, nil
}

// foreignBinding reports, as one sentence, a RoleBinding with the name dirsync wants that it did not
// create (it is not in the label-filtered cache, so it is read directly), or nil.
func (r *Reconciler) foreignBinding(ctx context.Context, desired *rbacv1.RoleBinding) ([]string, error) {
	var rb rbacv1.RoleBinding
	err := r.APIReader.Get(ctx, client.ObjectKeyFromObject(desired), &rb)
	switch {
	case apierrors.IsNotFound(err):
		return nil, nil
	case err != nil:
		return nil, fmt.Errorf("getting RoleBinding %s/%s: %w", desired.Namespace, desired.Name, err)
	case rb.Labels[dirsyncv1alpha1.LabelManagedBy] == dirsyncv1alpha1.ManagedByDirsync &&
		rb.Labels[dirsyncv1alpha1.LabelAccess] == desired.Labels[dirsyncv1alpha1.LabelAccess]:
		return nil, nil // ours, and the cache has not seen it yet: its event reconciles again
	}
	return []string{fmt.Sprintf("RoleBinding %s/%s exists and was not created by dirsync for this DirectoryAccess (it lacks the labels %s=%s and %s=%s); "+
		"dirsync never adopts or changes it. Delete or rename it to let dirsync bind there.", desired.Namespace, desired.Name,
		dirsyncv1alpha1.LabelManagedBy, dirsyncv1alpha1.ManagedByDirsync, dirsyncv1alpha1.LabelAccess, desired.Labels[dirsyncv1alpha1.LabelAccess])}, nil
}
