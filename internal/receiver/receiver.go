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

// Package receiver is the manager's webhook receiver (issue 23): an HR system, or any automation, POSTs
// to a Directory's status.webhook.path to ask for a sync now instead of at the next scheduled one.
//
// A request is a hint, never data. The receiver checks the path (the credential), the method, its
// request rates and the Directory's suspend, reads at most maxBody of the body, takes from it only Access
// People HR's ActionId and EmployeeId (hint.go), and, when the action can change the directory or cannot
// be read, asks for a sync by setting the annotation dirsync.io/sync-requested-at to "webhook/<time>"
// (request.go). The Directory controller, on the leader, answers that as a coalesced hint: no sooner than
// 15 s after the Directory's last sync started, and every hint that arrives meanwhile or while a sync runs
// folds into one follow-up (controllers/directory/hints.go). So the receiver runs on every replica, leader
// or not, and needs only the manager's cache and client: whichever replica a Service sends the POST to
// writes the annotation, and the leader's controller sees it through its watch.
//
// The body is never logged, stored or echoed, and neither is the path: it appears only in
// status.webhook.path (the token itself only in its Secret). token.go derives paths from tokens.
package receiver

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/go-logr/logr"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/clock"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/recorder"

	dirsyncv1alpha1 "github.com/dirsync/dirsync/api/v1alpha1"
	"github.com/dirsync/dirsync/internal/receiver/token"
)

// pathIndex indexes the cached Directories whose webhook is on by the hex SHA-256 of their path's secret
// part (pathKey).
const pathIndex = "receiverPathKey"

// Limits are the receiver's bounds. The zero value of a field means its default (DefaultLimits).
type Limits struct {
	// GlobalPerSecond and GlobalBurst bound every request the receiver serves, of any Directory or none
	// (429 beyond): a flood, or someone guessing paths, costs the manager little.
	GlobalPerSecond, GlobalBurst float64
	// DirectoryPerSecond and DirectoryBurst bound one Directory's requests (429 beyond), so that one noisy
	// sender cannot use up the global budget of the others.
	DirectoryPerSecond, DirectoryBurst float64
	// WriteEvery is how often, at most, the receiver writes one Directory's sync request: the first
	// accepted request writes at once, later ones within WriteEvery fold into one write at its end.
	WriteEvery time.Duration
	// StatusEvery is how often, at most, status.webhook.lastReceivedTime is written.
	StatusEvery time.Duration
	// EventsPerMinute and EventBurst bound the Events of one Directory's accepted requests; requests
	// beyond are still counted in the metrics and still ask for their sync.
	EventsPerMinute, EventBurst float64
	// MaxBody is the most of a body the receiver reads (413 beyond).
	MaxBody int64
}

// DefaultLimits are the receiver's bounds unless set otherwise: 200 requests a second (bursts of 400) in
// all, 100 a second (bursts of 200) per Directory, a sync request written at most every 2 s and
// lastReceivedTime every 10 s per Directory, 10 Events a minute per Directory, bodies up to 16 KiB.
// People HR sends one small packet per HR action; 1,000 hints in 10 s for one Directory all pass.
var DefaultLimits = Limits{
	GlobalPerSecond: 200, GlobalBurst: 400,
	DirectoryPerSecond: 100, DirectoryBurst: 200,
	WriteEvery: 2 * time.Second, StatusEvery: 10 * time.Second,
	EventsPerMinute: 10, EventBurst: 10,
	MaxBody: 16 << 10,
}

// withDefaults fills the zero fields of l from DefaultLimits.
func (l Limits) withDefaults() Limits {
	d := DefaultLimits
	fill := func(v *float64, def float64) {
		if *v <= 0 {
			*v = def
		}
	}
	fill(&l.GlobalPerSecond, d.GlobalPerSecond)
	fill(&l.GlobalBurst, d.GlobalBurst)
	fill(&l.DirectoryPerSecond, d.DirectoryPerSecond)
	fill(&l.DirectoryBurst, d.DirectoryBurst)
	fill(&l.EventsPerMinute, d.EventsPerMinute)
	fill(&l.EventBurst, d.EventBurst)
	if l.WriteEvery <= 0 {
		l.WriteEvery = d.WriteEvery
	}
	if l.StatusEvery <= 0 {
		l.StatusEvery = d.StatusEvery
	}
	if l.MaxBody <= 0 {
		l.MaxBody = d.MaxBody
	}
	return l
}

// Server timeouts: a sender has 5 s to send its headers and 10 s for the whole request; an idle
// keep-alive connection is closed after a minute.
const (
	readHeaderTimeout = 5 * time.Second
	readTimeout       = 10 * time.Second
	writeTimeout      = 10 * time.Second
	idleTimeout       = time.Minute
	maxHeaderBytes    = 8 << 10
	shutdownTimeout   = 5 * time.Second
)

// The receiver patches a Directory's dirsync.io/sync-requested-at annotation and its
// status.webhook.lastReceivedTime, and emits Events.
// +kubebuilder:rbac:groups=dirsync.io,resources=directories,verbs=patch
// +kubebuilder:rbac:groups=dirsync.io,resources=directories/status,verbs=patch
// +kubebuilder:rbac:groups=events.k8s.io,resources=events,verbs=create;patch

// Receiver is the webhook receiver: a manager Runnable with its own listener, run on every replica.
type Receiver struct {
	// Addr is the address to listen on (--receiver-bind-address), e.g. ":8090" or "127.0.0.1:0".
	Addr string
	// Client is the manager's client: Directories are read from its cache, and sync requests and
	// lastReceivedTime written through it.
	Client client.Client
	// Recorder emits an Event per accepted request (within Limits.EventsPerMinute).
	Recorder recorder.EventRecorder
	// Clock is the time of the rate limits, the throttles and the times written; nil means the real clock.
	Clock clock.PassiveClock
	// Limits bound the receiver; zero fields take DefaultLimits.
	Limits Limits

	limits   Limits
	listener net.Listener
	log      logr.Logger

	mu     sync.Mutex
	global bucket
	dirs   map[types.UID]*dirState
	// ctx is Start's: trailing writes run in it. stopped is set once it ends: no more are scheduled.
	ctx     context.Context
	stopped bool
	pending sync.WaitGroup // trailing writes scheduled or running
}

// SetupWithManager indexes the cached Directories by path, opens the listener (so that a taken port fails
// the manager at once) and adds the receiver to the manager, to serve once the cache has synced.
func (r *Receiver) SetupWithManager(mgr ctrl.Manager) error {
	if err := mgr.GetFieldIndexer().IndexField(context.Background(), &dirsyncv1alpha1.Directory{}, pathIndex,
		func(o client.Object) []string {
			if key, ok := indexKey(o.(*dirsyncv1alpha1.Directory)); ok {
				return []string{hex.EncodeToString(key[:])}
			}
			return nil
		}); err != nil {
		return err
	}
	l, err := net.Listen("tcp", r.Addr)
	if err != nil {
		return fmt.Errorf("webhook receiver: %w", err)
	}
	r.listener = l
	r.limits = r.Limits.withDefaults()
	r.dirs = map[types.UID]*dirState{}
	if r.Clock == nil {
		r.Clock = clock.RealClock{}
	}
	r.log = mgr.GetLogger().WithName("receiver")
	return mgr.Add(r)
}

// ListenAddr is the address the receiver listens on, with the port it was given (after SetupWithManager).
func (r *Receiver) ListenAddr() string {
	return r.listener.Addr().String()
}

// NeedLeaderElection is false: every replica serves, since any of them may receive a request; the
// annotation it writes reaches the leader's controller.
func (r *Receiver) NeedLeaderElection() bool { return false }

// Start serves until ctx ends, then shuts the server down gracefully and waits for trailing writes.
func (r *Receiver) Start(ctx context.Context) error {
	r.mu.Lock()
	r.ctx = ctx
	r.mu.Unlock()
	srv := &http.Server{
		Handler:           r,
		ReadHeaderTimeout: readHeaderTimeout,
		ReadTimeout:       readTimeout,
		WriteTimeout:      writeTimeout,
		IdleTimeout:       idleTimeout,
		MaxHeaderBytes:    maxHeaderBytes,
		// The server's own complaints (a panic, an accept error) go to the manager's log at debug level.
		// They never carry the request's path.
		ErrorLog:    log.New(logWriter{r.log}, "", 0),
		BaseContext: func(net.Listener) context.Context { return ctx },
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(r.listener) }()
	go r.forgetIdle(ctx)
	r.log.Info("Serving the webhook receiver", "addr", r.ListenAddr())
	select {
	case err := <-served:
		return fmt.Errorf("webhook receiver: %w", err)
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
	defer cancel()
	err := srv.Shutdown(shutdownCtx)
	r.stopTrailing()
	r.pending.Wait()
	if err != nil && !errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	return nil
}

type logWriter struct{ log logr.Logger }

func (w logWriter) Write(p []byte) (int, error) {
	w.log.V(1).Info("HTTP server", "message", strings.TrimSpace(string(p)))
	return len(p), nil
}

// ServeHTTP answers one request and counts its result. Answers are fixed texts: nothing of the request
// is echoed.
func (r *Receiver) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	result, code := r.handle(w, req)
	requestsTotal.WithLabelValues(result).Inc()
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	_, _ = io.WriteString(w, http.StatusText(code)+"\n")
}

// handle decides a request: the receiver's rate, the method, the path, the Directory's rate and
// suspend, the body's size and action, then the sync request. It returns the metric's result and the
// HTTP status.
func (r *Receiver) handle(w http.ResponseWriter, req *http.Request) (string, int) {
	now := r.Clock.Now()
	if !r.takeGlobal(now) {
		w.Header().Set("Retry-After", "1")
		return resultRateLimited, http.StatusTooManyRequests
	}
	if req.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		return resultBadMethod, http.StatusMethodNotAllowed
	}
	dir := r.lookup(req)
	if dir == nil {
		return resultUnknownToken, http.StatusNotFound
	}
	if !r.takeDirectory(dir, now) {
		w.Header().Set("Retry-After", "1")
		return resultRateLimited, http.StatusTooManyRequests
	}
	if dir.IsSuspended() {
		return resultSuspended, http.StatusAccepted
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, req.Body, r.limits.MaxBody))
	if tooLarge := (*http.MaxBytesError)(nil); errors.As(err, &tooLarge) {
		return resultTooLarge, http.StatusRequestEntityTooLarge
	} else if err != nil {
		return resultBadRequest, http.StatusBadRequest
	}
	h := parseHint(body)
	actionsTotal.WithLabelValues(actionLabel(h)).Inc()
	if !asksForSync(dir.Spec.Provider, h) {
		return resultIgnored, http.StatusAccepted
	}
	if err := r.requestSync(req.Context(), dir, h, now); err != nil {
		r.log.Error(err, "Requesting a sync failed", "directory", client.ObjectKeyFromObject(dir))
		return resultError, http.StatusServiceUnavailable
	}
	return resultAccepted, http.StatusAccepted
}

// indexKey is a Directory's index key: the pathKey of its path's secret part, while its webhook is on
// and has a path.
func indexKey(d *dirsyncv1alpha1.Directory) ([sha256.Size]byte, bool) {
	if !d.WebhookEnabled() || d.Status.Webhook == nil {
		return [sha256.Size]byte{}, false
	}
	segment, ok := strings.CutPrefix(d.Status.Webhook.Path, token.PathPrefix)
	if !ok || segment == "" {
		return [sha256.Size]byte{}, false
	}
	return token.Key(segment), true
}

// lookup finds the Directory whose path the request presents, or nil. The presented path is hashed and
// looked up by its hash, and the hashes are compared in constant time: the time taken depends on whether
// the path is known, never on how much of it is right.
func (r *Receiver) lookup(req *http.Request) *dirsyncv1alpha1.Directory {
	segment, _ := strings.CutPrefix(req.URL.Path, token.PathPrefix)
	key := token.Key(segment)
	var list dirsyncv1alpha1.DirectoryList
	if err := r.Client.List(req.Context(), &list, client.MatchingFields{pathIndex: hex.EncodeToString(key[:])},
		client.UnsafeDisableDeepCopy); err != nil {
		r.log.Error(err, "Listing Directories from the cache failed")
		return nil
	}
	var found *dirsyncv1alpha1.Directory
	for i := range list.Items {
		stored, ok := indexKey(&list.Items[i])
		if ok && subtle.ConstantTimeCompare(key[:], stored[:]) == 1 {
			found = &list.Items[i]
		}
	}
	if found == nil {
		return nil
	}
	return found.DeepCopy() // the cache's object is shared
}
