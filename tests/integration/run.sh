#!/usr/bin/env bash
# Runs the integration tests on the real test ground: builds or reuses the
# pinned binaries and jars, starts the Kubernetes control plane (with kwok
# nodes) and a 3-broker Kafka cluster on loopback, runs each test program
# against them, and stops everything it started, also when a test fails or
# the run is interrupted. A ground that is already up is reused and left up.
#
# Usage: tests/integration/run.sh PROGRAM...
# Programs are Check test binaries or shell scripts (tests/integration/*.sh);
# only those given run, so one test can be run alone.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
ground="$here/../ground"
. "$ground/lib.sh"

started=()
stop_ground() {
    local rc=$?
    for part in "${started[@]}"; do
        bash "$ground/$part.sh" down || true
    done
    exit "$rc"
}
trap stop_ground EXIT
trap 'exit 130' INT TERM

if bash "$ground/kube.sh" alive 2>/dev/null; then
    ground_log "reusing the running control plane in $GROUND_STATE"
else
    started+=(kube)
    bash "$ground/kube.sh" up
fi
if bash "$ground/kafka.sh" alive; then
    ground_log "reusing the running Kafka cluster"
else
    started+=(kafka)
    bash "$ground/kafka.sh" up 3
fi

export BERTH_KUBECONFIG="$GROUND_KUBECONFIG"
BERTH_KAFKA_BOOTSTRAP=$(bash "$ground/kafka.sh" bootstrap)
export BERTH_KAFKA_BOOTSTRAP
export BERTH_GROUND_BIN="$GROUND_BIN"
export BERTH_KAFKA_SH="$ground/kafka.sh"

echo "ground versions:"
bash "$ground/kube.sh" versions | sed 's/^/  /'
echo "  kafka $(bash "$ground/kafka.sh" version) (KRaft, 3 brokers)"

bash "$here/../run-check.sh" integration "$@"
