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
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	dirsyncv1alpha1 "github.com/dirsync/dirsync/api/v1alpha1"
	"github.com/dirsync/dirsync/internal/provider/fakehr"
)

// A name the operator would pick is taken by an object it does not control (another Directory's, or
// anyone's): the newcomer gets a suffixed name and is still materialized; the foreign object is left alone.
func TestNameTakenByAnotherOwnerGivesTheNewcomerAnotherName(t *testing.T) {
	requireEnvtest(t)
	h := newHarness(t, providerCases[0], 10, nil)
	h.waitReason(dirsyncv1alpha1.ReasonSynced)
	foreign := &dirsyncv1alpha1.DirectoryUser{
		ObjectMeta: metav1.ObjectMeta{Name: "acme-9999", Namespace: h.ns, Labels: map[string]string{"team": "someone-else"}},
		Spec: dirsyncv1alpha1.DirectoryUserSpec{DirectoryRef: dirsyncv1alpha1.DirectoryReference{Name: "acme-other"},
			ExternalID: "1", State: dirsyncv1alpha1.UserStateActive, JobTitle: "Not yours"},
	}
	must(t, k8sClient.Create(h.ctx, foreign))
	eventuallyCached(t, foreign)
	h.srv.Update(func(c *fakehr.Company) {
		c.Employees = append(c.Employees, fakehr.Employee{ID: "9999", FirstName: "New", LastName: "Hire", Status: fakehr.Current})
	})
	d := h.forceSync()
	if r := ready(d); r.Reason != dirsyncv1alpha1.ReasonSynced {
		t.Fatalf("Ready = %+v", r)
	}
	var got dirsyncv1alpha1.DirectoryUser
	must(t, k8sClient.Get(h.ctx, client.ObjectKeyFromObject(foreign), &got))
	if got.Spec.JobTitle != "Not yours" || metav1.GetControllerOf(&got) != nil {
		t.Fatalf("the foreign object was changed: %+v", got)
	}
	var hire *dirsyncv1alpha1.DirectoryUser
	for _, u := range h.users() {
		if u.Spec.DirectoryRef.Name == "acme" && u.Spec.ExternalID == "9999" {
			hire = &u
		}
	}
	if hire == nil || hire.Name == "acme-9999" || !strings.HasPrefix(hire.Name, "acme-9999-") {
		t.Fatalf("the new hire must be materialized under a suffixed name, got %+v", hire)
	}
	name := hire.Name
	h.forceSync()
	for _, u := range h.users() {
		if u.Spec.ExternalID == "9999" && u.Spec.DirectoryRef.Name == "acme" && u.Name != name {
			t.Fatalf("the name changed from %s to %s", name, u.Name)
		}
	}
}

// eventuallyCached waits until the manager's cache has the object, so a sync sees it.
func eventuallyCached(t *testing.T, o client.Object) {
	t.Helper()
	eventually(t, 10*time.Second, func() (bool, string) {
		cp := o.DeepCopyObject().(client.Object)
		err := mgrClient.Get(context.Background(), client.ObjectKeyFromObject(o), cp)
		return err == nil, fmt.Sprintf("not in the cache yet: %v", err)
	})
}
