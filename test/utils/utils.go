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
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// FreePorts returns n distinct TCP ports on 127.0.0.1 that were free a moment ago: every listener
// stays open until all n are chosen. Prefer letting a server bind port 0 and report its port; use
// this only for servers that cannot.
func FreePorts(n int) ([]int, error) {
	ls := make([]net.Listener, 0, n)
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

// ProjectDir is the module root: the nearest directory at or above the working directory that
// holds go.mod (tests run in their package's directory).
func ProjectDir() (string, error) {
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

// Run runs name with args in dir ("" for the caller's) to completion, killing it when ctx ends,
// with env as its environment (nil: the caller's), and returns its combined output. The error
// names the command and includes the output.
func Run(ctx context.Context, dir string, env []string, name string, args ...string) ([]byte, error) {
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir, cmd.Env = dir, env
	cmd.WaitDelay = 5 * time.Second // a grandchild holding the output pipe must not hang us
	out, err := cmd.CombinedOutput()
	if err != nil {
		if ctx.Err() != nil {
			err = fmt.Errorf("%w (%w)", ctx.Err(), err)
		}
		return out, fmt.Errorf("%s %s: %w\n%s", name, strings.Join(args, " "), err, out)
	}
	return out, nil
}

// Kubectl runs kubectl against one cluster.
type Kubectl struct {
	// Path is the kubectl binary ("kubectl" to look it up on PATH).
	Path string
	// Kubeconfig is passed as --kubeconfig; KUBECONFIG from the environment is dropped.
	Kubeconfig string
	// Dir is the working directory (e.g. the module root, for `-k config/crd`).
	Dir string
	// Timeout bounds one call (default one minute).
	Timeout time.Duration
}

// Run runs kubectl with args, stdin if not empty, and returns stdout. The error includes stdout and
// stderr.
func (k Kubectl) Run(ctx context.Context, stdin string, args ...string) (string, error) {
	timeout := k.Timeout
	if timeout <= 0 {
		timeout = time.Minute
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	path := k.Path
	if path == "" {
		path = "kubectl"
	}
	cmd := exec.CommandContext(ctx, path, append([]string{"--kubeconfig=" + k.Kubeconfig}, args...)...)
	cmd.Dir = k.Dir
	cmd.Env = WithoutEnv(os.Environ(), "KUBECONFIG")
	cmd.WaitDelay = 5 * time.Second
	if stdin != "" {
		cmd.Stdin = strings.NewReader(stdin)
	}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return stdout.String(), fmt.Errorf("kubectl %s: %w: %s%s", strings.Join(args, " "), err, stdout.String(), stderr.String())
	}
	return stdout.String(), nil
}

// WithoutEnv is env without the variable key.
func WithoutEnv(env []string, key string) []string {
	out := env[:0:0]
	for _, kv := range env {
		if !strings.HasPrefix(kv, key+"=") {
			out = append(out, kv)
		}
	}
	return out
}
