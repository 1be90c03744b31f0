# Image URL to use all building/pushing image targets
IMG ?= controller:latest

# VERSION names the build in the User-Agent of provider requests (internal/provider.Version) and in
# `kubectl dirsync version` (internal/plugin.Version); a -X for a package a binary lacks is ignored.
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
VERSION_LDFLAGS = -X github.com/dirsync/dirsync/internal/provider.Version=$(VERSION) -X github.com/dirsync/dirsync/internal/plugin.Version=$(VERSION)

# CONTAINER_TOOL defines the container tool to be used for building images.
# Be aware that the target commands are only tested with Docker which is
# scaffolded by default. However, you might want to replace it to use other
# tools. (i.e. podman)
CONTAINER_TOOL ?= docker

# Setting SHELL to bash allows bash commands to be executed by recipes.
# Options are set to exit when a recipe line exits non-zero or a piped command fails.
SHELL = /usr/bin/env bash -o pipefail
.SHELLFLAGS = -ec

GOOS ?= $(shell go env GOOS)
GOARCH ?= $(shell go env GOARCH)

.PHONY: all
all: build

##@ General

# The help target prints out all targets with their descriptions organized
# beneath their categories. The categories are represented by '##@' and the
# target descriptions by '##'. The awk command is responsible for reading the
# entire set of makefiles included in this invocation, looking for lines of the
# file as xyz: ## something, and then pretty-format the target and help. Then,
# if there's a line with ##@ something, that gets pretty-printed as a category.
# More info on the usage of ANSI control characters for terminal formatting:
# https://en.wikipedia.org/wiki/ANSI_escape_code#SGR_parameters
# More info on the awk command:
# http://linuxcommand.org/lc3_adv_awk.php

.PHONY: help
help: ## Display this help.
	@awk 'BEGIN {FS = ":.*##"; printf "\nUsage:\n  make \033[36m<target>\033[0m\n"} /^[a-zA-Z_0-9-]+:.*?##/ { printf "  \033[36m%-15s\033[0m %s\n", $$1, $$2 } /^##@/ { printf "\n\033[1m%s\033[0m\n", substr($$0, 5) } ' $(MAKEFILE_LIST)

##@ Development

.PHONY: manifests
manifests: controller-gen ## Generate ClusterRole (config/rbac/role.yaml) and CustomResourceDefinition objects (config/crd/bases), then the chart's share of them (make chart).
	$(CONTROLLER_GEN) rbac:roleName=manager-role crd paths="./..." output:crd:artifacts:config=config/crd/bases
	@$(MAKE) --no-print-directory chart

# The chart's CRDs, every Role/ClusterRole and binding config/default renders (except those its own
# templates shape from values), and copies of the alert rules and the dashboard, generated from
# `kubectl kustomize config/default` so that dist/chart never drifts from config/ (hack/chartgen).
.PHONY: chart
chart: ## Regenerate the parts of the Helm chart (dist/chart) that come from config/.
	KUBECTL="$(KUBECTL)" go run ./hack/chartgen

.PHONY: generate
generate: controller-gen ## Generate DeepCopy methods (api/v1alpha1/zz_generated.deepcopy.go).
	$(CONTROLLER_GEN) object:headerFile="hack/boilerplate.go.txt" paths="./api/..."

.PHONY: fmt
fmt: ## Run go fmt against code.
	go fmt ./...

.PHONY: vet
vet: ## Run go vet against code.
	go vet ./...

# SKIP_ENVTEST=1 runs the tests without building the control-plane binaries: where they are missing, the
# pure tests run and the envtest tests skip, saying how to get them. DIRSYNC_REQUIRE_ENVTEST=1 (set by
# .ci/run) makes a missing binary fail instead of skip.
.PHONY: test
test: manifests generate fmt vet $(if $(SKIP_ENVTEST),,envtest) helm promtool ## Run the unit, envtest, chart and alert tests (KUBEBUILDER_ASSETS=bin/k8s/<version>; SKIP_ENVTEST=1 skips building it), writing cover.out.
	KUBEBUILDER_ASSETS="$(if $(SKIP_ENVTEST),,$(ENVTEST_ASSETS))" HELM="$(HELM)" PROMTOOL="$(PROMTOOL)" go test ./... -coverprofile cover.out

# test/e2e holds `//go:build e2e` tests that run bin/manager and bin/fakehr against the local control
# plane (hack/control-plane.sh). They find the binaries and scripts through these variables.
.PHONY: test-e2e
test-e2e: build envtest helm build-installer ## Run the e2e tests (go test -tags=e2e ./test/e2e/...) against a local control plane.
	ENVTEST_ASSETS="$(ENVTEST_ASSETS)" K8S_BIN_DIR="$(ENVTEST_ASSETS)" KUBEBUILDER_ASSETS="$(ENVTEST_ASSETS)" \
	MANAGER_BIN="$(LOCALBIN)/manager" FAKEHR_BIN="$(LOCALBIN)/fakehr" CONTROL_PLANE="$(CURDIR)/hack/control-plane.sh" \
	HELM="$(HELM)" INSTALLER="$(CURDIR)/dist/install.yaml" INSTALLER_IMG="$(IMG)" \
	go test -tags=e2e ./test/e2e/... -v -count=1 -timeout $(E2E_TIMEOUT)

.PHONY: test-e2e-kind
test-e2e-kind: ## Build the image, deploy it to a Kind cluster and check it becomes Available (needs docker and kind).
	test/e2e/kind.sh

# The oldest Kubernetes dirsync supports (docs/supported-versions.md; the chart's kubeVersion): its etcd
# and kube-apiserver are built from hack/k8sbins-floor, whose go.mod pins this version, into
# bin/k8s/<version>-<os>-<arch> (~10 minutes cold on 2 cores), and the whole go test ./... runs with
# them as envtest's control plane. CI stays on ENVTEST_K8S_VERSION. envtest gives an API server 20s to
# start, which a loaded machine (or nice) can exceed: the floor gets 2 minutes.
FLOOR_K8S_VERSION ?= 1.32.13
FLOOR_ASSETS ?= $(LOCALBIN)/k8s/$(FLOOR_K8S_VERSION)-$(GOOS)-$(GOARCH)
.PHONY: test-floor
test-floor: manifests generate helm promtool ## Run the unit and envtest tests against the oldest supported Kubernetes (FLOOR_K8S_VERSION), building its etcd and kube-apiserver if needed.
	@pinned=$$(cd hack/k8sbins-floor && GOWORK=off go list -m -f '{{.Version}}' k8s.io/kubernetes); \
	[ "$$pinned" = "v$(FLOOR_K8S_VERSION)" ] || { echo "test-floor: hack/k8sbins-floor pins $$pinned, the Makefile $(FLOOR_K8S_VERSION)"; exit 1; }
	K8SBINS_MODULE=hack/k8sbins-floor hack/build-k8s-binaries.sh "$(FLOOR_ASSETS)" etcd kube-apiserver
	"$(FLOOR_ASSETS)/kube-apiserver" --version
	KUBEBUILDER_ASSETS="$(FLOOR_ASSETS)" KUBEBUILDER_CONTROLPLANE_START_TIMEOUT=2m DIRSYNC_REQUIRE_ENVTEST=1 \
		HELM="$(HELM)" PROMTOOL="$(PROMTOOL)" go test ./... -count=1

FUZZTIME ?= 10s
.PHONY: fuzz
fuzz: ## Run every Fuzz* target in the repository for FUZZTIME each (default 10s).
	FUZZTIME="$(FUZZTIME)" hack/fuzz.sh

# MUTATE_PKGS are the pure-core packages `make mutate` mutation-tests, each on its own files (not its
# subpackages); add a package on its own line. A controller package names its pure files after a colon:
# only they are mutated, and only the package's pure tests run against them (the envtest suite skips).
# MUTATE_EFFICACY is the least share of mutants killed per package. docs/testing.md records the scores
# and the survivors.
MUTATE_PKGS ?= \
	./internal/naming \
	./internal/provider \
	./internal/provider/breathehr \
	./internal/provider/accesspeoplehr \
	./controllers/internal/verdict \
	./controllers/directory:guard.go,diff.go,desired.go,schedule.go \
	./controllers/directoryaccess:plan.go
MUTATE_EFFICACY ?= 85
.PHONY: mutate
mutate: gremlins ## Mutation-test the pure core with gremlins (MUTATE_PKGS, at least MUTATE_EFFICACY% killed each; not in CI, tens of minutes).
	GREMLINS="$(GREMLINS)" MUTATE_EFFICACY="$(MUTATE_EFFICACY)" hack/mutate.sh $(MUTATE_PKGS)

# GOLANGCI_LINT_ARGS adds flags, e.g. --new-from-rev=<commit> to see only what a change introduced.
GOLANGCI_LINT_ARGS ?=
.PHONY: lint
lint: golangci-lint helm ## Run golangci-lint (.golangci.yml: go vet, gofmt, gocyclo ≤ 15, revive, errorlint, depguard, the Kube API Linter, …) and helm lint.
	$(GOLANGCI_LINT) run ./... --build-tags e2e $(GOLANGCI_LINT_ARGS)
	$(GOLANGCI_LINT) run $(BENCH_TAGGED_PKGS) --build-tags dirsync_bench $(GOLANGCI_LINT_ARGS)
	$(HELM) lint --strict dist/chart --kube-version $(ENVTEST_K8S_VERSION)
	$(HELM) lint --strict dist/chart --kube-version $(ENVTEST_K8S_VERSION) -f dist/chart/ci/all-values.yaml

.PHONY: lint-fix
lint-fix: golangci-lint ## Run golangci-lint and apply the fixes it can.
	$(GOLANGCI_LINT) run ./... --build-tags e2e --fix

.PHONY: lint-config
lint-config: golangci-lint ## Verify .golangci.yml against golangci-lint's schema.
	$(GOLANGCI_LINT) config verify

.PHONY: verify
verify: manifests generate ## Fail if generated files (CRDs, role.yaml, deepcopy, dist/chart) or go.mod/go.sum are stale or uncommitted.
	@hack/verify.sh

# The Dockerfile's build stage without Docker: its exact `go build` line, on the files it COPYs,
# must give a static binary that runs --help as a non-root user (test/manifests).
.PHONY: docker-check
docker-check: ## Run the Dockerfile's go build line without Docker and check the binary (static, runs as non-root).
	DOCKERFILE_CHECK=1 go test ./test/manifests/ -run 'TestDockerfile' -count=1 -v -timeout 30m

##@ Build

.PHONY: build
build: manifests generate fmt vet ## Build the manager (bin/manager), the fake HR server (bin/fakehr), the example webhook receiver (bin/dirsync-receiver) and the kubectl plugin (bin/kubectl-dirsync).
	go build -ldflags "$(VERSION_LDFLAGS)" -o $(LOCALBIN)/manager ./cmd/manager
	go build -o $(LOCALBIN)/fakehr ./cmd/fakehr
	go build -o $(LOCALBIN)/dirsync-receiver ./cmd/dirsync-receiver
	go build -ldflags "$(VERSION_LDFLAGS)" -o $(LOCALBIN)/kubectl-dirsync ./cmd/kubectl-dirsync

.PHONY: run
run: manifests generate fmt vet ## Run the manager from your host against the cluster in your kubeconfig (ARGS="--allow-insecure-endpoints --allowed-endpoint-hosts=127.0.0.1 …" against local fakes).
	go run ./cmd/manager $(ARGS)

.PHONY: demo
demo: build envtest ## Start a local control plane, the fake HR servers and the manager, and sync the samples (Ctrl-C stops; CI=true exits).
	hack/demo.sh

# The benchmark builds the manager with the dirsync_bench tag (Breathe HR pacing can be turned off
# against the fake). No other target compiles that build: vet and test, with the tag, the packages
# that have tagged files (found by their //go:build lines; `make lint` lints them with the tag too).
# Their importers see the same API either way, so they are not rebuilt here (vetting ./... with the
# tag recompiles the controllers: a minute cold instead of seconds).
.PHONY: bench-check
bench-check: ## Vet and test the dirsync_bench-tagged packages with their tag (the manager make bench builds; seconds).
	go vet -tags dirsync_bench $(BENCH_TAGGED_PKGS)
	go test -tags dirsync_bench $(BENCH_TAGGED_PKGS)

BENCH_TAGGED_PKGS = $(sort $(patsubst %/,./%,$(dir $(shell git grep -l '^//go:build.*dirsync_bench' -- '*.go' ':!:hack/k8sbins/**'))))

.PHONY: bench
bench: ## Run the benchmarks (hack/bench.sh).
	ENVTEST_ASSETS="$(ENVTEST_ASSETS)" K8S_BIN_DIR="$(ENVTEST_ASSETS)" hack/bench.sh

# If you wish to build the manager image targeting other platforms you can use the --platform flag.
# (i.e. docker build --platform linux/arm64). However, you must enable docker buildKit for it.
# More info: https://docs.docker.com/develop/develop-images/build_enhancements/
.PHONY: docker-build
docker-build: ## Build docker image with the manager.
	$(CONTAINER_TOOL) build --build-arg VERSION=$(VERSION) -t ${IMG} .

.PHONY: docker-push
docker-push: ## Push docker image with the manager.
	$(CONTAINER_TOOL) push ${IMG}

.PHONY: build-installer
build-installer: manifests generate ## Generate dist/install.yaml: CRDs and everything to run the manager with image IMG.
	mkdir -p dist
	hack/render.sh config/default "$(IMG)" > dist/install.yaml

##@ Release

# make release VERSION=x.y.z builds a release's artifacts into RELEASE_DIR without Docker or a
# registry (hack/release.sh; docs/releasing.md publishes them), then tests them (test/release).
RELEASE_DIR ?= dist/$(VERSION)
IMAGE_REPO ?= ghcr.io/dirsync/dirsync
.PHONY: release
release: manifests generate helm ## Build release VERSION (x.y.z) into dist/VERSION: manager image tarballs (linux/amd64, arm64), chart, install.yaml, plugin archives, krew manifest, SBOM, SHA256SUMS; then test them.
	IMAGE_REPO="$(IMAGE_REPO)" HELM="$(HELM)" KUBECTL="$(KUBECTL)" hack/release.sh all "$(VERSION)" "$(RELEASE_DIR)"
	DIRSYNC_RELEASE_DIR="$(abspath $(RELEASE_DIR))" IMAGE_REPO="$(IMAGE_REPO)" HELM="$(HELM)" go test ./test/release/ -count=1 -v -timeout 30m

# make test-image runs the release's manager image (the linux/amd64 tarball and install.yaml in
# RELEASE_DIR; make release, or hack/release.sh image for that image alone) in Docker against a local
# control plane, until a Directory served by fakehr over TLS is Ready (hack/image-test.sh). It installs
# Docker from Debian's docker.io package and starts dockerd when they are missing, so it needs root there.
# DOCKERFILE=1 also builds the Dockerfile with Docker from base images supplied locally and runs that
# image instead (~9 minutes, a cold compile in the container; not in CI, which runs make docker-check).
DOCKERFILE ?=
.PHONY: test-image
test-image: envtest ## Run the release's manager image in Docker against a local control plane until a Directory is Ready (RELEASE_DIR; needs root if Docker is missing).
	go build -o "$(LOCALBIN)/fakehr" ./cmd/fakehr
	K8S_BIN_DIR="$(ENVTEST_ASSETS)" FAKEHR_BIN="$(LOCALBIN)/fakehr" IMAGE_REPO="$(IMAGE_REPO)" DOCKERFILE="$(DOCKERFILE)" hack/image-test.sh "$(RELEASE_DIR)" "$(VERSION)"

##@ Deployment

ifndef ignore-not-found
  ignore-not-found = false
endif

.PHONY: install
install: manifests ## Install CRDs into the K8s cluster specified in ~/.kube/config.
	$(KUBECTL) apply --server-side -k config/crd

# uninstall and undeploy refuse while any DirectoryAccess exists (hack/uninstall-guard.sh): without the
# manager its RoleBindings would stay behind and the CRD deletion would hang on its finalizer. Delete
# the DirectoryAccesses first (docs/uninstall.md); FORCE=1 goes on anyway.
FORCE ?= 0
# How long kubectl waits for the deleted objects to be gone (a CRD goes once its instances have): past
# it, kubectl names what is left and fails instead of waiting on, e.g. on a finalizer no manager removes.
DELETE_TIMEOUT ?= 10m

.PHONY: uninstall
uninstall: manifests ## Uninstall CRDs from the K8s cluster specified in ~/.kube/config; refuses while a DirectoryAccess exists (FORCE=1 overrides). Call with ignore-not-found=true to ignore resource not found errors during deletion.
	KUBECTL="$(KUBECTL)" FORCE="$(FORCE)" hack/uninstall-guard.sh
	$(KUBECTL) delete --ignore-not-found=$(ignore-not-found) --timeout=$(DELETE_TIMEOUT) -k config/crd

.PHONY: deploy
deploy: manifests ## Deploy controller to the K8s cluster specified in ~/.kube/config, with image IMG.
	hack/render.sh config/default "$(IMG)" | $(KUBECTL) apply --server-side -f -

.PHONY: undeploy
undeploy: ## Undeploy controller from the K8s cluster specified in ~/.kube/config; refuses while a DirectoryAccess exists (FORCE=1 overrides). Call with ignore-not-found=true to ignore resource not found errors during deletion.
	KUBECTL="$(KUBECTL)" FORCE="$(FORCE)" hack/uninstall-guard.sh
	$(KUBECTL) delete --ignore-not-found=$(ignore-not-found) --timeout=$(DELETE_TIMEOUT) -k config/default

##@ Dependencies

## Location to install dependencies to
LOCALBIN ?= $(CURDIR)/bin
$(LOCALBIN):
	mkdir -p $(LOCALBIN)

## Tool Binaries
KUBECTL ?= kubectl
CONTROLLER_GEN ?= $(LOCALBIN)/controller-gen
ENVTEST ?= $(LOCALBIN)/setup-envtest
GOLANGCI_LINT ?= $(LOCALBIN)/golangci-lint
HELM ?= $(LOCALBIN)/helm
PROMTOOL ?= $(LOCALBIN)/promtool
GREMLINS ?= $(LOCALBIN)/gremlins

## Tool Versions
CONTROLLER_TOOLS_VERSION ?= v0.23.0
# golangci-lint and the Kube API Linter are pinned in hack/tools/golangci-lint/go.mod, which builds
# them as one binary; this must name the same golangci-lint version (make golangci-lint checks).
GOLANGCI_LINT_VERSION ?= v2.15.0
HELM_VERSION ?= v3.22.0
# promtool comes from the Prometheus module, whose Go versions are v0.X for Prometheus 3.X.
PROMETHEUS_VERSION ?= v0.316.0
GREMLINS_VERSION ?= v0.6.0

#ENVTEST_VERSION is the version of controller-runtime release branch to fetch the envtest setup script (i.e. release-0.20)
ENVTEST_VERSION ?= v0.25.1
#ENVTEST_K8S_VERSION is the version of Kubernetes to use for setting up ENVTEST binaries; it must equal
#hack/k8sbins' k8s.io/kubernetes version, from which the binaries are built when setup-envtest cannot download them.
ENVTEST_K8S_VERSION ?= 1.37.2
#ENVTEST_ASSETS holds etcd, kube-apiserver and kube-controller-manager (setup-envtest's store layout).
ENVTEST_ASSETS ?= $(LOCALBIN)/k8s/$(ENVTEST_K8S_VERSION)-$(GOOS)-$(GOARCH)
export ENVTEST_ASSETS ENVTEST_K8S_VERSION
E2E_TIMEOUT ?= 30m

# The tool targets always run: go-install-tool is a no-op when bin/<tool>-<version> exists, and
# re-points bin/<tool> when a version changes.
.PHONY: controller-gen
controller-gen: $(LOCALBIN) ## Download controller-gen locally if necessary.
	$(call go-install-tool,$(CONTROLLER_GEN),sigs.k8s.io/controller-tools/cmd/controller-gen,$(CONTROLLER_TOOLS_VERSION))

.PHONY: setup-envtest
setup-envtest: $(LOCALBIN) ## Download setup-envtest locally if necessary.
	$(call go-install-tool,$(ENVTEST),sigs.k8s.io/controller-runtime/tools/setup-envtest,$(ENVTEST_VERSION))

.PHONY: golangci-lint
golangci-lint: $(LOCALBIN) ## Build golangci-lint with the Kube API Linter (hack/tools/golangci-lint) into bin/ if necessary.
	@[ -x "$(GOLANGCI_LINT)-$(GOLANGCI_LINT_VERSION)" ] || { \
	set -e; \
	pinned=$$(cd hack/tools/golangci-lint && GOWORK=off go list -m -f '{{.Version}}' github.com/golangci/golangci-lint/v2); \
	[ "$$pinned" = "$(GOLANGCI_LINT_VERSION)" ] || { echo "golangci-lint: hack/tools/golangci-lint/go.mod pins $$pinned, the Makefile $(GOLANGCI_LINT_VERSION)"; exit 1; }; \
	echo "Building golangci-lint $(GOLANGCI_LINT_VERSION) with the Kube API Linter (hack/tools/golangci-lint)"; \
	tmp=$$(mktemp "$(LOCALBIN)/.golangci-lint.XXXXXX"); trap 'rm -f "$$tmp"' EXIT; \
	(cd hack/tools/golangci-lint && GOWORK=off go build -o "$$tmp" .); \
	mv -f "$$tmp" "$(GOLANGCI_LINT)-$(GOLANGCI_LINT_VERSION)"; \
	}
	@[ "$$(readlink -- "$(GOLANGCI_LINT)" 2>/dev/null)" = "golangci-lint-$(GOLANGCI_LINT_VERSION)" ] || ln -sfn "golangci-lint-$(GOLANGCI_LINT_VERSION)" "$(GOLANGCI_LINT)"

# helm is built as helm's own Makefile builds its releases: stamped with the Kubernetes version of its
# client-go (1.37 for v3.22.0), which `helm template` and `helm lint` assume without --kube-version.
# Unstamped (plain go install), helm assumes 1.20 and refuses the chart's kubeVersion.
HELM_BIN = $(HELM)-$(HELM_VERSION)-release
.PHONY: helm
helm: $(LOCALBIN) ## Build helm into bin/ if necessary.
	@[ -x "$(HELM_BIN)" ] || { \
	set -e; \
	gomod=$$(GOFLAGS= go mod download -json helm.sh/helm/v3@$(HELM_VERSION) | sed -n 's/.*"GoMod": "\(.*\)",*$$/\1/p'); \
	k8s=$$(awk '$$1 == "k8s.io/client-go" { sub(/^v0\./, "", $$2); split($$2, v, "."); print v[1] }' "$$gomod"); \
	[ -n "$$k8s" ] || { echo "helm: no k8s.io/client-go in $$gomod"; exit 1; }; \
	echo "Building helm $(HELM_VERSION) for Kubernetes 1.$$k8s"; \
	tmpbin=$$(mktemp -d "$(LOCALBIN)/.go-install.XXXXXX"); trap 'rm -rf "$$tmpbin"' EXIT; \
	GOBIN="$$tmpbin" go install -ldflags "-X helm.sh/helm/v3/pkg/chartutil.k8sVersionMajor=1 -X helm.sh/helm/v3/pkg/chartutil.k8sVersionMinor=$$k8s -X helm.sh/helm/v3/pkg/lint/rules.k8sVersionMajor=1 -X helm.sh/helm/v3/pkg/lint/rules.k8sVersionMinor=$$k8s" helm.sh/helm/v3/cmd/helm@$(HELM_VERSION); \
	mv -f "$$tmpbin/helm" "$(HELM_BIN)"; \
	}
	@[ "$$(readlink -- "$(HELM)" 2>/dev/null)" = "$$(basename "$(HELM_BIN)")" ] || ln -sfn "$$(basename "$(HELM_BIN)")" "$(HELM)"

# remove_all_sd leaves Prometheus's service discoveries (and their cloud SDKs) out of promtool:
# the tests only check and test rule files, and the build takes a fraction of the time.
.PHONY: promtool
promtool: export GOFLAGS := $(strip $(GOFLAGS) -tags=remove_all_sd)
promtool: $(LOCALBIN) ## Build promtool (from the Prometheus module, without service discovery) into bin/ if necessary.
	$(call go-install-tool,$(PROMTOOL),github.com/prometheus/prometheus/cmd/promtool,$(PROMETHEUS_VERSION))

.PHONY: gremlins
gremlins: $(LOCALBIN) ## Build gremlins (mutation testing, make mutate) into bin/ if necessary.
	$(call go-install-tool,$(GREMLINS),github.com/go-gremlins/gremlins/cmd/gremlins,$(GREMLINS_VERSION))

.PHONY: envtest
envtest: ## Put etcd, kube-apiserver and kube-controller-manager in bin/k8s/<version>: setup-envtest, else built from hack/k8sbins.
	@if hack/envtest.sh have "$(ENVTEST_ASSETS)"; then \
		echo "envtest: binaries ready in $(ENVTEST_ASSETS)"; \
	else \
		$(MAKE) --no-print-directory setup-envtest || echo "envtest: could not build setup-envtest; skipping the download"; \
		ENVTEST="$(ENVTEST)" LOCALBIN="$(LOCALBIN)" hack/envtest.sh install "$(ENVTEST_ASSETS)"; \
	fi

# go-install-tool will 'go install' any package with custom target and name of binary, if it doesn't exist
# $1 - target path with name of binary
# $2 - package url which can be installed
# $3 - specific version of package
# The versioned binary (bin/<tool>-<version>) is installed through a temporary GOBIN and renamed,
# so a concurrent make never sees a half-written tool; bin/<tool> is a relative symlink to it.
define go-install-tool
@[ -x "$(1)-$(3)" ] || { \
set -e; \
package=$(2)@$(3) ;\
echo "Downloading $${package}" ;\
tmpbin=$$(mktemp -d "$(LOCALBIN)/.go-install.XXXXXX") ;\
trap 'rm -rf "$$tmpbin"' EXIT ;\
GOBIN="$$tmpbin" go install $${package} ;\
mv -f "$$tmpbin/$$(basename "$(1)")" "$(1)-$(3)" ;\
} ;\
[ "$$(readlink -- "$(1)" 2>/dev/null)" = "$$(basename "$(1)")-$(3)" ] || ln -sfn "$$(basename "$(1)")-$(3)" "$(1)"
endef
