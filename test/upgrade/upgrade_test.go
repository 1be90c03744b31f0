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

// Package upgrade proves that objects written by the previous release converge under this one with no
// manual step: it installs the previous CRDs (testdata/crds-v0.1, where DirectoryUser and DirectoryGroup
// had a status subresource and an observedGeneration), writes objects exactly as that release did
// (create, then a status patch; hashed names for ids that are not lower-case), upgrades the CRDs and
// runs today's reconciler.
package upgrade

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/rest"
	clocktesting "k8s.io/utils/clock/testing"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"

	dirsyncv1alpha1 "github.com/dirsync/dirsync/api/v1alpha1"
	"github.com/dirsync/dirsync/controllers/directory"
	"github.com/dirsync/dirsync/controllers/directory/directorytest"
	"github.com/dirsync/dirsync/internal/provider"
	apfake "github.com/dirsync/dirsync/internal/provider/accesspeoplehr/fake"
	"github.com/dirsync/dirsync/internal/provider/fakehr"
	"github.com/dirsync/dirsync/internal/provider/registry"
	"github.com/dirsync/dirsync/internal/testenv"
)

// v01ObjectName is how the previous release named objects: the id when it was already a valid name
// part, otherwise the sanitised id plus a hash of the exact id.
func v01ObjectName(dirName, id string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(id) {
		if (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') {
			if dash && b.Len() > 0 {
				b.WriteByte('-')
			}
			dash = false
			b.WriteRune(r)
			continue
		}
		dash = true
	}
	part := b.String()
	if part == id && part != "" {
		return dirName + "-" + part
	}
	sum := sha256.Sum256([]byte(id))
	return dirName + "-" + part + "-" + hex.EncodeToString(sum[:])[:10]
}

func TestObjectsWrittenByThePreviousReleaseConverge(t *testing.T) {
	testenv.Require(t)
	env := &envtest.Environment{BinaryAssetsDirectory: testenv.Assets(),
		CRDDirectoryPaths: []string{filepath.Join("testdata", "crds-v0.1")}, ErrorIfCRDPathMissing: true}
	cfg, err := env.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = env.Stop() })
	scheme := testenv.Scheme()
	c, err := client.New(cfg, client.Options{Scheme: scheme})
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	now := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	clock := clocktesting.NewFakeClock(now)

	// The provider: Access People HR ids such as PW1, which the previous release hashed.
	srv := apfake.NewServer(fakehr.Generate(fakehr.GenerateOptions{Seed: 7, Employees: 12, Departments: 3, IDs: fakehr.PrefixedIDs, Today: now}))
	t.Cleanup(srv.Close)
	must(t, c.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "hr"}}))
	must(t, c.Create(ctx, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: "hr", Name: "key"}, StringData: map[string]string{"apiKey": srv.APIKey()}}))
	dir := &dirsyncv1alpha1.Directory{ObjectMeta: metav1.ObjectMeta{Namespace: "hr", Name: "acme"},
		Spec: dirsyncv1alpha1.DirectorySpec{Provider: dirsyncv1alpha1.ProviderAccessPeopleHR, Endpoint: srv.URL(),
			CredentialsSecretRef: dirsyncv1alpha1.SecretKeyReference{Name: "key"}}}
	must(t, c.Create(ctx, dir))
	uids := writeLikeThePreviousRelease(t, c, dir, srv, now)
	old := &unstructured.UnstructuredList{}
	old.SetGroupVersionKind(dirsyncv1alpha1.GroupVersion.WithKind("DirectoryUserList"))
	must(t, c.List(ctx, old, client.InNamespace("hr")))
	if g, found, _ := unstructured.NestedInt64(old.Items[0].Object, "status", "observedGeneration"); !found || g != 1 || len(uids) < 12 {
		t.Fatalf("the previous release's objects were not written as it wrote them: %v", old.Items[0].Object["status"])
	}

	// Upgrade the CRDs, then run today's reconciler.
	if _, err := envtest.InstallCRDs(cfg, envtest.CRDInstallOptions{Paths: []string{filepath.Join("..", "..", "config", "crd", "bases")}, ErrorIfPathMissing: true}); err != nil {
		t.Fatal(err)
	}
	var writes atomic.Int64
	mgrCfg := rest.CopyConfig(cfg)
	mgrCfg.Wrap(func(rt http.RoundTripper) http.RoundTripper {
		return testenv.RoundTripperFunc(func(r *http.Request) (*http.Response, error) {
			if r.Method != http.MethodGet && (strings.Contains(r.URL.Path, "/directoryusers") || strings.Contains(r.URL.Path, "/directorygroups")) {
				writes.Add(1)
			}
			return rt.RoundTrip(r)
		})
	})
	stop, err := testenv.StartManager(mgrCfg, scheme, func(mgr ctrl.Manager) error {
		return (&directory.Reconciler{Client: mgr.GetClient(), APIReader: mgr.GetAPIReader(), Scheme: scheme,
			Providers: registry.Default(), Clock: clock, Recorder: mgr.GetEventRecorder("dirsync"), AllowInsecureEndpoints: true,
			AllowedEndpointHosts: directorytest.FakeHosts}).SetupWithManager(mgr)
	})
	must(t, err)
	t.Cleanup(stop)

	d := forceSync(t, c, dir, "after-upgrade")
	if ready := meta.FindStatusCondition(d.Status.Conditions, dirsyncv1alpha1.ConditionReady); ready == nil || ready.Reason != dirsyncv1alpha1.ReasonSynced {
		t.Fatalf("Ready after the upgrade = %+v", ready)
	}
	objects := len(uids)
	if n := countObjects(t, c); n != objects {
		t.Fatalf("%d objects after the upgrade, %d before", n, objects)
	}
	if got := writes.Load(); got != int64(objects) { // each carried a stale observedGeneration: one patch each
		t.Errorf("converging took %d writes for %d objects; want exactly one each", got, objects)
	}
	// Same objects (names and UIDs: nothing recreated), each in today's shape.
	for _, kind := range []string{"DirectoryUserList", "DirectoryGroupList"} {
		l := &unstructured.UnstructuredList{}
		l.SetGroupVersionKind(dirsyncv1alpha1.GroupVersion.WithKind(kind))
		must(t, c.List(ctx, l, client.InNamespace("hr")))
		for _, o := range l.Items {
			if uids[o.GetName()] != o.GetUID() {
				t.Errorf("%s %s was recreated or renamed after the upgrade", o.GetKind(), o.GetName())
			}
			if _, found, _ := unstructured.NestedFieldNoCopy(o.Object, "status", "observedGeneration"); found {
				t.Errorf("%s %s still has status.observedGeneration", o.GetKind(), o.GetName())
			}
			conds, _, _ := unstructured.NestedSlice(o.Object, "status", "conditions")
			if len(conds) != 1 || conds[0].(map[string]any)["status"] != "True" || conds[0].(map[string]any)["observedGeneration"] != nil {
				t.Errorf("%s %s conditions = %v, want Synced=True without an observedGeneration", o.GetKind(), o.GetName(), conds)
			}
			if kind == "DirectoryGroupList" {
				if typ, _, _ := unstructured.NestedString(o.Object, "spec", "type"); typ != "Department" {
					t.Errorf("group %s type = %q, want Department", o.GetName(), typ)
				}
			}
		}
	}
	before := writes.Load()
	forceSync(t, c, dir, "second")
	if got := writes.Load() - before; got != 0 {
		t.Fatalf("a resync after the upgrade made %d writes", got)
	}
}

// writeLikeThePreviousRelease materializes the fake's company the way the previous release did: one
// create and one status patch per object, with observedGeneration, and returns name → UID.
func writeLikeThePreviousRelease(t *testing.T, c client.Client, dir *dirsyncv1alpha1.Directory, srv fakehr.Server, now time.Time) map[string]types.UID {
	t.Helper()
	ctx := t.Context()
	p, err := registry.Default().New(dir.Spec.Provider, provider.Config{APIKey: srv.APIKey(), BaseURL: mustURL(t, srv.URL()), AllowedHosts: directorytest.FakeHosts, HTTPClient: http.DefaultClient,
		Now: func() time.Time { return now }})
	must(t, err)
	snap, err := p.Fetch(ctx)
	must(t, err)
	owner := *metav1.NewControllerRef(dir, dirsyncv1alpha1.GroupVersion.WithKind("Directory"))
	objectMeta := func(name string) metav1.ObjectMeta {
		return metav1.ObjectMeta{Namespace: dir.Namespace, Name: name, Labels: map[string]string{dirsyncv1alpha1.LabelDirectory: dir.Name},
			OwnerReferences: []metav1.OwnerReference{owner}}
	}
	uids := map[string]types.UID{}
	members := map[string][]string{}
	for _, e := range snap.Employees {
		name := v01ObjectName(dir.Name, e.ExternalID)
		state, label := dirsyncv1alpha1.UserStateInactive, "inactive"
		if e.Active {
			state, label = dirsyncv1alpha1.UserStateActive, "active"
		}
		u := &dirsyncv1alpha1.DirectoryUser{ObjectMeta: objectMeta(name), Spec: dirsyncv1alpha1.DirectoryUserSpec{
			DirectoryRef: dirsyncv1alpha1.DirectoryReference{Name: dir.Name}, ExternalID: e.ExternalID, Email: e.Email,
			FirstName: e.FirstName, LastName: e.LastName, DisplayName: e.FirstName, JobTitle: e.JobTitle, State: state,
			EmploymentStatus: e.EmploymentStatus, ManagerExternalID: e.ManagerExternalID, StartDate: e.StartDate, EndDate: e.EndDate}}
		u.Labels[dirsyncv1alpha1.LabelState] = label
		for _, d := range e.DepartmentIDs {
			g := v01ObjectName(dir.Name, d)
			u.Spec.Groups = append(u.Spec.Groups, g)
			members[d] = append(members[d], name)
		}
		uids[name] = createThenPatchStatus(t, c, u, now)
	}
	for _, d := range snap.Departments {
		g := &dirsyncv1alpha1.DirectoryGroup{ObjectMeta: objectMeta(v01ObjectName(dir.Name, d.ExternalID)),
			Spec: dirsyncv1alpha1.DirectoryGroupSpec{DirectoryRef: dirsyncv1alpha1.DirectoryReference{Name: dir.Name}, ExternalID: d.ExternalID,
				DisplayName: d.Name, Members: sorted(members[d.ExternalID])}}
		uids[g.Name] = createThenPatchStatus(t, c, g, now)
	}
	return uids
}

// createThenPatchStatus writes obj as the previous release did: create (status ignored), then a status
// patch with observedGeneration on the status and on the Synced condition.
func createThenPatchStatus(t *testing.T, c client.Client, obj client.Object, now time.Time) types.UID {
	t.Helper()
	must(t, c.Create(t.Context(), obj))
	u := &unstructured.Unstructured{}
	kind := "DirectoryUser"
	if _, ok := obj.(*dirsyncv1alpha1.DirectoryGroup); ok {
		kind = "DirectoryGroup"
	}
	u.SetGroupVersionKind(dirsyncv1alpha1.GroupVersion.WithKind(kind))
	status := map[string]any{
		"observedGeneration": obj.GetGeneration(),
		"conditions": []any{map[string]any{"type": "Synced", "status": "True", "reason": "UpToDate", "message": "Matches the provider as of the last sync.",
			"observedGeneration": obj.GetGeneration(), "lastTransitionTime": now.Format(time.RFC3339)}},
	}
	if g, ok := obj.(*dirsyncv1alpha1.DirectoryGroup); ok {
		status["memberCount"] = int64(len(g.Spec.Members))
	}
	u.SetNamespace(obj.GetNamespace())
	u.SetName(obj.GetName())
	patch := fmt.Sprintf(`{"status":%s}`, mustJSON(t, status))
	must(t, c.Status().Patch(t.Context(), u, client.RawPatch("application/merge-patch+json", []byte(patch))))
	return obj.GetUID()
}

func countObjects(t *testing.T, c client.Client) int {
	t.Helper()
	var ul dirsyncv1alpha1.DirectoryUserList
	var gl dirsyncv1alpha1.DirectoryGroupList
	must(t, c.List(t.Context(), &ul, client.InNamespace("hr")))
	must(t, c.List(t.Context(), &gl, client.InNamespace("hr")))
	return len(ul.Items) + len(gl.Items)
}

// forceSync sets a new sync-requested-at value and waits until a sync has answered it.
func forceSync(t *testing.T, c client.Client, dir *dirsyncv1alpha1.Directory, value string) *dirsyncv1alpha1.Directory {
	t.Helper()
	d := &dirsyncv1alpha1.Directory{}
	must(t, c.Get(t.Context(), client.ObjectKeyFromObject(dir), d))
	patch := client.MergeFrom(d.DeepCopy())
	if d.Annotations == nil {
		d.Annotations = map[string]string{}
	}
	d.Annotations[dirsyncv1alpha1.AnnotationSyncRequestedAt] = value
	must(t, c.Patch(t.Context(), d, patch))
	testenv.Eventually(t, 30*time.Second, func() (bool, string) {
		if err := c.Get(t.Context(), client.ObjectKeyFromObject(dir), d); err != nil {
			return false, err.Error()
		}
		return d.Status.LastHandledSyncRequest == value, fmt.Sprintf("sync request %s not answered; status %+v", value, d.Status)
	})
	return d
}

func sorted(s []string) []string {
	out := slices.Clone(s)
	slices.Sort(out)
	return out
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func mustURL(t *testing.T, s string) *url.URL {
	t.Helper()
	u, err := url.Parse(s)
	must(t, err)
	return u
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	must(t, err)
	return string(b)
}
