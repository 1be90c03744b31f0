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
	"net/http"
	"net/url"
	"testing"

	"github.com/dirsync/dirsync/internal/provider"
	"github.com/dirsync/dirsync/internal/provider/providertest"
)

// pageBudget bounds what two pages of one body may allocate, whatever their headers say. The fixed
// part is what a Total header may legitimately reserve: maxPresizedRows (10,000) employees of 336
// bytes, 3.4 MiB, and room for decoding. The rest is linear in the body: a page may hold at most
// MaxPageItems (1,000) rows, each of which decodes into a 500-byte struct even when it is "{}" (3
// bytes), and encoding/json's slice growth doubles that; realistic rows allocate a few times their
// size. A Total that sized the listing by itself (5,000,000 would be 1.6 GiB) breaks it at once.
func pageBudget(body []byte) uint64 { return 8<<20 + 64*uint64(len(body)) }

// FuzzEmployeePages feeds one body and one set of pagination headers (Total, Per-Page, Link) to the
// employee listing's page handling, twice, as page 1 and page 2 (the mapper reserves room for the
// Total from page 2 on): it must not panic, allocate more than pageBudget, or fail with an error that
// is not classified. The seeds in testdata/fuzz/FuzzEmployeePages are the attacks of issue 21: a Total
// of 68719476736 (a fatal out-of-memory before) or just under the user limit, a huge or negative
// Per-Page, a page of 1,500 empty objects, a next link to another host.
func FuzzEmployeePages(f *testing.F) {
	f.Add(readFixture(f, "employees_page.json"), "2", "100", `<https://api.breathehr.com/v1/employees?page=2&per_page=100>; rel="next"`)
	base, err := url.Parse(DefaultBaseURL)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, body []byte, total, perPage, link string) {
		h := http.Header{}
		for k, v := range map[string]string{"Total": total, "Per-Page": perPage, "Link": link} {
			if v != "" {
				h.Set(k, v)
			}
		}
		c := &Client{base: base, maxPages: MaxPages, maxEmployees: provider.DefaultMaxEmployees, progress: func(int, int) {}}
		l := &listing{c: c, resource: "employees", first: c.resourceURL("employees", 1), total: -1, visited: map[string]bool{}}
		m := newMapper(nil)
		var err error
		n := providertest.AllocatedBy(func() {
			u := l.first
			for i := 1; i <= 2 && u != nil && err == nil; i++ {
				l.visited[pageKey(u)] = true
				u, _, err = takePage(l, &stats{}, u, i, &page{body: body, header: h}, "GET /v1/employees", decodeEmployeePage, c.mapPage(m))
			}
			if err == nil {
				_ = m.employees()
			}
		})
		if budget := pageBudget(body); n > budget {
			t.Fatalf("two pages of %d bytes allocated %d KiB, over the budget of %d KiB (Total %q, Per-Page %q)",
				len(body), n>>10, budget>>10, total, perPage)
		}
		if err != nil {
			if _, problem := providertest.Classify(err); problem != "" {
				t.Fatalf("an unclassified error: %s", problem)
			}
		}
	})
}
