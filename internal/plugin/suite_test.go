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
	"os"
	"path/filepath"
	"testing"

	"github.com/go-logr/logr"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
	ctrllog "sigs.k8s.io/controller-runtime/pkg/log"

	"github.com/dirsync/dirsync/internal/testenv"
)

// The envtest tests run the plugin in-process, through its command line and a kubeconfig file, against
// one API server with the CRDs (internal/testenv). No operator runs: a test writes the status the
// operator would.
var (
	k8sClient       client.Client // cluster admin, for the tests' own reads and writes
	kubeconfigPath  string        // the admin kubeconfig the plugin is given
	adminKubeconfig []byte
	testEnv         *envtest.Environment // for AddUser
	kubeconfigDir   string
)

func TestMain(m *testing.M) {
	ctrllog.SetLogger(logr.Discard())
	os.Exit(testenv.Run(m, func(s *testenv.Suite) (func(), error) {
		dir, err := os.MkdirTemp("", "kubectl-dirsync-test-")
		if err != nil {
			return nil, err
		}
		k8sClient, testEnv, kubeconfigDir = s.Client, s.Env, dir
		adminKubeconfig = s.Kubeconfig
		kubeconfigPath = filepath.Join(dir, "kubeconfig")
		if err := os.WriteFile(kubeconfigPath, adminKubeconfig, 0o600); err != nil {
			_ = os.RemoveAll(dir)
			return nil, err
		}
		return func() { _ = os.RemoveAll(dir) }, nil
	}))
}

// requireEnvtest skips a test that needs the API server when the envtest binaries are missing (or
// fails it under DIRSYNC_REQUIRE_ENVTEST).
func requireEnvtest(t *testing.T) {
	t.Helper()
	testenv.Require(t)
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
