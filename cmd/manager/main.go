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

// Command manager runs the dirsync operator: the Directory, DirectoryAccess and DirectoryWebhook controllers,
// the webhook receiver, their metrics and health endpoints.
// `manager uninstall-check` instead exits non-zero while a DirectoryAccess exists (the chart's pre-delete hook).
package main

import (
	"crypto/tls"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/runtime"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/utils/clock"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/healthz"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"
	"sigs.k8s.io/controller-runtime/pkg/metrics/filters"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	dirsyncv1alpha1 "github.com/dirsync/dirsync/api/v1alpha1"
	"github.com/dirsync/dirsync/controllers"
	"github.com/dirsync/dirsync/controllers/directory"
	"github.com/dirsync/dirsync/controllers/directoryaccess"
	"github.com/dirsync/dirsync/controllers/directorywebhook"
	"github.com/dirsync/dirsync/internal/provider"
	"github.com/dirsync/dirsync/internal/provider/registry"
	"github.com/dirsync/dirsync/internal/receiver"
)

// Defaults of the client flags, measured by `make bench` (the defaults phase, bench/results.md): at 50
// requests a second a first sync of 10,000 users takes about 3.3 minutes, and the API server's priority
// and fairness keeps another tenant's latency within its SLO meanwhile. Sixteen concurrent syncs keep
// Directories whose provider hangs until the request timeout from delaying the others; the client's
// QPS, shared by all of them, still bounds what the manager asks of the API server.
const (
	defaultQPS        = 50
	defaultBurst      = 100
	defaultSyncs      = 16
	defaultWriteConns = 8
)

// options are the manager's command-line flags.
type options struct {
	metricsAddr, probeAddr  string
	receiverAddr            string
	metricsCertPath         string
	pprofAddr               string
	secureMetrics, enableH2 bool
	leaderElect             bool
	leaderElectionNamespace string
	watchNamespaces         string
	allowInsecureEndpoints  bool
	allowedEndpointHosts    string
	maxUsersPerDirectory    int
	qps                     float64
	burst                   int
	maxConcurrentSyncs      int
	writeWorkers            int
	providerTimeout         time.Duration
	accessAdmissionPolicy   string
	accessGrantorRole       string
	webhookTimeout          time.Duration
}

func parseFlags() (options, zap.Options) {
	var o options
	flag.StringVar(&o.metricsAddr, "metrics-bind-address", "0", "Address the metrics endpoint binds to, e.g. :8443 (HTTPS) or :8080 with --metrics-secure=false; 0 disables it.")
	flag.StringVar(&o.probeAddr, "health-probe-bind-address", ":8081", "Address the /healthz and /readyz endpoints bind to.")
	flag.StringVar(&o.receiverAddr, "receiver-bind-address", ":8090", "Address the webhook receiver binds to (plain HTTP: put TLS in front, e.g. an Ingress); 0 turns it off. It serves POST <status.webhook.path> of Directories with spec.webhook.enabled.")
	flag.StringVar(&o.pprofAddr, "pprof-bind-address", "", "Address to serve Go's pprof endpoints on, e.g. 127.0.0.1:6060, for profiling; empty (the default) serves none.")
	flag.BoolVar(&o.secureMetrics, "metrics-secure", true, "Serve metrics over HTTPS with authentication and authorization (TokenReview/SubjectAccessReview).")
	flag.StringVar(&o.metricsCertPath, "metrics-cert-path", "", "Directory holding tls.crt and tls.key for the HTTPS metrics server, reloaded when they change; empty: a self-signed certificate made at start.")
	flag.BoolVar(&o.enableH2, "enable-http2", false, "Enable HTTP/2 for the metrics server (off by default: CVE-2023-44487/CVE-2023-39325).")
	flag.BoolVar(&o.leaderElect, "leader-elect", false, "Elect a leader so only one replica syncs.")
	flag.StringVar(&o.leaderElectionNamespace, "leader-election-namespace", "", "Namespace of the leader election Lease (default: the pod's namespace).")
	flag.StringVar(&o.watchNamespaces, "watch-namespace", "", "Comma-separated namespaces to watch (Directories, their Secrets and children); empty watches all.")
	flag.BoolVar(&o.allowInsecureEndpoints, "allow-insecure-endpoints", false, "Allow http:// in a Directory's spec.endpoint and a DirectoryWebhook's spec.url, and DirectoryWebhook URLs that reach loopback or link-local addresses. For local fake servers and receivers only: API keys and people's data would travel in clear text.")
	flag.StringVar(&o.allowedEndpointHosts, "allowed-endpoint-hosts", "", "Comma-separated hosts (host or host:port; a host alone "+
		"allows any port) that spec.endpoint may name besides each provider's own (api.breathehr.com, api.sandbox.breathehr.info, "+
		"api.peoplehr.net, over https on port 443), e.g. a proxy or a mirror. A Directory naming any other host is Ready=False InvalidSpec "+
		"and its API key is never sent. --allow-insecure-endpoints allows no host.")
	flag.IntVar(&o.maxUsersPerDirectory, "max-users-per-directory", provider.DefaultMaxEmployees, "The most employees (leavers included) one "+
		"Directory's HR account may list. A Directory over it is Ready=False TooManyUsers and nothing is written; the provider stops reading "+
		"there, so no account can exhaust the manager's memory (about 4 KiB per user).")
	flag.Float64Var(&o.qps, "kube-api-qps", defaultQPS, "Steady requests per second to the Kubernetes API server.")
	flag.IntVar(&o.burst, "kube-api-burst", defaultBurst, "Burst of requests to the Kubernetes API server.")
	flag.IntVar(&o.maxConcurrentSyncs, "max-concurrent-syncs", defaultSyncs, "How many Directories sync at the same time.")
	flag.IntVar(&o.writeWorkers, "sync-write-workers", defaultWriteConns, "How many object writes one sync sends in parallel.")
	flag.DurationVar(&o.providerTimeout, "provider-request-timeout", provider.DefaultRequestTimeout, "Timeout of one HTTP request to an HR provider, body included.")
	flag.StringVar(&o.accessAdmissionPolicy, "access-admission-policy", "dirsync-directoryaccess-requester-can-bind",
		"Name of the ValidatingAdmissionPolicy that refuses a DirectoryAccess whose author could not bind its role (config/admission). "+
			"No DirectoryAccess grants anything while it, or a binding that denies with it, is missing. Empty turns the check off: "+
			"only when another admission controller enforces the same rule.")
	flag.StringVar(&o.accessGrantorRole, "access-grantor-role", "dirsync-access-grantor",
		"Name of the ClusterRole an administrator binds to let dirsync bind roles in a namespace, as messages name it.")
	flag.DurationVar(&o.webhookTimeout, "directorywebhook-attempt-timeout", directorywebhook.DefaultAttemptTimeout, "Timeout of one delivery attempt of a DirectoryWebhook, the receiver's answer included.")
	zo := zap.Options{Development: false}
	zo.BindFlags(flag.CommandLine)
	flag.Parse()
	return o, zo
}

// defaultGCPercent is the garbage collector's GOGC when the environment sets none. Go's default, 100,
// lets the heap grow to twice what is live before it collects; the manager's live heap is mostly its
// cache of users and groups, so that doubles its memory. At 25 the heap grows by a quarter, and the
// collector, which marks only the live heap, runs more often during a sync (the manager is idle between
// syncs); bench/results.md records the manager's memory and CPU at this default. GOGC in the environment
// overrides it; GOMEMLIMIT, which the Deployment sets from the memory limit, still makes the collector
// work harder near the limit.
const defaultGCPercent = 25

// setGCPercent applies defaultGCPercent unless the environment sets GOGC.
func setGCPercent(getenv func(string) string) {
	if getenv("GOGC") == "" {
		debug.SetGCPercent(defaultGCPercent)
	}
}

func main() {
	if len(os.Args) > 1 && os.Args[1] == uninstallCheckCommand {
		os.Exit(runUninstallCheck(os.Args[2:], os.Stdout, os.Stderr))
	}
	setGCPercent(os.Getenv)
	o, zo := parseFlags()
	ctrl.SetLogger(zap.New(zap.UseFlagOptions(&zo)))
	log := ctrl.Log.WithName("setup")
	if err := run(o); err != nil {
		log.Error(err, "Manager failed")
		os.Exit(1)
	}
}

func run(o options) error {
	scheme := runtime.NewScheme()
	utilruntime.Must(clientgoscheme.AddToScheme(scheme))
	utilruntime.Must(dirsyncv1alpha1.AddToScheme(scheme))

	cfg, err := ctrl.GetConfig()
	if err != nil {
		return fmt.Errorf("loading kubeconfig: %w", err)
	}
	cfg.QPS, cfg.Burst = float32(o.qps), o.burst

	hosts, err := checkFlags(o)
	if err != nil {
		return err
	}
	mgr, err := ctrl.NewManager(cfg, managerOptions(o, scheme))
	if err != nil {
		return fmt.Errorf("creating manager: %w", err)
	}
	r := &directory.Reconciler{
		Client:                 mgr.GetClient(),
		APIReader:              mgr.GetAPIReader(),
		Scheme:                 mgr.GetScheme(),
		Providers:              registry.Default(),
		Clock:                  clock.RealClock{},
		Recorder:               mgr.GetEventRecorder("dirsync"),
		AllowInsecureEndpoints: o.allowInsecureEndpoints,
		AllowedEndpointHosts:   hosts,
		MaxUsersPerDirectory:   o.maxUsersPerDirectory,
		ProviderTimeout:        o.providerTimeout,
		MaxConcurrentSyncs:     o.maxConcurrentSyncs,
		WriteWorkers:           o.writeWorkers,
		ReceiverDisabled:       !receiverOn(o),
	}
	if err := r.SetupWithManager(mgr); err != nil {
		return fmt.Errorf("setting up the Directory controller: %w", err)
	}
	if receiverOn(o) {
		rcv := &receiver.Receiver{Addr: o.receiverAddr, Client: mgr.GetClient(), Recorder: mgr.GetEventRecorder("dirsync")}
		if err := rcv.SetupWithManager(mgr); err != nil {
			return fmt.Errorf("setting up the webhook receiver: %w", err)
		}
	}
	if err := (&directoryaccess.Reconciler{Client: mgr.GetClient(), APIReader: mgr.GetAPIReader(), Clock: clock.RealClock{},
		Recorder: mgr.GetEventRecorder("dirsync"), WatchNamespaces: watchNamespaces(o),
		AdmissionPolicy: o.accessAdmissionPolicy, GrantorRole: o.accessGrantorRole}).SetupWithManager(mgr); err != nil {
		return fmt.Errorf("setting up the DirectoryAccess controller: %w", err)
	}
	if err := (&directorywebhook.Reconciler{Client: mgr.GetClient(), APIReader: mgr.GetAPIReader(), Clock: clock.RealClock{},
		Recorder: mgr.GetEventRecorder("dirsync"), AllowInsecureEndpoints: o.allowInsecureEndpoints, AttemptTimeout: o.webhookTimeout}).SetupWithManager(mgr); err != nil {
		return fmt.Errorf("setting up the DirectoryWebhook controller: %w", err)
	}
	if err := mgr.AddHealthzCheck("healthz", healthz.Ping); err != nil {
		return err
	}
	if err := mgr.AddReadyzCheck("readyz", healthz.Ping); err != nil {
		return err
	}
	ctrl.Log.WithName("setup").Info("Starting manager", "watchNamespaces", o.watchNamespaces,
		"kubeAPIQPS", o.qps, "kubeAPIBurst", o.burst, "maxConcurrentSyncs", o.maxConcurrentSyncs,
		"allowInsecureEndpoints", o.allowInsecureEndpoints, "allowedEndpointHosts", hosts, "maxUsersPerDirectory", o.maxUsersPerDirectory,
		"receiverBindAddress", o.receiverAddr)
	return mgr.Start(ctrl.SetupSignalHandler())
}

// managerOptions builds the manager: secure metrics, leader election, and a cache that holds only what
// the controller needs — no managedFields, Secrets as metadata only (their data is read by name through
// the API reader; the controller never reads a typed Secret through the cached client).
func managerOptions(o options, scheme *runtime.Scheme) ctrl.Options {
	var tlsOpts []func(*tls.Config)
	if !o.enableH2 {
		tlsOpts = append(tlsOpts, func(c *tls.Config) { c.NextProtos = []string{"http/1.1"} })
	}
	metricsOpts := metricsserver.Options{BindAddress: o.metricsAddr, SecureServing: o.secureMetrics, TLSOpts: tlsOpts, CertDir: o.metricsCertPath}
	if o.secureMetrics {
		metricsOpts.FilterProvider = filters.WithAuthenticationAndAuthorization
	}
	namespaces := watchNamespaces(o)
	return ctrl.Options{
		Scheme:                        scheme,
		Metrics:                       metricsOpts,
		HealthProbeBindAddress:        o.probeAddr,
		PprofBindAddress:              o.pprofAddr,
		LeaderElection:                o.leaderElect,
		LeaderElectionID:              "dirsync.io",
		LeaderElectionNamespace:       o.leaderElectionNamespace,
		LeaderElectionReleaseOnCancel: true,
		Cache:                         controllers.CacheOptions(namespaces),
		Client:                        controllers.ClientOptions(),
	}
}

// receiverOn reports whether --receiver-bind-address asks for a webhook receiver ("0" or "" turn it off).
func receiverOn(o options) bool {
	return o.receiverAddr != "" && o.receiverAddr != "0"
}

// watchNamespaces parses --watch-namespace; empty means all namespaces.
func watchNamespaces(o options) []string {
	var namespaces []string
	for _, ns := range strings.Split(o.watchNamespaces, ",") {
		if ns = strings.TrimSpace(ns); ns != "" {
			namespaces = append(namespaces, ns)
		}
	}
	return namespaces
}

// checkFlags refuses flags the manager cannot run with, before it starts anything, and returns the
// parsed --allowed-endpoint-hosts.
func checkFlags(o options) ([]provider.AllowedHost, error) {
	if err := checkMetricsCert(o.metricsCertPath); err != nil {
		return nil, err
	}
	if o.maxUsersPerDirectory < 1 {
		return nil, fmt.Errorf("--max-users-per-directory=%d: it must be at least 1", o.maxUsersPerDirectory)
	}
	return provider.ParseAllowedHosts(o.allowedEndpointHosts)
}

// checkMetricsCert fails when --metrics-cert-path names a directory without tls.crt and tls.key:
// controller-runtime would otherwise fall back to a self-signed certificate without a word, and every
// scraper that verifies the certificate would fail.
func checkMetricsCert(dir string) error {
	if dir == "" {
		return nil
	}
	for _, name := range []string{"tls.crt", "tls.key"} {
		if _, err := os.Stat(filepath.Join(dir, name)); err != nil {
			return fmt.Errorf("--metrics-cert-path %s: %w (it must hold tls.crt and tls.key, as a kubernetes.io/tls Secret mounted there does)", dir, err)
		}
	}
	return nil
}
