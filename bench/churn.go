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
	"fmt"
	"math/rand"
	"net/http"
	"time"

	"github.com/dirsync/dirsync/internal/provider/fakehr"
)

// churnPlan is what the bench changed in the fake company, and the objects that must be rewritten.
type churnPlan struct {
	Titles, Moves, Leavers int
	Users                  int // changed employees = DirectoryUsers to rewrite
	Groups                 int // departments that gained or lost a member = DirectoryGroups to rewrite
}

// churn changes 1% of the employees through the fake's admin API (a third new job titles, a third
// moved to another department, a third current employees turned leavers) and measures the sync.
func (c *cluster) churn(ctx context.Context) (churnPlan, syncResult, error) {
	var co fakehr.Company
	if err := c.fakeAdmin(ctx, http.MethodGet, "/admin/company", nil, &co); err != nil {
		return churnPlan{}, syncResult{}, err
	}
	plan, err := changeCompany(&co, max(1, c.n/100), time.Now())
	if err != nil {
		return plan, syncResult{}, err
	}
	if err := c.fakeAdmin(ctx, http.MethodPut, "/admin/company", co, nil); err != nil {
		return plan, syncResult{}, err
	}
	logf("N=%d: churn: %d titles, %d moves, %d leavers → %d users + %d groups", c.n, plan.Titles, plan.Moves, plan.Leavers, plan.Users, plan.Groups)
	res, err := c.requestSync(ctx, "churn")
	return plan, res, err
}

// changeCompany changes n distinct employees of co, chosen with a fixed seed.
func changeCompany(co *fakehr.Company, n int, now time.Time) (churnPlan, error) {
	var plan churnPlan
	if len(co.Departments) < 2 || len(co.Employees) < n {
		return plan, fmt.Errorf("churn: need at least 2 departments and %d employees", n)
	}
	r := rand.New(rand.NewSource(42))
	groups := map[string]bool{}
	for _, i := range r.Perm(len(co.Employees)) {
		if plan.Users == n {
			break
		}
		k := plan.Users % 3
		if !changeEmployee(&co.Employees[i], k, co.Departments, groups, now) {
			continue
		}
		plan.Users++
		switch k {
		case 0:
			plan.Titles++
		case 1:
			plan.Moves++
		default:
			plan.Leavers++
		}
	}
	if plan.Users < n {
		return plan, fmt.Errorf("churn: could change only %d of %d employees", plan.Users, n)
	}
	plan.Groups = len(groups)
	return plan, nil
}

// changeEmployee applies change kind k (0 title, 1 department, 2 leaver) to e if it applies,
// recording the departments whose membership changes.
func changeEmployee(e *fakehr.Employee, k int, depts []fakehr.Department, groups map[string]bool, now time.Time) bool {
	switch k {
	case 0:
		e.JobTitle = "Churned " + e.ID
		return true
	case 1:
		if e.DepartmentID == "" {
			return false
		}
		for j, d := range depts {
			if d.ID == e.DepartmentID {
				groups[d.ID] = true
				e.DepartmentID = depts[(j+1)%len(depts)].ID
				groups[e.DepartmentID] = true
				return true
			}
		}
		return false
	default:
		if e.Status != fakehr.Current {
			return false
		}
		e.Status = fakehr.Former
		e.LeavingDate = now.AddDate(0, 0, -1).Format("2006-01-02")
		return true
	}
}
