#!/usr/bin/env bash
# `make demo`: berth's main job, end to end, on a local ground of its own.
#
#  1. a real Kubernetes control plane (etcd, kube-apiserver,
#     kube-controller-manager, kube-scheduler) with 3 kwok nodes, and a real
#     3-broker Apache Kafka (KRaft) on loopback;
#  2. the CRD and RBAC from manifests/berth.yaml, berth-operator run on this
#     machine as the manifests' ServiceAccount (a token of it, nothing else),
#     and the sample cluster manifests/examples/kafka-nodeport.yaml;
#  3. each broker's external address as the operator publishes it;
#  4. a drain and restart of broker 1 with leadership counts before, during
#     and after, with berth-sidecar run beside each broker and berth-drain.
#
# kwok plays the kubelet: the sample cluster's pods are scheduled and reported
# Running, but no container runs. So step 4 runs on the local Kafka, whose
# brokers have the ids of the pods (demo-0..2), with the drain ledger and
# Lease the operator made for the sample cluster and the sidecar's own
# ServiceAccount. Everything started here stops on exit, Ctrl-C or failure.
#
# Environment: BERTH_DEMO_DIR (state, default /tmp/berth-demo), BERTH_BUILD
# (the built programs, default build/), and the ports: the ground's
# GROUND_*_PORT (tests/ground/lib.sh) and KAFKA_*_PORT_BASE (kafka.sh),
# BERTH_DEMO_HEALTH_PORT (the operator's /healthz and /readyz) and
# BERTH_DEMO_SIDECAR_PORT_BASE (sidecar i's /readyz on base + i). The
# defaults keep clear of the test ground's; all must stay below the kernel's
# ephemeral port range.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
ground="$here/ground"

state=${BERTH_DEMO_DIR:-/tmp/berth-demo}
build=${BERTH_BUILD:-$repo/build}
export BERTH_GROUND="$state"
export GROUND_ETCD_CLIENT_PORT=${GROUND_ETCD_CLIENT_PORT:-25791}
export GROUND_ETCD_PEER_PORT=${GROUND_ETCD_PEER_PORT:-25801}
export GROUND_APISERVER_PORT=${GROUND_APISERVER_PORT:-25443}
export GROUND_KCM_PORT=${GROUND_KCM_PORT:-25257}
export GROUND_SCHEDULER_PORT=${GROUND_SCHEDULER_PORT:-25259}
export GROUND_KWOK_PORT=${GROUND_KWOK_PORT:-25280}
export KAFKA_BROKER_PORT_BASE=${KAFKA_BROKER_PORT_BASE:-25092}
export KAFKA_CONTROLLER_PORT_BASE=${KAFKA_CONTROLLER_PORT_BASE:-25192}
export KAFKA_SASL_SSL=0
health_port=${BERTH_DEMO_HEALTH_PORT:-25281}
sidecar_base=${BERTH_DEMO_SIDECAR_PORT_BASE:-25180}
. "$ground/lib.sh"
. "$here/support/token_kubeconfig.sh"

ns=kafka           # the sample cluster's namespace
cluster=demo       # its name, from manifests/examples/kafka-nodeport.yaml
topic=berth-demo   # the topic whose leadership the drain moves
partitions=60
drained=1          # the broker drained and restarted
logs="$state/logs"
total=8
step_no=0
own=0              # 1 once the state directory is this run's
op_pid=""
sc_pids=("" "" "")
show_cluster=0     # 1: a failure also shows the sample cluster's state

step() {
    step_no=$((step_no + 1))
    printf '\n[%d/%d] %s\n' "$step_no" "$total" "$*"
}
say() { printf '      %s\n' "$*"; }
indent() { sed -u 's/^/      /'; }
die() {
    printf '\ndemo: FAILED in step %d: %s\n' "$step_no" "$*" >&2
    [ "$show_cluster" = 0 ] || cluster_state >&2
    exit 1
}
# cluster_state: what the sample cluster looks like, for a failure message.
cluster_state() {
    echo "    the sample cluster's objects and conditions:"
    kubectl get kc,statefulset,pods,pvc -n "$ns" -o wide 2>&1 | sed 's/^/    /'
    kubectl get kc "$cluster" -n "$ns" \
        -o jsonpath='{range .status.conditions[*]}{.type}={.status} {.reason}: {.message}{"\n"}{end}' 2>&1 |
        sed 's/^/    /'
}
# die_log LOG WHAT: fails with WHAT and the last lines of LOG.
die_log() {
    printf '\ndemo: FAILED in step %d: %s; the last lines of %s:\n' "$step_no" "$2" "$1" >&2
    tail -n 15 "$1" 2>/dev/null | sed 's/^/    /' >&2 || true
    exit 1
}

kubectl() { "$GROUND_BIN/kubectl" --kubeconfig "$GROUND_KUBECONFIG" --cache-dir "$state/cache" "$@"; }
kafka_tool() { bash "$ground/kafka.sh" tool "$@"; }

# stop_pid PID: SIGTERM, up to 15s for it to exit, then SIGKILL.
stop_pid() {
    local pid=$1
    [ -n "$pid" ] || return 0
    kill "$pid" 2>/dev/null || return 0
    for _ in $(seq 1 60); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
    kill -9 "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
}

cleanup() {
    local rc=$? i
    trap '' INT TERM
    exec 1>&8 2>&9
    [ "$own" = 1 ] || exit "$rc"
    echo
    echo "demo: stopping everything (sidecars, operator, Kafka, control plane)"
    for i in 0 1 2; do stop_pid "${sc_pids[$i]}"; done
    stop_pid "$op_pid"
    bash "$ground/kafka.sh" down >/dev/null 2>&1 || echo "demo: stopping Kafka failed" >&2
    bash "$ground/kube.sh" down >/dev/null 2>&1 || echo "demo: stopping the control plane failed" >&2
    if [ "$rc" = 0 ]; then
        rm -rf "$state"
    else
        rm -rf "$state/cache" "$state/run" "$state/demo.pid" "$state"/*.kubeconfig*
        echo "demo: logs kept in $logs" >&2
    fi
    echo "demo: stopped"
    exit "$rc"
}
# A signal can arrive while a function runs with its output redirected (the
# kubectl function with >/dev/null): the handlers write to the demo's own
# output, kept on fds 8 and 9, which no long-running child inherits.
exec 8>&1 9>&2
trap cleanup EXIT
trap 'exec 1>&8 2>&9; echo; echo "demo: interrupted"; exit 130' INT TERM

# port_free PORT: nothing listens on 127.0.0.1:PORT (or on every address).
port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# wait_until SECONDS WHAT CMD...: polls CMD until it succeeds; fails the demo
# naming WHAT if it does not within SECONDS, or if the operator dies.
wait_until() {
    local secs=$1 what=$2 deadline
    shift 2
    deadline=$((SECONDS + secs))
    until "$@" >/dev/null 2>&1; do
        if [ -n "$op_pid" ] && ! kill -0 "$op_pid" 2>/dev/null; then
            die_log "$logs/operator.log" "berth-operator exited while waiting for $what"
        fi
        ((SECONDS < deadline)) || die "$what: still not the case after ${secs}s"
        sleep 0.5
    done
}

# leaders: "broker 0: N  broker 1: N  broker 2: N", the partitions of the
# topic each broker leads, from Kafka's own TopicCommand.
leaders() {
    local out
    out=$(kafka_tool org.apache.kafka.tools.TopicCommand --bootstrap-server "$bootstrap" \
        --describe --topic "$topic" 2>&1) || { echo "$out" >&2; return 1; }
    awk '{ for (i = 1; i < NF; i++) if ($i == "Leader:") n[$(i + 1)]++ }
        END { printf "broker 0: %d  broker 1: %d  broker 2: %d\n", n[0], n[1], n[2] }' <<<"$out"
}

# short "broker 0: A  broker 1: B  broker 2: C": "A/B/C".
short() { awk '{ print $3 "/" $6 "/" $9 }' <<<"$1"; }

sidecar_ready() { curl -sf "http://127.0.0.1:$((sidecar_base + $1))/readyz"; }
sidecar_why() {
    curl -s "http://127.0.0.1:$((sidecar_base + $1))/readyz" 2>/dev/null | head -1 || true
}

# start_sidecar I: berth-sidecar run beside broker I, as pod demo-I would run
# it, with the sidecar ServiceAccount's kubeconfig.
start_sidecar() {
    local i=$1
    POD_NAMESPACE=$ns "$build/berth-sidecar" run --pod-name "$cluster-$i" \
        --broker "127.0.0.1:$((KAFKA_BROKER_PORT_BASE + i))" \
        --http-addr 127.0.0.1 --http-port "$((sidecar_base + i))" \
        --socket "$state/run/$cluster-$i.sock" --probe-interval 1000 \
        --kubeconfig "$state/sidecar.kubeconfig" >>"$logs/sidecar-$i.log" 2>&1 8>&- 9>&- &
    sc_pids[i]=$!
}

# wait_sidecar_ready I SECONDS: until sidecar I's /readyz says 200, printing
# each new reason it gives meanwhile.
wait_sidecar_ready() {
    local i=$1 deadline=$((SECONDS + $2)) why last=""
    until sidecar_ready "$i" >/dev/null 2>&1; do
        kill -0 "${sc_pids[$i]}" 2>/dev/null ||
            die_log "$logs/sidecar-$i.log" "berth-sidecar run for broker $i exited"
        ((SECONDS < deadline)) || die "sidecar $i: /readyz not 200 after $2s: $(sidecar_why "$i")"
        why=$(sidecar_why "$i")
        if [ -n "$why" ] && [ "$why" != "$last" ] && [[ "$why" != *"not checked yet"* ]]; then
            say "sidecar $i /readyz: $why"
            last=$why
        fi
        sleep 0.5
    done
    say "sidecar $i /readyz: ready"
}

echo "berth demo: the operator and the drain on a local Kubernetes control plane and a local Kafka"
echo "state and logs: $state"

step "checks: programs, state directory, free ports"
for p in berth-operator berth-sidecar berth-drain; do
    [ -x "$build/$p" ] || die "$build/$p is missing: run make all (make demo does)"
done
for c in curl java jq openssl; do
    command -v "$c" >/dev/null || die "$c is not installed: run make deps (make demo does)"
done
if [ -f "$state/demo.pid" ] && kill -0 "$(cat "$state/demo.pid")" 2>/dev/null; then
    die "a demo is already running in $state (pid $(cat "$state/demo.pid")); stop it first, or set BERTH_DEMO_DIR"
fi
eph=$(cut -f1 /proc/sys/net/ipv4/ip_local_port_range 2>/dev/null || echo 32768)
ports=("etcd client:$GROUND_ETCD_CLIENT_PORT" "etcd peer:$GROUND_ETCD_PEER_PORT"
    "kube-apiserver:$GROUND_APISERVER_PORT" "kube-controller-manager:$GROUND_KCM_PORT"
    "kube-scheduler:$GROUND_SCHEDULER_PORT" "kwok:$GROUND_KWOK_PORT"
    "berth-operator health:$health_port")
for i in 0 1 2; do
    ports+=("Kafka broker $i:$((KAFKA_BROKER_PORT_BASE + i))"
        "Kafka controller $i:$((KAFKA_CONTROLLER_PORT_BASE + i))"
        "berth-sidecar $i:$((sidecar_base + i))")
done
seen=" "
for entry in "${ports[@]}"; do
    what=${entry%:*} port=${entry##*:}
    [[ "$port" =~ ^[0-9]+$ ]] && ((port > 1023 && port < eph)) ||
        die "port $port ($what) must be a number from 1024 to $((eph - 1)), below the kernel's ephemeral range"
    [[ "$seen" != *" $port "* ]] || die "port $port ($what) is given twice"
    seen+="$port "
    port_free "$port" ||
        die "port $port ($what) is taken: something already listens on 127.0.0.1:$port; stop it or choose other ports (see tests/demo.sh)"
done
# Left over from a demo that was killed (SIGKILL): stop what it started.
if [ -d "$state/kube" ] || [ -d "$state/kafka" ]; then
    say "cleaning up after an earlier demo in $state that did not stop"
    bash "$ground/kafka.sh" down >/dev/null 2>&1 || true
    bash "$ground/kube.sh" down >/dev/null 2>&1 || true
fi
rm -rf "$state"
mkdir -p "$logs" "$state/run"
own=1
echo $$ >"$state/demo.pid"
say "ports free: $(tr -s ' ' <<<"$seen" | sed 's/^ //; s/ $//; s/ /, /g')"

step "local Kubernetes control plane and Kafka (both real, on 127.0.0.1)"
say "starting etcd, kube-apiserver, kube-controller-manager, kube-scheduler and kwok"
bash "$ground/kube.sh" up >"$logs/kube-up.log" 2>&1 8>&- 9>&- || die_log "$logs/kube-up.log" "starting the control plane failed"
say "$(bash "$ground/kube.sh" versions | paste -sd, | sed 's/,/, /g')"
say "3 kwok nodes (kwok plays their kubelet; no container ever runs on them):"
kubectl get nodes \
    -o custom-columns='NAME:.metadata.name,EXTERNAL-IP:.status.addresses[?(@.type=="ExternalIP")].address,ZONE:.metadata.labels.topology\.kubernetes\.io/zone,READY:.status.conditions[?(@.type=="Ready")].status' |
    indent
say "starting Apache Kafka $(bash "$ground/kafka.sh" version): 3 KRaft brokers (ids 0-2), real JVMs on this machine"
bash "$ground/kafka.sh" up 3 >"$logs/kafka-up.log" 2>&1 8>&- 9>&- || die_log "$logs/kafka-up.log" "starting Kafka failed"
bootstrap=$(bash "$ground/kafka.sh" bootstrap)
say "Kafka bootstrap: $bootstrap"

step "install: the CRD and RBAC from manifests/berth.yaml"
# Everything but the operator's Deployment: its pod would land on a kwok
# node, where nothing runs; the operator runs on this machine instead.
awk '/^---$/ { if (doc !~ /(^|\n)kind: Deployment\n/) printf "%s---\n", doc; doc = ""; next }
     { doc = doc $0 "\n" }
     END { if (doc !~ /(^|\n)kind: Deployment\n/) printf "%s", doc }' \
    "$repo/manifests/berth.yaml" >"$state/install.yaml"
out=$(kubectl apply -f "$state/install.yaml" 2>&1) || die "kubectl apply of manifests/berth.yaml failed: $out"
indent <<<"$out"
kubectl wait --for=condition=Established --timeout=60s crd/kafkaclusters.berth.io >/dev/null 2>&1 ||
    die "the KafkaCluster CRD is not Established"
say "crd/kafkaclusters.berth.io is Established"

step "berth-operator, run here as ServiceAccount berth-system/berth-operator"
token_kubeconfig berth-operator berth-system "$state/operator.kubeconfig" 2>"$logs/token.log" ||
    die_log "$logs/token.log" "no token for the operator's ServiceAccount"
"$build/berth-operator" --kubeconfig "$state/operator.kubeconfig" --leader-elect \
    --metrics-addr 0 --health-addr "127.0.0.1:$health_port" --log-format text \
    >"$logs/operator.log" 2>&1 8>&- 9>&- &
op_pid=$!
wait_until 60 "berth-operator's /readyz" curl -sf "http://127.0.0.1:$health_port/readyz"
holder() { [ -n "$(kubectl get lease berth-operator -n berth-system -o jsonpath='{.spec.holderIdentity}')" ]; }
wait_until 60 "berth-operator holding its leader Lease" holder
say "pid $op_pid, token from kubectl create token; /readyz 200; it holds Lease berth-system/berth-operator"
say "log: $logs/operator.log"

step "the sample cluster: manifests/examples/kafka-nodeport.yaml in namespace $ns"
kubectl create namespace "$ns" >/dev/null || die "cannot create namespace $ns"
show_cluster=1
# This control plane has no storage provisioner: one PersistentVolume per
# broker, bound ahead to the claim the StatefulSet will make. Nothing is
# ever written there (kwok runs no container).
for i in 0 1 2; do
    kubectl apply -f - >/dev/null <<EOF || die "cannot create PersistentVolume $ns-data-$cluster-$i"
apiVersion: v1
kind: PersistentVolume
metadata: {name: $ns-data-$cluster-$i}
spec:
  capacity: {storage: 10Gi}
  accessModes: [ReadWriteOnce]
  persistentVolumeReclaimPolicy: Retain
  storageClassName: ""
  hostPath: {path: $state/volumes/$cluster-$i}
  claimRef: {namespace: $ns, name: data-$cluster-$i}
EOF
done
say "3 PersistentVolumes made for the brokers' claims (no storage provisioner here)"
out=$(kubectl apply -n "$ns" -f "$repo/manifests/examples/kafka-nodeport.yaml" 2>&1) ||
    die "the sample KafkaCluster was refused: $out"
indent <<<"$out"
observed() {
    local g o
    g=$(kubectl get kc "$cluster" -n "$ns" -o jsonpath='{.metadata.generation}')
    o=$(kubectl get kc "$cluster" -n "$ns" -o jsonpath='{.status.observedGeneration}')
    [ -n "$g" ] && [ "$g" = "$o" ]
}
wait_until 60 "status.observedGeneration of $ns/$cluster" observed
objects=("statefulset/$cluster" "service/$cluster-brokers" "service/$cluster-bootstrap"
    "service/$cluster-0-external" "service/$cluster-1-external" "service/$cluster-2-external"
    "configmap/$cluster-brokers" "configmap/$cluster-drain" "lease.coordination.k8s.io/$cluster-drain"
    "poddisruptionbudget.policy/$cluster" "serviceaccount/$cluster-sidecar")
for o in "${objects[@]}"; do
    wait_until 60 "$o in namespace $ns" kubectl get "$o" -n "$ns"
done
addresses() {
    [ "$(kubectl get kc "$cluster" -n "$ns" \
        -o jsonpath='{range .status.brokers[*]}{.listeners.external}{"\n"}{end}' | grep -c :)" -eq 3 ]
}
wait_until 90 "an external address for each of the 3 brokers in the status" addresses
all_ready() { [ "$(kubectl get kc "$cluster" -n "$ns" -o jsonpath='{.status.readyReplicas}')" = 3 ]; }
wait_until 60 "status.readyReplicas 3 (kwok reports the pods Ready)" all_ready
say "reconciled (status.observedGeneration = metadata.generation); what the operator made:"
kubectl get statefulsets,services,configmaps,leases,poddisruptionbudgets,serviceaccounts,roles,rolebindings \
    -n "$ns" -l app.kubernetes.io/managed-by=berth-operator -o name | sed 's/\.[a-z.]*\.k8s\.io//; s/\.apps//; s/\.policy//' |
    awk '{ printf "%-30s%s", $0, NR % 3 ? "" : "\n" } END { if (NR % 3) print "" }' | indent
say "pods (kwok: scheduled and shown Running, but no broker process runs in them):"
kubectl get pods -n "$ns" \
    -o custom-columns='NAME:.metadata.name,PHASE:.status.phase,READY:.status.conditions[?(@.type=="Ready")].status,NODE:.spec.nodeName' |
    indent

show_cluster=0

step "each broker's external address, as a client outside the cluster uses it"
kubectl get kc -n "$ns" | indent
# The same address twice: as the operator reports it in the status, and
# as a broker's init step computes it from the <c>-brokers ConfigMap (its
# node's address from nodes.json, its node port from brokers.json).
status=$(kubectl get kc "$cluster" -n "$ns" -o json) || die "cannot read $ns/$cluster"
cm=$(kubectl get configmap "$cluster-brokers" -n "$ns" -o json) || die "cannot read configmap $cluster-brokers"
for i in 0 1 2; do
    read -r pod node addr < <(jq -r --argjson i "$i" \
        '.status.brokers[] | select(.id == $i) | "\(.pod) \(.node) \(.listeners.external)"' <<<"$status")
    from_cm=$(jq -r --arg n "$node" --arg i "$i" \
        '(.data["nodes.json"] | fromjson)[$n].addresses.external + ":" +
         ((.data["brokers.json"] | fromjson)[$i].external.port | tostring)' <<<"$cm")
    [ "$from_cm" = "$addr" ] ||
        die "broker $i: the status says $addr but the ConfigMap gives $from_cm"
    say "broker $i  pod $pod on $node  advertises $addr"
done
ext=$(jq -r '.status.bootstrap.external | join(",")' <<<"$status")
say "bootstrap for outside clients: $ext"
say "(the status and configmap/$cluster-brokers agree: node ExternalIP + node port $(jq -r '(.data["brokers.json"] | fromjson) | [.[].external.port] | map(tostring) | join("/")' <<<"$cm"))"
say "(203.0.113.0/24 is a documentation range: the kwok nodes' addresses are data, nothing listens there)"

step "drain and restart broker $drained on the local Kafka (real brokers; the pods above are kwok's)"
token_kubeconfig "$cluster-sidecar" "$ns" "$state/sidecar.kubeconfig" 2>"$logs/token.log" ||
    die_log "$logs/token.log" "no token for the sidecar's ServiceAccount $ns/$cluster-sidecar"
out=$(kafka_tool org.apache.kafka.tools.TopicCommand --bootstrap-server "$bootstrap" --create \
    --topic "$topic" --partitions "$partitions" --replication-factor 3 2>&1) ||
    die "creating topic $topic failed: $out"
say "topic $topic: $partitions partitions, replication factor 3 (Kafka's TopicCommand)"
say "berth-sidecar run beside each broker, as ServiceAccount $ns/$cluster-sidecar (ledger configmap/$cluster-drain, Lease $cluster-drain)"
for i in 0 1 2; do start_sidecar "$i"; done
for i in 0 1 2; do wait_sidecar_ready "$i" 120; done
before=$(leaders) || die "reading the leaders of $topic failed"
say "leaders before: $before"
say "berth-drain for broker $drained (what its pod's preStop hook runs):"
"$build/berth-drain" --socket "$state/run/$cluster-$drained.sock" --timeout 120 2>&1 | sed -u 's/^/        /' ||
    die_log "$logs/sidecar-$drained.log" "the drain of broker $drained failed"
during=$(leaders) || die "reading the leaders of $topic failed"
say "leaders during: $during"
grep -q "broker $drained: 0 " <<<"$during " || die "broker $drained still leads partitions after its drain: $during"
say "stopping broker $drained (SIGTERM, as Kubernetes does after the preStop hook), then its sidecar"
bash "$ground/kafka.sh" stop-broker "$drained" >>"$logs/kafka-restart.log" 2>&1 ||
    die_log "$logs/kafka-restart.log" "stopping broker $drained failed"
stop_pid "${sc_pids[$drained]}"
sc_pids[drained]=""
say "starting broker $drained again, and a new sidecar beside it (the new pod's)"
bash "$ground/kafka.sh" start-broker "$drained" >>"$logs/kafka-restart.log" 2>&1 8>&- 9>&- ||
    die_log "$logs/kafka-restart.log" "starting broker $drained again failed"
start_sidecar "$drained"
say "its /readyz turns 200 once the broker is back in every ISR and has its leadership back (restore):"
wait_sidecar_ready "$drained" 180
grep -h "restore of broker" "$logs/sidecar-$drained.log" | tail -1 | sed "s/^[^ ]* [a-z]* *//; s/^/      sidecar $drained log: /" || true
after=$(leaders) || die "reading the leaders of $topic failed"
say "leaders after:  $after"
[ "$after" = "$before" ] || die "leadership after the restart ($after) differs from before ($before)"

step "summary"
say "real: etcd, kube-apiserver, controller-manager, scheduler; berth-operator and berth-sidecar (this build); Apache Kafka (3 JVMs)"
say "kwok: the 3 nodes and the broker pods on them (no containers)"
say "berth-operator reconciled $ns/$cluster with the manifests' RBAC; outside clients bootstrap from $ext"
say "partitions of $topic led by brokers 0/1/2: before $(short "$before"), during the drain of broker $drained $(short "$during"), after its restart $(short "$after")"
echo
echo "demo: done"
