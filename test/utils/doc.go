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

// Package utils runs dirsync's out-of-process tests' machinery: free loopback ports, child processes
// with a log file and an optional pid file that are stopped (SIGTERM, then SIGKILL) when the test is
// done and killed by the kernel if the test binary dies first, the local control plane of
// hack/control-plane.sh behind a watchdog that stops it even then, and kubectl. The e2e tests
// (test/e2e) and the benchmark (bench) use it; it follows kubebuilder's test/utils.
//
// It has no testing.T in its API and imports only the standard library, so a benchmark's main, a
// TestMain and hack/cptool can all use it, and it builds in a second.
package utils
