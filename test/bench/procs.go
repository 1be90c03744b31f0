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
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// clockTicks is USER_HZ, the unit of the CPU times in /proc/<pid>/stat and /proc/stat (100 on Linux).
const clockTicks = 100

// procs tracks every process the bench starts, so that all of them are stopped at the end, on
// failure too. Control planes are stopped through hack/control-plane.sh stop.
type procs struct {
	mu            sync.Mutex
	cmds          []*child
	controlPlanes []string
	script        string
}

type child struct {
	name string
	cmd  *exec.Cmd
	done chan struct{}
	log  string
}

// start runs bin with args in the background, stdout and stderr to logPath, and writes its pid to
// pidFile (which hack/bench.sh also uses to kill it if the bench itself is killed).
func (p *procs) start(name, logPath, pidFile string, bin string, args ...string) (*child, error) {
	f, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = f, f
	// Die with the bench, even if it is killed hard.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		_ = f.Close()
		return nil, fmt.Errorf("starting %s: %w", name, err)
	}
	c := &child{name: name, cmd: cmd, done: make(chan struct{}), log: logPath}
	go func() {
		_ = cmd.Wait()
		_ = f.Close()
		close(c.done)
	}()
	_ = os.WriteFile(pidFile, []byte(strconv.Itoa(cmd.Process.Pid)+"\n"), 0o644)
	p.mu.Lock()
	p.cmds = append(p.cmds, c)
	p.mu.Unlock()
	return c, nil
}

func (c *child) pid() int { return c.cmd.Process.Pid }

func (c *child) alive() bool {
	select {
	case <-c.done:
		return false
	default:
		return true
	}
}

// stop sends SIGTERM, waits up to 10s, then SIGKILL.
func (c *child) stop() {
	if !c.alive() {
		return
	}
	_ = c.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-c.done:
	case <-time.After(10 * time.Second):
		_ = c.cmd.Process.Kill()
		<-c.done
	}
}

// stopAll stops every child (newest first) and every control plane.
func (p *procs) stopAll() {
	p.mu.Lock()
	cmds, cps := p.cmds, p.controlPlanes
	p.cmds, p.controlPlanes = nil, nil
	p.mu.Unlock()
	for i := len(cmds) - 1; i >= 0; i-- {
		cmds[i].stop()
	}
	for _, dir := range cps {
		p.stopControlPlane(dir)
	}
}

func (p *procs) stopControlPlane(dir string) {
	cmd := exec.Command(p.script, "stop", dir)
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		logf("stopping the control plane in %s: %v", dir, err)
	}
}

// startControlPlane runs hack/control-plane.sh start dir and registers dir for stopping.
func (p *procs) startControlPlane(ctx context.Context, dir string) error {
	p.mu.Lock()
	p.controlPlanes = append(p.controlPlanes, dir)
	p.mu.Unlock()
	cmd := exec.CommandContext(ctx, p.script, "start", dir)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("%s start %s: %w\n%s", p.script, dir, err, out)
	}
	return nil
}

// readPid reads a pid file written by hack/control-plane.sh.
func readPid(path string) (int, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, err
	}
	return strconv.Atoi(strings.TrimSpace(string(b)))
}

// freePorts returns n distinct free TCP ports on 127.0.0.1.
func freePorts(n int) ([]int, error) {
	var ls []net.Listener
	defer func() {
		for _, l := range ls {
			_ = l.Close()
		}
	}()
	ports := make([]int, 0, n)
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		ls = append(ls, l)
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}

// cpuTicks is a process's user+system CPU time in clock ticks (0 when it is gone).
func cpuTicks(pid int) int64 {
	b, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "stat"))
	if err != nil {
		return 0
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return 0
	}
	f := strings.Fields(s[i+1:])
	// After the command: state(0) ppid(1) … utime(11) stime(12).
	if len(f) < 13 {
		return 0
	}
	u, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	return u + st
}

// systemTicks is the machine's non-idle CPU time from /proc/stat, in clock ticks, without steal
// (time the hypervisor gave to other machines), and the steal time.
func systemTicks() (busy, steal int64) {
	f, err := os.Open("/proc/stat")
	if err != nil {
		return 0, 0
	}
	defer func() { _ = f.Close() }()
	sc := bufio.NewScanner(f)
	if !sc.Scan() {
		return 0, 0
	}
	fields := strings.Fields(sc.Text()) // cpu user nice system idle iowait irq softirq steal guest guest_nice
	for i, v := range fields[1:] {
		n, _ := strconv.ParseInt(v, 10, 64)
		switch {
		case i == 7:
			steal = n
		case i == 3 || i == 4 || i >= 8: // idle, iowait; guest times are already in user
		default:
			busy += n
		}
	}
	return busy, steal
}

// memKiB reads VmHWM and VmRSS (KiB) from /proc/<pid>/status.
func memKiB(pid int) (hwm, rss int64) {
	b, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "status"))
	if err != nil {
		return 0, 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) < 2 {
			continue
		}
		v, _ := strconv.ParseInt(f[1], 10, 64)
		switch f[0] {
		case "VmHWM:":
			hwm = v
		case "VmRSS:":
			rss = v
		}
	}
	return hwm, rss
}

// loadAvg is /proc/loadavg's first three fields.
func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "?"
	}
	return strings.Join(f[:3], " ")
}
