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

package directorywebhook

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"syscall"
	"time"
)

// Retry schedule of a failing event.
const (
	backoffBase = time.Second
	backoffCap  = 2 * time.Minute
	// retryAfterCap bounds how long a receiver's Retry-After can stop deliveries.
	retryAfterCap = 10 * time.Minute
)

// backoff is the wait before the next attempt after failures consecutive failures (at least 1): 1 s
// doubling up to 2 minutes, with jitter (a uniform draw in [d/2, d) from rand01 in [0, 1)), so that
// many webhooks of one dead receiver do not retry in step. A longer Retry-After wins, up to 10 minutes.
func backoff(failures int, retryAfter time.Duration, rand01 float64) time.Duration {
	d := backoffCap
	if failures < 8 {
		d = min(backoffBase<<max(failures-1, 0), backoffCap)
	}
	d = d/2 + time.Duration(float64(d/2)*rand01)
	return max(d, min(retryAfter, retryAfterCap))
}

// attempt is the outcome of one delivery attempt.
type attempt struct {
	// code is the HTTP status, 0 when no response arrived.
	code int
	// err is why no response arrived.
	err error
	// retryAfter is the response's Retry-After, when it sent one.
	retryAfter time.Duration
}

// ok reports whether the receiver acknowledged the event: any 2xx.
func (a attempt) ok() bool { return a.err == nil && a.code >= 200 && a.code < 300 }

// result is the attempt's outcome as a metric label: success, redirect, http_4xx, http_5xx, timeout,
// refused_address, tls or connection.
func (a attempt) result() string {
	switch {
	case a.ok():
		return "success"
	case a.err == nil && a.code >= 300 && a.code < 400:
		return "redirect"
	case a.err == nil && a.code >= 400 && a.code < 500:
		return "http_4xx"
	case a.err == nil:
		return "http_5xx"
	case isTimeout(a.err):
		return "timeout"
	case errors.Is(a.err, errForbiddenAddress):
		return "refused_address"
	case isTLS(a.err):
		return "tls"
	}
	return "connection"
}

// failureText says why an attempt failed, for status.lastError: the HTTP status or the kind of network
// failure, never a response body, header or the secret.
func failureText(a attempt, timeout time.Duration) string {
	switch r := a.result(); r {
	case "redirect":
		return fmt.Sprintf("HTTP %d: the receiver redirects, and redirects are not followed; set spec.url to the final URL", a.code)
	case "http_4xx", "http_5xx":
		if a.code == 429 && a.retryAfter > 0 {
			return fmt.Sprintf("HTTP 429: the receiver asked to wait %s", a.retryAfter.Round(time.Second))
		}
		return fmt.Sprintf("HTTP %d from the receiver", a.code)
	case "timeout":
		return fmt.Sprintf("no answer within %s", timeout)
	case "refused_address":
		var fa *forbiddenAddrError
		if errors.As(a.err, &fa) {
			return fmt.Sprintf("the URL resolves to %s, %s; the manager connects there only with --allow-insecure-endpoints", fa.addr, fa.why)
		}
		return "the URL resolves to an address the manager may not connect to"
	case "tls":
		return "TLS failed: the receiver's certificate is not trusted or does not match the host"
	}
	var dns *net.DNSError
	switch {
	case errors.As(a.err, &dns) && dns.IsNotFound:
		return "the URL's host name does not resolve"
	case errors.As(a.err, &dns):
		return "the URL's host name could not be resolved"
	case errors.Is(a.err, syscall.ECONNREFUSED):
		return "connection refused"
	case errors.Is(a.err, syscall.ECONNRESET):
		return "connection reset by the receiver"
	}
	return "the connection to the receiver failed"
}

// forbiddenAddrError is the dialer's refusal of an address (see forbiddenAddress).
type forbiddenAddrError struct {
	addr string
	why  string
}

func (e *forbiddenAddrError) Error() string { return "refused to connect to " + e.addr + ", " + e.why }

// Unwrap makes errors.Is(err, errForbiddenAddress) true.
func (e *forbiddenAddrError) Unwrap() error { return errForbiddenAddress }

func isTimeout(err error) bool {
	var ne net.Error
	return errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout())
}

func isTLS(err error) bool {
	var (
		verify   *tls.CertificateVerificationError
		unknown  x509.UnknownAuthorityError
		hostname x509.HostnameError
		invalid  x509.CertificateInvalidError
		record   tls.RecordHeaderError
	)
	return errors.As(err, &verify) || errors.As(err, &unknown) || errors.As(err, &hostname) || errors.As(err, &invalid) || errors.As(err, &record)
}
