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
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/cli-runtime/pkg/genericclioptions"
	"k8s.io/client-go/rest"
	"k8s.io/utils/clock"
	"sigs.k8s.io/controller-runtime/pkg/client"

	dirsyncv1alpha1 "github.com/dirsync/dirsync/api/v1alpha1"
)

// env is what a command runs with: a live client, the namespace kubectl would use, its flags and streams.
type env struct {
	client    client.Client
	namespace string
	opts      options
	config    *genericclioptions.ConfigFlags
	in        *bufio.Reader
	out       io.Writer
	errOut    io.Writer
	clock     clock.PassiveClock
	poll      time.Duration
}

// newEnv connects to the cluster the kubeconfig flags name; an offline command gets no client.
func (p *Plugin) newEnv(inv *invocation) (*env, error) {
	e := &env{opts: inv.opts, config: inv.config, in: bufio.NewReader(orEmpty(p.In)), out: p.Out, errOut: p.ErrOut,
		clock: p.Clock, poll: p.PollInterval}
	if e.clock == nil {
		e.clock = clock.RealClock{}
	}
	if e.poll <= 0 {
		e.poll = defaultPollInterval
	}
	if e.errOut == nil {
		e.errOut = io.Discard
	}
	if inv.offline {
		return e, nil
	}
	var err error
	e.client, e.namespace, err = connect(inv.config)
	return e, err
}

// connect is an uncached client of the cluster the kubeconfig flags name, and the namespace kubectl
// would use there.
func connect(config *genericclioptions.ConfigFlags) (client.Client, string, error) {
	cfg, err := config.ToRESTConfig()
	if err != nil {
		return nil, "", fmt.Errorf("loading the kubeconfig: %w", err)
	}
	ns, _, err := config.ToRawKubeConfigLoader().Namespace()
	if err != nil {
		return nil, "", fmt.Errorf("reading the namespace from the kubeconfig: %w", err)
	}
	c, err := newClient(cfg)
	return c, ns, err
}

// newClient is an uncached controller-runtime client that knows the dirsync kinds, core Events,
// RoleBindings and Deployments.
func newClient(cfg *rest.Config) (client.Client, error) {
	scheme := runtime.NewScheme()
	utilruntime.Must(corev1.AddToScheme(scheme))
	utilruntime.Must(rbacv1.AddToScheme(scheme))
	utilruntime.Must(appsv1.AddToScheme(scheme))
	utilruntime.Must(dirsyncv1alpha1.AddToScheme(scheme))
	c, err := client.New(cfg, client.Options{Scheme: scheme})
	if err != nil {
		return nil, fmt.Errorf("connecting to the cluster: %w", err)
	}
	return c, nil
}

func (e *env) now() time.Time { return e.clock.Now() }

func (e *env) key(name string) types.NamespacedName {
	return types.NamespacedName{Namespace: e.namespace, Name: name}
}

// warnf prints a warning on stderr: something the output lacks, which does not fail the command.
func (e *env) warnf(format string, args ...any) {
	fmt.Fprintf(e.errOut, "warning: "+format+"\n", args...)
}

// getDirectory reads the Directory name in the namespace.
func (e *env) getDirectory(ctx context.Context, name string) (*dirsyncv1alpha1.Directory, error) {
	dir := &dirsyncv1alpha1.Directory{}
	if err := e.client.Get(ctx, e.key(name), dir); err != nil {
		if apierrors.IsNotFound(err) {
			return nil, fmt.Errorf("no Directory %q in namespace %q", name, e.namespace)
		}
		return nil, apiError(err, fmt.Sprintf("reading Directory %s/%s", e.namespace, name), request{"get", resDirectories, e.namespace})
	}
	return dir, nil
}

// annotate sets one annotation on the Directory with a merge patch, which touches nothing else.
func (e *env) annotate(ctx context.Context, dir *dirsyncv1alpha1.Directory, key, value string) error {
	patch, err := json.Marshal(map[string]any{"metadata": map[string]any{"annotations": map[string]string{key: value}}})
	if err != nil {
		return err
	}
	if err := e.client.Patch(ctx, dir, client.RawPatch(types.MergePatchType, patch)); err != nil {
		return apiError(err, fmt.Sprintf("annotating Directory %s/%s with %s", dir.Namespace, dir.Name, key),
			request{"patch", resDirectories, dir.Namespace})
	}
	return nil
}

// errTimeout is what waitFor returns when --timeout passes first.
var errTimeout = errors.New("timed out")

// waitFor reads the Directory every poll interval until done reports true or an error, printing the
// Syncing condition's message whenever it changes. It returns the Directory as last read; after
// --timeout it returns errTimeout with it. Transient read errors are retried.
func (e *env) waitFor(ctx context.Context, key types.NamespacedName,
	done func(*dirsyncv1alpha1.Directory) (bool, error)) (*dirsyncv1alpha1.Directory, error) {
	wctx, cancel := context.WithTimeout(ctx, e.opts.timeout)
	defer cancel()
	var last *dirsyncv1alpha1.Directory
	var lastErr error
	var shown string
	err := wait.PollUntilContextCancel(wctx, e.poll, true, func(ctx context.Context) (bool, error) {
		d := &dirsyncv1alpha1.Directory{}
		if err := e.client.Get(ctx, key, d); err != nil {
			if apierrors.IsNotFound(err) {
				return false, fmt.Errorf("the Directory %s was deleted while waiting", key)
			}
			lastErr = err
			return false, nil
		}
		last = d
		if c := condition(d, dirsyncv1alpha1.ConditionSyncing); isSyncing(d) && c.Message != shown {
			fmt.Fprintf(e.out, "  %s\n", c.Message)
			shown = c.Message
		}
		return done(d)
	})
	switch {
	case err == nil:
		return last, nil
	case ctx.Err() != nil:
		return last, fmt.Errorf("interrupted while waiting: %w", ctx.Err())
	case wait.Interrupted(err) && last == nil && lastErr != nil:
		return nil, fmt.Errorf("%w after %s; the last read failed: %w", errTimeout, e.opts.timeout, lastErr)
	case wait.Interrupted(err):
		return last, fmt.Errorf("%w after %s", errTimeout, e.opts.timeout)
	}
	return last, err
}
