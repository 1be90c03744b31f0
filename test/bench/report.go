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

// Targets of issue 5, checked at the largest size.
const (
	targetInitialRatio = 1.3
	targetNoop         = time.Second
	targetRSSMiB       = 150
	// The Breathe HR client sends at most breathehr.RequestBudget requests in any breathehr.BudgetWindow.
	pacedBudget = breathehr.RequestBudget
	pacedWindow = breathehr.BudgetWindow
)

type machine struct {
	CPU, Memory, Go, Kernel string
	Cores                   int
	Kubectl, Etcd           string
	LoadStart, LoadEnd      string
	Wall                    time.Duration
	Date                    time.Time
}

func machineInfo(cfg config) machine {
	m := machine{Cores: runtime.NumCPU(), Go: runtime.Version(), Date: time.Now().UTC()}
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

func renderReport(cfg config, m machine, rs []*sizeResult, access *accessRun) string {
	var b strings.Builder
	last := rs[len(rs)-1]
	fmt.Fprintf(&b, "# dirsync benchmark results\n\n")
	fmt.Fprintf(&b, "Written by `make bench` (hack/bench.sh → test/bench `-sizes=%s`) on %s; the whole run took %s.\n"+
		"One local control plane (`hack/control-plane.sh`) serves all sizes; every phase writes into its own namespace, emptied afterwards. "+
		"`bin/fakehr` serves N employees in %d departments.\n\n",
		sizesFlag(rs), m.Date.Format("2006-01-02 15:04 MST"), m.Wall.Round(time.Second), cfg.departments)
	renderMachine(&b, m, last)
	renderResults(&b, cfg, rs)
	renderTargets(&b, rs)
	renderAccess(&b, access)
	renderCPU(&b, rs)
	renderAPI(&b, rs)
	renderNotes(&b, cfg)
	return b.String()
}

func sizesFlag(rs []*sizeResult) string {
	s := make([]string, len(rs))
	for i, r := range rs {
		s[i] = fmt.Sprint(r.N)
	}
	return strings.Join(s, ",")
}

func renderMachine(b *strings.Builder, m machine, last *sizeResult) {
	fmt.Fprintf(b, "## Machine\n\n| | |\n|---|---|\n")
	fmt.Fprintf(b, "| CPU | %s, %d cores |\n| Memory | %s |\n| Kernel | %s |\n| Go | %s |\n", m.CPU, m.Cores, m.Memory, m.Kernel, m.Go)
	fmt.Fprintf(b, "| Kubernetes | kube-apiserver %s, etcd %s (`--unsafe-no-fsync`), kube-controller-manager |\n", last.K8sVersion, m.Etcd)
	fmt.Fprintf(b, "| kubectl | %s |\n", m.Kubectl)
	fmt.Fprintf(b, "| Load average (1, 5, 15 min) | start %s; end %s |\n\n", m.LoadStart, m.LoadEnd)
}

func renderResults(b *strings.Builder, cfg config, rs []*sizeResult) {
	t := &table{results: rs}
	fmt.Fprintf(&t.b, "## Results\n\n| | %s | Target |\n|---|%s---|\n", sizeHeaders(rs), strings.Repeat("---:|", len(rs)))
	t.row(fmt.Sprintf("**1. Floor**: bare controller-runtime client, create + status patch, %d workers, unthrottled", cfg.workers),
		func(r *sizeResult) string { return rate(r.Floor.CPU.Wall, r.Floor.Objects) }, "")
	t.row("**2. Initial sync**: Directory created → Ready=True, all users and groups", func(r *sizeResult) string {
		return rate(r.Initial.Wall, r.N+cfg.departments)
	}, "")
	t.row("Initial sync ÷ floor", func(r *sizeResult) string { return ratio(r.Initial.Wall, r.Floor.CPU.Wall) },
		fmt.Sprintf("≤ %.1f× at the largest N", targetInitialRatio))
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
	t.row("Initial sync: writes (dirsync_object_writes_total)", func(r *sizeResult) string { return writesCell(r.Initial.Writes) }, "")
	t.row("Initial sync: the manager's API requests (rest_client_requests_total by method/code)", func(r *sizeResult) string {
		return mapCell(r.Initial.RestMethods)
	}, "")
	t.row("**3. Peer**: `kubectl apply --server-side -f` (users, spec only)", func(r *sizeResult) string { return rate(r.Peer.CPU.Wall, r.Peer.Objects) }, "")
	t.row("Peer ÷ floor", func(r *sizeResult) string { return ratio(r.Peer.CPU.Wall, r.Floor.CPU.Wall) }, "")
	t.row("Initial sync ÷ peer", func(r *sizeResult) string { return ratio(r.Initial.Wall, r.Peer.CPU.Wall) }, "")
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
	t.row("Churn: objects written (spec patches) / write requests (patch + status)", func(r *sizeResult) string {
		return fmt.Sprintf("%d / %d", r.Churn.writes("patch", "create", "delete"), r.Churn.writes())
	}, "objects = changed")
	t.row("Churn: writes by kind/verb", func(r *sizeResult) string { return writesCell(r.Churn.Writes) }, "")
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
	t.row("**6. Manager peak RSS** (VmHWM) / RSS after the churn sync", func(r *sizeResult) string {
		return fmt.Sprintf("%.1f / %.1f MiB", float64(r.HWM)/1024, float64(r.RSS)/1024)
	}, fmt.Sprintf("< %d MiB at the largest N", targetRSSMiB))
	first, last := rs[0], rs[len(rs)-1]
	t.row("Per-object memory: ΔVmHWM ÷ ΔN", func(r *sizeResult) string {
		if r != last || first == last {
			return "—"
		}
		return fmt.Sprintf("%.1f KiB/user", float64(last.HWM-first.HWM)/float64(last.N-first.N))
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

func renderTargets(b *strings.Builder, rs []*sizeResult) {
	r := rs[len(rs)-1]
	fmt.Fprintf(b, "## Targets (at N = %s)\n\n| Target | Measured | |\n|---|---|---|\n", thousands(r.N))
	ir := r.Initial.Wall.Seconds() / r.Floor.CPU.Wall.Seconds()
	check(b, fmt.Sprintf("Initial sync ≤ %.1f× floor", targetInitialRatio), fmt.Sprintf("%.2f×", ir), ir <= targetInitialRatio)
	zero := true
	for _, s := range r.Noop {
		zero = zero && s.writes() == 0
	}
	check(b, "No-op resync: 0 writes", fmt.Sprintf("%d writes in %d runs", sumWrites(r.Noop), len(r.Noop)), zero)
	ex := noopExclProvider(r)
	check(b, "No-op resync < 1 s excluding provider time", secs(ex), ex < targetNoop)
	p := r.ChurnPlan
	objs := r.Churn.writes("patch", "create", "delete")
	check(b, "Churn: objects written = changed objects", fmt.Sprintf("%d written, %d changed (%d requests)", objs, p.Users+p.Groups, r.Churn.writes()),
		objs == p.Users+p.Groups && r.Churn.writes() == 2*objs)
	mibs := float64(r.HWM) / 1024
	check(b, fmt.Sprintf("Manager RSS < %d MiB", targetRSSMiB), fmt.Sprintf("%.1f MiB peak", mibs), mibs < targetRSSMiB)
	b.WriteString("\n")
	renderInitialBound(b, r)
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

func renderCPU(b *strings.Builder, rs []*sizeResult) {
	fmt.Fprintf(b, "## CPU time per phase\n\nSeconds of CPU from /proc/<pid>/stat; *client* is the bench's writer (floor) or kubectl (peer); "+
		"*other* is the rest of the machine's busy time from /proc/stat (other users' work: it skews the times when large); "+
		"*steal* is time the hypervisor gave to other machines. *Busy* is all but steal as a share of %d cores × wall time.\n\n", runtime.NumCPU())
	fmt.Fprintf(b, "| Phase | N | Wall | %s | other | steal | busy |\n|---|---:|---:|%s---:|---:|---:|\n",
		strings.Join(cpuColumns, " | "), strings.Repeat("---:|", len(cpuColumns)))
	for _, r := range rs {
		for _, p := range phases(r) {
			if p.u.Wall == 0 {
				continue
			}
			cells := make([]string, len(cpuColumns))
			for i, c := range cpuColumns {
				cells[i] = fmt.Sprintf("%.1f", p.u.Secs[c])
			}
			flag := ""
			if p.u.contaminated() {
				flag = " ⚠"
			}
			fmt.Fprintf(b, "| %s | %s | %s | %s | %.1f%s | %.1f | %.0f%% |\n", p.name, thousands(r.N), secs(p.u.Wall), strings.Join(cells, " | "),
				p.u.Other, flag, p.u.Steal, 100*p.u.utilization())
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
	fmt.Fprintf(b, "## API server counts per phase (dirsync.io resources)\n\nDeltas of the API server's own apiserver_request_total, "+
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

- **Floor**: the same N DirectoryUsers the operator creates (names, labels, spec, controller reference to a suspended Directory), written by a bare controller-runtime client with client-side rate limiting off: Create, then a merge patch of the status subresource, by %[1]d workers.
- **Initial sync**: bin/manager with --kube-api-qps=%[2]g --kube-api-burst=%[3]d --sync-write-workers=%[1]d --allow-insecure-endpoints, built with -tags dirsync_bench and run with DIRSYNC_BENCH_UNPACED_PROVIDERS=1 (Breathe HR pacing off; the shipped manager cannot turn it off), started (caches synced) before the Directory is created; timed from the create to the watch event showing Ready=True with status.userCount = N; then the users and groups are counted.
- **Peer**: one manifest of the N users (apiVersion, kind, metadata, spec; no status), applied with `+"`kubectl apply --server-side -f`"+` into a fresh namespace; kubectl's CPU is the *client* column.
- Order per size: peer, watched floor, floor, initial sync, no-op resyncs, churn; the floor runs right before the initial sync so that both see the same cluster. Each phase's objects are deleted afterwards and the control plane left to go quiet (< 0.1 core) before the next phase.
- **No-op and churn**: forced with the dirsync.io/sync-requested-at annotation and timed to status.lastHandledSyncRequest; writes and requests are deltas of the manager's own dirsync_object_writes_total and rest_client_requests_total. Each rewritten object costs a spec patch and a status patch. The sync duration is the "Synced Directory" log line's; the provider time is measured in the same sync by a pass-through proxy in front of the fake (the Directory's endpoint), from the first request's arrival to the last response's end.
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
