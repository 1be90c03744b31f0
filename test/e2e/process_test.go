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
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dirsync/dirsync/internal/provider/fakehr"
	"github.com/dirsync/dirsync/test/utils"
)

// Bounds on process start and stop.
const (
	processStartTimeout = 30 * time.Second
	gracefulStopTimeout = 10 * time.Second
	httpTimeout         = 10 * time.Second
)

var (
	logSeqMu sync.Mutex
	logSeq   int

	managerLogsMu sync.Mutex
	managerLogs   []string // every manager log file of this run, for TestAPIKeyNeverInManagerOutput
)

// startProcess starts bin with args in the module root, its stdout and stderr in one log file under
// logDir, and registers its cleanup: SIGTERM, then SIGKILL. On failure the cleanup prints the tail
// of the log. The process is killed by the kernel if the test binary dies first, and the suite
// stops whatever a test left running.
func startProcess(t *testing.T, name, bin string, args ...string) *utils.Process {
	t.Helper()
	logSeqMu.Lock()
	logSeq++
	logPath := filepath.Join(logDir, fmt.Sprintf("%03d-%s-%s.log", logSeq, strings.ReplaceAll(t.Name(), "/", "_"), name))
	logSeqMu.Unlock()
	p, err := processes.Start(utils.Command{
		Name: name, Path: bin, Args: args, Dir: repoRoot, LogPath: logPath,
		Env: utils.WithoutEnv(os.Environ(), "KUBECONFIG"),
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("started %s (pid %d): %s %s; log %s", name, p.Pid(), filepath.Base(bin), strings.Join(args, " "), logPath)
	t.Cleanup(func() {
		p.Stop(gracefulStopTimeout)
		if t.Failed() {
			t.Logf("last lines of %s (%s):\n%s", name, logPath, p.Tail(40))
		}
	})
	return p
}

// manager is a running bin/manager.
type manager struct {
	*utils.Process
	probeAddr string
	checked   int // bytes of the log assertNoForbidden has read
}

// withReceiver is the flag that gives a manager a webhook receiver on a free loopback port
// (manager.receiverURL reads it back from the log).
const withReceiver = "--receiver-bind-address=127.0.0.1:0"

// startManager runs bin/manager with the given kubeconfig, on loopback, with insecure (http://)
// endpoints and the fakes' host (127.0.0.1) allowed, metrics, the webhook receiver and leader election
// off; flags may override those (the last occurrence of a flag wins). It returns once /readyz answers
// 200. When the test ends, the manager's log must not mention a forbidden request.
func startManager(t *testing.T, name, kubeconfig string, flags ...string) *manager {
	t.Helper()
	args := append([]string{
		"--kubeconfig=" + kubeconfig,
		"--allow-insecure-endpoints",
		"--allowed-endpoint-hosts=127.0.0.1",
		"--health-probe-bind-address=127.0.0.1:0",
		"--metrics-bind-address=0",
		"--receiver-bind-address=0",
		"--leader-elect=false",
	}, flags...)
	m := &manager{}
	// Every manager runs with the RBAC its test gives it; none may be refused a request, up to and
	// including its shutdown (this cleanup runs after startProcess's, which stops the process).
	t.Cleanup(func() {
		if m.Process != nil {
			m.assertNoForbidden(t)
		}
	})
	p := startProcess(t, name, managerBin, args...)
	m.Process = p
	managerLogsMu.Lock()
	managerLogs = append(managerLogs, p.LogPath)
	managerLogsMu.Unlock()

	eventually(t, processStartTimeout, name+"'s health probe server to listen", func(context.Context) (bool, string) {
		for _, e := range p.LogEntries("starting server") {
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

// receiverURL is http://<address> of the manager's webhook receiver (started withReceiver), read from
// its log once it serves.
func (m *manager) receiverURL(t *testing.T) string {
	t.Helper()
	var addr string
	eventually(t, processStartTimeout, m.Name+"'s webhook receiver to listen", func(context.Context) (bool, string) {
		for _, e := range m.LogEntries("Serving the webhook receiver") {
			addr, _ = e["addr"].(string)
		}
		return addr != "", "no \"Serving the webhook receiver\" log line yet"
	}, m.Process)
	return "http://" + addr
}

// syncedLines counts the manager's "Synced Directory" log lines.
func (m *manager) syncedLines() int { return len(m.LogEntries("Synced Directory")) }

// kill SIGKILLs the manager and waits for it to be gone: a crash, as far as it can tell.
func (m *manager) kill(t *testing.T) {
	t.Helper()
	if err := m.Kill(); err != nil {
		t.Fatal(err)
	}
}

// assertNoForbidden fails if the manager's log mentions a forbidden request (RBAC too narrow). It
// reads only what it has not read before.
func (m *manager) assertNoForbidden(t *testing.T) {
	t.Helper()
	out := m.Output()
	if m.checked > len(out) {
		m.checked = 0
	}
	unread := out[m.checked:]
	if !m.Exited() {
		unread = unread[:strings.LastIndexByte(unread, '\n')+1] // whole lines only while it may still write
	}
	m.checked += len(unread)
	for _, line := range strings.Split(unread, "\n") {
		if strings.Contains(strings.ToLower(line), "forbidden") {
			t.Errorf("%s's log has a forbidden request: %s", m.Name, line)
		}
	}
}

// fakeHR is a running bin/fakehr. The tests use its Breathe HR fake.
type fakeHR struct {
	*utils.Process
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
	f := &fakeHR{Process: p}
	eventually(t, processStartTimeout, "fakehr to listen", func(context.Context) (bool, string) {
		m := fakeHRListening.FindStringSubmatch(p.Output())
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
	ports, err := utils.FreePorts(1)
	if err != nil {
		t.Fatal(err)
	}
	return ports[0]
}
