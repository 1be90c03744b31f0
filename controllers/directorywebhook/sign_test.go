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
	"testing"
	"time"

	dirsyncv1alpha1 "github.com/dirsync/dirsync/api/v1alpha1"
)

// The signature of a known body, secret and time, against a MAC computed outside Go (Python's hmac).
func TestSignature(t *testing.T) {
	got := signature([]byte("whsec_test"), []byte(`{"event":"dsync.user.created"}`), time.UnixMilli(1700000000123))
	want := "t=1700000000123, v1=51ef12907ff62ffee0583236e86d97c937609aa30cccea9e874c4d7d60b64ffa"
	if got != want {
		t.Errorf("signature = %s\nwant        %s", got, want)
	}
	if err := verifySignature(got, []byte(`{"event":"dsync.user.created"}`), "whsec_test", time.UnixMilli(1700000000123), time.Second); err != nil {
		t.Errorf("the receiver's verifier refuses it: %v", err)
	}
	if err := verifySignature(got, []byte(`{"event":"dsync.user.deleted"}`), "whsec_test", time.UnixMilli(1700000000123), time.Second); err == nil {
		t.Error("the receiver's verifier accepts a changed body")
	}
	if signatureHeader(dirsyncv1alpha1.WebhookFormatWorkOS) != "WorkOS-Signature" || signatureHeader(dirsyncv1alpha1.WebhookFormatCloudEvents) != "Dirsync-Signature" {
		t.Error("signature headers")
	}
}
