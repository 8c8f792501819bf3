#!/usr/bin/env bash
# `make demo`: berth's main job on a local embedded ground. Starts the real
# Kubernetes control plane with kwok nodes and a real 3-broker Kafka cluster
# on loopback, shows them, and stops everything on exit or Ctrl-C.
# The operator, the sample cluster and the drain join this script as they land.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
ground="$here/ground"
. "$ground/lib.sh"

started=()
cleanup() {
    local rc=$?
    echo "demo: stopping the ground"
    for part in "${started[@]}"; do bash "$ground/$part.sh" down || true; done
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

echo "demo: [1/2] Kubernetes control plane (etcd, kube-apiserver, controller-manager, scheduler, kwok)"
if ! bash "$ground/kube.sh" alive 2>/dev/null; then
    started+=(kube)
    bash "$ground/kube.sh" up
fi
"$GROUND_BIN/kubectl" --kubeconfig "$GROUND_KUBECONFIG" get nodes -o wide

echo "demo: [2/2] Apache Kafka $(bash "$ground/kafka.sh" version), 3 KRaft brokers"
if [ -z "$(bash "$ground/kafka.sh" bootstrap)" ]; then
    started+=(kafka)
    bash "$ground/kafka.sh" up 3
fi
echo "demo: bootstrap $(bash "$ground/kafka.sh" bootstrap)"
echo "demo: the ground is up; the operator and drain steps are not part of this demo yet"
