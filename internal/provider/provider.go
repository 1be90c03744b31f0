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

// Package provider is the small, Kubernetes-free interface between the Directory controller and an
// HR system's API. Each HR system has its own package below this one, with an importable fake server.
package provider

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"time"
)

// Provider reads one HR account.
type Provider interface {
	// Fetch returns every employee (leavers included) that Config.Claim did not take, and every
	// department, or an error. It is all or nothing: a partial list is never returned, because the
	// caller deletes what is missing.
	Fetch(ctx context.Context) (*Snapshot, error)
}

// Config is what a Factory needs to build a Provider for one sync. It lives for one sync only.
type Config struct {
	// BaseURL overrides the provider's default base URL; nil means the production URL. Its host must be
	// one of the provider's known hosts (over https, on port 443) or match AllowedHosts, or the Factory
	// fails with an *EndpointNotAllowedError (see CheckEndpointHost).
	BaseURL *url.URL
	// AllowedHosts are the hosts beyond the provider's own that BaseURL may name: the manager's
	// --allowed-endpoint-hosts.
	AllowedHosts []AllowedHost
	// APIKey is the account's API key. Never log it, wrap it into an error or keep it past the sync.
	APIKey string
	// HTTPClient makes every request; NewHTTPClient builds the one the manager uses.
	HTTPClient *http.Client
	// Now is the clock used for date-based state (e.g. a leaving date that has passed); nil means time.Now.
	Now func() time.Time
	// Progress, when not nil, is told how many pages (or responses) the fetch has read, of how many
	// (total 0 when unknown). It must be cheap; it is called on the fetching goroutine.
	Progress func(done, total int)
	// Claim, when not nil, lets the caller take employees off the Snapshot as they are read, so that it
	// never holds a second copy of data it already has (the operator's cache holds most employees'
	// DirectoryUsers, up to date). What it means for a provider, including a new one:
	//
	//   - offer every employee the listing returns to Claim exactly once, when it is complete (mapped to
	//     the allowlisted fields, its line manager resolved): as its page arrives, or after the whole
	//     listing when its manager must be looked up in it;
	//   - leave out of Snapshot.Employees every employee Claim returned true for, and keep every other:
	//     with a Claim, a Snapshot is "every employee not claimed", and the caller reads it together
	//     with what it claimed;
	//   - still check ids (none empty, none twice) among the employees it returns; the caller checks
	//     them across both;
	//   - call Claim on the fetching goroutine. Claim must not keep the pointer, and it sees employees of
	//     a fetch that may still fail: the caller only takes note, and acts once Fetch has returned.
	//
	// Without a Claim (nil), the Snapshot holds every employee. Unclaimed does the filtering for a
	// provider that reads the whole listing first; TestProvidersOfferEveryEmployeeToTheClaim in
	// controllers/directory checks every registered provider against this contract.
	Claim func(*Employee) bool
	// MaxEmployees is the most employees (leavers included) the fetch may read; 0 means
	// DefaultMaxEmployees. A provider stops reading once the account lists more (a count it declares,
	// or the rows it has read) and returns a *TooManyEmployeesError, so that no account can make the
	// operator hold more than this in memory.
	MaxEmployees int
}

// DefaultMaxEmployees is Config.MaxEmployees when it is unset: the manager's --max-users-per-directory default.
const DefaultMaxEmployees = 100_000

// EmployeeLimit is c.MaxEmployees, or DefaultMaxEmployees when it is not positive.
func (c Config) EmployeeLimit() int {
	if c.MaxEmployees <= 0 {
		return DefaultMaxEmployees
	}
	return c.MaxEmployees
}

// Unclaimed offers each employee to claim (nil: none is claimed) and returns the others in a new slice,
// so that the whole listing's memory can go once the caller drops it.
func Unclaimed(emps []Employee, claim func(*Employee) bool) []Employee {
	if claim == nil {
		return emps
	}
	var out []Employee
	for i := range emps {
		if !claim(&emps[i]) {
			out = append(out, emps[i])
		}
	}
	if out == nil {
		out = []Employee{}
	}
	return out
}

// Clock returns c.Now, or time.Now when it is unset.
func (c Config) Clock() func() time.Time {
	if c.Now == nil {
		return time.Now
	}
	return c.Now
}

// Factory builds a Provider from a Config.
type Factory func(Config) (Provider, error)

// Employee is one person, provider-neutral, holding only the allowlisted fields.
type Employee struct {
	// ExternalID is the provider's id for the employee, as text, exactly as the provider sent it.
	ExternalID string
	Email      string
	FirstName  string
	LastName   string
	// DisplayName is the preferred name (or, without one, the first name) followed by the last name: "Bob Smith".
	DisplayName string
	// PreferredName is the name the employee goes by (Breathe HR known_as, Access People HR KnownAs), or "".
	PreferredName string
	JobTitle      string
	// Active is the provider's status mapped to dirsync's Active/Inactive by the provider package.
	Active bool
	// EmploymentStatus is the provider's own status text.
	EmploymentStatus string
	// DepartmentIDs are the ExternalIDs of the departments the employee belongs to (zero or one today).
	DepartmentIDs []string
	// ManagerExternalID is the line manager's ExternalID, or empty.
	ManagerExternalID string
	// ManagerEmail is the line manager's work e-mail as the provider sent it with this employee (Access People
	// HR ReportsToEmailAddress, Breathe HR line_manager.email), or "".
	ManagerEmail string
	// StartDate and EndDate are YYYY-MM-DD or empty.
	StartDate string
	EndDate   string
	// EmploymentType is the provider's own text (Breathe HR full_or_part_time, Access People HR
	// EmploymentType), e.g. "Full Time"; "" when absent.
	EmploymentType string
	// Location is where the employee works (Breathe HR location, Access People HR Location).
	Location Affiliation
	// Division is the employee's division (Breathe HR only).
	Division Affiliation
	// Company is the legal entity that employs them (Access People HR Company only).
	Company Affiliation
}

// Affiliation is an organisational unit an employee belongs to, such as a location, division or company.
// ID is the provider's id for it, or its white-space-normalised name where the provider has no id; both
// are empty when the provider sent nothing.
type Affiliation struct {
	ID   string
	Name string
}

// IsZero reports whether the provider sent nothing.
func (a Affiliation) IsZero() bool { return a.ID == "" && a.Name == "" }

// Department is one department, provider-neutral.
type Department struct {
	// ExternalID is the provider's id for the department (Access People HR: its normalised name).
	ExternalID string
	// Name is the department's display name.
	Name string
}

// Snapshot is a complete read of one HR account.
type Snapshot struct {
	// Employees are every employee the provider returned, except those Config.Claim took (see there).
	Employees   []Employee
	Departments []Department
	// Requests is how many HTTP requests the fetch made, and Bytes how many response-body bytes it read.
	Requests int
	Bytes    int64
}

// Sentinel errors. Providers wrap them (fmt.Errorf("...: %w", ErrUnavailable)) with a short, sanitised
// text that never includes the API key, request headers or more than a short excerpt of a response body.
// Every error a Factory or Fetch returns wraps exactly one of ErrUnauthorized, ErrUnavailable,
// ErrInvalidResponse, ErrInvalidConfig, *RateLimitedError or *TooManyEmployeesError, or is the
// caller's context error.
var (
	// ErrUnauthorized: the provider rejected the API key (HTTP 401/403, or an invalid-key error envelope), or
	// the key is malformed (empty, white space inside) so that no request was sent.
	ErrUnauthorized = errors.New("the provider rejected the API key")
	// ErrUnavailable: the provider could not be reached, timed out or answered with a server error.
	ErrUnavailable = errors.New("the provider is unavailable")
	// ErrInvalidResponse: the provider answered with something that is not a complete, well-formed directory.
	ErrInvalidResponse = errors.New("the provider sent an invalid response")
	// ErrInvalidConfig: the configuration cannot work, other than the API key (ErrUnauthorized covers a
	// malformed key), e.g. a base URL the provider cannot use. No request was sent.
	ErrInvalidConfig = errors.New("the provider configuration is invalid")
)

// RateLimitedError is returned when the provider throttled the client (HTTP 429 or a throttling envelope).
type RateLimitedError struct {
	// RetryAfter is the wait the provider asked for; zero when it did not say.
	RetryAfter time.Duration
}

func (e *RateLimitedError) Error() string {
	if e.RetryAfter > 0 {
		return fmt.Sprintf("the provider is rate limiting requests; it asked to retry after %s", e.RetryAfter)
	}
	return "the provider is rate limiting requests"
}

// TooManyEmployeesError is returned when the account lists more employees than Config.MaxEmployees:
// the fetch stopped reading there, and nothing of it may be used.
type TooManyEmployeesError struct {
	// Limit is the Config's employee limit.
	Limit int
}

func (e *TooManyEmployeesError) Error() string {
	return fmt.Sprintf("the account lists more than %d employees, the most one Directory may hold", e.Limit)
}
