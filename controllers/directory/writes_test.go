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

package directory

import (
	"net/http"
	"strings"
	"sync"

	"github.com/dirsync/dirsync/internal/testenv"
)

// writeCounter counts the manager's write requests (POST, PUT, PATCH, DELETE) to DirectoryUser and
// DirectoryGroup objects, and to Directory status, by namespace.
type writeCounter struct {
	mu          sync.Mutex
	byNamespace map[string]int
	status      map[string]int
}

func (w *writeCounter) wrap(rt http.RoundTripper) http.RoundTripper {
	return testenv.RoundTripperFunc(func(req *http.Request) (*http.Response, error) {
		if req.Method != http.MethodGet {
			if ns, ok := childNamespace(req.URL.Path); ok {
				w.mu.Lock()
				w.byNamespace[ns]++
				w.mu.Unlock()
			}
			if ns, ok := directoryStatusNamespace(req.URL.Path); ok {
				w.mu.Lock()
				w.status[ns]++
				w.mu.Unlock()
			}
		}
		return rt.RoundTrip(req)
	})
}

func (w *writeCounter) count(ns string) int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.byNamespace[ns]
}

func (w *writeCounter) statusCount(ns string) int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.status[ns]
}

// directoryStatusNamespace parses /apis/dirsync.io/v1alpha1/namespaces/<ns>/directories/<name>/status.
func directoryStatusNamespace(path string) (string, bool) {
	parts := strings.Split(strings.TrimPrefix(path, "/"), "/")
	if len(parts) == 8 && parts[0] == "apis" && parts[1] == "dirsync.io" && parts[3] == "namespaces" &&
		parts[5] == "directories" && parts[7] == "status" {
		return parts[4], true
	}
	return "", false
}

// childNamespace parses /apis/dirsync.io/v1alpha1/namespaces/<ns>/directory{users,groups}[/...].
func childNamespace(path string) (string, bool) {
	parts := strings.Split(strings.TrimPrefix(path, "/"), "/")
	if len(parts) >= 6 && parts[0] == "apis" && parts[1] == "dirsync.io" && parts[3] == "namespaces" &&
		(parts[5] == "directoryusers" || parts[5] == "directorygroups") {
		return parts[4], true
	}
	return "", false
}
