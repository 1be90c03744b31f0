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
	"bytes"
	"compress/gzip"
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"

	dirsyncv1alpha1 "github.com/dirsync/dirsync/api/v1alpha1"
)

var cmpEntry = cmp.AllowUnexported(entry{}, record{})

// Every field of an entry survives the encoding, whatever its text (tabs, commas, newlines, non-ASCII).
func TestRecordEncodingRoundTrips(t *testing.T) {
	rec := newRecord()
	rec.users["acme-1"] = &entry{idpID: "PW 1\t,\n%é", hash: 0xdeadbeefcafef00d, seq: 7, told: true, active: true, groups: []string{"acme-eng", "acme-ops"}}
	rec.users["acme-2"] = &entry{idpID: "2", seq: 3, unsure: true, doubt: []string{"acme-eng"}}
	rec.users["acme-3"] = &entry{}
	rec.groups["acme-1"] = &entry{idpID: "Customer Success", name: "Customer\tSuccess, EMEA", typ: "Department", hash: 1, seq: 1, told: true}
	for _, n := range []int{1, 2, 8} {
		all := map[int]bool{}
		for i := range n {
			all[i] = true
		}
		got, entries := newRecord(), 0
		for _, sh := range encodeShards(rec, n, all) {
			entries += sh.entries
			if err := decodeShard(got, sh.data); err != nil {
				t.Fatal(err)
			}
		}
		if entries != 4 {
			t.Errorf("%d shards hold %d entries, want 4", n, entries)
		}
		if diff := cmp.Diff(rec, got, cmpEntry); diff != "" {
			t.Errorf("%d shards: decoded record (-want +got):\n%s", n, diff)
		}
	}
}

func TestDecodeShardRefusesWhatItCannotRead(t *testing.T) {
	for name, data := range map[string][]byte{
		"not gzip":      []byte("u\tacme-1"),
		"no header":     gzipped("u\tacme-1\t1\t0\t0\tt\t\t\n"),
		"a field short": gzipped(recordHeader + "\nu\tacme-1\t1\t0\t0\tt\t\n"),
		"bad seq":       gzipped(recordHeader + "\nu\tacme-1\t1\tx\t0\tt\t\t\n"),
	} {
		if err := decodeShard(newRecord(), data); err == nil {
			t.Errorf("%s: decoded without error", name)
		}
	}
}

func gzipped(s string) []byte {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	_, _ = zw.Write([]byte(s))
	_ = zw.Close()
	return buf.Bytes()
}

// An object stays in its shard while the count does not change, and a record grows by doubling.
func TestShards(t *testing.T) {
	if a, b := shardOf(kindUser, "acme-1", 8), shardOf(kindUser, "acme-1", 8); a != b || a < 0 || a >= 8 {
		t.Errorf("shardOf is not stable: %d, %d", a, b)
	}
	counts := map[int]int{}
	for i := range 8000 {
		counts[shardOf(kindUser, fmt.Sprintf("acme-%d", i), 4)]++
	}
	for i, n := range counts {
		if n < 1700 || n > 2300 {
			t.Errorf("shard %d of 4 holds %d of 8000 people", i, n)
		}
	}
	for _, tc := range []struct{ entries, have, want int }{
		{0, 0, 1}, {4096, 0, 1}, {4097, 0, 2}, {10050, 0, 4}, {100000, 0, 32}, {10, 4, 4}, {9000, 4, 4}, {17000, 4, 8},
	} {
		if got := shardsFor(tc.entries, tc.have); got != tc.want {
			t.Errorf("shardsFor(%d, %d) = %d, want %d", tc.entries, tc.have, got, tc.want)
		}
	}
}

// begin reserves an object's sequence numbers and puts the groups its events touch in doubt; acks
// change the record as each event says; finish clears the doubt once every event is acknowledged.
func TestRecordBeginAckFinish(t *testing.T) {
	rec := newRecord()
	rec.users["acme-1"] = &entry{idpID: "1", hash: 5, seq: 4, told: true, active: true, groups: []string{"acme-old"}}
	b := &batch{kind: kindUser, key: "acme-1", events: []event{
		{typ: dirsyncv1alpha1.EventUserUpdated, kind: kindUser, key: "acme-1", seq: 4, hash: 6, active: false, idpID: "1"},
		{typ: dirsyncv1alpha1.EventGroupUserRemoved, kind: kindUser, key: "acme-1", seq: 5, group: "acme-old"},
		{typ: dirsyncv1alpha1.EventGroupUserAdded, kind: kindUser, key: "acme-1", seq: 6, group: "acme-new"},
	}}
	rec.begin(b)
	want := &entry{idpID: "1", hash: 5, seq: 7, told: true, active: true, groups: []string{"acme-old"}, unsure: true, doubt: []string{"acme-new", "acme-old"}}
	if diff := cmp.Diff(want, rec.users["acme-1"], cmpEntry); diff != "" {
		t.Fatalf("after begin (-want +got):\n%s", diff)
	}
	for i := range b.events {
		rec.ack(&b.events[i])
	}
	rec.finish(b)
	want = &entry{idpID: "1", hash: 6, seq: 7, told: true, groups: []string{"acme-new"}}
	if diff := cmp.Diff(want, rec.users["acme-1"], cmpEntry); diff != "" {
		t.Fatalf("after the acks (-want +got):\n%s", diff)
	}
	rec.ack(&event{typ: dirsyncv1alpha1.EventUserDeleted, kind: kindUser, key: "acme-1"})
	if _, ok := rec.users["acme-1"]; ok {
		t.Error("an acknowledged deletion leaves the entry")
	}
	rec.begin(&batch{kind: kindGroup, key: "acme-new", events: []event{{typ: dirsyncv1alpha1.EventGroupCreated, kind: kindGroup, key: "acme-new", seq: 0}}})
	if e := rec.groups["acme-new"]; e == nil || !e.unsure || e.told || e.seq != 1 {
		t.Errorf("begin of a new group: %+v", e)
	}
}
