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

package compact

import (
	"reflect"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"
	"unsafe"

	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	dirsyncv1alpha1 "github.com/dirsync/dirsync/api/v1alpha1"
)

// decodedUser is a user as the cache decodes it: every object with its own labels, owners and conditions.
func decodedUser(name, department string, synced time.Time) *dirsyncv1alpha1.DirectoryUser {
	return &dirsyncv1alpha1.DirectoryUser{
		ObjectMeta: metav1.ObjectMeta{Namespace: "team-a", Name: name,
			Labels: map[string]string{dirsyncv1alpha1.LabelDirectory: "acme", dirsyncv1alpha1.LabelState: "active",
				dirsyncv1alpha1.LabelDepartment: department},
			OwnerReferences: []metav1.OwnerReference{{APIVersion: "dirsync.io/v1alpha1", Kind: "Directory", Name: "acme", UID: "u-1",
				Controller: ptr.To(true), BlockOwnerDeletion: ptr.To(true)}},
		},
		Spec: dirsyncv1alpha1.DirectoryUserSpec{ExternalID: name, Email: name + "@example.com", Groups: []string{department}},
		Status: dirsyncv1alpha1.DirectoryUserStatus{Conditions: []metav1.Condition{{Type: dirsyncv1alpha1.ConditionSynced,
			Status: metav1.ConditionTrue, Reason: dirsyncv1alpha1.ReasonUpToDate, Message: "Matches the provider as of the last sync.",
			LastTransitionTime: metav1.NewTime(synced)}}},
	}
}

func compacted(t *testing.T, u *dirsyncv1alpha1.DirectoryUser) *dirsyncv1alpha1.DirectoryUser {
	t.Helper()
	before := u.DeepCopy()
	out, err := Transform(u, nil)
	if err != nil {
		t.Fatal(err)
	}
	got := out.(*dirsyncv1alpha1.DirectoryUser)
	if d := cmp.Diff(before, got); d != "" {
		t.Fatalf("compacting changed %s (-before +after):\n%s", u.Name, d)
	}
	return got
}

func sameMemory(a, b any) bool {
	return reflect.ValueOf(a).UnsafePointer() == reflect.ValueOf(b).UnsafePointer()
}

// Cached users share equal labels, owner references and conditions, whole, and nothing else.
func TestCompactChildSharesEqualValues(t *testing.T) {
	at := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	a := compacted(t, decodedUser("ada", "acme-engineering", at))
	b := compacted(t, decodedUser("bob", "acme-engineering", at))
	c := compacted(t, decodedUser("cy", "acme-sales", at.Add(time.Second)))
	if !sameMemory(a.Labels, b.Labels) || !sameMemory(a.OwnerReferences, b.OwnerReferences) || !sameMemory(a.Status.Conditions, b.Status.Conditions) {
		t.Error("two users with equal labels, owners and conditions do not share them")
	}
	if sameMemory(a.Labels, c.Labels) || sameMemory(a.Status.Conditions, c.Status.Conditions) {
		t.Error("users with different labels or conditions share them")
	}
	if !sameMemory(a.OwnerReferences, c.OwnerReferences) {
		t.Error("users of the same Directory do not share its owner reference")
	}
	if sameMemory(a.Spec.Groups, b.Spec.Groups) {
		t.Error("the group lists are shared although only labels, owners and conditions are")
	}
}

// The shared values are forgotten once there are maxShared of them, so that they cannot pile up.
func TestSharedForgetsWhenFull(t *testing.T) {
	s := &shared[map[string]string]{key: sharedLabels.key, compact: sharedLabels.compact}
	first := s.get(map[string]string{"n": "0"})
	for i := 1; i < maxShared; i++ {
		s.get(map[string]string{"n": strconv.Itoa(i)})
	}
	if got := s.get(map[string]string{"n": "0"}); !sameMemory(got, first) || len(s.byKey) != maxShared {
		t.Fatalf("before it is full: the first value shared %t, %d held", sameMemory(got, first), len(s.byKey))
	}
	s.get(map[string]string{"n": "new"})
	if got := s.get(map[string]string{"n": "0"}); sameMemory(got, first) || len(s.byKey) != 2 {
		t.Fatalf("after it was full: the first value still shared %t, %d held, want 2", sameMemory(got, first), len(s.byKey))
	}
}

// Interned strings stay shared across garbage collections: one copy for every object that repeats them.
func TestInternKeepsOneCopy(t *testing.T) {
	title := func() string { return strings.Repeat("Engineer", 2) } // a new string each time, as decoded
	first := intern(title())
	runtime.GC()
	runtime.GC()
	if again := intern(title()); unsafe.StringData(again) != unsafe.StringData(first) {
		t.Fatal("an interned string got a second copy after a garbage collection")
	}
	if intern("") != "" {
		t.Fatal("the empty string changed")
	}
}
