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
	"net/http"
	"strings"
	"sync"

	rbacv1 "k8s.io/api/rbac/v1"

	"github.com/dirsync/dirsync/internal/testenv"
)

// rbacWriteCounter counts the access manager's write requests to RoleBindings by namespace, and its
// SelfSubjectAccessReviews.
type rbacWriteCounter struct {
	mu          sync.Mutex
	byNamespace map[string]int
	reviews     int
}

func (w *rbacWriteCounter) wrap(rt http.RoundTripper) http.RoundTripper {
	return testenv.RoundTripperFunc(func(req *http.Request) (*http.Response, error) {
		if req.Method != http.MethodGet {
			parts := strings.Split(strings.TrimPrefix(req.URL.Path, "/"), "/")
			w.mu.Lock()
			switch {
			case len(parts) >= 6 && parts[1] == rbacv1.GroupName && parts[3] == "namespaces" && parts[5] == "rolebindings":
				w.byNamespace[parts[4]]++
			case strings.HasSuffix(req.URL.Path, "/selfsubjectaccessreviews"):
				w.reviews++
			}
			w.mu.Unlock()
		}
		return rt.RoundTrip(req)
	})
}

// snapshot returns the writes to RoleBindings in namespaces and the reviews so far.
func (w *rbacWriteCounter) snapshot(namespaces ...string) (writes, reviews int) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, ns := range namespaces {
		writes += w.byNamespace[ns]
	}
	return writes, w.reviews
}
