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

// Command bench measures dirsync against a local control plane (hack/control-plane.sh) and the
// fake Breathe HR (bin/fakehr), and writes a Markdown report. It starts one control plane and runs
// the phases that -phases names, in this order:
//
//   - sizes: for each size N (-sizes), in one namespace at a time:
//     1. peer: `kubectl apply --server-side -f` of the same N users (spec only);
//     2. floor, watched: a bare controller-runtime client creates the operator's N users and its
//     groups, one request each carrying its status (the operator's one write per object), with the
//     same parallelism, unthrottled, with an informer watching the writes as the manager's cache does
//     (-watched-floor);
//     3. -pairs times: the floor (the same writes, unwatched), then the initial sync: the manager
//     (client limits raised, providers unpaced) from creating the Directory to Ready=True with every
//     user and group (the report compares the pair with the median ratio);
//     4. no-op resyncs forced with dirsync.io/sync-requested-at, with unchanged provider data;
//     5. 1% churn through the fake's admin API, then a forced sync;
//     6. the manager's memory above an idle manager, and the provider's requests and bytes per sync;
//   - access: DirectoryAccess (access.go): a 5,000-member group in one RoleBinding, no writes when
//     nothing changed, and each leaver's DirectoryUser update → RoleBinding update latency;
//   - defaults: the manager's client limits (defaults.go): first syncs of the largest N at several
//     --kube-api-qps/--kube-api-burst, the API server's priority-and-fairness metrics and another
//     tenant's GET latency meanwhile;
//   - many: many Directories (many.go): 200 Directories × 500 users in 20 namespaces from one fake,
//     their floor, the time until all are Ready, memory, a no-op cycle of all, and fairness with 10
//     Directories whose provider hangs;
//   - webhook: the webhook receiver (webhook.go): an Access People HR Directory of 10,000 employees,
//     each of 30 leavers from the fake's webhook POST to Inactive and unbound, 1,000 hints in 10 s
//     (syncs and errors), and an idle manager's memory with 500 Directories' webhooks off and on.
//   - directorywebhook: a DirectoryWebhook (directorywebhook.go) of a 10,000-person Directory: the initial stream's
//     rate and memory, 1% churn (exactly the changed people, once; write → acknowledgement latency),
//     and a receiver down for 10 minutes then back.
//
// The manager runs as the operator's own ServiceAccount with config/rbac (identity.go). Every
// measurement is kept in -data (bench/results.json): a run of some phases re-renders the report with
// the other phases' figures from the earlier run that measured them, each section saying when.
//
// Run it through `make bench` (hack/bench.sh builds the binaries and the control plane's first),
// or after `make build envtest`:
//
//	go run -tags dirsync_bench ./bench -sizes=1000,10000 -phases=sizes -out=bench/results.md
//
// The manager is given a pass-through proxy in front of the fake as its endpoint, so that the
// provider's share of each sync is timed inside that sync.
//
// Every process it starts is stopped when it ends, on failure and on SIGINT/SIGTERM too.
package main

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/go-logr/logr"
	ctrllog "sigs.k8s.io/controller-runtime/pkg/log"

	"github.com/dirsync/dirsync/internal/provider"
	"github.com/dirsync/dirsync/internal/provider/breathehr"
	"github.com/dirsync/dirsync/internal/provider/fakehr"
	"github.com/dirsync/dirsync/test/utils"
)

// config holds the flags.
type config struct {
	sizes        []int
	phases       map[string]bool
	out, data    string
	root         string
	stateDir     string
	keep         bool
	renderOnly   bool // -render: write the report from -data without measuring
	manager      string
	fakehr       string
	kubectl      string
	controlPlane string
	departments  int
	workers      int
	syncs        int
	qps          float64
	burst        int
	noopRuns     int
	pairs        int
	managerArgs  []string
	watchedFloor bool
	peer         bool
	timeout      time.Duration
	// accessMembers and accessLeavers size the DirectoryAccess phase (access.go).
	accessMembers, accessLeavers int
	defaults                     defaultsConfig
	many                         manyConfig
	webhook                      webhookConfig
	directoryWebhook             directoryWebhookConfig
}

// allPhases are the phases in the order they run.
var allPhases = []string{"sizes", "access", "defaults", "many", "webhook", "directorywebhook"}

// parseSizes reads -sizes: numbers of employees, each at least 100, sorted.
func parseSizes(v string) ([]int, error) {
	var sizes []int
	for _, s := range strings.Split(v, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n < 100 {
			return nil, fmt.Errorf("-sizes: %q is not a number ≥ 100", s)
		}
		sizes = append(sizes, n)
	}
	slices.Sort(sizes)
	return sizes, nil
}

// parsePhases reads -phases: known phase names.
func parsePhases(v string) (map[string]bool, error) {
	phases := map[string]bool{}
	for _, p := range strings.Split(v, ",") {
		if p = strings.TrimSpace(p); !slices.Contains(allPhases, p) {
			return nil, fmt.Errorf("-phases: unknown phase %q (known: %s)", p, strings.Join(allPhases, ", "))
		}
		phases[p] = true
	}
	return phases, nil
}

// checkPhases checks the flags of the phases that bring their own.
func (c *config) checkPhases() error {
	if err := c.defaults.parse(); err != nil {
		return err
	}
	if err := c.many.check(); err != nil {
		return err
	}
	if err := c.webhook.check(); err != nil {
		return err
	}
	return c.directoryWebhook.check()
}

func parseFlags() (config, error) {
	var c config
	var sizes, phases string
	flag.StringVar(&sizes, "sizes", "1000,10000", "comma-separated numbers of employees of the sizes phase")
	flag.StringVar(&phases, "phases", strings.Join(allPhases, ","), "comma-separated phases to run: "+strings.Join(allPhases, ", "))
	flag.StringVar(&c.out, "out", "bench/results.md", "where to write the Markdown report")
	flag.StringVar(&c.data, "data", "", "the measurements of every phase as JSON, read to keep the phases not run (default: -out with .json)")
	flag.StringVar(&c.root, "root", ".", "the repository root")
	flag.StringVar(&c.stateDir, "state-dir", "", "directory for control planes and logs (default: a new temporary directory)")
	flag.BoolVar(&c.renderOnly, "render", false, "measure nothing: render -out from -data alone (after a merge joined two branches' measurements)")
	flag.BoolVar(&c.keep, "keep", false, "keep the state directory (logs, etcd data) after a successful run")
	flag.StringVar(&c.manager, "manager", "bin/manager", "the manager binary")
	flag.StringVar(&c.fakehr, "fakehr", "bin/fakehr", "the fake HR server binary")
	flag.StringVar(&c.kubectl, "kubectl", envOr("KUBECTL", "kubectl"), "kubectl")
	flag.StringVar(&c.controlPlane, "control-plane", "hack/control-plane.sh", "the control plane script")
	flag.IntVar(&c.departments, "departments", 50, "departments in the fake company")
	flag.IntVar(&c.workers, "workers", 8, "write parallelism: the floor's workers and the manager's --sync-write-workers")
	flag.IntVar(&c.syncs, "max-concurrent-syncs", 0, "the manager's --max-concurrent-syncs in the sizes and many phases (0: its default); the many phase's floor uses this × -workers writers")
	flag.Float64Var(&c.qps, "kube-api-qps", 2000, "the manager's --kube-api-qps (sizes, access and many phases)")
	flag.IntVar(&c.burst, "kube-api-burst", 4000, "the manager's --kube-api-burst (sizes, access and many phases)")
	flag.Func("manager-arg", "one more flag for every manager the bench starts, e.g. -manager-arg=--pprof-bind-address=127.0.0.1:6065 (repeatable)",
		func(v string) error { c.managerArgs = append(c.managerArgs, v); return nil })
	flag.IntVar(&c.noopRuns, "noop-runs", 3, "no-op resyncs per size (the report shows the median)")
	flag.IntVar(&c.pairs, "pairs", 3, "floor + initial sync pairs per size, run back to back (the report compares the pair with the median ratio and lists every pair)")
	flag.BoolVar(&c.watchedFloor, "watched-floor", true, "also run the floor with an informer watching the writes, as the manager's cache does (the cost of being a controller)")
	flag.BoolVar(&c.peer, "peer", true, "run the peer (kubectl apply) phase; off only to iterate quickly")
	flag.DurationVar(&c.timeout, "timeout", 100*time.Minute, "give up (and stop everything) after this long")
	flag.IntVar(&c.accessMembers, "access-members", 5000, "members of the group the DirectoryAccess phase binds")
	flag.IntVar(&c.accessLeavers, "access-leavers", 30, "leavers, one at a time, whose revocation latency the DirectoryAccess phase measures")
	c.defaults.bindFlags()
	c.many.bindFlags()
	c.webhook.bindFlags()
	c.directoryWebhook.bindFlags()
	flag.Parse()
	var err error
	if c.sizes, err = parseSizes(sizes); err != nil {
		return c, err
	}
	if c.phases, err = parsePhases(phases); err != nil {
		return c, err
	}
	if c.noopRuns < 1 || c.pairs < 1 || c.workers < 1 || c.departments < 2 || c.accessMembers < 1 {
		return c, errors.New("-noop-runs, -pairs, -workers and -access-members must be ≥ 1, -departments ≥ 2")
	}
	if err := c.checkPhases(); err != nil {
		return c, err
	}
	root, err := filepath.Abs(c.root) // err is declared above
	if err != nil {
		return c, err
	}
	c.root = root
	if c.data == "" {
		c.data = strings.TrimSuffix(c.out, filepath.Ext(c.out)) + ".json"
	}
	for _, p := range []*string{&c.manager, &c.fakehr, &c.controlPlane, &c.out, &c.data} {
		if !filepath.IsAbs(*p) {
			*p = filepath.Join(root, *p)
		}
	}
	return c, nil
}

func envOr(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}

func logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "bench %s: %s\n", time.Now().Format("15:04:05"), fmt.Sprintf(format, args...))
}

func main() {
	cfg, err := parseFlags()
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(2)
	}
	if cfg.renderOnly {
		err = render(cfg)
	} else {
		err = run(cfg)
	}
	if err != nil {
		logf("FAILED: %v", err)
		os.Exit(1)
	}
}

// preflight checks that the binaries exist and that the providers' pacing is off.
func preflight(cfg config) error {
	for _, f := range []string{cfg.manager, cfg.fakehr, cfg.controlPlane} {
		if _, err := os.Stat(f); err != nil {
			return fmt.Errorf("%w (run make bench, which builds the binaries)", err)
		}
	}
	if !breathehr.PacingDisabled() {
		return fmt.Errorf("the bench needs Breathe HR's pacing off: build bench and the manager with -tags dirsync_bench "+
			"and run with %s=1 (make bench does both)", "DIRSYNC_BENCH_UNPACED_PROVIDERS")
	}
	return nil
}

func run(cfg config) (err error) {
	started := time.Now()
	ctrllog.SetLogger(logr.Discard())
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	ctx, cancel := context.WithTimeout(ctx, cfg.timeout)
	defer cancel()
	if err := preflight(cfg); err != nil {
		return err
	}
	res, err := loadResults(cfg.data)
	if err != nil {
		return err
	}
	if cfg.stateDir == "" {
		if cfg.stateDir, err = os.MkdirTemp("", "dirsync-bench-"); err != nil {
			return err
		}
	}
	p := &utils.Group{}
	defer func() {
		if stopErr := p.StopAll(utils.DefaultGracePeriod); stopErr != nil {
			logf("stopping: %v", stopErr)
		}
		if err == nil && !cfg.keep {
			_ = os.RemoveAll(cfg.stateDir)
		} else {
			logf("logs and state kept in %s", cfg.stateDir)
		}
	}()
	res.Machine = machineInfo(cfg)
	c, err := startCluster(ctx, cfg, p, filepath.Join(cfg.stateDir, "cluster"), cfg.sizes[0])
	if c != nil && c.proxy != nil {
		defer c.proxy.close()
	}
	if err != nil {
		return err
	}
	res.Machine.K8sVersion = c.k8sVersion
	if err := runPhases(ctx, c, res); err != nil {
		return err
	}
	res.Machine.Wall = time.Since(started)
	res.Machine.LoadEnd = loadAvg()
	res.Machine.Phases = phaseList(cfg.phases)
	return writeResults(cfg, res)
}

// runPhases runs the phases cfg.phases names, in order, each replacing its part of res.
func runPhases(ctx context.Context, c *cluster, res *results) error {
	cfg := c.cfg
	if cfg.phases["sizes"] {
		run := &sizesRun{Run: beginRun(fmt.Sprintf("-sizes=%s", sizesFlag(cfg.sizes)))}
		for _, n := range cfg.sizes {
			r, err := runSize(ctx, c, n)
			if err != nil {
				return fmt.Errorf("at N=%d: %w", n, err)
			}
			run.Sizes = append(run.Sizes, r)
		}
		run.Run.end()
		res.Sizes = run
	}
	if cfg.phases["access"] {
		access, err := runAccess(ctx, c)
		if err != nil {
			return fmt.Errorf("DirectoryAccess phase: %w", err)
		}
		res.Access = access
	}
	if cfg.phases["defaults"] {
		d, err := runDefaults(ctx, c)
		if err != nil {
			return fmt.Errorf("defaults phase: %w", err)
		}
		res.Defaults = d
	}
	if cfg.phases["many"] {
		m, err := runMany(ctx, c)
		if err != nil {
			return fmt.Errorf("many-Directories phase: %w", err)
		}
		res.Many = m
	}
	if cfg.phases["webhook"] {
		w, err := runWebhook(ctx, c)
		if err != nil {
			return fmt.Errorf("webhook phase: %w", err)
		}
		res.Webhook = w
	}
	if cfg.phases["directorywebhook"] {
		w, err := runDirectoryWebhook(ctx, c)
		if err != nil {
			return fmt.Errorf("directorywebhook phase: %w", err)
		}
		res.DirectoryWebhook = w
	}
	return nil
}

func phaseList(phases map[string]bool) []string {
	var out []string
	for _, p := range allPhases {
		if phases[p] {
			out = append(out, p)
		}
	}
	return out
}

// render writes the report from the measurements in -data, measuring nothing.
func render(cfg config) error {
	res, err := loadResults(cfg.data)
	if err != nil {
		return err
	}
	return writeResults(cfg, res)
}

// writeResults renders the report from res and writes it and res (as JSON).
func writeResults(cfg config, res *results) error {
	report := renderReport(cfg, res)
	fmt.Print(report)
	if err := os.MkdirAll(filepath.Dir(cfg.out), 0o755); err != nil {
		return err
	}
	if err := os.WriteFile(cfg.out, []byte(report), 0o644); err != nil {
		return err
	}
	b, err := json.MarshalIndent(res, "", " ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(cfg.data, append(b, '\n'), 0o644); err != nil {
		return err
	}
	logf("wrote %s and %s in %s", cfg.out, cfg.data, res.Machine.Wall.Round(time.Second))
	return nil
}

// results is everything measured, by phase; the file -data keeps it between runs.
type results struct {
	Machine          machine
	Sizes            *sizesRun            `json:",omitempty"`
	Access           *accessRun           `json:",omitempty"`
	Defaults         *defaultsRun         `json:",omitempty"`
	Many             *manyRun             `json:",omitempty"`
	Webhook          *webhookRun          `json:",omitempty"`
	DirectoryWebhook *directoryWebhookRun `json:",omitempty"`
}

// loadResults reads the measurements of earlier runs (none when the file does not exist).
func loadResults(path string) (*results, error) {
	res := &results{}
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return res, nil
	}
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal(b, res); err != nil {
		return nil, fmt.Errorf("%s: %w (delete it to start afresh)", path, err)
	}
	return res, nil
}

// runInfo is when a phase ran and how busy the machine was.
type runInfo struct {
	Date               time.Time
	Args               string
	LoadStart, LoadEnd string
	Wall               time.Duration
}

func beginRun(args string) runInfo {
	return runInfo{Date: time.Now().UTC(), Args: args, LoadStart: loadAvg()}
}

func (r *runInfo) end() {
	r.LoadEnd = loadAvg()
	r.Wall = time.Since(r.Date)
}

// sizesRun is the sizes phase.
type sizesRun struct {
	Run   runInfo
	Sizes []*sizeResult
}

// sizeResult is everything measured at one N.
type sizeResult struct {
	N                  int
	Workers            int // the floor's workers and the manager's --sync-write-workers
	K8sVersion         string
	LoadStart, LoadEnd string
	Floor, Peer        writeResult
	FloorWatched       writeResult // zero unless -watched-floor
	Initial            syncResult
	// Pairs are every floor and initial sync, run back to back (-pairs); Floor and Initial are the
	// pair whose ratio is the median.
	Pairs      []syncPair
	Noop       []syncResult
	ChurnPlan  churnPlan
	Churn      syncResult
	HWM, RSS   int64  // manager, KiB, after the churn sync
	Idle       memUse // manager, KiB, started and idle (before the Directory)
	InitialHWM int64  // manager, KiB, VmHWM right after the initial sync
	Parity     int    // objects of the initial sync compared with the floor's (all equal)
}

// runSize measures one N: the fake serves N employees, every phase runs in its own namespace, and
// the manager (started for this size) is stopped and its objects deleted at the end.
func runSize(ctx context.Context, c *cluster, n int) (*sizeResult, error) {
	r := &sizeResult{N: n, Workers: c.cfg.workers, LoadStart: loadAvg(), K8sVersion: c.k8sVersion}
	if n != c.n {
		var gen fakehr.GenerateResponse
		if err := c.fakeAdmin(ctx, http.MethodPost, "/admin/generate",
			fakehr.GenerateRequest{Seed: 1, Employees: n, Departments: c.cfg.departments}, &gen); err != nil {
			return nil, err
		}
		c.n = n
	}
	snap, _, err := c.fetch(ctx)
	if err != nil {
		return nil, fmt.Errorf("reading the fake: %w", err)
	}
	if len(snap.Employees) != n {
		return nil, fmt.Errorf("the fake serves %d employees, want %d", len(snap.Employees), n)
	}
	if err := measureWrites(ctx, c, r, snap); err != nil {
		return nil, err
	}
	if err := measurePairs(ctx, c, r, snap); err != nil {
		return nil, err
	}
	r.Idle = c.idle
	r.InitialHWM, _ = memKiB(c.manager.Pid())
	if r.Parity, err = c.checkParity(ctx, nsSync, dirName, snap); err != nil {
		return nil, err
	}
	if err := measureSteadyState(ctx, c, r, c.cfg.noopRuns); err != nil {
		return nil, err
	}
	r.HWM, r.RSS = memKiB(c.manager.Pid())
	r.LoadEnd = loadAvg()
	logf("N=%d: manager VmHWM %d MiB, VmRSS %d MiB", n, r.HWM>>10, r.RSS>>10)
	c.stopManager()
	return r, c.emptyNamespace(ctx, nsSync)
}

// measureWrites runs the peer and the watched floor, each in its own namespace, emptied after.
func measureWrites(ctx context.Context, c *cluster, r *sizeResult, snap *provider.Snapshot) error {
	var err error
	if c.cfg.peer {
		if r.Peer, err = c.peer(ctx, snap); err != nil {
			return err
		}
	}
	if c.cfg.watchedFloor {
		if r.FloorWatched, err = c.floor(ctx, snap, true); err != nil {
			return err
		}
		if err := c.emptyNamespace(ctx, nsFloorWatched); err != nil {
			return err
		}
	}
	return nil
}

// syncPair is one floor and the initial sync run right after it.
type syncPair struct {
	Floor   writeResult
	Initial syncResult
}

func (p syncPair) ratio() float64 { return p.Initial.Wall.Seconds() / p.Floor.CPU.Wall.Seconds() }

// measurePairs runs the floor and then the initial sync, -pairs times: each floor right before its
// sync so that both see the same cluster (etcd history, API server caches, the machine's load at the
// time). Between pairs the manager is stopped and its objects deleted; the last pair's manager stays
// for the steady-state phases. Both times vary from run to run on a shared machine (by a quarter on
// this one), so one pair proves little; r.Floor and r.Initial are the pair with the median ratio.
func measurePairs(ctx context.Context, c *cluster, r *sizeResult, snap *provider.Snapshot) error {
	for i := range c.cfg.pairs {
		if i > 0 {
			c.stopManager()
			if err := c.emptyNamespace(ctx, nsSync); err != nil {
				return err
			}
		}
		var p syncPair
		var err error
		if p.Floor, err = c.floor(ctx, snap, false); err != nil {
			return err
		}
		if err := c.emptyNamespace(ctx, nsFloor); err != nil {
			return err
		}
		if p.Initial, err = c.initialSync(ctx); err != nil {
			return err
		}
		logf("N=%d: pair %d of %d: floor %s, initial sync %s (%.2f×)", c.n, i+1, c.cfg.pairs,
			p.Floor.CPU.Wall.Round(time.Millisecond), p.Initial.Wall.Round(time.Millisecond), p.ratio())
		r.Pairs = append(r.Pairs, p)
	}
	m := medianPair(r.Pairs)
	r.Floor, r.Initial = m.Floor, m.Initial
	return nil
}

// medianPair is the pair whose ratio is the median (the lower middle one of an even number).
func medianPair(pairs []syncPair) syncPair {
	sorted := slices.Clone(pairs)
	slices.SortStableFunc(sorted, func(a, b syncPair) int { return cmp.Compare(a.ratio(), b.ratio()) })
	return sorted[(len(sorted)-1)/2]
}

// measureSteadyState runs the no-op resyncs, the provider-only fetches and the churn sync.
func measureSteadyState(ctx context.Context, c *cluster, r *sizeResult, runs int) error {
	for i := range runs {
		res, err := c.requestSync(ctx, fmt.Sprintf("noop%d", i))
		if err != nil {
			return fmt.Errorf("no-op resync: %w", err)
		}
		logf("N=%d: no-op resync %d: wall %s, sync %s (provider %s), %d writes", c.n, i+1, res.Wall.Round(time.Millisecond),
			res.Log.Duration, res.Provider.Window.Round(time.Millisecond), res.writes())
		r.Noop = append(r.Noop, res)
	}
	var err error
	r.ChurnPlan, r.Churn, err = c.churn(ctx)
	if err != nil {
		return fmt.Errorf("churn: %w", err)
	}
	logf("N=%d: churn sync: wall %s, sync %s (provider %s), %d writes", c.n, r.Churn.Wall.Round(time.Millisecond), r.Churn.Log.Duration,
		r.Churn.Provider.Window.Round(time.Millisecond), r.Churn.writes())
	return nil
}
