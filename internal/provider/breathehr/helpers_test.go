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

package breathehr

import "github.com/dirsync/dirsync/internal/provider"

// Helpers only the tests use: the client maps and counts page by page (mapper, budgets.sweep).

// toEmployees maps decoded employees onto the provider-neutral type, in order. depts is the departments
// listing, which resolves a department sent by name; a line manager sent by e-mail or name is resolved
// against the employees themselves. Ids are already canonical.
func toEmployees(ws []wireEmployee, depts []provider.Department) []provider.Employee {
	m := newMapper(depts)
	m.addPage(ws, -1)
	return m.employees()
}

// decodeEmployees decodes and maps one GET /employees page on its own, without the departments listing
// (a department sent by name only is then left out): what the fuzz target and decoding tests exercise.
func decodeEmployees(body []byte) ([]provider.Employee, error) {
	w, err := decodeEmployeePage(body)
	if err != nil {
		return nil, err
	}
	return toEmployees(w, nil), nil
}

// len is how many budgets the registry holds.
func (r *budgets) len() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.m)
}
