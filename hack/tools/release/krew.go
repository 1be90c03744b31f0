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

package main

import (
	"fmt"
	"io"
	"path/filepath"
	"strings"
)

// krewCmd writes the krew plugin manifest (plugins/dirsync.yaml in krew-index) for the archives
// OS/ARCH=ARCHIVE, each holding kubectl-dirsync and LICENSE, downloaded from --url/<archive name>.
func krewCmd(args []string) error {
	fs := newFlagSet("krew")
	var c common
	c.register(fs)
	url := fs.String("url", "", "where the archives are downloaded from (the release's assets)")
	if err := parse(fs, &c, args, true); err != nil {
		return err
	}
	if *url == "" {
		return fmt.Errorf("krew: --url is required")
	}
	archives, err := pairs(fs.Args())
	if err != nil {
		return fmt.Errorf("krew: %w", err)
	}
	var b strings.Builder
	fmt.Fprintf(&b, `apiVersion: krew.googlecontainertools.github.com/v1alpha2
kind: Plugin
metadata:
  name: dirsync
spec:
  version: v%s
  homepage: https://github.com/dirsync/dirsync
  shortDescription: Inspect and approve dirsync's HR directory syncs
  description: |
    kubectl dirsync shows the state of dirsync's Directories (HR directories
    synced into the cluster by the dirsync operator), previews what a sync
    would change, starts a sync and approves deletions the guard holds.
    It needs the dirsync operator and its CRDs in the cluster.
  platforms:
`, c.version)
	for _, a := range archives {
		goos, goarch, ok := strings.Cut(a[0], "/")
		if !ok {
			return fmt.Errorf("krew: want OS/ARCH=ARCHIVE, got %s", a[0])
		}
		sum, err := sha256File(a[1])
		if err != nil {
			return err
		}
		fmt.Fprintf(&b, `  - selector:
      matchLabels:
        os: %s
        arch: %s
    uri: %s/%s
    sha256: %s
    bin: kubectl-dirsync
    files:
    - from: kubectl-dirsync
      to: .
    - from: LICENSE
      to: .
`, goos, goarch, strings.TrimSuffix(*url, "/"), filepath.Base(a[1]), sum)
	}
	return writeFile(c.out, func(w io.Writer) error {
		_, err := io.WriteString(w, b.String())
		return err
	})
}
