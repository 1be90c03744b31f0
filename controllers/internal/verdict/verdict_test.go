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

package verdict

import (
	"context"
	"fmt"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"
	"sigs.k8s.io/controller-runtime/pkg/client/interceptor"

	dirsyncv1alpha1 "github.com/dirsync/dirsync/api/v1alpha1"
)

func TestGuardHolds(t *testing.T) {
	tests := []struct {
		revoke, bound int
		pct           int32
		want          bool
	}{
		{revoke: 0, bound: 10, pct: 50},
		{revoke: 3, bound: 3, pct: 50}, // the floor: 3 never held
		{revoke: 4, bound: 4, pct: 50, want: true},
		{revoke: 5, bound: 10, pct: 50}, // exactly 50%
		{revoke: 6, bound: 10, pct: 50, want: true},
		{revoke: 6, bound: 10, pct: 100},            // disabled
		{revoke: 1, bound: 100, pct: 0, want: true}, // 0 holds every revocation
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%d_of_%d_at_%d%%", tt.revoke, tt.bound, tt.pct), func(t *testing.T) {
			if got := GuardHolds(tt.revoke, tt.bound, tt.pct); got != tt.want {
				t.Errorf("GuardHolds = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestSet(t *testing.T) {
	at := time.Date(2026, 3, 2, 9, 0, 0, 750_000_000, time.UTC)
	ready := func(status metav1.ConditionStatus, reason string) metav1.Condition {
		return metav1.Condition{Type: dirsyncv1alpha1.ConditionReady, Status: status, Reason: reason, Message: reason + "."}
	}
	dir := &dirsyncv1alpha1.Directory{ObjectMeta: metav1.ObjectMeta{Generation: 7}}
	if !Set(dir, ready(metav1.ConditionFalse, "Failing"), at) {
		t.Fatal("setting a new condition reported no change")
	}
	c := Ready(dir)
	if c == nil || c.ObservedGeneration != 7 || !c.LastTransitionTime.Time.Equal(at.Truncate(time.Second)) {
		t.Fatalf("Ready = %+v; want observedGeneration 7 and the time truncated to seconds", c)
	}
	if Set(dir, ready(metav1.ConditionFalse, "Failing"), at.Add(time.Hour)) {
		t.Error("setting the same condition again reported a change")
	}
	Set(dir, ready(metav1.ConditionFalse, "Other"), at.Add(time.Hour))
	if c := Ready(dir); c.Reason != "Other" || !c.LastTransitionTime.Time.Equal(at.Truncate(time.Second)) {
		t.Errorf("a new reason with the same status: %+v; want the transition time kept", c)
	}
	dir.Generation = 8
	if !Set(dir, ready(metav1.ConditionFalse, "Other"), at) || Ready(dir).ObservedGeneration != 8 {
		t.Errorf("a new generation: %+v; want a change to observedGeneration 8", Ready(dir))
	}
	user := &dirsyncv1alpha1.DirectoryUser{ObjectMeta: metav1.ObjectMeta{Generation: 3}}
	SetUnobserved(user, metav1.Condition{Type: dirsyncv1alpha1.ConditionSynced, Status: metav1.ConditionTrue, Reason: "UpToDate",
		ObservedGeneration: 3}, at)
	if c := user.Status.Conditions[0]; c.ObservedGeneration != 0 {
		t.Errorf("SetUnobserved left observedGeneration %d", c.ObservedGeneration)
	}
}

func TestPatchStatus(t *testing.T) {
	scheme := runtime.NewScheme()
	if err := dirsyncv1alpha1.AddToScheme(scheme); err != nil {
		t.Fatal(err)
	}
	stored := &dirsyncv1alpha1.Directory{ObjectMeta: metav1.ObjectMeta{Namespace: "hr", Name: "acme"}}
	var patches int
	c := fake.NewClientBuilder().WithScheme(scheme).WithObjects(stored).WithStatusSubresource(stored).
		WithInterceptorFuncs(interceptor.Funcs{SubResourcePatch: func(ctx context.Context, c client.Client, sub string, obj client.Object,
			patch client.Patch, opts ...client.SubResourcePatchOption) error {
			patches++
			return c.SubResource(sub).Patch(ctx, obj, patch, opts...)
		}}).Build()
	status := func(d *dirsyncv1alpha1.Directory) any { return &d.Status }
	base := &dirsyncv1alpha1.Directory{}
	if err := c.Get(t.Context(), client.ObjectKeyFromObject(stored), base); err != nil {
		t.Fatal(err)
	}
	dir := base.DeepCopy()
	if err := PatchStatus(t.Context(), c, base, dir, status); err != nil || patches != 0 {
		t.Fatalf("an unchanged status: err %v, %d patches; want none", err, patches)
	}
	dir.Status.UserCount = 3
	if err := PatchStatus(t.Context(), c, base, dir, status); err != nil || patches != 1 {
		t.Fatalf("a changed status: err %v, %d patches; want one", err, patches)
	}
	got := &dirsyncv1alpha1.Directory{}
	if err := c.Get(t.Context(), client.ObjectKeyFromObject(stored), got); err != nil || got.Status.UserCount != 3 {
		t.Fatalf("stored status %+v (err %v); want userCount 3", got.Status, err)
	}
	if err := c.Delete(t.Context(), got); err != nil {
		t.Fatal(err)
	}
	base, dir = got.DeepCopy(), got.DeepCopy()
	dir.Status.UserCount = 4
	if err := PatchStatus(t.Context(), c, base, dir, status); err != nil {
		t.Errorf("the object is gone: err %v; want none", err)
	}
}
