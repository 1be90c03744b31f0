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
	"time"

	authorizationv1 "k8s.io/api/authorization/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/klog/v2"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"

	dirsyncv1alpha1 "github.com/dirsync/dirsync/api/v1alpha1"
	"github.com/dirsync/dirsync/controllers/internal/verdict"
)

// observe gathers the planner's input from the cache: the Directory, its people and groups, the
// namespaces and the RoleBindings this DirectoryAccess manages. Lists skip the cache's deep copy: the
// planner only reads them, and writes work on copies.
func (r *DirectoryAccessReconciler) observe(ctx context.Context, acc *dirsyncv1alpha1.DirectoryAccess) (accessInput, error) {
	var in accessInput
	dirName := acc.Spec.DirectoryRef.Name
	dir := &dirsyncv1alpha1.Directory{}
	if err := r.Client.Get(ctx, types.NamespacedName{Namespace: acc.Namespace, Name: dirName}, dir); err == nil {
		in.directory = dir
	} else if !apierrors.IsNotFound(err) {
		return in, fmt.Errorf("getting Directory %s/%s: %w", acc.Namespace, dirName, err)
	}
	ofDirectory := []client.ListOption{client.InNamespace(acc.Namespace),
		client.MatchingLabels{dirsyncv1alpha1.LabelDirectory: dirName}, client.UnsafeDisableDeepCopy}
	var users dirsyncv1alpha1.DirectoryUserList
	if err := r.Client.List(ctx, &users, ofDirectory...); err != nil {
		return in, fmt.Errorf("listing DirectoryUsers of %s/%s: %w", acc.Namespace, dirName, err)
	}
	in.data.users = users.Items
	if acc.Spec.GroupSelector != nil {
		var groups dirsyncv1alpha1.DirectoryGroupList
		if err := r.Client.List(ctx, &groups, ofDirectory...); err != nil {
			return in, fmt.Errorf("listing DirectoryGroups of %s/%s: %w", acc.Namespace, dirName, err)
		}
		in.data.groups = groups.Items
	}
	var err error
	if in.namespaces, err = r.namespaces(ctx); err != nil {
		return in, err
	}
	in.existing, err = r.managedBindings(ctx, acc)
	return in, err
}

// namespaces is the manager's view of namespaces: all of them with their labels when it watches all.
func (r *DirectoryAccessReconciler) namespaces(ctx context.Context) (namespaceView, error) {
	if len(r.WatchNamespaces) > 0 {
		v := namespaceView{watched: map[string]bool{}}
		for _, ns := range r.WatchNamespaces {
			v.watched[ns] = true
		}
		return v, nil
	}
	list := &metav1.PartialObjectMetadataList{}
	list.SetGroupVersionKind(corev1.SchemeGroupVersion.WithKind("NamespaceList"))
	if err := r.Client.List(ctx, list, client.UnsafeDisableDeepCopy); err != nil {
		return namespaceView{}, fmt.Errorf("listing Namespaces: %w", err)
	}
	v := namespaceView{labels: make(map[string]map[string]string, len(list.Items))}
	for _, ns := range list.Items {
		if ns.DeletionTimestamp.IsZero() {
			v.labels[ns.Name] = ns.Labels
			if ns.Labels == nil {
				v.labels[ns.Name] = map[string]string{}
			}
		}
	}
	return v, nil
}

// managedBindings are the RoleBindings, in any namespace, labelled as this DirectoryAccess's.
func (r *DirectoryAccessReconciler) managedBindings(ctx context.Context, acc *dirsyncv1alpha1.DirectoryAccess) ([]rbacv1.RoleBinding, error) {
	var list rbacv1.RoleBindingList
	if err := r.Client.List(ctx, &list, client.MatchingFields{accessBindingIndex: accessLabelValue(acc.Namespace, acc.Name)},
		client.UnsafeDisableDeepCopy); err != nil {
		return nil, fmt.Errorf("listing the RoleBindings of DirectoryAccess %s/%s: %w", acc.Namespace, acc.Name, err)
	}
	return list.Items, nil
}

// keepAll is a plan that leaves every existing RoleBinding as it is.
func keepAll(existing []rbacv1.RoleBinding) []bindingOp {
	ops := make([]bindingOp, 0, len(existing))
	for i := range existing {
		ops = append(ops, bindingOp{verb: verbKeep, ns: existing[i].Namespace, existing: &existing[i]})
	}
	return ops
}

// authorize checks, before any write, that dirsync may make every write of the plan: the verbs on
// rolebindings and bind on the role, asked of the API server with SelfSubjectAccessReviews, and that
// no RoleBinding it would create exists without its label. When anything is out of reach, the plan
// grants nothing anywhere and only revokes where it may (revocationsOnly); the problems say where.
// A plan without writes asks nothing, so an unchanged DirectoryAccess costs no request.
func (r *DirectoryAccessReconciler) authorize(ctx context.Context, acc *dirsyncv1alpha1.DirectoryAccess, p accessPlan) ([]bindingOp, []problem, error) {
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
func (r *DirectoryAccessReconciler) missingPermissions(ctx context.Context, acc *dirsyncv1alpha1.DirectoryAccess, op bindingOp) ([]string, error) {
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
func (r *DirectoryAccessReconciler) foreignBinding(ctx context.Context, desired *rbacv1.RoleBinding) ([]string, error) {
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

// applyOps writes the plan: creates, merge patches (subjects, labels, annotations), deletes with a UID
// precondition, and delete-then-create where the roleRef changed. It returns what the plan leaves behind.
func (r *DirectoryAccessReconciler) applyOps(ctx context.Context, ops []bindingOp) (accessSummary, error) {
	sum := summarize(ops)
	for _, op := range ops {
		var err error
		switch op.verb {
		case verbCreate:
			err = r.Client.Create(ctx, op.desired.DeepCopy())
		case verbPatch:
			obj := op.existing.DeepCopy()
			obj.Subjects = op.desired.Subjects
			obj.Labels = mergeMaps(obj.Labels, op.desired.Labels)
			obj.Annotations = mergeMaps(obj.Annotations, op.desired.Annotations)
			err = r.Client.Patch(ctx, obj, client.MergeFrom(op.existing))
		case verbReplace:
			if err = r.deleteBinding(ctx, op.existing); err == nil {
				err = r.Client.Create(ctx, op.desired.DeepCopy())
			}
		case verbDelete:
			err = r.deleteBinding(ctx, op.existing)
		}
		if err != nil {
			return sum, fmt.Errorf("%s RoleBinding %s/%s: %w", op.verb, op.ns, bindingName(op), err)
		}
	}
	if sum.writes > 0 {
		ctrl.LoggerFrom(ctx).Info("Updated RoleBindings", "writes", sum.writes, "granted", sum.granted, "revoked", sum.revoked, "subjects", sum.subjects)
	}
	return sum, nil
}

func (r *DirectoryAccessReconciler) deleteBinding(ctx context.Context, rb *rbacv1.RoleBinding) error {
	uid := rb.UID
	return client.IgnoreNotFound(r.Client.Delete(ctx, rb.DeepCopy(), client.Preconditions{UID: &uid}))
}

func bindingName(op bindingOp) string {
	if op.desired != nil {
		return op.desired.Name
	}
	return op.existing.Name
}

// mergeMaps returns base with every key of over set to over's value.
func mergeMaps(base, over map[string]string) map[string]string {
	out := make(map[string]string, len(base)+len(over))
	for k, v := range base {
		out[k] = v
	}
	for k, v := range over {
		out[k] = v
	}
	return out
}

// finalize deletes every RoleBinding of a deleted DirectoryAccess, then removes the finalizer. Where
// dirsync may not delete, the DirectoryAccess stays with Ready=False NotPermitted naming the namespaces.
func (r *DirectoryAccessReconciler) finalize(ctx context.Context, acc *dirsyncv1alpha1.DirectoryAccess, now time.Time) (ctrl.Result, error) {
	if !controllerutil.ContainsFinalizer(acc, dirsyncv1alpha1.FinalizerAccessBindings) {
		return ctrl.Result{}, nil
	}
	existing, err := r.managedBindings(ctx, acc)
	if err != nil {
		return ctrl.Result{}, err
	}
	var failed []string
	for i := range existing {
		if err := r.deleteBinding(ctx, &existing[i]); apierrors.IsForbidden(err) {
			failed = append(failed, existing[i].Namespace)
		} else if err != nil {
			return ctrl.Result{}, fmt.Errorf("deleting RoleBinding %s/%s: %w", existing[i].Namespace, existing[i].Name, err)
		}
	}
	if len(failed) > 0 {
		slices.Sort(failed)
		verdict.Set(acc, metav1.Condition{Type: dirsyncv1alpha1.ConditionReady, Status: metav1.ConditionFalse, Reason: dirsyncv1alpha1.ReasonNotPermitted,
			Message: "The DirectoryAccess is being deleted, but dirsync may not delete its RoleBindings in these namespaces: " + capList(failed, ", ") +
				". Bind dirsync-access-grantor there again, or delete the RoleBindings labelled " + dirsyncv1alpha1.LabelAccess + "=" +
				accessLabelValue(acc.Namespace, acc.Name) + " yourself."}, now)
		return r.requeue(accessPlan{}, true, time.Time{}, now), nil
	}
	patch := client.MergeFrom(acc.DeepCopy())
	controllerutil.RemoveFinalizer(acc, dirsyncv1alpha1.FinalizerAccessBindings)
	if err := r.Client.Patch(ctx, acc, patch); err != nil {
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	forgetAccessMetrics(client.ObjectKeyFromObject(acc))
	ctrl.LoggerFrom(ctx).Info("Deleted the RoleBindings of a deleted DirectoryAccess", "directoryAccess", klog.KObj(acc), "deleted", len(existing))
	return ctrl.Result{}, nil
}

// recordEvents emits one Normal event per reconcile that changed RoleBindings, and one Warning when
// Ready turns False or changes reason.
func (r *DirectoryAccessReconciler) recordEvents(acc, before *dirsyncv1alpha1.DirectoryAccess, sum accessSummary, p accessPlan) {
	if sum.granted+sum.revoked > 0 {
		r.Recorder.Eventf(acc, nil, corev1.EventTypeNormal, "AccessChanged", "Bind",
			"Granted %d and revoked %d subjects over %d RoleBindings; %d subjects bound", sum.granted, sum.revoked, sum.writes, sum.subjects)
	}
	if p.endDated > 0 && sum.revoked > 0 {
		r.Recorder.Eventf(acc, nil, corev1.EventTypeNormal, "RevokedAtEndDate", "Revoke",
			"Revoked %d subjects whose endDate has passed", p.endDated)
	}
	was, now := readyOf(before), readyOf(acc)
	if now != nil && now.Status == metav1.ConditionFalse && (was == nil || was.Status != now.Status || was.Reason != now.Reason) {
		r.Recorder.Eventf(acc, nil, corev1.EventTypeWarning, now.Reason, "Bind", "%s", now.Message)
	}
}

func readyOf(acc *dirsyncv1alpha1.DirectoryAccess) *metav1.Condition {
	for i := range acc.Status.Conditions {
		if acc.Status.Conditions[i].Type == dirsyncv1alpha1.ConditionReady {
			return &acc.Status.Conditions[i]
		}
	}
	return nil
}
