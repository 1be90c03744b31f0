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
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/spf13/cobra"
)

// parsed is what a command line comes to: the command it runs (its path, "" for the general help), its
// arguments and flags, the namespace flag, and whether help was printed instead.
type parsed struct {
	cmd       string
	args      []string
	opts      options
	namespace string
	help      bool
}

// parse runs the plugin's command tree on argv with a stand-in for the cluster, and returns what the
// command would run with; for a help request, whose help was printed.
func parse(argv []string) (parsed, *invocation, error) {
	var got *invocation
	root := newRootCommand(func(_ context.Context, inv *invocation) error { got = inv; return nil })
	var out bytes.Buffer
	root.SetOut(&out)
	root.SetErr(&out)
	if err := executeArgs(context.Background(), root, argv); err != nil {
		return parsed{}, nil, err
	}
	if got == nil {
		return parsed{cmd: helpOf(out.String()), help: true}, nil, nil
	}
	p := parsed{cmd: strings.TrimSpace(strings.TrimPrefix(got.cmd.CommandPath(), "kubectl dirsync")), args: got.args, opts: got.opts}
	if got.config != nil && got.config.Namespace != nil {
		p.namespace = *got.config.Namespace
	}
	return p, got, nil
}

// helpOf is the command whose help text this is, from its first usage line ("kubectl dirsync sync NAME [flags]").
func helpOf(help string) string {
	_, usage, ok := strings.Cut(help, "Usage:\n  kubectl dirsync")
	if !ok {
		return "?"
	}
	line, _, _ := strings.Cut(usage, "\n")
	var words []string
	for _, w := range strings.Fields(line) {
		if strings.ToUpper(w) == w || strings.HasPrefix(w, "[") {
			break
		}
		words = append(words, w)
	}
	return strings.Join(words, " ")
}

func TestParse(t *testing.T) {
	type want = parsed
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
		{name: "a command's bool flag before the command", argv: []string{"-A", "status"},
			want: want{cmd: "status", opts: options{allNamespaces: true}}},
		{name: "--namespace=NS", argv: []string{"--namespace=hr", "plan", "acme"}, want: want{cmd: "plan", args: []string{"acme"}, namespace: "hr"}},
		{name: "sync waits 5m by default", argv: []string{"sync", "acme"}, want: want{cmd: "sync", args: []string{"acme"}, opts: waitDefaults}},
		{name: "sync --wait=false --timeout 30s", argv: []string{"sync", "acme", "--wait=false", "--timeout", "30s"},
			want: want{cmd: "sync", args: []string{"acme"}, opts: options{timeout: 30 * time.Second}}},
		{name: "approve --yes", argv: []string{"approve", "--yes", "acme"},
			want: want{cmd: "approve", args: []string{"acme"}, opts: options{yes: true, wait: true, timeout: defaultTimeout}}},
		{name: "approve -y", argv: []string{"approve", "acme", "-y"},
			want: want{cmd: "approve", args: []string{"acme"}, opts: options{yes: true, wait: true, timeout: defaultTimeout}}},
		{name: "status -o json", argv: []string{"status", "-o", "json"}, want: want{cmd: "status", opts: options{output: "json"}}},
		{name: "access list -A -o yaml", argv: []string{"access", "list", "-A", "-o", "yaml"},
			want: want{cmd: "access list", opts: options{allNamespaces: true, output: "yaml"}}},
		{name: "flags before both command words", argv: []string{"-A", "access", "-n", "hr", "list"},
			want: want{cmd: "access list", namespace: "hr", opts: options{allNamespaces: true}}},
		{name: "access status NAME", argv: []string{"access", "status", "eng", "-n", "hr"},
			want: want{cmd: "access status", args: []string{"eng"}, namespace: "hr"}},
		{name: "access explain EMAIL -A", argv: []string{"access", "explain", "alice@example.com", "-A"},
			want: want{cmd: "access explain", args: []string{"alice@example.com"}, opts: options{allNamespaces: true}}},
		{name: "version --client", argv: []string{"version", "--client"}, want: want{cmd: "version", opts: options{clientOnly: true}}},
		{name: "--version", argv: []string{"--version"}, want: want{cmd: "", opts: options{clientOnly: true}}},
		{name: "--help", argv: []string{"--help"}, want: want{help: true}},
		{name: "help sync", argv: []string{"help", "sync"}, want: want{cmd: "sync", help: true}},
		{name: "sync --help", argv: []string{"sync", "--help"}, want: want{cmd: "sync", help: true}},
		{name: "help access list", argv: []string{"help", "access", "list"}, want: want{cmd: "access list", help: true}},
		{name: "no command", argv: nil, wantErr: "no command given"},
		{name: "only flags", argv: []string{"-n", "hr"}, wantErr: "no command given"},
		{name: "an unknown command", argv: []string{"delete", "acme"}, wantErr: `unknown command "delete"`},
		{name: "a misspelt command", argv: []string{"stauts"}, wantErr: "did you mean status?"},
		{name: "access without a command", argv: []string{"access"}, wantErr: "no command given: use kubectl dirsync access list|status|explain"},
		{name: "access explain without an e-mail", argv: []string{"access", "explain"}, wantErr: "explain needs the person's e-mail"},
		{name: "an unknown access command", argv: []string{"access", "grant"}, wantErr: `unknown command "grant" for kubectl dirsync access`},
		{name: "sync without a name", argv: []string{"sync"}, wantErr: "sync needs the Directory's name"},
		{name: "plan with two names", argv: []string{"plan", "a", "b"}, wantErr: "at most one Directory name"},
		{name: "status with two names", argv: []string{"status", "a", "b"}, wantErr: "at most one Directory name"},
		{name: "access status without a name", argv: []string{"access", "status"}, wantErr: "status needs the DirectoryAccess's name"},
		{name: "access list with a name", argv: []string{"access", "list", "eng"}, wantErr: "list takes no arguments"},
		{name: "a flag of another command", argv: []string{"status", "--yes"}, wantErr: "unknown flag: --yes"},
		{name: "an unknown flag", argv: []string{"sync", "acme", "--frob"}, wantErr: "unknown flag: --frob"},
		{name: "a zero timeout", argv: []string{"sync", "acme", "--timeout=0s"}, wantErr: "--timeout must be positive"},
		{name: "a bad timeout", argv: []string{"approve", "acme", "--timeout=soon"}, wantErr: "invalid argument"},
		{name: "an unknown output format", argv: []string{"status", "-o", "wide"}, wantErr: `--output must be json or yaml (or left out for text), got "wide"`},
		{name: "an unknown shell", argv: []string{"completion", "tcsh"}, wantErr: "completion needs one shell of bash, zsh, fish, powershell"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, _, err := parse(tt.argv)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) || !errors.As(err, new(usageError)) {
					t.Fatalf("parse(%q) error = %v, want a usage error containing %q", tt.argv, err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("parse(%q): %v", tt.argv, err)
			}
			if diff := cmp.Diff(tt.want, got, cmp.AllowUnexported(parsed{}, options{}), cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("parse(%q) (-want +got):\n%s", tt.argv, diff)
			}
		})
	}
}

// clusterCommands are the command lines of every command that runs against the cluster, with the
// arguments it needs; TestEveryCommandIsListed keeps it complete.
var clusterCommands = [][]string{
	{"status"}, {"sync", "x"}, {"approve", "x"}, {"plan", "x"}, {"version"},
	{"access", "list"}, {"access", "status", "x"}, {"access", "explain", "x"},
	{"webhook", "status"}, {"webhook", "approve", "x"},
}

// runnable are the paths of the commands of the tree that do something (not groups), sorted.
func runnable(root *cobra.Command) []string {
	var out []string
	var walk func(*cobra.Command)
	walk = func(c *cobra.Command) {
		if c.HasParent() && c.Runnable() && !c.HasSubCommands() {
			out = append(out, strings.TrimPrefix(c.CommandPath(), "kubectl dirsync "))
		}
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(root)
	slices.Sort(out)
	return out
}

func TestEveryCommandIsListed(t *testing.T) {
	want := []string{"completion", "help"}
	for _, argv := range clusterCommands {
		want = append(want, strings.Join(slices.DeleteFunc(slices.Clone(argv), func(a string) bool { return a == "x" }), " "))
	}
	slices.Sort(want)
	if diff := cmp.Diff(want, runnable(newRootCommand(nil))); diff != "" {
		t.Errorf("clusterCommands does not list every command (-listed +in the tree):\n%s", diff)
	}
}

// Every flag a command takes is kubectl's standard set plus its own; the context flag proves the former.
func TestEveryCommandTakesKubectlFlags(t *testing.T) {
	for _, argv := range clusterCommands {
		_, inv, err := parse(append(slices.Clone(argv), "--kubeconfig=/k", "--context=c", "--as=me", "--request-timeout=5s", "-s", "https://h"))
		if err != nil {
			t.Errorf("%s: %v", argv, err)
			continue
		}
		type bound struct{ KubeConfig, Context, Impersonate, APIServer string }
		want := bound{KubeConfig: "/k", Context: "c", Impersonate: "me", APIServer: "https://h"}
		got := bound{*inv.config.KubeConfig, *inv.config.Context, *inv.config.Impersonate, *inv.config.APIServer}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("%s: the kubeconfig flags were not bound (-want +got):\n%s", argv, diff)
		}
	}
}

// Every command's help has examples, the group commands' and help's and completion's too.
func TestEveryCommandHasExamples(t *testing.T) {
	var walk func(*cobra.Command)
	walk = func(c *cobra.Command) {
		if c.Example == "" || !strings.Contains(c.Example, "kubectl dirsync") {
			t.Errorf("%q has no Example that runs kubectl dirsync", c.CommandPath())
		}
		if c.Short == "" {
			t.Errorf("%q has no Short", c.CommandPath())
		}
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(newRootCommand(nil))
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
		{"a command's help shows its examples", []string{"access", "list", "--help"}, 0, "Examples:\n  # Every DirectoryAccess", ""},
		{"no command", nil, 2, "", "error: no command given"},
		{"usage error", []string{"sync"}, 2, "", "See 'kubectl dirsync --help' for usage."},
		{"no kubeconfig", []string{"status", "--kubeconfig=/nonexistent/kubeconfig"}, 1, "", "error: loading the kubeconfig"},
		{"--version", []string{"--version"}, 0, "Plugin:  " + Version + " (go", ""},
		{"version --client contacts no cluster", []string{"version", "--client", "--kubeconfig=/nonexistent/kubeconfig"}, 0, "Plugin:  ", ""},
		{"version without a cluster still prints the plugin's", []string{"version", "--kubeconfig=/nonexistent/kubeconfig"}, 0,
			"Manager: unknown: loading the kubeconfig", ""},
		{"completion bash", []string{"completion", "bash"}, 0, "# bash completion V2 for kubectl-dirsync", ""},
		{"completion zsh", []string{"completion", "zsh"}, 0, "#compdef kubectl-dirsync", ""},
		{"completion fish", []string{"completion", "fish"}, 0, "complete -c kubectl-dirsync", ""},
		{"completion powershell", []string{"completion", "powershell"}, 0, "Register-ArgumentCompleter", ""},
		{"completing a command", []string{"__complete", "acc"}, 0, "access\t", ""},
		{"completing the output flag", []string{"__complete", "status", "-o", ""}, 0, "json\nyaml\n", ""},
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
	help := func(argv ...string) string {
		var out bytes.Buffer
		if code := New(nil, &out, &out).Run(context.Background(), argv); code != 0 {
			t.Fatalf("%q: exit code %d: %s", argv, code, out.String())
		}
		return out.String()
	}
	general := help("--help")
	for _, c := range newRootCommand(nil).Commands() {
		if !strings.Contains(general, "  "+c.Name()+" ") {
			t.Errorf("the general help does not list %s:\n%s", c.Name(), general)
		}
	}
	for _, tt := range []struct{ cmd, flag string }{{"status", "--all-namespaces"}, {"status", "--output"}, {"sync", "--wait"},
		{"sync", "--timeout"}, {"approve", "--yes"}, {"plan", "--namespace"}, {"plan", "--kubeconfig"}, {"plan", "--output"},
		{"access list", "--all-namespaces"}, {"access status", "--output"}, {"access explain", "--all-namespaces"}, {"version", "--client"},
		{"webhook status", "--all-namespaces"}, {"webhook status", "--output"}, {"webhook approve", "--yes"}} {
		if !strings.Contains(help(append(strings.Fields(tt.cmd), "--help")...), tt.flag) {
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
