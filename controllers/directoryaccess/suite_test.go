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

package directoryaccess

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/rest"
	clocktesting "k8s.io/utils/clock/testing"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"
	"sigs.k8s.io/yaml"

	"github.com/dirsync/dirsync/controllers/directory"
	"github.com/dirsync/dirsync/controllers/directory/directorytest"
	"github.com/dirsync/dirsync/internal/testenv"
)

// The suite starts one API server (testenv) and two managers: the Directory controller, which the
// stories drive through a fake HR server (directorytest), and the DirectoryAccess controller, which runs
// as the operator's ServiceAccount would: every request is impersonated as accessOperator, whose only
// rights are config/rbac/role.yaml (bound cluster-wide, as config/default does) and, per test namespace,
// the dirsync-access-grantor ClusterRole the test binds there. envtest's API server authorizes with RBAC
// (controller-runtime starts it with --authorization-mode=RBAC; the suite's admin is in
// system:masters), so the least-privilege stories run against the real authorizer. The admission
// policy from config/admission is installed too.
const (
	accessOperator    = "system:serviceaccount:dirsync-system:dirsync-controller-manager"
	accessGrantorRole = "dirsync-access-grantor"
	accessManagerRole = "dirsync-manager-role"
	policyName        = "directoryaccess-requester-can-bind" // config/admission's, without config/default's prefix
	// testSettleLimit is the suite's bound on the settle wait (30s in production), so a story that
	// keeps the data changing is short.
	testSettleLimit = 4 * time.Second
	// testMaxBindingBytes is the suite's bound on a DirectoryAccess's subjects (1 MiB in production):
	// about 100 subjects, so a story can exceed it with a small company.
	testMaxBindingBytes = 10 << 10
)

var (
	k8sClient    client.Client // the administrator, uncached
	restConfig   *rest.Config
	logs         = &testenv.Buffer{}
	accessClock  = &shiftClock{}
	accessWrites = &rbacWriteCounter{byNamespace: map[string]int{}}
	// directoryClock is the Directory controller's clock, fixed (so that it syncs only when a story asks)
	// at the suite's start: the Directory's data is then as fresh as the access controller's clock says.
	directoryClock = clocktesting.NewFakeClock(time.Now().UTC().Truncate(time.Second))
)

func TestMain(m *testing.M) {
	os.Exit(testenv.Run(m, startSuite))
}

// startSuite starts the Directory controller, installs the operator's RBAC and the admission policy from
// config/, and starts the DirectoryAccess controller as accessOperator.
func startSuite(s *testenv.Suite) (func(), error) {
	ctrl.SetLogger(zap.New(zap.WriteTo(logs), zap.UseDevMode(false)))
	k8sClient, restConfig = s.Client, s.Config
	dirCfg := rest.CopyConfig(s.Config)
	dirCfg.QPS, dirCfg.Burst = 500, 1000
	stopDirectory, err := testenv.StartManager(dirCfg, s.Scheme, func(mgr ctrl.Manager) error {
		return (&directory.Reconciler{
			Client: mgr.GetClient(), APIReader: mgr.GetAPIReader(), Scheme: s.Scheme,
			Providers: directorytest.Providers(), Clock: directoryClock, Recorder: mgr.GetEventRecorder("dirsync"), ProgressEvery: 400 * time.Millisecond,
			AllowInsecureEndpoints: true, ProviderTimeout: 2 * time.Second, MaxConcurrentSyncs: 2, WriteWorkers: 8,
		}).SetupWithManager(mgr)
	})
	if err != nil {
		return nil, fmt.Errorf("starting the Directory controller: %w", err)
	}
	if err := installAccessConfig(s.Client); err != nil {
		stopDirectory()
		return nil, fmt.Errorf("installing RBAC and admission from config/: %w", err)
	}
	opCfg := rest.CopyConfig(s.Config)
	opCfg.Impersonate = rest.ImpersonationConfig{UserName: accessOperator,
		Groups: []string{"system:serviceaccounts", "system:serviceaccounts:dirsync-system", "system:authenticated"}}
	opCfg.QPS, opCfg.Burst = 500, 1000
	opCfg.Wrap(accessWrites.wrap)
	stopAccess, err := testenv.StartManager(opCfg, s.Scheme, func(mgr ctrl.Manager) error {
		return (&Reconciler{Client: mgr.GetClient(), APIReader: mgr.GetAPIReader(), Clock: accessClock,
			Recorder: mgr.GetEventRecorder("dirsync"), NotPermittedRetry: 2 * time.Second,
			SettleLimit: testSettleLimit, MaxBindingBytes: testMaxBindingBytes, AdmissionPolicy: "dirsync-" + policyName}).SetupWithManager(mgr)
	})
	if err != nil {
		stopDirectory()
		return nil, fmt.Errorf("starting the DirectoryAccess controller: %w", err)
	}
	return func() { stopAccess(); stopDirectory() }, nil
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// installAccessConfig creates, from the files config/default installs: the manager ClusterRole
// (config/rbac/role.yaml) and the admission policy reader bound to accessOperator, the grantor
// ClusterRole (bound by each test where it opts a namespace in), and the ValidatingAdmissionPolicy with
// its binding.
func installAccessConfig(admin client.Client) error {
	ctx := context.Background()
	root, err := testenv.Root()
	if err != nil {
		return err
	}
	var managerRole, grantor, policyReader rbacv1.ClusterRole
	var policy admissionregistrationv1.ValidatingAdmissionPolicy
	var binding admissionregistrationv1.ValidatingAdmissionPolicyBinding
	for path, obj := range map[string]any{
		"rbac/role.yaml": &managerRole, "rbac/access_grantor_role.yaml": &grantor, "rbac/admission_policy_reader_role.yaml": &policyReader,
		"admission/directoryaccess_policy.yaml": &policy, "admission/directoryaccess_policy_binding.yaml": &binding,
	} {
		b, err := os.ReadFile(filepath.Join(root, "config", path))
		if err != nil {
			return err
		}
		if err := yaml.UnmarshalStrict(b, obj); err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
	}
	managerRole.Name, grantor.Name, policyReader.Name = accessManagerRole, accessGrantorRole, "dirsync-"+policyReader.Name // config/default's namePrefix
	policy.Name, binding.Name, binding.Spec.PolicyName = "dirsync-"+policy.Name, "dirsync-"+binding.Name, "dirsync-"+binding.Spec.PolicyName
	bind := func(role string) *rbacv1.ClusterRoleBinding {
		return &rbacv1.ClusterRoleBinding{ObjectMeta: metav1.ObjectMeta{Name: role},
			RoleRef:  rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: role},
			Subjects: []rbacv1.Subject{{Kind: rbacv1.UserKind, APIGroup: rbacv1.GroupName, Name: accessOperator}}}
	}
	for _, o := range []client.Object{&managerRole, &grantor, &policyReader, bind(accessManagerRole), bind(policyReader.Name), &policy, &binding} {
		if err := admin.Create(ctx, o); err != nil {
			return fmt.Errorf("creating %T %s: %w", o, o.GetName(), err)
		}
	}
	return nil
}
