#!/usr/bin/env bash
# Runs the end-to-end tests on real pods: a ground of its own (a control
# plane with no kwok nodes, and real nodes: kubelet + containerd, see
# tests/ground/node.sh) with berth's images and the ground's broker image
# loaded into each node's containerd, then each test script in the order
# given, and stops everything it started on exit, failure or interrupt.
#
# Usage: tests/e2e/run.sh TEST.sh...
# Environment: BERTH_E2E_DIR (state, default /tmp/berth-e2e), BERTH_E2E_NODES
# (real nodes, default 3), BERTH_E2E_KEEP=1 (leave the ground up; a later
# run reuses it, for working on one test). Its ports (27xxx), node bridge
# and networks (E2E_NODE_BRIDGE, E2E_NODE_NET, E2E_NODE_POD_NET) keep clear
# of the integration ground's and the demo's, so both can run beside it.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
ground="$repo/tests/ground"
export BERTH_GROUND=${BERTH_E2E_DIR:-/tmp/berth-e2e}
export GROUND_ETCD_CLIENT_PORT=${E2E_ETCD_CLIENT_PORT:-27791}
export GROUND_ETCD_PEER_PORT=${E2E_ETCD_PEER_PORT:-27801}
export GROUND_APISERVER_PORT=${E2E_APISERVER_PORT:-27443}
export GROUND_KCM_PORT=${E2E_KCM_PORT:-27257}
export GROUND_SCHEDULER_PORT=${E2E_SCHEDULER_PORT:-27259}
export GROUND_KWOK_PORT=${E2E_KWOK_PORT:-27280}
export GROUND_REAL_NODES=1 GROUND_KWOK_NODES=0
export GROUND_NODE_BRIDGE=${E2E_NODE_BRIDGE:-berth-e2e0}
export GROUND_NODE_NET=${E2E_NODE_NET:-172.30.0}
export GROUND_NODE_POD_NET=${E2E_NODE_POD_NET:-10.245}
. "$ground/lib.sh"

started=0
stop_ground() {
    local rc=$? left
    if [ "$started" = 1 ]; then
        bash "$ground/node.sh" down || true
        bash "$ground/kube.sh" down || true
        left=$(ground_leftovers)
        if [ -n "$left" ]; then
            echo "e2e: the ground left this behind:" >&2
            sed 's/^/  /' <<<"$left" >&2
            [ "$rc" != 0 ] || rc=1
        else
            echo "e2e: ground down; no process, mount, cgroup, network namespace or interface left"
        fi
        # The tests' own files (logs, producer output) help only a failure.
        if [ "$rc" = 0 ]; then rm -rf "$BERTH_GROUND"; fi
    fi
    exit "$rc"
}
trap stop_ground EXIT
trap 'exit 130' INT TERM

images="$GROUND_CACHE/images/e2e"
start=$SECONDS
# test_10 installs the chart with the ground's helm.
bash "$ground/build.sh" helm
bash "$ground/kafka.sh" fetch
# The broker image of the previous Kafka release too: test_20 starts the
# cluster on it, test_30 upgrades it to the pinned one.
export BERTH_IMAGE_KAFKA_PREVIOUS=1
KAFKA_VERSION=$(bash "$ground/kafka.sh" previous) bash "$ground/kafka.sh" fetch
names=$(bash "$repo/tools/images.sh" build) || ground_die "building the images failed"
bash "$repo/tools/images.sh" save "$images" >/dev/null || ground_die "saving the images failed"
ground_log "images built and saved in $((SECONDS - start))s: $(echo "$names" | tr '\n' ' ')"

if bash "$ground/kube.sh" alive 2>/dev/null && bash "$ground/node.sh" alive; then
    # A ground left up (BERTH_E2E_KEEP=1) is reused and left up; the
    # images are loaded again, in case they changed.
    ground_log "reusing the running e2e ground in $BERTH_GROUND"
    bash "$ground/node.sh" load "$images"/*.tar
else
    [ "${BERTH_E2E_KEEP:-0}" = 1 ] || started=1
    bash "$ground/kube.sh" up
    GROUND_IMAGES="$images" bash "$ground/node.sh" up "${BERTH_E2E_NODES:-3}"
fi

export BERTH_KUBECONFIG="$GROUND_KUBECONFIG"
export BERTH_GROUND_BIN="$GROUND_BIN"
export BERTH_KAFKA_SH="$ground/kafka.sh"
export BERTH_NODE_SH="$ground/node.sh"
BERTH_E2E_BROKER_IMAGE=localhost/berth-kafka:$(bash "$ground/kafka.sh" version)
BERTH_E2E_PREVIOUS_BROKER_IMAGE=localhost/berth-kafka:$(bash "$ground/kafka.sh" previous)
for img in "$BERTH_E2E_BROKER_IMAGE" "$BERTH_E2E_PREVIOUS_BROKER_IMAGE"; do
    grep -qx "$img" <<<"$names" || ground_die "tools/images.sh did not build $img: $names"
done
export BERTH_E2E_BROKER_IMAGE BERTH_E2E_PREVIOUS_BROKER_IMAGE
export BERTH_E2E_STATE="$BERTH_GROUND/e2e"
mkdir -p "$BERTH_E2E_STATE"

echo "e2e ground: $(bash "$ground/kube.sh" versions | tr '\n' ' ')"
echo "  nodes: $("$GROUND_BIN/kubectl" --kubeconfig "$GROUND_KUBECONFIG" get nodes \
    -o jsonpath='{range .items[*]}{.metadata.name} {.status.nodeInfo.containerRuntimeVersion} {.status.addresses[0].address}; {end}')"
echo "  images: $(echo "$names" | tr '\n' ' ')"
bash "$repo/tests/run-check.sh" e2e "$@"
