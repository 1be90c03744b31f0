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
	"errors"
	"fmt"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	dirsyncv1alpha1 "github.com/dirsync/dirsync/api/v1alpha1"
)

// What the plugin reads and writes, as RBAC names them (resource.group).
const (
	resDirectories     = "directories.dirsync.io"
	resAccesses        = "directoryaccesses.dirsync.io"
	resWebhooks        = "directorywebhooks.dirsync.io"
	resDirectoryUsers  = "directoryusers.dirsync.io"
	resDirectoryGroups = "directorygroups.dirsync.io"
	resEvents          = "events"
	resRoleBindings    = "rolebindings.rbac.authorization.k8s.io"
	resDeployments     = "deployments.apps"
)

// The install a hint assumes when it names the manager's objects: config/default, or a Helm release
// named dirsync in dirsync-system.
const (
	defaultManagerNamespace = "dirsync-system"
	defaultManager          = "dirsync-controller-manager" // the Deployment and its ServiceAccount
	defaultAccessGrantor    = "dirsync-access-grantor"
	defaultDirectoryEditor  = "dirsync-directory-editor-role"
	defaultWebhookEditor    = "dirsync-directorywebhook-editor-role"
)

// request is one API request, for explaining a refusal: the verb, the resource (resource.group) and
// the namespace ("" for every namespace).
type request struct{ verb, resource, namespace string }

// installHint says how to install dirsync, for a cluster without its CRDs: with Helm, with kustomize,
// or from an install.yaml.
const installHint = "Install dirsync (its CRDs with it) in one of these ways, from a checkout of the repository or a release:\n" +
	"  helm install dirsync dist/chart -n " + defaultManagerNamespace + " --create-namespace\n" +
	"  kubectl apply --server-side -k config/default\n" +
	"  kubectl apply --server-side -f install.yaml        (a release's, or dist/install.yaml from make build-installer)"

// apiError explains an API error: a cluster without the dirsync CRDs gets the ways to install them, and
// a refusal (403) names what is missing and which built-in ClusterRole grants it.
func apiError(err error, doing string, req request) error {
	var noKind *meta.NoKindMatchError
	switch {
	case errors.As(err, &noKind):
		return fmt.Errorf("%s: the cluster does not serve %s %s: the dirsync CRDs are not installed (or are older than this plugin).\n%s",
			doing, dirsyncv1alpha1.GroupVersion, noKind.GroupKind.Kind, installHint)
	case meta.IsNoMatchError(err):
		return fmt.Errorf("%s: the cluster does not serve %s: the dirsync CRDs are not installed.\n%s", doing, dirsyncv1alpha1.GroupVersion, installHint)
	case apierrors.IsForbidden(err):
		return fmt.Errorf("%s: %w.\n%s", doing, err, forbiddenHint(req))
	}
	return fmt.Errorf("%s: %w", doing, err)
}

// forbiddenHint says what a refused request needs and which built-in ClusterRole gives it.
func forbiddenHint(req request) string {
	where := "in namespace " + req.namespace
	if req.namespace == "" {
		where = "in every namespace"
	}
	need := fmt.Sprintf("You need %s on %s %s", req.verb, req.resource, where)
	role := builtinRole(req.verb, req.resource)
	switch {
	case role == "" && req.resource == resDirectories:
		// Directory write is the grant power of every DirectoryAccess on it: no built-in role gives it by default.
		return fmt.Sprintf("%s: the ClusterRole %s gives it (with Helm, <fullname>-directory-editor-role), e.g. "+
			"kubectl create rolebinding directory-editor-me -n %s --clusterrole=%s --user=YOU; ask your cluster administrator.",
			need, defaultDirectoryEditor, req.namespace, defaultDirectoryEditor)
	case role == "" && req.resource == resWebhooks:
		// Writing a DirectoryWebhook decides what its application hears of leavers: not in edit either.
		return fmt.Sprintf("%s: the ClusterRole %s gives it (with Helm, <fullname>-directorywebhook-editor-role), e.g. "+
			"kubectl create rolebinding directorywebhook-editor-me -n %s --clusterrole=%s --user=YOU; ask your cluster administrator.",
			need, defaultWebhookEditor, req.namespace, defaultWebhookEditor)
	case role == "":
		return need + "; ask your cluster administrator for it."
	case req.namespace == "":
		return fmt.Sprintf("%s: the built-in ClusterRole %s gives it when a ClusterRoleBinding binds it to you.", need, role)
	}
	return fmt.Sprintf("%s: the built-in ClusterRole %s gives it there, e.g. kubectl create rolebinding %s-me -n %s --clusterrole=%s --user=YOU",
		need, role, role, req.namespace, role)
}

// builtinRole is the least of Kubernetes' user-facing ClusterRoles (view, edit, admin) that allows
// verb on resource, with the aggregation labels dirsync's roles carry by default; "" when none does.
// Writing a Directory is not aggregated into edit (issue 21): the chart's rbac.aggregateDirectoryRoles
// may put it back, but the plugin cannot tell, so it names dirsync's own editor role instead. Writing a
// DirectoryWebhook is not aggregated into edit either.
func builtinRole(verb, resource string) string {
	read := verb == "get" || verb == "list" || verb == "watch"
	switch resource {
	case resAccesses, resDirectories, resWebhooks, resDirectoryUsers, resDirectoryGroups, resEvents, resDeployments:
		if read {
			return "view"
		}
	case resRoleBindings:
		return "admin"
	}
	return ""
}

// directoryHint is what to run next for a Directory that is not Ready, keyed by the Ready reason; ""
// when it is Ready, or when the output already shows the command (held deletions, a plan).
func directoryHint(d *dirsyncv1alpha1.Directory) string {
	c := condition(d, dirsyncv1alpha1.ConditionReady)
	if c == nil {
		return "no Ready condition yet: check that the manager runs: kubectl get deployments -A -l app.kubernetes.io/name=dirsync"
	}
	if c.Status == metav1.ConditionTrue {
		return ""
	}
	ns, name := d.Namespace, d.Name
	ref := d.Spec.CredentialsSecretRef
	switch c.Reason {
	case dirsyncv1alpha1.ReasonSecretNotFound:
		return fmt.Sprintf("kubectl create secret generic %s -n %s --from-literal=%s=YOUR-API-KEY", ref.Name, ns, ref.KeyOrDefault())
	case dirsyncv1alpha1.ReasonInvalidCredentials:
		return fmt.Sprintf("store a new key: kubectl create secret generic %s -n %s --from-literal=%s=NEW-API-KEY --dry-run=client -o yaml | kubectl apply -f -",
			ref.Name, ns, ref.KeyOrDefault())
	case dirsyncv1alpha1.ReasonProviderUnavailable, dirsyncv1alpha1.ReasonRateLimited, dirsyncv1alpha1.ReasonInvalidProviderResponse:
		return fmt.Sprintf("the operator retries by itself; to retry now: kubectl dirsync sync %s -n %s; the manager's log says more: "+
			"kubectl logs -n %s deployment/%s", name, ns, defaultManagerNamespace, defaultManager)
	case dirsyncv1alpha1.ReasonInsecureEndpoint:
		return "use an https:// spec.endpoint; only for a test server, start the manager with --allow-insecure-endpoints"
	case dirsyncv1alpha1.ReasonInvalidSpec:
		return fmt.Sprintf("fix spec.endpoint (kubectl edit directory %s -n %s); a host other than the provider's own needs the "+
			"manager's --allowed-endpoint-hosts (Helm: manager.allowedEndpointHosts)", name, ns)
	case dirsyncv1alpha1.ReasonApplyFailed:
		return fmt.Sprintf("kubectl get events -n %s --field-selector involvedObject.name=%s", ns, name)
	case dirsyncv1alpha1.ReasonTooManyUsers:
		return "check that spec.endpoint and the Secret name the account you meant; if so, an administrator raises the manager's " +
			"--max-users-per-directory (Helm: manager.maxUsersPerDirectory) and its memory limit"
	case dirsyncv1alpha1.ReasonSuspended:
		return fmt.Sprintf(`resume it: kubectl patch dir %s -n %s --type merge -p '{"spec":{"suspend":false}}'`, name, ns)
	case dirsyncv1alpha1.ReasonDryRun:
		if d.Status.Plan == nil {
			return fmt.Sprintf("kubectl dirsync sync %s -n %s, then kubectl dirsync plan %s -n %s", name, ns, name, ns)
		}
	}
	return ""
}

// accessHint is what to run next for a DirectoryAccess that is not Ready, keyed by the Ready reason.
func accessHint(a *dirsyncv1alpha1.DirectoryAccess) string {
	c := meta.FindStatusCondition(a.Status.Conditions, dirsyncv1alpha1.ConditionReady)
	if c == nil {
		return "no Ready condition yet: check that the manager runs: kubectl get deployments -A -l app.kubernetes.io/name=dirsync"
	}
	if c.Status == metav1.ConditionTrue {
		return ""
	}
	ns, name := a.Namespace, a.Name
	switch c.Reason {
	case dirsyncv1alpha1.ReasonNotPermitted:
		return fmt.Sprintf("an administrator opts a namespace in with: kubectl create rolebinding %s -n NAMESPACE --clusterrole=%s --serviceaccount=%s:%s "+
			"(the names of config/default and of a Helm release named dirsync; the Ready message names the namespace and the role)",
			defaultAccessGrantor, defaultAccessGrantor, defaultManagerNamespace, defaultManager)
	case dirsyncv1alpha1.ReasonSubjectConflict, dirsyncv1alpha1.ReasonInvalidTemplate:
		return fmt.Sprintf("see how one person renders, and why: kubectl dirsync access explain EMAIL -n %s", ns)
	case dirsyncv1alpha1.ReasonRevocationHeld:
		return fmt.Sprintf("check the HR data (kubectl dirsync status %s -n %s); if the revocations are right, raise spec.revocationGuard.maxRevokePercent: "+
			`kubectl patch directoryaccess %s -n %s --type merge -p '{"spec":{"revocationGuard":{"maxRevokePercent":100}}}'`,
			a.Spec.DirectoryRef.Name, ns, name, ns)
	case dirsyncv1alpha1.ReasonDirectoryNotReady:
		return fmt.Sprintf("kubectl dirsync status %s -n %s", a.Spec.DirectoryRef.Name, ns)
	case dirsyncv1alpha1.ReasonSuspended:
		return fmt.Sprintf(`resume it: kubectl patch directoryaccess %s -n %s --type merge -p '{"spec":{"suspend":false}}'`, name, ns)
	case dirsyncv1alpha1.ReasonInvalidSelector:
		return fmt.Sprintf("fix the selector: kubectl edit directoryaccess %s -n %s", name, ns)
	}
	return ""
}
