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

package registry

import (
	"errors"
	"net/url"
	"testing"

	dirsyncv1alpha1 "github.com/dirsync/dirsync/api/v1alpha1"
	"github.com/dirsync/dirsync/internal/provider"
)

func TestDefaultCoversEveryProviderType(t *testing.T) {
	r := Default()
	for _, p := range dirsyncv1alpha1.AllProviderTypes {
		if _, ok := r[p]; !ok {
			t.Errorf("provider %s has no factory in Default()", p)
		}
		if _, err := r.New(p, provider.Config{APIKey: "k"}); err != nil {
			t.Errorf("New(%s): %v", p, err)
		}
	}
	if len(r) != len(dirsyncv1alpha1.AllProviderTypes) {
		t.Errorf("Default() has %d entries, the enum %d", len(r), len(dirsyncv1alpha1.AllProviderTypes))
	}
	if _, err := r.New("Workday", provider.Config{APIKey: "k"}); !errors.Is(err, provider.ErrInvalidConfig) {
		t.Errorf("an unknown provider type: %v; want ErrInvalidConfig", err)
	}
}

// Every provider refuses to be built for a host that is neither one of its own nor allowed, with an
// *provider.EndpointNotAllowedError (so no request, and no key, can leave for it), and accepts its
// default endpoint and an allowed host: a new provider cannot forget provider.CheckEndpointHost.
func TestEveryProviderRefusesAnEndpointOutsideItsHosts(t *testing.T) {
	evil, err := url.Parse("https://hr.attacker.example/v1")
	if err != nil {
		t.Fatal(err)
	}
	for p, factory := range Default() {
		_, err := factory(provider.Config{APIKey: "k", BaseURL: evil})
		var na *provider.EndpointNotAllowedError
		if !errors.As(err, &na) || !errors.Is(err, provider.ErrInvalidConfig) {
			t.Errorf("%s built for %s: %v; want an *EndpointNotAllowedError", p, evil, err)
		}
		if _, err := factory(provider.Config{APIKey: "k"}); err != nil {
			t.Errorf("%s with its default endpoint: %v", p, err)
		}
		if _, err := factory(provider.Config{APIKey: "k", BaseURL: evil, AllowedHosts: []provider.AllowedHost{{Host: "hr.attacker.example"}}}); err != nil {
			t.Errorf("%s with %s in the allowed hosts: %v", p, evil.Host, err)
		}
	}
}
