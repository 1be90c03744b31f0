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

// The attacks of issue 21 on the access path, each as a tenant would mount it: the tenant is an
// impersonated user with only the rights the story gives them (usually the built-in admin role in one
// target namespace), the operator runs as its ServiceAccount with config/rbac, and the API server
// authorizes both with RBAC. Each of these tests failed on the code before the fix it names.

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/rest"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	dirsyncv1alpha1 "github.com/dirsync/dirsync/api/v1alpha1"
	"github.com/dirsync/dirsync/internal/provider/fakehr"
	"github.com/dirsync/dirsync/internal/testenv"
)

// mallory is the subject a hostile tenant wants bound in namespaces they do not administer.
const mallory = "oidc:mallory@example.com"

// tenant is a client for the administrator of namespace ns (one that a DirectoryAccess may target), and
// nothing else: they manage RoleBindings there and may bind edit and view there, as the built-in admin
// role allows (envtest runs no controller that aggregates the built-in roles, so the test spells it out).
func (w *accessWorld) tenant(ns string) client.Client {
	w.T.Helper()
	user := "tenant-admin@" + ns
	must(w.T, k8sClient.Create(w.Ctx, &rbacv1.Role{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "tenant-admin"},
		Rules: []rbacv1.PolicyRule{
			{APIGroups: []string{rbacv1.GroupName}, Resources: []string{"rolebindings", "roles"}, Verbs: []string{"*"}},
			{APIGroups: []string{rbacv1.GroupName}, Resources: []string{"clusterroles"}, Verbs: []string{"bind"}, ResourceNames: []string{"edit", "view"}},
		}}))
	must(w.T, k8sClient.Create(w.Ctx, &rbacv1.RoleBinding{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "tenant-admin"},
		RoleRef:  rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "Role", Name: "tenant-admin"},
		Subjects: []rbacv1.Subject{{Kind: rbacv1.UserKind, APIGroup: rbacv1.GroupName, Name: user}}}))
	cfg := rest.CopyConfig(restConfig)
	cfg.Impersonate = rest.ImpersonationConfig{UserName: user, Groups: []string{"system:authenticated"}}
	c, err := client.New(cfg, client.Options{Scheme: k8sClient.Scheme()})
	must(w.T, err)
	testenv.Eventually(w.T, accessTimeout, func() (bool, string) { // the RoleBinding reaches the authorizer
		var l rbacv1.RoleBindingList
		err := c.List(w.Ctx, &l, client.InNamespace(ns))
		return err == nil, fmt.Sprintf("the tenant cannot list RoleBindings in %s yet: %v", ns, err)
	})
	return c
}

// recorded is the RoleBinding the DirectoryAccess's status says it manages in ns, read from the API
// server; nil when the status names none there or it does not exist.
func (w *accessWorld) recorded(key types.NamespacedName, ns string) *rbacv1.RoleBinding {
	w.T.Helper()
	for _, b := range w.access(key).Status.Bindings {
		if b.Namespace != ns {
			continue
		}
		rb := &rbacv1.RoleBinding{}
		err := k8sClient.Get(w.Ctx, types.NamespacedName{Namespace: ns, Name: b.Name}, rb)
		if apierrors.IsNotFound(err) {
			return nil
		}
		must(w.T, err)
		return rb
	}
	return nil
}

// neverBinds fails if, at any poll during d, the RoleBinding the DirectoryAccess manages in ns binds
// subject.
func (w *accessWorld) neverBinds(key types.NamespacedName, ns, subject string, d time.Duration) {
	w.T.Helper()
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		if rb := w.recorded(key, ns); rb != nil && slices.Contains(subjectNames(rb), subject) {
			w.T.Fatalf("the RoleBinding %s/%s binds %s: %v", ns, rb.Name, subject, subjectNames(rb))
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// waitRecorded waits until the RoleBinding the DirectoryAccess records in ns binds exactly want.
func (w *accessWorld) waitRecorded(key types.NamespacedName, ns string, want []string) *rbacv1.RoleBinding {
	w.T.Helper()
	var rb *rbacv1.RoleBinding
	testenv.Eventually(w.T, accessTimeout, func() (bool, string) {
		rb = w.recorded(key, ns)
		if rb == nil {
			return false, "no recorded RoleBinding in " + ns
		}
		got := subjectNames(rb)
		return slices.Equal(got, want), fmt.Sprintf("RoleBinding %s/%s binds %v, want %v", ns, rb.Name, got, want)
	})
	return rb
}

func addSubjects(rb *rbacv1.RoleBinding, subjects ...rbacv1.Subject) {
	rb.Subjects = append(rb.Subjects, subjects...)
}

func user(name string) rbacv1.Subject {
	return rbacv1.Subject{Kind: rbacv1.UserKind, APIGroup: rbacv1.GroupName, Name: name}
}

// The admin of one target namespace adds people to dirsync's RoleBinding there, while the revocation
// guard holds revocations (maxRevokePercent 0). Before the fix the "still bound" set was read back from
// every labelled RoleBinding and written into every target, so mallory (and a ServiceAccount, which the
// template check never sees) reached prod.
func TestAttackATargetAdminCannotCopySubjectsIntoOtherNamespaces(t *testing.T) {
	testenv.Require(t)
	w := newAccessWorld(t, alice, bob)
	dev, prod := w.target(true), w.target(true)
	key := w.createAccess([]string{dev, prod}, func(a *dirsyncv1alpha1.DirectoryAccess) {
		a.Spec.RevocationGuard.MaxRevokePercent = ptr.To[int32](0)
	})
	want := []string{alice.subject(), bob.subject()}
	w.waitRecorded(key, dev, want)
	w.waitRecorded(key, prod, want)
	w.waitAccess(key, dirsyncv1alpha1.ReasonBound)

	devAdmin := w.tenant(dev)
	rb := w.recorded(key, dev)
	testenv.Update(t, devAdmin, rb, func(rb *rbacv1.RoleBinding) {
		addSubjects(rb, user(mallory), user("system:serviceaccount:"+dev+":builder"),
			rbacv1.Subject{Kind: rbacv1.GroupKind, APIGroup: rbacv1.GroupName, Name: "system:masters"})
	})
	// Foreign subjects are tampering: removed from dev, never copied to prod.
	w.waitRecorded(key, dev, want)
	w.neverBinds(key, prod, mallory, 3*time.Second)
	w.neverBinds(key, prod, "system:serviceaccount:"+dev+":builder", 100*time.Millisecond)
	w.waitRecorded(key, prod, want)
}

// Forged subjects must not count: a tenant adds 20 names to their binding, then one real person
// leaves. Before the fix the 20 forged names inflated the revocations past the guard's 50%, so the
// real leaver was held (and the forged names were copied everywhere).
func TestAttackForgedSubjectsNeitherCountNorHoldARealLeaver(t *testing.T) {
	testenv.Require(t)
	var team []person
	for i := range 5 {
		team = append(team, person{id: fmt.Sprint(5200 + i), email: fmt.Sprintf("t%02d@example.com", i), status: fakehr.Current, dept: "eng"})
	}
	w := newAccessWorld(t, team...)
	dev, prod := w.target(true), w.target(true)
	key := w.createAccess([]string{dev, prod})
	var all []string
	for _, p := range team {
		all = append(all, p.subject())
	}
	slices.Sort(all)
	w.waitRecorded(key, dev, all)
	w.waitRecorded(key, prod, all)
	w.waitAccess(key, dirsyncv1alpha1.ReasonBound)

	devAdmin := w.tenant(dev)
	testenv.Update(t, devAdmin, w.recorded(key, dev), func(rb *rbacv1.RoleBinding) {
		for i := range 20 {
			addSubjects(rb, user(fmt.Sprintf("oidc:forged%02d@example.com", i)))
		}
	})
	left := team[0]
	left.status = fakehr.Former
	w.setPeople(append([]person{left}, team[1:]...)...)
	for _, ns := range []string{dev, prod} {
		w.waitRecorded(key, ns, all[1:])
	}
	if a := w.waitAccess(key, dirsyncv1alpha1.ReasonBound); a.Status.HeldRevocations != 0 {
		t.Errorf("heldRevocations %d after forged subjects and one leaver, want 0", a.Status.HeldRevocations)
	}
}

// A tenant creates, in a namespace dirsync may write, a RoleBinding carrying dirsync's labels for the
// DirectoryAccess. Before the fix it counted as the DirectoryAccess's: its subjects were bound in the
// real targets and dirsync deleted it (a RoleBinding it never created).
func TestAttackLabelledRoleBindingsOfOthersAreIgnored(t *testing.T) {
	testenv.Require(t)
	w := newAccessWorld(t, alice, bob)
	dev, prod := w.target(true), w.target(true)
	key := w.createAccess([]string{prod})
	want := []string{alice.subject(), bob.subject()}
	w.waitRecorded(key, prod, want)

	devAdmin := w.tenant(dev)
	forged := &rbacv1.RoleBinding{ObjectMeta: metav1.ObjectMeta{Namespace: dev, Name: "looks-like-dirsync",
		Labels: map[string]string{dirsyncv1alpha1.LabelManagedBy: dirsyncv1alpha1.ManagedByDirsync,
			dirsyncv1alpha1.LabelAccess: accessLabelValue(key.Namespace, key.Name)},
		Annotations: map[string]string{dirsyncv1alpha1.AnnotationAccess: key.String()}},
		RoleRef:  rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: "view"},
		Subjects: []rbacv1.Subject{user(mallory)}}
	must(t, devAdmin.Create(w.Ctx, forged))
	w.neverBinds(key, prod, mallory, 3*time.Second)
	got := &rbacv1.RoleBinding{}
	must(t, k8sClient.Get(w.Ctx, client.ObjectKeyFromObject(forged), got))
	if !slices.Equal(subjectNames(got), []string{mallory}) || got.RoleRef.Name != "view" {
		t.Errorf("dirsync changed a RoleBinding it did not create: %+v", got)
	}
	w.waitRecorded(key, prod, want)
}

// The admin of a target strips dirsync's labels from its RoleBinding there. Before the fix dirsync
// then disowned it (NotPermitted, nothing granted anywhere) and never revoked in it again: a leaver kept
// access in that namespace for good.
func TestAttackStrippedLabelsArePutBackAndLeaversStillRevoked(t *testing.T) {
	testenv.Require(t)
	w := newAccessWorld(t, alice, bob)
	dev, prod := w.target(true), w.target(true)
	key := w.createAccess([]string{dev, prod})
	want := []string{alice.subject(), bob.subject()}
	w.waitRecorded(key, dev, want)
	w.waitRecorded(key, prod, want)

	devAdmin := w.tenant(dev)
	testenv.Update(t, devAdmin, w.recorded(key, dev), func(rb *rbacv1.RoleBinding) { rb.Labels = nil })
	bobLeft := bob
	bobLeft.status = fakehr.Former
	w.setPeople(alice, bobLeft)
	for _, ns := range []string{dev, prod} {
		w.waitRecorded(key, ns, []string{alice.subject()})
	}
	testenv.Eventually(t, accessTimeout, func() (bool, string) {
		rb := w.recorded(key, dev)
		return rb != nil && rb.Labels[dirsyncv1alpha1.LabelManagedBy] == dirsyncv1alpha1.ManagedByDirsync,
			fmt.Sprintf("labels of the RoleBinding in %s: %v", dev, rb.Labels)
	})
	w.waitAccess(key, dirsyncv1alpha1.ReasonBound)
}

// The admin of one target creates, before dirsync does, a RoleBinding with the name dirsync would
// use. Before the fix that blocked every grant in every namespace (NotPermitted).
func TestAttackASquattedNameBlocksNoGrant(t *testing.T) {
	testenv.Require(t)
	w := newAccessWorld(t, alice, bob)
	dev, prod := w.target(true), w.target(true)
	devAdmin := w.tenant(dev)
	squat := &rbacv1.RoleBinding{ObjectMeta: metav1.ObjectMeta{Namespace: dev,
		Name: accessBindingName(&dirsyncv1alpha1.DirectoryAccess{ObjectMeta: metav1.ObjectMeta{Namespace: w.NS, Name: "eng"}})},
		RoleRef:  rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: "view"},
		Subjects: []rbacv1.Subject{user(mallory)}}
	must(t, devAdmin.Create(w.Ctx, squat))
	key := w.createAccess([]string{dev, prod})
	want := []string{alice.subject(), bob.subject()}
	w.waitRecorded(key, prod, want)
	rb := w.waitRecorded(key, dev, want)
	if rb.Name == squat.Name {
		t.Errorf("dirsync took over the squatted RoleBinding %s/%s", dev, squat.Name)
	}
	got := &rbacv1.RoleBinding{}
	must(t, k8sClient.Get(w.Ctx, client.ObjectKeyFromObject(squat), got))
	if !slices.Equal(subjectNames(got), []string{mallory}) {
		t.Errorf("the squatted RoleBinding changed: %v", subjectNames(got))
	}
	w.waitAccess(key, dirsyncv1alpha1.ReasonBound)
}

// A write that fails in one namespace (here an admission policy refuses every RoleBinding update
// there) must not stop the revocation in the others, and status must not say Bound. Before the fix the
// first failing write ended the reconcile: the namespaces after it kept the leaver.
func TestAttackAFailingNamespaceDoesNotBlockRevocationsElsewhere(t *testing.T) {
	testenv.Require(t)
	w := newAccessWorld(t, alice, bob)
	a, b := w.target(true), w.target(true)
	first, second := min(a, b), max(a, b) // the writes go in namespace order
	key := w.createAccess([]string{first, second})
	want := []string{alice.subject(), bob.subject()}
	w.waitRecorded(key, first, want)
	w.waitRecorded(key, second, want)
	w.waitAccess(key, dirsyncv1alpha1.ReasonBound)

	refuseRoleBindingUpdates(t, w, first)
	bobLeft := bob
	bobLeft.status = fakehr.Former
	w.setPeople(alice, bobLeft)
	w.waitRecorded(key, second, []string{alice.subject()})
	acc := w.waitAccess(key, dirsyncv1alpha1.ReasonApplyFailed)
	if msg := meta.FindStatusCondition(acc.Status.Conditions, dirsyncv1alpha1.ConditionReady).Message; !strings.Contains(msg, first) {
		t.Errorf("Ready does not name the failing namespace %s: %s", first, msg)
	}
}

// refuseRoleBindingUpdates installs, for the rest of the test, a ValidatingAdmissionPolicy that refuses
// every update and deletion of a RoleBinding in ns.
func refuseRoleBindingUpdates(t *testing.T, w *accessWorld, ns string) {
	t.Helper()
	labelNamespace(t, ns, "refuse-"+ns)
	name := "refuse-rolebinding-writes-" + ns
	policy := &admissionregistrationv1.ValidatingAdmissionPolicy{ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: admissionregistrationv1.ValidatingAdmissionPolicySpec{
			FailurePolicy: ptr.To(admissionregistrationv1.Fail),
			MatchConstraints: &admissionregistrationv1.MatchResources{ResourceRules: []admissionregistrationv1.NamedRuleWithOperations{{
				RuleWithOperations: admissionregistrationv1.RuleWithOperations{
					Operations: []admissionregistrationv1.OperationType{admissionregistrationv1.Update, admissionregistrationv1.Delete},
					Rule:       admissionregistrationv1.Rule{APIGroups: []string{rbacv1.GroupName}, APIVersions: []string{"*"}, Resources: []string{"rolebindings"}},
				}}}},
			Validations: []admissionregistrationv1.Validation{{Expression: "false", Message: "RoleBindings are frozen in this namespace"}},
		}}
	binding := &admissionregistrationv1.ValidatingAdmissionPolicyBinding{ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: admissionregistrationv1.ValidatingAdmissionPolicyBindingSpec{PolicyName: name,
			ValidationActions: []admissionregistrationv1.ValidationAction{admissionregistrationv1.Deny},
			MatchResources: &admissionregistrationv1.MatchResources{NamespaceSelector: &metav1.LabelSelector{
				MatchLabels: map[string]string{"dirsync-test/team": "refuse-" + ns}}}}}
	must(t, k8sClient.Create(w.Ctx, policy))
	must(t, k8sClient.Create(w.Ctx, binding))
	t.Cleanup(func() {
		_ = k8sClient.Delete(context.Background(), binding)
		_ = k8sClient.Delete(context.Background(), policy)
	})
	probe := &rbacv1.RoleBinding{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "probe-" + name},
		RoleRef: rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: "view"}}
	must(t, k8sClient.Create(w.Ctx, probe))
	testenv.Eventually(t, accessTimeout, func() (bool, string) { // the policy reaches admission
		p := probe.DeepCopy()
		err := k8sClient.Get(w.Ctx, client.ObjectKeyFromObject(p), p)
		if err == nil {
			p.Subjects = append(p.Subjects, user(fmt.Sprint("probe-", time.Now().UnixNano())))
			err = k8sClient.Update(w.Ctx, p)
		}
		return err != nil && strings.Contains(err.Error(), "frozen"), fmt.Sprintf("updating a RoleBinding in %s: %v", ns, err)
	})
}

// With maxRevokePercent 0, one leaver must still lose access: revocations at or below the guard's
// floor (3) are never held. Before the fix 0 held every data-driven revocation, even one.
func TestAttackOneLeaverIsNeverHeld(t *testing.T) {
	testenv.Require(t)
	w := newAccessWorld(t, alice, bob)
	web := w.target(true)
	key := w.createAccess([]string{web}, func(a *dirsyncv1alpha1.DirectoryAccess) {
		a.Spec.RevocationGuard.MaxRevokePercent = ptr.To[int32](0)
	})
	w.waitRecorded(key, web, []string{alice.subject(), bob.subject()})
	bobLeft := bob
	bobLeft.status = fakehr.Former
	w.setPeople(alice, bobLeft)
	w.waitRecorded(key, web, []string{alice.subject()})
	w.waitAccess(key, dirsyncv1alpha1.ReasonBound)
}

// Someone who may edit DirectoryAccesses strips the finalizer and deletes it. Before the fix its
// RoleBindings stayed, with nothing left to revoke them.
func TestAttackAStrippedFinalizerLeavesNoRoleBindingBehind(t *testing.T) {
	testenv.Require(t)
	w := newAccessWorld(t, alice)
	web, api := w.target(true), w.target(true)
	key := w.createAccess([]string{web, api})
	w.waitRecorded(key, web, []string{alice.subject()})
	w.waitRecorded(key, api, []string{alice.subject()})
	names := map[string]string{}
	for _, b := range w.access(key).Status.Bindings {
		names[b.Namespace] = b.Name
	}
	testenv.Update(t, k8sClient, w.access(key), func(a *dirsyncv1alpha1.DirectoryAccess) { a.Finalizers = nil })
	must(t, k8sClient.Delete(w.Ctx, w.access(key)))
	for ns, name := range names {
		testenv.Eventually(t, accessTimeout, func() (bool, string) {
			err := k8sClient.Get(w.Ctx, types.NamespacedName{Namespace: ns, Name: name}, &rbacv1.RoleBinding{})
			return apierrors.IsNotFound(err), fmt.Sprintf("the orphaned RoleBinding %s/%s is still there (%v)", ns, name, err)
		})
	}
}

// The Directory is deleted. Before the fix the DirectoryAccess froze (DirectoryNotReady) and kept every
// binding for good: with the Directory gone, nothing would ever revoke anyone again.
func TestAttackADeletedDirectoryRevokesEveryone(t *testing.T) {
	testenv.Require(t)
	w := newAccessWorld(t, alice, bob)
	web := w.target(true)
	key := w.createAccess([]string{web})
	w.waitRecorded(key, web, []string{alice.subject(), bob.subject()})
	must(t, k8sClient.Delete(w.Ctx, w.Directory())) // envtest runs no garbage collector: the users stay
	w.waitRecorded(key, web, []string{})
	w.waitAccess(key, dirsyncv1alpha1.ReasonDirectoryNotFound)
	testenv.Eventually(t, accessTimeout, func() (bool, string) {
		ev := w.accessEvents(key)
		return slices.Contains(ev, dirsyncv1alpha1.ReasonDirectoryNotFound), fmt.Sprintf("events %v", ev)
	})
}

// The Directory is suspended and its data grows old. Before the fix a suspended (or dry-run, or
// failing) Directory froze every binding forever; now, past the staleness limit (24h by default),
// everyone it bound is revoked.
func TestAttackAStaleDirectoryRevokesEveryone(t *testing.T) {
	testenv.Require(t)
	w := newAccessWorld(t, alice, bob)
	web := w.target(true)
	key := w.createAccess([]string{web})
	w.waitRecorded(key, web, []string{alice.subject(), bob.subject()})
	testenv.Update(t, k8sClient, w.Directory(), func(d *dirsyncv1alpha1.Directory) { d.Spec.Suspend = ptr.To(true) })
	w.waitAccess(key, dirsyncv1alpha1.ReasonDirectoryNotReady)
	if rb := w.recorded(key, web); rb == nil || len(rb.Subjects) != 2 {
		t.Fatalf("a freshly suspended Directory's people lost access: %v", rb)
	}
	accessClock.setNow(directoryClock.Now().Add(25 * time.Hour))
	touchAccess(t, w, key)
	w.waitRecorded(key, web, []string{})
	w.waitAccess(key, dirsyncv1alpha1.ReasonDirectoryStale)
}

// touchAccess makes the DirectoryAccess reconcile now (an annotation change is no spec change).
func touchAccess(t *testing.T, w *accessWorld, key types.NamespacedName) {
	t.Helper()
	testenv.Update(t, k8sClient, w.access(key), func(a *dirsyncv1alpha1.DirectoryAccess) {
		if a.Labels == nil {
			a.Labels = map[string]string{}
		}
		a.Labels["dirsync-test/touched"] = fmt.Sprint(time.Now().UnixNano())
	})
}

// Someone allowed to create DirectoryUsers in the Directory's namespace (but not to change the HR
// data) creates one labelled as the Directory's. Before the fix it was one of the Directory's people.
func TestAttackADirectoryUserNotControlledByTheDirectoryIsNobody(t *testing.T) {
	testenv.Require(t)
	w := newAccessWorld(t, alice)
	web := w.target(true)
	key := w.createAccess([]string{web})
	w.waitRecorded(key, web, []string{alice.subject()})
	fake := &dirsyncv1alpha1.DirectoryUser{ObjectMeta: metav1.ObjectMeta{Namespace: w.NS, Name: "planted",
		Labels: map[string]string{dirsyncv1alpha1.LabelDirectory: w.Key.Name}},
		Spec: dirsyncv1alpha1.DirectoryUserSpec{DirectoryRef: dirsyncv1alpha1.DirectoryReference{Name: w.Key.Name}, ExternalID: "9999",
			Email: "mallory@example.com", State: dirsyncv1alpha1.UserStateActive, Groups: []string{w.eng}}}
	must(t, k8sClient.Create(w.Ctx, fake))
	w.neverBinds(key, web, mallory, 3*time.Second)
}

// The admission policy that keeps dirsync from being a confused deputy is missing (a partial install,
// or someone deleted its binding). Before the fix dirsync granted anyway; now it refuses to grant.
func TestAttackNoAdmissionPolicyNoGrants(t *testing.T) {
	testenv.Require(t)
	w := newAccessWorld(t, alice, bob)
	web := w.target(true)
	var binding admissionregistrationv1.ValidatingAdmissionPolicyBinding
	must(t, k8sClient.Get(w.Ctx, types.NamespacedName{Name: "dirsync-directoryaccess-requester-can-bind"}, &binding))
	must(t, k8sClient.Delete(w.Ctx, binding.DeepCopy()))
	t.Cleanup(func() {
		restored := &admissionregistrationv1.ValidatingAdmissionPolicyBinding{ObjectMeta: metav1.ObjectMeta{Name: binding.Name}, Spec: binding.Spec}
		must(t, k8sClient.Create(context.Background(), restored))
	})
	key := w.createAccess([]string{web})
	w.waitAccess(key, dirsyncv1alpha1.ReasonAdmissionPolicyMissing)
	if rb := w.recorded(key, web); rb != nil && len(rb.Subjects) > 0 {
		t.Errorf("granted without the admission policy: %v", subjectNames(rb))
	}
}

// HR data that keeps changing (a sync's writes, then another's, and so on) must not keep a leaver's
// access forever: the settle wait before revocations is bounded. Before the fix every DirectoryUser
// change restarted it, so under constant churn nobody was ever revoked.
func TestAttackChurnCannotDeferARevocationForever(t *testing.T) {
	testenv.Require(t)
	w := newAccessWorld(t, alice, bob, carol)
	web := w.target(true)
	key := w.createAccess([]string{web})
	w.waitRecorded(key, web, []string{alice.subject(), bob.subject()})

	ctx, stop := context.WithCancel(w.Ctx)
	defer stop()
	churn := w.Users()[carol.id] // someone of the Directory who is in no selected group
	go func() {
		for i := 0; ctx.Err() == nil; i++ {
			u := &dirsyncv1alpha1.DirectoryUser{}
			if k8sClient.Get(ctx, client.ObjectKeyFromObject(&churn), u) == nil {
				if u.Annotations == nil {
					u.Annotations = map[string]string{}
				}
				u.Annotations["dirsync-test/churn"] = fmt.Sprint(i)
				_ = k8sClient.Update(ctx, u)
			}
			time.Sleep(300 * time.Millisecond)
		}
	}()
	bobLeft := bob
	bobLeft.status = fakehr.Former
	w.setPeople(alice, bobLeft, carol)
	start := time.Now()
	w.waitRecorded(key, web, []string{alice.subject()})
	if took := time.Since(start); took > 3*testSettleLimit {
		t.Errorf("the leaver was revoked after %s under churn; the settle limit is %s", took, testSettleLimit)
	}
}

// A group too large for one RoleBinding is refused with a reason rather than written (an object the
// API server would reject, or one that no one can read). Revocations still go through.
func TestAttackARoleBindingTooLargeIsRefusedNotWritten(t *testing.T) {
	testenv.Require(t)
	var many []person
	for i := range 150 {
		many = append(many, person{id: fmt.Sprint(6000 + i), email: fmt.Sprintf("p%03d@example.com", i), status: fakehr.Current, dept: "eng"})
	}
	w := newAccessWorld(t, many[:10]...)
	web := w.target(true)
	key := w.createAccess([]string{web})
	var ten []string
	for _, p := range many[:10] {
		ten = append(ten, p.subject())
	}
	w.waitRecorded(key, web, ten)
	w.waitAccess(key, dirsyncv1alpha1.ReasonBound)

	// 140 join and the first leaves. The Directory writes them one at a time, so newcomers are bound while
	// they fit; past the limit nothing more is granted, and the leaver still goes.
	first := many[0]
	first.status = fakehr.Former
	w.setPeople(append([]person{first}, many[1:]...)...)
	w.waitAccess(key, dirsyncv1alpha1.ReasonBindingTooLarge)
	testenv.Eventually(t, accessTimeout, func() (bool, string) {
		rb := w.recorded(key, web)
		got := subjectNames(rb)
		size := 0
		for _, s := range got {
			size += len(s) + 64
		}
		return !slices.Contains(got, first.subject()) && size <= testMaxBindingBytes && len(got) < len(many)-1,
			fmt.Sprintf("the RoleBinding binds %d subjects, about %d bytes (limit %d); the leaver bound: %v", len(got), size,
				testMaxBindingBytes, slices.Contains(got, first.subject()))
	})
}
