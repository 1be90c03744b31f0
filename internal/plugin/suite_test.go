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
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/go-logr/logr"
	"k8s.io/apimachinery/pkg/runtime"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
	ctrllog "sigs.k8s.io/controller-runtime/pkg/log"

	dirsyncv1alpha1 "github.com/dirsync/dirsync/api/v1alpha1"
)

// The envtest tests run the plugin in-process, through its command line and a kubeconfig file, against
// one API server with the CRDs. No operator runs: a test writes the status the operator would.
var (
	k8sClient       client.Client // cluster admin, for the tests' own reads and writes
	kubeconfigPath  string        // the admin kubeconfig the plugin is given
	adminKubeconfig []byte
	envtestMissing  bool
	testEnv         *envtest.Environment // for AddUser
	kubeconfigDir   string
)

func TestMain(m *testing.M) {
	ctrllog.SetLogger(logr.Discard())
	if os.Getenv("KUBEBUILDER_ASSETS") == "" {
		if dir := localAssets(); dir != "" {
			os.Setenv("KUBEBUILDER_ASSETS", dir)
		} else if os.Getenv("DIRSYNC_REQUIRE_ENVTEST") != "" {
			fmt.Fprintln(os.Stderr, "plugin: envtest binaries not found and DIRSYNC_REQUIRE_ENVTEST is set: run 'make envtest'.")
			os.Exit(1)
		} else {
			envtestMissing = true
			fmt.Fprintln(os.Stderr, "plugin: envtest binaries not found; the envtest tests skip (run 'make envtest' to build them).")
			os.Exit(m.Run())
		}
	}
	os.Exit(runSuite(m))
}

// localAssets finds binaries that 'make envtest' built into bin/k8s/<version>.
func localAssets() string {
	matches, _ := filepath.Glob(filepath.Join("..", "..", "bin", "k8s", "*", "kube-apiserver"))
	if len(matches) == 0 {
		return ""
	}
	abs, _ := filepath.Abs(filepath.Dir(matches[0]))
	return abs
}

func runSuite(m *testing.M) int {
	env := &envtest.Environment{CRDDirectoryPaths: []string{filepath.Join("..", "..", "config", "crd", "bases")}, ErrorIfCRDPathMissing: true}
	testEnv = env
	cfg, err := env.Start()
	if err != nil {
		fmt.Fprintln(os.Stderr, "starting envtest:", err)
		return 1
	}
	defer func() { _ = env.Stop() }()

	scheme := runtime.NewScheme()
	utilruntime.Must(clientgoscheme.AddToScheme(scheme))
	utilruntime.Must(dirsyncv1alpha1.AddToScheme(scheme))
	if k8sClient, err = client.New(cfg, client.Options{Scheme: scheme}); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	dir, err := os.MkdirTemp("", "kubectl-dirsync-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	kubeconfigDir = dir
	adminKubeconfig = env.KubeConfig
	kubeconfigPath = filepath.Join(dir, "kubeconfig")
	if err := os.WriteFile(kubeconfigPath, adminKubeconfig, 0o600); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return m.Run()
}

// requireEnvtest skips a test that needs the API server when the envtest binaries are missing.
func requireEnvtest(t *testing.T) {
	t.Helper()
	if envtestMissing {
		t.Skip("envtest binaries not found: run 'make envtest' (or set KUBEBUILDER_ASSETS) to run this test")
	}
}

// userKubeconfig writes a kubeconfig for a new user of the API server, with no rights until a test
// binds some, and returns its path.
func userKubeconfig(t *testing.T, name string) string {
	t.Helper()
	user, err := testEnv.AddUser(envtest.User{Name: name}, nil)
	if err != nil {
		t.Fatal(err)
	}
	b, err := user.KubeConfig()
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(kubeconfigDir, name+".kubeconfig")
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}
