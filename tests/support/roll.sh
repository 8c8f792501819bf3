# shellcheck shell=bash
# Rolling restarts of the test ground's Kafka cluster with berth's drain, for
# tests/integration/test_roll.sh and tests/e2e/lib.sh. Sourced, not run.
#
# The subjects are the real programs: `berth-sidecar init` renders each
# broker's server.properties from a <cluster>-brokers ConfigMap, `berth-sidecar
# run` is each broker's sidecar (drain engine, latched /readyz with restore),
# `berth-drain` is the preStop client. The ground's kafka.sh stops and starts
# the brokers; Kafka's own tools create topics, describe them and produce.
#
# Needs (as tests/integration/run.sh exports them): BERTH_KUBECONFIG,
# BERTH_KAFKA_BOOTSTRAP, BERTH_KAFKA_SH, BERTH_GROUND_BIN; BERTH_GROUND is the
# ground's state directory (default /tmp/berth-ground). The caller sets
# roll_repo (the checkout), roll_ns (a namespace it owns), roll_tmp (a scratch
# directory) and roll_fail (a function that reports and exits), then calls
# roll_setup.
#
# Why the rendered file is mapped onto loopback addresses. init renders a
# file for a pod: every broker binds the same container ports on 0.0.0.0
# (listeners=PLAINTEXT://0.0.0.0:9092,CONTROLLER://0.0.0.0:9093) and reaches
# the others by pod DNS names (<cluster>-<id>.<cluster>-brokers.<ns>.svc...),
# which is right in a pod network and impossible for three processes on one
# loopback: they would all bind the same two ports, and the DNS names resolve
# nowhere. roll_render therefore applies one map, pod address -> the ground's
# loopback endpoint of that broker (the ports kafka.sh gave it), to the
# rendered text and changes nothing else; roll_render then checks that the
# result holds exactly the settings of the ground's own file for that broker
# (plus the controller endpoint in advertised.listeners, which init
# advertises and the ground does not), so the broker restarts with an
# equivalent configuration that init wrote.

ROLL_CLUSTER=${ROLL_CLUSTER:-rol}
# Sidecar HTTP ports (below the kernel's ephemeral range, see ground/lib.sh).
ROLL_HTTP_PORT_BASE=${ROLL_HTTP_PORT_BASE:-28180}
ROLL_DRAIN_TIMEOUT=${ROLL_DRAIN_TIMEOUT:-120}
ROLL_READY_TIMEOUT=${ROLL_READY_TIMEOUT:-400}
roll_state=${BERTH_GROUND:-/tmp/berth-ground}/kafka

# The programs under test: ROLL_BUILD (e.g. build/asan) or the checkout's build/.
roll_bin() { echo "${ROLL_BUILD:-$roll_repo/build}/$1"; }
roll_kubectl() { "$BERTH_GROUND_BIN/kubectl" --kubeconfig "$BERTH_KUBECONFIG" --cache-dir "$roll_tmp/kcache" "$@"; }
roll_tool() { bash "$BERTH_KAFKA_SH" tool "$@"; }
roll_log() { printf '%s roll: %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }
roll_brokers() { cat "$roll_state/count"; }

# roll_prop FILE KEY: the value of KEY= in a properties file.
roll_prop() { sed -n "s/^$2=//p" "$1" | tail -1; }

# roll_ground_endpoint I NAME: host:port of broker I's listener NAME in the
# ground's own file.
roll_ground_endpoint() {
    roll_prop "$roll_state/b$1/server.properties" listeners | tr ',' '\n' |
        sed -n "s|^$2://||p"
}

# roll_setup: the namespace, the <cluster>-brokers ConfigMap (as the
# operator would write it for this ground's cluster) and the pre-created
# drain ledger ConfigMap and Lease.
roll_setup() {
    local n cid nodes brokers
    n=$(roll_brokers)
    cid=$(cat "$roll_state/cluster-id")
    [ -n "$cid" ] || roll_fail "no cluster id in $roll_state/cluster-id"
    mkdir -p "$roll_tmp/kcache"
    roll_kubectl create namespace "$roll_ns" >/dev/null || roll_fail "creating namespace $roll_ns"
    # The ground's settings beyond what berth renders itself become the
    # cluster's spec.config; min.insync.replicas stays a topic setting.
    jq -n --arg ns "$roll_ns" --arg cid "$cid" --arg c "$ROLL_CLUSTER" --argjson n "$n" \
        --rawfile props "$roll_state/b0/server.properties" '
        def owned: ["node.id","process.roles","controller.quorum.voters","controller.listener.names",
                    "listeners","advertised.listeners","listener.security.protocol.map",
                    "inter.broker.listener.name","log.dirs"];
        {name: $c, namespace: $ns, flavor: "kafka", clusterID: $cid, controllers: $n,
         clusterDomain: "cluster.local", controllerPort: 9093,
         listeners: [{name: "plaintext", port: 9092, type: "internal", securityProtocol: "PLAINTEXT"}],
         formattedVoters: [range(0; $n)],
         config: ($props | split("\n") | map(select(test("^[a-z]")) | capture("^(?<key>[^=]+)=(?<value>.*)$"))
                  | map(select(.key as $k | owned | index($k) | not)) | from_entries)}' \
        >"$roll_tmp/cluster.json" || roll_fail "building cluster.json"
    nodes='{"kwok-node-0":{"addresses":{}}}'
    brokers=$(jq -cn --argjson n "$n" '[range(0; $n) | {key: tostring, value: {}}] | from_entries')
    roll_kubectl -n "$roll_ns" create configmap "$ROLL_CLUSTER-brokers" \
        --from-file=cluster.json="$roll_tmp/cluster.json" \
        --from-literal=nodes.json="$nodes" --from-literal=brokers.json="$brokers" >/dev/null ||
        roll_fail "creating ConfigMap $ROLL_CLUSTER-brokers"
    roll_kubectl -n "$roll_ns" create configmap "$ROLL_CLUSTER-drain" >/dev/null ||
        roll_fail "creating ConfigMap $ROLL_CLUSTER-drain"
    roll_kubectl -n "$roll_ns" apply -f - >/dev/null <<EOF || roll_fail "creating Lease $ROLL_CLUSTER-drain"
apiVersion: coordination.k8s.io/v1
kind: Lease
metadata: {name: $ROLL_CLUSTER-drain}
spec: {}
EOF
}

roll_teardown_ns() {
    roll_kubectl delete namespace "$roll_ns" --ignore-not-found --wait=false >/dev/null 2>&1 || true
}

# roll_finish RC: the end of a caller's cleanup: deletes the namespace, and
# the scratch directory unless RC is a failure (then it names it); exits RC.
roll_finish() {
    roll_teardown_ns
    [ "$1" -eq 0 ] || { echo "logs kept in $roll_tmp" >&2; exit "$1"; }
    rm -rf "$roll_tmp"
    exit 0
}

# roll_render I: runs `berth-sidecar init` for broker I as its pod's init
# container would (fresh config directory), maps pod addresses onto the
# ground's loopback endpoints (see the top of this file), checks the result
# is equivalent to the ground's own file, and prints its path.
roll_render() {
    local i=$1 n v dir map="" plain ctl
    n=$(roll_brokers)
    dir="$roll_tmp/pod-$i"
    rm -rf "$dir"
    mkdir -p "$dir"
    POD_NAME="$ROLL_CLUSTER-$i" POD_NAMESPACE="$roll_ns" NODE_NAME=kwok-node-0 POD_UID="roll-$i" \
        "$(roll_bin berth-sidecar)" init --kubeconfig "$BERTH_KUBECONFIG" \
        --config-dir "$dir/config" --data-dir "$roll_state/b$i/data" \
        --drain-client "$(roll_bin berth-drain)" --poll-interval 200 --wait-timeout 30 \
        >"$dir/init.log" 2>&1 || { cat "$dir/init.log" >&2; roll_fail "berth-sidecar init for broker $i failed"; }
    for ((v = 0; v < n; v++)); do
        plain=$(roll_ground_endpoint "$v" PLAINTEXT)
        ctl=$(roll_ground_endpoint "$v" CONTROLLER)
        [ -n "$plain" ] && [ -n "$ctl" ] || roll_fail "broker $v: no PLAINTEXT/CONTROLLER listener in the ground's file"
        local dns="$ROLL_CLUSTER-$v.$ROLL_CLUSTER-brokers.$roll_ns.svc.cluster.local"
        map+="s|//$dns:9092|//$plain|g;s|@$dns:9093|@$ctl|g;s|//$dns:9093|//$ctl|g;"
        if [ "$v" -eq "$i" ]; then map+="s|//0.0.0.0:9092|//$plain|g;s|//0.0.0.0:9093|//$ctl|g;"; fi
    done
    sed "$map" "$dir/config/server.properties" >"$dir/loopback.properties"
    roll_equivalent "$i" "$dir/loopback.properties"
    echo "$dir/loopback.properties"
}

# roll_equivalent I FILE: FILE holds exactly the settings of the ground's
# file for broker I, except that advertised.listeners may also advertise the
# CONTROLLER listener.
roll_equivalent() {
    local i=$1 file=$2 ground="$roll_state/b$1/server.properties" ctl diff
    ctl=$(roll_ground_endpoint "$i" CONTROLLER)
    diff=$(diff <(grep -v '^#' "$ground" | grep . | sort) \
        <(grep -v '^#' "$file" | grep . | sed "s|^\(advertised.listeners=.*\),CONTROLLER://$ctl$|\1|" | sort)) ||
        roll_fail "broker $i: the config init rendered differs from the ground's (< ground, > rendered):
$diff"
}

# ---- sidecars ----

roll_sock() { echo "$roll_tmp/pod-sock-$1/drain.sock"; }
roll_http() { echo $((ROLL_HTTP_PORT_BASE + $1)); }

# roll_sidecar_start I: a fresh `berth-sidecar run` for broker I, with the
# extra options in ROLL_SIDECAR_ARGS (split on spaces).
roll_sidecar_start() {
    local i=$1 port
    port=$(roll_ground_endpoint "$i" PLAINTEXT)
    mkdir -p "$(dirname "$(roll_sock "$i")")"
    POD_NAMESPACE="$roll_ns" setsid "$(roll_bin berth-sidecar)" run --flavor kafka \
        --kubeconfig "$BERTH_KUBECONFIG" --pod-name "$ROLL_CLUSTER-$i" --broker "$port" \
        --http-addr 127.0.0.1 --http-port "$(roll_http "$i")" --socket "$(roll_sock "$i")" \
        --probe-interval 1000 ${ROLL_SIDECAR_ARGS:-} >>"$roll_tmp/sidecar-$i.log" 2>&1 </dev/null &
    echo $! >"$roll_tmp/sidecar-$i.pid"
}

# roll_sidecar_stop I: SIGTERM (as the kubelet sends once the broker has
# exited), SIGKILL after 20 s. Returns non-zero if the sidecar did not exit
# 0 on SIGTERM (e.g. a sanitizer report).
roll_sidecar_stop() {
    local pid rc=0
    pid=$(cat "$roll_tmp/sidecar-$1.pid" 2>/dev/null) || return 0
    rm -f "$roll_tmp/sidecar-$1.pid"
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
    if kill -9 "$pid" 2>/dev/null; then
        echo "sidecar of broker $1 ignored SIGTERM for 20s" >>"$roll_tmp/sidecar-$1.log"
        rc=1
    fi
    wait "$pid" 2>/dev/null || rc=$?
    return "$rc"
}

roll_sidecars_stop() {
    local i rc=0
    for ((i = 0; i < $(roll_brokers); i++)); do roll_sidecar_stop "$i" || rc=1; done
    return "$rc"
}

roll_readyz() { curl -s -o /dev/null -w '%{http_code}' --max-time 5 "http://127.0.0.1:$(roll_http "$1")/readyz"; }

# roll_wait_ready I: until broker I's /readyz answers 200; fails at once if
# its sidecar has exited (e.g. its HTTP port was taken).
roll_wait_ready() {
    local i=$1 deadline=$((SECONDS + ROLL_READY_TIMEOUT))
    while [ "$(roll_readyz "$i")" != 200 ]; do
        kill -0 "$(cat "$roll_tmp/sidecar-$i.pid" 2>/dev/null)" 2>/dev/null || {
            tail -20 "$roll_tmp/sidecar-$i.log" >&2
            roll_fail "broker $i: its sidecar exited"
        }
        [ "$SECONDS" -lt "$deadline" ] || {
            tail -20 "$roll_tmp/sidecar-$i.log" >&2
            roll_fail "broker $i: /readyz not 200 after ${ROLL_READY_TIMEOUT}s"
        }
        sleep 0.5
    done
}

# roll_drain I: the preStop client against broker I's sidecar; its output
# goes to drain-I.log. Fails the caller if the drain fails.
# Sets roll_drain_secs to how long the drain took.
roll_drain() {
    local i=$1 t0
    t0=$(date +%s.%N)
    "$(roll_bin berth-drain)" --socket "$(roll_sock "$i")" --timeout "$ROLL_DRAIN_TIMEOUT" \
        >"$roll_tmp/drain-$i.log" 2>&1 ||
        { cat "$roll_tmp/drain-$i.log" >&2; roll_fail "berth-drain for broker $i failed"; }
    roll_drain_secs=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
    roll_log "broker $i: drained in ${roll_drain_secs}s"
}

# roll_restart I: broker I's pod restarts after its preStop drain: SIGTERM
# the broker, then its sidecar; init renders the config; a fresh sidecar and
# the broker start; until /readyz (catch-up and restore) is 200. Calls
# roll_before_start I CONFIG, if the caller defines it, right before the
# broker starts.
roll_restart() {
    local i=$1 config t0=$SECONDS t1 t2
    bash "$BERTH_KAFKA_SH" stop-broker "$i" 2>/dev/null || roll_fail "stopping broker $i"
    roll_sidecar_stop "$i" || { tail -20 "$roll_tmp/sidecar-$i.log" >&2; roll_fail "the sidecar of broker $i did not exit cleanly on SIGTERM"; }
    t1=$SECONDS
    config=$(roll_render "$i")
    roll_sidecar_start "$i"
    if declare -F roll_before_start >/dev/null; then roll_before_start "$i" "$config"; fi
    bash "$BERTH_KAFKA_SH" start-broker "$i" "$config" 2>/dev/null || roll_fail "starting broker $i"
    t2=$SECONDS
    roll_wait_ready "$i"
    roll_log "broker $i: stopped in $((t1 - t0))s, registered in $((t2 - t1))s, ready (caught up, restored) in $((SECONDS - t2))s"
}

# roll_drained: one full rolling restart with drain; calls
# roll_after_drain I, if the caller defines it, between drain and SIGTERM.
roll_drained() {
    local i t0
    for ((i = 0; i < $(roll_brokers); i++)); do
        t0=$SECONDS
        roll_drain "$i"
        if declare -F roll_after_drain >/dev/null; then roll_after_drain "$i"; fi
        roll_restart "$i"
        roll_log "broker $i: drained, restarted, ready in $((SECONDS - t0))s"
    done
}

# roll_wait_in_sync: until no partition is under-replicated.
roll_wait_in_sync() {
    local deadline=$((SECONDS + ROLL_READY_TIMEOUT)) out
    while :; do
        out=$(roll_tool org.apache.kafka.tools.TopicCommand --bootstrap-server "$BERTH_KAFKA_BOOTSTRAP" \
            --describe --under-replicated-partitions 2>/dev/null) && [ -z "$out" ] && return 0
        [ "$SECONDS" -lt "$deadline" ] || roll_fail "partitions still under-replicated after ${ROLL_READY_TIMEOUT}s"
        sleep 1
    done
}

# ---- topics ----

# roll_topic_create NAME PARTITIONS: RF 3, min.insync.replicas 2.
roll_topic_create() {
    roll_tool org.apache.kafka.tools.TopicCommand --bootstrap-server "$BERTH_KAFKA_BOOTSTRAP" \
        --create --topic "$1" --partitions "$2" --replication-factor 3 \
        --config min.insync.replicas=2 >/dev/null || roll_fail "creating topic $1"
}

roll_topic_delete() {
    roll_tool org.apache.kafka.tools.TopicCommand --bootstrap-server "$BERTH_KAFKA_BOOTSTRAP" \
        --delete --topic "$1" >/dev/null 2>&1
}

# roll_snapshot [TOPIC]: "topic partition replicas leader" per partition,
# sorted (every topic if none is given).
roll_snapshot() {
    roll_tool org.apache.kafka.tools.TopicCommand --bootstrap-server "$BERTH_KAFKA_BOOTSTRAP" \
        --describe ${1:+--topic "$1"} 2>/dev/null |
        awk -F'\t' '/Partition: /{t="";p="";r="";l="";
            for(k=1;k<=NF;k++){split($k,kv,": ");
              if(kv[1]~/Topic$/)t=kv[2]; if(kv[1]=="Partition")p=kv[2];
              if(kv[1]=="Replicas")r=kv[2]; if(kv[1]=="Leader")l=kv[2]}
            print t, p, r, l}' | sort
}

# roll_wait_leaders TOPIC PARTITIONS FILE: until every one of the new
# topic's PARTITIONS partitions has a leader (60 s); its last snapshot is
# left in FILE.
roll_wait_leaders() {
    local k
    for ((k = 0; k < 60; k++)); do
        roll_snapshot "$1" >"$3"
        [ "$(awk '$4 >= 0' "$3" | wc -l)" -eq "$2" ] && return 0
        sleep 1
    done
    roll_fail "$1: not every one of $2 partitions has a leader"
}

# roll_leads SNAPSHOT BROKER: partitions BROKER leads in a snapshot file.
roll_leads() { awk -v b="$2" '$4 == b' "$1" | wc -l; }

roll_elect_preferred() {
    roll_tool org.apache.kafka.tools.LeaderElectionCommand --bootstrap-server "$BERTH_KAFKA_BOOTSTRAP" \
        --election-type PREFERRED --all-topic-partitions >/dev/null 2>&1 || true
}

# ---- producer load ----

# roll_perf_start TOPIC RATE: Kafka's ProducerPerformance, acks=all and
# idempotence on, RATE records/s of 100 bytes, until roll_perf_stop. A send
# that fails is printed by the tool (a stack trace); a record still being
# retried fails after delivery.timeout.ms (ROLL_DELIVERY_MS).
ROLL_DELIVERY_MS=${ROLL_DELIVERY_MS:-15000}
roll_perf_start() {
    # One process group (setsid) for the tool and the time stamps, so
    # roll_perf_stop ends both.
    setsid bash -c 'sh=$1; shift; bash "$sh" tool "$@" 2>&1 |
        while IFS= read -r line; do printf "%s %s\n" "$(date -u +%H:%M:%S)" "$line"; done' \
        - "$BERTH_KAFKA_SH" org.apache.kafka.tools.ProducerPerformance \
        --topic "$1" --num-records 100000000 --record-size 100 --throughput "$2" \
        --producer-props bootstrap.servers="$BERTH_KAFKA_BOOTSTRAP" acks=all enable.idempotence=true \
        linger.ms=5 request.timeout.ms=8000 delivery.timeout.ms="$ROLL_DELIVERY_MS" \
        </dev/null >"$roll_tmp/perf.log" 2>&1 &
    echo $! >"$roll_tmp/perf.pid"
    # Until the first window reports records sent.
    local deadline=$((SECONDS + 90))
    until grep -qs 'records sent' "$roll_tmp/perf.log"; do
        [ "$SECONDS" -lt "$deadline" ] || { cat "$roll_tmp/perf.log" >&2; roll_fail "the producer sent nothing in 90s"; }
        kill -0 "$(cat "$roll_tmp/perf.pid")" 2>/dev/null || { cat "$roll_tmp/perf.log" >&2; roll_fail "the producer exited"; }
        sleep 0.5
    done
}

# roll_perf_stop: once every record sent during the roll has succeeded or
# failed (delivery timeout, plus a reporting window), stops the producer and
# sets perf_sent (records acknowledged, from the 5 s windows), perf_failed
# (failed sends: exceptions the tool printed) and perf_max_ms (the largest
# window max latency). perf.log has the time before every line of the tool's.
roll_perf_stop() {
    local pid
    sleep $((ROLL_DELIVERY_MS / 1000 + 6))
    pid=$(cat "$roll_tmp/perf.pid")
    kill -0 "$pid" 2>/dev/null || { tail -20 "$roll_tmp/perf.log" >&2; roll_fail "the producer exited before the end of the roll"; }
    kill -- -"$pid" 2>/dev/null || kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    perf_sent=$(awk '/records sent,/{s+=$2} END{print s+0}' "$roll_tmp/perf.log")
    perf_failed=$(grep -cE '^[0-9:]+ [A-Za-z_$][A-Za-z0-9_$.]*(Exception|Error)(:|$)' "$roll_tmp/perf.log" || true)
    perf_max_ms=$(awk '/records sent,/{for(k=1;k<=NF;k++) if($k=="max" && $(k+1)~/^latency/) {v=$(k-2)+0; if(v>m)m=v}} END{print m+0}' "$roll_tmp/perf.log")
}

# roll_perf_check WHAT: after roll_perf_stop, fails unless the producer had
# records acknowledged and no send failed during WHAT.
roll_perf_check() {
    [ "$perf_sent" -gt 0 ] || roll_fail "the producer acknowledged no record during $1"
    [ "$perf_failed" -eq 0 ] ||
        roll_fail "$perf_failed sends failed during $1: $(grep -m3 -E 'Exception|Error' "$roll_tmp/perf.log")"
}

# roll_perf_kill: ends the producer at once, if one runs (for a cleanup).
roll_perf_kill() {
    local pid
    pid=$(cat "$roll_tmp/perf.pid" 2>/dev/null) || return 0
    kill -- -"$pid" 2>/dev/null || kill "$pid" 2>/dev/null || true
}

# roll_perf_slow: the producer's 5 s windows with a max latency of 1 s or
# more, with their times (to set beside the roll's own log lines).
roll_perf_slow() {
    awk '/records sent,/{for(k=1;k<=NF;k++) if($k=="max" && $(k+1)~/^latency/ && $(k-2)+0 >= 1000) print "  slow window: " $0}' "$roll_tmp/perf.log"
}
