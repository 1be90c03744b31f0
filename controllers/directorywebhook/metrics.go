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
	"github.com/prometheus/client_golang/prometheus"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/metrics"

	dirsyncv1alpha1 "github.com/dirsync/dirsync/api/v1alpha1"
	"github.com/dirsync/dirsync/controllers/internal/verdict"
)

// Metrics of the DirectoryWebhook controller. Labels name webhooks, never a person, a URL or a secret.
var (
	deliveries = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "dirsync_directorywebhook_deliveries_total",
		Help: "Delivery attempts by result: success (2xx), redirect (3xx, never followed), http_4xx, http_5xx, timeout, connection, tls, refused_address.",
	}, []string{"namespace", "webhook", "result"})

	pendingGauge = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "dirsync_directorywebhook_pending_events",
		Help: "Events a DirectoryWebhook owes its receiver now, held ones included.",
	}, []string{"namespace", "webhook"})

	heldGauge = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "dirsync_directorywebhook_held_removals",
		Help: "People and groups whose removal events the webhook's removal guard holds now.",
	}, []string{"namespace", "webhook"})

	webhookReady = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "dirsync_directorywebhook_ready",
		Help: "1 when the DirectoryWebhook's Ready condition is True, else 0; reason is the condition's reason. One series per webhook.",
	}, []string{"namespace", "webhook", "reason"})

	lastDelivery = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "dirsync_directorywebhook_last_delivery_timestamp_seconds",
		Help: "Unix time at which the webhook's receiver last acknowledged an event.",
	}, []string{"namespace", "webhook"})

	deliverySeconds = prometheus.NewHistogram(prometheus.HistogramOpts{
		Name:    "dirsync_directorywebhook_delivery_seconds",
		Help:    "From the webhook planning an event (moments after the Directory wrote the change) to the receiver acknowledging it, retries included.",
		Buckets: []float64{0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 300, 1800},
	})

	attemptSeconds = prometheus.NewHistogram(prometheus.HistogramOpts{
		Name:    "dirsync_directorywebhook_attempt_seconds",
		Help:    "Duration of one delivery attempt: the receiver's answer, or the failure.",
		Buckets: []float64{0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10},
	})

	recordWriteSeconds = prometheus.NewHistogram(prometheus.HistogramOpts{
		Name:    "dirsync_directorywebhook_record_write_seconds",
		Help:    "Duration of one write of a webhook's record (its changed DirectoryWebhookRecord shards).",
		Buckets: []float64{0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5},
	})
)

// webhookVecs are the series that belong to one webhook and go with it.
var webhookVecs = []interface {
	DeletePartialMatch(prometheus.Labels) int
}{deliveries, pendingGauge, heldGauge, webhookReady, lastDelivery}

func init() {
	metrics.Registry.MustRegister(deliveries, pendingGauge, heldGauge, webhookReady, lastDelivery, deliverySeconds, attemptSeconds, recordWriteSeconds)
}

// recordWebhook sets the webhook's gauges from its status.
func recordWebhook(w *dirsyncv1alpha1.DirectoryWebhook) {
	ns, name := w.Namespace, w.Name
	pendingGauge.WithLabelValues(ns, name).Set(float64(w.Status.PendingEvents))
	held := 0
	if h := w.Status.HeldRemovals; h != nil {
		held = int(h.Users + h.Groups)
	}
	heldGauge.WithLabelValues(ns, name).Set(float64(held))
	if t := w.Status.LastDeliveryTime; t != nil {
		lastDelivery.WithLabelValues(ns, name).Set(float64(t.Unix()))
	}
	c := verdict.Ready(w)
	if c == nil {
		return
	}
	value := 0.0
	if c.Status == metav1.ConditionTrue {
		value = 1
	}
	webhookReady.DeletePartialMatch(prometheus.Labels{"namespace": ns, "webhook": name})
	webhookReady.WithLabelValues(ns, name, c.Reason).Set(value)
}

// forgetWebhookMetrics deletes a deleted webhook's series.
func forgetWebhookMetrics(key types.NamespacedName) {
	for _, v := range webhookVecs {
		v.DeletePartialMatch(prometheus.Labels{"namespace": key.Namespace, "webhook": key.Name})
	}
}
