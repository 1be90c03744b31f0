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
	"fmt"
	"net/netip"
	"net/url"
	"strings"
)

// A webhook's URL is a request the operator makes from inside the cluster on behalf of whoever wrote
// the DirectoryWebhook (server-side request forgery). The admission policy limits who may write it; this
// file limits where it may go: https only, no credentials in the URL, and never an address that reaches
// the operator's own node or a cloud metadata service, checked on the URL and again on every connection
// (so a name that resolves, or later re-resolves, to such an address is refused too). The manager's
// --allow-insecure-endpoints lifts both, for local receivers in tests and demos.

// errInsecureURL and errForbiddenAddress are wrapped by checkURL's and forbiddenAddress's errors.
var (
	errInsecureURL      = errors.New("insecure webhook URL")
	errForbiddenAddress = errors.New("forbidden webhook address")
)

// checkURL parses spec.url and says, in a sentence fit for the Ready condition, why it cannot be used.
func checkURL(raw string, allowInsecure bool) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil || !u.IsAbs() || u.Host == "" || u.Hostname() == "" {
		return nil, errors.New("spec.url is not an absolute URL with a host, e.g. https://app.example.com/webhooks/workos")
	}
	switch {
	case u.Scheme != "https" && u.Scheme != "http":
		return nil, fmt.Errorf("spec.url has scheme %q; use https://", u.Scheme)
	case u.User != nil:
		return nil, errors.New("spec.url holds a user name or password, which everyone who may read the DirectoryWebhook would see; " +
			"remove it: the receiver authenticates requests by their signature")
	case u.Scheme == "http" && !allowInsecure:
		return nil, fmt.Errorf("%w: spec.url is http://, which would send people's data in clear text; use https:// "+
			"(the manager allows http:// only with --allow-insecure-endpoints, for local tests)", errInsecureURL)
	}
	if allowInsecure {
		return u, nil
	}
	host := strings.ToLower(strings.TrimSuffix(u.Hostname(), "."))
	if host == "localhost" || strings.HasSuffix(host, ".localhost") {
		return nil, fmt.Errorf("%w: spec.url names localhost, the operator's own pod; the manager allows it only with --allow-insecure-endpoints", errForbiddenAddress)
	}
	if ip, err := netip.ParseAddr(host); err == nil {
		if why := forbiddenAddress(ip); why != "" {
			return nil, fmt.Errorf("%w: spec.url's address %s is %s; the manager allows it only with --allow-insecure-endpoints", errForbiddenAddress, ip, why)
		}
	}
	return u, nil
}

// metadataAddresses are cloud instance metadata services that are not link-local: AWS's IPv6 one
// (fd00:ec2::254) and Alibaba Cloud's (100.100.100.200).
var metadataAddresses = []netip.Addr{netip.MustParseAddr("fd00:ec2::254"), netip.MustParseAddr("100.100.100.200")}

// forbiddenAddress says what ip is when a webhook may not connect to it, or "" when it may. Private
// addresses (10/8, 192.168/16, fc00::/7…) are allowed: receivers often run in the cluster.
func forbiddenAddress(ip netip.Addr) string {
	ip = ip.Unmap()
	switch {
	case ip.IsLoopback():
		return "a loopback address"
	case ip.IsLinkLocalUnicast() || ip.IsLinkLocalMulticast():
		return "a link-local address (where cloud metadata services such as 169.254.169.254 live)"
	case ip.IsUnspecified():
		return "the unspecified address"
	case ip.IsMulticast() || ip == netip.AddrFrom4([4]byte{255, 255, 255, 255}):
		return "a multicast or broadcast address"
	}
	for _, m := range metadataAddresses {
		if ip == m {
			return "a cloud metadata service"
		}
	}
	return ""
}
