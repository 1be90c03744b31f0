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

// Package subject parses and renders a DirectoryAccess's spec.subject.template: the Go template that
// turns one person into the RBAC user name the cluster's authenticator reports, e.g.
// `oidc:{{ lower .Email }}`. It allows only the four fields, quoted strings and a few string
// functions, and refuses a rendering that is empty, too long, has whitespace or starts with
// "system:". It is pure and depends on the standard library only, so the controller and the kubectl
// plugin render subjects the same way. Its errors name spec.subject.template, as the Ready message does.
package subject

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"text/template"
	"text/template/parse"
	"unicode"
)

// MaxLength bounds one rendered subject name; longer output is not bound.
const MaxLength = 512

// Bounds on what a template may cost, so that no DirectoryAccess author can make the shared operator
// allocate without bound (issue 21). A template is at most MaxTemplateLength bytes (the CRD's
// maxLength), has at most MaxActions actions, at most MaxPipeline commands in one pipeline and at
// most MaxCalls function calls in all; every string a function takes or returns is at most
// MaxIntermediate bytes, and replace computes its result's size before it allocates it. Rendering one
// person therefore allocates at most about MaxCalls × 3 × MaxIntermediate bytes (lower and upper may
// turn each invalid byte into a 3-byte U+FFFD), and much less for any template a platform needs.
const (
	// MaxTemplateLength is the longest template text, as the CRD's maxLength.
	MaxTemplateLength = 1024
	// MaxActions is how many {{ }} actions a template may have.
	MaxActions = 16
	// MaxPipeline is how many commands one pipeline (a | b | c) may have.
	MaxPipeline = 8
	// MaxCalls is how many function calls a template may make, nested calls included.
	MaxCalls = 32
	// MaxIntermediate bounds every string a template function takes or returns: 8 × MaxLength.
	MaxIntermediate = 8 * MaxLength
)

// Fields are what a template sees of a person: the four allowed fields, nothing else.
type Fields struct{ Email, ExternalID, FirstName, LastName string }

// fieldValues read each field a template may use.
var fieldValues = map[string]func(Fields) string{
	"Email":      func(f Fields) string { return f.Email },
	"ExternalID": func(f Fields) string { return f.ExternalID },
	"FirstName":  func(f Fields) string { return f.FirstName },
	"LastName":   func(f Fields) string { return f.LastName },
}

// errEmptyOld is replace's error for an empty OLD, which would insert NEW between every character.
var errEmptyOld = errors.New("replace with an empty OLD would insert NEW between every character; give replace the text to replace")

// renderError is a template function's refusal; Render reports its text.
type renderError struct{ msg string }

func (e *renderError) Error() string { return e.msg }

// fits refuses an input over MaxIntermediate bytes.
func fits(fn, s string) error {
	if len(s) > MaxIntermediate {
		return &renderError{fmt.Sprintf("%s's input is longer than %d bytes", fn, MaxIntermediate)}
	}
	return nil
}

// bounded applies f to s when s fits, and refuses a result over MaxIntermediate bytes.
func bounded(fn string, f func(string) string) func(string) (string, error) {
	return func(s string) (string, error) {
		if err := fits(fn, s); err != nil {
			return "", err
		}
		out := f(s)
		if len(out) > MaxIntermediate {
			return "", &renderError{fmt.Sprintf("%s's result is longer than %d bytes", fn, MaxIntermediate)}
		}
		return out, nil
	}
}

// replace is strings.ReplaceAll with its result's size computed before anything is allocated.
func replace(old, repl, s string) (string, error) {
	if old == "" {
		return "", &renderError{errEmptyOld.Error()}
	}
	if err := fits("replace", s); err != nil {
		return "", err
	}
	// s fits, so n ≤ MaxIntermediate and the product stays far from overflowing even for a huge repl.
	if n := strings.Count(s, old); n > 0 && len(repl) > len(old) &&
		(len(repl)-len(old) > MaxIntermediate || len(s)+n*(len(repl)-len(old)) > MaxIntermediate) {
		return "", &renderError{fmt.Sprintf("replace's result would be longer than %d bytes", MaxIntermediate)}
	}
	return strings.ReplaceAll(s, old, repl), nil
}

// trimmer is trimPrefix or trimSuffix, which never allocate, on an input that fits.
func trimmer(fn string, f func(s, affix string) string) func(affix, s string) (string, error) {
	return func(affix, s string) (string, error) {
		if err := fits(fn, s); err != nil {
			return "", err
		}
		return f(s, affix), nil
	}
}

// funcs are the only functions a template may call. The piped value comes last, so
// `{{ .Email | replace "@" "-" }}` works as in Helm. Each is bounded (see MaxIntermediate).
var funcs = template.FuncMap{
	"lower":      bounded("lower", strings.ToLower),
	"upper":      bounded("upper", strings.ToUpper),
	"trim":       bounded("trim", strings.TrimSpace),
	"replace":    replace,
	"trimPrefix": trimmer("trimPrefix", strings.TrimPrefix),
	"trimSuffix": trimmer("trimSuffix", strings.TrimSuffix),
}

// Template is a parsed subject template that uses only fields, strings and the allowed functions.
type Template struct {
	tmpl   *template.Template
	fields []string // the fields it reads, sorted
}

// Parse parses text and rejects anything but fields, string constants and the allowed functions: no
// range (a loop over a number could spin), no printf (a huge width could allocate), no variables, no
// nested templates, no replace with a constant empty OLD, and nothing over the bounds above. The error
// says what to change.
func Parse(text string) (*Template, error) {
	if len(text) > MaxTemplateLength {
		return nil, fmt.Errorf("spec.subject.template is longer than %d bytes", MaxTemplateLength)
	}
	t, err := template.New("subject").Funcs(funcs).Parse(text)
	if err != nil {
		return nil, fmt.Errorf("spec.subject.template does not parse: %w", err)
	}
	if len(t.Templates()) > 1 {
		return nil, errors.New("spec.subject.template may not define templates")
	}
	if t.Tree == nil || t.Root == nil {
		return nil, errors.New("spec.subject.template is empty")
	}
	c := &checker{used: map[string]bool{}}
	if err := c.check(t.Root); err != nil {
		if errors.Is(err, errOverBounds) {
			return nil, fmt.Errorf("spec.subject.template: %w", err)
		}
		return nil, fmt.Errorf("spec.subject.template: %w; use only the fields .Email, .ExternalID, .FirstName, .LastName, "+
			"quoted strings and the functions lower, upper, trim, replace, trimPrefix, trimSuffix", err)
	}
	st := &Template{tmpl: t}
	for f := range c.used {
		st.fields = append(st.fields, f)
	}
	slices.Sort(st.fields)
	return st, nil
}

// Fields are the names of the fields the template reads, sorted ("Email", "ExternalID", …).
func (st *Template) Fields() []string { return slices.Clone(st.fields) }

// errOverBounds is wrapped by the checker's errors about a template that is too big, or hostile.
var errOverBounds = errors.New("the template is over its bounds")

// checker walks a parse tree, allowing only the node kinds a subject template needs, recording the
// fields it reads and counting what the bounds limit.
type checker struct {
	used           map[string]bool
	actions, calls int
}

func (c *checker) check(n parse.Node) error {
	switch n := n.(type) {
	case *parse.ListNode:
		return c.checkAll(n.Nodes)
	case *parse.TextNode, *parse.StringNode, *parse.CommentNode:
		return nil
	case *parse.ActionNode:
		if c.actions++; c.actions > MaxActions {
			return fmt.Errorf("it has more than %d actions ({{ }}): %w", MaxActions, errOverBounds)
		}
		return c.check(n.Pipe)
	case *parse.PipeNode:
		return c.checkPipe(n)
	case *parse.CommandNode:
		return c.checkCommand(n)
	case *parse.FieldNode:
		if len(n.Ident) != 1 || fieldValues[n.Ident[0]] == nil {
			return fmt.Errorf("field %s does not exist", n)
		}
		c.used[n.Ident[0]] = true
		return nil
	case *parse.IdentifierNode:
		if funcs[n.Ident] == nil {
			return fmt.Errorf("function %s is not allowed", n.Ident)
		}
		return nil
	}
	return fmt.Errorf("%s is not allowed", n)
}

func (c *checker) checkPipe(n *parse.PipeNode) error {
	if len(n.Decl) > 0 {
		return fmt.Errorf("variables are not allowed (%s)", n)
	}
	for _, cmd := range n.Cmds {
		if err := c.check(cmd); err != nil {
			return err
		}
	}
	if len(n.Cmds) > MaxPipeline {
		return fmt.Errorf("a pipeline has more than %d commands (%s): %w", MaxPipeline, short(n), errOverBounds)
	}
	return nil
}

// short is a node's text for an error, cut to 60 bytes.
func short(n parse.Node) string {
	if s := n.String(); len(s) > 60 {
		return s[:57] + "..."
	}
	return n.String()
}

// checkCommand counts a function call and refuses replace with a constant empty OLD.
func (c *checker) checkCommand(n *parse.CommandNode) error {
	if id, ok := n.Args[0].(*parse.IdentifierNode); ok {
		if c.calls++; c.calls > MaxCalls {
			return fmt.Errorf("it makes more than %d function calls: %w", MaxCalls, errOverBounds)
		}
		if old, ok := argAt(n, 1).(*parse.StringNode); ok && id.Ident == "replace" && old.Text == "" {
			return fmt.Errorf("%w (%s): %w", errEmptyOld, short(n), errOverBounds)
		}
	}
	return c.checkAll(n.Args)
}

// argAt is the command's i-th word (0 is the function), or nil.
func argAt(n *parse.CommandNode, i int) parse.Node {
	if i < len(n.Args) {
		return n.Args[i]
	}
	return nil
}

func (c *checker) checkAll(nodes []parse.Node) error {
	for _, n := range nodes {
		if err := c.check(n); err != nil {
			return err
		}
	}
	return nil
}

// Render returns the person's subject name, or why the person gets none ("has no email", "renders
// empty", …: the words follow the person's identifier in a message).
func (st *Template) Render(f Fields) (string, error) {
	for _, name := range st.fields {
		if fieldValues[name](f) == "" {
			return "", fmt.Errorf("has no %s", strings.ToLower(name[:1])+name[1:])
		}
	}
	var b limitedBuilder
	if err := st.tmpl.Execute(&b, f); err != nil {
		if re := (*renderError)(nil); errors.As(err, &re) {
			return "", re
		}
		return "", errors.New("the template failed for them")
	}
	s := b.String()
	switch {
	case s == "":
		return "", errors.New("renders empty")
	case b.overflow:
		return "", fmt.Errorf("renders more than %d characters", MaxLength)
	case strings.HasPrefix(strings.ToLower(s), "system:"):
		return "", errors.New("renders a reserved system: name")
	case strings.IndexFunc(s, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }) >= 0:
		return "", errors.New("renders whitespace or control characters")
	}
	return s, nil
}

// limitedBuilder keeps the first MaxLength bytes written to it.
type limitedBuilder struct {
	strings.Builder
	overflow bool
}

func (b *limitedBuilder) Write(p []byte) (int, error) {
	if room := MaxLength - b.Len(); len(p) > room {
		b.overflow = true
		p = p[:max(room, 0)]
	}
	_, _ = b.Builder.Write(p)
	return len(p), nil
}
