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
	"encoding/json"
	"fmt"
	"io"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"

	dirsyncv1alpha1 "github.com/dirsync/dirsync/api/v1alpha1"
)

// Values of -o/--output.
const (
	outputJSON = "json"
	outputYAML = "yaml"
)

// The -o json|yaml output: the facts the text output prints, under field names that are part of the
// plugin's interface. Times are RFC 3339 in UTC; counts are numbers; the API's own types (SyncPlan,
// HeldDeletions, AccessChange, …) keep their field names.

// itemList is the output of a command that prints several objects.
type itemList[T any] struct {
	Items []T `json:"items"`
}

// conditionView is a condition as the output shows it.
type conditionView struct {
	Status  metav1.ConditionStatus `json:"status"`
	Reason  string                 `json:"reason,omitempty"`
	Message string                 `json:"message,omitempty"`
	Since   *metav1.Time           `json:"since,omitempty"` // lastTransitionTime
}

// directoryView is one Directory in `status -o json|yaml`.
type directoryView struct {
	Namespace              string                            `json:"namespace"`
	Name                   string                            `json:"name"`
	Provider               dirsyncv1alpha1.ProviderType      `json:"provider"`
	Endpoint               string                            `json:"endpoint,omitempty"`
	Ready                  conditionView                     `json:"ready"`
	Hint                   string                            `json:"hint,omitempty"`
	Syncing                *conditionView                    `json:"syncing,omitempty"` // only while a sync runs
	Suspended              bool                              `json:"suspended"`
	DryRun                 bool                              `json:"dryRun"`
	SyncInterval           string                            `json:"syncInterval"`
	LastSyncTime           *metav1.Time                      `json:"lastSyncTime,omitempty"`
	LastSuccessfulSyncTime *metav1.Time                      `json:"lastSuccessfulSyncTime,omitempty"`
	NextSyncTime           *metav1.Time                      `json:"nextSyncTime,omitempty"`
	Overdue                bool                              `json:"overdue"` // the next sync is over a minute late and none runs
	Users                  int32                             `json:"users"`
	ActiveUsers            int32                             `json:"activeUsers"`
	Groups                 int32                             `json:"groups"`
	LastSyncChanges        *dirsyncv1alpha1.SyncChanges      `json:"lastSyncChanges,omitempty"`
	Plan                   *dirsyncv1alpha1.SyncPlan         `json:"plan,omitempty"`
	HeldDeletions          *dirsyncv1alpha1.HeldDeletions    `json:"heldDeletions,omitempty"`
	LastApproval           *dirsyncv1alpha1.DeletionApproval `json:"lastApproval,omitempty"`
}

// planView is `plan -o json|yaml`: the plan of a dry-run Directory and the sync it comes from.
type planView struct {
	Namespace string                    `json:"namespace"`
	Name      string                    `json:"name"`
	DryRun    bool                      `json:"dryRun"`             // spec.dryRun now
	SyncTime  *metav1.Time              `json:"syncTime,omitempty"` // the dry-run sync that computed the plan
	Plan      *dirsyncv1alpha1.SyncPlan `json:"plan"`
}

// conditionOf is the condition as the output shows it; a missing one is Unknown.
func conditionOf(conds []metav1.Condition, t string) conditionView {
	c := meta.FindStatusCondition(conds, t)
	if c == nil {
		return conditionView{Status: metav1.ConditionUnknown}
	}
	since := c.LastTransitionTime
	return conditionView{Status: c.Status, Reason: c.Reason, Message: c.Message, Since: &since}
}

// directoryViewOf is the Directory as `status -o json|yaml` prints it.
func directoryViewOf(d *dirsyncv1alpha1.Directory, now time.Time) directoryView {
	st := &d.Status
	v := directoryView{
		Namespace: d.Namespace, Name: d.Name, Provider: d.Spec.Provider, Endpoint: d.Spec.Endpoint,
		Ready: conditionOf(st.Conditions, dirsyncv1alpha1.ConditionReady), Hint: directoryHint(d),
		Suspended: d.IsSuspended(), DryRun: d.IsDryRun(), SyncInterval: shortDuration(d.SyncIntervalOrDefault().Duration),
		LastSyncTime: st.LastSyncTime, LastSuccessfulSyncTime: st.LastSuccessfulSyncTime, NextSyncTime: st.NextSyncTime,
		Overdue: overdue(d, now),
		Users:   st.UserCount, ActiveUsers: st.ActiveUserCount, Groups: st.GroupCount,
		LastSyncChanges: st.LastSyncChanges, Plan: st.Plan, HeldDeletions: st.HeldDeletions, LastApproval: st.LastApproval,
	}
	if isSyncing(d) {
		s := conditionOf(st.Conditions, dirsyncv1alpha1.ConditionSyncing)
		v.Syncing = &s
	}
	return v
}

// printStructured writes v as JSON (indented, as kubectl does) or YAML.
func printStructured(w io.Writer, format string, v any) error {
	var (
		b   []byte
		err error
	)
	switch format {
	case outputJSON:
		b, err = json.MarshalIndent(v, "", "    ")
		b = append(b, '\n')
	case outputYAML:
		b, err = yaml.Marshal(v)
	default:
		return fmt.Errorf("unknown output format %q", format)
	}
	if err != nil {
		return fmt.Errorf("encoding the output as %s: %w", format, err)
	}
	_, err = w.Write(b)
	return err
}
