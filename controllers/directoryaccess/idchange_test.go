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
	"slices"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/sets"

	dirsyncv1alpha1 "github.com/dirsync/dirsync/api/v1alpha1"
	"github.com/dirsync/dirsync/internal/subject"
	"github.com/dirsync/dirsync/internal/testenv"
)

// HR changes a person's id (Access People HR allows it) and the Directory's deletion guard holds the
// old record (RemovedFromProvider): the old record is gone from the provider, so it conflicts with no
// one, and the person keeps their subject under the new id. A leaver's address reused by a joiner,
// both still in HR, is still a conflict.
func TestARecordGoneFromTheProviderConflictsWithNoOne(t *testing.T) {
	active, inactive := dirsyncv1alpha1.UserStateActive, dirsyncv1alpha1.UserStateInactive
	gone := accUser("PW1", "ada@x.io", active, "acme-eng")
	gone.Status.Conditions = []metav1.Condition{{Type: dirsyncv1alpha1.ConditionSynced, Status: metav1.ConditionFalse,
		Reason: dirsyncv1alpha1.ReasonRemovedFromProvider}}
	renumbered := accUser("PW99", "Ada@x.io", active, "acme-eng")
	leaver, joiner := accUser("PW2", "bob@x.io", inactive, "acme-eng"), accUser("PW3", "BOB@x.io", active, "acme-eng")

	st, err := subject.Parse(accAccess().Spec.Subject.Template)
	if err != nil {
		t.Fatal(err)
	}
	rep := computeSubjects(accAccess(), st, map[string]bool{"acme-eng": true},
		[]dirsyncv1alpha1.DirectoryUser{gone, renumbered, leaver, joiner}, accessNow)
	if got, want := sets.List(sets.KeySet(rep.desired)), []string{"oidc:ada@x.io"}; !slices.Equal(got, want) {
		t.Errorf("desired %v, want %v", got, want)
	}
	if want := []string{"oidc:bob@x.io: PW2, PW3"}; !slices.Equal(rep.conflicts, want) {
		t.Errorf("conflicts %v, want %v", rep.conflicts, want)
	}
}

// The story from the outside: HR gives Bob a new id. One sync deletes his old DirectoryUser and
// creates the new one (written back to back by the Directory), and his access never flaps: the
// RoleBinding is not written at all.
func TestDirectoryAccessAnIDChangeDoesNotFlap(t *testing.T) {
	testenv.Require(t)
	w := newAccessWorld(t, alice, bob, carol)
	web := w.target(true)
	key := w.createAccess([]string{web})
	want := []string{alice.subject(), bob.subject()}
	w.waitSubjects(key, web, want)
	w.waitAccess(key, dirsyncv1alpha1.ReasonBound)

	writes, _ := accessWrites.snapshot(web)
	renumbered := bob
	renumbered.id = "5099"
	w.setPeople(alice, renumbered, carol)
	if _, ok := w.Users()[bob.id]; ok {
		t.Fatalf("Bob's old DirectoryUser %s is still there after the sync", bob.id)
	}
	consistentlySubjects(t, w, key, web, want, 2*time.Second)
	if got, _ := accessWrites.snapshot(web); got != writes {
		t.Errorf("the id change wrote the RoleBinding %d times; want none", got-writes)
	}
}
