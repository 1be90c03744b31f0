#!/usr/bin/env bash
# Copyright 2026 The dirsync Authors.
# SPDX-License-Identifier: Apache-2.0
#
# Runs the release's manager image as a cluster would, and waits until it has synced a Directory
# (make test-image, a CI step): the proof that the shipped image holds a working manager.
#
#   hack/image-test.sh RELEASE_DIR VERSION
#
# RELEASE_DIR holds dirsync-manager-VERSION-linux-amd64.tar and install.yaml (make release, or
# hack/release.sh image). The script
#   1. makes sure Docker runs: it installs Debian's docker.io when dockerd is missing (as root;
#      otherwise it fails, saying so) and starts `dockerd --iptables=false --bridge=none` when no
#      daemon answers (and stops it at the end); no registry is needed;
#   2. `docker load`s the tarball, which names the image IMAGE_REPO:VERSION;
#   3. starts a local control plane (hack/control-plane.sh) and applies install.yaml: the CRDs,
#      RBAC and ServiceAccount the installer gives the manager (its Deployment stays unscheduled:
#      there are no nodes);
#   4. starts fakehr over HTTPS with a certificate of a CA of its own (cptool tls), and a Directory
#      and Secret for its Breathe HR;
#   5. runs the image as the Deployment does: --read-only, --user 65532:65532, its entrypoint, with
#      --network=host, a kubeconfig holding a token of the manager's ServiceAccount (kubectl create
#      token) mounted read-only, and the fake's CA mounted read-only and named by SSL_CERT_DIR, so
#      the image's own CA bundle stays in use beside it;
#   6. waits for the Directory to be Ready with its users created, and prints how long each part took.
#
# With DOCKERFILE=1 it checks the Dockerfile's own build the same way: where no registry is reachable,
# it supplies the two base images locally (the Dockerfile's BUILDER_IMAGE and BASE_IMAGE build
# arguments): BASE_IMAGE is the release image it loaded (distroless static nonroot's shape), and
# BUILDER_IMAGE stands in for golang:1.26 with this machine's Go toolchain, busybox's sh (Debian's
# busybox-static) and CA certificates, made with docker import. It runs `docker build --network=host`
# (the build stage downloads modules) and then runs that image instead of the loaded one. The build
# compiles the manager cold inside the container: minutes, so CI leaves it to make docker-check.
#
# Environment: K8S_BIN_DIR (the control plane's binaries), FAKEHR_BIN (bin/fakehr), IMAGE_REPO
# (ghcr.io/dirsync/dirsync), KUBECTL (kubectl), IMAGE_TEST_DIR (state: bin/image-test),
# IMAGE_TEST_TIMEOUT (seconds to wait for Ready, 180).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=hack/control-plane.sh
source "$ROOT/hack/control-plane.sh"
die() { echo "image-test: $*" >&2; exit 1; }
log() { echo "image-test: $*" >&2; }
[[ $# -eq 2 ]] || die "usage: $0 RELEASE_DIR VERSION"
RELEASE_DIR=$(cd "$1" && pwd) VERSION=$2
TARBALL=$RELEASE_DIR/dirsync-manager-$VERSION-linux-amd64.tar
[[ -f $TARBALL && -f $RELEASE_DIR/install.yaml ]] || die "no $TARBALL or install.yaml in $RELEASE_DIR: run make release VERSION=$VERSION (or hack/release.sh image $VERSION $1)"
IMAGE=${IMAGE_REPO:-ghcr.io/dirsync/dirsync}:$VERSION
FAKEHR_BIN=${FAKEHR_BIN:-$ROOT/bin/fakehr}
KUBECTL=${KUBECTL:-kubectl}
STATE=${IMAGE_TEST_DIR:-$ROOT/bin/image-test}
TIMEOUT=${IMAGE_TEST_TIMEOUT:-180}
CONTAINER=dirsync-image-test-$$
[[ -x $FAKEHR_BIN ]] || die "no fakehr at $FAKEHR_BIN: go build -o bin/fakehr ./cmd/fakehr"

declare -a TIMES=()
phase_start=$SECONDS
phase() { # NAME: the time since the last phase, for the summary
	TIMES+=("$(printf '%-22s %4ss' "$1" "$((SECONDS - phase_start))")")
	phase_start=$SECONDS
}

started_dockerd=
cleanup() {
	local rc=$?
	if [[ $rc -ne 0 ]]; then
		log "FAILED; the manager's last lines, fakehr's and the control plane's:"
		docker logs --tail 60 "$CONTAINER" >&2 2>&1 || true
		proc_tails "$STATE" 20 fakehr
		[[ -z $started_dockerd ]] || proc_tails "$STATE" 20 dockerd
		"$KUBECTL" --kubeconfig "$STATE/cp/kubeconfig" get directories -A -o yaml >&2 2>/dev/null || true
	fi
	docker rm -f "$CONTAINER" >/dev/null 2>&1 || true
	proc_stop "$STATE" fakehr
	"$ROOT/hack/control-plane.sh" stop "$STATE/cp" >/dev/null 2>&1 || true
	if [[ -n $started_dockerd ]]; then
		proc_stop "$STATE" dockerd
	fi
	printf '  %s\n' "${TIMES[@]}" >&2
	exit $rc
}
mkdir -p "$STATE"
trap cleanup EXIT

# 1. Docker: Debian's docker.io when dockerd is missing, and a daemon of our own when none answers.
if ! command -v dockerd >/dev/null 2>&1; then
	[[ $(id -u) -eq 0 ]] || die "dockerd is missing and installing docker.io needs root: run as root, or install Docker first"
	log "installing Debian's docker.io"
	export DEBIAN_FRONTEND=noninteractive
	apt-get install -y -q --no-install-recommends docker.io >"$STATE/apt.log" 2>&1 ||
		{ apt-get update -q >>"$STATE/apt.log" 2>&1 && apt-get install -y -q --no-install-recommends docker.io >>"$STATE/apt.log" 2>&1; } ||
		{ tail -20 "$STATE/apt.log" >&2; die "apt-get install docker.io failed"; }
fi
if ! docker info >/dev/null 2>&1; then
	[[ $(id -u) -eq 0 ]] || die "no Docker daemon answers and starting one needs root"
	log "starting dockerd (no iptables, no bridge: containers use the host's network)"
	proc_launch "$STATE" dockerd dockerd --iptables=false --bridge=none --pidfile="$STATE/dockerd.pidfile"
	started_dockerd=1
	for _ in $(seq 1 120); do
		docker info >/dev/null 2>&1 && break
		proc_alive "$STATE" dockerd || die "dockerd exited: $(tail -5 "$STATE/dockerd.log")"
		sleep 0.5
	done
	docker info >/dev/null 2>&1 || die "dockerd did not answer in 60s"
fi
phase "docker ready"

# 2. The image.
docker load -i "$TARBALL"
docker image inspect "$IMAGE" --format 'image-test: loaded {{.Id}} user {{.Config.User}} entrypoint {{.Config.Entrypoint}}' >&2
phase "docker load"

if [[ -n ${DOCKERFILE:-} ]]; then
	if [[ ! -x /bin/busybox ]]; then
		[[ $(id -u) -eq 0 ]] || die "DOCKERFILE=1 needs /bin/busybox (Debian's busybox-static): install it, or run as root"
		DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends busybox-static >>"$STATE/apt.log" 2>&1 ||
			die "apt-get install busybox-static failed: $(tail -5 "$STATE/apt.log")"
	fi
	goroot=$(go env GOROOT)
	builder=dirsync-image-test-builder:$(go env GOVERSION)
	if ! docker image inspect "$builder" >/dev/null 2>&1; then
		log "making $builder from $goroot, busybox and this machine's CA certificates"
		rootfs=$STATE/builder-rootfs
		rm -rf "$rootfs" && mkdir -p "$rootfs"/{bin,tmp,root,usr/local,etc/ssl/certs}
		cp -a "$goroot" "$rootfs/usr/local/go"
		cp /bin/busybox "$rootfs/bin/busybox" && ln -s busybox "$rootfs/bin/sh"
		cp /etc/ssl/certs/ca-certificates.crt "$rootfs/etc/ssl/certs/"
		tar -C "$rootfs" -c . | docker import --change 'ENV PATH=/usr/local/go/bin:/bin' --change 'ENV HOME=/root' \
			--change "ENV GOPROXY=$(go env GOPROXY)" --change 'ENV GOTOOLCHAIN=local' - "$builder" >/dev/null
		rm -rf "$rootfs"
	fi
	log "docker build (BUILDER_IMAGE=$builder, BASE_IMAGE=$IMAGE)"
	dockerfile_image=dirsync-image-test-dockerfile:$VERSION
	DOCKER_BUILDKIT=0 docker build --network=host --build-arg BUILDER_IMAGE="$builder" --build-arg BASE_IMAGE="$IMAGE" \
		--build-arg VERSION="$VERSION" -t "$dockerfile_image" "$ROOT" >"$STATE/docker-build.log" 2>&1 ||
		{ tail -30 "$STATE/docker-build.log" >&2; die "docker build failed"; }
	IMAGE=$dockerfile_image
	docker image inspect "$IMAGE" --format 'image-test: built {{.Id}} user {{.Config.User}} entrypoint {{.Config.Entrypoint}}' >&2
	phase "docker build"
fi

# 3. The control plane and the installer.
"$ROOT/hack/control-plane.sh" start "$STATE/cp"
export KUBECONFIG=$STATE/cp/kubeconfig
"$KUBECTL" apply --server-side -f "$RELEASE_DIR/install.yaml" >/dev/null
sa=$("$KUBECTL" -n dirsync-system get deployment dirsync-controller-manager -o jsonpath='{.spec.template.spec.serviceAccountName}')
[[ -n $sa ]] || die "install.yaml's Deployment names no ServiceAccount"
"$KUBECTL" wait --for=condition=Established crd --all --timeout=60s >/dev/null
phase "control plane+install"

# 4. fakehr over HTTPS, a Secret with its key and a Directory for it.
"$STATE/cp/cptool" tls "$STATE/tls"
mkdir -p "$STATE/ca" && cp "$STATE/tls/tls-ca.crt" "$STATE/ca/fakehr-ca.crt"
mapfile -t ports < <("$STATE/cp/cptool" ports 4)
proc_launch "$STATE" fakehr "$FAKEHR_BIN" --breathe-addr "127.0.0.1:${ports[0]}" --peoplehr-addr "127.0.0.1:${ports[1]}" \
	--employees 50 --tls-cert-file "$STATE/tls/tls.crt" --tls-private-key-file "$STATE/tls/tls.key"
for _ in $(seq 1 100); do grep -q "Breathe HR API at" "$STATE/fakehr.log" 2>/dev/null && break; sleep 0.1; done
endpoint=$(sed -n 's/.*Breathe HR API at \(https:[^ ]*\) .*/\1/p' "$STATE/fakehr.log")
[[ $endpoint == https://* ]] || die "fakehr gave no https URL: $(cat "$STATE/fakehr.log")"
"$KUBECTL" create namespace image-test >/dev/null
"$KUBECTL" -n image-test create secret generic breathehr-api-key --from-literal=apiKey=breathe-demo-key >/dev/null
"$KUBECTL" -n image-test apply -f - >/dev/null <<EOF
apiVersion: dirsync.io/v1alpha1
kind: Directory
metadata:
  name: breathehr
spec:
  provider: BreatheHR
  endpoint: $endpoint
  credentialsSecretRef:
    name: breathehr-api-key
EOF

# 5. The manager's kubeconfig: the API server, its CA and a token of the manager's ServiceAccount.
kc=$STATE/manager-kubeconfig
rm -f "$kc"
server=$("$KUBECTL" config view --minify -o jsonpath='{.clusters[0].cluster.server}')
"$KUBECTL" config --kubeconfig="$kc" set-cluster local --server="$server" --certificate-authority="$STATE/cp/pki/ca.crt" --embed-certs=true >/dev/null
"$KUBECTL" config --kubeconfig="$kc" set-credentials manager --token="$("$KUBECTL" -n dirsync-system create token "$sa" --duration=1h)" >/dev/null
"$KUBECTL" config --kubeconfig="$kc" set-context manager --cluster=local --user=manager >/dev/null
"$KUBECTL" config --kubeconfig="$kc" use-context manager >/dev/null
# The container's user 65532 reads it: a throwaway token for a control plane that dies with this run.
chmod 644 "$kc"
chmod 755 "$STATE" "$STATE/ca"
# The Deployment's arguments, with ports of our own on the host network.
mapfile -t args < <("$KUBECTL" -n dirsync-system get deployment dirsync-controller-manager -o go-template='{{range (index .spec.template.spec.containers 0).args}}{{.}}{{"\n"}}{{end}}' |
	grep -v -e '^--metrics-bind-address' -e '^--health-probe-bind-address')
docker run -d --name "$CONTAINER" --network=host --read-only --user 65532:65532 --cap-drop=ALL --security-opt=no-new-privileges \
	-v "$kc:/etc/dirsync/kubeconfig:ro" -v "$STATE/ca:/etc/dirsync/ca:ro" \
	-e KUBECONFIG=/etc/dirsync/kubeconfig -e SSL_CERT_DIR=/etc/dirsync/ca \
	"$IMAGE" "${args[@]}" --leader-election-namespace=dirsync-system --allowed-endpoint-hosts=127.0.0.1 \
	--metrics-bind-address="127.0.0.1:${ports[2]}" --health-probe-bind-address="127.0.0.1:${ports[3]}" >/dev/null
phase "fakehr+manager started"

# 6. Ready, with the fake's people as DirectoryUsers.
deadline=$((SECONDS + TIMEOUT))
until [[ $("$KUBECTL" -n image-test get directory breathehr -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}') == True ]]; do
	[[ $(docker inspect -f '{{.State.Running}}' "$CONTAINER") == true ]] || die "the manager container exited"
	((SECONDS < deadline)) || die "the Directory was not Ready after ${TIMEOUT}s"
	sleep 1
done
users=$("$KUBECTL" -n image-test get directoryusers -o name | wc -l)
((users > 0)) || die "the Directory is Ready but has no DirectoryUsers"
curl -fsS "http://127.0.0.1:${ports[3]}/readyz" >/dev/null || die "the manager's /readyz does not answer"
phase "Directory Ready"
log "the image $IMAGE synced Directory image-test/breathehr over TLS: Ready, $users DirectoryUsers"
