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
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"

	dirsyncv1alpha1 "github.com/dirsync/dirsync/api/v1alpha1"
	"github.com/dirsync/dirsync/controllers"
	"github.com/dirsync/dirsync/internal/provider"
)

const (
	nsFloor        = "bench-floor"
	nsFloorWatched = "bench-floor-watched"
	nsPeer         = "bench-peer"
	nsSync         = "bench-sync"
)

// writeResult is a phase that writes N objects from outside the operator (floor, peer).
type writeResult struct {
	Objects  int
	Requests int
	Errors   int64
	CPU      cpuUse
}

// syncResult is one sync of the operator.
type syncResult struct {
	Wall         time.Duration      // from the write that triggers it to the status that ends it
	Log          syncLine           // the manager's "Synced Directory" line
	Provider     providerTime       // the provider's share, timed by the proxy in front of the fake
	FakeRequests int                // requests the fake answered meanwhile
	Writes       map[string]float64 // dirsync_object_writes_total delta by kind/verb
	RestMethods  map[string]float64 // rest_client_requests_total delta by method
	CPU          cpuUse
}

// writes sums Writes over every kind and verb.
func (s syncResult) writes() int {
	t := 0.0
	for _, v := range s.Writes {
		t += v
	}
	return int(t)
}

// floor creates the operator's N users and its groups with a bare, unthrottled controller-runtime client,
// as the operator's ServiceAccount: one create per object carrying its status (the operator's one write
// per object), by cfg.workers workers — the operator's writes, without the operator. With watched, an
// informer with the manager's cache options watches the namespace meanwhile (in the bench process), as
// the manager's own cache watches what it writes.
func (c *cluster) floor(ctx context.Context, snap *provider.Snapshot, watched bool) (writeResult, error) {
	ns := nsFloor
	if watched {
		ns = nsFloorWatched
	}
	if err := c.ensureNamespace(ctx, ns); err != nil {
		return writeResult{}, err
	}
	owner := benchDirectory(ns, "http://127.0.0.1:1/v1", true)
	if err := c.cl.Create(ctx, owner); err != nil {
		return writeResult{}, err
	}
	objs := floorObjects(ns, dirName, owner, snap)
	w, err := c.writer()
	if err != nil {
		return writeResult{}, err
	}
	if watched {
		stop, err := c.startInformer(ctx, ns)
		if err != nil {
			return writeResult{}, err
		}
		defer stop()
	}
	c.quiesce(ctx)
	logf("N=%d: floor (watched=%t): %d creates (users and groups, status included), %d workers, unthrottled", c.n, watched, len(objs), c.cfg.workers)
	phase := "floor"
	if watched {
		phase = "floor-watched"
	}
	a := c.begin(ctx, phase)
	errs, first := writeAll(ctx, w, objs, c.cfg.workers)
	res := writeResult{Objects: len(objs), Requests: len(objs), Errors: errs, CPU: c.end(ctx, a, 0)}
	if first != nil {
		return res, fmt.Errorf("floor: %d writes failed, first: %w", res.Errors, first)
	}
	logf("N=%d: floor (watched=%t): %s", c.n, watched, res.CPU.Wall.Round(time.Millisecond))
	return res, nil
}

// floorObjects are the objects the operator would create for snap, users first.
func floorObjects(ns, dir string, owner *dirsyncv1alpha1.Directory, snap *provider.Snapshot) []client.Object {
	users, groups := benchObjects(ns, dir, owner, snap)
	objs := make([]client.Object, 0, len(users)+len(groups))
	for _, u := range users {
		objs = append(objs, u)
	}
	for _, g := range groups {
		objs = append(objs, g)
	}
	return objs
}

// startInformer runs a DirectoryUser informer on ns with the manager's cache options and waits
// until it has synced; stop ends it.
func (c *cluster) startInformer(ctx context.Context, ns string) (stop func(), err error) {
	opts := controllers.CacheOptions([]string{ns})
	opts.Scheme = scheme
	ca, err := cache.New(rest.CopyConfig(c.rest), opts)
	if err != nil {
		return nil, err
	}
	ictx, cancel := context.WithCancel(ctx)
	if _, err := ca.GetInformer(ictx, &dirsyncv1alpha1.DirectoryUser{}); err != nil {
		cancel()
		return nil, err
	}
	go func() { _ = ca.Start(ictx) }()
	if !ca.WaitForCacheSync(ictx) {
		cancel()
		return nil, fmt.Errorf("the informer on %s did not sync", ns)
	}
	return cancel, nil
}

// writeAll creates every object, one request each, with workers in parallel.
func writeAll(ctx context.Context, w client.Client, objs []client.Object, workers int) (int64, error) {
	work := make(chan client.Object)
	go func() {
		defer close(work)
		for _, o := range objs {
			select {
			case work <- o:
			case <-ctx.Done():
				return
			}
		}
	}()
	return createAll(ctx, w, work, workers)
}

// createAll creates every object read from work (until it is closed), one request each, with workers
// in parallel: the one-request floor (DirectoryUser and DirectoryGroup have no status subresource, so a
// create carries the status). The objects are not changed (each is copied first).
func createAll(ctx context.Context, w client.Client, work <-chan client.Object, workers int) (int64, error) {
	var errs atomic.Int64
	var mu sync.Mutex
	var first error
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for o := range work {
				if err := w.Create(ctx, o.DeepCopyObject().(client.Object)); err != nil {
					errs.Add(1)
					mu.Lock()
					if first == nil {
						first = err
					}
					mu.Unlock()
				}
			}
		}()
	}
	wg.Wait()
	return errs.Load(), first
}

// peer applies the N users (spec only) with `kubectl apply --server-side -f` of one manifest.
func (c *cluster) peer(ctx context.Context, snap *provider.Snapshot) (writeResult, error) {
	if err := c.ensureNamespace(ctx, nsPeer); err != nil {
		return writeResult{}, err
	}
	users, _ := benchObjects(nsPeer, dirName, nil, snap)
	manifest := filepath.Join(c.dir, "peer.yaml")
	if err := writeManifest(manifest, users); err != nil {
		return writeResult{}, err
	}
	c.quiesce(ctx)
	logf("N=%d: peer: kubectl apply --server-side -f (%d users)", c.n, len(users))
	cmd := exec.CommandContext(ctx, c.cfg.kubectl, "--kubeconfig="+c.kubeconfig, "apply", "--server-side", "-f", manifest)
	a := c.begin(ctx, "peer")
	out, err := cmd.CombinedOutput()
	if err != nil {
		return writeResult{}, fmt.Errorf("kubectl apply: %w\n%s", err, tail(out, 2000))
	}
	kubectlCPU := cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
	res := writeResult{Objects: len(users), Requests: len(users), CPU: c.end(ctx, a, kubectlCPU)}
	n, err := c.count(ctx, "DirectoryUser", nsPeer)
	if err != nil {
		return res, err
	}
	if n != len(users) {
		return res, fmt.Errorf("peer: %d users in %s after kubectl apply, want %d", n, nsPeer, len(users))
	}
	logf("N=%d: peer: %s", c.n, res.CPU.Wall.Round(time.Millisecond))
	return res, c.emptyNamespace(ctx, nsPeer)
}

func tail(b []byte, n int) string {
	if len(b) > n {
		b = b[len(b)-n:]
	}
	return string(b)
}

// measureSync runs trigger (which starts a sync), waits for the Directory's status to show it is
// done, and collects the manager's metrics, log line, the fake's request count and CPU times.
func (c *cluster) measureSync(ctx context.Context, request, trigger string, start func() error) (syncResult, error) {
	var res syncResult
	phase := trigger
	if request != "" {
		phase += "-" + strings.SplitN(request, "-", 2)[0]
	}
	m0, err := c.managerMetrics(ctx, fmt.Sprintf("n%d-%s-manager-begin", c.n, phase))
	if err != nil {
		return res, err
	}
	lines0, err := syncLines(c.managerLog)
	if err != nil {
		return res, err
	}
	f0, err := c.fakeRequests(ctx)
	if err != nil {
		return res, err
	}
	var a mark
	at, err := c.waitDirectory(ctx, nsSync, 10*time.Minute, func() error {
		a = c.begin(ctx, phase)
		c.proxy.reset()
		return start()
	}, readyAfter(c.n, request))
	if err != nil {
		return res, err
	}
	res.Provider = c.proxy.since()
	res.CPU = c.end(ctx, a, 0)
	res.Wall = at.Sub(a.cpu.at)
	m1, err := c.managerMetrics(ctx, fmt.Sprintf("n%d-%s-manager-end", c.n, phase))
	if err != nil {
		return res, err
	}
	f1, err := c.fakeRequests(ctx)
	if err != nil {
		return res, err
	}
	res.FakeRequests = f1 - f0
	res.Writes = delta(m0.by("dirsync_object_writes_total", "kind", "verb"), m1.by("dirsync_object_writes_total", "kind", "verb"))
	res.RestMethods = delta(m0.by("rest_client_requests_total", "method", "code"), m1.by("rest_client_requests_total", "method", "code"))
	lines, err := syncLines(c.managerLog)
	if err != nil {
		return res, err
	}
	for _, l := range lines[len(lines0):] {
		if l.Trigger == trigger {
			res.Log = l
			return res, nil
		}
	}
	return res, fmt.Errorf("no \"Synced Directory\" line with trigger %q in %s", trigger, c.managerLog)
}

// initialSync starts the manager, then creates the Secret and the Directory and times the sync.
func (c *cluster) initialSync(ctx context.Context) (syncResult, error) {
	if err := c.ensureNamespace(ctx, nsSync); err != nil {
		return syncResult{}, err
	}
	if err := c.cl.Create(ctx, benchSecret(nsSync)); err != nil && !apierrors.IsAlreadyExists(err) {
		return syncResult{}, err
	}
	if err := c.startManager(ctx, c.benchManager()); err != nil {
		return syncResult{}, err
	}
	c.quiesce(ctx)
	logf("N=%d: initial sync", c.n)
	res, err := c.measureSync(ctx, "", "initial", func() error {
		return c.cl.Create(ctx, benchDirectory(nsSync, c.proxy.url+"/v1", false))
	})
	if err != nil {
		return res, err
	}
	logf("N=%d: initial sync: %s", c.n, res.Wall.Round(time.Millisecond))
	return res, c.verifyMaterialized(ctx)
}

// verifyMaterialized checks that every user and group exists.
func (c *cluster) verifyMaterialized(ctx context.Context) error {
	users, err := c.count(ctx, "DirectoryUser", nsSync)
	if err != nil {
		return err
	}
	groups, err := c.count(ctx, "DirectoryGroup", nsSync)
	if err != nil {
		return err
	}
	if users != c.n || groups != c.cfg.departments {
		return fmt.Errorf("%d users and %d groups in %s, want %d and %d", users, groups, nsSync, c.n, c.cfg.departments)
	}
	return nil
}

// requestSync measures a sync forced with the dirsync.io/sync-requested-at annotation.
func (c *cluster) requestSync(ctx context.Context, label string) (syncResult, error) {
	c.quiesce(ctx)
	value := fmt.Sprintf("%s-%d", label, time.Now().UnixNano())
	return c.measureSync(ctx, value, "request", func() error {
		patch := fmt.Sprintf(`{"metadata":{"annotations":{%q:%q}}}`, dirsyncv1alpha1.AnnotationSyncRequestedAt, value)
		d := &dirsyncv1alpha1.Directory{}
		d.Name, d.Namespace = dirName, nsSync
		return c.cl.Patch(ctx, d, client.RawPatch(types.MergePatchType, []byte(patch)))
	})
}
