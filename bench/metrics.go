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
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"
)

// series is one Prometheus sample: its labels and value.
type series struct {
	name   string
	labels map[string]string
	value  float64
}

// scrape is a parsed Prometheus text exposition.
type scrape []series

func parseMetrics(body []byte) scrape {
	var out scrape
	sc := bufio.NewScanner(bytes.NewReader(body))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || line[0] == '#' {
			continue
		}
		sp := strings.LastIndexByte(line, ' ')
		if sp < 0 {
			continue
		}
		v, err := strconv.ParseFloat(line[sp+1:], 64)
		if err != nil {
			continue
		}
		head := line[:sp]
		s := series{value: v, labels: map[string]string{}}
		if i := strings.IndexByte(head, '{'); i >= 0 {
			s.name = head[:i]
			s.labels = parseLabels(strings.TrimSuffix(head[i+1:], "}"))
		} else {
			s.name = head
		}
		out = append(out, s)
	}
	return out
}

// parseLabels parses `a="x",b="y"` with \" and \\ escapes.
func parseLabels(s string) map[string]string {
	m := map[string]string{}
	for len(s) > 0 {
		eq := strings.IndexByte(s, '=')
		if eq < 0 || eq+1 >= len(s) || s[eq+1] != '"' {
			return m
		}
		key := strings.TrimSpace(strings.TrimPrefix(s[:eq], ","))
		var val strings.Builder
		i := eq + 2
		for ; i < len(s) && s[i] != '"'; i++ {
			if s[i] == '\\' && i+1 < len(s) {
				i++
			}
			val.WriteByte(s[i])
		}
		m[key] = val.String()
		s = strings.TrimPrefix(s[min(i+1, len(s)):], ",")
	}
	return m
}

// sum adds the samples of name whose labels include want.
func (sc scrape) sum(name string, want map[string]string) float64 {
	var t float64
	for _, s := range sc {
		if s.name != name || !matches(s.labels, want) {
			continue
		}
		t += s.value
	}
	return t
}

// by sums the samples of name grouped by the values of the labels keys (joined with "/").
func (sc scrape) by(name string, keys ...string) map[string]float64 {
	out := map[string]float64{}
	for _, s := range sc {
		if s.name != name {
			continue
		}
		parts := make([]string, len(keys))
		for i, k := range keys {
			parts[i] = s.labels[k]
		}
		out[strings.Join(parts, "/")] += s.value
	}
	return out
}

func matches(labels, want map[string]string) bool {
	for k, v := range want {
		if labels[k] != v {
			return false
		}
	}
	return true
}

// delta is after minus before, per key, dropping zeros.
func delta(before, after map[string]float64) map[string]float64 {
	out := map[string]float64{}
	for k, v := range after {
		if d := v - before[k]; d != 0 {
			out[k] = d
		}
	}
	return out
}

// syncLine is the manager's "Synced Directory" log line.
type syncLine struct {
	Trigger          string
	Duration         time.Duration
	Created, Updated int
	Deleted          int
	Unchanged        int
	Users, Groups    int
	ProviderRequests int
	ProviderBytes    int64
}

// syncLines reads every "Synced Directory" line of the manager's JSON log.
func syncLines(path string) ([]syncLine, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var out []syncLine
	for _, line := range bytes.Split(b, []byte("\n")) {
		if !bytes.Contains(line, []byte(`"Synced Directory"`)) {
			continue
		}
		var raw map[string]any
		if json.Unmarshal(line, &raw) != nil || raw["msg"] != "Synced Directory" {
			continue
		}
		out = append(out, syncLine{
			Trigger:          fmt.Sprint(raw["trigger"]),
			Duration:         jsonDuration(raw["duration"]),
			Created:          int(num(raw["created"])),
			Updated:          int(num(raw["updated"])),
			Deleted:          int(num(raw["deleted"])),
			Unchanged:        int(num(raw["unchanged"])),
			Users:            int(num(raw["users"])),
			Groups:           int(num(raw["groups"])),
			ProviderRequests: int(num(raw["providerRequests"])),
			ProviderBytes:    int64(num(raw["providerBytes"])),
		})
	}
	return out, nil
}

func num(v any) float64 {
	f, _ := v.(float64)
	return f
}

// jsonDuration reads zap's duration encodings: seconds as a number, or a Go duration string.
func jsonDuration(v any) time.Duration {
	switch t := v.(type) {
	case float64:
		return time.Duration(t * float64(time.Second))
	case string:
		d, _ := time.ParseDuration(t)
		return d
	}
	return 0
}

// hist is a Prometheus histogram's change between two scrapes: cumulative bucket counts by upper bound.
type hist struct {
	bounds     []float64 // sorted upper bounds, +Inf last
	cumulative []float64
	count, sum float64
}

// histDelta is histogram name's change from a to b, summed over the series whose labels include want.
func histDelta(a, b scrape, name string, want map[string]string) hist {
	buckets := func(sc scrape) map[float64]float64 {
		m := map[float64]float64{}
		for _, s := range sc {
			if s.name != name+"_bucket" || !matches(s.labels, want) {
				continue
			}
			le, err := strconv.ParseFloat(s.labels["le"], 64)
			if err == nil {
				m[le] += s.value
			}
		}
		return m
	}
	ba, bb := buckets(a), buckets(b)
	h := hist{count: b.sum(name+"_count", want) - a.sum(name+"_count", want), sum: b.sum(name+"_sum", want) - a.sum(name+"_sum", want)}
	for le := range bb {
		h.bounds = append(h.bounds, le)
	}
	slices.Sort(h.bounds)
	for _, le := range h.bounds {
		h.cumulative = append(h.cumulative, bb[le]-ba[le])
	}
	return h
}

// quantile is the upper bound of the bucket that holds quantile q (0 when empty; the largest finite
// bound when it falls in +Inf).
func (h hist) quantile(q float64) time.Duration {
	if len(h.cumulative) == 0 || h.cumulative[len(h.cumulative)-1] == 0 {
		return 0
	}
	total := h.cumulative[len(h.cumulative)-1]
	for i, c := range h.cumulative {
		if c >= q*total {
			le := h.bounds[i]
			if math.IsInf(le, 1) && i > 0 {
				le = h.bounds[i-1]
			}
			return time.Duration(le * float64(time.Second))
		}
	}
	return 0
}

// countAbove is how many observations exceeded bound le (a bucket bound).
func (h hist) countAbove(le float64) float64 {
	if len(h.cumulative) == 0 {
		return 0
	}
	total := h.cumulative[len(h.cumulative)-1]
	for i, b := range h.bounds {
		if b == le {
			return total - h.cumulative[i]
		}
	}
	return total
}
