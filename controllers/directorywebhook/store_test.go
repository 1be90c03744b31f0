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
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"
	"sigs.k8s.io/controller-runtime/pkg/client/interceptor"

	dirsyncv1alpha1 "github.com/dirsync/dirsync/api/v1alpha1"
	"github.com/dirsync/dirsync/internal/testenv"
)

// grow adds n people to rec.
func grow(rec *record, from, n int) {
	for i := from; i < from+n; i++ {
		rec.users[fmt.Sprintf("acme-%05d", i)] = &entry{idpID: fmt.Sprint(i), hash: uint64(i) * 7919, seq: 1, told: true, active: true, groups: []string{"acme-eng"}}
	}
}

// The record goes to the API server in shards of a layout; a record that outgrows its layout is written
// whole under the next one before the old one is deleted, so that a crash in between leaves a complete
// layout to read. Shards of another webhook, and partial layouts, are never read.
func TestRecordStore(t *testing.T) {
	ctx := context.Background()
	wh := &dirsyncv1alpha1.DirectoryWebhook{ObjectMeta: metav1.ObjectMeta{Name: "app", Namespace: "hr", UID: "0123456789abcdef"}}
	var failCreate func(name string) bool
	c := fake.NewClientBuilder().WithScheme(testenv.Scheme()).WithInterceptorFuncs(interceptor.Funcs{
		Create: func(ctx context.Context, c client.WithWatch, o client.Object, opts ...client.CreateOption) error {
			if failCreate != nil && failCreate(o.GetName()) {
				return errors.New("the story crashes the operator")
			}
			return c.Create(ctx, o, opts...)
		},
	}).Build()
	load := func() (*record, bool, *recordStore) {
		t.Helper()
		s := newRecordStore(c, c, wh)
		rec, fresh, err := s.load(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return rec, fresh, s
	}
	flush := func(s *recordStore, rec *record) error {
		dirty := map[string]bool{}
		for k := range rec.users {
			dirty[qualified(kindUser, k)] = true
		}
		return s.commit(ctx, s.prepare(rec, dirty))
	}
	objects := func() []string {
		var l dirsyncv1alpha1.DirectoryWebhookRecordList
		if err := c.List(ctx, &l); err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, o := range l.Items {
			out = append(out, fmt.Sprintf("%s:%d/%d:%d", o.Name, o.Spec.Shard, o.Spec.Shards, o.Spec.Entries))
		}
		return out
	}

	rec, fresh, s := load()
	if !fresh || len(rec.users) != 0 {
		t.Fatalf("a new webhook's record: fresh %v, %d people", fresh, len(rec.users))
	}
	grow(rec, 0, 10)
	if err := flush(s, rec); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"app-01234567-1-0:0/1:10"}, objects()); diff != "" {
		t.Errorf("objects (-want +got):\n%s", diff)
	}
	again, fresh, s := load()
	if fresh || !cmp.Equal(rec, again, cmpEntry) {
		t.Fatalf("read back: fresh %v, equal %v", fresh, cmp.Equal(rec, again, cmpEntry))
	}

	grow(again, 10, shardCapacity) // now 4106 people: two shards
	if err := flush(s, again); err != nil {
		t.Fatal(err)
	}
	got := objects()
	if len(got) != 2 || !strings.HasPrefix(got[0], "app-01234567-2-0:0/2:") || !strings.HasPrefix(got[1], "app-01234567-2-1:1/2:") {
		t.Fatalf("after growing: %v", got)
	}

	// A crash while the next layout is written: the complete layout is read, the partial one deleted.
	grow(again, 10+shardCapacity, shardCapacity)
	failCreate = func(name string) bool { return name == "app-01234567-3-2" }
	if err := flush(s, again); err == nil {
		t.Fatal("the crashed write succeeded")
	}
	failCreate = nil
	back, _, _ := load()
	if len(back.users) != 10+shardCapacity {
		t.Errorf("after a crash in the relayout, %d people read; want the complete layout's %d", len(back.users), 10+shardCapacity)
	}
	for _, o := range objects() {
		if !strings.HasPrefix(o, "app-01234567-2-") {
			t.Errorf("%s survived the load", o)
		}
	}

	// A shard someone changed (the operator's next write conflicts) is overwritten: the record is the
	// operator's. (No role of the install lets anyone else write it.)
	var shard dirsyncv1alpha1.DirectoryWebhookRecord
	if err := c.Get(ctx, client.ObjectKey{Namespace: "hr", Name: "app-01234567-2-0"}, &shard); err != nil {
		t.Fatal(err)
	}
	_, _, s = load()
	shard.Spec.Data = encodeShards(newRecord(), 2, map[int]bool{0: true})[0].data // valid, and empty
	if err := c.Update(ctx, &shard); err != nil {
		t.Fatal(err)
	}
	for _, e := range back.users {
		e.seq++
	}
	if err := flush(s, back); err != nil {
		t.Fatal(err)
	}
	if final, _, _ := load(); !cmp.Equal(back, final, cmpEntry) {
		t.Error("the tampered shard was not overwritten")
	}
	// A shard that cannot be read stops the worker (nothing is sent) rather than start afresh, which
	// would forget who must still be told of a deletion.
	if err := c.Get(ctx, client.ObjectKey{Namespace: "hr", Name: "app-01234567-2-0"}, &shard); err != nil {
		t.Fatal(err)
	}
	shard.Spec.Data = []byte("garbage")
	if err := c.Update(ctx, &shard); err != nil {
		t.Fatal(err)
	}
	if _, _, err := newRecordStore(c, c, wh).load(ctx); !errors.Is(err, errBadRecord) {
		t.Errorf("loading an unreadable shard: %v", err)
	}

	// Shards of another webhook of the same name (deleted and created again) are not read.
	other := &dirsyncv1alpha1.DirectoryWebhook{ObjectMeta: metav1.ObjectMeta{Name: "app", Namespace: "hr", UID: "fedcba9876543210"}}
	if rec, fresh, err := newRecordStore(c, c, other).load(ctx); err != nil || !fresh || len(rec.users) != 0 {
		t.Errorf("another webhook's load: fresh %v, %d people, %v", fresh, len(rec.users), err)
	}
}
