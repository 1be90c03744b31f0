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
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"
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

// options are the commands' own flags (the kubeconfig flags live in genericclioptions.ConfigFlags).
type options struct {
	allNamespaces bool
	wait          bool
	timeout       time.Duration
	yes           bool
	output        string // "", "json" or "yaml"
	clientOnly    bool   // version --client
}

// runFunc is what a command does once it has its environment.
type runFunc func(ctx context.Context, e *env, args []string) error

// invocation is a parsed command line, ready to run.
type invocation struct {
	cmd    *cobra.Command
	args   []string
	opts   options
	config *genericclioptions.ConfigFlags
	run    runFunc
	// offline commands get an environment without a client and connect themselves if they need to.
	offline bool
}

// usageError is a command line that cannot run; it exits with code 2.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

func usageErrorf(format string, args ...any) error { return usageError{fmt.Sprintf(format, args...)} }

// Run runs the plugin with the arguments after `kubectl dirsync` and returns the exit code: 0 on
// success, 1 when the command failed, 2 for a command line that cannot run.
func (p *Plugin) Run(ctx context.Context, args []string) int {
	root := newRootCommand(p.execute)
	root.SetIn(orEmpty(p.In))
	root.SetOut(p.Out)
	root.SetErr(p.ErrOut)
	err := executeArgs(ctx, root, args)
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

// executeArgs parses args with the command tree root and runs the command they name.
func executeArgs(ctx context.Context, root *cobra.Command, args []string) error {
	root.SetArgs(commandFirst(root, args))
	return root.ExecuteContext(ctx)
}

// execute runs a parsed command: it connects to the cluster the kubeconfig flags name (unless the
// command is offline) and calls the command's run.
func (p *Plugin) execute(ctx context.Context, inv *invocation) error {
	e, err := p.newEnv(inv)
	if err != nil {
		return err
	}
	return inv.run(ctx, e, inv.args)
}

// leafSpec describes one command that does something, as opposed to a group of commands.
type leafSpec struct {
	use, short, long, example string
	group                     string
	args                      cobra.PositionalArgs
	flags                     func(*pflag.FlagSet, *options)
	complete                  cobra.CompletionFunc // completes the positional argument; nil for none
	run                       runFunc
	offline                   bool
}

// builder makes the command tree; exec runs a parsed invocation (the plugin's execute, or a test's stand-in).
type builder struct {
	config *genericclioptions.ConfigFlags
	exec   func(context.Context, *invocation) error
}

// Command groups of the general help, in the order it shows them.
const (
	groupDirectory = "directory"
	groupAccess    = "access"
	groupWebhook   = "webhook"
)

// newRootCommand is `kubectl dirsync` with every command, kubectl's flags on all of them, and exec
// running whatever command the arguments name.
func newRootCommand(exec func(context.Context, *invocation) error) *cobra.Command {
	cobra.EnableCommandSorting = false // the help lists commands in the order of the workflow
	b := &builder{config: genericclioptions.NewConfigFlags(true), exec: exec}
	var printVersion bool
	root := &cobra.Command{
		Use:   "kubectl-dirsync",
		Short: "Inspect and operate dirsync Directories, DirectoryAccesses and DirectoryWebhooks",
		Long: "kubectl dirsync inspects and operates dirsync Directories, DirectoryAccesses and DirectoryWebhooks (dirsync.io/v1alpha1).\n\n" +
			"The kubeconfig, context and namespace are kubectl's (--kubeconfig, --context, -n/--namespace, …).\n" +
			"Exit codes: 0 success, 1 the command failed (error: … on stderr says why), 2 a command line that cannot run.",
		Example: `  # Is every Directory of the namespace healthy?
  kubectl dirsync status -n hr

  # Who has access through dirsync, in every namespace?
  kubectl dirsync access list -A`,
		Annotations:       map[string]string{cobra.CommandDisplayNameAnnotation: "kubectl dirsync"},
		SilenceErrors:     true,
		SilenceUsage:      true,
		Args:              unknownCommand,
		ValidArgsFunction: cobra.NoFileCompletions,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if printVersion {
				return b.exec(cmd.Context(), &invocation{cmd: cmd, config: b.config, run: runVersion,
					opts: options{clientOnly: true}, offline: true})
			}
			return noCommand(cmd)
		},
	}
	root.Flags().BoolVar(&printVersion, "version", false, "Print the plugin's version (as version --client) and exit.")
	b.config.AddFlags(root.PersistentFlags())
	_ = root.RegisterFlagCompletionFunc("namespace", b.completeNamespaces)
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		if !c.HasParent() {
			return usageError{err.Error()}
		}
		return usageErrorf("%s: %v", c.Name(), err)
	})
	root.AddGroup(&cobra.Group{ID: groupDirectory, Title: "Directory Commands:"},
		&cobra.Group{ID: groupAccess, Title: "Access Commands:"}, &cobra.Group{ID: groupWebhook, Title: "Webhook Commands:"})
	root.AddCommand(b.statusCommand(), b.syncCommand(), b.approveCommand(), b.planCommand(),
		b.accessCommand(), b.webhookCommand(), b.versionCommand(), completionCommand())
	root.CompletionOptions.DisableDefaultCmd = true
	root.InitDefaultHelpCmd()
	for _, c := range root.Commands() {
		if c.Name() == "help" {
			c.Example = "  kubectl dirsync help access explain"
		}
	}
	return root
}

// leaf builds a command from its spec: its flags bound to a fresh invocation, its positional
// arguments checked, its output flag validated, and exec called with what was parsed.
func (b *builder) leaf(s leafSpec) *cobra.Command {
	inv := &invocation{config: b.config, run: s.run, offline: s.offline}
	c := &cobra.Command{
		Use: s.use, Short: s.short, Long: s.long, Example: s.example, GroupID: s.group, Args: s.args,
		ValidArgsFunction: s.complete,
		RunE: func(cmd *cobra.Command, args []string) error {
			inv.cmd, inv.args = cmd, args
			if err := checkFlags(cmd, &inv.opts); err != nil {
				return err
			}
			return b.exec(cmd.Context(), inv)
		},
	}
	if c.Long == "" {
		c.Long = s.short + "."
	}
	if c.ValidArgsFunction == nil {
		c.ValidArgsFunction = cobra.NoFileCompletions
	}
	if s.flags != nil {
		s.flags(c.Flags(), &inv.opts)
	}
	if c.Flags().Lookup("output") != nil {
		_ = c.RegisterFlagCompletionFunc("output", cobra.FixedCompletions([]string{"json", "yaml"}, cobra.ShellCompDirectiveNoFileComp))
	}
	return c
}

// checkFlags rejects flag values the command cannot use.
func checkFlags(cmd *cobra.Command, o *options) error {
	switch {
	case cmd.Flags().Lookup("timeout") != nil && o.timeout <= 0:
		return usageErrorf("%s: --timeout must be positive, got %s", cmd.Name(), o.timeout)
	case o.output != "" && o.output != outputJSON && o.output != outputYAML:
		return usageErrorf("%s: --output must be json or yaml (or left out for text), got %q", cmd.Name(), o.output)
	}
	return nil
}

// group builds a command that only holds others, such as `access`.
func group(use, short, long, example, groupID string, children ...*cobra.Command) *cobra.Command {
	c := &cobra.Command{Use: use, Short: short, Long: long, Example: example, GroupID: groupID,
		Args: unknownCommand, RunE: func(cmd *cobra.Command, _ []string) error { return noCommand(cmd) },
		ValidArgsFunction: cobra.NoFileCompletions}
	c.AddCommand(children...)
	return c
}

// unknownCommand rejects a positional argument of a command group: it names no subcommand.
func unknownCommand(cmd *cobra.Command, args []string) error {
	if len(args) == 0 {
		return nil
	}
	msg := fmt.Sprintf("unknown command %q", args[0])
	if cmd.HasParent() {
		msg += " for " + cmd.CommandPath()
	}
	cmd.SuggestionsMinimumDistance = 2
	if s := cmd.SuggestionsFor(args[0]); len(s) > 0 {
		msg += fmt.Sprintf(" (did you mean %s?)", strings.Join(s, " or "))
	}
	return usageErrorf("%s: use one of %s", msg, strings.Join(subcommandNames(cmd), ", "))
}

// noCommand is the error of a command group run without a subcommand.
func noCommand(cmd *cobra.Command) error {
	if cmd.HasParent() {
		return usageErrorf("no command given: use %s %s", cmd.CommandPath(), strings.Join(subcommandNames(cmd), "|"))
	}
	return usageErrorf("no command given: use one of %s", strings.Join(subcommandNames(cmd), ", "))
}

func subcommandNames(cmd *cobra.Command) []string {
	var names []string
	for _, c := range cmd.Commands() {
		if c.IsAvailableCommand() && c.Name() != "help" {
			names = append(names, c.Name())
		}
	}
	return names
}

// argsSpec checks a command's positional arguments: between min and max of them. noun names one
// ("Directory name"), what the missing one ("the Directory's name").
func argsSpec(minArgs, maxArgs int, what, noun string) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		usageLine := cmd.CommandPath()
		if _, params, ok := strings.Cut(cmd.Use, " "); ok {
			usageLine += " " + params
		}
		switch n := len(args); {
		case n < minArgs:
			return usageErrorf("%s needs %s: %s", cmd.Name(), what, usageLine)
		case maxArgs == 0 && n > 0:
			return usageErrorf("%s takes no arguments, got %q: %s", cmd.Name(), args, usageLine)
		case n > maxArgs:
			return usageErrorf("%s takes at most one %s, got %q: %s", cmd.Name(), noun, args, usageLine)
		}
		return nil
	}
}

// commandFirst moves the command words (`status`, `access list`) to the front of args, so that a
// command's own flags may come before its name (`kubectl dirsync -A status`), as kubectl's flags may.
// It knows every flag of every command, so the value of a flag is never taken for a command.
func commandFirst(root *cobra.Command, args []string) []string {
	known := allFlags(root)
	var path []string
	rest := append([]string(nil), args...)
	for cur := root; ; {
		i := firstPositional(rest, known)
		if i < 0 {
			break
		}
		next := subcommand(cur, rest[i])
		if next == nil {
			break
		}
		path = append(path, rest[i])
		rest = append(rest[:i], rest[i+1:]...)
		cur = next
	}
	return append(path, rest...)
}

func subcommand(cmd *cobra.Command, name string) *cobra.Command {
	for _, c := range cmd.Commands() {
		if c.Name() == name || c.HasAlias(name) {
			return c
		}
	}
	return nil
}

// allFlags is every flag any command of the tree accepts.
func allFlags(root *cobra.Command) *pflag.FlagSet {
	all := pflag.NewFlagSet("all", pflag.ContinueOnError)
	var walk func(*cobra.Command)
	walk = func(c *cobra.Command) {
		all.AddFlagSet(c.PersistentFlags())
		all.AddFlagSet(c.Flags())
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(root)
	return all
}

// firstPositional is the index of the first argument that is neither a flag nor a flag's value, or -1.
func firstPositional(args []string, known *pflag.FlagSet) int {
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "--":
			return -1
		case !strings.HasPrefix(a, "-") || a == "-":
			return i
		case takesSeparateValue(a, known):
			i++
		}
	}
	return -1
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

// orEmpty is r, or an empty reader: with no input, a confirmation gets no answer.
func orEmpty(r io.Reader) io.Reader {
	if r == nil {
		return strings.NewReader("")
	}
	return r
}

// Flags several commands share.

func waitFlags(fs *pflag.FlagSet, o *options) {
	fs.BoolVar(&o.wait, "wait", true, "Wait until the operator has answered; --wait=false returns once the annotation is set.")
	fs.DurationVar(&o.timeout, "timeout", defaultTimeout, "How long to wait for the operator.")
}

func allNamespacesFlag(fs *pflag.FlagSet, o *options, what string) {
	fs.BoolVarP(&o.allNamespaces, "all-namespaces", "A", false, "List the "+what+" of every namespace.")
}

func outputFlag(fs *pflag.FlagSet, o *options) {
	fs.StringVarP(&o.output, "output", "o", "", "Print json or yaml instead of text: the same facts, with stable field names.")
}
