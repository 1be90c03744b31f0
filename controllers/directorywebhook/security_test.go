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

package directorywebhook

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	dirsyncv1alpha1 "github.com/dirsync/dirsync/api/v1alpha1"
	"github.com/dirsync/dirsync/controllers/directory/directorytest"
	"github.com/dirsync/dirsync/internal/testenv"
)

// installPolicy creates the DirectoryWebhook admission policy and its binding from config/admission, once.
var installPolicy = sync.OnceValue(func() error {
	root, err := testenv.Root()
	if err != nil {
		return err
	}
	var policy admissionregistrationv1.ValidatingAdmissionPolicy
	var binding admissionregistrationv1.ValidatingAdmissionPolicyBinding
	for file, obj := range map[string]any{"directorywebhook_policy.yaml": &policy, "directorywebhook_policy_binding.yaml": &binding} {
		b, err := os.ReadFile(filepath.Join(root, "config", "admission", file))
		if err != nil {
			return err
		}
		if err := yaml.UnmarshalStrict(b, obj); err != nil {
			return fmt.Errorf("%s: %w", file, err)
		}
	}
	for _, o := range []client.Object{&policy, &binding} {
		if err := k8sClient.Create(context.Background(), o); err != nil {
			return err
		}
	}
	return nil
})

// as is a client that acts as user, who holds the given rules in namespace ns.
func as(t *testing.T, ns, user string, rules ...rbacv1.PolicyRule) client.Client {
	t.Helper()
	role := &rbacv1.Role{ObjectMeta: metav1.ObjectMeta{Name: user, Namespace: ns}, Rules: rules}
	must(t, k8sClient.Create(t.Context(), role))
	must(t, k8sClient.Create(t.Context(), &rbacv1.RoleBinding{ObjectMeta: metav1.ObjectMeta{Name: user, Namespace: ns},
		RoleRef:  rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "Role", Name: user},
		Subjects: []rbacv1.Subject{{Kind: rbacv1.UserKind, APIGroup: rbacv1.GroupName, Name: user}}}))
	cfg := rest.CopyConfig(restConfig)
	cfg.Impersonate = rest.ImpersonationConfig{UserName: user, Groups: []string{"system:authenticated"}}
	c, err := client.New(cfg, client.Options{Scheme: suite.Scheme})
	must(t, err)
	return c
}

// Only someone who may list the namespace's DirectoryUsers, and read the signing Secret they name, may
// create a DirectoryWebhook or point one elsewhere (config/admission): otherwise it would be a way to
// read the staff directory, or to steal its pending events. Other changes are not checked.
func TestAdmissionPolicyGuardsWhereAWebhookSends(t *testing.T) {
	w := newWorld(t)
	must(t, installPolicy())
	webhooks := rbacv1.PolicyRule{APIGroups: []string{"dirsync.io"}, Resources: []string{"directorywebhooks"}, Verbs: []string{"create", "get", "update", "patch"}}
	readUsers := rbacv1.PolicyRule{APIGroups: []string{"dirsync.io"}, Resources: []string{"directoryusers"}, Verbs: []string{"list"}}
	readSigning := rbacv1.PolicyRule{APIGroups: []string{""}, Resources: []string{"secrets"}, ResourceNames: []string{"signing"}, Verbs: []string{"get"}}
	outsider := as(t, w.ns, "outsider", webhooks, readSigning)
	reader := as(t, w.ns, "reader", webhooks, readUsers, readSigning)

	newHook := func(name, secret string) *dirsyncv1alpha1.DirectoryWebhook {
		return &dirsyncv1alpha1.DirectoryWebhook{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: w.ns},
			Spec: dirsyncv1alpha1.DirectoryWebhookSpec{DirectoryRef: dirsyncv1alpha1.DirectoryReference{Name: "acme"},
				URL: "https://app.example/hook", SecretRef: dirsyncv1alpha1.WebhookSecretReference{Name: secret}}}
	}
	forbidden := func(err error, says string) {
		t.Helper()
		if !apierrors.IsForbidden(err) && !apierrors.IsInvalid(err) || err == nil || !strings.Contains(err.Error(), says) {
			t.Errorf("want a refusal saying %q; got %v", says, err)
		}
	}
	eventually(t, func() (bool, string) { // the policy takes a moment to be enforced
		err := outsider.Create(t.Context(), newHook("probe", "signing"), client.DryRunAll)
		return apierrors.IsForbidden(err) || apierrors.IsInvalid(err), describe("the outsider could still create a webhook (%v)", err)
	})
	forbidden(outsider.Create(t.Context(), newHook("leak", "signing")), "you may not list directoryusers in namespace "+w.ns)
	forbidden(reader.Create(t.Context(), newHook("borrowed", "someone-elses")), "you may not get Secret someone-elses")
	hook := newHook("app", "signing")
	must(t, reader.Create(t.Context(), hook))

	// The outsider may change how it sends, not where.
	hook.Spec.Format = dirsyncv1alpha1.WebhookFormatCloudEvents
	hook.Spec.Events = []dirsyncv1alpha1.WebhookEventType{dirsyncv1alpha1.EventUserDeleted}
	must(t, outsider.Update(t.Context(), hook))
	hook.Spec.URL = "https://attacker.example/steal"
	forbidden(outsider.Update(t.Context(), hook), "you may not list directoryusers")
	must(t, reader.Get(t.Context(), client.ObjectKeyFromObject(hook), hook))
	hook.Spec.URL = "https://app.example/v2/hook"
	must(t, reader.Update(t.Context(), hook))

	// directoryRef cannot change at all (the CRD), whoever asks.
	hook.Spec.DirectoryRef.Name = "other"
	if err := k8sClient.Update(t.Context(), hook); !apierrors.IsInvalid(err) || !strings.Contains(err.Error(), "directoryRef cannot be changed") {
		t.Errorf("changing directoryRef: %v", err)
	}
}

// Bodies carry only the README's allowlisted fields: with the Directory controller reading each HR fake
// (whose employees have dates of birth, NI numbers, personal e-mails and phones, addresses and salaries),
// no key outside the allowlist and none of those values reach the receiver.
func TestDirectoryWebhookBodiesCarryOnlyAllowlistedFields(t *testing.T) {
	startOperator(t, operatorOptions{directory: true})
	for _, pc := range directorytest.ProviderCases {
		t.Run(pc.Name, func(t *testing.T) {
			h := directorytest.New(t, k8sClient, pc, 15, time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC), nil)
			d := h.WaitReason(dirsyncv1alpha1.ReasonSynced)
			must(t, k8sClient.Create(h.Ctx, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "signing", Namespace: h.NS},
				StringData: map[string]string{"secret": testSecret}}))
			rc := newReceiver(t, "WorkOS-Signature")
			hook := &dirsyncv1alpha1.DirectoryWebhook{ObjectMeta: metav1.ObjectMeta{Name: "app", Namespace: h.NS},
				Spec: dirsyncv1alpha1.DirectoryWebhookSpec{DirectoryRef: dirsyncv1alpha1.DirectoryReference{Name: "acme"}, URL: rc.srv.URL,
					SecretRef: dirsyncv1alpha1.WebhookSecretReference{Name: "signing"}}}
			must(t, k8sClient.Create(h.Ctx, hook))
			t.Cleanup(func() { _ = k8sClient.Delete(h.Ctx, hook) })
			users := int(d.Status.UserCount)
			rc.waitFor(t, "everyone", func(ds []delivery) bool {
				n := 0
				for _, x := range ds {
					if x.typ() == "dsync.user.created" {
						n++
					}
				}
				return n == users
			})
			var bodies strings.Builder
			for _, x := range rc.deliveries() {
				bodies.Write(x.body)
				checkKeys(t, x.typ(), x.data())
			}
			for _, e := range h.Srv.Company().Employees {
				for _, personal := range []string{e.DateOfBirth, e.NINumber, e.PersonalEmail, e.PersonalMobile, e.Address1, e.Postcode, `"` + e.Salary + `"`} {
					if personal != "" && personal != `""` && strings.Contains(bodies.String(), personal) {
						t.Fatalf("personal data %q of employee %s reached the receiver", personal, e.ID)
					}
				}
			}
		})
	}
}

// Allowlists of the keys of event data, by the object they describe.
var (
	userKeys = []string{"object", "id", "directory_id", "idp_id", "first_name", "last_name", "username", "emails", "state",
		"custom_attributes", "groups", "created_at", "updated_at"}
	customAttributeKeys = []string{"display_name", "preferred_name", "job_title", "employment_status", "employment_type",
		"location", "division", "company", "manager_id", "manager_email", "manager_directory_user_id", "start_date", "end_date"}
	groupKeys = []string{"object", "id", "directory_id", "idp_id", "name", "type", "created_at", "updated_at"}
)

// checkKeys fails for a key of an event's data outside the allowlists.
func checkKeys(t *testing.T, typ string, data map[string]any) {
	t.Helper()
	only := func(what string, m map[string]any, allowed []string) {
		for k := range m {
			if !slices.Contains(allowed, k) {
				t.Errorf("%s: %s has key %q, which is not allowlisted", typ, what, k)
			}
		}
	}
	user := func(u map[string]any) {
		only("a person", u, userKeys)
		attrs, _ := u["custom_attributes"].(map[string]any)
		only("custom_attributes", attrs, customAttributeKeys)
		groups, _ := u["groups"].([]any)
		for _, g := range groups {
			gm, _ := g.(map[string]any)
			only("a person's group", gm, groupKeys)
		}
	}
	switch {
	case strings.Contains(typ, "user_added") || strings.Contains(typ, "user_removed"):
		only("a membership", data, []string{"directory_id", "user", "group"})
		u, _ := data["user"].(map[string]any)
		user(u)
		g, _ := data["group"].(map[string]any)
		only("a group", g, groupKeys)
	case strings.Contains(typ, "group."):
		only("a group", data, groupKeys)
	default:
		user(data)
	}
}
