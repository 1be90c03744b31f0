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
	"errors"
	"net/netip"
	"strings"
	"testing"
)

func TestCheckURL(t *testing.T) {
	tests := []struct {
		url      string
		insecure bool
		err      string // "" when allowed
		forbid   bool
	}{
		{url: "https://app.example.com/webhooks/workos"},
		{url: "https://10.0.3.7:8443/hook"},                   // a private address: receivers run in clusters
		{url: "https://receiver.apps.svc.cluster.local/hook"}, // a Service
		{url: "http://app.example.com/hook", err: "use https://"},
		{url: "http://127.0.0.1:9000/hook", insecure: true},
		{url: "https://127.0.0.1/hook", err: "a loopback address", forbid: true},
		{url: "https://[::1]/hook", err: "a loopback address", forbid: true},
		{url: "https://169.254.169.254/latest/meta-data", err: "link-local", forbid: true},
		{url: "https://[fe80::1]/hook", err: "link-local", forbid: true},
		{url: "https://[fd00:ec2::254]/", err: "cloud metadata", forbid: true},
		{url: "https://100.100.100.200/", err: "cloud metadata", forbid: true},
		{url: "https://0.0.0.0/hook", err: "unspecified", forbid: true},
		{url: "https://[::ffff:127.0.0.1]/hook", err: "loopback", forbid: true},
		{url: "https://LOCALHOST./hook", err: "localhost", forbid: true},
		{url: "https://api.localhost/hook", err: "localhost", forbid: true},
		{url: "https://user:pass@app.example.com/hook", err: "user name or password"},
		{url: "ftp://app.example.com/hook", err: "scheme"},
		{url: "/relative", err: "absolute URL"},
	}
	for _, tt := range tests {
		t.Run(tt.url, func(t *testing.T) {
			_, err := checkURL(tt.url, tt.insecure)
			switch {
			case tt.err == "" && err != nil:
				t.Errorf("refused: %v", err)
			case tt.err != "" && (err == nil || !strings.Contains(err.Error(), tt.err)):
				t.Errorf("error %v; want one saying %q", err, tt.err)
			case tt.forbid != errors.Is(err, errForbiddenAddress):
				t.Errorf("errors.Is(err, errForbiddenAddress) = %v", !tt.forbid)
			}
		})
	}
}

func TestForbiddenAddress(t *testing.T) {
	for addr, forbidden := range map[string]bool{
		"127.0.0.1": true, "127.8.9.10": true, "::1": true, "169.254.169.254": true, "fe80::1": true, "224.0.0.1": true,
		"255.255.255.255": true, "::": true, "fd00:ec2::254": true, "100.100.100.200": true,
		"10.0.0.1": false, "192.168.1.1": false, "172.16.0.1": false, "fd12::1": false, "8.8.8.8": false, "100.64.0.1": false,
	} {
		if got := forbiddenAddress(netip.MustParseAddr(addr)) != ""; got != forbidden {
			t.Errorf("forbiddenAddress(%s) = %v, want %v", addr, got, forbidden)
		}
	}
}
