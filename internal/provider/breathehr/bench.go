//go:build dirsync_bench

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

import "os"

// BenchUnpacedEnv is the environment variable that turns pacing off in a binary built with the
// dirsync_bench tag: the benchmark's manager and bench, whose fake Breathe HR has no rate limit.
// Without the tag this file is not compiled, and the shipped manager has no way to turn pacing off.
const BenchUnpacedEnv = "DIRSYNC_BENCH_UNPACED_PROVIDERS"

func init() {
	benchUnpaced = func() bool { return os.Getenv(BenchUnpacedEnv) == "1" }
}
