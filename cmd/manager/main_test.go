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

package main

import (
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"testing"
)

// The manager collects at defaultGCPercent unless GOGC is set, in which case Go's own reading of it stays.
func TestSetGCPercent(t *testing.T) {
	defer debug.SetGCPercent(debug.SetGCPercent(100))
	for _, tc := range []struct {
		env  string
		want int
	}{{"", defaultGCPercent}, {"80", 100}, {"off", 100}} {
		debug.SetGCPercent(100)
		setGCPercent(func(k string) string {
			if k == "GOGC" {
				return tc.env
			}
			return ""
		})
		if got := debug.SetGCPercent(100); got != tc.want {
			t.Errorf("GOGC=%q: the collector runs at %d, want %d", tc.env, got, tc.want)
		}
	}
}

// --metrics-cert-path must hold both files: controller-runtime would silently serve a self-signed
// certificate instead, which a scraper that verifies would refuse.
func TestCheckMetricsCert(t *testing.T) {
	both, crtOnly := t.TempDir(), t.TempDir()
	for _, f := range []string{filepath.Join(both, "tls.crt"), filepath.Join(both, "tls.key"), filepath.Join(crtOnly, "tls.crt")} {
		if err := os.WriteFile(f, []byte("x"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range []struct {
		dir     string
		wantErr string
	}{
		{dir: ""},
		{dir: both},
		{dir: crtOnly, wantErr: "tls.key"},
		{dir: filepath.Join(both, "missing"), wantErr: "tls.crt"},
	} {
		err := checkMetricsCert(tc.dir)
		if (err != nil) != (tc.wantErr != "") || (err != nil && !strings.Contains(err.Error(), tc.wantErr)) {
			t.Errorf("checkMetricsCert(%q) = %v, want an error naming %q", tc.dir, err, tc.wantErr)
		}
	}
	if got := managerOptions(options{metricsCertPath: both}, nil).Metrics.CertDir; got != both {
		t.Errorf("the metrics server's CertDir is %q, want --metrics-cert-path %q", got, both)
	}
}

// Flags that cannot work stop the manager before it starts: a user limit under 1, an allowed host
// that is not a host. --allowed-endpoint-hosts parses into the hosts the reconciler allows.
func TestCheckFlags(t *testing.T) {
	ok := options{maxUsersPerDirectory: 100_000}
	if hosts, err := checkFlags(ok); err != nil || len(hosts) != 0 {
		t.Errorf("defaults: %v, %v; want no hosts and no error", hosts, err)
	}
	listed := ok
	listed.allowedEndpointHosts = "127.0.0.1, hr-proxy.corp.example:8443"
	if hosts, err := checkFlags(listed); err != nil || len(hosts) != 2 || hosts[1].String() != "hr-proxy.corp.example:8443" {
		t.Errorf("--allowed-endpoint-hosts=%s: %v, %v", listed.allowedEndpointHosts, hosts, err)
	}
	for name, o := range map[string]options{
		"--max-users-per-directory=0":                            {},
		"--allowed-endpoint-hosts=https://hr-proxy.corp.example": {maxUsersPerDirectory: 1, allowedEndpointHosts: "https://hr-proxy.corp.example"},
	} {
		if _, err := checkFlags(o); err == nil || !strings.Contains(err.Error(), strings.SplitN(name, "=", 2)[0]) {
			t.Errorf("%s: %v; want an error naming the flag", name, err)
		}
	}
}
