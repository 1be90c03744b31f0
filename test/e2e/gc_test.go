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
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	dirsyncv1alpha1 "github.com/dirsync/dirsync/api/v1alpha1"
)

// gcTimeout bounds garbage collection: kube-controller-manager rediscovers resources every 30s, so a
// CRD installed moments before (when this test runs alone) may wait that long before its objects
// are collected, and then deletes at its default 20 requests/s.
const gcTimeout = 2 * time.Minute

// Deleting a Directory deletes its DirectoryUsers and DirectoryGroups: they carry a controller
// ownerReference to it and no finalizer holds the Directory, so kube-controller-manager's garbage
// collector removes them.
func TestDeletingDirectoryGarbageCollectsChildren(t *testing.T) {
	kubeconfig := operatorIdentity(t)
	ns := newNamespace(t, "e2e-gc-")
	hr := startFakeHR(t, smallCompany)
	mgr := startManager(t, "manager", kubeconfig)
	key := createDirectory(t, ns, "breathe", hr)
	dir := waitReady(t, key, smallCompany, firstSyncTimeout, mgr.Process, hr.Process)
	if len(dir.Finalizers) > 0 {
		t.Errorf("Directory %s has finalizers %v; the contract has none", key, dir.Finalizers)
	}
	groups, err := countGroups(callCtx(t), key)
	if err != nil || groups == 0 {
		t.Fatalf("%d DirectoryGroups (%v); want some before the deletion", groups, err)
	}

	if err := k8s.Delete(callCtx(t), dir, client.PropagationPolicy(metav1.DeletePropagationBackground)); err != nil {
		t.Fatalf("deleting Directory %s: %v", key, err)
	}
	eventually(t, gcTimeout, "the Directory's users and groups to be garbage collected", func(ctx context.Context) (bool, string) {
		_, err := getDirectory(ctx, key)
		if !apierrors.IsNotFound(err) {
			return false, fmt.Sprintf("the Directory still exists (%v)", err)
		}
		users, err := countUsers(ctx, key)
		if err != nil {
			return false, err.Error()
		}
		groups, err := countGroups(ctx, key)
		if err != nil {
			return false, err.Error()
		}
		var all dirsyncv1alpha1.DirectoryUserList
		if err := k8s.List(ctx, &all, client.InNamespace(ns)); err != nil {
			return false, err.Error()
		}
		return users+groups+len(all.Items) == 0,
			fmt.Sprintf("%d DirectoryUsers and %d DirectoryGroups left (%d users in the namespace)", users, groups, len(all.Items))
	}, mgr.Process)
}
