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

package manifests

import (
	"slices"
	"strconv"
	"strings"
	"testing"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
)

const grantorRole = "dirsync-access-grantor"

// The operator as installed may read RoleBindings and Namespaces and manage DirectoryAccesses, and no
// more: it cannot write any RBAC object, bind, escalate or impersonate anywhere (issue 14, point 4).
func TestManagerCannotGrantAccessByDefault(t *testing.T) {
	r := manifests(t)
	dep, _ := manager(t)
	for _, p := range grantedToServiceAccount(t, r, serviceAccount(dep)) {
		for _, v := range p.Verbs {
			if v == "escalate" || v == "impersonate" || v == "bind" {
				t.Errorf("the manager may %s: %+v", v, p)
			}
		}
		if slices.Contains(p.APIGroups, rbacv1.GroupName) {
			for _, v := range p.Verbs {
				if v != "get" && v != "list" && v != "watch" {
					t.Errorf("the manager may %s %v of %s by default; writing RBAC must be opted in per namespace", v, p.Resources, rbacv1.GroupName)
				}
			}
			for _, res := range p.Resources {
				if res != "rolebindings" {
					t.Errorf("the manager may read %s.%s; it needs only rolebindings", res, rbacv1.GroupName)
				}
			}
		}
		if slices.Contains(p.APIGroups, "") && slices.Contains(p.Resources, "namespaces") {
			for _, v := range p.Verbs {
				if v != "get" && v != "list" && v != "watch" {
					t.Errorf("the manager may %s namespaces; it only reads their labels", v)
				}
			}
		}
	}
}

// dirsync-access-grantor is shipped but bound nowhere, and grants exactly: write rolebindings, and
// bind the allow-listed ClusterRoles by name (view, edit). No escalate, impersonate, role writes,
// wildcards, or cluster-admin/admin.
func TestAccessGrantorIsOptInAndNarrow(t *testing.T) {
	r := manifests(t)
	var grantor *rbacv1.ClusterRole
	for _, cr := range decodeAll[rbacv1.ClusterRole](t, r, "ClusterRole") {
		if cr.Name == grantorRole {
			grantor = &cr
		}
	}
	if grantor == nil {
		t.Fatalf("config/default renders no ClusterRole %s", grantorRole)
	}
	for _, b := range decodeAll[rbacv1.ClusterRoleBinding](t, r, "ClusterRoleBinding") {
		if b.RoleRef.Name == grantorRole {
			t.Errorf("ClusterRoleBinding %s binds %s: it must only ever be bound per namespace, by an administrator", b.Name, grantorRole)
		}
	}
	for _, b := range decodeAll[rbacv1.RoleBinding](t, r, "RoleBinding") {
		if b.RoleRef.Name == grantorRole {
			t.Errorf("RoleBinding %s/%s binds %s by default; the install must grant nothing new", b.Namespace, b.Name, grantorRole)
		}
	}
	var bindNames []string
	for _, p := range grantor.Rules {
		for _, f := range [][]string{p.Verbs, p.Resources, p.APIGroups, p.ResourceNames} {
			if slices.Contains(f, "*") {
				t.Errorf("%s has a wildcard: %+v", grantorRole, p)
			}
		}
		if !slices.Equal(p.APIGroups, []string{rbacv1.GroupName}) || len(p.NonResourceURLs) > 0 {
			t.Errorf("%s has a rule outside %s: %+v", grantorRole, rbacv1.GroupName, p)
			continue
		}
		for _, res := range p.Resources {
			switch res {
			case "rolebindings":
				for _, v := range p.Verbs {
					if !slices.Contains([]string{"create", "update", "patch", "delete", "get", "list", "watch"}, v) {
						t.Errorf("%s may %s rolebindings", grantorRole, v)
					}
				}
			case "clusterroles", "roles":
				if !slices.Equal(p.Verbs, []string{"bind"}) {
					t.Errorf("%s may %v %s; only bind is allowed (never escalate or writes)", grantorRole, p.Verbs, res)
				}
				if len(p.ResourceNames) == 0 {
					t.Errorf("%s may bind any %s: bind must be limited by resourceNames", grantorRole, res)
				}
				bindNames = append(bindNames, p.ResourceNames...)
			default:
				t.Errorf("%s grants %s; it needs only rolebindings and bind on roles", grantorRole, res)
			}
		}
	}
	slices.Sort(bindNames)
	if !slices.Equal(bindNames, []string{"edit", "view"}) {
		t.Errorf("%s may bind %v; the default allow-list is [edit view]", grantorRole, bindNames)
	}
}

// config/default installs the admission policy and its Deny binding, matching DirectoryAccess, with
// one per-namespace validation for each position the CRD allows in spec.target.namespaces, plus one
// for namespaceSelector: a policy with fewer would let a later namespace through unchecked.
func TestAdmissionPolicyChecksEveryTargetNamespace(t *testing.T) {
	r := manifests(t)
	policies := decodeAll[admissionregistrationv1.ValidatingAdmissionPolicy](t, r, "ValidatingAdmissionPolicy")
	bindings := decodeAll[admissionregistrationv1.ValidatingAdmissionPolicyBinding](t, r, "ValidatingAdmissionPolicyBinding")
	var policy *admissionregistrationv1.ValidatingAdmissionPolicy
	for i := range policies {
		for _, rule := range policies[i].Spec.MatchConstraints.ResourceRules {
			if slices.Contains(rule.Resources, "directoryaccesses") {
				policy = &policies[i]
			}
		}
	}
	if policy == nil {
		t.Fatal("config/default renders no ValidatingAdmissionPolicy matching directoryaccesses")
	}
	if policy.Spec.FailurePolicy == nil || *policy.Spec.FailurePolicy != admissionregistrationv1.Fail {
		t.Error("the policy must fail closed (failurePolicy: Fail)")
	}
	bound := false
	for _, b := range bindings {
		bound = bound || (b.Spec.PolicyName == policy.Name && slices.Contains(b.Spec.ValidationActions, admissionregistrationv1.Deny))
	}
	if !bound {
		t.Errorf("no ValidatingAdmissionPolicyBinding with validationActions [Deny] binds policy %s", policy.Name)
	}
	maxItems := int64(-1)
	for _, crd := range decodeAll[apiextensionsv1.CustomResourceDefinition](t, r, "CustomResourceDefinition") {
		if crd.Spec.Names.Kind != "DirectoryAccess" {
			continue
		}
		ns := crd.Spec.Versions[0].Schema.OpenAPIV3Schema.Properties["spec"].Properties["target"].Properties["namespaces"]
		if ns.MaxItems != nil {
			maxItems = *ns.MaxItems
		}
	}
	if maxItems < 1 {
		t.Fatal("the DirectoryAccess CRD does not cap spec.target.namespaces (maxItems); the policy can only check a bounded list")
	}
	for i := range maxItems {
		ref := "variables.namespaces[" + strconv.FormatInt(i, 10) + "]"
		if !slices.ContainsFunc(policy.Spec.Validations, func(v admissionregistrationv1.Validation) bool {
			return strings.Contains(v.Expression, ref) && strings.Contains(v.Expression, "check('bind')") &&
				strings.Contains(v.Expression, "check('create')")
		}) {
			t.Errorf("no validation checks bind and create rolebindings in %s", ref)
		}
	}
	if !slices.ContainsFunc(policy.Spec.Validations, func(v admissionregistrationv1.Validation) bool {
		return strings.Contains(v.Expression, "namespaceSelector") && strings.Contains(v.Expression, "check('bind')")
	}) {
		t.Error("no validation checks the creator's cluster-wide bind for namespaceSelector")
	}
}
