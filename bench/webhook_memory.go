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
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	dirsyncv1alpha1 "github.com/dirsync/dirsync/api/v1alpha1"
	"github.com/dirsync/dirsync/test/utils"
)

// memSample is a manager's idle memory: VmRSS and VmHWM (KiB), and the live heap after a forced
// collection (bytes, runtime.MemStats.HeapAlloc through pprof's /debug/pprof/heap?gc=1).
type memSample struct {
	RSS, HWM int64
	Heap     int64
}

// webhookMemory compares a fresh, idle manager over the same suspended Directories three ways: the
// webhook off; on (each Directory with its token Secret, path and condition; the receiver indexing the
// paths); and on with the receiver off (--receiver-bind-address=0), which leaves the receiver's own share.
type webhookMemory struct {
	Directories           int
	Off, On, OnNoReceiver memSample
}

// perDirectory is (a − b) ÷ Directories, in bytes, for the heap and (from KiB) RSS.
func (m webhookMemory) perDirectory(a, b memSample) (heap, rss float64) {
	n := float64(max(m.Directories, 1))
	return float64(a.Heap-b.Heap) / n, float64(a.RSS-b.RSS) * 1024 / n
}

// measureWebhookMemory creates n suspended Access People HR Directories (no provider calls, no
// children), measures an idle manager with their webhook off, turns it on (a manager makes the token
// Secrets and paths), and measures a fresh manager with the receiver on, then off.
func measureWebhookMemory(ctx context.Context, c *cluster, n int) (webhookMemory, error) {
	m := webhookMemory{Directories: n}
	suspended := true
	for i := range n {
		d := peoplehrDirectory(nsWebhookMemory, c.peoplehrURL)
		d.Name, d.Spec.Suspend, d.Spec.Webhook = fmt.Sprintf("mem-%04d", i), &suspended, nil
		if err := c.cl.Create(ctx, d); err != nil {
			return m, err
		}
	}
	var err error
	if m.Off, err = c.idleManager(ctx, "memory-off", n); err != nil {
		return m, err
	}
	var dirs dirsyncv1alpha1.DirectoryList
	if err := c.cl.List(ctx, &dirs, client.InNamespace(nsWebhookMemory)); err != nil {
		return m, err
	}
	for i := range dirs.Items {
		patch := []byte(`{"spec":{"webhook":{"enabled":true}}}`)
		if err := c.cl.Patch(ctx, &dirs.Items[i], client.RawPatch(types.MergePatchType, patch)); err != nil {
			return m, err
		}
	}
	if err := c.enableWebhooks(ctx, n); err != nil {
		return m, err
	}
	if m.On, err = c.idleManager(ctx, "memory-on", n); err != nil {
		return m, err
	}
	if m.OnNoReceiver, err = c.idleManager(ctx, "memory-on-no-receiver", n, "--receiver-bind-address=0"); err != nil {
		return m, err
	}
	heap, rss := m.perDirectory(m.On, m.Off)
	logf("webhook: memory per Directory with the webhook on: %.0f B of live heap, %.0f B of RSS (receiver alone: %.0f B of heap)",
		heap, rss, func() float64 { h, _ := m.perDirectory(m.On, m.OnNoReceiver); return h }())
	return m, c.cl.DeleteAllOf(ctx, &dirsyncv1alpha1.Directory{}, client.InNamespace(nsWebhookMemory))
}

// enableWebhooks runs a manager until every Directory of the memory namespace has its path.
func (c *cluster) enableWebhooks(ctx context.Context, n int) error {
	if err := c.startManager(ctx, managerRun{label: "memory-enable", kubeconfig: c.kubeconfig}); err != nil {
		return err
	}
	defer c.stopManager()
	return poll(ctx, 5*time.Minute, func() (bool, error) {
		var dirs dirsyncv1alpha1.DirectoryList
		if err := c.cl.List(ctx, &dirs, client.InNamespace(nsWebhookMemory)); err != nil {
			return false, nil
		}
		paths := 0
		for _, d := range dirs.Items {
			if d.Status.Webhook != nil && d.Status.Webhook.Path != "" {
				paths++
			}
		}
		return paths == n, nil
	})
}

// idleManager starts a manager (as the operator, with the given flags and pprof), waits until its
// Directory controller has reconciled every one of the n Directories and the control plane is quiet,
// and samples its memory; then stops it.
func (c *cluster) idleManager(ctx context.Context, label string, n int, args ...string) (memSample, error) {
	ports, err := utils.FreePorts(1)
	if err != nil {
		return memSample{}, err
	}
	pprof := fmt.Sprintf("127.0.0.1:%d", ports[0])
	if err := c.startManager(ctx, managerRun{label: label, kubeconfig: c.kubeconfig,
		args: append([]string{"--pprof-bind-address=" + pprof}, args...)}); err != nil {
		return memSample{}, err
	}
	defer c.stopManager()
	if err := poll(ctx, 5*time.Minute, func() (bool, error) {
		sc, err := c.managerMetrics(ctx, "")
		return err == nil && sc.sum("controller_runtime_reconcile_total", map[string]string{"controller": "directory"}) >= float64(n), nil
	}); err != nil {
		return memSample{}, fmt.Errorf("%s: the manager did not reconcile %d Directories: %w", label, n, err)
	}
	c.quiesce(ctx)
	var s memSample
	if s.Heap, err = liveHeap(ctx, "http://"+pprof); err != nil {
		return s, err
	}
	s.HWM, s.RSS = memKiB(c.manager.Pid())
	logf("webhook: %s: live heap %s, VmRSS %.1f MiB", label, mib(s.Heap), float64(s.RSS)/1024)
	return s, nil
}

// liveHeap forces a collection through pprof's heap endpoint and reads HeapAlloc from its MemStats.
func liveHeap(ctx context.Context, base string) (int64, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"/debug/pprof/heap?gc=1&debug=1", nil)
	if err != nil {
		return 0, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err
	}
	defer func() { _ = resp.Body.Close() }()
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "# HeapAlloc = "); ok {
			return strconv.ParseInt(strings.TrimSpace(v), 10, 64)
		}
	}
	if err := sc.Err(); err != nil {
		return 0, fmt.Errorf("reading %s/debug/pprof/heap: %w", base, err)
	}
	return 0, fmt.Errorf("no HeapAlloc in %s/debug/pprof/heap", base)
}

// webhookTargets are the phase's rows of the targets table.
func webhookTargets(b *strings.Builder, r *webhookRun) {
	p99 := percentile(r.Latencies, 99)
	check(b, "Webhook POST → leaver Inactive and unbound everywhere, p99 ≤ 5 s", fmt.Sprintf("p99 %s over %d leavers of %s employees",
		secs(p99), len(r.Latencies), thousands(r.Employees)), p99 <= targetLatency && len(r.Latencies) > 0)
	f := r.Flood
	check(b, fmt.Sprintf("%s webhook hints in %s → ≤ %d syncs, 0 errors", thousands(f.Hints), f.Window, targetHintSyncs),
		fmt.Sprintf("%d syncs, %d errors", f.Syncs, f.errors()), f.Syncs <= targetHintSyncs && f.errors() == 0)
}

// renderWebhook writes the phase's section of the report.
func renderWebhook(b *strings.Builder, r *webhookRun) {
	if r == nil {
		return
	}
	fmt.Fprintf(b, "## Webhook receiver\n\n%s One Access People HR Directory of %s employees with `spec.webhook.enabled`; the fake (its listener "+
		"set to the receiver's URL, as People HR's Settings › API holds one) marks a leaver and posts People HR's \"Marked Leaver\" packet "+
		"(`POST /admin/leaver`). Two DirectoryAccesses bind its people: every department to `view` (%s subjects), five departments to `edit` "+
		"(%s subjects). The latency runs from the fake's admin call (which marks the leaver, then posts) until the DirectoryUser is Inactive "+
		"and the subject is gone from both RoleBindings, all seen as watch events; it includes the provider read of all %s employees, and "+
		"the DirectoryAccess controller's 1 s settle. Leavers come %s apart (the hints' spacing).\n\n| | measured | target |\n|---|---|---|\n",
		runLine(r.Run), thousands(r.Employees), subjectsCell(r.Subjects, 0), subjectsCell(r.Subjects, 1), thousands(r.Employees), hintSpacing+time.Second)
	p99 := percentile(r.Latencies, 99)
	check(b, fmt.Sprintf("Leaver: webhook POST → Inactive and gone from every binding, p99 of %d", len(r.Latencies)),
		fmt.Sprintf("p50 %s, p99 %s, max %s", secs(percentile(r.Latencies, 50)), secs(p99), secs(percentile(r.Latencies, 100))),
		p99 <= targetLatency && len(r.Latencies) > 0)
	fmt.Fprintf(b, "| Leaver: webhook POST → DirectoryUser Inactive | p50 %s, p99 %s | |\n", secs(percentile(r.UserLatencies, 50)), secs(percentile(r.UserLatencies, 99)))
	f := r.Flood
	check(b, fmt.Sprintf("%s hints in %s → syncs; failed requests", thousands(f.Hints), f.Window),
		fmt.Sprintf("%d syncs (one provider request each), %d errors (answers %s); %.0f sync requests written; the follow-up answered %s after the first hint",
			f.Syncs, f.errors(), codesCell(f.Codes), f.Writes, secs(f.Answered)), f.Syncs <= targetHintSyncs && f.errors() == 0)
	m := r.Memory
	heap, rss := m.perDirectory(m.On, m.Off)
	rheap, _ := m.perDirectory(m.On, m.OnNoReceiver)
	fmt.Fprintf(b, "| Idle manager, %d suspended Directories: webhook off / on / on without the receiver | live heap %s / %s / %s; VmRSS %.1f / %.1f / %.1f MiB | |\n",
		m.Directories, mib(m.Off.Heap), mib(m.On.Heap), mib(m.OnNoReceiver.Heap), float64(m.Off.RSS)/1024, float64(m.On.RSS)/1024, float64(m.OnNoReceiver.RSS)/1024)
	fmt.Fprintf(b, "| Memory per Directory with the webhook on (its token Secret's metadata, status.webhook, the condition, the receiver's index) | "+
		"%.0f B of live heap (%.0f B of RSS); the receiver's own share %.0f B | no measurable cost beyond its token |\n\n", heap, rss, rheap)
}

func subjectsCell(s []int, i int) string {
	if i < len(s) {
		return thousands(s[i])
	}
	return "—"
}

func codesCell(codes map[int]int) string {
	m := make(map[string]float64, len(codes))
	for c, n := range codes {
		m["HTTP "+strconv.Itoa(c)] = float64(n)
	}
	return mapCell(m)
}
