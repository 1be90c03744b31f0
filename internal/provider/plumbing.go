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
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// What both providers share about their configuration and the HTTP they speak: the API-key check, the
// base-URL rules, same-origin comparison and Retry-After. A provider package keeps only its own wire
// format (pagination, envelope) and mapping.

// CheckAPIKey returns key without surrounding white space, or an error wrapping ErrUnauthorized that says
// what is wrong with it: empty, white space inside (usually two values pasted together or a line break),
// or a character that no provider issues in a key (control characters, non-ASCII). The error never
// contains the key. name prefixes the error ("breathehr").
func CheckAPIKey(name, key string) (string, error) {
	key = strings.TrimSpace(key)
	var problem string
	switch {
	case key == "":
		problem = "the API key is empty"
	case strings.ContainsFunc(key, func(r rune) bool { return r == ' ' || r == '\t' || r == '\n' || r == '\r' }):
		problem = "the API key contains white space; store it on one line, without spaces"
	case strings.ContainsFunc(key, func(r rune) bool { return r < 0x21 || r > 0x7e }):
		problem = "the API key contains a character that is not printable ASCII; copy it again from the provider"
	default:
		return key, nil
	}
	return "", fmt.Errorf("%s: %s: %w", name, problem, ErrUnauthorized)
}

// BaseURL validates a configured base URL (spec.endpoint) and returns it reduced to scheme, host and path,
// without a trailing slash; nil gives def, the provider's production URL. It must be an absolute http or
// https URL without a user name, password, query or fragment. Errors wrap ErrInvalidConfig and name def as
// an example.
func BaseURL(name string, u *url.URL, def string) (*url.URL, error) {
	if u == nil {
		d, err := url.Parse(def)
		if err != nil {
			return nil, fmt.Errorf("%s: the default base URL %q is not a URL: %w", name, def, ErrInvalidConfig)
		}
		u = d
	}
	var problem string
	switch {
	case (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.Opaque != "":
		problem = "must be an absolute http or https URL"
	case u.User != nil:
		problem = "must not contain a user name or password"
	case u.RawQuery != "" || u.ForceQuery || u.Fragment != "":
		problem = "must not have a query or a fragment"
	case u.Port() != "" && !validPort(u.Port()):
		problem = "has an invalid port"
	default:
		return &url.URL{Scheme: u.Scheme, Host: u.Host, Path: strings.TrimRight(u.Path, "/")}, nil
	}
	return nil, fmt.Errorf("%s: the endpoint %s, e.g. %s: %w", name, problem, def, ErrInvalidConfig)
}

func validPort(p string) bool {
	n, err := strconv.Atoi(p)
	return err == nil && IsDigits(p) && n > 0 && n < 65536
}

// SameOrigin reports whether a and b have the same scheme, host name (ignoring case) and effective port
// (443 for https and 80 for http when none is written): https://api.breathehr.com/v1 and
// https://api.breathehr.com:443/v1 are the same origin.
func SameOrigin(a, b *url.URL) bool {
	return Origin(a) == Origin(b) && a.User == nil && b.User == nil
}

// Origin is u's scheme, lower-case host name and effective port: "https://api.breathehr.com:443".
func Origin(u *url.URL) string {
	scheme := strings.ToLower(u.Scheme)
	port := u.Port()
	if port == "" {
		switch scheme {
		case "https":
			port = "443"
		case "http":
			port = "80"
		}
	}
	return scheme + "://" + net.JoinHostPort(strings.ToLower(u.Hostname()), port)
}

// MaxRetryAfter bounds a Retry-After value, so that a hostile or mistaken value cannot park a Directory
// for longer than a day or overflow a Duration.
const MaxRetryAfter = 24 * time.Hour

// RetryAfter parses a Retry-After header value (RFC 9110 §10.2.3): delay-seconds (digits only) or an
// HTTP date, which is rounded up to whole seconds so that a retry is never early. Absent, malformed or past
// values give 0; anything above MaxRetryAfter gives MaxRetryAfter.
func RetryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if IsDigits(v) {
		if len(v) > 6 { // over 11 days
			return MaxRetryAfter
		}
		var secs int64
		for i := 0; i < len(v); i++ {
			secs = secs*10 + int64(v[i]-'0')
		}
		return min(time.Duration(secs)*time.Second, MaxRetryAfter)
	}
	t, err := http.ParseTime(v)
	if err != nil {
		return 0
	}
	d := t.Sub(now)
	if d <= 0 {
		return 0
	}
	if r := d % time.Second; r != 0 {
		d += time.Second - r
	}
	return min(d, MaxRetryAfter)
}
