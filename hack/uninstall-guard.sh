#!/usr/bin/env bash
# Copyright 2026 The dirsync Authors.
# SPDX-License-Identifier: Apache-2.0
#
# `make undeploy` and `make uninstall` run this first. It refuses (exit 1) while any DirectoryAccess
# exists: each carries the finalizer dirsync.io/access-bindings, which only a running manager removes
# after deleting the RoleBindings it manages. Delete the manager or the CRDs first and those
# RoleBindings stay behind with nothing left to revoke a leaver's access, and the CRD deletion waits
# forever on the finalizers. docs/uninstall.md gives the order. The chart's pre-delete hook does the
# same check (`manager uninstall-check`).
#
# Environment: KUBECTL (kubectl), FORCE (set to anything but 0 to go on anyway, leaving the
# RoleBindings behind).
set -euo pipefail

KUBECTL=${KUBECTL:-kubectl}
FORCE=${FORCE:-0}
CRD=directoryaccesses.dirsync.io

say() { echo "uninstall-guard: $*" >&2; }

# No CRD: there is no DirectoryAccess, so no access to leave behind.
if ! crd=$("$KUBECTL" get crd "$CRD" --ignore-not-found -o name 2>&1); then
	say "cannot tell whether DirectoryAccesses exist: $crd"
	[[ $FORCE != 0 ]] || { say "refusing; FORCE=1 goes on anyway"; exit 1; }
	say "FORCE=$FORCE: going on anyway"
	exit 0
fi
[[ -n $crd ]] || exit 0

if ! list=$("$KUBECTL" get "$CRD" -A --no-headers \
	-o 'custom-columns=NAMESPACE:.metadata.namespace,NAME:.metadata.name,DELETING:.metadata.deletionTimestamp' 2>&1); then
	say "cannot list DirectoryAccesses: $list"
	[[ $FORCE != 0 ]] || { say "refusing; FORCE=1 goes on anyway"; exit 1; }
	say "FORCE=$FORCE: going on anyway"
	exit 0
fi
[[ -n $list ]] || exit 0

n=$(wc -l <<<"$list")
if [[ $FORCE != 0 ]]; then
	say "FORCE=$FORCE: going on although $n DirectoryAccess(es) exist; their RoleBindings stay behind."
	say "Delete them afterwards: kubectl get rolebindings -A -l app.kubernetes.io/managed-by=dirsync"
	exit 0
fi
{
	echo "Refusing: $n DirectoryAccess(es) still exist. Without the manager, the RoleBindings they manage would stay"
	echo "behind with nothing left to revoke a leaver's access, and deleting the CRDs would wait forever on their finalizers."
	while read -r ns name deleting; do
		if [[ $deleting == "<none>" ]]; then
			echo "  $ns/$name"
		else
			echo "  $ns/$name (being deleted: the manager has not yet deleted all its RoleBindings; see its Ready condition)"
		fi
	done <<<"$list"
	echo "Delete them, wait until they are gone (the manager, still running, deletes their RoleBindings first), then run this again:"
	echo "  kubectl get directoryaccesses -A"
	echo "  kubectl delete directoryaccesses --all -n <namespace>"
	echo "  kubectl wait --for=delete directoryaccesses --all -n <namespace> --timeout=5m"
	echo "To go on anyway and leave their RoleBindings behind: FORCE=1. See docs/uninstall.md."
} >&2
exit 1
