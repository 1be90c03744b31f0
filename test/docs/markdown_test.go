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
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// root is the repository root, seen from this package.
const root = "../.."

// page is one Markdown file: its path from the repository root and its lines.
type page struct {
	path  string
	lines []line
}

// line is one line of a page, with whether it sits inside a fenced code block.
type line struct {
	no   int
	text string
	code bool
}

// where names a line for an error message.
func (p page) where(l line) string { return p.path + ":" + strconv.Itoa(l.no) }

// userDocs are the pages a user reads: the README, docs/ and the chart's README.
func userDocs(t *testing.T) []page {
	t.Helper()
	paths := []string{"README.md", "dist/chart/README.md"}
	more, err := filepath.Glob(filepath.Join(root, "docs", "*.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range more {
		rel, _ := filepath.Rel(root, m)
		paths = append(paths, filepath.ToSlash(rel))
	}
	pages := make([]page, 0, len(paths))
	for _, p := range paths {
		pages = append(pages, readPage(t, p))
	}
	return pages
}

// readPage reads a Markdown file of the repository.
func readPage(t *testing.T, path string) page {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(root, path))
	if err != nil {
		t.Fatal(err)
	}
	pg := page{path: path}
	fenced := false
	for i, text := range strings.Split(string(b), "\n") {
		isFence := strings.HasPrefix(strings.TrimSpace(text), "```")
		pg.lines = append(pg.lines, line{no: i + 1, text: text, code: fenced || isFence})
		if isFence {
			fenced = !fenced
		}
	}
	return pg
}

var inlineCode = regexp.MustCompile("`([^`]+)`")

// spans are the pieces of a line that hold commands: a code line whole, or a prose line's inline code.
func spans(l line) []string {
	if l.code {
		return []string{l.text}
	}
	var out []string
	for _, m := range inlineCode.FindAllStringSubmatch(l.text, -1) {
		out = append(out, m[1])
	}
	return out
}

// headings are a page's headings outside code blocks, with their level.
func headings(pg page) []heading {
	var out []heading
	for _, l := range pg.lines {
		if l.code || !strings.HasPrefix(l.text, "#") {
			continue
		}
		level := len(l.text) - len(strings.TrimLeft(l.text, "#"))
		if level > 6 || !strings.HasPrefix(l.text[level:], " ") {
			continue
		}
		out = append(out, heading{level: level, text: strings.TrimSpace(l.text[level:]), line: l})
	}
	return out
}

// heading is one Markdown heading.
type heading struct {
	level int
	text  string
	line  line
}

var slugDrop = regexp.MustCompile(`[^\p{L}\p{N} _-]`)

// anchors are the fragment identifiers GitHub gives a page's headings: lower case, punctuation
// dropped, spaces turned into dashes, and -1, -2 … after a repeated one.
func anchors(pg page) map[string]bool {
	seen := map[string]int{}
	out := map[string]bool{}
	for _, h := range headings(pg) {
		s := strings.ReplaceAll(slugDrop.ReplaceAllString(strings.ToLower(h.text), ""), " ", "-")
		if n := seen[s]; n > 0 {
			out[s+"-"+strconv.Itoa(n)] = true
		} else {
			out[s] = true
		}
		seen[s]++
	}
	return out
}
