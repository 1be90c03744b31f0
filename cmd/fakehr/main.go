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
// requests). It has no authentication: keep the default loopback addresses.
//
//	fakehr [--breathe-addr 127.0.0.1:8091] [--peoplehr-addr 127.0.0.1:8092] [--employees 200]
//	       [--departments 12] [--seed 1] [--breathe-api-key K] [--peoplehr-api-key K]
//
// Breathe HR's base URL is then http://127.0.0.1:8091/v1 and Access People HR's
// http://127.0.0.1:8092. Port 0 picks a free port; the log says which. SIGINT or SIGTERM shuts
// both down gracefully.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
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
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	switch {
	case fs.NArg() > 0:
		return o, fmt.Errorf("unexpected arguments %q", fs.Args())
	case o.employees < 1 || o.employees > fakehr.MaxGeneratedEmployees:
		return o, fmt.Errorf("--employees must be 1-%d", fakehr.MaxGeneratedEmployees)
	case o.departments < 1 || o.departments > fakehr.MaxGeneratedDepartments:
		return o, fmt.Errorf("--departments must be 1-%d", fakehr.MaxGeneratedDepartments)
	case o.breatheKey == "" || o.peoplehrKey == "":
		return o, errors.New("API keys must not be empty")
	}
	return o, nil
}

// fake is one provider's fake on its listener.
type fake struct {
	name     string
	listener net.Listener
	server   *http.Server
	url      string
}

// app is both fakes, listening but not yet serving.
type app struct {
	fakes  []*fake
	logger *log.Logger
}

// start builds both fakes and opens their listeners.
func start(o options, logger *log.Logger) (*app, error) {
	generate := func(ids fakehr.IDStyle) fakehr.Company {
		return fakehr.Generate(fakehr.GenerateOptions{Seed: o.seed, Employees: o.employees, Departments: o.departments, IDs: ids})
	}
	breathe := breathefake.New(generate(fakehr.NumericIDs), o.breatheKey)
	people := peoplefake.New(generate(fakehr.PrefixedIDs), o.peoplehrKey)
	specs := []struct {
		name, addr, path string
		s                fakehr.Server
		api              http.Handler
		ids              fakehr.IDStyle
		setURL           func(string)
	}{
		{"Breathe HR", o.breatheAddr, "/v1", breathe, breathe.Handler(), fakehr.NumericIDs, breathe.SetURL},
		{"Access People HR", o.peoplehrAddr, "", people, people.Handler(), fakehr.PrefixedIDs, people.SetURL},
	}
	a := &app{logger: logger}
	for _, sp := range specs {
		l, err := net.Listen("tcp", sp.addr)
		if err != nil {
			a.close()
			return nil, fmt.Errorf("%s: %w", sp.name, err)
		}
		root := "http://" + l.Addr().String()
		sp.setURL(root + sp.path)
		mux := http.NewServeMux()
		mux.Handle("/admin/", fakehr.AdminHandler(sp.s, sp.ids))
		mux.Handle("/", sp.api)
		a.fakes = append(a.fakes, &fake{
			name:     sp.name,
			listener: l,
			// No WriteTimeout: the SlowBody fault stalls a response on purpose.
			server: &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second},
			url:    sp.s.URL(),
		})
		// test/e2e reads the URLs back from this line (it starts fakehr on port 0): keep its shape.
		logger.Printf("%s API at %s (admin API at %s/admin/), %d employees in %d departments",
			sp.name, sp.s.URL(), root, o.employees, o.departments)
	}
	return a, nil
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
