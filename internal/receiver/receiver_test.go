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
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	clocktesting "k8s.io/utils/clock/testing"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/metrics"

	dirsyncv1alpha1 "github.com/dirsync/dirsync/api/v1alpha1"
	"github.com/dirsync/dirsync/controllers/directory/directorytest"
	"github.com/dirsync/dirsync/internal/provider/fakehr"
	"github.com/dirsync/dirsync/internal/receiver/token"
	"github.com/dirsync/dirsync/internal/testenv"
)

// story is one Directory of the Access People HR fake with spec.webhook.enabled, synced once, and the
// receiver's path for it.
type story struct {
	*directorytest.Harness
	path string
}

func peopleHR() directorytest.ProviderCase {
	for _, pc := range directorytest.ProviderCases {
		if pc.Provider == dirsyncv1alpha1.ProviderAccessPeopleHR {
			return pc
		}
	}
	panic("no Access People HR case")
}

// newStory creates the Directory and waits for its first sync and its path.
func newStory(t *testing.T) *story {
	t.Helper()
	newMinute()
	h := directorytest.New(t, k8sClient, peopleHR(), 20, directoryClock.Now(), func(d *dirsyncv1alpha1.Directory) {
		d.Spec.Webhook = &dirsyncv1alpha1.IncomingWebhook{Enabled: ptr.To(true)}
	})
	s := &story{Harness: h}
	h.WaitReason(dirsyncv1alpha1.ReasonSynced)
	s.path = s.waitPath("")
	return s
}

// newMinute moves the Directory controller's clock a minute on: the hinted syncs of Access People HR
// Directories across the manager are bounded per minute (20), and the clock only moves when a test says
// so, so that a story (or a run with -count) never finds the budget spent by the ones before it.
func newMinute() {
	directoryClock.Step(time.Minute)
}

// waitPath waits until status.webhook.path is set, differs from not, and WebhookReceiver is True.
func (s *story) waitPath(not string) string {
	s.T.Helper()
	var path string
	testenv.Eventually(s.T, directorytest.Timeout, func() (bool, string) {
		d := s.Directory()
		c := meta.FindStatusCondition(d.Status.Conditions, dirsyncv1alpha1.ConditionWebhookReceiver)
		if d.Status.Webhook == nil || c == nil {
			return false, "no status.webhook or WebhookReceiver condition yet"
		}
		path = d.Status.Webhook.Path
		return path != "" && path != not && c.Reason == dirsyncv1alpha1.ReasonReceiving, fmt.Sprintf("path %q, %s: %s", path, c.Reason, c.Message)
	})
	return path
}

// post sends a request to the receiver and returns the status code and the answer's headers.
func post(t *testing.T, method, path, body string) (int, http.Header) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, "http://"+suiteReceiver.ListenAddr()+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	answer, _ := io.ReadAll(resp.Body)
	if strings.Contains(string(answer), body) && body != "" {
		t.Fatalf("the answer echoes the body: %q", answer)
	}
	return resp.StatusCode, resp.Header
}

// requests is dirsync_webhook_requests_total{result}.
func requests(t *testing.T, result string) float64 {
	t.Helper()
	return counterValue(t, "dirsync_webhook_requests_total", result)
}

func counterValue(t *testing.T, name, label string) float64 {
	t.Helper()
	families, err := metrics.Registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		if f.GetName() != name {
			continue
		}
		var sum float64
		for _, m := range f.GetMetric() {
			for _, l := range m.GetLabel() {
				if label == "" || l.GetValue() == label {
					sum += m.GetCounter().GetValue()
					break
				}
			}
			if label == "" && len(m.GetLabel()) == 0 {
				sum += m.GetCounter().GetValue()
			}
		}
		return sum
	}
	return 0
}

// requestedAt is the Directory's sync-requested-at annotation on the server.
func (s *story) requestedAt() string {
	return s.Directory().Annotations[dirsyncv1alpha1.AnnotationSyncRequestedAt]
}

// markLeaver makes an active employee a leaver in the fake (leaving date yesterday) and returns their id.
func (s *story) markLeaver() string {
	s.T.Helper()
	var id string
	s.Srv.Update(func(c *fakehr.Company) {
		for i := range c.Employees {
			if e := &c.Employees[i]; e.Status == fakehr.Current {
				e.Status, e.LeavingDate, id = fakehr.Former, directoryClock.Now().AddDate(0, 0, -1).Format(time.DateOnly), e.ID
				return
			}
		}
	})
	if id == "" {
		s.T.Fatal("no current employee to mark a leaver")
	}
	return id
}

// events are the notes of the Events of reason regarding the Directory.
func (s *story) events(reason string) []string {
	s.T.Helper()
	var l eventsv1.EventList
	if err := k8sClient.List(s.Ctx, &l, client.InNamespace(s.NS)); err != nil {
		s.T.Fatal(err)
	}
	var notes []string
	for _, e := range l.Items {
		if e.Reason == reason && e.Regarding.Name == s.Key.Name {
			notes = append(notes, e.Note)
		}
	}
	return notes
}

// A leaver's packet with the right path: a sync at once (no hinted sync came before), the leaver
// Inactive, and an Event naming the action and the employee id.
func TestWebhookWithTheRightPathSyncs(t *testing.T) {
	s := newStory(t)
	secret := &corev1.Secret{}
	if err := k8sClient.Get(s.Ctx, types.NamespacedName{Namespace: s.NS, Name: "acme-webhook"}, secret); err != nil {
		t.Fatalf("the operator made no token Secret: %v", err)
	}
	if !metav1.IsControlledBy(secret, s.Directory()) || len(secret.Data["token"]) != 64 {
		t.Fatalf("the token Secret should be controlled by the Directory and hold 64 hex digits: owners %+v, %d bytes",
			secret.OwnerReferences, len(secret.Data["token"]))
	}
	if want := token.Path(s.NS, "acme", string(secret.Data["token"])); s.path != want {
		t.Fatalf("status.webhook.path = %q, want %q", s.path, want)
	}

	id := s.markLeaver() // the first hint syncs at once, even right after the first sync
	calls, accepted := s.Srv.Requests(), requests(t, resultAccepted)
	if code, _ := post(t, http.MethodPost, s.path, "ActionId:3, Action:Marked Leaver, EmployeeId:"+id); code != http.StatusAccepted {
		t.Fatalf("POST with the right path: HTTP %d, want 202", code)
	}
	testenv.Eventually(t, directorytest.Timeout, func() (bool, string) {
		u := s.Users()[id]
		return u.Spec.State == dirsyncv1alpha1.UserStateInactive, fmt.Sprintf("%s is %s", id, u.Spec.State)
	})
	d := s.Directory()
	if !strings.HasPrefix(d.Status.LastHandledSyncRequest, dirsyncv1alpha1.SyncRequestWebhookPrefix) {
		t.Errorf("the sync answered %q, want a webhook/ request", d.Status.LastHandledSyncRequest)
	}
	if got := s.Srv.Requests() - calls; got != 1 {
		t.Errorf("the hint cost %d provider requests, want 1", got)
	}
	if got := requests(t, resultAccepted) - accepted; got != 1 {
		t.Errorf("dirsync_webhook_requests_total{result=accepted} grew by %v, want 1", got)
	}
	testenv.Eventually(t, 10*time.Second, func() (bool, string) {
		notes := s.events("WebhookReceived")
		want := "Marked Leaver (ActionId 3), employee " + id
		return slices.ContainsFunc(notes, func(n string) bool { return strings.Contains(n, want) }), fmt.Sprintf("want an Event saying %q; have %q", want, notes)
	})
	testenv.Eventually(t, 10*time.Second, func() (bool, string) {
		w := s.Directory().Status.Webhook
		return w != nil && w.LastReceivedTime != nil, "no status.webhook.lastReceivedTime yet"
	})
}

// Anything but the exact path is 404, and anything but POST is 405; nothing is requested.
func TestWebhookWithAWrongPathOrMethodIsRefused(t *testing.T) {
	s := newStory(t)
	secret := &corev1.Secret{}
	if err := k8sClient.Get(s.Ctx, types.NamespacedName{Namespace: s.NS, Name: "acme-webhook"}, secret); err != nil {
		t.Fatal(err)
	}
	before, unknown, bad := s.requestedAt(), requests(t, resultUnknownToken), requests(t, resultBadMethod)
	last := s.path[len(s.path)-1]
	flipped := s.path[:len(s.path)-1] + map[bool]string{true: "1", false: "0"}[last == '0']
	wrong := []string{
		flipped,                // one digit off
		s.path[:len(s.path)-1], // one digit short
		s.path + "0",           // one digit long
		s.path + "/",           // a trailing slash
		token.PathPrefix + string(secret.Data["token"]), // the token is not the path
		token.PathPrefix, "/", "/hook", "/metrics",
	}
	for _, p := range wrong {
		if code, _ := post(t, http.MethodPost, p, "ActionId:3"); code != http.StatusNotFound {
			t.Errorf("POST to a wrong path (%d characters): HTTP %d, want 404", len(p), code)
		}
	}
	for _, m := range []string{http.MethodGet, http.MethodPut, http.MethodDelete} {
		code, h := post(t, m, s.path, "")
		if code != http.StatusMethodNotAllowed || h.Get("Allow") != http.MethodPost {
			t.Errorf("%s to the right path: HTTP %d, Allow %q; want 405 and Allow: POST", m, code, h.Get("Allow"))
		}
	}
	if got := requests(t, resultUnknownToken) - unknown; got != float64(len(wrong)) {
		t.Errorf("unknown_token grew by %v, want %d", got, len(wrong))
	}
	if got := requests(t, resultBadMethod) - bad; got != 3 {
		t.Errorf("bad_method grew by %v, want 3", got)
	}
	if after := s.requestedAt(); after != before {
		t.Errorf("a refused request asked for a sync: %q → %q", before, after)
	}
}

// Deleting the token Secret rotates the token: the operator makes a new one, the path changes, and the
// old path is refused.
func TestWebhookTokenRotatesWhenItsSecretIsDeleted(t *testing.T) {
	s := newStory(t)
	old := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: s.NS, Name: "acme-webhook"}}
	if err := k8sClient.Delete(s.Ctx, old); err != nil {
		t.Fatal(err)
	}
	newPath := s.waitPath(s.path)
	if code, _ := post(t, http.MethodPost, s.path, ""); code != http.StatusNotFound {
		t.Errorf("the old path after the rotation: HTTP %d, want 404", code)
	}
	if code, _ := post(t, http.MethodPost, newPath, ""); code != http.StatusAccepted {
		t.Errorf("the new path: HTTP %d, want 202", code)
	}
	fresh := &corev1.Secret{}
	if err := k8sClient.Get(s.Ctx, client.ObjectKeyFromObject(old), fresh); err != nil || !metav1.IsControlledBy(fresh, s.Directory()) {
		t.Fatalf("the new token Secret: %v, owners %+v", err, fresh.OwnerReferences)
	}
}

// A user's own Secret (spec.webhook.secretRef): missing, then too short, then right; the operator makes
// no Secret of its own.
func TestWebhookWithAUsersSecret(t *testing.T) {
	newMinute()
	h := directorytest.New(t, k8sClient, peopleHR(), 20, directoryClock.Now(), func(d *dirsyncv1alpha1.Directory) {
		d.Spec.Webhook = &dirsyncv1alpha1.IncomingWebhook{Enabled: ptr.To(true), SecretRef: &dirsyncv1alpha1.LocalSecretReference{Name: "people-hook"}}
	})
	s := &story{Harness: h}
	h.WaitReason(dirsyncv1alpha1.ReasonSynced)
	waitWebhookReason := func(reason, says string) {
		t.Helper()
		testenv.Eventually(t, directorytest.Timeout, func() (bool, string) {
			c := meta.FindStatusCondition(s.Directory().GetConditions(), dirsyncv1alpha1.ConditionWebhookReceiver)
			if c == nil {
				return false, "no WebhookReceiver condition"
			}
			return c.Reason == reason && strings.Contains(c.Message, says), c.Reason + ": " + c.Message
		})
	}
	waitWebhookReason(dirsyncv1alpha1.ReasonWebhookSecretInvalid, "people-hook does not exist")
	if w := s.Directory().Status.Webhook; w != nil && w.Path != "" {
		t.Fatalf("a path without a token: %q", w.Path)
	}
	secret := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: s.NS, Name: "people-hook"}, StringData: map[string]string{"token": "too-short"}}
	if err := k8sClient.Create(s.Ctx, secret); err != nil {
		t.Fatal(err)
	}
	waitWebhookReason(dirsyncv1alpha1.ReasonWebhookSecretInvalid, "it needs at least 32")
	const userToken = "a-token-the-user-made-with-openssl-rand"
	testenv.Update(t, k8sClient, secret, func(s *corev1.Secret) { s.StringData = map[string]string{"token": userToken} })
	path := s.waitPath("")
	if want := token.Path(s.NS, "acme", userToken); path != want {
		t.Fatalf("status.webhook.path = %q, want the one derived from the user's token %q", path, want)
	}
	if err := k8sClient.Get(s.Ctx, types.NamespacedName{Namespace: s.NS, Name: "acme-webhook"}, &corev1.Secret{}); err == nil {
		t.Error("the operator made a Secret of its own although spec.webhook.secretRef names one")
	}
	if code, _ := post(t, http.MethodPost, path, ""); code != http.StatusAccepted {
		t.Errorf("POST with the user's token's path: HTTP %d, want 202", code)
	}
}

// Turning the webhook off removes status.webhook and the condition, and the path stops working at once.
func TestWebhookTurnedOff(t *testing.T) {
	s := newStory(t)
	testenv.Update(t, k8sClient, s.Directory(), func(d *dirsyncv1alpha1.Directory) { d.Spec.Webhook.Enabled = ptr.To(false) })
	testenv.Eventually(t, directorytest.Timeout, func() (bool, string) {
		d := s.Directory()
		return d.Status.Webhook == nil && meta.FindStatusCondition(d.Status.Conditions, dirsyncv1alpha1.ConditionWebhookReceiver) == nil,
			fmt.Sprintf("status.webhook %+v", d.Status.Webhook)
	})
	if code, _ := post(t, http.MethodPost, s.path, ""); code != http.StatusNotFound {
		t.Errorf("POST after the webhook was turned off: HTTP %d, want 404", code)
	}
}

// A suspended Directory answers 202 and nothing happens.
func TestWebhookSuspendedDirectoryDoesNothing(t *testing.T) {
	s := newStory(t)
	s.suspend()
	testenv.Eventually(t, 10*time.Second, func() (bool, string) { // the receiver reads the cache: wait until it knows
		code, _ := post(t, http.MethodPost, s.path, "ActionId:3, EmployeeId:PW1")
		return code == http.StatusAccepted && requests(t, resultSuspended) > 0, fmt.Sprintf("HTTP %d", code)
	})
	before, suspended := s.requestedAt(), requests(t, resultSuspended)
	if code, _ := post(t, http.MethodPost, s.path, "ActionId:3, EmployeeId:PW1"); code != http.StatusAccepted {
		t.Fatalf("POST for a suspended Directory: HTTP %d, want 202", code)
	}
	if got := requests(t, resultSuspended) - suspended; got != 1 {
		t.Errorf("suspended grew by %v, want 1", got)
	}
	if after := s.requestedAt(); after != before {
		t.Errorf("a suspended Directory's request asked for a sync: %q → %q", before, after)
	}
}

// A body over 16 KiB is refused with 413 and asks for nothing; one of exactly 16 KiB is read.
func TestWebhookBodyCap(t *testing.T) {
	s := newStory(t)
	before, tooLarge := s.requestedAt(), requests(t, resultTooLarge)
	packet := "ActionId:3, EmployeeId:PW1, Reason:"
	big := packet + strings.Repeat("x", int(DefaultLimits.MaxBody)+1-len(packet))
	if code, _ := post(t, http.MethodPost, s.path, big); code != http.StatusRequestEntityTooLarge {
		t.Fatalf("a body of 16 KiB + 1: HTTP %d, want 413", code)
	}
	if got := requests(t, resultTooLarge) - tooLarge; got != 1 {
		t.Errorf("too_large grew by %v, want 1", got)
	}
	if after := s.requestedAt(); after != before {
		t.Errorf("a refused body asked for a sync: %q → %q", before, after)
	}
	if code, _ := post(t, http.MethodPost, s.path, big[:DefaultLimits.MaxBody]); code != http.StatusAccepted {
		t.Fatalf("a body of exactly 16 KiB: HTTP %d, want 202", code)
	}
	testenv.Eventually(t, 10*time.Second, func() (bool, string) {
		v := s.requestedAt()
		return v != before && strings.HasPrefix(v, dirsyncv1alpha1.SyncRequestWebhookPrefix), "sync-requested-at is " + v
	})
}

// People HR calls the one URL for every action: those that cannot change the directory (a sickness with
// its reason, a holiday, a logbook) ask for nothing; one that cannot be read asks for a sync.
func TestWebhookIgnoresActionsThatCannotChangeTheDirectory(t *testing.T) {
	s := newStory(t)
	before, ignored := s.requestedAt(), requests(t, resultIgnored)
	for _, body := range []string{
		"ActionId:11, Action:Sickness Added, EmployeeId:PW3, Reason:Migraine",
		`{"ActionId":5,"Action":"Holiday Approved","EmployeeId":"PW3"}`,
		"ActionId=40&Action=Logbook+Added&EmployeeId=PW3",
	} {
		if code, _ := post(t, http.MethodPost, s.path, body); code != http.StatusAccepted {
			t.Fatalf("an irrelevant action: HTTP %d, want 202", code)
		}
	}
	if got := requests(t, resultIgnored) - ignored; got != 3 {
		t.Errorf("ignored grew by %v, want 3", got)
	}
	if after := s.requestedAt(); after != before {
		t.Fatalf("an irrelevant action asked for a sync: %q → %q", before, after)
	}
	if code, _ := post(t, http.MethodPost, s.path, "something we cannot read"); code != http.StatusAccepted {
		t.Fatalf("an unreadable body: HTTP %d, want 202", code)
	}
	testenv.Eventually(t, 10*time.Second, func() (bool, string) {
		v := s.requestedAt()
		return v != before && strings.HasPrefix(v, dirsyncv1alpha1.SyncRequestWebhookPrefix), "sync-requested-at is " + v
	})
}

// One Directory's requests beyond its rate are refused with 429 and Retry-After.
func TestWebhookDirectoryRateLimit(t *testing.T) {
	s := newStory(t)
	limited := requests(t, resultRateLimited)
	var refused int
	for range int(suiteLimits.DirectoryBurst) + 20 {
		code, h := post(t, http.MethodPost, s.path, "ActionId:5")
		if code == http.StatusTooManyRequests {
			refused++
			if h.Get("Retry-After") == "" {
				t.Fatal("a 429 without Retry-After")
			}
		}
	}
	if refused == 0 || requests(t, resultRateLimited)-limited != float64(refused) {
		t.Fatalf("%d requests beyond a burst of %v: %d refused (rate_limited grew by %v)", int(suiteLimits.DirectoryBurst)+20,
			suiteLimits.DirectoryBurst, refused, requests(t, resultRateLimited)-limited)
	}
}

// Hints coalesce: the first syncs at once; a hundred more, during and after that sync, fold into one
// follow-up, which runs once the spacing (15 s of the controller's clock) has passed.
func TestWebhookCoalescesHints(t *testing.T) {
	s := newStory(t)
	calls, writes := s.Srv.Requests(), counterValue(t, "dirsync_webhook_sync_requests_total", "")
	if code, _ := post(t, http.MethodPost, s.path, "ActionId:3, EmployeeId:PW1"); code != http.StatusAccepted {
		t.Fatalf("HTTP %d", code)
	}
	first := s.waitHandled(func(v string) bool { return strings.HasPrefix(v, dirsyncv1alpha1.SyncRequestWebhookPrefix) })
	for i := range 100 {
		if code, _ := post(t, http.MethodPost, s.path, fmt.Sprintf("ActionId:2, EmployeeId:PW%d", i)); code != http.StatusAccepted {
			t.Fatalf("hint %d: HTTP %d", i, code)
		}
	}
	// The last hint is followed by a write within WriteEvery; the controller sees it and waits.
	testenv.Eventually(t, 10*time.Second, func() (bool, string) {
		return !suiteReceiver.writeScheduled(s.Directory().UID) && s.requestedAt() != first, "a sync request is still to be written"
	})
	reconciles := testenv.Reconciles(t, "directory")
	poke(t, s)
	testenv.Eventually(t, 10*time.Second, func() (bool, string) {
		return testenv.Reconciles(t, "directory") > reconciles, "the controller has not reconciled the new request yet"
	})
	if got := s.Srv.Requests() - calls; got != 1 {
		for _, l := range strings.Split(logs.String(), "\n") {
			if strings.Contains(l, s.NS) && strings.Contains(l, "Sync") {
				t.Log(l)
			}
		}
		t.Fatalf("101 hints within the spacing cost %d provider requests so far, want 1", got)
	}
	if d := s.Directory(); d.Status.LastHandledSyncRequest != first {
		t.Fatalf("a sync answered %q before the spacing had passed", d.Status.LastHandledSyncRequest)
	}
	directoryClock.Step(hintSpacingForTests)
	poke(t, s) // the controller's requeue runs on the real clock: wake it now
	s.waitHandled(func(v string) bool { return v == s.requestedAt() })
	if got := s.Srv.Requests() - calls; got != 2 {
		t.Errorf("101 hints cost %d provider requests, want 2 (one sync, one follow-up)", got)
	}
	if got := counterValue(t, "dirsync_webhook_sync_requests_total", "") - writes; got > 4 {
		t.Errorf("101 hints in about a second wrote %v sync requests, want at most a few (one per WriteEvery)", got)
	}
}

// writeScheduled reports whether the receiver holds a write of the Directory's sync request for later.
func (r *Receiver) writeScheduled(uid types.UID) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	s, ok := r.dirs[uid]
	return ok && s.trailing != nil
}

// hintSpacingForTests is controllers/directory's hintSpacing (15 s), which this package cannot see.
const hintSpacingForTests = 15 * time.Second

// suspend sets spec.suspend and waits until the controller says Suspended.
func (s *story) suspend() {
	s.T.Helper()
	testenv.Update(s.T, k8sClient, s.Directory(), func(d *dirsyncv1alpha1.Directory) { d.Spec.Suspend = ptr.To(true) })
	testenv.Eventually(s.T, directorytest.Timeout, func() (bool, string) {
		c := meta.FindStatusCondition(s.Directory().Status.Conditions, dirsyncv1alpha1.ConditionReady)
		return c != nil && c.Reason == dirsyncv1alpha1.ReasonSuspended && c.ObservedGeneration == s.Directory().Generation, fmt.Sprintf("Ready %+v", c)
	})
}

// waitHandled waits until status.lastHandledSyncRequest satisfies ok, and returns it.
func (s *story) waitHandled(ok func(string) bool) string {
	s.T.Helper()
	var v string
	testenv.Eventually(s.T, directorytest.Timeout, func() (bool, string) {
		v = s.Directory().Status.LastHandledSyncRequest
		return ok(v), "lastHandledSyncRequest is " + v
	})
	return v
}

// poke changes an unrelated annotation (a merge patch: an Update would rewrite spec.syncInterval "30m" as
// "30m0s" and so bump the generation), which makes the controller reconcile.
func poke(t *testing.T, s *story) {
	t.Helper()
	patch := fmt.Appendf(nil, `{"metadata":{"annotations":{"test.dirsync.io/poke":%q}}}`, directorytest.NextValue())
	d := &dirsyncv1alpha1.Directory{ObjectMeta: metav1.ObjectMeta{Namespace: s.NS, Name: s.Key.Name}}
	if err := k8sClient.Patch(s.Ctx, d, client.RawPatch(types.MergePatchType, patch)); err != nil {
		t.Fatal(err)
	}
}

// The token and the path (its secret part) appear nowhere but in the token Secret and status.webhook.path:
// not in Events, the manager's log, the metrics, conditions or other objects, whatever the requests did.
func TestWebhookTokenNeverLeaks(t *testing.T) {
	s := newStory(t)
	secret := &corev1.Secret{}
	if err := k8sClient.Get(s.Ctx, types.NamespacedName{Namespace: s.NS, Name: "acme-webhook"}, secret); err != nil {
		t.Fatal(err)
	}
	tok, segment := string(secret.Data["token"]), strings.TrimPrefix(s.path, token.PathPrefix)
	for _, req := range []struct{ method, path, body string }{
		{http.MethodPost, s.path, "ActionId:3, EmployeeId:PW1"},
		{http.MethodPost, s.path, "ActionId:11, Reason:flu"},
		{http.MethodPost, s.path, strings.Repeat("x", int(DefaultLimits.MaxBody)+1)},
		{http.MethodGet, s.path, ""},
		{http.MethodPost, s.path + "0", ""},
		{http.MethodPost, token.PathPrefix + tok, ""},
	} {
		post(t, req.method, req.path, req.body)
	}
	s.waitHandled(func(v string) bool { return strings.HasPrefix(v, dirsyncv1alpha1.SyncRequestWebhookPrefix) })
	s.WaitEvent("WebhookReceived")
	s.suspend()
	post(t, http.MethodPost, s.path, "ActionId:3")

	var where []string
	search := func(what string, text []byte) {
		for name, secret := range map[string]string{"the token": tok, "the path": segment} {
			if bytes.Contains(text, []byte(secret)) {
				where = append(where, name+" in "+what)
			}
		}
	}
	var events eventsv1.EventList
	if err := k8sClient.List(s.Ctx, &events); err != nil {
		t.Fatal(err)
	}
	for _, e := range events.Items {
		search("Event "+e.Name, []byte(e.Note+e.Reason+e.Action+fmt.Sprint(e.Annotations, e.Labels)))
	}
	search("the manager's log", []byte(logs.String()))
	families, err := metrics.Registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var text strings.Builder
	for _, f := range families {
		text.WriteString(f.String())
	}
	search("the metrics", []byte(text.String()))
	d := s.Directory()
	d.Status.Webhook.Path = ""
	search("the Directory (status.webhook.path aside)", []byte(fmt.Sprintf("%+v", d)))
	var users dirsyncv1alpha1.DirectoryUserList
	if err := k8sClient.List(s.Ctx, &users, client.InNamespace(s.NS)); err != nil {
		t.Fatal(err)
	}
	search("the DirectoryUsers", []byte(fmt.Sprintf("%+v", users)))
	if len(where) > 0 {
		t.Fatalf("leaked: %s", strings.Join(where, "; "))
	}
}

// The receiver-wide bucket refuses a flood before it looks anything up (no API server needed).
func TestReceiverRefusesBeyondItsGlobalRate(t *testing.T) {
	r := &Receiver{limits: Limits{GlobalPerSecond: 1, GlobalBurst: 2}.withDefaults(), Clock: clocktesting.NewFakePassiveClock(time.Now())}
	var codes []int
	for range 3 {
		w := httptest.NewRecorder()
		r.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/hook/x", nil))
		codes = append(codes, w.Code)
	}
	if want := []int{http.StatusMethodNotAllowed, http.StatusMethodNotAllowed, http.StatusTooManyRequests}; !slices.Equal(codes, want) {
		t.Fatalf("three requests against a burst of 2: %v, want %v", codes, want)
	}
}

// Every metric the receiver declares is registered, and every result has a label value.
func TestEveryReceiverMetricIsRegistered(t *testing.T) {
	for _, r := range allResults {
		requestsTotal.WithLabelValues(r).Add(0)
	}
	actionsTotal.WithLabelValues("none").Add(0)
	families, err := metrics.Registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, f := range families {
		names = append(names, f.GetName())
	}
	for _, want := range []string{"dirsync_webhook_requests_total", "dirsync_webhook_actions_total", "dirsync_webhook_sync_requests_total"} {
		if !slices.Contains(names, want) {
			t.Errorf("%s is not registered", want)
		}
	}
}
