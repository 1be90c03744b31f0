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

package receiver

import (
	"github.com/prometheus/client_golang/prometheus"
	"sigs.k8s.io/controller-runtime/pkg/metrics"
)

// Results of a request, the values of dirsync_webhook_requests_total's result label.
const (
	// resultAccepted: a valid token, and the body asks for a sync (or cannot be read): a sync is requested,
	// or the request is coalesced into one already requested.
	resultAccepted = "accepted"
	// resultIgnored: a valid token, and an action that cannot change the directory.
	resultIgnored = "ignored"
	// resultUnknownToken: no Directory with spec.webhook.enabled has that path (404).
	resultUnknownToken = "unknown_token"
	// resultRateLimited: over the receiver's or the Directory's request rate (429).
	resultRateLimited = "rate_limited"
	// resultSuspended: the Directory has spec.suspend (202, nothing happens).
	resultSuspended = "suspended"
	// resultBadMethod: not a POST (405).
	resultBadMethod = "bad_method"
	// resultTooLarge: a body over maxBody (413).
	resultTooLarge = "too_large"
	// resultBadRequest: the body could not be read (it timed out or broke off; 400).
	resultBadRequest = "bad_request"
	// resultError: asking for the sync failed on the API server's side (503, the sender may retry).
	resultError = "error"
)

// allResults is every result label value, for the tests.
var allResults = []string{resultAccepted, resultIgnored, resultUnknownToken, resultRateLimited, resultSuspended,
	resultBadMethod, resultTooLarge, resultBadRequest, resultError}

var (
	requestsTotal = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "dirsync_webhook_requests_total",
		Help: "Requests to the webhook receiver, by result (accepted, ignored, unknown_token, rate_limited, suspended, bad_method, too_large, bad_request, error).",
	}, []string{"result"})
	actionsTotal = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "dirsync_webhook_actions_total",
		Help: "Requests with a valid token, by Access People HR ActionId (1-54, other, or none when the body has no readable ActionId).",
	}, []string{"action"})
	syncRequestsTotal = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "dirsync_webhook_sync_requests_total",
		Help: "Sync requests the receiver wrote (dirsync.io/sync-requested-at), after coalescing the accepted requests.",
	})
)

func init() {
	metrics.Registry.MustRegister(requestsTotal, actionsTotal, syncRequestsTotal)
}
