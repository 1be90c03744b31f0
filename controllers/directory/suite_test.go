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

package directory

import (
	"os"
	"testing"
	"time"

	"k8s.io/client-go/rest"
	clocktesting "k8s.io/utils/clock/testing"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"

	"github.com/dirsync/dirsync/controllers/directory/directorytest"
	"github.com/dirsync/dirsync/internal/testenv"
)

// The suite starts one API server (testenv) and one manager running the real Directory reconciler for
// every test in this package. Tests assert through k8sClient, which reads the API server directly.
var (
	k8sClient       client.Client
	mgrClient       client.Client // the manager's cached client
	suiteReconciler *Reconciler   // the suite manager's Directory controller
	// watchClient watches objects for tests that must see every state, not poll.
	watchClient client.WithWatch
	testClock   = clocktesting.NewFakeClock(time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC))
	writes      = &writeCounter{byNamespace: map[string]int{}, status: map[string]int{}}
	logs        = &testenv.Buffer{}
	restConfig  *rest.Config
)

// testProgressEvery is the suite's Syncing-condition period (5s in production), so a slow-sync test is short.
const testProgressEvery = 400 * time.Millisecond

// suiteMaxUsers is the suite manager's --max-users-per-directory: above every other story's company,
// low enough that a story can exceed it quickly.
const suiteMaxUsers = 300

func TestMain(m *testing.M) {
	os.Exit(testenv.Run(m, startSuite))
}

// startSuite starts the Directory controller in a manager whose writes are counted (writes).
func startSuite(s *testenv.Suite) (func(), error) {
	ctrl.SetLogger(zap.New(zap.WriteTo(logs), zap.UseDevMode(false)))
	k8sClient, restConfig = s.Client, s.Config
	var err error
	if watchClient, err = client.NewWithWatch(s.Config, client.Options{Scheme: s.Scheme}); err != nil {
		return nil, err
	}
	mgrCfg := rest.CopyConfig(s.Config)
	mgrCfg.QPS, mgrCfg.Burst = 500, 1000
	mgrCfg.Wrap(writes.wrap)
	return testenv.StartManager(mgrCfg, s.Scheme, func(mgr ctrl.Manager) error {
		mgrClient = mgr.GetClient()
		suiteReconciler = &Reconciler{
			Client: mgr.GetClient(), APIReader: mgr.GetAPIReader(), Scheme: s.Scheme,
			Providers: directorytest.Providers(), Clock: testClock, Recorder: mgr.GetEventRecorder("dirsync"),
			AllowInsecureEndpoints: true, ProviderTimeout: 2 * time.Second, MaxConcurrentSyncs: 2, WriteWorkers: 8,
			ProgressEvery: testProgressEvery, MaxUsersPerDirectory: suiteMaxUsers,
		}
		return suiteReconciler.SetupWithManager(mgr)
	})
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
