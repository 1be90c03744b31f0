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
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"
	"golang.org/x/crypto/x509roots/fallback/bundle"
)

// The image's user: distroless's nonroot, which the Dockerfile's final stage and config/manager run as.
const (
	nonroot    = 65532
	user       = "65532:65532"
	entrypoint = "/manager"
	// caBundle is where Go (crypto/x509 on Linux), and Debian and Alpine tools, look first.
	caBundle = "etc/ssl/certs/ca-certificates.crt"
)

// imageCmd builds the manager image for each OS/ARCH=BINARY and writes the tarballs (see main).
func imageCmd(args []string) error {
	fs := newFlagSet("image")
	var c common
	c.register(fs)
	repo := fs.String("repo", "", "repository the tarballs name the image by (REPO:VERSION), e.g. ghcr.io/dirsync/dirsync")
	revision := fs.String("revision", "", "the git commit built (label org.opencontainers.image.revision)")
	if err := parse(fs, &c, args, true); err != nil {
		return err
	}
	if *repo == "" {
		return fmt.Errorf("image: --repo is required")
	}
	created, err := c.time()
	if err != nil {
		return err
	}
	bins, err := pairs(fs.Args())
	if err != nil {
		return fmt.Errorf("image: %w", err)
	}
	ref := *repo + ":" + c.version
	labels := imageLabels(c.version, *revision)
	base, err := baseLayer(created)
	if err != nil {
		return err
	}
	idx := mutate.IndexMediaType(empty.Index, types.OCIImageIndex)
	for _, b := range bins {
		goos, goarch, ok := strings.Cut(b[0], "/")
		if !ok {
			return fmt.Errorf("image: want OS/ARCH=BINARY, got %s=%s", b[0], b[1])
		}
		binary, err := os.ReadFile(b[1])
		if err != nil {
			return err
		}
		img, err := managerImage(base, v1.Platform{OS: goos, Architecture: goarch}, binary, created, labels)
		if err != nil {
			return fmt.Errorf("image %s: %w", b[0], err)
		}
		name := filepath.Join(c.out, fmt.Sprintf("dirsync-manager-%s-%s-%s.tar", c.version, goos, goarch))
		if err := writeImageTar(name, created, img, ref); err != nil {
			return err
		}
		idx = mutate.AppendManifests(idx, mutate.IndexAddendum{Add: img, Descriptor: v1.Descriptor{Platform: platform(goos, goarch)}})
	}
	idx, ok := mutate.Annotations(idx, labels).(v1.ImageIndex)
	if !ok {
		return fmt.Errorf("image: annotating the index gave no index")
	}
	d, err := idx.Digest()
	if err != nil {
		return err
	}
	name := filepath.Join(c.out, fmt.Sprintf("dirsync-manager-%s.oci.tar", c.version))
	if err := writeIndexTar(name, created, idx, ref); err != nil {
		return err
	}
	fmt.Printf("%s: %s %s\n", name, ref, d)
	return nil
}

// imageLabels are the OCI annotations the image config (as labels) and the index carry.
func imageLabels(version, revision string) map[string]string {
	labels := map[string]string{
		"org.opencontainers.image.title":       "dirsync",
		"org.opencontainers.image.description": "dirsync's manager: HR directories as Kubernetes objects",
		"org.opencontainers.image.source":      "https://github.com/dirsync/dirsync",
		"org.opencontainers.image.licenses":    "Apache-2.0",
		"org.opencontainers.image.version":     version,
	}
	if revision != "" {
		labels["org.opencontainers.image.revision"] = revision
	}
	return labels
}

// platform is the descriptor platform of GOOS/GOARCH, with arm64's usual variant.
func platform(goos, goarch string) *v1.Platform {
	p := &v1.Platform{OS: goos, Architecture: goarch}
	if goarch == "arm64" {
		p.Variant = "v8"
	}
	return p
}

// baseLayer is what distroless/static:nonroot gives the Dockerfile's image and a static Go binary
// needs: the nonroot user and group (uid and gid 65532) with a home, root's and nobody's entries, a
// sticky /tmp, an nsswitch.conf that asks /etc/hosts before DNS, and Mozilla's root certificates.
func baseLayer(created time.Time) (v1.Layer, error) {
	certs, err := caCertificates()
	if err != nil {
		return nil, err
	}
	dir := func(name string, mode int64, owner int) entry {
		return entry{name: name, mode: mode, uid: owner, gid: owner}
	}
	file := func(name, data string) entry { return entry{name: name, mode: 0o644, data: []byte(data)} }
	return layer(created, []entry{
		dir("etc/", 0o755, 0),
		file("etc/passwd", "root:x:0:0:root:/root:/sbin/nologin\n"+
			"nobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin\n"+
			"nonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin\n"),
		file("etc/group", "root:x:0:\nnobody:x:65534:\nnonroot:x:65532:\n"),
		file("etc/nsswitch.conf", "passwd: files\ngroup: files\nhosts: files dns\n"),
		dir("etc/ssl/", 0o755, 0),
		dir("etc/ssl/certs/", 0o755, 0),
		{name: caBundle, mode: 0o644, data: certs},
		dir("home/", 0o755, 0),
		dir("home/nonroot/", 0o700, nonroot),
		dir("root/", 0o700, 0),
		dir("tmp/", 0o1777, 0),
	})
}

// caCertificates is the PEM bundle of the Mozilla (NSS) roots that golang.org/x/crypto/x509roots
// carries, pinned by this module's go.sum. Roots that NSS trusts only for certificates issued
// before a date are left out: a PEM file cannot say so, and trusting them without the date would
// trust more than Mozilla does.
func caCertificates() ([]byte, error) {
	var b bytes.Buffer
	n := 0
	for r := range bundle.Roots() {
		if r.Constraint != nil {
			continue
		}
		if err := pem.Encode(&b, &pem.Block{Type: "CERTIFICATE", Bytes: r.Certificate}); err != nil {
			return nil, err
		}
		n++
	}
	if n < 100 {
		return nil, fmt.Errorf("only %d unconstrained roots in golang.org/x/crypto/x509roots/fallback/bundle", n)
	}
	return b.Bytes(), nil
}

// layer makes a gzip-compressed OCI layer of entries.
func layer(created time.Time, entries []entry) (v1.Layer, error) {
	var b bytes.Buffer
	if err := writeTar(&b, created, entries); err != nil {
		return nil, err
	}
	data := b.Bytes()
	return tarball.LayerFromOpener(func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(data)), nil },
		tarball.WithMediaType(types.OCILayer), tarball.WithCompressionLevel(gzip.BestCompression), tarball.WithCompressedCaching)
}

// managerImage is base plus a layer with the binary at /manager, run as nonroot.
func managerImage(base v1.Layer, p v1.Platform, binary []byte, created time.Time, labels map[string]string) (v1.Image, error) {
	bin, err := layer(created, []entry{{name: strings.TrimPrefix(entrypoint, "/"), mode: 0o755, data: binary}})
	if err != nil {
		return nil, err
	}
	img := mutate.ConfigMediaType(mutate.MediaType(empty.Image, types.OCIManifestSchema1), types.OCIConfigJSON)
	at := v1.Time{Time: created}
	img, err = mutate.Append(img,
		mutate.Addendum{Layer: base, History: v1.History{Created: at, CreatedBy: "dirsync release: /etc/passwd, /etc/group, /etc/nsswitch.conf, " + caBundle + ", /home/nonroot, /tmp"}},
		mutate.Addendum{Layer: bin, History: v1.History{Created: at, CreatedBy: "dirsync release: " + entrypoint}},
	)
	if err != nil {
		return nil, err
	}
	cf, err := img.ConfigFile()
	if err != nil {
		return nil, err
	}
	cf = cf.DeepCopy()
	pl := platform(p.OS, p.Architecture)
	cf.OS, cf.Architecture, cf.Variant = pl.OS, pl.Architecture, pl.Variant
	cf.Created = at
	cf.Config = v1.Config{
		User:       user,
		Entrypoint: []string{entrypoint},
		WorkingDir: "/",
		Env:        []string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"},
		Labels:     labels,
	}
	return mutate.ConfigFile(img, cf)
}

// blobs collects the content-addressed files of an OCI image layout.
type blobs map[string][]byte // "sha256:<hex>" → content

func (b blobs) add(data []byte) string {
	sum := sha256.Sum256(data)
	d := "sha256:" + hex.EncodeToString(sum[:])
	b[d] = data
	return d
}

// addImage adds img's manifest, config and layers, and returns the layers' digests.
func (b blobs) addImage(img v1.Image) ([]string, error) {
	m, err := img.RawManifest()
	if err != nil {
		return nil, err
	}
	b.add(m)
	cfg, err := img.RawConfigFile()
	if err != nil {
		return nil, err
	}
	b.add(cfg)
	layers, err := img.Layers()
	if err != nil {
		return nil, err
	}
	var digests []string
	for _, l := range layers {
		rc, err := l.Compressed()
		if err != nil {
			return nil, err
		}
		data, err := io.ReadAll(rc)
		_ = rc.Close()
		if err != nil {
			return nil, err
		}
		want, err := l.Digest()
		if err != nil {
			return nil, err
		}
		if got := b.add(data); got != want.String() {
			return nil, fmt.Errorf("layer %s read back as %s", want, got)
		}
		digests = append(digests, want.String())
	}
	return digests, nil
}

// writeImageTar writes img as an OCI image layout tarball that also carries the manifest.json of
// `docker save`, so that `docker load` (any version), `ctr images import`, `kind load image-archive`,
// `crane push` and `skopeo copy oci-archive:` all read it; both name the image ref.
func writeImageTar(path string, created time.Time, img v1.Image, ref string) error {
	b := blobs{}
	layers, err := b.addImage(img)
	if err != nil {
		return err
	}
	desc, err := descriptor(img)
	if err != nil {
		return err
	}
	cfg, err := img.ConfigName()
	if err != nil {
		return err
	}
	cf, err := img.ConfigFile()
	if err != nil {
		return err
	}
	desc.Platform = platform(cf.OS, cf.Architecture)
	docker := []map[string]any{{
		"Config":   blobPath(cfg.String()),
		"RepoTags": []string{ref},
		"Layers":   mapSlice(layers, blobPath),
	}}
	dockerJSON, err := json.Marshal(docker)
	if err != nil {
		return err
	}
	if err := writeLayout(path, created, b, desc, ref, dockerJSON); err != nil {
		return err
	}
	fmt.Printf("%s: %s %s\n", path, ref, desc.Digest)
	return nil
}

// writeIndexTar writes idx, with every image in it, as an OCI image layout tarball: what a
// registry is given (crane push --index, skopeo copy --all oci-archive:…, oras cp --from-oci-layout).
func writeIndexTar(path string, created time.Time, idx v1.ImageIndex, ref string) error {
	b := blobs{}
	m, err := idx.RawManifest()
	if err != nil {
		return err
	}
	b.add(m)
	im, err := idx.IndexManifest()
	if err != nil {
		return err
	}
	for _, d := range im.Manifests {
		img, err := idx.Image(d.Digest)
		if err != nil {
			return err
		}
		if _, err := b.addImage(img); err != nil {
			return err
		}
	}
	desc, err := descriptor(idx)
	if err != nil {
		return err
	}
	return writeLayout(path, created, b, desc, ref, nil)
}

// descriptor describes a manifest or index by its media type, size and digest.
func descriptor(m interface {
	MediaType() (types.MediaType, error)
	RawManifest() ([]byte, error)
	Digest() (v1.Hash, error)
}) (v1.Descriptor, error) {
	mt, err := m.MediaType()
	if err != nil {
		return v1.Descriptor{}, err
	}
	raw, err := m.RawManifest()
	if err != nil {
		return v1.Descriptor{}, err
	}
	d, err := m.Digest()
	if err != nil {
		return v1.Descriptor{}, err
	}
	return v1.Descriptor{MediaType: mt, Size: int64(len(raw)), Digest: d}, nil
}

// writeLayout writes the OCI image layout (oci-layout, index.json naming top as ref, blobs/sha256/…)
// and, if dockerManifest is not nil, docker save's manifest.json, as one tarball at path.
func writeLayout(path string, created time.Time, b blobs, top v1.Descriptor, ref string, dockerManifest []byte) error {
	_, tag, _ := strings.Cut(ref[strings.LastIndex(ref, "/")+1:], ":")
	top.Annotations = map[string]string{
		// The OCI name of the image in the layout (skopeo's oci-archive:FILE:TAG), and the full
		// reference containerd (ctr import, kind, Docker with the containerd store) tags it with.
		"org.opencontainers.image.ref.name": tag,
		"io.containerd.image.name":          ref,
	}
	index, err := json.Marshal(v1.IndexManifest{SchemaVersion: 2, MediaType: types.OCIImageIndex, Manifests: []v1.Descriptor{top}})
	if err != nil {
		return err
	}
	entries := []entry{
		{name: "oci-layout", mode: 0o644, data: []byte(`{"imageLayoutVersion":"1.0.0"}`)},
		{name: "index.json", mode: 0o644, data: index},
		{name: "blobs/", mode: 0o755},
		{name: "blobs/sha256/", mode: 0o755},
	}
	if dockerManifest != nil {
		entries = append(entries, entry{name: "manifest.json", mode: 0o644, data: dockerManifest})
	}
	for d, data := range b {
		entries = append(entries, entry{name: blobPath(d), mode: 0o644, data: data})
	}
	return writeFile(path, func(w io.Writer) error { return writeTar(w, created, entries) })
}

// blobPath is where the blob of digest "sha256:<hex>" lives in an OCI image layout.
func blobPath(digest string) string {
	return "blobs/" + strings.Replace(digest, ":", "/", 1)
}

func mapSlice[T, U any](in []T, f func(T) U) []U {
	out := make([]U, len(in))
	for i, v := range in {
		out[i] = f(v)
	}
	return out
}
