#!/usr/bin/env bash
# Copyright 2026 The dirsync Authors.
# SPDX-License-Identifier: Apache-2.0
#
# `make bench`: builds the manager and the benchmark (bench/, beside its results) with the dirsync_bench
# tag (so that DIRSYNC_BENCH_UNPACED_PROVIDERS=1 turns Breathe HR pacing off against the fake; the
# shipped manager cannot), and bin/fakehr, makes sure the control plane binaries are in bin/k8s (make envtest), then
# runs the benchmark, which starts a local control plane (hack/control-plane.sh), bin/fakehr and the
# manager, runs the phases (sizes, access, defaults, many, webhook, directorywebhook: about an hour and a half in all on 2 cores), prints
# the report and writes it to bench/results.md, with every phase's figures in bench/results.json. A run
# of some phases (BENCH_PHASES) keeps the others' figures from bench/results.json. Everything it starts
# is stopped when it ends, also on failure or Ctrl-C.
#
# Environment: BENCH_PHASES (sizes,access,defaults,many,webhook,directorywebhook), BENCH_SIZES (1000,10000), BENCH_OUT
# (bench/results.md), BENCH_ARGS (more flags of the benchmark, e.g. "-noop-runs=5"; see go run
# -tags dirsync_bench ./bench -help), BENCH_KEEP (non-empty: keep the state dir and logs), BENCH_TIMEOUT (100m),
# ENVTEST_ASSETS / K8S_BIN_DIR (bin/k8s/1.37.2-<os>-<arch>), KUBECTL (kubectl).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
SIZES=${BENCH_SIZES:-1000,10000}
PHASES=${BENCH_PHASES:-sizes,access,defaults,many,webhook,directorywebhook}
OUT=${BENCH_OUT:-bench/results.md}
TIMEOUT=${BENCH_TIMEOUT:-100m}
ASSETS=${ENVTEST_ASSETS:-$ROOT/bin/k8s/${ENVTEST_K8S_VERSION:-1.37.2}-$(go env GOOS)-$(go env GOARCH)}
export K8S_BIN_DIR=${K8S_BIN_DIR:-$ASSETS}
STARTED=$SECONDS

say() { echo "bench: $*" >&2; }

STATE=$(mktemp -d "${TMPDIR:-/tmp}/dirsync-bench.XXXXXX")
# proc_stop: the control plane's process helper (the benchmark writes manager.pid and fakehr.pid next
# to the control plane's pid files, and fleet/fakehr.pid for the many phase's fake, through test/utils).
# shellcheck source=hack/control-plane.sh
source hack/control-plane.sh

# cleanup is the backstop for a benchmark that was killed before it could stop what it started:
# the manager and fake (pid files it writes), then the control plane.
cleanup() {
	local rc=$? d
	trap - EXIT INT TERM
	if [[ -d $STATE/run ]]; then
		for d in "$STATE"/run/*/; do
			[[ -d $d ]] || continue
			proc_stop "$d" manager fakehr
			[[ ! -d $d/fleet ]] || proc_stop "$d/fleet" fakehr
			hack/control-plane.sh stop "$d" >/dev/null 2>&1 || true
		done
	fi
	if ((rc == 0)) && [[ -z ${BENCH_KEEP:-} ]]; then
		rm -rf "$STATE"
	else
		say "state and logs kept in $STATE"
	fi
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

say "building the bench manager, bin/fakehr and the benchmark"
mkdir -p bin
go build -tags dirsync_bench -o "$STATE/manager" ./cmd/manager
go build -o bin/fakehr ./cmd/fakehr
go build -tags dirsync_bench -o "$STATE/bench" ./bench
export DIRSYNC_BENCH_UNPACED_PROVIDERS=1

if ! hack/envtest.sh have "$ASSETS"; then
	say "control plane binaries missing in $ASSETS: running make envtest"
	make --no-print-directory envtest ENVTEST_ASSETS="$ASSETS"
fi

KEEP=()
[[ -z ${BENCH_KEEP:-} ]] || KEEP=(-keep)
say "running: bench -phases=$PHASES -sizes=$SIZES -out=$OUT ${BENCH_ARGS:-}"
# shellcheck disable=SC2086 # BENCH_ARGS is a list of flags
"$STATE/bench" -phases="$PHASES" -sizes="$SIZES" -out="$OUT" -state-dir="$STATE/run" -timeout="$TIMEOUT" \
	-manager="$STATE/manager" -fakehr=bin/fakehr -control-plane=hack/control-plane.sh "${KEEP[@]}" ${BENCH_ARGS:-} "$@"
say "done in $((SECONDS - STARTED))s"
