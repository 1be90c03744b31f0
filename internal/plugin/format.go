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

package plugin

import (
	"fmt"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/duration"

	dirsyncv1alpha1 "github.com/dirsync/dirsync/api/v1alpha1"
)

// The pure formatting helpers every command shares. None takes a client or a clock: "now" is an argument.

// relTime says when t is relative to now, as kubectl's AGE column does: "3m ago", "in 12m", "just now".
// A nil time is "never".
func relTime(t *metav1.Time, now time.Time) string {
	if t == nil {
		return "never"
	}
	d := t.Sub(now)
	switch {
	case d >= time.Second:
		return "in " + duration.HumanDuration(d)
	case d <= -time.Second:
		return duration.HumanDuration(-d) + " ago"
	default:
		return "just now"
	}
}

// relAndAbs is relTime followed by the time itself in UTC: "3m ago (2026-03-02T09:00:00Z)".
func relAndAbs(t *metav1.Time, now time.Time) string {
	if t == nil {
		return "never"
	}
	return fmt.Sprintf("%s (%s)", relTime(t, now), t.UTC().Format(time.RFC3339))
}

// condition returns the Directory's condition of type t, or nil.
func condition(dir *dirsyncv1alpha1.Directory, t string) *metav1.Condition {
	return meta.FindStatusCondition(dir.Status.Conditions, t)
}

// isSyncing reports whether the Syncing condition is True: a sync is running now.
func isSyncing(dir *dirsyncv1alpha1.Directory) bool {
	c := condition(dir, dirsyncv1alpha1.ConditionSyncing)
	return c != nil && c.Status == metav1.ConditionTrue
}

// readyStatus is the Ready condition's status ("True", "False", "Unknown"; "Unknown" when absent).
func readyStatus(dir *dirsyncv1alpha1.Directory) string {
	if c := condition(dir, dirsyncv1alpha1.ConditionReady); c != nil {
		return string(c.Status)
	}
	return string(metav1.ConditionUnknown)
}

// readyReason is the Ready condition's reason, or "" when there is no Ready condition.
func readyReason(dir *dirsyncv1alpha1.Directory) string {
	if c := condition(dir, dirsyncv1alpha1.ConditionReady); c != nil {
		return c.Reason
	}
	return ""
}

// readyLine says whether the Directory is Ready and why: "True (Synced): The last sync …".
func readyLine(dir *dirsyncv1alpha1.Directory) string {
	c := condition(dir, dirsyncv1alpha1.ConditionReady)
	if c == nil {
		return "Unknown: the operator has not reported on this Directory yet (is the dirsync manager running?)"
	}
	s := fmt.Sprintf("%s (%s)", c.Status, c.Reason)
	if c.Message != "" {
		s += ": " + c.Message
	}
	return s
}

// plural is "1 user", "2 users".
func plural(n int32, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}

// changesLine is "3 created, 1 updated, 0 deleted, 208 unchanged".
func changesLine(c *dirsyncv1alpha1.SyncChanges) string {
	return fmt.Sprintf("%d created, %d updated, %d deleted, %d unchanged", c.Created, c.Updated, c.Deleted, c.Unchanged)
}

// countsLine is "200 users (190 active), 12 groups".
func countsLine(st *dirsyncv1alpha1.DirectoryStatus) string {
	return fmt.Sprintf("%s (%d active), %s", plural(st.UserCount, "user"), st.ActiveUserCount, plural(st.GroupCount, "group"))
}

// heldLine is "120 users and 3 groups".
func heldLine(h *dirsyncv1alpha1.HeldDeletions) string {
	return plural(h.Users, "user") + " and " + plural(h.Groups, "group")
}

// approveCommands are the two ways to approve the held deletions: this plugin, and the raw annotation.
func approveCommands(dir *dirsyncv1alpha1.Directory) (pluginCmd, rawCmd string) {
	pluginCmd = fmt.Sprintf("kubectl dirsync approve %s -n %s", dir.Name, dir.Namespace)
	rawCmd = fmt.Sprintf("kubectl annotate dir %s -n %s %s=%s", dir.Name, dir.Namespace,
		dirsyncv1alpha1.AnnotationApproveDeletions, dir.Status.HeldDeletions.ApprovalToken)
	return pluginCmd, rawCmd
}

// writeHeld prints the held deletions and the commands that approve exactly them. indent prefixes every line.
func writeHeld(b *strings.Builder, dir *dirsyncv1alpha1.Directory, indent string) {
	writeHeldNames(b, dir.Status.HeldDeletions, indent)
	pluginCmd, rawCmd := approveCommands(dir)
	fmt.Fprintf(b, "%sTo delete exactly these, run:\n%s  %s\n%sor:\n%s  %s\n", indent, indent, pluginCmd, indent, indent, rawCmd)
}

// writeHeldNames prints how many deletions are held and the names the status lists (up to 20).
func writeHeldNames(b *strings.Builder, h *dirsyncv1alpha1.HeldDeletions, indent string) {
	fmt.Fprintf(b, "%sThe deletion guard holds the deletion of %s:\n", indent, heldLine(h))
	for _, n := range h.Names {
		fmt.Fprintf(b, "%s  %s\n", indent, n)
	}
	if more := int(h.Users) + int(h.Groups) - len(h.Names); more > 0 && len(h.Names) > 0 {
		fmt.Fprintf(b, "%s  … and %d more\n", indent, more)
	}
}

// shortDuration is d without zero trailing units: 30m0s is "30m", 1h0m0s is "1h", 90s is "1m30s".
func shortDuration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

// orDash is s, or "-" when s is empty (for table cells).
func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
