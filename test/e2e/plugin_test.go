//go:build e2e

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

package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"k8s.io/utils/ptr"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/tools/clientcmd"
	"sigs.k8s.io/controller-runtime/pkg/client"

	dirsyncv1alpha1 "github.com/dirsync/dirsync/api/v1alpha1"
	"github.com/dirsync/dirsync/internal/provider/fakehr"
	"github.com/dirsync/dirsync/test/utils"
)

// pluginTimeout bounds one run of kubectl-dirsync; its own --timeout is shorter.
const pluginTimeout = 3 * time.Minute

var (
	pluginOnce sync.Once
	pluginBin  string // PLUGIN_BIN, default bin/kubectl-dirsync, built once per run
	pluginErr  error
)

// pluginBinary builds cmd/kubectl-dirsync once per run, as the suite builds the manager and fakehr.
func pluginBinary(t *testing.T) string {
	t.Helper()
	pluginOnce.Do(func() {
		pluginBin = envOr("PLUGIN_BIN", filepath.Join(repoRoot, "bin", "kubectl-dirsync"))
		ctx, cancel := context.WithTimeout(context.Background(), buildTimeout)
		defer cancel()
		_, pluginErr = utils.Run(ctx, repoRoot, nil, "go", "build", "-o", pluginBin, "./cmd/kubectl-dirsync")
	})
	if pluginErr != nil {
		t.Fatalf("building kubectl-dirsync: %v", pluginErr)
	}
	return pluginBin
}

// pluginRun is one run of the plugin.
type pluginRun struct {
	code           int
	stdout, stderr string
}

func (r pluginRun) String() string {
	return fmt.Sprintf("exit code %d\n--- stdout:\n%s--- stderr:\n%s", r.code, r.stdout, r.stderr)
}

// dirsync runs `kubectl dirsync args…` the way a user does: kubectl finds the plugin on PATH (a copy of
// the built binary in a directory of its own), and both read the kubeconfig from $KUBECONFIG.
func dirsync(t *testing.T, kubeconfig, stdin string, args ...string) pluginRun {
	t.Helper()
	pathDir := filepath.Join(workDir, "plugin-path")
	if _, err := os.Stat(filepath.Join(pathDir, "kubectl-dirsync")); err != nil {
		b, err := os.ReadFile(pluginBinary(t))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.MkdirAll(pathDir, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(pathDir, "kubectl-dirsync"), b, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), pluginTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, kubectlBin, append([]string{"dirsync"}, args...)...)
	cmd.Dir = repoRoot
	cmd.Env = append(utils.WithoutEnv(utils.WithoutEnv(os.Environ(), "KUBECONFIG"), "PATH"),
		"KUBECONFIG="+kubeconfig, "PATH="+pathDir+string(os.PathListSeparator)+os.Getenv("PATH"))
	cmd.WaitDelay = 5 * time.Second
	cmd.Stdin = strings.NewReader(stdin)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	r := pluginRun{stdout: stdout.String(), stderr: stderr.String()}
	var exit *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &exit) && ctx.Err() == nil:
		r.code = exit.ExitCode()
	default:
		t.Fatalf("kubectl dirsync %s: %v\n%s", strings.Join(args, " "), err, r)
	}
	t.Logf("$ kubectl dirsync %s\n%s", strings.Join(args, " "), r)
	return r
}

// expectRun fails the test unless the run exited with code and its stdout contains every want.
func expectRun(t *testing.T, r pluginRun, code int, want ...string) {
	t.Helper()
	if r.code != code {
		t.Fatalf("want exit code %d; %s", code, r)
	}
	for _, w := range want {
		if !strings.Contains(r.stdout, w) {
			t.Errorf("stdout does not contain %q; %s", w, r)
		}
	}
}

// kubeconfigInNamespace writes a copy of the admin kubeconfig whose context defaults to ns, as
// `kubectl config set-context --current --namespace=ns` would.
func kubeconfigInNamespace(t *testing.T, ns string) string {
	t.Helper()
	cfg, err := clientcmd.LoadFromFile(adminKubeconfig)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Contexts[cfg.CurrentContext].Namespace = ns
	path := filepath.Join(workDir, ns+".kubeconfig")
	if err := clientcmd.WriteToFile(*cfg, path); err != nil {
		t.Fatal(err)
	}
	return path
}

// The plugin against the real manager and a fake Breathe HR: status (through `kubectl dirsync`, with the
// namespace taken from the kubeconfig context), plan of a dry-run Directory, sync of a change, and the
// approval of a mass deletion that the deletion guard held.
func TestPluginDay2Operations(t *testing.T) {
	kubeconfig := operatorIdentity(t)
	ns := newNamespace(t, "e2e-plugin-")
	userKubeconfig := kubeconfigInNamespace(t, ns)
	hr := startFakeHR(t, smallCompany)
	mgr := startManager(t, "manager", kubeconfig)
	watch := []*utils.Process{mgr.Process, hr.Process}

	key := createDirectory(t, ns, "breathe", hr)
	dryKey := createDryRunDirectory(t, ns, "dry", hr)
	waitReady(t, key, smallCompany, firstSyncTimeout, watch...)
	eventually(t, firstSyncTimeout, "the dry-run Directory to have a plan", func(ctx context.Context) (bool, string) {
		d, err := getDirectory(ctx, dryKey)
		if err != nil {
			return false, err.Error()
		}
		return d.Status.Plan != nil && readyReason(d) == "False/"+dirsyncv1alpha1.ReasonDryRun, describe(d)
	}, watch...)

	t.Run("status", func(t *testing.T) {
		r := dirsync(t, userKubeconfig, "", "status")
		expectRun(t, r, 0, "NAME", "breathe", "dry", "Directory:      "+ns+"/breathe",
			"Ready:          True (Synced)", fmt.Sprintf("Counts:         %d users", smallCompany),
			"Mode:           dry run")
		r = dirsync(t, adminKubeconfig, "", "status", "breathe", "-n", ns)
		expectRun(t, r, 0, "Provider:       BreatheHR at "+hr.breatheURL, "Last changes:   ")
		expectRun(t, dirsync(t, userKubeconfig, "", "status", "absent"), 1)
	})

	t.Run("plan", func(t *testing.T) {
		expectRun(t, dirsync(t, userKubeconfig, "", "plan", "dry"), 0,
			fmt.Sprintf("would create %d users", smallCompany), "Nothing was written.")
		r := dirsync(t, userKubeconfig, "", "plan", "breathe")
		expectRun(t, r, 1)
		if !strings.Contains(r.stderr, `kubectl patch dir breathe -n `+ns+` --type merge -p '{"spec":{"dryRun":true}}'`) {
			t.Errorf("plan of a Directory without dryRun does not say how to enable it; %s", r)
		}
		// A sync of a dry-run Directory succeeds with a fresh plan.
		expectRun(t, dirsync(t, userKubeconfig, "", "sync", "dry", "--timeout=90s"), 0,
			"Ready:   False (DryRun)", fmt.Sprintf("Plan:    would create %d users", smallCompany))
	})

	t.Run("sync", func(t *testing.T) {
		var c fakehr.Company
		hr.admin(t, http.MethodGet, "/admin/company", nil, &c)
		c.Employees[0].JobTitle = "Chief Plugin Tester"
		hr.admin(t, http.MethodPut, "/admin/company", c, nil)
		r := dirsync(t, userKubeconfig, "", "sync", "breathe", "--timeout=90s")
		expectRun(t, r, 0, "Requested a sync of Directory "+ns+"/breathe", "Ready:   True (Synced)", "Changes: 0 created, 1 updated, 0 deleted")
	})

	t.Run("approve a held mass deletion", func(t *testing.T) {
		const keep = 10
		var c fakehr.Company
		hr.admin(t, http.MethodGet, "/admin/company", nil, &c)
		c.Employees = c.Employees[:keep]
		hr.admin(t, http.MethodPut, "/admin/company", c, nil)
		held := smallCompany - keep

		r := dirsync(t, userKubeconfig, "", "sync", "breathe", "--timeout=90s")
		expectRun(t, r, 1, "Ready:   False (DeletionGuardTriggered)", "kubectl dirsync approve breathe -n "+ns)
		if n, err := countUsers(callCtx(t), key); err != nil || n != smallCompany {
			t.Fatalf("%d users (%v) after the held sync; want all %d kept", n, err, smallCompany)
		}
		expectRun(t, dirsync(t, userKubeconfig, "", "status", "breathe"), 0,
			fmt.Sprintf("Held deletions: %d users and 0 groups", held), "dirsync.io/approve-deletions=")

		r = dirsync(t, userKubeconfig, "n\n", "approve", "breathe")
		expectRun(t, r, 1, fmt.Sprintf("The deletion guard holds the deletion of %d users and 0 groups:", held), "[y/N]")
		r = dirsync(t, userKubeconfig, "y\n", "approve", "breathe", "--timeout=90s")
		expectRun(t, r, 0, fmt.Sprintf("Deleted %d users and 0 groups.", held))
		waitReady(t, key, keep, syncTimeout, watch...)
		expectRun(t, dirsync(t, userKubeconfig, "", "status", "breathe"), 0,
			"Last approval:  ", fmt.Sprintf("deleted %d users and 0 groups", held), "Ready:          True (Synced)")
	})
}

// The access commands against the real manager and a fake Breathe HR: a DirectoryAccess binds an
// engineer's group to edit in an opted-in namespace; `access list -A` shows it and its RoleBinding,
// `access status` the subjects, `access explain` why the member has edit and why someone outside the
// group has not; after HR marks the member a leaver, explain says they lack it; once the
// DirectoryAccess is deleted, `access list -A` shows no RoleBinding of it.
func TestPluginAccessCommands(t *testing.T) {
	kubeconfig := operatorIdentity(t)
	installAdmissionPolicy(t)
	ns, web := newNamespace(t, "e2e-plugin-access-"), newNamespace(t, "e2e-plugin-web-")
	userKubeconfig := kubeconfigInNamespace(t, ns)
	hr := startFakeHR(t, smallCompany)
	mgr := startManager(t, "manager", kubeconfig)
	watch := []*utils.Process{mgr.Process, hr.Process}
	dirKey := createDirectory(t, ns, "breathe", hr)
	waitReady(t, dirKey, smallCompany, firstSyncTimeout, watch...)
	member, group := pickActiveMember(t, dirKey)
	outsider := pickOutsider(t, dirKey, group)
	subject := "oidc:" + strings.ToLower(member.Spec.Email)

	mustKubectl(t, "create", "rolebinding", accessGrantor, "-n", web, "--clusterrole="+accessGrantor,
		"--serviceaccount="+operatorNamespace+":"+operatorServiceAccount)
	accKey := types.NamespacedName{Namespace: ns, Name: "eng-edit"}
	applyAccess(t, "", accKey, dirKey.Name, group, web)
	acc := waitAccessReason(t, accKey, dirsyncv1alpha1.ReasonBound, watch...)
	rbName := acc.Status.Bindings[0].Name

	t.Run("access list -A", func(t *testing.T) {
		r := dirsync(t, adminKubeconfig, "", "access", "list", "-A")
		expectRun(t, r, 0, "NAMESPACE", ns, "eng-edit", "ClusterRole/edit", "Bound", web+"   "+rbName, ns+"/eng-edit", "Before uninstalling dirsync")
		var v struct {
			Items []struct {
				Namespace, Name string
				Bindings        []struct {
					Namespace, Name string
					Subjects        []string
				}
			}
		}
		r = dirsync(t, adminKubeconfig, "", "access", "list", "-A", "-o", "json")
		expectRun(t, r, 0)
		if err := json.Unmarshal([]byte(r.stdout), &v); err != nil {
			t.Fatalf("access list -o json: %v", err)
		}
		found := false
		for _, a := range v.Items {
			if a.Namespace == ns && a.Name == "eng-edit" && len(a.Bindings) == 1 && slices.Contains(a.Bindings[0].Subjects, subject) {
				found = true
			}
		}
		if !found {
			t.Errorf("access list -A -o json has no eng-edit binding %s; %s", subject, r)
		}
	})

	t.Run("access status", func(t *testing.T) {
		expectRun(t, dirsync(t, userKubeconfig, "", "access", "status", "eng-edit"), 0,
			"DirectoryAccess:  "+ns+"/eng-edit", "Ready:            True (Bound)", "  "+web+": "+rbName+", ClusterRole edit", "    "+subject+"\n")
	})

	t.Run("access explain", func(t *testing.T) {
		expectRun(t, dirsync(t, userKubeconfig, "", "access", "explain", strings.ToUpper(member.Spec.Email)), 0,
			"DirectoryAccess "+ns+"/eng-edit: ClusterRole edit — HAS IT", "Subject:    "+subject,
			"ClusterRole edit in namespace "+web+" (DirectoryAccess "+ns+"/eng-edit)")
		expectRun(t, dirsync(t, userKubeconfig, "", "access", "explain", outsider.Spec.Email), 0,
			"— LACKS IT", "in none of the selected groups", "has no role through these DirectoryAccesses")
	})

	t.Run("a leaver lacks it after the sync", func(t *testing.T) {
		var co fakehr.Company
		hr.admin(t, http.MethodGet, "/admin/company", nil, &co)
		e := co.Employee(member.Spec.ExternalID)
		e.Status, e.LeavingDate = fakehr.Former, time.Now().UTC().AddDate(0, 0, -1).Format(time.DateOnly)
		hr.admin(t, http.MethodPut, "/admin/company", co, nil)
		forceSync(t, dirKey, syncTimeout, watch...)
		eventually(t, syncTimeout, "access explain to say the leaver lacks edit", func(context.Context) (bool, string) {
			r := dirsync(t, userKubeconfig, "", "access", "explain", member.Spec.Email)
			return r.code == 0 && strings.Contains(r.stdout, "— LACKS IT") && strings.Contains(r.stdout, "has no role"), r.stdout
		}, watch...)
	})

	t.Run("deleting the DirectoryAccess leaves no RoleBinding", func(t *testing.T) {
		if err := k8s.Delete(callCtx(t), acc); err != nil {
			t.Fatal(err)
		}
		eventually(t, syncTimeout, "access list -A to show no RoleBinding of "+accKey.String(), func(context.Context) (bool, string) {
			r := dirsync(t, adminKubeconfig, "", "access", "list", "-A")
			return r.code == 0 && !strings.Contains(r.stdout, ns+"/eng-edit"), r.stdout
		}, watch...)
	})

	t.Run("version", func(t *testing.T) {
		expectRun(t, dirsync(t, adminKubeconfig, "", "version"), 0, "Plugin:  ", "Manager: ")
		expectRun(t, dirsync(t, adminKubeconfig, "", "--version"), 0, "Plugin:  ")
	})
}

// pickOutsider returns a DirectoryUser with an e-mail who is not in group.
func pickOutsider(t *testing.T, dir types.NamespacedName, group string) dirsyncv1alpha1.DirectoryUser {
	t.Helper()
	var users dirsyncv1alpha1.DirectoryUserList
	if err := k8s.List(callCtx(t), &users, client.InNamespace(dir.Namespace), client.MatchingLabels{dirsyncv1alpha1.LabelDirectory: dir.Name}); err != nil {
		t.Fatal(err)
	}
	for _, u := range users.Items {
		if u.Spec.Email != "" && !slices.Contains(u.Spec.Groups, group) {
			return u
		}
	}
	t.Fatalf("every one of %d users is in %s", len(users.Items), group)
	return dirsyncv1alpha1.DirectoryUser{}
}

// createDryRunDirectory creates the Secret <name>-api-key and a Breathe HR Directory <name> with spec.dryRun
// from the start, so that no sync ever writes its users.
func createDryRunDirectory(t *testing.T, ns, name string, hr *fakeHR) types.NamespacedName {
	t.Helper()
	secret := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name + "-api-key"}, StringData: map[string]string{"apiKey": canaryKey}}
	if err := k8s.Create(callCtx(t), secret); err != nil {
		t.Fatalf("creating Secret %s/%s: %v", ns, secret.Name, err)
	}
	dir := &dirsyncv1alpha1.Directory{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec: dirsyncv1alpha1.DirectorySpec{Provider: dirsyncv1alpha1.ProviderBreatheHR,
			CredentialsSecretRef: dirsyncv1alpha1.SecretKeyReference{Name: secret.Name}, Endpoint: hr.breatheURL, DryRun: ptr.To(true)},
	}
	if err := k8s.Create(callCtx(t), dir); err != nil {
		t.Fatalf("creating Directory %s/%s: %v", ns, name, err)
	}
	return client.ObjectKeyFromObject(dir)
}
