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

// Package controllers holds the Directory reconciler. Reconcile is a table of contents; the work is
// done by pure functions (names, desired, diff, guard, schedule, status) that are table-tested, and by
// directory_sync.go, which fetches from the provider and applies only the difference.
//
// It also holds the DirectoryAccess reconciler (directoryaccess_*.go), built the same way: the pure
// core is directoryaccess_subjects.go (templates, who is bound), directoryaccess_plan.go (bindings,
// the revocation guard, the operations) and directoryaccess_status.go.
package controllers
