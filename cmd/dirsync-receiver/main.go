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

// Command dirsync-receiver is an example application endpoint for a DirectoryWebhook: it verifies each
// request's signature (WorkOS-Signature or Dirsync-Signature) with the shared secret, prints one line per
// event, marks redeliveries (the same event id) and answers 204. make demo and the docs use it; the
// logic is internal/webhookreceiver, the way an application would write it.
//
//	DIRSYNC_WEBHOOK_SECRET=… dirsync-receiver [--listen 127.0.0.1:8093] [--secret-file F] [--tolerance 3m]
//	                                          [--answer 204] [--body]
//
// Each accepted event prints "<time> <type> <object> [group <group>] <id>[ (duplicate)]"; --body prints
// the JSON body too (it holds names and e-mail addresses: do not use it where output is kept). --answer
// makes it refuse everything with another status, to show a failing receiver. GET /stats answers the
// counts as JSON. SIGINT or SIGTERM stops it.
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
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/dirsync/dirsync/internal/webhookreceiver"
)

// secretEnv names the environment variable holding the signing secret.
const secretEnv = "DIRSYNC_WEBHOOK_SECRET"

type options struct {
	listen, secretFile string
	tolerance          time.Duration
	answer             int
	body               bool
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	logger := log.New(os.Stderr, "dirsync-receiver: ", log.LstdFlags)
	o, err := parseFlags(os.Args[1:], os.Stderr)
	if errors.Is(err, flag.ErrHelp) {
		return
	}
	if err != nil {
		logger.Fatal(err)
	}
	secret, err := readSecret(o, os.Getenv)
	if err != nil {
		logger.Fatal(err)
	}
	if err := run(ctx, o, secret, os.Stdout, logger); err != nil {
		logger.Fatal(err)
	}
}

func parseFlags(args []string, out io.Writer) (options, error) {
	var o options
	fs := flag.NewFlagSet("dirsync-receiver", flag.ContinueOnError)
	fs.SetOutput(out)
	fs.StringVar(&o.listen, "listen", "127.0.0.1:8093", "listen address (the webhook's spec.url is then http://ADDR/…; port 0 picks a free port)")
	fs.StringVar(&o.secretFile, "secret-file", "", "file holding the signing secret (default: the "+secretEnv+" environment variable)")
	fs.DurationVar(&o.tolerance, "tolerance", webhookreceiver.DefaultTolerance, "how far a signature's timestamp may be from now")
	fs.IntVar(&o.answer, "answer", http.StatusNoContent, "HTTP status to answer to verified events (e.g. 503 to show a failing receiver)")
	fs.BoolVar(&o.body, "body", false, "print each event's JSON body (it holds names and e-mail addresses)")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	if o.answer < 100 || o.answer > 599 {
		return o, fmt.Errorf("--answer %d is not an HTTP status", o.answer)
	}
	return o, nil
}

// readSecret reads the signing secret from --secret-file or the environment, without a trailing newline.
func readSecret(o options, getenv func(string) string) ([]byte, error) {
	s := getenv(secretEnv)
	if o.secretFile != "" {
		b, err := os.ReadFile(o.secretFile)
		if err != nil {
			return nil, err
		}
		s = string(b)
	}
	s = strings.TrimRight(s, "\r\n")
	if s == "" {
		return nil, fmt.Errorf("no signing secret: set %s or --secret-file (the same secret as the DirectoryWebhook's Secret)", secretEnv)
	}
	return []byte(s), nil
}

// run serves until ctx ends.
func run(ctx context.Context, o options, secret []byte, out io.Writer, logger *log.Logger) error {
	var mu sync.Mutex
	h := &webhookreceiver.Handler{Secret: secret, Tolerance: o.tolerance,
		Answer: func(webhookreceiver.Event) int { return o.answer },
		OnEvent: func(ev webhookreceiver.Event) {
			mu.Lock()
			defer mu.Unlock()
			fmt.Fprintln(out, eventLine(ev))
			if o.body {
				fmt.Fprintf(out, "  %s\n", ev.Body)
			}
		}}
	ln, err := net.Listen("tcp", o.listen)
	if err != nil {
		return err
	}
	logger.Printf("Listening on http://%s (verifying WorkOS-Signature and Dirsync-Signature)", ln.Addr())
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
	}()
	if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	s := h.Stats()
	logger.Printf("Stopped: %d events accepted (%d duplicates), %d rejected, %d answered with %d", s.Accepted, s.Duplicates, s.Rejected, s.Failed, o.answer)
	return nil
}

// eventLine is one accepted event as printed.
func eventLine(ev webhookreceiver.Event) string {
	line := ev.Received.UTC().Format(time.RFC3339) + " " + ev.Type + " " + ev.Object
	if ev.Group != "" {
		line += " group " + ev.Group
	}
	line += " " + ev.ID
	if ev.Duplicate {
		line += " (duplicate)"
	}
	return line
}
