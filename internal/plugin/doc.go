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

// Package plugin is `kubectl dirsync`, the day-2 commands for dirsync Directories, DirectoryAccesses and
// DirectoryWebhooks:
//
//   - status [NAME]: a human summary of one Directory, or a table and summaries of all (-A: every namespace);
//   - sync NAME: set dirsync.io/sync-requested-at and wait for the operator's answer;
//   - approve NAME: show the held deletions, confirm, set dirsync.io/approve-deletions and wait;
//   - plan NAME: print a dry-run Directory's status.plan;
//   - access list|status NAME: DirectoryAccesses, and every RoleBinding dirsync manages for them;
//   - access explain EMAIL: why a person has, or lacks, each DirectoryAccess's role;
//   - webhook status [NAME]: DirectoryWebhooks, whether their receivers keep up, and what they hold;
//   - webhook approve NAME: show the removals a webhook holds, confirm, set dirsync.io/approve-removals and wait;
//   - version, completion SHELL.
//
// The command tree is cobra's, with kubectl's flags from cli-runtime's ConfigFlags on every command, as
// kubectl plugins, clusterctl and cmctl are built. The plugin talks to the API server with an uncached
// controller-runtime client; the operator does the work, and the plugin only reads and sets annotations.
// Formatting is pure functions of the objects and "now"; -o json|yaml prints the same facts as views
// with stable field names (output.go).
package plugin
