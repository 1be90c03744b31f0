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

package directory

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	dirsyncv1alpha1 "github.com/dirsync/dirsync/api/v1alpha1"
	"github.com/dirsync/dirsync/controllers/directory/directorytest"
	"github.com/dirsync/dirsync/controllers/internal/verdict"
	"github.com/dirsync/dirsync/internal/provider/fakehr"
	"github.com/dirsync/dirsync/internal/testenv"
)

// A name the operator would pick is taken by an object it does not control (another Directory's, or
// anyone's): the newcomer gets a suffixed name and is still materialized; the foreign object is left alone.
func TestNameTakenByAnotherOwnerGivesTheNewcomerAnotherName(t *testing.T) {
	testenv.Require(t)
	h := newHarness(t, directorytest.ProviderCases[0], 10, nil)
	h.WaitReason(dirsyncv1alpha1.ReasonSynced)
	foreign := &dirsyncv1alpha1.DirectoryUser{
		ObjectMeta: metav1.ObjectMeta{Name: "acme-9999", Namespace: h.NS, Labels: map[string]string{"team": "someone-else"}},
		Spec: dirsyncv1alpha1.DirectoryUserSpec{DirectoryRef: dirsyncv1alpha1.DirectoryReference{Name: "acme-other"},
			ExternalID: "1", State: dirsyncv1alpha1.UserStateActive, JobTitle: "Not yours"},
	}
	must(t, k8sClient.Create(h.Ctx, foreign))
	eventuallyCached(t, foreign)
	h.Srv.Update(func(c *fakehr.Company) {
		c.Employees = append(c.Employees, fakehr.Employee{ID: "9999", FirstName: "New", LastName: "Hire", Status: fakehr.Current})
	})
	d := h.ForceSync()
	if r := verdict.Ready(d); r.Reason != dirsyncv1alpha1.ReasonSynced {
		t.Fatalf("Ready = %+v", r)
	}
	var got dirsyncv1alpha1.DirectoryUser
	must(t, k8sClient.Get(h.Ctx, client.ObjectKeyFromObject(foreign), &got))
	if got.Spec.JobTitle != "Not yours" || metav1.GetControllerOf(&got) != nil {
		t.Fatalf("the foreign object was changed: %+v", got)
	}
	var hire *dirsyncv1alpha1.DirectoryUser
	for _, u := range h.Users() {
		if u.Spec.DirectoryRef.Name == "acme" && u.Spec.ExternalID == "9999" {
			hire = &u
		}
	}
	if hire == nil || hire.Name == "acme-9999" || !strings.HasPrefix(hire.Name, "acme-9999-") {
		t.Fatalf("the new hire must be materialized under a suffixed name, got %+v", hire)
	}
	name := hire.Name
	h.ForceSync()
	for _, u := range h.Users() {
		if u.Spec.ExternalID == "9999" && u.Spec.DirectoryRef.Name == "acme" && u.Name != name {
			t.Fatalf("the name changed from %s to %s", name, u.Name)
		}
	}
}

// eventuallyCached waits until the manager's cache has the object, so a sync sees it.
func eventuallyCached(t *testing.T, o client.Object) {
	t.Helper()
	testenv.Eventually(t, 10*time.Second, func() (bool, string) {
		cp := o.DeepCopyObject().(client.Object)
		err := mgrClient.Get(context.Background(), client.ObjectKeyFromObject(o), cp)
		return err == nil, fmt.Sprintf("not in the cache yet: %v", err)
	})
}

// Writes the API server refuses (here an admission policy; a quota or a webhook alike) make the sync
// say so: Ready=False ApplyFailed naming how many writes failed and the first object, counts of what
// exists, a Warning Event and the backoff; the other writes still land, and a later sync converges.
func TestRefusedWritesAreApplyFailed(t *testing.T) {
	testenv.Require(t)
	h := newHarness(t, directorytest.ProviderCases[1], 10, nil)
	h.WaitReason(dirsyncv1alpha1.ReasonSynced)
	policy := &admissionregistrationv1.ValidatingAdmissionPolicy{
		ObjectMeta: metav1.ObjectMeta{Name: "no-chief-intruders-" + h.NS},
		Spec: admissionregistrationv1.ValidatingAdmissionPolicySpec{
			FailurePolicy: ptr.To(admissionregistrationv1.Fail),
			MatchConstraints: &admissionregistrationv1.MatchResources{
				NamespaceSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"kubernetes.io/metadata.name": h.NS}},
				ResourceRules: []admissionregistrationv1.NamedRuleWithOperations{{RuleWithOperations: admissionregistrationv1.RuleWithOperations{
					Operations: []admissionregistrationv1.OperationType{admissionregistrationv1.Create, admissionregistrationv1.Update},
					Rule:       admissionregistrationv1.Rule{APIGroups: []string{"dirsync.io"}, APIVersions: []string{"*"}, Resources: []string{"directoryusers"}},
				}}},
			},
			Validations: []admissionregistrationv1.Validation{{Expression: "!has(object.spec.jobTitle) || object.spec.jobTitle != 'Chief Intruder'", Message: "no chief intruders here"}},
		},
	}
	must(t, k8sClient.Create(h.Ctx, policy))
	t.Cleanup(func() { _ = k8sClient.Delete(context.Background(), policy) })
	binding := &admissionregistrationv1.ValidatingAdmissionPolicyBinding{
		ObjectMeta: metav1.ObjectMeta{Name: policy.Name},
		Spec: admissionregistrationv1.ValidatingAdmissionPolicyBindingSpec{PolicyName: policy.Name,
			ValidationActions: []admissionregistrationv1.ValidationAction{admissionregistrationv1.Deny}},
	}
	must(t, k8sClient.Create(h.Ctx, binding))
	t.Cleanup(func() { _ = k8sClient.Delete(context.Background(), binding) })
	probe := &dirsyncv1alpha1.DirectoryUser{ObjectMeta: metav1.ObjectMeta{Name: "probe", Namespace: h.NS},
		Spec: dirsyncv1alpha1.DirectoryUserSpec{DirectoryRef: dirsyncv1alpha1.DirectoryReference{Name: "x"}, ExternalID: "x",
			State: dirsyncv1alpha1.UserStateActive, JobTitle: "Chief Intruder"}}
	testenv.Eventually(t, 30*time.Second, func() (bool, string) { // the policy takes a moment to be enforced
		err := k8sClient.Create(h.Ctx, probe.DeepCopy(), client.DryRunAll)
		return err != nil && strings.Contains(err.Error(), "no chief intruders"), fmt.Sprintf("policy not enforced yet: %v", err)
	})

	employees := h.Srv.Company().Employees
	target := employees[0].ID
	h.Srv.Update(func(c *fakehr.Company) {
		c.Employee(target).JobTitle = "Chief Intruder"
		c.Employees = append(c.Employees, fakehr.Employee{ID: "PW900", FirstName: "New", LastName: "Hire", Status: fakehr.Current})
	})
	d := h.ForceSync()
	c := verdict.Ready(d)
	if c.Status != metav1.ConditionFalse || c.Reason != dirsyncv1alpha1.ReasonApplyFailed ||
		!strings.Contains(c.Message, "1 of 2 writes failed") || !strings.Contains(c.Message, "no chief intruders") {
		t.Fatalf("Ready = %+v", c)
	}
	if d.Status.UserCount != int32(len(employees)+1) || d.Status.ConsecutiveFailures != 1 ||
		!d.Status.NextSyncTime.Time.Equal(d.Status.LastSyncTime.Add(initialBackoff)) {
		t.Fatalf("status after refused writes: %+v", d.Status)
	}
	if _, ok := h.Users()["PW900"]; !ok {
		t.Fatal("the write that was allowed did not land")
	}
	waitWarning(h, dirsyncv1alpha1.ReasonApplyFailed)

	must(t, k8sClient.Delete(h.Ctx, binding))
	testenv.Eventually(t, 30*time.Second, func() (bool, string) {
		d = h.ForceSync()
		return verdict.Ready(d).Reason == dirsyncv1alpha1.ReasonSynced, "Ready " + verdict.Ready(d).Reason
	})
	h.expectMatchesProvider()
}
