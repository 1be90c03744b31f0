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
	"fmt"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// childEnv makes the test binary act as a child process (see TestMain) instead of running tests.
const childEnv = "UTILS_TEST_CHILD"

// TestMain lets the test binary be its own child process, so the tests need no other binary:
//   - "serve": logs a plain line and a JSON line, then exits 0 on SIGTERM;
//   - "stubborn": ignores SIGTERM and waits to be killed;
//   - "controlplane": starts a control plane with the script in $CP_SCRIPT and $CP_DIR, then waits
//     to be killed (the watchdog must stop the control plane).
func TestMain(m *testing.M) {
	switch os.Getenv(childEnv) {
	case "":
		os.Exit(m.Run())
	case "serve":
		term := make(chan os.Signal, 1)
		signal.Notify(term, syscall.SIGTERM)
		fmt.Println("plain line")
		fmt.Println(`{"level":"info","msg":"Starting workers","worker count":2}`)
		<-term
		fmt.Println("stopping")
		os.Exit(0)
	case "stubborn":
		signal.Ignore(syscall.SIGTERM)
		fmt.Println("ignoring SIGTERM")
		waitForever()
	case "controlplane":
		if _, err := StartControlPlane(context.Background(), ControlPlaneOptions{Script: os.Getenv("CP_SCRIPT"), Dir: os.Getenv("CP_DIR")}); err != nil {
			fmt.Println(err)
			os.Exit(1)
		}
		fmt.Println("control plane started")
		waitForever()
	}
	os.Exit(2)
}

// waitForever blocks until the process is killed. (A bare select{} would be reported as a
// deadlock and exit 2 where nothing else runs, as in a binary built without cgo.)
func waitForever() {
	for {
		time.Sleep(time.Hour)
	}
}

// child is a Command running this test binary in the given child mode.
func child(t *testing.T, mode string) Command {
	t.Helper()
	dir := t.TempDir()
	return Command{
		Name:    mode,
		Path:    os.Args[0],
		Env:     append(os.Environ(), childEnv+"="+mode),
		LogPath: filepath.Join(dir, mode+".log"),
		PidFile: filepath.Join(dir, mode+".pid"),
	}
}

// waitFor polls cond every 10ms until it holds, failing the test after timeout.
func waitFor(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("waited %s for %s", timeout, what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestFreePortsAreDistinctAndBindable(t *testing.T) {
	for _, n := range []int{1, 2, 8} {
		t.Run(strconv.Itoa(n), func(t *testing.T) {
			ports, err := FreePorts(n)
			if err != nil {
				t.Fatal(err)
			}
			if len(ports) != n {
				t.Fatalf("got %d ports, want %d", len(ports), n)
			}
			seen := map[int]bool{}
			for _, p := range ports {
				if seen[p] {
					t.Fatalf("port %d returned twice: %v", p, ports)
				}
				seen[p] = true
				l, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(p))
				if err != nil {
					t.Fatalf("port %d is not free: %v", p, err)
				}
				_ = l.Close()
			}
		})
	}
}

func TestProcessStopsWithSIGTERMOrIsKilledAfterTheGracePeriod(t *testing.T) {
	tests := []struct {
		mode        string
		grace       time.Duration
		wantWaitErr string // "" for a clean exit
		wantLog     string
	}{
		{mode: "serve", grace: 10 * time.Second, wantWaitErr: "", wantLog: "stopping"},
		{mode: "stubborn", grace: 200 * time.Millisecond, wantWaitErr: "signal: killed", wantLog: "ignoring SIGTERM"},
	}
	for _, tt := range tests {
		t.Run(tt.mode, func(t *testing.T) {
			p, err := child(t, tt.mode).Start()
			if err != nil {
				t.Fatal(err)
			}
			waitFor(t, 10*time.Second, "the child's first log line", func() bool { return p.Output() != "" })
			if p.Exited() || p.ExitedError() != nil {
				t.Fatalf("the child exited early: %v", p.ExitedError())
			}
			p.Stop(tt.grace)
			if !p.Exited() {
				t.Fatal("the process runs after Stop")
			}
			got := ""
			if err := p.WaitErr(); err != nil {
				got = err.Error()
			}
			if got != tt.wantWaitErr {
				t.Errorf("WaitErr() = %q, want %q", got, tt.wantWaitErr)
			}
			if !strings.Contains(p.Output(), tt.wantLog) {
				t.Errorf("log %q lacks %q", p.Output(), tt.wantLog)
			}
			p.Stop(tt.grace) // idempotent
		})
	}
}

func TestProcessWritesItsPidFileAndParsesJSONLogLines(t *testing.T) {
	c := child(t, "serve")
	p, err := c.Start()
	if err != nil {
		t.Fatal(err)
	}
	defer p.Stop(DefaultGracePeriod)
	pid, err := ReadPidFile(c.PidFile)
	if err != nil || pid != p.Pid() {
		t.Fatalf("pid file says %d (%v), want %d", pid, err, p.Pid())
	}
	waitFor(t, 10*time.Second, "the JSON log line", func() bool { return len(p.LogEntries("")) == 1 })
	if e := p.LogEntries("Starting workers"); len(e) != 1 || e[0]["worker count"] != 2.0 {
		t.Errorf(`LogEntries("Starting workers") = %v, want the one entry with worker count 2`, e)
	}
	if e := p.LogEntries("no such message"); len(e) != 0 {
		t.Errorf("LogEntries of an absent message = %v", e)
	}
	if got, want := p.Tail(1), `{"level":"info","msg":"Starting workers","worker count":2}`; got != want {
		t.Errorf("Tail(1) = %q, want %q", got, want)
	}
}

func TestKillIsACrash(t *testing.T) {
	p, err := child(t, "serve").Start()
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Kill(); err != nil {
		t.Fatal(err)
	}
	if err := p.WaitErr(); err == nil || err.Error() != "signal: killed" {
		t.Errorf("WaitErr() = %v, want signal: killed", err)
	}
	if strings.Contains(p.Output(), "stopping") {
		t.Error("the process ran its SIGTERM handler: that was no crash")
	}
}

func TestGroupStopAllStopsEveryProcess(t *testing.T) {
	var g Group
	var ps []*Process
	for _, mode := range []string{"serve", "stubborn", "serve"} {
		p, err := g.Start(child(t, mode))
		if err != nil {
			t.Fatal(err)
		}
		ps = append(ps, p)
	}
	if err := g.StopAll(100 * time.Millisecond); err != nil {
		t.Fatal(err)
	}
	for _, p := range ps {
		if !p.Exited() {
			t.Errorf("%s (pid %d) runs after StopAll", p.Name, p.Pid())
		}
	}
}

// fakeControlPlane writes a stand-in for hack/control-plane.sh: start writes the kubeconfig and
// pid files (or fails with CP_FAIL set); stop records that it ran.
func fakeControlPlane(t *testing.T) string {
	t.Helper()
	script := filepath.Join(t.TempDir(), "control-plane.sh")
	body := `#!/bin/sh
set -e
case $1 in
start)
	[ -z "$CP_FAIL" ] || { echo "etcd exited while waiting for etcd"; exit 1; }
	echo "timeout $CONTROL_PLANE_TIMEOUT"
	echo "apiVersion: v1" > "$2/kubeconfig"
	n=100; for c in etcd kube-apiserver kube-controller-manager; do n=$((n+1)); echo $n > "$2/$c.pid"; done ;;
stop) echo stopped >> "$2/stopped" ;;
esac
`
	if err := os.WriteFile(script, []byte(body), 0o755); err != nil {
		t.Fatal(err)
	}
	return script
}

func TestControlPlaneStartAndStop(t *testing.T) {
	tests := []struct {
		name    string
		env     []string
		wantErr string
	}{
		{name: "started"},
		{name: "failed start", env: []string{"CP_FAIL=1"}, wantErr: "etcd exited while waiting for etcd"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "cp")
			var g Group
			cp, err := g.StartControlPlane(context.Background(), ControlPlaneOptions{Script: fakeControlPlane(t), Dir: dir, Env: tt.env, Timeout: time.Minute})
			if cp == nil {
				t.Fatalf("no ControlPlane to stop (err %v)", err)
			}
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want one containing %q", err, tt.wantErr)
				}
			} else {
				if err != nil {
					t.Fatal(err)
				}
				pids, err := cp.Pids()
				if err != nil || pids["etcd"] != 101 || pids["kube-controller-manager"] != 103 {
					t.Errorf("Pids() = %v, %v", pids, err)
				}
				if _, err := os.Stat(cp.Kubeconfig); err != nil {
					t.Error(err)
				}
				if b, _ := os.ReadFile(filepath.Join(dir, "control-plane-start.log")); !strings.Contains(string(b), "timeout 30") {
					t.Errorf("the script was not given CONTROL_PLANE_TIMEOUT=30 (a minute less 30s): %q", b)
				}
			}
			if _, err := os.Stat(filepath.Join(dir, "stopped")); err == nil {
				t.Fatal("stop ran before Stop")
			}
			if err := g.StopAll(time.Second); err != nil {
				t.Fatal(err)
			}
			if err := cp.Stop(); err != nil { // idempotent
				t.Fatal(err)
			}
			if b, err := os.ReadFile(filepath.Join(dir, "stopped")); err != nil || string(b) != "stopped\n" {
				t.Errorf("stop ran %q (%v), want once", b, err)
			}
		})
	}
}

// A caller that is SIGKILLed (a test binary past its timeout) cannot stop anything itself: the
// watchdog must.
func TestControlPlaneIsStoppedWhenItsStarterIsKilled(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "cp")
	c := child(t, "controlplane")
	c.Env = append(c.Env, "CP_SCRIPT="+fakeControlPlane(t), "CP_DIR="+dir)
	p, err := c.Start()
	if err != nil {
		t.Fatal(err)
	}
	defer p.Stop(0)
	waitFor(t, 30*time.Second, "the child to start its control plane", func() bool {
		return strings.Contains(p.Output(), "control plane started") || p.Exited()
	})
	if _, err := os.Stat(filepath.Join(dir, "stopped")); err == nil {
		t.Fatal("stop ran while the starter lived")
	}
	if err := p.Kill(); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 30*time.Second, "the watchdog to run stop", func() bool {
		_, err := os.Stat(filepath.Join(dir, "stopped"))
		return err == nil
	})
}

func TestKubectlPassesItsKubeconfigAndNotTheEnvironments(t *testing.T) {
	dir := t.TempDir()
	fake := filepath.Join(dir, "kubectl")
	if err := os.WriteFile(fake, []byte("#!/bin/sh\necho \"args=$* KUBECONFIG=${KUBECONFIG:-unset} stdin=$(cat)\"\n[ \"$1\" != --kubeconfig=fail ]\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("KUBECONFIG", "/somewhere/else")
	tests := []struct {
		kubeconfig, stdin string
		want              string
		wantErr           bool
	}{
		{kubeconfig: "/cp/kubeconfig", stdin: "doc", want: "args=--kubeconfig=/cp/kubeconfig get ns KUBECONFIG=unset stdin=doc\n"},
		{kubeconfig: "fail", wantErr: true, want: "args=--kubeconfig=fail get ns KUBECONFIG=unset stdin=\n"},
	}
	for _, tt := range tests {
		t.Run(tt.kubeconfig, func(t *testing.T) {
			out, err := Kubectl{Path: fake, Kubeconfig: tt.kubeconfig}.Run(context.Background(), tt.stdin, "get", "ns")
			if (err != nil) != tt.wantErr || out != tt.want {
				t.Errorf("Run() = %q, %v; want %q (error: %v)", out, err, tt.want, tt.wantErr)
			}
		})
	}
}

func TestProjectDirHoldsGoMod(t *testing.T) {
	dir, err := ProjectDir()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "go.mod")); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "test", "utils")); err != nil {
		t.Errorf("%s is not this module's root: %v", dir, err)
	}
}
