#!/usr/bin/env bash
# The broker process dies inside its container (SIGKILL, no preStop, no
# drain) while producers write: the pod stays and the container restarts.
# The pod turns unready and stays unready until the restarted broker is
# back in the ISR of every partition it replicates (sampled from the
# outside while it happens: no sample sees the pod Ready with the broker
# missing from an ISR), the sidecar says the broker restarted, and then
# leadership comes back to the broker's preferred partitions.
# A restarted broker catches up with this load in a second or two, faster
# than Kafka's tools can sample; a replication throttle on the broker
# (Kafka's own quota, cleared at the end) stretches its catch-up to tens of
# seconds, so the samples see it behind and the check can fail.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
producer_setup restart
sampler=""
cleanup() {
    local rc=$?
    follow_stop
    [ -z "$sampler" ] || kill "$sampler" 2>/dev/null || true
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

# The sampler: every couple of seconds, is the pod Ready, and in how many
# partitions of the topic is the broker missing from the ISR?
sample() {
    while :; do
        local t ready out
        t=$(now_ms)
        ready=$(kubectl get pod "$pod" -n "$NS" -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}' 2>/dev/null)
        out=$(kafka_tool org.apache.kafka.tools.TopicCommand --bootstrap-server "$BERTH_KAFKA_BOOTSTRAP" \
            --describe --topic "$topic" 2>/dev/null |
            awk -v id="$id" '/Partition:/ {for (k = 1; k <= NF; k++) if ($k == "Isr:") isr = "," $(k+1) ","; if (index(isr, "," id ",") == 0) n++} END {print n + 0}')
        # Readiness is read before the ISR: a Ready pod with the broker
        # missing from an ISR read after it is a gate that opened early.
        echo "$t $ready $out" >>"$roll_tmp/samples"
        sleep 1
    done
}
sample &
sampler=$!
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
kill "$sampler" 2>/dev/null || true
sampler=""

# Unready between the kill and the Ready transition, out of ISR at some
# point after the kill, and never Ready while out of an ISR.
unready=$(awk -v k="$t_kill" -v r="$t_ready" '$1 > k && $1 < r && $2 != "True"' "$roll_tmp/samples" | wc -l)
behind=$(awk -v k="$t_kill" '$1 > k && $3 > 0' "$roll_tmp/samples" | wc -l)
bad=$(awk '$2 == "True" && $3 > 0' "$roll_tmp/samples" | awk -v k="$t_kill" '$1 > k')
[ "$unready" -gt 0 ] || fail "no sample saw $pod unready after its broker was killed"
[ "$behind" -gt 0 ] || fail "no sample saw broker $id out of an ISR after the kill: the test proves nothing"
[ -z "$bad" ] || fail "$pod was Ready while broker $id was missing from ISRs (time ready isr-missing):
$bad"
ok "broker $id killed; $pod unready for $(( (t_ready - t_kill) / 1000 )) s, $behind samples saw it out of ISRs, none while Ready"

sc="$logs/$pod.$(pod_uid "$pod").sidecar.0"
grep -q "broker $id: broker restarted" "$sc" ||
    fail "the sidecar did not see broker $id restart: $(tail -5 "$sc")"
wait_for 90 "leadership of $topic back on its preferred brokers" leaders_preferred "$topic" "$BERTH_KAFKA_BOOTSTRAP"
ok "the sidecar saw the restart ($(grep -m1 -o "broker restarted: [^;(]*" "$sc" || true)); leadership came back to broker $id"
roll_perf_stop
[ "$perf_failed" = 0 ] || fail "$perf_failed sends failed:
$(grep -E 'Exception|Error' "$roll_tmp/perf.log" | head -5)"
ok "producer: $perf_sent records acknowledged, 0 failed, max latency $perf_max_ms ms"
