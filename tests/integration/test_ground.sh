#!/usr/bin/env bash
# The test ground is real and whole: the API server lists at least 3 Ready
# kwok nodes with distinct InternalIP and ExternalIP addresses and zone
# labels, and Kafka's own topics tool creates a topic with replication
# factor 3 whose partitions have 3 in-sync replicas on 3 distinct brokers.
# Run by tests/integration/run.sh, which exports the ground's locations.
set -euo pipefail
kubectl() { "$BERTH_GROUND_BIN/kubectl" --kubeconfig "$BERTH_KUBECONFIG" "$@"; }
fail() { echo "FAIL test_ground: $*" >&2; exit 1; }

ready=$(kubectl get nodes -o jsonpath='{range .items[*]}{.status.conditions[?(@.type=="Ready")].status}{"\n"}{end}' | grep -c True || true)
[ "$ready" -ge 3 ] || fail "expected >= 3 Ready nodes, got $ready"
iips=$(kubectl get nodes -o jsonpath='{range .items[*]}{.status.addresses[?(@.type=="InternalIP")].address}{"\n"}{end}' | sort -u | grep -c . || true)
eips=$(kubectl get nodes -o jsonpath='{range .items[*]}{.status.addresses[?(@.type=="ExternalIP")].address}{"\n"}{end}' | sort -u | grep -c . || true)
zones=$(kubectl get nodes -o jsonpath='{range .items[*]}{.metadata.labels.topology\.kubernetes\.io/zone}{"\n"}{end}' | sort -u | grep -c . || true)
[ "$iips" -ge 3 ] && [ "$eips" -ge 3 ] && [ "$zones" -ge 3 ] ||
    fail "nodes need distinct addresses and zones: $iips InternalIPs, $eips ExternalIPs, $zones zones"
echo "ok: $ready Ready kwok nodes, $iips InternalIPs, $eips ExternalIPs, $zones zones"

topic="ground-rf3-$$"
tool() { bash "$BERTH_KAFKA_SH" tool org.apache.kafka.tools.TopicCommand --bootstrap-server "$BERTH_KAFKA_BOOTSTRAP" "$@"; }
tool --create --topic "$topic" --partitions 3 --replication-factor 3 >/dev/null
desc=$(tool --describe --topic "$topic")
tool --delete --topic "$topic" >/dev/null
grep -q "ReplicationFactor: 3" <<<"$desc" || fail "topic $topic: replication factor is not 3: $desc"
parts=$(echo "$desc" | grep -cE 'Partition: [0-9]+.*Replicas: [0-9]+,[0-9]+,[0-9]+[[:space:]]+Isr: [0-9]+,[0-9]+,[0-9]+' || true)
[ "$parts" -eq 3 ] || fail "topic $topic: expected 3 partitions with 3 replicas in sync: $desc"
echo "$desc" | awk '/Replicas:/ {for (i = 1; i <= NF; i++) if ($i == "Replicas:") print $(i + 1)}' |
    while IFS=, read -r a b c; do
        [ "$a" != "$b" ] && [ "$b" != "$c" ] && [ "$a" != "$c" ] || fail "replicas not on distinct brokers: $a,$b,$c"
    done
echo "ok: topic $topic created with replication factor 3, 3 in-sync replicas per partition"
