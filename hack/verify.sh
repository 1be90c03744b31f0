#!/usr/bin/env bash
# Copyright 2026 The dirsync Authors.
# SPDX-License-Identifier: Apache-2.0
#
# The second half of `make verify` (the Makefile has just run `make manifests generate`, which
# includes `make chart`): fail when that changed anything under api/, config/ or dist/chart/, or
# left files there that git does not track, and when go.mod/go.sum are not tidy. In CI the tree
# is a clean checkout, so any difference means someone changed markers, types or config/ without
# regenerating. Locally, commit (or stash) your work first.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
status=0

if ! git diff --exit-code --stat -- api config dist/chart; then
	git diff -- api config dist/chart | sed -n '1,60p'
	echo >&2
	echo "verify: FAILED: generated files under api/, config/ or dist/chart/ differ from what is committed." >&2
	echo "verify: run 'make manifests generate' (it runs make chart too) and commit the result (never edit generated files by hand)." >&2
	status=1
fi

untracked=$(git ls-files --others --exclude-standard -- api config dist/chart)
if [[ -n $untracked ]]; then
	echo "verify: FAILED: files under api/, config/ or dist/chart/ are not tracked by git (new generated output?):" >&2
	echo "$untracked" | sed 's/^/  /' >&2
	echo "verify: git add them, or fix the markers that produced them." >&2
	status=1
fi

if ! tidy=$(go mod tidy -diff 2>&1); then
	sed -n '1,40p' <<<"$tidy" >&2
	echo "verify: FAILED: go.mod/go.sum are not tidy: run 'go mod tidy' and commit the result." >&2
	status=1
fi

if [[ $status -eq 0 ]]; then
	echo "verify: generated files and go.mod are up to date"
fi
exit $status
