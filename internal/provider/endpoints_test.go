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

package provider

import (
	"errors"
	"net/url"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseAllowedHosts(t *testing.T) {
	tests := []struct {
		in      string
		want    []AllowedHost
		wantErr string
	}{
		{in: ""},
		{in: " , "},
		{in: "127.0.0.1", want: []AllowedHost{{Host: "127.0.0.1"}}},
		{in: "HR-Proxy.Corp.Example:8443, api.breathehr.com", want: []AllowedHost{{Host: "hr-proxy.corp.example", Port: 8443}, {Host: "api.breathehr.com"}}},
		{in: "[::1]:8080,::1", want: []AllowedHost{{Host: "::1", Port: 8080}, {Host: "::1"}}},
		{in: "https://hr.example.com", wantErr: "is not a host or host:port"},
		{in: "hr.example.com/v1", wantErr: "is not a host or host:port"},
		{in: "*.example.com", wantErr: "no scheme, path, user or wildcard"},
		{in: "user@hr.example.com", wantErr: "is not a host or host:port"},
		{in: "hr.example.com:0", wantErr: "invalid port"},
		{in: "hr.example.com:65536", wantErr: "invalid port"},
		{in: "hr.example.com:https", wantErr: "invalid port"},
		{in: ":8080", wantErr: "has no host"},
		{in: "fe80::1:8080:x", wantErr: "write an IPv6 address with a port as [addr]:port"},
	}
	for _, tt := range tests {
		got, err := ParseAllowedHosts(tt.in)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) || !strings.Contains(err.Error(), "--allowed-endpoint-hosts") {
				t.Errorf("ParseAllowedHosts(%q) = %v, %v; want an error naming the flag and containing %q", tt.in, got, err, tt.wantErr)
			}
			continue
		}
		if err != nil {
			t.Errorf("ParseAllowedHosts(%q): %v", tt.in, err)
			continue
		}
		if d := cmp.Diff(tt.want, got); d != "" {
			t.Errorf("ParseAllowedHosts(%q) (-want +got):\n%s", tt.in, d)
		}
	}
}

// Known hosts are allowed over https on port 443 only; a listed host on any port unless its entry
// names one; nothing else, whatever spelling the URL uses.
func TestCheckEndpointHost(t *testing.T) {
	known := []string{"api.breathehr.com", "api.sandbox.breathehr.info"}
	allowed := []AllowedHost{{Host: "127.0.0.1"}, {Host: "hr-proxy.corp.example", Port: 8443}, {Host: "::1", Port: 9000}}
	tests := []struct {
		endpoint string
		ok       bool
	}{
		{"https://api.breathehr.com/v1", true},
		{"https://API.BreatheHR.com:443/v1", true},
		{"https://api.sandbox.breathehr.info/v1", true},
		{"https://api.breathehr.com:8443/v1", false}, // a known host on another port is another service
		{"http://api.breathehr.com/v1", false},       // port 80, and clear text
		{"https://api.breathehr.com.evil.example/v1", false},
		{"https://evil.example/api.breathehr.com", false},
		{"https://api.breathehr.com./v1", false}, // the trailing-dot spelling is refused, not guessed at
		{"https://attacker.example/v1", false},
		{"http://127.0.0.1:8091/v1", true}, // a listed host without a port: any port
		{"https://127.0.0.1/v1", true},
		{"http://127.0.0.2:8091/v1", false},
		{"http://localhost:8091/v1", false}, // names are compared, never resolved
		{"https://hr-proxy.corp.example:8443/breathe", true},
		{"https://HR-PROXY.corp.example:8443/breathe", true},
		{"https://hr-proxy.corp.example/breathe", false}, // 443, not the listed 8443
		{"http://[::1]:9000/v1", true},
		{"http://[::1]:9001/v1", false},
	}
	for _, tt := range tests {
		u, err := url.Parse(tt.endpoint)
		if err != nil {
			t.Fatal(err)
		}
		err = CheckEndpointHost("breathehr", u, known, allowed)
		if (err == nil) != tt.ok {
			t.Errorf("CheckEndpointHost(%s) = %v, want allowed %v", tt.endpoint, err, tt.ok)
			continue
		}
		var na *EndpointNotAllowedError
		if err != nil && (!errors.As(err, &na) || !errors.Is(err, ErrInvalidConfig) || !strings.Contains(err.Error(), "no request was sent")) {
			t.Errorf("CheckEndpointHost(%s) = %v; want an *EndpointNotAllowedError wrapping ErrInvalidConfig", tt.endpoint, err)
		}
	}
	if err := CheckEndpointHost("breathehr", &url.URL{Scheme: "http", Host: "127.0.0.1:8091"}, known, nil); err == nil {
		t.Error("with no allowed hosts, 127.0.0.1 is allowed")
	}
}
