#!/usr/bin/env bash
# Copyright 2026 The dirsync Authors.
# SPDX-License-Identifier: Apache-2.0
#
# Prints a kustomization (normally config/default) with the manager image set to IMG, the job
# `kustomize edit set image controller=IMG` does in kubebuilder's Makefile, without the kustomize
# binary (kubectl's built-in kustomize has no `edit`) and without touching any tracked file: it
# renders through a throwaway overlay in bin/.
#
#   hack/render.sh config/default ghcr.io/example/dirsync:v0.1.0 | kubectl apply --server-side -f -
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
[[ $# -eq 2 ]] || { echo "usage: $0 KUSTOMIZATION_DIR IMG" >&2; exit 2; }
base=$(cd "$1" && pwd)
img=$2
KUBECTL=${KUBECTL:-kubectl}

# Split IMG into name and tag or digest: registry:5000/org/name:tag, name@sha256:…, or name.
name=$img tag='' digest=''
if [[ $img == *@* ]]; then
	name=${img%%@*} digest=${img#*@}
elif [[ ${img##*/} == *:* ]]; then
	name=${img%:*} tag=${img##*:}
fi

# config/manager already maps the manifests' "controller" to the default image (the chart's repository),
# so the overlay must match that name too.
default_name=$(sed -n 's/^ *newName: *//p' "$ROOT/config/manager/kustomization.yaml" | sed -n 1p)

mkdir -p "$ROOT/bin"
overlay=$(mktemp -d "$ROOT/bin/.render.XXXXXX")
trap 'rm -rf "$overlay"' EXIT
{
	echo "apiVersion: kustomize.config.k8s.io/v1beta1"
	echo "kind: Kustomization"
	echo "resources:"
	echo "- ../../${base#"$ROOT"/}"
	echo "images:"
	for from in controller ${default_name:+"$default_name"}; do
		echo "- name: \"$from\""
		echo "  newName: \"$name\""
		[[ -z $tag ]] || echo "  newTag: \"$tag\""
		[[ -z $digest ]] || echo "  digest: \"$digest\""
	done
} >"$overlay/kustomization.yaml"
"$KUBECTL" kustomize "$overlay"
