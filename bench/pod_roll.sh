#!/usr/bin/env bash
# A rolling restart on real pods, berth against a plain StatefulSet, under
# the same load on the same ground, in one run:
#   plain  three KRaft brokers (combined mode, 3 voters) as a chart without
#          berth makes them: a StatefulSet and a headless Service written
#          here, from the ground's broker image, advertised by pod DNS name,
#          TCP readiness on the broker port, no preStop, the default 30 s
#          grace period, Kafka's controlled shutdown on SIGTERM;
#   berth  the operator installed with helm and the nodeport example's
#          KafkaCluster (the StatefulSet exactly as the operator makes it).
# Each gets a topic (RF 3, min.insync.replicas 2), Kafka's
# ProducerPerformance (acks=all, idempotence on, Kafka's other defaults)
# and a consumer that stamps each record's arrival (end-to-end latency
# against the record's CreateTime), both in a client pod on the ground
# that dials the brokers' internal listener by their pod DNS names, the
# same way for both. A steady window first, then `kubectl rollout restart`
# of the StatefulSet while the load runs, and roll_metadata (a helper
# beside this file) samples Metadata from the host through a NodePort
# Service throughout. Prints, per configuration: failed sends and their
# error types, acknowledged records/s, produce and end-to-end latency
# percentiles in the steady window and in the roll window, the seconds a
# partition spent below min.insync.replicas, the roll's duration, each
# broker's restart timeline, leaders per broker after the roll, and
# whether a broker was SIGKILLed (its log lacks Kafka's "shut down
# completed"). Prints figures only; it never passes or fails on one.
#
# The roll window is fixed (BERTH_BENCH_WINDOW_S from the roll's start),
# because ProducerPerformance prints percentiles only at its end: it
# holds the roll and what follows it up to the window's end, the same
# length for both configurations; the output says if a roll outlasted it.
#
# Needs root (the ground's real nodes: tests/ground/node.sh); otherwise,
# or when its bridge or ports are taken, it says why and exits 0. It
# starts a ground of its own (state BERTH_BENCH_DIR, default
# /tmp/berth-bench; ports 28xxx on 127.0.0.1; bridge berth-bench0; nodes
# on 172.28.0.0/24, pods on 10.248.0.0/16), three real nodes, and takes it
# down at the end, checking that nothing of it is left.
#
# Environment (defaults in brackets):
#   BERTH_BENCH_RATE [500]          records/s of the producer
#   BERTH_BENCH_RECORD_SIZE [1024]  bytes per record
#   BERTH_BENCH_PARTITIONS [24]     partitions of the loaded topic
#   BERTH_BENCH_STEADY_S [60]       steady window before the roll
#   BERTH_BENCH_WINDOW_S [240]      roll window, from the roll's start
#   BERTH_BENCH_MANY [3000]         partitions of an idle topic for a second
#                                   shape (each broker leads about a third);
#                                   0 skips that shape
#   BERTH_BENCH_MANY_WINDOW_S [480] its roll window
#   BERTH_BENCH_CONFIGS ["plain berth"]
#   BERTH_BENCH_ROUNDS [1]          runs of each configuration, in turns (the
#                                   machine's other load varies between them)
#   BERTH_BENCH_SHAPES ["base many", "base" with BERTH_BENCH_MANY=0]
#   BERTH_BENCH_KEEP=1              keep the state directory (logs, samples)
set -euo pipefail
export LC_ALL=C
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
ground="$repo/tests/ground"
sampler="${BERTH_BUILD:-$repo/build}/bench/roll_metadata"
[[ "$sampler" == /* ]] || sampler="$repo/$sampler"

RATE=${BERTH_BENCH_RATE:-500}
RECORD=${BERTH_BENCH_RECORD_SIZE:-1024}
PARTS=${BERTH_BENCH_PARTITIONS:-24}
STEADY=${BERTH_BENCH_STEADY_S:-60}
WINDOW=${BERTH_BENCH_WINDOW_S:-240}
MANY=${BERTH_BENCH_MANY:-3000}
MANY_WINDOW=${BERTH_BENCH_MANY_WINDOW_S:-480}
CONFIGS=${BERTH_BENCH_CONFIGS:-plain berth}
ROUNDS=${BERTH_BENCH_ROUNDS:-1}
LEAD=10       # seconds each producer runs before its window (JVM warm-up)
MIN_ISR=2
SAMPLE_MS=250 # Metadata sampling interval

export BERTH_GROUND=${BERTH_BENCH_DIR:-/tmp/berth-bench}
export GROUND_ETCD_CLIENT_PORT=28791 GROUND_ETCD_PEER_PORT=28801 GROUND_APISERVER_PORT=28443
export GROUND_KCM_PORT=28257 GROUND_SCHEDULER_PORT=28259 GROUND_KWOK_PORT=28280
export GROUND_REAL_NODES=1 GROUND_KWOK_NODES=0
export GROUND_NODE_BRIDGE=berth-bench0 GROUND_NODE_NET=172.28.0 GROUND_NODE_POD_NET=10.248
. "$ground/lib.sh"

skip() {
    echo "pod_roll: skipped: $*"
    exit 0
}
[ "$(id -u)" = 0 ] || skip "the real nodes need root (namespaces, mounts, cgroups); run make bench as root"
for t in containerd runc ctr buildah ip iptables jq; do
    command -v "$t" >/dev/null || skip "$t is missing (make deps installs it)"
done
[ -x "$sampler" ] || skip "$sampler is not built (make all)"
! ip link show "$GROUND_NODE_BRIDGE" >/dev/null 2>&1 || skip "bridge $GROUND_NODE_BRIDGE exists (another bench running?)"
for p in $GROUND_ETCD_CLIENT_PORT $GROUND_ETCD_PEER_PORT $GROUND_APISERVER_PORT $GROUND_KCM_PORT \
    $GROUND_SCHEDULER_PORT; do
    ! ss -Hltn "sport = :$p" | grep -q . || skip "port $p is taken"
done
[ ! -e "$BERTH_GROUND" ] || skip "$BERTH_GROUND exists (another bench running, or left by one: remove it)"

export BERTH_KUBECONFIG="$GROUND_KUBECONFIG" BERTH_GROUND_BIN="$GROUND_BIN"
export BERTH_E2E_STATE="$BERTH_GROUND/bench"
# The e2e tests' kubectl, helm, waiting and log times.
. "$repo/tests/e2e/lib.sh"
fail() {
    echo "pod_roll: error: $*" >&2
    exit 1
}
log() { printf '%s pod_roll: %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }

# ---- the ground ----

up=0
stop_ground() {
    local rc=$? left
    trap - EXIT
    set +e
    follow_stop
    [ -z "${sampler_pid:-}" ] || kill "$sampler_pid" 2>/dev/null
    if [ "$up" = 1 ]; then
        log "taking the ground down"
        bash "$ground/node.sh" down >/dev/null 2>&1
        bash "$ground/kube.sh" down >/dev/null 2>&1
        left=$(ground_leftovers)
        if [ -n "$left" ]; then
            echo "pod_roll: the ground left this behind:" >&2
            sed 's/^/  /' <<<"$left" >&2
            [ "$rc" != 0 ] || rc=1
        fi
    fi
    if [ "$rc" = 0 ] && [ "${BERTH_BENCH_KEEP:-0}" != 1 ]; then
        rm -rf "$BERTH_GROUND"
    else
        echo "pod_roll: logs and samples kept in $BERTH_E2E_STATE" >&2
    fi
    exit "$rc"
}
trap stop_ground EXIT
trap 'exit 130' INT TERM
set -E
trap 'echo "pod_roll: line $LINENO: $BASH_COMMAND failed" >&2' ERR

t_start=$SECONDS
images="$GROUND_CACHE/images/bench"
bash "$ground/kafka.sh" fetch >&2
names=$(bash "$repo/tools/images.sh" build 2>/dev/null) || fail "building the images failed (tools/images.sh build)"
bash "$repo/tools/images.sh" save "$images" >/dev/null 2>&1 || fail "saving the images failed"
BROKER_IMAGE=$(grep -m1 '^localhost/berth-kafka:' <<<"$names") || fail "no broker image among: $names"
up=1
mkdir -p "$BERTH_E2E_STATE"
bash "$ground/kube.sh" up >"$BERTH_E2E_STATE/ground.log" 2>&1 || fail "kube.sh up failed: $(tail -3 "$BERTH_E2E_STATE/ground.log")"
GROUND_IMAGES="$images" bash "$ground/node.sh" up 3 >>"$BERTH_E2E_STATE/ground.log" 2>&1 ||
    fail "node.sh up 3 failed: $(tail -3 "$BERTH_E2E_STATE/ground.log")"
NODE_IPS=$(for i in 0 1 2; do bash "$ground/node.sh" ip "$i"; done | tr '\n' ' ')
log "ground up in $((SECONDS - t_start)) s: 3 real nodes ($NODE_IPS)"

# The operator, as a user installs it (tests/e2e/test_10_helm_install.sh).
helm install berth "$repo/charts/berth" -n berth-system --create-namespace >/dev/null ||
    fail "helm install of charts/berth failed"
wait_for 180 "the operator to be available" \
    kubectl wait -n berth-system --for=condition=Available --timeout=5s deployment/berth-operator

# The client pod: Kafka's tools from the broker image, on the pod network.
kubectl create namespace bench >/dev/null
kubectl apply -n bench -f - >/dev/null <<EOF
apiVersion: v1
kind: Pod
metadata: {name: client}
spec:
  terminationGracePeriodSeconds: 1
  automountServiceAccountToken: false
  containers:
  - name: client
    image: $BROKER_IMAGE
    command: [sleep, infinity]
EOF
wait_for 120 "the client pod" kubectl wait -n bench --for=condition=Ready --timeout=5s pod/client
client() { kubectl exec -n bench client -- "$@"; }
tool() { client /opt/kafka/bin/kafka-run-class.sh "$@"; }

# ---- the two configurations ----

# plain_apply NS: the brokers as a chart without berth makes them.
plain_apply() {
    local ns=$1 cid voters
    cid=$(head -c16 /dev/urandom | base64 | tr '+/' '-_' | cut -c1-22)
    voters=$(for i in 0 1 2; do printf '%s%d@plain-%d.plain-brokers.%s.svc.cluster.local:9093' \
        "$([ "$i" = 0 ] || echo ,)" "$i" "$i" "$ns"; done)
    kubectl apply -n "$ns" -f - >/dev/null <<EOF
apiVersion: v1
kind: Service
metadata: {name: plain-brokers}
spec:
  clusterIP: None
  publishNotReadyAddresses: true
  selector: {app.kubernetes.io/instance: plain, app.kubernetes.io/name: kafka}
  ports:
  - {name: kafka, port: 9092}
  - {name: controller, port: 9093}
---
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: plain}
spec:
  serviceName: plain-brokers
  replicas: 3
  podManagementPolicy: Parallel
  selector:
    matchLabels: {app.kubernetes.io/instance: plain, app.kubernetes.io/name: kafka}
  template:
    metadata:
      labels: {app.kubernetes.io/instance: plain, app.kubernetes.io/name: kafka}
    spec:
      securityContext: {fsGroup: 1000}
      affinity:
        podAntiAffinity:
          preferredDuringSchedulingIgnoredDuringExecution:
          - weight: 100
            podAffinityTerm:
              topologyKey: kubernetes.io/hostname
              labelSelector:
                matchLabels: {app.kubernetes.io/instance: plain, app.kubernetes.io/name: kafka}
      containers:
      - name: broker
        image: $BROKER_IMAGE
        env:
        - name: POD_NAME
          valueFrom: {fieldRef: {fieldPath: metadata.name}}
        command:
        - /bin/sh
        - -c
        - |
          set -e
          cat >/tmp/server.properties <<PROPS
          node.id=\${POD_NAME##*-}
          process.roles=broker,controller
          controller.quorum.voters=$voters
          controller.listener.names=CONTROLLER
          listeners=PLAINTEXT://0.0.0.0:9092,CONTROLLER://0.0.0.0:9093
          advertised.listeners=PLAINTEXT://\$POD_NAME.plain-brokers.$ns.svc.cluster.local:9092
          listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
          inter.broker.listener.name=PLAINTEXT
          log.dirs=/var/lib/kafka/data
          log.retention.hours=168
          default.replication.factor=3
          min.insync.replicas=2
          PROPS
          /opt/kafka/bin/kafka-storage.sh format --ignore-formatted --cluster-id $cid --config /tmp/server.properties
          exec /opt/kafka/bin/kafka-server-start.sh /tmp/server.properties
        ports:
        - {containerPort: 9092}
        - {containerPort: 9093}
        readinessProbe:
          tcpSocket: {port: 9092}
          periodSeconds: 2
          failureThreshold: 1
        volumeMounts:
        - {name: data, mountPath: /var/lib/kafka/data}
  volumeClaimTemplates:
  - metadata: {name: data}
    spec:
      accessModes: [ReadWriteOnce]
      resources: {requests: {storage: 1Gi}}
EOF
}

# berth_apply NS: the nodeport example, its image the ground's broker image.
berth_apply() {
    sed "s#^\(  image: \).*#\1$BROKER_IMAGE#" "$repo/manifests/examples/kafka-nodeport.yaml" |
        kubectl apply -n "$1" -f - >/dev/null
}

# ready3: the StatefulSet $CLUSTER in $NS has 3 Ready pods of its current
# revision.
ready3() {
    local r u
    read -r r u < <(kubectl get sts "$CLUSTER" -n "$NS" -o jsonpath='{.status.readyReplicas} {.status.updatedReplicas}'; echo)
    [ "$r" = 3 ] && [ "$u" = 3 ]
}

# sample_once: one Metadata sample line of the loaded topics.
sample_once() { "$sampler" once "$SAMPLE_BOOT" "${topics[@]}"; }

# settled: every partition led by its preferred broker, every replica in
# its ISR.
settled() {
    local s
    s=$(sample_once) || return 1
    [[ "$s" == *" leaderless=0 not_preferred=0 "* ]] && [[ "$s" != *out_isr=*:[1-9]* ]]
}

# stamp: prefixes every line with the wall clock in microseconds.
stamp() { while IFS= read -r l; do printf '%s %s\n' "${EPOCHREALTIME/./}" "$l"; done; }

# perf_start OUT RECORDS: ProducerPerformance for LEAD s of warm-up (not
# counted in its "steady state" figures) and then RECORDS more, output
# stamped into OUT.
perf_start() {
    local n=$(($2 + RATE * LEAD))
    : >"$1"
    { tool org.apache.kafka.tools.ProducerPerformance --bootstrap-server "$BOOT" --topic perf \
        --num-records "$n" --warmup-records $((RATE * LEAD)) --record-size "$RECORD" \
        --throughput "$RATE" --reporting-interval 1000 \
        --command-property acks=all enable.idempotence=true 2>&1 | stamp >"$1"; } &
    perf_pid=$!
}

# perf_warm OUT: waits until the producer in OUT is past its warm-up
# (it prints "In steady state."); prints the time (ms).
perf_warm() {
    local deadline=$((SECONDS + 120))
    until grep -q 'In steady state' "$1"; do
        [ "$SECONDS" -lt "$deadline" ] || fail "the producer did not get past its warm-up in 120 s: $(tail -3 "$1")"
        sleep 0.2
    done
    awk '/In steady state/ { printf "%.0f\n", $1 / 1000; exit }' "$1"
}

# perf_summary OUT: "p50 p99 p999 max rate acked" of the steady-state
# summary line ProducerPerformance printed at its end.
perf_summary() {
    awk '/steady state records sent,/ {
        for (k = 1; k <= NF; k++) {
            if ($k == "records/sec") rate = $(k - 1)
            if ($k == "max" && $(k + 1) == "latency,") max = $(k - 2)
            if ($k == "50th,") p50 = $(k - 2)
            if ($k == "99th,") p99 = $(k - 2)
            if ($k == "99.9th.") p999 = $(k - 2)
        }
        printf "%d %d %d %d %d %d\n", p50, p99, p999, max, rate, $2
    }' "$1"
}

# e2e_window FROM TO: "p50 p99 p999 max count" of the end-to-end latency
# of records created in [FROM, TO) ms, from the consumer's stamped output.
e2e_window() {
    awk -v a="$1" -v b="$2" '{ ct = $2; sub(/.*CreateTime:/, "", ct); ct += 0
        if (ct >= a && ct < b) print int($1 / 1000) - ct }' "$dir/consumer.out" | sort -n |
        awk 'function pct(p,  i) { i = int(p * NR); if (i < p * NR) i++; return v[i < 1 ? 1 : i] }
            { v[NR] = $1 }
            END { if (NR == 0) print "- - - - 0"
                  else printf "%d %d %d %d %d\n", pct(0.5), pct(0.99), pct(0.999), v[NR], NR }'
}

# below_min FROM TO: "seconds_below seconds_leaderless max_below unseen"
# from the Metadata samples in [FROM, TO): a sample's state holds until the
# next one; gaps over 2 s (no answer) count as unseen.
below_min() {
    awk -v a="$1" -v b="$2" '
        function close_gap(t) { if (pt == "") return; d = (t - pt) / 1000
            if (d > 2) unseen += d; else { if (pb > 0) below += d; if (pl > 0) lless += d } }
        $2 == "error" { next }
        { t = $1 + 0; if (t < a || t >= b) next; close_gap(t)
          split($3, x, "="); pb = x[2] + 0; split($4, y, "="); pl = y[2] + 0
          if (pb > maxb) maxb = pb; pt = t }
        END { close_gap(b); printf "%.1f %.1f %d %.1f\n", below, lless, maxb, unseen }' "$dir/samples"
}

# catch_up FROM TO BROKER: seconds BROKER was registered but out of an ISR
# in [FROM, TO), from the samples.
catch_up() {
    awk -v a="$1" -v b="$2" -v id="$3" '
        $2 == "error" { next }
        { t = $1 + 0; if (t < a || t >= b) next
          if (pt != "" && (t - pt) <= 2000 && pout) s += (t - pt) / 1000
          reg = ("," substr($2, 9) ",") ~ ("," id ","); pout = 0
          n = split(substr($NF, 9), o, ",")
          for (k = 1; k <= n; k++) { split(o[k], kv, ":"); if (kv[1] == id && kv[2] > 0 && reg) pout = 1 }
          pt = t }
        END { printf "%.1f\n", s }' "$dir/samples"
}

# failures OUT: "count type:n,type:n" of the sends the producer reported
# failed (each prints its exception's class first).
failures() {
    awk '$2 ~ /^[a-z][A-Za-z0-9_.$]*\.[A-Z][A-Za-z0-9_$]*(Exception|Error):?$/ {
            t = $2; sub(/:$/, "", t); sub(/.*\./, "", t); n++; c[t]++ }
        END { s = ""; for (t in c) s = s (s == "" ? "" : ",") t ":" c[t]
              printf "%d %s\n", n, (s == "" ? "-" : s) }' "$1"
}

# ---- container logs that outlive their pods ----
# A roll replaces every pod, and a pod's logs go with it. follow_start
# keeps one `kubectl logs -f --timestamps` per container of the cluster's
# pods, from a watch of the pods (one long request, not a poll), into
# $logs/POD.UID.CONTAINER.RESTARTS, until follow_stop; each by its PID
# (kubectl itself is started in the background, not a function, so that
# $! is its PID).
follow_start() {
    mkdir -p "$logs"
    : >"$logs/.pids"
    mkfifo "$logs/.events"
    follow_read &
    follow_reader=$!
    "$BERTH_GROUND_BIN/kubectl" --kubeconfig "$BERTH_KUBECONFIG" get pods -n "$NS" -l "app.kubernetes.io/instance=$CLUSTER" -w -o json >"$logs/.events" 2>/dev/null &
    follow_watch=$!
}
# follow_read: "POD UID NAME/RESTARTS/STARTED_AT..." per pod event, and a
# `kubectl logs -f` for each container seen running the first time.
follow_read() {
    local pod uid rest c name n started f
    jq --unbuffered -r '"\(.metadata.name) \(.metadata.uid)" + ([(.status.initContainerStatuses // [])[],
        (.status.containerStatuses // [])[] | " \(.name)/\(.restartCount)/\(.state.running.startedAt // "")"] | add // "")' \
        <"$logs/.events" | while read -r pod uid rest; do
        for c in $rest; do
            IFS=/ read -r name n started <<<"$c"
            f="$logs/$pod.$uid.$name.$n"
            [ -n "$started" ] && [ "$name" != init ] && [ ! -e "$f" ] || continue
            "$BERTH_GROUND_BIN/kubectl" --kubeconfig "$BERTH_KUBECONFIG" logs -f --timestamps "$pod" -n "$NS" -c "$name" >"$f" 2>&1 </dev/null &
            echo $! >>"$logs/.pids"
        done
    done
}
follow_stop() {
    local p
    [ -n "${follow_watch:-}" ] || return 0
    kill "$follow_watch" 2>/dev/null || true
    wait "$follow_watch" "$follow_reader" 2>/dev/null || true
    for p in $(cat "$logs/.pids"); do kill "$p" 2>/dev/null || true; done
    follow_watch=""
}

# logs_of POD UID CONTAINER [not]: the first log file of that container
# of the pod with UID (with "not": of a pod with another UID).
logs_of() {
    local f
    for f in "$logs/$1".*."$3".*; do
        [ -e "$f" ] || continue
        if [[ "$f" == "$logs/$1.$2."* ]]; then [ "${4:-}" != not ] || continue
        else [ "${4:-}" = not ] || continue; fi
        echo "$f"
        return
    done
}

# at FILE PATTERN: log_time, empty when FILE is missing or has no match.
at() { [ -n "$1" ] && log_time "$1" "$2" || true; }

# first_line FILE: the time (ms) of FILE's first line.
first_line() { [ -n "$1" ] && [ -s "$1" ] && rfc3339_ms "$(head -1 "$1" | cut -d' ' -f1)" || true; }

# ---- one configuration under load ----

declare -A R # results: R[KEY.FIGURE]

# run CFG SHAPE KEY: brings CFG up in a namespace of its own, loads it,
# rolls it, records its figures in R[KEY.*] and takes it down.
run() {
    local cfg=$1 shape=$2 key=$3 t0 steady_from steady_to roll_from roll_to window_to i uid pod
    local window=$WINDOW
    [ "$shape" = base ] || window=$MANY_WINDOW
    dir="$BERTH_E2E_STATE/$shape-${key/\#/-}"
    mkdir -p "$dir"
    NS="bench-$cfg"
    CLUSTER=$([ "$cfg" = plain ] && echo plain || echo demo)
    logs="$dir/logs"
    log "$shape/$cfg: starting 3 brokers"
    kubectl create namespace "$NS" >/dev/null
    t0=$SECONDS
    if [ "$cfg" = plain ]; then plain_apply "$NS"; else berth_apply "$NS"; fi
    wait_for 420 "3 Ready brokers of $cfg" ready3
    R[$key.up]=$((SECONDS - t0))
    # Metadata from the host: a NodePort Service to the brokers' internal
    # listener (port 9092 in both).
    kubectl apply -n "$NS" -f - >/dev/null <<EOF
apiVersion: v1
kind: Service
metadata: {name: bench-metadata}
spec:
  type: NodePort
  selector: {app.kubernetes.io/instance: $CLUSTER, app.kubernetes.io/name: kafka}
  ports: [{port: 9092, targetPort: 9092}]
EOF
    local np
    np=$(kubectl get svc bench-metadata -n "$NS" -o jsonpath='{.spec.ports[0].nodePort}')
    SAMPLE_BOOT=$(for ip in $NODE_IPS; do printf '%s:%s,' "$ip" "$np"; done)
    SAMPLE_BOOT=${SAMPLE_BOOT%,}
    BOOT=$(for i in 0 1 2; do printf '%s-%d.%s-brokers.%s.svc.cluster.local:9092,' "$CLUSTER" "$i" "$CLUSTER" "$NS"; done)
    BOOT=${BOOT%,}
    if [ "$cfg" = berth ]; then
        kubectl exec -n "$NS" demo-0 -c broker -- cat /etc/berth/config/server.properties >"$dir/server.properties" 2>/dev/null || true
    fi

    topics=(perf)
    tool org.apache.kafka.tools.TopicCommand --bootstrap-server "$BOOT" --create --topic perf \
        --partitions "$PARTS" --replication-factor 3 --config min.insync.replicas=$MIN_ISR >/dev/null ||
        fail "$cfg: creating topic perf"
    if [ "$shape" = many ]; then
        tool org.apache.kafka.tools.TopicCommand --bootstrap-server "$BOOT" --create --topic idle \
            --partitions "$MANY" --replication-factor 3 --config min.insync.replicas=$MIN_ISR >/dev/null ||
            fail "$cfg: creating topic idle ($MANY partitions)"
        topics+=(idle)
    fi
    wait_for 300 "$cfg: every partition led by its preferred broker, every replica in sync" settled

    "$sampler" sample "$SAMPLE_BOOT" "$MIN_ISR" "$SAMPLE_MS" "${topics[@]}" >"$dir/samples" 2>&1 &
    sampler_pid=$!
    follow_start
    # The consumer: each record's arrival (µs) before the record's line.
    # Its JVM's PID goes to a file in the pod, to stop it by.
    kubectl exec -n bench client -- bash -c 'echo $$ >/tmp/consumer.pid
        exec /opt/kafka/bin/kafka-run-class.sh org.apache.kafka.tools.consumer.ConsoleConsumer \
            --bootstrap-server "$1" --topic perf --formatter-property print.timestamp=true \
            --formatter-property print.value=false 2>/dev/null \
            > >(while IFS= read -r l; do echo "${EPOCHREALTIME/./} $l"; done)' - "$BOOT" \
        >"$dir/consumer.out" 2>/dev/null &
    local consumer_pid=$!
    # A consumer joins its group only after a while (a minute and more on
    # a busy ground): short producer runs until it shows records, so the
    # windows below are all seen.
    local deadline=$((SECONDS + 300))
    until grep -q CreateTime "$dir/consumer.out"; do
        [ "$SECONDS" -lt "$deadline" ] || fail "$cfg: the consumer received nothing in 300 s"
        tool org.apache.kafka.tools.ProducerPerformance --bootstrap-server "$BOOT" --topic perf \
            --num-records 200 --record-size "$RECORD" --throughput 100 \
            --command-property acks=all >/dev/null 2>&1 || true
    done

    log "$shape/$cfg: steady window (${STEADY} s at $RATE records/s of $RECORD bytes)"
    R[$key.load]=$(cut -d' ' -f1 /proc/loadavg)
    perf_start "$dir/steady.out" $((RATE * STEADY))
    steady_from=$(perf_warm "$dir/steady.out")
    wait "$perf_pid" || fail "$cfg: the steady producer failed: $(tail -3 "$dir/steady.out")"
    steady_to=$(now_ms)

    declare -A old_uid
    for i in 0 1 2; do old_uid[$i]=$(pod_uid "$CLUSTER-$i"); done
    log "$shape/$cfg: rolling under load (window ${window} s)"
    perf_start "$dir/roll.out" $((RATE * window))
    roll_from=$(perf_warm "$dir/roll.out")
    R[$key.load]+=" / $(cut -d' ' -f1 /proc/loadavg)"
    kubectl rollout restart statefulset "$CLUSTER" -n "$NS" >/dev/null
    sleep 2
    wait_for 900 "the roll of $cfg to finish" kubectl rollout status statefulset "$CLUSTER" -n "$NS" --timeout=5s
    wait_for 300 "3 Ready brokers of $cfg after the roll" ready3
    roll_to=$(now_ms)
    R[$key.outlasted]=""
    kill -0 "$perf_pid" 2>/dev/null || R[$key.outlasted]=", the roll outlasted it"
    sample_once >"$dir/after-roll" || true
    log "$shape/$cfg: roll done in $(((roll_to - roll_from) / 1000)) s; waiting for the window to end"
    wait "$perf_pid" || fail "$cfg: the roll producer failed: $(tail -3 "$dir/roll.out")"
    window_to=$(now_ms)
    R[$key.load]+=" / $(cut -d' ' -f1 /proc/loadavg)"
    sample_once >"$dir/after-window" || true
    sleep 2
    client sh -c 'kill "$(cat /tmp/consumer.pid)"' 2>/dev/null || true
    wait "$consumer_pid" 2>/dev/null || true
    kill "$sampler_pid" 2>/dev/null || true
    wait "$sampler_pid" 2>/dev/null || true
    sampler_pid=""
    follow_stop

    # ---- figures ----
    R[$key.roll_s]=$(((roll_to - roll_from) / 1000))
    R[$key.window_s]=$(((window_to - roll_from) / 1000))
    R[$key.steady_perf]=$(perf_summary "$dir/steady.out")
    R[$key.roll_perf]=$(perf_summary "$dir/roll.out")
    R[$key.fail]=$(failures "$dir/roll.out")
    R[$key.steady_fail]=$(failures "$dir/steady.out")
    R[$key.steady_e2e]=$(e2e_window "$steady_from" "$steady_to")
    R[$key.roll_e2e]=$(e2e_window "$roll_from" "$window_to")
    R[$key.below]=$(below_min "$roll_from" "$window_to")
    R[$key.lead_after]=$(sed -nE 's/.* not_preferred=([0-9]+) lead=([^ ]+) .*/\2 (\1 not preferred)/p' "$dir/after-roll")
    R[$key.lead_window]=$(sed -nE 's/.* not_preferred=([0-9]+) lead=([^ ]+) .*/\2 (\1 not preferred)/p' "$dir/after-window")
    local killed=0 cu="" tl="" t0
    R[$key.drains]=""
    ev() { [ -z "$2" ] || [ -z "$t0" ] || tl+=" $1 $(ms "$t0" "$2"),"; }
    for i in 2 1 0; do
        pod="$CLUSTER-$i"
        uid=${old_uid[$i]}
        local br sc nbr nsc t_term t_shut t_cstart t_start t_ready t_req t_done t_dns t_restore
        br=$(logs_of "$pod" "$uid" broker)
        sc=$(logs_of "$pod" "$uid" sidecar)
        nbr=$(logs_of "$pod" "$uid" broker not)
        nsc=$(logs_of "$pod" "$uid" sidecar not)
        t_req=$(at "$sc" "drain of broker $i requested")
        t_done=$(at "$sc" "drain of broker $i: done")
        t_term=$(at "$br" "Terminating process due to signal SIGTERM")
        t_shut=$(at "$br" "\[BrokerServer id=$i\] shut down completed")
        t_cstart=$(first_line "$nbr")
        t_start=$(at "$nbr" "Kafka Server started")
        t_dns=$(at "$nsc" "resolves to this pod's")
        t_restore=$(at "$nsc" "restore of broker $i: (done|gave up)")
        t_ready=$(ready_since "$pod" 2>/dev/null) || t_ready=""
        [ -n "$t_shut" ] || killed=$((killed + 1))
        cu+="$i:$(catch_up "$roll_from" "$window_to" "$i") "
        # Each event in seconds from the moment the pod's stop began (the
        # preStop drain's request, or SIGTERM where there is no drain).
        t0=${t_req:-$t_term}
        tl+="  broker $i, from its stop:"
        ev "drain done" "$t_done"
        ev SIGTERM "$t_term"
        if [ -n "$t_shut" ]; then ev "shut down" "$t_shut"; else tl+=" no 'shut down completed' in its log (SIGKILLed),"; fi
        ev "new container" "$t_cstart"
        ev "name resolves to it" "$t_dns"
        ev "Kafka started" "$t_start"
        ev "restore done" "$t_restore"
        ev "pod Ready" "$t_ready"
        tl=${tl%,}
        [ -z "$t_req" ] || [ -z "$t_done" ] || R[$key.drains]+="$i:$(ms "$t_req" "$t_done") "
        tl+=$'\n'
        # Where the drain's time went: the sidecar's account of each round
        # (sidecar/drain_kafka.c), and the lease wait before the first.
        [ -z "$sc" ] || tl+=$(grep -oE "(taking the drain lease.*|holding the drain lease|broker $i leads [0-9]+ partitions.*|leading nothing.*)" "$sc" 2>/dev/null |
            sed 's/^/      drain: /')$'\n'
    done
    R[$key.killed]=$killed
    R[$key.catch_up]=$cu
    R[$key.timeline]=$tl

    # The cluster first, then the rest: a namespace deleted whole takes the
    # Services and ConfigMaps away beside the pods, and the last broker,
    # its quorum gone, waits out its grace period.
    log "$shape/$cfg: taking it down"
    if [ "$cfg" = berth ]; then
        kubectl delete kc demo -n "$NS" --wait=false >/dev/null
    else
        kubectl delete sts plain -n "$NS" --wait=false >/dev/null
    fi
    wait_for 300 "the brokers of $cfg to go" no_pods
    kubectl delete namespace "$NS" --wait=false >/dev/null
    wait_for 300 "namespace $NS to go" ns_gone
}

no_pods() { [ -z "$(kubectl get pods -n "$NS" -l "app.kubernetes.io/instance=$CLUSTER" -o name)" ]; }
ns_gone() { ! kubectl get namespace "$NS" >/dev/null 2>&1; }

# ms FROM TO: "N.N s" between two ms times.
ms() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f s", (b - a) / 1000 }'; }

# ---- the table ----

# row LABEL KEY FIELD...: one line, the same figures for each configuration.
print_table() {
    local shape=$1 c
    local -a cs
    read -r -a cs <<<"$keys"
    printf '\n%s: %d partitions loaded%s, %d records/s of %d bytes, acks=all, idempotence on; windows: steady %d s, roll %d s from its start\n' \
        "$shape" "$PARTS" "$([ "$shape" = many ] && echo " + $MANY idle")" "$RATE" "$RECORD" "$STEADY" \
        "$([ "$shape" = base ] && echo "$WINDOW" || echo "$MANY_WINDOW")"
    printf '%-46s' ""; for c in "${cs[@]}"; do printf '%-34s' "$c"; done; echo
    row() {
        local label=$1 f=$2
        printf '%-46s' "$label"
        for c in "${cs[@]}"; do printf '%-34s' "$($f "$c")"; done
        echo
    }
    f_up() { echo "${R[$1.up]} s"; }
    f_load() { echo "${R[$1.load]}"; }
    f_roll() { echo "${R[$1.roll_s]} s (window ${R[$1.window_s]} s${R[$1.outlasted]})"; }
    f_fail() { read -r n t <<<"${R[$1.fail]}"; echo "$n${t:+ ($t)}" | sed 's/ (-)//'; }
    f_rate() { read -r _ _ _ _ s _ <<<"${R[$1.steady_perf]}"; read -r _ _ _ _ r _ <<<"${R[$1.roll_perf]}"; echo "$s / $r"; }
    f_pl() { read -r a b c d _ <<<"${R[$1.$2]}"; echo "$a / $b / $c / $d"; }
    f_ps() { f_pl "$1" steady_perf; }
    f_pr() { f_pl "$1" roll_perf; }
    f_es() { f_pl "$1" steady_e2e; }
    f_er() { f_pl "$1" roll_e2e; }
    f_below() { read -r b _ m u <<<"${R[$1.below]}"; echo "$b s (max $m at once)$([ "$u" = 0.0 ] || echo ", $u s unseen")"; }
    f_lless() { read -r _ l _ _ <<<"${R[$1.below]}"; echo "$l s"; }
    f_cu() { echo "${R[$1.catch_up]}"; }
    f_la() { echo "${R[$1.lead_after]}"; }
    f_lw() { echo "${R[$1.lead_window]}"; }
    f_k() { echo "${R[$1.killed]} of 3"; }
    f_dr() { echo "${R[$1.drains]:--}"; }
    row "load average: steady / roll / window end" f_load
    row "brokers Ready after apply" f_up
    row "roll duration" f_roll
    row "failed sends during the roll (types)" f_fail
    row "acknowledged records/s: steady / roll" f_rate
    row "produce ms p50/p99/p99.9/max, steady" f_ps
    row "produce ms p50/p99/p99.9/max, roll window" f_pr
    row "end-to-end ms p50/p99/p99.9/max, steady" f_es
    row "end-to-end ms p50/p99/p99.9/max, roll window" f_er
    row "a partition below min.insync.replicas" f_below
    row "a partition without leader" f_lless
    row "out of an ISR while registered, per broker" f_cu
    row "leaders per broker at the roll's end" f_la
    row "leaders per broker at the window's end" f_lw
    row "brokers SIGKILLed" f_k
    row "drain per broker (berth's preStop)" f_dr
    for c in "${cs[@]}"; do
        echo "$c, each broker's restart (in roll order):"
        printf '%s' "${R[$c.timeline]}"
    done
}

echo "pod_roll: ground of 3 real nodes (kubelet, containerd; $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2 / 1048576}' /proc/meminfo)); broker image $BROKER_IMAGE"
echo "  clients: ProducerPerformance and a ConsoleConsumer in a pod on the ground (broker image's jars), internal listener by pod DNS names"
echo "  Metadata sampled every $SAMPLE_MS ms from the host through a NodePort Service; load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
shapes=base
[ "$MANY" = 0 ] || shapes+=" many"
shapes=${BERTH_BENCH_SHAPES:-$shapes}
for shape in $shapes; do
    keys=""
    for ((round = 1; round <= ROUNDS; round++)); do
        for cfg in $CONFIGS; do
            key=$cfg
            [ "$ROUNDS" = 1 ] || key="$cfg#$round"
            run "$cfg" "$shape" "$key"
            keys+=" $key"
        done
    done
    print_table "$shape"
done
[ "$MANY" != 0 ] || echo "(second shape skipped: BERTH_BENCH_MANY=N adds an idle topic of N partitions and rolls both again)"
echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg); bench took $((SECONDS - t_start)) s"
