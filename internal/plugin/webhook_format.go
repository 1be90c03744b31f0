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
	"net/url"
	"strings"
	"text/tabwriter"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	dirsyncv1alpha1 "github.com/dirsync/dirsync/api/v1alpha1"
)

// webhookView is one DirectoryWebhook in `webhook status -o json|yaml`.
type webhookView struct {
	Namespace        string                                 `json:"namespace"`
	Name             string                                 `json:"name"`
	Directory        string                                 `json:"directory"`
	URL              string                                 `json:"url"`
	Format           dirsyncv1alpha1.WebhookFormat          `json:"format"`
	Events           []dirsyncv1alpha1.WebhookEventType     `json:"events"`
	Initial          dirsyncv1alpha1.WebhookInitial         `json:"initial"`
	Suspended        bool                                   `json:"suspended"`
	Ready            conditionView                          `json:"ready"`
	Hint             string                                 `json:"hint,omitempty"`
	PendingEvents    int32                                  `json:"pendingEvents"`
	DeliveredEvents  int64                                  `json:"deliveredEvents"`
	FailedAttempts   int32                                  `json:"failedAttempts"`
	LastError        string                                 `json:"lastError,omitempty"`
	LastDeliveryTime *metav1.Time                           `json:"lastDeliveryTime,omitempty"`
	RecordedUsers    int32                                  `json:"recordedUsers"`
	RecordedGroups   int32                                  `json:"recordedGroups"`
	HeldRemovals     *dirsyncv1alpha1.HeldRemovals          `json:"heldRemovals,omitempty"`
	LastApproval     *dirsyncv1alpha1.DeletionApproval      `json:"lastApproval,omitempty"`
	SignatureHeader  string                                 `json:"signatureHeader"`
	SecretRef        dirsyncv1alpha1.WebhookSecretReference `json:"secretRef"`
}

// webhookViewOf is the webhook as `webhook status` shows it.
func webhookViewOf(w *dirsyncv1alpha1.DirectoryWebhook) webhookView {
	st := &w.Status
	header := "WorkOS-Signature"
	if w.FormatOrDefault() == dirsyncv1alpha1.WebhookFormatCloudEvents {
		header = "Dirsync-Signature"
	}
	ref := w.Spec.SecretRef
	ref.Key = ref.KeyOrDefault()
	return webhookView{Namespace: w.Namespace, Name: w.Name, Directory: w.Spec.DirectoryRef.Name, URL: w.Spec.URL,
		Format: w.FormatOrDefault(), Events: w.EventsOrDefault(), Initial: w.InitialOrDefault(), Suspended: w.IsSuspended(),
		Ready: conditionOf(st.Conditions, dirsyncv1alpha1.ConditionReady), Hint: webhookHint(w),
		PendingEvents: st.PendingEvents, DeliveredEvents: st.DeliveredEvents, FailedAttempts: st.FailedAttempts, LastError: st.LastError,
		LastDeliveryTime: st.LastDeliveryTime, RecordedUsers: st.RecordedUsers, RecordedGroups: st.RecordedGroups,
		HeldRemovals: st.HeldRemovals, LastApproval: st.LastApproval, SignatureHeader: header, SecretRef: ref}
}

// formatWebhookTable is a table of webhooks, or says there are none.
func formatWebhookTable(views []webhookView, allNamespaces bool, namespace string, now time.Time) string {
	var b strings.Builder
	if len(views) == 0 {
		if allNamespaces {
			return "No DirectoryWebhooks found.\n"
		}
		return fmt.Sprintf("No DirectoryWebhooks found in namespace %s.\n", namespace)
	}
	w := tabwriter.NewWriter(&b, 0, 8, 3, ' ', 0)
	header := "NAME\tDIRECTORY\tRECEIVER\tREADY\tREASON\tPENDING\tDELIVERED\tFAILED\tLAST DELIVERY"
	if allNamespaces {
		header = "NAMESPACE\t" + header
	}
	fmt.Fprintln(w, header)
	for _, v := range views {
		if allNamespaces {
			fmt.Fprintf(w, "%s\t", v.Namespace)
		}
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%d\t%d\t%d\t%s\n", v.Name, v.Directory, receiverHost(v.URL), v.Ready.Status, orDash(v.Ready.Reason),
			v.PendingEvents, v.DeliveredEvents, v.FailedAttempts, orDash(relTime(v.LastDeliveryTime, now)))
	}
	_ = w.Flush()
	for _, v := range views {
		if v.Hint != "" && v.Ready.Status != metav1.ConditionTrue {
			fmt.Fprintf(&b, "\n%s/%s: %s\n  Hint: %s\n", v.Namespace, v.Name, v.Ready.Message, v.Hint)
		}
	}
	return b.String()
}

// receiverHost is the host of a webhook's URL, for a table cell (the path may be long, or carry a token).
func receiverHost(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return "-"
	}
	return u.Host
}

// formatWebhookDetail describes one webhook: where it sends and how, Ready and why, the counts, the last
// error, its record, and the held removals with the commands that approve them.
func formatWebhookDetail(v webhookView, now time.Time) string {
	var b strings.Builder
	line := func(label, format string, args ...any) {
		fmt.Fprintf(&b, "%-17s %s\n", label+":", fmt.Sprintf(format, args...))
	}
	line("DirectoryWebhook", "%s/%s", v.Namespace, v.Name)
	line("Directory", "%s", v.Directory)
	line("URL", "%s", v.URL)
	line("Format", "%s, signed in %s with Secret %s key %s", v.Format, v.SignatureHeader, v.SecretRef.Name, v.SecretRef.Key)
	events := make([]string, 0, len(v.Events))
	for _, t := range v.Events {
		events = append(events, strings.TrimPrefix(string(t), "dsync."))
	}
	if len(v.Events) == len(dirsyncv1alpha1.AllWebhookEventTypes) {
		line("Events", "all")
	} else {
		line("Events", "%s", strings.Join(events, ", "))
	}
	line("Ready", "%s", conditionLine(v.Ready, "the operator has not reported on this DirectoryWebhook yet (is the dirsync manager running?)"))
	if v.Hint != "" {
		line("Hint", "%s", v.Hint)
	}
	if v.Suspended {
		line("Mode", "suspended (spec.suspend: nothing is sent; changes are delivered on resume)")
	}
	line("Pending", "%d events", v.PendingEvents)
	line("Delivered", "%d events, the last %s", v.DeliveredEvents, orDash(relAndAbs(v.LastDeliveryTime, now)))
	if v.FailedAttempts > 0 || v.LastError != "" {
		line("Failing", "%d attempts in a row; the last: %s", v.FailedAttempts, orDash(v.LastError))
	}
	line("Record", "the receiver has been told of %s and %s", people(v.RecordedUsers), plural(v.RecordedGroups, "group"))
	if h := v.HeldRemovals; h != nil {
		b.WriteString(heldRemovalsText(h, ""))
		fmt.Fprintf(&b, "  To deliver exactly these:\n    kubectl dirsync webhook approve %s -n %s\n    kubectl annotate dwh %s -n %s %s=%s\n",
			v.Name, v.Namespace, v.Name, v.Namespace, dirsyncv1alpha1.AnnotationApproveRemovals, h.ApprovalToken)
	}
	if a := v.LastApproval; a != nil {
		line("Last approval", "%s released %s and %s, %s", a.Token, people(a.Users), plural(a.Groups, "group"), relAndAbs(&a.ApprovedAt, now))
	}
	return b.String()
}

// heldRemovalsText says what the removal guard holds, with up to 20 names, each line indented.
func heldRemovalsText(h *dirsyncv1alpha1.HeldRemovals, indent string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%sThe removal guard holds the removal of %s and %s (more than the Directory's maxDeletePercent at once):\n",
		indent, people(h.Users), plural(h.Groups, "group"))
	for _, n := range h.Names {
		fmt.Fprintf(&b, "%s  %s\n", indent, n)
	}
	if more := int(h.Users+h.Groups) - len(h.Names); more > 0 {
		fmt.Fprintf(&b, "%s  … and %d more\n", indent, more)
	}
	return b.String()
}

// webhookHint is what to run next for a webhook that is not Ready, keyed by the Ready reason.
func webhookHint(w *dirsyncv1alpha1.DirectoryWebhook) string {
	c := conditionOf(w.Status.Conditions, dirsyncv1alpha1.ConditionReady)
	if c.Reason == "" {
		return "no Ready condition yet: check that the manager runs: kubectl get deployments -A -l app.kubernetes.io/name=dirsync"
	}
	if c.Status == metav1.ConditionTrue {
		return ""
	}
	ns, name, ref := w.Namespace, w.Name, w.Spec.SecretRef
	switch c.Reason {
	case dirsyncv1alpha1.ReasonSecretNotFound:
		return fmt.Sprintf(`kubectl create secret generic %s -n %s --from-literal=%s="$(openssl rand -hex 32)" (and give the application the same secret)`,
			ref.Name, ns, ref.KeyOrDefault())
	case dirsyncv1alpha1.ReasonInvalidSpec:
		return fmt.Sprintf("fix spec.url: kubectl edit dwh %s -n %s", name, ns)
	case dirsyncv1alpha1.ReasonReceiverFailing:
		return "check the receiver (its logs, and that it answers 2xx to a signed POST); deliveries retry by themselves and nothing is lost"
	case dirsyncv1alpha1.ReasonRemovalsHeld:
		return fmt.Sprintf("check the HR data (kubectl dirsync status %s -n %s); if the removals are right: kubectl dirsync webhook approve %s -n %s",
			w.Spec.DirectoryRef.Name, ns, name, ns)
	case dirsyncv1alpha1.ReasonDirectoryNotReady:
		return fmt.Sprintf("kubectl dirsync status %s -n %s", w.Spec.DirectoryRef.Name, ns)
	case dirsyncv1alpha1.ReasonSuspended:
		return fmt.Sprintf(`resume it: kubectl patch dwh %s -n %s --type merge -p '{"spec":{"suspend":false}}'`, name, ns)
	case dirsyncv1alpha1.ReasonApplyFailed:
		return fmt.Sprintf("the manager's log says why its record cannot be written: kubectl logs -n %s deployment/%s", defaultManagerNamespace, defaultManager)
	}
	return ""
}

// people is "1 person" or "N people".
func people(n int32) string {
	if n == 1 {
		return "1 person"
	}
	return fmt.Sprintf("%d people", n)
}
