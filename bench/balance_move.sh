#!/usr/bin/env bash
# Time and bytes moved for a 3 -> 5 rebalance of N partitions: berth's
# mover (lib/balance/move.h) against Kafka's own
# kafka-reassign-partitions --generate/--execute, on the same cluster in
# the same run. The figures come from balance_move (a helper beside this
# file, which says what each one is); this script gives it a 5-broker
# Apache Kafka of its own (tests/ground/kafka.sh up 5) and takes that down
# again on exit, also when interrupted, leaving nothing behind. Prints
# figures only; it never passes or fails on one.
#
# The cluster never touches the shared ground's: state in BERTH_BENCH_DIR
# (default /tmp/berth-bench-balance; the script owns it and removes it),
# brokers on 127.0.0.1:29392.. and controllers on 29492.. (below the
# ephemeral range, away from the ground's 29092/29192, the SASL and TLS
# tests' 29292 and 29592.., and the upgrade test's 29892..). If one of
# those ports is taken, it says so and exits 0.
#
# Environment (defaults in brackets):
#   BERTH_BENCH_PARTITIONS ["30 300"]  topic sizes, one run each
#   BERTH_BENCH_PARTITION_KB [1024]    data written per partition
#   BERTH_BENCH_MAX_MOVES [10]         berth's partitions in flight
#   BERTH_BENCH_THROTTLE [0]           replication bytes/s while moving, for
#                                      both movers (0: unthrottled)
#   BERTH_BENCH_STEP_MS [500]          berth's step period and Kafka's poll
#   BERTH_BENCH_TRACE=1                print each of berth's steps (stderr)
#   BERTH_BENCH_KEEP=1                 keep the tools' logs (WORK dir)
set -euo pipefail
export LC_ALL=C
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
ground="$repo/tests/ground"
helper="${BERTH_BUILD:-$repo/build}/bench/balance_move"
[[ "$helper" == /* ]] || helper="$repo/$helper"

export BERTH_GROUND=${BERTH_BENCH_DIR:-/tmp/berth-bench-balance}
export KAFKA_BROKER_PORT_BASE=29392 KAFKA_CONTROLLER_PORT_BASE=29492
unset KAFKA_SASL_SSL KAFKA_VERSION
BROKERS=5
PARTITIONS=${BERTH_BENCH_PARTITIONS:-30 300}
work="$BERTH_GROUND/work"

[ -x "$helper" ] || { echo "balance_move: $helper is not built (make BUILD=... all)" >&2; exit 1; }

port_taken() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
for ((i = 0; i < BROKERS; i++)); do
    for port in $((KAFKA_BROKER_PORT_BASE + i)) $((KAFKA_CONTROLLER_PORT_BASE + i)); do
        if port_taken "$port"; then
            echo "balance_move: port $port on 127.0.0.1 is taken; not run"
            exit 0
        fi
    done
done

cleanup() {
    local rc=$?
    bash "$ground/kafka.sh" down >/dev/null 2>&1 || true
    if [ "${BERTH_BENCH_KEEP:-0}" = 1 ]; then
        echo "balance_move: the tools' logs are kept in $work" >&2
    else
        rm -rf "$work"
        rmdir "$BERTH_GROUND" 2>/dev/null || true
    fi
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# A cluster left by an interrupted run would hold the ports: gone first.
bash "$ground/kafka.sh" down >/dev/null 2>&1 || true
start=$SECONDS
bash "$ground/kafka.sh" up "$BROKERS" 2>&1 | sed 's/^/  /'
bootstrap=$(bash "$ground/kafka.sh" bootstrap)
echo "Apache Kafka $(bash "$ground/kafka.sh" version), $BROKERS KRaft brokers on $bootstrap," \
    "up in $((SECONDS - start)) s"
mkdir -p "$work"
# shellcheck disable=SC2086 # PARTITIONS is a list of numbers
"$helper" "$bootstrap" "$BERTH_GROUND/kafka" "$ground/kafka.sh" "$work" $PARTITIONS
echo "whole bench: $((SECONDS - start)) s"
