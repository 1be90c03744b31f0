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

package plugin

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

func TestParse(t *testing.T) {
	type want struct {
		cmd       string // "" for the general help
		args      []string
		opts      options
		namespace string
		help      bool
	}
	waitDefaults := options{wait: true, timeout: defaultTimeout}
	tests := []struct {
		name    string
		argv    []string
		want    want
		wantErr string // substring of a usage error
	}{
		{name: "status of all in the namespace", argv: []string{"status"}, want: want{cmd: "status"}},
		{name: "status -A", argv: []string{"status", "-A"}, want: want{cmd: "status", opts: options{allNamespaces: true}}},
		{name: "status NAME -n NS", argv: []string{"status", "acme", "-n", "hr"}, want: want{cmd: "status", args: []string{"acme"}, namespace: "hr"}},
		{name: "kubectl flags before the command", argv: []string{"-n", "hr", "--context", "prod", "status", "acme"},
			want: want{cmd: "status", args: []string{"acme"}, namespace: "hr"}},
		{name: "a command flag with a separate value before the command", argv: []string{"--timeout", "1m", "sync", "acme"},
			want: want{cmd: "sync", args: []string{"acme"}, opts: options{wait: true, timeout: time.Minute}}},
		{name: "--namespace=NS", argv: []string{"--namespace=hr", "plan", "acme"}, want: want{cmd: "plan", args: []string{"acme"}, namespace: "hr"}},
		{name: "sync waits 5m by default", argv: []string{"sync", "acme"}, want: want{cmd: "sync", args: []string{"acme"}, opts: waitDefaults}},
		{name: "sync --wait=false --timeout 30s", argv: []string{"sync", "acme", "--wait=false", "--timeout", "30s"},
			want: want{cmd: "sync", args: []string{"acme"}, opts: options{timeout: 30 * time.Second}}},
		{name: "approve --yes", argv: []string{"approve", "--yes", "acme"},
			want: want{cmd: "approve", args: []string{"acme"}, opts: options{yes: true, wait: true, timeout: defaultTimeout}}},
		{name: "approve -y", argv: []string{"approve", "acme", "-y"},
			want: want{cmd: "approve", args: []string{"acme"}, opts: options{yes: true, wait: true, timeout: defaultTimeout}}},
		{name: "--help", argv: []string{"--help"}, want: want{help: true}},
		{name: "help sync", argv: []string{"help", "sync"}, want: want{cmd: "sync", help: true}},
		{name: "sync --help", argv: []string{"sync", "--help"}, want: want{cmd: "sync", help: true, opts: waitDefaults}},
		{name: "no command", argv: nil, wantErr: "no command given"},
		{name: "only flags", argv: []string{"-n", "hr"}, wantErr: "no command given"},
		{name: "an unknown command", argv: []string{"delete", "acme"}, wantErr: `unknown command "delete"`},
		{name: "sync without a name", argv: []string{"sync"}, wantErr: "sync needs the Directory's name"},
		{name: "plan with two names", argv: []string{"plan", "a", "b"}, wantErr: "at most one Directory name"},
		{name: "status with two names", argv: []string{"status", "a", "b"}, wantErr: "at most one Directory name"},
		{name: "a flag of another command", argv: []string{"status", "--yes"}, wantErr: "unknown flag: --yes"},
		{name: "an unknown flag", argv: []string{"sync", "acme", "--frob"}, wantErr: "unknown flag: --frob"},
		{name: "a zero timeout", argv: []string{"sync", "acme", "--timeout=0s"}, wantErr: "--timeout must be positive"},
		{name: "a bad timeout", argv: []string{"approve", "acme", "--timeout=soon"}, wantErr: "invalid argument"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			inv, err := parse(tt.argv)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) || !errors.As(err, new(usageError)) {
					t.Fatalf("parse(%q) error = %v, want a usage error containing %q", tt.argv, err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("parse(%q): %v", tt.argv, err)
			}
			got := want{args: inv.args, opts: inv.opts, help: inv.help}
			if inv.cmd != nil {
				got.cmd = inv.cmd.name
			}
			if inv.config != nil && inv.config.Namespace != nil {
				got.namespace = *inv.config.Namespace
			}
			if diff := cmp.Diff(tt.want, got, cmp.AllowUnexported(want{}, options{}), cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("parse(%q) (-want +got):\n%s", tt.argv, diff)
			}
		})
	}
}

// Every flag a command takes is kubectl's standard set plus its own; the context flag proves the former.
func TestEveryCommandTakesKubectlFlags(t *testing.T) {
	for _, c := range commands() {
		inv, err := parse([]string{c.name, "x", "--kubeconfig=/k", "--context=c", "--as=me", "--request-timeout=5s", "-s", "https://h"})
		if c.name == "status" {
			inv, err = parse([]string{c.name, "--kubeconfig=/k", "--context=c", "--as=me", "--request-timeout=5s", "-s", "https://h"})
		}
		if err != nil {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		type bound struct{ KubeConfig, Context, Impersonate, APIServer string }
		want := bound{KubeConfig: "/k", Context: "c", Impersonate: "me", APIServer: "https://h"}
		got := bound{*inv.config.KubeConfig, *inv.config.Context, *inv.config.Impersonate, *inv.config.APIServer}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("%s: the kubeconfig flags were not bound (-want +got):\n%s", c.name, diff)
		}
	}
}

func TestRunExitCodes(t *testing.T) {
	tests := []struct {
		name       string
		argv       []string
		wantCode   int
		wantOut    string
		wantErrOut string
	}{
		{"help", []string{"--help"}, 0, "Commands:\n  status ", ""},
		{"a command's help lists its flags and kubectl's", []string{"approve", "-h"}, 0, "--yes", ""},
		{"no command", nil, 2, "", "error: no command given"},
		{"usage error", []string{"sync"}, 2, "", "See 'kubectl dirsync --help' for usage."},
		{"no kubeconfig", []string{"status", "--kubeconfig=/nonexistent/kubeconfig"}, 1, "", "error: loading the kubeconfig"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out, errOut bytes.Buffer
			p := New(strings.NewReader(""), &out, &errOut)
			if code := p.Run(context.Background(), tt.argv); code != tt.wantCode {
				t.Errorf("exit code %d, want %d; stderr: %s", code, tt.wantCode, errOut.String())
			}
			if !strings.Contains(out.String(), tt.wantOut) {
				t.Errorf("stdout %q does not contain %q", out.String(), tt.wantOut)
			}
			if !strings.Contains(errOut.String(), tt.wantErrOut) {
				t.Errorf("stderr %q does not contain %q", errOut.String(), tt.wantErrOut)
			}
		})
	}
}

func TestUsageNamesEveryCommandAndItsFlags(t *testing.T) {
	general := usage(nil)
	for _, c := range commands() {
		if !strings.Contains(general, "  "+c.name+" ") {
			t.Errorf("the general help does not list %s:\n%s", c.name, general)
		}
	}
	for _, tt := range []struct{ cmd, flag string }{{"status", "--all-namespaces"}, {"sync", "--wait"}, {"sync", "--timeout"},
		{"approve", "--yes"}, {"plan", "--namespace"}, {"plan", "--kubeconfig"}} {
		inv, err := parse([]string{tt.cmd, "--help"})
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(usage(inv.cmd), tt.flag) {
			t.Errorf("kubectl dirsync %s --help does not mention %s", tt.cmd, tt.flag)
		}
	}
}

func TestConfirm(t *testing.T) {
	tests := []struct {
		in      string
		want    bool
		wantErr bool
	}{
		{"y\n", true, false}, {"YES\n", true, false}, {" yes \n", true, false}, {"y", true, false},
		{"n\n", false, false}, {"\n", false, false}, {"yep\n", false, false},
		{"", false, true}, // no answer at all (stdin closed): not a silent "no"
	}
	for _, tt := range tests {
		var out bytes.Buffer
		e := &env{in: bufio.NewReader(strings.NewReader(tt.in)), out: &out}
		got, err := confirm(e, "Delete? [y/N]: ")
		if got != tt.want || (err != nil) != tt.wantErr {
			t.Errorf("confirm(%q) = %v, %v; want %v, error %v", tt.in, got, err, tt.want, tt.wantErr)
		}
		if !strings.HasPrefix(out.String(), "Delete? [y/N]: ") {
			t.Errorf("confirm(%q) printed %q, want the prompt", tt.in, out.String())
		}
	}
}
