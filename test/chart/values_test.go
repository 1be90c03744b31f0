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

package chart

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/labels"
	"sigs.k8s.io/yaml"

	dirsyncv1alpha1 "github.com/dirsync/dirsync/api/v1alpha1"
)

// helmFails runs helm and returns its output, failing the test if helm succeeds.
func helmFails(t *testing.T, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var out bytes.Buffer
	cmd := exec.CommandContext(ctx, helm(t), args...)
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err == nil {
		t.Fatalf("helm %s succeeded; want it to fail:\n%s", strings.Join(args, " "), out.String())
	}
	return out.String()
}

// values.schema.json refuses what values.yaml does not define, at every level the chart owns, and
// values of the wrong shape: helm template, install and lint all fail instead of rendering silently.
func TestSchemaRefusesTyposAndWrongTypes(t *testing.T) {
	tests := []struct {
		set  string
		want string // in helm's message
	}{
		{"replica=3", "'replica' not allowed"},
		{"replicas=three", "replicas"},
		{"image.tags=v1", "'tags' not allowed"},
		{"image.pullPolicy=Sometimes", "pullPolicy"},
		{"manager.kubeApiQps=100", "'kubeApiQps' not allowed"},
		{"manager.kubeAPIQPS=fast", "kubeAPIQPS"},
		{"manager.providerRequestTimeout=2 minutes", "providerRequestTimeout"},
		{"metrics.serviceMonitor.enable=true", "'enable' not allowed"},
		{"metrics.serviceMonitor.interval=often", "interval"},
		{"crds.kep=false", "'kep' not allowed"},
		{"uninstallCheck.enable=false", "'enable' not allowed"},
		{"podDisruptionBudget.maxUnavailable=-1", "maxUnavailable"},
		{"serviceAccount.name=other", "'name' not allowed"},
		{"watchNamespaces={Not_A_Namespace}", "watchNamespaces"},
		{"extraVolumeMounts[0].name=ca", "mountPath"},
		{"fullnameOverride=a-name-longer-than-twenty-eight", "fullnameOverride"},
	}
	for _, tt := range tests {
		t.Run(tt.set, func(t *testing.T) {
			out := helmFails(t, "template", release, chartDir, "--namespace", namespace, "--kube-version", kubeVersion(), "--set", tt.set)
			if !strings.Contains(out, "schema") || !strings.Contains(out, tt.want) {
				t.Errorf("helm template --set %s failed without naming the schema and %q:\n%s", tt.set, tt.want, out)
			}
		})
	}
	t.Run("helm lint --strict fails too", func(t *testing.T) {
		out := helmFails(t, "lint", "--strict", chartDir, "--namespace", namespace, "--kube-version", kubeVersion(), "--set", "replica=3")
		if !strings.Contains(out, "'replica' not allowed") {
			t.Errorf("helm lint did not name the typo:\n%s", out)
		}
	})
	t.Run("a parent chart's global values are accepted", func(t *testing.T) {
		render(t, release, "--set", "global.imageRegistry=example.com")
	})
}

// deploymentOf is the manager's Deployment and container of a render.
func deploymentOf(t *testing.T, r rendered) (podSpec corev1.PodSpec, c corev1.Container) {
	t.Helper()
	d, c := r.deployment(t)
	return d.Spec.Template.Spec, c
}

// Each value values.yaml adds renders as it documents.
func TestValuesRenderAsDocumented(t *testing.T) {
	tests := []struct {
		name       string
		args       []string
		restricted bool // the pod stays restricted: checkInvariants applies
		check      func(t *testing.T, r rendered)
	}{{
		name:       "extraEnv: a proxy, after GOMEMLIMIT",
		args:       []string{"--set", "extraEnv[0].name=HTTPS_PROXY", "--set", "extraEnv[0].value=http://proxy:3128"},
		restricted: true,
		check: func(t *testing.T, r rendered) {
			_, c := deploymentOf(t, r)
			if len(c.Env) != 2 || c.Env[0].Name != "GOMEMLIMIT" || c.Env[1] != (corev1.EnvVar{Name: "HTTPS_PROXY", Value: "http://proxy:3128"}) {
				t.Errorf("env %+v; want GOMEMLIMIT then HTTPS_PROXY", c.Env)
			}
		},
	}, {
		name: "extraVolumes and extraVolumeMounts: a corporate CA",
		args: []string{"--set", "extraVolumes[0].name=corporate-ca", "--set", "extraVolumes[0].configMap.name=corporate-ca",
			"--set", "extraVolumeMounts[0].name=corporate-ca", "--set", "extraVolumeMounts[0].mountPath=/etc/dirsync/ca",
			"--set", "extraVolumeMounts[0].readOnly=true"},
		restricted: true,
		check: func(t *testing.T, r rendered) {
			pod, c := deploymentOf(t, r)
			if len(pod.Volumes) != 1 || pod.Volumes[0].Name != "corporate-ca" || pod.Volumes[0].ConfigMap == nil || pod.Volumes[0].ConfigMap.Name != "corporate-ca" {
				t.Errorf("volumes %+v", pod.Volumes)
			}
			if len(c.VolumeMounts) != 1 || c.VolumeMounts[0].Name != "corporate-ca" || c.VolumeMounts[0].MountPath != "/etc/dirsync/ca" || !c.VolumeMounts[0].ReadOnly {
				t.Errorf("mounts %+v", c.VolumeMounts)
			}
		},
	}, {
		name: "serviceAccount.annotations, podAnnotations and podLabels: workload identity",
		args: []string{"--set", "serviceAccount.annotations.iam\\.gke\\.io/gcp-service-account=dirsync@p.iam.gserviceaccount.com",
			"--set", "podAnnotations.example\\.com/a=b", "--set-string", "podLabels.azure\\.workload\\.identity/use=true"},
		restricted: true,
		check: func(t *testing.T, r rendered) {
			var sa corev1.ServiceAccount
			for _, o := range r.all("ServiceAccount") {
				sa = into[corev1.ServiceAccount](t, o)
			}
			if sa.Annotations["iam.gke.io/gcp-service-account"] != "dirsync@p.iam.gserviceaccount.com" {
				t.Errorf("ServiceAccount annotations %v", sa.Annotations)
			}
			d, _ := r.deployment(t)
			if d.Spec.Template.Annotations["example.com/a"] != "b" || d.Spec.Template.Annotations["kubectl.kubernetes.io/default-container"] != "manager" {
				t.Errorf("pod annotations %v", d.Spec.Template.Annotations)
			}
			if d.Spec.Template.Labels["azure.workload.identity/use"] != "true" {
				t.Errorf("pod labels %v", d.Spec.Template.Labels)
			}
		},
	}, {
		name: "security contexts: a value merges into the restricted default",
		args: []string{"--set", "podSecurityContext.runAsUser=1001", "--set", "podSecurityContext.fsGroup=1001"},
		// Still restricted: runAsNonRoot and seccomp stay.
		restricted: true,
		check: func(t *testing.T, r rendered) {
			pod, _ := deploymentOf(t, r)
			if sc := pod.SecurityContext; sc.RunAsUser == nil || *sc.RunAsUser != 1001 || sc.FSGroup == nil || *sc.FSGroup != 1001 {
				t.Errorf("pod securityContext %+v", sc)
			}
		},
	}, {
		name: "security contexts: a default can be overridden",
		args: []string{"--set", "securityContext.readOnlyRootFilesystem=false"},
		check: func(t *testing.T, r rendered) {
			_, c := deploymentOf(t, r)
			sc := c.SecurityContext
			if sc == nil || sc.ReadOnlyRootFilesystem == nil || *sc.ReadOnlyRootFilesystem || sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation {
				t.Errorf("container securityContext %+v; want readOnlyRootFilesystem false and the rest kept", sc)
			}
		},
	}, {
		name: "scheduling: nodeSelector, tolerations, affinity, topology spread, priority class",
		args: []string{"--set", "nodeSelector.kubernetes\\.io/os=linux", "--set", "tolerations[0].key=dedicated", "--set", "tolerations[0].operator=Exists",
			"--set", "affinity.nodeAffinity.preferredDuringSchedulingIgnoredDuringExecution[0].weight=1",
			"--set", "affinity.nodeAffinity.preferredDuringSchedulingIgnoredDuringExecution[0].preference.matchExpressions[0].key=zone",
			"--set", "affinity.nodeAffinity.preferredDuringSchedulingIgnoredDuringExecution[0].preference.matchExpressions[0].operator=Exists",
			"--set", "topologySpreadConstraints[0].maxSkew=1", "--set", "topologySpreadConstraints[0].topologyKey=topology.kubernetes.io/zone",
			"--set", "topologySpreadConstraints[0].whenUnsatisfiable=ScheduleAnyway", "--set", "priorityClassName=platform"},
		restricted: true,
		check: func(t *testing.T, r rendered) {
			pod, _ := deploymentOf(t, r)
			if pod.NodeSelector["kubernetes.io/os"] != "linux" || len(pod.Tolerations) != 1 || pod.Affinity == nil || pod.Affinity.NodeAffinity == nil ||
				len(pod.TopologySpreadConstraints) != 1 || pod.PriorityClassName != "platform" {
				t.Errorf("pod scheduling: nodeSelector %v, tolerations %v, affinity %+v, spread %v, priority %q",
					pod.NodeSelector, pod.Tolerations, pod.Affinity, pod.TopologySpreadConstraints, pod.PriorityClassName)
			}
		},
	}, {
		name:       "PodDisruptionBudget: none with one replica",
		restricted: true,
		check: func(t *testing.T, r rendered) {
			if n := len(r.all("PodDisruptionBudget")); n != 0 {
				t.Errorf("%d PodDisruptionBudgets with one replica", n)
			}
		},
	}, {
		name:       "PodDisruptionBudget: maxUnavailable 1 over the manager's pods with two replicas",
		args:       []string{"--set", "replicas=2"},
		restricted: true,
		check: func(t *testing.T, r rendered) {
			pdb := onePDB(t, r)
			if pdb.Spec.MaxUnavailable == nil || pdb.Spec.MaxUnavailable.IntValue() != 1 || pdb.Spec.MinAvailable != nil {
				t.Errorf("PDB spec %+v; want maxUnavailable 1", pdb.Spec)
			}
			d, _ := r.deployment(t)
			if sel, err := metav1LabelSelector(pdb); err != nil || !sel.Matches(labels.Set(d.Spec.Template.Labels)) {
				t.Errorf("the PDB's selector %v does not select the manager's pods %v", pdb.Spec.Selector, d.Spec.Template.Labels)
			}
		},
	}, {
		name:       "PodDisruptionBudget: minAvailable instead, or none when disabled",
		args:       []string{"--set", "replicas=3", "--set", "podDisruptionBudget.minAvailable=2"},
		restricted: true,
		check: func(t *testing.T, r rendered) {
			pdb := onePDB(t, r)
			if pdb.Spec.MinAvailable == nil || pdb.Spec.MinAvailable.IntValue() != 2 || pdb.Spec.MaxUnavailable != nil {
				t.Errorf("PDB spec %+v; want minAvailable 2 only", pdb.Spec)
			}
		},
	}, {
		name:       "PodDisruptionBudget: disabled",
		args:       []string{"--set", "replicas=3", "--set", "podDisruptionBudget.enabled=false"},
		restricted: true,
		check: func(t *testing.T, r rendered) {
			if n := len(r.all("PodDisruptionBudget")); n != 0 {
				t.Errorf("%d PodDisruptionBudgets with podDisruptionBudget.enabled=false", n)
			}
		},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := rendered(render(t, release, tt.args...))
			if tt.restricted {
				checkInvariants(t, r)
			}
			tt.check(t, r)
		})
	}
}

func onePDB(t *testing.T, r rendered) policyv1.PodDisruptionBudget {
	t.Helper()
	pdbs := r.all("PodDisruptionBudget")
	if len(pdbs) != 1 {
		t.Fatalf("%d PodDisruptionBudgets, want 1", len(pdbs))
	}
	return into[policyv1.PodDisruptionBudget](t, pdbs[0])
}

func metav1LabelSelector(pdb policyv1.PodDisruptionBudget) (labels.Selector, error) {
	return labels.ValidatedSelectorFromSet(pdb.Spec.Selector.MatchLabels)
}

// hookJob is the uninstall check of a render.
func hookJob(t *testing.T, r rendered) (object, batchv1.Job) {
	t.Helper()
	jobs := r.all("Job")
	if len(jobs) != 1 {
		t.Fatalf("%d Jobs rendered, want the uninstall check", len(jobs))
	}
	return jobs[0], into[batchv1.Job](t, jobs[0])
}

// The uninstall check (docs/uninstall.md): a pre-delete hook that runs the manager's image and
// subcommand as the manager's ServiceAccount, restricted, limited to the watched namespaces, failing
// at once on a refusal; kept when it fails so that its log can be read.
func TestUninstallCheckHook(t *testing.T) {
	for _, tt := range []struct {
		name, release string
		args          []string
		wantNamespace string // --watch-namespace, or none
	}{
		{name: "defaults: every namespace", release: release},
		{name: "watchNamespaces: only those", release: "hr", args: []string{"--set", "watchNamespaces={hr,finance}"}, wantNamespace: "hr,finance"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := rendered(render(t, tt.release, tt.args...))
			o, job := hookJob(t, r)
			if o.hook() != "pre-delete" {
				t.Errorf("the Job's hook is %q, want pre-delete", o.hook())
			}
			ann := job.Annotations["helm.sh/hook-delete-policy"]
			if !strings.Contains(ann, "before-hook-creation") || !strings.Contains(ann, "hook-succeeded") || strings.Contains(ann, "hook-failed") {
				t.Errorf("hook-delete-policy %q: want a failed Job kept for its log and replaced on the next attempt", ann)
			}
			dep, mgr := r.deployment(t)
			pod := job.Spec.Template.Spec
			if len(pod.Containers) != 1 {
				t.Fatalf("%d containers", len(pod.Containers))
			}
			c := pod.Containers[0]
			want := []string{"/manager", "uninstall-check"}
			if tt.wantNamespace != "" {
				want = append(want, "--watch-namespace="+tt.wantNamespace)
			}
			if got := append(slices.Clone(c.Command), c.Args...); !slices.Equal(got, want) {
				t.Errorf("the hook runs %v, want %v", got, want)
			}
			if c.Image != mgr.Image || pod.ServiceAccountName != dep.Spec.Template.Spec.ServiceAccountName {
				t.Errorf("the hook runs %s as %s; want the manager's image %s and ServiceAccount %s", c.Image, pod.ServiceAccountName,
					mgr.Image, dep.Spec.Template.Spec.ServiceAccountName)
			}
			if pod.RestartPolicy != corev1.RestartPolicyNever || job.Spec.PodFailurePolicy == nil ||
				!slices.Contains(job.Spec.PodFailurePolicy.Rules[0].OnExitCodes.Values, 1) || job.Spec.PodFailurePolicy.Rules[0].Action != batchv1.PodFailurePolicyActionFailJob {
				t.Errorf("restartPolicy %s, podFailurePolicy %+v; want a refusal (exit 1) to fail the Job at once", pod.RestartPolicy, job.Spec.PodFailurePolicy)
			}
			if c.TerminationMessagePolicy != corev1.TerminationMessageFallbackToLogsOnError {
				t.Errorf("terminationMessagePolicy %q", c.TerminationMessagePolicy)
			}
			sc := pod.SecurityContext
			if sc == nil || sc.RunAsNonRoot == nil || !*sc.RunAsNonRoot || c.SecurityContext == nil || c.SecurityContext.ReadOnlyRootFilesystem == nil ||
				!*c.SecurityContext.ReadOnlyRootFilesystem || c.SecurityContext.Capabilities == nil || !slices.Contains(c.SecurityContext.Capabilities.Drop, "ALL") {
				t.Errorf("the hook's pod is not restricted: %+v, %+v", sc, c.SecurityContext)
			}
			if job.Spec.Template.Annotations["sidecar.istio.io/inject"] != "false" {
				t.Errorf("hook pod annotations %v; want no sidecar injected", job.Spec.Template.Annotations)
			}
			// The hook's pod is not one of the manager's: no Service or Deployment selects it.
			sel := labels.SelectorFromSet(dep.Spec.Selector.MatchLabels)
			if sel.Matches(labels.Set(job.Spec.Template.Labels)) {
				t.Errorf("the manager's selector %v selects the hook's pod %v", dep.Spec.Selector.MatchLabels, job.Spec.Template.Labels)
			}
		})
	}
	t.Run("uninstallCheck.enabled=false: no hook", func(t *testing.T) {
		if n := len(rendered(render(t, release, "--set", "uninstallCheck.enabled=false")).all("Job")); n != 0 {
			t.Errorf("%d Jobs", n)
		}
	})
	t.Run("crds.keep=false: the CRDs go only after the check", func(t *testing.T) {
		r := rendered(render(t, release, "--set", "crds.keep=false"))
		hookJob(t, r)
		for _, o := range r.all("CustomResourceDefinition") {
			if ann, _ := o.meta()["annotations"].(map[string]any); ann["helm.sh/resource-policy"] != nil {
				t.Errorf("CRD %s is kept with crds.keep=false", o.name())
			}
		}
	})
}

// endpoint is the ServiceMonitor's one endpoint.
func endpoint(t *testing.T, r rendered) map[string]any {
	t.Helper()
	sms := r.all("ServiceMonitor")
	if len(sms) != 1 {
		t.Fatalf("%d ServiceMonitors", len(sms))
	}
	eps, _ := sms[0]["spec"].(map[string]any)["endpoints"].([]any)
	if len(eps) != 1 {
		t.Fatalf("endpoints %v", eps)
	}
	return eps[0].(map[string]any)
}

func lookup(m map[string]any, path ...string) any {
	var v any = m
	for _, p := range path {
		mm, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = mm[p]
	}
	return v
}

// The ServiceMonitor authenticates with a token from a Secret (not the deprecated bearerTokenFile),
// verifies the manager's certificate when it has one, and skips verification only when asked.
func TestServiceMonitorAuthAndTLS(t *testing.T) {
	t.Run("no certificate and no choice: a clear refusal", func(t *testing.T) {
		out := helmFails(t, "template", release, chartDir, "--namespace", namespace, "--kube-version", kubeVersion(),
			"--set", "metrics.serviceMonitor.enabled=true")
		for _, want := range []string{"metrics.certSecret", "metrics.serviceMonitor.insecureSkipVerify=true"} {
			if !strings.Contains(out, want) {
				t.Errorf("the refusal does not name %s:\n%s", want, out)
			}
		}
	})
	t.Run("the chart's scraper: a ServiceAccount bound to the metrics reader only, and its token", func(t *testing.T) {
		r := rendered(render(t, "hr", "--set", "metrics.serviceMonitor.enabled=true", "--set", "metrics.serviceMonitor.insecureSkipVerify=true"))
		checkInvariants(t, r)
		ep := endpoint(t, r)
		if lookup(ep, "authorization", "type") != "Bearer" || lookup(ep, "authorization", "credentials", "name") != "hr-dirsync-metrics-scraper-token" ||
			lookup(ep, "authorization", "credentials", "key") != "token" {
			t.Errorf("authorization %v", ep["authorization"])
		}
		if lookup(ep, "tlsConfig", "insecureSkipVerify") != true {
			t.Errorf("tlsConfig %v; want insecureSkipVerify as asked", ep["tlsConfig"])
		}
		var secret corev1.Secret
		for _, o := range r.all("Secret") {
			secret = into[corev1.Secret](t, o)
		}
		if secret.Name != "hr-dirsync-metrics-scraper-token" || secret.Type != corev1.SecretTypeServiceAccountToken ||
			secret.Annotations[corev1.ServiceAccountNameKey] != "hr-dirsync-metrics-scraper" {
			t.Errorf("token Secret %+v", secret)
		}
		var bound []string
		for _, o := range r.all("ClusterRoleBinding") {
			b := into[rbacv1.ClusterRoleBinding](t, o)
			for _, s := range b.Subjects {
				if s.Name == "hr-dirsync-metrics-scraper" {
					bound = append(bound, b.RoleRef.Name)
				}
			}
		}
		for _, o := range r.all("RoleBinding") {
			for _, s := range into[rbacv1.RoleBinding](t, o).Subjects {
				if s.Name == "hr-dirsync-metrics-scraper" {
					t.Errorf("the scraper is bound by RoleBinding %s", o.name())
				}
			}
		}
		if !slices.Equal(bound, []string{"hr-dirsync-metrics-reader"}) {
			t.Errorf("the scraper is bound to %v, want the metrics reader only", bound)
		}
	})
	t.Run("a certificate: served by the manager, verified against its CA for the Service's name", func(t *testing.T) {
		r := rendered(render(t, "hr", "--set", "metrics.serviceMonitor.enabled=true", "--set", "metrics.certSecret=hr-metrics-cert",
			"--set", "metrics.serviceMonitor.authorization.credentials.name=my-token", "--set", "metrics.serviceMonitor.authorization.credentials.key=t"))
		checkInvariants(t, r)
		ep := endpoint(t, r)
		if lookup(ep, "tlsConfig", "insecureSkipVerify") != false || lookup(ep, "tlsConfig", "ca", "secret", "name") != "hr-metrics-cert" ||
			lookup(ep, "tlsConfig", "ca", "secret", "key") != "ca.crt" ||
			lookup(ep, "tlsConfig", "serverName") != "hr-dirsync-controller-manager-metrics-service."+namespace+".svc" {
			t.Errorf("tlsConfig %v", ep["tlsConfig"])
		}
		if lookup(ep, "authorization", "credentials", "name") != "my-token" || lookup(ep, "authorization", "credentials", "key") != "t" {
			t.Errorf("authorization %v; want the Secret given", ep["authorization"])
		}
		if n := len(r.all("Secret")); n != 0 {
			t.Errorf("%d Secrets rendered with credentials of my own", n)
		}
		pod, c := deploymentOf(t, r)
		var path string
		for _, a := range args(c) {
			if p, ok := strings.CutPrefix(a, "--metrics-cert-path="); ok {
				path = p
			}
		}
		mounted := false
		for _, m := range c.VolumeMounts {
			for _, v := range pod.Volumes {
				if v.Name == m.Name && v.Secret != nil && v.Secret.SecretName == "hr-metrics-cert" && m.MountPath == path && path != "" {
					mounted = true
				}
			}
		}
		if !mounted {
			t.Errorf("--metrics-cert-path=%q is not where hr-metrics-cert is mounted: mounts %+v, volumes %+v", path, c.VolumeMounts, pod.Volumes)
		}
	})
}

// The chart's alerts carry the release's job, namespace and names, and runbook_url anchors into the
// runbook; with release dirsync in dirsync-system they are config/prometheus/rules.yaml as it is.
func TestPrometheusRuleScopedToTheRelease(t *testing.T) {
	r := rendered(render(t, "hr", "--namespace", "platform", "--set", "prometheusRule.enabled=true",
		"--set", "prometheusRule.runbookURL=https://docs.example.com/runbook.html"))
	prs := r.all("PrometheusRule")
	if len(prs) != 1 {
		t.Fatalf("%d PrometheusRules", len(prs))
	}
	spec, err := yaml.Marshal(prs[0]["spec"])
	if err != nil {
		t.Fatal(err)
	}
	text := string(spec)
	// Still a valid rule file after the names changed.
	promtool := os.Getenv("PROMTOOL")
	if promtool == "" {
		promtool = "../../bin/promtool"
	}
	if _, err := os.Stat(promtool); err != nil {
		t.Fatalf("no promtool at %s (%v): run `make promtool`, or `make test`, which builds it; PROMTOOL=path overrides", promtool, err)
	}
	file := filepath.Join(t.TempDir(), "rules.yaml")
	if err := os.WriteFile(file, spec, 0o600); err != nil {
		t.Fatal(err)
	}
	run(t, promtool, "check", "rules", "--lint=all", "--lint-fatal", file)
	for _, want := range []string{
		`job="hr-dirsync-controller-manager-metrics-service",namespace="platform",controller="directory"`,
		"kubectl -n platform logs deployment/hr-dirsync-controller-manager",
		"hr-dirsync-metrics-reader",
		"https://docs.example.com/runbook.html#dirsyncmanagerdown",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("the PrometheusRule lacks %q", want)
		}
	}
	for _, stale := range []string{"dirsync-system", " dirsync-controller-manager", "/dirsync-controller-manager", "github.com/dirsync/dirsync/blob"} {
		if strings.Contains(text, stale) {
			t.Errorf("the PrometheusRule still has %q, config/default's name", stale)
		}
	}
	var rules struct {
		Groups []struct {
			Rules []struct {
				Alert       string            `json:"alert"`
				Annotations map[string]string `json:"annotations"`
			} `json:"rules"`
		} `json:"groups"`
	}
	if err := yaml.Unmarshal(spec, &rules); err != nil {
		t.Fatal(err)
	}
	for _, g := range rules.Groups {
		for _, rule := range g.Rules {
			if want := "https://docs.example.com/runbook.html#" + strings.ToLower(rule.Alert); rule.Annotations["runbook_url"] != want {
				t.Errorf("%s: runbook_url %q, want %q", rule.Alert, rule.Annotations["runbook_url"], want)
			}
		}
	}
}

// notes renders NOTES.txt as `helm install` would print it. helm template leaves NOTES.txt out and
// `helm install --dry-run` wants a cluster, so a copy of the chart renders it into a ConfigMap with tpl,
// which sees the same values, release and helpers.
func notes(t *testing.T, releaseName, ns string, args ...string) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "dirsync")
	if err := os.CopyFS(dir, os.DirFS(chartDir)); err != nil {
		t.Fatal(err)
	}
	text, err := os.ReadFile(filepath.Join(chartDir, "templates", "NOTES.txt"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "notes-under-test.txt"), text, 0o600); err != nil {
		t.Fatal(err)
	}
	wrapper := "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: notes-under-test\ndata:\n" +
		"  notes: {{ tpl (.Files.Get \"notes-under-test.txt\") . | toJson }}\n"
	if err := os.WriteFile(filepath.Join(dir, "templates", "notes-under-test.yaml"), []byte(wrapper), 0o600); err != nil {
		t.Fatal(err)
	}
	out := run(t, helm(t), append([]string{"template", releaseName, dir, "--namespace", ns, "--kube-version", kubeVersion(),
		"--show-only", "templates/notes-under-test.yaml"}, args...)...)
	objs := decode(t, out)
	if len(objs) != 1 {
		t.Fatalf("rendered %d objects", len(objs))
	}
	n, _ := objs[0]["data"].(map[string]any)["notes"].(string)
	if n == "" {
		t.Fatal("NOTES.txt rendered empty")
	}
	return n
}

// NOTES.txt speaks to someone who installed the chart: the real names of the release's objects, a
// Secret and a Directory in dry run inline (the chart ships no config/samples), and the uninstall order.
func TestNotesSpeakToAChartUser(t *testing.T) {
	n := notes(t, "hr", "platform", "--set", "metrics.serviceMonitor.enabled=true", "--set", "metrics.serviceMonitor.insecureSkipVerify=true")
	for _, want := range []string{
		"deployment/hr-dirsync-controller-manager",
		"--clusterrole=hr-dirsync-access-grantor",
		"--serviceaccount=platform:hr-dirsync-controller-manager",
		"ClusterRole hr-dirsync-metrics-reader",
		"ServiceAccount hr-dirsync-metrics-scraper",
		"kubectl dirsync plan breathehr -n hr",
		`'{"spec":{"dryRun":false}}'`,
		"logs job/hr-dirsync-uninstall-check",
		"kubectl get directoryaccesses -A",
	} {
		if !strings.Contains(n, want) {
			t.Errorf("NOTES lack %q:\n%s", want, n)
		}
	}
	if strings.Contains(n, "config/samples") {
		t.Errorf("NOTES point at config/samples, which the chart does not ship:\n%s", n)
	}
	// config/default's names, which this release's objects do not have.
	if m := regexp.MustCompile(`(^|[\s=/:])dirsync-(access-grantor|metrics-reader|controller-manager|system)`).FindString(n); m != "" {
		t.Errorf("NOTES name %q, not this release's object:\n%s", m, n)
	}
	// The inline Directory is a valid one, in dry run, naming the Secret the line above creates.
	_, doc, ok := strings.Cut(n, "<<'EOF'\n")
	doc, _, ok2 := strings.Cut(doc, "  EOF\n")
	if !ok || !ok2 {
		t.Fatalf("no inline Directory in the NOTES:\n%s", n)
	}
	var dir dirsyncv1alpha1.Directory
	if err := yaml.UnmarshalStrict([]byte(dedent(doc)), &dir); err != nil {
		t.Fatalf("the NOTES' Directory does not decode strictly: %v\n%s", err, doc)
	}
	if dir.Kind != "Directory" || !dir.IsDryRun() || dir.Spec.CredentialsSecretRef.Name != "breathehr-api-key" ||
		!strings.Contains(n, "create secret generic breathehr-api-key") {
		t.Errorf("the NOTES' Directory %+v: want one in dry run naming the Secret they create", dir)
	}

	t.Run("watchNamespaces: the example uses a watched namespace", func(t *testing.T) {
		n := notes(t, "dirsync", "dirsync-system", "--set", "watchNamespaces={people,finance}")
		if !strings.Contains(n, "kubectl -n people apply -f -") || !strings.Contains(n, "watching people, finance") {
			t.Errorf("NOTES with watchNamespaces:\n%s", n)
		}
	})
}

// dedent removes the indentation common to every non-empty line.
func dedent(s string) string {
	lines := strings.Split(s, "\n")
	indent := -1
	for _, l := range lines {
		if strings.TrimSpace(l) == "" {
			continue
		}
		if n := len(l) - len(strings.TrimLeft(l, " ")); indent < 0 || n < indent {
			indent = n
		}
	}
	for i, l := range lines {
		if len(l) >= indent {
			lines[i] = l[indent:]
		}
	}
	return strings.Join(lines, "\n")
}

// valuePaths lists the dotted paths of values.yaml: every leaf, and every map or list a user fills
// as a whole (an empty one, or a list).
func valuePaths(prefix string, v any, out *[]string) {
	m, ok := v.(map[string]any)
	if !ok || len(m) == 0 || prefix == "resources" || strings.HasSuffix(prefix, ".resources") ||
		slices.Contains([]string{"podSecurityContext", "securityContext", "metrics.networkPolicy.namespaceSelector",
			"receiver.networkPolicy.namespaceSelector", "grafanaDashboard.labels",
			"uninstallCheck.podAnnotations"}, prefix) {
		*out = append(*out, prefix)
		return
	}
	for k, e := range m {
		p := k
		if prefix != "" {
			p = prefix + "." + k
		}
		valuePaths(p, e, out)
	}
}

// `helm show readme` is the chart's README: its values table documents every value of values.yaml,
// and names none that does not exist.
func TestReadmeDocumentsEveryValue(t *testing.T) {
	readme := string(run(t, helm(t), "show", "readme", chartDir))
	var values map[string]any
	b, err := os.ReadFile(filepath.Join(chartDir, "values.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(b, &values); err != nil {
		t.Fatal(err)
	}
	var paths []string
	valuePaths("", values, &paths)
	_, table, ok := strings.Cut(readme, "| value | default | description |")
	if !ok {
		t.Fatal("helm show readme: no values table")
	}
	documented := map[string]bool{}
	for _, line := range strings.Split(table, "\n") {
		if !strings.HasPrefix(line, "| `") {
			continue
		}
		cell := strings.Split(line, "|")[1]
		for _, m := range regexp.MustCompile("`([^`]+)`").FindAllStringSubmatch(cell, -1) {
			documented[m[1]] = true
		}
	}
	for _, p := range paths {
		if !documented[p] {
			t.Errorf("values.yaml has %s, which the README's values table does not document", p)
		}
	}
	for d := range documented {
		if !slices.ContainsFunc(paths, func(p string) bool { return p == d || strings.HasPrefix(p, d+".") }) {
			t.Errorf("the README documents %s, which values.yaml does not have", d)
		}
	}
}
