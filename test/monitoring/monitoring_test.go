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

// Package monitoring tests the alerts (config/prometheus/rules.yaml) and the dashboard
// (config/grafana/dirsync.json): the rules with the pinned promtool (bin/promtool, `make
// promtool`; PROMTOOL overrides) on the synthetic series of rules_test.yaml, and every query of
// both against the metrics the manager really registers.
package monitoring

import (
	"bytes"
	"context"
	"encoding/json"
	"go/ast"
	"go/parser"
	"go/token"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"sigs.k8s.io/controller-runtime/pkg/metrics"
	"sigs.k8s.io/yaml"

	// Register the manager's metrics (each controller package's metrics.go init) in metrics.Registry,
	// as cmd/manager does; controller-runtime registers its own when imported.
	_ "github.com/dirsync/dirsync/controllers/directory"
	_ "github.com/dirsync/dirsync/controllers/directoryaccess"
	_ "github.com/dirsync/dirsync/controllers/directorywebhook"
	"github.com/dirsync/dirsync/test/utils"
)

const (
	rulesFile     = "../../config/prometheus/rules.yaml"
	rulesTestFile = "../../config/prometheus/rules_test.yaml"
	dashboardFile = "../../config/grafana/dirsync.json"
	controllers   = "../../controllers/*"
)

func promtool(t *testing.T) string {
	t.Helper()
	bin := os.Getenv("PROMTOOL")
	if bin == "" {
		bin = "../../bin/promtool"
	}
	if _, err := os.Stat(bin); err != nil {
		t.Fatalf("no promtool at %s (%v): run `make promtool`, or `make test`, which builds it; PROMTOOL=path overrides", bin, err)
	}
	return bin
}

func runPromtool(t *testing.T, args ...string) string {
	t.Helper()
	// promtool reads the rules and their tests, not this test: open them here so that Go's test cache
	// sees them and an edit there re-runs the package instead of replaying its last pass.
	if err := utils.OpenInputs("../../config/prometheus"); err != nil {
		t.Fatalf("opening config/prometheus: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var out bytes.Buffer
	cmd := exec.CommandContext(ctx, promtool(t), args...)
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		t.Fatalf("promtool %s: %v\n%s", strings.Join(args, " "), err, out.String())
	}
	return out.String()
}

func TestAlertRulesAreValid(t *testing.T) {
	runPromtool(t, "check", "rules", "--lint=all", "--lint-fatal", rulesFile)
}

// rules_test.yaml fires and holds back every alert on synthetic series.
func TestAlertRulesFireAndHoldBack(t *testing.T) {
	out := runPromtool(t, "test", "rules", rulesTestFile)
	if !strings.Contains(out, "SUCCESS") {
		t.Fatalf("promtool test rules did not report SUCCESS:\n%s", out)
	}
	// Each alert of rules.yaml is tested, firing and not firing.
	tests := readYAML[struct {
		Tests []struct {
			AlertRuleTest []struct {
				Alertname string           `json:"alertname"`
				ExpAlerts []map[string]any `json:"exp_alerts"`
			} `json:"alert_rule_test"`
		} `json:"tests"`
	}](t, rulesTestFile)
	fires, holds := map[string]bool{}, map[string]bool{}
	for _, g := range tests.Tests {
		for _, c := range g.AlertRuleTest {
			if len(c.ExpAlerts) > 0 {
				fires[c.Alertname] = true
			} else {
				holds[c.Alertname] = true
			}
		}
	}
	for _, r := range alertRules(t) {
		if !fires[r.Alert] || !holds[r.Alert] {
			t.Errorf("alert %s: tested firing %v, not firing %v; rules_test.yaml must test both", r.Alert, fires[r.Alert], holds[r.Alert])
		}
	}
}

type rule struct {
	Alert       string            `json:"alert"`
	Record      string            `json:"record"`
	Expr        string            `json:"expr"`
	Labels      map[string]string `json:"labels"`
	Annotations map[string]string `json:"annotations"`
}

func alertRules(t *testing.T) []rule {
	t.Helper()
	f := readYAML[struct {
		Groups []struct {
			Rules []rule `json:"rules"`
		} `json:"groups"`
	}](t, rulesFile)
	var out []rule
	for _, g := range f.Groups {
		for _, r := range g.Rules {
			if r.Alert != "" {
				out = append(out, r)
			}
		}
	}
	if len(out) < 5 {
		t.Fatalf("%s has %d alerts, want at least the five of issue 13", rulesFile, len(out))
	}
	return out
}

func readYAML[T any](t *testing.T, path string) T {
	t.Helper()
	var v T
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(b, &v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return v
}

// runbookFile is the page each alert's runbook_url points into, and runbookURL where it is published.
const (
	runbookFile = "../../docs/runbook.md"
	runbookURL  = "https://github.com/dirsync/dirsync/blob/main/docs/runbook.md"
)

// githubAnchor is the anchor GitHub gives a Markdown heading: lower case, spaces to dashes, and
// everything but letters, digits, dashes and underscores dropped.
func githubAnchor(heading string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(strings.TrimSpace(heading)) {
		switch {
		case r == ' ':
			b.WriteRune('-')
		case r == '-' || r == '_' || (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9'):
			b.WriteRune(r)
		}
	}
	return b.String()
}

// Every alert says what to check and which kubectl command to run, and links its section of the
// runbook (docs/runbook.md), which has one section per alert and none for an alert that is gone.
func TestEveryAlertIsARunbook(t *testing.T) {
	page, err := os.ReadFile(runbookFile)
	if err != nil {
		t.Fatal(err)
	}
	anchors := map[string]bool{}
	for _, m := range regexp.MustCompile(`(?m)^## (.+)$`).FindAllStringSubmatch(string(page), -1) {
		anchors[githubAnchor(m[1])] = true
	}
	alerts := map[string]bool{}
	for _, r := range alertRules(t) {
		alerts[strings.ToLower(r.Alert)] = true
	}
	for a := range anchors {
		if !alerts[a] {
			t.Errorf("%s has a section #%s for no alert of %s", runbookFile, a, rulesFile)
		}
	}
	for _, r := range alertRules(t) {
		t.Run(r.Alert, func(t *testing.T) {
			if !slices.Contains([]string{"warning", "critical"}, r.Labels["severity"]) {
				t.Errorf("severity %q, want warning or critical", r.Labels["severity"])
			}
			if r.Annotations["summary"] == "" {
				t.Error("no summary")
			}
			if !strings.Contains(r.Annotations["description"], "kubectl ") {
				t.Errorf("the description names no kubectl command: %q", r.Annotations["description"])
			}
			if _, ok := r.Annotations["runbook"]; ok {
				t.Errorf("a runbook annotation; the runbook is the page runbook_url links")
			}
			base, anchor, _ := strings.Cut(r.Annotations["runbook_url"], "#")
			if base != runbookURL || anchor != strings.ToLower(r.Alert) || !anchors[anchor] {
				t.Errorf("runbook_url %q: want %s#%s, a section of %s", r.Annotations["runbook_url"], runbookURL, strings.ToLower(r.Alert), runbookFile)
			}
		})
	}
}

// metricName finds the metric names in a PromQL expression: the identifiers of dirsync's and
// controller-runtime's families (label names and values never look like these).
var metricName = regexp.MustCompile(`\b(?:dirsync|controller_runtime|workqueue|rest_client)_[a-zA-Z0-9_]*\b`)

// histogramSuffixes are the series a histogram family exposes besides its own name.
var histogramSuffixes = []string{"_bucket", "_sum", "_count"}

// registered reports whether metrics.Registry (the registry the manager serves) has a collector
// of that name: registering a probe of the same name with another help text fails exactly then.
// (Gathering would miss every family that has no series yet, as a fresh *Vec has none.)
func registered(t *testing.T, name string) bool {
	t.Helper()
	probe := prometheus.NewGauge(prometheus.GaugeOpts{Name: name, Help: "test/monitoring probe for " + name})
	if err := metrics.Registry.Register(probe); err != nil {
		return true
	}
	metrics.Registry.Unregister(probe)
	return false
}

// histograms are the names of the histograms declared in the controller packages
// (prometheus.HistogramOpts literals), so that a _bucket, _sum or _count series is accepted only for
// one of them.
func histograms(t *testing.T) []string {
	t.Helper()
	fset := token.NewFileSet()
	files, err := filepath.Glob(filepath.Join(controllers, "*.go"))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		file, err := parser.ParseFile(fset, f, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(file, func(n ast.Node) bool {
			lit, ok := n.(*ast.CompositeLit)
			if !ok {
				return true
			}
			if sel, ok := lit.Type.(*ast.SelectorExpr); !ok || sel.Sel.Name != "HistogramOpts" {
				return true
			}
			for _, e := range lit.Elts {
				if kv, ok := e.(*ast.KeyValueExpr); ok {
					if k, ok := kv.Key.(*ast.Ident); ok && k.Name == "Name" {
						if v, ok := kv.Value.(*ast.BasicLit); ok {
							s, _ := strconv.Unquote(v.Value)
							names = append(names, s)
						}
					}
				}
			}
			return true
		})
	}
	return names
}

// checkMetrics fails for every metric name in expr that the manager does not export.
func checkMetrics(t *testing.T, where, expr string, hist []string) {
	t.Helper()
	names := metricName.FindAllString(expr, -1)
	if len(names) == 0 {
		t.Errorf("%s: no dirsync or controller-runtime metric in %q", where, expr)
	}
	for _, name := range names {
		if registered(t, name) {
			continue
		}
		ok := false
		for _, suffix := range histogramSuffixes {
			if base, cut := strings.CutSuffix(name, suffix); cut && slices.Contains(hist, base) && registered(t, base) {
				ok = true
			}
		}
		if !ok {
			t.Errorf("%s: %s is not a metric the manager exports (nor a series of one of its histograms %v)", where, name, hist)
		}
	}
}

// exprs collects every "expr" and "query"/"definition" string in the dashboard JSON.
func exprs(v any, path string, out map[string]string) {
	switch t := v.(type) {
	case map[string]any:
		for k, e := range t {
			p := path + "." + k
			if s, ok := e.(string); ok && (k == "expr" || k == "definition") {
				out[p] = s
				continue
			}
			if q, ok := e.(map[string]any); ok && k == "query" {
				if s, ok := q["query"].(string); ok {
					out[p] = s
				}
				continue
			}
			exprs(e, p, out)
		}
	case []any:
		for i, e := range t {
			exprs(e, path+"["+strconv.Itoa(i)+"]", out)
		}
	}
}

func TestDashboardQueriesNameExportedMetrics(t *testing.T) {
	b, err := os.ReadFile(dashboardFile)
	if err != nil {
		t.Fatal(err)
	}
	var dash map[string]any
	if err := json.Unmarshal(b, &dash); err != nil {
		t.Fatalf("%s is not JSON: %v", dashboardFile, err)
	}
	found := map[string]string{}
	exprs(dash, "", found)
	if len(found) < 6 {
		t.Fatalf("%s has %d queries; want at least the six panels of issue 13", dashboardFile, len(found))
	}
	hist := histograms(t)
	for path, e := range found {
		checkMetrics(t, dashboardFile+path, e, hist)
	}
	// The panels issue 13 asks for, by the metric each needs.
	all := strings.Join(slices.Collect(maps.Values(found)), "\n")
	for _, want := range []string{`dirsync_users`, `dirsync_groups`, `dirsync_syncs_total`, `dirsync_sync_duration_seconds_bucket`,
		`dirsync_provider_requests_total`, `dirsync_object_writes_total`,
		// and the webhooks' row (issue 24)
		`dirsync_directorywebhook_deliveries_total`, `dirsync_directorywebhook_pending_events`, `dirsync_directorywebhook_delivery_seconds_bucket`} {
		if !strings.Contains(all, want) {
			t.Errorf("no query of the dashboard reads %s", want)
		}
	}
}

func TestAlertRulesNameExportedMetrics(t *testing.T) {
	hist := histograms(t)
	for _, r := range alertRules(t) {
		checkMetrics(t, r.Alert, r.Expr, hist)
	}
}

// The checks above are only as good as registered: it must tell a real metric from a made-up one.
func TestRegisteredTellsExportedFromUnknown(t *testing.T) {
	for _, tt := range []struct {
		name string
		want bool
	}{
		{"dirsync_syncs_total", true},
		{"dirsync_sync_duration_seconds", true},
		{"controller_runtime_reconcile_total", true},
		{"dirsync_sync_duration_seconds_bucket", false},
		{"dirsync_no_such_metric", false},
	} {
		if got := registered(t, tt.name); got != tt.want {
			t.Errorf("registered(%s) = %v, want %v", tt.name, got, tt.want)
		}
	}
	if !slices.Contains(histograms(t), "dirsync_sync_duration_seconds") {
		t.Errorf("histograms() = %v, want dirsync_sync_duration_seconds among them", histograms(t))
	}
}
