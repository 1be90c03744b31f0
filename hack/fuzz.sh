#!/usr/bin/env bash
# Copyright 2026 The dirsync Authors.
# SPDX-License-Identifier: Apache-2.0
#
# Runs every `func FuzzXxx(f *testing.F)` in the module's _test.go files for FUZZTIME (default 10s)
# each: go test -run='^$' -fuzz='^FuzzXxx$' -fuzztime=$FUZZTIME ./pkg. Targets are found with grep,
# so new ones are picked up without editing anything. Failing inputs land in the package's
# testdata/fuzz/FuzzXxx/, which go test then replays on every run: commit them with the fix.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
FUZZTIME=${FUZZTIME:-10s}
# A hung target (e.g. a TestMain whose children keep the test's output pipe open) fails instead of
# stalling CI: each target gets this long in all, compile time included.
FUZZ_TARGET_TIMEOUT=${FUZZ_TARGET_TIMEOUT:-15m}

# Only files of this module: skip bin/ and nested modules such as hack/k8sbins.
mapfile -t targets < <(
	git ls-files --cached --others --exclude-standard '*_test.go' ':!:hack/k8sbins/**' |
		xargs -r grep -HoE '^func Fuzz[A-Za-z0-9_]*\(' |
		sed -E 's#^(.*)/[^/]*_test\.go:func (Fuzz[A-Za-z0-9_]*)\($#./\1 \2#; s#^[^/]*_test\.go:func (Fuzz[A-Za-z0-9_]*)\($#. \1#' |
		sort -u
)
if [[ ${#targets[@]} -eq 0 ]]; then
	echo "fuzz: no Fuzz targets found"
	exit 0
fi
echo "fuzz: ${#targets[@]} target(s), $FUZZTIME each"
out=$(mktemp)
trap 'rm -f "$out"' EXIT

# fuzz_once runs one target once; its output also goes to $out.
fuzz_once() {
	timeout -k 30s "$FUZZ_TARGET_TIMEOUT" go test -run='^$' -fuzz="^${2}\$" -fuzztime="$FUZZTIME" "$1" 2>&1 | tee "$out"
}

# corpus_count counts the failing inputs go test has written for a target.
corpus_count() {
	local dir=$1/testdata/fuzz/$2
	if [[ -d $dir ]]; then find "$dir" -type f | wc -l; else echo 0; fi
}

failed=()
for t in "${targets[@]}"; do
	read -r pkg name <<<"$t"
	echo "fuzz: $name in $pkg"
	before=$(corpus_count "$pkg" "$name")
	if fuzz_once "$pkg" "$name"; then
		continue
	fi
	# Go 1.26's fuzz coordinator can fail a target with a bare "context deadline exceeded" when
	# -fuzztime ends while a busy worker is still answering (golang/go#75804, fixed in Go 1.27). That
	# writes no failing input. Only then, and only once, run the target again; a real finding, which
	# writes its input under testdata/fuzz, fails at once.
	if [[ $(corpus_count "$pkg" "$name") -eq $before ]] && grep -q 'context deadline exceeded' "$out"; then
		echo "fuzz: $name: Go's coordinator stopped at the -fuzztime deadline without a failing input (golang/go#75804); running it again"
		if fuzz_once "$pkg" "$name"; then
			continue
		fi
	fi
	failed+=("$name ($pkg)")
done
if [[ ${#failed[@]} -gt 0 ]]; then
	printf 'fuzz: FAILED: %s\n' "${failed[@]}" >&2
	exit 1
fi
echo "fuzz: all ${#targets[@]} target(s) passed"
