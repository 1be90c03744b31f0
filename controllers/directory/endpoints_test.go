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
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	dirsyncv1alpha1 "github.com/dirsync/dirsync/api/v1alpha1"
	"github.com/dirsync/dirsync/controllers/directory/directorytest"
	"github.com/dirsync/dirsync/controllers/internal/verdict"
	"github.com/dirsync/dirsync/internal/provider"
	breathefake "github.com/dirsync/dirsync/internal/provider/breathehr/fake"
	"github.com/dirsync/dirsync/internal/provider/fakehr"
	"github.com/dirsync/dirsync/internal/provider/registry"
	"github.com/dirsync/dirsync/internal/testenv"
)

// attackerHost is the host a Directory editor points spec.endpoint at. httptest's certificate is
// valid for it, and the attacker's client below dials the attacker's server for it: to the manager,
// it is a real HTTPS host with a certificate it trusts, as the attacker's own domain would be.
const attackerHost = "example.com"

// attacker is an HTTPS server serving HR data its owner controls (a Breathe HR fake), counting the
// connections and requests it gets and the API keys they carry.
type attacker struct {
	ts          *httptest.Server
	mu          sync.Mutex
	connections int
	keys        []string
}

func startAttacker(t *testing.T) *attacker {
	t.Helper()
	a := &attacker{}
	hr := breathefake.New(fakehr.Generate(fakehr.GenerateOptions{Seed: 7, Employees: 3, Today: testClock.Now()}), "")
	a.ts = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		a.mu.Lock()
		a.keys = append(a.keys, breathefake.RequestKey(r))
		a.mu.Unlock()
		r.Header.Set("X-API-KEY", hr.APIKey()) // the attacker's server takes any key
		hr.Handler().ServeHTTP(w, r)
	}))
	a.ts.Config.ErrorLog = log.New(io.Discard, "", 0)
	a.ts.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			a.mu.Lock()
			a.connections++
			a.mu.Unlock()
		}
	}
	a.ts.StartTLS()
	hr.SetURL("https://" + attackerHost)
	t.Cleanup(a.ts.Close)
	return a
}

// seen returns the connections the attacker accepted and the API keys its requests carried.
func (a *attacker) seen() (int, []string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.connections, append([]string(nil), a.keys...)
}

// client is the manager's HTTP client as it would be on the attacker's network: attackerHost
// resolves to the attacker's server, whose certificate it trusts. Other hosts are dialled as usual.
func (a *attacker) client() *http.Client {
	roots := x509.NewCertPool()
	roots.AddCert(a.ts.Certificate())
	dialer := &net.Dialer{Timeout: 5 * time.Second}
	return &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{
		TLSClientConfig: &tls.Config{RootCAs: roots, MinVersion: tls.VersionTLS12},
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			if addr == attackerHost+":443" {
				addr = a.ts.Listener.Addr().String()
			}
			return dialer.DialContext(ctx, network, addr)
		},
	}}
}

// useClient makes the suite's reconciler use hc for Breathe HR until the test ends.
func useClient(t *testing.T, hc *http.Client) {
	t.Helper()
	old, had := suiteReconciler.httpClients.Load(dirsyncv1alpha1.ProviderBreatheHR)
	suiteReconciler.httpClients.Store(dirsyncv1alpha1.ProviderBreatheHR, hc)
	t.Cleanup(func() {
		if had {
			suiteReconciler.httpClients.Store(dirsyncv1alpha1.ProviderBreatheHR, old)
		} else {
			suiteReconciler.httpClients.Delete(dirsyncv1alpha1.ProviderBreatheHR)
		}
	})
}

// Issue 21: whoever may edit a Directory could point spec.endpoint at their own host. The manager
// then sent the Directory's API key there, and materialized the HR data that host served, which
// every DirectoryAccess on the Directory binds. Now an endpoint outside the provider's known hosts
// (and the manager's --allowed-endpoint-hosts) is Ready=False InvalidSpec with a message naming the
// flag and the chart value, and no connection, so no key, reaches the host.
func TestEndpointOutsideTheAllowedHostsGetsNoRequestAndNoKey(t *testing.T) {
	testenv.Require(t)
	evil := startAttacker(t)
	useClient(t, evil.client())
	h := newHarness(t, directorytest.ProviderCases[0], 3, func(d *dirsyncv1alpha1.Directory) {
		d.Spec.Endpoint = "https://" + attackerHost + "/v1"
	})
	key := h.Srv.APIKey()
	var d *dirsyncv1alpha1.Directory
	testenv.Eventually(t, directorytest.Timeout, func() (bool, string) {
		if conns, _ := evil.seen(); conns > 0 {
			return true, "" // the attack landed: no need to wait for the Ready condition
		}
		d = h.Directory()
		c := verdict.Ready(d)
		return c != nil && d.Status.LastAttemptedGeneration == d.Generation, fmt.Sprintf("Ready %+v", c)
	})
	if conns, keys := evil.seen(); conns > 0 {
		withKey := 0
		for _, k := range keys {
			if k == key {
				withKey++
			}
		}
		d = h.Directory()
		t.Fatalf("the manager connected %d times to %s, an endpoint no administrator allowed, and sent %d requests, %d of them "+
			"with the Directory's API key; Ready: %+v", conns, attackerHost, len(keys), withKey, verdict.Ready(d))
	}
	c := verdict.Ready(d)
	if c.Status != "False" || c.Reason != dirsyncv1alpha1.ReasonInvalidSpec {
		t.Fatalf("Ready = %s %s: %s; want False %s", c.Status, c.Reason, c.Message, dirsyncv1alpha1.ReasonInvalidSpec)
	}
	for _, want := range []string{attackerHost, "api.breathehr.com", "--allowed-endpoint-hosts", "manager.allowedEndpointHosts", "no request was sent"} {
		if !strings.Contains(c.Message, want) {
			t.Errorf("the message %q does not say %q", c.Message, want)
		}
	}
	if strings.Contains(c.Message, key) {
		t.Errorf("the message holds the API key: %q", c.Message)
	}
	if n := len(h.Users()); n != 0 {
		t.Errorf("%d DirectoryUsers from the attacker's data", n)
	}
}

// The same attacker, through the same client, once an administrator lists its host: the requests and
// the key arrive. So the test above can tell a refusal from an attacker the manager could not reach.
func TestEndpointListedInTheAllowedHostsIsReached(t *testing.T) {
	evil := startAttacker(t)
	dir := testDirectory("")
	dir.Spec.Endpoint = "https://" + attackerHost + "/v1"
	r := &Reconciler{Providers: directorytest.Providers(), Clock: testClock, ProviderTimeout: 5 * time.Second,
		AllowedEndpointHosts: []provider.AllowedHost{{Host: attackerHost}}}
	r.httpClients.Store(dirsyncv1alpha1.ProviderBreatheHR, evil.client())
	const key = "prod-allowed-proxy-key"
	snap, err := r.fetch(t.Context(), dir, key, nil, nil)
	if err != nil || len(snap.Employees) != 3 {
		t.Fatalf("fetch through an allowed host: %v", err)
	}
	if _, keys := evil.seen(); len(keys) == 0 || keys[0] != key {
		t.Errorf("the allowed host got requests with keys %v, want %q", keys, key)
	}
}

// --allow-insecure-endpoints allows http://, never a host: an http:// endpoint on a host that is not
// allowed is refused before any request.
func TestInsecureEndpointsAllowNoHost(t *testing.T) {
	for _, pc := range directorytest.ProviderCases {
		t.Run(pc.Name, func(t *testing.T) {
			srv := pc.Start(fakehr.Generate(fakehr.GenerateOptions{Seed: 1, Employees: 5, IDs: pc.IDs, Today: testClock.Now()}))
			t.Cleanup(srv.Close)
			dir := testDirectory("")
			dir.Spec.Provider, dir.Spec.Endpoint = pc.Provider, srv.URL()
			r := &Reconciler{Providers: registry.Default(), Clock: testClock, ProviderTimeout: 2 * time.Second, AllowInsecureEndpoints: true}
			_, err := r.fetch(t.Context(), dir, srv.APIKey(), nil, nil)
			if f := reasonFor(err, dir, srv.APIKey()); f.reason != dirsyncv1alpha1.ReasonInvalidSpec || !strings.Contains(f.message, "--allowed-endpoint-hosts") {
				t.Fatalf("fetch from %s with --allow-insecure-endpoints only: %v → %s; want InvalidSpec naming --allowed-endpoint-hosts", srv.URL(), err, f.reason)
			}
			if n := srv.Requests(); n != 0 {
				t.Errorf("the fake received %d requests", n)
			}
		})
	}
}
