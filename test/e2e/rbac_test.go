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
	"strings"
	"testing"
	"time"

	authorizationv1 "k8s.io/api/authorization/v1"
	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	dirsyncv1alpha1 "github.com/dirsync/dirsync/api/v1alpha1"
)

// Sizes and bounds shared by the tests that sync a small company.
const (
	smallCompany     = 50 // employees; with 12 departments a first sync is ~130 writes
	firstSyncTimeout = 90 * time.Second
	syncTimeout      = 60 * time.Second
)

// The manager runs on a token of the dirsync-controller-manager ServiceAccount with exactly the RBAC
// of config/default (config/rbac/role.yaml from the reconciler's markers, leader election Role,
// metrics auth), syncs a Directory completely, records its Event, and is never refused a request.
func TestManagerRunsWithLeastPrivilegeRBAC(t *testing.T) {
	kubeconfig := operatorIdentity(t)
	ns := newNamespace(t, "e2e-rbac-")
	hr := startFakeHR(t, smallCompany)
	mgr := startManager(t, "manager", kubeconfig)

	key := createDirectory(t, ns, "breathe", hr)
	dir := waitReady(t, key, smallCompany, firstSyncTimeout, mgr.Process, hr.Process)
	if dir.Status.GroupCount == 0 {
		t.Errorf("status.groupCount is 0; want the fake's departments: %s", describe(dir))
	}
	eventually(t, syncTimeout, "a Normal Synced Event for the Directory", func(ctx context.Context) (bool, string) {
		var events eventsv1.EventList
		if err := k8s.List(ctx, &events, client.InNamespace(ns)); err != nil {
			return false, err.Error()
		}
		var seen []string
		for _, e := range events.Items {
			seen = append(seen, e.Type+"/"+e.Reason+" on "+e.Regarding.Kind+"/"+e.Regarding.Name)
			if e.Type == corev1.EventTypeNormal && e.Reason == dirsyncv1alpha1.ReasonSynced && e.Regarding.Name == key.Name {
				return true, ""
			}
		}
		return false, fmt.Sprintf("events: %v", seen)
	}, mgr.Process)

	// A second, no-op sync through the same identity: reads and status patches only.
	if dir = forceSync(t, key, syncTimeout, mgr.Process); !isReady(dir) {
		t.Fatalf("forced sync: %s", describe(dir))
	}
	mgr.assertNoForbidden(t)
}

// With --watch-namespace=a and the manager ClusterRole bound by a RoleBinding in namespace a only,
// a Directory in a syncs; a Directory in b is never reconciled; the ServiceAccount cannot read b's
// Secrets (kubectl auth can-i, and a direct GET with its token is Forbidden); and the manager itself
// never runs into a forbidden request.
func TestWatchNamespaceCannotReadOtherNamespacesSecrets(t *testing.T) {
	operatorIdentity(t) // the dirsync-manager-role ClusterRole and the dirsync-system namespace
	const sa = "dirsync-e2e-scoped"
	nsA := newNamespace(t, "e2e-watch-a-")
	nsB := newNamespace(t, "e2e-watch-b-")
	createServiceAccount(t, sa)
	// The manager ClusterRole in namespace a only. Leader election is off, and the ClusterRole's
	// events.k8s.io rule covers the Events it records in a, so nothing else is needed.
	bindClusterRoleInNamespace(t, nsA, managerClusterRole, sa)
	user := "system:serviceaccount:" + operatorNamespace + ":" + sa
	if err := waitAllowed(user, authorizationv1.ResourceAttributes{Namespace: nsA, Verb: "watch",
		Group: dirsyncv1alpha1.GroupVersion.Group, Resource: "directories"}); err != nil {
		t.Fatal(err)
	}
	kubeconfig, err := serviceAccountKubeconfig(operatorNamespace, sa)
	if err != nil {
		t.Fatal(err)
	}

	hr := startFakeHR(t, smallCompany)
	// b's Directory exists before the manager starts, so a manager that watched b would see it in
	// its first List.
	keyB := createDirectory(t, nsB, "breathe", hr)
	mgr := startManager(t, "manager", kubeconfig, "--watch-namespace="+nsA)
	keyA := createDirectory(t, nsA, "breathe", hr)
	waitReady(t, keyA, smallCompany, firstSyncTimeout, mgr.Process, hr.Process)

	// "Never reconciled", bounded: a's first sync, then a second one forced through the same
	// two-worker queue, then 3 more seconds in which b's Directory must keep an empty status and own
	// nothing. A manager that watched b would have synced it long before (b was there first).
	if dir := forceSync(t, keyA, syncTimeout, mgr.Process); !isReady(dir) {
		t.Fatalf("forced sync of a: %s", describe(dir))
	}
	consistently(t, 3*time.Second, "Directory "+keyB.String()+" to stay unreconciled", func(ctx context.Context) (bool, string) {
		d, err := getDirectory(ctx, keyB)
		if err != nil {
			return false, err.Error()
		}
		if len(d.Status.Conditions) > 0 || d.Status.LastSyncTime != nil {
			return false, "it was reconciled: " + describe(d)
		}
		n, err := countUsers(ctx, keyB)
		if err != nil {
			return false, err.Error()
		}
		return n == 0, fmt.Sprintf("%d DirectoryUsers in %s", n, nsB)
	}, mgr.Process)

	out, err := kubectl("", "auth", "can-i", "get", "secrets", "-n", nsB, "--as="+user)
	if strings.TrimSpace(out) != "no" || err == nil {
		t.Errorf("kubectl auth can-i get secrets -n %s --as=%s: %q (%v); want no", nsB, user, out, err)
	}
	if out, err := kubectl("", "auth", "can-i", "get", "secrets", "-n", nsA, "--as="+user); strings.TrimSpace(out) != "yes" {
		t.Errorf("kubectl auth can-i get secrets -n %s --as=%s: %q (%v); want yes", nsA, user, out, err)
	}

	// The same question with the token itself.
	cfg, err := restConfig(kubeconfig)
	if err != nil {
		t.Fatal(err)
	}
	asSA, err := client.New(cfg, client.Options{Scheme: scheme})
	if err != nil {
		t.Fatal(err)
	}
	secretB := types.NamespacedName{Namespace: nsB, Name: keyB.Name + "-api-key"}
	if err := asSA.Get(callCtx(t), secretB, &corev1.Secret{}); !apierrors.IsForbidden(err) {
		t.Errorf("GET Secret %s with the ServiceAccount's token: %v; want Forbidden", secretB, err)
	}
	if err := asSA.List(callCtx(t), &corev1.SecretList{}); !apierrors.IsForbidden(err) {
		t.Errorf("LIST Secrets in all namespaces with the ServiceAccount's token: %v; want Forbidden", err)
	}
	secretA := types.NamespacedName{Namespace: nsA, Name: keyA.Name + "-api-key"}
	if err := asSA.Get(callCtx(t), secretA, &corev1.Secret{}); err != nil {
		t.Errorf("GET Secret %s with the ServiceAccount's token: %v; want it allowed", secretA, err)
	}
	mgr.assertNoForbidden(t)
}
