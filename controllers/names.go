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
	"maps"
	"slices"
	"strconv"
	"strings"
)

const (
	maxNameLength = 253 // a DNS-1123 subdomain
	hashLength    = 10  // hex characters of sha256: 40 bits
	// maxNameAttempts bounds the numbered fallbacks tried when even the hashed name is taken.
	maxNameAttempts = 100
)

// A name is chosen once, when an object is created, and never changes: later syncs find the object by
// its spec.externalID (and, for groups, spec.type), not by recomputing the name. So a person keeps
// their object, and an object never starts describing someone else.

// plainName is the readable name for an id: base-<id lower-cased, with every run of other characters
// turned into one dash>, e.g. acme + "Customer Success" → acme-customer-success. ok is false when
// nothing usable is left or the name would be too long.
func plainName(base, id string) (string, bool) {
	part := sanitize(id)
	if part == "" || len(base)+1+len(part) > maxNameLength {
		return "", false
	}
	return base + "-" + part, true
}

// hashedName is the fallback name: the readable part, cut to fit, plus a hash of the exact key, so
// keys that differ only in case or punctuation (PW1 and pw1) get different names.
func hashedName(base, id, key string) string {
	sum := sha256.Sum256([]byte(key))
	suffix := hex.EncodeToString(sum[:])[:hashLength]
	part := sanitize(id)
	if room := maxNameLength - len(base) - 1 - hashLength - 1 - 4; len(part) > room { // 4: room for "-NNN"
		part = strings.TrimRight(part[:room], "-")
	}
	if part == "" {
		return base + "-" + suffix
	}
	return base + "-" + part + "-" + suffix
}

// nameRequest is one new object that needs a name.
type nameRequest struct {
	// base is the name's prefix: the Directory's name, plus the group type for non-department groups.
	base string
	// id is the provider's id, which gives the readable part.
	id string
	// key identifies the object exactly (the id, or type and id for groups); it seeds the hash.
	key string
}

// assignNames picks a name for each request, in order of key so the choice is deterministic: the plain
// name when it is free, else the hashed name, else the hashed name with -2, -3, … A name is free when
// used (this Directory's existing objects and the names already picked) and taken (anything else in the
// namespace, e.g. another Directory's object) both say no. The result maps key → name; a request that
// finds no free name is left out (the caller reports it).
func assignNames(reqs []nameRequest, used map[string]bool, taken func(string) bool) map[string]string {
	slices.SortFunc(reqs, func(a, b nameRequest) int { return strings.Compare(a.key, b.key) })
	free := func(n string) bool { return !used[n] && (taken == nil || !taken(n)) }
	out := make(map[string]string, len(reqs))
	for _, r := range reqs {
		name, ok := plainName(r.base, r.id)
		if !ok || !free(name) {
			hashed := hashedName(r.base, r.id, r.key)
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
		out[r.key] = name
	}
	return out
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

// nameObjects maps every employee (by externalID) and group (by group key) of the model to its object
// name: the name of the existing object with that externalID (names never change), or a new name that
// neither this Directory's objects nor, per taken, anything else in the namespace has.
func nameObjects(dir string, m model, ex existing, takenUsers, takenGroups func(string) bool) (users, groups map[string]string) {
	users = make(map[string]string, len(m.employees))
	usedUsers := make(map[string]bool, len(ex.users))
	for _, u := range ex.users { // of two objects claiming one id, the first keeps it; the other departs
		usedUsers[u.Name] = true
		if _, dup := users[u.Spec.ExternalID]; !dup {
			users[u.Spec.ExternalID] = u.Name
		}
	}
	groups = make(map[string]string, len(m.groups))
	usedGroups := make(map[string]bool, len(ex.groups))
	for _, g := range ex.groups {
		usedGroups[g.Name] = true
		if key := groupKey(g.Spec.Type, g.Spec.ExternalID); groups[key] == "" {
			groups[key] = g.Name
		}
	}
	var newUsers, newGroups []nameRequest
	for _, e := range m.employees {
		if _, ok := users[e.ExternalID]; !ok {
			newUsers = append(newUsers, nameRequest{base: dir, id: e.ExternalID, key: e.ExternalID})
		}
	}
	for _, g := range m.groups {
		if _, ok := groups[g.key]; !ok {
			newGroups = append(newGroups, nameRequest{base: nameBase(dir, g.typ), id: g.id, key: g.key})
		}
	}
	if len(newUsers) > 0 {
		maps.Copy(users, assignNames(newUsers, usedUsers, takenUsers))
	}
	if len(newGroups) > 0 {
		maps.Copy(groups, assignNames(newGroups, usedGroups, takenGroups))
	}
	return users, groups
}
