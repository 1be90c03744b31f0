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

// Package naming chooses Kubernetes object names for provider ids: readable when free, hashed when
// not, always a valid DNS-1123 subdomain. It is pure and has no Kubernetes dependency, so its fuzz
// target builds in seconds.
package naming

import (
	"crypto/sha256"
	"encoding/hex"
	"slices"
	"strconv"
	"strings"
)

const (
	maxLength  = 253 // a DNS-1123 subdomain
	hashLength = 10  // hex characters of sha256: 40 bits
	// maxNameAttempts bounds the numbered fallbacks tried when even the hashed name is taken.
	maxNameAttempts = 100
	// numberLength is the room the readable part leaves for "-" before the hash and "-NNN" after it
	// (up to -100, maxNameAttempts).
	numberLength = 1 + 4
)

// Plain is the readable name for an id: base-<id lower-cased, with every run of other characters
// turned into one dash>, e.g. acme + "Customer Success" → acme-customer-success. ok is false when
// nothing usable is left or the name would be too long.
func Plain(base, id string) (string, bool) {
	part := Sanitize(id)
	if part == "" || len(base)+1+len(part) > maxLength {
		return "", false
	}
	return base + "-" + part, true
}

// Hashed is the fallback name: the readable part, cut to fit, plus a hash of the exact key, so
// keys that differ only in case or punctuation (PW1 and pw1) get different names. It leaves room for
// the -NNN that Assign may add; with a base too long for even base-<hash>, the name is too long and
// Assign does not use it.
func Hashed(base, id, key string) string {
	sum := sha256.Sum256([]byte(key))
	suffix := hex.EncodeToString(sum[:])[:hashLength]
	part := Sanitize(id)
	if room := max(0, maxLength-len(base)-1-hashLength-numberLength); len(part) > room {
		part = strings.TrimRight(part[:room], "-")
	}
	if part == "" {
		return base + "-" + suffix
	}
	return base + "-" + part + "-" + suffix
}

// Request is one new object that needs a name.
type Request struct {
	// Base is the name's prefix: the Directory's name, plus the group type for non-department groups.
	Base string
	// ID is the provider's id, which gives the readable part.
	ID string
	// Key identifies the object exactly (the id, or type and id for groups); it seeds the hash.
	Key string
}

// Assign picks a name for each request, in order of key so the choice is deterministic: the plain
// name when it is free, else the hashed name, else the hashed name with -2, -3, … A name is free when
// used (this Directory's existing objects and the names already picked) and taken (anything else in the
// namespace, e.g. another Directory's object) both say no. The result maps key → name; a request that
// finds no free name is left out (the caller reports it).
func Assign(reqs []Request, used map[string]bool, taken func(string) bool) map[string]string {
	slices.SortFunc(reqs, func(a, b Request) int { return strings.Compare(a.Key, b.Key) })
	free := func(n string) bool { return len(n) <= maxLength && !used[n] && (taken == nil || !taken(n)) }
	out := make(map[string]string, len(reqs))
	for _, r := range reqs {
		name, ok := Plain(r.Base, r.ID)
		if !ok || !free(name) {
			hashed := Hashed(r.Base, r.ID, r.Key)
			name = ""
			for i := 1; i <= maxNameAttempts; i++ {
				candidate := hashed
				if i > 1 {
					candidate += "-" + strconv.Itoa(i)
				}
				if free(candidate) {
					name = candidate
					break
				}
			}
			if name == "" {
				continue
			}
		}
		used[name] = true
		out[r.Key] = name
	}
	return out
}

// Sanitize lower-cases s and replaces every run of characters outside [a-z0-9] with one dash,
// trimming dashes at both ends.
func Sanitize(s string) string {
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
