#!/usr/bin/env bash
# `kubectl delete kc`: every broker pod stops at once, none drains (there is
# nowhere to move leadership to), all end well inside their grace period
# (under half of it), as the operator's teardown makes them (its finalizer
# holds the KafkaCluster until no broker pod is left; operator/teardown.h);
# then everything the operator made for the cluster goes (StatefulSet,
# pods, Services, ConfigMaps, Lease, PodDisruptionBudget, the sidecar's
# ServiceAccount and RBAC), and the claims stay (storage.deleteClaim is
# false in the example).
set -euo pipefail
. "$(dirname "$0")/lib.sh"

grace=$(kubectl get sts "$CLUSTER" -n "$NS" -o jsonpath='{.spec.template.spec.terminationGracePeriodSeconds}')
[ -n "$grace" ] || fail "no StatefulSet $CLUSTER (test_20 makes the cluster)"
[ "$(kubectl get kc "$CLUSTER" -n "$NS" -o jsonpath='{.metadata.finalizers}')" = '["berth.io/teardown"]' ] ||
    fail "the KafkaCluster does not carry the finalizer berth.io/teardown"
n_pods=$(kubectl get pods -n "$NS" -l app.kubernetes.io/instance="$CLUSTER" -o name | wc -l)
claims=$(kubectl get pvc -n "$NS" -o name | sort)
follow_start
t0=$(now_ms)
kubectl delete kc "$CLUSTER" -n "$NS" --wait=false >/dev/null
pods_gone() { [ -z "$(kubectl get pods -n "$NS" -l app.kubernetes.io/instance="$CLUSTER" -o name)" ]; }
wait_for $((grace + 120)) "the broker pods to go" pods_gone
took=$(( ($(now_ms) - t0) / 1000 ))
follow_stop
[ "$took" -lt $((grace / 2)) ] || fail "the pods took ${took}s to go; the grace period is ${grace}s"
skipped=0
for f in "$logs"/*.sidecar.*; do
    grep -q "is being deleted: no drain" "$f" && skipped=$((skipped + 1))
done
[ "$skipped" = "$n_pods" ] || fail "$skipped of $n_pods sidecars skipped their drain; logs in $logs"
ok "all $n_pods broker pods gone ${took}s after the delete (grace period ${grace}s), none drained"

kinds=statefulset,service,configmap,secret,lease,poddisruptionbudget,serviceaccount,role,rolebinding
objects_gone() { [ -z "$(kubectl get "$kinds" -n "$NS" -l app.kubernetes.io/instance="$CLUSTER" -o name)" ]; }
wait_for 120 "the cluster's objects to go" objects_gone
[ -z "$(kubectl get kc -n "$NS" -o name)" ] || fail "the KafkaCluster is still there"
ok "no object of the cluster is left ($kinds)"
now=$(kubectl get pvc -n "$NS" -o name | sort)
[ -n "$claims" ] && [ "$now" = "$claims" ] || fail "claims before: $claims; after: $now"
ok "the claims stay: $(tr '\n' ' ' <<<"$now")"
kubectl delete namespace "$NS" --wait=false >/dev/null
