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
	"fmt"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// people is n active people "p0".."p(n-1)", none in a group.
func people(n int, skip ...int) []string {
	var out []string
	for i := range n {
		if !slices.Contains(skip, i) {
			out = append(out, fmt.Sprintf("p%d:active:", i))
		}
	}
	return out
}

func TestDecideGuard(t *testing.T) {
	rec := told(nowOf(people(20), "g0", "g1", "g2", "g3", "g4", "g5", "g6", "g7"))
	keys := func(prefix string, n int) []string {
		var out []string
		for i := range n {
			out = append(out, fmt.Sprintf("%s%d", prefix, i))
		}
		return out
	}
	tests := []struct {
		name           string
		in             guardInput
		users, groups  []string
		held, settling bool
	}{
		{name: "5 of 20 people is 25%: not more than 25%", in: guardInput{maxDeletePercent: 25}, users: keys("p", 5)},
		{name: "6 of 20 is more", in: guardInput{maxDeletePercent: 25}, users: keys("p", 6), held: true},
		{name: "3 is never held by the percentage", in: guardInput{maxDeletePercent: 10}, users: keys("p", 3)},
		{name: "0% holds any removal", in: guardInput{maxDeletePercent: 0}, users: keys("p", 1), held: true},
		{name: "100% holds nothing", in: guardInput{maxDeletePercent: 100}, users: keys("p", 20)},
		{name: "approved removals do not count", in: guardInput{maxDeletePercent: 25, approved: map[string]bool{"u/p0": true, "u/p1": true}}, users: keys("p", 6)},
		{name: "groups weigh only when no person goes", in: guardInput{maxDeletePercent: 25}, groups: keys("g", 4), held: true},
		{name: "a person going lets the groups through", in: guardInput{maxDeletePercent: 25}, users: keys("p", 1), groups: keys("g", 4)},
		{name: "while the Directory writes, removals settle", in: guardInput{maxDeletePercent: 25, settling: true}, users: keys("p", 6), settling: true},
		{name: "nothing to settle without removals", in: guardInput{maxDeletePercent: 25, settling: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			held, settling := decideGuard(tt.in, tt.users, tt.groups, rec)
			if (held != nil) != tt.held || settling != tt.settling {
				t.Errorf("held %v, settling %v; want %v, %v", held != nil, settling, tt.held, tt.settling)
			}
		})
	}
}

// The token names exactly the held set: the same set in another order gives the same token, another
// set another token; status names at most 20, people first.
func TestHeldSet(t *testing.T) {
	a := newHeldSet([]string{"p2", "p1"}, []string{"g1"})
	b := newHeldSet([]string{"p1", "p2"}, []string{"g1"})
	c := newHeldSet([]string{"p1", "p3"}, []string{"g1"})
	d := newHeldSet([]string{"p1", "p2", "g1"}, nil) // g1 as a person is another object than g1 as a group
	if a.token != b.token || a.token == c.token || a.token == d.token || len(a.token) != tokenLength {
		t.Errorf("tokens: %s %s %s %s", a.token, b.token, c.token, d.token)
	}
	if diff := cmp.Diff([]string{"p1", "p2", "g1"}, a.names); diff != "" {
		t.Errorf("names (-want +got):\n%s", diff)
	}
	var many []string
	for i := range 30 {
		many = append(many, fmt.Sprintf("p%02d", i))
	}
	st := newHeldSet(many, nil).status()
	if st.Users != 30 || len(st.Names) != maxHeldNames || st.Names[0] != "p00" {
		t.Errorf("status of 30 held: %+v", st)
	}
	var none *heldSet
	if none.status() != nil || none.tokenOrEmpty() != "" || none.holds(&batch{key: "p1"}) {
		t.Error("a nil held set holds nothing")
	}
}

// makePlan holds the removals the guard holds and lets everything else through; while the Directory
// writes, removals wait; a limit bounds the batches handed out but not what is counted as pending.
func TestMakePlanGuardSettleAndLimit(t *testing.T) {
	rec := told(nowOf(people(10)))
	now := nowOf(append(people(10, 0, 1, 2, 3, 4, 5), "new:active:"))
	plan := func(g guardInput, limit int) plan {
		return makePlan(planInput{now: now, rec: rec, enabled: every, limit: limit, guard: g})
	}
	p := plan(guardInput{maxDeletePercent: 25}, 100)
	if diff := cmp.Diff([]string{"dsync.user.created new #0"}, brief(p.batches)); diff != "" || p.held == nil || p.held.users != 6 || p.pending != 7 {
		t.Errorf("held: batches (-want +got):\n%s; held %+v; pending %d", diff, p.held, p.pending)
	}
	approved := map[string]bool{}
	for k := range p.held.keys {
		approved[k] = true
	}
	if p := plan(guardInput{maxDeletePercent: 25, approved: approved}, 100); p.held != nil || len(p.batches) != 7 {
		t.Errorf("approved: held %+v, %d batches", p.held, len(p.batches))
	}
	if p := plan(guardInput{maxDeletePercent: 25, settling: true}, 100); !p.settling || p.held != nil || len(p.batches) != 1 {
		t.Errorf("settling: %v, held %+v, %d batches", p.settling, p.held, len(p.batches))
	}
	if p := plan(guardInput{maxDeletePercent: 100}, 3); len(p.batches) != 3 || p.pending != 7 {
		t.Errorf("limit 3: %d batches, %d pending", len(p.batches), p.pending)
	}
	filtered := makePlan(planInput{now: now, rec: rec, enabled: nil, limit: 100, guard: guardInput{maxDeletePercent: 100}})
	for _, b := range filtered.batches {
		for _, ev := range b.events {
			if ev.send {
				t.Errorf("%s is sent although spec.events leaves it out", ev.typ)
			}
		}
	}
}
