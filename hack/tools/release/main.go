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

// Command release builds the parts of dirsync's release (make release, hack/release.sh) that need
// more than go build and helm package, all reproducibly: the same inputs and SOURCE_DATE_EPOCH give
// the same bytes.
//
//	release image   --version V --repo R --epoch S --out DIR OS/ARCH=BINARY…
//	                the manager image from scratch (no base image, no Docker): DIR/dirsync-manager-V.oci.tar,
//	                an OCI image layout holding an index over every platform, and per platform
//	                DIR/dirsync-manager-V-OS-ARCH.tar, an OCI image layout that `docker load` also reads
//	release archive --epoch S --out FILE NAME=PATH…
//	                a .tar.gz of the files, each stored as NAME
//	release sbom    --version V --epoch S --out FILE OS/ARCH/NAME=BINARY…
//	                an SPDX 2.3 JSON document from the binaries' embedded build information
//	release krew    --version V --url URL --out FILE OS/ARCH=ARCHIVE…
//	                the krew plugin manifest of kubectl-dirsync; URL is where the archives will be
//	                downloaded from
//	release sums    --out FILE FILE…
//	                SHA256SUMS in sha256sum's format
//
// It is a module of its own so that go-containerregistry never enters the operator's go.mod.
package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "release:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	if len(args) == 0 {
		return errors.New("usage: release image|archive|sbom|krew|sums [flags] ARGS…")
	}
	cmds := map[string]func([]string) error{
		"image":   imageCmd,
		"archive": archiveCmd,
		"sbom":    sbomCmd,
		"krew":    krewCmd,
		"sums":    sumsCmd,
	}
	cmd, ok := cmds[args[0]]
	if !ok {
		return fmt.Errorf("unknown command %q", args[0])
	}
	return cmd(args[1:])
}

// newFlagSet returns a flag set for the named command that reports errors instead of exiting.
func newFlagSet(name string) *flag.FlagSet {
	return flag.NewFlagSet(name, flag.ContinueOnError)
}

// common holds the flags several commands share.
type common struct {
	version, out, epoch string
}

func (c *common) register(fs *flag.FlagSet) {
	fs.StringVar(&c.version, "version", "", "the release's version, x.y.z")
	fs.StringVar(&c.out, "out", "", "output file or directory")
	fs.StringVar(&c.epoch, "epoch", os.Getenv("SOURCE_DATE_EPOCH"), "timestamp of every file and record, in seconds since 1970 (default $SOURCE_DATE_EPOCH)")
}

// time parses --epoch.
func (c *common) time() (time.Time, error) {
	s, err := strconv.ParseInt(c.epoch, 10, 64)
	if err != nil {
		return time.Time{}, fmt.Errorf("--epoch (or SOURCE_DATE_EPOCH) must be seconds since 1970, got %q", c.epoch)
	}
	return time.Unix(s, 0).UTC(), nil
}

// parse parses args into fs, requiring --out and, when needVersion, --version.
func parse(fs *flag.FlagSet, c *common, args []string, needVersion bool) error {
	if err := fs.Parse(args); err != nil {
		return err
	}
	if c.out == "" {
		return fmt.Errorf("%s: --out is required", fs.Name())
	}
	if needVersion && c.version == "" {
		return fmt.Errorf("%s: --version is required", fs.Name())
	}
	return nil
}

// pairs parses KEY=VALUE arguments, keeping their order.
func pairs(args []string) ([][2]string, error) {
	out := make([][2]string, 0, len(args))
	for _, a := range args {
		k, v, ok := strings.Cut(a, "=")
		if !ok || k == "" || v == "" {
			return nil, fmt.Errorf("want KEY=PATH, got %q", a)
		}
		out = append(out, [2]string{k, v})
	}
	if len(out) == 0 {
		return nil, errors.New("nothing given")
	}
	return out, nil
}
