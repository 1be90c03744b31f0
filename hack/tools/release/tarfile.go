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
	"archive/tar"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// entry is one file or directory of a tar that writeTar writes.
type entry struct {
	name     string // slash-separated, relative; a directory's ends in "/"
	mode     int64
	uid, gid int
	data     []byte
}

// writeTar writes entries, sorted by name, to w: every entry has the same modification time and
// no user or group name, so the same entries always give the same bytes.
func writeTar(w io.Writer, mtime time.Time, entries []entry) error {
	entries = slices.Clone(entries)
	slices.SortFunc(entries, func(a, b entry) int { return strings.Compare(a.name, b.name) })
	tw := tar.NewWriter(w)
	for _, e := range entries {
		h := &tar.Header{
			Name:    e.name,
			Mode:    e.mode,
			Uid:     e.uid,
			Gid:     e.gid,
			ModTime: mtime,
			Format:  tar.FormatPAX,
		}
		if strings.HasSuffix(e.name, "/") {
			h.Typeflag = tar.TypeDir
		} else {
			h.Typeflag, h.Size = tar.TypeReg, int64(len(e.data))
		}
		if err := tw.WriteHeader(h); err != nil {
			return fmt.Errorf("%s: %w", e.name, err)
		}
		if _, err := tw.Write(e.data); err != nil {
			return fmt.Errorf("%s: %w", e.name, err)
		}
	}
	return tw.Close()
}

// writeFile writes data to path through a temporary file in the same directory, so that a failed
// run never leaves a half-written artifact under the final name.
func writeFile(path string, write func(io.Writer) error) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if err := write(tmp); err != nil {
		_ = tmp.Close()
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := tmp.Chmod(0o644); err != nil {
		_ = tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

// archiveCmd writes a .tar.gz of NAME=PATH files, each stored as NAME: executable (0755) when the
// file is, else 0644, owned by root, dated --epoch.
func archiveCmd(args []string) error {
	fs := newFlagSet("archive")
	var c common
	c.register(fs)
	if err := parse(fs, &c, args, false); err != nil {
		return err
	}
	mtime, err := c.time()
	if err != nil {
		return err
	}
	files, err := pairs(fs.Args())
	if err != nil {
		return fmt.Errorf("archive: %w", err)
	}
	var entries []entry
	for _, f := range files {
		data, err := os.ReadFile(f[1])
		if err != nil {
			return err
		}
		st, err := os.Stat(f[1])
		if err != nil {
			return err
		}
		mode := int64(0o644)
		if st.Mode()&0o111 != 0 {
			mode = 0o755
		}
		entries = append(entries, entry{name: f[0], mode: mode, data: data})
	}
	return writeFile(c.out, func(w io.Writer) error {
		// No name and no time in the gzip header: the same files give the same archive.
		zw, err := gzip.NewWriterLevel(w, gzip.BestCompression)
		if err != nil {
			return err
		}
		if err := writeTar(zw, mtime, entries); err != nil {
			return err
		}
		return zw.Close()
	})
}

// sha256File returns the hex SHA-256 of the file at path.
func sha256File(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// sumsCmd writes SHA256SUMS for the files, by base name and sorted, as sha256sum prints them, so
// that `sha256sum -c SHA256SUMS` (or `shasum -a 256 -c`) checks a download.
func sumsCmd(args []string) error {
	fs := newFlagSet("sums")
	var c common
	c.register(fs)
	if err := parse(fs, &c, args, false); err != nil {
		return err
	}
	paths := slices.Clone(fs.Args())
	if len(paths) == 0 {
		return fmt.Errorf("sums: no files given")
	}
	slices.SortFunc(paths, func(a, b string) int { return strings.Compare(filepath.Base(a), filepath.Base(b)) })
	var b strings.Builder
	for _, p := range paths {
		sum, err := sha256File(p)
		if err != nil {
			return err
		}
		fmt.Fprintf(&b, "%s  %s\n", sum, filepath.Base(p))
	}
	return writeFile(c.out, func(w io.Writer) error {
		_, err := io.WriteString(w, b.String())
		return err
	})
}
