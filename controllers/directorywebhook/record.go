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

package directorywebhook

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"

	dirsyncv1alpha1 "github.com/dirsync/dirsync/api/v1alpha1"
)

// The record is what a webhook's receiver has been told, per person and group: the webhook compares it
// with what the Directory holds now to derive the events still owed (plan.go). It is kept in memory and
// written to the webhook's DirectoryWebhookRecords (store.go) in shards of this encoding.
//
// Two rules make it safe across a crash:
//   - an event is sent only after the record written to the API server marks its object unsure
//     (entry.unsure), with the groups whose membership it touches (entry.doubt) and its sequence numbers
//     reserved (entry.seq already past them);
//   - acknowledged events update the record in memory, which is written at most a moment later.
//
// So whatever the API server holds was true at some instant, except that an unsure object may have been
// told more than it says. After a restart an unsure object is told again in full, with fresh sequence
// numbers: an object that changed A → B (told, not yet recorded) → A is told A again, where a record
// without the mark would say "A, nothing to send" and the receiver would keep B.

// objectKind says whether a record entry or an event's sequence belongs to a person or a group.
type objectKind uint8

const (
	kindUser objectKind = iota
	kindGroup
)

// entry is what the receiver has been told about one person or group.
type entry struct {
	// idpID is the HR system's id (user events after the object is gone still carry it).
	idpID string
	// name and typ are a group's name and type, for its deletion event.
	name, typ string
	// hash is the content hash of the state last told (userHash or groupHash).
	hash uint64
	// seq is the sequence number of the object's next event. It only grows: event ids never repeat.
	seq uint32
	// told is whether the receiver has been told the object exists (a created event was acknowledged).
	told bool
	// active is the user state last told.
	active bool
	// groups are the groups the receiver has been told the person belongs to, sorted.
	groups []string
	// unsure: events were sent whose acknowledgement the record may lack; the next batch tells the
	// object's whole state again, and every group in doubt.
	unsure bool
	// doubt are the groups (of a person) whose membership an unsure batch touched, sorted.
	doubt []string
}

// record is a webhook's record, keyed by object name per kind (a person and a group may share a name).
type record struct {
	users  map[string]*entry
	groups map[string]*entry
}

func newRecord() *record {
	return &record{users: map[string]*entry{}, groups: map[string]*entry{}}
}

// of returns the entry map of kind k.
func (r *record) of(k objectKind) map[string]*entry {
	if k == kindGroup {
		return r.groups
	}
	return r.users
}

// told counts the people and groups the receiver knows of.
func (r *record) told() (users, groups int) {
	for _, e := range r.users {
		if e.told {
			users++
		}
	}
	for _, e := range r.groups {
		if e.told {
			groups++
		}
	}
	return users, groups
}

// begin marks b's object unsure before b is sent: its sequence numbers are reserved and the groups its
// events touch are in doubt. It creates the entry of a new object.
func (r *record) begin(b *batch) {
	m := r.of(b.kind)
	e := m[b.key]
	if e == nil {
		e = &entry{}
		m[b.key] = e
	}
	e.unsure = true
	e.seq = b.events[len(b.events)-1].seq + 1
	for i := range b.events {
		if g := b.events[i].group; g != "" {
			e.doubt = addSorted(e.doubt, g)
		}
	}
}

// ack applies an acknowledged (or, for types not delivered, skipped) event to the record.
func (r *record) ack(ev *event) {
	m := r.of(ev.kind)
	e := m[ev.key]
	if e == nil {
		e = &entry{}
		m[ev.key] = e
	}
	switch ev.typ {
	case dirsyncv1alpha1.EventUserCreated, dirsyncv1alpha1.EventUserUpdated, dirsyncv1alpha1.EventGroupCreated, dirsyncv1alpha1.EventGroupUpdated:
		e.told, e.hash, e.active, e.idpID = true, ev.hash, ev.active, ev.idpID
		e.name, e.typ = ev.name, ev.groupType
	case dirsyncv1alpha1.EventGroupUserAdded:
		e.groups = addSorted(e.groups, ev.group)
	case dirsyncv1alpha1.EventGroupUserRemoved:
		e.groups = removeSorted(e.groups, ev.group)
	case dirsyncv1alpha1.EventUserDeleted, dirsyncv1alpha1.EventGroupDeleted:
		delete(m, ev.key)
	}
}

// finish ends b after every event was acknowledged: its object is no longer unsure.
func (r *record) finish(b *batch) {
	if e := r.of(b.kind)[b.key]; e != nil {
		e.unsure, e.doubt = false, nil
	}
}

// baseline records the current state as told without telling it (spec.initial None).
func (r *record) baseline(c current) {
	for name, g := range c.groups {
		f := groupFields(g.obj)
		r.groups[name] = &entry{idpID: f.IdpID, name: f.Name, typ: f.Type, hash: g.hash, told: true}
	}
	for name, u := range c.users {
		r.users[name] = &entry{idpID: u.obj.Spec.ExternalID, hash: u.hash, told: true, active: u.active, groups: slices.Clone(u.groups)}
	}
}

func addSorted(s []string, v string) []string {
	i, found := slices.BinarySearch(s, v)
	if found {
		return s
	}
	return slices.Insert(s, i, v)
}

func removeSorted(s []string, v string) []string {
	i, found := slices.BinarySearch(s, v)
	if !found {
		return s
	}
	return slices.Delete(s, i, i+1)
}

// shardOf is the shard of an object among n: by a hash of its kind and name, so it never moves while n
// stays the same.
func shardOf(k objectKind, name string, n int) int {
	h := fnv.New32a()
	_, _ = h.Write([]byte{byte(k)})
	_, _ = h.Write([]byte(name))
	return int(h.Sum32() % uint32(n))
}

// shardCapacity is how many entries one shard is sized for. A person's line takes about 30 bytes once
// compressed, so a shard stays near 128 KiB, far below an object's limit (1.5 MiB in etcd), and a
// change rewrites only its own shard.
const shardCapacity = 4096

// shardsFor is how many shards a record of n entries needs: a power of two, at least have (a record
// never shrinks its layout while it runs: shrinking would move every entry for nothing).
func shardsFor(n, have int) int {
	s := max(have, 1)
	for s*shardCapacity < n {
		s *= 2
	}
	return s
}

// recordHeader starts every shard's text, naming the encoding's version.
const recordHeader = "dirsync-webhook-record 1"

// encodeShards writes the shards of n that want names, each as gzip-compressed lines sorted by kind and name:
//
//	u <name> <idp id> <seq> <hash> <flags> <groups> <doubt>
//	g <name> <idp id> <seq> <hash> <flags> <group name> <group type>
//
// separated by tabs, with the idp id and group name query-escaped, groups comma-separated, and flags
// made of t (told), a (active) and u (unsure), or "-". One pass over the record buckets every entry;
// the compressor is reused (a gzip writer allocates about a megabyte of tables).
func encodeShards(r *record, n int, want map[int]bool) map[int]shard {
	type ref struct {
		k    objectKind
		name string
		e    *entry
	}
	buckets := make(map[int][]ref, len(want))
	for _, k := range []objectKind{kindUser, kindGroup} {
		for name, e := range r.of(k) {
			if i := shardOf(k, name, n); want[i] {
				buckets[i] = append(buckets[i], ref{k, name, e})
			}
		}
	}
	zw := gzipWriters.Get().(*gzip.Writer)
	defer gzipWriters.Put(zw)
	out := make(map[int]shard, len(want))
	var line []byte
	for i := range want {
		refs := buckets[i]
		slices.SortFunc(refs, func(a, b ref) int {
			if a.k != b.k {
				return int(a.k) - int(b.k)
			}
			return strings.Compare(a.name, b.name)
		})
		var buf bytes.Buffer
		zw.Reset(&buf)
		_, _ = io.WriteString(zw, recordHeader+"\n")
		for _, x := range refs {
			line = appendEntry(line[:0], x.k, x.name, x.e)
			_, _ = zw.Write(line)
		}
		_ = zw.Close()
		out[i] = shard{data: buf.Bytes(), entries: len(refs)}
	}
	return out
}

// gzipWriters are the encoder's compressors.
var gzipWriters = sync.Pool{New: func() any {
	zw, _ := gzip.NewWriterLevel(io.Discard, gzip.BestSpeed)
	return zw
}}

// shard is one encoded shard.
type shard struct {
	data    []byte
	entries int
}

// appendEntry appends one entry's line, newline included.
func appendEntry(b []byte, k objectKind, name string, e *entry) []byte {
	if k == kindGroup {
		b = append(b, 'g')
	} else {
		b = append(b, 'u')
	}
	b = append(append(b, '\t'), name...)
	b = append(append(b, '\t'), url.QueryEscape(e.idpID)...)
	b = strconv.AppendUint(append(b, '\t'), uint64(e.seq), 10)
	b = strconv.AppendUint(append(b, '\t'), e.hash, 16)
	b = append(b, '\t')
	flags := len(b)
	if e.told {
		b = append(b, 't')
	}
	if e.active {
		b = append(b, 'a')
	}
	if e.unsure {
		b = append(b, 'u')
	}
	if len(b) == flags {
		b = append(b, '-')
	}
	if k == kindGroup {
		b = append(append(b, '\t'), url.QueryEscape(e.name)...)
		b = append(append(b, '\t'), url.QueryEscape(e.typ)...)
	} else {
		b = appendList(append(b, '\t'), e.groups)
		b = appendList(append(b, '\t'), e.doubt)
	}
	return append(b, '\n')
}

func appendList(b []byte, items []string) []byte {
	for i, s := range items {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, s...)
	}
	return b
}

// errBadRecord is wrapped by decodeShard's errors.
var errBadRecord = errors.New("the webhook's record is not in a format this version reads")

// decodeShard adds the entries of one shard's data to r.
func decodeShard(r *record, data []byte) error {
	zr, err := gzip.NewReader(bytes.NewReader(data))
	if err != nil {
		return fmt.Errorf("%w: %w", errBadRecord, err)
	}
	sc := bufio.NewScanner(zr)
	sc.Buffer(make([]byte, 64<<10), 16<<20)
	if !sc.Scan() || sc.Text() != recordHeader {
		return fmt.Errorf("%w: no %q header", errBadRecord, recordHeader)
	}
	line := 1
	for sc.Scan() {
		line++
		if err := decodeEntry(r, sc.Text()); err != nil {
			return fmt.Errorf("%w: line %d: %w", errBadRecord, line, err)
		}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("%w: %w", errBadRecord, err)
	}
	return nil
}

func decodeEntry(r *record, line string) error {
	f := strings.Split(line, "\t")
	if len(f) != 8 || (f[0] != "u" && f[0] != "g") || f[1] == "" {
		return errors.New("not an entry")
	}
	e := &entry{}
	var err error
	if e.idpID, err = url.QueryUnescape(f[2]); err != nil {
		return err
	}
	seq, err := strconv.ParseUint(f[3], 10, 32)
	if err != nil {
		return err
	}
	if e.hash, err = strconv.ParseUint(f[4], 16, 64); err != nil {
		return err
	}
	e.seq = uint32(seq)
	e.told, e.active, e.unsure = strings.Contains(f[5], "t"), strings.Contains(f[5], "a"), strings.Contains(f[5], "u")
	if f[0] == "g" {
		if e.name, err = url.QueryUnescape(f[6]); err != nil {
			return err
		}
		if e.typ, err = url.QueryUnescape(f[7]); err != nil {
			return err
		}
		r.groups[f[1]] = e
		return nil
	}
	e.groups, e.doubt = splitList(f[6]), splitList(f[7])
	r.users[f[1]] = e
	return nil
}

func splitList(s string) []string {
	if s == "" {
		return nil
	}
	out := strings.Split(s, ",")
	slices.Sort(out)
	return slices.Compact(out)
}
