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
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/dirsync/dirsync/internal/provider"
)

// listAll reads every page of one listing (resource is "employees" or "departments").
//
// Paging: a Link rel="next" is followed when present (same scheme, host and effective port as the base
// URL only);
// a page whose Link header has other relations but no next is the last one; with no Link header,
// pages are requested by number until one holds fewer items than the page size (the Per-Page header,
// else PerPage). A Total header, when sent, must be the same on every page and equal the final count.
func listAll[T any](ctx context.Context, c *Client, st *stats, resource string, decode func([]byte) ([]T, error)) ([]T, error) {
	var all []T
	err := eachPage(ctx, c, st, resource, decode, func(items []T, _ int) error {
		all = append(all, items...)
		return nil
	})
	return all, err
}

// eachPage reads every page of one listing as listAll does, handing each page's items to each as it is
// read, with the listing's Total header (-1 when none was sent), so that a caller that maps them need
// not hold every decoded page at once. An error from each ends the listing with that error.
func eachPage[T any](ctx context.Context, c *Client, st *stats, resource string, decode func([]byte) ([]T, error), each func(items []T, total int) error) error {
	l := &listing{c: c, resource: resource, first: c.resourceURL(resource, 1), total: -1, visited: map[string]bool{}}
	read := 0
	for n, u := 1, l.first; u != nil; n++ {
		if n > c.maxPages {
			return fmt.Errorf("breathehr: GET %s: more than %d pages: %w", l.first.Path, c.maxPages, provider.ErrInvalidResponse)
		}
		what := fmt.Sprintf("GET %s (page %d)", u.Path, n)
		l.visited[pageKey(u)] = true
		p, err := c.get(ctx, st, u, what)
		if err != nil {
			return err
		}
		var rows int
		if u, rows, err = takePage(l, st, u, n, p, what, decode, each); err != nil {
			return err
		}
		read += rows
	}
	if l.total >= 0 && l.total != read {
		return fmt.Errorf("breathehr: GET %s: read %d %s but the Total header says %d: %w",
			l.first.Path, read, resource, l.total, provider.ErrInvalidResponse)
	}
	st.pagesBefore = st.pages
	return nil
}

// takePage handles page n of listing l, read from u: it refuses a page of more than MaxPageItems rows
// before decoding it, decodes it, checks its Total header, hands its items to each, reports progress
// and returns the next page's URL (nil after the last) and how many rows the page had. Everything in
// it is a function of the page's body and headers: FuzzEmployeePages feeds it hostile ones.
func takePage[T any](l *listing, st *stats, u *url.URL, n int, p *page, what string, decode func([]byte) ([]T, error),
	each func(items []T, total int) error) (*url.URL, int, error) {
	if rows := longestList(p.body); rows > MaxPageItems {
		return nil, 0, fmt.Errorf("breathehr: %s: the page lists more than %d %s, and the client asked for %d: %w",
			what, MaxPageItems, l.resource, PerPage, provider.ErrInvalidResponse)
	}
	items, err := decode(p.body)
	if err != nil {
		return nil, 0, fmt.Errorf("breathehr: %s: %w: %w", what, err, provider.ErrInvalidResponse)
	}
	if err := l.checkTotal(p.header, what); err != nil {
		return nil, 0, err
	}
	if err := each(items, l.total); err != nil {
		return nil, 0, err
	}
	st.pages++
	l.c.report(st, l.total, p.header)
	next, err := l.next(u, n, p.header, len(items), what)
	return next, len(items), err
}

// report tells the progress listener how many pages the fetch has read, and of how many when the
// current listing's Total header says (the listings before it are counted as read).
func (c *Client) report(st *stats, total int, h http.Header) {
	if c.progress == nil {
		return
	}
	expected := 0
	if total >= 0 {
		size := pageSize(h)
		pages := total / size // total + size - 1 could overflow: Total is the provider's number
		if total%size != 0 {
			pages++
		}
		expected = st.pagesBefore + min(max(1, pages), c.maxPages)
	}
	c.progress(st.pages, expected)
}

// pageSize is the page size the Per-Page header says, between 1 and the PerPage the client asked for:
// a larger value would make a full page look like the last one, and lose every page after it.
func pageSize(h http.Header) int {
	if pp, ok, err := headerInt(h, "Per-Page"); err == nil && ok && pp > 0 {
		return min(pp, PerPage)
	}
	return PerPage
}

// listing is the paging state of one listAll.
type listing struct {
	c        *Client
	resource string
	first    *url.URL
	total    int // the Total header, -1 until one is seen
	visited  map[string]bool
}

// checkTotal records the page's Total header and fails when it is malformed or differs from an earlier page's.
func (l *listing) checkTotal(h http.Header, what string) error {
	t, ok, err := headerInt(h, "Total")
	switch {
	case err != nil:
		return fmt.Errorf("breathehr: %s: the Total header is not a number: %w", what, provider.ErrInvalidResponse)
	case !ok:
		return nil
	case l.total >= 0 && t != l.total:
		return fmt.Errorf("breathehr: %s: the Total header changed from %d to %d during the listing: %w",
			what, l.total, t, provider.ErrInvalidResponse)
	}
	l.total = t
	return nil
}

// next returns the URL of the page after page n (at cur, holding items rows), or nil when n was the last.
func (l *listing) next(cur *url.URL, n int, h http.Header, items int, what string) (*url.URL, error) {
	links, hasLinks := parseLinks(h.Values("Link"))
	if ref, ok := links["next"]; ok {
		nu, err := l.c.nextURL(cur, ref)
		if err != nil {
			return nil, fmt.Errorf("breathehr: %s: %w: %w", what, err, provider.ErrInvalidResponse)
		}
		if l.visited[pageKey(nu)] {
			return nil, fmt.Errorf("breathehr: %s: the next-page link repeats a page already read: %w", what, provider.ErrInvalidResponse)
		}
		return nu, nil
	}
	if hasLinks {
		return nil, nil // the server paginates with links and sent no next: this is the last page
	}
	if items < pageSize(h) {
		return nil, nil
	}
	return l.c.resourceURL(l.resource, n+1), nil
}

// resourceURL is the URL of page n of a listing: the base URL's path plus /resource.
func (c *Client) resourceURL(resource string, n int) *url.URL {
	u := *c.base
	u.Path = c.base.Path + "/" + resource
	u.RawQuery = url.Values{"page": {strconv.Itoa(n)}, "per_page": {strconv.Itoa(PerPage)}}.Encode()
	return &u
}

// nextURL resolves a next-page link against the current page's URL and refuses one that leaves the base
// URL's origin: the API key must never be sent anywhere else. Breathe's links name the host without a
// port, so https://api.breathehr.com/v1/… is accepted for an endpoint written https://api.breathehr.com:443/v1.
func (c *Client) nextURL(cur *url.URL, ref string) (*url.URL, error) {
	nu, err := cur.Parse(ref)
	if err != nil {
		return nil, fmt.Errorf("the next-page link is not a URL")
	}
	if !provider.SameOrigin(nu, c.base) {
		return nil, fmt.Errorf("the next-page link points to another host, so the API key was not sent there")
	}
	nu.Fragment = ""
	return nu, nil
}

// pageKey identifies a page whatever the spelling of its URL: origin, path and sorted query.
func pageKey(u *url.URL) string {
	return provider.Origin(u) + u.EscapedPath() + "?" + u.Query().Encode()
}

// headerInt reads a non-negative integer header; ok is false when the header is absent.
func headerInt(h http.Header, name string) (v int, ok bool, err error) {
	s := strings.TrimSpace(h.Get(name))
	if s == "" {
		return 0, false, nil
	}
	v, err = strconv.Atoi(s)
	if err != nil || v < 0 {
		return 0, false, fmt.Errorf("invalid %s header", name)
	}
	return v, true, nil
}

// parseLinks parses RFC 8288 Link header values into relation → target. found reports whether at least
// one well-formed link was present. Malformed input ends the parse; it never panics.
func parseLinks(values []string) (rels map[string]string, found bool) {
	rels = map[string]string{}
	for _, v := range values {
		for {
			v = strings.TrimLeft(v, " \t,")
			if v == "" || v[0] != '<' {
				break
			}
			end := strings.IndexByte(v, '>')
			if end < 0 {
				break
			}
			target := strings.TrimSpace(v[1:end])
			v = v[end+1:]
			var params map[string]string
			params, v = parseLinkParams(v)
			found = true
			for _, rel := range strings.Fields(params["rel"]) {
				rel = strings.ToLower(rel)
				if _, seen := rels[rel]; !seen {
					rels[rel] = target
				}
			}
		}
	}
	return rels, found
}

// parseLinkParams reads `; name=value` or `; name="quoted value"` pairs up to the next link (a comma
// outside quotes) and returns them with the rest of the input.
func parseLinkParams(v string) (map[string]string, string) {
	params := map[string]string{}
	for {
		v = strings.TrimLeft(v, " \t")
		if v == "" || v[0] != ';' {
			return params, v
		}
		v = strings.TrimLeft(v[1:], " \t")
		i := strings.IndexAny(v, "=;,")
		if i < 0 {
			params[strings.ToLower(strings.TrimSpace(v))] = ""
			return params, ""
		}
		name := strings.ToLower(strings.TrimSpace(v[:i]))
		val := ""
		if v[i] == '=' {
			val, v = cutParamValue(strings.TrimLeft(v[i+1:], " \t"))
		} else {
			v = v[i:]
		}
		if _, dup := params[name]; !dup {
			params[name] = val
		}
	}
}

// cutParamValue reads one parameter value, a quoted string (backslash escapes honoured) or a token,
// and returns it with the rest of the input.
func cutParamValue(v string) (string, string) {
	if !strings.HasPrefix(v, `"`) {
		k := strings.IndexAny(v, ";,")
		if k < 0 {
			k = len(v)
		}
		return strings.TrimSpace(v[:k]), v[k:]
	}
	var b strings.Builder
	j := 1
	for ; j < len(v) && v[j] != '"'; j++ {
		if v[j] == '\\' && j+1 < len(v) {
			j++
		}
		b.WriteByte(v[j])
	}
	if j < len(v) {
		j++ // the closing quote
	}
	return b.String(), v[j:]
}
