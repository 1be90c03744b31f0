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

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/rest"
	"k8s.io/utils/clock"
	"sigs.k8s.io/controller-runtime/pkg/client"

	dirsyncv1alpha1 "github.com/dirsync/dirsync/api/v1alpha1"
)

// env is what a subcommand runs with: a live client, the namespace kubectl would use, its flags and streams.
type env struct {
	client    client.Client
	namespace string
	opts      options
	in        *bufio.Reader
	out       io.Writer
	clock     clock.PassiveClock
	poll      time.Duration
}

// newClient is an uncached controller-runtime client that knows Directories and core Events.
func newClient(cfg *rest.Config) (client.Client, error) {
	scheme := runtime.NewScheme()
	utilruntime.Must(corev1.AddToScheme(scheme))
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

// getDirectory reads the Directory name in the namespace.
func (e *env) getDirectory(ctx context.Context, name string) (*dirsyncv1alpha1.Directory, error) {
	dir := &dirsyncv1alpha1.Directory{}
	if err := e.client.Get(ctx, e.key(name), dir); err != nil {
		if apierrors.IsNotFound(err) {
			return nil, fmt.Errorf("no Directory %q in namespace %q", name, e.namespace)
		}
		return nil, apiError(err, fmt.Sprintf("reading Directory %s/%s", e.namespace, name))
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
		return apiError(err, fmt.Sprintf("annotating Directory %s/%s with %s", dir.Namespace, dir.Name, key))
	}
	return nil
}

// apiError explains an API error; a cluster without the CRDs gets a hint to install them.
func apiError(err error, doing string) error {
	if meta.IsNoMatchError(err) {
		return fmt.Errorf("%s: the cluster does not serve %s Directories: install the dirsync CRDs "+
			"(kubectl apply --server-side -k config/crd, or make install)", doing, dirsyncv1alpha1.GroupVersion)
	}
	return fmt.Errorf("%s: %w", doing, err)
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
