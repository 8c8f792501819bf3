#!/usr/bin/env bash
# `make demo`: berth's main job, end to end, on real pods, on a local ground
# of its own:
#
#  1. checks: root (the node is real), programs, free ports and network;
#  2. berth's images and the ground's Kafka broker image (tools/images.sh),
#     a real Kubernetes control plane (etcd, kube-apiserver,
#     kube-controller-manager, kube-scheduler) and one real node (kubelet,
#     containerd, runc, CNI, kube-proxy, CoreDNS: tests/ground/node.sh) that
#     has the images loaded;
#  3. berth installed as a user installs it, kubectl apply -f
#     manifests/berth.yaml: the operator runs as a pod on the node;
#  4. the sample cluster manifests/examples/kafka-nodeport.yaml, with only
#     its image swapped for the ground's broker image: 3 broker pods, each
#     with berth's sidecar;
#  5. a client outside the cluster (Kafka's own tools on this machine)
#     bootstraps through the node address and node ports the KafkaCluster's
#     status gives, sees each broker there, produces and consumes;
#  6. a drained restart of a real pod, kubectl delete pod demo-1: its
#     preStop drain moves leadership off broker 1 before SIGTERM, and the
#     new pod turns Ready once broker 1 is back in every ISR and leads what
#     it led before;
#  7. a summary. Everything started here stops on exit, Ctrl-C or failure,
#     and nothing of it is left on the machine.
#
# Environment: BERTH_DEMO_DIR (state, default /tmp/berth-demo),
# BERTH_DEMO_IMAGES (the image archives, kept between runs so an unchanged
# image is not written again), the control plane's ports GROUND_*_PORT
# (tests/ground/lib.sh) and the node's bridge and networks GROUND_NODE_BRIDGE,
# GROUND_NODE_NET, GROUND_NODE_POD_NET. The defaults keep clear of the
# integration ground's and the e2e ground's, so the demo runs beside both;
# the ports must stay below the kernel's ephemeral port range.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
ground="$here/ground"

state=${BERTH_DEMO_DIR:-/tmp/berth-demo}
export BERTH_GROUND="$state"
export GROUND_ETCD_CLIENT_PORT=${GROUND_ETCD_CLIENT_PORT:-25791}
export GROUND_ETCD_PEER_PORT=${GROUND_ETCD_PEER_PORT:-25801}
export GROUND_APISERVER_PORT=${GROUND_APISERVER_PORT:-25443}
export GROUND_KCM_PORT=${GROUND_KCM_PORT:-25257}
export GROUND_SCHEDULER_PORT=${GROUND_SCHEDULER_PORT:-25259}
export GROUND_KWOK_PORT=${GROUND_KWOK_PORT:-25280}
export GROUND_REAL_NODES=1 GROUND_KWOK_NODES=0
export GROUND_NODE_BRIDGE=${GROUND_NODE_BRIDGE:-berth-demo0}
export GROUND_NODE_NET=${GROUND_NODE_NET:-172.31.0}
export GROUND_NODE_POD_NET=${GROUND_NODE_POD_NET:-10.246}
. "$ground/lib.sh"
images=${BERTH_DEMO_IMAGES:-$GROUND_CACHE/images/demo}

ns=kafka           # the sample cluster's namespace
cluster=demo       # its name, from manifests/examples/kafka-nodeport.yaml
op_ns=berth-system # the operator's, from manifests/berth.yaml
topic=berth-demo   # the topic whose leadership the drain moves
partitions=60
drained=1          # the broker whose pod is deleted
pod="$cluster-$drained"
logs="$state/logs"
total=7
step_no=0
step_t0=$SECONDS
times=()           # "what: N s" per main step, for the summary
own=0              # 1 once the state directory is this run's
followers=()       # background kubectl logs -f
show=""            # what a failure shows besides its message: operator, cluster

step() {
    step_no=$((step_no + 1))
    step_t0=$SECONDS
    printf '\n[%d/%d] %s\n' "$step_no" "$total" "$*"
}
# took WHAT: records how long the current step has taken so far, as WHAT.
took() { times+=("$1 $((SECONDS - step_t0)) s"); }
say() { printf '      %s\n' "$*"; }
indent() { sed -u 's/^/      /'; }
die() {
    printf '\ndemo: FAILED in step %d: %s\n' "$step_no" "$*" >&2
    case "$show" in
    operator) operator_state >&2 ;;
    cluster) cluster_state >&2 ;;
    esac
    exit 1
}
# die_log LOG WHAT: fails with WHAT and the last lines of LOG.
die_log() {
    printf '\ndemo: FAILED in step %d: %s; the last lines of %s:\n' "$step_no" "$2" "$1" >&2
    tail -n 15 "$1" 2>/dev/null | sed 's/^/    /' >&2 || true
    exit 1
}
# operator_state, cluster_state: what the operator's pod or the sample
# cluster looks like, for a failure message.
operator_state() {
    echo "    the operator's pods and recent events in $op_ns:"
    kubectl get deployment,pods -n "$op_ns" -o wide 2>&1 | sed 's/^/    /'
    kubectl get events -n "$op_ns" --sort-by=.lastTimestamp 2>&1 | tail -8 | sed 's/^/    /'
}
cluster_state() {
    echo "    the sample cluster's objects, conditions and recent events:"
    kubectl get kc,statefulset,pods,pvc -n "$ns" -o wide 2>&1 | sed 's/^/    /'
    kubectl get kc "$cluster" -n "$ns" \
        -o jsonpath='{range .status.conditions[*]}{.type}={.status} {.reason}: {.message}{"\n"}{end}' 2>&1 |
        sed 's/^/    /'
    kubectl get events -n "$ns" --sort-by=.lastTimestamp 2>&1 | tail -8 | sed 's/^/    /'
}

kubectl() { "$GROUND_BIN/kubectl" --kubeconfig "$GROUND_KUBECONFIG" --cache-dir "$state/cache" "$@"; }
kafka_tool() { bash "$ground/kafka.sh" tool "$@"; }

# leftovers: what of the demo's ground is still on this machine (processes
# with the state directory in their command line, mounts, cgroups, network
# namespaces, interfaces), one line each; nothing when all is gone.
leftovers() {
    local b=$GROUND_NODE_BRIDGE
    pgrep -af -- "$state/" | sed 's/^/process /' || true
    grep -F -e "$state/" -e "/run/netns/$b-" /proc/self/mountinfo | awk '{ print "mount " $5 }' || true
    find /sys/fs/cgroup/ -mindepth 2 -maxdepth 2 -name "$b-node-*" 2>/dev/null | sed 's/^/cgroup /'
    ip netns list 2>/dev/null | awk -v p="$b-" 'index($1, p) == 1 { print "network namespace " $1 }'
    ip -o link show 2>/dev/null | awk -F': ' -v b="$b" '{ sub(/@.*/, "", $2) }
        $2 == b || index($2, b "-") == 1 { print "interface " $2 }'
}

cleanup() {
    local rc=$? pid left t_stop=$SECONDS
    set +e
    trap '' INT TERM
    exec 1>&8 2>&9
    [ "$own" = 1 ] || exit "$rc"
    echo
    echo "demo: stopping everything (the node with its pods, the control plane)"
    for pid in "${followers[@]}"; do kill "$pid" 2>/dev/null || true; done
    if [ "$rc" != 0 ]; then
        # The ground's own logs go with it: keep a copy with the demo's.
        mkdir -p "$logs/kube"
        cp -r "$state/node/n0/logs" "$logs/node-0" 2>/dev/null || true
        cp "$state/kube/"*.log "$logs/kube/" 2>/dev/null || true
        rm -f "$logs/kube/audit.log"
    fi
    bash "$ground/node.sh" down >"$logs/node-down.log" 2>&1 ||
        echo "demo: stopping the node failed: $(tail -3 "$logs/node-down.log")" >&2
    bash "$ground/kube.sh" down >"$logs/kube-down.log" 2>&1 ||
        echo "demo: stopping the control plane failed: $(tail -3 "$logs/kube-down.log")" >&2
    for pid in "${followers[@]}"; do wait "$pid" 2>/dev/null || true; done
    for _ in $(seq 1 20); do
        left=$(leftovers)
        [ -z "$left" ] && break
        sleep 0.5
    done
    if [ -n "$left" ]; then
        echo "demo: left on this machine:" >&2
        printf '    %s\n' "${left//$'\n'/$'\n    '}" >&2
        [ "$rc" != 0 ] || rc=1
    fi
    if [ "$rc" = 0 ]; then
        rm -rf "$state"
    else
        rm -rf "$state/cache" "$state/demo.pid"
        echo "demo: logs kept in $logs" >&2
    fi
    if [ -z "$left" ]; then
        echo "demo: stopped in $((SECONDS - t_stop)) s; nothing of it is left (no process, mount, cgroup, network namespace or interface)"
    else
        echo "demo: stopped in $((SECONDS - t_stop)) s"
    fi
    exit "$rc"
}
# A signal can arrive while a function runs with its output redirected: the
# handlers write to the demo's own output, kept on fds 8 and 9, which no
# long-running child inherits.
exec 8>&1 9>&2
trap cleanup EXIT
trap 'exec 1>&8 2>&9; echo; echo "demo: interrupted"; exit 130' INT TERM

# port_free PORT: nothing listens on 127.0.0.1:PORT (or on every address).
port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# wait_until SECONDS WHAT CMD...: polls CMD until it succeeds; fails the demo
# naming WHAT if it does not within SECONDS.
wait_until() {
    local secs=$1 what=$2 deadline
    shift 2
    deadline=$((SECONDS + secs))
    until "$@" >/dev/null 2>&1; do
        ((SECONDS < deadline)) || die "$what: still not the case after ${secs}s"
        sleep 1
    done
}

# leaders: "broker 0: N  broker 1: N  broker 2: N", the partitions of the
# topic each broker leads, from Kafka's own TopicCommand run as an outside
# client through the node ports.
leaders() {
    local out
    out=$(kafka_tool org.apache.kafka.tools.TopicCommand --bootstrap-server "$bootstrap" \
        --describe --topic "$topic" 2>&1) || { echo "$out" >&2; return 1; }
    awk '{ for (i = 1; i < NF; i++) if ($i == "Leader:") n[$(i + 1)]++ }
        END { printf "broker 0: %d  broker 1: %d  broker 2: %d\n", n[0], n[1], n[2] }' <<<"$out"
}

# short "broker 0: A  broker 1: B  broker 2: C": "A/B/C".
short() { awk '{ print $3 "/" $6 "/" $9 }' <<<"$1"; }

# follow POD CONTAINER FILE: kubectl logs -f of the container into FILE, in
# the background, so its lines outlive the pod.
follow() {
    kubectl logs -f --timestamps "$1" -n "$ns" -c "$2" >"$3" 2>&1 </dev/null 8>&- 9>&- &
    followers+=($!)
}

# ms_of RFC3339: milliseconds since the epoch.
ms_of() { date -d "$1" +%s%3N; }

# first_time FILE ERE: the kubectl timestamp (ms) of FILE's first line that
# matches ERE, or nothing.
first_time() {
    local t
    t=$(grep -m1 -E -- "$2" "$1" 2>/dev/null | cut -d' ' -f1)
    [ -z "$t" ] || ms_of "$t"
}

# pod_state OLD_UID: where pod $pod is, seen from outside: "terminating"
# (the deleted pod, OLD_UID), "gone" (no pod), "ready" (a new pod, Ready),
# or the new pod's progress.
pod_state() {
    local out uid phase ready sc br
    out=$(kubectl get pod "$pod" -n "$ns" -o jsonpath='{.metadata.uid}|{.status.phase}|{.status.conditions[?(@.type=="Ready")].status}|{.status.initContainerStatuses[?(@.name=="sidecar")].started}|{.status.containerStatuses[?(@.name=="broker")].state.running.startedAt}' 2>/dev/null) ||
        { echo gone; return; }
    IFS='|' read -r uid phase ready sc br <<<"$out"
    if [ -z "$uid" ]; then
        echo gone
    elif [ "$uid" = "$1" ]; then
        echo terminating
    elif [ "$ready" = True ]; then
        echo ready
    elif [ -n "$br" ]; then
        echo "new pod: broker running, not Ready (its sidecar waits for broker $drained to be in every ISR and lead its partitions again)"
    elif [ "$sc" = true ]; then
        echo "new pod: sidecar running (it rendered the broker's config), broker starting"
    else
        echo "new pod: ${phase:-Pending}"
    fi
}

echo "berth demo: the operator and a drained restart on real pods, on a local Kubernetes ground"
echo "state and logs: $state"

step "checks: root, programs, state directory, free ports and network"
[ "$(id -u)" = 0 ] ||
    die "the demo needs root: its Kubernetes node is real (kubelet, containerd and runc in namespaces of their own, with mounts, cgroups and a network bridge). Run it as root, e.g. sudo make demo"
for c in buildah containerd containerd-shim-runc-v2 runc ctr ip iptables nsenter unshare curl java jq openssl; do
    command -v "$c" >/dev/null || die "$c is not installed: run make deps (make demo does)"
done
if [ -f "$state/demo.pid" ] && kill -0 "$(cat "$state/demo.pid")" 2>/dev/null; then
    die "a demo is already running in $state (pid $(cat "$state/demo.pid")); stop it first, or set BERTH_DEMO_DIR"
fi
eph=$(cut -f1 /proc/sys/net/ipv4/ip_local_port_range 2>/dev/null || echo 32768)
ports=("etcd client:$GROUND_ETCD_CLIENT_PORT" "etcd peer:$GROUND_ETCD_PEER_PORT"
    "kube-apiserver:$GROUND_APISERVER_PORT" "kube-controller-manager:$GROUND_KCM_PORT"
    "kube-scheduler:$GROUND_SCHEDULER_PORT" "kwok:$GROUND_KWOK_PORT")
seen=" "
for entry in "${ports[@]}"; do
    what=${entry%:*} port=${entry##*:}
    if ! [[ "$port" =~ ^[0-9]+$ ]] || ((port < 1024 || port >= eph)); then
        die "port $port ($what) must be a number from 1024 to $((eph - 1)), below the kernel's ephemeral range"
    fi
    [[ "$seen" != *" $port "* ]] || die "port $port ($what) is given twice"
    seen+="$port "
    port_free "$port" ||
        die "port $port ($what) is taken: something already listens on 127.0.0.1:$port; stop it or choose other ports (see tests/demo.sh)"
done
# Left over from a demo that was killed (SIGKILL): stop what it started.
if [ -d "$state/kube" ] || [ -d "$state/node" ]; then
    say "cleaning up after an earlier demo in $state that did not stop"
    bash "$ground/node.sh" down >/dev/null 2>&1 || true
    bash "$ground/kube.sh" down >/dev/null 2>&1 || true
fi
! ip link show "$GROUND_NODE_BRIDGE" >/dev/null 2>&1 ||
    die "network interface $GROUND_NODE_BRIDGE exists: another ground uses it; stop that one or set GROUND_NODE_BRIDGE (see tests/demo.sh)"
taken=$(ip -o -4 addr show | awk -v n="$GROUND_NODE_NET." -v p="$GROUND_NODE_POD_NET." \
    'index($4, n) == 1 || index($4, p) == 1 { print $2 " " $4; exit }')
[ -z "$taken" ] ||
    die "network $GROUND_NODE_NET.0/24 or $GROUND_NODE_POD_NET.0.0/16 is in use here ($taken); set GROUND_NODE_NET and GROUND_NODE_POD_NET (see tests/demo.sh)"
rm -rf "$state"
mkdir -p "$logs"
own=1
echo $$ >"$state/demo.pid"
say "root; ports free: $(tr -s ' ' <<<"$seen" | sed 's/^ //; s/ $//; s/ /, /g')"
say "node network: bridge $GROUND_NODE_BRIDGE, node $GROUND_NODE_NET.10, pods $GROUND_NODE_POD_NET.0.0/24"

step "images and the ground: a real control plane and a real node"
say "building berth's images and the ground's Kafka broker image (tools/images.sh; unchanged layers come from buildah's cache)"
names=$(bash "$repo/tools/images.sh" build 2>"$logs/images.log" 8>&- 9>&-) ||
    die_log "$logs/images.log" "building the images failed"
bash "$repo/tools/images.sh" save "$images" >/dev/null 2>>"$logs/images.log" 8>&- 9>&- ||
    die_log "$logs/images.log" "saving the images into $images failed"
op_image=$(grep -m1 '^localhost/berth-operator:' <<<"$names") || die "tools/images.sh built no operator image: $names"
broker_image=$(grep -m1 '^localhost/berth-kafka:' <<<"$names") || die "tools/images.sh built no broker image: $names"
want=$(sed -n 's/^ *image: \(localhost\/berth-operator:.*\)$/\1/p' "$repo/manifests/berth.yaml" | head -1)
[ "$want" = "$op_image" ] ||
    die "manifests/berth.yaml runs '$want', but tools/images.sh built $op_image (is BERTH_IMAGE_TAG set?)"
while read -r n; do
    say "  $n  $(buildah images --format '{{.Size}}' "$n" 2>/dev/null | head -1)"
done <<<"$names"
say "saved as archives in $images"
took images
t0=$SECONDS
say "starting etcd, kube-apiserver, kube-controller-manager and kube-scheduler (no kwok nodes)"
bash "$ground/kube.sh" up >"$logs/kube-up.log" 2>&1 8>&- 9>&- || die_log "$logs/kube-up.log" "starting the control plane failed"
say "$(bash "$ground/kube.sh" versions | grep -v '^kwok' | paste -sd, | sed 's/,/, /g')"
say "starting a real node: containerd, kubelet, kube-proxy, CoreDNS in namespaces of their own, the images loaded into its containerd"
GROUND_IMAGES="$images" bash "$ground/node.sh" up 1 >"$logs/node-up.log" 2>&1 8>&- 9>&- ||
    die_log "$logs/node-up.log" "starting the node failed"
times+=("control plane and node $((SECONDS - t0)) s")
kubectl get nodes -o wide | indent
node_ip=$(bash "$ground/node.sh" ip 0)
say "its images: $(bash "$ground/node.sh" ctr 0 images ls -q 2>/dev/null | grep '^localhost/' | paste -sd' ' || true)"

step "install berth as a user would: kubectl apply -f manifests/berth.yaml"
show=operator
out=$(kubectl apply -f "$repo/manifests/berth.yaml" 2>&1) || die "kubectl apply of manifests/berth.yaml failed: $out"
indent <<<"$out"
available() {
    [ "$(kubectl get deployment berth-operator -n "$op_ns" \
        -o jsonpath='{.status.conditions[?(@.type=="Available")].status}')" = True ]
}
wait_until 120 "deployment/berth-operator Available" available
holder() { kubectl get lease berth-operator -n "$op_ns" -o jsonpath='{.spec.holderIdentity}' 2>/dev/null; }
has_holder() { [ -n "$(holder)" ]; }
wait_until 60 "berth-operator holding its leader Lease" has_holder
kubectl get pods -n "$op_ns" \
    -o custom-columns='NAME:.metadata.name,READY:.status.conditions[?(@.type=="Ready")].status,STATUS:.status.phase,NODE:.spec.nodeName,IP:.status.podIP,IMAGE:.spec.containers[0].image' |
    indent
say "deployment/berth-operator is Available; its pod holds Lease $op_ns/berth-operator as $(holder)"
took "install (operator Ready)"
show=""

step "the sample cluster: manifests/examples/kafka-nodeport.yaml in namespace $ns"
kubectl create namespace "$ns" >/dev/null || die "cannot create namespace $ns"
show=cluster
example_image=$(sed -n 's/^  image: //p' "$repo/manifests/examples/kafka-nodeport.yaml")
say "spec.image $example_image -> $broker_image, nothing else changed: $example_image cannot be"
say "pulled here (no registry), and the ground's broker image is laid out the same way"
out=$(sed "s#^\(  image: \).*#\1$broker_image#" "$repo/manifests/examples/kafka-nodeport.yaml" |
    kubectl apply -n "$ns" -f - 2>&1) || die "the sample KafkaCluster was refused: $out"
indent <<<"$out"
say "waiting for 3 Ready brokers (each pod: berth-sidecar init renders the broker's config, then Kafka starts)"
ready_n() { kubectl get sts "$cluster" -n "$ns" -o jsonpath='{.status.readyReplicas}' 2>/dev/null; }
kc_ready() {
    [ "$(kubectl get kc "$cluster" -n "$ns" -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}')" = True ]
}
deadline=$((SECONDS + 300)) last=""
while :; do
    n=$(ready_n) || true
    n=${n:-0}
    if [ "$n" != "$last" ]; then
        say "  after $((SECONDS - step_t0)) s: $n of 3 brokers Ready"
        last=$n
    fi
    [ "$n" = 3 ] && kc_ready && break
    ((SECONDS < deadline)) || die "3 Ready brokers and KafkaCluster Ready: still not the case after 300s"
    sleep 1
done
took "sample cluster (3 brokers Ready)"
kubectl get pods -n "$ns" \
    -o custom-columns='NAME:.metadata.name,READY:.status.conditions[?(@.type=="Ready")].status,STATUS:.status.phase,NODE:.spec.nodeName,POD-IP:.status.podIP,CONTAINERS:.status.containerStatuses[*].name,SIDECAR:.status.initContainerStatuses[*].name' |
    indent
say "claims, bound through the ground's provisioner:"
kubectl get pvc -n "$ns" -o custom-columns='NAME:.metadata.name,STATUS:.status.phase,VOLUME:.spec.volumeName,CAPACITY:.status.capacity.storage' |
    indent
kubectl get kc -n "$ns" | indent
status=$(kubectl get kc "$cluster" -n "$ns" -o json) || die "cannot read $ns/$cluster"
for i in 0 1 2; do
    read -r bpod node addr < <(jq -r --argjson i "$i" \
        '.status.brokers[] | select(.id == $i) | "\(.pod) \(.node) \(.listeners.external)"' <<<"$status")
    [[ "$addr" == *:* ]] || die "broker $i has no external address in the status"
    say "broker $i  pod $bpod on $node  advertises $addr"
done
bootstrap=$(jq -r '.status.bootstrap.external | join(",")' <<<"$status")
[ -n "$bootstrap" ] || die "the status has no external bootstrap"
say "(the node's address $node_ip, its InternalIP as it has no ExternalIP, and each broker's node port)"
show=""

step "an outside client on this machine, through the node address and node ports"
say "bootstrap from status.bootstrap.external: $bootstrap (Kafka's own tools, run here from the ground's jars)"
out=$(kafka_tool org.apache.kafka.tools.TopicCommand --bootstrap-server "$bootstrap" --create \
    --topic "$topic" --partitions "$partitions" --replication-factor 3 2>&1) ||
    die "creating topic $topic failed: $out"
say "topic $topic: $partitions partitions, replication factor 3 (TopicCommand)"
seen=$(kafka_tool org.apache.kafka.tools.BrokerApiVersionsCommand --bootstrap-server "$bootstrap" 2>"$logs/apiversions.log" |
    sed -nE 's/^([^ ]+) \(id: ([0-9]+) rack.*/\2 \1/p' | sort) ||
    die_log "$logs/apiversions.log" "BrokerApiVersionsCommand failed"
[ "$(wc -l <<<"$seen")" = 3 ] || die "the client sees $(wc -l <<<"$seen") brokers, not 3: $seen"
say "each broker answers at (BrokerApiVersionsCommand, which dials every broker at its advertised address):"
while read -r id addr; do
    want=$(jq -r --argjson i "$id" '.status.brokers[] | select(.id == $i) | .listeners.external' <<<"$status")
    [ "$addr" = "$want" ] || die "the client reaches broker $id at $addr, but the status says $want"
    say "  broker $id at $addr, as the status says"
done <<<"$seen"
seq -f "hello from outside the cluster, record %g" 1 5 >"$state/records"
kafka_tool org.apache.kafka.tools.ConsoleProducer --bootstrap-server "$bootstrap" --topic "$topic" \
    --producer-property acks=all <"$state/records" >/dev/null 2>"$logs/producer.log" ||
    die_log "$logs/producer.log" "producing 5 records failed"
got=$(kafka_tool org.apache.kafka.tools.consumer.ConsoleConsumer --bootstrap-server "$bootstrap" --topic "$topic" \
    --from-beginning --max-messages 5 --timeout-ms 60000 2>"$logs/consumer.log" | sort -t' ' -k7n) || true
[ "$got" = "$(cat "$state/records")" ] || die_log "$logs/consumer.log" "consumed '$got', not the 5 records produced"
say "produced 5 records (acks=all) and consumed them back:"
indent <<<"$got" | sed 's/^/  /'
took "outside client"

step "a drained restart of a real pod: kubectl delete pod $pod"
show=cluster
before=$(leaders) || die "reading the leaders of $topic failed"
say "leaders before: $before"
old_uid=$(kubectl get pod "$pod" -n "$ns" -o jsonpath='{.metadata.uid}') || die "no pod $pod"
old_sc="$logs/$pod-old-sidecar.log" old_br="$logs/$pod-old-broker.log"
follow "$pod" sidecar "$old_sc"
follow "$pod" broker "$old_br"
sleep 1
say "following the old pod's sidecar and broker logs (kubectl logs -f), then the delete:"
t_del=$SECONDS
t_del_ms=$(date +%s%3N)
out=$(kubectl delete pod "$pod" -n "$ns" --wait=false 2>&1) || die "kubectl delete pod $pod failed: $out"
indent <<<"$out"
# Until broker 1 leads nothing, with its pod not Ready: the deleted one
# terminating (its preStop drain, then SIGTERM) or a new one not Ready yet.
during="" last=""
while [ -z "$during" ]; do
    if l=$(leaders 2>/dev/null); then
        st=$(pod_state "$old_uid")
        [ "$st" != ready ] ||
            die "the new $pod turned Ready before broker $drained was seen leading nothing (last leaders: $l)"
        if [ "$st $l" != "$last" ]; then
            say "  +$((SECONDS - t_del)) s  $pod: ${st%% (*}; leaders $l"
            last="$st $l"
        fi
        [[ "$l " != *"broker $drained: 0 "* ]] || during=$l
    fi
    ((SECONDS - t_del < 240)) || die "broker $drained still leads partitions 240 s after its pod was deleted: $l"
done
say "broker $drained leads nothing while its pod is not Ready"
last=$st
while :; do
    st=$(pod_state "$old_uid")
    if [ "$st" != "$last" ]; then
        case "$st" in
        ready) say "  +$((SECONDS - t_del)) s  the new $pod is Ready" ;;
        *) say "  +$((SECONDS - t_del)) s  $pod: $st" ;;
        esac
        last=$st
    fi
    [ "$st" = ready ] && break
    ((SECONDS - t_del < 300)) || die "the new $pod is not Ready 300 s after the delete"
    sleep 1
done
t_restart=$((SECONDS - t_del))
say "the old pod's sidecar, from its preStop drain on (kubectl logs -f, kept past the pod):"
awk -v m="drain of broker $drained requested" 'index($0, m) { on = 1 } on && !/is not ready/' "$old_sc" |
    cut -d' ' -f2- | indent | sed 's/^/  /'
t_req=$(first_time "$old_sc" "drain of broker $drained requested")
t_done=$(first_time "$old_sc" "drain of broker $drained: done")
t_term=$(first_time "$old_br" "Terminating process due to signal SIGTERM|SHUTTING_DOWN")
if [ -z "$t_req" ] || [ -z "$t_done" ]; then
    die_log "$old_sc" "the old pod's sidecar shows no finished preStop drain"
fi
drain_line="the preStop drain began $((t_req - t_del_ms)) ms after the delete and took $((t_done - t_req)) ms"
if [ -n "$t_term" ]; then
    ((t_done <= t_term)) || die "broker $drained got SIGTERM $((t_done - t_term)) ms before its drain finished"
    drain_line+="; the broker got SIGTERM $((t_term - t_done)) ms after it finished"
fi
say "$drain_line"
say "the new pod's sidecar, until it called broker $drained ready:"
{ kubectl logs "$pod" -n "$ns" -c sidecar 2>&1 |
    grep -E "broker $drained (is|restarted)|restore of broker $drained" || true; } | indent | sed 's/^/  /'
after=""
for _ in $(seq 1 10); do
    after=$(leaders) || die "reading the leaders of $topic failed"
    [ "$after" = "$before" ] && break
    sleep 2
done
say "leaders after:  $after"
[ "$after" = "$before" ] || die "leadership after the restart ($after) differs from before ($before)"
times+=("drained restart (delete to Ready) $t_restart s")
show=""

step "summary"
say "real: etcd, kube-apiserver, controller-manager, scheduler; a node with kubelet, containerd, runc, CNI,"
say "      kube-proxy and CoreDNS; berth-operator and the brokers (Apache Kafka $(bash "$ground/kafka.sh" version),"
say "      each with berth-sidecar) in pods from this checkout's images; Kafka's own client tools outside"
say "berth-operator, installed from manifests/berth.yaml, runs $ns/$cluster; outside clients bootstrap from $bootstrap"
say "partitions of $topic led by brokers 0/1/2: before $(short "$before"), while $pod was down $(short "$during"), after it was Ready again $(short "$after")"
say "times: $(printf '%s; ' "${times[@]}" | sed 's/; $//')"
echo
echo "demo: done in $SECONDS s"
