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

package receiver

import (
	"os"
	"testing"
	"time"

	"k8s.io/client-go/rest"
	clocktesting "k8s.io/utils/clock/testing"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"

	"github.com/dirsync/dirsync/controllers/directory"
	"github.com/dirsync/dirsync/controllers/directory/directorytest"
	"github.com/dirsync/dirsync/internal/testenv"
)

// The suite starts one API server (testenv) and one manager running the real Directory controller and
// the receiver, as cmd/manager wires them. The stories POST to the receiver over HTTP and assert through
// k8sClient, which reads the API server directly.
//
// The Directory controller's clock is fake (directoryClock), so that the hints' spacing (15 s after the
// last sync started) is the tests' to step; the receiver keeps the real clock, so its throttles run in
// real time. The receiver's per-Directory rate is low (suiteLimits) so that one story can exceed it.
var (
	k8sClient      client.Client
	suiteReceiver  *Receiver
	logs           = &testenv.Buffer{}
	directoryClock = clocktesting.NewFakeClock(time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC))
)

// suiteLimits: a Directory may send a burst of 150 requests, then one a second; the receiver as a whole
// is not the limit here (TestReceiverRefusesBeyondItsGlobalRate checks that one).
var suiteLimits = Limits{DirectoryPerSecond: 1, DirectoryBurst: 150, GlobalPerSecond: 5000, GlobalBurst: 5000}

func TestMain(m *testing.M) {
	os.Exit(testenv.Run(m, startSuite))
}

func startSuite(s *testenv.Suite) (func(), error) {
	ctrl.SetLogger(zap.New(zap.WriteTo(logs), zap.UseDevMode(false)))
	k8sClient = s.Client
	cfg := rest.CopyConfig(s.Config)
	cfg.QPS, cfg.Burst = 500, 1000
	return testenv.StartManager(cfg, s.Scheme, func(mgr ctrl.Manager) error {
		r := &directory.Reconciler{
			Client: mgr.GetClient(), APIReader: mgr.GetAPIReader(), Scheme: s.Scheme,
			Providers: directorytest.Providers(), Clock: directoryClock, Recorder: mgr.GetEventRecorder("dirsync"),
			AllowInsecureEndpoints: true, ProviderTimeout: 2 * time.Second, MaxConcurrentSyncs: 2, WriteWorkers: 8,
		}
		if err := r.SetupWithManager(mgr); err != nil {
			return err
		}
		suiteReceiver = &Receiver{Addr: "127.0.0.1:0", Client: mgr.GetClient(), Recorder: mgr.GetEventRecorder("dirsync"), Limits: suiteLimits}
		return suiteReceiver.SetupWithManager(mgr)
	})
}
