#!/usr/bin/env bash
# Copyright 2026 The dirsync Authors.
# SPDX-License-Identifier: Apache-2.0
#
# `make test-e2e-kind`: for machines with Docker and kind. Builds the manager image, loads it into a
# Kind cluster, deploys config/default with it (make deploy), and checks that
#   - the four CRDs are Established,
#   - the controller-manager Deployment becomes Available (its probes pass, in a namespace that
#     enforces the restricted Pod Security Standard),
#   - the in-cluster manager reconciles: a Directory whose Secret is missing gets Ready=False.
# It never contacts a real HR provider.
#
# Environment: KIND_CLUSTER (dirsync-e2e), IMG (dirsync/manager:e2e; not a :latest tag, which
# Kubernetes would try to pull instead of using the loaded image), KIND_NODE_IMAGE (kind's
# default), KEEP_CLUSTER=1 to leave the cluster running (it is deleted otherwise, if this script
# created it), KIND (kind), CONTAINER_TOOL (docker).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$ROOT"
CLUSTER=${KIND_CLUSTER:-dirsync-e2e}
IMG=${IMG:-dirsync/manager:e2e}
KIND=${KIND:-kind}
CONTAINER_TOOL=${CONTAINER_TOOL:-docker}
NS=dirsync-e2e

say() { echo "kind-e2e: $*"; }
for tool in "$KIND" "$CONTAINER_TOOL" kubectl; do
	command -v "$tool" >/dev/null || { say "$tool is required (this test needs a container engine and kind)"; exit 1; }
done

created=
if ! "$KIND" get clusters 2>/dev/null | grep -x "$CLUSTER" >/dev/null; then
	say "creating Kind cluster $CLUSTER"
	"$KIND" create cluster --name "$CLUSTER" ${KIND_NODE_IMAGE:+--image "$KIND_NODE_IMAGE"} --wait 120s
	created=1
fi
KUBECONFIG=$(mktemp)
export KUBECONFIG
cleanup() {
	local rc=$?
	if [[ $rc -ne 0 ]]; then
		say "FAILED; the manager's state and logs:"
		kubectl -n dirsync-system get deploy,pods -o wide || true
		kubectl -n dirsync-system logs deploy/dirsync-controller-manager --tail=50 || true
	fi
	if [[ -n $created && -z ${KEEP_CLUSTER:-} ]]; then
		say "deleting Kind cluster $CLUSTER (KEEP_CLUSTER=1 keeps it)"
		"$KIND" delete cluster --name "$CLUSTER" || true
	fi
	rm -f "$KUBECONFIG"
}
trap cleanup EXIT
"$KIND" get kubeconfig --name "$CLUSTER" >"$KUBECONFIG"

say "building $IMG"
make docker-build IMG="$IMG" CONTAINER_TOOL="$CONTAINER_TOOL"
say "loading $IMG into $CLUSTER"
"$KIND" load docker-image "$IMG" --name "$CLUSTER"

say "deploying config/default"
make deploy IMG="$IMG"
kubectl wait --for=condition=Established --timeout=60s \
	crd/directories.dirsync.io crd/directoryusers.dirsync.io crd/directorygroups.dirsync.io \
	crd/directoryaccesses.dirsync.io
kubectl -n dirsync-system rollout status deployment/dirsync-controller-manager --timeout=180s
kubectl -n dirsync-system wait --for=condition=Available deployment/dirsync-controller-manager --timeout=60s

say "checking that the manager reconciles"
kubectl create namespace "$NS" --dry-run=client -o yaml | kubectl apply -f -
kubectl apply -n "$NS" -f - <<'YAML'
apiVersion: dirsync.io/v1alpha1
kind: Directory
metadata:
  name: no-secret
spec:
  provider: BreatheHR
  credentialsSecretRef:
    name: does-not-exist
YAML
kubectl -n "$NS" wait --for=condition=Ready=False directory/no-secret --timeout=120s
kubectl -n "$NS" get directory no-secret
kubectl delete namespace "$NS" --wait=false
say "PASSED"
