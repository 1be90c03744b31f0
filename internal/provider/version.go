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

import "strings"

// Version is dirsync's version, sent in every provider request's User-Agent. Release builds set it with
// -ldflags "-X github.com/dirsync/dirsync/internal/provider.Version=v1.2.3"; it is "dev" otherwise.
var Version = "dev"

// UserAgent is the User-Agent header of every provider request: "dirsync/<Version>". Access People HR sits
// behind a CDN reported to block some default agents, so neither client sends Go's default. Characters
// that cannot appear in a product token are dropped from Version.
func UserAgent() string {
	v := strings.Map(func(r rune) rune {
		if r > 0x20 && r < 0x7f && !strings.ContainsRune(`()<>@,;:\"/[]?={}`, r) {
			return r
		}
		return -1
	}, Version)
	if v == "" {
		v = "dev"
	}
	return "dirsync/" + v
}
