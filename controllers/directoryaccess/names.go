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
	"fmt"
	"strings"

	dirsyncv1alpha1 "github.com/dirsync/dirsync/api/v1alpha1"
)

// accessBindingName is the name of a DirectoryAccess's RoleBinding in every namespace:
// dirsync-<name>-<hash of namespace/name>, so that two DirectoryAccesses of the same name in different
// namespaces never share a RoleBinding. At most 57 characters.
func accessBindingName(acc *dirsyncv1alpha1.DirectoryAccess) string {
	name := acc.Name
	if len(name) > 40 {
		name = strings.TrimRight(name[:40], ".-")
	}
	return "dirsync-" + name + "-" + shortHash(acc.Namespace+"/"+acc.Name)
}

// fallbackBindingName is the name a DirectoryAccess's RoleBinding takes in a namespace where someone
// else's RoleBinding already has the base name: the base name and a hash of the DirectoryAccess's UID,
// which no one can know before the DirectoryAccess exists. At most 66 characters.
func fallbackBindingName(acc *dirsyncv1alpha1.DirectoryAccess) string {
	return accessBindingName(acc) + "-" + shortHash(string(acc.UID))
}

// accessLabelValue is the dirsync.io/access label value: "<namespace>.<name>", or, when that exceeds
// a label value's 63 characters, its first 54 characters and a hash of the whole.
func accessLabelValue(namespace, name string) string {
	v := namespace + "." + name
	if len(v) <= 63 {
		return v
	}
	return v[:54] + "-" + shortHash(v)
}

func shortHash(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:4])
}

// capList joins at most 10 items and says how many more there are.
func capList(items []string, sep string) string {
	if len(items) <= 10 {
		return strings.Join(items, sep)
	}
	return strings.Join(items[:10], sep) + fmt.Sprintf("%s and %d more", sep, len(items)-10)
}
