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
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/dirsync/dirsync/internal/provider/breathehr"
)

// Targets of issues 5 and 10, checked at the largest size (and in the many phase).
const (
	targetInitialRatio  = 1.2 // initial sync ÷ the one-request floor
	targetNoop          = time.Second
	targetRSSMiB        = 150
	targetKiBPerUser    = 3.0 // peak RSS above an idle manager, per user
	targetManyRSSMiB    = 400
	targetProbeP99      = time.Second // the other tenant's GET latency, p99, that still counts as healthy
	targetFirstSyncMins = 5           // "a few minutes" for the first 10,000-user sync at the defaults
	// The Breathe HR client sends at most breathehr.RequestBudget requests in any breathehr.BudgetWindow.
	pacedBudget = breathehr.RequestBudget
	pacedWindow = breathehr.BudgetWindow
)

// machine is the machine and the last run.
type machine struct {
	CPU, Memory, Go, Kernel string
	Cores                   int
	Kubectl, Etcd           string
	K8sVersion              string
	LoadStart, LoadEnd      string
	Wall                    time.Duration
	Date                    time.Time
	Phases                  []string
}

func machineInfo(cfg config) machine {
	m := machine{Cores: runtime.NumCPU(), Go: runtime.Version(), Date: time.Now().UTC(), LoadStart: loadAvg()}
	m.CPU = procField("/proc/cpuinfo", "model name", ":")
	if kb := procField("/proc/meminfo", "MemTotal", ":"); kb != "" {
		var n int64
		_, _ = fmt.Sscanf(kb, "%d", &n)
		m.Memory = fmt.Sprintf("%.1f GiB", float64(n)/(1<<20))
	}
	if b, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		m.Kernel = strings.TrimSpace(string(b))
	}
	if out, err := exec.Command(cfg.kubectl, "version", "--client", "-o", "json").Output(); err == nil {
		var v struct {
			ClientVersion struct{ GitVersion string } `json:"clientVersion"`
		}
		if json.Unmarshal(out, &v) == nil {
			m.Kubectl = v.ClientVersion.GitVersion
		}
	}
	etcd := filepath.Join(envOr("K8S_BIN_DIR", filepath.Join(cfg.root, "bin", "k8s", "1.37.2-"+runtime.GOOS+"-"+runtime.GOARCH)), "etcd")
	if out, err := exec.Command(etcd, "--version").Output(); err == nil {
		m.Etcd = strings.TrimPrefix(strings.SplitN(string(out), "\n", 2)[0], "etcd Version: ")
	}
	return m
}

// procField is the value after sep of the first line of path that starts with key.
func procField(path, key, sep string) string {
	f, err := os.Open(path)
	if err != nil {
		return ""
	}
	defer func() { _ = f.Close() }()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if k, v, ok := strings.Cut(sc.Text(), sep); ok && strings.TrimSpace(k) == key {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

// table is a Markdown table with one column per size and a target column.
type table struct {
	b       strings.Builder
	results []*sizeResult
}

func (t *table) row(label string, cell func(r *sizeResult) string, target string) {
	cells := make([]string, len(t.results))
	for i, r := range t.results {
		cells[i] = cell(r)
	}
	fmt.Fprintf(&t.b, "| %s | %s | %s |\n", label, strings.Join(cells, " | "), target)
}

func renderReport(cfg config, res *results) string {
	var b strings.Builder
	m := res.Machine
	fmt.Fprintf(&b, "# dirsync benchmark results\n\n")
	fmt.Fprintf(&b, "Written by `make bench` (hack/bench.sh → bench) on %s: this run measured the phases %s in %s. "+
		"Every phase keeps its figures in `bench/results.json`; a run of some phases (`BENCH_PHASES`) leaves the others' as they were, "+
		"and each section below says when it was measured and how busy the machine was then. "+
		"One local control plane (`hack/control-plane.sh`) serves every phase; each phase writes into namespaces of its own, emptied afterwards. "+
		"The manager runs as the operator's ServiceAccount with `config/rbac` (so its requests meet the API server's priority and fairness as an installed operator's do), "+
		"built with `-tags dirsync_bench` and run with `DIRSYNC_BENCH_UNPACED_PROVIDERS=1` (Breathe HR pacing off against the fake; the shipped manager cannot turn it off).\n\n",
		m.Date.Format("2006-01-02 15:04 MST"), strings.Join(m.Phases, ", "), m.Wall.Round(time.Second))
	renderMachine(&b, m)
	renderHeadline(&b, res)
	renderTargets(&b, res)
	if res.Sizes != nil {
		renderSizes(&b, cfg, res.Sizes)
	}
	if res.Many != nil {
		renderMany(&b, res.Many)
	}
	if res.Defaults != nil {
		renderDefaults(&b, res.Defaults)
	}
	renderAccess(&b, res.Access)
	renderWebhook(&b, res.Webhook)
	renderDirectoryWebhook(&b, res.DirectoryWebhook)
	if res.Sizes != nil {
		renderCPU(&b, res.Sizes.Sizes)
		renderAPI(&b, res.Sizes.Sizes)
	}
	renderNotes(&b, cfg)
	return b.String()
}

func sizesFlag(ns []int) string {
	s := make([]string, len(ns))
	for i, n := range ns {
		s[i] = fmt.Sprint(n)
	}
	return strings.Join(s, ",")
}

func renderMachine(b *strings.Builder, m machine) {
	fmt.Fprintf(b, "## Machine\n\n| | |\n|---|---|\n")
	fmt.Fprintf(b, "| CPU | %s, %d cores |\n| Memory | %s |\n| Kernel | %s |\n| Go | %s |\n", m.CPU, m.Cores, m.Memory, m.Kernel, m.Go)
	fmt.Fprintf(b, "| Kubernetes | kube-apiserver %s, etcd %s (`--unsafe-no-fsync`), kube-controller-manager |\n", m.K8sVersion, m.Etcd)
	fmt.Fprintf(b, "| kubectl | %s |\n", m.Kubectl)
	fmt.Fprintf(b, "| Load average (1, 5, 15 min), this run | start %s; end %s |\n\n", m.LoadStart, m.LoadEnd)
}

// runLine says when a phase ran and how busy the machine was.
func runLine(r runInfo) string {
	return fmt.Sprintf("Measured %s (`%s`, %s; load average %s at the start, %s at the end).",
		r.Date.Format("2006-01-02 15:04 MST"), r.Args, r.Wall.Round(time.Second), r.LoadStart, r.LoadEnd)
}

// The previous run (bench/results.md of 2026-11-24, N = 10,000): every new or changed object cost two
// requests (create or patch, then a status patch), and the floor did the same.
const beforeDate = "2026-11-24"

var before = struct {
	floor, initial, peer time.Duration
	ratio                float64
	initialRequests      int
	churnObjects         int
	churnRequests        int
	hwmMiB, kibPerUser   float64
	noopExcl             time.Duration
	paced                time.Duration
}{floor: 37600 * time.Millisecond, initial: 44 * time.Second, peer: 69200 * time.Millisecond, ratio: 1.17, initialRequests: 20102,
	churnObjects: 141, churnRequests: 282, hwmMiB: 133.8, kibPerUser: 7.8, noopExcl: 90 * time.Millisecond, paced: 91 * time.Second}

// renderHeadline is the before/after table at the largest size.
func renderHeadline(b *strings.Builder, res *results) {
	if res.Sizes == nil || len(res.Sizes.Sizes) == 0 {
		return
	}
	r := res.Sizes.Sizes[len(res.Sizes.Sizes)-1]
	fmt.Fprintf(b, "## Before and after (N = %s)\n\n*Before*: the run of %s (two requests per new or changed object: create or patch, then a status patch; "+
		"the floor spent the same two; the manager ran as the cluster admin). *After*: this report (one request per object; the floor spends one).\n\n", thousands(r.N), beforeDate)
	fmt.Fprintf(b, "| | before | after |\n|---|---:|---:|\n")
	fmt.Fprintf(b, "| Floor (a bare client writing the same objects, %d workers) | %s (2 requests per user) | %s (1 request per object) |\n",
		res.Sizes.workers(), secs(before.floor), secs(r.Floor.CPU.Wall))
	fmt.Fprintf(b, "| Initial sync (Directory created → Ready) | %s | %s |\n", secs(before.initial), secs(r.Initial.Wall))
	fmt.Fprintf(b, "| Initial sync ÷ floor | %.2f× (of the two-request floor) | %s (of the one-request floor) |\n", before.ratio, ratio(r.Initial.Wall, r.Floor.CPU.Wall))
	fmt.Fprintf(b, "| Initial sync: the manager's API requests | %s | %s |\n", thousands(before.initialRequests), thousands(int(sumMap(r.Initial.RestMethods))))
	fmt.Fprintf(b, "| 1%% churn: changed objects / write requests | %d / %d | %d / %d |\n", before.churnObjects, before.churnRequests,
		r.ChurnPlan.Users+r.ChurnPlan.Groups, r.Churn.writes())
	fmt.Fprintf(b, "| No-op resync: sync − provider time | %s | %s |\n", secs(before.noopExcl), secs(noopExclProvider(r)))
	fmt.Fprintf(b, "| Manager peak RSS (VmHWM) | %.1f MiB | %.1f MiB |\n", before.hwmMiB, float64(r.HWM)/1024)
	fmt.Fprintf(b, "| Memory per user | %.1f KiB (ΔVmHWM ÷ ΔN between sizes) | %s above an idle manager; %s ΔVmHWM ÷ ΔN |\n",
		before.kibPerUser, kibPerUser(r), kibBetweenSizes(res.Sizes.Sizes))
	fmt.Fprintf(b, "| Paced sync against the real Breathe HR (estimate) | ≈ %s | ≈ %s |\n\n", secs(before.paced), secs(pacedEstimate(r)))
}

func (s *sizesRun) workers() int {
	if len(s.Sizes) == 0 {
		return 0
	}
	return s.Sizes[0].Workers
}

// kibPerUser is the manager's peak RSS above its idle RSS, per user.
func kibPerUser(r *sizeResult) string {
	if r.Idle.RSS == 0 {
		return "—"
	}
	return fmt.Sprintf("%.1f KiB", float64(r.HWM-r.Idle.RSS)/float64(r.N))
}

func kibBetweenSizes(rs []*sizeResult) string {
	if len(rs) < 2 {
		return "—"
	}
	first, last := rs[0], rs[len(rs)-1]
	return fmt.Sprintf("%.1f KiB", float64(last.HWM-first.HWM)/float64(last.N-first.N))
}

// renderTargets checks the issues' targets against the latest figures of each phase.
func renderTargets(b *strings.Builder, res *results) {
	fmt.Fprintf(b, "## Targets\n\n| Target | Measured | |\n|---|---|---|\n")
	if res.Sizes != nil && len(res.Sizes.Sizes) > 0 {
		sizeTargets(b, res.Sizes.Sizes[len(res.Sizes.Sizes)-1])
	}
	if m := res.Many; m != nil {
		manyTargets(b, m)
	}
	if d := res.Defaults; d != nil {
		defaultsTargets(b, d)
	}
	if w := res.DirectoryWebhook; w != nil {
		directoryWebhookTargets(b, w)
	}
	if w := res.Webhook; w != nil {
		webhookTargets(b, w)
	}
	b.WriteString("\n")
	if res.Sizes != nil && len(res.Sizes.Sizes) > 0 {
		renderInitialBound(b, res.Sizes.Sizes[len(res.Sizes.Sizes)-1])
	}
}

func sizeTargets(b *strings.Builder, r *sizeResult) {
	n := thousands(r.N)
	ir := r.Initial.Wall.Seconds() / r.Floor.CPU.Wall.Seconds()
	check(b, fmt.Sprintf("Initial sync at N = %s ≤ %.1f× the one-request floor", n, targetInitialRatio), fmt.Sprintf("%.2f×", ir), ir <= targetInitialRatio)
	p := r.ChurnPlan
	reqs := r.Churn.writes()
	check(b, "1% churn: write requests = changed objects", fmt.Sprintf("%d write requests for %d changed objects (%s)", reqs, p.Users+p.Groups,
		writesCell(r.Churn.Writes)), reqs == p.Users+p.Groups)
	perUser := float64(r.HWM-r.Idle.RSS) / float64(r.N)
	check(b, fmt.Sprintf("Manager peak RSS at N = %s ≤ %.0f KiB per user above an idle manager", n, targetKiBPerUser),
		fmt.Sprintf("%.2f KiB per user (peak %.1f MiB, idle %.1f MiB)", perUser, float64(r.HWM)/1024, float64(r.Idle.RSS)/1024), perUser <= targetKiBPerUser)
	zero := true
	for _, s := range r.Noop {
		zero = zero && s.writes() == 0
	}
	check(b, "No-op resync: 0 writes", fmt.Sprintf("%d writes in %d runs", sumWrites(r.Noop), len(r.Noop)), zero)
	ex := noopExclProvider(r)
	check(b, "No-op resync < 1 s excluding provider time", secs(ex), ex < targetNoop)
	mibs := float64(r.HWM) / 1024
	check(b, fmt.Sprintf("Manager RSS < %d MiB at N = %s", targetRSSMiB, n), fmt.Sprintf("%.1f MiB peak", mibs), mibs < targetRSSMiB)
}

// renderInitialBound explains the initial sync ÷ floor ratio from the measured CPU and API server counts.
func renderInitialBound(b *strings.Builder, r *sizeResult) {
	f, i := r.Floor.CPU, r.Initial.CPU
	own := func(u cpuUse) float64 { return u.Busy - u.Other }
	fmt.Fprintf(b, "**Where the initial sync's time goes** (N = %s, measured): the machine was %.0f%% busy during the floor and %.0f%% during the initial sync, "+
		"so both are CPU-bound and their times follow the CPU they need. The bench's own processes used %.1f s of CPU for the floor and %.1f s for "+
		"the initial sync (%.2f×, a ratio that other users' load does not skew as much as wall time): kube-apiserver %.1f → %.1f s "+
		"(watch events sent for dirsync.io: %.0f → %.0f, %s → %s), the manager %.1f s, fakehr %.1f s, the floor's client %.1f s. "+
		"The provider took %s of the sync.",
		thousands(r.N), 100*f.utilization(), 100*i.utilization(), own(f), own(i), own(i)/own(f),
		f.Secs["kube-apiserver"], i.Secs["kube-apiserver"], f.API.WatchEvents, i.API.WatchEvents, mib(int64(f.API.WatchBytes)), mib(int64(i.API.WatchBytes)),
		i.Secs["manager"], i.Secs["fakehr"], f.Secs["client"], secs(r.Initial.Provider.Window))
	if w := r.FloorWatched; w.Objects > 0 {
		fmt.Fprintf(b, " With an informer watching the floor's writes (the cost of any controller that caches what it writes) the floor takes %s "+
			"(%.1f s of CPU, %.2f× the plain floor's wall time); the initial sync is %.2f× that.",
			secs(w.CPU.Wall), own(w.CPU), w.CPU.Wall.Seconds()/f.Wall.Seconds(), r.Initial.Wall.Seconds()/w.CPU.Wall.Seconds())
	}
	b.WriteString(" Other processes on the machine used " + fmt.Sprintf("%.1f s (floor) and %.1f s (initial sync)", f.Other, i.Other) + " of CPU.\n\n")
}

func check(b *strings.Builder, target, measured string, ok bool) {
	mark := "met"
	if !ok {
		mark = "**missed**"
	}
	fmt.Fprintf(b, "| %s | %s | %s |\n", target, measured, mark)
}

// pairsCell lists every floor and initial sync pair of a size.
func pairsCell(r *sizeResult) string {
	if len(r.Pairs) == 0 {
		return "—"
	}
	cells := make([]string, len(r.Pairs))
	for i, p := range r.Pairs {
		cells[i] = fmt.Sprintf("%s, %s (%s)", secs(p.Floor.CPU.Wall), secs(p.Initial.Wall), ratio(p.Initial.Wall, p.Floor.CPU.Wall))
	}
	return strings.Join(cells, "; ")
}

func renderSizes(b *strings.Builder, cfg config, run *sizesRun) {
	rs := run.Sizes
	t := &table{results: rs}
	fmt.Fprintf(&t.b, "## Sizes: one Directory of N users in %d departments\n\n%s\n\n| | %s | Target |\n|---|%s---|\n",
		cfg.departments, runLine(run.Run), sizeHeaders(rs), strings.Repeat("---:|", len(rs)))
	t.row(fmt.Sprintf("**1. Floor**: bare controller-runtime client, one create per object (users and groups, status included), %d workers, unthrottled", run.workers()),
		func(r *sizeResult) string { return rate(r.Floor.CPU.Wall, r.Floor.Objects) }, "")
	t.row("**2. Initial sync**: Directory created → Ready=True, all users and groups", func(r *sizeResult) string {
		return rate(r.Initial.Wall, r.Floor.Objects)
	}, "")
	t.row("Initial sync ÷ floor (the pair with the median ratio)", func(r *sizeResult) string { return ratio(r.Initial.Wall, r.Floor.CPU.Wall) },
		fmt.Sprintf("≤ %.1f× at the largest N", targetInitialRatio))
	t.row("Every pair, in the order run: floor, initial sync (ratio)", pairsCell, "")
	t.row("Initial sync: provider time (proxy) / (sync − provider) ÷ floor", func(r *sizeResult) string {
		return secs(r.Initial.Provider.Window) + " / " + ratio(r.Initial.Wall-r.Initial.Provider.Window, r.Floor.CPU.Wall)
	}, "")
	if rs[0].FloorWatched.Objects > 0 {
		t.row("Floor, watched: the same, with an informer (the manager's cache options) watching the namespace", func(r *sizeResult) string {
			return rate(r.FloorWatched.CPU.Wall, r.FloorWatched.Objects)
		}, "")
		t.row("Watched floor ÷ floor / initial sync ÷ watched floor", func(r *sizeResult) string {
			return ratio(r.FloorWatched.CPU.Wall, r.Floor.CPU.Wall) + " / " + ratio(r.Initial.Wall, r.FloorWatched.CPU.Wall)
		}, "")
	}
	t.row("Floor's objects = the operator's (labels, owner, spec, status; compared after the initial sync)", func(r *sizeResult) string {
		return fmt.Sprintf("%s of %s equal", thousands(r.Parity), thousands(r.Floor.Objects))
	}, "all")
	t.row("Initial sync: writes (dirsync_object_writes_total)", func(r *sizeResult) string { return writesCell(r.Initial.Writes) }, "")
	t.row("Initial sync: the manager's API requests (rest_client_requests_total by method/code)", func(r *sizeResult) string {
		return mapCell(r.Initial.RestMethods)
	}, "")
	if rs[0].Peer.Objects > 0 {
		t.row("**3. Peer**: `kubectl apply --server-side -f` (users, spec only)", func(r *sizeResult) string { return rate(r.Peer.CPU.Wall, r.Peer.Objects) }, "")
		t.row("Peer ÷ floor", func(r *sizeResult) string { return ratio(r.Peer.CPU.Wall, r.Floor.CPU.Wall) }, "")
		t.row("Initial sync ÷ peer", func(r *sizeResult) string { return ratio(r.Initial.Wall, r.Peer.CPU.Wall) }, "")
	}
	renderNoopRows(t, rs)
	renderChurnRows(t)
	renderMemoryRows(t, rs)
	renderProviderRows(t)
	b.WriteString(t.b.String())
	b.WriteString("\n")
}

func sizeHeaders(rs []*sizeResult) string {
	h := make([]string, len(rs))
	for i, r := range rs {
		h[i] = "N = " + thousands(r.N)
	}
	return strings.Join(h, " | ")
}

func renderNoopRows(t *table, rs []*sizeResult) {
	t.row(fmt.Sprintf("**4. No-op resync**: annotation → status.lastHandledSyncRequest (median of %d)", len(rs[0].Noop)),
		func(r *sizeResult) string { return secs(median(noopWalls(r))) }, "")
	t.row("No-op: sync duration (manager log) / provider time (proxy), median", func(r *sizeResult) string {
		return secs(median(noopDurations(r))) + " / " + secs(median(noopProvider(r)))
	}, "")
	t.row("No-op: sync duration − provider time", func(r *sizeResult) string { return secs(noopExclProvider(r)) },
		fmt.Sprintf("< %s at the largest N", targetNoop))
	t.row("No-op: object writes (every run)", func(r *sizeResult) string {
		w := make([]string, len(r.Noop))
		for i, s := range r.Noop {
			w[i] = fmt.Sprint(s.writes())
		}
		return strings.Join(w, ", ")
	}, "0")
	t.row("No-op: Kubernetes API requests by method (manager's rest_client_requests_total, last run)", func(r *sizeResult) string {
		return mapCell(r.Noop[len(r.Noop)-1].RestMethods)
	}, "")
}

func renderChurnRows(t *table) {
	t.row("**5. 1% churn**: employees changed (title / department / leaver)", func(r *sizeResult) string {
		p := r.ChurnPlan
		return fmt.Sprintf("%d (%d / %d / %d)", p.Users, p.Titles, p.Moves, p.Leavers)
	}, "")
	t.row("Churn: changed objects (users + groups that gained or lost a member)", func(r *sizeResult) string {
		p := r.ChurnPlan
		return fmt.Sprintf("%d + %d = %d", p.Users, p.Groups, p.Users+p.Groups)
	}, "")
	t.row("Churn: write requests (dirsync_object_writes_total)", func(r *sizeResult) string { return fmt.Sprint(r.Churn.writes()) }, "= changed objects")
	t.row("Churn: writes by kind/verb", func(r *sizeResult) string { return writesCell(r.Churn.Writes) }, "")
	t.row("Churn: the manager's API requests by method/code", func(r *sizeResult) string { return mapCell(r.Churn.RestMethods) }, "")
	t.row("Churn: wall, annotation → status", func(r *sizeResult) string { return secs(r.Churn.Wall) }, "")
	t.row("Churn: sync duration (log) / provider time / sync − provider", func(r *sizeResult) string {
		return secs(r.Churn.Log.Duration) + " / " + secs(r.Churn.Provider.Window) + " / " + secs(r.Churn.Log.Duration-r.Churn.Provider.Window)
	}, "")
	t.row("Churn: write time (churn − no-op, both without provider time), per write request", func(r *sizeResult) string {
		d := (r.Churn.Log.Duration - r.Churn.Provider.Window) - noopExclProvider(r)
		if n := r.Churn.writes(); n > 0 {
			return fmt.Sprintf("%s, %.2f ms", secs(d), float64(d.Microseconds())/1000/float64(n))
		}
		return secs(d)
	}, "scales with the change")
}

func renderMemoryRows(t *table, rs []*sizeResult) {
	t.row("**6. Manager memory**: idle (started, caches synced, no Directory): VmRSS / VmHWM", func(r *sizeResult) string {
		return fmt.Sprintf("%.1f / %.1f MiB", float64(r.Idle.RSS)/1024, float64(r.Idle.HWM)/1024)
	}, "")
	t.row("Manager VmHWM right after the initial sync; per user above idle", func(r *sizeResult) string {
		return fmt.Sprintf("%.1f MiB; %.1f KiB", float64(r.InitialHWM)/1024, float64(r.InitialHWM-r.Idle.RSS)/float64(r.N))
	}, "")
	t.row("Manager peak RSS (VmHWM, through the no-op resyncs and the churn sync) / RSS after the churn sync", func(r *sizeResult) string {
		return fmt.Sprintf("%.1f / %.1f MiB", float64(r.HWM)/1024, float64(r.RSS)/1024)
	}, fmt.Sprintf("< %d MiB at the largest N", targetRSSMiB))
	t.row("Per user: (peak − idle RSS) ÷ N", func(r *sizeResult) string { return kibPerUser(r) },
		fmt.Sprintf("≤ %.0f KiB at the largest N", targetKiBPerUser))
	last := rs[len(rs)-1]
	t.row("Per user: ΔVmHWM ÷ ΔN between the sizes", func(r *sizeResult) string {
		if r != last || len(rs) < 2 {
			return "—"
		}
		return kibBetweenSizes(rs)
	}, "")
}

func renderProviderRows(t *table) {
	t.row("**7. Provider**: requests per sync (manager log; fakehr /admin/stats), initial / no-op / churn", func(r *sizeResult) string {
		return fmt.Sprintf("%d / %d / %d; %d / %d / %d", r.Initial.Log.ProviderRequests, r.Noop[0].Log.ProviderRequests, r.Churn.Log.ProviderRequests,
			r.Initial.FakeRequests, r.Noop[0].FakeRequests, r.Churn.FakeRequests)
	}, "")
	t.row("Provider: response bytes per sync; time per sync (initial / no-op median / churn)", func(r *sizeResult) string {
		return fmt.Sprintf("%s; %s / %s / %s", mib(r.Initial.Log.ProviderBytes), secs(r.Initial.Provider.Window),
			secs(median(noopProvider(r))), secs(r.Churn.Provider.Window))
	}, "")
	t.row("Provider: paced sync against the real Breathe HR (estimate, not run)", func(r *sizeResult) string {
		return "≈ " + secs(pacedEstimate(r))
	}, "note")
}

// pacedEstimate: pacedBudget requests at once, then a wait of a window for each further pacedBudget;
// add the measured provider time of the requests after the last wait.
func pacedEstimate(r *sizeResult) time.Duration {
	n := r.Initial.Log.ProviderRequests
	if n == 0 {
		return 0
	}
	waits := (n - 1) / pacedBudget
	last := n - waits*pacedBudget
	return time.Duration(waits)*pacedWindow + r.Initial.Provider.Window*time.Duration(last)/time.Duration(n)
}

func renderCPU(b *strings.Builder, rs []*sizeResult) {
	fmt.Fprintf(b, "## CPU time per phase (sizes)\n\nSeconds of CPU from /proc/<pid>/stat; *client* is the bench's writer (floor) or kubectl (peer); "+
		"*other* is the rest of the machine's busy time from /proc/stat (other users' work: it skews the times when large); "+
		"*steal* is time the hypervisor gave to other machines. *Busy* is all but steal as a share of %d cores × wall time.\n\n", runtime.NumCPU())
	fmt.Fprintf(b, "| Phase | N | Wall | %s | other | steal | busy |\n|---|---:|---:|%s---:|---:|---:|\n",
		strings.Join(cpuColumns, " | "), strings.Repeat("---:|", len(cpuColumns)))
	for _, r := range rs {
		for _, p := range phases(r) {
			cpuRow(b, p.name, thousands(r.N), p.u)
		}
	}
	fmt.Fprintf(b, "\n⚠: other processes (with steal) took more than 10%% of the machine during the phase: its time is inflated. Load average per size: ")
	for i, r := range rs {
		if i > 0 {
			b.WriteString("; ")
		}
		fmt.Fprintf(b, "N = %s start %s, end %s", thousands(r.N), r.LoadStart, r.LoadEnd)
	}
	b.WriteString(".\n\n")
}

// cpuRow is one phase's row of a CPU table (nothing for a phase that did not run).
func cpuRow(b *strings.Builder, name, n string, u cpuUse) {
	if u.Wall == 0 {
		return
	}
	cells := make([]string, len(cpuColumns))
	for i, c := range cpuColumns {
		cells[i] = fmt.Sprintf("%.1f", u.Secs[c])
	}
	flag := ""
	if u.contaminated() {
		flag = " ⚠"
	}
	fmt.Fprintf(b, "| %s | %s | %s | %s | %.1f%s | %.1f | %.0f%% |\n", name, n, secs(u.Wall), strings.Join(cells, " | "),
		u.Other, flag, u.Steal, 100*u.utilization())
}

// phases lists a size's measured phases in order.
func phases(r *sizeResult) []struct {
	name string
	u    cpuUse
} {
	return []struct {
		name string
		u    cpuUse
	}{{"peer", r.Peer.CPU}, {"floor, watched", r.FloorWatched.CPU}, {"floor", r.Floor.CPU}, {"initial sync", r.Initial.CPU},
		{"no-op resync (last)", r.Noop[len(r.Noop)-1].CPU}, {"churn sync", r.Churn.CPU}}
}

func renderAPI(b *strings.Builder, rs []*sizeResult) {
	fmt.Fprintf(b, "## API server counts per phase (sizes; dirsync.io resources)\n\nDeltas of the API server's own apiserver_request_total, "+
		"apiserver_watch_events_total and apiserver_watch_events_sizes_sum; compactions of etcd (the API server compacts every 5 minutes) from etcd's own metrics.\n\n")
	fmt.Fprintf(b, "| Phase | N | Requests by verb | Watch events sent | Watch bytes | etcd compactions |\n|---|---:|---|---:|---:|---:|\n")
	for _, r := range rs {
		for _, p := range phases(r) {
			if p.u.Wall == 0 {
				continue
			}
			fmt.Fprintf(b, "| %s | %s | %s | %.0f | %s | %.0f |\n", p.name, thousands(r.N), mapCell(p.u.API.Requests), p.u.API.WatchEvents,
				mib(int64(p.u.API.WatchBytes)), p.u.API.Compactions)
		}
	}
	b.WriteString("\n")
}

func renderNotes(b *strings.Builder, cfg config) {
	fmt.Fprintf(b, `## Method

- **Identity**: the manager runs as the ServiceAccount dirsync-system/dirsync-controller-manager with `+"`config/rbac`"+` (applied through `+"`config/demo/rbac`"+`, as make demo does) and a token of it, so the API server classifies its requests as an installed operator's (FlowSchema service-accounts → priority level workload-low); the floors write as the same ServiceAccount. Only the DirectoryAccess phase runs the manager as the cluster admin (the operator may bind only where dirsync-access-grantor is bound).
- **Floor**: the same objects the operator creates (users and groups: names, labels, spec, status, controller reference to a suspended Directory; the bench checks after the initial sync that they equal the operator's), written by a bare controller-runtime client with client-side rate limiting off, one create per object carrying its status (DirectoryUser and DirectoryGroup have no status subresource), by %[1]d workers (the manager's --sync-write-workers).
- **Initial sync**: the manager with --kube-api-qps=%[2]g --kube-api-burst=%[3]d --sync-write-workers=%[1]d --allow-insecure-endpoints --allowed-endpoint-hosts=127.0.0.1, started (caches synced, idle memory read) before the Directory is created; timed from the create to the watch event showing Ready=True with status.userCount = N.
- **Memory**: VmRSS and VmHWM from /proc/<pid>/status. *Idle* is read once the manager has started, its caches have synced and the control plane is quiet, before any Directory exists; *peak* is VmHWM after the churn sync (it covers the initial sync, the no-op resyncs and the churn). Per user = (peak − idle VmRSS) ÷ N. The manager runs with its own garbage-collector default, GOGC=25 (cmd/manager; a GOGC in the environment would override it), and no GOMEMLIMIT.
- **Peer**: one manifest of the N users (apiVersion, kind, metadata, spec; no status), applied with `+"`kubectl apply --server-side -f`"+` into a fresh namespace; kubectl's CPU is the *client* column.
- Order per size: peer, watched floor, then pairs of floor and initial sync (-pairs, 3 by default; the sizes table lists them), then no-op resyncs and churn with the last pair's manager. Each floor runs right before its initial sync so that both see the same cluster and the same moment's machine; the two vary from run to run by up to a quarter on this shared machine, so the report compares the pair with the median ratio and lists them all. Each phase's objects are deleted afterwards and the control plane left to go quiet (< 0.1 core) before the next phase.
- **No-op and churn**: forced with the dirsync.io/sync-requested-at annotation and timed to status.lastHandledSyncRequest; writes and requests are deltas of the manager's own dirsync_object_writes_total and rest_client_requests_total. A new or changed object costs one request (a create or a merge patch carrying spec and status). The sync duration is the "Synced Directory" log line's; the provider time is measured in the same sync by a pass-through proxy in front of the fake (the Directory's endpoint), from the first request's arrival to the last response's end.
- **Churn**: 1%% of employees changed through the fake's admin API (GET and PUT /admin/company): a third get a new job title, a third move to the next department (both departments' groups change), a third current employees become former employees (kept as Inactive; group membership unchanged).
- **Paced estimate**: the real Breathe HR allows 60 requests a minute; the client sends at most %[4]d in any %[5]s, so a sync of R requests waits ⌈R / %[4]d⌉ − 1 windows, plus the transfer. Not run.
`, cfg.workers, cfg.qps, cfg.burst, pacedBudget, pacedWindow)
}

// Formatting helpers.

func rate(d time.Duration, objects int) string {
	if d <= 0 {
		return "—"
	}
	return fmt.Sprintf("%s (%.0f obj/s)", secs(d), float64(objects)/d.Seconds())
}

func ratio(a, b time.Duration) string {
	if b <= 0 {
		return "—"
	}
	return fmt.Sprintf("%.2f×", a.Seconds()/b.Seconds())
}

func secs(d time.Duration) string {
	if d < 10*time.Second && d > -10*time.Second {
		return fmt.Sprintf("%.2f s", d.Seconds())
	}
	return fmt.Sprintf("%.1f s", d.Seconds())
}

func mib(n int64) string { return fmt.Sprintf("%.2f MiB", float64(n)/(1<<20)) }

func thousands(n int) string {
	s := fmt.Sprint(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

func mapCell(m map[string]float64) string {
	if len(m) == 0 {
		return "none"
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s %.0f", k, m[k])
	}
	return strings.Join(parts, ", ")
}

func writesCell(m map[string]float64) string {
	if len(m) == 0 {
		return "0"
	}
	short := map[string]float64{}
	for k, v := range m {
		k = strings.Replace(strings.Replace(k, "DirectoryUser/", "user ", 1), "DirectoryGroup/", "group ", 1)
		short[k] = v
	}
	return mapCell(short)
}

func median(ds []time.Duration) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := append([]time.Duration(nil), ds...)
	slices.Sort(s)
	return s[len(s)/2]
}

func noopWalls(r *sizeResult) []time.Duration {
	out := make([]time.Duration, len(r.Noop))
	for i, s := range r.Noop {
		out[i] = s.Wall
	}
	return out
}

func noopDurations(r *sizeResult) []time.Duration {
	out := make([]time.Duration, len(r.Noop))
	for i, s := range r.Noop {
		out[i] = s.Log.Duration
	}
	return out
}

func noopProvider(r *sizeResult) []time.Duration {
	out := make([]time.Duration, len(r.Noop))
	for i, s := range r.Noop {
		out[i] = s.Provider.Window
	}
	return out
}

// noopExclProvider is the median over the no-op runs of sync duration minus provider time.
func noopExclProvider(r *sizeResult) time.Duration {
	out := make([]time.Duration, len(r.Noop))
	for i, s := range r.Noop {
		out[i] = s.Log.Duration - s.Provider.Window
	}
	return median(out)
}

func sumWrites(ss []syncResult) int {
	t := 0
	for _, s := range ss {
		t += s.writes()
	}
	return t
}
