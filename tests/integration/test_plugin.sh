#!/usr/bin/env bash
# kubectl-berth against the real API server, found by kubectl as a plugin:
#  - `kubectl berth addresses CLUSTER` prints, per broker and listener, the
#    address the KafkaCluster's status gives, the pod and the node; -o json
#    is that status (bootstrap, brokers) plus each node's addresses read from
#    the real Node; -o yaml is the same document; -A adds a namespace column;
#  - the kubeconfig's context and namespace are used as kubectl uses them;
#  - `kubectl berth roll CLUSTER` restarts every pod of the cluster's
#    StatefulSet (on the kwok nodes here; that each pod of such a roll is
#    drained on real ones is the StatefulSet's roll, proven in tests/e2e)
#    and follows it to the end, each step printed; a second roll while one
#    runs, a StatefulSet that is not the cluster's and a cluster without
#    one are refused;
#  - kubectl's own shell completion (kubectl __complete berth ...) offers
#    the commands, the namespace's KafkaClusters and the output formats;
#  - bad input gets a message naming what is missing and a non-zero exit: an
#    unknown cluster, a namespace without clusters, an unknown context, a
#    bad -o (exit 2), a user without the right to read KafkaClusters; a user
#    who may read them but not Nodes still gets the addresses, with a note.
# The status is written here, as berth-operator would write it (the
# operator's own status is compared with the plugin's view on real pods in
# tests/e2e). Run by tests/integration/run.sh.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
plugin_dir=$(cd "$(dirname "${BERTH_PLUGIN_BIN:-$repo/build/kubectl-berth}")" && pwd)
plugin="$plugin_dir/kubectl-berth"
[ -x "$plugin" ] || { echo "FAIL test_plugin: no $plugin (make all)" >&2; exit 1; }

tmp=$(mktemp -d)
rand=$(head -c4 /dev/urandom | od -An -tx1 | tr -d ' \n')
ns="plg-$rand"
empty="plg-empty-$rand"
kubectl() { "$BERTH_GROUND_BIN/kubectl" --kubeconfig "$BERTH_KUBECONFIG" --cache-dir "$tmp/cache" "$@"; }
# kubectl itself, finding kubectl-berth on PATH as it finds any plugin.
kberth() { PATH="$plugin_dir:$PATH" "$BERTH_GROUND_BIN/kubectl" berth "$@"; }
fail() { echo "FAIL test_plugin: $*" >&2; exit 1; }
ok() { echo "ok: $*"; }
cleanup() {
    local rc=$?
    kubectl delete namespace "$ns" "$empty" --ignore-not-found --wait=false >/dev/null 2>&1 || true
    rm -rf "$tmp"
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# refused WANT_RC FRAGMENT COMMAND...: COMMAND exits WANT_RC and says
# FRAGMENT on stderr.
refused() {
    local want=$1 frag=$2 rc=0
    shift 2
    "$@" >"$tmp/out" 2>"$tmp/err" || rc=$?
    [ "$rc" = "$want" ] || fail "$* exited $rc, not $want: $(cat "$tmp/err")"
    grep -qF -- "$frag" "$tmp/err" || fail "$* did not say \"$frag\": $(cat "$tmp/err")"
}

kubectl apply --server-side -f "$repo/manifests/crd/kafkaclusters.berth.io.yaml" >/dev/null
kubectl wait --for condition=established --timeout=60s crd/kafkaclusters.berth.io >/dev/null
kubectl create namespace "$ns" >/dev/null
kubectl create namespace "$empty" >/dev/null
kubectl apply -n "$ns" -f - >/dev/null <<EOF
apiVersion: berth.io/v1alpha1
kind: KafkaCluster
metadata:
  name: demo
spec:
  flavor: kafka
  image: apache/kafka:4.4.0
  replicas: 3
  listeners:
    - {name: internal, port: 9092, type: internal}
    - {name: external, port: 9094, type: nodeport, nodePortBase: 31090}
  storage: {size: 1Gi}
EOF
node0=$(kubectl get nodes -o jsonpath='{.items[0].metadata.name}')
node0_ip=$(kubectl get node "$node0" -o jsonpath='{.status.addresses[?(@.type=="InternalIP")].address}')
[ -n "$node0_ip" ] || fail "node $node0 has no InternalIP"
gen=$(kubectl get kc demo -n "$ns" -o jsonpath='{.metadata.generation}')
kubectl patch kc demo -n "$ns" --subresource=status --type merge -p "$(cat <<EOF
{"status": {"observedGeneration": $gen, "replicas": 2, "readyReplicas": 1,
  "bootstrap": {"internal": "demo-bootstrap.$ns.svc:9092", "external": ["$node0_ip:31090"]},
  "brokers": [
    {"id": 0, "pod": "demo-0", "node": "$node0", "ready": true, "controller": true,
     "listeners": {"internal": "demo-0.demo-brokers.$ns.svc:9092", "external": "$node0_ip:31090"}},
    {"id": 1, "ready": false, "controller": true,
     "listeners": {"internal": "demo-1.demo-brokers.$ns.svc:9092"}}]}}
EOF
)" >/dev/null

# --- the table ---------------------------------------------------------------
out=$(kberth --kubeconfig "$BERTH_KUBECONFIG" addresses demo -n "$ns")
head -1 <<<"$out" | grep -qE '^CLUSTER +BROKER +POD +NODE +LISTENER +ADDRESS$' ||
    fail "unexpected columns: $(head -1 <<<"$out")"
grep -qE "^demo +0 +demo-0 +$node0 +external +$node0_ip:31090\$" <<<"$out" ||
    fail "broker 0's external address is not in the table: $out"
grep -qE "^demo +1 +- +- +internal +demo-1\.demo-brokers\.$ns\.svc:9092\$" <<<"$out" ||
    fail "broker 1 (no pod yet) is not in the table: $out"
[ "$(grep -c '^demo ' <<<"$out")" = 3 ] || fail "not one row per broker and listener: $out"
grep -qF "demo: bootstrap outside the cluster: $node0_ip:31090" <<<"$out" ||
    fail "no outside bootstrap: $out"
ok "kubectl berth addresses: one row per broker and listener, and the bootstrap lists"

# --- the documents -----------------------------------------------------------
json=$(kberth --kubeconfig "$BERTH_KUBECONFIG" addresses demo -n "$ns" -o json)
want=$(kubectl get kc demo -n "$ns" -o json | jq -S '.status | {bootstrap, brokers: [.brokers[] | del(.controller)]}')
have=$(jq -S '{bootstrap, brokers: [.brokers[] | del(.nodeAddresses)]}' <<<"$json")
[ "$have" = "$want" ] || fail "-o json differs from the status: $have"
[ "$(jq -r '.brokers[0].nodeAddresses.InternalIP' <<<"$json")" = "$node0_ip" ] ||
    fail "-o json: broker 0's node addresses are not the Node's: $json"
[ "$(jq -r '.cluster + "/" + .namespace' <<<"$json")" = "demo/$ns" ] || fail "-o json: names: $json"
yaml=$(kberth --kubeconfig "$BERTH_KUBECONFIG" addresses demo -n "$ns" -o yaml)
for line in "cluster: demo" "namespace: $ns" "  internal: demo-bootstrap.$ns.svc:9092" "- id: 0" \
    "    external: $node0_ip:31090" "    InternalIP: $node0_ip" "  ready: false"; do
    grep -qxF -- "$line" <<<"$yaml" || fail "-o yaml lacks \"$line\": $yaml"
done
ok "-o json is the status plus each node's addresses; -o yaml the same document"


# --- namespaces and contexts -------------------------------------------------
out=$(kberth --kubeconfig "$BERTH_KUBECONFIG" addresses -A)
head -1 <<<"$out" | grep -qE '^NAMESPACE +CLUSTER ' || fail "-A: no NAMESPACE column: $out"
grep -qE "^$ns +demo +0 " <<<"$out" || fail "-A: the cluster of $ns is missing: $out"
cfg="$tmp/kubeconfig"
cp "$BERTH_KUBECONFIG" "$cfg"
kcfg() { "$BERTH_GROUND_BIN/kubectl" --kubeconfig "$cfg" "$@"; }
kcfg config set-context plg --cluster="$(kcfg config view -o jsonpath='{.contexts[0].context.cluster}')" \
    --user="$(kcfg config view -o jsonpath='{.contexts[0].context.user}')" --namespace="$ns" >/dev/null
out=$(KUBECONFIG="$cfg" kberth --context plg addresses demo)
grep -q "^demo " <<<"$out" || fail "--context plg (namespace $ns) did not find demo: $out"
KUBECONFIG="$cfg" kberth --kubeconfig "$cfg" --context plg addresses -o json | jq -e '.items | length == 1' >/dev/null ||
    fail "the context's namespace did not hold exactly one cluster"
ok "the context's namespace, --context, \$KUBECONFIG and -A work as in kubectl"

# --- bad input ---------------------------------------------------------------
refused 1 "KafkaCluster \"nothere\" not found in namespace \"$ns\"" \
    kberth --kubeconfig "$BERTH_KUBECONFIG" addresses nothere -n "$ns"
refused 1 "no KafkaClusters in namespace \"$empty\"" \
    kberth --kubeconfig "$BERTH_KUBECONFIG" addresses -n "$empty"
refused 1 "nosuch" kberth --kubeconfig "$BERTH_KUBECONFIG" --context nosuch addresses demo
refused 2 "unknown output format \"xml\"" kberth --kubeconfig "$BERTH_KUBECONFIG" addresses -o xml
refused 2 "unknown command \"adresses\"" kberth --kubeconfig "$BERTH_KUBECONFIG" adresses
refused 2 "at most one KafkaCluster name" kberth --kubeconfig "$BERTH_KUBECONFIG" addresses a b -n "$ns"
ok "an unknown cluster, an empty namespace, an unknown context: exit 1 naming it; a bad command line: exit 2"

# --- what a user may read ----------------------------------------------------
kubectl create serviceaccount nobody -n "$ns" >/dev/null
kubectl create serviceaccount reader -n "$ns" >/dev/null
kubectl create role kc-reader -n "$ns" --verb=get,list --resource=kafkaclusters.berth.io >/dev/null
kubectl create rolebinding kc-reader -n "$ns" --role=kc-reader --serviceaccount="$ns:reader" >/dev/null
server=$(kubectl config view --minify -o jsonpath='{.clusters[0].cluster.server}')
kubectl config view --minify --raw -o jsonpath='{.clusters[0].cluster.certificate-authority-data}' |
    base64 -d >"$tmp/ca.crt"
for who in nobody reader; do
    cat >"$tmp/$who.kubeconfig" <<EOF
apiVersion: v1
kind: Config
clusters: [{name: ground, cluster: {server: "$server", certificate-authority: "$tmp/ca.crt"}}]
users: [{name: $who, user: {token: "$(kubectl create token "$who" -n "$ns")"}}]
contexts: [{name: $who, context: {cluster: ground, user: $who, namespace: "$ns"}}]
current-context: $who
EOF
done
refused 1 "403 Forbidden" kberth --kubeconfig "$tmp/nobody.kubeconfig" addresses demo
grep -qF "kafkaclusters.berth.io \"demo\" is forbidden" "$tmp/err" || fail "the refusal does not name what: $(cat "$tmp/err")"
out=$(kberth --kubeconfig "$tmp/reader.kubeconfig" addresses demo -o wide 2>"$tmp/err") ||
    fail "a user who may read KafkaClusters but not Nodes got nothing: $(cat "$tmp/err")"
grep -qF "no node addresses" "$tmp/err" || fail "no note about the node addresses: $(cat "$tmp/err")"
grep -qE "^demo +0 +demo-0 +$node0 +external +$node0_ip:31090 " <<<"$out" || fail "-o wide without Nodes: $out"
ok "without the right to read KafkaClusters: exit 1 with the API's refusal; without Nodes: the addresses and a note"

# --- roll --------------------------------------------------------------------
# statefulset NAME OWNER_UID: a 3-pod StatefulSet as berth-operator makes one
# (owned by the KafkaCluster when OWNER_UID is not empty).
statefulset() {
    local owner=""
    [ -z "$2" ] || owner="ownerReferences: [{apiVersion: berth.io/v1alpha1, kind: KafkaCluster, name: $1, uid: $2, controller: true}]"
    kubectl apply -n "$ns" -f - >/dev/null <<EOF
apiVersion: apps/v1
kind: StatefulSet
metadata:
  name: $1
  $owner
spec:
  replicas: 3
  serviceName: $1-brokers
  podManagementPolicy: Parallel
  selector: {matchLabels: {plg: $1}}
  template:
    metadata: {labels: {plg: $1}}
    spec: {containers: [{name: broker, image: localhost/berth-none:0}]}
EOF
    kubectl rollout status statefulset "$1" -n "$ns" --timeout=120s >/dev/null
}
pod_uids() {
    kubectl get pods -n "$ns" -l plg=demo \
        -o jsonpath='{range .items[*]}{.metadata.name}={.metadata.uid}{"\n"}{end}' | sort
}

statefulset demo "$(kubectl get kc demo -n "$ns" -o jsonpath='{.metadata.uid}')"
before=$(pod_uids)
[ "$(wc -l <<<"$before")" = 3 ] || fail "the StatefulSet did not make 3 pods: $before"
out=$(kberth --kubeconfig "$BERTH_KUBECONFIG" roll demo -n "$ns" --timeout 3m) ||
    fail "kubectl berth roll failed: $out"
sed 's/^/  /' <<<"$out"
after=$(pod_uids)
for id in 0 1 2; do
    old="demo-$id=$(sed -n "s/^demo-$id=//p" <<<"$before")"
    ! grep -qxF "$old" <<<"$after" || fail "pod demo-$id was not replaced: $after"
    grep -qE "demo-$id: Ready \(caught up, leadership handed back\): [123] of 3 restarted" <<<"$out" ||
        fail "the roll did not report demo-$id Ready: $out"
done
grep -qE "KafkaCluster demo: rolled, every broker Ready on a new pod$" <<<"$out" ||
    fail "no end of the roll: $out"
[ -n "$(kubectl get statefulset demo -n "$ns" \
    -o jsonpath='{.spec.template.metadata.annotations.kubectl\.kubernetes\.io/restartedAt}')" ] ||
    fail "no restartedAt on the pod template"
ok "kubectl berth roll: every pod replaced, one step per pod printed, the end seen"

# A roll held by a partition (kwok's pods restart too fast to catch one
# under way otherwise): --no-wait starts it, another is refused.
partition() {
    kubectl patch statefulset demo -n "$ns" --type merge \
        -p "{\"spec\":{\"updateStrategy\":{\"rollingUpdate\":{\"partition\":$1}}}}" >/dev/null
}
partition 3
out=$(kberth --kubeconfig "$BERTH_KUBECONFIG" roll demo -n "$ns" --no-wait) || fail "roll --no-wait: $out"
refused 1 "a roll is already under way" kberth --kubeconfig "$BERTH_KUBECONFIG" roll demo -n "$ns"
partition 0
kubectl rollout status statefulset demo -n "$ns" --timeout=180s >/dev/null
kubectl apply -n "$ns" -f - >/dev/null <<EOF
apiVersion: berth.io/v1alpha1
kind: KafkaCluster
metadata:
  name: other
spec:
  flavor: kafka
  image: apache/kafka:4.4.0
  replicas: 3
  listeners: [{name: internal, port: 9092, type: internal}]
  storage: {size: 1Gi}
EOF
refused 1 "KafkaCluster other has no StatefulSet other yet" \
    kberth --kubeconfig "$BERTH_KUBECONFIG" roll other -n "$ns"
statefulset other ""
refused 1 "StatefulSet other is not KafkaCluster other's" \
    kberth --kubeconfig "$BERTH_KUBECONFIG" roll other -n "$ns"
refused 2 "roll takes one KafkaCluster name" kberth --kubeconfig "$BERTH_KUBECONFIG" roll -n "$ns"
refused 2 "--timeout 5x: not a duration" \
    kberth --kubeconfig "$BERTH_KUBECONFIG" roll demo -n "$ns" --timeout 5x
ok "a roll while one runs, a StatefulSet not the cluster's, a cluster without one: refused, naming why"

# Shell completion through kubectl itself: kubectl runs kubectl_complete-berth
# from PATH for the words after `berth`; the candidates come from the plugin
# (the commands, the formats) and from the API server (the clusters).
kcomplete() { PATH="$plugin_dir:$repo/plugin:$PATH" KUBECONFIG="$BERTH_KUBECONFIG" "$BERTH_GROUND_BIN/kubectl" __complete berth "$@" 2>/dev/null; }
got=$(kcomplete "" | tr '\n' ' ')
[ "$got" = "addresses drain-plan health roll :4 " ] || fail "completing a command gave: $got"
got=$(kcomplete health -n "$ns" "" | tr '\n' ' ')
[ "$got" = "demo other :4 " ] || fail "completing a cluster of $ns gave: $got"
got=$(kcomplete addresses -n "$ns" d | tr '\n' ' ')
[ "$got" = "demo :4 " ] || fail "completing a cluster starting with d gave: $got"
got=$(kcomplete roll demo -o "" | tr '\n' ' ')
[ "$got" = "wide json yaml :4 " ] || fail "completing -o gave: $got"
ok "kubectl completes kubectl berth: its commands, the KafkaClusters of a namespace, the output formats"
