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

package release

import (
	"os"
	"regexp"
	"slices"
	"testing"

	"sigs.k8s.io/yaml"
)

// The checked-in defaults agree: config/manager runs the chart's image repository at its appVersion,
// the chart's kubeVersion starts at the floor make test-floor tests (hack/k8sbins-floor), and the
// chart renders as values.yaml writes it with the repository's own helm and no --kube-version.
func TestCheckedInDefaultsAgree(t *testing.T) {
	var chart struct{ AppVersion, KubeVersion string }
	var values struct {
		Image struct{ Repository, Tag string }
	}
	var kustomization struct {
		Images []struct {
			Name    string
			NewName string `json:"newName"`
			NewTag  string `json:"newTag"`
		}
	}
	readYAML(t, "../../dist/chart/Chart.yaml", &chart)
	readYAML(t, "../../dist/chart/values.yaml", &values)
	readYAML(t, "../../config/manager/kustomization.yaml", &kustomization)
	if len(kustomization.Images) != 1 || kustomization.Images[0].NewName != values.Image.Repository ||
		kustomization.Images[0].NewTag != chart.AppVersion || values.Image.Tag != "" {
		t.Errorf("config/manager runs %+v; the chart %s:%s (image.tag %q, which should be empty to follow appVersion)",
			kustomization.Images, values.Image.Repository, chart.AppVersion, values.Image.Tag)
	}

	floor := regexp.MustCompile(`(?m)^FLOOR_K8S_VERSION \?= (1\.\d+)\.\d+$`).FindSubmatch(readFile(t, "../../Makefile"))
	pinned := regexp.MustCompile(`(?m)^\tk8s\.io/kubernetes v(1\.\d+)\.\d+$`).FindSubmatch(readFile(t, "../../hack/k8sbins-floor/go.mod"))
	if floor == nil || pinned == nil || string(floor[1]) != string(pinned[1]) || chart.KubeVersion != ">= "+string(floor[1])+".0-0" {
		t.Errorf("the floor: Makefile %q, hack/k8sbins-floor %q, the chart's kubeVersion %q: they must name one minor version", floor, pinned, chart.KubeVersion)
	}

	helm := os.Getenv("HELM")
	if helm == "" {
		t.Skip("HELM is not set (make test sets it): not rendering the chart")
	}
	out := run(t, ".", nil, helm, "template", "dirsync", "../../dist/chart", "-n", "dirsync-system")
	if images := imagesIn(t, out); !slices.Equal(images, []string{values.Image.Repository + ":" + chart.AppVersion}) {
		t.Errorf("helm template dist/chart runs %v, want %s:%s", images, values.Image.Repository, chart.AppVersion)
	}
}

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func readYAML(t *testing.T, path string, v any) {
	t.Helper()
	if err := yaml.Unmarshal(readFile(t, path), v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}
