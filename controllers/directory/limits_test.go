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
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	dirsyncv1alpha1 "github.com/dirsync/dirsync/api/v1alpha1"
	"github.com/dirsync/dirsync/controllers/directory/directorytest"
	"github.com/dirsync/dirsync/controllers/internal/verdict"
	"github.com/dirsync/dirsync/internal/provider"
	"github.com/dirsync/dirsync/internal/provider/fakehr"
)

// Issue 21: no HR account can make the shared operator hold more than --max-users-per-directory
// people (the suite runs with suiteMaxUsers). A Directory whose provider lists more is Ready=False
// TooManyUsers, with a message naming the flag and the chart value, and nothing is written: the
// users already there stay as they were. When the account is back under the limit, the sync resumes.
func TestDirectoryOverTheUserLimitIsRefusedAndWritesNothing(t *testing.T) {
	for _, pc := range directorytest.ProviderCases {
		t.Run(pc.Name, func(t *testing.T) {
			h := newHarness(t, pc, suiteMaxUsers, nil)
			h.WaitReason(dirsyncv1alpha1.ReasonSynced)
			if n := len(h.Users()); n != suiteMaxUsers {
				t.Fatalf("%d DirectoryUsers after the first sync, want %d", n, suiteMaxUsers)
			}

			grown := fakehr.Generate(fakehr.GenerateOptions{Seed: 42, Employees: suiteMaxUsers + 1, Departments: 4, IDs: pc.IDs, Today: testClock.Now()})
			h.Srv.SetCompany(grown)
			before := writes.count(h.NS)
			d := h.ForceSync()
			c := verdict.Ready(d)
			if c == nil || c.Reason != dirsyncv1alpha1.ReasonTooManyUsers {
				t.Fatalf("Ready = %+v; want False %s", c, dirsyncv1alpha1.ReasonTooManyUsers)
			}
			for _, want := range []string{fmt.Sprintf("more than %d employees", suiteMaxUsers), "--max-users-per-directory", "manager.maxUsersPerDirectory", "nothing was changed"} {
				if !strings.Contains(c.Message, want) {
					t.Errorf("the message %q does not say %q", c.Message, want)
				}
			}
			if n := writes.count(h.NS) - before; n != 0 {
				t.Errorf("%d writes to users and groups; an account over the limit must write none", n)
			}
			if n := len(h.Users()); n != suiteMaxUsers {
				t.Errorf("%d DirectoryUsers after the refused sync, want the %d there before", n, suiteMaxUsers)
			}
			h.WaitEvent(dirsyncv1alpha1.ReasonTooManyUsers)

			h.Srv.SetCompany(fakehr.Generate(fakehr.GenerateOptions{Seed: 42, Employees: suiteMaxUsers - 1, Departments: 4, IDs: pc.IDs, Today: testClock.Now()}))
			if d := h.ForceSync(); verdict.Ready(d) == nil || verdict.Ready(d).Reason != dirsyncv1alpha1.ReasonSynced {
				t.Fatalf("back under the limit: Ready = %+v; want Synced", verdict.Ready(d))
			}
		})
	}
}

// Every provider stops reading once the account lists more employees than provider.Config.MaxEmployees,
// with a *provider.TooManyEmployeesError, and reads an account of exactly that many: so that a new
// provider cannot forget the limit (each has a case in directorytest.ProviderCases).
func TestProvidersStopReadingAtTheUserLimit(t *testing.T) {
	const limit = 120 // two Breathe HR pages
	for _, pc := range directorytest.ProviderCases {
		t.Run(pc.Name, func(t *testing.T) {
			srv := pc.Start(fakehr.Generate(fakehr.GenerateOptions{Seed: 5, Employees: limit + 1, IDs: pc.IDs, Today: testClock.Now()}))
			t.Cleanup(srv.Close)
			dir := testDirectory("")
			dir.Spec.Provider, dir.Spec.Endpoint = pc.Provider, srv.URL()
			r := &Reconciler{Providers: directorytest.Providers(), Clock: testClock, ProviderTimeout: 5 * time.Second,
				AllowInsecureEndpoints: true, MaxUsersPerDirectory: limit}
			snap, err := r.fetch(t.Context(), dir, srv.APIKey(), nil, nil)
			var tooMany *provider.TooManyEmployeesError
			if snap != nil || !errors.As(err, &tooMany) || tooMany.Limit != limit {
				t.Fatalf("fetch of %d employees with a limit of %d: %v; want a *provider.TooManyEmployeesError", limit+1, limit, err)
			}
			if f := reasonFor(err, dir, srv.APIKey()); f.reason != dirsyncv1alpha1.ReasonTooManyUsers {
				t.Errorf("reasonFor: %s, want %s", f.reason, dirsyncv1alpha1.ReasonTooManyUsers)
			}
			srv.SetCompany(fakehr.Generate(fakehr.GenerateOptions{Seed: 5, Employees: limit, IDs: pc.IDs, Today: testClock.Now()}))
			if snap, err := r.fetch(t.Context(), dir, srv.APIKey(), nil, nil); err != nil || len(snap.Employees) != limit {
				t.Fatalf("fetch of exactly %d employees: %v", limit, err)
			}
		})
	}
}
