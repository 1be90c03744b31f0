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
	"slices"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	dirsyncv1alpha1 "github.com/dirsync/dirsync/api/v1alpha1"
	"github.com/dirsync/dirsync/controllers/directory/directorytest"
)

// listChildren hands a sync the cache's own objects, not copies (the memory of a sync of many users),
// and finds exactly what the other way, a client List, finds: the Directory's users and groups, not
// an object that only carries its label.
func TestListChildrenReadsTheCacheWithoutCopying(t *testing.T) {
	h := newHarness(t, directorytest.ProviderCases[0], 12, nil)
	dir := h.WaitReason(dirsyncv1alpha1.ReasonSynced)
	stray := &dirsyncv1alpha1.DirectoryUser{
		ObjectMeta: metav1.ObjectMeta{Namespace: h.NS, Name: "stray", Labels: map[string]string{dirsyncv1alpha1.LabelDirectory: dir.Name}},
		Spec: dirsyncv1alpha1.DirectoryUserSpec{DirectoryRef: dirsyncv1alpha1.DirectoryReference{Name: dir.Name}, ExternalID: "stray",
			State: dirsyncv1alpha1.UserStateActive},
	}
	must(t, k8sClient.Create(h.Ctx, stray))
	eventuallyCached(t, stray)

	first, err := suiteReconciler.listChildren(h.Ctx, dir)
	must(t, err)
	again, err := suiteReconciler.listChildren(h.Ctx, dir)
	must(t, err)
	listed := &Reconciler{Client: suiteReconciler.Client} // no informers: a client List
	copies, err := listed.listChildren(h.Ctx, dir)
	must(t, err)

	if got := sortedNames(first.users); len(got) != int(dir.Status.UserCount) || !slices.Equal(got, sortedNames(copies.users)) {
		t.Fatalf("users %v; a client List finds %v; status.userCount %d", got, sortedNames(copies.users), dir.Status.UserCount)
	}
	if got := sortedNames(first.groups); len(got) != int(dir.Status.GroupCount) || !slices.Equal(got, sortedNames(copies.groups)) {
		t.Fatalf("groups %v; a client List finds %v; status.groupCount %d", got, sortedNames(copies.groups), dir.Status.GroupCount)
	}
	cached := map[string]*dirsyncv1alpha1.DirectoryUser{}
	for _, u := range again.users {
		cached[u.Name] = u
	}
	for _, u := range first.users {
		if cached[u.Name] != u {
			t.Fatalf("two lists gave different objects for %s: copies, not the cache's own", u.Name)
		}
	}
	for _, c := range copies.users {
		if cached[c.Name] == c {
			t.Fatalf("a client List gave the cache's own object for %s: the identity above proves nothing", c.Name)
		}
	}
}

func sortedNames[P child](objs []P) []string {
	out := names(objs)
	slices.Sort(out)
	return out
}
