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

package directorywebhook

import (
	"cmp"
	"context"
	"fmt"
	"net/http"
	"os"
	"testing"
	"time"

	"k8s.io/client-go/rest"
	"k8s.io/utils/clock"
	clocktesting "k8s.io/utils/clock/testing"
	"k8s.io/utils/ptr"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	ctrlconfig "sigs.k8s.io/controller-runtime/pkg/config"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	"github.com/dirsync/dirsync/controllers"
	"github.com/dirsync/dirsync/controllers/directory"
	"github.com/dirsync/dirsync/controllers/directory/directorytest"
	"github.com/dirsync/dirsync/internal/testenv"
)

// The suite starts one API server (testenv). Each story starts its own operator (startOperator): a
// manager with the DirectoryWebhook controller, and the Directory controller when the story reads an HR
// fake, so that it can stop it, crash it (its record writes refused) and start it again. Stories run one
// after another and delete their webhooks when they end, so an operator only ever works for its story.
var (
	k8sClient  client.Client // the administrator, uncached
	restConfig *rest.Config
	suite      *testenv.Suite
	logs       = &testenv.Buffer{}
)

func TestMain(m *testing.M) {
	os.Exit(testenv.Run(m, func(s *testenv.Suite) (func(), error) {
		ctrl.SetLogger(zap.New(zap.WriteTo(logs), zap.UseDevMode(false)))
		suite, k8sClient, restConfig = s, s.Client, s.Config
		return func() {}, nil
	}))
}

// storyTimeout bounds every wait of the stories.
const storyTimeout = 30 * time.Second

// operatorOptions shape a story's operator.
type operatorOptions struct {
	// directory also runs the Directory controller (with the HR fakes' registry).
	directory bool
	// wrap wraps the operator's transport to the API server (e.g. to refuse record writes).
	wrap func(http.RoundTripper) http.RoundTripper
	// clock is the webhook controller's clock; nil is the real one.
	clock clock.PassiveClock
	// insecure is AllowInsecureEndpoints; the stories' receivers are http://127.0.0.1, so it defaults on.
	secureOnly bool
	// settle is the Reconciler's Settle; zero is the stories' 300ms.
	settle time.Duration
}

// operator is a running manager of a story.
type operator struct {
	stop func()
	r    *Reconciler
}

// startOperator starts an operator for the story and stops it when the story ends (or when stop is called).
func startOperator(t *testing.T, o operatorOptions) *operator {
	t.Helper()
	testenv.Require(t)
	cfg := rest.CopyConfig(restConfig)
	cfg.QPS, cfg.Burst = 500, 1000
	if o.wrap != nil {
		cfg.Wrap(o.wrap)
	}
	mgr, err := ctrl.NewManager(cfg, ctrl.Options{
		Scheme: suite.Scheme, Metrics: metricsserver.Options{BindAddress: "0"}, HealthProbeBindAddress: "0",
		Cache: controllers.CacheOptions(nil), Client: controllers.ClientOptions(),
		Controller: ctrlconfig.Controller{SkipNameValidation: ptr.To(true)},
	})
	if err != nil {
		t.Fatal(err)
	}
	var clk clock.PassiveClock = clock.RealClock{}
	if o.clock != nil {
		clk = o.clock
	}
	r := &Reconciler{Client: mgr.GetClient(), APIReader: mgr.GetAPIReader(), Clock: clk, Recorder: mgr.GetEventRecorder("dirsync"),
		AllowInsecureEndpoints: !o.secureOnly, AttemptTimeout: 2 * time.Second, Settle: cmp.Or(o.settle, 300*time.Millisecond)}
	if err := r.SetupWithManager(mgr); err != nil {
		t.Fatal(err)
	}
	if o.directory {
		if err := (&directory.Reconciler{Client: mgr.GetClient(), APIReader: mgr.GetAPIReader(), Scheme: suite.Scheme,
			Providers: directorytest.Providers(), Clock: clocktesting.NewFakeClock(time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)),
			Recorder: mgr.GetEventRecorder("dirsync"), AllowInsecureEndpoints: true, ProviderTimeout: 2 * time.Second,
			MaxConcurrentSyncs: 2, WriteWorkers: 8}).SetupWithManager(mgr); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- mgr.Start(ctx) }()
	stopped := false
	op := &operator{r: r}
	op.stop = func() {
		if stopped {
			return
		}
		stopped = true
		cancel()
		if err := <-done; err != nil {
			t.Errorf("manager: %v", err)
		}
	}
	t.Cleanup(op.stop)
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("operator log:\n%s", logs.String())
		}
	})
	return op
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// eventually waits for cond with the stories' timeout.
func eventually(t *testing.T, cond func() (bool, string)) {
	t.Helper()
	testenv.Eventually(t, storyTimeout, cond)
}

func describe(format string, args ...any) string { return fmt.Sprintf(format, args...) }
