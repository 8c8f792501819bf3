#!/usr/bin/env bash
# `helm install` of charts/berth with the images `make images` built: the
# operator runs as a container on the real node under its own
# ServiceAccount (no other token mounted), its liveness and readiness probes
# pass (the pod turns Ready), and it holds its leader Lease.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

now_ms >"$state/install_start_ms"
out=$(helm install berth "$repo/charts/berth" -n "$OP_NS" --create-namespace 2>&1) ||
    fail "helm install: $out"
wait_for 120 "the operator Deployment to be available" \
    kubectl wait -n "$OP_NS" --for=condition=Available --timeout=5s deployment/berth-operator
pod=$(kubectl get pods -n "$OP_NS" -l app.kubernetes.io/name=berth -o jsonpath='{.items[0].metadata.name}')
[ -n "$pod" ] || fail "no operator pod in $OP_NS"
read -r sa node ready restarts image < <(kubectl get pod "$pod" -n "$OP_NS" -o jsonpath='{.spec.serviceAccountName} {.spec.nodeName} {.status.conditions[?(@.type=="Ready")].status} {.status.containerStatuses[0].restartCount} {.status.containerStatuses[0].image}'; echo) || true
[ "$ready" = True ] || fail "operator pod $pod is not Ready"
[ "$restarts" = 0 ] || fail "operator pod $pod restarted $restarts times: $(kubectl logs -n "$OP_NS" "$pod" --previous 2>&1 | tail -5)"
[ "$sa" = berth-operator ] || fail "operator pod runs as ServiceAccount '$sa', not berth-operator"
case "$node" in berth-node-*) ;; *) fail "operator pod is on '$node', not a real node" ;; esac
ok "operator pod $pod Ready on real node $node (image $image), ServiceAccount $sa, 0 restarts"

# Its probes are what made it Ready; the container really answers them.
probes=$(kubectl get pod "$pod" -n "$OP_NS" -o jsonpath='{.spec.containers[0].livenessProbe.httpGet.path} {.spec.containers[0].readinessProbe.httpGet.path}')
[ "$probes" = "/healthz /readyz" ] || fail "operator probes are '$probes'"

held() { [ -n "$(kubectl get lease berth-operator -n "$OP_NS" -o jsonpath='{.spec.holderIdentity}')" ]; }
wait_for 60 "the operator to hold its Lease" held
holder=$(kubectl get lease berth-operator -n "$OP_NS" -o jsonpath='{.spec.holderIdentity}')
case "$holder" in "$pod"*) ;; *) fail "Lease berth-operator is held by '$holder', not $pod" ;; esac
ok "the operator holds Lease $OP_NS/berth-operator as $holder"
