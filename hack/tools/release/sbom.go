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
	"crypto/sha256"
	"debug/buildinfo"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"path/filepath"
	"runtime/debug"
	"slices"
	"strings"
)

// The SPDX 2.3 JSON document (https://spdx.github.io/spdx-spec/v2.3/): only the fields this SBOM fills.
type spdxDocument struct {
	SPDXVersion       string             `json:"spdxVersion"`
	DataLicense       string             `json:"dataLicense"`
	SPDXID            string             `json:"SPDXID"`
	Name              string             `json:"name"`
	DocumentNamespace string             `json:"documentNamespace"`
	CreationInfo      spdxCreationInfo   `json:"creationInfo"`
	DocumentDescribes []string           `json:"documentDescribes"`
	Packages          []spdxPackage      `json:"packages"`
	Relationships     []spdxRelationship `json:"relationships"`
}

type spdxCreationInfo struct {
	Created  string   `json:"created"`
	Creators []string `json:"creators"`
}

type spdxPackage struct {
	SPDXID                string            `json:"SPDXID"`
	Name                  string            `json:"name"`
	VersionInfo           string            `json:"versionInfo,omitempty"`
	DownloadLocation      string            `json:"downloadLocation"`
	FilesAnalyzed         bool              `json:"filesAnalyzed"`
	PrimaryPackagePurpose string            `json:"primaryPackagePurpose,omitempty"`
	Checksums             []spdxChecksum    `json:"checksums,omitempty"`
	LicenseConcluded      string            `json:"licenseConcluded"`
	LicenseDeclared       string            `json:"licenseDeclared"`
	CopyrightText         string            `json:"copyrightText"`
	ExternalRefs          []spdxExternalRef `json:"externalRefs,omitempty"`
	Comment               string            `json:"comment,omitempty"`
}

type spdxChecksum struct {
	Algorithm     string `json:"algorithm"`
	ChecksumValue string `json:"checksumValue"`
}

type spdxExternalRef struct {
	ReferenceCategory string `json:"referenceCategory"`
	ReferenceType     string `json:"referenceType"`
	ReferenceLocator  string `json:"referenceLocator"`
}

type spdxRelationship struct {
	Element string `json:"spdxElementId"`
	Type    string `json:"relationshipType"`
	Related string `json:"relatedSpdxElement"`
}

const noAssertion = "NOASSERTION"

// sbomCmd writes an SPDX 2.3 JSON SBOM of the binaries (OS/ARCH/NAME=BINARY) from the build
// information Go embeds in them (what `go version -m` prints): each binary, the Go standard library
// and every module it was linked from, with versions, go.sum hashes and package URLs; and, with
// --image OS/ARCH=DIGEST, the manager images, which contain their binary and the CA certificates.
func sbomCmd(args []string) error {
	fs := newFlagSet("sbom")
	var c common
	c.register(fs)
	repo := fs.String("repo", "", "the manager image's repository (with --image)")
	var images []string
	fs.Func("image", "OS/ARCH=DIGEST of a manager image (repeatable)", func(s string) error { images = append(images, s); return nil })
	if err := parse(fs, &c, args, true); err != nil {
		return err
	}
	created, err := c.time()
	if err != nil {
		return err
	}
	bins, err := pairs(fs.Args())
	if err != nil {
		return fmt.Errorf("sbom: %w", err)
	}
	s := newSBOM(c.version)
	for _, b := range bins {
		if err := s.addBinary(b[0], b[1]); err != nil {
			return err
		}
	}
	imgs, err := pairs(images)
	if len(images) > 0 && err != nil {
		return fmt.Errorf("sbom: --image: %w", err)
	}
	for _, im := range imgs {
		s.addImage(*repo, im[0], im[1])
	}
	doc := spdxDocument{
		SPDXVersion: "SPDX-2.3", DataLicense: "CC0-1.0", SPDXID: "SPDXRef-DOCUMENT",
		Name: "dirsync-" + c.version,
		CreationInfo: spdxCreationInfo{
			Created:  created.Format("2006-01-02T15:04:05Z"),
			Creators: []string{"Organization: The dirsync Authors", "Tool: dirsync-hack-tools-release"},
		},
		DocumentDescribes: s.describes,
		Packages:          s.packages,
		Relationships:     s.relationships,
	}
	// A namespace unique to this document's content, so that the same release gives the same SBOM.
	body, err := json.Marshal(doc)
	if err != nil {
		return err
	}
	sum := sha256.Sum256(body)
	doc.DocumentNamespace = fmt.Sprintf("https://github.com/dirsync/dirsync/releases/download/v%s/dirsync-%s.spdx.json-%s",
		c.version, c.version, hex.EncodeToString(sum[:8]))
	out, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		return err
	}
	return writeFile(c.out, func(w io.Writer) error {
		_, err := w.Write(append(out, '\n'))
		return err
	})
}

// sbom accumulates packages (each module once, however many binaries use it) and relationships.
type sbom struct {
	version       string
	packages      []spdxPackage
	seen          map[string]bool
	describes     []string
	relationships []spdxRelationship
	caID          string
}

func newSBOM(version string) *sbom { return &sbom{version: version, seen: map[string]bool{}} }

// spdxID makes an SPDX identifier (letters, digits, "." and "-") of parts.
func spdxID(parts ...string) string {
	id := strings.Join(parts, "-")
	return "SPDXRef-" + strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '-' {
			return r
		}
		return '-'
	}, id)
}

func purl(path, version string) spdxExternalRef {
	return spdxExternalRef{ReferenceCategory: "PACKAGE-MANAGER", ReferenceType: "purl", ReferenceLocator: "pkg:golang/" + path + "@" + version}
}

// module adds a Go module's package once and returns its identifier.
func (s *sbom) module(m *debug.Module) string {
	comment := ""
	if m.Replace != nil {
		comment = "replaces " + m.Path + " " + m.Version
		m = m.Replace
	}
	id := spdxID("Go", m.Path, m.Version)
	if !s.seen[id] {
		s.seen[id] = true
		if m.Sum != "" {
			comment = strings.TrimPrefix(comment+"; go.sum "+m.Sum, "; ")
		}
		s.packages = append(s.packages, spdxPackage{
			SPDXID: id, Name: m.Path, VersionInfo: m.Version, DownloadLocation: noAssertion,
			PrimaryPackagePurpose: "LIBRARY", LicenseConcluded: noAssertion, LicenseDeclared: noAssertion,
			CopyrightText: noAssertion, ExternalRefs: []spdxExternalRef{purl(m.Path, m.Version)}, Comment: comment,
		})
	}
	return id
}

// addBinary adds the binary at path, named key OS/ARCH/NAME, and everything it was built from.
func (s *sbom) addBinary(key, path string) error {
	parts := strings.Split(key, "/")
	if len(parts) != 3 {
		return fmt.Errorf("sbom: want OS/ARCH/NAME=BINARY, got %s", key)
	}
	bi, err := buildinfo.ReadFile(path)
	if err != nil {
		return fmt.Errorf("sbom: %s: %w", path, err)
	}
	sum, err := sha256File(path)
	if err != nil {
		return err
	}
	id := spdxID("Binary", parts[2], parts[0], parts[1])
	var settings []string
	for _, st := range bi.Settings {
		settings = append(settings, st.Key+"="+st.Value)
	}
	s.packages = append(s.packages, spdxPackage{
		SPDXID: id, Name: fmt.Sprintf("%s (%s/%s)", parts[2], parts[0], parts[1]), VersionInfo: s.version,
		DownloadLocation: noAssertion, PrimaryPackagePurpose: "APPLICATION",
		Checksums:        []spdxChecksum{{Algorithm: "SHA256", ChecksumValue: sum}},
		LicenseConcluded: noAssertion, LicenseDeclared: "Apache-2.0", CopyrightText: "Copyright 2026 The dirsync Authors",
		ExternalRefs: []spdxExternalRef{purl(bi.Main.Path, "v"+s.version)},
		Comment:      fmt.Sprintf("file %s, package %s, built with %s: %s", filepath.Base(path), bi.Path, bi.GoVersion, strings.Join(settings, " ")),
	})
	s.describes = append(s.describes, id)
	std := s.module(&debug.Module{Path: "stdlib", Version: strings.TrimPrefix(bi.GoVersion, "go")})
	s.relationships = append(s.relationships, spdxRelationship{id, "DEPENDS_ON", std})
	deps := slices.Clone(bi.Deps)
	slices.SortFunc(deps, func(a, b *debug.Module) int { return strings.Compare(a.Path, b.Path) })
	for _, d := range deps {
		s.relationships = append(s.relationships, spdxRelationship{id, "DEPENDS_ON", s.module(d)})
	}
	return nil
}

// caPackage adds, once, the root certificates the images carry, at the version this tool embeds.
func (s *sbom) caPackage() string {
	if s.caID != "" {
		return s.caID
	}
	version := "unknown"
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, d := range bi.Deps {
			if d.Path == "golang.org/x/crypto/x509roots/fallback" {
				version = d.Version
			}
		}
	}
	s.caID = spdxID("CA-certificates", version)
	s.packages = append(s.packages, spdxPackage{
		SPDXID: s.caID, Name: "Mozilla root certificates (golang.org/x/crypto/x509roots/fallback)", VersionInfo: version,
		DownloadLocation: noAssertion, PrimaryPackagePurpose: "FILE",
		LicenseConcluded: noAssertion, LicenseDeclared: noAssertion, CopyrightText: noAssertion,
		ExternalRefs: []spdxExternalRef{purl("golang.org/x/crypto/x509roots/fallback", version)},
		Comment:      "/" + caBundle + " in the manager image: the NSS trust store's roots without a distrust-after constraint (certdata from Mozilla, MPL-2.0)",
	})
	return s.caID
}

// addImage adds the manager image OS/ARCH with its digest; it contains that platform's manager
// binary (added before as OS/ARCH/manager) and the CA certificates.
func (s *sbom) addImage(repo, platform, digest string) {
	goos, goarch, _ := strings.Cut(platform, "/")
	id := spdxID("Image", goos, goarch)
	name := repo[strings.LastIndex(repo, "/")+1:]
	s.packages = append(s.packages, spdxPackage{
		SPDXID: id, Name: fmt.Sprintf("%s:%s (%s)", repo, s.version, platform), VersionInfo: s.version,
		DownloadLocation: noAssertion, PrimaryPackagePurpose: "CONTAINER",
		Checksums:        []spdxChecksum{{Algorithm: "SHA256", ChecksumValue: strings.TrimPrefix(digest, "sha256:")}},
		LicenseConcluded: noAssertion, LicenseDeclared: "Apache-2.0", CopyrightText: "Copyright 2026 The dirsync Authors",
		ExternalRefs: []spdxExternalRef{{ReferenceCategory: "PACKAGE-MANAGER", ReferenceType: "purl",
			ReferenceLocator: fmt.Sprintf("pkg:oci/%s@%s?arch=%s&os=%s&repository_url=%s&tag=%s", name,
				strings.Replace(digest, ":", "%3A", 1), goarch, goos, repo, s.version)}},
		Comment: "the image manifest's digest",
	})
	s.describes = append(s.describes, id)
	s.relationships = append(s.relationships,
		spdxRelationship{id, "CONTAINS", spdxID("Binary", "manager", goos, goarch)},
		spdxRelationship{id, "CONTAINS", s.caPackage()})
}
