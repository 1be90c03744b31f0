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
	"encoding/json"
	"os"
	"slices"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
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
func childName(id string) string { return dirName + "-" + id }

// benchUsers builds the DirectoryUsers the operator would create for snap: the same names, labels,
// spec and (when owner is set) controller reference.
func benchUsers(ns string, owner *dirsyncv1alpha1.Directory, snap *provider.Snapshot) []*dirsyncv1alpha1.DirectoryUser {
	out := make([]*dirsyncv1alpha1.DirectoryUser, 0, len(snap.Employees))
	for i := range snap.Employees {
		e := &snap.Employees[i]
		state, label := dirsyncv1alpha1.UserStateInactive, "inactive"
		if e.Active {
			state, label = dirsyncv1alpha1.UserStateActive, "active"
		}
		u := &dirsyncv1alpha1.DirectoryUser{
			TypeMeta: metav1.TypeMeta{APIVersion: dirsyncv1alpha1.GroupVersion.String(), Kind: "DirectoryUser"},
			ObjectMeta: metav1.ObjectMeta{
				Name:      childName(e.ExternalID),
				Namespace: ns,
				Labels:    map[string]string{dirsyncv1alpha1.LabelDirectory: dirName, dirsyncv1alpha1.LabelState: label},
			},
			Spec: dirsyncv1alpha1.DirectoryUserSpec{
				DirectoryRef: dirsyncv1alpha1.DirectoryReference{Name: dirName},
				ExternalID:   e.ExternalID, Email: e.Email, FirstName: e.FirstName, LastName: e.LastName,
				DisplayName: e.DisplayName, JobTitle: e.JobTitle, State: state, EmploymentStatus: e.EmploymentStatus,
				ManagerExternalID: e.ManagerExternalID, StartDate: e.StartDate, EndDate: e.EndDate,
			},
		}
		for _, d := range e.DepartmentIDs {
			u.Spec.Groups = append(u.Spec.Groups, childName(d))
		}
		slices.Sort(u.Spec.Groups)
		if owner != nil {
			u.OwnerReferences = []metav1.OwnerReference{*metav1.NewControllerRef(owner, dirsyncv1alpha1.GroupVersion.WithKind("Directory"))}
		}
		out = append(out, u)
	}
	return out
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
