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

// Package testenv is the one envtest harness of every package whose tests need a control plane:
//
//   - Assets finds the etcd and kube-apiserver binaries (KUBEBUILDER_ASSETS, else bin/k8s/<version>
//     as `make envtest` builds them);
//   - Run is a TestMain's body: it starts one API server with the CRDs for the package's tests, lets
//     the package start what it needs (managers, fakes), runs the tests and stops everything;
//   - Require skips a test that needs the API server when the binaries are missing, or fails it when
//     DIRSYNC_REQUIRE_ENVTEST is set (as .ci/run does);
//   - StartManager runs controllers in a manager configured as cmd/manager's (controllers.CacheOptions,
//     controllers.ClientOptions), without metrics or probe listeners;
//   - NewNamespace, Eventually, Poll, Update and Reconciles are the helpers every story uses.
//
// It follows kubebuilder's test/utils and CAPI's internal/test/envtest, in plain `testing`.
package testenv

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	"k8s.io/apimachinery/pkg/util/wait"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/util/retry"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
	"sigs.k8s.io/controller-runtime/pkg/metrics"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	dirsyncv1alpha1 "github.com/dirsync/dirsync/api/v1alpha1"
	"github.com/dirsync/dirsync/controllers"
)

// RequireEnv is the environment variable that turns a missing control plane from a skip into a failure.
const RequireEnv = "DIRSYNC_REQUIRE_ENVTEST"

// PureOnlyEnv is the environment variable that runs a package's pure tests alone: no control plane
// starts and every test that needs one skips. make mutate sets it, because each mutant is one `go test`
// of its package and only the pure tests are meant to kill it (docs/testing.md). With RequireEnv set too
// (as in CI) the tests fail instead: a run that must include the envtest tests never skips them quietly.
const PureOnlyEnv = "DIRSYNC_PURE_TESTS_ONLY"

// pureOnly reports whether PureOnlyEnv asks for the pure tests alone, and an error when RequireEnv
// asks for the envtest tests as well.
func pureOnly() (bool, error) {
	if os.Getenv(PureOnlyEnv) == "" {
		return false, nil
	}
	if os.Getenv(RequireEnv) != "" {
		return true, fmt.Errorf("both %s and %s are set: unset one", PureOnlyEnv, RequireEnv)
	}
	return true, nil
}

// missingHint is what a skipped or failed test says about the missing binaries.
const missingHint = "envtest binaries not found: run 'make envtest' (or set KUBEBUILDER_ASSETS)"

// Assets is the directory holding the control-plane binaries: KUBEBUILDER_ASSETS when set, else the
// bin/k8s/<version> directory of the module that `make envtest` fills; "" when there is none. When it
// finds them in bin/, it also sets KUBEBUILDER_ASSETS: envtest reads that variable before anything else,
// and `make test SKIP_ENVTEST=1` sets it empty.
func Assets() string {
	if dir := os.Getenv("KUBEBUILDER_ASSETS"); dir != "" {
		return dir
	}
	root, err := Root()
	if err != nil {
		return ""
	}
	matches, _ := filepath.Glob(filepath.Join(root, "bin", "k8s", "*", "kube-apiserver"))
	if len(matches) == 0 {
		return ""
	}
	dir := filepath.Dir(matches[0])
	_ = os.Setenv("KUBEBUILDER_ASSETS", dir)
	return dir
}

// Root is the module root: the nearest directory at or above the working directory (a test runs in
// its package's directory) that holds go.mod.
func Root() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no go.mod at or above the working directory")
		}
		dir = parent
	}
}

// Require skips t when the control-plane binaries are missing, or fails it when RequireEnv is set. It
// skips t when PureOnlyEnv is set (and fails it when both are).
func Require(t testing.TB) {
	t.Helper()
	if pure, err := pureOnly(); err != nil {
		t.Fatal(err)
	} else if pure {
		t.Skip(PureOnlyEnv + " is set: only the pure tests run")
	}
	if Assets() != "" {
		return
	}
	if os.Getenv(RequireEnv) != "" {
		t.Fatalf("%s, and %s is set", missingHint, RequireEnv)
	}
	t.Skip(missingHint + " to run this test")
}

// Suite is the control plane Run started for one test binary.
type Suite struct {
	// Config reaches the API server as its administrator (system:masters).
	Config *rest.Config
	// Scheme knows the core kinds and dirsync's.
	Scheme *runtime.Scheme
	// Client is an uncached administrator client: tests assert through it.
	Client client.Client
	// Kubeconfig is the administrator's kubeconfig file content, for a command-line client.
	Kubeconfig []byte
	// Env is the running environment: Env.AddUser gives a test an authenticated user with no rights.
	Env *envtest.Environment
}

// Scheme returns a scheme with the core kinds and dirsync's.
func Scheme() *runtime.Scheme {
	s := runtime.NewScheme()
	utilruntime.Must(clientgoscheme.AddToScheme(s))
	utilruntime.Must(dirsyncv1alpha1.AddToScheme(s))
	return s
}

// Run is the body of a package's TestMain: it starts one API server with dirsync's CRDs, calls setup
// (which starts what the package's tests need and returns how to stop it), runs the tests, stops
// everything and returns the exit code. Without the binaries it runs the tests anyway (those that call
// Require skip) unless RequireEnv is set. A fuzz worker never starts an API server, nor does a run with
// PureOnlyEnv set (unless RequireEnv is set too: then it fails).
func Run(m *testing.M, setup func(*Suite) (stop func(), err error)) int {
	name := filepath.Base(mustGetwd())
	if fuzzing() {
		return m.Run()
	}
	if pure, err := pureOnly(); err != nil {
		fmt.Fprintf(os.Stderr, "%s: %v\n", name, err)
		return 1
	} else if pure {
		return m.Run()
	}
	assets := Assets()
	if assets == "" {
		if os.Getenv(RequireEnv) != "" {
			fmt.Fprintf(os.Stderr, "%s: %s, and %s is set.\n", name, missingHint, RequireEnv)
			return 1
		}
		fmt.Fprintf(os.Stderr, "%s: %s; the envtest tests skip. Pure tests run.\n", name, missingHint)
		return m.Run()
	}
	root, err := Root()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	env := &envtest.Environment{BinaryAssetsDirectory: assets, ErrorIfCRDPathMissing: true,
		CRDDirectoryPaths: []string{filepath.Join(root, "config", "crd", "bases")}}
	cfg, err := env.Start()
	if err != nil {
		fmt.Fprintln(os.Stderr, "starting envtest:", err)
		return 1
	}
	defer func() { _ = env.Stop() }()
	s := &Suite{Config: cfg, Scheme: Scheme(), Kubeconfig: env.KubeConfig, Env: env}
	if s.Client, err = client.New(cfg, client.Options{Scheme: s.Scheme}); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	stop := func() {}
	if setup != nil {
		if stop, err = setup(s); err != nil {
			fmt.Fprintf(os.Stderr, "%s: setting up the suite: %v\n", name, err)
			return 1
		}
	}
	defer stop()
	return m.Run()
}

func mustGetwd() string {
	dir, _ := os.Getwd()
	return dir
}

// fuzzing reports whether this process runs a fuzz target (the coordinator or one of its workers).
func fuzzing() bool {
	if !flag.Parsed() {
		flag.Parse()
	}
	if f := flag.Lookup("test.fuzz"); f != nil && f.Value.String() != "" {
		return true
	}
	f := flag.Lookup("test.fuzzworker")
	return f != nil && f.Value.String() == "true"
}

// StartManager starts a manager on cfg with the operator's cache and client options (no metrics or
// probe listener), after setup has added its controllers; stop cancels it and waits for it to end.
func StartManager(cfg *rest.Config, scheme *runtime.Scheme, setup func(ctrl.Manager) error) (stop func(), err error) {
	mgr, err := ctrl.NewManager(cfg, ctrl.Options{
		Scheme:                 scheme,
		Metrics:                metricsserver.Options{BindAddress: "0"},
		HealthProbeBindAddress: "0",
		Cache:                  controllers.CacheOptions(nil),
		Client:                 controllers.ClientOptions(),
	})
	if err != nil {
		return nil, err
	}
	if err := setup(mgr); err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- mgr.Start(ctx) }()
	return func() {
		cancel()
		if err := <-done; err != nil {
			fmt.Fprintln(os.Stderr, "manager:", err)
		}
	}, nil
}

// NewNamespace creates a namespace named prefix plus a generated suffix, with the given "key=value"
// labels, and returns its name. Namespaces are left behind: the API server goes with the suite.
func NewNamespace(t testing.TB, c client.Client, prefix string, labels ...string) string {
	t.Helper()
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{GenerateName: prefix}}
	for _, l := range labels {
		k, v, _ := strings.Cut(l, "=")
		if ns.Labels == nil {
			ns.Labels = map[string]string{}
		}
		ns.Labels[k] = v
	}
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	if err := c.Create(ctx, ns); err != nil {
		t.Fatalf("creating a namespace: %v", err)
	}
	return ns.Name
}

// PollInterval is how often Eventually asks.
const PollInterval = 50 * time.Millisecond

// Eventually polls cond until it returns true, failing the test with cond's last message after timeout.
func Eventually(t testing.TB, timeout time.Duration, cond func() (bool, string)) {
	t.Helper()
	err := Poll(PollInterval, timeout, func(context.Context) (bool, string, error) {
		ok, msg := cond()
		return ok, msg, nil
	})
	if err != nil {
		t.Fatalf("condition not met within %s: %v", timeout, err)
	}
}

// Poll calls cond every interval (the first time at once) until it reports done, returns an error, or
// timeout passes. It returns nil when done; otherwise cond's error or the timeout, followed by cond's
// last message.
func Poll(interval, timeout time.Duration, cond func(ctx context.Context) (done bool, msg string, err error)) error {
	var last string
	err := wait.PollUntilContextTimeout(context.Background(), interval, timeout, true, func(ctx context.Context) (bool, error) {
		done, msg, err := cond(ctx)
		last = msg
		return done, err
	})
	if err != nil {
		return fmt.Errorf("%w; last seen: %s", err, last)
	}
	return nil
}

// Update re-reads obj through c, applies mutate and writes it, retrying when a controller wrote the
// object in between (a Get followed by an Update races with the controllers' own writes).
func Update[T client.Object](t testing.TB, c client.Client, obj T, mutate func(T)) {
	t.Helper()
	key := client.ObjectKeyFromObject(obj)
	err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
		if err := c.Get(context.Background(), key, obj); err != nil {
			return err
		}
		mutate(obj)
		return c.Update(context.Background(), obj)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// RoundTripperFunc is a function as an http.RoundTripper, for counting a manager's requests with
// rest.Config.Wrap.
type RoundTripperFunc func(*http.Request) (*http.Response, error)

// RoundTrip calls f.
func (f RoundTripperFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// Buffer collects a manager's logs, safe for concurrent writers, so that tests can scan them.
type Buffer struct {
	mu  sync.Mutex
	buf strings.Builder
}

// Write appends p.
func (b *Buffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// String returns everything written so far.
func (b *Buffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// Reconciles is how many reconciles the named controller ("directory", "directoryaccess") has run in
// this process, from controller-runtime's own metrics.
func Reconciles(t testing.TB, controller string) float64 {
	t.Helper()
	families, err := metrics.Registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var n float64
	for _, f := range families {
		if f.GetName() != "controller_runtime_reconcile_total" {
			continue
		}
		for _, m := range f.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "controller" && l.GetValue() == controller {
					n += m.GetCounter().GetValue()
				}
			}
		}
	}
	return n
}
