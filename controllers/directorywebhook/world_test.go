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
	"slices"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"

	dirsyncv1alpha1 "github.com/dirsync/dirsync/api/v1alpha1"
	"github.com/dirsync/dirsync/controllers/internal/verdict"
	"github.com/dirsync/dirsync/internal/testenv"
)

// world is a namespace with a Directory, "acme", whose people and groups a story writes itself, as the
// Directory controller would (controlled by the Directory, labelled with it). The Directory is suspended,
// so no Directory controller touches them, and its status says it has synced.
type world struct {
	t   *testing.T
	ctx context.Context
	ns  string
	dir *dirsyncv1alpha1.Directory
}

const testSecret = "whsec-story-0123456789abcdef"

func newWorld(t *testing.T) *world {
	t.Helper()
	testenv.Require(t)
	ctx := context.Background()
	w := &world{t: t, ctx: ctx, ns: testenv.NewNamespace(t, k8sClient, "dwh-")}
	w.dir = &dirsyncv1alpha1.Directory{ObjectMeta: metav1.ObjectMeta{Name: "acme", Namespace: w.ns},
		Spec: dirsyncv1alpha1.DirectorySpec{Provider: dirsyncv1alpha1.ProviderBreatheHR,
			CredentialsSecretRef: dirsyncv1alpha1.SecretKeyReference{Name: "hr-key"}, Suspend: ptr.To(true)}}
	must(t, k8sClient.Create(ctx, w.dir))
	w.dir.Status.LastSuccessfulSyncTime = ptr.To(metav1.NewTime(time.Now().Truncate(time.Second)))
	must(t, k8sClient.Status().Update(ctx, w.dir))
	must(t, k8sClient.Create(ctx, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "signing", Namespace: w.ns},
		StringData: map[string]string{"secret": testSecret}}))
	return w
}

// group creates or updates a department group of acme.
func (w *world) group(name, display string) *dirsyncv1alpha1.DirectoryGroup {
	w.t.Helper()
	g := &dirsyncv1alpha1.DirectoryGroup{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: w.ns}}
	_, err := controllerutil.CreateOrUpdate(w.ctx, k8sClient, g, func() error {
		g.Labels = map[string]string{dirsyncv1alpha1.LabelDirectory: "acme"}
		g.Spec = dirsyncv1alpha1.DirectoryGroupSpec{DirectoryRef: dirsyncv1alpha1.DirectoryReference{Name: "acme"},
			Type: dirsyncv1alpha1.GroupTypeDepartment, ExternalID: name, DisplayName: display}
		return controllerutil.SetControllerReference(w.dir, g, suite.Scheme)
	})
	must(w.t, err)
	return g
}

// person is what a story says about one DirectoryUser.
type person struct {
	name, id, first, last, email, title string
	inactive                            bool
	groups                              []string
}

// user creates or updates a DirectoryUser of acme.
func (w *world) user(p person) *dirsyncv1alpha1.DirectoryUser {
	w.t.Helper()
	u := &dirsyncv1alpha1.DirectoryUser{ObjectMeta: metav1.ObjectMeta{Name: p.name, Namespace: w.ns}}
	_, err := controllerutil.CreateOrUpdate(w.ctx, k8sClient, u, func() error {
		u.Labels = map[string]string{dirsyncv1alpha1.LabelDirectory: "acme"}
		state := dirsyncv1alpha1.UserStateActive
		if p.inactive {
			state = dirsyncv1alpha1.UserStateInactive
		}
		u.Spec = dirsyncv1alpha1.DirectoryUserSpec{DirectoryRef: dirsyncv1alpha1.DirectoryReference{Name: "acme"}, ExternalID: p.id,
			FirstName: p.first, LastName: p.last, Email: p.email, JobTitle: p.title, State: state, Groups: slices.Sorted(slices.Values(p.groups))}
		return controllerutil.SetControllerReference(w.dir, u, suite.Scheme)
	})
	must(w.t, err)
	return u
}

// remove deletes a person or group.
func (w *world) remove(obj client.Object) {
	w.t.Helper()
	must(w.t, client.IgnoreNotFound(k8sClient.Delete(w.ctx, obj)))
}

// webhook creates a DirectoryWebhook of acme posting to url, changed by mutate, and deletes it when
// the story ends.
func (w *world) webhook(name, url string, mutate func(*dirsyncv1alpha1.DirectoryWebhook)) {
	w.t.Helper()
	wh := &dirsyncv1alpha1.DirectoryWebhook{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: w.ns},
		Spec: dirsyncv1alpha1.DirectoryWebhookSpec{DirectoryRef: dirsyncv1alpha1.DirectoryReference{Name: "acme"}, URL: url,
			SecretRef: dirsyncv1alpha1.WebhookSecretReference{Name: "signing"}}}
	if mutate != nil {
		mutate(wh)
	}
	must(w.t, k8sClient.Create(w.ctx, wh))
	w.t.Cleanup(func() { _ = k8sClient.Delete(context.Background(), wh) })
}

// get reads a webhook.
func (w *world) get(name string) *dirsyncv1alpha1.DirectoryWebhook {
	w.t.Helper()
	wh := &dirsyncv1alpha1.DirectoryWebhook{}
	must(w.t, k8sClient.Get(w.ctx, client.ObjectKey{Namespace: w.ns, Name: name}, wh))
	return wh
}

// waitReady waits until the webhook's Ready condition has reason (for its current generation), and cond
// (if any) holds, and returns it.
func (w *world) waitReady(name, reason string, cond func(*dirsyncv1alpha1.DirectoryWebhook) bool) *dirsyncv1alpha1.DirectoryWebhook {
	w.t.Helper()
	var wh *dirsyncv1alpha1.DirectoryWebhook
	eventually(w.t, func() (bool, string) {
		wh = w.get(name)
		c := verdict.Ready(wh)
		if c == nil {
			return false, "no Ready condition yet"
		}
		ok := c.Reason == reason && wh.Status.ObservedGeneration == wh.Generation && (cond == nil || cond(wh))
		return ok, describe("Ready=%s %s: %s; pending %d, delivered %d, failed %d, lastError %q", c.Status, c.Reason, c.Message,
			wh.Status.PendingEvents, wh.Status.DeliveredEvents, wh.Status.FailedAttempts, wh.Status.LastError)
	})
	return wh
}

// records lists the webhook's DirectoryWebhookRecords.
func (w *world) records(name string) []dirsyncv1alpha1.DirectoryWebhookRecord {
	w.t.Helper()
	var l dirsyncv1alpha1.DirectoryWebhookRecordList
	must(w.t, k8sClient.List(w.ctx, &l, client.InNamespace(w.ns), client.MatchingLabels{dirsyncv1alpha1.LabelWebhook: name}))
	return l.Items
}
