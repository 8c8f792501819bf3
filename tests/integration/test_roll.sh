#!/usr/bin/env bash
# Rolling restarts of the real 3-broker Kafka cluster with berth's drain
# (issue 4's acceptance), every broker restarted on a server.properties that
# `berth-sidecar init` rendered from a <cluster>-brokers ConfigMap (mapped
# onto the ground's loopback ports, see tests/support/roll.sh):
#  - a topic of 300 partitions (RF 3, min.insync.replicas 2) is recorded:
#    every partition's replica order and leader;
#  - a full rolling restart with drain (per broker: berth-drain, the broker
#    then leads nothing; SIGTERM; a fresh `berth-sidecar run` and the broker
#    start; /readyz, which includes restore, turns 200; next) while Kafka's
#    ProducerPerformance (acks=all, idempotence on) writes to another RF 3
#    topic: zero failed sends; failed sends and max latency are printed;
#  - two more drained rolls: after each, every replica order and leader
#    equals the recorded one (no drift);
#  - two drains started at the same moment on brokers 1 and 2: both leave
#    their broker leading nothing; then both restart: no drift;
#  - every sidecar exits 0 on SIGTERM;
#  - the cluster is left as found: all brokers up, every partition led by
#    the broker that led it before, its topics deleted, sidecars stopped, namespace deleted; a
#    failure restarts stopped brokers and restores leadership too.
# Stops and starts brokers: run on a ground of its own while developed, and
# alone in `make test`. Run by tests/integration/run.sh.
set -euo pipefail
export LC_ALL=C
here=$(cd "$(dirname "$0")" && pwd)
roll_repo=$(cd "$here/../.." && pwd)
. "$roll_repo/tests/support/roll.sh"

: "${BERTH_KUBECONFIG:?}" "${BERTH_KAFKA_BOOTSTRAP:?}" "${BERTH_KAFKA_SH:?}" "${BERTH_GROUND_BIN:?}"
rand=$(head -c4 /dev/urandom | od -An -tx1 | tr -d ' \n')
roll_ns="rol-$rand"
roll_tmp=$(mktemp -d)
drift_topic="rol-drift-$rand"
perf_topic="rol-perf-$rand"
PARTITIONS=${ROLL_PARTITIONS:-300}
PERF_PARTITIONS=12
PERF_RATE=${ROLL_PERF_RATE:-200}
finished=0
disturbed=0 # set once a broker may have been drained or stopped

fail() { echo "FAIL test_roll: $*" >&2; exit 1; }
roll_fail() { fail "$@"; }
ok() { echo "ok: $*"; }

cleanup() {
    local rc=$? i
    trap - EXIT
    set +e
    roll_perf_kill
    if [ "$finished" != 1 ] && [ "$disturbed" = 1 ]; then
        # Bring the cluster back: every broker running, a fresh sidecar per
        # broker restores what a drain demoted, then preferred leaders.
        roll_sidecars_stop
        for ((i = 0; i < $(roll_brokers); i++)); do
            kill -0 "$(cat "$roll_state/b$i/pid")" 2>/dev/null || bash "$BERTH_KAFKA_SH" start-broker "$i"
        done
        for ((i = 0; i < $(roll_brokers); i++)); do roll_sidecar_start "$i"; done
        ROLL_READY_TIMEOUT=120
        for ((i = 0; i < $(roll_brokers); i++)); do (roll_wait_ready "$i") || echo "cleanup: broker $i not restored" >&2; done
        roll_elect_preferred
    fi
    roll_sidecars_stop
    roll_topic_delete "$drift_topic"
    roll_topic_delete "$perf_topic"
    roll_finish "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

n=$(roll_brokers)
[ "$n" -eq 3 ] || fail "needs the ground's 3 brokers, found $n in $roll_state"

# ---- set-up ----
roll_setup
roll_snapshot >"$roll_tmp/cluster-before"
roll_topic_create "$drift_topic" "$PARTITIONS"
roll_topic_create "$perf_topic" "$PERF_PARTITIONS"
roll_wait_leaders "$drift_topic" "$PARTITIONS" "$roll_tmp/orig"
for ((i = 0; i < n; i++)); do
    led[$i]=$(roll_leads "$roll_tmp/orig" "$i")
    [ "${led[$i]}" -gt 0 ] || fail "broker $i leads no partition of $drift_topic at the start"
done
ok "$drift_topic: $PARTITIONS partitions recorded; brokers lead ${led[*]}"

# The configs init renders are equivalent to the ground's own.
for ((i = 0; i < n; i++)); do roll_render "$i" >/dev/null; done
ok "berth-sidecar init renders a config equivalent to the ground's for each broker"

for ((i = 0; i < n; i++)); do roll_sidecar_start "$i"; done
for ((i = 0; i < n; i++)); do roll_wait_ready "$i"; done
ok "a sidecar per broker, each /readyz 200"

# no_drift WHAT: every replica order and leader equals the recorded one.
no_drift() {
    local diff
    roll_snapshot "$drift_topic" >"$roll_tmp/now"
    diff=$(diff "$roll_tmp/orig" "$roll_tmp/now") ||
        fail "$1: partitions drifted (< recorded, > now; topic partition replicas leader):
$(head -20 <<<"$diff")"
    ok "$1: all $PARTITIONS replica orders and leaders equal the recorded ones"
}

# After each drain of the first roll: the broker leads nothing; every partition has a leader
# and its replica set.
check_drains=1
roll_after_drain() {
    local i=$1 bad
    [ "$check_drains" = 1 ] || return 0
    roll_snapshot "$drift_topic" >"$roll_tmp/drained"
    [ "$(roll_leads "$roll_tmp/drained" "$i")" -eq 0 ] ||
        fail "after its drain broker $i still leads $(roll_leads "$roll_tmp/drained" "$i") partitions"
    bad=$(join <(awk '{print $1"/"$2, $3, $4}' "$roll_tmp/orig" | sort) \
        <(awk '{print $1"/"$2, $3, $4}' "$roll_tmp/drained" | sort) |
        awk 'function set(s,  a, k, m, t, r) {
                 m = split(s, a, ",")
                 for (k = 2; k <= m; k++) { t = a[k]; for (j = k - 1; j >= 1 && a[j] > t; j--) a[j + 1] = a[j]; a[j + 1] = t }
                 for (k = 1; k <= m; k++) r = r a[k] ","
                 return r }
             set($2) != set($4) || $5 < 0')
    [ -z "$bad" ] || fail "after the drain of broker $i, replica sets changed or leaders are missing: $bad"
    [ "$(wc -l <"$roll_tmp/drained")" -eq "$PARTITIONS" ] || fail "partitions missing after the drain of broker $i"
}

# ---- 1. a roll with drain, under producer load ----
disturbed=1
roll_perf_start "$perf_topic" "$PERF_RATE"
t0=$SECONDS
roll_drained
drained_secs=$((SECONDS - t0))
roll_perf_stop
drained_sent=$perf_sent drained_failed=$perf_failed drained_max=$perf_max_ms
cp "$roll_tmp/perf.log" "$roll_tmp/perf-drained.log"
roll_perf_slow
echo "roll with drain:    ${drained_secs}s, $drained_sent records acknowledged, $drained_failed failed sends, max latency ${drained_max} ms"
roll_perf_check "the drained roll"
ok "rolling restart with drain under load: zero failed sends"
no_drift "drained roll 1 of 3"

# ---- 2. two more drained rolls ----
check_drains=0 # the first roll checked each drain; these check the outcome
roll_drained
no_drift "drained roll 2 of 3"
roll_drained
no_drift "drained roll 3 of 3"

# ---- 3. two drains at the same moment, then both restarts ----
"$(roll_bin berth-drain)" --socket "$(roll_sock 1)" --timeout "$ROLL_DRAIN_TIMEOUT" >"$roll_tmp/drain-1.log" 2>&1 &
d1=$!
"$(roll_bin berth-drain)" --socket "$(roll_sock 2)" --timeout "$ROLL_DRAIN_TIMEOUT" >"$roll_tmp/drain-2.log" 2>&1 &
d2=$!
wait "$d1" || { cat "$roll_tmp/drain-1.log" >&2; fail "the concurrent drain of broker 1 failed"; }
wait "$d2" || { cat "$roll_tmp/drain-2.log" >&2; fail "the concurrent drain of broker 2 failed"; }
roll_snapshot "$drift_topic" >"$roll_tmp/drained"
[ "$(roll_leads "$roll_tmp/drained" 1)" -eq 0 ] && [ "$(roll_leads "$roll_tmp/drained" 2)" -eq 0 ] ||
    fail "after two concurrent drains brokers 1 and 2 lead $(roll_leads "$roll_tmp/drained" 1) and $(roll_leads "$roll_tmp/drained" 2) partitions"
ok "two drains started together: brokers 1 and 2 lead nothing, broker 0 leads $(roll_leads "$roll_tmp/drained" 0)"
roll_restart 1
roll_restart 2
no_drift "two concurrent drains and their restarts"

# ---- 4. sidecars stop cleanly ----
roll_sidecars_stop || fail "a sidecar did not exit cleanly on SIGTERM (logs in $roll_tmp)"
ok "every sidecar exited 0 on SIGTERM"

# ---- 5. leave the cluster as found ----
# (A roll without berth, against berth's, is bench/pod_roll.sh's, on real pods.)
roll_elect_preferred
for _ in $(seq 1 30); do
    roll_snapshot >"$roll_tmp/cluster-after"
    # Every partition that existed before: same replicas, same leader.
    moved=$(join <(awk '{print $1"/"$2, $3, $4}' "$roll_tmp/cluster-before" | sort) \
        <(awk '{print $1"/"$2, $3, $4}' "$roll_tmp/cluster-after" | sort) | awk '$2 != $4 || $3 != $5')
    drift=$(diff <(grep "^$drift_topic " "$roll_tmp/cluster-after") "$roll_tmp/orig" || true)
    [ -z "$moved" ] && [ -z "$drift" ] && break
    sleep 2
done
[ -z "$moved" ] || fail "partitions of other topics are not led as before: $(head -5 <<<"$moved")"
[ -z "$drift" ] || fail "$drift_topic not back to its recorded leaders: $(head -5 <<<"$drift")"
ok "every broker leads what it led before"
finished=1
