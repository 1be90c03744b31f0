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

// Command fakehr serves the fake Breathe HR and Access People HR APIs of
// internal/provider/{breathehr,accesspeoplehr}/fake, each on its own listener, for `make demo`,
// the e2e tests and the benchmarks. Each listener also serves the admin API of
// fakehr.AdminHandler at /admin/ (change the company, inject faults, rotate the key, count
// requests, mark a leaver, and post People HR's webhook packets to a listener URL, such as the
// manager's webhook receiver). It has no authentication: keep the default loopback addresses.
//
//	fakehr [--breathe-addr 127.0.0.1:8091] [--peoplehr-addr 127.0.0.1:8092] [--employees 200]
//	       [--departments 12] [--seed 1] [--breathe-api-key K] [--peoplehr-api-key K]
//	       [--companies N [--hanging-companies M]] [--tls-cert-file F --tls-private-key-file K]
//
// Breathe HR's base URL is then http://127.0.0.1:8091/v1 and Access People HR's
// http://127.0.0.1:8092. Port 0 picks a free port; the log says which. SIGINT or SIGTERM shuts
// both down gracefully.
//
// With --tls-cert-file and --tls-private-key-file (PEM), both listeners serve HTTPS with that
// certificate, and the URLs start with https://: the manager then needs no --allow-insecure-endpoints,
// only to trust the certificate's CA (SSL_CERT_FILE or SSL_CERT_DIR), as hack/image-test.sh does.
//
// One company (the default) accepts the key of --breathe-api-key / --peoplehr-api-key.
//
// Many companies (--companies N, for benchmarks with many Directories): each listener serves N
// companies, one per API key, the keys being key-000 … key-<N-1> (zero-padded to at least three
// digits: key-0000 … with N > 1000). Company i is generated with seed --seed + i and
// --employees / --departments, on the first request that uses its key. A key outside the fleet
// gets the provider's answer to a bad key. With --hanging-companies M, the last M keys hang:
// every request with one of them gets nothing, not even headers, until the client gives up (a
// provider that hangs until the request timeout), e.g. --companies 200 --hanging-companies 10
// makes key-190 … key-199 hang. The admin API then takes ?key=K to pick a company
// (fakehr.FleetAdminHandler): GET /admin/stats without it sums the fleet, POST and DELETE
// /admin/fault without it apply to every company, and PUT /admin/apikey is refused.
package main

import (
	"context"
	"crypto/tls"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"syscall"
	"time"

	peoplefake "github.com/dirsync/dirsync/internal/provider/accesspeoplehr/fake"
	breathefake "github.com/dirsync/dirsync/internal/provider/breathehr/fake"
	"github.com/dirsync/dirsync/internal/provider/fakehr"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	logger := log.New(os.Stderr, "fakehr: ", log.LstdFlags)
	o, err := parseFlags(os.Args[1:], os.Stderr)
	if errors.Is(err, flag.ErrHelp) {
		return
	}
	if err != nil {
		logger.Fatal(err)
	}
	a, err := start(o, logger)
	if err != nil {
		logger.Fatal(err)
	}
	if err := a.serve(ctx); err != nil {
		logger.Fatal(err)
	}
}

// options are the command-line flags.
type options struct {
	breatheAddr, peoplehrAddr string
	employees, departments    int
	seed                      int64
	breatheKey, peoplehrKey   string
	companies, hanging        int
	tlsCert, tlsKey           string
}

// maxCompanies bounds --companies: a fleet's companies are generated lazily, but each costs memory once used.
const maxCompanies = 100000

// FleetKey is the API key of company i of n in a fleet: key-000, key-001, … (at least three digits).
func FleetKey(i, n int) string {
	width := max(3, len(strconv.Itoa(n-1)))
	return fmt.Sprintf("key-%0*d", width, i)
}

func parseFlags(args []string, out io.Writer) (options, error) {
	var o options
	fs := flag.NewFlagSet("fakehr", flag.ContinueOnError)
	fs.SetOutput(out)
	fs.StringVar(&o.breatheAddr, "breathe-addr", "127.0.0.1:8091", "listen address of the fake Breathe HR API (base URL http://ADDR/v1)")
	fs.StringVar(&o.peoplehrAddr, "peoplehr-addr", "127.0.0.1:8092", "listen address of the fake Access People HR API (base URL http://ADDR)")
	fs.IntVar(&o.employees, "employees", 200, "employees in each generated company")
	fs.IntVar(&o.departments, "departments", 12, "departments in each generated company")
	fs.Int64Var(&o.seed, "seed", 1, "seed of the generated companies (the same seed gives the same people)")
	fs.StringVar(&o.breatheKey, "breathe-api-key", breathefake.DefaultAPIKey, "API key the fake Breathe HR accepts")
	fs.StringVar(&o.peoplehrKey, "peoplehr-api-key", peoplefake.DefaultAPIKey, "API key the fake Access People HR accepts")
	fs.IntVar(&o.companies, "companies", 0, "serve this many companies from each listener, one per API key key-000, key-001, … (0: one company)")
	fs.IntVar(&o.hanging, "hanging-companies", 0, "with --companies, the last this many keys hang every request until the client gives up")
	fs.StringVar(&o.tlsCert, "tls-cert-file", "", "serve HTTPS with this PEM certificate (with --tls-private-key-file)")
	fs.StringVar(&o.tlsKey, "tls-private-key-file", "", "the PEM private key of --tls-cert-file")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	keysSet := false
	fs.Visit(func(f *flag.Flag) { keysSet = keysSet || f.Name == "breathe-api-key" || f.Name == "peoplehr-api-key" })
	if err := validateFleet(o, keysSet); err != nil {
		return o, err
	}
	switch {
	case o.employees < 1 || o.employees > fakehr.MaxGeneratedEmployees:
		return o, fmt.Errorf("--employees must be 1-%d", fakehr.MaxGeneratedEmployees)
	case o.departments < 1 || o.departments > fakehr.MaxGeneratedDepartments:
		return o, fmt.Errorf("--departments must be 1-%d", fakehr.MaxGeneratedDepartments)
	case o.breatheKey == "" || o.peoplehrKey == "":
		return o, errors.New("API keys must not be empty")
	case (o.tlsCert == "") != (o.tlsKey == ""):
		return o, errors.New("--tls-cert-file and --tls-private-key-file go together")
	}
	return o, nil
}

// validateFleet checks --companies and --hanging-companies; keysSet says a key flag was given.
func validateFleet(o options, keysSet bool) error {
	switch {
	case o.companies < 0 || o.companies > maxCompanies:
		return fmt.Errorf("--companies must be 0-%d", maxCompanies)
	case o.hanging < 0 || o.hanging > o.companies:
		return errors.New("--hanging-companies must be 0 to --companies")
	case o.companies > 0 && keysSet:
		return errors.New("--companies gives every company its own key (key-000, …): drop --breathe-api-key and --peoplehr-api-key")
	}
	return nil
}

// fake is one provider's fake on its listener.
type fake struct {
	name     string
	listener net.Listener
	server   *http.Server
	url      string
	quit     func() // ends hanging requests
}

// app is both fakes, listening but not yet serving.
type app struct {
	fakes  []*fake
	logger *log.Logger
}

// provider is what start needs to know about one provider's fake.
type provider struct {
	name, addr, path string
	ids              fakehr.IDStyle
	key              string
	new              func(c fakehr.Company, apiKey string) fakehr.HandlerServer
	keyOf            func(r *http.Request) string
}

// start builds both fakes and opens their listeners.
func start(o options, logger *log.Logger) (*app, error) {
	var tlsConfig *tls.Config
	if o.tlsCert != "" {
		cert, err := tls.LoadX509KeyPair(o.tlsCert, o.tlsKey)
		if err != nil {
			return nil, fmt.Errorf("loading the TLS certificate: %w", err)
		}
		tlsConfig = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	}
	providers := []provider{
		{name: "Breathe HR", addr: o.breatheAddr, path: "/v1", ids: fakehr.NumericIDs, key: o.breatheKey,
			new:   func(c fakehr.Company, k string) fakehr.HandlerServer { return breathefake.New(c, k) },
			keyOf: breathefake.RequestKey},
		{name: "Access People HR", addr: o.peoplehrAddr, ids: fakehr.PrefixedIDs, key: o.peoplehrKey,
			new:   func(c fakehr.Company, k string) fakehr.HandlerServer { return peoplefake.New(c, k) },
			keyOf: peoplefake.RequestKey},
	}
	a := &app{logger: logger}
	for _, p := range providers {
		f, err := startOne(o, p, tlsConfig, logger)
		if err != nil {
			a.close()
			return nil, err
		}
		a.fakes = append(a.fakes, f)
	}
	return a, nil
}

// startOne opens p's listener (TLS with tlsConfig, if not nil) and builds its fake: one company, or
// a fleet with --companies.
func startOne(o options, p provider, tlsConfig *tls.Config, logger *log.Logger) (*fake, error) {
	generate := func(i int) fakehr.Company {
		return fakehr.Generate(fakehr.GenerateOptions{Seed: o.seed + int64(i), Employees: o.employees, Departments: o.departments, IDs: p.ids})
	}
	l, err := net.Listen("tcp", p.addr)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", p.name, err)
	}
	root := "http://" + l.Addr().String()
	if tlsConfig != nil {
		l, root = tls.NewListener(l, tlsConfig), "https://"+l.Addr().String()
	}
	mux := http.NewServeMux()
	var baseURL, size string
	var quit func()
	if o.companies == 0 {
		s := p.new(generate(0), p.key)
		s.SetURL(root + p.path)
		mux.Handle("/admin/", fakehr.AdminHandler(s, p.ids))
		mux.Handle("/", s.Handler())
		baseURL, quit = s.URL(), s.Quit
		size = fmt.Sprintf("%d employees in %d departments", o.employees, o.departments)
	} else {
		keys := make([]string, o.companies)
		hanging := map[string]bool{}
		for i := range keys {
			keys[i] = FleetKey(i, o.companies)
			if i >= o.companies-o.hanging {
				hanging[keys[i]] = true
			}
		}
		fl, err := fakehr.NewFleet(fakehr.FleetOptions{Keys: keys, Company: generate, New: p.new, KeyOf: p.keyOf, Hanging: hanging})
		if err != nil {
			_ = l.Close()
			return nil, fmt.Errorf("%s: %w", p.name, err)
		}
		fl.SetURL(root + p.path)
		mux.Handle("/admin/", fakehr.FleetAdminHandler(fl, p.ids))
		mux.Handle("/", fl.Handler())
		baseURL, quit = fl.URL(), fl.Quit
		size = fmt.Sprintf("%d employees in %d departments in each of %d companies (keys %s … %s, %d hanging)",
			o.employees, o.departments, o.companies, keys[0], keys[len(keys)-1], o.hanging)
	}
	// test/e2e reads the URLs back from this line (it starts fakehr on port 0): keep its shape.
	logger.Printf("%s API at %s (admin API at %s/admin/), %s", p.name, baseURL, root, size)
	return &fake{
		name:     p.name,
		listener: l,
		// No WriteTimeout: the SlowBody fault stalls a response on purpose.
		server: &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second},
		url:    baseURL,
		quit:   quit,
	}, nil
}

// serve serves until ctx is done or a listener fails, then shuts both down gracefully.
func (a *app) serve(ctx context.Context) error {
	errs := make(chan error, len(a.fakes))
	for _, f := range a.fakes {
		go func() {
			if err := f.server.Serve(f.listener); !errors.Is(err, http.ErrServerClosed) {
				errs <- fmt.Errorf("%s: %w", f.name, err)
			}
		}()
	}
	var err error
	select {
	case <-ctx.Done():
		a.logger.Print("Shutting down")
	case err = <-errs:
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	for _, f := range a.fakes {
		f.quit() // hanging requests end, or Shutdown would wait for them
	}
	for _, f := range a.fakes {
		if e := f.server.Shutdown(shutdownCtx); e != nil {
			_ = f.server.Close()
		}
	}
	return err
}

// close closes the listeners of a that never served.
func (a *app) close() {
	for _, f := range a.fakes {
		_ = f.listener.Close()
	}
}
