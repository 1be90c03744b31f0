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

package provider

import (
	"runtime/debug"
	"strings"
	"sync"
)

// Version is dirsync's version, sent in every provider request's User-Agent. make build and the Dockerfile
// (build argument VERSION) set it with -ldflags "-X github.com/dirsync/dirsync/internal/provider.Version=…",
// from git describe. Left at "dev", the version Go stamped into the binary is used instead: the module version for `go
// install …@v1.2.3`, or the commit for a build in a git checkout (Go 1.24 and later).
var Version = "dev"

// stamped is the main module's version from the binary's build information, or "".
var stamped = sync.OnceValue(func() string {
	if bi, ok := debug.ReadBuildInfo(); ok {
		return bi.Main.Version
	}
	return ""
})

// UserAgent is the User-Agent header of every provider request: "dirsync/<version>". Access People HR sits
// behind a CDN reported to block some default agents, so neither client sends Go's default.
func UserAgent() string { return userAgent(Version, stamped()) }

// userAgent is "dirsync/" and version, or the stamped module version when version is "dev" or empty and
// Go stamped one ("(devel)" is Go saying it did not). Characters that cannot appear in a product token
// are dropped.
func userAgent(version, stamped string) string {
	if (version == "" || version == "dev") && stamped != "" && stamped != "(devel)" {
		version = stamped
	}
	v := strings.Map(func(r rune) rune {
		if r > 0x20 && r < 0x7f && !strings.ContainsRune(`()<>@,;:\"/[]?={}`, r) {
			return r
		}
		return -1
	}, version)
	if v == "" {
		v = "dev"
	}
	return "dirsync/" + v
}
