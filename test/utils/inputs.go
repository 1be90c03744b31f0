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

package utils

import (
	"io/fs"
	"os"
	"path/filepath"
)

// OpenInputs opens every directory and file under dirs and closes it again. Go's test cache replays
// a package's last pass unless a file the test binary opened has changed; a test that hands a
// directory to another program (kubectl kustomize, helm template, promtool) opens nothing there, so
// an edit to config/ would still print "ok (cached)". Called from a test (not TestMain: the test
// binary records what it opens only once the tests run), it puts those files in the test's inputs: a
// change to any of them (size, modification time, a file added or removed) re-runs the package. CI
// runs every test with -count=1 regardless.
func OpenInputs(dirs ...string) error {
	for _, dir := range dirs {
		err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() || !d.Type().IsRegular() {
				return err // WalkDir opened the directory itself
			}
			f, err := os.Open(path)
			if err != nil {
				return err
			}
			return f.Close()
		})
		if err != nil {
			return err
		}
	}
	return nil
}
