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

package fakehr

import (
	"context"
	"time"
)

// FaultKind is a failure a fake server can be told to produce.
type FaultKind string

const (
	// FaultUnauthorized answers as to a bad API key (Breathe: 401; Access People HR: invalid-key envelope).
	FaultUnauthorized FaultKind = "Unauthorized"
	// FaultServerError answers HTTP 503 (or Fault.Code when set, e.g. 500).
	FaultServerError FaultKind = "ServerError"
	// FaultRateLimited answers HTTP 429, with Retry-After when Fault.RetryAfter > 0.
	FaultRateLimited FaultKind = "RateLimited"
	// FaultMalformedJSON answers 200 with a body that is not valid JSON.
	FaultMalformedJSON FaultKind = "MalformedJSON"
	// FaultTruncatedBody answers 200 and cuts the body off half way (a connection dropped mid-body).
	FaultTruncatedBody FaultKind = "TruncatedBody"
	// FaultSlowBody sends half the body, then stalls for Fault.Delay before the rest (for client timeouts).
	FaultSlowBody FaultKind = "SlowBody"
	// FaultMissingPage answers 404 for page 2 of a paginated listing (Breathe) — a hole in the listing.
	FaultMissingPage FaultKind = "MissingPage"
	// FaultEmptyList answers a well-formed response with no employees.
	FaultEmptyList FaultKind = "EmptyList"
	// FaultErrorEnvelope answers HTTP 200 with an error envelope carrying Fault.Message (Access People HR;
	// Breathe answers 500 with that message as its JSON error).
	FaultErrorEnvelope FaultKind = "ErrorEnvelope"
	// FaultDuplicateIDs serves the first employee twice.
	FaultDuplicateIDs FaultKind = "DuplicateIDs"
	// FaultHang sends nothing, not even headers, until the client gives up (or Fault.Delay passes, when set,
	// and then answers normally): a provider that hangs until the client's request timeout.
	FaultHang FaultKind = "Hang"
)

// FaultKinds is every FaultKind, in declaration order.
var FaultKinds = []FaultKind{
	FaultUnauthorized, FaultServerError, FaultRateLimited, FaultMalformedJSON, FaultTruncatedBody, FaultSlowBody,
	FaultMissingPage, FaultEmptyList, FaultErrorEnvelope, FaultDuplicateIDs, FaultHang,
}

// Fault is an injected failure.
type Fault struct {
	Kind FaultKind
	// Times is how many requests the fault answers before it clears itself; 0 means until ClearFaults.
	Times int
	// RetryAfter is sent as Retry-After (whole seconds) with FaultRateLimited when positive.
	RetryAfter time.Duration
	// Code overrides the HTTP status for FaultServerError, and the envelope Status for FaultErrorEnvelope.
	Code int
	// Message is the provider's error text for FaultErrorEnvelope. Code, when set, is then the envelope's
	// Status (Access People HR).
	Message string
	// Delay is the stall of FaultSlowBody, and the longest FaultHang waits (0: until the client gives up).
	Delay time.Duration
}

// Server is what every fake HR server offers a test, whatever its wire format.
type Server interface {
	// URL is the base URL to put in a Directory's spec.endpoint.
	URL() string
	// APIKey is the key the server accepts.
	APIKey() string
	// SetAPIKey changes the accepted key (a rotation on the provider's side).
	SetAPIKey(key string)
	// Company returns a copy of the served company.
	Company() Company
	// SetCompany replaces the served company.
	SetCompany(c Company)
	// Update changes the served company in place, under the server's lock.
	Update(func(c *Company))
	// InjectFault makes the next requests fail as f says.
	InjectFault(f Fault)
	// ClearFaults removes every injected fault.
	ClearFaults()
	// Requests is how many API requests (not admin calls) the server has answered.
	Requests() int
	// Close stops the server.
	Close()
}

// Hang blocks until ctx ends, quit is closed or, when d > 0, d passes; it reports whether the wait ran its
// course (false when the client gave up or the server is stopping). A fake calls it for FaultHang before
// writing anything.
func Hang(ctx context.Context, quit <-chan struct{}, d time.Duration) bool {
	var timeout <-chan time.Time
	if d > 0 {
		t := time.NewTimer(d)
		defer t.Stop()
		timeout = t.C
	}
	select {
	case <-ctx.Done():
		return false
	case <-quit:
		return false
	case <-timeout:
		return true
	}
}
