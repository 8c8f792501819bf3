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
