#!/usr/bin/env bash
# Drain figures on the test ground's real 3-broker Kafka cluster:
#  - how long berth's drain takes for a broker leading 1,000 partitions
#    (a topic of 1,000 partitions, RF 3, broker 1 first in every replica
#    list), and how long its restart takes until /readyz (catch-up and
#    restore of those 1,000 leaderships);
#  - failed sends and max produce latency of Kafka's ProducerPerformance
#    (acks=all, idempotence on) during a full rolling restart with berth's
#    drain (leadership handed back in steps, the default), with drain and
#    leadership handed back all at once, and without drain.
# The brokers restart on configs rendered by `berth-sidecar init`
# (tests/support/roll.sh). Restarts brokers: meant for a ground of its own
# (BERTH_GROUND and the port variables of tests/ground/lib.sh), or the
# shared one when nobody else uses it. Leaves the cluster as it found it.
# Without a running ground it says so and prints nothing else. Prints
# figures only.
set -euo pipefail
export LC_ALL=C
here=$(cd "$(dirname "$0")" && pwd)
roll_repo=$(cd "$here/.." && pwd)
. "$roll_repo/tests/ground/lib.sh"
export BERTH_KAFKA_SH="$roll_repo/tests/ground/kafka.sh"
export BERTH_GROUND_BIN=${BERTH_GROUND_BIN:-$GROUND_BIN}
export BERTH_KUBECONFIG=${BERTH_KUBECONFIG:-$GROUND_KUBECONFIG}
BERTH_KAFKA_BOOTSTRAP=$(bash "$BERTH_KAFKA_SH" bootstrap)
export BERTH_KAFKA_BOOTSTRAP
if [ -z "$BERTH_KAFKA_BOOTSTRAP" ] ||
    ! "$BERTH_GROUND_BIN/kubectl" --kubeconfig "$BERTH_KUBECONFIG" get --raw /readyz >/dev/null 2>&1; then
    echo "drain_roll: no running ground (start it with tests/ground/kube.sh up and kafka.sh up 3)"
    exit 0
fi
. "$roll_repo/tests/support/roll.sh"
[ "$(roll_brokers)" -eq 3 ] || { echo "drain_roll: needs 3 brokers"; exit 0; }
for b in berth-sidecar berth-drain; do
    [ -x "$(roll_bin "$b")" ] || { echo "drain_roll: $(roll_bin "$b") missing (make all)"; exit 1; }
done

rand=$(head -c4 /dev/urandom | od -An -tx1 | tr -d ' \n')
roll_ns="rol-bench-$rand"
roll_tmp=$(mktemp -d)
big_topic="rol-bench-lead-$rand"
perf_topic="rol-bench-perf-$rand"
BIG=${BERTH_BENCH_LEADERSHIPS:-1000}
PERF_RATE=${BERTH_BENCH_PERF_RATE:-300}
disturbed=0

roll_fail() { echo "drain_roll: error: $*" >&2; exit 1; }
cleanup() {
    local rc=$? i
    trap - EXIT
    set +e
    roll_perf_kill
    roll_sidecars_stop
    if [ "$disturbed" = 1 ]; then
        for ((i = 0; i < $(roll_brokers); i++)); do
            kill -0 "$(cat "$roll_state/b$i/pid")" 2>/dev/null || bash "$BERTH_KAFKA_SH" start-broker "$i"
        done
        if [ "$rc" -ne 0 ]; then
            for ((i = 0; i < $(roll_brokers); i++)); do roll_sidecar_start "$i"; done
            ROLL_READY_TIMEOUT=120
            for ((i = 0; i < $(roll_brokers); i++)); do (roll_wait_ready "$i"); done
            roll_sidecars_stop
        fi
        roll_elect_preferred
    fi
    roll_topic_delete "$big_topic"
    roll_topic_delete "$perf_topic"
    roll_finish "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

roll_setup
# Broker 1 first in every replica list: it leads all BIG partitions.
assign=$(awk -v n="$BIG" 'BEGIN { for (p = 0; p < n; p++) printf "%s%s", (p ? "," : ""), (p % 2 ? "1:0:2" : "1:2:0") }')
roll_tool org.apache.kafka.tools.TopicCommand --bootstrap-server "$BERTH_KAFKA_BOOTSTRAP" --create \
    --topic "$big_topic" --replica-assignment "$assign" --config min.insync.replicas=2 >/dev/null ||
    roll_fail "creating $big_topic"
roll_topic_create "$perf_topic" 12
for _ in $(seq 1 60); do
    roll_snapshot "$big_topic" >"$roll_tmp/big"
    [ "$(roll_leads "$roll_tmp/big" 1)" -eq "$BIG" ] && break
    sleep 1
done
led=$(roll_leads "$roll_tmp/big" 1)
for ((i = 0; i < 3; i++)); do roll_sidecar_start "$i"; done
for ((i = 0; i < 3; i++)); do roll_wait_ready "$i"; done

# ---- drain time ----
disturbed=1
total=$(roll_leads <(roll_snapshot) 1)
roll_drain 1
drain_secs=$roll_drain_secs
t0=$SECONDS
roll_restart 1
restart_secs=$((SECONDS - t0))
roll_snapshot "$big_topic" >"$roll_tmp/big-after"
back=$(roll_leads "$roll_tmp/big-after" 1)
echo "drain of a broker leading $total partitions ($led of them in a $BIG-partition topic, RF 3): ${drain_secs} s"
echo "its restart until /readyz (stop, start, catch-up, restore of its leaderships): ${restart_secs} s; it leads $back of the $led again"
roll_topic_delete "$big_topic"

# ---- rolls under producer load ----
roll_perf_start "$perf_topic" "$PERF_RATE"
t0=$SECONDS
roll_drained
secs=$((SECONDS - t0))
roll_perf_stop
echo "roll with drain (3 brokers, ${secs} s, $PERF_RATE records/s acks=all idempotent): $perf_failed failed sends, max latency $perf_max_ms ms ($perf_sent acknowledged)"
roll_perf_slow
roll_sidecars_stop
ROLL_SIDECAR_ARGS="--handback-batch 0"
for ((i = 0; i < 3; i++)); do roll_sidecar_start "$i"; done
for ((i = 0; i < 3; i++)); do roll_wait_ready "$i"; done
roll_perf_start "$perf_topic" "$PERF_RATE"
t0=$SECONDS
roll_drained
secs=$((SECONDS - t0))
roll_perf_stop
echo "roll with drain, leadership handed back all at once (--handback-batch 0, ${secs} s, same load): $perf_failed failed sends, max latency $perf_max_ms ms ($perf_sent acknowledged)"
roll_perf_slow
roll_sidecars_stop
unset ROLL_SIDECAR_ARGS
roll_perf_start "$perf_topic" "$PERF_RATE"
t0=$SECONDS
roll_plain
secs=$((SECONDS - t0))
roll_perf_stop
echo "roll without drain (3 brokers, ${secs} s, same load): $perf_failed failed sends, max latency $perf_max_ms ms ($perf_sent acknowledged)"
roll_perf_slow
