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
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"strconv"
	"time"

	dirsyncv1alpha1 "github.com/dirsync/dirsync/api/v1alpha1"
)

// Signature headers. Both carry the same scheme, WorkOS's: "t=<unix milliseconds>, v1=<hex HMAC-SHA256
// of "<t>.<raw body>" keyed with the signing secret>", so a WorkOS SDK verifies a WorkOS-format request
// unchanged, and a CloudEvents receiver verifies the same way under a name that is not WorkOS's.
const (
	HeaderWorkOSSignature  = "WorkOS-Signature"
	HeaderDirsyncSignature = "Dirsync-Signature"
)

// signatureHeader is the header that carries the signature in format f.
func signatureHeader(f dirsyncv1alpha1.WebhookFormat) string {
	if f == dirsyncv1alpha1.WebhookFormatCloudEvents {
		return HeaderDirsyncSignature
	}
	return HeaderWorkOSSignature
}

// contentType is the Content-Type of a body in format f.
func contentType(f dirsyncv1alpha1.WebhookFormat) string {
	if f == dirsyncv1alpha1.WebhookFormatCloudEvents {
		return "application/cloudevents+json; charset=utf-8"
	}
	return "application/json"
}

// signature is the signature header's value for body sent at at.
func signature(secret, body []byte, at time.Time) string {
	t := strconv.FormatInt(at.UnixMilli(), 10)
	mac := hmac.New(sha256.New, secret)
	mac.Write([]byte(t))
	mac.Write([]byte{'.'})
	mac.Write(body)
	return "t=" + t + ", v1=" + hex.EncodeToString(mac.Sum(nil))
}
