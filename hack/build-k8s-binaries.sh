#!/usr/bin/env bash
# Copyright 2026 The dirsync Authors.
# SPDX-License-Identifier: Apache-2.0
#
# Builds etcd, kube-apiserver and kube-controller-manager from Go modules (the hack/k8sbins module,
# which pins k8s.io/kubernetes, or K8SBINS_MODULE=hack/k8sbins-floor for the oldest supported
# version, make test-floor) into OUT_DIR, for machines where setup-envtest cannot download its
# release tarballs. Binaries that already exist are kept (a cache). Each one is built under a
# temporary name and renamed, so an interrupted build never leaves a broken binary; a lock stops
# two builds into the same directory from racing. Cold, on 2 cores: about 20 minutes in all.
#
#   hack/build-k8s-binaries.sh OUT_DIR [BINARY…]    (default: all three)
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
[[ $# -ge 1 ]] || { echo "usage: $0 OUT_DIR [etcd|kube-apiserver|kube-controller-manager]…" >&2; exit 2; }
mkdir -p "$1"
OUT=$(cd "$1" && pwd)
shift
BINARIES=("$@")
[[ ${#BINARIES[@]} -gt 0 ]] || BINARIES=(etcd kube-apiserver kube-controller-manager)

# The module that pins the version; the version stamped into the binaries must match its k8s.io/kubernetes.
MODULE=$ROOT/${K8SBINS_MODULE:-hack/k8sbins}
VERSION=$(cd "$MODULE" && GOWORK=off go list -m -f '{{.Version}}' k8s.io/kubernetes)
IFS=. read -r MAJOR MINOR _ <<<"${VERSION#v}"
LD="-s -w -X k8s.io/component-base/version.gitVersion=$VERSION -X k8s.io/component-base/version.gitMajor=$MAJOR -X k8s.io/component-base/version.gitMinor=$MINOR -X k8s.io/component-base/version.gitTreeState=clean -X k8s.io/client-go/pkg/version.gitVersion=$VERSION -X k8s.io/client-go/pkg/version.gitMajor=$MAJOR -X k8s.io/client-go/pkg/version.gitMinor=$MINOR"

exec 9>"$OUT/.build.lock"
if ! flock -n 9; then
	echo "build-k8s-binaries: another build into $OUT is running; waiting for it" >&2
	flock 9
fi

cd "$MODULE"
export GOWORK=off
for bin in "${BINARIES[@]}"; do
	case $bin in
	etcd) pkg=./etcd flags=() ;;
	kube-apiserver | kube-controller-manager) pkg=k8s.io/kubernetes/cmd/$bin flags=(-ldflags "$LD") ;;
	*) echo "build-k8s-binaries: unknown binary $bin" >&2; exit 2 ;;
	esac
	if [[ -x $OUT/$bin ]]; then
		echo "build-k8s-binaries: $OUT/$bin exists; keeping it"
		continue
	fi
	tmp=$OUT/.$bin.tmp.$$
	trap 'rm -f "$tmp"' EXIT
	echo "build-k8s-binaries: building $bin (k8s.io/kubernetes $VERSION) into $OUT; cold, all three take about 6–9 minutes of compiling on 2 cores"
	start=$SECONDS
	go build "${flags[@]}" -o "$tmp" "$pkg"
	mv -f "$tmp" "$OUT/$bin"
	echo "build-k8s-binaries: built $bin in $((SECONDS - start))s"
done
