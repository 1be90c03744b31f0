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

package controllers

import (
	"fmt"
	"testing"

	dirsyncv1alpha1 "github.com/dirsync/dirsync/api/v1alpha1"
)

// planDeleting is a plan that deletes n users and one group.
func planDeleting(n int) plan {
	var p plan
	for i := 0; i < n; i++ {
		u := &dirsyncv1alpha1.DirectoryUser{}
		u.Name = fmt.Sprintf("acme-%d", i)
		p.ops = append(p.ops, op{kind: opDelete, existing: u})
	}
	g := &dirsyncv1alpha1.DirectoryGroup{}
	g.Name = "acme-g"
	p.ops = append(p.ops, op{kind: opDelete, existing: g}, op{kind: opCreate, desired: &dirsyncv1alpha1.DirectoryUser{}})
	return p
}

func TestApplyGuard(t *testing.T) {
	tests := []struct {
		name                         string
		deletes, existing, employees int
		pct                          int32
		wantHeld                     bool
	}{
		{name: "ordinary small removal in a large directory", deletes: 2, existing: 200, employees: 198, pct: 25},
		{name: "one of two people leaves (50%) is not held", deletes: 1, existing: 2, employees: 1, pct: 25},
		{name: "three of four leave: under the floor", deletes: 3, existing: 4, employees: 1, pct: 25},
		{name: "mass removal over the percentage is held", deletes: 60, existing: 200, employees: 140, pct: 25, wantHeld: true},
		{name: "exactly the percentage is allowed", deletes: 50, existing: 200, employees: 150, pct: 25},
		{name: "empty provider answer is held", deletes: 2, existing: 2, employees: 0, pct: 25, wantHeld: true},
		{name: "empty answer with the guard disabled proceeds", deletes: 200, existing: 200, employees: 0, pct: 100},
		{name: "raised percentage lets the mass removal through", deletes: 60, existing: 200, employees: 140, pct: 50},
		{name: "zero holds every deletion", deletes: 1, existing: 200, employees: 199, pct: 0, wantHeld: true},
		{name: "no deletions, nothing to hold", deletes: 0, existing: 200, employees: 0, pct: 25},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, g := applyGuard(planDeleting(tt.deletes), tt.existing, tt.employees, tt.pct)
			if g.held != tt.wantHeld {
				t.Fatalf("held = %v, want %v (%s)", g.held, tt.wantHeld, g.message)
			}
			deletes, _ := p.count(opDelete)
			holds, _ := p.count(opHold)
			creates, _ := p.count(opCreate)
			if creates != 1 {
				t.Fatalf("creates must pass the guard untouched, got %d", creates)
			}
			if tt.wantHeld && (deletes != 0 || holds != tt.deletes+1 || g.message == "") {
				t.Fatalf("held plan deletes %d holds %d, message %q", deletes, holds, g.message)
			}
			if !tt.wantHeld && tt.deletes > 0 && (deletes != tt.deletes+1 || holds != 0) {
				t.Fatalf("unheld plan deletes %d holds %d", deletes, holds)
			}
		})
	}
}

func TestApplyGuardDoesNotRewriteHeldObjects(t *testing.T) {
	p := planDeleting(10)
	for _, o := range p.ops {
		if o.kind == opDelete {
			o.existing.SetGeneration(3)
			setCondition(o.existing, removedFromProvider(), timeZero)
		}
	}
	held, g := applyGuard(p, 10, 0, 25)
	holds, _ := held.count(opHold)
	if !g.held || holds != 0 || held.unchanged != 11 {
		t.Fatalf("already-held objects must not be written again: held %v holds %d unchanged %d", g.held, holds, held.unchanged)
	}
}
