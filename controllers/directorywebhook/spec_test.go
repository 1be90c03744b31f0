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
	"encoding/json"
	"strings"
	"testing"

	eventsv1 "k8s.io/api/events/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	dirsyncv1alpha1 "github.com/dirsync/dirsync/api/v1alpha1"
	"github.com/dirsync/dirsync/internal/testenv"
)

// A webhook that cannot deliver says why in Ready and sends nothing: a URL the manager may not use
// (http, loopback, metadata, credentials in it), a missing signing secret, a Directory that is missing,
// in dry run or not synced yet, or spec.suspend. Fixing the cause starts delivery, and a suspended
// webhook delivers what changed meanwhile. The signing secret appears in no status, Event or log.
func TestDirectoryWebhookThatCannotDeliverSaysWhy(t *testing.T) {
	w := newWorld(t)
	w.user(person{name: "acme-1", id: "1", first: "Alice"})
	startOperator(t, operatorOptions{secureOnly: true})

	for name, tc := range map[string]struct{ url, reason, says string }{
		"http":       {"http://receiver.example/hook", dirsyncv1alpha1.ReasonInvalidSpec, "use https://"},
		"loopback":   {"https://127.0.0.1:8443/hook", dirsyncv1alpha1.ReasonInvalidSpec, "a loopback address"},
		"metadata":   {"https://169.254.169.254/latest", dirsyncv1alpha1.ReasonInvalidSpec, "link-local"},
		"localhost":  {"https://localhost/hook", dirsyncv1alpha1.ReasonInvalidSpec, "localhost"},
		"credential": {"https://app:pw@receiver.example/hook", dirsyncv1alpha1.ReasonInvalidSpec, "user name or password"},
		"unresolved": {"https://receiver.invalid/hook", dirsyncv1alpha1.ReasonReceiverFailing, "does not resolve"},
	} {
		w.webhook(name, tc.url, nil)
		wh := w.waitReady(name, tc.reason, nil)
		if msg := verdictMessage(wh) + wh.Status.LastError; !strings.Contains(msg, tc.says) {
			t.Errorf("%s: Ready says %q; want it to mention %q", name, msg, tc.says)
		}
	}

	w.webhook("nosecret", "https://receiver.example/hook", func(wh *dirsyncv1alpha1.DirectoryWebhook) { wh.Spec.SecretRef.Name = "missing" })
	wh := w.waitReady("nosecret", dirsyncv1alpha1.ReasonSecretNotFound, nil)
	if !strings.Contains(verdictMessage(wh), "kubectl create secret generic missing") {
		t.Errorf("SecretNotFound says how to create it: %s", verdictMessage(wh))
	}
}

// The same, for what the Directory says and for suspend; here the receivers are local (http://127.0.0.1),
// which the stories' operator allows.
func TestDirectoryWebhookWaitsForItsDirectoryAndResumes(t *testing.T) {
	w := newWorld(t)
	w.user(person{name: "acme-1", id: "1", first: "Alice"})
	rc := newReceiver(t, "WorkOS-Signature")
	startOperator(t, operatorOptions{})

	w.webhook("elsewhere", rc.srv.URL, func(wh *dirsyncv1alpha1.DirectoryWebhook) { wh.Spec.DirectoryRef.Name = "nope" })
	w.waitReady("elsewhere", dirsyncv1alpha1.ReasonDirectoryNotReady, nil)

	dry := &dirsyncv1alpha1.Directory{ObjectMeta: metav1.ObjectMeta{Name: "dry", Namespace: w.ns},
		Spec: dirsyncv1alpha1.DirectorySpec{Provider: dirsyncv1alpha1.ProviderBreatheHR, CredentialsSecretRef: dirsyncv1alpha1.SecretKeyReference{Name: "x"},
			DryRun: ptr.To(true), Suspend: ptr.To(true)}}
	must(t, k8sClient.Create(w.ctx, dry))
	w.webhook("dry", rc.srv.URL, func(wh *dirsyncv1alpha1.DirectoryWebhook) { wh.Spec.DirectoryRef.Name = "dry" })
	// The first verdict may come before the operator's cache has the Directory ("does not exist"); its
	// watch of Directories brings the next, which must name the dry run.
	w.waitReady("dry", dirsyncv1alpha1.ReasonDirectoryNotReady, func(wh *dirsyncv1alpha1.DirectoryWebhook) bool {
		return strings.Contains(verdictMessage(wh), "dry run")
	})

	w.webhook("app", rc.srv.URL, func(wh *dirsyncv1alpha1.DirectoryWebhook) { wh.Spec.Suspend = ptr.To(true) })
	w.waitReady("app", dirsyncv1alpha1.ReasonSuspended, nil)
	w.user(person{name: "acme-2", id: "2", first: "Bob"})
	testenv.Update(t, k8sClient, &dirsyncv1alpha1.DirectoryWebhook{ObjectMeta: metav1.ObjectMeta{Namespace: w.ns, Name: "app"}},
		func(o *dirsyncv1alpha1.DirectoryWebhook) { o.Spec.Suspend = nil })
	w.waitReady("app", dirsyncv1alpha1.ReasonDelivered, func(wh *dirsyncv1alpha1.DirectoryWebhook) bool { return wh.Status.DeliveredEvents == 2 })
	if n := len(rc.deliveries()); n != 2 {
		t.Errorf("the suspended webhook sent nothing, then both people on resume: got %d events", n)
	}

	// The signing secret is nowhere but in its Secret.
	var hooks dirsyncv1alpha1.DirectoryWebhookList
	must(t, k8sClient.List(w.ctx, &hooks, client.InNamespace(w.ns)))
	var events eventsv1.EventList
	must(t, k8sClient.List(w.ctx, &events, client.InNamespace(w.ns)))
	var records dirsyncv1alpha1.DirectoryWebhookRecordList
	must(t, k8sClient.List(w.ctx, &records, client.InNamespace(w.ns)))
	blob, _ := json.Marshal([]any{hooks, events, records})
	for where, text := range map[string]string{"a status, Event or record": string(blob), "the operator's log": logs.String()} {
		if strings.Contains(text, testSecret) {
			t.Errorf("the signing secret reached %s", where)
		}
	}
}
