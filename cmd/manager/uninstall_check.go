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

package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/go-logr/logr"
	"k8s.io/apimachinery/pkg/runtime"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	dirsyncv1alpha1 "github.com/dirsync/dirsync/api/v1alpha1"
	"github.com/dirsync/dirsync/internal/uninstall"
)

// uninstallCheckCommand is the subcommand the chart's pre-delete hook runs (`/manager uninstall-check`):
// it exits non-zero while a DirectoryAccess exists, so that `helm uninstall` stops before it removes
// the manager that would delete their RoleBindings.
const uninstallCheckCommand = "uninstall-check"

// runUninstallCheck parses the subcommand's flags, connects and runs uninstall.Check.
func runUninstallCheck(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet(uninstallCheckCommand, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: manager %s [flags]\n\nExits 0 when no DirectoryAccess exists (in the watched namespaces), "+
			"1 while some do (naming them), 2 when it cannot tell. The chart's pre-delete hook runs it.\n\n", uninstallCheckCommand)
		fs.PrintDefaults()
	}
	kubeconfig := fs.String("kubeconfig", "", "Path to a kubeconfig; empty: $KUBECONFIG, the in-cluster ServiceAccount, then ~/.kube/config.")
	watch := fs.String("watch-namespace", "", "Comma-separated namespaces the manager watches, as its --watch-namespace; empty checks every namespace.")
	timeout := fs.Duration("timeout", time.Minute, "How long to try to reach the API server.")
	if err := fs.Parse(args); err != nil {
		return uninstall.ExitUnknown
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "%s: unexpected arguments %v\n", uninstallCheckCommand, fs.Args())
		return uninstall.ExitUnknown
	}
	// The client logs nothing we need; this keeps controller-runtime from warning that no logger is set.
	ctrl.SetLogger(logr.Discard())
	c, err := uninstallCheckClient(*kubeconfig)
	if err != nil {
		fmt.Fprintf(stderr, "Refusing to uninstall dirsync: %v\n", err)
		return uninstall.ExitUnknown
	}
	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()
	return uninstall.Check(ctx, c, watchNamespaces(options{watchNamespaces: *watch}), stdout, stderr)
}

func uninstallCheckClient(kubeconfig string) (client.Client, error) {
	var cfg *rest.Config
	var err error
	if kubeconfig != "" {
		cfg, err = clientcmd.BuildConfigFromFlags("", kubeconfig)
	} else {
		cfg, err = ctrl.GetConfig()
	}
	if err != nil {
		return nil, fmt.Errorf("loading kubeconfig: %w", err)
	}
	scheme := runtime.NewScheme()
	utilruntime.Must(dirsyncv1alpha1.AddToScheme(scheme))
	return client.New(cfg, client.Options{Scheme: scheme})
}
