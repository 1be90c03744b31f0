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
// fake Breathe HR (bin/fakehr), and writes a Markdown report. It starts one control plane and,
// for each size N, in one run:
//
//  1. floor: a bare controller-runtime client creates the N DirectoryUsers (create + status
//     patch, the operator's writes) with the same parallelism, unthrottled; then again with an
//     informer watching the writes, as the manager's cache does (-watched-floor);
//  2. peer: `kubectl apply --server-side -f` of the same N users (spec only);
//  3. initial sync: the manager (client limits raised, providers unpaced) from creating the
//     Directory to Ready=True with every user and group;
//  4. no-op resyncs forced with dirsync.io/sync-requested-at, with unchanged provider data;
//  5. 1% churn through the fake's admin API, then a forced sync;
//  6. the manager's peak RSS (VmHWM), and the provider's requests and bytes per sync;
//  7. after the sizes, DirectoryAccess (access.go): a 5,000-member group in one RoleBinding, no writes
//     when nothing changed, and each leaver's DirectoryUser update → RoleBinding update latency.
//
// Run it through `make bench` (hack/bench.sh builds the binaries and the control plane's first),
// or after `make build envtest`:
//
//	go run ./test/bench -sizes=1000,10000 -out=bench/results.md
//
// The manager is given a pass-through proxy in front of the fake as its endpoint, so that the
// provider's share of each sync is timed inside that sync.
//
// Every process it starts is stopped when it ends, on failure and on SIGINT/SIGTERM too.
package main

import (
	"context"
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
	out          string
	root         string
	stateDir     string
	keep         bool
	manager      string
	fakehr       string
	kubectl      string
	controlPlane string
	departments  int
	workers      int
	qps          float64
	burst        int
	noopRuns     int
	watchedFloor bool
	peer         bool
	timeout      time.Duration
	// accessMembers and accessLeavers size the DirectoryAccess phase (access.go); 0 members skips it.
	accessMembers, accessLeavers int
}

func parseFlags() (config, error) {
	var c config
	var sizes string
	flag.StringVar(&sizes, "sizes", "1000,10000", "comma-separated numbers of employees, one control plane each")
	flag.StringVar(&c.out, "out", "bench/results.md", "where to write the Markdown report")
	flag.StringVar(&c.root, "root", ".", "the repository root")
	flag.StringVar(&c.stateDir, "state-dir", "", "directory for control planes and logs (default: a new temporary directory)")
	flag.BoolVar(&c.keep, "keep", false, "keep the state directory (logs, etcd data) after a successful run")
	flag.StringVar(&c.manager, "manager", "bin/manager", "the manager binary")
	flag.StringVar(&c.fakehr, "fakehr", "bin/fakehr", "the fake HR server binary")
	flag.StringVar(&c.kubectl, "kubectl", envOr("KUBECTL", "kubectl"), "kubectl")
	flag.StringVar(&c.controlPlane, "control-plane", "hack/control-plane.sh", "the control plane script")
	flag.IntVar(&c.departments, "departments", 50, "departments in the fake company")
	flag.IntVar(&c.workers, "workers", 8, "write parallelism: the floor's workers and the manager's --sync-write-workers")
	flag.Float64Var(&c.qps, "kube-api-qps", 2000, "the manager's --kube-api-qps")
	flag.IntVar(&c.burst, "kube-api-burst", 4000, "the manager's --kube-api-burst")
	flag.IntVar(&c.noopRuns, "noop-runs", 3, "no-op resyncs per size (the report shows the median)")
	flag.BoolVar(&c.watchedFloor, "watched-floor", true, "also run the floor with an informer watching the writes, as the manager's cache does (the cost of being a controller)")
	flag.BoolVar(&c.peer, "peer", true, "run the peer (kubectl apply) phase; off only to iterate quickly")
	flag.DurationVar(&c.timeout, "timeout", 14*time.Minute, "give up (and stop everything) after this long")
	flag.IntVar(&c.accessMembers, "access-members", 5000, "members of the group the DirectoryAccess phase binds (0 skips the phase)")
	flag.IntVar(&c.accessLeavers, "access-leavers", 30, "leavers, one at a time, whose revocation latency the DirectoryAccess phase measures")
	flag.Parse()
	for _, s := range strings.Split(sizes, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n < 100 {
			return c, fmt.Errorf("-sizes: %q is not a number ≥ 100", s)
		}
		c.sizes = append(c.sizes, n)
	}
	slices.Sort(c.sizes)
	if c.noopRuns < 1 || c.workers < 1 || c.departments < 2 {
		return c, errors.New("-noop-runs and -workers must be ≥ 1, -departments ≥ 2")
	}
	root, err := filepath.Abs(c.root)
	if err != nil {
		return c, err
	}
	c.root = root
	for _, p := range []*string{&c.manager, &c.fakehr, &c.controlPlane, &c.out} {
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
	if err := run(cfg); err != nil {
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
		return fmt.Errorf("the bench needs Breathe HR's pacing off: build test/bench and the manager with -tags dirsync_bench "+
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
	m := machineInfo(cfg)
	m.LoadStart = loadAvg()
	c, err := startCluster(ctx, cfg, p, filepath.Join(cfg.stateDir, "cluster"), cfg.sizes[0])
	if c != nil && c.proxy != nil {
		defer c.proxy.close()
	}
	if err != nil {
		return err
	}
	var results []*sizeResult
	for _, n := range cfg.sizes {
		r, err := runSize(ctx, c, n)
		if err != nil {
			return fmt.Errorf("at N=%d: %w", n, err)
		}
		results = append(results, r)
	}
	access, err := runAccess(ctx, c)
	if err != nil {
		return fmt.Errorf("DirectoryAccess phase: %w", err)
	}
	m.LoadEnd = loadAvg()
	m.Wall = time.Since(started)
	report := renderReport(cfg, m, results, access)
	fmt.Print(report)
	if err := os.MkdirAll(filepath.Dir(cfg.out), 0o755); err != nil {
		return err
	}
	if err := os.WriteFile(cfg.out, []byte(report), 0o644); err != nil {
		return err
	}
	logf("wrote %s in %s", cfg.out, m.Wall.Round(time.Second))
	return nil
}

// sizeResult is everything measured at one N.
type sizeResult struct {
	N                  int
	K8sVersion         string
	LoadStart, LoadEnd string
	Floor, Peer        writeResult
	FloorWatched       writeResult // zero unless -watched-floor
	Initial            syncResult
	Noop               []syncResult
	ChurnPlan          churnPlan
	Churn              syncResult
	HWM, RSS           int64 // manager, KiB, after the churn sync
}

// runSize measures one N: the fake serves N employees, every phase runs in its own namespace, and
// the manager (started for this size) is stopped and its objects deleted at the end.
func runSize(ctx context.Context, c *cluster, n int) (*sizeResult, error) {
	r := &sizeResult{N: n, LoadStart: loadAvg(), K8sVersion: c.k8sVersion}
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
	if r.Initial, err = c.initialSync(ctx); err != nil {
		return nil, err
	}
	if err := measureSteadyState(ctx, c, r, c.cfg.noopRuns); err != nil {
		return nil, err
	}
	r.HWM, r.RSS = memKiB(c.manager.Pid())
	r.LoadEnd = loadAvg()
	logf("N=%d: manager VmHWM %d MiB, VmRSS %d MiB", n, r.HWM>>10, r.RSS>>10)
	c.manager.Stop(utils.DefaultGracePeriod)
	c.manager = nil
	return r, c.emptyNamespace(ctx, nsSync)
}

// measureWrites runs the peer, the watched floor and the floor, each in its own namespace, emptied
// after. The floor runs last, right before the initial sync, so that the two compared phases see
// the same cluster (etcd history, API server caches).
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
	if r.Floor, err = c.floor(ctx, snap, false); err != nil {
		return err
	}
	return c.emptyNamespace(ctx, nsFloor)
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
