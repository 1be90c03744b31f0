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

// Package providertest holds checks that every provider package's tests share.
package providertest

import (
	"context"
	"errors"
	"runtime"
	"strings"

	"github.com/dirsync/dirsync/internal/provider"
)

// LocalHosts are the hosts the tests' servers listen on (httptest and the fakes: 127.0.0.1, any port):
// a test's provider.Config allows them as the manager's --allowed-endpoint-hosts=127.0.0.1 does.
var LocalHosts = []provider.AllowedHost{{Host: "127.0.0.1"}}

// Class names the one category a provider error belongs to.
type Class string

// The categories of provider.Provider errors.
const (
	Unauthorized    Class = "ErrUnauthorized"
	Unavailable     Class = "ErrUnavailable"
	InvalidResponse Class = "ErrInvalidResponse"
	InvalidConfig   Class = "ErrInvalidConfig"
	RateLimited     Class = "*RateLimitedError"
	TooMany         Class = "*TooManyEmployeesError"
	Context         Class = "context error"
)

// Classify returns the class of an error from a provider.Factory or Fetch, or a description of why it has
// none: it must wrap exactly one of the provider package's sentinels (or *RateLimitedError, or
// *TooManyEmployeesError); a context
// error may be wrapped along with one, or stand alone.
func Classify(err error) (Class, string) {
	if err == nil {
		return "", "nil error"
	}
	var rl *provider.RateLimitedError
	var tm *provider.TooManyEmployeesError
	found := map[Class]bool{
		TooMany:         errors.As(err, &tm),
		Unauthorized:    errors.Is(err, provider.ErrUnauthorized),
		Unavailable:     errors.Is(err, provider.ErrUnavailable),
		InvalidResponse: errors.Is(err, provider.ErrInvalidResponse),
		InvalidConfig:   errors.Is(err, provider.ErrInvalidConfig),
		RateLimited:     errors.As(err, &rl),
	}
	var classes []string
	var class Class
	for c, ok := range found {
		if ok {
			classes = append(classes, string(c))
			class = c
		}
	}
	switch {
	case len(classes) == 1:
		return class, ""
	case len(classes) == 0 && (errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)):
		return Context, ""
	case len(classes) == 0:
		return "", "wraps none of the provider sentinels: " + err.Error()
	default:
		return "", "wraps several provider sentinels (" + strings.Join(classes, ", ") + "): " + err.Error()
	}
}

// AllocatedBy returns the bytes f allocated on the heap: the process's, so a test's own server counts
// too. The memory bounds of issue 21 (no provider-supplied size sizes an allocation) are asserted with it.
func AllocatedBy(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// DisplayName is the display name the specification gives an employee whose names are already clean
// (as fakehr.Generate makes them): the preferred name, else the first name, then the last name. It is
// written here, apart from provider.DisplayName, so that tests comparing a fetch with a generated
// company do not take their expectation from the code under test.
func DisplayName(preferred, first, last string) string {
	given := preferred
	if given == "" {
		given = first
	}
	switch {
	case given == "":
		return last
	case last == "":
		return given
	}
	return given + " " + last
}

// Affiliation is what a location, division or company with id and name becomes: the name stands in
// for a missing id; nothing at all is the zero Affiliation.
func Affiliation(id, name string) provider.Affiliation {
	if id == "" {
		id = name
	}
	return provider.Affiliation{ID: id, Name: name}
}
