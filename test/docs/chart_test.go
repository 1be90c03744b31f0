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
	"strings"
	"testing"

	"sigs.k8s.io/yaml"
)

// misspelt are chart values the docs name on purpose as ones the chart refuses.
var misspelt = map[string]bool{
	"replica": true, // "values.schema.json refuses a misspelt value (--set replica=3)"
}

// chartFields are Chart.yaml's fields, which the docs call "the chart's version" and the like.
var chartFields = map[string]bool{"version": true, "appVersion": true, "kubeVersion": true}

var (
	setFlag    = regexp.MustCompile(`--set(?:-string|-file|-json)?[ =]([A-Za-z0-9_.\[\]-]+)=`)
	namedValue = regexp.MustCompile("(?:[Cc]hart's|Chart:|Helm:|chart value|chart's values?) `([^`]+)`")
	valuePath  = regexp.MustCompile(`^[a-zA-Z][a-zA-Z0-9]*(?:\.[a-zA-Z0-9]+)*$`)
)

// Every chart value the docs name, in a --set or as "the chart's `a.b`", is in dist/chart/values.yaml.
// (The chart's README's table of values is checked against values.yaml by test/chart.)
func TestChartValuesExist(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(root, "dist", "chart", "values.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var values map[string]any
	if err := yaml.Unmarshal(b, &values); err != nil {
		t.Fatal(err)
	}
	checked := 0
	for _, pg := range userDocs(t) {
		for _, l := range pg.lines {
			for _, name := range namedValues(l.text) {
				checked++
				if !misspelt[name] && !hasValue(values, strings.Split(name, ".")) {
					t.Errorf("%s: the chart has no value %s (dist/chart/values.yaml)", pg.where(l), name)
				}
			}
		}
	}
	if checked < 10 {
		t.Errorf("found only %d chart values named in the docs: is the pattern still right?", checked)
	}
}

// namedValues are the chart values a line names.
func namedValues(text string) []string {
	var out []string
	for _, m := range setFlag.FindAllStringSubmatch(text, -1) {
		out = append(out, regexp.MustCompile(`\[\d+\]`).ReplaceAllString(m[1], ""))
	}
	for _, m := range namedValue.FindAllStringSubmatch(text, -1) {
		name, _, _ := strings.Cut(m[1], "=")
		name, _, _ = strings.Cut(name, ":")
		if valuePath.MatchString(name) && !chartFields[name] {
			out = append(out, name)
		}
	}
	return out
}

// hasValue is whether path leads somewhere in values: through maps by key, anywhere below a list or an
// empty map (free-form values such as podAnnotations or extraEnv).
func hasValue(values map[string]any, path []string) bool {
	var cur any = values
	for i, seg := range path {
		m, ok := cur.(map[string]any)
		if !ok {
			_, isList := cur.([]any)
			return isList
		}
		if len(m) == 0 && i > 0 {
			return true
		}
		if cur, ok = m[seg]; !ok {
			return false
		}
	}
	return true
}
