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
	"os"
	"path"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

var mdLink = regexp.MustCompile(`\]\(([^)\s]+)\)`)

// Every relative link of the user docs (and the CHANGELOG) names a file or directory that exists and,
// for a Markdown file, a heading it has.
func TestRelativeLinksResolve(t *testing.T) {
	pages := append(userDocs(t), readPage(t, "CHANGELOG.md"))
	cache := map[string]map[string]bool{}
	for _, pg := range pages {
		cache[pg.path] = anchors(pg)
	}
	for _, pg := range pages {
		for _, l := range pg.lines {
			if l.code {
				continue
			}
			for _, m := range mdLink.FindAllStringSubmatch(inlineCode.ReplaceAllString(l.text, ""), -1) {
				if msg := checkLink(t, pg.path, m[1], cache); msg != "" {
					t.Errorf("%s: link %s: %s", pg.where(l), m[1], msg)
				}
			}
		}
	}
}

// checkLink says what is wrong with one link target of the page at from, or "" when nothing is.
func checkLink(t *testing.T, from, target string, cache map[string]map[string]bool) string {
	t.Helper()
	if strings.Contains(target, "://") || strings.HasPrefix(target, "mailto:") {
		return ""
	}
	file, frag, _ := strings.Cut(target, "#")
	to := from
	if file != "" {
		to = path.Clean(path.Join(path.Dir(from), file))
		if strings.HasPrefix(to, "../") {
			return "leaves the repository"
		}
		if _, err := os.Stat(filepath.Join(root, to)); err != nil {
			return "no such file or directory"
		}
	}
	if frag == "" || !strings.HasSuffix(to, ".md") {
		return ""
	}
	if _, ok := cache[to]; !ok {
		cache[to] = anchors(readPage(t, to))
	}
	if !cache[to][frag] {
		return "no heading with anchor #" + frag + " in " + to
	}
	return ""
}
