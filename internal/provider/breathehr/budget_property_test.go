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

package breathehr

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

// The documented budget (budget.go's package comment, README): at most 55 requests in any 60-second
// window, sliding or fixed. Written out here, not read from RequestBudget, so that a change of the
// constant fails this test.
const (
	documentedBudget = 55
	documentedWindow = 60 * time.Second
)

// listingSim is one listing in budgetSim: it waits for slot (pending) or is between requests.
type listingSim struct {
	pending bool
	slot    time.Time
}

// budgetSim drives one budget as the client does, on a fake clock, with the choices taken from rng:
// a few listings share the account; each reserves a slot, sleeps until it and sends; a listing's wait
// is sometimes cancelled (its context ended) and it gives its slot back; now and then a 429 pauses
// the account. It records what was sent and checks every grant against the specification.
type budgetSim struct {
	rng      *rand.Rand
	b        *budget
	now      time.Time
	paused   time.Time
	listings []listingSim
	live     []time.Time // sent or still pending, ascending: what the window must hold to
	sent     []time.Time
	wrong    string // the first grant that differs from the specification's
}

// earliest is the send time the specification gives a reservation made now: not before now, the
// pause, or a slot already granted (later callers never overtake), and at least a window after the
// 55th most recent live slot, so that no window holds 56.
func (s *budgetSim) earliest() time.Time {
	t := s.now
	if s.paused.After(t) {
		t = s.paused
	}
	if n := len(s.live); n > 0 && s.live[n-1].After(t) {
		t = s.live[n-1]
	}
	if n := len(s.live); n >= documentedBudget {
		if e := s.live[n-documentedBudget].Add(documentedWindow); e.After(t) {
			t = e
		}
	}
	return t
}

func (s *budgetSim) reserve(l *listingSim) {
	want := s.earliest()
	got := s.b.reserve(s.now)
	if !got.Equal(want) && s.wrong == "" {
		s.wrong = fmt.Sprintf("at %v (%d live slots) reserve granted %v, want %v", s.now.Sub(today), len(s.live),
			got.Sub(today), want.Sub(today))
	}
	if held := len(s.b.slots); held > 2*documentedBudget && s.wrong == "" {
		s.wrong = fmt.Sprintf("the budget holds %d slots; it should forget those a window old", held)
	}
	l.pending, l.slot = true, got
	s.live = append(s.live, got)
}

func (s *budgetSim) cancel(l *listingSim) {
	s.b.cancel(l.slot)
	i := slices.IndexFunc(s.live, func(x time.Time) bool { return x.Equal(l.slot) })
	s.live = slices.Delete(s.live, i, i+1)
	l.pending = false
}

// step advances the clock by a random amount, sends every slot that is due, and lets one listing act.
func (s *budgetSim) step() {
	switch r := s.rng.IntN(100); {
	case r < 40: // requests in a tight loop
	case r < 80: // the clock reaches the next slot a listing sleeps for
		next := time.Time{}
		for _, l := range s.listings {
			if l.pending && l.slot.After(s.now) && (next.IsZero() || l.slot.Before(next)) {
				next = l.slot
			}
		}
		if !next.IsZero() {
			s.now = next
		}
	case r < 95:
		s.now = s.now.Add(time.Duration(s.rng.IntN(3000)) * time.Millisecond)
	default:
		s.now = s.now.Add(time.Duration(s.rng.IntN(90)) * time.Second)
	}
	for i := range s.listings {
		if l := &s.listings[i]; l.pending && !l.slot.After(s.now) {
			s.sent = append(s.sent, l.slot)
			l.pending = false
		}
	}
	l := &s.listings[s.rng.IntN(len(s.listings))]
	switch r := s.rng.IntN(100); {
	case l.pending && r < 30: // the listing's context ended while it waited
		s.cancel(l)
	case !l.pending && r < 2: // a 429: the account waits a window
		s.b.pause(s.now.Add(documentedWindow))
		if p := s.now.Add(documentedWindow); p.After(s.paused) {
			s.paused = p
		}
	case !l.pending:
		s.reserve(l)
	}
}

// TestBudgetPropertyNoWindowOverTheDocumentedBudget: over many seeds of random reservation times,
// cancellations and pauses, the production budget grants exactly the earliest slot the rule allows,
// and the requests sent never put more than 55 into any 60-second window.
func TestBudgetPropertyNoWindowOverTheDocumentedBudget(t *testing.T) {
	o := defaultOptions()
	if o.budget != documentedBudget || o.window != documentedWindow {
		t.Fatalf("the client's budget is %d per %v, documented as %d per %v", o.budget, o.window, documentedBudget, documentedWindow)
	}
	for seed := uint64(1); seed <= 300; seed++ {
		s := &budgetSim{rng: rand.New(rand.NewPCG(seed, 25)), b: &budget{limit: o.budget, window: o.window},
			now: today, listings: make([]listingSim, 1+seed%4)}
		for range 2000 {
			s.step()
		}
		for _, l := range s.listings {
			if l.pending {
				s.sent = append(s.sent, l.slot)
			}
		}
		slices.SortFunc(s.sent, func(a, b time.Time) int { return a.Compare(b) })
		if most := maxInWindow(s.sent, documentedWindow); most > documentedBudget {
			t.Errorf("seed %d: a 60 s window held %d of the %d requests sent; want at most %d", seed, most, len(s.sent), documentedBudget)
		}
		if s.wrong != "" {
			t.Errorf("seed %d: %s", seed, s.wrong)
		}
		if t.Failed() {
			return
		}
	}
}
