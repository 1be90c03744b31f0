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

// errorClass is what an error envelope means.
type errorClass int

const (
	classInvalid errorClass = iota
	classUnauthorized
	classNoPermission // unauthorized: the key lacks the Get All Employee Detail permission
	classRateLimited
	classUnavailable
	classEmpty // not an error: the account has no employees
)

// envelopeRule maps an isError envelope onto a class: it matches when Status equals status (any Status
// when status is "") and the lower-cased Message contains every one of words (any Message when there are
// none). Rules are tried in order; the first match wins.
type envelopeRule struct {
	status string
	words  []string
	class  errorClass
}

// envelopeRules is the one table that classifies isError envelopes: Status first, the text second.
//
// The first part is the vendor's own table (its Swagger, shared/provider-wire.md B2): 1 "API key is
// missing." and 2 "Invalid API Key." are a bad key; 5 is "API key does not exists." (a deleted key), "No
// access on employee schema." (a key without the Get All Employee Detail permission) or a field-validation
// message; 6 is "Oops! Something went wrong." or "Unknown error occured." (the server failed) or "No
// record found."; 10 is "No record found." or "No detail has been found."; 3, 4, 7, 8 and 9 reject the
// request itself (action, JSON body). "No record found." is an empty account: a successful, empty
// snapshot, on which the deletion guard decides.
//
// The second part reads the text alone, for a Status the vendor's table does not have: the throttling
// answer (30 calls a minute per source IP) is documented only as "an exception message", so its Status
// and text are unknown. Throttling comes first there, so "API key exceeded the rate limit" is rate
// limiting, not a bad key. Anything unmatched is an invalid response: the request was well formed, so an
// unknown refusal is shown to the user rather than retried as an outage.
var envelopeRules = []envelopeRule{
	{status: "1", class: classUnauthorized},
	{status: "2", class: classUnauthorized},
	{status: "5", words: []string{"key does not exist"}, class: classUnauthorized}, // the vendor writes "exists"
	{status: "5", words: []string{"no access on"}, class: classNoPermission},
	{status: "5", class: classInvalid},
	{status: "6", words: []string{"no record found"}, class: classEmpty},
	{status: "6", class: classUnavailable},
	{status: "10", class: classEmpty},
	{status: "3", class: classInvalid},
	{status: "4", class: classInvalid},
	{status: "7", class: classInvalid},
	{status: "8", class: classInvalid},
	{status: "9", class: classInvalid},

	{words: []string{"too many requests"}, class: classRateLimited},
	{words: []string{"rate limit"}, class: classRateLimited},
	{words: []string{"throttl"}, class: classRateLimited},
	{words: []string{"limit exceeded"}, class: classRateLimited},

	{words: []string{"no record found"}, class: classEmpty},
	{words: []string{"no access on"}, class: classNoPermission},
	{words: []string{"permission"}, class: classNoPermission},
	{words: []string{"key does not exist"}, class: classUnauthorized},
	{words: []string{"key is missing"}, class: classUnauthorized},
	{words: []string{"invalid", "key"}, class: classUnauthorized},
	{words: []string{"expired", "key"}, class: classUnauthorized},
	{words: []string{"key", "not valid"}, class: classUnauthorized},
	{words: []string{"revoked"}, class: classUnauthorized},
	{words: []string{"unauthori"}, class: classUnauthorized}, // unauthorised / unauthorized
	{words: []string{"not authori"}, class: classUnauthorized},
	{words: []string{"access denied"}, class: classUnauthorized},

	{words: []string{"something went wrong"}, class: classUnavailable},
	{words: []string{"unknown error"}, class: classUnavailable},
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

// permissionHint says what to do about classNoPermission.
const permissionHint = `the API key lacks the "Get All Employee Detail" permission; in Access People HR, edit the key under ` +
	`Settings → API (application Employee) and tick it`

// envelopeError is the error for an isError envelope of class: its Status and trimmed, key-redacted
// Message, wrapping the class's sentinel. classEmpty is not an error and gives nil.
func envelopeError(class errorClass, status, message, apiKey string) error {
	if status == "" {
		status = "none"
	}
	text := provider.OneLine(provider.Redact(message, apiKey), maxMessageRunes)
	desc := fmt.Sprintf("accesspeoplehr: the provider answered with an error (Status %s)", status)
	if text != "" {
		desc += fmt.Sprintf(": %q", text)
	}
	switch class {
	case classEmpty:
		return nil
	case classUnauthorized:
		return fmt.Errorf("%s: %w", desc, provider.ErrUnauthorized)
	case classNoPermission:
		return fmt.Errorf("%s: %s: %w", desc, permissionHint, provider.ErrUnauthorized)
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
	case errors.Is(err, provider.ErrInvalidConfig):
		return fmt.Errorf("%s: %w", withheld, provider.ErrInvalidConfig)
	default:
		return fmt.Errorf("%s: %w", withheld, provider.ErrInvalidResponse)
	}
}
