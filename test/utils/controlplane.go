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

package utils

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"
)

// ControlPlaneComponents are the processes hack/control-plane.sh runs, each with DIR/<name>.pid
// and DIR/<name>.log.
var ControlPlaneComponents = []string{"etcd", "kube-apiserver", "kube-controller-manager"}

// DefaultControlPlaneTimeout bounds `hack/control-plane.sh start` when the options give none.
const DefaultControlPlaneTimeout = 3 * time.Minute

// stopTimeout bounds `hack/control-plane.sh stop`, which waits at most 15s per component group.
const stopTimeout = time.Minute

// ControlPlaneOptions says which script starts the control plane and where it keeps its state.
type ControlPlaneOptions struct {
	// Script is hack/control-plane.sh (start|stop|env DIR).
	Script string
	// Dir holds the control plane's state: kubeconfig, pki/, etcd/, *.log, *.pid.
	Dir string
	// LogDir receives control-plane-start.log and control-plane-stop.log (default Dir).
	LogDir string
	// Env is added to the caller's environment, e.g. K8S_BIN_DIR=….
	Env []string
	// Timeout bounds the start (default DefaultControlPlaneTimeout); the script is told to give up
	// 30 s earlier, so that it prints its components' logs rather than being killed.
	Timeout time.Duration
}

// ControlPlane is a local control plane started by hack/control-plane.sh: etcd, kube-apiserver
// with RBAC and token authentication, and kube-controller-manager, on free loopback ports.
type ControlPlane struct {
	// Dir is the state directory; Kubeconfig the cluster admin's kubeconfig in it.
	Dir        string
	Kubeconfig string

	stopOnce sync.Once
	stopErr  error
	stop     func() error
}

// StartControlPlane runs `Script start Dir`. Before that it starts a watchdog: a shell that blocks
// reading a pipe whose only writer is this process, then runs `Script stop Dir`. Stop closes the
// pipe and waits for the watchdog, so both the normal path and a caller that dies (a test timeout,
// a panic, Ctrl-C, SIGKILL) stop etcd, kube-apiserver and kube-controller-manager. The returned
// ControlPlane is non-nil whenever the watchdog started, also with an error: call Stop on it.
// Cancelling ctx abandons the start.
func StartControlPlane(ctx context.Context, o ControlPlaneOptions) (*ControlPlane, error) {
	if o.Script == "" || o.Dir == "" {
		return nil, errors.New("control plane: Script and Dir are required")
	}
	if o.LogDir == "" {
		o.LogDir = o.Dir
	}
	if o.Timeout <= 0 {
		o.Timeout = DefaultControlPlaneTimeout
	}
	for _, d := range []string{o.Dir, o.LogDir} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return nil, err
		}
	}
	stop, err := startWatchdog(o)
	if err != nil {
		return nil, err
	}
	cp := &ControlPlane{Dir: o.Dir, Kubeconfig: filepath.Join(o.Dir, "kubeconfig"), stop: stop}

	ctx, cancel := context.WithTimeout(ctx, o.Timeout)
	defer cancel()
	scriptTimeout := max(o.Timeout-30*time.Second, o.Timeout/2)
	env := append(append(os.Environ(), o.Env...), "CONTROL_PLANE_TIMEOUT="+strconv.Itoa(int(scriptTimeout/time.Second)))
	out, err := Run(ctx, "", env, o.Script, "start", o.Dir)
	_ = os.WriteFile(filepath.Join(o.LogDir, "control-plane-start.log"), out, 0o644)
	if err != nil {
		return cp, err
	}
	return cp, nil
}

// startWatchdog starts the shell that runs `Script stop Dir` when the pipe closes, and returns
// the function that closes it and waits.
func startWatchdog(o ControlPlaneOptions) (func() error, error) {
	r, w, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	wdLog, err := os.Create(filepath.Join(o.LogDir, "control-plane-stop.log"))
	if err != nil {
		_ = r.Close()
		_ = w.Close()
		return nil, err
	}
	watchdog := exec.Command("sh", "-c", `cat >/dev/null; exec "$0" stop "$1"`, o.Script, o.Dir)
	watchdog.Env = append(os.Environ(), o.Env...)
	watchdog.Stdin, watchdog.Stdout, watchdog.Stderr = r, wdLog, wdLog
	watchdog.SysProcAttr = watchdogProcAttr()
	if err := watchdog.Start(); err != nil {
		_ = r.Close()
		_ = w.Close()
		_ = wdLog.Close()
		return nil, fmt.Errorf("starting the control plane watchdog: %w", err)
	}
	_ = r.Close()
	done := make(chan error, 1)
	go func() { done <- watchdog.Wait() }()
	return func() error {
		defer func() { _ = wdLog.Close() }()
		_ = w.Close()
		select {
		case err := <-done:
			if err != nil {
				return fmt.Errorf("%s stop %s: %w (see %s)", o.Script, o.Dir, err, wdLog.Name())
			}
			return nil
		case <-time.After(stopTimeout):
			killGroup(watchdog.Process.Pid)
			return fmt.Errorf("%s stop %s did not finish within %s", o.Script, o.Dir, stopTimeout)
		}
	}, nil
}

// Stop stops every component (hack/control-plane.sh stop) and waits for that. It is idempotent.
func (cp *ControlPlane) Stop() error {
	cp.stopOnce.Do(func() { cp.stopErr = cp.stop() })
	return cp.stopErr
}

// Pid is the process id of a component (one of ControlPlaneComponents).
func (cp *ControlPlane) Pid(component string) (int, error) {
	return ReadPidFile(filepath.Join(cp.Dir, component+".pid"))
}

// Pids are the process ids of every component, by name.
func (cp *ControlPlane) Pids() (map[string]int, error) {
	pids := map[string]int{}
	for _, c := range ControlPlaneComponents {
		pid, err := cp.Pid(c)
		if err != nil {
			return nil, fmt.Errorf("reading %s's pid: %w", c, err)
		}
		pids[c] = pid
	}
	return pids, nil
}

// ReadPidFile reads a pid file ("1234\n").
func ReadPidFile(path string) (int, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, err
	}
	return strconv.Atoi(strings.TrimSpace(string(b)))
}
