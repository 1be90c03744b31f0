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
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/types"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/controller-runtime/pkg/client"

	dirsyncv1alpha1 "github.com/dirsync/dirsync/api/v1alpha1"
	"github.com/dirsync/dirsync/internal/provider/fakehr"
	"github.com/dirsync/dirsync/test/utils"
)

// accessGrantor is config/default's opt-in ClusterRole for DirectoryAccess.
const accessGrantor = "dirsync-access-grantor"

// The issue-14 story from the outside, with the real manager as its ServiceAccount and exactly the
// RBAC and admission policy of config/default:
//  1. a DirectoryAccess for edit in a namespace nobody opted in: Ready=False NotPermitted naming the
//     namespace and role, no RoleBinding, and the person cannot act there;
//  2. the administrator binds dirsync-access-grantor there: `kubectl auth can-i --as=oidc:<e-mail>` says yes;
//  3. the HR system marks that person a leaver: after the next sync, it says no;
//  4. someone without the right to bind edit there cannot create such a DirectoryAccess (the policy);
//  5. deleting the DirectoryAccess deletes its RoleBinding.
//
// The manager is never refused a request (startManager's cleanup checks its log).
func TestDirectoryAccessLeaverLosesAccess(t *testing.T) {
	kubeconfig := operatorIdentity(t)
	installAdmissionPolicy(t)
	ns, web := newNamespace(t, "e2e-access-"), newNamespace(t, "e2e-access-web-")
	hr := startFakeHR(t, smallCompany)
	mgr := startManager(t, "manager", kubeconfig)
	watch := []*utils.Process{mgr.Process, hr.Process}
	dirKey := createDirectory(t, ns, "breathe", hr)
	waitReady(t, dirKey, smallCompany, firstSyncTimeout, watch...)
	leaver, group := pickActiveMember(t, dirKey)
	subject := "oidc:" + strings.ToLower(leaver.Spec.Email)
	t.Logf("the leaver will be %s (%s) of DirectoryGroup %s", leaver.Spec.ExternalID, subject, group)

	accKey := types.NamespacedName{Namespace: ns, Name: "eng-edit"}
	applyAccess(t, "", accKey, dirKey.Name, group, web)
	acc := waitAccessReason(t, accKey, dirsyncv1alpha1.ReasonNotPermitted, watch...)
	if msg := readyMessage(acc); !strings.Contains(msg, "namespace "+web) || !strings.Contains(msg, "ClusterRole edit") {
		t.Errorf("NotPermitted message should name namespace %s and ClusterRole edit: %s", web, msg)
	}
	var bindings rbacv1.RoleBindingList
	if err := k8s.List(callCtx(t), &bindings, client.InNamespace(web)); err != nil || len(bindings.Items) != 0 {
		t.Errorf("RoleBindings in %s before the opt-in: %d (%v); want none", web, len(bindings.Items), err)
	}
	expectCanI(t, subject, web, "no")

	mustKubectl(t, "create", "rolebinding", accessGrantor, "-n", web, "--clusterrole="+accessGrantor,
		"--serviceaccount="+operatorNamespace+":"+operatorServiceAccount)
	acc = waitAccessReason(t, accKey, dirsyncv1alpha1.ReasonBound, watch...)
	if acc.Status.Subjects == 0 || len(acc.Status.Bindings) != 1 || acc.Status.Bindings[0].Namespace != web {
		t.Fatalf("status after the opt-in: %+v", acc.Status)
	}
	expectCanI(t, subject, web, "yes")

	// HR marks the person a leaver; the next sync turns the DirectoryUser Inactive, and that update
	// takes them out of the RoleBinding.
	var co fakehr.Company
	hr.admin(t, http.MethodGet, "/admin/company", nil, &co)
	e := co.Employee(leaver.Spec.ExternalID)
	e.Status, e.LeavingDate = fakehr.Former, time.Now().UTC().AddDate(0, 0, -1).Format(time.DateOnly)
	hr.admin(t, http.MethodPut, "/admin/company", co, nil)
	synced := time.Now()
	forceSync(t, dirKey, syncTimeout, watch...)
	eventually(t, syncTimeout, "kubectl auth can-i --as="+subject+" to say no", func(context.Context) (bool, string) {
		out, _ := kubectl("", "auth", "can-i", "create", "deployments", "-n", web, "--as="+subject)
		return strings.TrimSpace(out) == "no", "can-i: " + strings.TrimSpace(out)
	}, watch...)
	t.Logf("access revoked %s after the sync request", time.Since(synced).Round(time.Millisecond))

	// The admission policy: jane may create DirectoryAccesses in ns but cannot bind edit in web herself.
	const jane = "jane@example.com"
	mustKubectl(t, "create", "role", "access-author", "-n", ns, "--verb=create,get", "--resource=directoryaccesses.dirsync.io")
	mustKubectl(t, "create", "rolebinding", "access-author", "-n", ns, "--role=access-author", "--user="+jane)
	denied := types.NamespacedName{Namespace: ns, Name: "jane-edit"}
	eventually(t, syncTimeout, "the admission policy to refuse jane's DirectoryAccess", func(context.Context) (bool, string) {
		err := tryApplyAccess(jane, denied, dirKey.Name, group, web)
		if err == nil {
			t.Fatalf("jane, who may not bind edit in %s, created a DirectoryAccess for it", web)
		}
		return strings.Contains(err.Error(), "you may not bind ClusterRole edit in namespace "+web), err.Error()
	}, watch...)

	if err := k8s.Delete(callCtx(t), acc); err != nil {
		t.Fatal(err)
	}
	eventually(t, syncTimeout, "the RoleBinding in "+web+" to be deleted with its DirectoryAccess", func(ctx context.Context) (bool, string) {
		var l rbacv1.RoleBindingList
		if err := k8s.List(ctx, &l, client.InNamespace(web), client.MatchingLabels{dirsyncv1alpha1.LabelManagedBy: "dirsync"}); err != nil {
			return false, err.Error()
		}
		return len(l.Items) == 0, fmt.Sprintf("%d managed RoleBindings left", len(l.Items))
	}, watch...)
}

// Issue 21's tampering and fail-closed paths from the outside, with the real manager and a real
// control plane (garbage collection included):
//  1. the cluster admin (acting as a tenant would in their namespace) adds mallory to dirsync's
//     RoleBinding: dirsync removes her, and `kubectl auth can-i --as=mallory` says no;
//  2. someone strips the RoleBinding's labels: dirsync puts them back and keeps managing it;
//  3. the Directory is deleted: its users go (garbage collection), the DirectoryAccess turns
//     DirectoryNotFound and revokes everyone it bound: the member's `can-i` turns no.
func TestDirectoryAccessResistsTamperingAndFailsClosed(t *testing.T) {
	kubeconfig := operatorIdentity(t)
	installAdmissionPolicy(t)
	ns, web := newNamespace(t, "e2e-tamper-"), newNamespace(t, "e2e-tamper-web-")
	hr := startFakeHR(t, smallCompany)
	mgr := startManager(t, "manager", kubeconfig)
	watch := []*utils.Process{mgr.Process, hr.Process}
	dirKey := createDirectory(t, ns, "breathe", hr)
	waitReady(t, dirKey, smallCompany, firstSyncTimeout, watch...)
	member, group := pickActiveMember(t, dirKey)
	subject := "oidc:" + strings.ToLower(member.Spec.Email)
	mustKubectl(t, "create", "rolebinding", accessGrantor, "-n", web, "--clusterrole="+accessGrantor,
		"--serviceaccount="+operatorNamespace+":"+operatorServiceAccount)
	accKey := types.NamespacedName{Namespace: ns, Name: "eng-edit"}
	applyAccess(t, "", accKey, dirKey.Name, group, web)
	acc := waitAccessReason(t, accKey, dirsyncv1alpha1.ReasonBound, watch...)
	rb := acc.Status.Bindings[0].Name
	expectCanI(t, subject, web, "yes")

	const mallory = "oidc:mallory@example.com"
	mustKubectl(t, "patch", "rolebinding", rb, "-n", web, "--type=json",
		"-p", `[{"op":"add","path":"/subjects/-","value":{"kind":"User","apiGroup":"rbac.authorization.k8s.io","name":"`+mallory+`"}}]`)
	eventually(t, syncTimeout, "dirsync to remove the subject added by hand", func(context.Context) (bool, string) {
		out, _ := kubectl("", "auth", "can-i", "create", "deployments", "-n", web, "--as="+mallory)
		return strings.TrimSpace(out) == "no", "can-i --as=" + mallory + ": " + strings.TrimSpace(out)
	}, watch...)

	mustKubectl(t, "label", "rolebinding", rb, "-n", web, dirsyncv1alpha1.LabelManagedBy+"-", dirsyncv1alpha1.LabelAccess+"-",
		dirsyncv1alpha1.LabelAccessUID+"-")
	eventually(t, syncTimeout, "dirsync to put its labels back", func(context.Context) (bool, string) {
		out, err := kubectl("", "get", "rolebinding", rb, "-n", web, "-o", "jsonpath={.metadata.labels}")
		return err == nil && strings.Contains(out, dirsyncv1alpha1.LabelAccessUID), "labels: " + out
	}, watch...)
	expectCanI(t, subject, web, "yes")

	mustKubectl(t, "delete", "directory", dirKey.Name, "-n", ns)
	waitAccessReason(t, accKey, dirsyncv1alpha1.ReasonDirectoryNotFound, watch...)
	eventually(t, syncTimeout, "the member to lose access with the Directory", func(context.Context) (bool, string) {
		out, _ := kubectl("", "auth", "can-i", "create", "deployments", "-n", web, "--as="+subject)
		return strings.TrimSpace(out) == "no", "can-i --as=" + subject + ": " + strings.TrimSpace(out)
	}, watch...)
}

// pickActiveMember returns an Active DirectoryUser with an e-mail, started and not leaving, and one of its groups.
func pickActiveMember(t *testing.T, dir types.NamespacedName) (dirsyncv1alpha1.DirectoryUser, string) {
	t.Helper()
	var users dirsyncv1alpha1.DirectoryUserList
	if err := k8s.List(callCtx(t), &users, client.InNamespace(dir.Namespace), client.MatchingLabels{dirsyncv1alpha1.LabelDirectory: dir.Name}); err != nil {
		t.Fatal(err)
	}
	today := time.Now().UTC().Format(time.DateOnly)
	for _, u := range users.Items {
		if u.Spec.State == dirsyncv1alpha1.UserStateActive && u.Spec.Email != "" && len(u.Spec.Groups) > 0 &&
			u.Spec.EndDate == "" && u.Spec.StartDate < today {
			return u, u.Spec.Groups[0]
		}
	}
	t.Fatalf("no Active member with an e-mail among %d users", len(users.Items))
	return dirsyncv1alpha1.DirectoryUser{}, ""
}

// accessYAML is a DirectoryAccess binding group's members to edit in target, as oidc:<lower e-mail>.
func accessYAML(key types.NamespacedName, directory, group, target string) string {
	return fmt.Sprintf(`apiVersion: dirsync.io/v1alpha1
kind: DirectoryAccess
metadata: {name: %s, namespace: %s}
spec:
  directoryRef: {name: %s}
  groups: [%s]
  roleRef: {kind: ClusterRole, name: edit}
  target: {namespaces: [%s]}
  subject: {kind: User, template: 'oidc:{{ lower .Email }}'}
`, key.Name, key.Namespace, directory, group, target)
}

// applyAccess creates the DirectoryAccess with kubectl, as admin or (as non-empty) as that user.
func applyAccess(t *testing.T, as string, key types.NamespacedName, directory, group, target string) {
	t.Helper()
	if err := tryApplyAccess(as, key, directory, group, target); err != nil {
		t.Fatal(err)
	}
}

func tryApplyAccess(as string, key types.NamespacedName, directory, group, target string) error {
	args := []string{"create", "-f", "-"}
	if as != "" {
		args = append(args, "--as="+as)
	}
	_, err := kubectl(accessYAML(key, directory, group, target), args...)
	return err
}

func waitAccessReason(t *testing.T, key types.NamespacedName, reason string, watch ...*utils.Process) *dirsyncv1alpha1.DirectoryAccess {
	t.Helper()
	acc := &dirsyncv1alpha1.DirectoryAccess{}
	eventually(t, syncTimeout, fmt.Sprintf("DirectoryAccess %s to be %s", key, reason), func(ctx context.Context) (bool, string) {
		if err := k8s.Get(ctx, key, acc); err != nil {
			return false, err.Error()
		}
		c := meta.FindStatusCondition(acc.Status.Conditions, dirsyncv1alpha1.ConditionReady)
		if c == nil {
			return false, "no Ready condition"
		}
		return c.Reason == reason && acc.Status.ObservedGeneration == acc.Generation, c.Reason + ": " + c.Message
	}, watch...)
	return acc
}

func readyMessage(acc *dirsyncv1alpha1.DirectoryAccess) string {
	if c := meta.FindStatusCondition(acc.Status.Conditions, dirsyncv1alpha1.ConditionReady); c != nil {
		return c.Message
	}
	return ""
}

// expectCanI checks `kubectl auth can-i create deployments -n ns --as=user`.
func expectCanI(t *testing.T, user, ns, want string) {
	t.Helper()
	out, _ := kubectl("", "auth", "can-i", "create", "deployments", "-n", ns, "--as="+user)
	if got := strings.TrimSpace(out); got != want {
		t.Errorf("kubectl auth can-i create deployments -n %s --as=%s: %q, want %q", ns, user, got, want)
	}
}

var (
	admissionOnce sync.Once
	admissionErr  error
)

// installAdmissionPolicy applies config/default's ValidatingAdmissionPolicy and its binding, once.
func installAdmissionPolicy(t *testing.T) {
	t.Helper()
	admissionOnce.Do(func() { admissionErr = applyKinds("ValidatingAdmissionPolicy", "ValidatingAdmissionPolicyBinding") })
	if admissionErr != nil {
		t.Fatalf("installing the admission policy from config/default: %v", admissionErr)
	}
}

// applyKinds applies the objects of the given kinds that `kubectl kustomize config/default` renders (the
// DirectoryAccess and DirectoryWebhook policies and their bindings, for the admission kinds).
func applyKinds(kinds ...string) error {
	rendered, err := kubectl("", "kustomize", "config/default")
	if err != nil {
		return err
	}
	var items []map[string]any
	dec := utilyaml.NewYAMLOrJSONDecoder(strings.NewReader(rendered), 4096)
	for {
		var obj map[string]any
		if err := dec.Decode(&obj); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			return err
		}
		for _, k := range kinds {
			if obj["kind"] == k {
				items = append(items, obj)
			}
		}
	}
	for _, k := range kinds {
		if !slices.ContainsFunc(items, func(o map[string]any) bool { return o["kind"] == k }) {
			return fmt.Errorf("config/default renders no %s", k)
		}
	}
	list, err := json.Marshal(map[string]any{"apiVersion": "v1", "kind": "List", "items": items})
	if err != nil {
		return err
	}
	_, err = kubectl(string(list), "apply", "--server-side", "-f", "-")
	return err
}
