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
	"context"
	"encoding/json"
	"slices"
	"strconv"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/dirsync/dirsync/internal/provider"
	"github.com/dirsync/dirsync/internal/provider/fakehr"
)

func TestIsActive(t *testing.T) {
	tests := []struct {
		status string
		want   bool
	}{
		{"Current employee", true},
		{"Pending leaver", true},
		{"  Current employee ", true},
		{"current EMPLOYEE", true},
		{"pending leaver", true},
		{"Ex-employee", false},
		{"Former employee", false},
		{"", false},
		{"Current", false},
		{"Current employees", false},
		{"Pending  leaver", false},
		{"Maternity leave", false},
		{"Active", false},
	}
	for _, tt := range tests {
		if got := IsActive(tt.status); got != tt.want {
			t.Errorf("IsActive(%q) = %v, want %v", tt.status, got, tt.want)
		}
	}
}

// TestStatusThroughTheFake serves each status text over HTTP and checks Active and EmploymentStatus.
func TestStatusThroughTheFake(t *testing.T) {
	tests := []struct {
		status     fakehr.Status
		wantText   string
		wantActive bool
	}{
		{fakehr.Current, "Current employee", true},
		{fakehr.PendingLeaver, "Pending leaver", true},
		{fakehr.Former, "Ex-employee", false},
		{"Suspended", "Suspended", false},
		{" Pending leaver ", "Pending leaver", true},
	}
	c := fakehr.Company{}
	for i, tt := range tests {
		c.Employees = append(c.Employees, fakehr.Employee{ID: string(rune('1' + i)), FirstName: "A", Status: tt.status})
	}
	s := startFake(t, c)
	snap, err := testClient(t, s.URL(), nil).Fetch(context.Background())
	if err != nil {
		t.Fatalf("Fetch: %v", err)
	}
	for i, tt := range tests {
		e := snap.Employees[i]
		if e.EmploymentStatus != tt.wantText || e.Active != tt.wantActive {
			t.Errorf("status %q: got (%q, %v), want (%q, %v)", tt.status, e.EmploymentStatus, e.Active, tt.wantText, tt.wantActive)
		}
	}
}

func TestToEmployee(t *testing.T) {
	depts := []provider.Department{{ExternalID: "12", Name: "Engineering"}, {ExternalID: "15", Name: "Customer  Success"}}
	others := []wireEmployee{
		{ID: "3", FirstName: "Grace", LastName: "Mensah", Email: "grace@example.com"},
		{ID: "4", FirstName: "Ada", LastName: "Lovelace", Email: "ada@example.com"},
		{ID: "5", FirstName: "Ada", LastName: "Lovelace"}, // two Ada Lovelaces: the name resolves to nobody
	}
	tests := []struct {
		name string
		in   wireEmployee
		want provider.Employee
	}{
		{
			name: "known_as, then the last name",
			in:   wireEmployee{ID: "7", FirstName: " Robert ", LastName: "Smith", KnownAs: " Bob ", Status: "Current employee"},
			want: provider.Employee{ExternalID: "7", FirstName: "Robert", LastName: "Smith", PreferredName: "Bob", DisplayName: "Bob Smith",
				Active: true, EmploymentStatus: "Current employee"},
		},
		{
			name: "first name alone",
			in:   wireEmployee{ID: "8", FirstName: "Chen"},
			want: provider.Employee{ExternalID: "8", FirstName: "Chen", DisplayName: "Chen"},
		},
		{
			name: "company_join_date first",
			in:   wireEmployee{ID: "9", CompanyJoinDate: "2014-03-03", JoinDate: "2015-01-05", JobStartDate: "2020-06-01", LeavingDate: "2026-04-30"},
			want: provider.Employee{ExternalID: "9", StartDate: "2014-03-03", EndDate: "2026-04-30"},
		},
		{
			name: "join_date next",
			in:   wireEmployee{ID: "9", JoinDate: "2015-01-05", JobStartDate: "2020-06-01"},
			want: provider.Employee{ExternalID: "9", StartDate: "2015-01-05"},
		},
		{
			name: "job_start_date last",
			in:   wireEmployee{ID: "10", JobStartDate: "2020-06-01"},
			want: provider.Employee{ExternalID: "10", StartDate: "2020-06-01"},
		},
		{
			name: "department, division, location, line manager and employment type as objects",
			in: wireEmployee{ID: "11", Department: wireRef{ID: "12", Name: "Engineering"}, Division: wireRef{ID: "3", Name: "Technology"},
				Location: wireRef{ID: "1", Name: " Head  Office "}, FullOrPartTime: "Part Time",
				LineManager: wireRef{ID: "3", FirstName: "Grace", LastName: "Mensah", Email: "grace@example.com"},
				Email:       " a@example.com ", JobTitle: " Engineer "},
			want: provider.Employee{ExternalID: "11", DepartmentIDs: []string{"12"}, ManagerExternalID: "3", ManagerEmail: "grace@example.com",
				Email: "a@example.com", JobTitle: "Engineer", EmploymentType: "Part Time",
				Division: provider.Affiliation{ID: "3", Name: "Technology"}, Location: provider.Affiliation{ID: "1", Name: "Head Office"}},
		},
		{
			name: "department and location by name, manager by e-mail",
			in: wireEmployee{ID: "12", Department: wireRef{Name: "customer success"}, Location: wireRef{Name: "Remote"},
				LineManager: wireRef{Email: "ada@example.com"}},
			want: provider.Employee{ExternalID: "12", DepartmentIDs: []string{"15"}, ManagerExternalID: "4", ManagerEmail: "ada@example.com",
				Location: provider.Affiliation{ID: "Remote", Name: "Remote"}},
		},
		{
			name: "manager by a unique name; an unlisted department is left out",
			in:   wireEmployee{ID: "13", Department: wireRef{Name: "Legal"}, LineManager: wireRef{Name: "grace  mensah"}},
			want: provider.Employee{ExternalID: "13", ManagerExternalID: "3"},
		},
		{
			name: "a name two share resolves to nobody",
			in:   wireEmployee{ID: "14", LineManager: wireRef{FirstName: "Ada", LastName: "Lovelace"}},
			want: provider.Employee{ExternalID: "14"},
		},
		{
			name: "never one's own manager",
			in:   wireEmployee{ID: "3", LineManager: wireRef{ID: "3"}},
			want: provider.Employee{ExternalID: "3"},
		},
		{
			name: "empty objects",
			in:   wireEmployee{ID: "15"},
			want: provider.Employee{ExternalID: "15"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := toEmployees(append([]wireEmployee{tt.in}, others...), depts)[0]
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("toEmployee (-want +got):\n%s", diff)
			}
		})
	}
}

// TestRefShapes: department, division, location and line_manager may be an object, a string, "", a
// number or null, and none of them may fail the page.
func TestRefShapes(t *testing.T) {
	tests := []struct {
		in   string
		want wireRef
	}{
		{`{"id": 301, "name": "Operations"}`, wireRef{ID: "301", Name: "Operations"}},
		{`{"id": "301", "name": " Operations "}`, wireRef{ID: "301", Name: "Operations"}},
		{`{"id": 1795, "first_name": "Joe", "last_name": "Example", "email": "joe@example.com"}`,
			wireRef{ID: "1795", FirstName: "Joe", LastName: "Example", Email: "joe@example.com"}},
		{`{"id": null, "name": null}`, wireRef{}},
		{`{"id": "x", "name": 7}`, wireRef{}},
		{`{}`, wireRef{}},
		{`"Engineering"`, wireRef{Name: "Engineering"}},
		{`" 42 "`, wireRef{ID: "42"}},
		{`"joe@example.com"`, wireRef{Email: "joe@example.com"}},
		{`""`, wireRef{}},
		{`null`, wireRef{}},
		{`42`, wireRef{ID: "42"}},
		{`-1`, wireRef{}},
		{`true`, wireRef{}},
		{`[1, 2]`, wireRef{}},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			var got wireRef
			if err := json.Unmarshal([]byte(tt.in), &got); err != nil {
				t.Fatalf("decoding %s failed: %v", tt.in, err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
			page := `{"employees": [{"id": 1, "department": ` + tt.in + `, "division": ` + tt.in + `, "location": ` + tt.in +
				`, "line_manager": ` + tt.in + `, "full_or_part_time": ` + tt.in + `}]}`
			if emps, err := decodeEmployees([]byte(page)); err != nil || len(emps) != 1 {
				t.Errorf("a page with %s in every reference = %v, %v; want one employee", tt.in, emps, err)
			}
		})
	}
}

func TestValidDate(t *testing.T) {
	tests := map[string]string{
		"2024-02-29":           "2024-02-29",
		" 2024-01-31 ":         "2024-01-31",
		"2023-02-29":           "",
		"2024-13-01":           "",
		"31/12/2025":           "",
		"2024-1-5":             "",
		"2024-01-05T00:00:00Z": "",
		"":                     "",
	}
	for in, want := range tests {
		if got := validDate(in); got != want {
			t.Errorf("validDate(%q) = %q, want %q", in, got, want)
		}
	}
}

// Employees are mapped page by page as they arrive; a line manager sent by e-mail or name resolves
// against the whole listing, whatever page the manager is on, and the result is what mapping the
// listing at once gives.
func TestMapperResolvesManagersAcrossPages(t *testing.T) {
	depts := []provider.Department{{ExternalID: "7", Name: "Engineering"}}
	page1 := []wireEmployee{
		{ID: "1", FirstName: "Ann", LastName: "Ash", Email: "ann@example.com", LineManager: wireRef{Email: "Cat@Example.com"},
			Department: wireRef{Name: "engineering"}},
		{ID: "2", FirstName: "Bob", LastName: "Birch", LineManager: wireRef{FirstName: "Cat", LastName: "Cole"}},
	}
	page2 := []wireEmployee{
		{ID: "3", FirstName: "Cat", LastName: "Cole", Email: "cat@example.com", LineManager: wireRef{Name: "Cat Cole"}},
	}
	m := newMapper(depts)
	m.addPage(page1, -1)
	m.addPage(page2, -1)
	got := m.employees()
	for i, want := range []string{"3", "3", ""} {
		if got[i].ManagerExternalID != want {
			t.Errorf("employee %s: manager %q, want %q", got[i].ExternalID, got[i].ManagerExternalID, want)
		}
	}
	if got[0].DepartmentIDs == nil || got[0].DepartmentIDs[0] != "7" {
		t.Errorf("a department sent by name: %v, want [7]", got[0].DepartmentIDs)
	}
	if d := cmp.Diff(toEmployees(append(page1, page2...), depts), got); d != "" {
		t.Errorf("page by page differs from all at once (-at once +by page):\n%s", d)
	}
}

// With a claim, each employee is offered once, complete: at once when its line manager came with an id,
// after the whole listing when it came by e-mail or name, resolved also against employees claimed
// before. The claimed ones are left out; the rest is what mapping without a claim gives.
func TestMapperOffersCompleteEmployeesToTheClaim(t *testing.T) {
	page1 := []wireEmployee{
		{ID: "1", FirstName: "Ann", LastName: "Ash", Email: "ann@example.com"},
		{ID: "2", FirstName: "Bob", LastName: "Birch", LineManager: wireRef{Email: "ANN@example.com"}},
	}
	page2 := []wireEmployee{
		{ID: "3", FirstName: "Cat", LastName: "Cole", LineManager: wireRef{ID: "1"}},
		{ID: "4", FirstName: "Dan", LastName: "Dunn", LineManager: wireRef{FirstName: "Ann", LastName: "Ash"}},
	}
	all := toEmployees(append(page1, page2...), nil)
	var offered []provider.Employee
	m := newMapper(nil)
	m.claim = func(e *provider.Employee) bool {
		offered = append(offered, *e)
		return e.ExternalID == "1" || e.ExternalID == "2"
	}
	m.addPage(page1, -1)
	m.addPage(page2, -1)
	got := m.employees()
	byID := func(emps []provider.Employee) map[string]provider.Employee {
		out := map[string]provider.Employee{}
		for _, e := range emps {
			out[e.ExternalID] = e
		}
		return out
	}
	var ids []string
	for _, e := range offered {
		ids = append(ids, e.ExternalID)
	}
	if !slices.Equal(ids, []string{"1", "3", "2", "4"}) {
		t.Errorf("offered %v, want 1 and 3 as their page arrived, then 2 and 4 (managers by e-mail and name)", ids)
	}
	if d := cmp.Diff(byID(all), byID(offered)); d != "" {
		t.Errorf("offered employees differ from the mapping without a claim (-want +got):\n%s", d)
	}
	if d := cmp.Diff([]provider.Employee{all[2], all[3]}, got); d != "" {
		t.Errorf("unclaimed employees (-want +got):\n%s", d)
	}
	if byID(offered)["2"].ManagerExternalID != "1" || byID(offered)["4"].ManagerExternalID != "1" {
		t.Errorf("managers sent by e-mail and name did not resolve to the claimed employee 1: %+v", offered)
	}
}

// A listing whose first page claimed nothing (a first sync) gets room for the Total header's count at
// once, instead of growing page by page; one whose employees are claimed keeps only what it returns.
func TestMapperMakesRoomForTheTotalWhenNothingIsClaimed(t *testing.T) {
	page := func(from int) []wireEmployee {
		var ws []wireEmployee
		for i := from; i < from+100; i++ {
			ws = append(ws, wireEmployee{ID: wireID(strconv.Itoa(i)), FirstName: "P", LastName: strconv.Itoa(i)})
		}
		return ws
	}
	const total = 1000
	m := newMapper(nil)
	m.addPage(page(0), total)
	m.addPage(page(100), total)
	if c := cap(m.out); c < total || c > total+total/4 {
		t.Errorf("capacity %d after the second page, want about %d", c, total)
	}
	claimed := newMapper(nil)
	claimed.claim = func(e *provider.Employee) bool { return e.ExternalID != "150" }
	claimed.addPage(page(0), total)
	claimed.addPage(page(100), total)
	if got := claimed.employees(); len(got) != 1 || cap(claimed.out) > 10 {
		t.Errorf("with claims: %d employees, capacity %d; want 1 and a small one", len(got), cap(claimed.out))
	}
}
