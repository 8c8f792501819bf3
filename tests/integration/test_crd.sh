#!/usr/bin/env bash
# The KafkaCluster CRD holds on the real API server: it installs (server-side
# apply, idempotent) as a structural schema, every example CR is accepted and
# comes back with its defaults filled in, every bad spec is refused by the API
# server itself with a message that names the offending field, immutable
# fields refuse updates (also through the scale subresource), a realistic
# status is accepted and shows in `kubectl get kc`'s printer columns, and
# `kubectl explain` describes every field.
# Run by tests/integration/run.sh, which exports the ground's locations.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
crd_file="$repo/manifests/crd/kafkaclusters.berth.io.yaml"
examples="$repo/manifests/examples"
crd=kafkaclusters.berth.io

tmp=$(mktemp -d)
ns="berth-crd-test-$(head -c4 /dev/urandom | od -An -tx1 | tr -d ' \n')"
# A private discovery cache, so a cache from before the CRD existed (or from
# another test) cannot hide the new resource.
kubectl() { "$BERTH_GROUND_BIN/kubectl" --kubeconfig "$BERTH_KUBECONFIG" --cache-dir "$tmp/cache" "$@"; }
fail() { echo "FAIL test_crd: $*" >&2; exit 1; }
ok() { echo "ok: $*"; }
cleanup() {
    local rc=$?
    kubectl delete namespace "$ns" --ignore-not-found --wait=false >/dev/null 2>&1 || true
    rm -rf "$tmp"
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# wait_until SECONDS DESCRIPTION COMMAND...: runs COMMAND until it succeeds.
# Only for what the API offers no watch for (discovery, the OpenAPI document).
wait_until() {
    local secs=$1 what=$2
    shift 2
    local deadline=$((SECONDS + secs))
    until "$@" >/dev/null 2>&1; do
        [ "$SECONDS" -lt "$deadline" ] || fail "timed out after ${secs}s waiting for $what"
        sleep 0.2
    done
}

# contains OUTPUT FRAGMENT...: every fragment occurs in OUTPUT.
contains() {
    local out=$1
    shift
    for frag in "$@"; do
        grep -qF -- "$frag" <<<"$out" || return 1
    done
}

# reject WHAT FIELD MESSAGE COMMAND...: COMMAND must fail, and its error must
# name FIELD and contain MESSAGE.
reject() {
    local what=$1 field=$2 msg=$3 out
    shift 3
    if out=$("$@" 2>&1); then
        fail "$what: the API server accepted it: $out"
    fi
    contains "$out" "$field" "$msg" ||
        fail "$what: rejected, but the error does not name '$field' with '$msg': $out"
    ok "rejected $what ($field: $msg)"
}

# A valid cluster; the named parts are replaced per bad spec. The internal
# listener is first so the one under test is always spec.listeners[1].
spec() {
    cat <<EOF
apiVersion: berth.io/v1alpha1
kind: KafkaCluster
metadata:
  name: ${KC_NAME:-c}
spec:
  flavor: ${KC_FLAVOR:-kafka}
${KC_IMAGE-  image: apache/kafka:4.4.0}
  replicas: ${KC_REPLICAS:-3}
  controllers: ${KC_CONTROLLERS:-3}
  listeners:
  - ${KC_L0:-"{name: internal, port: 9092, type: internal}"}
  - ${KC_L1:-"{name: external, port: 9094, type: nodeport, nodePortBase: 31090}"}
${KC_EXTRA:-}
EOF
}
# create_spec VAR=VALUE...: creates the spec above, changed by the variables.
create_spec() { env "$@" bash -c "$(declare -f spec); spec" | kubectl create -n "$ns" -f -; }
seq=0
# bad WHAT FIELD MESSAGE VAR=VALUE...: that spec must be refused.
bad() {
    local what=$1 field=$2 msg=$3
    shift 3
    reject "$what" "$field" "$msg" create_spec KC_NAME="bad-$((++seq))" "$@"
}
# good WHAT VAR=VALUE...: that spec must be accepted.
good() {
    local what=$1 out name="good-$((++seq))"
    shift
    out=$(create_spec KC_NAME="$name" "$@" 2>&1) || fail "$what: refused: $out"
    ok "accepted $what"
}

# --- install -----------------------------------------------------------------
apply_crd() {
    kubectl apply --server-side --force-conflicts --field-manager=berth-install -f "$crd_file" >/dev/null
}
apply_crd || fail "server-side apply of $crd_file failed"
kubectl wait --for=condition=Established --timeout=60s "crd/$crd" >/dev/null ||
    fail "$crd did not become Established"
gen1=$(kubectl get crd "$crd" -o jsonpath='{.metadata.generation}')
apply_crd || fail "second server-side apply of $crd_file failed"
gen2=$(kubectl get crd "$crd" -o jsonpath='{.metadata.generation}')
[ "$gen1" = "$gen2" ] || fail "re-applying the same CRD changed it (generation $gen1 -> $gen2)"
cond() { kubectl get crd "$crd" -o jsonpath="{.status.conditions[?(@.type==\"$1\")].status}"; }
[ "$(cond NamesAccepted)" = True ] || fail "$crd: NamesAccepted is not True"
[ -z "$(cond NonStructuralSchema)" ] ||
    fail "$crd: schema is not structural: $(kubectl get crd "$crd" -o jsonpath='{.status.conditions[?(@.type=="NonStructuralSchema")].message}')"
ok "CRD $crd applied server-side twice (generation $gen2 unchanged), Established, structural, CEL within cost budget"

kc_discovered() { grep -qE '^kafkaclusters[[:space:]]+kc[[:space:]]' <<<"$(kubectl api-resources --api-group=berth.io --no-headers)"; }
wait_until 60 "discovery to list kafkaclusters (short name kc)" kc_discovered
ok "discovery lists kafkaclusters with short name kc"

kubectl create namespace "$ns" >/dev/null

# --- examples ----------------------------------------------------------------
n=0
for f in "$examples"/*.yaml; do
    out=$(kubectl apply --server-side --field-manager=berth-test -n "$ns" -f "$f" 2>&1) ||
        fail "example $(basename "$f") refused: $out"
    n=$((n + 1))
done
[ "$n" -ge 3 ] || fail "expected at least 3 examples in $examples, found $n"
ok "all $n examples in manifests/examples accepted"

got=$(kubectl get kc demo -n "$ns" -o jsonpath='{.spec.storage.size} {.spec.storage.deleteClaim} {.spec.drain.timeoutSeconds} {.spec.drain.lockWaitSeconds} {.spec.jvm.heapPercent} {.spec.rack.topologyKey} {.spec.podDisruptionBudget.maxUnavailable} {.spec.flavor}')
want="10Gi false 120 60 50 topology.kubernetes.io/zone 1 kafka"
[ "$got" = "$want" ] || fail "defaults of example demo: got '$got', want '$want'"
ok "defaults filled in on read-back: $want"

# --- bad specs ---------------------------------------------------------------
bad "unknown listener type" 'spec.listeners[1].type' 'Unsupported value: "udp"' \
    KC_L1='{name: external, port: 9094, type: udp}'
bad "duplicate listener names" 'spec.listeners[1]' 'Duplicate value: {"name":"internal"}' \
    KC_L1='{name: internal, port: 9094, type: nodeport, nodePortBase: 31090}'
bad "duplicate listener ports" 'spec.listeners' 'listener ports must be unique' \
    KC_L1='{name: external, port: 9092, type: nodeport, nodePortBase: 31090}'
bad "replicas 0" 'spec.replicas' 'should be greater than or equal to 1' KC_REPLICAS=0
bad "replicas < controllers" 'spec.replicas' 'replicas must be at least controllers' KC_REPLICAS=2 KC_CONTROLLERS=3
bad "nodePortBase below 30000" 'spec.listeners[1].nodePortBase' 'should be greater than or equal to 30000' \
    KC_L1='{name: external, port: 9094, type: nodeport, nodePortBase: 29999}'
bad "nodePortBase above 32767" 'spec.listeners[1].nodePortBase' 'should be less than or equal to 32767' \
    KC_L1='{name: external, port: 9094, type: nodeport, nodePortBase: 32768}'
bad "nodePortBase + replicas - 1 past 32767" 'spec.listeners' 'nodePortBase + replicas - 1 must be at most 32767' \
    KC_L1='{name: external, port: 9094, type: nodeport, nodePortBase: 32766}'
good "nodePortBase + replicas - 1 = 32767" \
    KC_L1='{name: external, port: 9094, type: nodeport, nodePortBase: 32765}'
bad "overlapping node-port ranges" 'spec.listeners' 'must not overlap' \
    KC_EXTRA='  - {name: other, port: 9095, type: nodeport, nodePortBase: 31092}'
bad "berth-owned key advertised.listeners in config" 'spec.config' 'config key advertised.listeners is set by berth' \
    KC_EXTRA='  config: {log.retention.hours: "1", advertised.listeners: "PLAINTEXT://x:9092"}'
bad "berth-owned TLS setting of a listener in config" 'spec.config' \
    'config key listener.name.external.ssl.keystore.location is set by berth' \
    KC_EXTRA='  config: {listener.name.external.ssl.keystore.location: /tmp/ks.pem}'
bad "a listener's JAAS login in config" 'spec.config' \
    'config key listener.name.x.scram-sha-512.sasl.jaas.config is set by berth' \
    KC_EXTRA='  config: {listener.name.x.scram-sha-512.sasl.jaas.config: "x required;"}'
bad "sasl.jaas.config in config" 'spec.config' 'config key sasl.jaas.config is set by berth' \
    KC_EXTRA='  config: {sasl.jaas.config: "x required;"}'
bad "sasl.mechanism.inter.broker.protocol in config" 'spec.config' \
    'config key sasl.mechanism.inter.broker.protocol is set by berth' \
    KC_EXTRA='  config: {sasl.mechanism.inter.broker.protocol: PLAIN}'
bad "a setting of berth's controller listener in config" 'spec.config' \
    'config key listener.name.controller.max.connections is set by berth' \
    KC_EXTRA='  config: {listener.name.controller.max.connections: "5"}'
bad "a setting of berth's replication listener in config" 'spec.config' \
    'config key listener.name.replication.max.connections is set by berth' \
    KC_EXTRA='  config: {listener.name.replication.max.connections: "5"}'
good "config beside berth's keys (a user listener's limit, global ssl.*)" \
    KC_EXTRA='  config: {listener.name.external.max.connections: "50", ssl.cipher.suites: TLS_AES_256_GCM_SHA384}'
bad "missing image" 'spec.image' 'Required value' KC_IMAGE=
bad "nodePortBase on an internal listener" 'spec.listeners[0].nodePortBase' 'nodePortBase is only allowed when type is nodeport' \
    KC_L0='{name: internal, port: 9092, type: internal, nodePortBase: 31000}'
bad "nodeport listener without nodePortBase" 'spec.listeners[1].nodePortBase' 'nodePortBase is required when type is nodeport' \
    KC_L1='{name: external, port: 9094, type: nodeport}'
bad "two internal listeners" 'spec.listeners' 'exactly one listener must have type internal' \
    KC_L1='{name: internal2, port: 9094, type: internal}'
bad "no internal listener" 'spec.listeners' 'exactly one listener must have type internal' \
    KC_L0='{name: lb, port: 9093, type: loadbalancer}'
bad "listener named controller" 'spec.listeners[1].name' "reserved for berth's own listeners" \
    KC_L1='{name: controller, port: 9094, type: loadbalancer}'
bad "listener named replication" 'spec.listeners[1].name' "reserved for berth's own listeners" \
    KC_L1='{name: replication, port: 9094, type: loadbalancer}'
bad "addressType on a loadbalancer listener" 'spec.listeners[1].addressType' 'only allowed when type is nodeport or hostport' \
    KC_L1='{name: external, port: 9094, type: loadbalancer, addressType: ExternalIP}'
bad "advertisedHostTemplate without {id}" 'spec.listeners[1].advertisedHostTemplate' 'must contain {id}' \
    KC_L1='{name: external, port: 9094, type: loadbalancer, advertisedHostTemplate: kafka.example.com}'
good "loadbalancer listener with advertisedHostTemplate kafka-{id}.example.com" \
    KC_L1='{name: external, port: 9094, type: loadbalancer, advertisedHostTemplate: "kafka-{id}.example.com"}'
bad "unknown field (typo spec.replica)" 'spec.replica' 'unknown field' KC_EXTRA='  replica: 5'
bad "cluster name that is not a DNS label" 'metadata.name' 'should match' KC_NAME=my.kafka
bad "clusterID on flavor redpanda" 'spec.clusterID' 'clusterID is for flavor kafka only' \
    KC_FLAVOR=redpanda KC_EXTRA='  clusterID: MkU3OEVBNTcwNTJENDM2Qk'
good "flavor redpanda with 1 replica (controllers do not apply)" KC_FLAVOR=redpanda KC_REPLICAS=1
bad "a request above its limit" 'spec.resources.requests' 'every request must be at most the matching limit' \
    KC_EXTRA='  resources: {requests: {memory: 8Gi}, limits: {memory: 4Gi}}'
bad "storage size 0" 'spec.storage.size' 'size must be a positive quantity' KC_EXTRA='  storage: {size: "0"}'

# --- updates -----------------------------------------------------------------
patch() { kubectl patch kc "$1" -n "$ns" --type merge -p "$2"; }
reject "changing controllers" 'spec.controllers' 'controllers is immutable' patch demo '{"spec":{"controllers":1}}'
reject "changing flavor" 'spec.flavor' 'flavor is immutable' patch demo '{"spec":{"flavor":"redpanda"}}'
reject "shrinking storage.size" 'spec.storage.size' 'size cannot shrink' patch demo '{"spec":{"storage":{"size":"5Gi"}}}'
reject "setting storage.storageClassName later" 'spec.storage.storageClassName' 'storageClassName is immutable' \
    patch demo '{"spec":{"storage":{"storageClassName":"fast"}}}'
reject "scaling below controllers through the scale subresource" 'spec.replicas' 'replicas must be at least controllers' \
    kubectl scale kc demo -n "$ns" --replicas=2
out=$(kubectl scale kc demo -n "$ns" --replicas=5 2>&1) || fail "scale demo to 5 refused: $out"
out=$(patch demo '{"spec":{"storage":{"size":"20Gi"},"config":{"log.retention.hours":"24"}}}' 2>&1) ||
    fail "growing storage and changing config refused: $out"
[ "$(kubectl get kc demo -n "$ns" -o jsonpath='{.spec.replicas} {.spec.controllers} {.spec.storage.size}')" = "5 3 20Gi" ] ||
    fail "demo after scale and patch: $(kubectl get kc demo -n "$ns" -o jsonpath='{.spec}')"
ok "accepted scaling demo 3 -> 5 brokers (3 controllers) and growing its storage to 20Gi"

create_spec KC_NAME=adopted KC_EXTRA='  clusterID: MkU3OEVBNTcwNTJENDM2Qk' >/dev/null
reject "changing clusterID" 'spec.clusterID' 'clusterID is immutable once set' \
    patch adopted '{"spec":{"clusterID":"AAAAAAAAAAAAAAAAAAAAAA"}}'
reject "removing clusterID" 'spec.clusterID' 'clusterID is immutable once set' \
    patch adopted '{"spec":{"clusterID":null}}'

# --- status and printer columns ---------------------------------------------
now=$(date -u +%Y-%m-%dT%H:%M:%SZ)
status=$(cat <<EOF
{"status": {
  "observedGeneration": 3, "clusterID": "MkU3OEVBNTcwNTJENDM2Qk", "replicas": 5, "readyReplicas": 4,
  "conditions": [
    {"type": "Ready", "status": "False", "observedGeneration": 3, "lastTransitionTime": "$now",
     "reason": "BrokersNotReady", "message": "4 of 5 brokers ready"},
    {"type": "Reconciled", "status": "True", "observedGeneration": 3, "lastTransitionTime": "$now",
     "reason": "Applied", "message": ""}],
  "bootstrap": {"internal": "demo-bootstrap.$ns.svc:9092", "external": ["203.0.113.7:31090", "203.0.113.8:31091"]},
  "brokers": [
    {"id": 0, "pod": "demo-0", "node": "n1", "ready": true, "controller": true,
     "listeners": {"internal": "demo-0.demo-brokers.$ns.svc:9092", "external": "203.0.113.7:31090"}},
    {"id": 1, "pod": "demo-1", "node": "n2", "ready": true, "controller": true,
     "listeners": {"internal": "demo-1.demo-brokers.$ns.svc:9092", "external": "203.0.113.8:31091"}}]}}
EOF
)
out=$(kubectl patch kc demo -n "$ns" --subresource=status --type merge -p "$status" 2>&1) ||
    fail "a realistic status was refused: $out"
[ "$(kubectl get kc demo -n "$ns" -o jsonpath='{.status.brokers[1].listeners.external}')" = 203.0.113.8:31091 ] ||
    fail "status did not round-trip: $(kubectl get kc demo -n "$ns" -o jsonpath='{.status}')"
reject "a condition with status Maybe" 'status.conditions[0].status' 'Unsupported value: "Maybe"' \
    kubectl patch kc demo -n "$ns" --subresource=status --type merge \
    -p '{"status":{"conditions":[{"type":"Ready","status":"Maybe","lastTransitionTime":"'"$now"'","reason":"X","message":""}]}}'
ok "status subresource accepts the full status shape"

table=$(kubectl get kc -n "$ns")
head -1 <<<"$table" | grep -qE '^NAME[[:space:]]+REPLICAS[[:space:]]+READY[[:space:]]+BOOTSTRAP[[:space:]]+AGE$' ||
    fail "kubectl get kc: unexpected columns: $(head -1 <<<"$table")"
grep -qE "^demo[[:space:]]+5[[:space:]]+4[[:space:]]+demo-bootstrap\.$ns\.svc:9092[[:space:]]" <<<"$table" ||
    fail "kubectl get kc: row of demo is not 'demo 5 4 demo-bootstrap...': $table"
# Read whole outputs first: with pipefail, grep -q or head closing the pipe
# early can kill kubectl with SIGPIPE and fail a correct check.
wide=$(kubectl get kc -n "$ns" -o wide)
grep -q FLAVOR <<<"${wide%%$'\n'*}" || fail "kubectl get kc -o wide has no FLAVOR column"
names=$(kubectl get berth -n "$ns" -o name)
grep -qx kafkacluster.berth.io/demo <<<"$names" || fail "kubectl get berth (category) does not list demo"
ok "kubectl get kc shows NAME REPLICAS READY BOOTSTRAP AGE (demo 5 4 demo-bootstrap.$ns.svc:9092), -o wide adds FLAVOR, category berth lists it"

# --- kubectl explain ---------------------------------------------------------
explain_ready() { grep -q 'Exactly one listener has type internal' <<<"$(kubectl explain kc.spec.listeners)"; }
wait_until 60 "the OpenAPI document to describe kc.spec.listeners" explain_ready
out=$(kubectl explain kc.spec.listeners)
contains "$out" "nodePortBase" "broker i gets nodePortBase + i" "falls back" "enum: internal, nodeport, loadbalancer, hostport" ||
    fail "kubectl explain kc.spec.listeners lacks field descriptions: $out"
ok "kubectl explain kc.spec.listeners describes the listener fields"

# Every field of every object has a description: explain each object path
# (from the recursive field list) and look for a field with no text under it.
paths=$(kubectl explain kc --recursive | awk '
    /^FIELDS:/ { on = 1; next }
    on && match($0, /^ +/) {
        depth = RLENGTH / 2; split(substr($0, RLENGTH + 1), f, "\t")
        name[depth] = f[1]
        if (name[1] == "metadata") next
        if (f[2] ~ /Object>/) { p = "kc"; for (i = 1; i <= depth; i++) p = p "." name[i]; print p }
    }')
[ "$(wc -l <<<"$paths")" -ge 15 ] || fail "kubectl explain kc --recursive lists too few objects: $paths"
for p in kc $paths; do
    missing=$(kubectl explain "$p" | awk '
        /^FIELDS:/ { on = 1; next }
        !on { next }
        /^  [^ ]/ && !/^  enum:/ { if (field != "") print field; split(substr($0, 3), f, "\t"); field = f[1]; next }
        /^    [^ ]/ { field = "" }
        END { if (field != "") print field }')
    [ -z "$missing" ] || fail "kubectl explain $p: no description for: $(tr '\n' ' ' <<<"$missing")"
done
ok "kubectl explain describes every field ($(wc -w <<<"kc $paths") objects checked)"
