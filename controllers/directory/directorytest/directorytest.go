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

// Package directorytest is the Directory's story harness, for the tests of the controllers that run a
// Directory controller against envtest (controllers/directory, and the DirectoryAccess stories, which
// run end to end: fake HR → Directory → DirectoryUsers → DirectoryAccess → RoleBindings). A Harness is
// one Directory in its own namespace, pointing at its own fake HR server; its methods drive and read it
// through an uncached client. It imports no controller: the suites start the controllers themselves.
package directorytest

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	dirsyncv1alpha1 "github.com/dirsync/dirsync/api/v1alpha1"
	"github.com/dirsync/dirsync/controllers/internal/verdict"
	"github.com/dirsync/dirsync/internal/provider"
	apfake "github.com/dirsync/dirsync/internal/provider/accesspeoplehr/fake"
	"github.com/dirsync/dirsync/internal/provider/breathehr"
	breathefake "github.com/dirsync/dirsync/internal/provider/breathehr/fake"
	"github.com/dirsync/dirsync/internal/provider/fakehr"
	"github.com/dirsync/dirsync/internal/provider/registry"
	"github.com/dirsync/dirsync/internal/testenv"
)

// Timeout bounds every wait of a Harness.
const Timeout = 30 * time.Second

// ProviderCase is one provider's fake, for the provider-independent scenario tables.
type ProviderCase struct {
	Name     string
	Provider dirsyncv1alpha1.ProviderType
	IDs      fakehr.IDStyle
	Start    func(c fakehr.Company) fakehr.Server
}

// ProviderCases has a case for every provider type (a test in controllers/directory checks it).
var ProviderCases = []ProviderCase{
	{Name: "BreatheHR", Provider: dirsyncv1alpha1.ProviderBreatheHR, IDs: fakehr.NumericIDs,
		Start: func(c fakehr.Company) fakehr.Server { return breathefake.NewServer(c) }},
	{Name: "AccessPeopleHR", Provider: dirsyncv1alpha1.ProviderAccessPeopleHR, IDs: fakehr.PrefixedIDs,
		Start: func(c fakehr.Company) fakehr.Server { return apfake.NewServer(c) }},
}

// FakeHosts are the hosts the fakes listen on (127.0.0.1, any port): the stories' managers allow them,
// as `--allowed-endpoint-hosts=127.0.0.1` does for a manager run against local fakes.
var FakeHosts = []provider.AllowedHost{{Host: "127.0.0.1"}}

// Providers is registry.Default, except that the Breathe HR client gives up at the first 429 instead
// of waiting a minute for the window to clear (the fault tests check the controller's backoff, and the
// client's own waits are tested in its package), and that every provider also allows FakeHosts, as
// the manager's --allowed-endpoint-hosts would: so that each suite running a Directory controller
// against the fakes reaches them, and no other host.
func Providers() registry.Registry {
	r := registry.Default()
	r[dirsyncv1alpha1.ProviderBreatheHR] = breathehr.NewFactory(breathehr.WithRateLimitWaits(0))
	for t, f := range r {
		r[t] = func(cfg provider.Config) (provider.Provider, error) {
			cfg.AllowedHosts = append(slices.Clone(cfg.AllowedHosts), FakeHosts...)
			return f(cfg)
		}
	}
	return r
}

// Harness is one Directory, "acme", in its own namespace, pointing at its own fake server.
type Harness struct {
	T    *testing.T
	Ctx  context.Context
	Case ProviderCase
	Srv  fakehr.Server
	NS   string
	Key  client.ObjectKey
	// Client reads the API server directly (uncached).
	Client client.Client
}

var requestSeq atomic.Int64

// NextValue is a value no annotation or label of this test run has had.
func NextValue() string { return "v" + strconv.FormatInt(requestSeq.Add(1), 10) }

// New starts pc's fake with a generated company of employees (as of today), and creates a namespace,
// the Secret with the fake's key and a Directory pointing at the fake, changed by mutate (if any).
func New(t *testing.T, c client.Client, pc ProviderCase, employees int, today time.Time, mutate func(*dirsyncv1alpha1.Directory)) *Harness {
	t.Helper()
	testenv.Require(t)
	ctx := context.Background()
	company := fakehr.Generate(fakehr.GenerateOptions{Seed: 42, Employees: employees, Departments: 4, IDs: pc.IDs, Today: today})
	srv := pc.Start(company)
	t.Cleanup(srv.Close)
	ns := testenv.NewNamespace(t, c, "dirsync-test-")
	h := &Harness{T: t, Ctx: ctx, Case: pc, Srv: srv, NS: ns, Key: client.ObjectKey{Namespace: ns, Name: "acme"}, Client: c}
	secret := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "hr-key", Namespace: ns},
		StringData: map[string]string{"apiKey": srv.APIKey()}}
	h.must(c.Create(ctx, secret))
	dir := &dirsyncv1alpha1.Directory{
		ObjectMeta: metav1.ObjectMeta{Name: "acme", Namespace: ns},
		Spec: dirsyncv1alpha1.DirectorySpec{
			Provider:             pc.Provider,
			CredentialsSecretRef: dirsyncv1alpha1.SecretKeyReference{Name: "hr-key"},
			Endpoint:             srv.URL(),
		},
	}
	if mutate != nil {
		mutate(dir)
	}
	h.must(c.Create(ctx, dir))
	t.Cleanup(func() { _ = c.Delete(ctx, dir) })
	return h
}

func (h *Harness) must(err error) {
	h.T.Helper()
	if err != nil {
		h.T.Fatal(err)
	}
}

// Directory reads the Directory.
func (h *Harness) Directory() *dirsyncv1alpha1.Directory {
	h.T.Helper()
	d := &dirsyncv1alpha1.Directory{}
	h.must(h.Client.Get(h.Ctx, h.Key, d))
	return d
}

// WaitReason waits until the Directory's Ready condition has reason, for its current generation.
func (h *Harness) WaitReason(reason string) *dirsyncv1alpha1.Directory {
	h.T.Helper()
	var d *dirsyncv1alpha1.Directory
	testenv.Eventually(h.T, Timeout, func() (bool, string) {
		d = h.Directory()
		c := verdict.Ready(d)
		if c == nil {
			return false, "no Ready condition yet"
		}
		return c.Reason == reason && d.Status.LastAttemptedGeneration == d.Generation,
			fmt.Sprintf("Ready=%s %s: %s (generation %d, attempted %d)", c.Status, c.Reason, c.Message, d.Generation, d.Status.LastAttemptedGeneration)
	})
	return d
}

// ForceSync sets a new sync-requested-at value and waits until a sync has answered it.
func (h *Harness) ForceSync() *dirsyncv1alpha1.Directory {
	h.T.Helper()
	return h.SyncWith(nil)
}

// SyncWith applies mutate (if any) to the Directory together with a new sync-requested-at value, in one
// patch, and waits until a sync has answered that request.
func (h *Harness) SyncWith(mutate func(*dirsyncv1alpha1.Directory)) *dirsyncv1alpha1.Directory {
	h.T.Helper()
	value := NextValue()
	d := h.Directory()
	patch := client.MergeFrom(d.DeepCopy())
	if mutate != nil {
		mutate(d)
	}
	if d.Annotations == nil {
		d.Annotations = map[string]string{}
	}
	d.Annotations[dirsyncv1alpha1.AnnotationSyncRequestedAt] = value
	h.must(h.Client.Patch(h.Ctx, d, patch))
	testenv.Eventually(h.T, Timeout, func() (bool, string) {
		d = h.Directory()
		return d.Status.LastHandledSyncRequest == value, "sync request " + value + " not answered yet"
	})
	return d
}

// Users returns the namespace's DirectoryUsers by externalID.
func (h *Harness) Users() map[string]dirsyncv1alpha1.DirectoryUser {
	h.T.Helper()
	var l dirsyncv1alpha1.DirectoryUserList
	h.must(h.Client.List(h.Ctx, &l, client.InNamespace(h.NS)))
	out := map[string]dirsyncv1alpha1.DirectoryUser{}
	for _, u := range l.Items {
		out[u.Spec.ExternalID] = u
	}
	return out
}

// Groups returns the department groups by display name.
func (h *Harness) Groups() map[string]dirsyncv1alpha1.DirectoryGroup {
	h.T.Helper()
	var l dirsyncv1alpha1.DirectoryGroupList
	h.must(h.Client.List(h.Ctx, &l, client.InNamespace(h.NS)))
	out := map[string]dirsyncv1alpha1.DirectoryGroup{}
	for _, g := range l.Items {
		if g.Spec.Type == dirsyncv1alpha1.GroupTypeDepartment {
			out[g.Spec.DisplayName] = g
		}
	}
	return out
}

// Events returns the reasons of the Events regarding the Directory, sorted.
func (h *Harness) Events() []string {
	h.T.Helper()
	var l eventsv1.EventList
	h.must(h.Client.List(h.Ctx, &l, client.InNamespace(h.NS)))
	var reasons []string
	for _, e := range l.Items {
		if e.Regarding.Kind == "Directory" && e.Regarding.Name == h.Key.Name {
			reasons = append(reasons, e.Reason)
		}
	}
	slices.Sort(reasons)
	return reasons
}

// WaitEvent waits until an Event regarding the Directory has reason.
func (h *Harness) WaitEvent(reason string) {
	h.T.Helper()
	testenv.Eventually(h.T, 10*time.Second, func() (bool, string) {
		got := h.Events()
		return slices.Contains(got, reason), fmt.Sprintf("no %s event; have %v", reason, got)
	})
}
