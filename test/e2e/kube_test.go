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
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	authenticationv1 "k8s.io/api/authentication/v1"
	authorizationv1 "k8s.io/api/authorization/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/wait"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
	"sigs.k8s.io/controller-runtime/pkg/client"

	dirsyncv1alpha1 "github.com/dirsync/dirsync/api/v1alpha1"
	"github.com/dirsync/dirsync/internal/testenv"
	"github.com/dirsync/dirsync/test/utils"
)

// Names config/default gives the operator (namespace dirsync-system, name prefix dirsync-).
const (
	operatorNamespace      = "dirsync-system"
	operatorServiceAccount = "dirsync-controller-manager"
	managerClusterRole     = "dirsync-manager-role"
	leaseName              = "dirsync.io" // LeaderElectionID in cmd/manager
)

// Polling of eventually and consistently; each condition call gets its own bounded context.
const (
	pollInterval = 250 * time.Millisecond
	callTimeout  = 15 * time.Second
)

// eventually polls cond until it reports true, failing the test after timeout, or at once when one
// of the watched processes has exited. cond's string describes what it saw, for the failure message.
func eventually(t *testing.T, timeout time.Duration, what string, cond func(ctx context.Context) (bool, string), watch ...*utils.Process) {
	t.Helper()
	err := testenv.Poll(pollInterval, timeout, func(context.Context) (bool, string, error) {
		for _, p := range watch {
			if p.Exited() {
				return false, "", p.ExitedError()
			}
		}
		ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
		defer cancel()
		ok, state := cond(ctx)
		return ok, state, nil
	})
	if err != nil {
		t.Fatalf("waiting up to %s for %s: %v", timeout, what, err)
	}
}

// consistently polls cond for d and fails the test as soon as it reports false (or a watched
// process exits). It is the bounded "never happens" check.
func consistently(t *testing.T, d time.Duration, what string, cond func(ctx context.Context) (bool, string), watch ...*utils.Process) {
	t.Helper()
	err := wait.PollUntilContextTimeout(context.Background(), pollInterval, d, true, func(context.Context) (bool, error) {
		for _, p := range watch {
			if p.Exited() {
				return false, p.ExitedError()
			}
		}
		ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
		defer cancel()
		if ok, state := cond(ctx); !ok {
			return false, errors.New(state)
		}
		return false, nil
	})
	if !wait.Interrupted(err) {
		t.Fatalf("expected %s for %s: %v", what, d, err)
	}
}

// kubectl runs kubectl as cluster admin in the module root, with stdin if not empty, and returns stdout.
func kubectl(stdin string, args ...string) (string, error) {
	return utils.Kubectl{Path: kubectlBin, Kubeconfig: adminKubeconfig, Dir: repoRoot, Timeout: kubectlTimeout}.
		Run(context.Background(), stdin, args...)
}

func mustKubectl(t *testing.T, args ...string) string {
	t.Helper()
	out, err := kubectl("", args...)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// callCtx is a bounded context for one API call from a test.
func callCtx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), callTimeout)
	t.Cleanup(cancel)
	return c
}

var (
	testNamespacesMu sync.Mutex
	testNamespaces   []string // every namespace the tests made, for TestAPIKeyNeverInManagerOutput
)

// newNamespace creates a namespace with a generated name. Namespaces are left for the scans of
// TestAPIKeyNeverInManagerOutput; the control plane goes away at the end of the run.
func newNamespace(t *testing.T, prefix string) string {
	t.Helper()
	ns := testenv.NewNamespace(t, k8s, prefix)
	testNamespacesMu.Lock()
	testNamespaces = append(testNamespaces, ns)
	testNamespacesMu.Unlock()
	return ns
}

// createDirectory creates the Secret <name>-api-key holding canaryKey and a Breathe HR Directory
// <name> pointing at the fake.
func createDirectory(t *testing.T, ns, name string, hr *fakeHR) types.NamespacedName {
	t.Helper()
	secret := &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name + "-api-key"},
		StringData: map[string]string{"apiKey": canaryKey},
	}
	if err := k8s.Create(callCtx(t), secret); err != nil {
		t.Fatalf("creating Secret %s/%s: %v", ns, secret.Name, err)
	}
	dir := &dirsyncv1alpha1.Directory{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec: dirsyncv1alpha1.DirectorySpec{
			Provider:             dirsyncv1alpha1.ProviderBreatheHR,
			CredentialsSecretRef: dirsyncv1alpha1.SecretKeyReference{Name: secret.Name},
			Endpoint:             hr.breatheURL,
		},
	}
	if err := k8s.Create(callCtx(t), dir); err != nil {
		t.Fatalf("creating Directory %s/%s: %v", ns, name, err)
	}
	return client.ObjectKeyFromObject(dir)
}

// getDirectory reads a Directory live.
func getDirectory(ctx context.Context, key types.NamespacedName) (*dirsyncv1alpha1.Directory, error) {
	dir := &dirsyncv1alpha1.Directory{}
	return dir, k8s.Get(ctx, key, dir)
}

// describe summarises a Directory's sync state for failure messages.
func describe(dir *dirsyncv1alpha1.Directory) string {
	ready := "no Ready condition"
	if c := meta.FindStatusCondition(dir.Status.Conditions, dirsyncv1alpha1.ConditionReady); c != nil {
		ready = fmt.Sprintf("Ready=%s (%s: %s)", c.Status, c.Reason, c.Message)
	}
	return fmt.Sprintf("%s; generation %d, observedGeneration %d, userCount %d, groupCount %d, lastHandledSyncRequest %q",
		ready, dir.Generation, dir.Status.ObservedGeneration, dir.Status.UserCount, dir.Status.GroupCount, dir.Status.LastHandledSyncRequest)
}

// isReady reports Ready=True for the current generation.
func isReady(dir *dirsyncv1alpha1.Directory) bool {
	c := meta.FindStatusCondition(dir.Status.Conditions, dirsyncv1alpha1.ConditionReady)
	return c != nil && c.Status == metav1.ConditionTrue && dir.Status.ObservedGeneration == dir.Generation
}

// readyReason is the Ready condition's status and reason, e.g. "False/InvalidCredentials".
func readyReason(dir *dirsyncv1alpha1.Directory) string {
	c := meta.FindStatusCondition(dir.Status.Conditions, dirsyncv1alpha1.ConditionReady)
	if c == nil {
		return ""
	}
	return string(c.Status) + "/" + c.Reason
}

// waitReady waits until the Directory is Ready=True with the given user count, in its status and in
// the DirectoryUser objects that carry its label.
func waitReady(t *testing.T, key types.NamespacedName, users int, timeout time.Duration, watch ...*utils.Process) *dirsyncv1alpha1.Directory {
	t.Helper()
	var dir *dirsyncv1alpha1.Directory
	eventually(t, timeout, fmt.Sprintf("Directory %s to be Ready with %d users", key, users), func(ctx context.Context) (bool, string) {
		d, err := getDirectory(ctx, key)
		if err != nil {
			return false, err.Error()
		}
		dir = d
		if !isReady(d) || int(d.Status.UserCount) != users {
			return false, describe(d)
		}
		n, err := countUsers(ctx, key)
		if err != nil {
			return false, err.Error()
		}
		return n == users, fmt.Sprintf("%s; %d DirectoryUser objects", describe(d), n)
	}, watch...)
	return dir
}

// forceSync sets the sync-requested-at annotation to a new value and waits until a sync attempt has
// answered it (status.lastHandledSyncRequest), returning the Directory as that attempt left it.
func forceSync(t *testing.T, key types.NamespacedName, timeout time.Duration, watch ...*utils.Process) *dirsyncv1alpha1.Directory {
	t.Helper()
	value := time.Now().UTC().Format(time.RFC3339Nano)
	patch := fmt.Sprintf(`{"metadata":{"annotations":{%q:%q}}}`, dirsyncv1alpha1.AnnotationSyncRequestedAt, value)
	dir := &dirsyncv1alpha1.Directory{ObjectMeta: metav1.ObjectMeta{Namespace: key.Namespace, Name: key.Name}}
	if err := k8s.Patch(callCtx(t), dir, client.RawPatch(types.MergePatchType, []byte(patch))); err != nil {
		t.Fatalf("annotating Directory %s: %v", key, err)
	}
	eventually(t, timeout, fmt.Sprintf("Directory %s to answer sync request %s", key, value), func(ctx context.Context) (bool, string) {
		d, err := getDirectory(ctx, key)
		if err != nil {
			return false, err.Error()
		}
		dir = d
		return d.Status.LastHandledSyncRequest == value, describe(d)
	}, watch...)
	return dir
}

// countUsers counts the DirectoryUser objects labelled with the Directory's name (metadata only).
func countUsers(ctx context.Context, key types.NamespacedName) (int, error) {
	return countChildren(ctx, key, "DirectoryUserList")
}

func countGroups(ctx context.Context, key types.NamespacedName) (int, error) {
	return countChildren(ctx, key, "DirectoryGroupList")
}

func countChildren(ctx context.Context, key types.NamespacedName, listKind string) (int, error) {
	list := &metav1.PartialObjectMetadataList{}
	list.SetGroupVersionKind(dirsyncv1alpha1.GroupVersion.WithKind(listKind))
	if err := k8s.List(ctx, list, client.InNamespace(key.Namespace),
		client.MatchingLabels{dirsyncv1alpha1.LabelDirectory: key.Name}); err != nil {
		return 0, err
	}
	return len(list.Items), nil
}

// The operator's identity as config/default sets it up, created once per run.
var (
	operatorOnce       sync.Once
	operatorKubeconfig string
	operatorErr        error
)

// operatorIdentity applies the RBAC objects, the Namespace and the ServiceAccount of
// `kubectl kustomize config/default` (not the CRDs, which TestMain installed, nor the Deployment,
// Service and NetworkPolicy), and returns a kubeconfig holding a token of that ServiceAccount.
func operatorIdentity(t *testing.T) string {
	t.Helper()
	operatorOnce.Do(func() { operatorKubeconfig, operatorErr = setUpOperatorIdentity(t) })
	if operatorErr != nil {
		t.Fatalf("setting up the operator's ServiceAccount and RBAC from config/default: %v", operatorErr)
	}
	return operatorKubeconfig
}

func setUpOperatorIdentity(t *testing.T) (string, error) {
	rendered, err := kubectl("", "kustomize", "config/default")
	if err != nil {
		return "", err
	}
	keep := map[string]bool{"Namespace": true, "ServiceAccount": true, "Role": true, "ClusterRole": true,
		"RoleBinding": true, "ClusterRoleBinding": true}
	var items []map[string]any
	var kept []string
	dec := utilyaml.NewYAMLOrJSONDecoder(strings.NewReader(rendered), 4096)
	for {
		var obj map[string]any
		if err := dec.Decode(&obj); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			return "", fmt.Errorf("decoding kubectl kustomize config/default: %w", err)
		}
		kind, _ := obj["kind"].(string)
		if !keep[kind] {
			continue
		}
		items = append(items, obj)
		name, _ := obj["metadata"].(map[string]any)["name"].(string)
		kept = append(kept, kind+"/"+name)
	}
	t.Logf("applying from config/default: %s", strings.Join(kept, ", "))
	for _, want := range []string{"Namespace/" + operatorNamespace, "ServiceAccount/" + operatorServiceAccount,
		"ClusterRole/" + managerClusterRole, "ClusterRoleBinding/dirsync-manager-rolebinding"} {
		if !containsString(kept, want) {
			return "", fmt.Errorf("config/default renders no %s", want)
		}
	}
	list, err := json.Marshal(map[string]any{"apiVersion": "v1", "kind": "List", "items": items})
	if err != nil {
		return "", err
	}
	if _, err := kubectl(string(list), "apply", "--server-side", "-f", "-"); err != nil {
		return "", err
	}
	sa := "system:serviceaccount:" + operatorNamespace + ":" + operatorServiceAccount
	if err := waitAllowed(sa, authorizationv1.ResourceAttributes{Verb: "list", Group: dirsyncv1alpha1.GroupVersion.Group, Resource: "directories"}); err != nil {
		return "", err
	}
	return serviceAccountKubeconfig(operatorNamespace, operatorServiceAccount)
}

// serviceAccountKubeconfig writes a kubeconfig with a fresh token of the ServiceAccount (kubectl
// create token) and the control plane's server and CA, and checks the server sees that identity.
func serviceAccountKubeconfig(ns, sa string) (string, error) {
	token, err := kubectl("", "create", "token", sa, "-n", ns, "--duration=2h")
	if err != nil {
		return "", err
	}
	admin, err := clientcmd.LoadFromFile(adminKubeconfig)
	if err != nil {
		return "", err
	}
	cluster := admin.Clusters[admin.Contexts[admin.CurrentContext].Cluster]
	cfg := clientcmdapi.NewConfig()
	cfg.Clusters["local"] = cluster.DeepCopy()
	cfg.AuthInfos[sa] = &clientcmdapi.AuthInfo{Token: strings.TrimSpace(token)}
	cfg.Contexts["local"] = &clientcmdapi.Context{Cluster: "local", AuthInfo: sa, Namespace: ns}
	cfg.CurrentContext = "local"
	path := filepath.Join(workDir, sa+".kubeconfig")
	if err := clientcmd.WriteToFile(*cfg, path); err != nil {
		return "", err
	}
	// The manager must run as the ServiceAccount, not as admin: ask the server who this is.
	restCfg, err := restConfig(path)
	if err != nil {
		return "", err
	}
	c, err := client.New(restCfg, client.Options{Scheme: scheme})
	if err != nil {
		return "", err
	}
	review := &authenticationv1.SelfSubjectReview{}
	ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
	defer cancel()
	if err := c.Create(ctx, review); err != nil {
		return "", fmt.Errorf("SelfSubjectReview with %s: %w", path, err)
	}
	if got, want := review.Status.UserInfo.Username, "system:serviceaccount:"+ns+":"+sa; got != want {
		return "", fmt.Errorf("%s authenticates as %q, want %q", path, got, want)
	}
	return path, nil
}

func restConfig(kubeconfig string) (*rest.Config, error) {
	return clientcmd.BuildConfigFromFlags("", kubeconfig)
}

// waitAllowed waits until the API server's RBAC authorizer allows user the access (bindings reach
// the authorizer's informers within moments), so that a manager started next sees no forbidden.
func waitAllowed(user string, attrs authorizationv1.ResourceAttributes) error {
	var last string
	err := wait.PollUntilContextTimeout(context.Background(), pollInterval, 30*time.Second, true, func(ctx context.Context) (bool, error) {
		sar := &authorizationv1.SubjectAccessReview{Spec: authorizationv1.SubjectAccessReviewSpec{
			User: user, Groups: []string{"system:serviceaccounts", "system:authenticated"}, ResourceAttributes: &attrs,
		}}
		if err := k8s.Create(ctx, sar); err != nil {
			last = err.Error()
			return false, nil
		}
		last = fmt.Sprintf("allowed=%v reason=%q", sar.Status.Allowed, sar.Status.Reason)
		return sar.Status.Allowed, nil
	})
	if err != nil {
		return fmt.Errorf("waiting for RBAC to allow %s %+v: %w (last: %s)", user, attrs, err, last)
	}
	return nil
}

// createServiceAccount creates a ServiceAccount in the operator's namespace (which
// operatorIdentity creates) unless it exists.
func createServiceAccount(t *testing.T, name string) {
	t.Helper()
	sa := &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Namespace: operatorNamespace, Name: name}}
	if err := k8s.Create(callCtx(t), sa); err != nil && !apierrors.IsAlreadyExists(err) {
		t.Fatalf("creating ServiceAccount %s/%s: %v", operatorNamespace, name, err)
	}
}

// bindClusterRoleInNamespace binds a ClusterRole to a ServiceAccount of the operator's namespace
// with a RoleBinding in ns: the ClusterRole's rules, granted in ns only.
func bindClusterRoleInNamespace(t *testing.T, ns, clusterRole, sa string) {
	t.Helper()
	rb := &rbacv1.RoleBinding{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "dirsync-e2e-manager"},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: clusterRole},
		Subjects:   []rbacv1.Subject{{Kind: rbacv1.ServiceAccountKind, Namespace: operatorNamespace, Name: sa}},
	}
	if err := k8s.Create(callCtx(t), rb); err != nil {
		t.Fatalf("creating RoleBinding %s/%s: %v", ns, rb.Name, err)
	}
}

func containsString(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
