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
	"context"
	"errors"
	"math/rand/v2"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-logr/logr"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/util/workqueue"

	dirsyncv1alpha1 "github.com/dirsync/dirsync/api/v1alpha1"
	"github.com/dirsync/dirsync/internal/provider"
)

// Pace of a worker.
const (
	// maxInFlight is how many objects' events one webhook sends at the same time (one at a time per object).
	maxInFlight = 4
	// maxOutstanding is how many objects' batches a worker hands out before they are acknowledged: it
	// bounds memory and keeps what waits for a dead receiver planned from fresh state.
	maxOutstanding = 512
	// planGapIdle and planGapBusy are the shortest time between two plans: a burst of the Directory's
	// writes is planned together, and while batches are out a plan (a pass over every person) runs at
	// most four times a second.
	planGapIdle = 20 * time.Millisecond
	planGapBusy = 250 * time.Millisecond
	// flushEvery is how often acknowledgements are written to the record, at least.
	flushEvery = 250 * time.Millisecond
	// defaultSettle is how long the Directory's writes must pause before removals are weighed.
	defaultSettle = time.Second
	// retryRecord is how long a worker waits after the record could not be read or written.
	retryRecord = 2 * time.Second
)

// config is what a worker delivers with, from the webhook's spec, its Secret and its Directory.
type config struct {
	generation       int64
	uid              types.UID
	directory        string
	directoryUID     types.UID
	url              string
	secret           []byte
	secretVersion    string
	format           dirsyncv1alpha1.WebhookFormat
	enabled          map[dirsyncv1alpha1.WebhookEventType]bool
	initial          dirsyncv1alpha1.WebhookInitial
	maxDeletePercent int32
}

// outstanding is a batch handed out: the index of its next event and its consecutive failures.
type outstanding struct {
	b         *batch
	next      int
	failures  int
	lastError string
	queued    bool
	planned   time.Time
}

// worker delivers one webhook's events: a planner goroutine (run) and maxInFlight senders, with their
// own queue, so a slow or dead receiver slows no Directory sync and no other webhook.
type worker struct {
	r      *Reconciler
	key    types.NamespacedName
	store  *recordStore
	hc     *http.Client
	log    logr.Logger
	cfg    atomic.Pointer[config]
	kickc  chan struct{}
	queue  workqueue.TypedDelayingInterface[string]
	cancel context.CancelFunc
	done   chan struct{}
	gone   atomic.Bool
	// deliveredBase is status.deliveredEvents when the worker started.
	deliveredBase int64

	mu       sync.Mutex
	rec      *record
	dirty    map[string]bool
	busy     map[string]*outstanding
	approved map[string]bool
	// lastChange is when the Directory last changed a person or group, and idleAt when its status last
	// said no sync runs: removals settle once the Directory is idle after its last change, or a while
	// after that change.
	lastChange, idleAt time.Time
	rep                report
	hashes             hashCache     // the planner's alone
	state              current       // the planner's alone: the Directory as the last plan saw it
	notified           reportSummary // the planner's alone: what the last notification reported
}

// start runs the worker until stop.
func (w *worker) start(parent context.Context) {
	ctx, cancel := context.WithCancel(parent)
	w.cancel, w.done = cancel, make(chan struct{})
	go w.run(ctx)
}

// stop ends the worker and waits until its record is written, unless the webhook is gone (then its
// records are garbage-collected with it, and writing them again would only leave orphans).
func (w *worker) stop(gone bool) {
	w.gone.Store(gone)
	w.cancel()
	<-w.done
}

// kick asks for a plan soon; changed says the Directory's people or groups changed.
func (w *worker) kick(changed bool) {
	if changed {
		w.mu.Lock()
		w.lastChange = w.r.Clock.Now()
		w.mu.Unlock()
	}
	select {
	case w.kickc <- struct{}{}:
	default:
	}
}

// directoryIdle notes that the Directory wrote its status with no sync running: the changes of its last
// sync are all written, and its removals may be weighed now.
func (w *worker) directoryIdle() {
	w.mu.Lock()
	w.idleAt = w.r.Clock.Now()
	w.mu.Unlock()
	w.kick(false)
}

// run loads the record, then plans, flushes and hands out batches until the context ends.
func (w *worker) run(ctx context.Context) {
	defer close(w.done)
	if !w.load(ctx) {
		return
	}
	var senders sync.WaitGroup
	for range maxInFlight {
		senders.Go(func() { w.send(ctx) })
	}
	defer func() {
		w.queue.ShutDown()
		senders.Wait()
		if w.gone.Load() {
			return
		}
		flushCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer cancel()
		if err := w.flush(flushCtx); err != nil {
			w.log.Error(err, "Writing the webhook's record on stop failed; unacknowledged events will be sent again")
		}
	}()
	plan := time.NewTimer(0)
	flush, notify := time.NewTicker(flushEvery), time.NewTicker(time.Second)
	defer func() { plan.Stop(); flush.Stop(); notify.Stop() }()
	var lastPlan time.Time
	for {
		select {
		case <-ctx.Done():
			return
		case <-w.kickc:
			gap := planGapIdle
			if w.outstanding() > 0 {
				gap = planGapBusy
			}
			plan.Reset(max(time.Until(lastPlan.Add(gap)), 0))
		case <-plan.C:
			lastPlan = time.Now()
			if again := w.plan(ctx); again > 0 {
				plan.Reset(again)
			}
		case <-flush.C:
			w.flushAndHandOut(ctx)
		case <-notify.C:
			w.r.notifyIfChanged(w)
		}
	}
}

// load reads the record (retrying while the API server refuses), starts it for a new webhook
// (spec.initial None records what exists without telling it) and writes its first layout.
func (w *worker) load(ctx context.Context) bool {
	for {
		rec, fresh, err := w.store.load(ctx)
		if err == nil && fresh && w.cfg.Load().initial == dirsyncv1alpha1.WebhookInitialNone {
			var now current
			if now, err = w.current(ctx); err == nil {
				rec.baseline(now)
			}
		}
		if err == nil {
			w.mu.Lock()
			w.rec = rec
			w.mu.Unlock()
			if err = w.flush(ctx); err == nil {
				w.mu.Lock()
				w.rep.loaded, w.rep.recordError = true, ""
				w.rep.users, w.rep.groups = rec.told()
				w.mu.Unlock()
				w.r.notify(w.key)
				return true
			}
		}
		w.recordFailed(err)
		select {
		case <-ctx.Done():
			return false
		case <-time.After(retryRecord):
		}
	}
}

// current reads the people and groups the Directory controls from the manager's cache, into the
// planner's state (reused from one plan to the next).
func (w *worker) current(ctx context.Context) (current, error) {
	cfg := w.cfg.Load()
	users, groups, err := w.r.children(ctx, w.key.Namespace, cfg.directory, cfg.directoryUID)
	if err != nil {
		return current{}, err
	}
	w.state.fill(users, groups, w.hashes.of)
	return w.state, nil
}

// plan derives what is owed, hands out new batches once their intent is written, and returns when to
// plan again without a kick (while removals settle), or 0.
func (w *worker) plan(ctx context.Context) time.Duration {
	now, err := w.current(ctx)
	if err != nil {
		w.log.Error(err, "Reading the Directory's people and groups from the cache failed")
		return time.Second
	}
	w.hashes.done()
	cfg := w.cfg.Load()
	w.mu.Lock()
	t := w.r.Clock.Now()
	settle := w.r.settle()
	busy, busyGroups := w.busySets()
	p := makePlan(planInput{now: now, rec: w.rec, busy: busy, busyGroups: busyGroups, enabled: cfg.enabled, limit: maxOutstanding - len(w.busy),
		guard: guardInput{maxDeletePercent: cfg.maxDeletePercent, approved: w.approved,
			settling: t.Sub(w.lastChange) < settle && !w.idleAt.After(w.lastChange)}})
	for _, b := range p.batches {
		fillData(b, now, w.rec, w.key.Namespace, cfg.directory)
		w.rec.begin(b)
		q := qualified(b.kind, b.key)
		w.dirty[q] = true
		w.busy[q] = &outstanding{b: b, planned: t}
	}
	w.rep.pending = p.pending + w.remaining() - eventsOf(p.batches)
	w.rep.held, w.rep.planned = p.held, true
	lastChange := w.lastChange
	w.mu.Unlock()
	if len(p.batches) > 0 {
		w.flushAndHandOut(ctx)
	}
	if p.settling {
		return max(lastChange.Add(settle).Sub(t), time.Millisecond)
	}
	return 0
}

// busySets are the objects with a batch out, and the groups their membership events touch.
func (w *worker) busySets() (busy, groups map[string]bool) {
	busy, groups = make(map[string]bool, len(w.busy)), map[string]bool{}
	for q, o := range w.busy {
		busy[q] = true
		for i := o.next; i < len(o.b.events); i++ {
			if g := o.b.events[i].group; g != "" {
				groups[g] = true
			}
		}
	}
	return busy, groups
}

// remaining counts the events of outstanding batches not yet acknowledged.
func (w *worker) remaining() int {
	n := 0
	for _, o := range w.busy {
		n += len(o.b.events) - o.next
	}
	return n
}

func eventsOf(bs []*batch) int {
	n := 0
	for _, b := range bs {
		n += len(b.events)
	}
	return n
}

func (w *worker) outstanding() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return len(w.busy)
}

// flushAndHandOut writes the record when anything changed and, once it is written, queues the batches
// whose intent it holds.
func (w *worker) flushAndHandOut(ctx context.Context) {
	if err := w.flush(ctx); err != nil {
		w.recordFailed(err)
		return
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.rep.recordError != "" {
		w.rep.recordError = ""
	}
	for q, o := range w.busy {
		if !o.queued {
			o.queued = true
			w.queue.Add(q)
		}
	}
}

// flush writes the record's dirty shards.
func (w *worker) flush(ctx context.Context) error {
	w.mu.Lock()
	if len(w.dirty) == 0 && w.store.layout != 0 {
		w.mu.Unlock()
		return nil
	}
	dirty := w.dirty
	w.dirty = map[string]bool{}
	fp := w.store.prepare(w.rec, dirty)
	w.mu.Unlock()
	start := time.Now()
	err := w.store.commit(ctx, fp)
	recordWriteSeconds.Observe(time.Since(start).Seconds())
	if err != nil {
		w.mu.Lock()
		for q := range dirty {
			w.dirty[q] = true
		}
		w.mu.Unlock()
	}
	return err
}

func (w *worker) recordFailed(err error) {
	if err == nil || ctxDone(err) {
		return
	}
	w.log.Error(err, "The webhook's record could not be read or written; nothing is sent until it can be")
	w.mu.Lock()
	w.rep.recordError = provider.OneLine(err.Error(), 200)
	w.mu.Unlock()
	w.r.notify(w.key)
}

// send is a sender: it takes an object off the queue and sends its batch's events in order until one
// fails (the object then goes back on the queue after a backoff) or all are acknowledged.
func (w *worker) send(ctx context.Context) {
	for {
		q, shutdown := w.queue.Get()
		if shutdown {
			return
		}
		w.deliver(ctx, q)
		w.queue.Done(q)
	}
}

func (w *worker) deliver(ctx context.Context, q string) {
	w.mu.Lock()
	o := w.busy[q]
	handedOut := o != nil && o.queued
	w.mu.Unlock()
	if !handedOut { // done, or a new batch whose intent is not written yet (a retry timer of an earlier one fired)
		return
	}
	for o.next < len(o.b.events) {
		ev := &o.b.events[o.next]
		if ev.send {
			a := w.attempt(ctx, ev)
			if ctx.Err() != nil {
				return
			}
			if !a.ok() {
				w.failed(q, o, a)
				return
			}
		}
		w.acked(q, o, ev)
	}
	w.finished(q, o)
}

// attempt sends one event once.
func (w *worker) attempt(ctx context.Context, ev *event) attempt {
	cfg := w.cfg.Load()
	now := w.r.Clock.Now()
	body, err := render(renderInput{format: cfg.format, webhookUID: string(cfg.uid), namespace: w.key.Namespace, directory: cfg.directory, at: now}, ev)
	if err != nil {
		return attempt{err: err}
	}
	start := time.Now()
	a := post(ctx, w.hc, cfg.url, contentType(cfg.format), signatureHeader(cfg.format), signature(cfg.secret, body, now), body, now)
	if ctx.Err() == nil {
		deliveries.WithLabelValues(w.key.Namespace, w.key.Name, a.result()).Inc()
		attemptSeconds.Observe(time.Since(start).Seconds())
	}
	return a
}

func (w *worker) failed(q string, o *outstanding, a attempt) {
	w.mu.Lock()
	o.failures++
	o.lastError = failureText(a, w.r.attemptTimeout())
	delay := backoff(o.failures, a.retryAfter, rand.Float64())
	w.mu.Unlock()
	if o.failures == 1 || o.failures%10 == 0 {
		w.log.Info("Delivering an event failed; retrying with backoff", "object", q, "failures", o.failures, "reason", o.lastError, "retryIn", delay.Round(time.Millisecond))
	}
	w.queue.AddAfter(q, delay)
}

// acked records an acknowledged (or unsent, filtered) event. When it ends a run of failures, the
// receiver is back: every other object waiting out its backoff is retried at once.
func (w *worker) acked(q string, o *outstanding, ev *event) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.rec.ack(ev)
	w.dirty[q] = true
	o.next++
	if o.failures > 0 {
		for other, b := range w.busy {
			if b.failures > 0 && other != q {
				w.queue.Add(other)
			}
		}
	}
	o.failures, o.lastError = 0, ""
	if w.rep.pending > 0 {
		w.rep.pending--
	}
	if ev.send {
		now := w.r.Clock.Now()
		w.rep.delivered++
		w.rep.lastDelivery = now
		deliverySeconds.Observe(now.Sub(o.planned).Seconds())
	}
}

// finished ends a batch whose events are all acknowledged, and asks for a plan: what waited for it
// (a person's membership of a new group, a group's deletion) may go now.
func (w *worker) finished(q string, o *outstanding) {
	w.mu.Lock()
	w.rec.finish(o.b)
	w.dirty[q] = true
	delete(w.busy, q)
	w.mu.Unlock()
	w.kick(false)
}

// approve releases the held removals when token is their approval token.
func (w *worker) approve(token string) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	h := w.rep.held
	if h == nil || h.token != token {
		return false
	}
	for k := range h.keys {
		w.approved[k] = true
	}
	w.rep.held = nil
	select {
	case w.kickc <- struct{}{}:
	default:
	}
	return true
}

// report is the worker's report now.
func (w *worker) report() report {
	w.mu.Lock()
	defer w.mu.Unlock()
	r := w.rep
	r.generation = w.cfg.Load().generation
	if w.rec != nil {
		r.users, r.groups = w.rec.told()
	}
	for _, o := range w.busy {
		if o.failures > r.failures {
			r.failures, r.lastError = o.failures, o.lastError
		}
	}
	return r
}

func ctxDone(err error) bool {
	return errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)
}
