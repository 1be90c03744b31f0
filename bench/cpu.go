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
	"fmt"
	"os"
	"runtime"
	"strings"
	"time"
)

// Processes whose CPU time each phase accounts for.
var cpuColumns = []string{"kube-apiserver", "etcd", "kube-controller-manager", "manager", "fakehr", "client"}

// cpuSnap is the CPU time of the bench's processes and of the whole machine at one moment.
type cpuSnap struct {
	at          time.Time
	ticks       map[string]int64
	busy, steal int64
}

// cpuUse is where a phase's CPU time went, in seconds. "client" is the bench itself (the floor's
// writer) or kubectl (the peer); "other" is everything else on the machine (other users' work),
// which skews the times when large.
type cpuUse struct {
	Wall  time.Duration
	Secs  map[string]float64
	Other float64
	Busy  float64
	Steal float64
	API   apiDelta
}

func (c *cluster) snapCPU() cpuSnap {
	s := cpuSnap{at: time.Now(), ticks: map[string]int64{}}
	s.busy, s.steal = systemTicks()
	for name, pid := range c.pids {
		s.ticks[name] = cpuTicks(pid)
	}
	if c.manager != nil && !c.manager.Exited() {
		s.ticks["manager"] = cpuTicks(c.manager.Pid())
	}
	if c.fake != nil && !c.fake.Exited() {
		s.ticks["fakehr"] = cpuTicks(c.fake.Pid())
	}
	if c.fleet != nil && !c.fleet.proc.Exited() {
		s.ticks["fakehr"] += cpuTicks(c.fleet.proc.Pid())
	}
	s.ticks["client"] = cpuTicks(os.Getpid())
	return s
}

// cpuSince is the CPU used from a to b; extraClient is CPU of a client process that ran and exited
// in between (kubectl), which /proc no longer shows.
func cpuSince(a, b cpuSnap, extraClient time.Duration) cpuUse {
	u := cpuUse{Wall: b.at.Sub(a.at), Secs: map[string]float64{}, Busy: float64(b.busy-a.busy) / clockTicks,
		Steal: float64(b.steal-a.steal) / clockTicks}
	known := 0.0
	for name, t := range b.ticks {
		s := float64(t-a.ticks[name]) / clockTicks
		u.Secs[name] = s
		known += s
	}
	u.Secs["client"] += extraClient.Seconds()
	known += extraClient.Seconds()
	u.Other = max(0, u.Busy-known)
	return u
}

// utilization is the share of the machine's CPU the phase used, all processes included.
func (u cpuUse) utilization() float64 {
	if u.Wall <= 0 {
		return 0
	}
	return u.Busy / (u.Wall.Seconds() * float64(runtime.NumCPU()))
}

// contaminated reports whether other processes (or the hypervisor's other guests, as steal) took
// more than 10% of the machine during the phase.
func (u cpuUse) contaminated() bool {
	return u.Wall > 0 && u.Other+u.Steal > 0.1*u.Wall.Seconds()*float64(runtime.NumCPU())
}

// apiDelta is what the API server itself counted during a phase, for dirsync.io resources.
type apiDelta struct {
	Requests    map[string]float64 // apiserver_request_total by "VERB resource[/subresource]"
	WatchEvents float64            // apiserver_watch_events_total: events sent to watchers
	WatchBytes  float64            // apiserver_watch_events_sizes_sum
	Compactions float64            // etcd compactions (etcd_debugging_mvcc_db_compaction_total_duration_milliseconds_count)
}

// mark is the start of a measured phase.
type mark struct {
	phase string
	cpu   cpuSnap
	api   scrape
	etcd  scrape
}

// begin scrapes the API server's metrics, then snapshots CPU times (so the scrape is outside the phase).
func (c *cluster) begin(ctx context.Context, phase string) mark {
	phase = fmt.Sprintf("n%d-%s", c.n, phase)
	api, err := c.apiMetrics(ctx, phase+"-apiserver-begin")
	if err != nil {
		logf("scraping the API server's metrics: %v", err)
	}
	etcd, _ := c.etcdMetrics(ctx, phase+"-etcd-begin")
	return mark{phase: phase, api: api, etcd: etcd, cpu: c.snapCPU()}
}

// end snapshots CPU times, then scrapes the API server's metrics.
func (c *cluster) end(ctx context.Context, m mark, extraClient time.Duration) cpuUse {
	u, _ := c.endWith(ctx, m, extraClient)
	return u
}

// endScrape is end that also returns the API server's metrics at the end.
func (c *cluster) endScrape(ctx context.Context, m mark) (cpuUse, scrape) {
	return c.endWith(ctx, m, 0)
}

func (c *cluster) endWith(ctx context.Context, m mark, extraClient time.Duration) (cpuUse, scrape) {
	u := cpuSince(m.cpu, c.snapCPU(), extraClient)
	api, err := c.apiMetrics(ctx, m.phase+"-apiserver-end")
	if err != nil {
		logf("scraping the API server's metrics: %v", err)
	}
	u.API = apiSince(m.api, api)
	etcd, _ := c.etcdMetrics(ctx, m.phase+"-etcd-end")
	const compactions = "etcd_debugging_mvcc_db_compaction_total_duration_milliseconds_count"
	u.API.Compactions = etcd.sum(compactions, nil) - m.etcd.sum(compactions, nil)
	return u, api
}

func isDirsync(l map[string]string) bool {
	return l["group"] == "dirsync.io" || strings.Contains(l["kind"], "dirsync.io")
}

func apiSince(a, b scrape) apiDelta {
	d := apiDelta{Requests: map[string]float64{}}
	sum := func(sc scrape, name string) float64 {
		t := 0.0
		for _, s := range sc {
			if s.name == name && isDirsync(s.labels) {
				t += s.value
			}
		}
		return t
	}
	d.WatchEvents = sum(b, "apiserver_watch_events_total") - sum(a, "apiserver_watch_events_total")
	d.WatchBytes = sum(b, "apiserver_watch_events_sizes_sum") - sum(a, "apiserver_watch_events_sizes_sum")
	reqs := func(sc scrape) map[string]float64 {
		m := map[string]float64{}
		for _, s := range sc {
			if s.name != "apiserver_request_total" || !isDirsync(s.labels) {
				continue
			}
			k := s.labels["verb"] + " " + s.labels["resource"]
			if sub := s.labels["subresource"]; sub != "" {
				k += "/" + sub
			}
			m[k] += s.value
		}
		return m
	}
	d.Requests = delta(reqs(a), reqs(b))
	return d
}
