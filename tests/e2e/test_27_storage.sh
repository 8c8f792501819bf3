#!/usr/bin/env bash
# Growing spec.storage.size on the cluster test_20 made, whose claims are
# of the ground's default StorageClass `ground` (allowVolumeExpansion: true,
# tests/ground/node.sh): every broker's claim asks for the new size; the
# StatefulSet is created again (a new uid) with the new claim template
# size, adopting the running pods: no broker pod was replaced or restarted
# (same uids, same restart counts), the StatefulSet's revision is the one
# they run (no roll); the KafkaCluster stays Ready and says Reconciled=True
# at the new generation, so the StatefulSet took the operator's next apply
# (before, a changed claim template made every apply fail), its fields
# have their owners back (berth-operator by Apply), and
# status.storage.resizing names the claims whose volume is still smaller
# than asked. The ground has no volume resizer, so status.capacity does not
# follow (printed). A class that cannot expand and a shrink are refused in
# tests/unit/test_op_reconcile.c.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

t0=$(now_ms)
claims=("data-$CLUSTER-0" "data-$CLUSTER-1" "data-$CLUSTER-2")
claim_size() { kubectl get pvc "$1" -n "$NS" -o jsonpath='{.spec.resources.requests.storage}'; }
sts_field() { kubectl get sts "$CLUSTER" -n "$NS" -o jsonpath="$1" 2>/dev/null; }

old_size=$(kubectl get kc "$CLUSTER" -n "$NS" -o jsonpath='{.spec.storage.size}')
case "$old_size" in *Gi) ;; *) fail "spec.storage.size is '$old_size', not a Gi size" ;; esac
new_size="$(( ${old_size%Gi} + 1 ))Gi"
for c in "${claims[@]}"; do
    class=$(kubectl get pvc "$c" -n "$NS" -o jsonpath='{.spec.storageClassName}')
    [ "$class" = ground ] || fail "claim $c has class '$class', not the ground's default class ground"
    [ "$(claim_size "$c")" = "$old_size" ] || fail "claim $c asks for $(claim_size "$c"), not $old_size"
done
owners() { sts_field '{range .metadata.managedFields[*]}{.manager}/{.operation}{.subresource} {end}'; }
old_owners=$(owners)
old_uid=$(sts_field '{.metadata.uid}')
old_rev=$(sts_field '{.status.updateRevision}')
[ "$old_rev" = "$(sts_field '{.status.currentRevision}')" ] || fail "the StatefulSet is mid-roll before the test"
declare -A uid broker_restarts sidecar_restarts
for i in 0 1 2; do
    p="$CLUSTER-$i"
    uid[$i]=$(pod_uid "$p")
    broker_restarts[$i]=$(restarts "$p" broker)
    sidecar_restarts[$i]=$(kubectl get pod "$p" -n "$NS" -o jsonpath='{.status.initContainerStatuses[?(@.name=="sidecar")].restartCount}')
done

kubectl patch kc "$CLUSTER" -n "$NS" --type merge -p "{\"spec\":{\"storage\":{\"size\":\"$new_size\"}}}" >/dev/null ||
    fail "growing spec.storage.size to $new_size was refused"
gen=$(kubectl get kc "$CLUSTER" -n "$NS" -o jsonpath='{.metadata.generation}')

claims_grown() {
    for c in "${claims[@]}"; do [ "$(claim_size "$c")" = "$new_size" ] || return 1; done
}
wait_for 60 "every claim to ask for $new_size" claims_grown
ok "every broker's claim asks for $new_size (was $old_size)"

recreated() {
    local u
    u=$(sts_field '{.metadata.uid}')
    [ -n "$u" ] && [ "$u" != "$old_uid" ] &&
        [ "$(sts_field '{.spec.volumeClaimTemplates[0].spec.resources.requests.storage}')" = "$new_size" ] &&
        [ "$(sts_field '{.status.observedGeneration}')" = "$(sts_field '{.metadata.generation}')" ]
}
wait_for 60 "the StatefulSet to be created again with claims of $new_size" recreated
new_uid=$(sts_field '{.metadata.uid}')
# It adopts the running pods: each pod's controller is the new StatefulSet.
adopted() {
    for i in 0 1 2; do
        [ "$(kubectl get pod "$CLUSTER-$i" -n "$NS" -o jsonpath='{.metadata.ownerReferences[?(@.controller==true)].uid}')" = "$new_uid" ] || return 1
    done
}
wait_for 60 "the new StatefulSet to adopt the broker pods" adopted
reconciled() {
    [ "$(kubectl get kc "$CLUSTER" -n "$NS" -o jsonpath='{.status.observedGeneration} {.status.conditions[?(@.type=="Reconciled")].status}')" = "$gen True" ]
}
wait_for 60 "Reconciled=True at generation $gen" reconciled
wait_for 60 "3 Ready brokers and KafkaCluster Ready" cluster_ready 3
ok "StatefulSet $CLUSTER created again (uid $old_uid -> $new_uid) with claims of $new_size; it adopted the pods; Reconciled=True at generation $gen"

# No roll, no restart: the revision is the one the pods run, and every pod
# is the one it was, its containers not restarted.
rev=$(sts_field '{.status.updateRevision}')
[ "$rev" = "$old_rev" ] || fail "the StatefulSet's revision changed: $old_rev -> $rev (its pod template changed)"
[ "$(sts_field '{.status.currentRevision}')" = "$rev" ] || fail "the StatefulSet is rolling: current $(sts_field '{.status.currentRevision}'), update $rev"
for i in 0 1 2; do
    p="$CLUSTER-$i"
    [ "$(pod_uid "$p")" = "${uid[$i]}" ] || fail "$p was replaced"
    [ "$(restarts "$p" broker)" = "${broker_restarts[$i]}" ] || fail "$p's broker restarted"
    [ "$(kubectl get pod "$p" -n "$NS" -o jsonpath='{.status.initContainerStatuses[?(@.name=="sidecar")].restartCount}')" = "${sidecar_restarts[$i]}" ] ||
        fail "$p's sidecar restarted"
    [ "$(kubectl get pod "$p" -n "$NS" -o jsonpath='{.metadata.labels.controller-revision-hash}')" = "$rev" ] ||
        fail "$p runs another revision than $rev"
done
ok "no broker pod replaced or restarted; revision $rev unchanged"

# The fields have the owners they had: berth's server-side apply owns what
# it sets (so what it stops setting goes), not a create's blanket ownership.
new_owners=$(owners)
case " $new_owners" in *" berth-operator/Apply "*) ;; *) fail "berth-operator owns no field by Apply after the re-create: $new_owners (before: $old_owners)" ;; esac
case " $new_owners" in *" berth-operator/Update "*) fail "berth-operator owns fields by the create's Update: $new_owners (before: $old_owners)" ;; esac
ok "the StatefulSet's field owners are back: $new_owners"

# Progress: status.storage.resizing lists exactly the claims whose volume
# is still smaller than asked. On the ground nothing resizes a hostPath
# directory, so they are expected to stay listed; whatever the capacity
# is, the status must agree with it.
listed_ok() {
    local listed want=""
    listed=$(kubectl get kc "$CLUSTER" -n "$NS" -o jsonpath='{range .status.storage.resizing[*]}{.claim}={.capacity} {end}')
    for c in "${claims[@]}"; do
        cap=$(kubectl get pvc "$c" -n "$NS" -o jsonpath='{.status.capacity.storage}')
        [ "$cap" = "$new_size" ] || want+="$c=$cap "
    done
    [ "$listed" = "$want" ]
}
wait_for 30 "status.storage.resizing to list the claims still smaller than $new_size" listed_ok
caps=$(for c in "${claims[@]}"; do
    printf '%s=%s ' "$c" "$(kubectl get pvc "$c" -n "$NS" -o jsonpath='{.status.capacity.storage}')"
done)
ok "status.storage.resizing lists the claims whose volume is smaller than asked; status.capacity (no volume resizer on the ground): $caps"
ok "storage growth took $(( ($(now_ms) - t0) / 1000 )) s"
