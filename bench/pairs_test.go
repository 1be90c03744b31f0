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
	"testing"
	"time"
)

func pair(floor, initial time.Duration) syncPair {
	var p syncPair
	p.Floor.CPU.Wall, p.Initial.Wall = floor, initial
	return p
}

// The report compares the pair with the median ratio, whatever order the pairs ran in, and lists
// every pair in that order.
func TestMedianPair(t *testing.T) {
	s := time.Second
	a, b, c := pair(33*s, 35*s), pair(28*s, 33*s), pair(27*s, 32*s) // 1.06×, 1.18×, 1.19×
	for _, tc := range []struct {
		name  string
		pairs []syncPair
		want  syncPair
	}{
		{"one", []syncPair{c}, c},
		{"three in order", []syncPair{a, b, c}, b},
		{"three shuffled", []syncPair{c, a, b}, b},
		{"two: the lower", []syncPair{c, a}, a},
		{"the median ratio, not the median floor", []syncPair{pair(40*s, 30*s), pair(20*s, 30*s), b}, b},
	} {
		if got := medianPair(tc.pairs); got.Floor.CPU.Wall != tc.want.Floor.CPU.Wall || got.Initial.Wall != tc.want.Initial.Wall {
			t.Errorf("%s: median pair %.2f×, want %.2f×", tc.name, got.ratio(), tc.want.ratio())
		}
	}
	r := &sizeResult{Pairs: []syncPair{a, b}}
	if got, want := pairsCell(r), "33.0 s, 35.0 s (1.06×); 28.0 s, 33.0 s (1.18×)"; got != want {
		t.Errorf("pairsCell = %q, want %q", got, want)
	}
	if got := pairsCell(&sizeResult{}); got != "—" {
		t.Errorf("pairsCell of a run without pairs = %q, want —", got)
	}
}
