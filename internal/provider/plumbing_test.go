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
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestCheckAPIKey(t *testing.T) {
	tests := []struct {
		name, key, want, wantErr string
	}{
		{name: "plain", key: "prod-1OcTwAbC", want: "prod-1OcTwAbC"},
		{name: "surrounding white space is trimmed", key: " \tsandbox-key\n", want: "sandbox-key"},
		{name: "uuid", key: "5127e153-2c80-492b-a9e4-fb3e50af61a8", want: "5127e153-2c80-492b-a9e4-fb3e50af61a8"},
		{name: "empty", key: "", wantErr: "the API key is empty"},
		{name: "only white space", key: " \n ", wantErr: "the API key is empty"},
		{name: "space inside", key: "prod-abc def", wantErr: "the API key contains white space"},
		{name: "line break inside", key: "prod-abc\nprod-def", wantErr: "the API key contains white space"},
		{name: "control character", key: "prod-abc\x00", wantErr: "not printable ASCII"},
		{name: "non-ASCII", key: "prod-abcé", wantErr: "not printable ASCII"},
		{name: "the ends of printable ASCII", key: "prod-!~", want: "prod-!~"},
		{name: "DEL", key: "prod-abc\x7f", wantErr: "not printable ASCII"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := CheckAPIKey("p", tt.key)
			if tt.wantErr == "" {
				if err != nil || got != tt.want {
					t.Fatalf("CheckAPIKey(%q) = %q, %v; want %q", tt.key, got, err, tt.want)
				}
				return
			}
			if !errors.Is(err, ErrUnauthorized) || !strings.Contains(err.Error(), tt.wantErr) || !strings.HasPrefix(err.Error(), "p: ") {
				t.Fatalf("CheckAPIKey(%q) error = %v; want ErrUnauthorized saying %q", tt.key, err, tt.wantErr)
			}
			if strings.TrimSpace(tt.key) != "" && strings.Contains(err.Error(), strings.TrimSpace(tt.key)) {
				t.Fatalf("the error quotes the key: %v", err)
			}
		})
	}
}

func TestBaseURL(t *testing.T) {
	const def = "https://api.example.com/v1"
	tests := []struct {
		name, in, want, wantErr string
	}{
		{name: "nil gives the default", in: "", want: def},
		{name: "path kept, trailing slash dropped", in: "http://127.0.0.1:8080/v1/", want: "http://127.0.0.1:8080/v1"},
		{name: "explicit port kept", in: "https://api.example.com:443/v1", want: "https://api.example.com:443/v1"},
		{name: "no path", in: "https://api.peoplehr.net", want: "https://api.peoplehr.net"},
		{name: "relative", in: "/v1", wantErr: "absolute http or https URL"},
		{name: "other scheme", in: "ftp://api.example.com/v1", wantErr: "absolute http or https URL"},
		{name: "opaque", in: "https:api.example.com", wantErr: "absolute http or https URL"},
		{name: "user info", in: "https://user:pw@api.example.com/v1", wantErr: "user name or password"},
		{name: "query", in: "https://api.example.com/v1?x=1", wantErr: "query or a fragment"},
		{name: "fragment", in: "https://api.example.com/v1#x", wantErr: "query or a fragment"},
		{name: "bad port", in: "https://api.example.com:99999/v1", wantErr: "invalid port"},
		{name: "highest port", in: "https://api.example.com:65535/v1", want: "https://api.example.com:65535/v1"},
		{name: "port 65536", in: "https://api.example.com:65536/v1", wantErr: "invalid port"},
		{name: "port 0", in: "https://api.example.com:0/v1", wantErr: "invalid port"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var in *url.URL
			if tt.in != "" {
				var err error
				if in, err = url.Parse(tt.in); err != nil {
					t.Fatal(err)
				}
			}
			got, err := BaseURL("p", in, def)
			if tt.wantErr != "" {
				if !errors.Is(err, ErrInvalidConfig) || !strings.Contains(err.Error(), tt.wantErr) || strings.Contains(err.Error(), "pw") {
					t.Fatalf("BaseURL(%q) error = %v; want ErrInvalidConfig saying %q", tt.in, err, tt.wantErr)
				}
				return
			}
			if err != nil || got.String() != tt.want {
				t.Fatalf("BaseURL(%q) = %v, %v; want %s", tt.in, got, err, tt.want)
			}
		})
	}
}

func TestSameOrigin(t *testing.T) {
	tests := []struct {
		a, b string
		want bool
	}{
		{a: "https://api.breathehr.com/v1", b: "https://api.breathehr.com:443/v1/employees?page=2", want: true},
		{a: "https://API.breathehr.com/v1", b: "https://api.breathehr.com/v1", want: true},
		{a: "http://127.0.0.1:8080/v1", b: "http://127.0.0.1:8080/v1/employees", want: true},
		{a: "http://example.com", b: "http://example.com:80", want: true},
		{a: "https://api.breathehr.com/v1", b: "http://api.breathehr.com/v1"},
		{a: "https://api.breathehr.com/v1", b: "https://api.breathehr.com:8443/v1"},
		{a: "https://api.breathehr.com/v1", b: "https://evil.example.com/v1"},
		{a: "https://api.breathehr.com/v1", b: "https://x@api.breathehr.com/v1"},
		{a: "http://127.0.0.1:8080", b: "http://127.0.0.1:8081"},
	}
	for _, tt := range tests {
		t.Run(tt.a+" "+tt.b, func(t *testing.T) {
			a, _ := url.Parse(tt.a)
			b, _ := url.Parse(tt.b)
			if got := SameOrigin(a, b); got != tt.want {
				t.Fatalf("SameOrigin = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestRetryAfter(t *testing.T) {
	now := time.Date(2026, 11, 27, 12, 0, 0, 400_000_000, time.UTC)
	tests := []struct {
		name, v string
		want    time.Duration
	}{
		{name: "absent", v: "", want: 0},
		{name: "seconds", v: "120", want: 120 * time.Second},
		{name: "seconds with spaces", v: " 30 ", want: 30 * time.Second},
		{name: "zero", v: "0", want: 0},
		{name: "negative", v: "-5", want: 0},
		{name: "plus sign", v: "+5", want: 0},
		{name: "fraction", v: "1.5", want: 0},
		{name: "huge", v: "99999999999999999999", want: MaxRetryAfter},
		{name: "over a day", v: "90000", want: MaxRetryAfter},
		{name: "HTTP date ahead, rounded up", v: "Fri, 27 Nov 2026 12:00:30 GMT", want: 30 * time.Second},
		{name: "HTTP date in the past", v: "Fri, 27 Nov 2026 11:00:00 GMT", want: 0},
		{name: "HTTP date far ahead", v: "Fri, 27 Nov 2099 12:00:00 GMT", want: MaxRetryAfter},
		{name: "garbage", v: "soon", want: 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := RetryAfter(tt.v, now); got != tt.want {
				t.Fatalf("RetryAfter(%q) = %v, want %v", tt.v, got, tt.want)
			}
		})
	}
}

func TestDisplayName(t *testing.T) {
	tests := []struct {
		name, preferred, first, last, want string
	}{
		{name: "preferred and last", preferred: "Bob", first: "Robert", last: "Smith", want: "Bob Smith"},
		{name: "first and last", first: "Robert", last: "Smith", want: "Robert Smith"},
		{name: "white space", preferred: "  Zo ", first: "Zoë", last: " Ó  Briain ", want: "Zo Ó Briain"},
		{name: "preferred already has the last name", preferred: "Bob Smith", first: "Robert", last: "Smith", want: "Bob Smith"},
		{name: "no last name", preferred: "Pepe", first: "José", want: "Pepe"},
		{name: "only last name", last: "Smith", want: "Smith"},
		{name: "nothing", want: ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := DisplayName(tt.preferred, tt.first, tt.last); got != tt.want {
				t.Fatalf("DisplayName(%q, %q, %q) = %q, want %q", tt.preferred, tt.first, tt.last, got, tt.want)
			}
		})
	}
}

func TestNewAffiliation(t *testing.T) {
	tests := []struct {
		name, id, aname string
		want            Affiliation
	}{
		{name: "id and name", id: "7", aname: "London", want: Affiliation{ID: "7", Name: "London"}},
		{name: "name stands in for the id", aname: "  Head   Office ", want: Affiliation{ID: "Head Office", Name: "Head Office"}},
		{name: "id only", id: "7", want: Affiliation{ID: "7"}},
		{name: "nothing", want: Affiliation{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, NewAffiliation(tt.id, tt.aname)); diff != "" {
				t.Fatalf("NewAffiliation(%q, %q) (-want +got):\n%s", tt.id, tt.aname, diff)
			}
		})
	}
}

func TestUserAgent(t *testing.T) {
	tests := []struct{ version, stamped, want string }{
		{version: "dev", want: "dirsync/dev"},
		{version: "v1.2.3", want: "dirsync/v1.2.3"},
		{version: "v1.2.3 (dirty)\n", want: "dirsync/v1.2.3dirty"},
		{version: "", want: "dirsync/dev"},
		{version: "dev", stamped: "(devel)", want: "dirsync/dev"},
		{version: "dev", stamped: "v0.2.0", want: "dirsync/v0.2.0"},
		{version: "", stamped: "v0.0.0-20261127200000-0123456789ab+dirty", want: "dirsync/v0.0.0-20261127200000-0123456789ab+dirty"},
		{version: "v1.2.3", stamped: "v0.2.0", want: "dirsync/v1.2.3"},
		{version: "v1.2.3\x7f~", want: "dirsync/v1.2.3~"},
	}
	for _, tt := range tests {
		if got := userAgent(tt.version, tt.stamped); got != tt.want {
			t.Errorf("userAgent(%q, %q) = %q, want %q", tt.version, tt.stamped, got, tt.want)
		}
	}
}

// Unclaimed offers every employee in order and keeps, in a new slice, only those not claimed.
func TestUnclaimed(t *testing.T) {
	emps := []Employee{{ExternalID: "1"}, {ExternalID: "2"}, {ExternalID: "3"}}
	if got := Unclaimed(emps, nil); len(got) != 3 || &got[0] != &emps[0] {
		t.Errorf("without a claim: %v, want the same slice", got)
	}
	var offered []string
	got := Unclaimed(emps, func(e *Employee) bool { offered = append(offered, e.ExternalID); return e.ExternalID != "2" })
	if len(got) != 1 || got[0].ExternalID != "2" || &got[0] == &emps[1] || strings.Join(offered, ",") != "1,2,3" {
		t.Errorf("got %v (offered %v), want [2] in a new slice, all offered in order", got, offered)
	}
	if got := Unclaimed(emps, func(*Employee) bool { return true }); got == nil || len(got) != 0 {
		t.Errorf("all claimed: %#v, want an empty, non-nil slice", got)
	}
}
