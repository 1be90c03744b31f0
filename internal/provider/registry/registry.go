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

// Package registry maps each Directory provider type to the package that implements it.
// Adding a provider is a new package under internal/provider plus one line in Default.
package registry

import (
	"fmt"

	dirsyncv1alpha1 "github.com/dirsync/dirsync/api/v1alpha1"
	"github.com/dirsync/dirsync/internal/provider"
	"github.com/dirsync/dirsync/internal/provider/accesspeoplehr"
	"github.com/dirsync/dirsync/internal/provider/breathehr"
)

// Registry maps each provider type to its Factory.
type Registry map[dirsyncv1alpha1.ProviderType]provider.Factory

// Default is the registry the manager uses: one line per provider.
func Default() Registry {
	return Registry{
		dirsyncv1alpha1.ProviderBreatheHR:      breathehr.New,
		dirsyncv1alpha1.ProviderAccessPeopleHR: accesspeoplehr.New,
	}
}

// New builds the Provider for t, or says that t is unknown (wrapping provider.ErrInvalidConfig).
func (r Registry) New(t dirsyncv1alpha1.ProviderType, cfg provider.Config) (provider.Provider, error) {
	f, ok := r[t]
	if !ok {
		return nil, fmt.Errorf("no provider is registered for %q: %w", t, provider.ErrInvalidConfig)
	}
	return f(cfg)
}
