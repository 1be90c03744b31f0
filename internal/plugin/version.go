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
	"cmp"
	"context"
	"fmt"
	"runtime"
	"runtime/debug"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// Version is the plugin's version, stamped at build time with
// -ldflags "-X github.com/dirsync/dirsync/internal/plugin.Version=v0.1.0" (make build does); "dev" otherwise.
var Version = "dev"

// managerLookupTimeout bounds the search for the manager: version must answer even when the cluster does not.
const managerLookupTimeout = 5 * time.Second

// Labels of the manager's Deployment, as config/default and the Helm chart set them.
const (
	labelName    = "app.kubernetes.io/name"
	labelVersion = "app.kubernetes.io/version"
	managerName  = "dirsync"
)

// versionView is `version -o json|yaml`.
type versionView struct {
	Plugin pluginVersion `json:"plugin"`
	// Managers are the dirsync manager Deployments found; absent with --client or when they cannot be listed.
	Managers []managerVersion `json:"managers,omitempty"`
}

type pluginVersion struct {
	Version   string `json:"version"`
	Commit    string `json:"commit,omitempty"`
	GoVersion string `json:"goVersion"`
	Platform  string `json:"platform"`
}

type managerVersion struct {
	Namespace  string `json:"namespace"`
	Deployment string `json:"deployment"`
	Version    string `json:"version"`
	Image      string `json:"image"`
	Ready      int32  `json:"readyReplicas"`
	Replicas   int32  `json:"replicas"`
}

func (b *builder) versionCommand() *cobra.Command {
	return b.leaf(leafSpec{
		use:   "version",
		short: "Print the plugin's version and, when the cluster answers, the dirsync manager's",
		long: "Print the plugin's version and, unless --client, the version of every dirsync manager Deployment " +
			"(labelled " + labelName + "=" + managerName + ") the cluster shows: its " + labelVersion + " label, or its image tag. " +
			"A cluster that cannot be reached or read is reported, and does not fail the command.",
		example: `  # The plugin and the manager
  kubectl dirsync version

  # The plugin only, without contacting the cluster (as --version)
  kubectl dirsync version --client`,
		args: argsSpec(0, 0, "", ""),
		flags: func(fs *pflag.FlagSet, o *options) {
			fs.BoolVar(&o.clientOnly, "client", false, "Print the plugin's version only, without contacting the cluster.")
			outputFlag(fs, o)
		},
		run:     runVersion,
		offline: true,
	})
}

// runVersion prints the plugin's version and, unless --client, looks for the manager.
func runVersion(ctx context.Context, e *env, _ []string) error {
	v := versionView{Plugin: thisPlugin()}
	var problem string
	if !e.opts.clientOnly {
		v.Managers, problem = findManagers(ctx, e)
	}
	if e.opts.output != "" {
		if problem != "" {
			e.warnf("%s", problem)
		}
		return printStructured(e.out, e.opts.output, v)
	}
	fmt.Fprint(e.out, formatVersion(v, e.opts.clientOnly, problem))
	return nil
}

// thisPlugin is the plugin's version, with the commit the Go toolchain stamped when there is one.
func thisPlugin() pluginVersion {
	v := pluginVersion{Version: Version, GoVersion: runtime.Version(), Platform: runtime.GOOS + "/" + runtime.GOARCH}
	if info, ok := debug.ReadBuildInfo(); ok {
		dirty := false
		for _, s := range info.Settings {
			switch s.Key {
			case "vcs.revision":
				v.Commit = s.Value
			case "vcs.modified":
				dirty = s.Value == "true"
			}
		}
		if v.Commit != "" && dirty {
			v.Commit += "-dirty"
		}
	}
	return v
}

// findManagers lists the dirsync manager Deployments of every namespace. It returns why it could not,
// instead of failing: the plugin's version is still worth printing.
func findManagers(ctx context.Context, e *env) ([]managerVersion, string) {
	c, _, err := connect(e.config)
	if err != nil {
		return nil, err.Error()
	}
	ctx, cancel := context.WithTimeout(ctx, managerLookupTimeout)
	defer cancel()
	var list appsv1.DeploymentList
	if err := c.List(ctx, &list, client.MatchingLabels{labelName: managerName}); err != nil {
		return nil, apiError(err, "listing the manager's Deployments", request{"list", resDeployments, ""}).Error()
	}
	out := make([]managerVersion, 0, len(list.Items))
	for i := range list.Items {
		out = append(out, managerVersionOf(&list.Items[i]))
	}
	slices.SortFunc(out, func(a, b managerVersion) int {
		return cmp.Or(cmp.Compare(a.Namespace, b.Namespace), cmp.Compare(a.Deployment, b.Deployment))
	})
	return out, ""
}

// managerVersionOf reads the version of a manager Deployment: its version label, else its image's tag.
func managerVersionOf(d *appsv1.Deployment) managerVersion {
	m := managerVersion{Namespace: d.Namespace, Deployment: d.Name, Version: d.Labels[labelVersion], Ready: d.Status.ReadyReplicas, Replicas: 1}
	if d.Spec.Replicas != nil {
		m.Replicas = *d.Spec.Replicas
	}
	m.Image = managerImage(d.Spec.Template.Spec.Containers)
	if m.Version == "" {
		m.Version = imageTag(m.Image)
	}
	return m
}

// managerImage is the image of the container named manager, else of the first container.
func managerImage(containers []corev1.Container) string {
	for _, c := range containers {
		if c.Name == "manager" {
			return c.Image
		}
	}
	if len(containers) > 0 {
		return containers[0].Image
	}
	return ""
}

// imageTag is the tag of an image reference ("" when it has none), without a digest.
func imageTag(image string) string {
	image, _, _ = strings.Cut(image, "@")
	if i := strings.LastIndex(image, ":"); i > strings.LastIndex(image, "/") {
		return image[i+1:]
	}
	return ""
}

// formatVersion is version's text: the plugin, then each manager, or why none is shown.
func formatVersion(v versionView, clientOnly bool, problem string) string {
	var b strings.Builder
	p := v.Plugin
	fmt.Fprintf(&b, "Plugin:  %s", p.Version)
	if p.Commit != "" {
		fmt.Fprintf(&b, " (commit %s, %s, %s)\n", p.Commit, p.GoVersion, p.Platform)
	} else {
		fmt.Fprintf(&b, " (%s, %s)\n", p.GoVersion, p.Platform)
	}
	switch {
	case clientOnly:
	case problem != "":
		fmt.Fprintf(&b, "Manager: unknown: %s\n", strings.ReplaceAll(problem, "\n", "\n  "))
	case len(v.Managers) == 0:
		fmt.Fprintf(&b, "Manager: none found (no Deployment labelled %s=%s in any namespace)\n", labelName, managerName)
	}
	for _, m := range v.Managers {
		fmt.Fprintf(&b, "Manager: %s (image %s, Deployment %s/%s, %d/%d ready)\n", orDash(m.Version), orDash(m.Image),
			m.Namespace, m.Deployment, m.Ready, m.Replicas)
	}
	return b.String()
}
