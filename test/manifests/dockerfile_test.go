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

package manifests

import (
	"bufio"
	"context"
	"debug/elf"
	"encoding/json"
	"io/fs"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// dockerfile is what the tests need of the Dockerfile: the build stage's WORKDIR, COPYs and RUNs,
// and the final stage's COPY --from, USER and ENTRYPOINT.
type dockerfile struct {
	workdir    string
	copies     [][2]string // build stage: source in the context, destination
	runs       []string    // build stage, in order
	binaryFrom string      // final stage: COPY --from=builder <binaryFrom> <binaryTo>
	binaryTo   string
	finalDir   string // final stage's WORKDIR
	user       string
	entrypoint []string
}

func parseDockerfile(t *testing.T) dockerfile {
	t.Helper()
	f, err := os.Open("../../Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var d dockerfile
	stage := 0
	sc := bufio.NewScanner(f)
	var line string
	for sc.Scan() {
		line += strings.TrimSpace(sc.Text())
		if strings.HasSuffix(line, `\`) {
			line = strings.TrimSuffix(line, `\`) + " "
			continue
		}
		fields := strings.Fields(line)
		instr, rest := "", ""
		if len(fields) > 0 && !strings.HasPrefix(fields[0], "#") {
			instr, rest = strings.ToUpper(fields[0]), strings.TrimSpace(strings.TrimPrefix(line, fields[0]))
		}
		line = ""
		switch {
		case instr == "FROM":
			stage++
			d.finalDir = "/"
		case instr == "WORKDIR" && stage == 1:
			d.workdir = rest
		case instr == "WORKDIR":
			d.finalDir = rest
		case instr == "COPY" && stage == 1:
			args := strings.Fields(rest)
			d.copies = append(d.copies, [2]string{args[0], args[len(args)-1]})
		case instr == "RUN" && stage == 1:
			d.runs = append(d.runs, rest)
		case instr == "COPY" && strings.HasPrefix(rest, "--from="):
			args := strings.Fields(rest)
			d.binaryFrom, d.binaryTo = args[1], args[2]
		case instr == "USER":
			d.user = rest
		case instr == "ENTRYPOINT":
			if err := json.Unmarshal([]byte(rest), &d.entrypoint); err != nil {
				t.Fatalf("ENTRYPOINT %s is not in exec form: %v", rest, err)
			}
		}
	}
	if stage != 2 || d.workdir == "" || len(d.copies) == 0 || len(d.runs) == 0 || d.binaryFrom == "" || len(d.entrypoint) == 0 {
		t.Fatalf("the Dockerfile is not the two-stage build these tests know: %+v", d)
	}
	return d
}

// dockerignore reports whether .dockerignore keeps a path (slash-separated, relative to the
// context) out of the build context: the last matching pattern wins, and "!" re-includes, as in
// Docker. Patterns may be "name", "dir/", "**/name" and "**/dir/".
func dockerignore(t *testing.T) func(p string, dir bool) bool {
	t.Helper()
	b, err := os.ReadFile("../../.dockerignore")
	if err != nil {
		t.Fatal(err)
	}
	var patterns []string
	for _, l := range strings.Split(string(b), "\n") {
		if l = strings.TrimSpace(l); l != "" && !strings.HasPrefix(l, "#") {
			patterns = append(patterns, l)
		}
	}
	matches := func(pattern, p string) bool {
		pattern = strings.TrimSuffix(pattern, "/")
		if suffix, ok := strings.CutPrefix(pattern, "**/"); ok {
			elems := strings.Split(p, "/")
			for i := range elems {
				if ok, _ := path.Match(suffix, strings.Join(elems[i:], "/")); ok {
					return true
				}
			}
			return false
		}
		ok, _ := path.Match(pattern, p)
		return ok
	}
	return func(p string, dir bool) bool {
		excluded := false
		for _, pat := range patterns {
			neg := strings.HasPrefix(pat, "!")
			pat = strings.TrimPrefix(pat, "!")
			// A pattern names the path itself or one of its parents (directories); one ending in
			// "/" names directories only.
			hit := false
			for q := p; q != "." && q != "/" && q != ""; q = path.Dir(q) {
				if q == p && !dir && strings.HasSuffix(pat, "/") {
					continue
				}
				if matches(pat, q) {
					hit = true
					break
				}
			}
			if hit {
				excluded = !neg
			}
		}
		return excluded
	}
}

// The Dockerfile's build stage, without Docker: the files its COPYs take from the context (minus
// .dockerignore) are copied to a scratch directory, its RUN lines run there with the build
// arguments BuildKit would set, and the binary its final stage copies must be static and run
// --help as the final stage's USER. A package the manager imports that the context leaves out, a
// cgo dependency or a changed output path fails here, before anyone runs docker build.
func TestDockerfileBuildStageGivesAStaticBinaryThatRunsAsItsUser(t *testing.T) {
	if os.Getenv("DOCKERFILE_CHECK") == "" {
		t.Skip("set DOCKERFILE_CHECK=1 (make docker-check, a CI step of its own) to build the manager as the Dockerfile does: " +
			"a cold -trimpath build of every dependency, too slow for go test ./...'s default timeout on 2 cores")
	}
	d := parseDockerfile(t)
	ignored := dockerignore(t)
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	scratch := t.TempDir()
	work := filepath.Join(scratch, filepath.FromSlash(d.workdir))
	for _, c := range d.copies {
		src, dst := filepath.Join(root, c[0]), filepath.Join(work, c[1])
		if err := copyContext(src, dst, c[0], ignored); err != nil {
			t.Fatalf("COPY %s %s: %v", c[0], c[1], err)
		}
	}

	goEnv := func(k string) string {
		out, err := exec.Command("go", "env", k).Output()
		if err != nil {
			t.Fatal(err)
		}
		return strings.TrimSpace(string(out))
	}
	// BuildKit's automatic platform arguments for a build on this machine: TARGETOS stays unset
	// when --platform is not given only in legacy builders, so test the Dockerfile's fallback too.
	env := append(os.Environ(), "TARGETOS=", "TARGETARCH="+goEnv("GOARCH"), "GOFLAGS=", "GOWORK=off")
	for _, run := range d.runs {
		ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
		cmd := exec.CommandContext(ctx, "sh", "-c", run)
		cmd.Dir, cmd.Env = work, env
		out, err := cmd.CombinedOutput()
		cancel()
		if err != nil {
			t.Fatalf("RUN %s: %v\n%s", run, err, out)
		}
		t.Logf("RUN %s: ok", run)
	}

	bin := filepath.Join(scratch, filepath.FromSlash(d.binaryFrom))
	checkStatic(t, bin)

	// The final stage runs ENTRYPOINT, which must be the binary it copied.
	dest := d.binaryTo
	if dest == "." || strings.HasSuffix(dest, "/") {
		dest = path.Join(d.finalDir, dest, path.Base(d.binaryFrom))
	}
	if d.entrypoint[0] != path.Clean(dest) {
		t.Errorf("ENTRYPOINT %v does not run the copied binary %s", d.entrypoint, path.Clean(dest))
	}

	uid, gid := userOf(t, d.user)
	// Let the image's user reach the binary: t.TempDir's own directory is 0700 too.
	if err := os.Chmod(filepath.Dir(scratch), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := filepath.WalkDir(scratch, func(p string, e fs.DirEntry, err error) error {
		if err == nil && e.IsDir() {
			err = os.Chmod(p, 0o755)
		}
		return err
	}); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, append(d.entrypoint[1:], "--help")...)
	cmd.Env = []string{} // distroless has no environment to speak of
	switch {
	case os.Getuid() == 0:
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: uid, Gid: gid}}
	case runtime.GOOS != "linux":
		t.Skip("running as another user needs Linux and root")
	default:
		t.Logf("not root: running --help as uid %d instead of %d", os.Getuid(), uid)
	}
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s --help as %d:%d: %v\n%s", bin, uid, gid, err, out)
	}
	for _, flag := range []string{"-leader-elect", "-metrics-bind-address", "-watch-namespace"} {
		if !strings.Contains(string(out), flag) {
			t.Errorf("--help does not list %s:\n%s", flag, out)
		}
	}
}

// copyContext copies src (a file or directory of the build context, named rel there) to dst,
// leaving out what .dockerignore excludes.
func copyContext(src, dst, rel string, ignored func(string, bool) bool) error {
	return filepath.WalkDir(src, func(p string, e fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		r, err := filepath.Rel(src, p)
		if err != nil {
			return err
		}
		ctxPath := path.Clean(path.Join(strings.TrimSuffix(rel, "/"), filepath.ToSlash(r)))
		if ignored(ctxPath, e.IsDir()) {
			if e.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		target := filepath.Join(dst, r)
		if e.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		if err := os.MkdirAll(filepath.Dir(target), 0o755); err != nil {
			return err
		}
		return os.WriteFile(target, b, 0o644)
	})
}

// checkStatic fails unless bin is an ELF executable with no interpreter and no shared libraries,
// as gcr.io/distroless/static needs.
func checkStatic(t *testing.T, bin string) {
	t.Helper()
	f, err := elf.Open(bin)
	if err != nil {
		t.Fatalf("the build stage left no executable at %s: %v", bin, err)
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			t.Errorf("%s has a dynamic loader (PT_INTERP): not a static binary; is CGO_ENABLED=0 still in the go build line?", bin)
		}
	}
	if libs, _ := f.ImportedLibraries(); len(libs) > 0 {
		t.Errorf("%s needs shared libraries %v, which distroless/static lacks", bin, libs)
	}
}

// userOf parses USER uid:gid (numeric, as a distroless image has no useradd).
func userOf(t *testing.T, user string) (uint32, uint32) {
	t.Helper()
	u, g, _ := strings.Cut(user, ":")
	if g == "" {
		g = u
	}
	uid, err1 := strconv.ParseUint(u, 10, 32)
	gid, err2 := strconv.ParseUint(g, 10, 32)
	if err1 != nil || err2 != nil {
		t.Fatalf("USER %q is not numeric uid:gid", user)
	}
	if uid == 0 {
		t.Fatalf("USER %q is root", user)
	}
	return uint32(uid), uint32(gid)
}

func TestDockerignoreSemantics(t *testing.T) {
	ignored := dockerignore(t)
	for _, tt := range []struct {
		path string
		dir  bool
		want bool
	}{
		{"go.mod", false, false},
		{"cmd/manager/main.go", false, false},
		{"cmd/fakehr/main.go", false, true},
		{"controllers/directory/metrics.go", false, false},
		{"controllers/directory/metrics_test.go", false, true},
		{"internal/provider/breathehr/testdata", true, true},
		{"bin", true, true},
		{"README.md", false, true},
	} {
		if got := ignored(tt.path, tt.dir); got != tt.want {
			t.Errorf("ignored(%s) = %v, want %v", tt.path, got, tt.want)
		}
	}
}
