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

// Package release tests what make release builds (hack/release.sh, hack/tools/release): the manager
// image, read from its tarball as a registry or a container runtime would read it, and the other
// artifacts against each other. Without DIRSYNC_RELEASE_DIR, it builds the image of a tiny static
// binary with the same code, twice, so that go test ./... checks the image's shape and reproducibility
// cheaply; make release points DIRSYNC_RELEASE_DIR at dist/<version> to check the real artifacts.
package release

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"crypto/x509"
	"debug/elf"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

const (
	mediaIndex    = "application/vnd.oci.image.index.v1+json"
	mediaManifest = "application/vnd.oci.image.manifest.v1+json"
)

// The parts of the OCI image layout, image index, manifest and config these tests read.
type descriptor struct {
	MediaType   string            `json:"mediaType"`
	Digest      string            `json:"digest"`
	Size        int64             `json:"size"`
	Annotations map[string]string `json:"annotations"`
	Platform    *struct {
		OS           string `json:"os"`
		Architecture string `json:"architecture"`
	} `json:"platform"`
}

type index struct {
	MediaType string       `json:"mediaType"`
	Manifests []descriptor `json:"manifests"`
}

type manifest struct {
	MediaType string       `json:"mediaType"`
	Config    descriptor   `json:"config"`
	Layers    []descriptor `json:"layers"`
}

type imageConfig struct {
	OS           string `json:"os"`
	Architecture string `json:"architecture"`
	Created      string `json:"created"`
	Config       struct {
		User       string
		Entrypoint []string
		Cmd        []string
		WorkingDir string
	} `json:"config"`
	RootFS struct {
		DiffIDs []string `json:"diff_ids"`
	} `json:"rootfs"`
}

// file is one file of an image's filesystem.
type file struct {
	hdr  *tar.Header
	data []byte
}

// image is one platform's image read from a tarball.
type image struct {
	digest string // the manifest's
	config imageConfig
	files  map[string]file // by path without the leading "/"
}

// layout is an OCI image layout tarball, read whole.
type layout struct {
	entries map[string][]byte
	top     descriptor // index.json's one manifest
	images  []image
	docker  []struct{ Config, RepoTags, Layers any } // manifest.json, if any
}

// readLayout reads and checks the tarball at path: every blob's content matches its digest, every
// layer's uncompressed content its diff_id, and the images' filesystems are returned.
func readLayout(t *testing.T, path string) layout {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	l := layout{entries: map[string][]byte{}}
	tr := tar.NewReader(f)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		if h.Typeflag == tar.TypeReg {
			if l.entries[h.Name], err = io.ReadAll(tr); err != nil {
				t.Fatal(err)
			}
		}
	}
	if string(l.entries["oci-layout"]) != `{"imageLayoutVersion":"1.0.0"}` {
		t.Fatalf("%s: oci-layout is %q", path, l.entries["oci-layout"])
	}
	for name, data := range l.entries {
		if hexDigest, ok := strings.CutPrefix(name, "blobs/sha256/"); ok && sha(data) != hexDigest {
			t.Errorf("%s: blob %s has digest sha256:%s", path, name, sha(data))
		}
	}
	var top index
	unmarshal(t, l.entries["index.json"], &top)
	if len(top.Manifests) != 1 {
		t.Fatalf("%s: index.json names %d manifests, want 1", path, len(top.Manifests))
	}
	l.top = top.Manifests[0]
	descs := []descriptor{l.top}
	if l.top.MediaType == mediaIndex {
		var idx index
		unmarshal(t, l.blob(t, l.top), &idx)
		descs = idx.Manifests
	}
	for _, d := range descs {
		l.images = append(l.images, l.image(t, d))
	}
	if raw, ok := l.entries["manifest.json"]; ok {
		unmarshal(t, raw, &l.docker)
	}
	return l
}

func (l layout) blob(t *testing.T, d descriptor) []byte {
	t.Helper()
	data, ok := l.entries["blobs/"+strings.Replace(d.Digest, ":", "/", 1)]
	if !ok || int64(len(data)) != d.Size {
		t.Fatalf("blob %s: present %v, %d bytes, want %d", d.Digest, ok, len(data), d.Size)
	}
	return data
}

// image reads the image manifest d names, its config and its layers' files.
func (l layout) image(t *testing.T, d descriptor) image {
	t.Helper()
	if d.MediaType != mediaManifest {
		t.Fatalf("manifest %s has media type %s, want %s", d.Digest, d.MediaType, mediaManifest)
	}
	var m manifest
	unmarshal(t, l.blob(t, d), &m)
	img := image{digest: d.Digest, files: map[string]file{}}
	unmarshal(t, l.blob(t, m.Config), &img.config)
	if d.Platform != nil && (d.Platform.OS != img.config.OS || d.Platform.Architecture != img.config.Architecture) {
		t.Errorf("%s: the index says %+v, the config %s/%s", d.Digest, *d.Platform, img.config.OS, img.config.Architecture)
	}
	if len(m.Layers) != len(img.config.RootFS.DiffIDs) {
		t.Fatalf("%s: %d layers, %d diff_ids", d.Digest, len(m.Layers), len(img.config.RootFS.DiffIDs))
	}
	for i, ld := range m.Layers {
		zr, err := gzip.NewReader(bytes.NewReader(l.blob(t, ld)))
		if err != nil {
			t.Fatalf("layer %s: %v", ld.Digest, err)
		}
		raw, err := io.ReadAll(zr)
		if err != nil {
			t.Fatalf("layer %s: %v", ld.Digest, err)
		}
		if "sha256:"+sha(raw) != img.config.RootFS.DiffIDs[i] {
			t.Errorf("layer %s: uncompressed digest sha256:%s, diff_id %s", ld.Digest, sha(raw), img.config.RootFS.DiffIDs[i])
		}
		tr := tar.NewReader(bytes.NewReader(raw))
		for {
			h, err := tr.Next()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				t.Fatalf("layer %s: %v", ld.Digest, err)
			}
			data, err := io.ReadAll(tr)
			if err != nil {
				t.Fatal(err)
			}
			img.files[strings.TrimSuffix(h.Name, "/")] = file{hdr: h, data: data}
		}
	}
	return img
}

// checkImage checks what every manager image must be: run as 65532:65532 with /manager as its
// entrypoint, which is a static executable for the image's platform, with the nonroot user and
// group in /etc, its home, a sticky /tmp and Mozilla's root certificates where Go looks for them.
func checkImage(t *testing.T, img image) {
	t.Helper()
	c := img.config
	where := fmt.Sprintf("image %s (%s/%s)", img.digest, c.OS, c.Architecture)
	if c.Config.User != "65532:65532" {
		t.Errorf("%s: user %q, want 65532:65532", where, c.Config.User)
	}
	if !slices.Equal(c.Config.Entrypoint, []string{"/manager"}) || len(c.Config.Cmd) != 0 {
		t.Errorf("%s: entrypoint %q cmd %q, want [/manager] and none", where, c.Config.Entrypoint, c.Config.Cmd)
	}
	bin, ok := img.files["manager"]
	if !ok || bin.hdr.Typeflag != tar.TypeReg || bin.hdr.Mode&0o111 == 0 || bin.hdr.Mode&0o022 != 0 {
		t.Fatalf("%s: /manager is not an executable file only root can write (%+v)", where, bin.hdr)
	}
	checkStatic(t, where, bin.data, c.Architecture)

	wantFiles := map[string]string{
		"etc/passwd": "nonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin\n",
		"etc/group":  "nonroot:x:65532:\n",
	}
	for name, line := range wantFiles {
		if f := img.files[name]; !strings.Contains(string(f.data), line) {
			t.Errorf("%s: /%s lacks %q:\n%s", where, name, line, f.data)
		}
	}
	if h := img.files["home/nonroot"].hdr; h == nil || h.Typeflag != tar.TypeDir || h.Uid != 65532 || h.Gid != 65532 {
		t.Errorf("%s: /home/nonroot is not a directory of 65532:65532 (%+v)", where, h)
	}
	if h := img.files["tmp"].hdr; h == nil || h.Typeflag != tar.TypeDir || fs.FileMode(h.Mode)&fs.ModePerm != 0o777 || h.Mode&0o1000 == 0 {
		t.Errorf("%s: /tmp is not a sticky 1777 directory (%+v)", where, h)
	}
	checkCertificates(t, where, img.files["etc/ssl/certs/ca-certificates.crt"].data)
}

// checkStatic fails unless data is an ELF executable for arch with no interpreter and no shared
// libraries: a static binary, which an image with no libc needs.
func checkStatic(t *testing.T, where string, data []byte, arch string) {
	t.Helper()
	f, err := elf.NewFile(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("%s: /manager is not ELF: %v", where, err)
	}
	machine := map[string]elf.Machine{"amd64": elf.EM_X86_64, "arm64": elf.EM_AARCH64}[arch]
	if f.Machine != machine || f.Type != elf.ET_EXEC {
		t.Errorf("%s: /manager is %v %v, want an %v executable", where, f.Machine, f.Type, machine)
	}
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			t.Errorf("%s: /manager has a dynamic loader (PT_INTERP): not static", where)
		}
	}
	if libs, _ := f.ImportedLibraries(); len(libs) > 0 {
		t.Errorf("%s: /manager needs shared libraries %v", where, libs)
	}
}

// checkCertificates fails unless bundle is a PEM bundle of at least 100 CA certificates, all
// parseable, as Mozilla's roots are.
func checkCertificates(t *testing.T, where string, bundle []byte) {
	t.Helper()
	n := 0
	for rest := bundle; ; n++ {
		var b *pem.Block
		if b, rest = pem.Decode(rest); b == nil {
			if len(bytes.TrimSpace(rest)) > 0 {
				t.Errorf("%s: the CA bundle has %d bytes that are not PEM", where, len(rest))
			}
			break
		}
		c, err := x509.ParseCertificate(b.Bytes)
		if err != nil || !c.IsCA {
			t.Errorf("%s: certificate %d of the CA bundle: CA %v, %v", where, n, c != nil && c.IsCA, err)
		}
	}
	if n < 100 {
		t.Errorf("%s: /etc/ssl/certs/ca-certificates.crt holds %d certificates, want Mozilla's (over 100)", where, n)
	}
}

// checkDockerManifest checks the manifest.json that lets docker load the per-platform tarball:
// it names ref and the image's config and layers.
func checkDockerManifest(t *testing.T, path string, l layout, ref string) {
	t.Helper()
	if len(l.docker) != 1 || len(l.images) != 1 {
		t.Fatalf("%s: %d docker manifests for %d images, want 1 and 1", path, len(l.docker), len(l.images))
	}
	d := l.docker[0]
	var m manifest
	unmarshal(t, l.blob(t, l.top), &m)
	layers := []any{}
	for _, ld := range m.Layers {
		layers = append(layers, "blobs/"+strings.Replace(ld.Digest, ":", "/", 1))
	}
	if d.Config != "blobs/"+strings.Replace(m.Config.Digest, ":", "/", 1) || !slices.Equal(d.Layers.([]any), layers) ||
		!slices.Equal(d.RepoTags.([]any), []any{ref}) {
		t.Errorf("%s: manifest.json %+v does not name %s with config %s and layers %v", path, d, ref, m.Config.Digest, layers)
	}
	if l.top.Annotations["io.containerd.image.name"] != ref {
		t.Errorf("%s: index.json names %q, want %s", path, l.top.Annotations["io.containerd.image.name"], ref)
	}
}

// The image code path (hack/tools/release image) on a tiny static binary, twice: the tarballs are
// byte for byte the same, and the image is what a manager image must be.
func TestImageIsStaticNonRootWithCertificatesAndReproducible(t *testing.T) {
	if os.Getenv("DIRSYNC_RELEASE_DIR") != "" {
		t.Skip("TestRelease checks the real images")
	}
	work := t.TempDir()
	tool := buildTool(t, work)
	bin := filepath.Join(work, "tiny")
	goBuild(t, ".", "linux", "amd64", bin, "./testdata/tiny")
	var sums []string
	for i := range 2 {
		out := filepath.Join(work, fmt.Sprint("out", i))
		if err := os.Mkdir(out, 0o755); err != nil {
			t.Fatal(err)
		}
		run(t, ".", nil, tool, "image", "--version", "0.0.0-test", "--repo", "example.test/dirsync", "--epoch", "1700000000",
			"--out", out, "linux/amd64="+bin)
		sums = append(sums, fileSHA(t, filepath.Join(out, "dirsync-manager-0.0.0-test.oci.tar"))+" "+
			fileSHA(t, filepath.Join(out, "dirsync-manager-0.0.0-test-linux-amd64.tar")))
	}
	if sums[0] != sums[1] {
		t.Errorf("two builds of the same binary gave different tarballs: %s, %s", sums[0], sums[1])
	}
	perArch := filepath.Join(work, "out0", "dirsync-manager-0.0.0-test-linux-amd64.tar")
	l := readLayout(t, perArch)
	checkImage(t, l.images[0])
	checkDockerManifest(t, perArch, l, "example.test/dirsync:0.0.0-test")
	if c := l.images[0].config.Created; c != "2023-11-14T22:13:20Z" {
		t.Errorf("created %s, want --epoch's 2023-11-14T22:13:20Z", c)
	}
	idx := readLayout(t, filepath.Join(work, "out0", "dirsync-manager-0.0.0-test.oci.tar"))
	if idx.top.MediaType != mediaIndex || len(idx.images) != 1 || idx.images[0].digest != l.images[0].digest {
		t.Errorf("the index tarball holds %s with images %v, want an index of %s", idx.top.MediaType, idx.images, l.images[0].digest)
	}
}

// buildTool builds hack/tools/release (a module of its own) into dir.
func buildTool(t *testing.T, dir string) string {
	t.Helper()
	tool := filepath.Join(dir, "release-tool")
	run(t, "../../hack/tools/release", []string{"GOWORK=off"}, "go", "build", "-o", tool, ".")
	return tool
}

// goBuild builds pkg for goos/goarch as the Dockerfile builds the manager.
func goBuild(t *testing.T, dir, goos, goarch, out, pkg string) {
	t.Helper()
	run(t, dir, []string{"CGO_ENABLED=0", "GOOS=" + goos, "GOARCH=" + goarch}, "go", "build", "-trimpath", "-ldflags=-s -w", "-o", out, pkg)
}

func run(t *testing.T, dir string, env []string, name string, args ...string) []byte {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Dir, cmd.Env = dir, append(os.Environ(), env...)
	out, err := cmd.Output()
	if err != nil {
		var stderr []byte
		if ee := new(exec.ExitError); errors.As(err, &ee) {
			stderr = ee.Stderr
		}
		t.Fatalf("%s %s: %v\n%s%s", name, strings.Join(args, " "), err, out, stderr)
	}
	return out
}

func unmarshal(t *testing.T, data []byte, v any) {
	t.Helper()
	if err := json.Unmarshal(data, v); err != nil {
		t.Fatalf("%v: %s", err, data)
	}
}

func sha(data []byte) string {
	s := sha256.Sum256(data)
	return hex.EncodeToString(s[:])
}

func fileSHA(t *testing.T, path string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return sha(data)
}
