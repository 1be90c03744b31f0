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

package directory

import (
	"context"
	"fmt"
	"strconv"
	"sync"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	dirsyncv1alpha1 "github.com/dirsync/dirsync/api/v1alpha1"
	"github.com/dirsync/dirsync/controllers/internal/verdict"
)

// defaultProgressEvery is how long a sync runs before its progress shows in the Syncing condition, and
// how often that message is then refreshed at most.
const defaultProgressEvery = 5 * time.Second

// progress publishes a long sync's progress as Syncing=True with a message such as "read 40 of 101
// pages" or "applied 6,000 of 20,000 changes". A sync that ends within ProgressEvery writes nothing
// extra; a longer one writes at most one status patch per ProgressEvery while it runs. Each mid-sync
// patch moves what the server has (published), which stop returns: the reconcile's final status patch
// starts from it, so that it sets Syncing=False over what the server has.
type progress struct {
	r   *Reconciler
	ctx context.Context
	// published is the Directory as the server has it: a copy of the reconcile's base, with the status
	// each mid-sync patch wrote. Only the publishing goroutine changes it, until stop returns it.
	published *dirsyncv1alpha1.Directory

	mu              sync.Mutex
	reason, message string
	shown           string // reason and message last published
	stopped         chan struct{}
	done            sync.WaitGroup
}

// startProgress starts publishing for a sync of the Directory whose state on the server is base (which
// it does not change).
func (r *Reconciler) startProgress(ctx context.Context, base *dirsyncv1alpha1.Directory) *progress {
	every := r.ProgressEvery
	if every <= 0 {
		every = defaultProgressEvery
	}
	p := &progress{r: r, ctx: ctx, published: base.DeepCopy(), stopped: make(chan struct{})}
	p.done.Add(1)
	go func() {
		defer p.done.Done()
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-p.stopped:
				return
			case <-ctx.Done():
				return
			case <-t.C:
				p.publish()
			}
		}
	}()
	return p
}

// set records what the sync is doing now; the next tick publishes it.
func (p *progress) set(reason, message string) {
	p.mu.Lock()
	p.reason, p.message = reason, message
	p.mu.Unlock()
}

// reading and applied are the two progress callbacks a sync hands out.
func (p *progress) reading(name string) func(done, total int) {
	return func(done, total int) {
		if total > 0 {
			p.set(dirsyncv1alpha1.ReasonReadingProvider, fmt.Sprintf("Reading %s: read %s of %s pages.", name, thousands(done), thousands(total)))
		} else {
			p.set(dirsyncv1alpha1.ReasonReadingProvider, fmt.Sprintf("Reading %s: read %s %s.", name, thousands(done), plural(done, "page", "pages")))
		}
	}
}

func (p *progress) applied(total int) func(done int) {
	return func(done int) {
		p.set(dirsyncv1alpha1.ReasonApplying, fmt.Sprintf("Applying: applied %s of %s changes.", thousands(done), thousands(total)))
	}
}

// stop ends publishing and returns the Directory as the server has it now: the base of the reconcile's
// status patch.
func (p *progress) stop() *dirsyncv1alpha1.Directory {
	close(p.stopped)
	p.done.Wait()
	return p.published
}

func (p *progress) publish() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.reason == "" || p.reason+p.message == p.shown {
		return
	}
	cur := p.published.DeepCopy()
	verdict.Set(cur, metav1.Condition{Type: dirsyncv1alpha1.ConditionSyncing, Status: metav1.ConditionTrue, Reason: p.reason,
		Message: p.message}, p.r.Clock.Now())
	if err := p.r.Client.Status().Patch(p.ctx, cur, client.MergeFrom(p.published)); err != nil {
		ctrl.LoggerFrom(p.ctx).V(1).Info("Publishing sync progress failed", "error", err.Error())
		return
	}
	// Only the status moves: the final patch must not carry a resourceVersion that differs from the
	// reconcile's copy, or the server would take it as a precondition and refuse the patch.
	p.published.Status = cur.Status
	p.shown = p.reason + p.message
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// thousands formats n with commas: 6000 → "6,000".
func thousands(n int) string {
	s := strconv.Itoa(n)
	for i := len(s) - 3; i > 0 && s[i-1] != '-'; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}
