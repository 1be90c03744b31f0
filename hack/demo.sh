#!/usr/bin/env bash
# Copyright 2026 The dirsync Authors.
# SPDX-License-Identifier: Apache-2.0
#
# `make demo`: dirsync end to end on this machine, no Docker and no cluster needed.
#   1. a local control plane in .demo/ (hack/control-plane.sh: etcd, kube-apiserver with RBAC,
#      kube-controller-manager)
#   2. bin/fakehr: fake Breathe HR on 127.0.0.1:8091 and Access People HR on 127.0.0.1:8092
#   3. the CRDs, the operator's RBAC (config/demo/rbac: config/rbac in dirsync-system), and what a
#      user does with config/samples, in namespace dirsync-demo: each Secret made with the
#      `kubectl create secret` line its sample gives (with the fakes' API keys), then each sample
#      Directory applied as it is, in dry run, but for spec.endpoint (the fakes) and a 1m interval
#   4. bin/manager, as the dirsync-controller-manager ServiceAccount (so config/rbac/role.yaml is
#      what it is allowed to do), until both dry runs have a plan; `kubectl dirsync plan` prints
#      one, then dryRun is set to false, as the samples say, and the demo waits until both are Ready
#   5. cluster access from HR data: a DirectoryAccess binds breathehr's Engineering department to edit
#      in namespace dirsync-demo-web (opted in with dirsync-access-grantor); one engineer becomes a
#      former employee in the fake Breathe HR, and `kubectl auth can-i --as=<them>` turns from yes to no
#      (DEMO_ACCESS=0 skips it)
#   6. the webhook (issue 23): accesspeoplehr has spec.webhook.enabled; the fake Access People HR is
#      given the receiver's URL as its listener (People HR's Settings > API), HR marks one employee a
#      leaver, the fake posts its "Marked Leaver" packet to the manager's receiver, and the DirectoryUser
#      turns Inactive within seconds instead of at the next scheduled sync (DEMO_WEBHOOK=0 skips it)
#   7. events for applications: bin/dirsync-receiver (an application's endpoint, verifying signatures)
#      on 127.0.0.1:8093, and the sample DirectoryWebhook pointed at it; it receives a created event for
#      everyone, then the leaver of step 5 as dsync.user.updated with state inactive (it is set up
#      before step 5 for that; DEMO_EVENTS=0 skips it)
# Then it prints what was synced and waits for Ctrl-C, which stops everything. With CI set it
# stops everything and exits 0 instead. On failure it prints the logs' tails and exits non-zero.
#
# Environment: DEMO_EMPLOYEES (200), DEMO_DEPARTMENTS (12), DEMO_BREATHE_PORT (8091),
# DEMO_PEOPLEHR_PORT (8092), DEMO_RECEIVER_PORT (8090, the manager's webhook receiver, on 127.0.0.1),
# DEMO_TIMEOUT (180, seconds to wait for Ready), DEMO_DIR (.demo),
# DEMO_MANAGER_IDENTITY (serviceaccount, or admin to run the manager as cluster admin),
# DEMO_MANAGER_ARGS (bin/manager flags; default "--kube-api-qps=200 --kube-api-burst=400"),
# DEMO_ACCESS (1; 0 skips step 5), DEMO_WEBHOOK (1; 0 skips step 6),
# DEMO_EVENTS (1; 0 skips step 7), DEMO_EVENTS_PORT (8093, bin/dirsync-receiver).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
STATE=${DEMO_DIR:-$ROOT/.demo}
BREATHE_PORT=${DEMO_BREATHE_PORT:-8091}
PEOPLEHR_PORT=${DEMO_PEOPLEHR_PORT:-8092}
RECEIVER_PORT=${DEMO_RECEIVER_PORT:-8090}
EVENTS_PORT=${DEMO_EVENTS_PORT:-8093}
EMPLOYEES=${DEMO_EMPLOYEES:-200}
DEPARTMENTS=${DEMO_DEPARTMENTS:-12}
TIMEOUT=${DEMO_TIMEOUT:-180}
IDENTITY=${DEMO_MANAGER_IDENTITY:-serviceaccount}
NS=dirsync-demo
# The keys config/demo/kustomization.yaml puts in the sample Secrets (the fakes' DefaultAPIKey).
BREATHE_KEY=breathe-demo-key
PEOPLEHR_KEY=peoplehr-demo-key
KUBECTL=${KUBECTL:-kubectl}
CP=$ROOT/hack/control-plane.sh
STARTED=$SECONDS
# proc_launch, proc_alive, proc_stop, proc_tails: the control plane's own process helpers, for the
# manager and the fakes too (their pid and log files live next to the control plane's in $STATE).
# shellcheck source=hack/control-plane.sh
source "$CP"

say() { printf '\033[1mdemo:\033[0m %s\n' "$*"; }

# shellcheck disable=SC2317 # called from the EXIT trap
cleanup() {
	proc_stop "$STATE" manager fakehr dirsync-receiver
	"$CP" stop "$STATE" || true
}

show_logs() { proc_tails "$STATE" 30 manager fakehr dirsync-receiver kube-apiserver; }

fail() {
	say "FAILED: $*" >&2
	if [[ -f $STATE/kubeconfig ]]; then
		"$KUBECTL" --kubeconfig="$STATE/kubeconfig" get directories -n "$NS" -o wide >&2 2>/dev/null || true
		"$KUBECTL" --kubeconfig="$STATE/kubeconfig" get directories -n "$NS" \
			-o jsonpath='{range .items[*]}{.metadata.name}: {.status.conditions}{"\n"}{end}' >&2 2>/dev/null || true
	fi
	show_logs
	exit 1
}

port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# --- preflight -------------------------------------------------------------------------------
command -v "$KUBECTL" >/dev/null || fail "kubectl not found (set KUBECTL)"
for p in "$BREATHE_PORT" "$PEOPLEHR_PORT" "$RECEIVER_PORT" "$EVENTS_PORT"; do
	[[ $p =~ ^[0-9]+$ ]] || fail "port '$p' is not a number"
done
mkdir -p "$STATE"
# A previous demo that was killed hard may have left processes behind: stop ours only.
proc_stop "$STATE" manager fakehr dirsync-receiver
"$CP" stop "$STATE"
for p in "$BREATHE_PORT" "$PEOPLEHR_PORT" "$RECEIVER_PORT" "$EVENTS_PORT"; do
	port_in_use "$p" && fail "port $p on 127.0.0.1 is taken: free it, or choose others with DEMO_BREATHE_PORT / DEMO_PEOPLEHR_PORT / DEMO_RECEIVER_PORT / DEMO_EVENTS_PORT"
done
if [[ ! -x bin/manager || ! -x bin/fakehr || ! -x bin/kubectl-dirsync || ! -x bin/dirsync-receiver ]]; then
	say "building bin/manager, bin/fakehr, bin/dirsync-receiver and bin/kubectl-dirsync"
	go build -o bin/manager ./cmd/manager
	go build -o bin/fakehr ./cmd/fakehr
	go build -o bin/dirsync-receiver ./cmd/dirsync-receiver
	go build -o bin/kubectl-dirsync ./cmd/kubectl-dirsync
fi
INTERRUPTED_RC=130 # Ctrl-C before everything is up is a failure; afterwards it is how the demo ends
trap cleanup EXIT
trap 'echo; say "stopping"; exit $INTERRUPTED_RC' INT TERM

# --- control plane ---------------------------------------------------------------------------
say "starting a local control plane in $STATE"
"$CP" start "$STATE" || fail "the control plane did not start"
export KUBECONFIG=$STATE/kubeconfig
k() { "$KUBECTL" "$@"; }

# --- fake HR servers -------------------------------------------------------------------------
say "starting bin/fakehr: $EMPLOYEES employees in $DEPARTMENTS departments per provider"
proc_launch "$STATE" fakehr bin/fakehr --breathe-addr="127.0.0.1:$BREATHE_PORT" --peoplehr-addr="127.0.0.1:$PEOPLEHR_PORT" \
	--employees="$EMPLOYEES" --departments="$DEPARTMENTS" \
	--breathe-api-key="$BREATHE_KEY" --peoplehr-api-key="$PEOPLEHR_KEY"
deadline=$((SECONDS + 20))
until curl -fsS "http://127.0.0.1:$BREATHE_PORT/admin/stats" >/dev/null 2>&1 &&
	curl -fsS "http://127.0.0.1:$PEOPLEHR_PORT/admin/stats" >/dev/null 2>&1; do
	proc_alive "$STATE" fakehr || fail "bin/fakehr exited"
	((SECONDS < deadline)) || fail "bin/fakehr did not answer within 20s"
	sleep 0.2
done

# --- API, RBAC and samples -------------------------------------------------------------------
say "installing the CRDs"
k apply --server-side -k config/crd >/dev/null
k wait --for=condition=Established --timeout=60s \
	crd/directories.dirsync.io crd/directoryusers.dirsync.io crd/directorygroups.dirsync.io \
	crd/directoryaccesses.dirsync.io crd/directorywebhooks.dirsync.io crd/directorywebhookrecords.dirsync.io >/dev/null
# The admission policy without which the manager grants nothing through a DirectoryAccess.
k apply --server-side -k config/demo/admission >/dev/null

say "creating namespace $NS, the Secrets and the sample Directories (in dry run, pointed at the fakes)"
k create namespace "$NS" >/dev/null
# As config/samples/secret_*.yaml say, with the fakes' keys instead of a real one.
k -n "$NS" create secret generic breathehr-api-key --from-literal=apiKey="$BREATHE_KEY" >/dev/null
k -n "$NS" create secret generic accesspeoplehr-api-key --from-literal=apiKey="$PEOPLEHR_KEY" >/dev/null
# sample_directory FILE ENDPOINT [SPEC] applies a sample Directory as it is but for the endpoint and the
# interval (and more spec fields, as JSON members), patched before it reaches the API server: it never
# points at the real provider.
sample_directory() {
	k patch --local -f "$1" --type=merge -o yaml \
		-p "{\"spec\":{\"endpoint\":\"$2\",\"syncInterval\":\"1m\"${3:+,$3}}}" | k apply -n "$NS" --server-side -f - >/dev/null
}
sample_directory config/samples/dirsync_v1alpha1_directory_breathehr.yaml "http://127.0.0.1:$BREATHE_PORT/v1"
# Access People HR can push: its Directory takes webhook requests (step 6).
sample_directory config/samples/dirsync_v1alpha1_directory_accesspeoplehr.yaml "http://127.0.0.1:$PEOPLEHR_PORT" '"webhook":{"enabled":true}'


manager_kubeconfig=$KUBECONFIG
if [[ $IDENTITY == serviceaccount ]]; then
	say "creating the operator's ServiceAccount and RBAC (config/demo/rbac: config/rbac in dirsync-system)"
	k create namespace dirsync-system >/dev/null
	k apply --server-side -k config/demo/rbac >/dev/null
	manager_kubeconfig=$STATE/manager.kubeconfig
	server=$(k config view --minify -o jsonpath='{.clusters[0].cluster.server}')
	token=$(k -n dirsync-system create token dirsync-controller-manager --duration=24h)
	k config --kubeconfig="$manager_kubeconfig" set-cluster local --server="$server" \
		--certificate-authority="$STATE/pki/ca.crt" --embed-certs=true >/dev/null
	k config --kubeconfig="$manager_kubeconfig" set-credentials dirsync-controller-manager --token="$token" >/dev/null
	k config --kubeconfig="$manager_kubeconfig" set-context local --cluster=local --user=dirsync-controller-manager >/dev/null
	k config --kubeconfig="$manager_kubeconfig" use-context local >/dev/null
	chmod 600 "$manager_kubeconfig"
	unset token
fi

# --- the manager -----------------------------------------------------------------------------
probe_port=$("$STATE/cptool" ports 1)
# The local control plane is ours alone: let the first sync of 2 x 200 users go faster than the
# manager's polite defaults (20 QPS) would.
read -ra extra_args <<<"${DEMO_MANAGER_ARGS:---kube-api-qps=200 --kube-api-burst=400}"
say "starting bin/manager (as $IDENTITY; log: $STATE/manager.log)"
proc_launch "$STATE" manager bin/manager --allow-insecure-endpoints --allowed-endpoint-hosts=127.0.0.1 --kubeconfig="$manager_kubeconfig" --metrics-bind-address=0 \
	--health-probe-bind-address="127.0.0.1:$probe_port" --receiver-bind-address="127.0.0.1:$RECEIVER_PORT" --leader-elect=false \
	"${extra_args[@]}"

# ready_reasons prints each Directory's Ready reason, one a line.
ready_reasons() {
	k get directory -n "$NS" -o jsonpath='{range .items[*]}{.status.conditions[?(@.type=="Ready")].reason}{"\n"}{end}'
}
say "waiting up to ${TIMEOUT}s for both dry runs (the samples start with dryRun: true)"
deadline=$((SECONDS + TIMEOUT))
until [[ $(ready_reasons 2>/dev/null | grep -cx DryRun) == 2 ]]; do
	proc_alive "$STATE" manager || fail "bin/manager exited"
	((SECONDS < deadline)) || fail "the Directories had no dry-run plan within ${TIMEOUT}s"
	sleep 0.5
done
echo
echo "\$ kubectl dirsync plan breathehr -n $NS      # what the first real sync will write"
PATH="$ROOT/bin:$PATH" k dirsync plan breathehr -n "$NS"
echo
say "the plans look right: turning dry run off, as the samples say"
for d in breathehr accesspeoplehr; do
	k -n "$NS" patch directory "$d" --type=merge -p '{"spec":{"dryRun":false}}' >/dev/null
done

say "waiting up to ${TIMEOUT}s for both Directories to be Ready"
deadline=$((SECONDS + TIMEOUT))
until k wait --for=condition=Ready directory --all -n "$NS" --timeout=5s >/dev/null 2>&1; do
	proc_alive "$STATE" manager || fail "bin/manager exited"
	((SECONDS < deadline)) || fail "the Directories were not Ready within ${TIMEOUT}s"
done
say "ready in $((SECONDS - STARTED))s"

# --- show it ---------------------------------------------------------------------------------
echo
# (Read whole lists first: `kubectl … | head` would end kubectl with SIGPIPE, failing under pipefail.)
everything=$(k get dirsync -A)
echo "\$ kubectl get dirsync -A      # every Directory, DirectoryUser and DirectoryGroup"
echo "$everything"
echo
users=$(k get du -n "$NS")
groups=$(k get dg -n "$NS")
echo "\$ kubectl get dg -n $NS | head -n 6      # $(($(wc -l <<<"$groups") - 1)) DirectoryGroups in all"
head -n 6 <<<"$groups"
echo
echo "\$ kubectl get dg -n $NS -l dirsync.io/group-type=location      # groupBy: [Department, Location]"
k get dg -n "$NS" -l dirsync.io/group-type=location
echo
echo "\$ kubectl get du -n $NS --field-selector spec.state=Inactive | head -n 6"
inactive=$(k get du -n "$NS" --field-selector spec.state=Inactive)
head -n 6 <<<"$inactive"
echo
echo "\$ kubectl get directories -A      # $(($(wc -l <<<"$users") - 1)) DirectoryUsers in $NS"
k get directories -A
echo

# --- cluster access from HR data --------------------------------------------------------------
# show_access: a DirectoryAccess binds breathehr's Engineering department (DirectoryGroup
# breathehr-10) to edit in namespace dirsync-demo-web, which the administrator opts in; then the fake
# Breathe HR marks one engineer a former employee, and the next sync takes their access away.
show_access() {
	local web=dirsync-demo-web id email subject company deadline
	say "cluster access from HR data: Engineering gets edit in $web; then one engineer leaves"
	k create namespace "$web" >/dev/null
	k create rolebinding dirsync-access-grantor -n "$web" --clusterrole=dirsync-access-grantor \
		--serviceaccount=dirsync-system:dirsync-controller-manager >/dev/null
	k apply -n "$NS" -f - >/dev/null <<YAML
apiVersion: dirsync.io/v1alpha1
kind: DirectoryAccess
metadata: {name: engineering-edit}
spec:
  directoryRef: {name: breathehr}
  groups: [breathehr-10]
  roleRef: {kind: ClusterRole, name: edit}
  target: {namespaces: [$web]}
  subject: {kind: User, template: 'oidc:{{ lower .Email }}'}
YAML
	k wait --for=condition=Ready directoryaccess/engineering-edit -n "$NS" --timeout=60s >/dev/null ||
		fail "DirectoryAccess engineering-edit did not become Ready: $(k get da engineering-edit -n "$NS" -o jsonpath='{.status.conditions}')"
	# An Active engineer with an e-mail and no leaving date (two fields, not three).
	read -r id email < <(k get du -n "$NS" -l dirsync.io/directory=breathehr,dirsync.io/state=active \
		-o jsonpath='{range .items[?(@.spec.groups[0]=="breathehr-10")]}{.spec.externalID} {.spec.email} {.spec.endDate}{"\n"}{end}' |
		awk 'NF == 2 { print; exit }')
	[[ -n ${email:-} ]] || fail "no Active engineer with an e-mail in the demo data"
	subject="oidc:${email,,}"
	echo "\$ kubectl get da -n $NS"
	k get da -n "$NS"
	echo "\$ kubectl auth can-i create deployments -n $web --as=$subject"
	k auth can-i create deployments -n "$web" --as="$subject" || fail "$subject has no access"
	say "the fake Breathe HR marks employee $id a former employee; syncing"
	company=$(curl -fsS "http://127.0.0.1:$BREATHE_PORT/admin/company")
	sed -E "s/(\"ID\":\"$id\"[^}]*\"Status\":)\"[A-Za-z]+\"/\1\"Former\"/" <<<"$company" |
		curl -fsS -X PUT --data-binary @- "http://127.0.0.1:$BREATHE_PORT/admin/company" >/dev/null
	k annotate directory breathehr -n "$NS" dirsync.io/sync-requested-at="$(date -u +%FT%T.%NZ)" --overwrite >/dev/null
	deadline=$((SECONDS + 30))
	until [[ $(k auth can-i create deployments -n "$web" --as="$subject" 2>/dev/null) == no ]]; do
		((SECONDS < deadline)) || fail "$subject still has access 30s after the sync that saw them leave"
		sleep 0.2
	done
	echo "\$ kubectl auth can-i create deployments -n $web --as=$subject      # after that sync"
	echo no
	echo
}
# --- events for applications ------------------------------------------------------------------
# show_events: bin/dirsync-receiver plays an application that used WorkOS's webhooks; the sample
# DirectoryWebhook (pointed at it: http:// is allowed by --allow-insecure-endpoints) tells it of
# everyone in breathehr, signed with the secret both share.
show_events() {
	local secret deadline
	say "events for applications: bin/dirsync-receiver on 127.0.0.1:$EVENTS_PORT and the sample DirectoryWebhook"
	secret=$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')
	# As config/samples/secret_webhook.yaml says (with a demo secret instead of openssl's).
	k -n "$NS" create secret generic billing-app-webhook --from-literal=secret="$secret" >/dev/null
	DIRSYNC_WEBHOOK_SECRET=$secret proc_launch "$STATE" dirsync-receiver bin/dirsync-receiver --listen="127.0.0.1:$EVENTS_PORT"
	k patch --local -f config/samples/dirsync_v1alpha1_directorywebhook.yaml --type=merge -o yaml \
		-p "{\"spec\":{\"url\":\"http://127.0.0.1:$EVENTS_PORT/webhooks/workos\"}}" | k apply -n "$NS" --server-side -f - >/dev/null
	deadline=$((SECONDS + 60))
	until [[ $(k get dwh billing-app -n "$NS" -o jsonpath='{.status.conditions[?(@.type=="Ready")].reason}') == Delivered ]]; do
		proc_alive "$STATE" dirsync-receiver || fail "bin/dirsync-receiver exited"
		((SECONDS < deadline)) || fail "the DirectoryWebhook did not deliver within 60s: $(k get dwh billing-app -n "$NS" -o jsonpath='{.status}')"
		sleep 0.3
	done
	echo "\$ kubectl get dwh -n $NS"
	k get dwh -n "$NS"
	echo "\$ kubectl dirsync webhook status billing-app -n $NS"
	PATH="$ROOT/bin:$PATH" k dirsync webhook status billing-app -n "$NS"
	echo "\$ head -n 4 $STATE/dirsync-receiver.log      # what the application received (signatures verified)"
	grep -m 4 'dsync\.' "$STATE/dirsync-receiver.log" || true
	echo
}
if [[ ${DEMO_EVENTS:-1} != 0 ]]; then
	show_events
fi

if [[ ${DEMO_ACCESS:-1} != 0 ]]; then
	show_access
	if [[ ${DEMO_EVENTS:-1} != 0 ]]; then
		deadline=$((SECONDS + 30))
		until grep -q 'dsync.user.updated' "$STATE/dirsync-receiver.log"; do
			((SECONDS < deadline)) || fail "the application was not told of the leaver within 30s"
			sleep 0.2
		done
		echo "\$ grep dsync.user.updated $STATE/dirsync-receiver.log      # the leaver, as the application heard of it"
		grep 'dsync.user.updated' "$STATE/dirsync-receiver.log"
		echo
	fi
fi

# --- the webhook -----------------------------------------------------------------------------------
# show_webhook: the fake Access People HR gets the receiver's URL for accesspeoplehr as its listener, as
# an administrator enters it under People HR's Settings > API; HR marks one employee a leaver, the fake
# posts the "Marked Leaver" packet there, and the DirectoryUser turns Inactive within seconds.
show_webhook() {
	local path id started deadline elapsed answer
	say "the webhook: Access People HR posts to the manager's receiver when HR marks a leaver"
	deadline=$((SECONDS + 30))
	until path=$(k get directory accesspeoplehr -n "$NS" -o jsonpath='{.status.webhook.path}') && [[ -n $path ]]; do
		((SECONDS < deadline)) || fail "accesspeoplehr has no status.webhook.path: $(k get directory accesspeoplehr -n "$NS" -o jsonpath='{.status.conditions}')"
		sleep 0.2
	done
	echo "\$ kubectl get directory accesspeoplehr -n $NS -o jsonpath='{.status.webhook.path}'      # the path is the credential"
	echo "${path:0:14}…"
	curl -fsS -X PUT --data-binary "{\"url\":\"http://127.0.0.1:$RECEIVER_PORT$path\"}" "http://127.0.0.1:$PEOPLEHR_PORT/admin/webhook" >/dev/null ||
		fail "could not set the fake's listener URL"
	# An Active employee with no leaving date.
	id=$(k get du -n "$NS" -l dirsync.io/directory=accesspeoplehr,dirsync.io/state=active \
		-o jsonpath='{range .items[*]}{.spec.externalID} {.spec.endDate}{"\n"}{end}' | awk 'NF == 1 { print $1; exit }')
	[[ -n $id ]] || fail "no Active employee without a leaving date in the demo data"
	echo "\$ curl -X POST http://127.0.0.1:$PEOPLEHR_PORT/admin/leaver -d '{\"id\":\"$id\"}'      # HR marks $id a leaver"
	started=$(date +%s%N)
	answer=$(curl -fsS -X POST --data-binary "{\"id\":\"$id\"}" "http://127.0.0.1:$PEOPLEHR_PORT/admin/leaver") || fail "marking $id a leaver failed"
	echo "$answer      # the fake posted People HR's packet to the receiver"
	[[ $answer == *'"webhookStatus":202'* ]] || fail "the receiver did not accept the packet: $answer"
	deadline=$((SECONDS + 30))
	until [[ $(k get du -n "$NS" -l dirsync.io/directory=accesspeoplehr --field-selector spec.externalID="$id" \
		-o jsonpath='{.items[0].spec.state}' 2>/dev/null) == Inactive ]]; do
		((SECONDS < deadline)) || fail "$id was not Inactive 30s after the webhook"
		sleep 0.1
	done
	elapsed=$((($(date +%s%N) - started) / 1000000))
	echo "\$ kubectl get du -n $NS --field-selector spec.externalID=$id"
	k get du -n "$NS" --field-selector spec.externalID="$id"
	say "$id turned Inactive $((elapsed / 1000)).$(printf '%03d' $((elapsed % 1000)))s after the webhook (the schedule alone: up to 1m here, 30m by default)"
	echo "\$ kubectl get events -n $NS --field-selector reason=WebhookReceived"
	k get events -n "$NS" --field-selector reason=WebhookReceived
	echo
}
if [[ ${DEMO_WEBHOOK:-1} != 0 ]]; then
	show_webhook
fi

# The kubectl plugin (bin/kubectl-dirsync, found on PATH as `kubectl dirsync`).
echo "\$ kubectl dirsync status -n $NS      # PATH=\$PWD/bin:\$PATH"
PATH="$ROOT/bin:$PATH" k dirsync status -n "$NS"
echo

if [[ -n ${CI:-} ]]; then
	say "CI is set: stopping everything"
	exit 0
fi

cat <<EOF
Point kubectl at the demo cluster from another shell:

  export KUBECONFIG=$STATE/kubeconfig
  kubectl get dirsync -A                 # every Directory, DirectoryUser and DirectoryGroup
  kubectl get du -n $NS --field-selector spec.state=Inactive
  kubectl get da -n $NS; kubectl get rolebinding -n dirsync-demo-web -l app.kubernetes.io/managed-by=dirsync
  PATH=$ROOT/bin:\$PATH kubectl dirsync status -n $NS    # the plugin: status, sync, approve, plan
  kubectl get dwh -n $NS; tail -f $STATE/dirsync-receiver.log     # events the sample application receives

Change the fake HR data and watch the next sync (the demo Directories sync every minute;
the annotation syncs at once):

  curl -X POST http://127.0.0.1:$BREATHE_PORT/admin/generate -d '{"seed":2,"employees":$((EMPLOYEES + 10))}'
  curl -X POST http://127.0.0.1:$BREATHE_PORT/admin/fault -d '{"kind":"ServerError","times":1}'
  kubectl annotate directory breathehr -n $NS dirsync.io/sync-requested-at="\$(date -u +%FT%TZ)" --overwrite

The fake Access People HR posts to the manager's webhook receiver (127.0.0.1:$RECEIVER_PORT) when HR
marks a leaver (or post any packet with /admin/webhook):

  curl -X POST http://127.0.0.1:$PEOPLEHR_PORT/admin/leaver -d '{"id":"<an externalID>"}'

Logs: $STATE/manager.log, $STATE/fakehr.log, $STATE/dirsync-receiver.log, $STATE/kube-apiserver.log
Press Ctrl-C to stop the manager, the fake HR servers and the control plane.
EOF
INTERRUPTED_RC=0
while proc_alive "$STATE" manager; do sleep 1; done
fail "bin/manager exited"
