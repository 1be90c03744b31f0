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
	"context"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"sync"
	"time"
)

// providerProxy sits between the manager and the fake Breathe HR and records when each request
// arrived and when its response had been written, so that the provider's share of a sync is
// measured inside that very sync. It keeps the incoming Host, so the fake's next-page links point
// back at the proxy.
type providerProxy struct {
	mu    sync.Mutex
	spans [][2]time.Time
	srv   *http.Server
	url   string
}

func startProxy(target string) (*providerProxy, error) {
	t, err := url.Parse(target)
	if err != nil {
		return nil, err
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	rp := &httputil.ReverseProxy{Rewrite: func(pr *httputil.ProxyRequest) {
		pr.SetURL(t)
		pr.Out.Host = pr.In.Host
	}}
	p := &providerProxy{url: "http://" + l.Addr().String()}
	p.srv = &http.Server{ReadHeaderTimeout: 10 * time.Second, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rp.ServeHTTP(w, r)
		p.mu.Lock()
		p.spans = append(p.spans, [2]time.Time{start, time.Now()})
		p.mu.Unlock()
	})}
	go func() { _ = p.srv.Serve(l) }()
	return p, nil
}

func (p *providerProxy) close() {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	_ = p.srv.Shutdown(ctx)
}

// reset forgets the requests recorded so far.
func (p *providerProxy) reset() {
	p.mu.Lock()
	p.spans = nil
	p.mu.Unlock()
}

// providerTime is what the proxy saw since the last reset: from the first request's arrival to
// the last response's end (the client reads pages one after another, so this is the sync's
// provider phase, page decoding included), and the time spent inside requests.
type providerTime struct {
	Requests  int
	Window    time.Duration
	InRequest time.Duration
}

func (p *providerProxy) since() providerTime {
	p.mu.Lock()
	defer p.mu.Unlock()
	var pt providerTime
	var first, last time.Time
	for _, s := range p.spans {
		if first.IsZero() || s[0].Before(first) {
			first = s[0]
		}
		if s[1].After(last) {
			last = s[1]
		}
		pt.InRequest += s[1].Sub(s[0])
	}
	pt.Requests = len(p.spans)
	if pt.Requests > 0 {
		pt.Window = last.Sub(first)
	}
	return pt
}
