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

package controllers

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
)

const (
	maxNameLength = 253 // a DNS-1123 subdomain
	hashLength    = 10  // hex characters of sha256: 40 bits
)

// objectName derives the name of a DirectoryUser or DirectoryGroup from its Directory's name and the
// provider's id. It is pure and stable across syncs and restarts. An id that is already a valid name
// part (lower-case letters, digits and inner dashes) is used as it is; any other id (upper case, other
// characters, too long) is sanitised and given a hash of the exact id, so ids that differ only in case
// or punctuation get different names.
func objectName(directory, externalID string) string {
	part := sanitize(externalID)
	room := maxNameLength - len(directory) - 1
	if part == externalID && part != "" && len(part) <= room {
		return directory + "-" + part
	}
	sum := sha256.Sum256([]byte(externalID))
	suffix := hex.EncodeToString(sum[:])[:hashLength]
	room -= hashLength + 1
	if len(part) > room {
		part = strings.TrimRight(part[:room], "-")
	}
	if part == "" {
		return directory + "-" + suffix
	}
	return directory + "-" + part + "-" + suffix
}

// sanitize lower-cases s and replaces every run of characters outside [a-z0-9] with one dash,
// trimming dashes at both ends.
func sanitize(s string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(s) {
		if (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') {
			if dash && b.Len() > 0 {
				b.WriteByte('-')
			}
			dash = false
			b.WriteRune(r)
			continue
		}
		dash = true
	}
	return b.String()
}
