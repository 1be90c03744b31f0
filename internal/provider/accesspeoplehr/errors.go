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

package accesspeoplehr

import (
	"errors"
	"fmt"
	"strings"

	"github.com/dirsync/dirsync/internal/provider"
)

// maxMessageRunes bounds the provider's Message quoted in an error.
const maxMessageRunes = 150

// errorClass is the sentinel an error envelope maps onto.
type errorClass int

const (
	classInvalid errorClass = iota
	classUnauthorized
	classRateLimited
	classUnavailable
)

// envelopeRule maps an error envelope onto a class. Access People HR publishes no list of Status codes
// (see README.md), so every rule today matches the Message: a rule matches when the message contains all
// of its words, case-insensitively, and Status (when non-empty) equals the envelope's Status. Rules are
// tried in order; the first match wins.
type envelopeRule struct {
	status string
	words  []string
	class  errorClass
}

// envelopeRules is the one table that classifies isError=true envelopes. Throttling comes first, so that
// "API key exceeded the rate limit" is rate limiting, not a bad key. Anything unmatched is an invalid
// response: the request was well formed, so an unknown refusal is not something a retry fixes, and the
// Directory shows the provider's own (trimmed, key-redacted) text.
var envelopeRules = []envelopeRule{
	{words: []string{"too many requests"}, class: classRateLimited},
	{words: []string{"rate limit"}, class: classRateLimited},
	{words: []string{"throttl"}, class: classRateLimited},
	{words: []string{"limit exceeded"}, class: classRateLimited},

	{words: []string{"invalid", "key"}, class: classUnauthorized},
	{words: []string{"expired", "key"}, class: classUnauthorized},
	{words: []string{"key", "not valid"}, class: classUnauthorized},
	{words: []string{"incorrect", "key"}, class: classUnauthorized},
	{words: []string{"revoked"}, class: classUnauthorized},
	{words: []string{"unauthori"}, class: classUnauthorized}, // unauthorised / unauthorized
	{words: []string{"not authori"}, class: classUnauthorized},
	{words: []string{"permission"}, class: classUnauthorized}, // the key lacks "Get All Employee Detail"
	{words: []string{"access denied"}, class: classUnauthorized},

	{words: []string{"temporarily"}, class: classUnavailable},
	{words: []string{"unavailable"}, class: classUnavailable},
	{words: []string{"try again"}, class: classUnavailable},
	{words: []string{"timeout"}, class: classUnavailable},
	{words: []string{"timed out"}, class: classUnavailable},
	{words: []string{"maintenance"}, class: classUnavailable},
	{words: []string{"internal server error"}, class: classUnavailable},
}

// classify returns the class of an error envelope.
func classify(status, message string) errorClass {
	msg := strings.ToLower(message)
	for _, r := range envelopeRules {
		if r.status != "" && r.status != status {
			continue
		}
		all := true
		for _, w := range r.words {
			if !strings.Contains(msg, w) {
				all = false
				break
			}
		}
		if all {
			return r.class
		}
	}
	return classInvalid
}

// envelopeError is the error for an isError=true envelope: its Status and trimmed, key-redacted Message,
// wrapping the class's sentinel.
func envelopeError(status, message, apiKey string) error {
	if status == "" {
		status = "none"
	}
	text := provider.OneLine(provider.Redact(message, apiKey), maxMessageRunes)
	desc := fmt.Sprintf("accesspeoplehr: the provider answered with an error (Status %s)", status)
	if text != "" {
		desc += fmt.Sprintf(": %q", text)
	}
	switch classify(status, message) {
	case classUnauthorized:
		return fmt.Errorf("%s: %w", desc, provider.ErrUnauthorized)
	case classRateLimited:
		return fmt.Errorf("%s: %w", desc, &provider.RateLimitedError{})
	case classUnavailable:
		return fmt.Errorf("%s: %w", desc, provider.ErrUnavailable)
	default:
		return fmt.Errorf("%s: %w", desc, provider.ErrInvalidResponse)
	}
}

// withoutKey is the last guard: if err's text contains the API key anyway (ignoring ASCII case), it is
// replaced by a bare error of the same class.
func withoutKey(err error, apiKey string) error {
	if err == nil || apiKey == "" || provider.Redact(err.Error(), apiKey) == err.Error() {
		return err
	}
	const withheld = "accesspeoplehr: the error's details were withheld because they contained the API key"
	var rl *provider.RateLimitedError
	switch {
	case errors.As(err, &rl):
		return fmt.Errorf("%s: %w", withheld, &provider.RateLimitedError{RetryAfter: rl.RetryAfter})
	case errors.Is(err, provider.ErrUnauthorized):
		return fmt.Errorf("%s: %w", withheld, provider.ErrUnauthorized)
	case errors.Is(err, provider.ErrUnavailable):
		return fmt.Errorf("%s: %w", withheld, provider.ErrUnavailable)
	default:
		return fmt.Errorf("%s: %w", withheld, provider.ErrInvalidResponse)
	}
}
