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
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	dirsyncv1alpha1 "github.com/dirsync/dirsync/api/v1alpha1"
	"github.com/dirsync/dirsync/controllers/directory/directorytest"
	"github.com/dirsync/dirsync/controllers/internal/verdict"
	apfake "github.com/dirsync/dirsync/internal/provider/accesspeoplehr/fake"
	breathefake "github.com/dirsync/dirsync/internal/provider/breathehr/fake"
	"github.com/dirsync/dirsync/internal/provider/fakehr"
	"github.com/dirsync/dirsync/internal/provider/registry"
	"github.com/dirsync/dirsync/internal/testenv"
)

// TestInsecureEndpointIsRefusedBeforeAnyRequest: without --allow-insecure-endpoints an http://
// endpoint fails the sync with InsecureEndpoint, and the API key is never sent.
func TestInsecureEndpointIsRefusedBeforeAnyRequest(t *testing.T) {
	for _, pc := range directorytest.ProviderCases {
		t.Run(pc.Name, func(t *testing.T) {
			srv := pc.Start(fakehr.Generate(fakehr.GenerateOptions{Seed: 1, Employees: 5, IDs: pc.IDs, Today: testClock.Now()}))
			t.Cleanup(srv.Close)
			r := &Reconciler{Providers: registry.Default(), Clock: testClock, ProviderTimeout: 2 * time.Second, AllowedEndpointHosts: directorytest.FakeHosts}
			dir := &dirsyncv1alpha1.Directory{
				ObjectMeta: metav1.ObjectMeta{Namespace: "team-a", Name: "acme"},
				Spec: dirsyncv1alpha1.DirectorySpec{Provider: pc.Provider, Endpoint: srv.URL(),
					CredentialsSecretRef: dirsyncv1alpha1.SecretKeyReference{Name: "hr-key"}},
			}
			snap, err := r.fetch(t.Context(), dir, srv.APIKey(), nil, nil)
			f := reasonFor(err, dir, srv.APIKey())
			reason, message := f.reason, f.message
			if snap != nil || reason != dirsyncv1alpha1.ReasonInsecureEndpoint {
				t.Fatalf("fetch = %v, %v → %s; want InsecureEndpoint", snap, err, reason)
			}
			if !strings.Contains(message, srv.URL()) || !strings.Contains(message, "https://") {
				t.Errorf("message %q should name the endpoint and ask for https://", message)
			}
			if n := srv.Requests(); n != 0 {
				t.Fatalf("the fake received %d requests over http://", n)
			}

			// The same reconciler with the flag on reaches the fake: the flag alone is the gate.
			r.AllowInsecureEndpoints = true
			if snap, err := r.fetch(t.Context(), dir, srv.APIKey(), nil, nil); err != nil || len(snap.Employees) != 5 || srv.Requests() == 0 {
				t.Fatalf("with AllowInsecureEndpoints: %v, %v", snap, err)
			}
		})
	}
}

// tlsFake is a fake HR server behind TLS with a self-signed certificate that nobody trusts.
type tlsFake struct {
	fakehr.Server
	ts *httptest.Server
}

func (f tlsFake) Close() { f.ts.Close() }

// startTLS serves a provider's fake over https:// with httptest's self-signed certificate.
func startTLS(pc directorytest.ProviderCase, c fakehr.Company) fakehr.Server {
	var s interface {
		fakehr.Server
		Handler() http.Handler
		SetURL(string)
	}
	switch pc.Provider {
	case dirsyncv1alpha1.ProviderBreatheHR:
		s = breathefake.New(c, "")
	case dirsyncv1alpha1.ProviderAccessPeopleHR:
		s = apfake.New(c, apfake.DefaultAPIKey)
	default:
		panic("no TLS fake for " + pc.Provider)
	}
	ts := httptest.NewUnstartedServer(s.Handler())
	ts.Config.ErrorLog = log.New(io.Discard, "", 0) // the refused handshakes are expected
	ts.StartTLS()
	s.SetURL(ts.URL)
	return tlsFake{Server: s, ts: ts}
}

// TestTLSCertificatesAreAlwaysVerified: an https:// endpoint whose certificate does not verify is
// ProviderUnavailable, even though the suite's manager allows http:// endpoints; no request reaches it.
func TestTLSCertificatesAreAlwaysVerified(t *testing.T) {
	testenv.Require(t)
	for _, pc := range directorytest.ProviderCases {
		t.Run(pc.Name, func(t *testing.T) {
			tlsPC := pc
			tlsPC.Start = func(c fakehr.Company) fakehr.Server { return startTLS(pc, c) }
			h := newHarness(t, tlsPC, 5, nil)
			if !strings.HasPrefix(h.Srv.URL(), "https://") {
				t.Fatalf("endpoint %s is not https://", h.Srv.URL())
			}
			d := h.WaitReason(dirsyncv1alpha1.ReasonProviderUnavailable)
			if !strings.Contains(verdict.Ready(d).Message, "certificate") {
				t.Errorf("message %q does not say the certificate failed", verdict.Ready(d).Message)
			}
			waitWarning(h, dirsyncv1alpha1.ReasonProviderUnavailable)
			if n := h.Srv.Requests(); n != 0 || len(h.Users()) != 0 || d.Status.LastSuccessfulSyncTime != nil {
				t.Fatalf("%d requests reached the server, %d users exist, lastSuccessfulSyncTime %v; want none",
					n, len(h.Users()), d.Status.LastSuccessfulSyncTime)
			}
		})
	}
}
