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
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/pflag"
	"k8s.io/cli-runtime/pkg/genericclioptions"
	"k8s.io/utils/clock"
)

// Defaults of the waiting commands.
const (
	defaultTimeout      = 5 * time.Minute
	defaultPollInterval = time.Second
	// eventWait bounds how long approve looks for the operator's Event about a rejected approval: the
	// operator records Events asynchronously, so one may appear moments after the status says "handled".
	eventWait = 5 * time.Second
)

// Plugin is one run of `kubectl dirsync`: its standard streams, its clock and how often it polls.
type Plugin struct {
	In          io.Reader
	Out, ErrOut io.Writer
	// Clock gives "now" for relative times and the sync request's value.
	Clock clock.PassiveClock
	// PollInterval is how often sync and approve read the Directory while they wait.
	PollInterval time.Duration
}

// New returns a Plugin on the given streams with the real clock.
func New(in io.Reader, out, errOut io.Writer) *Plugin {
	return &Plugin{In: in, Out: out, ErrOut: errOut, Clock: clock.RealClock{}, PollInterval: defaultPollInterval}
}

// options are the subcommands' own flags (the kubeconfig flags live in genericclioptions.ConfigFlags).
type options struct {
	allNamespaces bool
	wait          bool
	timeout       time.Duration
	yes           bool
}

// command is one subcommand.
type command struct {
	name, args, summary string
	minArgs, maxArgs    int
	flags               func(*pflag.FlagSet, *options)
	run                 func(context.Context, *env, []string) error
}

func waitFlags(fs *pflag.FlagSet, o *options) {
	fs.BoolVar(&o.wait, "wait", true, "Wait until the operator has answered; --wait=false returns once the annotation is set.")
	fs.DurationVar(&o.timeout, "timeout", defaultTimeout, "How long to wait for the operator.")
}

// commands lists the subcommands in the order help shows them.
func commands() []command {
	return []command{
		{name: "status", args: "[NAME]", maxArgs: 1,
			summary: "Show a Directory: provider, Ready and why, last/next sync, counts, last changes, held deletions",
			flags: func(fs *pflag.FlagSet, o *options) {
				fs.BoolVarP(&o.allNamespaces, "all-namespaces", "A", false, "List the Directories of every namespace.")
			}, run: runStatus},
		{name: "sync", args: "NAME", minArgs: 1, maxArgs: 1,
			summary: "Sync a Directory now (sets dirsync.io/sync-requested-at) and wait for the outcome",
			flags:   waitFlags, run: runSync},
		{name: "approve", args: "NAME", minArgs: 1, maxArgs: 1,
			summary: "Show the deletions the guard holds and approve exactly them (sets dirsync.io/approve-deletions)",
			flags: func(fs *pflag.FlagSet, o *options) {
				fs.BoolVarP(&o.yes, "yes", "y", false, "Approve without asking for confirmation.")
				waitFlags(fs, o)
			}, run: runApprove},
		{name: "plan", args: "NAME", minArgs: 1, maxArgs: 1,
			summary: "Print what a dry-run Directory's sync would do (status.plan)",
			flags:   func(*pflag.FlagSet, *options) {}, run: runPlan},
	}
}

// invocation is a parsed command line.
type invocation struct {
	cmd    *command // nil for the general help
	args   []string
	opts   options
	config *genericclioptions.ConfigFlags
	help   bool
}

// usageError is a command line that cannot run; it exits with code 2.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

func usageErrorf(format string, args ...any) error { return usageError{fmt.Sprintf(format, args...)} }

// Run runs the plugin with the arguments after `kubectl dirsync` and returns the exit code: 0 on
// success, 1 when the command failed, 2 for a command line that cannot run.
func (p *Plugin) Run(ctx context.Context, args []string) int {
	err := p.run(ctx, args)
	if err == nil {
		return 0
	}
	fmt.Fprintf(p.ErrOut, "error: %v\n", err)
	if errors.As(err, new(usageError)) {
		fmt.Fprintln(p.ErrOut, "See 'kubectl dirsync --help' for usage.")
		return 2
	}
	return 1
}

func (p *Plugin) run(ctx context.Context, args []string) error {
	inv, err := parse(args)
	if err != nil {
		return err
	}
	if inv.help {
		fmt.Fprint(p.Out, usage(inv.cmd))
		return nil
	}
	e, err := p.newEnv(inv)
	if err != nil {
		return err
	}
	return inv.cmd.run(ctx, e, inv.args)
}

// parse finds the subcommand (the first argument that is neither a flag nor a flag's value, so that
// kubeconfig flags may come before it) and parses the rest with the subcommand's flags.
func parse(args []string) (*invocation, error) {
	inv := &invocation{}
	name, rest := splitCommand(args, allFlags())
	if name == "help" {
		if len(rest) == 0 {
			return &invocation{help: true}, nil
		}
		name, inv.help = rest[0], true
	}
	if name == "" {
		if hasHelpFlag(rest) {
			return &invocation{help: true}, nil
		}
		return nil, usageErrorf("no command given: use one of %s", strings.Join(commandNames(), ", "))
	}
	if inv.cmd = findCommand(name); inv.cmd == nil {
		return nil, usageErrorf("unknown command %q: use one of %s", name, strings.Join(commandNames(), ", "))
	}
	if inv.help {
		return inv, nil
	}
	fs := inv.flagSet()
	if err := fs.Parse(rest); errors.Is(err, pflag.ErrHelp) {
		inv.help = true
		return inv, nil
	} else if err != nil {
		return nil, usageErrorf("%s: %v", name, err)
	}
	inv.args = fs.Args()
	if err := inv.check(fs); err != nil {
		return nil, err
	}
	return inv, nil
}

// check rejects positional arguments and flag values the subcommand cannot use.
func (inv *invocation) check(fs *pflag.FlagSet) error {
	name := inv.cmd.name
	switch n := len(inv.args); {
	case n < inv.cmd.minArgs:
		return usageErrorf("%s needs the Directory's name: kubectl dirsync %s %s", name, name, inv.cmd.args)
	case n > inv.cmd.maxArgs:
		return usageErrorf("%s takes at most one Directory name, got %q: kubectl dirsync %s %s", name, inv.args, name, inv.cmd.args)
	case fs.Lookup("timeout") != nil && inv.opts.timeout <= 0:
		return usageErrorf("%s: --timeout must be positive, got %s", name, inv.opts.timeout)
	}
	return nil
}

func findCommand(name string) *command {
	for _, c := range commands() {
		if c.name == name {
			return &c
		}
	}
	return nil
}

// flagSet is the subcommand's flags plus kubectl's standard ones, bound to the invocation.
func (inv *invocation) flagSet() *pflag.FlagSet {
	fs := pflag.NewFlagSet("kubectl dirsync "+inv.cmd.name, pflag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	inv.config = genericclioptions.NewConfigFlags(true)
	inv.config.AddFlags(fs)
	inv.cmd.flags(fs, &inv.opts)
	return fs
}

// allFlags is every flag any subcommand accepts, so splitCommand knows which take a value.
func allFlags() *pflag.FlagSet {
	all := pflag.NewFlagSet("all", pflag.ContinueOnError)
	genericclioptions.NewConfigFlags(false).AddFlags(all)
	for _, c := range commands() {
		fs := pflag.NewFlagSet(c.name, pflag.ContinueOnError)
		c.flags(fs, &options{})
		all.AddFlagSet(fs)
	}
	return all
}

// splitCommand returns the first positional argument and the other arguments, in order.
func splitCommand(args []string, known *pflag.FlagSet) (name string, rest []string) {
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			break
		}
		if !strings.HasPrefix(a, "-") || a == "-" {
			rest = append(append(rest, args[:i]...), args[i+1:]...)
			return a, rest
		}
		if takesSeparateValue(a, known) {
			i++
		}
	}
	return "", args
}

// takesSeparateValue reports whether the flag argument a ("--namespace", "-n") is followed by its value
// as the next argument, rather than carrying it ("--namespace=x", "-nx") or taking none ("-A").
func takesSeparateValue(a string, known *pflag.FlagSet) bool {
	if strings.Contains(a, "=") {
		return false
	}
	var f *pflag.Flag
	switch {
	case strings.HasPrefix(a, "--"):
		f = known.Lookup(a[2:])
	case len(a) == 2:
		f = known.ShorthandLookup(a[1:])
	}
	return f != nil && f.NoOptDefVal == ""
}

func hasHelpFlag(args []string) bool {
	for _, a := range args {
		if a == "-h" || a == "--help" {
			return true
		}
	}
	return false
}

func commandNames() []string {
	var names []string
	for _, c := range commands() {
		names = append(names, c.name)
	}
	return names
}

// usage is the help text: the general one when c is nil, else the subcommand's, with its flags.
func usage(c *command) string {
	var b strings.Builder
	if c == nil {
		b.WriteString("kubectl dirsync inspects and operates dirsync Directories (dirsync.io/v1alpha1).\n\nCommands:\n")
		for _, c := range commands() {
			fmt.Fprintf(&b, "  %-8s %s\n", c.name, c.summary)
		}
		b.WriteString("\nUsage:\n  kubectl dirsync COMMAND [NAME] [flags]\n\n" +
			"The kubeconfig, context and namespace are kubectl's (--kubeconfig, --context, -n/--namespace, …).\n" +
			"Use 'kubectl dirsync COMMAND --help' for a command's flags.\n")
		return b.String()
	}
	fmt.Fprintf(&b, "%s.\n\nUsage:\n  kubectl dirsync %s %s [flags]\n\nFlags:\n", c.summary, c.name, c.args)
	own := pflag.NewFlagSet(c.name, pflag.ContinueOnError)
	c.flags(own, &options{})
	b.WriteString(own.FlagUsages())
	b.WriteString("\nkubectl's flags (the current kubeconfig, context and namespace by default):\n")
	std := pflag.NewFlagSet("std", pflag.ContinueOnError)
	genericclioptions.NewConfigFlags(false).AddFlags(std)
	b.WriteString(std.FlagUsages())
	return b.String()
}

// newEnv connects to the cluster the kubeconfig flags name.
func (p *Plugin) newEnv(inv *invocation) (*env, error) {
	cfg, err := inv.config.ToRESTConfig()
	if err != nil {
		return nil, fmt.Errorf("loading the kubeconfig: %w", err)
	}
	ns, _, err := inv.config.ToRawKubeConfigLoader().Namespace()
	if err != nil {
		return nil, fmt.Errorf("reading the namespace from the kubeconfig: %w", err)
	}
	c, err := newClient(cfg)
	if err != nil {
		return nil, err
	}
	in := p.In
	if in == nil {
		in = strings.NewReader("") // no input: a confirmation gets no answer
	}
	e := &env{client: c, namespace: ns, opts: inv.opts, in: bufio.NewReader(in), out: p.Out, clock: p.Clock, poll: p.PollInterval}
	if e.clock == nil {
		e.clock = clock.RealClock{}
	}
	if e.poll <= 0 {
		e.poll = defaultPollInterval
	}
	return e, nil
}
