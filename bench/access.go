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
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/watch"
	"sigs.k8s.io/controller-runtime/pkg/client"

	dirsyncv1alpha1 "github.com/dirsync/dirsync/api/v1alpha1"
	"github.com/dirsync/dirsync/internal/provider/fakehr"
)

// The DirectoryAccess phase (issue 14): one department of cfg.accessMembers active employees bound to
// view in one namespace by one DirectoryAccess, so one RoleBinding with that many subjects. It measures
// the time to bind them all, the RoleBinding's size, the RoleBinding writes and permission reviews when
// HR changes nothing that matters to access (target 0), and, for cfg.accessLeavers leavers one at a
// time, the latency from the leaver's DirectoryUser update to the RoleBinding update (both as watch
// events reach the bench; target p99 ≤ 5 s).
const (
	nsAccess       = "bench-access"
	nsAccessTarget = "bench-access-target"
	accessName     = "platform-view"
	targetLatency  = 5 * time.Second
	maxBindingSize = 1 << 20
)

// accessRun is what the phase measured.
type accessRun struct {
	Run            runInfo
	Members        int
	BindAll        time.Duration // DirectoryAccess created → RoleBinding with every member
	BindingBytes   int           // the RoleBinding as JSON
	QuietWrites    float64       // RoleBinding writes + SelfSubjectAccessReviews in the quiet window
	QuietReconcile float64       // DirectoryAccess reconciles in that window (so it was really exercised)
	Latencies      []time.Duration
	ManagerMean    time.Duration // dirsync_access_revocation_seconds: mean over the leavers
	ManagerCount   float64
}

// runAccess runs the phase with a manager of its own, after the sizes.
func runAccess(ctx context.Context, c *cluster) (*accessRun, error) {
	r := &accessRun{Run: beginRun(fmt.Sprintf("-access-members=%d -access-leavers=%d", c.cfg.accessMembers, c.cfg.accessLeavers)), Members: c.cfg.accessMembers}
	co := accessCompany(r.Members)
	if err := c.fakeAdmin(ctx, http.MethodPut, "/admin/company", co, nil); err != nil {
		return nil, err
	}
	c.n = r.Members // the fake no longer serves the last size's company
	for _, ns := range []string{nsAccess, nsAccessTarget} {
		if err := c.ensureNamespace(ctx, ns); err != nil {
			return nil, err
		}
	}
	if err := c.cl.Create(ctx, benchSecret(nsAccess)); err != nil {
		return nil, err
	}
	// As the cluster admin: the operator's ServiceAccount may bind only where dirsync-access-grantor is bound.
	if err := c.startManager(ctx, managerRun{label: "access", kubeconfig: c.kubeconfig, qps: c.cfg.qps, burst: c.cfg.burst}); err != nil {
		return nil, err
	}
	defer c.stopManager()
	logf("access: syncing %d employees in one department", r.Members)
	if _, err := c.waitDirectory(ctx, nsAccess, 5*time.Minute, func() error {
		return c.cl.Create(ctx, benchDirectory(nsAccess, c.proxy.url+"/v1", false))
	}, readyAfter(r.Members, "")); err != nil {
		return nil, err
	}
	rb, err := r.bindAll(ctx, c)
	if err != nil {
		return nil, err
	}
	if err := r.quiet(ctx, c); err != nil {
		return nil, err
	}
	if err := r.leavers(ctx, c, co, rb.Name); err != nil {
		return nil, err
	}
	r.Run.end()
	// Leave nothing for the next phases' managers to cache or clean up.
	c.stopManager()
	if err := client.IgnoreNotFound(c.cl.Delete(ctx, &dirsyncv1alpha1.DirectoryAccess{ObjectMeta: metav1.ObjectMeta{Namespace: nsAccess, Name: accessName}})); err != nil {
		return nil, err
	}
	if err := c.cl.DeleteAllOf(ctx, &rbacv1.RoleBinding{}, client.InNamespace(nsAccessTarget),
		client.MatchingLabels{dirsyncv1alpha1.LabelManagedBy: dirsyncv1alpha1.ManagedByDirsync}); err != nil {
		return nil, err
	}
	return r, c.emptyNamespace(ctx, nsAccess)
}

// accessCompany is n current employees of one department.
func accessCompany(n int) fakehr.Company {
	co := fakehr.Company{Departments: []fakehr.Department{{ID: "10", Name: "Platform"}}}
	for i := range n {
		id := fmt.Sprint(100001 + i)
		co.Employees = append(co.Employees, fakehr.Employee{ID: id, FirstName: "Person", LastName: id, Email: "person." + id + "@bench.example",
			JobTitle: "Engineer", Status: fakehr.Current, DepartmentID: "10", StartDate: "2020-01-06"})
	}
	return co
}

// bindAll creates the DirectoryAccess and times it until its RoleBinding binds every member.
func (r *accessRun) bindAll(ctx context.Context, c *cluster) (*rbacv1.RoleBinding, error) {
	acc := &dirsyncv1alpha1.DirectoryAccess{
		ObjectMeta: metav1.ObjectMeta{Namespace: nsAccess, Name: accessName},
		Spec: dirsyncv1alpha1.DirectoryAccessSpec{
			DirectoryRef: dirsyncv1alpha1.DirectoryReference{Name: dirName},
			Groups:       []string{childName(dirName, "10")},
			RoleRef:      dirsyncv1alpha1.AccessRoleRef{Kind: dirsyncv1alpha1.AccessRoleClusterRole, Name: "view"},
			Target:       dirsyncv1alpha1.AccessTarget{Namespaces: []string{nsAccessTarget}},
			Subject:      dirsyncv1alpha1.AccessSubject{Kind: dirsyncv1alpha1.AccessSubjectUser, Template: "oidc:{{ lower .Email }}"},
		},
	}
	start := time.Now()
	if err := c.cl.Create(ctx, acc); err != nil {
		return nil, err
	}
	var rb *rbacv1.RoleBinding
	err := poll(ctx, 2*time.Minute, func() (bool, error) {
		if err := c.cl.Get(ctx, client.ObjectKeyFromObject(acc), acc); err != nil || len(acc.Status.Bindings) == 0 {
			return false, nil
		}
		rb = &rbacv1.RoleBinding{}
		if err := c.cl.Get(ctx, types.NamespacedName{Namespace: nsAccessTarget, Name: acc.Status.Bindings[0].Name}, rb); err != nil {
			return false, nil
		}
		return len(rb.Subjects) == r.Members, nil
	})
	if err != nil {
		return nil, fmt.Errorf("binding %d members: %w (status %+v)", r.Members, err, acc.Status)
	}
	r.BindAll = time.Since(start)
	b, err := json.Marshal(rb)
	if err != nil {
		return nil, err
	}
	r.BindingBytes = len(b)
	logf("access: %d subjects bound in %s; RoleBinding %s is %s as JSON", r.Members, r.BindAll.Round(time.Millisecond), rb.Name, mib(int64(r.BindingBytes)))
	return rb, nil
}

// quiet changes something HR holds that no binding depends on (10 job titles), syncs, and counts the
// RoleBinding writes and permission reviews the API server served meanwhile.
func (r *accessRun) quiet(ctx context.Context, c *cluster) error {
	c.quiesce(ctx)
	a0, err := c.apiMetrics(ctx, "access-quiet-begin")
	if err != nil {
		return err
	}
	m0, err := c.managerMetrics(ctx, "access-quiet-manager-begin")
	if err != nil {
		return err
	}
	var co fakehr.Company
	if err := c.fakeAdmin(ctx, http.MethodGet, "/admin/company", nil, &co); err != nil {
		return err
	}
	for i := range 10 {
		co.Employees[i].JobTitle = "Staff Engineer"
	}
	if err := c.fakeAdmin(ctx, http.MethodPut, "/admin/company", co, nil); err != nil {
		return err
	}
	if err := forceAccessSync(ctx, c, "quiet"); err != nil {
		return err
	}
	time.Sleep(3 * time.Second) // a fixed window: reconciles the sync triggered (and their settle) happen in it
	a1, err := c.apiMetrics(ctx, "access-quiet-end")
	if err != nil {
		return err
	}
	m1, err := c.managerMetrics(ctx, "access-quiet-manager-end")
	if err != nil {
		return err
	}
	r.QuietWrites = rbacWrites(a1) - rbacWrites(a0)
	reconciles := map[string]string{"controller": "directoryaccess"}
	r.QuietReconcile = m1.sum("controller_runtime_reconcile_total", reconciles) - m0.sum("controller_runtime_reconcile_total", reconciles)
	logf("access: unchanged data: %.0f RoleBinding writes and reviews, %.0f reconciles", r.QuietWrites, r.QuietReconcile)
	return nil
}

// rbacWrites sums the API server's non-read requests for RoleBindings and SelfSubjectAccessReviews.
func rbacWrites(sc scrape) float64 {
	var t float64
	for _, s := range sc {
		if s.name != "apiserver_request_total" || (s.labels["resource"] != "rolebindings" && s.labels["resource"] != "selfsubjectaccessreviews") {
			continue
		}
		if v := s.labels["verb"]; v != "GET" && v != "LIST" && v != "WATCH" {
			t += s.value
		}
	}
	return t
}

// leavers turns cfg.accessLeavers members into leavers one at a time, each with a forced sync, and
// times each from its DirectoryUser's update to the RoleBinding update, both as watch events.
func (r *accessRun) leavers(ctx context.Context, c *cluster, co fakehr.Company, binding string) error {
	m0, err := c.managerMetrics(ctx, "access-leavers-manager-begin")
	if err != nil {
		return err
	}
	for i := range c.cfg.accessLeavers {
		e := &co.Employees[len(co.Employees)-1-i]
		e.Status, e.LeavingDate = fakehr.Former, time.Now().UTC().AddDate(0, 0, -1).Format(time.DateOnly)
		if err := c.fakeAdmin(ctx, http.MethodPut, "/admin/company", co, nil); err != nil {
			return err
		}
		d, err := leaverLatency(ctx, c, e, binding, fmt.Sprintf("leaver%d", i))
		if err != nil {
			return fmt.Errorf("leaver %s: %w", e.ID, err)
		}
		r.Latencies = append(r.Latencies, d)
	}
	m1, err := c.managerMetrics(ctx, "access-leavers-manager-end")
	if err != nil {
		return err
	}
	r.ManagerCount = m1.sum("dirsync_access_revocation_seconds_count", nil) - m0.sum("dirsync_access_revocation_seconds_count", nil)
	if r.ManagerCount > 0 {
		sum := m1.sum("dirsync_access_revocation_seconds_sum", nil) - m0.sum("dirsync_access_revocation_seconds_sum", nil)
		r.ManagerMean = time.Duration(sum / r.ManagerCount * float64(time.Second))
	}
	logf("access: %d leavers: p50 %s, p99 %s", len(r.Latencies), percentile(r.Latencies, 50), percentile(r.Latencies, 99))
	return nil
}

// leaverLatency watches the leaver's DirectoryUser and the RoleBinding, forces a sync, and returns the
// time from the user's Inactive update to the RoleBinding update without them.
func leaverLatency(ctx context.Context, c *cluster, e *fakehr.Employee, binding, label string) (time.Duration, error) {
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	uw, err := c.cl.Watch(ctx, &dirsyncv1alpha1.DirectoryUserList{}, client.InNamespace(nsAccess),
		client.MatchingFields{"metadata.name": childName(dirName, e.ID)})
	if err != nil {
		return 0, err
	}
	defer uw.Stop()
	bw, err := c.cl.Watch(ctx, &rbacv1.RoleBindingList{}, client.InNamespace(nsAccessTarget), client.MatchingFields{"metadata.name": binding})
	if err != nil {
		return 0, err
	}
	defer bw.Stop()
	subject := "oidc:" + strings.ToLower(e.Email)
	userAt, bindingAt := make(chan time.Time, 1), make(chan time.Time, 1)
	go firstEvent(uw, userAt, func(o any) bool {
		u, ok := o.(*dirsyncv1alpha1.DirectoryUser)
		return ok && u.Spec.State == dirsyncv1alpha1.UserStateInactive
	})
	go firstEvent(bw, bindingAt, func(o any) bool {
		rb, ok := o.(*rbacv1.RoleBinding)
		return ok && !slices.ContainsFunc(rb.Subjects, func(s rbacv1.Subject) bool { return s.Name == subject })
	})
	if err := forceAccessSync(ctx, c, label); err != nil {
		return 0, err
	}
	var u, b time.Time
	for u.IsZero() || b.IsZero() {
		select {
		case u = <-userAt:
		case b = <-bindingAt:
		case <-ctx.Done():
			return 0, fmt.Errorf("no DirectoryUser update (%v) or no RoleBinding update (%v) within a minute", !u.IsZero(), !b.IsZero())
		}
	}
	return b.Sub(u), nil
}

// firstEvent sends the arrival time of the first watch event whose object matches.
func firstEvent(w watch.Interface, at chan<- time.Time, match func(any) bool) {
	for ev := range w.ResultChan() {
		if (ev.Type == watch.Added || ev.Type == watch.Modified) && match(ev.Object) {
			at <- time.Now()
			return
		}
	}
}

// forceAccessSync requests a sync of the phase's Directory and waits until it is answered.
func forceAccessSync(ctx context.Context, c *cluster, label string) error {
	value := fmt.Sprintf("%s-%d", label, time.Now().UnixNano())
	_, err := c.waitDirectory(ctx, nsAccess, 2*time.Minute, func() error {
		patch := fmt.Sprintf(`{"metadata":{"annotations":{%q:%q}}}`, dirsyncv1alpha1.AnnotationSyncRequestedAt, value)
		d := &dirsyncv1alpha1.Directory{ObjectMeta: metav1.ObjectMeta{Name: dirName, Namespace: nsAccess}}
		return c.cl.Patch(ctx, d, client.RawPatch(types.MergePatchType, []byte(patch)))
	}, func(d *dirsyncv1alpha1.Directory) (bool, error) {
		if d.Status.LastHandledSyncRequest != value {
			return false, nil
		}
		if r := meta.FindStatusCondition(d.Status.Conditions, dirsyncv1alpha1.ConditionReady); r == nil || r.Status != metav1.ConditionTrue {
			return false, fmt.Errorf("the sync failed: %+v", r)
		}
		return true, nil
	})
	return err
}

// percentile is the p-th percentile (nearest rank) of ds.
func percentile(ds []time.Duration, p int) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	rank := (p*len(s) + 99) / 100
	return s[max(rank, 1)-1]
}

// renderAccess writes the phase's section of the report.
func renderAccess(b *strings.Builder, r *accessRun) {
	if r == nil {
		return
	}
	fmt.Fprintf(b, "## DirectoryAccess (cluster access from HR data)\n\n"+
		"One department of %s current employees, one DirectoryAccess binding it to `view` in one namespace: one RoleBinding. "+
		"The manager runs as in the sizes above, but as the cluster admin; the latency is from the leaver's DirectoryUser update to the RoleBinding update, "+
		"both as watch events reach the bench, after a forced sync that sees one leaver at a time. It includes the controller's "+
		"1 s wait for a sync's DirectoryUser writes to settle (the revocation guard weighs a whole sync at once). "+
		"%s\n\n| | measured | target |\n|---|---|---|\n", thousands(r.Members), runLine(r.Run))
	fmt.Fprintf(b, "| Bind %s subjects (DirectoryAccess created → RoleBinding complete) | %s | |\n", thousands(r.Members), secs(r.BindAll))
	check(b, fmt.Sprintf("RoleBinding size, %s subjects", thousands(r.Members)), mib(int64(r.BindingBytes))+" as JSON", r.BindingBytes < maxBindingSize)
	check(b, "Writes when HR changes nothing access depends on (10 job titles, one sync)",
		fmt.Sprintf("%.0f RoleBinding writes and permission reviews (%.0f reconciles)", r.QuietWrites, r.QuietReconcile), r.QuietWrites == 0)
	p50, p99 := percentile(r.Latencies, 50), percentile(r.Latencies, 99)
	check(b, fmt.Sprintf("Leaver: DirectoryUser update → RoleBinding update, p99 of %d", len(r.Latencies)),
		fmt.Sprintf("p50 %s, p99 %s, max %s", secs(p50), secs(p99), secs(percentile(r.Latencies, 100))), p99 <= targetLatency && len(r.Latencies) > 0)
	fmt.Fprintf(b, "| `dirsync_access_revocation_seconds` (the manager's own view: change observed → RoleBinding updated) | mean %s over %.0f | |\n\n",
		secs(r.ManagerMean), r.ManagerCount)
}
