#!/usr/bin/env bash
# A rolling upgrade of Apache Kafka with berth's drain. A 3-broker KRaft
# cluster of this test's own starts on the previous release (UPGRADE_FROM:
# the newest of the minor before the one tests/ground/kafka/pom.xml pins);
# then each broker in turn is drained by berth (berth-drain against its
# `berth-sidecar run`), stopped, and started again on the pinned release's
# jars, as a pod whose spec.image changed restarts: init renders its config,
# the new release's storage tool runs `format --ignore-formatted` on the
# volume the old one formatted, then the broker starts.
#  - Kafka's ProducerPerformance (acks=all, idempotence on) writes to a topic
#    of RF 3 and min.insync.replicas 2 for the whole roll: zero failed sends;
#  - after its drain a broker leads nothing; after its restart it reports the
#    new release in its own log and its sidecar's /readyz is 200 (caught up,
#    leadership handed back), while the others still run the old one;
#  - at the end every broker runs the new release and is in every ISR, and
#    every partition has its replica order of before and is led by its
#    preferred (first) replica;
#  - metadata.version is printed before and after and is the same: the roll
#    upgrades the software only; finalizing the new metadata.version is a
#    step of its own.
# Its cluster: clients on 127.0.0.1:BERTH_UPGRADE_PORT_BASE+i (default
# 29892), controllers on +100, the sidecars' HTTP on +200, state in
# /tmp/bg-kaf-upg-<base>; the ground's control plane holds the sidecars'
# ConfigMaps and Lease. Run by tests/integration/run.sh.
set -euo pipefail
export LC_ALL=C
here=$(cd "$(dirname "$0")" && pwd)
roll_repo=$(cd "$here/../.." && pwd)

: "${BERTH_KUBECONFIG:?}" "${BERTH_KAFKA_SH:?}" "${BERTH_GROUND_BIN:?}"
unset KAFKA_VERSION KAFKA_SASL_SSL
# The release rolled from: the newest of the minor before the pinned one;
# it moves with the pin (kafka.sh previous).
UPGRADE_FROM=$(bash "$BERTH_KAFKA_SH" previous)
UPGRADE_TO=$(bash "$BERTH_KAFKA_SH" version)
base=${BERTH_UPGRADE_PORT_BASE:-29892}
export BERTH_GROUND=/tmp/bg-kaf-upg-$base
export KAFKA_BROKER_PORT_BASE=$base KAFKA_CONTROLLER_PORT_BASE=$((base + 100))
export ROLL_HTTP_PORT_BASE=$((base + 200))
export BERTH_KAFKA_BOOTSTRAP=127.0.0.1:$base,127.0.0.1:$((base + 1)),127.0.0.1:$((base + 2))
. "$roll_repo/tests/support/roll.sh"

rand=$(head -c4 /dev/urandom | od -An -tx1 | tr -d ' \n')
roll_ns="upg-$rand"
roll_tmp=$(mktemp -d)
topic="upg-$rand"
PARTITIONS=12
PERF_RATE=${ROLL_PERF_RATE:-200}

fail() { echo "FAIL test_upgrade: $*" >&2; exit 1; }
roll_fail() { fail "$@"; }
ok() { echo "ok: $*"; }

cleanup() {
    local rc=$? i
    trap - EXIT
    set +e
    roll_perf_kill
    [ -f "$roll_state/count" ] && roll_sidecars_stop
    # The brokers' logs go with the cluster's state: keep them on failure.
    if [ "$rc" -ne 0 ]; then
        for ((i = 0; i < 3; i++)); do cp "$roll_state/b$i/server.log" "$roll_tmp/server-$i.log" 2>/dev/null; done
    fi
    bash "$BERTH_KAFKA_SH" down >/dev/null 2>&1
    roll_finish "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# running I: the release broker I's JVM reported at its last start.
running() { sed -n 's/.* Kafka version: \([^ ]*\) .*/\1/p' "$roll_state/b$1/server.log" 2>/dev/null | tail -1; }
versions() { echo "broker 0: $(running 0), broker 1: $(running 1), broker 2: $(running 2)"; }
metadata_version() {
    roll_tool org.apache.kafka.tools.FeatureCommand --bootstrap-server "$BERTH_KAFKA_BOOTSTRAP" describe 2>/dev/null |
        awk '$2 == "metadata.version" { for (k = 3; k < NF; k++) if ($k == "FinalizedVersionLevel:") print $(k + 1) }'
}

[ "$UPGRADE_FROM" != "$UPGRADE_TO" ] || fail "upgrading from $UPGRADE_FROM to itself: set BERTH_UPGRADE_FROM to an older release"
t0=$SECONDS

# ---- a cluster on the old release ----
# A cluster left over by an interrupted run holds the ports.
bash "$BERTH_KAFKA_SH" down >/dev/null 2>&1 || true
KAFKA_VERSION=$UPGRADE_FROM bash "$BERTH_KAFKA_SH" up 3 2>"$roll_tmp/up.log" ||
    { cat "$roll_tmp/up.log" >&2; fail "starting 3 brokers on Apache Kafka $UPGRADE_FROM"; }
for ((i = 0; i < 3; i++)); do
    [ "$(running "$i")" = "$UPGRADE_FROM" ] || fail "broker $i runs '$(running "$i")', not $UPGRADE_FROM"
done
mv_before=$(metadata_version)
[ -n "$mv_before" ] || fail "no metadata.version from FeatureCommand describe"
echo "metadata.version before: $mv_before"
ok "3 brokers on Apache Kafka $UPGRADE_FROM in $((SECONDS - t0))s"

roll_setup
roll_topic_create "$topic" "$PARTITIONS"
roll_wait_leaders "$topic" "$PARTITIONS" "$roll_tmp/orig"
for ((i = 0; i < 3; i++)); do roll_sidecar_start "$i"; done
for ((i = 0; i < 3; i++)); do roll_wait_ready "$i"; done
ok "$topic: $PARTITIONS partitions, RF 3, min.insync.replicas 2; a sidecar per broker, each /readyz 200"

# ---- the roll onto the new release, under load ----
# What the broker container does first on the new image.
roll_before_start() {
    roll_tool kafka.tools.StorageTool format --ignore-formatted -t "$(cat "$roll_state/cluster-id")" \
        -c "$2" >"$roll_tmp/format-$1.log" 2>&1 ||
        { cat "$roll_tmp/format-$1.log" >&2; fail "Kafka $UPGRADE_TO's storage tool refused broker $1's volume"; }
}

roll_perf_start "$topic" "$PERF_RATE"
t_roll=$SECONDS
for ((i = 0; i < 3; i++)); do
    roll_drain "$i"
    roll_snapshot "$topic" >"$roll_tmp/drained"
    [ "$(roll_leads "$roll_tmp/drained" "$i")" -eq 0 ] ||
        fail "after its drain broker $i still leads $(roll_leads "$roll_tmp/drained" "$i") partitions"
    roll_restart "$i"
    [ "$(running "$i")" = "$UPGRADE_TO" ] || fail "broker $i runs '$(running "$i")' after its restart, not $UPGRADE_TO"
    echo "after broker $i: $(versions); metadata.version $(metadata_version)"
done
roll_secs=$((SECONDS - t_roll))
roll_perf_stop
roll_perf_slow
echo "upgrade roll: ${roll_secs}s, $perf_sent records acknowledged, $perf_failed failed sends, max latency ${perf_max_ms} ms"
roll_perf_check "the upgrade roll"
ok "drained roll from $UPGRADE_FROM to $UPGRADE_TO under load: zero failed sends"

# ---- the cluster after ----
bash "$BERTH_KAFKA_SH" alive || fail "not every broker runs after the roll"
roll_wait_in_sync
ok "every broker is in every ISR"
for _ in $(seq 1 15); do
    roll_snapshot "$topic" >"$roll_tmp/after"
    moved=$(join <(awk '{print $2, $3}' "$roll_tmp/orig" | sort) <(awk '{print $2, $3, $4}' "$roll_tmp/after" | sort) |
        awk '{split($2, r, ",")} $2 != $3 || $4 != r[1]')
    [ -z "$moved" ] && [ "$(wc -l <"$roll_tmp/after")" -eq "$PARTITIONS" ] && break
    sleep 2
done
[ -z "$moved" ] && [ "$(wc -l <"$roll_tmp/after")" -eq "$PARTITIONS" ] || fail "partitions missing, not on their replica order of before or not led by their preferred replica (partition replicas-before replicas-now leader): $(head -5 <<<"$moved")"
ok "every partition has its replica order of before and is led by its preferred replica"
mv_after=$(metadata_version)
echo "metadata.version after: $mv_after"
[ "$mv_after" = "$mv_before" ] || fail "metadata.version changed from $mv_before to $mv_after"
ok "every broker on Apache Kafka $UPGRADE_TO ($(versions)); metadata.version still $mv_before; ${SECONDS}s in all"
