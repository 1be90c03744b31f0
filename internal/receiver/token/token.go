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

// Package token makes and checks webhook tokens and derives a Directory's receiver path from its token:
// what the Directory controller (which publishes the path) and the receiver (which matches it) share.
package token

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"

	dirsyncv1alpha1 "github.com/dirsync/dirsync/api/v1alpha1"
)

// PathPrefix is where the receiver serves: a Directory's path is PathPrefix followed by 64 hex digits.
const PathPrefix = "/hook/"

// maxTokenLength bounds a token read from a user's Secret, so that a mistaken file in it is refused
// rather than hashed on every change.
const maxTokenLength = 4096

// tokenBytes is how many random bytes New draws: 256 bits, twice the 128 the issue asks for.
const tokenBytes = 32

// New returns a new webhook token: 32 bytes from crypto/rand as 64 hex digits.
func New() (string, error) {
	b := make([]byte, tokenBytes)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("reading random bytes: %w", err)
	}
	return hex.EncodeToString(b), nil
}

// Path is the receiver's path for the Directory namespace/name whose token Secret holds token: PathPrefix
// and the hex SHA-256 of the three. The namespace and name are bound in, so one token in two
// Directories' Secrets still gives two paths, and a path tells nothing of the token it came from.
func Path(namespace, name, token string) string {
	h := sha256.New()
	for _, part := range []string{"dirsync.io/webhook", namespace, name, token} {
		h.Write([]byte(part))
		h.Write([]byte{0})
	}
	return PathPrefix + hex.EncodeToString(h.Sum(nil))
}

// Check trims white space around a token read from a Secret and says why it cannot be used, if it cannot:
// too short to hold 128 bits as hex (dirsyncv1alpha1.MinWebhookTokenLength), or too long. The message
// never contains the token.
func Check(raw []byte) (string, error) {
	token := strings.TrimSpace(string(raw))
	switch {
	case len(token) < dirsyncv1alpha1.MinWebhookTokenLength:
		return "", fmt.Errorf("the token has %d characters; it needs at least %d (e.g. openssl rand -hex 32)",
			len(token), dirsyncv1alpha1.MinWebhookTokenLength)
	case len(token) > maxTokenLength:
		return "", fmt.Errorf("the token has %d characters; at most %d are accepted", len(token), maxTokenLength)
	}
	return token, nil
}

// Key is the receiver's index key of a path's secret part (what follows PathPrefix): its SHA-256. The
// receiver looks a presented path up by this hash, then compares the hashes in constant time.
func Key(segment string) [sha256.Size]byte {
	return sha256.Sum256([]byte(segment))
}
