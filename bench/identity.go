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
	"fmt"
	"path/filepath"
	"time"

	authenticationv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// The identities the bench's processes run as. The manager runs as the operator's own ServiceAccount
// with config/rbac (applied through config/demo/rbac, as make demo does): its requests then go through
// the API server's priority and fairness like an installed operator's (FlowSchema service-accounts →
// priority level workload-low), not as the cluster admin, whose group system:masters is exempt. The
// floor writes as the same ServiceAccount, so that both compared phases meet the same API server path.
// The probe of the defaults phase (apf.go) is another ServiceAccount: another tenant of workload-low.
const (
	nsOperator = "dirsync-system"
	operatorSA = "dirsync-controller-manager"
	nsProbe    = "bench-probe"
	probeSA    = "bench-probe"
	probeCM    = "probe"
)

// identity is a ServiceAccount's credentials: a client config and a kubeconfig file for processes.
type identity struct {
	user       string // system:serviceaccount:<namespace>:<name>
	rest       *rest.Config
	kubeconfig string
}

// setupIdentities creates the operator's ServiceAccount and RBAC from config/ and the probe's
// ServiceAccount (allowed to get one ConfigMap), and a token and kubeconfig for each.
func (c *cluster) setupIdentities(ctx context.Context) error {
	if err := c.ensureNamespace(ctx, nsOperator); err != nil {
		return err
	}
	if err := c.kubectl(ctx, "apply", "--server-side", "-k", filepath.Join(c.cfg.root, "config", "demo", "rbac")); err != nil {
		return err
	}
	var err error
	if c.operator, err = c.serviceAccountIdentity(ctx, nsOperator, operatorSA); err != nil {
		return err
	}
	if err := c.ensureNamespace(ctx, nsProbe); err != nil {
		return err
	}
	for _, o := range []client.Object{
		&corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Namespace: nsProbe, Name: probeSA}},
		&corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: nsProbe, Name: probeCM}, Data: map[string]string{"probe": "1"}},
		&rbacv1.Role{ObjectMeta: metav1.ObjectMeta{Namespace: nsProbe, Name: probeSA}, Rules: []rbacv1.PolicyRule{{
			APIGroups: []string{""}, Resources: []string{"configmaps"}, ResourceNames: []string{probeCM}, Verbs: []string{"get"}}}},
		&rbacv1.RoleBinding{ObjectMeta: metav1.ObjectMeta{Namespace: nsProbe, Name: probeSA},
			RoleRef:  rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "Role", Name: probeSA},
			Subjects: []rbacv1.Subject{{Kind: rbacv1.ServiceAccountKind, Namespace: nsProbe, Name: probeSA}}},
	} {
		if err := c.cl.Create(ctx, o); err != nil && !apierrors.IsAlreadyExists(err) {
			return err
		}
	}
	c.probe, err = c.serviceAccountIdentity(ctx, nsProbe, probeSA)
	return err
}

// serviceAccountIdentity waits for the ServiceAccount, requests a token for it (valid for a day) and
// writes a kubeconfig with it next to the control plane's.
func (c *cluster) serviceAccountIdentity(ctx context.Context, ns, name string) (identity, error) {
	sa := &corev1.ServiceAccount{}
	if err := poll(ctx, 30*time.Second, func() (bool, error) {
		return c.cl.Get(ctx, client.ObjectKey{Namespace: ns, Name: name}, sa) == nil, nil
	}); err != nil {
		return identity{}, fmt.Errorf("ServiceAccount %s/%s: %w", ns, name, err)
	}
	tr := &authenticationv1.TokenRequest{Spec: authenticationv1.TokenRequestSpec{ExpirationSeconds: ptr.To[int64](24 * 3600)}}
	if err := c.cl.SubResource("token").Create(ctx, sa, tr); err != nil {
		return identity{}, fmt.Errorf("a token for ServiceAccount %s/%s: %w", ns, name, err)
	}
	id := identity{user: "system:serviceaccount:" + ns + ":" + name, rest: rest.AnonymousClientConfig(c.rest)}
	id.rest.BearerToken = tr.Status.Token
	id.kubeconfig = filepath.Join(c.dir, name+".kubeconfig")
	kc := clientcmdapi.NewConfig()
	kc.Clusters["local"] = &clientcmdapi.Cluster{Server: c.rest.Host, CertificateAuthorityData: c.rest.CAData,
		CertificateAuthority: c.rest.CAFile}
	kc.AuthInfos[name] = &clientcmdapi.AuthInfo{Token: tr.Status.Token}
	kc.Contexts["local"] = &clientcmdapi.Context{Cluster: "local", AuthInfo: name}
	kc.CurrentContext = "local"
	return id, clientcmd.WriteToFile(*kc, id.kubeconfig)
}

// writer is the floor's client: the operator's ServiceAccount, client-side rate limiting off.
func (c *cluster) writer() (client.Client, error) {
	rc := rest.CopyConfig(c.operator.rest)
	rc.QPS, rc.Burst = 1e6, 1e6
	return client.New(rc, client.Options{Scheme: scheme})
}
