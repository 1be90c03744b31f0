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
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
)

// Where a provider may send its API key. Whoever may edit a Directory could otherwise point
// spec.endpoint at a host of their own, receive the key, and serve the HR data every DirectoryAccess
// on that Directory binds. So each provider package declares the hosts its API lives on (KnownHosts),
// and its Factory refuses any other host with CheckEndpointHost before it sends anything, unless the
// manager's --allowed-endpoint-hosts (Config.AllowedHosts) names it: a proxy, a mirror, a local fake.

// AllowedHost is one entry of --allowed-endpoint-hosts: a host name or IP address, and a port, or 0
// for any port.
type AllowedHost struct {
	Host string
	Port int
}

// String is the entry as it is written: "host" or "host:port" ("[::1]:8443" for IPv6).
func (h AllowedHost) String() string {
	if h.Port == 0 {
		return h.Host
	}
	return net.JoinHostPort(h.Host, strconv.Itoa(h.Port))
}

// ParseAllowedHosts parses --allowed-endpoint-hosts: comma-separated host names or IP addresses, each
// with an optional :port ("hr-proxy.corp.example:8443", "127.0.0.1", "[::1]:8080"). A host without
// a port allows every port of that host. Names are compared without regard to case; there are no
// wildcards, and a URL (a scheme, a path) is refused rather than guessed at.
func ParseAllowedHosts(s string) ([]AllowedHost, error) {
	var out []AllowedHost
	for _, entry := range strings.Split(s, ",") {
		entry = strings.TrimSpace(entry)
		if entry == "" {
			continue
		}
		h, err := parseAllowedHost(entry)
		if err != nil {
			return nil, fmt.Errorf("--allowed-endpoint-hosts: %q %w", entry, err)
		}
		out = append(out, h)
	}
	return out, nil
}

func parseAllowedHost(entry string) (AllowedHost, error) {
	if strings.ContainsAny(entry, "/@*?# \t") {
		return AllowedHost{}, fmt.Errorf("is not a host or host:port (no scheme, path, user or wildcard)")
	}
	host, port := entry, ""
	if strings.HasPrefix(entry, "[") || strings.Count(entry, ":") == 1 {
		var err error
		if host, port, err = net.SplitHostPort(entry); err != nil {
			return AllowedHost{}, fmt.Errorf("is not a host or host:port: %w", err)
		}
	} else if strings.Contains(entry, ":") && net.ParseIP(entry) == nil {
		return AllowedHost{}, fmt.Errorf("is not a host or host:port (write an IPv6 address with a port as [addr]:port)")
	}
	if host == "" {
		return AllowedHost{}, fmt.Errorf("has no host")
	}
	h := AllowedHost{Host: strings.ToLower(host)}
	if port != "" {
		if !validPort(port) {
			return AllowedHost{}, fmt.Errorf("has an invalid port")
		}
		h.Port, _ = strconv.Atoi(port)
	}
	return h, nil
}

// EndpointNotAllowedError is a base URL whose host is neither one of the provider's known hosts (over
// https, on port 443) nor listed in --allowed-endpoint-hosts. It wraps ErrInvalidConfig: no request
// was sent.
type EndpointNotAllowedError struct {
	// Provider names the provider ("breathehr").
	Provider string
	// Host is the endpoint's host and effective port ("hr.example.com:443").
	Host string
	// Known are the provider's known hosts.
	Known []string
}

func (e *EndpointNotAllowedError) Error() string {
	return fmt.Sprintf("%s: the endpoint's host %s is not one of the provider's hosts (%s, over https on port 443) "+
		"nor one of the manager's allowed endpoint hosts, so no request was sent", e.Provider, e.Host, strings.Join(e.Known, ", "))
}

// Unwrap makes the error an ErrInvalidConfig.
func (e *EndpointNotAllowedError) Unwrap() error { return ErrInvalidConfig }

// CheckEndpointHost returns nil when base may receive the provider's requests: its host is one of
// known over https on port 443, or matches an entry of allowed (the same host, and the entry's port
// unless it has none). Otherwise it returns an *EndpointNotAllowedError. name prefixes the error.
func CheckEndpointHost(name string, base *url.URL, known []string, allowed []AllowedHost) error {
	host := strings.ToLower(base.Hostname())
	port := effectivePort(base)
	for _, k := range known {
		if host == strings.ToLower(k) && strings.EqualFold(base.Scheme, "https") && port == 443 {
			return nil
		}
	}
	for _, a := range allowed {
		if host == a.Host && (a.Port == 0 || a.Port == port) {
			return nil
		}
	}
	return &EndpointNotAllowedError{Provider: name, Host: net.JoinHostPort(host, strconv.Itoa(port)), Known: known}
}

// effectivePort is u's port, or the scheme's default (443 for https, 80 for http), or 0.
func effectivePort(u *url.URL) int {
	if p, err := strconv.Atoi(u.Port()); err == nil {
		return p
	}
	switch strings.ToLower(u.Scheme) {
	case "https":
		return 443
	case "http":
		return 80
	}
	return 0
}
