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

package directory

import (
	"fmt"
	"slices"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	dirsyncv1alpha1 "github.com/dirsync/dirsync/api/v1alpha1"
)

func idUser(name, email string) *dirsyncv1alpha1.DirectoryUser {
	return &dirsyncv1alpha1.DirectoryUser{ObjectMeta: metav1.ObjectMeta{Name: name}, Spec: dirsyncv1alpha1.DirectoryUserSpec{Email: email}}
}

// An id HR changed (the person leaves under the old id and joins under the new one in the same sync)
// is written as a deletion right before the creation, wherever the diff found them.
func TestPairIDChanges(t *testing.T) {
	del := func(name, email string) childOp { return newChildOp(opDelete, nil, idUser(name, email)) }
	create := func(name, email string) childOp { return newChildOp(opCreate, idUser(name, email), nil) }
	update := func(name string) childOp {
		return newChildOp(opUpdate, idUser(name, name+"@x.io"), idUser(name, name+"@x.io"))
	}
	tests := []struct {
		name string
		ops  []childOp
		want []string
	}{
		{name: "the old id's deletion moves next to the new id's creation",
			ops:  []childOp{del("acme-pw1", "Ada@X.io"), update("acme-b"), update("acme-c"), create("acme-pw9", "ada@x.io")},
			want: []string{"update acme-b", "update acme-c", "delete acme-pw1", "create acme-pw9"}},
		{name: "two id changes, each paired with its own",
			ops:  []childOp{del("acme-1", "a@x.io"), del("acme-2", "b@x.io"), update("acme-c"), create("acme-8", "b@x.io"), create("acme-9", "a@x.io")},
			want: []string{"update acme-c", "delete acme-2", "create acme-8", "delete acme-1", "create acme-9"}},
		{name: "a leaver and an unrelated joiner stay where they are",
			ops:  []childOp{del("acme-1", "a@x.io"), update("acme-c"), create("acme-9", "z@x.io")},
			want: []string{"delete acme-1", "update acme-c", "create acme-9"}},
		{name: "no e-mail: nothing to pair on",
			ops:  []childOp{del("acme-1", ""), update("acme-c"), create("acme-9", "")},
			want: []string{"delete acme-1", "update acme-c", "create acme-9"}},
		{name: "one deletion per creation",
			ops:  []childOp{del("acme-1", "a@x.io"), del("acme-2", "a@x.io"), create("acme-9", "a@x.io")},
			want: []string{"delete acme-2", "delete acme-1", "create acme-9"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ops := slices.Clone(tt.ops)
			pairIDChanges(ops)
			var got []string
			for _, o := range ops {
				got = append(got, fmt.Sprintf("%s %s", o.kind, o.name))
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("ops %v, want %v", got, tt.want)
			}
		})
	}
}
