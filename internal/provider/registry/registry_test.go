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
