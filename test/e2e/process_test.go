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

package e2e

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/dirsync/dirsync/internal/provider/fakehr"
)

// Bounds on process start and stop.
const (
	processStartTimeout = 30 * time.Second
	gracefulStopTimeout = 10 * time.Second
	killTimeout         = 10 * time.Second
	httpTimeout         = 10 * time.Second
)

// proc is a process a test started, with its stdout and stderr in one log file under logDir. It is
// stopped in the test's cleanup, and killed by the kernel (Pdeathsig) if the test binary dies first.
type proc struct {
	name    string
	cmd     *exec.Cmd
	logPath string
	done    chan struct{}
	waitErr error
}

var (
	logSeqMu sync.Mutex
	logSeq   int

	managerLogsMu sync.Mutex
	managerLogs   []string // every manager log file of this run, for TestAPIKeyNeverInManagerOutput
)

// startProcess starts bin with args and registers its cleanup: SIGTERM, then SIGKILL. On failure the
// cleanup prints the tail of the log.
func startProcess(t *testing.T, name, bin string, args ...string) *proc {
	t.Helper()
	logSeqMu.Lock()
	logSeq++
	logPath := filepath.Join(logDir, fmt.Sprintf("%03d-%s-%s.log", logSeq, strings.ReplaceAll(t.Name(), "/", "_"), name))
	logSeqMu.Unlock()
	f, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, args...)
	cmd.Dir = repoRoot
	cmd.Stdout, cmd.Stderr = f, f
	cmd.Env = withoutEnv(os.Environ(), "KUBECONFIG")
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		_ = f.Close()
		t.Fatalf("starting %s: %v", name, err)
	}
	p := &proc{name: name, cmd: cmd, logPath: logPath, done: make(chan struct{})}
	go func() {
		p.waitErr = cmd.Wait()
		_ = f.Close()
		close(p.done)
	}()
	procsMu.Lock()
	procs = append(procs, p)
	procsMu.Unlock()
	t.Logf("started %s (pid %d): %s %s; log %s", name, cmd.Process.Pid, filepath.Base(bin), strings.Join(args, " "), logPath)
	t.Cleanup(func() {
		p.terminate()
		if t.Failed() {
			t.Logf("last lines of %s (%s):\n%s", name, logPath, p.tail(40))
		}
	})
	return p
}

// exited reports whether the process has ended.
func (p *proc) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// terminate sends SIGTERM, waits up to gracefulStopTimeout, then SIGKILLs. It is idempotent.
func (p *proc) terminate() {
	if p.exited() {
		return
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(gracefulStopTimeout):
		p.forceKill()
	}
}

// kill sends SIGKILL and waits for the process to be gone: a crash, as far as the process can tell.
func (p *proc) kill(t *testing.T) {
	t.Helper()
	p.forceKill()
	if !p.exited() {
		t.Fatalf("%s (pid %d) still runs %s after SIGKILL", p.name, p.cmd.Process.Pid, killTimeout)
	}
}

func (p *proc) forceKill() {
	_ = p.cmd.Process.Kill()
	select {
	case <-p.done:
	case <-time.After(killTimeout):
	}
}

// output is the whole log so far.
func (p *proc) output() string {
	b, _ := os.ReadFile(p.logPath)
	return string(b)
}

// tail is the last n lines of the log.
func (p *proc) tail(n int) string {
	lines := strings.Split(strings.TrimRight(p.output(), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// logEntries are the log's JSON lines (zap's production format), decoded; other lines (e.g. klog's)
// are skipped.
func (p *proc) logEntries() []map[string]any {
	var out []map[string]any
	sc := bufio.NewScanner(strings.NewReader(p.output()))
	sc.Buffer(make([]byte, 0, 64<<10), 4<<20)
	for sc.Scan() {
		line := sc.Bytes()
		if len(line) == 0 || line[0] != '{' {
			continue
		}
		var e map[string]any
		if json.Unmarshal(line, &e) == nil {
			out = append(out, e)
		}
	}
	return out
}

// entries are the log entries whose msg is msg.
func (p *proc) entries(msg string) []map[string]any {
	var out []map[string]any
	for _, e := range p.logEntries() {
		if e["msg"] == msg {
			out = append(out, e)
		}
	}
	return out
}

func withoutEnv(env []string, key string) []string {
	out := env[:0:0]
	for _, kv := range env {
		if !strings.HasPrefix(kv, key+"=") {
			out = append(out, kv)
		}
	}
	return out
}

// manager is a running bin/manager.
type manager struct {
	*proc
	probeAddr string
	checked   int // bytes of the log assertNoForbidden has read
}

// startManager runs bin/manager with the given kubeconfig, on loopback, with insecure (http://)
// endpoints allowed for the fakes, metrics off and leader election off; flags may override those
// (the last occurrence of a flag wins). It returns once /readyz answers 200. When the test ends,
// the manager's log must not mention a forbidden request.
func startManager(t *testing.T, name, kubeconfig string, flags ...string) *manager {
	t.Helper()
	args := append([]string{
		"--kubeconfig=" + kubeconfig,
		"--allow-insecure-endpoints",
		"--health-probe-bind-address=127.0.0.1:0",
		"--metrics-bind-address=0",
		"--leader-elect=false",
	}, flags...)
	m := &manager{}
	// Every manager runs with the RBAC its test gives it; none may be refused a request, up to and
	// including its shutdown (this cleanup runs after startProcess's, which stops the process).
	t.Cleanup(func() {
		if m.proc != nil {
			m.assertNoForbidden(t)
		}
	})
	p := startProcess(t, name, managerBin, args...)
	m.proc = p
	managerLogsMu.Lock()
	managerLogs = append(managerLogs, p.logPath)
	managerLogsMu.Unlock()

	eventually(t, processStartTimeout, name+"'s health probe server to listen", func(context.Context) (bool, string) {
		for _, e := range p.entries("starting server") {
			if e["name"] == "health probe" {
				m.probeAddr, _ = e["addr"].(string)
				return m.probeAddr != "", ""
			}
		}
		return false, "no \"starting server\" log line for the health probe yet"
	}, p)
	eventually(t, processStartTimeout, name+"'s /readyz to answer 200", func(ctx context.Context) (bool, string) {
		code, _, err := httpDo(ctx, http.MethodGet, "http://"+m.probeAddr+"/readyz", nil)
		if err != nil {
			return false, err.Error()
		}
		return code == http.StatusOK, fmt.Sprintf("HTTP %d", code)
	}, p)
	return m
}

// syncedLines counts the manager's "Synced Directory" log lines.
func (m *manager) syncedLines() int { return len(m.entries("Synced Directory")) }

// assertNoForbidden fails if the manager's log mentions a forbidden request (RBAC too narrow). It
// reads only what it has not read before.
func (m *manager) assertNoForbidden(t *testing.T) {
	t.Helper()
	out := m.output()
	if m.checked > len(out) {
		m.checked = 0
	}
	unread := out[m.checked:]
	if !m.exited() {
		unread = unread[:strings.LastIndexByte(unread, '\n')+1] // whole lines only while it may still write
	}
	m.checked += len(unread)
	for _, line := range strings.Split(unread, "\n") {
		if strings.Contains(strings.ToLower(line), "forbidden") {
			t.Errorf("%s's log has a forbidden request: %s", m.name, line)
		}
	}
}

// fakeHR is a running bin/fakehr. The tests use its Breathe HR fake.
type fakeHR struct {
	*proc
	breatheURL string // spec.endpoint
	adminURL   string // http://127.0.0.1:port, serving /admin/ for the Breathe HR fake
}

var fakeHRListening = regexp.MustCompile(`Breathe HR API at (\S+) \(admin API at (\S+)/admin/\)`)

// startFakeHR runs bin/fakehr on free loopback ports (port 0, read back from its log) with a company
// of the given size, accepting canaryKey.
func startFakeHR(t *testing.T, employees int) *fakeHR {
	t.Helper()
	p := startProcess(t, "fakehr", fakehrBin,
		"--breathe-addr=127.0.0.1:0", "--peoplehr-addr=127.0.0.1:0",
		"--employees="+strconv.Itoa(employees), "--departments=12",
		"--breathe-api-key="+canaryKey, "--peoplehr-api-key="+canaryKey)
	f := &fakeHR{proc: p}
	eventually(t, processStartTimeout, "fakehr to listen", func(context.Context) (bool, string) {
		m := fakeHRListening.FindStringSubmatch(p.output())
		if m == nil {
			return false, "no \"Breathe HR API at\" log line yet"
		}
		f.breatheURL, f.adminURL = m[1], m[2]
		return true, ""
	}, p)
	eventually(t, processStartTimeout, "fakehr's admin API to answer", func(ctx context.Context) (bool, string) {
		code, _, err := httpDo(ctx, http.MethodGet, f.adminURL+"/admin/stats", nil)
		if err != nil {
			return false, err.Error()
		}
		return code == http.StatusOK, fmt.Sprintf("HTTP %d", code)
	}, p)
	return f
}

// admin calls the Breathe HR fake's admin API and decodes a 2xx answer into out (if not nil).
func (f *fakeHR) admin(t *testing.T, method, path string, body, out any) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), httpTimeout)
	defer cancel()
	var in io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			t.Fatal(err)
		}
		in = bytes.NewReader(b)
	}
	code, resp, err := httpDo(ctx, method, f.adminURL+path, in)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	if code/100 != 2 {
		t.Fatalf("%s %s: HTTP %d: %s", method, path, code, resp)
	}
	if out != nil {
		if err := json.Unmarshal(resp, out); err != nil {
			t.Fatalf("%s %s: decoding %q: %v", method, path, resp, err)
		}
	}
}

// requests is how many API requests (not admin calls) the fake has answered.
func (f *fakeHR) requests(t *testing.T) int {
	t.Helper()
	var s fakehr.StatsResponse
	f.admin(t, http.MethodGet, "/admin/stats", nil, &s)
	return s.Requests
}

// generate replaces the company with a generated one of the given size.
func (f *fakeHR) generate(t *testing.T, seed int64, employees, departments int) {
	t.Helper()
	var resp fakehr.GenerateResponse
	f.admin(t, http.MethodPost, "/admin/generate", fakehr.GenerateRequest{Seed: seed, Employees: employees, Departments: departments}, &resp)
	if resp.Employees != employees {
		t.Fatalf("POST /admin/generate made %d employees, want %d", resp.Employees, employees)
	}
}

// employeeIDs are the ids of the served company's employees.
func (f *fakeHR) employeeIDs(t *testing.T) []string {
	t.Helper()
	var c fakehr.Company
	f.admin(t, http.MethodGet, "/admin/company", nil, &c)
	ids := make([]string, 0, len(c.Employees))
	for _, e := range c.Employees {
		ids = append(ids, e.ID)
	}
	return ids
}

// injectFault makes the fake fail as fr says until cleared (or fr.Times requests).
func (f *fakeHR) injectFault(t *testing.T, fr fakehr.FaultRequest) {
	t.Helper()
	f.admin(t, http.MethodPost, "/admin/fault", fr, nil)
}

func (f *fakeHR) clearFaults(t *testing.T) {
	t.Helper()
	f.admin(t, http.MethodDelete, "/admin/fault", nil, nil)
}

// httpDo makes one HTTP request on loopback and returns the status code and body.
func httpDo(ctx context.Context, method, url string, body io.Reader) (int, []byte, error) {
	ctx, cancel := context.WithTimeout(ctx, httpTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, url, body)
	if err != nil {
		return 0, nil, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	return resp.StatusCode, b, err
}

// freePort returns a TCP port on 127.0.0.1 that was free a moment ago. Only for servers that cannot
// report the port they picked themselves (the manager's metrics server logs "127.0.0.1:0" for :0).
func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}
