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
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/discovery"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	"sigs.k8s.io/controller-runtime/pkg/client"

	dirsyncv1alpha1 "github.com/dirsync/dirsync/api/v1alpha1"
	"github.com/dirsync/dirsync/internal/provider"
	"github.com/dirsync/dirsync/internal/provider/breathehr"
	"github.com/dirsync/dirsync/internal/provider/fakehr"
	"github.com/dirsync/dirsync/test/utils"
)

// localHosts are the hosts of the fakes the bench serves (127.0.0.1, any port): its managers run with
// --allowed-endpoint-hosts=127.0.0.1, and its own provider clients allow the same.
var localHosts = []provider.AllowedHost{{Host: "127.0.0.1"}}

var scheme = func() *runtime.Scheme {
	s := runtime.NewScheme()
	_ = clientgoscheme.AddToScheme(s)
	_ = dirsyncv1alpha1.AddToScheme(s)
	return s
}()

// cluster is one size's world: a fresh control plane, the fake Breathe HR and (later) the manager.
type cluster struct {
	cfg        config
	procs      *utils.Group
	cp         *utils.ControlPlane
	n          int
	dir        string // state directory of the control plane and the logs
	kubeconfig string
	rest       *rest.Config
	cl         client.WithWatch
	pids       map[string]int // kube-apiserver, etcd, kube-controller-manager
	etcdURL    string         // from kube-apiserver's --etcd-servers
	k8sVersion string

	fake        *utils.Process
	fakeURL     string         // http://127.0.0.1:port (admin API at /admin/, Breathe at /v1)
	peoplehrURL string         // http://127.0.0.1:port: the same process's Access People HR fake (API and admin API)
	proxy       *providerProxy // the manager's way to the fake, timing its requests

	operator, probe identity   // the manager's and the floor's ServiceAccount; the probe's (identity.go)
	fleet           *fleetFake // the fake serving many companies (many.go), once started

	manager     *utils.Process
	metricsURL  string
	receiverURL string // http://127.0.0.1:port of the manager's webhook receiver
	managerLog  string
	idle        memUse // the manager's memory once started, before any Directory syncs
}

// memUse is a process's VmHWM (peak) and VmRSS, in KiB.
type memUse struct{ HWM, RSS int64 }

// startCluster starts the control plane in dir, installs the CRDs and starts bin/fakehr with n
// employees.
func startCluster(ctx context.Context, cfg config, p *utils.Group, dir string, n int) (*cluster, error) {
	c := &cluster{cfg: cfg, procs: p, n: n, dir: dir}
	logf("starting a control plane in %s", dir)
	cp, err := p.StartControlPlane(ctx, utils.ControlPlaneOptions{Script: cfg.controlPlane, Dir: dir})
	if err != nil {
		return nil, err
	}
	c.cp, c.kubeconfig = cp, cp.Kubeconfig
	if c.pids, err = cp.Pids(); err != nil {
		return nil, err
	}
	c.etcdURL = flagOf(c.pids["kube-apiserver"], "--etcd-servers")
	rc, err := clientcmd.BuildConfigFromFlags("", c.kubeconfig)
	if err != nil {
		return nil, err
	}
	c.rest = rc
	if c.cl, err = c.client(50, 100); err != nil {
		return nil, err
	}
	dc, err := discovery.NewDiscoveryClientForConfig(rc)
	if err != nil {
		return nil, err
	}
	if v, err := dc.ServerVersion(); err == nil {
		c.k8sVersion = v.GitVersion
	}
	if err := c.kubectl(ctx, "apply", "--server-side", "-k", filepath.Join(cfg.root, "config", "crd")); err != nil {
		return nil, err
	}
	if err := c.kubectl(ctx, "wait", "--for=condition=Established", "--timeout=60s",
		"crd/directories.dirsync.io", "crd/directoryusers.dirsync.io", "crd/directorygroups.dirsync.io", "crd/directoryaccesses.dirsync.io",
		"crd/directorywebhooks.dirsync.io", "crd/directorywebhookrecords.dirsync.io"); err != nil {
		return nil, err
	}
	// The admission policy, without which the manager grants nothing through a DirectoryAccess.
	if err := c.kubectl(ctx, "apply", "--server-side", "-k", filepath.Join(cfg.root, "config", "demo", "admission")); err != nil {
		return nil, err
	}
	if err := c.setupIdentities(ctx); err != nil {
		return c, err
	}
	if err := c.startFake(ctx); err != nil {
		return c, err
	}
	return c, c.waitStandingWatchers(ctx)
}

// waitStandingWatchers waits until kube-controller-manager (garbage collector, quota monitor)
// watches DirectoryUsers, which it starts within ~30s of the CRDs appearing. Every phase then
// runs against the same watchers a real cluster has.
func (c *cluster) waitStandingWatchers(ctx context.Context) error {
	start := time.Now()
	watchers := 0.0
	err := poll(ctx, 90*time.Second, func() (bool, error) {
		sc, err := c.apiMetrics(ctx, "")
		if err != nil {
			return false, nil
		}
		watchers = sc.sum("apiserver_longrunning_requests", map[string]string{"resource": "directoryusers", "verb": "WATCH"})
		if watchers < 1 {
			time.Sleep(900 * time.Millisecond)
		}
		return watchers >= 1, nil
	})
	if err != nil {
		return fmt.Errorf("kube-controller-manager did not watch DirectoryUsers: %w", err)
	}
	logf("kube-controller-manager watches DirectoryUsers (%.0f watches, after %s)", watchers, time.Since(start).Round(time.Second))
	return nil
}

// client builds a controller-runtime client with the given client-side rate limit.
func (c *cluster) client(qps float32, burst int) (client.WithWatch, error) {
	rc := rest.CopyConfig(c.rest)
	rc.QPS, rc.Burst = qps, burst
	return client.NewWithWatch(rc, client.Options{Scheme: scheme})
}

func (c *cluster) kubectl(ctx context.Context, args ...string) error {
	cmd := exec.CommandContext(ctx, c.cfg.kubectl, append([]string{"--kubeconfig=" + c.kubeconfig}, args...)...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("kubectl %s: %w\n%s", strings.Join(args, " "), err, out)
	}
	return nil
}

func (c *cluster) startFake(ctx context.Context) error {
	ports, err := utils.FreePorts(2)
	if err != nil {
		return err
	}
	addr, peoplehr := "127.0.0.1:"+strconv.Itoa(ports[0]), "127.0.0.1:"+strconv.Itoa(ports[1])
	c.fake, err = c.procs.Start(utils.Command{
		Name: "fakehr", Path: c.cfg.fakehr, LogPath: filepath.Join(c.dir, "fakehr.log"), PidFile: filepath.Join(c.dir, "fakehr.pid"),
		Args: []string{"--breathe-addr=" + addr, "--peoplehr-addr=" + peoplehr, "--employees=" + strconv.Itoa(c.n),
			"--departments=" + strconv.Itoa(c.cfg.departments), "--seed=1", "--breathe-api-key=" + apiKey, "--peoplehr-api-key=" + apiKey},
	})
	if err != nil {
		return err
	}
	c.fakeURL, c.peoplehrURL = "http://"+addr, "http://"+peoplehr
	if c.proxy, err = startProxy(c.fakeURL); err != nil {
		return err
	}
	return poll(ctx, 20*time.Second, func() (bool, error) {
		if c.fake.Exited() {
			return false, c.fake.ExitedError()
		}
		_, err := c.fakeRequests(ctx)
		return err == nil, nil
	})
}

// fakeRequests is the fake's count of API requests answered (GET /admin/stats).
func (c *cluster) fakeRequests(ctx context.Context) (int, error) {
	var st fakehr.StatsResponse
	err := c.fakeAdmin(ctx, http.MethodGet, "/admin/stats", nil, &st)
	return st.Requests, err
}

// fakeAdmin calls the fake Breathe HR's admin API with a JSON body and decodes a JSON answer into out.
func (c *cluster) fakeAdmin(ctx context.Context, method, path string, body, out any) error {
	return adminCall(ctx, c.fakeURL, method, path, body, out)
}

// peoplehrAdmin is fakeAdmin for the fake Access People HR.
func (c *cluster) peoplehrAdmin(ctx context.Context, method, path string, body, out any) error {
	return adminCall(ctx, c.peoplehrURL, method, path, body, out)
}

// adminCall calls the admin API at base with a JSON body and decodes a JSON answer into out.
func adminCall(ctx context.Context, base, method, path string, body, out any) error {
	var r io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		r = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, base+path, r)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer func() { _ = resp.Body.Close() }()
	if resp.StatusCode/100 != 2 {
		b, _ := io.ReadAll(resp.Body)
		return fmt.Errorf("%s %s: %s %s", method, path, resp.Status, b)
	}
	if out == nil {
		return nil
	}
	return json.NewDecoder(resp.Body).Decode(out)
}

// fetch reads the fake through the operator's own Breathe HR client, unpaced (the bench is built with the
// dirsync_bench tag and runs with breathehr.BenchUnpacedEnv=1): the snapshot the manager sees, and how
// long reading it takes.
func (c *cluster) fetch(ctx context.Context) (*provider.Snapshot, time.Duration, error) {
	u, _ := url.Parse(c.fakeURL + "/v1")
	p, err := breathehr.New(provider.Config{BaseURL: u, APIKey: apiKey, AllowedHosts: localHosts,
		HTTPClient: provider.NewHTTPClient(provider.HTTPOptions{})})
	if err != nil {
		return nil, 0, err
	}
	start := time.Now()
	snap, err := p.Fetch(ctx)
	return snap, time.Since(start), err
}

// managerRun says how to run the manager.
type managerRun struct {
	label      string  // names the log: manager-<label>.log
	kubeconfig string  // whose identity (default: the operator's ServiceAccount)
	qps        float64 // --kube-api-qps and --kube-api-burst; 0 leaves the manager's defaults
	burst      int
	syncs      int      // --max-concurrent-syncs; 0 leaves the manager's default
	args       []string // more flags
}

// benchManager is the manager as the size phases run it: the operator's ServiceAccount, the client
// limits raised (-kube-api-qps, -kube-api-burst), --sync-write-workers=-workers.
func (c *cluster) benchManager() managerRun {
	return managerRun{label: strconv.Itoa(c.n), kubeconfig: c.operator.kubeconfig, qps: c.cfg.qps, burst: c.cfg.burst, syncs: c.cfg.syncs}
}

// startManager runs the manager against the cluster (unpaced providers: a dirsync_bench build, which
// inherits breathehr.BenchUnpacedEnv=1; metrics on a plain-HTTP loopback port), waits until its
// controller has started and the control plane is quiet again, and records its idle memory.
func (c *cluster) startManager(ctx context.Context, m managerRun) error {
	ports, err := utils.FreePorts(3)
	if err != nil {
		return err
	}
	c.metricsURL = fmt.Sprintf("http://127.0.0.1:%d/metrics", ports[0])
	c.receiverURL = fmt.Sprintf("http://127.0.0.1:%d", ports[2])
	c.managerLog = filepath.Join(c.dir, "manager-"+m.label+".log")
	args := []string{"--kubeconfig=" + cmp.Or(m.kubeconfig, c.operator.kubeconfig), "--leader-elect=false", "--allow-insecure-endpoints", "--allowed-endpoint-hosts=127.0.0.1",
		fmt.Sprintf("--metrics-bind-address=127.0.0.1:%d", ports[0]), "--metrics-secure=false",
		fmt.Sprintf("--health-probe-bind-address=127.0.0.1:%d", ports[1]), fmt.Sprintf("--receiver-bind-address=127.0.0.1:%d", ports[2]),
		fmt.Sprintf("--sync-write-workers=%d", c.cfg.workers)}
	if m.qps > 0 {
		args = append(args, fmt.Sprintf("--kube-api-qps=%g", m.qps), fmt.Sprintf("--kube-api-burst=%d", m.burst))
	}
	if m.syncs > 0 {
		args = append(args, fmt.Sprintf("--max-concurrent-syncs=%d", m.syncs))
	}
	c.manager, err = c.procs.Start(utils.Command{
		Name: "manager", Path: c.cfg.manager, LogPath: c.managerLog, PidFile: filepath.Join(c.dir, "manager.pid"),
		Args: append(append(args, m.args...), c.cfg.managerArgs...),
	})
	if err != nil {
		return err
	}
	if err := poll(ctx, 60*time.Second, func() (bool, error) {
		if c.manager.Exited() {
			return false, c.manager.ExitedError()
		}
		b, _ := os.ReadFile(c.managerLog)
		return bytes.Contains(b, []byte("Starting workers")), nil
	}); err != nil {
		return err
	}
	c.quiesce(ctx)
	c.idle.HWM, c.idle.RSS = memKiB(c.manager.Pid())
	logf("manager (%s) started: idle VmRSS %.1f MiB, VmHWM %.1f MiB", m.label, float64(c.idle.RSS)/1024, float64(c.idle.HWM)/1024)
	return nil
}

// stopManager stops the manager, if one runs.
func (c *cluster) stopManager() {
	if c.manager != nil {
		c.manager.Stop(utils.DefaultGracePeriod)
		c.manager = nil
	}
}

// apiMetrics scrapes the API server's own /metrics (the bench's credentials are the admin's); with
// saveAs, the raw text is also kept as metrics/<saveAs>.prom in the state directory, for diagnosis.
func (c *cluster) apiMetrics(ctx context.Context, saveAs string) (scrape, error) {
	hc, err := rest.HTTPClientFor(c.rest)
	if err != nil {
		return nil, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimRight(c.rest.Host, "/")+"/metrics", nil)
	if err != nil {
		return nil, err
	}
	resp, err := hc.Do(req)
	if err != nil {
		return nil, err
	}
	defer func() { _ = resp.Body.Close() }()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET /metrics: %s", resp.Status)
	}
	c.save(saveAs, body)
	return parseMetrics(body), nil
}

// save keeps a scrape as metrics/<name>.prom in the state directory (nothing when name is empty).
func (c *cluster) save(name string, body []byte) {
	if name == "" {
		return
	}
	dir := filepath.Join(c.dir, "metrics")
	if err := os.MkdirAll(dir, 0o755); err == nil {
		_ = os.WriteFile(filepath.Join(dir, name+".prom"), body, 0o644)
	}
}

// etcdMetrics scrapes etcd's /metrics on its client URL, keeping the raw text like apiMetrics.
func (c *cluster) etcdMetrics(ctx context.Context, saveAs string) (scrape, error) {
	if c.etcdURL == "" {
		return nil, errors.New("etcd's URL is unknown")
	}
	return c.scrapeURL(ctx, strings.TrimRight(c.etcdURL, "/")+"/metrics", saveAs)
}

// scrapeURL GETs a plain-HTTP metrics endpoint, saves the raw text as saveAs and parses it.
func (c *cluster) scrapeURL(ctx context.Context, target, saveAs string) (scrape, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, target, nil)
	if err != nil {
		return nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer func() { _ = resp.Body.Close() }()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s: %s", target, resp.Status)
	}
	c.save(saveAs, body)
	return parseMetrics(body), nil
}

// flagOf is the value of --name=value in a process's command line ("" if absent).
func flagOf(pid int, name string) string {
	b, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "cmdline"))
	if err != nil {
		return ""
	}
	for _, arg := range strings.Split(string(b), "\x00") {
		if v, ok := strings.CutPrefix(arg, name+"="); ok {
			return strings.Split(v, ",")[0]
		}
	}
	return ""
}

// managerMetrics scrapes the manager's metrics endpoint, keeping the raw text like apiMetrics.
func (c *cluster) managerMetrics(ctx context.Context, saveAs string) (scrape, error) {
	return c.scrapeURL(ctx, c.metricsURL, saveAs)
}

// ensureNamespace creates ns if it does not exist.
func (c *cluster) ensureNamespace(ctx context.Context, ns string) error {
	err := c.cl.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}})
	if apierrors.IsAlreadyExists(err) {
		return nil
	}
	return err
}

// count is how many objects of list's kind are in ns (metadata only).
func (c *cluster) count(ctx context.Context, kind, ns string) (int, error) {
	l := &metav1.PartialObjectMetadataList{}
	l.SetGroupVersionKind(dirsyncv1alpha1.GroupVersion.WithKind(kind + "List"))
	if err := c.cl.List(ctx, l, client.InNamespace(ns)); err != nil {
		return 0, err
	}
	return len(l.Items), nil
}

// emptyChildren deletes every DirectoryUser and DirectoryGroup in ns, by name, 32 deletes at a time.
func (c *cluster) emptyChildren(ctx context.Context, ns string) error {
	start := time.Now()
	w, err := c.client(1e6, 1e6)
	if err != nil {
		return err
	}
	for _, kind := range []string{"DirectoryUser", "DirectoryGroup"} {
		if err := deleteAll(ctx, w, kind, ns, 32); err != nil {
			return fmt.Errorf("emptying namespace %s: %w", ns, err)
		}
	}
	logf("emptied %s in %s", ns, time.Since(start).Round(100*time.Millisecond))
	return nil
}

// emptyNamespace deletes every DirectoryUser and DirectoryGroup in ns (by name, with cfg.workers
// parallel unthrottled deletes: much faster than one deletecollection, which the API server runs
// serially), then the Directory, and waits for the control plane to go quiet.
func (c *cluster) emptyNamespace(ctx context.Context, ns string) error {
	start := time.Now()
	w, err := c.client(1e6, 1e6)
	if err != nil {
		return err
	}
	for _, kind := range []string{"DirectoryUser", "DirectoryGroup"} {
		if err := deleteAll(ctx, w, kind, ns, c.cfg.workers); err != nil {
			return fmt.Errorf("emptying namespace %s: %w", ns, err)
		}
	}
	if err := client.IgnoreNotFound(c.cl.Delete(ctx, &dirsyncv1alpha1.Directory{ObjectMeta: metav1.ObjectMeta{Name: dirName, Namespace: ns}})); err != nil {
		return err
	}
	logf("N=%d: emptied %s in %s", c.n, ns, time.Since(start).Round(100*time.Millisecond))
	c.quiesce(ctx)
	return nil
}

// deleteAll deletes every object of kind in ns, workers at a time, until none is left.
func deleteAll(ctx context.Context, w client.Client, kind, ns string, workers int) error {
	return poll(ctx, 5*time.Minute, func() (bool, error) {
		l := &metav1.PartialObjectMetadataList{}
		l.SetGroupVersionKind(dirsyncv1alpha1.GroupVersion.WithKind(kind + "List"))
		if err := w.List(ctx, l, client.InNamespace(ns)); err != nil {
			return false, nil
		}
		if len(l.Items) == 0 {
			return true, nil
		}
		work := make(chan *metav1.PartialObjectMetadata)
		var wg sync.WaitGroup
		for range workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for o := range work {
					_ = w.Delete(ctx, o)
				}
			}()
		}
		for i := range l.Items {
			work <- &l.Items[i]
		}
		close(work)
		wg.Wait()
		return false, nil
	})
}

// quiesce waits (up to 30s) until the control plane uses less than 10% of a core over a second,
// so that one phase's aftermath (garbage collection, compaction) does not land in the next.
func (c *cluster) quiesce(ctx context.Context) {
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) && ctx.Err() == nil {
		a := c.cpTicks()
		time.Sleep(time.Second)
		if c.cpTicks()-a < clockTicks/10 {
			return
		}
	}
}

func (c *cluster) cpTicks() int64 {
	var t int64
	for _, pid := range c.pids {
		t += cpuTicks(pid)
	}
	return t
}

// waitDirectory opens a watch on the Directory, calls start, and reads events until done says so;
// it returns when that was seen. The watch is open before start, so no change is missed.
func (c *cluster) waitDirectory(ctx context.Context, ns string, timeout time.Duration, start func() error,
	done func(*dirsyncv1alpha1.Directory) (bool, error)) (time.Time, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	for ctx.Err() == nil {
		w, err := c.cl.Watch(ctx, &dirsyncv1alpha1.DirectoryList{}, client.InNamespace(ns),
			client.MatchingFields{"metadata.name": dirName})
		if err != nil {
			time.Sleep(100 * time.Millisecond)
			continue
		}
		if start != nil {
			if err := start(); err != nil {
				w.Stop()
				return time.Time{}, err
			}
			start = nil
		}
		at, ok, err := readEvents(w, done)
		w.Stop()
		if err != nil || ok {
			return at, err
		}
	}
	return time.Time{}, fmt.Errorf("timed out after %s waiting for Directory %s/%s", timeout, ns, dirName)
}

func readEvents(w watch.Interface, done func(*dirsyncv1alpha1.Directory) (bool, error)) (time.Time, bool, error) {
	for ev := range w.ResultChan() {
		d, ok := ev.Object.(*dirsyncv1alpha1.Directory)
		if !ok {
			continue
		}
		ok, err := done(d)
		if err != nil || ok {
			return time.Now(), ok, err
		}
	}
	return time.Time{}, false, nil
}

// readyAfter reports whether d's last sync succeeded with n users, and fails on a failed sync.
func readyAfter(n int, request string) func(*dirsyncv1alpha1.Directory) (bool, error) {
	return func(d *dirsyncv1alpha1.Directory) (bool, error) {
		if d.Status.LastHandledSyncRequest != request || d.Status.LastSyncTime == nil {
			return false, nil
		}
		r := meta.FindStatusCondition(d.Status.Conditions, dirsyncv1alpha1.ConditionReady)
		if r == nil {
			return false, nil
		}
		if r.Status != metav1.ConditionTrue {
			return false, fmt.Errorf("the Directory's sync failed: Ready=%s %s: %s", r.Status, r.Reason, r.Message)
		}
		return int(d.Status.UserCount) == n, nil
	}
}

// poll calls f every 100ms until it is done, fails, or timeout passes.
func poll(ctx context.Context, timeout time.Duration, f func() (bool, error)) error {
	deadline := time.Now().Add(timeout)
	for {
		ok, err := f()
		if err != nil || ok {
			return err
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("timed out after %s", timeout)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}
