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

package controllers

import (
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	dirsyncv1alpha1 "github.com/dirsync/dirsync/api/v1alpha1"
	"github.com/dirsync/dirsync/internal/provider/fakehr"
)

// A name the operator needs is taken by an object it does not control: the sync reports it in a
// Warning Event, leaves that object alone, and backs off instead of calling the provider in a loop.
func TestNameTakenByAnotherOwnerIsReportedAndBacksOff(t *testing.T) {
	h := newHarness(t, providerCases[0], 10, nil)
	h.waitReason(dirsyncv1alpha1.ReasonSynced)
	foreign := &dirsyncv1alpha1.DirectoryUser{
		ObjectMeta: metav1.ObjectMeta{Name: objectName("acme", "9999"), Namespace: h.ns, Labels: map[string]string{"team": "someone-else"}},
		Spec: dirsyncv1alpha1.DirectoryUserSpec{DirectoryRef: dirsyncv1alpha1.DirectoryReference{Name: "other"},
			ExternalID: "9999", State: dirsyncv1alpha1.UserStateActive, JobTitle: "Not yours"},
	}
	must(t, k8sClient.Create(h.ctx, foreign))
	h.srv.Update(func(c *fakehr.Company) {
		c.Employees = append(c.Employees, fakehr.Employee{ID: "9999", FirstName: "New", LastName: "Hire", Status: fakehr.Current})
	})
	d := h.forceSync()
	h.waitEvent(reasonApplyFailed)
	if got := h.users()["9999"]; got.Spec.JobTitle != "Not yours" || metav1.GetControllerOf(&got) != nil {
		t.Fatalf("the foreign object was changed: %+v", got)
	}
	if d.Status.ConsecutiveFailures != 1 || !d.Status.NextSyncTime.Time.Equal(d.Status.LastSyncTime.Add(initialBackoff)) {
		t.Fatalf("after a failed apply: failures %d, next %v, last %v", d.Status.ConsecutiveFailures, d.Status.NextSyncTime, d.Status.LastSyncTime)
	}
	requests := h.srv.Requests()
	touchUser(h, "after-apply-failure")
	if h.srv.Requests() != requests {
		t.Fatal("a failed apply made the operator call the provider again before nextSyncTime")
	}
}
