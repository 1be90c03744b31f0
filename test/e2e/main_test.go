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
// Environment (all optional; `make test-e2e` sets them): MANAGER_BIN and FAKEHR_BIN (where to
// build the binaries, default bin/manager and bin/fakehr), CONTROL_PLANE (default
// hack/control-plane.sh), K8S_BIN_DIR (passed through to the script), KUBECTL (default kubectl),
// HELM (default bin/helm), INSTALLER and INSTALLER_IMG (dist/install.yaml from `make
// build-installer` and the image it names), E2E_KEEP=1 (keep the state and log directory even
// when every test passed). Processes and the control plane are run through test/utils.
package e2e

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
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
	"github.com/dirsync/dirsync/test/utils"
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
	if repoRoot, err = utils.ProjectDir(); err != nil {
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
	defer func() { _ = clientLog.Close() }()
	ctrllog.SetLogger(zap.New(zap.WriteTo(clientLog)))

	started := time.Now()
	for _, b := range []struct{ out, pkg string }{{managerBin, "./cmd/manager"}, {fakehrBin, "./cmd/fakehr"}} {
		ctx, cancel := context.WithTimeout(context.Background(), buildTimeout)
		_, err := utils.Run(ctx, repoRoot, nil, "go", "build", "-o", b.out, b.pkg)
		cancel()
		if err != nil {
			logf("building %s: %v", b.pkg, err)
			return 1
		}
	}
	logf("built %s and %s in %s", managerBin, fakehrBin, time.Since(started).Round(time.Millisecond))

	started = time.Now()
	// The control plane stops when the suite ends, and (through its watchdog) also when the test
	// binary dies: a test timeout, a panic, Ctrl-C.
	defer func() {
		if err := processes.StopAll(gracefulStopTimeout); err != nil {
			logf("stopping: %v", err)
			if code == 0 {
				code = 1
			}
		}
	}()
	cp, err := processes.StartControlPlane(context.Background(), utils.ControlPlaneOptions{
		Script: controlPlane, Dir: filepath.Join(workDir, "cp"), LogDir: logDir, Timeout: controlPlaneTimeout,
	})
	if err != nil {
		logf("starting the control plane: %v", err)
		return 1
	}
	adminKubeconfig = cp.Kubeconfig
	if err := connect(); err != nil {
		logf("%v", err)
		return 1
	}
	if err := installCRDs(); err != nil {
		logf("installing the CRDs: %v", err)
		return 1
	}
	logf("control plane with CRDs ready in %s (state in %s)", time.Since(started).Round(time.Millisecond), workDir)
	return m.Run()
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
		"crd/directories.dirsync.io", "crd/directoryusers.dirsync.io", "crd/directorygroups.dirsync.io", "crd/directoryaccesses.dirsync.io",
		"crd/directorywebhooks.dirsync.io", "crd/directorywebhookrecords.dirsync.io")
	return err
}

func envOr(key, def string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return def
}

// processes are everything the suite and its tests started: the control plane, and every manager
// and fake HR server, so that the suite stops whatever a test left running (e.g. after a panic in a
// cleanup).
var processes utils.Group
