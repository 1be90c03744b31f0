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
	"fmt"
	"strings"
	"time"
)

// renderMany writes the many-Directories section.
func renderMany(b *strings.Builder, m *manyRun) {
	users := m.Directories * m.Users
	fmt.Fprintf(b, "## Many Directories: %s × %s users in %d namespaces\n\n%s One `bin/fakehr --companies` serves every Directory "+
		"(one company per API key; Breathe HR, %d departments each). The manager runs with --max-concurrent-syncs=%d, --sync-write-workers=%d "+
		"and the sizes' client limits.\n\n| | measured | target |\n|---|---|---|\n",
		thousands(m.Directories), thousands(m.Users), m.Namespaces, runLine(m.Run), m.GroupCount/max(m.Directories, 1), m.Syncs, m.Workers)
	fmt.Fprintf(b, "| Objects | %s (%s users, %s groups) | |\n", thousands(m.Objects), thousands(users), thousands(m.GroupCount))
	if m.Floor.Objects > 0 {
		fmt.Fprintf(b, "| **Floor**: a bare client creates the same objects, one request each, %d workers (--max-concurrent-syncs × --sync-write-workers), unthrottled | %s | |\n",
			m.FloorWorkers, rate(m.Floor.CPU.Wall, m.Floor.Objects))
	}
	fmt.Fprintf(b, "| **All Ready**: %d Directories created → every one Ready=True with its users | %s | |\n", m.Directories, rate(m.Initial.Wall, m.Objects))
	if m.Floor.Objects > 0 {
		fmt.Fprintf(b, "| All Ready ÷ floor | %s | |\n", ratio(m.Initial.Wall, m.Floor.CPU.Wall))
	}
	fmt.Fprintf(b, "| All Ready: writes; the manager's requests | %s; %s | |\n", writesCell(m.Initial.Writes), mapCell(m.Initial.RestMethods))
	peak := float64(m.HWM) / 1024
	fmt.Fprintf(b, "| **Manager memory**: idle VmRSS / VmHWM once all were Ready / peak VmHWM (through the no-op cycle and the fairness part at --max-concurrent-syncs=%d) | %.1f / %.1f / %.1f MiB | ≤ %d MiB |\n",
		m.Syncs, float64(m.Idle.RSS)/1024, float64(m.ReadyHWM)/1024, peak, targetManyRSSMiB)
	fmt.Fprintf(b, "| Per user: (peak − idle RSS) ÷ users | %.2f KiB | |\n", float64(m.HWM-m.Idle.RSS)/float64(users))
	fmt.Fprintf(b, "| **No-op cycle**: every Directory annotated → every one answered | %s | |\n", secs(m.Noop.Wall))
	fmt.Fprintf(b, "| No-op cycle: child writes (dirsync_object_writes_total) | %d | 0 |\n", int(sumMap(m.Noop.Writes)))
	fmt.Fprintf(b, "| No-op cycle: Directory status patches (the API server's PATCH directories/status) | %.0f (%.2f per Directory) | ≤ 1 per Directory |\n",
		m.Noop.CPU.API.Requests["PATCH directories/status"], m.Noop.CPU.API.Requests["PATCH directories/status"]/float64(m.Directories))
	fmt.Fprintf(b, "| No-op cycle: the manager's requests by method/code; the API server's dirsync.io requests | %s; %s | |\n",
		mapCell(m.Noop.RestMethods), mapCell(m.Noop.CPU.API.Requests))
	b.WriteString("\n")
	renderFairness(b, m)
	fmt.Fprintf(b, "| Phase | Wall | %s | other | steal | busy |\n|---|---:|%s---:|---:|---:|\n", strings.Join(cpuColumns, " | "), strings.Repeat("---:|", len(cpuColumns)))
	for _, p := range []struct {
		name string
		u    cpuUse
	}{{"floor", m.Floor.CPU}, {"all Ready", m.Initial.CPU}, {"no-op cycle", m.Noop.CPU}} {
		var row strings.Builder
		cpuRow(&row, p.name, "", p.u)
		b.WriteString(strings.Replace(row.String(), "|  | ", "| ", 1))
	}
	b.WriteString("\n")
}

// renderFairness writes the fairness table of the many phase.
func renderFairness(b *strings.Builder, m *manyRun) {
	if len(m.Fairness) == 0 {
		return
	}
	f0 := m.Fairness[0]
	fmt.Fprintf(b, "**Fairness**: every Directory's syncInterval set to %s and a sync of all forced, then %d of them pointed (through their Secrets) at API keys "+
		"whose every request hangs until the provider request timeout (--provider-request-timeout %s): each holds a sync worker that long per attempt, "+
		"and retries at once (its backoff, 30 s then 1 m, is shorter than the hang). For %s the bench watches the other %d Directories' scheduled syncs: "+
		"the delay is from the due time (status.nextSyncTime) to the watch event showing the sync done; *start* is to status.lastSyncTime. "+
		"Both status times have a resolution of 1 s.\n\n", f0.Interval, f0.Hanging, f0.ProviderTimeout, f0.Window, f0.Others)
	fmt.Fprintf(b, "| --max-concurrent-syncs | scheduled syncs of the others | delay p50 / p99 / max | start delay max | due, not synced at the end | hanging: attempts ended; Ready reason |\n|---:|---:|---|---:|---|---|\n")
	for _, f := range m.Fairness {
		pending := "none"
		if f.Pending > 0 {
			pending = fmt.Sprintf("%d (waiting %s so far)", f.Pending, secs(f.PendingFor))
		}
		fmt.Fprintf(b, "| %d | %d | %s / %s / **%s** | %s | %s | %d; %s |\n", f.Syncs, len(f.Done), secs(percentile(f.Done, 50)), secs(percentile(f.Done, 99)),
			secs(percentile(f.Done, 100)), secs(percentile(f.Started, 100)), pending, f.HangingAttempts, f.HangingReason)
	}
	b.WriteString("\n")
}

// worstDelay is a fairness run's worst delay, counting the ones still waiting at the end.
func (f fairnessResult) worstDelay() time.Duration {
	return max(percentile(f.Done, 100), f.PendingFor)
}

func manyTargets(b *strings.Builder, m *manyRun) {
	n := fmt.Sprintf("%d × %d", m.Directories, m.Users)
	if m.Floor.Objects > 0 {
		fmt.Fprintf(b, "| Many (%s): time until every Directory is Ready, ÷ the one-request floor (report) | %s, %s | reported |\n",
			n, secs(m.Initial.Wall), ratio(m.Initial.Wall, m.Floor.CPU.Wall))
	}
	peak := float64(m.HWM) / 1024
	check(b, fmt.Sprintf("Many (%s): manager peak RSS ≤ %d MiB", n, targetManyRSSMiB), fmt.Sprintf("%.1f MiB", peak), peak <= targetManyRSSMiB)
	patches := m.Noop.CPU.API.Requests["PATCH directories/status"]
	writes := int(sumMap(m.Noop.Writes))
	check(b, fmt.Sprintf("Many (%s): no-op cycle: 0 child writes, ≤ 1 status patch per Directory", n),
		fmt.Sprintf("%d child writes, %.0f status patches for %d Directories", writes, patches, m.Directories), writes == 0 && patches <= float64(m.Directories))
	for i, f := range m.Fairness {
		label := "the default"
		if i > 0 {
			label = "for comparison"
		}
		fmt.Fprintf(b, "| Many: fairness, %d hanging Directories, --max-concurrent-syncs=%d (%s): the others' worst delay (report) | %s over %d scheduled syncs (syncInterval %s)%s | reported |\n",
			f.Hanging, f.Syncs, label, secs(f.worstDelay()), len(f.Done), f.Interval, pendingNote(f))
	}
}

func pendingNote(f fairnessResult) string {
	if f.Pending == 0 {
		return ""
	}
	return fmt.Sprintf("; %d still waiting at the end", f.Pending)
}

// renderDefaults writes the defaults phase's section.
func renderDefaults(b *strings.Builder, d *defaultsRun) {
	fmt.Fprintf(b, "## Client limits on a shared cluster (defaults phase)\n\n%s The manager runs as its ServiceAccount, so the API server's "+
		"priority and fairness (APF) classifies its requests as FlowSchema service-accounts → priority level workload-low (nominal limit here: %.0f seats), "+
		"one flow for the manager. Meanwhile another ServiceAccount — another tenant of workload-low — GETs a ConfigMap at a fixed rate (open loop); "+
		"*idle* is its latency in the %s before the sync. The APF columns are the API server's own: "+
		"apiserver_flowcontrol_rejected_requests_total, apiserver_flowcontrol_request_wait_duration_seconds (workload-low's requests that waited in a queue more than 5 ms, and the p99 wait of all of them), "+
		"and workload-low's waiting and executing requests from /debug/api_priority_and_fairness/dump_priority_levels, sampled every 250 ms. "+
		"*Other CPU* is what the rest of the machine (other users' work) took meanwhile, in cores; ⚠ marks more than 10%% of the machine. "+
		"*Create p99* is the API server's latency of the manager's DirectoryUser creates (apiserver_request_duration_seconds). The manager's defaults now: --kube-api-qps/--kube-api-burst %s. "+
		"This control plane is not a real cluster: one 2-core machine runs etcd, the API server, the manager, the fake and the probe, so latencies include their contention.\n\n",
		runLine(d.Run), d.Seats, "probe-idle window", d.Defaults)
	fmt.Fprintf(b, "| --kube-api-qps / burst | --max-concurrent-syncs | Directories × users | first sync | manager's requests (per s) | create p99 | "+
		"APF rejected | APF waited > 5 ms (wait p99) | workload-low max waiting / executing | probe p50 / p99 / max (idle p99) | kube-apiserver CPU | other CPU |\n"+
		"|---|---:|---|---:|---:|---:|---:|---:|---:|---|---:|---:|\n")
	for _, r := range d.Runs {
		limits := r.Limits.String()
		switch {
		case r.Limits.QPS == 0:
			limits = fmt.Sprintf("**defaults (%s)**", d.Defaults)
		case r.Limits == d.Defaults:
			limits = fmt.Sprintf("**%s (the defaults)**", limits)
		}
		syncs := "default"
		if r.Syncs > 0 {
			syncs = fmt.Sprint(r.Syncs)
		}
		apfWait := fmt.Sprintf("%.0f (%s)", r.APF.WaitCount, msecs(r.APF.WaitP99))
		samples := fmt.Sprintf("%d / %d", r.APF.MaxWaiting, r.APF.MaxExecuting)
		if !r.APF.DumpAvailable {
			samples = "—"
		}
		other := fmt.Sprintf("%.2f cores", (r.CPU.Other+r.CPU.Steal)/r.CPU.Wall.Seconds())
		if r.CPU.contaminated() {
			other += " ⚠"
		}
		fmt.Fprintf(b, "| %s | %s | %d × %s | %s | %s (%.0f) | %s | %.0f | %s | %s | %s / %s / %s (%s) | %.2f cores | %s |\n",
			limits, syncs, r.Directories, thousands(r.Users/max(r.Directories, 1)), minsecs(r.Wall), thousands(int(r.Requests)), r.Requests/r.Wall.Seconds(),
			msecs(r.WriteP99), sumMap(r.APF.Rejected), apfWait, samples,
			msecs(r.Probe.P50), msecs(r.Probe.P99), msecs(r.Probe.Max), msecs(r.ProbeIdle.P99), r.CPU.Secs["kube-apiserver"]/r.CPU.Wall.Seconds(), other)
	}
	b.WriteString("\n")
}

func defaultsTargets(b *strings.Builder, d *defaultsRun) {
	for _, r := range d.Runs {
		if (r.Limits.QPS != 0 && r.Limits != d.Defaults) || r.Directories != 1 {
			continue
		}
		ok := sumMap(r.APF.Rejected) == 0 && r.Probe.P99 <= targetProbeP99 && r.Wall <= targetFirstSyncMins*time.Minute
		check(b, fmt.Sprintf("Defaults (%s): first sync of %s users in a few minutes (≤ %d min), no APF rejections, the other tenant's p99 ≤ %s (the Kubernetes API call latency SLO)",
			d.Defaults, thousands(r.Users), targetFirstSyncMins, targetProbeP99),
			fmt.Sprintf("%s; %.0f rejected; probe p99 %s (idle %s)", minsecs(r.Wall), sumMap(r.APF.Rejected), msecs(r.Probe.P99), msecs(r.ProbeIdle.P99)), ok)
	}
}

func msecs(d time.Duration) string {
	if d < time.Second {
		return fmt.Sprintf("%.0f ms", float64(d.Microseconds())/1000)
	}
	return secs(d)
}

// minsecs is a duration as seconds, with minutes when long.
func minsecs(d time.Duration) string {
	if d < 2*time.Minute {
		return secs(d)
	}
	return fmt.Sprintf("%s (%.1f min)", secs(d), d.Minutes())
}
