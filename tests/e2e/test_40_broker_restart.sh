#!/usr/bin/env bash
# The broker process dies inside its container (SIGKILL, no preStop, no
# drain) while producers write: the pod stays and the container restarts.
# The pod turns unready and stays unready until the restarted broker is
# back in the ISR of every partition it replicates (Kafka's Metadata,
# sampled from the outside every 250 ms while it happens: no sample after
# the pod turned Ready sees the broker missing from an ISR), the sidecar
# says the broker restarted, and then leadership comes back to the
# broker's preferred partitions.
# A restarted broker catches up with this load in a second or two; a
# replication throttle on the broker (Kafka's own quota, cleared at the
# end) stretches its catch-up to several seconds, so the samples see it
# behind and the check can fail.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
producer_setup restart
cleanup() {
    local rc=$?
    follow_stop
    meta_stop
    configs --entity-type brokers --entity-name "$id" --delete-config follower.replication.throttled.rate 2>/dev/null || true
    if [ -f "$roll_tmp/perf.pid" ]; then kill -- -"$(cat "$roll_tmp/perf.pid")" 2>/dev/null || true; fi
    exit "$rc"
}
trap cleanup EXIT

BERTH_KAFKA_BOOTSTRAP=$(status_bootstrap)
[ -n "$BERTH_KAFKA_BOOTSTRAP" ] || fail "no external bootstrap in status (test_20 makes the cluster)"
topic=e2e-restart
id=1
pod="$CLUSTER-$id"
kafka_tool org.apache.kafka.tools.TopicCommand --bootstrap-server "$BERTH_KAFKA_BOOTSTRAP" --create \
    --topic "$topic" --partitions 12 --replication-factor 3 --if-not-exists >/dev/null ||
    fail "creating topic $topic"
configs() { kafka_tool org.apache.kafka.tools.ConfigCommand --bootstrap-server "$BERTH_KAFKA_BOOTSTRAP" --alter "$@" >/dev/null; }
configs --entity-type brokers --entity-name "$id" --add-config follower.replication.throttled.rate=30000 ||
    fail "setting a replication throttle on broker $id"
configs --entity-type topics --entity-name "$topic" --add-config "follower.replication.throttled.replicas=*" ||
    fail "throttling $topic's followers"
wait_for 60 "preferred leaders of $topic" leaders_preferred "$topic" "$BERTH_KAFKA_BOOTSTRAP"
wait_for 60 "$pod Ready" pod_ready "$pod"

read -r node cid restarts0 < <(kubectl get pod "$pod" -n "$NS" -o jsonpath='{.spec.nodeName} {.status.containerStatuses[?(@.name=="broker")].containerID} {.status.containerStatuses[?(@.name=="broker")].restartCount}'; echo) || true
cid=${cid#containerd://}
[ -n "$cid" ] || fail "$pod: no broker container id"
node_index=${node#berth-node-}

follow_start
roll_perf_start "$topic" 200

# Kafka's view, every 250 ms: in how many partitions of the topic is the
# broker missing from the ISR? Readiness comes from the pod's Ready
# condition: when it last turned true.
meta_start "$topic"
sleep 5

t_kill=$(now_ms)
bash "$BERTH_NODE_SH" ctr "$node_index" task kill -s SIGKILL "$cid" >/dev/null ||
    fail "killing $pod's broker process (container $cid) failed"
restarted() { [ "$(restarts "$pod" broker)" -gt "$restarts0" ]; }
wait_for 60 "$pod's broker container to restart" restarted
wait_for 300 "$pod Ready again" pod_ready "$pod"
t_ready=$(ready_since "$pod")
[ "$(pod_uid "$pod")" != "" ] || fail "$pod is gone"
sleep 6
meta_stop

# The pod turned Ready again after the kill (so it was unready in
# between), the broker was out of an ISR at some point after the kill,
# and no sample taken after the pod turned Ready (the condition's time has
# whole seconds: a second's slack) shows it out of one.
[ "$t_ready" -gt "$t_kill" ] || fail "$pod never turned unready after its broker was killed"
behind=$(meta_out_isr "$id" | awk -v k="$t_kill" '$1 > k && $2 > 0' | wc -l)
samples=$(meta_out_isr "$id" | awk -v k="$t_kill" '$1 > k' | wc -l)
[ "$behind" -gt 0 ] || fail "none of $samples samples after the kill saw broker $id out of an ISR: the test proves nothing"
bad=$(meta_out_isr "$id" | awk -v r="$t_ready" '$1 > r + 1000 && $2 > 0')
[ -z "$bad" ] || fail "$pod was Ready (since $t_ready) while broker $id was missing from ISRs (time partitions):
$bad"
ok "broker $id killed; $pod unready for $(( (t_ready - t_kill) / 1000 )) s; $behind of $samples samples after the kill saw it out of ISRs, none after it turned Ready"

sc="$logs/$pod.$(pod_uid "$pod").sidecar.0"
grep -q "broker $id: broker restarted" "$sc" ||
    fail "the sidecar did not see broker $id restart: $(tail -5 "$sc")"
wait_for 90 "leadership of $topic back on its preferred brokers" leaders_preferred "$topic" "$BERTH_KAFKA_BOOTSTRAP"
ok "the sidecar saw the restart ($(grep -m1 -o "broker restarted: [^;(]*" "$sc" || true)); leadership came back to broker $id"
roll_perf_stop
[ "$perf_failed" = 0 ] || fail "$perf_failed sends failed:
$(grep -E 'Exception|Error' "$roll_tmp/perf.log" | head -5)"
ok "producer: $perf_sent records acknowledged, 0 failed, max latency $perf_max_ms ms"
