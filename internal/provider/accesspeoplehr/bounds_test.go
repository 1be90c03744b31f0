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

package accesspeoplehr

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/dirsync/dirsync/internal/provider"
	"github.com/dirsync/dirsync/internal/provider/providertest"
)

// Issue 21: the one answer of Access People HR holds a whole company, up to the 64 MiB body cap. A
// record of two bytes ({}) decodes into a 240-byte struct, so a cap-sized answer of empty records
// would hold 5 GiB. The decoder stops once the answer lists more records than the Directory may hold
// (provider.Config.MaxEmployees), with a *provider.TooManyEmployeesError, and so allocates in
// proportion to the limit, not to what the provider sends.
func TestAnswerLongerThanTheUserLimitStopsTheDecoder(t *testing.T) {
	const limit = 1000
	body := []byte(`{"isError": false, "Status": 0, "Result": [` + strings.Repeat(`{},`, 1<<20/3) + `{}]}`)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write(body) }))
	t.Cleanup(srv.Close)
	u, err := url.Parse(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	c, err := newClient(provider.Config{AllowedHosts: providertest.LocalHosts, BaseURL: u, APIKey: testKey, Now: clock(fixedNow), MaxEmployees: limit,
		HTTPClient: provider.NewHTTPClient(provider.HTTPOptions{Timeout: 10 * time.Second})})
	if err != nil {
		t.Fatal(err)
	}
	var snap *provider.Snapshot
	n := providertest.AllocatedBy(func() { snap, err = c.Fetch(context.Background()) })
	var tooMany *provider.TooManyEmployeesError
	if snap != nil || !errors.As(err, &tooMany) || tooMany.Limit != limit {
		t.Errorf("Fetch = %v, %v; want a *provider.TooManyEmployeesError with limit %d", snap, err, limit)
	}
	// The body itself (1 MiB, read through the decoder's buffer) and 1,001 records: about 3 MiB.
	if n > 8<<20 {
		t.Errorf("the fetch allocated %d MiB; the limit of %d records bounds it at a few", n>>20, limit)
	}
}
