#!/usr/bin/env bash
# Copyright 2026 The dirsync Authors.
# SPDX-License-Identifier: Apache-2.0
#
# `make mutate PKGS…`: mutation testing of the pure core with gremlins ($GREMLINS, pinned in the
# Makefile). Each package runs on its own files only, not its subpackages (the HTTP fakes are test
# tools) nor the dirsync_bench-tagged bench.go; a mutant is tried against the tests of its package.
# A package given as ./pkg:a.go,b.go is mutated in those files only (a controller package's pure
# leaves, beside its I/O files).
# Only the pure tests run (testenv.PureOnlyEnv): a package's envtest tests skip, and its TestMain starts
# no control plane, so the pure tests alone must kill each mutant.
# Prints, per package, the mutants tried and what became of them, gremlins' test efficacy (killed ÷
# (killed + lived)) and the time taken, and fails when a package's efficacy is below MUTATE_EFFICACY.
# Each package's full report, with every surviving (LIVED) mutant, lands in $MUTATE_OUT/<pkg>.txt.
# Not part of CI: it takes tens of minutes (docs/testing.md).
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
: "${GREMLINS:?GREMLINS must name the gremlins binary (make mutate builds it)}"
EFFICACY=${MUTATE_EFFICACY:-85}
# One worker: each mutant is a go test of its package, which uses both cores of a small machine.
WORKERS=${MUTATE_WORKERS:-1}
# A mutant's tests time out after the coefficient times the coverage run (an infinite loop is a
# kill gremlins reports as TIMED OUT). 3, gremlins' default, times out ordinary runs on a busy machine.
COEFFICIENT=${MUTATE_TIMEOUT_COEFFICIENT:-10}
OUT=${MUTATE_OUT:-bin/mutate}
# Go's test cache would answer gremlins' coverage run from an earlier one in milliseconds, and every
# mutant's timeout is a multiple of that run's time: run the tests for real.
export GOFLAGS="${GOFLAGS:+$GOFLAGS }-count=1"
export DIRSYNC_PURE_TESTS_ONLY=1
unset DIRSYNC_REQUIRE_ENVTEST

if [[ $# -eq 0 ]]; then
	echo "mutate: no packages given" >&2
	exit 2
fi
mkdir -p "$OUT"
declare -a rows=()
failed=0
start_all=$SECONDS
for arg in "$@"; do
	pkg=${arg%%:*}
	excludes=(--exclude-files '/' --exclude-files '^bench\.go$')
	if [[ $arg == *:* ]]; then
		# gremlins can only exclude files (by a regexp on the path under the package): exclude every other one.
		IFS=, read -ra only <<<"${arg#*:}"
		for f in "${only[@]}"; do
			[[ -f $pkg/$f ]] || { echo "mutate: $pkg/$f does not exist" >&2; exit 2; }
		done
		for f in "$pkg"/*.go; do
			f=${f##*/}
			[[ $f == *_test.go || " ${only[*]} " == *" $f "* ]] && continue
			excludes+=(--exclude-files "^${f//./\\.}\$")
		done
	fi
	report="$OUT/$(echo "${pkg#./}" | tr / _).txt"
	echo "===== mutate $arg (report: $report) ====="
	start=$SECONDS
	rc=0
	"$GREMLINS" unleash --workers "$WORKERS" --timeout-coefficient "$COEFFICIENT" \
		"${excludes[@]}" "$pkg" >"$report" 2>&1 || rc=$?
	took=$((SECONDS - start))
	grep -E '^ *(LIVED|TIMED OUT|NOT VIABLE) ' "$report" || true
	# "Killed: 37, Lived: 6, Not covered: 1" / "Timed out: 1, Not viable: 0, Skipped: 0" / "Test efficacy: 86.05%"
	count() { sed -nE "s/.*$1: ([0-9]+).*/\1/p" "$report" | tail -1; }
	killed=$(count Killed) lived=$(count Lived) uncovered=$(count 'Not covered')
	timedout=$(count 'Timed out') notviable=$(count 'Not viable')
	efficacy=$(sed -nE 's/.*Test efficacy: ([0-9.]+)%.*/\1/p' "$report" | tail -1)
	if [[ $rc -ne 0 || -z $killed || -z $efficacy ]]; then
		echo "mutate: gremlins failed on $pkg (exit $rc); see $report" >&2
		tail -20 "$report" >&2
		rows+=("$(printf '%-40s %s' "$arg" "gremlins failed (exit $rc)")")
		failed=1
		continue
	fi
	tried=$((killed + lived + timedout + notviable))
	verdict=ok
	if awk -v e="$efficacy" -v min="$EFFICACY" 'BEGIN { exit !(e < min) }'; then
		verdict="below ${EFFICACY}%"
		failed=1
	fi
	rows+=("$(printf '%-40s %5s %7s %6s %6s %9s %8s %8s %6ss  %s' "$pkg" "$tried" "$killed" "$lived" \
		"$timedout" "$notviable" "$uncovered" "$efficacy%" "$took" "$verdict")")
done
echo
echo "===== mutate summary (gremlins; efficacy = killed ÷ (killed + lived); at least ${EFFICACY}% each) ====="
printf '%-40s %5s %7s %6s %6s %9s %8s %8s %7s\n' package tried killed lived timeout notviable uncov efficacy time
printf '%s\n' "${rows[@]}"
echo "total: $((SECONDS - start_all))s"
exit $failed
