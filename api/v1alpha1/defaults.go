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

package v1alpha1

import "time"

// Defaults the CRD applies at admission; the Go helpers use the same values for objects built in code.
const (
	// DefaultSyncInterval is spec.syncInterval's default.
	DefaultSyncInterval = 30 * time.Minute
	// DefaultMaxDeletePercent is spec.deletionGuard.maxDeletePercent's default.
	DefaultMaxDeletePercent int32 = 25
	// DefaultSecretKey is spec.credentialsSecretRef.key's default.
	DefaultSecretKey = "apiKey"
	// WebhookSecretSuffix makes the name of the token Secret the operator creates for spec.webhook:
	// <directory name>-webhook.
	WebhookSecretSuffix = "-webhook"
	// WebhookTokenKey is the key of the token in a webhook token Secret.
	WebhookTokenKey = "token"
	// MinWebhookTokenLength is the shortest token the receiver accepts in a user's Secret: 32 characters
	// (128 bits as hex).
	MinWebhookTokenLength = 32
)
