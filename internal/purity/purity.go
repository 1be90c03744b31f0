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

// Package purity checks, for a controller package's tests, that its pure files are leaves: a pure file
// (no client, clock, logger or recorder; values in, values out) uses only what pure files and other
// packages declare, never a package-level identifier, method or field declared in one of the package's
// I/O files. The I/O files may use the pure ones freely.
package purity

import (
	"go/ast"
	"go/parser"
	"go/token"
	"go/types"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// Check parses the non-test Go files of the package in dir, type-checks it, and fails t for every use
// in one of the pure files of an identifier the package declares in another file that is not pure. A
// file named in pure that does not exist fails too, so the list cannot go stale.
//
// Only the package's own identifiers matter, so imports are not loaded: every imported package is an
// empty stand-in, and the type errors that leaves (selectors into other packages) are ignored. The
// package's own identifiers, and methods and fields of its own types, still resolve.
func Check(t testing.TB, dir string, pure ...string) {
	t.Helper()
	fset := token.NewFileSet()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var files []*ast.File
	present := map[string]bool{}
	for _, e := range entries {
		name := e.Name()
		if e.IsDir() || !strings.HasSuffix(name, ".go") || strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, filepath.Join(dir, name), nil, parser.SkipObjectResolution)
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, f)
		present[name] = true
	}
	for _, p := range pure {
		if !present[p] {
			t.Errorf("%s is listed as pure but is not a Go file of the package", p)
		}
	}
	conf := types.Config{Importer: standIns{}, Error: func(error) {}}
	info := &types.Info{Uses: map[*ast.Ident]types.Object{}}
	pkg, _ := conf.Check(files[0].Name.Name, fset, files, info)
	for id, obj := range info.Uses {
		if obj == nil || obj.Pkg() != pkg || !declaredAtPackageLevel(obj, pkg) {
			continue
		}
		user, decl := fset.Position(id.Pos()), fset.Position(obj.Pos())
		userFile, declFile := filepath.Base(user.Filename), filepath.Base(decl.Filename)
		if slices.Contains(pure, userFile) && !slices.Contains(pure, declFile) {
			t.Errorf("%s:%d: the pure file uses %s, declared in %s, which is not pure", userFile, user.Line, id.Name, declFile)
		}
	}
}

// declaredAtPackageLevel reports whether obj is a package-level identifier of pkg, or a method or field
// of one of its types (not a local, a parameter or a label).
func declaredAtPackageLevel(obj types.Object, pkg *types.Package) bool {
	switch o := obj.(type) {
	case *types.Func:
		if sig, ok := o.Type().(*types.Signature); ok && sig.Recv() != nil {
			return true
		}
	case *types.Var:
		if o.IsField() {
			return true
		}
	}
	return obj.Parent() == pkg.Scope()
}

// standIns imports every package as an empty, complete package named after the last element of its
// path: the check needs none of their contents.
type standIns struct{}

func (standIns) Import(path string) (*types.Package, error) {
	p := types.NewPackage(path, filepath.Base(path))
	p.MarkComplete()
	return p, nil
}
