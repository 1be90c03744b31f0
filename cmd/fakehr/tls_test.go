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

package main

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"log"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dirsync/dirsync/test/utils"
)

// With a certificate, both fakes serve HTTPS: a client that trusts its CA gets the data from an
// https:// URL, and one that does not is refused by the TLS handshake.
func TestServesHTTPSWithTheGivenCertificate(t *testing.T) {
	dir := t.TempDir()
	ca := utils.WriteServingCert(t, dir, "127.0.0.1")
	o, err := parseFlags([]string{"--breathe-addr=127.0.0.1:0", "--peoplehr-addr=127.0.0.1:0", "--employees=3",
		"--tls-cert-file=" + filepath.Join(dir, "tls.crt"), "--tls-private-key-file=" + filepath.Join(dir, "tls.key")}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	a, err := start(o, log.New(io.Discard, "", 0))
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	done := make(chan error, 1)
	go func() { done <- a.serve(ctx) }()
	t.Cleanup(func() {
		if err := <-done; err != nil {
			t.Errorf("serve: %v", err)
		}
	})

	pool := x509.NewCertPool()
	pool.AddCert(ca)
	trusting := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}}, Timeout: 10 * time.Second}
	for _, f := range a.fakes {
		if !strings.HasPrefix(f.url, "https://127.0.0.1:") {
			t.Errorf("%s URL = %s, want https://127.0.0.1:…", f.name, f.url)
		}
	}
	req, _ := http.NewRequest(http.MethodGet, a.fakes[0].url+"/employees", nil)
	req.Header.Set("X-API-KEY", "breathe-demo-key")
	resp, err := trusting.Do(req)
	if err != nil {
		t.Fatalf("a client trusting the CA: %v", err)
	}
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("Breathe employees over HTTPS = %d", resp.StatusCode)
	}

	_, err = (&http.Client{Timeout: 10 * time.Second}).Get(a.fakes[1].url + "/admin/stats")
	if ua := new(x509.UnknownAuthorityError); !errors.As(err, ua) {
		t.Errorf("a client that does not trust the CA: err = %v, want an unknown authority", err)
	}
}

func TestTLSFlagsGoTogether(t *testing.T) {
	for _, args := range [][]string{{"--tls-cert-file=c"}, {"--tls-private-key-file=k"}} {
		if _, err := parseFlags(args, io.Discard); err == nil || !strings.Contains(err.Error(), "go together") {
			t.Errorf("%v: err = %v, want both flags asked for", args, err)
		}
	}
}
