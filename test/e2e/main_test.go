//go:build e2e

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

// Package e2e tests dirsync from the outside: bin/manager and bin/fakehr run as separate processes
// against a real local control plane (etcd, kube-apiserver with RBAC and token authentication, and
// kube-controller-manager for garbage collection) started by hack/control-plane.sh. Everything
// listens on 127.0.0.1. Run with
//
//	go test -tags e2e ./test/e2e/ -v -count=1 -timeout 20m
//
// Environment (all optional; `make test-e2e` sets the first three): MANAGER_BIN and FAKEHR_BIN
// (where to build the binaries, default bin/manager and bin/fakehr), CONTROL_PLANE (default
// hack/control-plane.sh), K8S_BIN_DIR (passed through to the script), KUBECTL (default kubectl),
// E2E_KEEP=1 (keep the state and log directory even when every test passed).
package e2e

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/runtime"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	"sigs.k8s.io/controller-runtime/pkg/client"
	ctrllog "sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"

	dirsyncv1alpha1 "github.com/dirsync/dirsync/api/v1alpha1"
)

// canaryKey is the API key every test's fake HR servers accept and every test's Secrets hold. It is
// recognisable so that TestAPIKeyNeverInManagerOutput can search all manager output for it.
const canaryKey = "dirsync-e2e-canary-KEY-91b2"

// Bounds of the suite's own setup.
const (
	buildTimeout        = 10 * time.Minute
	controlPlaneTimeout = 3 * time.Minute
	kubectlTimeout      = time.Minute
)

var (
	repoRoot        string // the module root
	managerBin      string
	fakehrBin       string
	controlPlane    string // hack/control-plane.sh
	kubectlBin      string
	workDir         string // state of this run: cp/ (the control plane), logs/, kubeconfigs
	logDir          string
	adminKubeconfig string
	adminConfig     *rest.Config
	k8s             client.Client // cluster admin
	scheme          = runtime.NewScheme()
)

func init() {
	utilruntime.Must(clientgoscheme.AddToScheme(scheme))
	utilruntime.Must(dirsyncv1alpha1.AddToScheme(scheme))
}

func TestMain(m *testing.M) {
	flag.Parse()
	os.Exit(runSuite(m))
}

// runSuite builds the binaries, starts one control plane with the CRDs, runs the tests, and stops
// everything it started, whatever happened. It returns the exit code.
func runSuite(m *testing.M) (code int) {
	logf := func(format string, args ...any) { fmt.Fprintf(os.Stderr, "e2e: "+format+"\n", args...) }
	var err error
	if repoRoot, err = filepath.Abs("../.."); err != nil {
		logf("%v", err)
		return 1
	}
	managerBin = envOr("MANAGER_BIN", filepath.Join(repoRoot, "bin", "manager"))
	fakehrBin = envOr("FAKEHR_BIN", filepath.Join(repoRoot, "bin", "fakehr"))
	controlPlane = envOr("CONTROL_PLANE", filepath.Join(repoRoot, "hack", "control-plane.sh"))
	kubectlBin = envOr("KUBECTL", "kubectl")

	if workDir, err = os.MkdirTemp("", "dirsync-e2e-"); err != nil {
		logf("%v", err)
		return 1
	}
	logDir = filepath.Join(workDir, "logs")
	defer func() {
		if code != 0 || os.Getenv("E2E_KEEP") != "" {
			logf("kept the control plane state and every process log in %s", workDir)
			return
		}
		_ = os.RemoveAll(workDir)
	}()
	if err := os.MkdirAll(logDir, 0o755); err != nil {
		logf("%v", err)
		return 1
	}

	// The test's own controller-runtime clients log (rarely: API warnings) to a file.
	clientLog, err := os.Create(filepath.Join(logDir, "test-clients.log"))
	if err != nil {
		logf("%v", err)
		return 1
	}
	defer clientLog.Close()
	ctrllog.SetLogger(zap.New(zap.WriteTo(clientLog)))

	started := time.Now()
	for _, b := range []struct{ out, pkg string }{{managerBin, "./cmd/manager"}, {fakehrBin, "./cmd/fakehr"}} {
		if err := run(buildTimeout, "go", "build", "-o", b.out, b.pkg); err != nil {
			logf("building %s: %v", b.pkg, err)
			return 1
		}
	}
	logf("built %s and %s in %s", managerBin, fakehrBin, time.Since(started).Round(time.Millisecond))

	started = time.Now()
	stop, err := startControlPlane(filepath.Join(workDir, "cp"))
	defer func() {
		if err := stop(); err != nil {
			logf("stopping the control plane: %v", err)
			if code == 0 {
				code = 1
			}
		}
	}()
	if err != nil {
		logf("starting the control plane: %v", err)
		return 1
	}
	if err := connect(); err != nil {
		logf("%v", err)
		return 1
	}
	if err := installCRDs(); err != nil {
		logf("installing the CRDs: %v", err)
		return 1
	}
	logf("control plane with CRDs ready in %s (state in %s)", time.Since(started).Round(time.Millisecond), workDir)

	defer stopAllProcesses() // whatever a test left running, e.g. after a panic in a cleanup
	return m.Run()
}

// startControlPlane runs `hack/control-plane.sh start DIR`. Before that it starts a watchdog: a
// shell that blocks reading a pipe whose only writer is this process, then runs `stop DIR`. The
// returned stop closes the pipe and waits for the watchdog, so the normal path and a test binary
// that dies (test timeout, panic, Ctrl-C) both stop etcd, kube-apiserver and kube-controller-manager.
func startControlPlane(dir string) (stop func() error, err error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return func() error { return nil }, err
	}
	r, w, err := os.Pipe()
	if err != nil {
		return func() error { return nil }, err
	}
	wdLog, err := os.Create(filepath.Join(logDir, "control-plane-stop.log"))
	if err != nil {
		return func() error { return nil }, err
	}
	watchdog := exec.Command("sh", "-c", `cat >/dev/null; exec "$0" stop "$1"`, controlPlane, dir)
	watchdog.Stdin, watchdog.Stdout, watchdog.Stderr = r, wdLog, wdLog
	watchdog.SysProcAttr = &syscall.SysProcAttr{Setpgid: true} // survives a Ctrl-C to our process group
	if err := watchdog.Start(); err != nil {
		return func() error { return nil }, fmt.Errorf("starting the control plane watchdog: %w", err)
	}
	_ = r.Close()
	done := make(chan error, 1)
	go func() { done <- watchdog.Wait() }()
	stop = func() error {
		defer wdLog.Close()
		_ = w.Close()
		select {
		case err := <-done:
			return err
		case <-time.After(time.Minute): // the script's own stop waits at most 15s per component group
			_ = syscall.Kill(-watchdog.Process.Pid, syscall.SIGKILL)
			return errors.New("hack/control-plane.sh stop did not finish within 1m")
		}
	}

	out, err := runCmd(controlPlaneTimeout, []string{fmt.Sprintf("CONTROL_PLANE_TIMEOUT=%d", int((controlPlaneTimeout-30*time.Second)/time.Second))},
		controlPlane, "start", dir)
	_ = os.WriteFile(filepath.Join(logDir, "control-plane-start.log"), out, 0o644)
	if err != nil {
		return stop, err
	}
	adminKubeconfig = filepath.Join(dir, "kubeconfig")
	return stop, nil
}

// connect builds the admin client from the control plane's kubeconfig.
func connect() error {
	cfg, err := clientcmd.BuildConfigFromFlags("", adminKubeconfig)
	if err != nil {
		return fmt.Errorf("loading %s: %w", adminKubeconfig, err)
	}
	cfg.QPS, cfg.Burst = 200, 400 // the tests list thousands of objects
	adminConfig = cfg
	if k8s, err = client.New(cfg, client.Options{Scheme: scheme}); err != nil {
		return fmt.Errorf("creating the admin client: %w", err)
	}
	return nil
}

// installCRDs applies config/crd as `make install` does and waits until the API serves the kinds.
func installCRDs() error {
	if _, err := kubectl("", "apply", "--server-side", "-k", "config/crd"); err != nil {
		return err
	}
	_, err := kubectl("", "wait", "--for=condition=Established", "--timeout=60s",
		"crd/directories.dirsync.io", "crd/directoryusers.dirsync.io", "crd/directorygroups.dirsync.io", "crd/directoryaccesses.dirsync.io")
	return err
}

// run runs a command in the module root with a timeout, returning its output in the error.
func run(timeout time.Duration, name string, args ...string) error {
	_, err := runCmd(timeout, nil, name, args...)
	return err
}

// runCmd runs a command in the module root with extra environment variables, killing it after
// timeout, and returns its combined output; the error includes the output.
func runCmd(timeout time.Duration, env []string, name string, args ...string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = repoRoot
	cmd.Env = append(os.Environ(), env...)
	cmd.WaitDelay = 5 * time.Second
	out, err := cmd.CombinedOutput()
	if err != nil {
		if ctx.Err() != nil {
			err = fmt.Errorf("timed out after %s: %w", timeout, err)
		}
		return out, fmt.Errorf("%s %s: %w\n%s", name, strings.Join(args, " "), err, out)
	}
	return out, nil
}

func envOr(key, def string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return def
}

// The processes the tests started, so that the suite can stop any a test left behind.
var (
	procsMu sync.Mutex
	procs   []*proc
)

func stopAllProcesses() {
	procsMu.Lock()
	all := append([]*proc(nil), procs...)
	procsMu.Unlock()
	for _, p := range all {
		p.terminate()
	}
}
