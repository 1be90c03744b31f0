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

package docs

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

var (
	testFunc = regexp.MustCompile(`(?m)^func ((?:Test|Fuzz|Benchmark)[A-Z]\w*)\(`)
	testName = regexp.MustCompile(`\b((?:Test|Fuzz)[A-Z]\w*)(\*?)`)
)

// testFuncs are the names of every test, fuzz target and benchmark in the repository, whatever its
// build tags (e2e, dirsync_bench): what go test -list would list with every tag.
func testFuncs(t *testing.T) map[string]bool {
	t.Helper()
	names := map[string]bool{}
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == "bin" || d.Name() == "hack" || strings.HasPrefix(d.Name(), ".")) && path != root {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, "_test.go") {
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for _, m := range testFunc.FindAllStringSubmatch(string(b), -1) {
			names[m[1]] = true
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return names
}

// Every test the docs name as proof of something exists (a subtest path such as
// TestScenarios/<provider>/<story> by its top-level test; TestDirectoryAccess* by its prefix).
func TestNamedTestsExist(t *testing.T) {
	funcs := testFuncs(t)
	for _, pg := range append(userDocs(t), readPage(t, "CHANGELOG.md")) {
		for _, l := range pg.lines {
			for _, m := range testName.FindAllStringSubmatch(l.text, -1) {
				if !exists(funcs, m[1], m[2] == "*") {
					t.Errorf("%s: the docs name %s%s, which no _test.go file defines", pg.where(l), m[1], m[2])
				}
			}
		}
	}
}

func exists(funcs map[string]bool, name string, prefix bool) bool {
	if !prefix {
		return funcs[name]
	}
	for f := range funcs {
		if strings.HasPrefix(f, name) {
			return true
		}
	}
	return false
}
