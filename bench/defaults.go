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
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/dirsync/dirsync/internal/provider/fakehr"
)

// The defaults phase (issue 10, item 4): what client limits should the manager have on a shared cluster?
// The manager runs as its ServiceAccount, so its requests are classified like an installed operator's:
// FlowSchema service-accounts, priority level workload-low, one flow per user. For each setting of
// --kube-api-qps/--kube-api-burst it runs a first sync of -defaults-users users while another
// ServiceAccount (another tenant of workload-low) GETs a ConfigMap at a fixed rate, and records the
// time to Ready, the API server's priority-and-fairness counters (rejections, queue waits, the
// priority level's waiting and executing requests, sampled from /debug/api_priority_and_fairness) and
// the probe's latency. The spread runs put the same users in many Directories from the fleet fake, to
// show what --max-concurrent-syncs does to the API server at the default limits.
const nsDefaults = "bench-defaults"

// defaultsConfig holds the phase's flags.
type defaultsConfig struct {
	limitsFlag, spreadFlag string
	limits                 []clientLimits
	spread                 []int
	users                  int
	spreadDirectories      int
	probeRate              float64
	probeIdle              time.Duration
}

// clientLimits is one setting of --kube-api-qps/--kube-api-burst; zero means the manager's defaults.
type clientLimits struct {
	QPS   float64
	Burst int
}

func (l clientLimits) String() string {
	if l.QPS == 0 {
		return "defaults"
	}
	return fmt.Sprintf("%g/%d", l.QPS, l.Burst)
}

func (d *defaultsConfig) bindFlags() {
	flag.StringVar(&d.limitsFlag, "defaults-limits", "20/30,50/100,100/200,200/400",
		"defaults phase: --kube-api-qps/--kube-api-burst settings to run a first sync of -defaults-users with; default = the manager's own (no flags)")
	flag.StringVar(&d.spreadFlag, "defaults-spread", "2,16",
		"defaults phase: --max-concurrent-syncs values for the spread runs (the users over -defaults-spread-directories Directories, the manager's default limits); empty: none")
	flag.IntVar(&d.users, "defaults-users", 10000, "defaults phase: users of the first sync")
	flag.IntVar(&d.spreadDirectories, "defaults-spread-directories", 8, "defaults phase: Directories of the spread runs (each -many-users users, from the fleet fake)")
	flag.Float64Var(&d.probeRate, "probe-rate", 20, "defaults phase: the other tenant's GETs per second")
	flag.DurationVar(&d.probeIdle, "probe-idle", 10*time.Second, "defaults phase: how long the probe runs before each sync (its idle latency)")
}

func (d *defaultsConfig) parse() error {
	for _, f := range splitList(d.limitsFlag) {
		if f == "default" {
			d.limits = append(d.limits, clientLimits{})
			continue
		}
		q, b, ok := strings.Cut(f, "/")
		qps, err1 := strconv.ParseFloat(q, 64)
		burst, err2 := strconv.Atoi(b)
		if !ok || err1 != nil || err2 != nil || qps <= 0 || burst < 1 {
			return fmt.Errorf("-defaults-limits: %q is not QPS/BURST or default", f)
		}
		d.limits = append(d.limits, clientLimits{QPS: qps, Burst: burst})
	}
	for _, f := range splitList(d.spreadFlag) {
		n, err := strconv.Atoi(f)
		if err != nil || n < 1 {
			return fmt.Errorf("-defaults-spread: %q is not a number ≥ 1", f)
		}
		d.spread = append(d.spread, n)
	}
	if d.users < 100 || d.probeRate <= 0 || d.spreadDirectories < 1 {
		return errors.New("-defaults-users must be ≥ 100, -probe-rate > 0, -defaults-spread-directories ≥ 1")
	}
	return nil
}

func splitList(s string) []string {
	var out []string
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}

// defaultsRun is the phase's result.
type defaultsRun struct {
	Run      runInfo
	Users    int
	Seats    float64 // workload-low's nominal concurrency limit (seats)
	Defaults clientLimits
	Runs     []limitsResult
}

// limitsResult is one first sync under one setting.
type limitsResult struct {
	Limits      clientLimits
	Syncs       int // --max-concurrent-syncs (0: the manager's default)
	Directories int
	Users       int
	Wall        time.Duration // Directories created → all Ready
	Requests    float64       // the manager's requests meanwhile (rest_client_requests_total)
	WriteP99    time.Duration // the API server's latency of the manager's creates, p99 (apiserver_request_duration_seconds, POST directoryusers)
	APF         apfDelta
	Probe       probeStats
	ProbeIdle   probeStats
	CPU         cpuUse
}

// apfDelta is what the API server's priority and fairness did meanwhile.
type apfDelta struct {
	Rejected      map[string]float64 // apiserver_flowcontrol_rejected_requests_total by priority level/reason
	WaitCount     float64            // workload-low requests that waited in a queue longer than 5 ms (request_wait_duration, executed)
	WaitP99       time.Duration      // workload-low's queue wait, p99 over all its requests (bucket upper bound)
	WaitSum       time.Duration
	MaxWaiting    int // workload-low's waiting requests, most seen (sampled every 250 ms)
	MaxExecuting  int // workload-low's executing requests, most seen
	Samples       int
	DumpAvailable bool
}

// probeStats is the other tenant's GET latency.
type probeStats struct {
	N, Errors     int
	P50, P99, Max time.Duration
}

// runDefaults runs the phase on a fake company of d.users employees.
func runDefaults(ctx context.Context, c *cluster) (*defaultsRun, error) {
	d := c.cfg.defaults
	res := &defaultsRun{Run: beginRun(fmt.Sprintf("-defaults-limits=%s -defaults-spread=%s", d.limitsFlag, d.spreadFlag)), Users: d.users}
	var gen fakehr.GenerateResponse
	if err := c.fakeAdmin(ctx, http.MethodPost, "/admin/generate",
		fakehr.GenerateRequest{Seed: 1, Employees: d.users, Departments: c.cfg.departments}, &gen); err != nil {
		return nil, err
	}
	c.n = d.users
	if err := c.ensureNamespace(ctx, nsDefaults); err != nil {
		return nil, err
	}
	if err := c.cl.Create(ctx, benchSecret(nsDefaults)); err != nil && !apierrors.IsAlreadyExists(err) {
		return nil, err
	}
	if sc, err := c.apiMetrics(ctx, ""); err == nil {
		res.Seats = sc.sum("apiserver_flowcontrol_nominal_limit_seats", map[string]string{"priority_level": "workload-low"})
	}
	for _, l := range d.limits {
		r, err := c.limitsRun(ctx, l, 0, 1)
		if err != nil {
			return nil, fmt.Errorf("limits %s: %w", l, err)
		}
		res.Runs = append(res.Runs, r)
	}
	if len(d.spread) > 0 {
		if err := c.ensureFleet(ctx); err != nil {
			return nil, err
		}
		for _, syncs := range d.spread {
			r, err := c.limitsRun(ctx, clientLimits{}, syncs, d.spreadDirectories)
			if err != nil {
				return nil, fmt.Errorf("spread over %d Directories, --max-concurrent-syncs=%d: %w", d.spreadDirectories, syncs, err)
			}
			res.Runs = append(res.Runs, r)
		}
	}
	res.Defaults = managerDefaults(c)
	res.Run.end()
	return res, nil
}

// managerDefaults reads the manager's default --kube-api-qps and --kube-api-burst from its -help.
func managerDefaults(c *cluster) clientLimits {
	out, _ := runOutput(c.cfg.manager, "-help")
	var l clientLimits
	l.QPS, _ = strconv.ParseFloat(helpDefault(out, "-kube-api-qps"), 64)
	l.Burst, _ = strconv.Atoi(helpDefault(out, "-kube-api-burst"))
	return l
}

// helpDefault is flag name's default in a Go program's -help output ("" when it has none).
func helpDefault(help, name string) string {
	sc := bufio.NewScanner(strings.NewReader(help))
	current := ""
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if strings.HasPrefix(line, "-") {
			current = strings.Fields(line)[0]
			continue
		}
		if current != name {
			continue
		}
		if _, def, ok := strings.Cut(line, "(default "); ok {
			return strings.TrimSuffix(def, ")")
		}
	}
	return ""
}

// runOutput runs a program and returns its combined output.
func runOutput(name string, args ...string) (string, error) {
	out, err := exec.Command(name, args...).CombinedOutput()
	return string(out), err
}

// limitsRun is one first sync of the phase's users: one Directory on the single fake, or dirs
// Directories of the fleet.
func (c *cluster) limitsRun(ctx context.Context, l clientLimits, syncs, dirs int) (limitsResult, error) {
	d := c.cfg.defaults
	r := limitsResult{Limits: l, Syncs: syncs, Directories: dirs, Users: d.users}
	if dirs > 1 {
		r.Users = dirs * c.cfg.many.users
	}
	label := fmt.Sprintf("defaults-%s-%dx", strings.ReplaceAll(l.String(), "/", "-"), dirs)
	if syncs > 0 {
		label += fmt.Sprintf("-syncs%d", syncs)
	}
	m := managerRun{label: label, kubeconfig: c.operator.kubeconfig, syncs: syncs}
	if l.QPS > 0 {
		m.qps, m.burst = l.QPS, l.Burst
	}
	directories, secrets := c.defaultsObjects(dirs)
	for _, s := range secrets {
		if err := c.cl.Create(ctx, s); err != nil && !apierrors.IsAlreadyExists(err) {
			return r, err
		}
	}
	if err := c.startManager(ctx, m); err != nil {
		return r, err
	}
	defer c.stopManager()
	logf("defaults: limits %s, %d Directories, --max-concurrent-syncs=%d: probing idle for %s", l, dirs, syncs, d.probeIdle)
	idle := c.startProbe(ctx)
	time.Sleep(d.probeIdle)
	r.ProbeIdle = idle.stop()
	m0, err := c.managerMetrics(ctx, label+"-manager-begin")
	if err != nil {
		return r, err
	}
	a := c.begin(ctx, label)
	probe, apf := c.startProbe(ctx), c.startAPFSampler(ctx)
	start := time.Now()
	for _, dir := range directories {
		if err := c.cl.Create(ctx, dir); err != nil {
			return r, err
		}
	}
	err = c.waitAllReady(ctx, nsDefaults, directories, r.Users/dirs, 20*time.Minute)
	r.Wall = time.Since(start)
	r.Probe = probe.stop()
	samples := apf.stop()
	var end scrape
	r.CPU, end = c.endScrape(ctx, a)
	if err != nil {
		return r, err
	}
	r.APF = apfSince(a.api, end, samples)
	m1, err := c.managerMetrics(ctx, label+"-manager-end")
	if err != nil {
		return r, err
	}
	r.Requests = m1.sum("rest_client_requests_total", nil) - m0.sum("rest_client_requests_total", nil)
	r.WriteP99 = histDelta(a.api, end, "apiserver_request_duration_seconds", map[string]string{"verb": "POST", "resource": "directoryusers"}).quantile(0.99)
	logf("defaults: limits %s, %d Directories, syncs %d: all Ready in %s; probe p99 %s (idle %s); APF rejected %.0f, waited %.0f, max waiting %d",
		l, dirs, syncs, r.Wall.Round(time.Second), r.Probe.P99, r.ProbeIdle.P99, sumMap(r.APF.Rejected), r.APF.WaitCount, r.APF.MaxWaiting)
	c.stopManager()
	return r, c.emptyNamespaceOf(ctx, nsDefaults, directories)
}

// defaultsObjects are the run's Directories and Secrets: one Directory on the single fake (through the
// proxy), or dirs Directories of the fleet, each with its key.
func (c *cluster) defaultsObjects(dirs int) ([]client.Object, []client.Object) {
	if dirs == 1 {
		return []client.Object{benchDirectory(nsDefaults, c.proxy.url+"/v1", false)}, []client.Object{benchSecret(nsDefaults)}
	}
	var ds, ss []client.Object
	for i := range dirs {
		d, s := fleetDirectory(nsDefaults, i, c.fleet.url, c.fleet.keys[i], c.cfg.many.interval)
		ds, ss = append(ds, d), append(ss, s)
	}
	return ds, ss
}

// probe is the other tenant: GETs of one ConfigMap as the probe ServiceAccount, at a fixed rate (open
// loop: a slow answer does not delay the next request).
type probe struct {
	cancel context.CancelFunc
	wg     sync.WaitGroup
	mu     sync.Mutex
	lat    []time.Duration
	errors int
}

func (c *cluster) startProbe(ctx context.Context) *probe {
	ctx, cancel := context.WithCancel(ctx)
	p := &probe{cancel: cancel}
	rc := rest.CopyConfig(c.probe.rest)
	rc.QPS, rc.Burst = 1e6, 1e6
	cl, err := client.New(rc, client.Options{Scheme: scheme})
	if err != nil {
		p.errors++
		return p
	}
	every := time.Duration(float64(time.Second) / c.cfg.defaults.probeRate)
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
			p.wg.Add(1)
			go func() {
				defer p.wg.Done()
				start := time.Now()
				err := cl.Get(ctx, client.ObjectKey{Namespace: nsProbe, Name: probeCM}, &corev1.ConfigMap{})
				d := time.Since(start)
				p.mu.Lock()
				defer p.mu.Unlock()
				switch {
				case err == nil:
					p.lat = append(p.lat, d)
				case ctx.Err() == nil:
					p.errors++
				}
			}()
		}
	}()
	return p
}

func (p *probe) stop() probeStats {
	p.cancel()
	p.wg.Wait()
	return probeStats{N: len(p.lat), Errors: p.errors, P50: percentile(p.lat, 50), P99: percentile(p.lat, 99), Max: percentile(p.lat, 100)}
}

// apfSampler reads the API server's priority levels (/debug/api_priority_and_fairness/dump_priority_levels,
// as the admin) every 250 ms and keeps the most waiting and executing requests of workload-low.
type apfSampler struct {
	cancel context.CancelFunc
	done   chan struct{}
	res    apfDelta
}

func (c *cluster) startAPFSampler(ctx context.Context) *apfSampler {
	ctx, cancel := context.WithCancel(ctx)
	s := &apfSampler{cancel: cancel, done: make(chan struct{})}
	hc, err := rest.HTTPClientFor(c.rest)
	go func() {
		defer close(s.done)
		if err != nil {
			return
		}
		t := time.NewTicker(250 * time.Millisecond)
		defer t.Stop()
		for {
			if w, e, ok := dumpPriorityLevel(ctx, hc, c.rest.Host, "workload-low"); ok {
				s.res.DumpAvailable = true
				s.res.Samples++
				s.res.MaxWaiting, s.res.MaxExecuting = max(s.res.MaxWaiting, w), max(s.res.MaxExecuting, e)
			}
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
		}
	}()
	return s
}

func (s *apfSampler) stop() apfDelta {
	s.cancel()
	<-s.done
	return s.res
}

// dumpPriorityLevel reads one priority level's waiting and executing requests from the API server's
// APF debug endpoint (a tab-separated table with a header row).
func dumpPriorityLevel(ctx context.Context, hc *http.Client, host, level string) (waiting, executing int, ok bool) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimRight(host, "/")+"/debug/api_priority_and_fairness/dump_priority_levels", nil)
	if err != nil {
		return 0, 0, false
	}
	resp, err := hc.Do(req)
	if err != nil {
		return 0, 0, false
	}
	defer func() { _ = resp.Body.Close() }()
	b, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		return 0, 0, false
	}
	var header []string
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Split(line, ",")
		for i := range f {
			f[i] = strings.TrimSpace(f[i])
		}
		if header == nil {
			header = f
			continue
		}
		if len(f) != len(header) || f[0] != level {
			continue
		}
		for i, h := range header {
			n, _ := strconv.Atoi(f[i])
			switch h {
			case "WaitingRequests":
				waiting = n
			case "ExecutingRequests":
				executing = n
			}
		}
		return waiting, executing, true
	}
	return 0, 0, false
}

// apfSince is the APF counters' change from a to b, with the sampler's maxima.
func apfSince(a, b scrape, s apfDelta) apfDelta {
	d := s
	d.Rejected = delta(a.by("apiserver_flowcontrol_rejected_requests_total", "priority_level", "reason"),
		b.by("apiserver_flowcontrol_rejected_requests_total", "priority_level", "reason"))
	h := histDelta(a, b, "apiserver_flowcontrol_request_wait_duration_seconds", map[string]string{"priority_level": "workload-low", "execute": "true"})
	// Every request observes its wait, most a few microseconds without a queue: count those above 5 ms.
	d.WaitCount, d.WaitSum = h.countAbove(0.005), time.Duration(h.sum*float64(time.Second))
	d.WaitP99 = h.quantile(0.99)
	return d
}

func sumMap(m map[string]float64) float64 {
	t := 0.0
	for _, v := range m {
		t += v
	}
	return t
}

// emptyNamespaceOf empties ns of users and groups, then deletes the given Directories.
func (c *cluster) emptyNamespaceOf(ctx context.Context, ns string, dirs []client.Object) error {
	if err := c.emptyChildren(ctx, ns); err != nil {
		return err
	}
	for _, d := range dirs {
		if err := client.IgnoreNotFound(c.cl.Delete(ctx, d)); err != nil {
			return err
		}
	}
	c.quiesce(ctx)
	return nil
}
