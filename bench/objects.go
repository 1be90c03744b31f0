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

package main

import (
	"bufio"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"slices"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	dirsyncv1alpha1 "github.com/dirsync/dirsync/api/v1alpha1"
	"github.com/dirsync/dirsync/internal/provider"
)

// dirName is the Directory's name in every namespace, so that every phase writes objects of the
// same names ("hr-<id>") and sizes.
const (
	dirName    = "hr"
	secretName = "hr-api-key"
	apiKey     = "bench-key"
)

// childName is the operator's objectName for the numeric ids the fake Breathe HR serves (already
// valid name parts, so no hash suffix).
func childName(dir, id string) string { return dir + "-" + id }

// benchObjects builds the DirectoryUsers and DirectoryGroups (departments) the operator would create
// for snap in Directory dir of namespace ns: the same names, labels, spec, status and (when owner is set)
// controller reference, so that the floor writes what the operator writes (checkParity compares them
// with the operator's after the initial sync).
func benchObjects(ns, dir string, owner *dirsyncv1alpha1.Directory, snap *provider.Snapshot) ([]*dirsyncv1alpha1.DirectoryUser, []*dirsyncv1alpha1.DirectoryGroup) {
	now := time.Now()
	meta := func(name string) metav1.ObjectMeta {
		m := metav1.ObjectMeta{Name: name, Namespace: ns, Labels: map[string]string{dirsyncv1alpha1.LabelDirectory: dir}}
		if owner != nil {
			m.OwnerReferences = []metav1.OwnerReference{*metav1.NewControllerRef(owner, dirsyncv1alpha1.GroupVersion.WithKind("Directory"))}
		}
		return m
	}
	groups := make([]*dirsyncv1alpha1.DirectoryGroup, 0, len(snap.Departments))
	byID := map[string]*dirsyncv1alpha1.DirectoryGroup{}
	for _, d := range snap.Departments {
		g := &dirsyncv1alpha1.DirectoryGroup{
			TypeMeta:   metav1.TypeMeta{APIVersion: dirsyncv1alpha1.GroupVersion.String(), Kind: "DirectoryGroup"},
			ObjectMeta: meta(childName(dir, d.ExternalID)),
			Spec: dirsyncv1alpha1.DirectoryGroupSpec{DirectoryRef: dirsyncv1alpha1.DirectoryReference{Name: dir},
				Type: dirsyncv1alpha1.GroupTypeDepartment, ExternalID: d.ExternalID, DisplayName: cmp.Or(d.Name, d.ExternalID)},
		}
		g.Labels[dirsyncv1alpha1.LabelGroupType] = "department"
		groups = append(groups, g)
		byID[d.ExternalID] = g
	}
	kept := make(map[string]bool, len(snap.Employees))
	for i := range snap.Employees {
		kept[snap.Employees[i].ExternalID] = true
	}
	users := make([]*dirsyncv1alpha1.DirectoryUser, 0, len(snap.Employees))
	for i := range snap.Employees {
		u := benchUser(meta, dir, &snap.Employees[i])
		if m := snap.Employees[i].ManagerExternalID; kept[m] && m != snap.Employees[i].ExternalID {
			u.Spec.ManagerRef = &dirsyncv1alpha1.UserReference{Name: childName(dir, m)}
		}
		for _, id := range snap.Employees[i].DepartmentIDs {
			if g := byID[id]; g != nil && !slices.Contains(u.Spec.Groups, g.Name) {
				g.Spec.Members = append(g.Spec.Members, u.Name)
				u.Spec.Groups = append(u.Spec.Groups, g.Name)
				if _, set := u.Labels[dirsyncv1alpha1.LabelDepartment]; !set {
					u.Labels[dirsyncv1alpha1.LabelDepartment] = g.Name
				}
			}
		}
		slices.Sort(u.Spec.Groups)
		u.Status.Conditions = []metav1.Condition{syncedCondition(now)}
		users = append(users, u)
	}
	for _, g := range groups {
		slices.Sort(g.Spec.Members)
		g.Status.MemberCount = int32(len(g.Spec.Members))
		g.Status.Conditions = []metav1.Condition{syncedCondition(now)}
	}
	return users, groups
}

// benchUser is employee e's DirectoryUser, without groups, manager reference and status (inactive users
// are kept).
func benchUser(meta func(string) metav1.ObjectMeta, dir string, e *provider.Employee) *dirsyncv1alpha1.DirectoryUser {
	state, label := dirsyncv1alpha1.UserStateInactive, "inactive"
	if e.Active {
		state, label = dirsyncv1alpha1.UserStateActive, "active"
	}
	u := &dirsyncv1alpha1.DirectoryUser{
		TypeMeta:   metav1.TypeMeta{APIVersion: dirsyncv1alpha1.GroupVersion.String(), Kind: "DirectoryUser"},
		ObjectMeta: meta(childName(dir, e.ExternalID)),
		Spec: dirsyncv1alpha1.DirectoryUserSpec{
			DirectoryRef: dirsyncv1alpha1.DirectoryReference{Name: dir},
			ExternalID:   e.ExternalID, Email: e.Email, FirstName: e.FirstName, LastName: e.LastName,
			DisplayName: e.DisplayName, JobTitle: e.JobTitle, State: state, EmploymentStatus: e.EmploymentStatus,
			ManagerExternalID: e.ManagerExternalID, StartDate: e.StartDate, EndDate: e.EndDate,
			PreferredName: e.PreferredName, Location: e.Location.Name, Division: e.Division.Name, Company: e.Company.Name,
			EmploymentType: e.EmploymentType, ManagerEmail: e.ManagerEmail,
		},
	}
	u.Labels[dirsyncv1alpha1.LabelState] = label
	return u
}

// syncedCondition is the status the operator writes on a new object.
func syncedCondition(now time.Time) metav1.Condition {
	return metav1.Condition{Type: dirsyncv1alpha1.ConditionSynced, Status: metav1.ConditionTrue, Reason: dirsyncv1alpha1.ReasonUpToDate,
		Message: "Matches the provider as of the last sync.", LastTransitionTime: metav1.NewTime(now.Truncate(time.Second))}
}

// writeManifest writes users as a multi-document YAML manifest: apiVersion, kind, metadata (name,
// namespace, labels) and spec only — what a CronJob running `kubectl apply` would hold.
func writeManifest(path string, users []*dirsyncv1alpha1.DirectoryUser) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := bufio.NewWriter(f)
	for _, u := range users {
		var spec map[string]any
		b, err := json.Marshal(u.Spec)
		if err == nil {
			err = json.Unmarshal(b, &spec)
		}
		if err != nil {
			_ = f.Close()
			return err
		}
		doc := map[string]any{
			"apiVersion": u.APIVersion, "kind": u.Kind,
			"metadata": map[string]any{"name": u.Name, "namespace": u.Namespace, "labels": u.Labels},
			"spec":     spec,
		}
		y, err := yaml.Marshal(doc)
		if err != nil {
			_ = f.Close()
			return err
		}
		_, _ = w.WriteString("---\n")
		_, _ = w.Write(y)
	}
	if err := w.Flush(); err != nil {
		_ = f.Close()
		return err
	}
	return f.Close()
}

// benchDirectory is the Directory of a namespace: Breathe HR at endpoint, hourly (so only the
// bench's requests sync it), keeping leavers.
func benchDirectory(ns, endpoint string, suspend bool) *dirsyncv1alpha1.Directory {
	return &dirsyncv1alpha1.Directory{
		ObjectMeta: metav1.ObjectMeta{Name: dirName, Namespace: ns},
		Spec: dirsyncv1alpha1.DirectorySpec{
			Provider:             dirsyncv1alpha1.ProviderBreatheHR,
			CredentialsSecretRef: dirsyncv1alpha1.SecretKeyReference{Name: secretName},
			Endpoint:             endpoint,
			SyncInterval:         &metav1.Duration{Duration: time.Hour},
			Suspend:              &suspend,
			InactiveUserPolicy:   dirsyncv1alpha1.InactiveUserPolicyKeep,
		},
	}
}

func benchSecret(ns string) *corev1.Secret {
	return &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: secretName, Namespace: ns},
		StringData: map[string]string{"apiKey": apiKey},
	}
}

// checkParity compares the operator's users and groups of Directory dir in ns with the objects the
// floor writes for snap (benchObjects): labels, owner, spec and status (conditions without their time).
// A difference fails the bench, since the floor must write what the operator writes. It returns how
// many objects it compared.
func (c *cluster) checkParity(ctx context.Context, ns, dir string, snap *provider.Snapshot) (int, error) {
	owner := &dirsyncv1alpha1.Directory{}
	if err := c.cl.Get(ctx, client.ObjectKey{Namespace: ns, Name: dir}, owner); err != nil {
		return 0, err
	}
	users, groups := benchObjects(ns, dir, owner, snap)
	var ul dirsyncv1alpha1.DirectoryUserList
	var gl dirsyncv1alpha1.DirectoryGroupList
	sel := []client.ListOption{client.InNamespace(ns), client.MatchingLabels{dirsyncv1alpha1.LabelDirectory: dir}}
	if err := c.cl.List(ctx, &ul, sel...); err != nil {
		return 0, err
	}
	if err := c.cl.List(ctx, &gl, sel...); err != nil {
		return 0, err
	}
	if len(ul.Items) != len(users) || len(gl.Items) != len(groups) {
		return 0, fmt.Errorf("parity: the operator made %d users and %d groups, the floor writes %d and %d",
			len(ul.Items), len(gl.Items), len(users), len(groups))
	}
	got := map[string]client.Object{}
	for i := range ul.Items {
		got["u/"+ul.Items[i].Name] = &ul.Items[i]
	}
	for i := range gl.Items {
		got["g/"+gl.Items[i].Name] = &gl.Items[i]
	}
	n := 0
	for _, u := range users {
		if err := sameObject(got["u/"+u.Name], u); err != nil {
			return n, fmt.Errorf("parity: DirectoryUser %s: %w", u.Name, err)
		}
		n++
	}
	for _, g := range groups {
		if err := sameObject(got["g/"+g.Name], g); err != nil {
			return n, fmt.Errorf("parity: DirectoryGroup %s: %w", g.Name, err)
		}
		n++
	}
	return n, nil
}

// sameObject reports how the operator's object differs from the floor's, if it does.
func sameObject(operator, floor client.Object) error {
	if operator == nil {
		return errors.New("the operator made none")
	}
	if !equality.Semantic.DeepEqual(operator.GetLabels(), floor.GetLabels()) {
		return fmt.Errorf("labels %v, the floor's %v", operator.GetLabels(), floor.GetLabels())
	}
	if !equality.Semantic.DeepEqual(operator.GetOwnerReferences(), floor.GetOwnerReferences()) {
		return fmt.Errorf("owner references %v, the floor's %v", operator.GetOwnerReferences(), floor.GetOwnerReferences())
	}
	var a, b any
	switch o := operator.(type) {
	case *dirsyncv1alpha1.DirectoryUser:
		f := floor.(*dirsyncv1alpha1.DirectoryUser)
		a, b = []any{o.Spec, untimed(o.Status.Conditions)}, []any{f.Spec, untimed(f.Status.Conditions)}
	case *dirsyncv1alpha1.DirectoryGroup:
		f := floor.(*dirsyncv1alpha1.DirectoryGroup)
		a, b = []any{o.Spec, o.Status.MemberCount, untimed(o.Status.Conditions)}, []any{f.Spec, f.Status.MemberCount, untimed(f.Status.Conditions)}
	}
	if !equality.Semantic.DeepEqual(a, b) {
		return fmt.Errorf("spec or status %+v, the floor's %+v", a, b)
	}
	return nil
}

// untimed is conds without their transition times.
func untimed(conds []metav1.Condition) []metav1.Condition {
	out := slices.Clone(conds)
	for i := range out {
		out[i].LastTransitionTime = metav1.Time{}
	}
	return out
}
