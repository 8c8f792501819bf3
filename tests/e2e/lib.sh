# Shared by the end-to-end tests (sourced): the ground's tools, waiting,
# and Kafka's own client tools run on the host as an outside client. The
# tests run in order on one ground (tests/e2e/run.sh) and share the sample
# cluster: test_20 creates it, later tests use it, test_90 deletes it.
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
test_name=$(basename "$0" .sh)
NS=kafka         # the sample cluster's namespace
CLUSTER=demo     # its name, from manifests/examples/kafka-nodeport.yaml
OP_NS=berth-system
state="$BERTH_E2E_STATE"

kubectl() { "$BERTH_GROUND_BIN/kubectl" --kubeconfig "$BERTH_KUBECONFIG" "$@"; }
helm() { "$BERTH_GROUND_BIN/helm" --kubeconfig "$BERTH_KUBECONFIG" "$@"; }
ok() { echo "ok: $*"; }
say() { echo "   $*"; }

# fail MESSAGE: the test fails; what the cluster looks like goes with it.
fail() {
    echo "FAIL $test_name: $*" >&2
    {
        echo "--- pods, claims and the KafkaCluster's conditions:"
        kubectl get pods,pvc -A -o wide
        kubectl get kc -A -o jsonpath='{range .items[*]}{.metadata.name}: {range .status.conditions[*]}{.type}={.status} {.reason}: {.message}; {end}{"\n"}{end}'
        echo "--- recent events:"
        kubectl get events -A --sort-by=.lastTimestamp | tail -20
    } >&2 2>/dev/null || true
    exit 1
}

# wait_for SECONDS WHAT COMMAND...: poll COMMAND until it succeeds.
wait_for() {
    local secs=$1 what=$2 deadline
    shift 2
    deadline=$((SECONDS + secs))
    until "$@" >/dev/null 2>&1; do
        [ "$SECONDS" -lt "$deadline" ] || fail "timed out after ${secs}s waiting for $what"
        sleep 1
    done
}

now_ms() { date +%s%3N; }

# rfc3339_ms TIME: milliseconds since the epoch of an RFC 3339 time.
rfc3339_ms() { date -d "$1" +%s%3N; }

# kafka_tool CLASS ARGS...: one of Kafka's own tools, run on the host from
# the ground's jars.
kafka_tool() { bash "$BERTH_KAFKA_SH" tool "$@"; }

# kberth ARGS...: kubectl berth, the plugin from the build, found on PATH by
# kubectl (which takes no flag before a plugin's name: they go to the plugin).
plugin_dir=$(cd "${BERTH_BUILD:-$repo/build}" && pwd)
kberth() { PATH="$plugin_dir:$PATH" "$BERTH_GROUND_BIN/kubectl" berth "$@" --kubeconfig "$BERTH_KUBECONFIG"; }

# metadata_version BOOTSTRAP: "<finalized> <supported max>" of
# metadata.version, by name (e.g. "4.3-IV0 4.3-IV0"), as Kafka's
# FeatureCommand describes it.
metadata_version() {
    kafka_tool org.apache.kafka.tools.FeatureCommand --bootstrap-server "$1" describe 2>/dev/null |
        awk '$2 == "metadata.version" { for (k = 3; k < NF; k++) { if ($k == "FinalizedVersionLevel:") f = $(k + 1); if ($k == "SupportedMaxVersion:") m = $(k + 1) } print f, m }'
}

# kc_kafka FIELD: status.kafka.FIELD of the sample cluster (jsonpath).
kc_kafka() { kubectl get kc "$CLUSTER" -n "$NS" -o jsonpath="{.status.kafka.$1}"; }

# status_bootstrap: the external bootstrap list the KafkaCluster's status
# gives outside clients.
status_bootstrap() {
    kubectl get kc "$CLUSTER" -n "$NS" -o jsonpath='{.status.bootstrap.external}' |
        tr -d '[]"' | tr ' ' ','
}

# status_addresses: "id host:port" per broker, from the KafkaCluster's status.
status_addresses() {
    kubectl get kc "$CLUSTER" -n "$NS" \
        -o jsonpath='{range .status.brokers[*]}{.id} {.listeners.external}{"\n"}{end}' | sort
}

# client_addresses BOOTSTRAP: "id host:port" per broker, as an outside client
# bootstrapping from BOOTSTRAP sees them (Kafka's ApiVersions tool dials
# every broker at its advertised address).
client_addresses() {
    kafka_tool org.apache.kafka.tools.BrokerApiVersionsCommand --bootstrap-server "$1" 2>/dev/null |
        sed -nE 's/^([^ ]+) \(id: ([0-9]+) rack.*/\2 \1/p' | sort
}

# cluster_ready N: the StatefulSet has N Ready pods and the KafkaCluster
# says Ready.
cluster_ready() {
    [ "$(kubectl get sts "$CLUSTER" -n "$NS" -o jsonpath='{.status.readyReplicas}')" = "$1" ] &&
        [ "$(kubectl get kc "$CLUSTER" -n "$NS" -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}')" = True ]
}

# producer_setup NAME: Kafka's ProducerPerformance from the outside, as
# tests/support/roll.sh runs it (roll_perf_start, roll_perf_stop), with an
# empty scratch directory $state/NAME (roll_tmp). A producer retries a send
# for 2 minutes by default; a short delivery timeout would turn a slow
# hand-back into a failed send, that is, assert a latency, which tests here
# do not do (latency is printed, and measured in bench/). 30 s, ten times
# the slowest send seen in these tests, keeps the wait for the last sends
# (roll_perf_stop) short.
producer_setup() {
    roll_tmp="$state/$1"
    roll_fail() { fail "$@"; }
    ROLL_DELIVERY_MS=${ROLL_DELIVERY_MS:-30000}
    . "$repo/tests/support/roll.sh"
    rm -rf "$roll_tmp"
    mkdir -p "$roll_tmp"
}

# check_client_view BOOTSTRAP: an outside client bootstrapping from
# BOOTSTRAP sees every broker exactly at the address the KafkaCluster's
# status shows; prints what it sees ("id host:port" lines).
check_client_view() {
    local seen want
    seen=$(client_addresses "$1")
    want=$(status_addresses)
    [ "$seen" = "$want" ] || fail "an outside client sees brokers at
$seen
but status says
$want"
    echo "$seen"
}

# ---- partition states, sampled while brokers restart ----
# meta_start TOPIC: bench/roll_metadata samples Kafka's Metadata for TOPIC
# every 250 ms through the external bootstrap, in the background, into
# $roll_tmp/metadata ("T_MS ... below_min=N ... out_isr=0:N,1:N,2:N" lines,
# see bench/roll_metadata.c), until meta_stop. Fast enough to see a broker
# out of an ISR for a second, which Kafka's own tools (a JVM each) are not.
meta_bin="${BERTH_BUILD:-build}/bench/roll_metadata"
[ "${meta_bin#/}" != "$meta_bin" ] || meta_bin="$repo/$meta_bin"
meta_start() {
    [ -x "$meta_bin" ] || fail "$meta_bin is not built (make all builds it)"
    "$meta_bin" sample "$(status_bootstrap)" 2 250 "$1" >"$roll_tmp/metadata" 2>>"$roll_tmp/metadata.err" &
    meta_pid=$!
}
meta_stop() {
    [ -n "${meta_pid:-}" ] || return 0
    kill "$meta_pid" 2>/dev/null || true
    wait "$meta_pid" 2>/dev/null || true
    meta_pid=""
}

# meta_out_isr ID: "T_MS N" per sample, N the partitions broker ID
# replicates without being in their ISR (samples that failed are left out).
meta_out_isr() {
    sed -nE "s/^([0-9]+) .* out_isr=(.*,)?$1:([0-9]+).*/\1 \3/p" "$roll_tmp/metadata"
}

# meta_below_min: "T_MS N" per sample, N the partitions whose ISR was
# smaller than min.insync.replicas (2).
meta_below_min() {
    sed -nE 's/^([0-9]+) .* below_min=([0-9]+) .*/\1 \2/p' "$roll_tmp/metadata"
}

# ---- container logs that outlive their pods ----
# A pod's logs go with the pod, and a roll replaces every pod. follow_start
# keeps, in the background, one `kubectl logs -f --timestamps` per container
# of the cluster's pods, started once the container runs, into
# $logs/POD.UID.CONTAINER.RESTARTS (a restarted container gets a new
# file), until follow_stop. Each follow_start begins with an empty $logs.
logs="$state/logs"
follow_loop() {
    local pod uid c n running f
    while [ ! -e "$logs/.stop" ]; do
        for pod in $(kubectl get pods -n "$NS" -l app.kubernetes.io/instance="$CLUSTER" -o name 2>/dev/null); do
            pod=${pod#pod/}
            for c in sidecar broker; do
                read -r uid n running < <(kubectl get pod "$pod" -n "$NS" -o jsonpath="{.metadata.uid} {.status.containerStatuses[?(@.name==\"$c\")].restartCount}{.status.initContainerStatuses[?(@.name==\"$c\")].restartCount} {.status.containerStatuses[?(@.name==\"$c\")].state.running.startedAt}{.status.initContainerStatuses[?(@.name==\"$c\")].state.running.startedAt}"; echo) || true
                [ -n "$running" ] || continue
                f="$logs/$pod.$uid.$c.${n:-0}"
                [ -e "$f" ] && continue
                kubectl logs -f --timestamps "$pod" -n "$NS" -c "$c" >"$f" 2>&1 </dev/null &
            done
        done
        sleep 1
    done
}
follow_start() {
    rm -rf "$logs"
    mkdir -p "$logs"
    follow_loop &
    follow_pid=$!
}
follow_stop() {
    [ -n "${follow_pid:-}" ] || return 0 # never started (a test that failed early)
    touch "$logs/.stop"
    wait "$follow_pid" 2>/dev/null || true
    pkill -f "kubectl --kubeconfig $BERTH_KUBECONFIG logs -f --timestamps" 2>/dev/null || true
}

# log_time FILE PATTERN: the time (ms since the epoch) of the first line of
# FILE matching PATTERN (an ERE), or nothing.
log_time() {
    local t
    t=$(grep -m1 -E -- "$2" "$1" 2>/dev/null | cut -d' ' -f1)
    [ -z "$t" ] || rfc3339_ms "$t"
}

# pod_uid POD: the pod's UID now.
pod_uid() { kubectl get pod "$1" -n "$NS" -o jsonpath='{.metadata.uid}' 2>/dev/null; }

# pod_ready POD: POD is Ready now.
pod_ready() {
    [ "$(kubectl get pod "$1" -n "$NS" -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}')" = True ]
}

# restarts POD CONTAINER: how often CONTAINER of POD has restarted.
restarts() {
    kubectl get pod "$1" -n "$NS" -o jsonpath="{.status.containerStatuses[?(@.name==\"$2\")].restartCount}"
}

# ready_since POD: when POD last turned Ready (ms since the epoch).
ready_since() {
    rfc3339_ms "$(kubectl get pod "$1" -n "$NS" -o jsonpath='{.status.conditions[?(@.type=="Ready")].lastTransitionTime}')"
}

# leaders_preferred TOPIC BOOTSTRAP: every partition of TOPIC is led by the
# first broker of its replica list; prints the partitions that are not.
leaders_preferred() {
    local out
    out=$(kafka_tool org.apache.kafka.tools.TopicCommand --bootstrap-server "$2" --describe --topic "$1" 2>/dev/null |
        awk '/Partition:/ {for (k = 1; k <= NF; k++) { if ($k == "Partition:") p = $(k+1); if ($k == "Leader:") l = $(k+1); if ($k == "Replicas:") r = $(k+1) } split(r, a, ","); if (l != a[1]) print "partition " p ": leader " l ", replicas " r}')
    [ -z "$out" ] || { echo "$out"; return 1; }
}

# replica_orders TOPIC BOOTSTRAP: "partition replicas" lines, sorted.
replica_orders() {
    kafka_tool org.apache.kafka.tools.TopicCommand --bootstrap-server "$2" --describe --topic "$1" 2>/dev/null |
        awk '/Partition:/ {for (k = 1; k <= NF; k++) { if ($k == "Partition:") p = $(k+1); if ($k == "Replicas:") r = $(k+1) } print p, r}' | sort -n
}
