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

package directoryaccess

import (
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation"

	dirsyncv1alpha1 "github.com/dirsync/dirsync/api/v1alpha1"
)

func TestAccessNamesAreValidAndDistinct(t *testing.T) {
	long := strings.Repeat("a", 250)
	tests := []struct{ ns, name string }{{"hr", "eng"}, {"hr", long}, {strings.Repeat("n", 63), long}, {"hr2", "eng"}, {"hr", "eng.x"}}
	seenNames, seenLabels := map[string]bool{}, map[string]bool{}
	for _, tt := range tests {
		acc := &dirsyncv1alpha1.DirectoryAccess{ObjectMeta: metav1.ObjectMeta{Namespace: tt.ns, Name: tt.name}}
		n, l := accessBindingName(acc), accessLabelValue(tt.ns, tt.name)
		if errs := validation.IsDNS1123Subdomain(n); len(errs) > 0 || len(n) > 63 {
			t.Errorf("binding name %q: %v", n, errs)
		}
		if errs := validation.IsValidLabelValue(l); len(errs) > 0 {
			t.Errorf("label value %q: %v", l, errs)
		}
		if seenNames[n] || seenLabels[l] {
			t.Errorf("%s/%s: name %q or label %q is not distinct", tt.ns, tt.name, n, l)
		}
		seenNames[n], seenLabels[l] = true, true
	}
	if got := accessLabelValue("hr", "eng"); got != "hr.eng" {
		t.Errorf("label value %q, want hr.eng (the contract's <namespace>.<name>)", got)
	}
}
