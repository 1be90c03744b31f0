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

package controllers

import (
	"context"
	"flag"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/runtime"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	"k8s.io/apimachinery/pkg/util/wait"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	clocktesting "k8s.io/utils/clock/testing"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	dirsyncv1alpha1 "github.com/dirsync/dirsync/api/v1alpha1"
	"github.com/dirsync/dirsync/internal/provider/breathehr"
	"github.com/dirsync/dirsync/internal/provider/registry"
)

// The suite starts one API server (envtest) and one manager running the real reconciler for every
// test in this package. Tests assert through k8sClient, which reads the API server directly.
var (
	k8sClient       client.Client
	mgrClient       client.Client        // the manager's cached client
	suiteReconciler *DirectoryReconciler // the suite manager's Directory controller
	// watchClient watches objects for tests that must see every state, not poll.
	watchClient client.WithWatch
	testClock   = clocktesting.NewFakeClock(time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC))
	writes      = &writeCounter{byNamespace: map[string]int{}, status: map[string]int{}}
	logs        = &syncBuffer{}
	restConfig  *rest.Config
)

func TestMain(m *testing.M) {
	if fuzzing() { // fuzz targets here are pure; don't start an API server in every fuzz worker
		os.Exit(m.Run())
	}
	if os.Getenv("KUBEBUILDER_ASSETS") == "" {
		if dir := localAssets(); dir != "" {
			os.Setenv("KUBEBUILDER_ASSETS", dir)
		} else if os.Getenv("DIRSYNC_REQUIRE_ENVTEST") != "" {
			fmt.Fprintln(os.Stderr, "controllers: envtest binaries not found and DIRSYNC_REQUIRE_ENVTEST is set: run 'make envtest'.")
			os.Exit(1)
		} else {
			envtestMissing = true
			fmt.Fprintln(os.Stderr, "controllers: envtest binaries not found; the envtest tests skip (run 'make envtest' to build them). Pure tests run.")
			os.Exit(m.Run())
		}
	}
	os.Exit(runSuite(m))
}

// testProgressEvery is the suite's Syncing-condition period (5s in production), so a slow-sync test is short.
const testProgressEvery = 400 * time.Millisecond

// envtestMissing is set when the control-plane binaries are not there: envtest tests skip.
var envtestMissing bool

// requireEnvtest skips a test that needs the API server when the envtest binaries are missing.
func requireEnvtest(t *testing.T) {
	t.Helper()
	if envtestMissing {
		t.Skip("envtest binaries not found: run 'make envtest' (or set KUBEBUILDER_ASSETS) to run this test")
	}
}

// fuzzing reports whether this process runs a fuzz target (the coordinator or one of its workers).
func fuzzing() bool {
	flag.Parse()
	if f := flag.Lookup("test.fuzz"); f != nil && f.Value.String() != "" {
		return true
	}
	f := flag.Lookup("test.fuzzworker")
	return f != nil && f.Value.String() == "true"
}

// localAssets finds binaries that 'make envtest' built into bin/k8s/<version>.
func localAssets() string {
	matches, _ := filepath.Glob(filepath.Join("..", "bin", "k8s", "*", "kube-apiserver"))
	if len(matches) == 0 {
		return ""
	}
	abs, _ := filepath.Abs(filepath.Dir(matches[0]))
	return abs
}

func runSuite(m *testing.M) int {
	ctrl.SetLogger(zap.New(zap.WriteTo(logs), zap.UseDevMode(false)))
	env := &envtest.Environment{CRDDirectoryPaths: []string{filepath.Join("..", "config", "crd", "bases")}, ErrorIfCRDPathMissing: true}
	cfg, err := env.Start()
	if err != nil {
		fmt.Fprintln(os.Stderr, "starting envtest:", err)
		return 1
	}
	defer func() { _ = env.Stop() }()
	restConfig = cfg

	scheme := runtime.NewScheme()
	utilruntime.Must(clientgoscheme.AddToScheme(scheme))
	utilruntime.Must(dirsyncv1alpha1.AddToScheme(scheme))
	if k8sClient, err = client.New(cfg, client.Options{Scheme: scheme}); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	if watchClient, err = client.NewWithWatch(cfg, client.Options{Scheme: scheme}); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}

	stopAccess, err := startAccessSuite(cfg, scheme) // directoryaccess_suite_test.go
	if err != nil {
		fmt.Fprintln(os.Stderr, "starting the DirectoryAccess controller:", err)
		return 1
	}
	defer stopAccess()

	mgrCfg := rest.CopyConfig(cfg)
	mgrCfg.QPS, mgrCfg.Burst = 500, 1000
	mgrCfg.Wrap(writes.wrap)
	mgr, err := ctrl.NewManager(mgrCfg, ctrl.Options{
		Scheme:                 scheme,
		Metrics:                metricsserver.Options{BindAddress: "0"},
		HealthProbeBindAddress: "0",
		Cache:                  CacheOptions(nil),
		Client:                 ClientOptions(),
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	mgrClient = mgr.GetClient()
	r := &DirectoryReconciler{
		Client: mgr.GetClient(), APIReader: mgr.GetAPIReader(), Scheme: scheme,
		Providers: testProviders(), Clock: testClock, Recorder: mgr.GetEventRecorder("dirsync"),
		AllowInsecureEndpoints: true, ProviderTimeout: 2 * time.Second, MaxConcurrentSyncs: 2, WriteWorkers: 8,
		ProgressEvery: testProgressEvery,
	}
	if err := r.SetupWithManager(mgr); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	suiteReconciler = r
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- mgr.Start(ctx) }()
	code := m.Run()
	cancel()
	if err := <-done; err != nil {
		fmt.Fprintln(os.Stderr, "manager:", err)
	}
	return code
}

// writeCounter counts the manager's write requests (POST, PUT, PATCH, DELETE) to DirectoryUser and
// DirectoryGroup objects, and to Directory status, by namespace.
type writeCounter struct {
	mu          sync.Mutex
	byNamespace map[string]int
	status      map[string]int
}

func (w *writeCounter) wrap(rt http.RoundTripper) http.RoundTripper {
	return roundTripFunc(func(req *http.Request) (*http.Response, error) {
		if req.Method != http.MethodGet {
			if ns, ok := childNamespace(req.URL.Path); ok {
				w.mu.Lock()
				w.byNamespace[ns]++
				w.mu.Unlock()
			}
			if ns, ok := directoryStatusNamespace(req.URL.Path); ok {
				w.mu.Lock()
				w.status[ns]++
				w.mu.Unlock()
			}
		}
		return rt.RoundTrip(req)
	})
}

func (w *writeCounter) count(ns string) int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.byNamespace[ns]
}

func (w *writeCounter) statusCount(ns string) int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.status[ns]
}

// directoryStatusNamespace parses /apis/dirsync.io/v1alpha1/namespaces/<ns>/directories/<name>/status.
func directoryStatusNamespace(path string) (string, bool) {
	parts := strings.Split(strings.TrimPrefix(path, "/"), "/")
	if len(parts) == 8 && parts[0] == "apis" && parts[1] == "dirsync.io" && parts[3] == "namespaces" &&
		parts[5] == "directories" && parts[7] == "status" {
		return parts[4], true
	}
	return "", false
}

// childNamespace parses /apis/dirsync.io/v1alpha1/namespaces/<ns>/directory{users,groups}[/...].
func childNamespace(path string) (string, bool) {
	parts := strings.Split(strings.TrimPrefix(path, "/"), "/")
	if len(parts) >= 6 && parts[0] == "apis" && parts[1] == "dirsync.io" && parts[3] == "namespaces" &&
		(parts[5] == "directoryusers" || parts[5] == "directorygroups") {
		return parts[4], true
	}
	return "", false
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// syncBuffer collects the manager's logs so tests can scan them (e.g. for a leaked key).
type syncBuffer struct {
	mu  sync.Mutex
	buf strings.Builder
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// eventually polls cond until it returns true, failing the test with cond's last message after timeout.
func eventually(t *testing.T, timeout time.Duration, cond func() (bool, string)) {
	t.Helper()
	var last string
	err := wait.PollUntilContextTimeout(context.Background(), 50*time.Millisecond, timeout, true, func(context.Context) (bool, error) {
		ok, msg := cond()
		last = msg
		return ok, nil
	})
	if err != nil {
		t.Fatalf("condition not met within %s: %s", timeout, last)
	}
}

// testProviders is registry.Default, except that the Breathe HR client gives up at the first 429 instead
// of waiting a minute for the window to clear: the fault tests check the controller's backoff, and the
// client's own waits are tested in its package.
func testProviders() registry.Registry {
	r := registry.Default()
	r[dirsyncv1alpha1.ProviderBreatheHR] = breathehr.NewFactory(breathehr.WithRateLimitWaits(0))
	return r
}
