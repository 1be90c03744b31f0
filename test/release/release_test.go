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
	"archive/tar"
	"bufio"
	"bytes"
	"compress/gzip"
	"debug/buildinfo"
	"debug/elf"
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"
)

// platforms are the manager image's; the plugin's add darwin.
var (
	imagePlatforms  = []string{"linux/amd64", "linux/arm64"}
	pluginPlatforms = []string{"linux/amd64", "linux/arm64", "darwin/amd64", "darwin/arm64"}
)

// The artifacts of make release VERSION=x.y.z in DIRSYNC_RELEASE_DIR, against each other: the
// images are the manager's and reproducible, the chart, the installer and the SBOM name them, the
// krew manifest the plugin archives, and SHA256SUMS every file.
func TestRelease(t *testing.T) {
	dir := os.Getenv("DIRSYNC_RELEASE_DIR")
	if dir == "" {
		t.Skip("set DIRSYNC_RELEASE_DIR to a make release output (make release does) to check the artifacts")
	}
	version := filepath.Base(dir)
	repo := os.Getenv("IMAGE_REPO")
	if repo == "" {
		repo = "ghcr.io/dirsync/dirsync"
	}
	ref := repo + ":" + version
	checkSums(t, dir)

	perPlatform := map[string]string{} // platform → manifest digest
	for _, p := range imagePlatforms {
		path := filepath.Join(dir, "dirsync-manager-"+version+"-"+strings.ReplaceAll(p, "/", "-")+".tar")
		l := readLayout(t, path)
		checkDockerManifest(t, path, l, ref)
		img := l.images[0]
		if got := img.config.OS + "/" + img.config.Architecture; got != p {
			t.Errorf("%s holds a %s image", path, got)
		}
		checkImage(t, img)
		checkManagerBuild(t, img.files["manager"].data, version)
		perPlatform[p] = img.digest
	}
	idx := readLayout(t, filepath.Join(dir, "dirsync-manager-"+version+".oci.tar"))
	if idx.top.MediaType != mediaIndex || idx.top.Annotations["io.containerd.image.name"] != ref {
		t.Errorf("the index tarball's index.json names %s %q, want an index named %s", idx.top.MediaType, idx.top.Annotations, ref)
	}
	var inIndex []string
	for _, img := range idx.images {
		inIndex = append(inIndex, img.config.OS+"/"+img.config.Architecture)
		if perPlatform[img.config.OS+"/"+img.config.Architecture] != img.digest {
			t.Errorf("the index's %s/%s image is %s, the platform tarball's %s", img.config.OS, img.config.Architecture, img.digest, perPlatform[img.config.OS+"/"+img.config.Architecture])
		}
	}
	if !slices.Equal(inIndex, imagePlatforms) {
		t.Errorf("the index holds %v, want %v", inIndex, imagePlatforms)
	}

	t.Run("reproducible", func(t *testing.T) {
		// The same code path again (hack/release.sh image): the go build and the image.
		again := t.TempDir()
		run(t, "../..", []string{"IMAGE_REPO=" + repo}, "hack/release.sh", "image", version, again)
		for _, name := range []string{"dirsync-manager-" + version + ".oci.tar", "dirsync-manager-" + version + "-linux-amd64.tar", "dirsync-manager-" + version + "-linux-arm64.tar"} {
			if a, b := fileSHA(t, filepath.Join(dir, name)), fileSHA(t, filepath.Join(again, name)); a != b {
				t.Errorf("%s: sha256 %s, and %s when built again", name, a, b)
			}
		}
	})
	t.Run("installer and chart", func(t *testing.T) { checkInstallerAndChart(t, dir, version, ref) })
	t.Run("plugin", func(t *testing.T) { checkPlugin(t, dir, version) })
	t.Run("sbom", func(t *testing.T) { checkSBOM(t, dir, version, repo, perPlatform) })
}

// checkManagerBuild checks the manager against the Dockerfile's build line: cmd/manager, static and
// with trimmed paths (the build information Go embeds says so; with -trimpath it leaves -ldflags
// out), stripped of symbols and DWARF (-s -w), and holding this release's version (-X).
func checkManagerBuild(t *testing.T, data []byte, version string) {
	t.Helper()
	bi, err := buildinfo.Read(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("/manager has no Go build information: %v", err)
	}
	settings := map[string]string{}
	for _, s := range bi.Settings {
		settings[s.Key] = s.Value
	}
	if bi.Path != "github.com/dirsync/dirsync/cmd/manager" || settings["CGO_ENABLED"] != "0" || settings["-trimpath"] != "true" {
		t.Errorf("/manager was built as %s with %v, want cmd/manager, CGO_ENABLED=0 and -trimpath", bi.Path, settings)
	}
	f, err := elf.NewFile(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range f.Sections {
		if s.Name == ".symtab" || strings.HasPrefix(s.Name, ".debug_") || strings.HasPrefix(s.Name, ".zdebug_") {
			t.Errorf("/manager has a %s section: not built with -ldflags \"-s -w\"", s.Name)
		}
	}
	// A necessary sign of -X only (another string may hold the same bytes); "reproducible" rebuilds
	// the image with hack/release.sh's build line and compares.
	if !bytes.Contains(data, []byte(version)) {
		t.Errorf("/manager does not contain its version %q: not built with -X …/internal/provider.Version", version)
	}
}

// checkSums checks that SHA256SUMS lists every other file of dir with its digest.
func checkSums(t *testing.T, dir string) {
	t.Helper()
	sums, err := os.ReadFile(filepath.Join(dir, "SHA256SUMS"))
	if err != nil {
		t.Fatal(err)
	}
	listed := map[string]string{}
	sc := bufio.NewScanner(bytes.NewReader(sums))
	for sc.Scan() {
		sum, name, ok := strings.Cut(sc.Text(), "  ")
		if !ok {
			t.Fatalf("SHA256SUMS line %q is not sha256sum's format", sc.Text())
		}
		listed[name] = sum
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if e.Name() == "SHA256SUMS" || strings.HasPrefix(e.Name(), ".") {
			continue
		}
		if got := fileSHA(t, filepath.Join(dir, e.Name())); listed[e.Name()] != got {
			t.Errorf("SHA256SUMS says %q for %s, which is %s", listed[e.Name()], e.Name(), got)
		}
		delete(listed, e.Name())
	}
	for name := range listed {
		t.Errorf("SHA256SUMS lists %s, which is not in the release", name)
	}
}

// checkInstallerAndChart checks that install.yaml and the packaged chart run the release's image.
func checkInstallerAndChart(t *testing.T, dir, version, ref string) {
	install, err := os.ReadFile(filepath.Join(dir, "install.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if images := imagesIn(t, install); !slices.Equal(images, []string{ref}) {
		t.Errorf("install.yaml runs %v, want [%s]", images, ref)
	}
	files := untar(t, filepath.Join(dir, "dirsync-"+version+".tgz"))
	var chart struct{ Version, AppVersion, KubeVersion string }
	if err := yaml.Unmarshal(files["dirsync/Chart.yaml"], &chart); err != nil {
		t.Fatal(err)
	}
	if chart.Version != version || chart.AppVersion != version {
		t.Errorf("the packaged chart is version %q appVersion %q, want %s", chart.Version, chart.AppVersion, version)
	}
	helm := os.Getenv("HELM")
	if helm == "" {
		t.Skip("HELM is not set: not rendering the packaged chart")
	}
	// As a user installs it: no --kube-version (helm assumes its own), no values.
	out := run(t, ".", nil, helm, "template", "dirsync", filepath.Join(dir, "dirsync-"+version+".tgz"), "-n", "dirsync-system")
	if images := imagesIn(t, out); !slices.Equal(images, []string{ref}) {
		t.Errorf("the packaged chart runs %v, want [%s]", images, ref)
	}
}

// imagesIn returns the container images of the Deployments in a multi-document YAML stream.
func imagesIn(t *testing.T, stream []byte) []string {
	t.Helper()
	var images []string
	for _, doc := range strings.Split(string(stream), "\n---") {
		var o struct {
			Kind string
			Spec struct {
				Template struct {
					Spec struct{ Containers []struct{ Image string } }
				}
			}
		}
		if err := yaml.Unmarshal([]byte(doc), &o); err != nil {
			t.Fatalf("%v:\n%.300s", err, doc)
		}
		if o.Kind == "Deployment" {
			for _, c := range o.Spec.Template.Spec.Containers {
				images = append(images, c.Image)
			}
		}
	}
	return images
}

// checkPlugin checks each plugin archive (the binary for its platform, and the licence) against the
// krew manifest.
func checkPlugin(t *testing.T, dir, version string) {
	raw, err := os.ReadFile(filepath.Join(dir, "dirsync.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var krew struct {
		Kind     string
		Metadata struct{ Name string }
		Spec     struct {
			Version   string
			Platforms []struct {
				Selector struct {
					MatchLabels map[string]string `json:"matchLabels"`
				}
				URI, Sha256, Bin string
			}
		}
	}
	if err := yaml.Unmarshal(raw, &krew); err != nil {
		t.Fatal(err)
	}
	if krew.Kind != "Plugin" || krew.Metadata.Name != "dirsync" || krew.Spec.Version != "v"+version || len(krew.Spec.Platforms) != len(pluginPlatforms) {
		t.Fatalf("krew manifest: %+v", krew)
	}
	license, err := os.ReadFile("../../LICENSE")
	if err != nil {
		t.Fatal(err)
	}
	for i, p := range pluginPlatforms {
		goos, goarch, _ := strings.Cut(p, "/")
		name := "kubectl-dirsync-" + version + "-" + goos + "-" + goarch + ".tar.gz"
		kp := krew.Spec.Platforms[i]
		if kp.Selector.MatchLabels["os"] != goos || kp.Selector.MatchLabels["arch"] != goarch || !strings.HasSuffix(kp.URI, "/v"+version+"/"+name) ||
			kp.Sha256 != fileSHA(t, filepath.Join(dir, name)) || kp.Bin != "kubectl-dirsync" {
			t.Errorf("krew platform %d is %+v, want %s with its sha256", i, kp, name)
		}
		files := untar(t, filepath.Join(dir, name))
		if !bytes.Equal(files["LICENSE"], license) {
			t.Errorf("%s has no LICENSE (krew wants one)", name)
		}
		bin := files["kubectl-dirsync"]
		magic := map[string][]byte{"linux": []byte("\x7fELF"), "darwin": {0xcf, 0xfa, 0xed, 0xfe}}[goos]
		if !bytes.HasPrefix(bin, magic) {
			t.Errorf("%s: kubectl-dirsync is not a %s executable", name, goos)
		}
		if bi, err := buildinfo.Read(bytes.NewReader(bin)); err != nil || bi.Path != "github.com/dirsync/dirsync/cmd/kubectl-dirsync" {
			t.Errorf("%s: kubectl-dirsync build information %v, %v", name, bi, err)
		}
	}
}

// checkSBOM checks that the SPDX document describes every binary, by its digest, and every image.
func checkSBOM(t *testing.T, dir, version, repo string, images map[string]string) {
	var doc struct {
		SPDXVersion       string   `json:"spdxVersion"`
		DocumentDescribes []string `json:"documentDescribes"`
		Packages          []struct {
			SPDXID    string
			Name      string
			Checksums []struct{ ChecksumValue string }
		} `json:"packages"`
		Relationships []struct {
			Element string `json:"spdxElementId"`
			Type    string `json:"relationshipType"`
			Related string `json:"relatedSpdxElement"`
		} `json:"relationships"`
	}
	raw, err := os.ReadFile(filepath.Join(dir, "dirsync-"+version+".spdx.json"))
	if err != nil {
		t.Fatal(err)
	}
	unmarshal(t, raw, &doc)
	sums := map[string]string{}
	modules := 0
	for _, p := range doc.Packages {
		if len(p.Checksums) == 1 {
			sums[p.Name] = p.Checksums[0].ChecksumValue
		}
		if strings.HasPrefix(p.SPDXID, "SPDXRef-Go-") {
			modules++
		}
	}
	if doc.SPDXVersion != "SPDX-2.3" || modules < 20 || len(doc.DocumentDescribes) != len(imagePlatforms)*2+len(pluginPlatforms) {
		t.Errorf("SBOM: %s, %d Go modules, describes %d elements", doc.SPDXVersion, modules, len(doc.DocumentDescribes))
	}
	for p, digest := range images {
		if got := sums[repo+":"+version+" ("+p+")"]; "sha256:"+got != digest {
			t.Errorf("SBOM: the %s image's checksum is %q, its digest %s", p, got, digest)
		}
		l := readLayout(t, filepath.Join(dir, "dirsync-manager-"+version+"-"+strings.ReplaceAll(p, "/", "-")+".tar"))
		if got := sums["manager ("+p+")"]; got != sha(l.images[0].files["manager"].data) {
			t.Errorf("SBOM: the %s manager's checksum %q is not the image's /manager", p, got)
		}
	}
	for _, p := range pluginPlatforms {
		goos, goarch, _ := strings.Cut(p, "/")
		bin := untar(t, filepath.Join(dir, "kubectl-dirsync-"+version+"-"+goos+"-"+goarch+".tar.gz"))["kubectl-dirsync"]
		if got := sums["kubectl-dirsync ("+p+")"]; got != sha(bin) {
			t.Errorf("SBOM: kubectl-dirsync (%s)'s checksum %q is not the archive's", p, got)
		}
	}
	dependsOn := 0
	for _, r := range doc.Relationships {
		if r.Type == "DEPENDS_ON" && strings.HasPrefix(r.Related, "SPDXRef-Go-k8s.io-client-go-") {
			dependsOn++
		}
	}
	if dependsOn != len(imagePlatforms)+len(pluginPlatforms) {
		t.Errorf("SBOM: %d binaries depend on k8s.io/client-go, want all %d", dependsOn, len(imagePlatforms)+len(pluginPlatforms))
	}
}

// untar reads a .tar.gz's regular files.
func untar(t *testing.T, path string) map[string][]byte {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	files := map[string][]byte{}
	tr := tar.NewReader(zr)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return files
		}
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		if h.Typeflag == tar.TypeReg {
			if files[h.Name], err = io.ReadAll(tr); err != nil {
				t.Fatal(err)
			}
		}
	}
}
