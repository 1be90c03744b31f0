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

package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	dirsyncv1alpha1 "github.com/dirsync/dirsync/api/v1alpha1"
	"github.com/dirsync/dirsync/internal/provider/fakehr"
)

// The webhook phase (issue 23): one Access People HR Directory of cfg.webhook.employees with
// spec.webhook.enabled, the fake given the receiver's URL as its listener, and two DirectoryAccesses
// (every department to view in one namespace; five departments to edit in another). It measures
//   - for cfg.webhook.leavers leavers, one at a time: from the webhook POST (the fake marks the leaver
//     and posts People HR's "Marked Leaver" packet to the receiver) until the leaver's DirectoryUser is
//     Inactive and their subject is gone from both RoleBindings, all seen as watch events (target p99 ≤ 5 s);
//   - a flood: cfg.webhook.hints packets in cfg.webhook.window, evenly spread, then how many syncs (one
//     provider request each) they caused and how many requests failed (target ≤ 2 syncs, 0 errors);
//   - the memory a webhook costs per Directory: the manager's idle RSS and live heap with
//     cfg.webhook.directories suspended Directories, webhook off, then on, then on with the receiver off.
const (
	nsWebhook       = "bench-webhook"
	nsWebhookView   = "bench-webhook-view"
	nsWebhookEdit   = "bench-webhook-edit"
	nsWebhookMemory = "bench-webhook-memory"
	targetHintSyncs = 2
	// hintSpacing is the controller's (controllers/directory): the leavers come further apart than it,
	// so that each one's latency is the webhook's own.
	hintSpacing = 15 * time.Second
	// receiverWriteEvery is the receiver's Limits.WriteEvery: after a flood, its last write lands within it.
	receiverWriteEvery = 2 * time.Second
)

// webhookConfig sizes the phase.
type webhookConfig struct {
	employees, leavers, hints, directories int
	window                                 time.Duration
}

func (w *webhookConfig) bindFlags() {
	flag.IntVar(&w.employees, "webhook-employees", 10000, "employees of the webhook phase's Access People HR company")
	flag.IntVar(&w.leavers, "webhook-leavers", 30, "leavers, one at a time, whose webhook-to-revocation latency the webhook phase measures")
	flag.IntVar(&w.hints, "webhook-hints", 1000, "webhook requests of the webhook phase's flood")
	flag.DurationVar(&w.window, "webhook-window", 10*time.Second, "the flood's length")
	flag.IntVar(&w.directories, "webhook-directories", 500, "suspended Directories whose idle memory the webhook phase compares with the webhook off and on")
}

func (w *webhookConfig) check() error {
	if w.employees < 100 || w.leavers < 1 || w.hints < 1 || w.window <= 0 || w.directories < 1 {
		return errors.New("-webhook-employees must be ≥ 100, -webhook-leavers, -webhook-hints and -webhook-directories ≥ 1, -webhook-window > 0")
	}
	return nil
}

// webhookRun is what the phase measured.
type webhookRun struct {
	Run       runInfo
	Employees int
	Subjects  []int // subjects of the two RoleBindings
	// Latencies: POST → Inactive and gone from every RoleBinding; UserLatencies: POST → Inactive.
	Latencies, UserLatencies []time.Duration
	Flood                    floodResult
	Memory                   webhookMemory
}

// floodResult is the flood's outcome.
type floodResult struct {
	Hints    int
	Window   time.Duration
	Codes    map[int]int // HTTP status → requests
	Failed   int         // requests with no answer
	Syncs    int         // provider requests from the first hint until the follow-up answered
	Writes   float64     // sync requests the receiver wrote (dirsync_webhook_sync_requests_total)
	Answered time.Duration
}

func (f floodResult) errors() int {
	n := f.Failed
	for code, c := range f.Codes {
		if code != http.StatusAccepted {
			n += c
		}
	}
	return n
}

// runWebhook runs the phase with managers of its own, after the others.
func runWebhook(ctx context.Context, c *cluster) (*webhookRun, error) {
	w := c.cfg.webhook
	r := &webhookRun{Run: beginRun(fmt.Sprintf("-webhook-employees=%d -webhook-leavers=%d -webhook-hints=%d -webhook-window=%s -webhook-directories=%d",
		w.employees, w.leavers, w.hints, w.window, w.directories)), Employees: w.employees}
	var gen fakehr.GenerateResponse
	if err := c.peoplehrAdmin(ctx, http.MethodPost, "/admin/generate", fakehr.GenerateRequest{Seed: 1, Employees: w.employees, Departments: c.cfg.departments}, &gen); err != nil {
		return nil, err
	}
	for _, ns := range []string{nsWebhook, nsWebhookView, nsWebhookEdit, nsWebhookMemory} {
		if err := c.ensureNamespace(ctx, ns); err != nil {
			return nil, err
		}
	}
	// As the cluster admin, who may bind view and edit anywhere (the access phase does the same).
	if err := c.startManager(ctx, managerRun{label: "webhook", kubeconfig: c.kubeconfig, qps: c.cfg.qps, burst: c.cfg.burst}); err != nil {
		return nil, err
	}
	defer c.stopManager()
	path, bindings, err := r.setUp(ctx, c)
	if err != nil {
		return nil, err
	}
	if err := r.leavers(ctx, c, bindings); err != nil {
		return nil, err
	}
	if r.Flood, err = flood(ctx, c, path); err != nil {
		return nil, err
	}
	c.stopManager()
	if err := c.cleanUpWebhook(ctx); err != nil {
		return nil, err
	}
	if r.Memory, err = measureWebhookMemory(ctx, c, w.directories); err != nil {
		return nil, err
	}
	r.Run.end()
	return r, nil
}

// setUp creates the Directory and the DirectoryAccesses, waits until every employee is synced and bound,
// and gives the fake the receiver's URL. It returns the path and the two RoleBindings.
func (r *webhookRun) setUp(ctx context.Context, c *cluster) (string, []types.NamespacedName, error) {
	logf("webhook: syncing %d Access People HR employees", r.Employees)
	if err := c.cl.Create(ctx, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: secretName, Namespace: nsWebhook},
		StringData: map[string]string{"apiKey": apiKey}}); err != nil {
		return "", nil, err
	}
	start := time.Now()
	if _, err := c.waitWebhookDirectory(ctx, func() error { return c.cl.Create(ctx, peoplehrDirectory(nsWebhook, c.peoplehrURL)) },
		readyAfter(r.Employees, "")); err != nil {
		return "", nil, err
	}
	logf("webhook: %d employees synced in %s", r.Employees, time.Since(start).Round(time.Millisecond))
	d, err := c.waitWebhookDirectory(ctx, nil, func(d *dirsyncv1alpha1.Directory) (bool, error) {
		return d.Status.Webhook != nil && d.Status.Webhook.Path != "", nil
	})
	if err != nil {
		return "", nil, err
	}
	path := d.Status.Webhook.Path
	if err := c.peoplehrAdmin(ctx, http.MethodPut, "/admin/webhook", fakehr.WebhookListener{URL: c.receiverURL + path}, nil); err != nil {
		return "", nil, err
	}
	bindings, err := r.bind(ctx, c)
	return path, bindings, err
}

// peoplehrDirectory is the phase's Directory: Access People HR at endpoint, hourly, the webhook on.
func peoplehrDirectory(ns, endpoint string) *dirsyncv1alpha1.Directory {
	on := true
	return &dirsyncv1alpha1.Directory{
		ObjectMeta: metav1.ObjectMeta{Name: dirName, Namespace: ns},
		Spec: dirsyncv1alpha1.DirectorySpec{
			Provider:             dirsyncv1alpha1.ProviderAccessPeopleHR,
			CredentialsSecretRef: dirsyncv1alpha1.SecretKeyReference{Name: secretName},
			Endpoint:             endpoint,
			SyncInterval:         &metav1.Duration{Duration: time.Hour},
			InactiveUserPolicy:   dirsyncv1alpha1.InactiveUserPolicyKeep,
			Webhook:              &dirsyncv1alpha1.IncomingWebhook{Enabled: &on},
		},
	}
}

func (c *cluster) waitWebhookDirectory(ctx context.Context, start func() error, done func(*dirsyncv1alpha1.Directory) (bool, error)) (*dirsyncv1alpha1.Directory, error) {
	var last *dirsyncv1alpha1.Directory
	_, err := c.waitDirectory(ctx, nsWebhook, 10*time.Minute, start, func(d *dirsyncv1alpha1.Directory) (bool, error) {
		last = d
		return done(d)
	})
	return last, err
}

// bind creates the two DirectoryAccesses and waits until their RoleBindings bind someone.
func (r *webhookRun) bind(ctx context.Context, c *cluster) ([]types.NamespacedName, error) {
	var groups dirsyncv1alpha1.DirectoryGroupList
	if err := c.cl.List(ctx, &groups, client.InNamespace(nsWebhook), client.MatchingLabels{dirsyncv1alpha1.LabelGroupType: "department"}); err != nil {
		return nil, err
	}
	names := make([]string, 0, len(groups.Items))
	for _, g := range groups.Items {
		names = append(names, g.Name)
	}
	slices.Sort(names)
	if len(names) < 5 {
		return nil, fmt.Errorf("%d department groups, want at least 5", len(names))
	}
	accesses := []*dirsyncv1alpha1.DirectoryAccess{
		webhookAccess("all-view", "view", nsWebhookView, func(s *dirsyncv1alpha1.DirectoryAccessSpec) {
			s.GroupSelector = &metav1.LabelSelector{MatchLabels: map[string]string{dirsyncv1alpha1.LabelGroupType: "department"}}
		}),
		webhookAccess("five-edit", "edit", nsWebhookEdit, func(s *dirsyncv1alpha1.DirectoryAccessSpec) { s.Groups = names[:5] }),
	}
	var bindings []types.NamespacedName
	for _, a := range accesses {
		if err := c.cl.Create(ctx, a); err != nil {
			return nil, err
		}
		rb, err := waitBinding(ctx, c, a)
		if err != nil {
			return nil, err
		}
		r.Subjects = append(r.Subjects, len(rb.Subjects))
		bindings = append(bindings, client.ObjectKeyFromObject(rb))
	}
	logf("webhook: RoleBindings bind %v subjects", r.Subjects)
	return bindings, nil
}

func webhookAccess(name, role, target string, groups func(*dirsyncv1alpha1.DirectoryAccessSpec)) *dirsyncv1alpha1.DirectoryAccess {
	a := &dirsyncv1alpha1.DirectoryAccess{
		ObjectMeta: metav1.ObjectMeta{Namespace: nsWebhook, Name: name},
		Spec: dirsyncv1alpha1.DirectoryAccessSpec{
			DirectoryRef: dirsyncv1alpha1.DirectoryReference{Name: dirName},
			RoleRef:      dirsyncv1alpha1.AccessRoleRef{Kind: dirsyncv1alpha1.AccessRoleClusterRole, Name: role},
			Target:       dirsyncv1alpha1.AccessTarget{Namespaces: []string{target}},
			Subject:      dirsyncv1alpha1.AccessSubject{Kind: dirsyncv1alpha1.AccessSubjectUser, Template: "oidc:{{ lower .Email }}"},
		},
	}
	groups(&a.Spec)
	return a
}

// waitBinding waits until the DirectoryAccess is Bound and returns its RoleBinding.
func waitBinding(ctx context.Context, c *cluster, a *dirsyncv1alpha1.DirectoryAccess) (*rbacv1.RoleBinding, error) {
	rb := &rbacv1.RoleBinding{}
	err := poll(ctx, 5*time.Minute, func() (bool, error) {
		if err := c.cl.Get(ctx, client.ObjectKeyFromObject(a), a); err != nil || len(a.Status.Bindings) == 0 {
			return false, nil
		}
		if r := meta.FindStatusCondition(a.Status.Conditions, dirsyncv1alpha1.ConditionReady); r == nil || r.Reason != dirsyncv1alpha1.ReasonBound {
			return false, nil
		}
		b := a.Status.Bindings[0]
		return c.cl.Get(ctx, types.NamespacedName{Namespace: b.Namespace, Name: b.Name}, rb) == nil && len(rb.Subjects) > 0, nil
	})
	if err != nil {
		return nil, fmt.Errorf("DirectoryAccess %s: %w (status %+v)", a.Name, err, a.Status)
	}
	return rb, nil
}

// leavers marks cfg.webhook.leavers bound employees leavers, one at a time and further apart than the
// hints' spacing, each through the fake's admin API, which posts the packet to the receiver.
func (r *webhookRun) leavers(ctx context.Context, c *cluster, bindings []types.NamespacedName) error {
	people, err := boundPeople(ctx, c, c.cfg.webhook.leavers)
	if err != nil {
		return err
	}
	var last time.Time
	for _, u := range people {
		if wait := time.Until(last.Add(hintSpacing + time.Second)); wait > 0 {
			time.Sleep(wait)
		}
		last = time.Now()
		all, user, err := webhookLeaver(ctx, c, u, bindings)
		if err != nil {
			return fmt.Errorf("leaver %s: %w", u.Spec.ExternalID, err)
		}
		r.Latencies, r.UserLatencies = append(r.Latencies, all), append(r.UserLatencies, user)
	}
	logf("webhook: %d leavers: POST → Inactive and unbound p50 %s, p99 %s", len(r.Latencies), percentile(r.Latencies, 50), percentile(r.Latencies, 99))
	return nil
}

// boundPeople are n Active DirectoryUsers with an e-mail and no end date in the first five departments'
// groups (so in both RoleBindings), sorted by name.
func boundPeople(ctx context.Context, c *cluster, n int) ([]dirsyncv1alpha1.DirectoryUser, error) {
	var edit dirsyncv1alpha1.DirectoryAccess
	if err := c.cl.Get(ctx, types.NamespacedName{Namespace: nsWebhook, Name: "five-edit"}, &edit); err != nil {
		return nil, err
	}
	var users dirsyncv1alpha1.DirectoryUserList
	if err := c.cl.List(ctx, &users, client.InNamespace(nsWebhook)); err != nil {
		return nil, err
	}
	var out []dirsyncv1alpha1.DirectoryUser
	for _, u := range users.Items {
		if u.Spec.State == dirsyncv1alpha1.UserStateActive && u.Spec.Email != "" && u.Spec.EndDate == "" &&
			slices.ContainsFunc(u.Spec.Groups, func(g string) bool { return slices.Contains(edit.Spec.Groups, g) }) {
			out = append(out, u)
		}
	}
	slices.SortFunc(out, func(a, b dirsyncv1alpha1.DirectoryUser) int { return strings.Compare(a.Name, b.Name) })
	if len(out) < n {
		return nil, fmt.Errorf("%d bound people to choose leavers from, want %d", len(out), n)
	}
	return out[:n], nil
}

// webhookLeaver watches the leaver's DirectoryUser and the RoleBindings, has the fake mark them a leaver
// (which posts the webhook), and returns the time until the last of those changes, and until the first.
func webhookLeaver(ctx context.Context, c *cluster, u dirsyncv1alpha1.DirectoryUser, bindings []types.NamespacedName) (all, user time.Duration, err error) {
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	uw, err := c.cl.Watch(ctx, &dirsyncv1alpha1.DirectoryUserList{}, client.InNamespace(nsWebhook), client.MatchingFields{"metadata.name": u.Name})
	if err != nil {
		return 0, 0, err
	}
	defer uw.Stop()
	subject := "oidc:" + strings.ToLower(u.Spec.Email)
	at := make(chan time.Time, 1+len(bindings))
	go firstEvent(uw, at, func(o any) bool {
		du, ok := o.(*dirsyncv1alpha1.DirectoryUser)
		return ok && du.Spec.State == dirsyncv1alpha1.UserStateInactive
	})
	for _, b := range bindings {
		bw, err := c.cl.Watch(ctx, &rbacv1.RoleBindingList{}, client.InNamespace(b.Namespace), client.MatchingFields{"metadata.name": b.Name})
		if err != nil {
			return 0, 0, err
		}
		defer bw.Stop()
		go firstEvent(bw, at, func(o any) bool {
			rb, ok := o.(*rbacv1.RoleBinding)
			return ok && !slices.ContainsFunc(rb.Subjects, func(s rbacv1.Subject) bool { return s.Name == subject })
		})
	}
	posted := time.Now()
	var resp fakehr.LeaverResponse
	if err := c.peoplehrAdmin(ctx, http.MethodPost, "/admin/leaver", fakehr.LeaverRequest{ID: u.Spec.ExternalID}, &resp); err != nil {
		return 0, 0, err
	}
	if resp.WebhookStatus != http.StatusAccepted {
		return 0, 0, fmt.Errorf("the receiver answered the fake's webhook %d (%s)", resp.WebhookStatus, resp.WebhookError)
	}
	return waitAll(ctx, at, 1+len(bindings), posted)
}

// waitAll takes n arrival times from at and returns the latest and the first, after posted.
func waitAll(ctx context.Context, at <-chan time.Time, n int, posted time.Time) (last, first time.Duration, err error) {
	for i := range n {
		select {
		case t := <-at:
			if d := t.Sub(posted); d > last {
				last = d
			}
			if d := t.Sub(posted); i == 0 || d < first {
				first = d
			}
		case <-ctx.Done():
			return 0, 0, fmt.Errorf("%d of %d changes seen within a minute", i, n)
		}
	}
	return last, first, nil
}

// flood sends cfg.webhook.hints packets to path, evenly over cfg.webhook.window, once the spacing after
// the last leaver's sync has passed; then waits until the follow-up sync answered the last request, and
// counts the provider requests (one per Access People HR sync) since the first hint.
func flood(ctx context.Context, c *cluster, path string) (floodResult, error) {
	w := c.cfg.webhook
	f := floodResult{Hints: w.hints, Window: w.window, Codes: map[int]int{}}
	time.Sleep(hintSpacing + time.Second)
	calls0, err := c.peoplehrRequests(ctx)
	if err != nil {
		return f, err
	}
	m0, err := c.managerMetrics(ctx, "webhook-flood-begin")
	if err != nil {
		return f, err
	}
	logf("webhook: %d hints in %s", w.hints, w.window)
	start := time.Now()
	sendHints(ctx, c.receiverURL+path, w.hints, w.window, &f)
	time.Sleep(receiverWriteEvery + 500*time.Millisecond) // the receiver's last write of the flood lands
	var last string
	if _, err := c.waitDirectory(ctx, nsWebhook, 2*time.Minute, nil, func(d *dirsyncv1alpha1.Directory) (bool, error) {
		last = d.Annotations[dirsyncv1alpha1.AnnotationSyncRequestedAt]
		return last != "" && d.Status.LastHandledSyncRequest == last, nil
	}); err != nil {
		return f, fmt.Errorf("waiting for the follow-up sync of %q: %w", last, err)
	}
	f.Answered = time.Since(start)
	calls1, err := c.peoplehrRequests(ctx)
	if err != nil {
		return f, err
	}
	m1, err := c.managerMetrics(ctx, "webhook-flood-end")
	if err != nil {
		return f, err
	}
	f.Syncs = calls1 - calls0
	f.Writes = m1.sum("dirsync_webhook_sync_requests_total", nil) - m0.sum("dirsync_webhook_sync_requests_total", nil)
	logf("webhook: flood: %d syncs, %d errors (%v), %.0f sync requests written, answered %s after the first hint",
		f.Syncs, f.errors(), f.Codes, f.Writes, f.Answered.Round(time.Millisecond))
	return f, nil
}

// sendHints POSTs n People HR packets to url, one every window/n, each from its own goroutine.
func sendHints(ctx context.Context, url string, n int, window time.Duration, f *floodResult) {
	var mu sync.Mutex
	var wg sync.WaitGroup
	hc := &http.Client{Timeout: 10 * time.Second}
	tick := time.NewTicker(window / time.Duration(n))
	defer tick.Stop()
	for i := range n {
		if i > 0 {
			<-tick.C
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			body := fmt.Sprintf("ActionId:2, Action:Employee Detail Updated, EmployeeId:PW%d, FieldName:Job Role", i+1)
			req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, strings.NewReader(body))
			var code int
			if err == nil {
				var resp *http.Response
				if resp, err = hc.Do(req); err == nil {
					code = resp.StatusCode
					_ = resp.Body.Close()
				}
			}
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				f.Failed++
				return
			}
			f.Codes[code]++
		}()
	}
	wg.Wait()
}

// peoplehrRequests is the fake Access People HR's count of API requests.
func (c *cluster) peoplehrRequests(ctx context.Context) (int, error) {
	var st fakehr.StatsResponse
	err := c.peoplehrAdmin(ctx, http.MethodGet, "/admin/stats", nil, &st)
	return st.Requests, err
}

// cleanUpWebhook deletes what the leavers and the flood left: the DirectoryAccesses (their finalizer
// needs no manager once no RoleBinding is left), the RoleBindings, the users and groups, the Directory.
func (c *cluster) cleanUpWebhook(ctx context.Context) error {
	for _, ns := range []string{nsWebhookView, nsWebhookEdit} {
		if err := c.cl.DeleteAllOf(ctx, &rbacv1.RoleBinding{}, client.InNamespace(ns),
			client.MatchingLabels{dirsyncv1alpha1.LabelManagedBy: dirsyncv1alpha1.ManagedByDirsync}); err != nil {
			return err
		}
	}
	var accesses dirsyncv1alpha1.DirectoryAccessList
	if err := c.cl.List(ctx, &accesses, client.InNamespace(nsWebhook)); err != nil {
		return err
	}
	for i := range accesses.Items {
		a := &accesses.Items[i]
		a.Finalizers = nil
		if err := c.cl.Update(ctx, a); err != nil {
			return err
		}
		if err := client.IgnoreNotFound(c.cl.Delete(ctx, a)); err != nil {
			return err
		}
	}
	return c.emptyNamespace(ctx, nsWebhook)
}
