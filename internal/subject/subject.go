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

// Fields are what a template sees of a person: the four allowed fields, nothing else.
type Fields struct{ Email, ExternalID, FirstName, LastName string }

// fieldValues read each field a template may use.
var fieldValues = map[string]func(Fields) string{
	"Email":      func(f Fields) string { return f.Email },
	"ExternalID": func(f Fields) string { return f.ExternalID },
	"FirstName":  func(f Fields) string { return f.FirstName },
	"LastName":   func(f Fields) string { return f.LastName },
}

// funcs are the only functions a template may call. The piped value comes last, so
// `{{ .Email | replace "@" "-" }}` works as in Helm.
var funcs = template.FuncMap{
	"lower":      strings.ToLower,
	"upper":      strings.ToUpper,
	"trim":       strings.TrimSpace,
	"replace":    func(old, repl, s string) string { return strings.ReplaceAll(s, old, repl) },
	"trimPrefix": func(prefix, s string) string { return strings.TrimPrefix(s, prefix) },
	"trimSuffix": func(suffix, s string) string { return strings.TrimSuffix(s, suffix) },
}

// Template is a parsed subject template that uses only fields, strings and the allowed functions.
type Template struct {
	tmpl   *template.Template
	fields []string // the fields it reads, sorted
}

// Parse parses text and rejects anything but fields, string constants and the allowed functions: no
// range (a loop over a number could spin), no printf (a huge width could allocate), no variables, no
// nested templates. The error says what to change.
func Parse(text string) (*Template, error) {
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
	used := map[string]bool{}
	if err := checkNode(t.Root, used); err != nil {
		return nil, fmt.Errorf("spec.subject.template: %w; use only the fields .Email, .ExternalID, .FirstName, .LastName, "+
			"quoted strings and the functions lower, upper, trim, replace, trimPrefix, trimSuffix", err)
	}
	st := &Template{tmpl: t}
	for f := range used {
		st.fields = append(st.fields, f)
	}
	slices.Sort(st.fields)
	return st, nil
}

// Fields are the names of the fields the template reads, sorted ("Email", "ExternalID", …).
func (st *Template) Fields() []string { return slices.Clone(st.fields) }

// checkNode walks the parse tree, allowing only the node kinds a subject template needs and recording
// the fields it reads.
func checkNode(n parse.Node, used map[string]bool) error {
	switch n := n.(type) {
	case *parse.ListNode:
		return checkNodes(n.Nodes, used)
	case *parse.TextNode, *parse.StringNode, *parse.CommentNode:
		return nil
	case *parse.ActionNode:
		return checkNode(n.Pipe, used)
	case *parse.PipeNode:
		if len(n.Decl) > 0 {
			return fmt.Errorf("variables are not allowed (%s)", n)
		}
		cmds := make([]parse.Node, len(n.Cmds))
		for i, c := range n.Cmds {
			cmds[i] = c
		}
		return checkNodes(cmds, used)
	case *parse.CommandNode:
		return checkNodes(n.Args, used)
	case *parse.FieldNode:
		if len(n.Ident) != 1 || fieldValues[n.Ident[0]] == nil {
			return fmt.Errorf("field %s does not exist", n)
		}
		used[n.Ident[0]] = true
		return nil
	case *parse.IdentifierNode:
		if funcs[n.Ident] == nil {
			return fmt.Errorf("function %s is not allowed", n.Ident)
		}
		return nil
	}
	return fmt.Errorf("%s is not allowed", n)
}

func checkNodes(nodes []parse.Node, used map[string]bool) error {
	for _, c := range nodes {
		if err := checkNode(c, used); err != nil {
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
