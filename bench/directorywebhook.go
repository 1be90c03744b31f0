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
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"math/rand"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/watch"
	"sigs.k8s.io/controller-runtime/pkg/client"

	dirsyncv1alpha1 "github.com/dirsync/dirsync/api/v1alpha1"
	"github.com/dirsync/dirsync/internal/provider/fakehr"
	"github.com/dirsync/dirsync/internal/webhookreceiver"
)

// The directorywebhook phase (issue 24): one Directory of -directorywebhook-users employees and one DirectoryWebhook
// posting to a receiver inside the bench (internal/webhookreceiver, verifying every signature). It
// measures the initial stream (every group, person and membership) and the manager's memory meanwhile
// against what the Directory itself costs; rounds of 1% churn (the people the Directory rewrote must be
// exactly the people told of, once, and each event's latency from the DirectoryUser write, as a watch
// event reaches the bench, to the receiver's acknowledgement); and a receiver down for -webhook-outage
// while people change (some twice), then back: every change must arrive, each state once.
const (
	nsDirectoryWebhook = "bench-directorywebhook"
	dwhName            = "app"
	dwhSecret          = "bench-webhook-signing"
	dwhSigningSecret   = "bench-signing-secret-0123456789"
	dwhTargetRate      = 500.0 // events per second, initial stream
	dwhTargetP99       = 2 * time.Second
	dwhDeadline        = 10 * time.Minute
)

// directoryWebhookConfig holds the phase's flags.
type directoryWebhookConfig struct {
	users       int
	outage      time.Duration
	churnRounds int
}

func (w *directoryWebhookConfig) bindFlags() {
	flag.IntVar(&w.users, "directorywebhook-users", 10000, "employees of the directorywebhook phase's Directory")
	flag.DurationVar(&w.outage, "directorywebhook-outage", 10*time.Minute, "how long the directorywebhook phase's receiver is down")
	flag.IntVar(&w.churnRounds, "directorywebhook-churn-rounds", 2, "rounds of 1% churn whose events and latencies the directorywebhook phase measures")
}

func (w *directoryWebhookConfig) check() error {
	if w.users < 100 || w.churnRounds < 1 || w.outage < 0 {
		return errors.New("-directorywebhook-users must be ≥ 100, -directorywebhook-churn-rounds ≥ 1, -directorywebhook-outage ≥ 0")
	}
	return nil
}

// directoryWebhookRun is what the phase measured.
type directoryWebhookRun struct {
	Run         runInfo
	Users       int
	Departments int
	// The initial stream.
	Events       int
	InitialWall  time.Duration // webhook created → last initial event acknowledged
	Idle         memUse        // manager started, before the Directory
	DirectoryRSS int64         // KiB, after the Directory's initial sync, quiet
	StreamPeak   int64         // KiB, the highest VmRSS sampled during the stream
	RecordBytes  int           // the DirectoryWebhookRecords' data after the stream
	RecordShards int
	Churn        []dwhChurn
	Latencies    []time.Duration // every churn round's events: DirectoryUser write → acknowledgement
	Outage       dwhOutage
}

// dwhChurn is one round of 1% churn.
type dwhChurn struct {
	Changed    int      // DirectoryUsers the sync rewrote
	Told       int      // distinct people the receiver was told of
	Events     int      // events acknowledged
	Missing    []string // rewritten but not told of (up to 10)
	Extra      []string // told of but not rewritten (up to 10)
	Duplicates int      // events whose id had been acknowledged before
	P50, P99   time.Duration
}

// dwhOutage is the receiver's outage.
type dwhOutage struct {
	Down       time.Duration
	Changed    int // people changed while it was down (some twice)
	Twice      int
	Pending    int // status.pendingEvents when it came back
	Recovery   time.Duration
	Events     int
	Duplicates int
	Repeated   int      // people told the same state twice
	Stale      []string // people whose last event does not say what their DirectoryUser says (up to 10)
}

// dwhReceiver is the application: it verifies, records and acknowledges, and can be taken down.
type dwhReceiver struct {
	addr string
	h    *webhookreceiver.Handler
	mu   sync.Mutex
	srv  *http.Server
	got  []dwhReceived
}

// dwhReceived is one acknowledged event, with what the bench checks of its body.
type dwhReceived struct {
	at                  time.Time
	id, typ, object     string
	duplicate           bool
	title, state, group string
}

func startDWHReceiver() (*dwhReceiver, error) {
	r := &dwhReceiver{}
	r.h = &webhookreceiver.Handler{Secret: []byte(dwhSigningSecret), OnEvent: r.record}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	r.addr = ln.Addr().String()
	r.serve(ln)
	return r, nil
}

func (r *dwhReceiver) serve(ln net.Listener) {
	r.mu.Lock()
	r.srv = &http.Server{Handler: r.h, ReadHeaderTimeout: 10 * time.Second}
	srv := r.srv
	r.mu.Unlock()
	go func() { _ = srv.Serve(ln) }()
}

// down closes the listener: connections are refused until up.
func (r *dwhReceiver) down() {
	r.mu.Lock()
	srv := r.srv
	r.mu.Unlock()
	_ = srv.Close()
}

// up listens again on the same address.
func (r *dwhReceiver) up() error {
	ln, err := net.Listen("tcp", r.addr)
	if err != nil {
		return err
	}
	r.serve(ln)
	return nil
}

func (r *dwhReceiver) record(ev webhookreceiver.Event) {
	var body struct {
		Data struct {
			State            string            `json:"state"`
			CustomAttributes map[string]string `json:"custom_attributes"`
		} `json:"data"`
	}
	_ = json.Unmarshal(ev.Body, &body)
	rec := dwhReceived{at: ev.Received, id: ev.ID, typ: ev.Type, object: ev.Object, duplicate: ev.Duplicate, group: ev.Group,
		state: body.Data.State, title: body.Data.CustomAttributes["job_title"]}
	r.mu.Lock()
	r.got = append(r.got, rec)
	r.mu.Unlock()
}

// since returns the events acknowledged after the first n.
func (r *dwhReceiver) since(n int) []dwhReceived {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.got[n:])
}

func (r *dwhReceiver) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.got)
}

// runDirectoryWebhook runs the phase with a manager of its own.
func runDirectoryWebhook(ctx context.Context, c *cluster) (*directoryWebhookRun, error) {
	cfg := c.cfg.directoryWebhook
	r := &directoryWebhookRun{Run: beginRun(fmt.Sprintf("-directorywebhook-users=%d -directorywebhook-outage=%s -directorywebhook-churn-rounds=%d", cfg.users, cfg.outage, cfg.churnRounds)),
		Users: cfg.users, Departments: c.cfg.departments}
	var gen fakehr.GenerateResponse
	if err := c.fakeAdmin(ctx, http.MethodPost, "/admin/generate", fakehr.GenerateRequest{Seed: 1, Employees: cfg.users, Departments: c.cfg.departments}, &gen); err != nil {
		return nil, err
	}
	c.n = cfg.users
	if err := c.ensureNamespace(ctx, nsDirectoryWebhook); err != nil {
		return nil, err
	}
	for _, o := range []client.Object{benchSecret(nsDirectoryWebhook), &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: nsDirectoryWebhook, Name: dwhSecret},
		StringData: map[string]string{"secret": dwhSigningSecret}}} {
		if err := c.cl.Create(ctx, o); err != nil {
			return nil, err
		}
	}
	if err := c.startManager(ctx, managerRun{label: "directorywebhook", qps: c.cfg.qps, burst: c.cfg.burst}); err != nil {
		return nil, err
	}
	defer c.stopManager()
	r.Idle = c.idle
	logf("directorywebhook: syncing %d employees", cfg.users)
	if _, err := c.waitDirectory(ctx, nsDirectoryWebhook, 10*time.Minute, func() error {
		return c.cl.Create(ctx, benchDirectory(nsDirectoryWebhook, c.proxy.url+"/v1", false))
	}, readyAfter(cfg.users, "")); err != nil {
		return nil, err
	}
	recv, err := startDWHReceiver()
	if err != nil {
		return nil, err
	}
	defer recv.down()
	if err := r.initial(ctx, c, recv); err != nil {
		return nil, err
	}
	for i := range cfg.churnRounds {
		ch, lat, err := r.churnRound(ctx, c, recv, i)
		if err != nil {
			return nil, fmt.Errorf("churn round %d: %w", i+1, err)
		}
		r.Churn, r.Latencies = append(r.Churn, ch), append(r.Latencies, lat...)
	}
	if err := r.outage(ctx, c, recv, cfg.outage); err != nil {
		return nil, fmt.Errorf("outage: %w", err)
	}
	r.Run.end()
	c.stopManager()
	if err := client.IgnoreNotFound(c.cl.Delete(ctx, &dirsyncv1alpha1.DirectoryWebhook{ObjectMeta: metav1.ObjectMeta{Namespace: nsDirectoryWebhook, Name: dwhName}})); err != nil {
		return nil, err
	}
	return r, c.emptyNamespace(ctx, nsDirectoryWebhook)
}

// initial creates the webhook and times the stream of every group, person and membership, sampling
// the manager's memory meanwhile.
func (r *directoryWebhookRun) initial(ctx context.Context, c *cluster, recv *dwhReceiver) error {
	c.quiesce(ctx)
	_, r.DirectoryRSS = memKiB(c.manager.Pid())
	stop := make(chan struct{})
	peak := make(chan int64, 1)
	go func() {
		var hi int64
		t := time.NewTicker(100 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-stop:
				peak <- hi
				return
			case <-t.C:
				_, rss := memKiB(c.manager.Pid())
				hi = max(hi, rss)
			}
		}
	}()
	wh := &dirsyncv1alpha1.DirectoryWebhook{ObjectMeta: metav1.ObjectMeta{Namespace: nsDirectoryWebhook, Name: dwhName},
		Spec: dirsyncv1alpha1.DirectoryWebhookSpec{DirectoryRef: dirsyncv1alpha1.DirectoryReference{Name: dirName},
			URL: "http://" + recv.addr + "/webhooks/workos", SecretRef: dirsyncv1alpha1.WebhookSecretReference{Name: dwhSecret}}}
	start := time.Now()
	if err := c.cl.Create(ctx, wh); err != nil {
		return err
	}
	st, err := dwhWaitDelivered(ctx, c, dwhDeadline)
	close(stop)
	r.StreamPeak = <-peak
	if err != nil {
		return err
	}
	got := recv.since(0)
	if len(got) == 0 {
		return errors.New("the receiver got nothing")
	}
	r.Events, r.InitialWall = len(got), got[len(got)-1].at.Sub(start)
	var recs dirsyncv1alpha1.DirectoryWebhookRecordList
	if err := c.cl.List(ctx, &recs, client.InNamespace(nsDirectoryWebhook)); err != nil {
		return err
	}
	for _, o := range recs.Items {
		r.RecordBytes += len(o.Spec.Data)
	}
	r.RecordShards = len(recs.Items)
	logf("directorywebhook: initial stream: %d events in %s (%.0f/s); delivered %d; manager RSS %d → peak %d MiB; record %s in %d shards",
		r.Events, r.InitialWall.Round(time.Millisecond), float64(r.Events)/r.InitialWall.Seconds(), st.DeliveredEvents,
		r.DirectoryRSS>>10, r.StreamPeak>>10, mib(int64(r.RecordBytes)), r.RecordShards)
	return nil
}

// dwhWaitDelivered waits until the webhook is Ready=True Delivered with nothing pending, and has stayed so
// for a second (a sync's writes may still be arriving), and returns its status.
func dwhWaitDelivered(ctx context.Context, c *cluster, timeout time.Duration) (dirsyncv1alpha1.DirectoryWebhookStatus, error) {
	var st dirsyncv1alpha1.DirectoryWebhookStatus
	var since time.Time
	err := poll(ctx, timeout, func() (bool, error) {
		wh := &dirsyncv1alpha1.DirectoryWebhook{}
		if err := c.cl.Get(ctx, types.NamespacedName{Namespace: nsDirectoryWebhook, Name: dwhName}, wh); err != nil {
			return false, nil
		}
		st = wh.Status
		rc := meta.FindStatusCondition(st.Conditions, dirsyncv1alpha1.ConditionReady)
		if rc == nil || rc.Reason != dirsyncv1alpha1.ReasonDelivered || st.PendingEvents != 0 {
			since = time.Time{}
			return false, nil
		}
		if since.IsZero() {
			since = time.Now()
		}
		return time.Since(since) >= time.Second, nil
	})
	if err != nil {
		return st, fmt.Errorf("the webhook did not deliver everything: %w (status %+v)", err, st)
	}
	return st, nil
}

// dwhUserWatch records when each DirectoryUser of the namespace was last written, as watch events reach
// the bench.
type dwhUserWatch struct {
	mu  sync.Mutex
	at  map[string]time.Time
	obj map[string]*dirsyncv1alpha1.DirectoryUser
	w   watch.Interface
}

func dwhWatchUsers(ctx context.Context, c *cluster) (*dwhUserWatch, error) {
	w, err := c.cl.Watch(ctx, &dirsyncv1alpha1.DirectoryUserList{}, client.InNamespace(nsDirectoryWebhook))
	if err != nil {
		return nil, err
	}
	uw := &dwhUserWatch{at: map[string]time.Time{}, obj: map[string]*dirsyncv1alpha1.DirectoryUser{}, w: w}
	go func() {
		for ev := range w.ResultChan() {
			u, ok := ev.Object.(*dirsyncv1alpha1.DirectoryUser)
			if !ok || ev.Type == watch.Bookmark {
				continue
			}
			uw.mu.Lock()
			if ev.Type != watch.Added || uw.obj[u.Name] != nil { // the initial list is not a write
				uw.at[u.Name] = time.Now()
			}
			uw.obj[u.Name] = u
			uw.mu.Unlock()
		}
	}()
	return uw, nil
}

// written returns (and forgets) the people written since the last call, with when.
func (uw *dwhUserWatch) written() map[string]time.Time {
	uw.mu.Lock()
	defer uw.mu.Unlock()
	out := uw.at
	uw.at = map[string]time.Time{}
	return out
}

// dwhChurnCompany changes n distinct employees of co (titles, moves and leavers, as the sizes phase's
// churn), chosen with seed; names are the DirectoryUsers to expect.
func dwhChurnCompany(co *fakehr.Company, n int, seed int64, now time.Time) []string {
	r := rand.New(rand.NewSource(seed))
	groups := map[string]bool{}
	var names []string
	for _, i := range r.Perm(len(co.Employees)) {
		if len(names) == n {
			break
		}
		e := &co.Employees[i]
		if changeEmployee(e, len(names)%3, co.Departments, groups, now) {
			names = append(names, childName(dirName, e.ID))
		}
	}
	return names
}

// dwhChangeAndSync changes the fake's company with change and forces a sync of the phase's Directory.
func dwhChangeAndSync(ctx context.Context, c *cluster, label string, change func(*fakehr.Company)) error {
	var co fakehr.Company
	if err := c.fakeAdmin(ctx, http.MethodGet, "/admin/company", nil, &co); err != nil {
		return err
	}
	change(&co)
	if err := c.fakeAdmin(ctx, http.MethodPut, "/admin/company", co, nil); err != nil {
		return err
	}
	value := fmt.Sprintf("%s-%d", label, time.Now().UnixNano())
	_, err := c.waitDirectory(ctx, nsDirectoryWebhook, 5*time.Minute, func() error {
		patch := fmt.Sprintf(`{"metadata":{"annotations":{%q:%q}}}`, dirsyncv1alpha1.AnnotationSyncRequestedAt, value)
		d := &dirsyncv1alpha1.Directory{ObjectMeta: metav1.ObjectMeta{Name: dirName, Namespace: nsDirectoryWebhook}}
		return c.cl.Patch(ctx, d, client.RawPatch(types.MergePatchType, []byte(patch)))
	}, func(d *dirsyncv1alpha1.Directory) (bool, error) { return d.Status.LastHandledSyncRequest == value, nil })
	return err
}

// churnRound changes 1% of the people, syncs, and checks that the people the sync rewrote are exactly
// those told of, each once, timing each event from the write to the acknowledgement.
func (r *directoryWebhookRun) churnRound(ctx context.Context, c *cluster, recv *dwhReceiver, round int) (dwhChurn, []time.Duration, error) {
	var ch dwhChurn
	c.quiesce(ctx)
	uw, err := dwhWatchUsers(ctx, c)
	if err != nil {
		return ch, nil, err
	}
	defer uw.w.Stop()
	time.Sleep(time.Second) // the watch's initial list arrives
	uw.written()
	mark := recv.count()
	if err := dwhChangeAndSync(ctx, c, fmt.Sprintf("churn%d", round), func(co *fakehr.Company) {
		dwhChurnCompany(co, max(1, r.Users/100), int64(1000+round), time.Now())
	}); err != nil {
		return ch, nil, err
	}
	if _, err := dwhWaitDelivered(ctx, c, 5*time.Minute); err != nil {
		return ch, nil, err
	}
	writes := uw.written()
	got := recv.since(mark)
	ch.Changed, ch.Events = len(writes), len(got)
	told := map[string]time.Time{}
	for _, ev := range got {
		name := dwhObjectName(ev.object)
		if ev.duplicate {
			ch.Duplicates++
		}
		if _, ok := told[name]; !ok {
			told[name] = ev.at
		}
	}
	ch.Told = len(told)
	var lat []time.Duration
	for name, at := range writes {
		if t, ok := told[name]; ok {
			lat = append(lat, t.Sub(at))
		} else if len(ch.Missing) < 10 {
			ch.Missing = append(ch.Missing, name)
		}
	}
	for name := range told {
		if _, ok := writes[name]; !ok && len(ch.Extra) < 10 {
			ch.Extra = append(ch.Extra, name)
		}
	}
	ch.P50, ch.P99 = percentile(lat, 50), percentile(lat, 99)
	logf("directorywebhook: churn round %d: %d people rewritten, %d told of in %d events (%d duplicates, %d missing, %d extra); p50 %s, p99 %s",
		round+1, ch.Changed, ch.Told, ch.Events, ch.Duplicates, len(ch.Missing), len(ch.Extra), secs(ch.P50), secs(ch.P99))
	return ch, lat, nil
}

// dwhObjectName is the DirectoryUser name of an event's object id ("<namespace>.<name>").
func dwhObjectName(id string) string {
	_, name, _ := strings.Cut(id, ".")
	return name
}

// outage takes the receiver down, changes 1% of the people (a third of them twice, in two syncs),
// waits until it has been down for d, brings it back, and checks that every change arrives, each
// person's states once each, ending with what their DirectoryUser says.
func (r *directoryWebhookRun) outage(ctx context.Context, c *cluster, recv *dwhReceiver, d time.Duration) error {
	o := &r.Outage
	c.quiesce(ctx)
	uw, err := dwhWatchUsers(ctx, c)
	if err != nil {
		return err
	}
	defer uw.w.Stop()
	time.Sleep(time.Second)
	uw.written()
	mark := recv.count()
	downAt := time.Now()
	recv.down()
	var twice []string
	if err := dwhChangeAndSync(ctx, c, "outage1", func(co *fakehr.Company) {
		names := dwhChurnCompany(co, max(1, r.Users/100), 2000, time.Now())
		twice = names[:len(names)/3] // changed again below, in another sync
	}); err != nil {
		return err
	}
	if err := dwhChangeAndSync(ctx, c, "outage2", func(co *fakehr.Company) {
		for i := range co.Employees {
			if slices.Contains(twice, childName(dirName, co.Employees[i].ID)) {
				co.Employees[i].JobTitle = "Changed twice " + co.Employees[i].ID
			}
		}
	}); err != nil {
		return err
	}
	o.Changed, o.Twice = len(uw.written()), len(twice)
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(time.Until(downAt.Add(d))):
	}
	wh := &dirsyncv1alpha1.DirectoryWebhook{}
	if err := c.cl.Get(ctx, types.NamespacedName{Namespace: nsDirectoryWebhook, Name: dwhName}, wh); err != nil {
		return err
	}
	o.Pending, o.Down = int(wh.Status.PendingEvents), time.Since(downAt)
	backAt := time.Now()
	if err := recv.up(); err != nil {
		return err
	}
	if _, err := dwhWaitDelivered(ctx, c, 10*time.Minute); err != nil {
		return err
	}
	got := recv.since(mark)
	o.Events = len(got)
	if len(got) > 0 {
		o.Recovery = got[len(got)-1].at.Sub(backAt)
	}
	return o.check(got, uw)
}

// check counts duplicates, repeated states and people whose last event does not match their object.
func (o *dwhOutage) check(got []dwhReceived, uw *dwhUserWatch) error {
	states := map[string][]string{}
	for _, ev := range got {
		if ev.duplicate {
			o.Duplicates++
		}
		if strings.HasPrefix(ev.typ, "dsync.user.") {
			name := dwhObjectName(ev.object)
			states[name] = append(states[name], ev.state+"|"+ev.title)
		}
	}
	uw.mu.Lock()
	defer uw.mu.Unlock()
	for name, ss := range states {
		if len(slices.Compact(slices.Clone(ss))) != len(ss) {
			o.Repeated++
		}
		u := uw.obj[name]
		if u == nil {
			continue
		}
		want := "active"
		if u.Spec.State == dirsyncv1alpha1.UserStateInactive {
			want = "inactive"
		}
		if ss[len(ss)-1] != want+"|"+u.Spec.JobTitle && len(o.Stale) < 10 {
			o.Stale = append(o.Stale, name)
		}
	}
	logf("directorywebhook: outage of %s: %d people changed (%d twice); %d events pending at return; all %d delivered %s after (%d duplicates, %d people told a state twice, %d stale)",
		o.Down.Round(time.Second), o.Changed, o.Twice, o.Pending, o.Events, secs(o.Recovery), o.Duplicates, o.Repeated, len(o.Stale))
	return nil
}

// directoryWebhookTargets checks the targets.
func directoryWebhookTargets(b *strings.Builder, r *directoryWebhookRun) {
	rate := float64(r.Events) / r.InitialWall.Seconds()
	check(b, fmt.Sprintf("DirectoryWebhook: initial stream of a %s-person Directory ≥ %.0f events/s", thousands(r.Users), dwhTargetRate),
		fmt.Sprintf("%.0f events/s (%s events in %s)", rate, thousands(r.Events), secs(r.InitialWall)), rate >= dwhTargetRate)
	dirCost, streamCost := r.DirectoryRSS-r.Idle.RSS, r.StreamPeak-r.DirectoryRSS
	check(b, "DirectoryWebhook: memory of the stream ≤ what the Directory itself costs",
		fmt.Sprintf("+%.1f MiB peak during the stream; the Directory: +%.1f MiB above an idle manager", float64(streamCost)/1024, float64(dirCost)/1024),
		streamCost <= dirCost)
	exact, rounds := true, 0
	for _, ch := range r.Churn {
		exact = exact && len(ch.Missing) == 0 && len(ch.Extra) == 0 && ch.Duplicates == 0
		rounds++
	}
	check(b, "DirectoryWebhook: 1% churn tells exactly the changed people, once", fmt.Sprintf("%d rounds: %s", rounds, dwhChurnCell(r.Churn)), exact && rounds > 0)
	p99 := percentile(r.Latencies, 99)
	check(b, "DirectoryWebhook: DirectoryUser write → event acknowledged, p99 ≤ 2 s",
		fmt.Sprintf("p50 %s, p99 %s over %d events", secs(percentile(r.Latencies, 50)), secs(p99), len(r.Latencies)), p99 <= dwhTargetP99 && len(r.Latencies) > 0)
	o := r.Outage
	check(b, fmt.Sprintf("DirectoryWebhook: a receiver down %s then back gets every pending change, each state once", o.Down.Round(time.Second)),
		fmt.Sprintf("%d people changed (%d twice), %d events pending; delivered %s after it came back; %d duplicates, %d repeated states, %d stale",
			o.Changed, o.Twice, o.Pending, secs(o.Recovery), o.Duplicates, o.Repeated, len(o.Stale)),
		o.Duplicates == 0 && o.Repeated == 0 && len(o.Stale) == 0 && o.Events > 0)
}

func dwhChurnCell(cs []dwhChurn) string {
	var parts []string
	for _, ch := range cs {
		parts = append(parts, fmt.Sprintf("%d rewritten / %d told of in %d events", ch.Changed, ch.Told, ch.Events))
	}
	return strings.Join(parts, "; ")
}

// renderDirectoryWebhook writes the phase's section of the report.
func renderDirectoryWebhook(b *strings.Builder, r *directoryWebhookRun) {
	if r == nil {
		return
	}
	fmt.Fprintf(b, "## DirectoryWebhook (events for applications)\n\n"+
		"One Directory of %s employees in %d departments and one DirectoryWebhook (WorkOS format, every event type) posting to a receiver "+
		"inside the bench that verifies every signature (`internal/webhookreceiver`) and answers 204 at once. The manager runs as in the sizes above. "+
		"Latency is from a DirectoryUser's write, as a watch event reaches the bench, to the receiver's acknowledgement of the person's first event; "+
		"deactivations include the removal guard's wait for the Directory's sync to end (its status write), so that it weighs the sync's removals together. %s\n\n"+
		"| | measured |\n|---|---|\n", thousands(r.Users), r.Departments, runLine(r.Run))
	fmt.Fprintf(b, "| Initial stream: groups, people, memberships | %s events in %s: %.0f events/s |\n", thousands(r.Events), secs(r.InitialWall),
		float64(r.Events)/r.InitialWall.Seconds())
	fmt.Fprintf(b, "| Manager VmRSS: idle / after the Directory's sync / peak during the stream | %.1f / %.1f / %.1f MiB |\n",
		float64(r.Idle.RSS)/1024, float64(r.DirectoryRSS)/1024, float64(r.StreamPeak)/1024)
	fmt.Fprintf(b, "| The webhook's record (DirectoryWebhookRecords) | %s in %d shards (%.0f bytes per person) |\n", mib(int64(r.RecordBytes)), r.RecordShards,
		float64(r.RecordBytes)/float64(r.Users))
	for i, ch := range r.Churn {
		fmt.Fprintf(b, "| 1%% churn, round %d: DirectoryUsers rewritten / people told of / events / duplicates | %d / %d / %d / %d (missing %v, extra %v); latency p50 %s, p99 %s |\n",
			i+1, ch.Changed, ch.Told, ch.Events, ch.Duplicates, ch.Missing, ch.Extra, secs(ch.P50), secs(ch.P99))
	}
	o := r.Outage
	fmt.Fprintf(b, "| Receiver down %s (connections refused): people changed (twice) / events pending at its return | %d (%d) / %d |\n",
		o.Down.Round(time.Second), o.Changed, o.Twice, o.Pending)
	fmt.Fprintf(b, "| After it came back: every pending event acknowledged after / events / duplicates / people told a state twice / stale | %s / %d / %d / %d / %d |\n\n",
		secs(o.Recovery), o.Events, o.Duplicates, o.Repeated, len(o.Stale))
}
