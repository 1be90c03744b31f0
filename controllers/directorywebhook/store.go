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
	"context"
	"fmt"
	"slices"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	dirsyncv1alpha1 "github.com/dirsync/dirsync/api/v1alpha1"
)

// recordStore keeps a webhook's record in DirectoryWebhookRecords: shards named
// <webhook>-<uid prefix>-<layout>-<shard>, controlled by the webhook (garbage collection deletes them
// with it) and labelled dirsync.io/webhook. They are read uncached, once, when a worker starts, and
// written by the worker alone; the manager's cache never holds them.
//
// Each write is one shard: an object's entry lives in exactly one shard of a layout, so every shard
// holds, for its objects, the state of some moment, and no object ever goes back in time. When the
// record outgrows its layout, every shard of the next layout is created before the old ones are deleted;
// a reader takes the newest complete layout, so a crash in between finds one.
type recordStore struct {
	writer client.Client
	reader client.Reader
	owner  metav1.OwnerReference
	key    types.NamespacedName // the webhook's

	layout int32
	shards int
	// written is each shard's last written object, by index, to skip unchanged data and update in place.
	written map[int]*dirsyncv1alpha1.DirectoryWebhookRecord
}

func newRecordStore(writer client.Client, reader client.Reader, w *dirsyncv1alpha1.DirectoryWebhook) *recordStore {
	return &recordStore{writer: writer, reader: reader, key: client.ObjectKeyFromObject(w),
		owner: metav1.OwnerReference{APIVersion: dirsyncv1alpha1.GroupVersion.String(), Kind: "DirectoryWebhook", Name: w.Name, UID: w.UID,
			Controller: ptr.To(true), BlockOwnerDeletion: ptr.To(true)},
		written: map[int]*dirsyncv1alpha1.DirectoryWebhookRecord{}}
}

// name is the object name of shard i of layout.
func (s *recordStore) name(layout int32, i int) string {
	uid := string(s.owner.UID)
	return fmt.Sprintf("%s-%s-%d-%d", s.key.Name, uid[:min(8, len(uid))], layout, i)
}

// load reads the record: the newest complete layout of the webhook's shards. fresh is true when there
// is none at all (a new webhook). Shards of other layouts are deleted.
func (s *recordStore) load(ctx context.Context) (rec *record, fresh bool, err error) {
	var list dirsyncv1alpha1.DirectoryWebhookRecordList
	if err := s.reader.List(ctx, &list, client.InNamespace(s.key.Namespace), client.MatchingLabels{dirsyncv1alpha1.LabelWebhook: s.key.Name}); err != nil {
		return nil, false, fmt.Errorf("listing DirectoryWebhookRecords: %w", err)
	}
	byLayout := map[int32]map[int32]*dirsyncv1alpha1.DirectoryWebhookRecord{}
	for i := range list.Items {
		o := &list.Items[i]
		if !isControlledBy(o, s.owner.UID) {
			continue
		}
		if byLayout[o.Spec.Layout] == nil {
			byLayout[o.Spec.Layout] = map[int32]*dirsyncv1alpha1.DirectoryWebhookRecord{}
		}
		byLayout[o.Spec.Layout][o.Spec.Shard] = o
	}
	layouts := slices.Sorted(func(yield func(int32) bool) {
		for l := range byLayout {
			if !yield(l) {
				return
			}
		}
	})
	rec = newRecord()
	for _, l := range slices.Backward(layouts) {
		if shards := byLayout[l]; complete(shards) {
			for i, o := range shards {
				if err := decodeShard(rec, o.Spec.Data); err != nil {
					return nil, false, fmt.Errorf("reading DirectoryWebhookRecord %s: %w", o.Name, err)
				}
				s.written[int(i)] = o
			}
			s.layout, s.shards = l, len(shards)
			delete(byLayout, l)
			break
		}
	}
	fresh = s.layout == 0
	for _, shards := range byLayout {
		for _, o := range shards {
			if err := s.writer.Delete(ctx, o, client.Preconditions{UID: &o.UID}); client.IgnoreNotFound(err) != nil {
				return nil, false, fmt.Errorf("deleting the stale DirectoryWebhookRecord %s: %w", o.Name, err)
			}
		}
	}
	return rec, fresh, nil
}

// complete reports whether shards holds every shard its objects say the layout has.
func complete(shards map[int32]*dirsyncv1alpha1.DirectoryWebhookRecord) bool {
	for _, o := range shards {
		return int(o.Spec.Shards) == len(shards)
	}
	return false
}

func isControlledBy(o client.Object, uid types.UID) bool {
	ref := metav1.GetControllerOf(o)
	return ref != nil && ref.UID == uid
}

// flushPlan is one write of the record, prepared while the record is locked and carried out after.
type flushPlan struct {
	layout int32
	n      int
	shards map[int]shard
	// relayout is true when the shards are a new layout, after which the previous one is deleted.
	relayout bool
}

// prepare encodes the shards that hold a dirty object (qualified names), or, when the record has
// outgrown its layout (or has none yet), every shard of the next layout.
func (s *recordStore) prepare(rec *record, dirty map[string]bool) *flushPlan {
	entries := len(rec.users) + len(rec.groups)
	if n := shardsFor(entries, s.shards); s.layout == 0 || n != s.shards {
		all := map[int]bool{}
		for i := range n {
			all[i] = true
		}
		return &flushPlan{layout: s.layout + 1, n: n, shards: encodeShards(rec, n, all), relayout: true}
	}
	want := map[int]bool{}
	for q := range dirty {
		k, name := kindUser, q[2:]
		if q[0] == 'g' {
			k = kindGroup
		}
		want[shardOf(k, name, s.shards)] = true
	}
	return &flushPlan{layout: s.layout, n: s.shards, shards: encodeShards(rec, s.shards, want)}
}

// commit writes what prepare encoded; a new layout is complete before the previous one is deleted.
func (s *recordStore) commit(ctx context.Context, fp *flushPlan) error {
	if !fp.relayout {
		for i, sh := range fp.shards {
			if err := s.write(ctx, fp.layout, fp.n, i, sh); err != nil {
				return err
			}
		}
		return nil
	}
	old := s.written
	s.written = map[int]*dirsyncv1alpha1.DirectoryWebhookRecord{}
	for i, sh := range fp.shards {
		if err := s.write(ctx, fp.layout, fp.n, i, sh); err != nil {
			s.written = old
			return err
		}
	}
	s.layout, s.shards = fp.layout, fp.n
	for _, o := range old {
		if err := s.writer.Delete(ctx, o, client.Preconditions{UID: &o.UID}); client.IgnoreNotFound(err) != nil {
			return fmt.Errorf("deleting the previous layout's DirectoryWebhookRecord %s: %w", o.Name, err)
		}
	}
	return nil
}

// write creates or updates shard i of layout's n, unless it already holds sh.
func (s *recordStore) write(ctx context.Context, layout int32, n, i int, sh shard) error {
	prev := s.written[i]
	if prev != nil && prev.Spec.Layout == layout && bytes.Equal(prev.Spec.Data, sh.data) {
		return nil
	}
	o := &dirsyncv1alpha1.DirectoryWebhookRecord{
		ObjectMeta: metav1.ObjectMeta{Namespace: s.key.Namespace, Name: s.name(layout, i),
			Labels: map[string]string{dirsyncv1alpha1.LabelWebhook: s.key.Name}, OwnerReferences: []metav1.OwnerReference{s.owner}},
		Spec: dirsyncv1alpha1.DirectoryWebhookRecordSpec{Layout: layout, Shards: int32(n), Shard: int32(i), Entries: int32(sh.entries), Data: sh.data},
	}
	var err error
	if prev != nil && prev.Spec.Layout == layout {
		o.ResourceVersion = prev.ResourceVersion
		err = s.writer.Update(ctx, o)
		if apierrors.IsConflict(err) || apierrors.IsNotFound(err) { // changed or deleted by someone else: ours wins
			err = s.overwrite(ctx, o)
		}
	} else {
		err = s.writer.Create(ctx, o)
		if apierrors.IsAlreadyExists(err) {
			err = s.overwrite(ctx, o)
		}
	}
	if err != nil {
		return fmt.Errorf("writing DirectoryWebhookRecord %s: %w", o.Name, err)
	}
	s.written[i] = o
	return nil
}

// overwrite writes o whatever the object of its name holds now: the record is the operator's alone.
func (s *recordStore) overwrite(ctx context.Context, o *dirsyncv1alpha1.DirectoryWebhookRecord) error {
	cur := &dirsyncv1alpha1.DirectoryWebhookRecord{}
	switch err := s.reader.Get(ctx, client.ObjectKeyFromObject(o), cur); {
	case apierrors.IsNotFound(err):
		o.ResourceVersion = ""
		return s.writer.Create(ctx, o)
	case err != nil:
		return err
	}
	o.ResourceVersion = cur.ResourceVersion
	return s.writer.Update(ctx, o)
}
