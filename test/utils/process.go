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
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// DefaultGracePeriod is how long Stop waits after SIGTERM before it sends SIGKILL.
const DefaultGracePeriod = 10 * time.Second

// killWait bounds the wait for a process to be reaped after SIGKILL.
const killWait = 10 * time.Second

// Command describes a process to start in the background.
type Command struct {
	// Name names the process in messages, e.g. "manager".
	Name string
	// Path is the binary; Args its arguments (without argv[0]).
	Path string
	Args []string
	// Dir is the working directory ("" for the caller's).
	Dir string
	// Env is the environment; nil inherits the caller's.
	Env []string
	// LogPath receives stdout and stderr. Required: a background process's output must go somewhere
	// a failing test can show.
	LogPath string
	// PidFile, if set, receives the pid, so that a shell backstop (hack/bench.sh) can stop the
	// process if the Go program that started it is killed before it can.
	PidFile string
}

// Process is a running (or exited) background process started by Command.Start.
type Process struct {
	Name    string
	LogPath string

	cmd     *exec.Cmd
	done    chan struct{}
	waitErr error
}

// Start starts the command. The process dies with the calling program's thread (Pdeathsig on
// Linux) if the caller never stops it.
func (c Command) Start() (*Process, error) {
	if c.LogPath == "" {
		return nil, fmt.Errorf("starting %s: no log path", c.Name)
	}
	f, err := os.Create(c.LogPath)
	if err != nil {
		return nil, fmt.Errorf("starting %s: %w", c.Name, err)
	}
	cmd := exec.Command(c.Path, c.Args...)
	cmd.Dir, cmd.Env = c.Dir, c.Env
	cmd.Stdout, cmd.Stderr = f, f
	cmd.SysProcAttr = childProcAttr()
	if err := cmd.Start(); err != nil {
		_ = f.Close()
		return nil, fmt.Errorf("starting %s: %w", c.Name, err)
	}
	p := &Process{Name: c.Name, LogPath: c.LogPath, cmd: cmd, done: make(chan struct{})}
	go func() {
		p.waitErr = cmd.Wait()
		_ = f.Close()
		close(p.done)
	}()
	if c.PidFile != "" {
		if err := os.WriteFile(c.PidFile, []byte(strconv.Itoa(cmd.Process.Pid)+"\n"), 0o644); err != nil {
			p.Stop(0)
			return nil, fmt.Errorf("writing %s's pid file: %w", c.Name, err)
		}
	}
	return p, nil
}

// Pid is the process id.
func (p *Process) Pid() int { return p.cmd.Process.Pid }

// Done is closed when the process has exited and its log is closed.
func (p *Process) Done() <-chan struct{} { return p.done }

// Exited reports whether the process has ended.
func (p *Process) Exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// WaitErr is what waiting for the process returned (e.g. "signal: killed"); nil while it runs or
// after a clean exit.
func (p *Process) WaitErr() error {
	if !p.Exited() {
		return nil
	}
	return p.waitErr
}

// Stop sends SIGTERM, waits up to grace for the process to exit, then sends SIGKILL and waits for
// it to be reaped. It is idempotent and safe to call on an exited process.
func (p *Process) Stop(grace time.Duration) {
	if p.Exited() {
		return
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(grace):
		_ = p.Kill()
	}
}

// Kill sends SIGKILL and waits for the process to be reaped: a crash, as far as the process can
// tell. It returns an error if the process still runs afterwards.
func (p *Process) Kill() error {
	_ = p.cmd.Process.Kill()
	select {
	case <-p.done:
		return nil
	case <-time.After(killWait):
		return fmt.Errorf("%s (pid %d) still runs %s after SIGKILL", p.Name, p.Pid(), killWait)
	}
}

// Output is the whole log so far.
func (p *Process) Output() string {
	b, _ := os.ReadFile(p.LogPath)
	return string(b)
}

// Tail is the last n lines of the log.
func (p *Process) Tail(n int) string {
	return Tail(p.Output(), n)
}

// Tail is the last n lines of s.
func Tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// LogEntries are the log's JSON lines (zap's production format, the manager's default) decoded;
// other lines (klog's, a panic's) are skipped. With msg, only the entries whose "msg" is msg.
func (p *Process) LogEntries(msg string) []map[string]any {
	var out []map[string]any
	sc := bufio.NewScanner(strings.NewReader(p.Output()))
	sc.Buffer(make([]byte, 0, 64<<10), 4<<20)
	for sc.Scan() {
		line := sc.Bytes()
		if len(line) == 0 || line[0] != '{' {
			continue
		}
		var e map[string]any
		if json.Unmarshal(line, &e) == nil && (msg == "" || e["msg"] == msg) {
			out = append(out, e)
		}
	}
	return out
}

// ExitedError describes an exited process for a failure message: how it ended and its last lines.
func (p *Process) ExitedError() error {
	if !p.Exited() {
		return nil
	}
	if p.waitErr == nil {
		return fmt.Errorf("%s exited (status 0); last lines of %s:\n%s", p.Name, p.LogPath, p.Tail(30))
	}
	return fmt.Errorf("%s exited (%w); last lines of %s:\n%s", p.Name, p.waitErr, p.LogPath, p.Tail(30))
}

// Group tracks the processes and control planes a test run or benchmark starts, so that one call
// stops all of them, whatever happened. The zero value is ready to use.
type Group struct {
	mu            sync.Mutex
	procs         []*Process
	controlPlanes []*ControlPlane
}

// Start starts c and adds the process to the group.
func (g *Group) Start(c Command) (*Process, error) {
	p, err := c.Start()
	if err != nil {
		return nil, err
	}
	g.mu.Lock()
	g.procs = append(g.procs, p)
	g.mu.Unlock()
	return p, nil
}

// StartControlPlane starts a control plane (see StartControlPlane) and adds it to the group, also
// when starting fails half way, so that StopAll stops whatever did start.
func (g *Group) StartControlPlane(ctx context.Context, o ControlPlaneOptions) (*ControlPlane, error) {
	cp, err := StartControlPlane(ctx, o)
	if cp != nil {
		g.mu.Lock()
		g.controlPlanes = append(g.controlPlanes, cp)
		g.mu.Unlock()
	}
	return cp, err
}

// StopAll stops every process, newest first, each with grace, then every control plane. It
// returns the control planes' stop errors.
func (g *Group) StopAll(grace time.Duration) error {
	g.mu.Lock()
	procs, cps := g.procs, g.controlPlanes
	g.procs, g.controlPlanes = nil, nil
	g.mu.Unlock()
	for i := len(procs) - 1; i >= 0; i-- {
		procs[i].Stop(grace)
	}
	var errs []error
	for _, cp := range cps {
		errs = append(errs, cp.Stop())
	}
	return errors.Join(errs...)
}
