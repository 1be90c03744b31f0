#!/usr/bin/env bash
# Copyright 2026 The dirsync Authors.
# SPDX-License-Identifier: Apache-2.0
#
# A local Kubernetes control plane for `make demo`, the e2e tests and the benchmarks: etcd,
# kube-apiserver and kube-controller-manager from bin/k8s/<version>-<os>-<arch> (see `make envtest`),
# on 127.0.0.1 with free ports. Unlike envtest it runs the controller manager, so garbage collection
# and ServiceAccount tokens work, and the API server authorizes with RBAC.
#
#   hack/control-plane.sh start DIR   start, wait until ready, write DIR/kubeconfig (admin)
#   hack/control-plane.sh stop DIR    stop what `start DIR` started
#   hack/control-plane.sh env DIR     print `export KUBECONFIG=…` lines for eval
#
# DIR holds the state: pki/, etcd/, *.log, *.pid, kubeconfig. `start` wipes those first (never
# anything else in DIR). Environment: K8S_BIN_DIR (default bin/k8s/1.37.2-<os>-<arch>),
# KUBECTL (default kubectl on PATH, else K8S_BIN_DIR/kubectl), CONTROL_PLANE_TIMEOUT (seconds, 120).
#
# Sourced (`source hack/control-plane.sh`), it only defines the process helpers below, which
# hack/demo.sh and hack/bench.sh use for their own processes; the Go side of the same job is
# test/utils. A process NAME in state directory DIR has its pid in DIR/NAME.pid and its output in
# DIR/NAME.log:
#   proc_launch DIR NAME BIN ARGS…   start BIN in the background, output to DIR/NAME.log
#   proc_alive DIR NAME              DIR/NAME.pid names a running process that is still our NAME
#   proc_stop DIR NAME…              SIGTERM them together, wait up to 15s, SIGKILL what is left
#   proc_tails DIR LINES NAME…       print the last LINES lines of each DIR/NAME.log to stderr

proc_launch() {
	local dir=$1 name=$2
	shift 2
	"$@" >"$dir/$name.log" 2>&1 </dev/null &
	echo $! >"$dir/$name.pid"
}

proc_alive() {
	local pidfile=$1/$2.pid pid argv0
	[[ -f $pidfile ]] || return 1
	pid=$(<"$pidfile")
	[[ -n $pid ]] && kill -0 "$pid" 2>/dev/null || return 1
	# On Linux, also check argv[0], so that a reused pid is never taken for ours.
	[[ -r /proc/$pid/cmdline ]] || return 0
	argv0=$(tr '\0' '\n' <"/proc/$pid/cmdline" | sed -n 1p)
	[[ $argv0 == "$2" || $argv0 == */"$2" ]]
}

proc_stop() {
	local dir=$1 name pid pids=()
	shift
	for name in "$@"; do
		if proc_alive "$dir" "$name"; then
			pid=$(<"$dir/$name.pid")
			kill -TERM "$pid" 2>/dev/null || true
			pids+=("$pid")
		fi
	done
	for _ in $(seq 1 150); do
		for pid in "${pids[@]}"; do
			kill -0 "$pid" 2>/dev/null && break
			pid=
		done
		[[ -n ${pid:-} ]] || break
		sleep 0.1
	done
	for pid in "${pids[@]}"; do
		if kill -0 "$pid" 2>/dev/null; then
			echo "pid $pid did not stop in 15s; killing it" >&2
			kill -KILL "$pid" 2>/dev/null || true
		fi
	done
	for name in "$@"; do rm -f "$dir/$name.pid"; done
}

proc_tails() {
	local dir=$1 lines=$2 name
	shift 2
	for name in "$@"; do
		if [[ -s $dir/$name.log ]]; then
			echo "----- last lines of $dir/$name.log -----" >&2
			tail -n "$lines" "$dir/$name.log" >&2
		fi
	done
}

# Sourced: only the helpers above.
if [[ ${BASH_SOURCE[0]} != "$0" ]]; then
	return 0
fi

set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
K8S_VERSION=${ENVTEST_K8S_VERSION:-1.37.2}
K8S_BIN_DIR=${K8S_BIN_DIR:-$ROOT/bin/k8s/$K8S_VERSION-$(go env GOOS)-$(go env GOARCH)}
TIMEOUT=${CONTROL_PLANE_TIMEOUT:-120}
COMPONENTS=(kube-controller-manager kube-apiserver etcd) # stop order

die() { echo "control-plane: $*" >&2; exit 1; }
log() { echo "control-plane: $*" >&2; }

kubectl_bin() {
	if [[ -n "${KUBECTL:-}" ]]; then echo "$KUBECTL"
	elif command -v kubectl >/dev/null 2>&1; then command -v kubectl
	elif [[ -x "$K8S_BIN_DIR/kubectl" ]]; then echo "$K8S_BIN_DIR/kubectl"
	else die "kubectl not found: install it or set KUBECTL"
	fi
}

cmd_stop() {
	proc_stop "$STATE" kube-controller-manager kube-apiserver
	proc_stop "$STATE" etcd
}

# fail MSG: print the logs' tails, stop everything, exit non-zero.
fail() {
	log "$*"
	proc_tails "$STATE" 25 etcd kube-apiserver kube-controller-manager
	cmd_stop
	exit 1
}

# wait_for WHAT COMMAND…: retry COMMAND until it succeeds, a component dies, or TIMEOUT passes.
wait_for() {
	local what=$1 deadline=$((SECONDS + TIMEOUT)) c
	shift
	until "$@" >/dev/null 2>&1; do
		for c in "${COMPONENTS[@]}"; do
			[[ ! -f $STATE/$c.pid ]] || proc_alive "$STATE" "$c" || fail "$c exited while waiting for $what"
		done
		((SECONDS < deadline)) || fail "timed out after ${TIMEOUT}s waiting for $what"
		sleep 0.5
	done
}

cmd_start() {
	local c k
	for c in etcd kube-apiserver kube-controller-manager; do
		[[ -x $K8S_BIN_DIR/$c ]] || die "$K8S_BIN_DIR/$c is missing: run 'make envtest' first"
	done
	for c in "${COMPONENTS[@]}"; do
		! proc_alive "$STATE" "$c" || die "$c is already running from $STATE (pid $(<"$STATE/$c.pid")); run: $0 stop $STATE"
	done
	k=$(kubectl_bin)

	mkdir -p "$STATE"
	rm -rf "$STATE/pki" "$STATE/etcd" "$STATE/certs"
	rm -f "$STATE"/{etcd,kube-apiserver,kube-controller-manager}.{log,pid} "$STATE/kubeconfig" "$STATE/env"

	# Keys and ports from a tiny stdlib-only Go helper, so openssl is not needed.
	go build -o "$STATE/cptool" "$ROOT/hack/cptool"
	"$STATE/cptool" pki "$STATE/pki"
	local ports etcd_port peer_port api_port kcm_port
	mapfile -t ports < <("$STATE/cptool" ports 4)
	etcd_port=${ports[0]} peer_port=${ports[1]} api_port=${ports[2]} kcm_port=${ports[3]}
	local pki=$STATE/pki server=https://127.0.0.1:$api_port

	# Kubeconfigs: the admin one for users, the same credentials for the controller manager.
	local kc=$STATE/kubeconfig
	"$k" config --kubeconfig="$kc" set-cluster local --server="$server" \
		--certificate-authority="$pki/ca.crt" --embed-certs=true >/dev/null
	"$k" config --kubeconfig="$kc" set-credentials admin --token="$(<"$pki/admin.token")" >/dev/null
	"$k" config --kubeconfig="$kc" set-context local --cluster=local --user=admin --namespace=default >/dev/null
	"$k" config --kubeconfig="$kc" use-context local >/dev/null
	chmod 600 "$kc"

	log "starting etcd on 127.0.0.1:$etcd_port"
	proc_launch "$STATE" etcd "$K8S_BIN_DIR/etcd" --name=default --data-dir="$STATE/etcd" \
		--listen-client-urls="http://127.0.0.1:$etcd_port" --advertise-client-urls="http://127.0.0.1:$etcd_port" \
		--listen-peer-urls="http://127.0.0.1:$peer_port" --initial-advertise-peer-urls="http://127.0.0.1:$peer_port" \
		--initial-cluster="default=http://127.0.0.1:$peer_port" --unsafe-no-fsync=true --log-level=warn
	wait_for "etcd" curl -fsS "http://127.0.0.1:$etcd_port/health"

	log "starting kube-apiserver on $server"
	proc_launch "$STATE" kube-apiserver "$K8S_BIN_DIR/kube-apiserver" \
		--etcd-servers="http://127.0.0.1:$etcd_port" \
		--bind-address=127.0.0.1 --advertise-address=127.0.0.1 --secure-port="$api_port" \
		--cert-dir="$STATE/certs" --tls-cert-file="$pki/apiserver.crt" --tls-private-key-file="$pki/apiserver.key" \
		--client-ca-file="$pki/ca.crt" --token-auth-file="$pki/tokens.csv" \
		--authorization-mode=RBAC \
		--service-account-issuer=https://kubernetes.default.svc.cluster.local \
		--service-account-key-file="$pki/sa.pub" --service-account-signing-key-file="$pki/sa.key" \
		--service-cluster-ip-range=10.0.0.0/24 --endpoint-reconciler-type=none \
		--allow-privileged=true --profiling=false
	wait_for "kube-apiserver /readyz" "$k" --kubeconfig="$kc" get --raw /readyz

	log "starting kube-controller-manager"
	proc_launch "$STATE" kube-controller-manager "$K8S_BIN_DIR/kube-controller-manager" \
		--kubeconfig="$kc" --authentication-kubeconfig="$kc" --authorization-kubeconfig="$kc" \
		--bind-address=127.0.0.1 --secure-port="$kcm_port" --leader-elect=false \
		--service-account-private-key-file="$pki/sa.key" --root-ca-file="$pki/ca.crt" \
		--cluster-signing-cert-file="$pki/ca.crt" --cluster-signing-key-file="$pki/ca.key" \
		--use-service-account-credentials=false --profiling=false
	wait_for "namespace default" "$k" --kubeconfig="$kc" get namespace default
	wait_for "serviceaccount default/default" "$k" --kubeconfig="$kc" -n default get serviceaccount default

	printf 'export KUBECONFIG=%q\n' "$kc" >"$STATE/env"
	log "ready: $("$k" --kubeconfig="$kc" version -o json 2>/dev/null | grep -m1 -A3 serverVersion | grep gitVersion | tr -d ' ",' || true)"
	log "use it with: export KUBECONFIG=$kc"
}

cmd_env() {
	[[ -f $STATE/kubeconfig ]] || die "no control plane in $STATE: run $0 start $STATE"
	printf 'export KUBECONFIG=%q\n' "$STATE/kubeconfig"
	printf 'export K8S_BIN_DIR=%q\n' "$K8S_BIN_DIR"
}

[[ $# -eq 2 ]] || die "usage: $0 start|stop|env DIR"
[[ $1 != start ]] || mkdir -p "$2"
[[ -d $2 ]] || { [[ $1 == stop ]] && exit 0; die "no such directory: $2"; }
STATE=$(cd "$2" && pwd)
case $1 in
start) cmd_start ;;
stop) cmd_stop ;;
env) cmd_env ;;
*) die "usage: $0 start|stop|env DIR" ;;
esac
