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

package docs

import (
	"bytes"
	"context"
	"flag"
	"go/ast"
	"go/parser"
	"go/token"
	"maps"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"sigs.k8s.io/controller-runtime/pkg/log/zap"

	"github.com/dirsync/dirsync/internal/plugin"
)

// foreignFlags are flags the docs name of programs other than dirsync's own: they are not checked
// against anything, so add one here only for another program.
var foreignFlags = map[string]string{
	"as": "kubectl", "context": "kubectl", "kubeconfig": "kubectl", "namespace": "kubectl", "overwrite": "kubectl",
	"type": "kubectl patch", "from-literal": "kubectl create secret", "clusterrole": "kubectl create rolebinding",
	"serviceaccount": "kubectl create rolebinding", "field-selector": "kubectl", "for": "kubectl wait",
	"server-side": "kubectl apply", "all-namespaces": "kubectl", "selector": "kubectl", "output": "kubectl",
	"create-namespace": "helm", "set": "helm", "set-string": "helm", "set-file": "helm", "version": "helm, kubectl",
	"kube-version": "helm", "values": "helm", "wait": "helm", "strict": "helm lint", "no-hooks": "helm",
	"build-arg": "docker build", "network": "docker run", "read-only": "docker run", "user": "docker run",
	"iptables": "dockerd", "bridge": "dockerd", "mount": "docker run", "rm": "docker run", "volume": "docker run",
	"oidc-username-claim": "kube-apiserver", "oidc-username-prefix": "kube-apiserver",
	"authorization-mode": "kube-apiserver", "fix": "golangci-lint", "help": "every program", "tags": "go",
	"count": "go test", "run": "go test", "timeout": "go test", "trimpath": "go build", "exit-code": "git diff",
	"tag": "git", "dry-run": "kubectl", "ignore-not-found": "kubectl", "cascade": "kubectl delete",
	"wait-for-jobs": "helm", "all": "kubectl delete", "password-stdin": "docker login, helm registry login",
	"index": "crane", "title": "gh release create", "notes-file": "gh release create", "manifest": "krew",
	"archive": "krew", "previous": "kubectl logs", "group": "kubectl", "subresource": "kubectl",
	"data": "curl",
}

var longFlag = regexp.MustCompile("(?:^|[\\s\\[(|=`'\"])--([a-z][a-z0-9-]*[a-z0-9])")

// managerFlags are the flags cmd/manager registers (read from its source) and zap's logging flags.
func managerFlags(t *testing.T) map[string]bool {
	t.Helper()
	names := registeredFlags(t, "manager")
	if !names["kube-api-qps"] || !names["watch-namespace"] {
		t.Fatalf("found no manager flags in cmd/manager: %v", names)
	}
	fs := flag.NewFlagSet("zap", flag.ContinueOnError)
	(&zap.Options{}).BindFlags(fs)
	fs.VisitAll(func(f *flag.Flag) { names[f.Name] = true })
	return names
}

// registeredFlags are the flags the program cmd/<name> registers, read from its source.
func registeredFlags(t *testing.T, name string) map[string]bool {
	t.Helper()
	fset := token.NewFileSet()
	files, err := filepath.Glob(filepath.Join(root, "cmd", name, "*.go"))
	if err != nil {
		t.Fatal(err)
	}
	names := map[string]bool{}
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		file, err := parser.ParseFile(fset, f, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(file, func(n ast.Node) bool {
			if name, ok := flagRegistration(n); ok {
				names[name] = true
			}
			return true
		})
	}
	return names
}

// flagRegistration is the flag name of a call such as flag.StringVar(&v, "name", …) or fs.Duration("name", …).
func flagRegistration(n ast.Node) (string, bool) {
	call, ok := n.(*ast.CallExpr)
	if !ok {
		return "", false
	}
	sel, ok := call.Fun.(*ast.SelectorExpr)
	if !ok {
		return "", false
	}
	recv, ok := sel.X.(*ast.Ident)
	if !ok || (recv.Name != "flag" && recv.Name != "fs") || !isFlagConstructor(sel.Sel.Name) {
		return "", false
	}
	for _, a := range call.Args {
		if lit, ok := a.(*ast.BasicLit); ok && lit.Kind == token.STRING {
			s, err := strconv.Unquote(lit.Value)
			return s, err == nil
		}
	}
	return "", false
}

func isFlagConstructor(name string) bool {
	base := strings.TrimSuffix(name, "Var")
	return slices.Contains([]string{"String", "Bool", "Int", "Int64", "Uint", "Uint64", "Float64", "Duration", "Func", "BoolFunc", "Text", ""}, base) && name != ""
}

// cliTree is the kubectl dirsync command tree, read through cobra's completion command of the real plugin.
type cliTree struct {
	t     *testing.T
	subs  map[string][]string
	flags map[string][]string
}

func newCLITree(t *testing.T) *cliTree {
	return &cliTree{t: t, subs: map[string][]string{}, flags: map[string][]string{}}
}

// complete runs kubectl dirsync __complete with args and returns the candidates it prints.
func (c *cliTree) complete(args ...string) []string {
	var out, errOut bytes.Buffer
	code := plugin.New(strings.NewReader(""), &out, &errOut).Run(context.Background(), append([]string{"__complete"}, args...))
	if code != 0 {
		c.t.Fatalf("kubectl dirsync __complete %q: exit %d: %s", args, code, errOut.String())
	}
	var names []string
	for _, l := range strings.Split(out.String(), "\n") {
		if l == "" || strings.HasPrefix(l, ":") {
			continue
		}
		name, _, _ := strings.Cut(l, "\t")
		names = append(names, name)
	}
	return names
}

// subcommands of the command at path (empty for the root), as cobra's help command completes them:
// none for a command that does something rather than hold others.
func (c *cliTree) subcommands(path []string) []string {
	key := strings.Join(path, " ")
	if s, ok := c.subs[key]; ok {
		return s
	}
	s := c.complete(append(append([]string{"help"}, path...), "")...)
	c.subs[key] = s
	return s
}

// isGroup is whether the command at path holds other commands (access, webhook), rather than doing something.
func (c *cliTree) isGroup(path []string) bool { return len(c.subcommands(path)) > 0 }

// flagsOf are the long flags the command at path accepts, inherited ones included.
func (c *cliTree) flagsOf(path []string) []string {
	key := strings.Join(path, " ")
	if f, ok := c.flags[key]; ok {
		return f
	}
	var f []string
	for _, name := range c.complete(append(slices.Clone(path), "--")...) {
		n, _, _ := strings.Cut(strings.TrimPrefix(name, "--"), "=")
		f = append(f, n)
	}
	c.flags[key] = f
	return f
}

var invocation = regexp.MustCompile("kubectl[ -]dirsync((?: +[^ |;&#)`\"']+)*)")

// Every kubectl dirsync command line in the docs names commands and flags the plugin has.
func TestPluginCommandsAndFlagsExist(t *testing.T) {
	tree := newCLITree(t)
	if got := tree.subcommands(nil); !slices.Contains(got, "status") || !slices.Contains(got, "access") {
		t.Fatalf("kubectl dirsync's commands, as completion lists them: %v", got)
	}
	checked := 0
	for _, pg := range userDocs(t) {
		for _, l := range pg.lines {
			for _, s := range spans(l) {
				for _, m := range invocation.FindAllStringSubmatch(s, -1) {
					checked++
					for _, msg := range tree.check(strings.Fields(m[1])) {
						t.Errorf("%s: %q: %s", pg.where(l), strings.TrimSpace(m[0]), msg)
					}
				}
			}
		}
	}
	if checked < 20 {
		t.Errorf("found only %d kubectl dirsync command lines in the docs: is the pattern still right?", checked)
	}
}

// check walks one command line's words through the tree and says what it does not know.
func (c *cliTree) check(words []string) []string {
	var path, problems []string
	walking := true
	for _, w := range words {
		w = strings.Trim(w, "[]")
		switch {
		case strings.HasPrefix(w, "--"):
			walking = false
			name, _, _ := strings.Cut(strings.TrimPrefix(w, "--"), "=")
			if name != "" && !slices.Contains(c.flagsOf(path), name) {
				problems = append(problems, "kubectl dirsync "+strings.Join(path, " ")+" has no flag --"+name)
			}
		case strings.HasPrefix(w, "-"), !walking, w == "__complete":
			walking = false
		case regexp.MustCompile(`^[a-z][a-z-]*$`).MatchString(w) && (len(path) == 0 || c.isGroup(path)):
			if !slices.Contains(c.subcommands(path), w) {
				problems = append(problems, "kubectl dirsync "+strings.Join(path, " ")+" has no command "+w)
				walking = false
				continue
			}
			path = append(path, w)
		default:
			walking = false
		}
	}
	return problems
}

// Every --flag the docs name outside a kubectl dirsync command line is a flag of the manager, of the
// plugin, or of another program listed in foreignFlags; in a table of manager flags, the manager's.
func TestManagerFlagsExist(t *testing.T) {
	manager := managerFlags(t)
	tree := newCLITree(t)
	// The fake HR server and the example receiver are dirsync's programs too (make build).
	others := registeredFlags(t, "fakehr")
	maps.Copy(others, registeredFlags(t, "dirsync-receiver"))
	pluginFlags := map[string]bool{}
	for _, p := range [][]string{nil, {"status"}, {"sync"}, {"approve"}, {"plan"}, {"access", "list"},
		{"access", "status"}, {"access", "explain"}, {"webhook", "status"}, {"webhook", "approve"}, {"version"}} {
		for _, f := range tree.flagsOf(p) {
			pluginFlags[f] = true
		}
	}
	tableRows := 0
	for _, pg := range userDocs(t) {
		for _, l := range pg.lines {
			text := invocation.ReplaceAllString(l.text, "")
			if strings.HasPrefix(l.text, "| `--") && !l.code {
				tableRows++
				cell, _, _ := strings.Cut(strings.TrimPrefix(l.text, "| "), " |")
				for _, m := range longFlag.FindAllStringSubmatch(" "+cell, -1) {
					if !manager[m[1]] {
						t.Errorf("%s: the manager has no flag --%s (cmd/manager)", pg.where(l), m[1])
					}
				}
			}
			for _, m := range longFlag.FindAllStringSubmatch(text, -1) {
				name := m[1]
				if !manager[name] && !pluginFlags[name] && !others[name] && foreignFlags[name] == "" {
					t.Errorf("%s: --%s is no flag of the manager (cmd/manager) or of kubectl dirsync, "+
						"nor listed in foreignFlags as another program's", pg.where(l), name)
				}
			}
		}
	}
	if tableRows < 10 {
		t.Errorf("found only %d rows of the manager's flags table: is docs/operations.md's table still there?", tableRows)
	}
}
