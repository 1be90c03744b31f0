//go:build e2e

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

package e2e

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	dirsyncv1alpha1 "github.com/dirsync/dirsync/api/v1alpha1"
)

// The large company of TestManagerKilledMidSyncConverges, and when to kill the first manager.
const (
	largeCompany      = 2000
	largeDepartments  = 40
	killAfterUsers    = 200
	convergeTimeout   = 4 * time.Minute
	partialSyncBudget = 2 * time.Minute
)

// A manager SIGKILLed in the middle of a 2,000-user first sync (throttled to 50 requests/s so that
// the sync takes a while) leaves a partial set of users behind; a restarted manager converges to
// exactly the provider's set: 2,000 users with unique externalIDs, all owned by the Directory and
// Synced=True, and nothing else.
func TestManagerKilledMidSyncConverges(t *testing.T) {
	kubeconfig := operatorIdentity(t)
	ns := newNamespace(t, "e2e-crash-")
	hr := startFakeHR(t, smallCompany)
	hr.generate(t, 4, largeCompany, largeDepartments)
	want := hr.employeeIDs(t)
	if len(want) != largeCompany {
		t.Fatalf("the fake serves %d employees after POST /admin/generate; want %d", len(want), largeCompany)
	}

	// One sync of 2,000 employees is 21 Breathe requests: within the client's budget of 55 a minute.
	slow := startManager(t, "manager-throttled", kubeconfig, "--kube-api-qps=50", "--kube-api-burst=50")
	key := createDirectory(t, ns, "breathe", hr)
	eventually(t, partialSyncBudget, fmt.Sprintf("more than %d DirectoryUsers", killAfterUsers), func(ctx context.Context) (bool, string) {
		n, err := countUsers(ctx, key)
		if err != nil {
			return false, err.Error()
		}
		return n > killAfterUsers, fmt.Sprintf("%d DirectoryUsers", n)
	}, slow.Process, hr.Process)
	slow.kill(t)

	partial, err := countUsers(callCtx(t), key)
	if err != nil {
		t.Fatal(err)
	}
	if partial >= largeCompany {
		t.Fatalf("the throttled manager had created all %d users before it was killed; nothing was tested", partial)
	}
	dir, err := getDirectory(callCtx(t), key)
	if err != nil {
		t.Fatal(err)
	}
	if isReady(dir) {
		t.Fatalf("the Directory was Ready before its first sync finished: %s", describe(dir))
	}
	t.Logf("killed the manager mid-sync with %d of %d users created", partial, largeCompany)

	restarted := startManager(t, "manager-restarted", kubeconfig, "--kube-api-qps=300", "--kube-api-burst=600")
	dir = waitReady(t, key, largeCompany, convergeTimeout, restarted.Process, hr.Process)

	// Exactly the provider's set, every user owned by the Directory and Synced=True. Listing the
	// whole namespace (no label selector) also catches stray objects without the Directory's label.
	var users dirsyncv1alpha1.DirectoryUserList
	if err := k8s.List(callCtx(t), &users, client.InNamespace(ns)); err != nil {
		t.Fatal(err)
	}
	if len(users.Items) != largeCompany {
		t.Errorf("%d DirectoryUsers in %s; want %d", len(users.Items), ns, largeCompany)
	}
	seen := map[string]string{}
	var problems []string
	for i := range users.Items {
		u := &users.Items[i]
		if other, dup := seen[u.Spec.ExternalID]; dup {
			problems = append(problems, fmt.Sprintf("%s and %s share externalID %q", other, u.Name, u.Spec.ExternalID))
		}
		seen[u.Spec.ExternalID] = u.Name
		if !metav1.IsControlledBy(u, dir) || u.Labels[dirsyncv1alpha1.LabelDirectory] != key.Name {
			problems = append(problems, fmt.Sprintf("%s is not controlled and labelled by Directory %s", u.Name, key.Name))
		}
		// Spec and status are written together, so the condition carries no observedGeneration.
		if c := meta.FindStatusCondition(u.Status.Conditions, dirsyncv1alpha1.ConditionSynced); c == nil || c.Status != metav1.ConditionTrue ||
			c.Reason != dirsyncv1alpha1.ReasonUpToDate || c.ObservedGeneration != 0 {
			problems = append(problems, fmt.Sprintf("%s is not Synced=True UpToDate: %+v", u.Name, c))
		}
	}
	for _, id := range want {
		if _, ok := seen[id]; !ok {
			problems = append(problems, fmt.Sprintf("no DirectoryUser for employee %s", id))
		}
		delete(seen, id)
	}
	for id, name := range seen {
		problems = append(problems, fmt.Sprintf("%s has externalID %q, which the provider does not have (a leftover)", name, id))
	}

	var groups dirsyncv1alpha1.DirectoryGroupList
	if err := k8s.List(callCtx(t), &groups, client.InNamespace(ns)); err != nil {
		t.Fatal(err)
	}
	if len(groups.Items) != int(dir.Status.GroupCount) || len(groups.Items) == 0 {
		problems = append(problems, fmt.Sprintf("%d DirectoryGroups, status.groupCount %d", len(groups.Items), dir.Status.GroupCount))
	}
	for i := range groups.Items {
		g := &groups.Items[i]
		if c := meta.FindStatusCondition(g.Status.Conditions, dirsyncv1alpha1.ConditionSynced); c == nil || c.Status != metav1.ConditionTrue {
			problems = append(problems, fmt.Sprintf("group %s is not Synced=True: %+v", g.Name, c))
		}
	}
	if len(problems) > 0 {
		slices.Sort(problems)
		if len(problems) > 20 {
			problems = append(problems[:20], fmt.Sprintf("… and %d more", len(problems)-20))
		}
		t.Errorf("after the restart:\n  %s", strings.Join(problems, "\n  "))
	}
	if c := dir.Status.LastSyncChanges; c != nil {
		t.Logf("the restarted manager's sync: created %d, updated %d, deleted %d, unchanged %d", c.Created, c.Updated, c.Deleted, c.Unchanged)
	}
}
