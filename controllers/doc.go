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

// Package controllers holds the manager's cache and client options (CacheOptions, ClientOptions), the
// one place cmd/manager, the tests and the benchmark take them from. The controllers are below it:
//
//   - directory: the Directory reconciler (HR system → DirectoryUser and DirectoryGroup objects);
//   - directoryaccess: the DirectoryAccess reconciler (DirectoryGroups → RoleBindings);
//   - directorywebhook: the DirectoryWebhook reconciler (DirectoryUsers and DirectoryGroups → signed
//     events to an application), with a worker and a queue of its own per webhook;
//   - internal/verdict: what both share (conditions, the guards' percentage rule, the status write);
//   - internal/compact: how the cache and a sync's desired users share memory.
//
// The controller packages never import each other (depguard rules in .golangci.yml); only the
// DirectoryAccess and DirectoryWebhook stories' test files run a Directory controller, end to end.
package controllers
