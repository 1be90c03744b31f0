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

package directoryaccess

import (
	"crypto/sha256"
	"encoding/hex"
	"slices"
	"strings"

	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/util/sets"

	dirsyncv1alpha1 "github.com/dirsync/dirsync/api/v1alpha1"
)

// Which RoleBindings are this DirectoryAccess's, and what dirsync can vouch for in them. Labels can be
// set by anyone who may write RoleBindings in a namespace, so they prove nothing on their own: a
// RoleBinding is dirsync's only when the DirectoryAccess's status records it (namespace, name and UID)
// and it carries the DirectoryAccess's UID label (or lost its labels, which dirsync puts back). Its
// subjects are dirsync's only while they hash to the digest the status recorded when dirsync wrote them.
// The status is written through the status subresource, which tenants cannot write.

// ownedBinding is a RoleBinding of this DirectoryAccess.
type ownedBinding struct {
	rb *rbacv1.RoleBinding
	// intact is set when its subjects are exactly what dirsync last wrote there (the recorded digest).
	intact bool
}

// record is dirsync's own memory of what it bound, from the DirectoryAccess's status.
type record struct {
	// known is false when the status predates the record (an upgrade from a version without it): no
	// revocation is then held or deferred, since there is nothing to weigh them against.
	known bool
	// bound is status.boundSubjects: every subject dirsync has bound and not yet revoked.
	bound sets.Set[string]
	// bindings are status.bindings by namespace.
	bindings map[string]dirsyncv1alpha1.AccessBinding
}

// recordOf reads the record from acc's status.
func recordOf(acc *dirsyncv1alpha1.DirectoryAccess) record {
	r := record{known: true, bound: sets.New(acc.Status.BoundSubjects...), bindings: map[string]dirsyncv1alpha1.AccessBinding{}}
	for _, b := range acc.Status.Bindings {
		r.bindings[b.Namespace] = b
		if b.Digest == "" && b.UID != "" || b.Digest == "" && acc.Status.BoundSubjects == nil {
			r.known = false // written before the record existed
		}
	}
	return r
}

// sortedBindings is every RoleBinding that claims to be this DirectoryAccess's, sorted out.
type sortedBindings struct {
	owned map[string]ownedBinding // by namespace: at most one per namespace
	// orphans carry dirsync's labels and the UID label of another DirectoryAccess of this namespace and
	// name, one that is gone (deleted without its finalizer): left behind, they are deleted.
	orphans []rbacv1.RoleBinding
	// foreign carry this DirectoryAccess's labels but are not its: ignored and reported, never changed,
	// deleted, counted or trusted.
	foreign []rbacv1.RoleBinding
}

// What a RoleBinding that claims to be a DirectoryAccess's is (see sortBindings).
const (
	bindingForeign = iota
	bindingOwned
	bindingAdopted
	bindingOrphan
)

// sortBindings sorts candidates (the labelled RoleBindings of the DirectoryAccess from the cache, and the
// recorded ones read by name) by what they are.
func sortBindings(acc *dirsyncv1alpha1.DirectoryAccess, rec record, candidates []rbacv1.RoleBinding) sortedBindings {
	out := sortedBindings{owned: map[string]ownedBinding{}}
	for i := range candidates {
		rb := &candidates[i]
		kind := classifyBinding(acc, rec, rb)
		if _, taken := out.owned[rb.Namespace]; taken && kind != bindingOrphan {
			kind = bindingForeign
		}
		switch kind {
		case bindingOwned:
			entry := rec.bindings[rb.Namespace]
			out.owned[rb.Namespace] = ownedBinding{rb: rb, intact: entry.Digest != "" && entry.Digest == subjectsDigest(rb.Subjects)}
		case bindingAdopted:
			out.owned[rb.Namespace] = ownedBinding{rb: rb}
		case bindingOrphan:
			out.orphans = append(out.orphans, *rb)
		default:
			out.foreign = append(out.foreign, *rb)
		}
	}
	return out
}

// classifyBinding says what rb is to acc:
//   - owned: recorded with its UID, dirsync's even with its labels stripped or changed (they are put back);
//   - adopted: recorded by name only, about to be created (a crash between the create and the status
//     write) or written by a version without UIDs, with the UID label or, from that version, dirsync's
//     labels: dirsync's, but nothing in it is vouched for;
//   - orphan: dirsync's labels and name for acc, and the UID label of another DirectoryAccess of this
//     namespace and name, which is gone;
//   - foreign: anything else.
func classifyBinding(acc *dirsyncv1alpha1.DirectoryAccess, rec record, rb *rbacv1.RoleBinding) int {
	uid := string(acc.UID)
	label := rb.Labels[dirsyncv1alpha1.LabelAccessUID]
	entry, recorded := rec.bindings[rb.Namespace]
	recorded = recorded && entry.Name == rb.Name
	switch {
	case recorded && entry.UID != "" && entry.UID == string(rb.UID):
		return bindingOwned
	case recorded && entry.UID == "" && (label == uid || label == "" && claimsAccess(acc, rb)):
		return bindingAdopted
	case label != "" && label != uid && claimsAccess(acc, rb) && isAccessBindingName(acc, rb.Name):
		return bindingOrphan
	}
	return bindingForeign
}

// claimsAccess reports whether rb carries dirsync's labels and annotation for acc.
func claimsAccess(acc *dirsyncv1alpha1.DirectoryAccess, rb *rbacv1.RoleBinding) bool {
	return rb.Labels[dirsyncv1alpha1.LabelManagedBy] == dirsyncv1alpha1.ManagedByDirsync &&
		rb.Labels[dirsyncv1alpha1.LabelAccess] == accessLabelValue(acc.Namespace, acc.Name) &&
		rb.Annotations[dirsyncv1alpha1.AnnotationAccess] == acc.Namespace+"/"+acc.Name
}

// subjectsDigest identifies a list of subjects exactly (kind, group, namespace and name of each, in
// order): 128 bits of SHA-256, so no one can add a subject and keep the digest.
func subjectsDigest(subjects []rbacv1.Subject) string {
	h := sha256.New()
	for _, s := range subjects {
		h.Write([]byte(s.Kind + "\x00" + s.APIGroup + "\x00" + s.Namespace + "\x00" + s.Name + "\n"))
	}
	return hex.EncodeToString(h.Sum(nil)[:16])
}

// userSubjects is the set of User subjects of rb.
func userSubjects(rb *rbacv1.RoleBinding) sets.Set[string] {
	out := sets.New[string]()
	for _, s := range rb.Subjects {
		if s.Kind == rbacv1.UserKind && s.APIGroup == rbacv1.GroupName && s.Namespace == "" {
			out.Insert(s.Name)
		}
	}
	return out
}

// foreignNames lists RoleBindings as "namespace/name", sorted.
func foreignNames(rbs []rbacv1.RoleBinding) []string {
	out := make([]string, 0, len(rbs))
	for i := range rbs {
		out = append(out, rbs[i].Namespace+"/"+rbs[i].Name)
	}
	slices.Sort(out)
	return out
}

// isAccessBindingName reports whether name is one dirsync gives acc's RoleBindings: the base name, or
// the base name and a suffix of 8 hex digits (the name taken, see accessBindingNames).
func isAccessBindingName(acc *dirsyncv1alpha1.DirectoryAccess, name string) bool {
	base := accessBindingName(acc)
	if name == base {
		return true
	}
	suffix, ok := strings.CutPrefix(name, base+"-")
	if !ok || len(suffix) != 8 {
		return false
	}
	_, err := hex.DecodeString(suffix)
	return err == nil
}
