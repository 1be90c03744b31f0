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

package directory

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	dirsyncv1alpha1 "github.com/dirsync/dirsync/api/v1alpha1"
	"github.com/dirsync/dirsync/internal/testenv"
)

// directoryManifest is a Directory as a user writes it in YAML: only provider and the Secret's name.
func directoryManifest(ns, name string) *unstructured.Unstructured {
	u := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": dirsyncv1alpha1.GroupVersion.String(),
		"kind":       "Directory",
		"metadata":   map[string]any{"name": name, "namespace": ns},
		"spec": map[string]any{
			"provider":             "BreatheHR",
			"credentialsSecretRef": map[string]any{"name": "hr-key"},
		},
	}}
	return u
}

func TestAPIServerRejectsInvalidDirectories(t *testing.T) {
	testenv.Require(t)
	ns := testenv.NewNamespace(t, k8sClient, "dirsync-test-")
	set := func(path ...string) func(u *unstructured.Unstructured, v any) {
		return func(u *unstructured.Unstructured, v any) { must(t, unstructured.SetNestedField(u.Object, v, path...)) }
	}
	drop := func(path ...string) func(u *unstructured.Unstructured, _ any) {
		return func(u *unstructured.Unstructured, _ any) { unstructured.RemoveNestedField(u.Object, path...) }
	}
	tests := []struct {
		name   string
		change func(u *unstructured.Unstructured, v any)
		value  any
		// want are the texts the user sees in the error: the field and what is wrong with it.
		want []string
	}{
		{"unknown provider", set("spec", "provider"), "Workday",
			[]string{"spec.provider", `Unsupported value: "Workday"`, `supported values: "BreatheHR", "AccessPeopleHR"`}},
		{"no provider", drop("spec", "provider"), nil, []string{"spec.provider", "Required value"}},
		{"no credentialsSecretRef", drop("spec", "credentialsSecretRef"), nil, []string{"spec.credentialsSecretRef", "Required value"}},
		{"no credentialsSecretRef.name", drop("spec", "credentialsSecretRef", "name"), nil,
			[]string{"spec.credentialsSecretRef.name", "Required value"}},
		{"empty credentialsSecretRef.name", set("spec", "credentialsSecretRef", "name"), "",
			[]string{"spec.credentialsSecretRef.name", "at least 1 chars long"}},
		{"syncInterval 30s", set("spec", "syncInterval"), "30s", []string{"spec.syncInterval", "syncInterval must be at least 1m"}},
		{"syncInterval not a duration", set("spec", "syncInterval"), "every hour", []string{"spec.syncInterval", "duration"}},
		{"maxDeletePercent -1", set("spec", "deletionGuard", "maxDeletePercent"), int64(-1),
			[]string{"spec.deletionGuard.maxDeletePercent", "greater than or equal to 0"}},
		{"maxDeletePercent 101", set("spec", "deletionGuard", "maxDeletePercent"), int64(101),
			[]string{"spec.deletionGuard.maxDeletePercent", "less than or equal to 100"}},
		{"endpoint not a URL", set("spec", "endpoint"), "not a url",
			[]string{"spec.endpoint", "endpoint must be an absolute http:// or https:// URL with a host"}},
		{"endpoint ftp://", set("spec", "endpoint"), "ftp://x",
			[]string{"spec.endpoint", "endpoint must be an absolute http:// or https:// URL with a host"}},
		{"endpoint without host", set("spec", "endpoint"), "https://",
			[]string{"spec.endpoint", "endpoint must be an absolute http:// or https:// URL with a host"}},
		{"inactiveUserPolicy Archive", set("spec", "inactiveUserPolicy"), "Archive",
			[]string{"spec.inactiveUserPolicy", `Unsupported value: "Archive"`}},
		{"name of 64 characters", set("metadata", "name"), strings.Repeat("a", 64),
			[]string{"a Directory's name must be at most 63 characters"}},
		{"Breathe HR has no companies", set("spec", "groupBy"), []any{"Department", "Company"},
			[]string{"spec.groupBy", "BreatheHR offers the group kinds Department, Location and Division"}},
		{"Access People HR has no divisions", func(u *unstructured.Unstructured, v any) {
			set("spec", "provider")(u, "AccessPeopleHR")
			set("spec", "groupBy")(u, v)
		}, []any{"Division"}, []string{"spec.groupBy", "AccessPeopleHR offers the group kinds Department, Location and Company"}},
		{"unknown group kind", set("spec", "groupBy"), []any{"Team"}, []string{"spec.groupBy[0]", `Unsupported value: "Team"`}},
		{"empty groupBy", set("spec", "groupBy"), []any{}, []string{"spec.groupBy", "at least 1 items"}},
		{"a kind twice", set("spec", "groupBy"), []any{"Location", "Location"}, []string{"spec.groupBy[1]", "Duplicate value"}},
		{"webhook.enabled not a bool", set("spec", "webhook", "enabled"), "yes", []string{"spec.webhook.enabled", "must be of type boolean"}},
		{"webhook.secretRef without a name", set("spec", "webhook", "secretRef"), map[string]any{},
			[]string{"spec.webhook.secretRef.name", "Required value"}},
		{"webhook.secretRef.name empty", set("spec", "webhook", "secretRef", "name"), "",
			[]string{"spec.webhook.secretRef.name", "at least 1 chars long"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u := directoryManifest(ns, "invalid")
			tt.change(u, tt.value)
			err := k8sClient.Create(context.Background(), u)
			if err == nil {
				_ = k8sClient.Delete(context.Background(), u)
				t.Fatal("the API server accepted the Directory")
			}
			if !apierrors.IsInvalid(err) {
				t.Fatalf("err = %v, want an Invalid error", err)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
		})
	}
}

func TestAPIServerDefaultsAMinimalDirectory(t *testing.T) {
	testenv.Require(t)
	ns := testenv.NewNamespace(t, k8sClient, "dirsync-test-")
	ctx := context.Background()
	name := strings.Repeat("d", 63) // the longest name the CRD allows
	u := directoryManifest(ns, name)
	must(t, k8sClient.Create(ctx, u))
	t.Cleanup(func() { _ = k8sClient.Delete(ctx, u) })
	d := &dirsyncv1alpha1.Directory{}
	must(t, k8sClient.Get(ctx, client.ObjectKey{Namespace: ns, Name: name}, d))
	// The fields the API server defaults, or must leave unset.
	type defaulted struct {
		CredentialsKey     string
		SyncInterval       *metav1.Duration
		MaxDeletePercent   *int32
		InactiveUserPolicy dirsyncv1alpha1.InactiveUserPolicy
		Suspend            *bool
		Endpoint           string
		DryRun             *bool
		GroupBy            []dirsyncv1alpha1.GroupType
	}
	want := defaulted{
		CredentialsKey:     "apiKey",
		SyncInterval:       &metav1.Duration{Duration: 30 * time.Minute},
		MaxDeletePercent:   ptr.To[int32](25),
		InactiveUserPolicy: dirsyncv1alpha1.InactiveUserPolicyKeep,
		GroupBy:            []dirsyncv1alpha1.GroupType{dirsyncv1alpha1.GroupTypeDepartment},
	}
	s := d.Spec
	got := defaulted{
		CredentialsKey:     s.CredentialsSecretRef.Key,
		SyncInterval:       s.SyncInterval,
		MaxDeletePercent:   s.DeletionGuard.MaxDeletePercent,
		InactiveUserPolicy: s.InactiveUserPolicy,
		Suspend:            s.Suspend,
		Endpoint:           s.Endpoint,
		DryRun:             s.DryRun,
		GroupBy:            s.GroupBy,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("defaulted spec (-want +got):\n%s", diff)
	}
}

// Each provider accepts the group kinds it offers.
func TestAPIServerAcceptsEachProvidersGroupKinds(t *testing.T) {
	testenv.Require(t)
	ns := testenv.NewNamespace(t, k8sClient, "dirsync-test-")
	for provider, kinds := range map[string][]any{
		"BreatheHR":      {"Department", "Location", "Division"},
		"AccessPeopleHR": {"Department", "Location", "Company"},
	} {
		u := directoryManifest(ns, strings.ToLower(provider))
		must(t, unstructured.SetNestedField(u.Object, provider, "spec", "provider"))
		must(t, unstructured.SetNestedField(u.Object, kinds, "spec", "groupBy"))
		must(t, unstructured.SetNestedField(u.Object, true, "spec", "dryRun"))
		if err := k8sClient.Create(context.Background(), u); err != nil {
			t.Errorf("%s with groupBy %v was refused: %v", provider, kinds, err)
		}
	}
}

// TestAPIServerAcceptsEverySample creates each object of config/samples (the DirectoryAccess sample
// included, which the kustomization leaves out because it needs an opt-in first) with a server-side
// dry run and strict field validation: a sample that a field rename or a new rule broke fails here.
func TestAPIServerAcceptsEverySample(t *testing.T) {
	testenv.Require(t)
	ns := testenv.NewNamespace(t, k8sClient, "dirsync-test-")
	root, err := testenv.Root()
	must(t, err)
	files, err := filepath.Glob(filepath.Join(root, "config", "samples", "*.yaml"))
	must(t, err)
	kinds := map[string]int{}
	for _, f := range files {
		if filepath.Base(f) == "kustomization.yaml" {
			continue
		}
		data, err := os.ReadFile(f)
		must(t, err)
		for i, doc := range strings.Split(string(data), "\n---") {
			obj := &unstructured.Unstructured{}
			if err := yaml.Unmarshal([]byte(doc), &obj.Object); err != nil || len(obj.Object) == 0 {
				t.Fatalf("%s, document %d: not an object: %v", f, i, err)
			}
			obj.SetNamespace(ns)
			if err := k8sClient.Create(context.Background(), obj, client.DryRunAll, client.FieldValidation("Strict")); err != nil {
				t.Errorf("%s: %s %s is refused: %v", f, obj.GetKind(), obj.GetName(), err)
			}
			kinds[obj.GetKind()]++
		}
	}
	if kinds["Directory"] < 2 || kinds["DirectoryAccess"] < 1 || kinds["Secret"] < 2 {
		t.Errorf("samples found by kind: %v; want both Directories, their Secrets and the DirectoryAccess", kinds)
	}
}
