#!/usr/bin/env bash
# berth-operator, running with exactly the rights manifests/berth.yaml gives
# its ServiceAccount (a token of that ServiceAccount, nothing else),
# reconciles manifests/examples/kafka-nodeport.yaml on the real API server:
# it takes its leader Lease, creates the cluster's StatefulSet, Services,
# ConfigMaps, Lease, PodDisruptionBudget and the sidecar's RBAC, writes
# status (so `kubectl get kc` fills its columns), answers /healthz and
# /readyz on its health address, and is never refused by the API server.
# The manifests are applied with their namespace and cluster-wide names made
# unique for this run, and the operator watches only this run's namespace,
# so the shared ground's other clusters are left alone.
# Run by tests/integration/run.sh, which exports the ground's locations.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
operator="${BERTH_OPERATOR_BIN:-$repo/build/berth-operator}"
. "$repo/tests/support/token_kubeconfig.sh"

tmp=$(mktemp -d)
id=$(head -c4 /dev/urandom | od -An -tx1 | tr -d ' \n')
ns="ins-opr-$id"   # the operator's namespace (manifests' berth-system)
kns="ins-kc-$id"   # where the KafkaCluster goes
op="$ns-operator"  # the manifests' berth-operator, renamed for this run
kubectl() { "$BERTH_GROUND_BIN/kubectl" --kubeconfig "$BERTH_KUBECONFIG" --cache-dir "$tmp/cache" "$@"; }
fail() { echo "FAIL test_install_operator: $*" >&2; [ -s "$tmp/op.log" ] && tail -20 "$tmp/op.log" >&2; exit 1; }
ok() { echo "ok: $*"; }
pid=""
cleanup() {
    local rc=$?
    if [ -n "$pid" ]; then
        kill "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    fi
    kubectl delete namespace "$kns" "$ns" --ignore-not-found --wait=false >/dev/null 2>&1 || true
    kubectl delete clusterrole,clusterrolebinding "$op" --ignore-not-found >/dev/null 2>&1 || true
    rm -rf "$tmp"
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

[ -x "$operator" ] || fail "$operator is missing: build it with make all"

sed -e "s/\bberth-system\b/$ns/g" -e "s/\bberth-operator\$/$op/" "$repo/manifests/berth.yaml" >"$tmp/berth.yaml"
out=$(kubectl apply --server-side --field-manager=berth-install --force-conflicts -f "$tmp/berth.yaml" 2>&1) ||
    fail "applying manifests/berth.yaml: $out"
kubectl wait --for=condition=Established --timeout=60s crd/kafkaclusters.berth.io >/dev/null ||
    fail "the KafkaCluster CRD is not Established"

# A kubeconfig with the operator ServiceAccount's token and nothing else;
# its namespace is where the operator keeps its leader Lease.
token_kubeconfig "$op" "$ns" "$tmp/kubeconfig" || fail "no kubeconfig for ServiceAccount $ns/$op"

kubectl create namespace "$kns" >/dev/null
kubectl apply -n "$kns" -f "$repo/manifests/examples/kafka-nodeport.yaml" >/dev/null ||
    fail "the example kafka-nodeport.yaml was refused"

# A free loopback port for the health address, below the ephemeral range
# (see tests/ground/lib.sh) and clear of the ground's own ports.
port=""
for _ in 1 2 3 4 5; do
    p=$((26500 + RANDOM % 400))
    if ! ss -Hltn "sport = :$p" | grep -q .; then port=$p; break; fi
done
[ -n "$port" ] || fail "no free port for the health address"
"$operator" --kubeconfig "$tmp/kubeconfig" --namespace "$kns" --leader-elect \
    --metrics-addr 0 --health-addr "127.0.0.1:$port" --log-format text >"$tmp/op.log" 2>&1 &
pid=$!

# wait_for SECONDS WHAT COMMAND...: the operator's work is asynchronous and
# the test watches it through the API; polling is bounded.
wait_for() {
    local secs=$1 what=$2
    shift 2
    local deadline=$((SECONDS + secs))
    until "$@" >/dev/null 2>&1; do
        kill -0 "$pid" 2>/dev/null || fail "berth-operator exited while waiting for $what"
        [ "$SECONDS" -lt "$deadline" ] || fail "timed out after ${secs}s waiting for $what"
        sleep 0.5
    done
}
wait_for 60 "the leader Lease $ns/berth-operator" \
    bash -c "[ -n \"\$(\"$BERTH_GROUND_BIN/kubectl\" --kubeconfig \"$BERTH_KUBECONFIG\" get lease berth-operator -n \"$ns\" -o jsonpath='{.spec.holderIdentity}')\" ]"
ok "berth-operator took its leader Lease $ns/berth-operator with the ServiceAccount's token"

objects=(statefulset/demo service/demo-brokers service/demo-bootstrap service/demo-0-external
    service/demo-1-external service/demo-2-external configmap/demo-brokers configmap/demo-drain
    lease.coordination.k8s.io/demo-drain poddisruptionbudget.policy/demo)
for o in "${objects[@]}"; do
    wait_for 60 "$o in $kns" kubectl get "$o" -n "$kns"
done
[ "$(kubectl get rolebindings,roles,serviceaccounts -n "$kns" -l app.kubernetes.io/instance=demo -o name | wc -l)" -ge 3 ] ||
    fail "the sidecar's ServiceAccount, Role and RoleBinding were not created: $(kubectl get rolebindings,roles,serviceaccounts -n "$kns" 2>&1)"
ok "reconciled the example: ${#objects[@]} owned objects and the sidecar's RBAC exist"

observed() {
    [ "$(kubectl get kc demo -n "$kns" -o jsonpath='{.status.observedGeneration}')" = \
        "$(kubectl get kc demo -n "$kns" -o jsonpath='{.metadata.generation}')" ]
}
wait_for 60 "status.observedGeneration of demo" observed
row=$(kubectl get kc demo -n "$kns" --no-headers)
grep -qE "^demo[[:space:]]+3[[:space:]]+[0-9]+[[:space:]]+demo-bootstrap\.$kns\.svc:9092[[:space:]]" <<<"$row" ||
    fail "kubectl get kc: expected 'demo 3 <ready> demo-bootstrap.$kns.svc:9092', got: $row"
ok "status written: kubectl get kc shows $row"

for path in healthz readyz; do
    code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/$path") || code=none
    [ "$code" = 200 ] || fail "GET /$path on the health address answered $code"
done
ok "/healthz and /readyz answer 200 on the health address"

if grep -qiE 'forbidden|\b403\b' "$tmp/op.log"; then
    fail "the API server refused the operator something: $(grep -iE 'forbidden|\b403\b' "$tmp/op.log" | head -5)"
fi
kill "$pid"
wait "$pid" || fail "berth-operator exited $? on SIGTERM"
pid=""
ok "the operator was never refused by the API server, and exited 0 on SIGTERM"
