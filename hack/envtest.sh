#!/usr/bin/env bash
# Copyright 2026 The dirsync Authors.
# SPDX-License-Identifier: Apache-2.0
#
# Makes etcd, kube-apiserver and kube-controller-manager available in DIR (normally
# bin/k8s/<version>-<os>-<arch>, the layout setup-envtest and kubebuilder's
# getFirstFoundEnvTestBinaryDir use), for envtest (KUBEBUILDER_ASSETS) and hack/control-plane.sh.
#
#   hack/envtest.sh have DIR      exit 0 when all three binaries are there
#   hack/envtest.sh install DIR   setup-envtest first (if $ENVTEST is executable), then build
#                                 whatever is still missing from hack/k8sbins
#
# setup-envtest's tarballs carry etcd and kube-apiserver but not kube-controller-manager, which
# the local control plane needs, so that one is always built. Environment: ENVTEST (path to
# setup-envtest), ENVTEST_K8S_VERSION (1.37.2), LOCALBIN (bin), ENVTEST_DOWNLOAD_TIMEOUT (60s).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BINARIES=(etcd kube-apiserver kube-controller-manager)
[[ $# -eq 2 ]] || { echo "usage: $0 have|install DIR" >&2; exit 2; }
DIR=$2

have() {
	local b
	for b in "${BINARIES[@]}"; do [[ -x $DIR/$b ]] || return 1; done
}

case $1 in
have) have ;;
install)
	if have; then exit 0; fi
	version=${ENVTEST_K8S_VERSION:-1.37.2}
	localbin=${LOCALBIN:-$ROOT/bin}
	if [[ -n ${ENVTEST:-} && -x $ENVTEST ]]; then
		echo "envtest: trying setup-envtest use $version (timeout ${ENVTEST_DOWNLOAD_TIMEOUT:-60}s)"
		if path=$(timeout "${ENVTEST_DOWNLOAD_TIMEOUT:-60}" "$ENVTEST" use "$version" --bin-dir "$localbin" -p path); then
			echo "envtest: setup-envtest gave $path"
			mkdir -p "$DIR"
			for b in etcd kube-apiserver; do
				if [[ ! -x $DIR/$b && -x $path/$b ]]; then cp "$path/$b" "$DIR/.$b.tmp.$$" && mv -f "$DIR/.$b.tmp.$$" "$DIR/$b"; fi
			done
		else
			echo "envtest: setup-envtest could not download the binaries (no network to its release store?); building them from hack/k8sbins instead"
		fi
	fi
	"$ROOT/hack/build-k8s-binaries.sh" "$DIR"
	have || { echo "envtest: binaries still missing in $DIR" >&2; exit 1; }
	;;
*) echo "usage: $0 have|install DIR" >&2; exit 2 ;;
esac
