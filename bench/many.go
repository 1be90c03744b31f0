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
	"errors"
	"flag"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	dirsyncv1alpha1 "github.com/dirsync/dirsync/api/v1alpha1"
	"github.com/dirsync/dirsync/internal/provider"
	"github.com/dirsync/dirsync/internal/provider/breathehr"
	"github.com/dirsync/dirsync/test/utils"
)

// The many-Directories phase (issue 10, item 3): -many-directories Directories of -many-users users each,
// spread over -many-namespaces namespaces, all served by one fake (bin/fakehr --companies, one company per
// API key). It measures their floor (the same objects, one request each, with the manager's whole write
// parallelism), the time until every Directory is Ready, the manager's memory, a no-op cycle of every
// Directory, and fairness: with -many-hanging Directories pointed at keys whose every request hangs until
// the provider request timeout, how late the others' scheduled syncs are.
const (
	labelFleet   = "bench.dirsync.io/fleet"
	nsManyPrefix = "bench-many-"
	nsFloorMany  = "bench-many-floor-"
)

// manyConfig holds the phase's flags.
type manyConfig struct {
	directories, namespaces, users, departments, hanging int
	interval, window, providerTimeout                    time.Duration
	fairnessSyncsFlag                                    string
	fairnessSyncs                                        []int
	floor                                                bool
}

func (m *manyConfig) bindFlags() {
	flag.IntVar(&m.directories, "many-directories", 200, "many phase: Directories")
	flag.IntVar(&m.namespaces, "many-namespaces", 20, "many phase: namespaces they are spread over")
	flag.IntVar(&m.users, "many-users", 500, "many phase: users per Directory (also the spread runs of the defaults phase)")
	flag.IntVar(&m.departments, "many-departments", 20, "many phase: departments (groups) per Directory")
	flag.IntVar(&m.hanging, "many-hanging", 10, "many phase: Directories pointed at a hanging provider for the fairness part (0 skips it)")
	flag.DurationVar(&m.interval, "many-interval", time.Minute, "many phase: spec.syncInterval during the fairness part (the schedule whose delays are measured)")
	flag.DurationVar(&m.window, "fairness-window", 4*time.Minute, "many phase: how long the fairness part watches the schedule")
	flag.DurationVar(&m.providerTimeout, "provider-timeout", 0, "many phase: the manager's --provider-request-timeout (0: its default, which the report states)")
	flag.StringVar(&m.fairnessSyncsFlag, "fairness-syncs", "2", "many phase: more --max-concurrent-syncs values to run the fairness part with (after the default), for comparison; empty: none")
	flag.BoolVar(&m.floor, "many-floor", true, "many phase: measure the floor (the same objects written by a bare client)")
}

func (m *manyConfig) check() error {
	for _, f := range splitList(m.fairnessSyncsFlag) {
		n, err := strconv.Atoi(f)
		if err != nil || n < 1 {
			return fmt.Errorf("-fairness-syncs: %q is not a number ≥ 1", f)
		}
		m.fairnessSyncs = append(m.fairnessSyncs, n)
	}
	switch {
	case m.directories < 1 || m.namespaces < 1 || m.users < 1 || m.departments < 1:
		return errors.New("-many-directories, -many-namespaces, -many-users and -many-departments must be ≥ 1")
	case m.hanging < 0 || m.hanging >= m.directories:
		return errors.New("-many-hanging must be 0 to -many-directories − 1")
	case m.interval < time.Minute:
		return errors.New("-many-interval must be ≥ 1m (the API's minimum syncInterval)")
	}
	return nil
}

// fleetFake is bin/fakehr serving one company per API key.
type fleetFake struct {
	proc *utils.Process
	url  string   // Breathe HR's base URL
	keys []string // key-000 …: the companies, then the hanging keys
}

// ensureFleet starts the fleet fake (once): -many-directories companies plus -many-hanging hanging keys.
func (c *cluster) ensureFleet(ctx context.Context) error {
	if c.fleet != nil {
		return nil
	}
	m := c.cfg.many
	n := m.directories + m.hanging
	ports, err := utils.FreePorts(1)
	if err != nil {
		return err
	}
	addr := "127.0.0.1:" + strconv.Itoa(ports[0])
	dir := filepath.Join(c.dir, "fleet") // fleet/fakehr.pid: hack/bench.sh's backstop stops it by name
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	p, err := c.procs.Start(utils.Command{
		Name: "fakehr", Path: c.cfg.fakehr, LogPath: filepath.Join(dir, "fakehr.log"), PidFile: filepath.Join(dir, "fakehr.pid"),
		Args: []string{"--breathe-addr=" + addr, "--peoplehr-addr=127.0.0.1:0", "--employees=" + strconv.Itoa(m.users),
			"--departments=" + strconv.Itoa(m.departments), "--seed=1000", "--companies=" + strconv.Itoa(n),
			"--hanging-companies=" + strconv.Itoa(m.hanging)},
	})
	if err != nil {
		return err
	}
	f := &fleetFake{proc: p, url: "http://" + addr + "/v1"}
	for i := range n {
		f.keys = append(f.keys, fleetKey(i, n))
	}
	c.fleet = f
	return poll(ctx, 20*time.Second, func() (bool, error) {
		if p.Exited() {
			return false, p.ExitedError()
		}
		_, err := c.fetchFleet(ctx, 0)
		return err == nil, nil
	})
}

// fleetKey is cmd/fakehr's FleetKey: company i of n's API key, key-000 … (at least three digits).
func fleetKey(i, n int) string {
	return fmt.Sprintf("key-%0*d", max(3, len(strconv.Itoa(n-1))), i)
}

// fetchFleet reads company i of the fleet through the operator's Breathe HR client, unpaced.
func (c *cluster) fetchFleet(ctx context.Context, i int) (*provider.Snapshot, error) {
	u, _ := url.Parse(c.fleet.url)
	p, err := breathehr.New(provider.Config{BaseURL: u, APIKey: c.fleet.keys[i], AllowedHosts: localHosts, HTTPClient: provider.NewHTTPClient(provider.HTTPOptions{})})
	if err != nil {
		return nil, err
	}
	return p.Fetch(ctx)
}

// fleetName is Directory i's name; fleetNamespace its namespace (with the prefix of the phase part).
func fleetName(i int) string { return fmt.Sprintf("d-%03d", i) }

func fleetNamespace(prefix string, i, namespaces int) string {
	return fmt.Sprintf("%s%02d", prefix, i%namespaces)
}

// fleetDirectory is Directory i of the fleet in ns with its Secret holding key.
func fleetDirectory(ns string, i int, endpoint, key string, interval time.Duration) (*dirsyncv1alpha1.Directory, *corev1.Secret) {
	name := fleetName(i)
	d := benchDirectory(ns, endpoint, false)
	d.Name = name
	d.Labels = map[string]string{labelFleet: "true"}
	d.Spec.CredentialsSecretRef.Name = name + "-key"
	d.Spec.SyncInterval = &metav1.Duration{Duration: interval}
	s := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: name + "-key", Namespace: ns}, StringData: map[string]string{"apiKey": key}}
	return d, s
}

// manyRun is the phase's result.
type manyRun struct {
	Run                              runInfo
	Directories, Namespaces, Users   int
	Objects                          int           // users and groups of all Directories
	Syncs, Workers                   int           // the manager's --max-concurrent-syncs (as run) and --sync-write-workers
	ProviderTimeout                  time.Duration // the manager's --provider-request-timeout (as run)
	Floor                            writeResult
	Initial                          manySync
	Idle                             memUse
	ReadyHWM, HWM, RSS               int64 // manager, KiB: after all were Ready; at the end
	Noop                             manySync
	Fairness                         []fairnessResult
	GroupCount                       int
	FloorWorkers                     int
	ProviderRequests, ProviderErrors float64
}

// manySync is a sync of every Directory: the initial one or a no-op cycle.
type manySync struct {
	Wall        time.Duration
	Writes      map[string]float64 // dirsync_object_writes_total by kind/verb
	RestMethods map[string]float64 // rest_client_requests_total by method/code
	CPU         cpuUse
}

// runMany runs the phase; it leaves its objects (the control plane is discarded after the last phase).
func runMany(ctx context.Context, c *cluster) (*manyRun, error) {
	m := c.cfg.many
	r := &manyRun{Run: beginRun(fmt.Sprintf("-many-directories=%d -many-users=%d -many-namespaces=%d", m.directories, m.users, m.namespaces)),
		Directories: m.directories, Namespaces: m.namespaces, Users: m.users, Workers: c.cfg.workers}
	if err := c.ensureFleet(ctx); err != nil {
		return nil, err
	}
	r.Syncs = c.cfg.syncs
	if r.Syncs == 0 {
		r.Syncs = managerFlagDefault(c, "-max-concurrent-syncs")
	}
	r.ProviderTimeout = m.providerTimeout
	if r.ProviderTimeout == 0 {
		r.ProviderTimeout = provider.DefaultRequestTimeout
	}
	if err := c.manyCompanies(ctx, r); err != nil { // the snapshots are not kept past the floor
		return nil, err
	}
	if err := c.manySync(ctx, r); err != nil {
		return nil, err
	}
	if err := c.manyFairness(ctx, r); err != nil {
		return nil, err
	}
	if r.HWM == 0 {
		r.HWM, r.RSS = memKiB(c.manager.Pid())
	}
	c.stopManager()
	r.Run.end()
	return r, nil
}

// manyCompanies reads every company once (counting the objects) and, with -many-floor, writes the
// same objects with a bare client.
func (c *cluster) manyCompanies(ctx context.Context, r *manyRun) error {
	m := c.cfg.many
	logf("many: reading the %d companies", m.directories)
	snaps := make([]*provider.Snapshot, m.directories)
	for i := range snaps {
		var err error
		if snaps[i], err = c.fetchFleet(ctx, i); err != nil {
			return fmt.Errorf("company %d: %w", i, err)
		}
		r.Objects += len(snaps[i].Employees) + len(snaps[i].Departments)
		r.GroupCount += len(snaps[i].Departments)
	}
	if !m.floor {
		return nil
	}
	return c.manyFloor(ctx, r, snaps)
}

// manyFairness runs the fairness part with the manager's default concurrency, then with each of
// -fairness-syncs, and reads the manager's memory after the first.
func (c *cluster) manyFairness(ctx context.Context, r *manyRun) error {
	m := c.cfg.many
	for i, syncs := range append([]int{r.Syncs}, m.fairnessSyncs...) {
		if m.hanging == 0 {
			break
		}
		if i > 0 {
			c.stopManager()
			if err := c.startManager(ctx, c.manyManager(syncs)); err != nil {
				return err
			}
		}
		f, err := c.fairness(ctx, syncs, r.ProviderTimeout)
		if err != nil {
			return fmt.Errorf("fairness with --max-concurrent-syncs=%d: %w", syncs, err)
		}
		r.Fairness = append(r.Fairness, f)
		if i == 0 {
			r.HWM, r.RSS = memKiB(c.manager.Pid())
		}
	}
	return nil
}

// managerFlagDefault reads an int flag's default from the manager's -help.
func managerFlagDefault(c *cluster, name string) int {
	out, _ := runOutput(c.cfg.manager, "-help")
	v, _ := strconv.Atoi(helpDefault(out, name))
	return v
}

// manyManager is the manager as the phase runs it: the sizes' client limits, syncs concurrent syncs.
func (c *cluster) manyManager(syncs int) managerRun {
	m := managerRun{label: fmt.Sprintf("many-syncs%d", syncs), kubeconfig: c.operator.kubeconfig, qps: c.cfg.qps, burst: c.cfg.burst, syncs: syncs}
	if t := c.cfg.many.providerTimeout; t > 0 {
		m.args = append(m.args, "--provider-request-timeout="+t.String())
	}
	return m
}

// manyFloor writes every Directory's objects with a bare client, one request each, with the manager's
// whole write parallelism (--max-concurrent-syncs × --sync-write-workers), into namespaces of its own,
// and empties them after.
func (c *cluster) manyFloor(ctx context.Context, r *manyRun, snaps []*provider.Snapshot) error {
	m := c.cfg.many
	owners := make([]*dirsyncv1alpha1.Directory, len(snaps))
	for i := range snaps {
		ns := fleetNamespace(nsFloorMany, i, m.namespaces)
		if err := c.ensureNamespace(ctx, ns); err != nil {
			return err
		}
		d, _ := fleetDirectory(ns, i, "http://127.0.0.1:1/v1", "", time.Hour)
		d.Spec.Suspend = ptr.To(true)
		if err := c.cl.Create(ctx, d); err != nil {
			return err
		}
		owners[i] = d
	}
	w, err := c.writer()
	if err != nil {
		return err
	}
	r.FloorWorkers = r.Syncs * c.cfg.workers
	c.quiesce(ctx)
	logf("many: floor: %d objects of %d Directories, %d workers, unthrottled", r.Objects, len(snaps), r.FloorWorkers)
	a := c.begin(ctx, "many-floor")
	work := make(chan client.Object, 1000)
	go func() {
		defer close(work)
		for i, s := range snaps {
			for _, o := range floorObjects(owners[i].Namespace, owners[i].Name, owners[i], s) {
				select {
				case work <- o:
				case <-ctx.Done():
					return
				}
			}
		}
	}()
	errs, first := createAll(ctx, w, work, r.FloorWorkers)
	r.Floor = writeResult{Objects: r.Objects, Requests: r.Objects, Errors: errs, CPU: c.end(ctx, a, 0)}
	if first != nil {
		return fmt.Errorf("many floor: %d writes failed, first: %w", errs, first)
	}
	logf("many: floor: %s", r.Floor.CPU.Wall.Round(time.Millisecond))
	for i := range m.namespaces {
		ns := fleetNamespace(nsFloorMany, i, m.namespaces)
		if err := c.emptyChildren(ctx, ns); err != nil {
			return err
		}
	}
	for _, d := range owners {
		if err := client.IgnoreNotFound(c.cl.Delete(ctx, d)); err != nil {
			return err
		}
	}
	c.quiesce(ctx)
	return nil
}

// manySync starts the manager, creates every Directory and times them until all are Ready, then
// forces a no-op sync of every one.
func (c *cluster) manySync(ctx context.Context, r *manyRun) error {
	m := c.cfg.many
	dirs := make([]client.Object, m.directories)
	for i := range dirs {
		ns := fleetNamespace(nsManyPrefix, i, m.namespaces)
		if err := c.ensureNamespace(ctx, ns); err != nil {
			return err
		}
		d, s := fleetDirectory(ns, i, c.fleet.url, c.fleet.keys[i], 30*time.Minute)
		if err := c.cl.Create(ctx, s); err != nil && !apierrors.IsAlreadyExists(err) {
			return err
		}
		dirs[i] = d
	}
	if err := c.startManager(ctx, c.manyManager(r.Syncs)); err != nil {
		return err
	}
	r.Idle = c.idle
	logf("many: creating %d Directories", len(dirs))
	var err error
	r.Initial, err = c.measureMany(ctx, "many-initial", func() error {
		for _, d := range dirs {
			if err := c.cl.Create(ctx, d); err != nil {
				return err
			}
		}
		return nil
	}, func(d *dirsyncv1alpha1.Directory) (bool, error) { return readyWith(d, m.users, "") })
	if err != nil {
		return err
	}
	r.ReadyHWM, _ = memKiB(c.manager.Pid())
	logf("many: all %d Ready in %s; manager VmHWM %.1f MiB", len(dirs), r.Initial.Wall.Round(time.Second), float64(r.ReadyHWM)/1024)
	c.quiesce(ctx)
	r.Noop, err = c.requestAll(ctx, "many-noop", m.users)
	if err != nil {
		return err
	}
	logf("many: no-op cycle in %s: writes %v, requests %v", r.Noop.Wall.Round(time.Millisecond), r.Noop.Writes, r.Noop.RestMethods)
	return nil
}

// requestAll forces a sync of every fleet Directory with the sync-requested-at annotation and times it
// until every one has answered with Ready=True and users users.
func (c *cluster) requestAll(ctx context.Context, phase string, users int) (manySync, error) {
	value := fmt.Sprintf("%s-%d", phase, time.Now().UnixNano())
	return c.measureMany(ctx, phase, func() error {
		return c.eachFleetDirectory(ctx, func(d *dirsyncv1alpha1.Directory) error {
			patch := fmt.Sprintf(`{"metadata":{"annotations":{%q:%q}}}`, dirsyncv1alpha1.AnnotationSyncRequestedAt, value)
			return c.cl.Patch(ctx, d, client.RawPatch(types.MergePatchType, []byte(patch)))
		})
	}, func(d *dirsyncv1alpha1.Directory) (bool, error) { return readyWith(d, users, value) })
}

// eachFleetDirectory calls f on every fleet Directory (of the many phase's namespaces).
func (c *cluster) eachFleetDirectory(ctx context.Context, f func(*dirsyncv1alpha1.Directory) error) error {
	var l dirsyncv1alpha1.DirectoryList
	if err := c.cl.List(ctx, &l, client.MatchingLabels{labelFleet: "true"}); err != nil {
		return err
	}
	for i := range l.Items {
		if err := f(&l.Items[i]); err != nil {
			return err
		}
	}
	return nil
}

// measureMany runs start and waits until done holds for every fleet Directory of the many phase,
// measuring the wall time, CPU, API server counts and the manager's writes and requests.
func (c *cluster) measureMany(ctx context.Context, phase string, start func() error, done func(*dirsyncv1alpha1.Directory) (bool, error)) (manySync, error) {
	var res manySync
	m0, err := c.managerMetrics(ctx, phase+"-manager-begin")
	if err != nil {
		return res, err
	}
	a := c.begin(ctx, phase)
	t0 := time.Now()
	err = c.watchFleet(ctx, 30*time.Minute, start, c.cfg.many.directories, done)
	res.Wall = time.Since(t0)
	res.CPU = c.end(ctx, a, 0)
	if err != nil {
		return res, err
	}
	m1, err := c.managerMetrics(ctx, phase+"-manager-end")
	if err != nil {
		return res, err
	}
	res.Writes = delta(m0.by("dirsync_object_writes_total", "kind", "verb"), m1.by("dirsync_object_writes_total", "kind", "verb"))
	res.RestMethods = delta(m0.by("rest_client_requests_total", "method", "code"), m1.by("rest_client_requests_total", "method", "code"))
	return res, nil
}

// watchFleet watches the fleet's Directories (all namespaces, by label), calls start once the watch is
// open, and returns when done holds for want distinct Directories at the same time.
func (c *cluster) watchFleet(ctx context.Context, timeout time.Duration, start func() error, want int,
	done func(*dirsyncv1alpha1.Directory) (bool, error)) error {
	ok := map[string]bool{}
	return c.watchDirectories(ctx, timeout, client.MatchingLabels{labelFleet: "true"}, start, func(d *dirsyncv1alpha1.Directory, _ time.Time) (bool, error) {
		if !isManyNamespace(d.Namespace) {
			return false, nil
		}
		yes, err := done(d)
		if err != nil {
			return false, fmt.Errorf("the Directory %s/%s: %w", d.Namespace, d.Name, err)
		}
		key := d.Namespace + "/" + d.Name
		if yes {
			ok[key] = true
		} else {
			delete(ok, key)
		}
		return len(ok) >= want, nil
	})
}

func isManyNamespace(ns string) bool {
	return strings.HasPrefix(ns, nsManyPrefix) && !strings.HasPrefix(ns, nsFloorMany)
}

// watchDirectories opens a watch on Directories, calls start, and hands every event's Directory (with
// its arrival time) to each until it says done; a watch the server ends is reopened (its synthetic
// ADDED events repeat the current state).
func (c *cluster) watchDirectories(ctx context.Context, timeout time.Duration, sel client.ListOption, start func() error,
	each func(*dirsyncv1alpha1.Directory, time.Time) (bool, error)) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	for ctx.Err() == nil {
		w, err := c.cl.Watch(ctx, &dirsyncv1alpha1.DirectoryList{}, sel)
		if err != nil {
			time.Sleep(100 * time.Millisecond)
			continue
		}
		if start != nil {
			if err := start(); err != nil {
				w.Stop()
				return err
			}
			start = nil
		}
		for ev := range w.ResultChan() {
			d, ok := ev.Object.(*dirsyncv1alpha1.Directory)
			if !ok {
				continue
			}
			done, err := each(d, time.Now())
			if err != nil || done {
				w.Stop()
				return err
			}
		}
		w.Stop()
	}
	return fmt.Errorf("%w after %s", errWatchTimeout, timeout)
}

// errWatchTimeout is watchDirectories' timeout.
var errWatchTimeout = errors.New("timed out")

// waitAllReady waits until every Directory of dirs (in ns) has synced with Ready=True and users users each.
func (c *cluster) waitAllReady(ctx context.Context, ns string, dirs []client.Object, users int, timeout time.Duration) error {
	want := map[string]bool{}
	for _, d := range dirs {
		want[d.GetName()] = true
	}
	ok := map[string]bool{}
	return c.watchDirectories(ctx, timeout, client.InNamespace(ns), nil, func(d *dirsyncv1alpha1.Directory, _ time.Time) (bool, error) {
		if !want[d.Name] {
			return false, nil
		}
		yes, err := readyWith(d, users, "")
		if err != nil {
			return false, fmt.Errorf("the Directory %s/%s: %w", d.Namespace, d.Name, err)
		}
		if yes {
			ok[d.Name] = true
		}
		return len(ok) == len(want), nil
	})
}

// readyWith reports whether d's last sync answered request, for d's current generation, and succeeded
// with users users; a failed sync is an error.
func readyWith(d *dirsyncv1alpha1.Directory, users int, request string) (bool, error) {
	if d.Status.LastAttemptedGeneration != d.Generation {
		return false, nil
	}
	return readyAfter(users, request)(d)
}
