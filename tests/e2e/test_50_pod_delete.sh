#!/usr/bin/env bash
# A broker's pod is deleted (as a node drain or a user would): its preStop
# drain runs, the StatefulSet makes it again, it turns Ready, and an outside
# client reaches it at the address the KafkaCluster's status shows for it
# then (its node's address and its node port). With more than one real
# node, the pod's node is cordoned first, so it comes back on another node:
# its address changes, and status and the broker's own advertised address
# follow.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

BOOT=$(status_bootstrap)
[ -n "$BOOT" ] || fail "no external bootstrap in status (test_20 makes the cluster)"
id=2
pod="$CLUSTER-$id"
before=$(status_addresses | awk -v id="$id" '$1 == id {print $2}')
node_before=$(kubectl get pod "$pod" -n "$NS" -o jsonpath='{.spec.nodeName}')
uid=$(pod_uid "$pod")
nodes=$(kubectl get nodes -o name | wc -l)
if [ "$nodes" -gt 1 ]; then
    kubectl cordon "$node_before" >/dev/null
    trap 'kubectl uncordon "$node_before" >/dev/null 2>&1 || true' EXIT
fi
t0=$(now_ms)
kubectl delete pod "$pod" -n "$NS" --wait=false >/dev/null
replaced() { local u; u=$(pod_uid "$pod"); [ -n "$u" ] && [ "$u" != "$uid" ]; }
wait_for 300 "$pod to be made again" replaced
t_gone=$(now_ms)
wait_for 300 "3 Ready brokers" cluster_ready 3
node_after=$(kubectl get pod "$pod" -n "$NS" -o jsonpath='{.spec.nodeName}')
after=$(status_addresses | awk -v id="$id" '$1 == id {print $2}')
[ -n "$after" ] || fail "status shows no external address for broker $id"
if [ "$nodes" -gt 1 ]; then
    [ "$node_after" != "$node_before" ] || fail "$pod came back on its cordoned node $node_before"
    [ "$after" != "$before" ] || fail "$pod moved from $node_before to $node_after, but status still says $before"
    kubectl uncordon "$node_before" >/dev/null
fi
ok "$pod deleted on $node_before ($before), gone after $(( (t_gone - t0) / 1000 )) s, Ready again on $node_after at $after $(( ($(now_ms) - t0) / 1000 )) s after the delete"

seen=$(check_client_view "$BOOT")
grep -qx "$id $after" <<<"$seen" || fail "the client does not reach broker $id at $after: $seen"
ok "an outside client reaches broker $id at $after, as status shows"
