#!/usr/bin/env bash
# Scaling that moves data, on real pods, under Kafka's ProducerPerformance
# (acks=all, idempotence on, min.insync.replicas 2 from the example's
# config) running through both changes:
# - 3 -> 5 brokers: the two new pods turn Ready, then the operator
#   rebalances (spec.rebalance.mode OnScaleUp, the default): status.rebalance
#   goes Rebalancing -> Balanced over 5 brokers, with Events; then, over
#   every topic of the cluster (Kafka's own TopicCommand describes them),
#   every broker leads partitions within +-1 of the mean, and replicas are
#   spread as the planner promises with racks (each real node is its own
#   zone, berth's default rack): every partition spans all three racks,
#   brokers sharing a rack hold within +-1 of each other (without racks:
#   every broker within +-1 of the mean).
# - 5 -> 3 brokers: the operator decommissions brokers 3 and 4 first:
#   status.rebalance says Decommissioning, Reconciled=False Decommissioning,
#   and the StatefulSet keeps 5 replicas while partitions move. The
#   operator process is SIGKILLed in the middle (its container's process,
#   found by its cgroup on the real node); the restarted one resumes from
#   Kafka's own state and finishes: no replica left on 3 or 4, the
#   StatefulSet at 3, pods 3 and 4 gone, Reconciled=True.
# No send failed; every record in the topic's log is read back by a
# consumer from the beginning (no data lost), and that is at least every
# record the producer had acknowledged; test_20's 10,000 numbered records
# are all still there. Prints the times and the moves.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
producer_setup scale
cordoned=()
cleanup() {
    local rc=$?
    roll_perf_kill
    for n in "${cordoned[@]}"; do kubectl uncordon "$n" >/dev/null 2>&1 || true; done
    exit "$rc"
}
trap cleanup EXIT

BERTH_KAFKA_BOOTSTRAP=$(status_bootstrap)
[ -n "$BERTH_KAFKA_BOOTSTRAP" ] || fail "no external bootstrap in status (test_20 makes the cluster)"
topic=e2e-scale
kafka_tool org.apache.kafka.tools.TopicCommand --bootstrap-server "$BERTH_KAFKA_BOOTSTRAP" --create \
    --topic "$topic" --partitions 12 --replication-factor 3 --if-not-exists >/dev/null ||
    fail "creating topic $topic"

rebalance_field() { kubectl get kc "$CLUSTER" -n "$NS" -o jsonpath="{.status.rebalance.$1}"; }
reconciled() { kubectl get kc "$CLUSTER" -n "$NS" -o jsonpath='{.status.conditions[?(@.type=="Reconciled")].status} {.status.conditions[?(@.type=="Reconciled")].reason}'; }
sts_replicas() { kubectl get sts "$CLUSTER" -n "$NS" -o jsonpath='{.spec.replicas}'; }
events_of() { kubectl get events -n "$NS" --field-selector "involvedObject.kind=KafkaCluster,reason=$1" -o jsonpath='{range .items[*]}{.note}{.message}{"\n"}{end}' 2>/dev/null; }

# describe_all BOOTSTRAP: "leader replicas" per partition of every topic.
describe_all() {
    kafka_tool org.apache.kafka.tools.TopicCommand --bootstrap-server "$1" --describe 2>/dev/null |
        awk '/Partition:/ {for (k = 1; k <= NF; k++) { if ($k == "Leader:") l = $(k+1); if ($k == "Replicas:") r = $(k+1) } print l, r}'
}
# racks N: "id=rack" for brokers 0..N-1: the zone of the node each runs on
# (berth's default rack; the ground's real nodes are one zone each).
racks() {
    local i node
    for ((i = 0; i < $1; i++)); do
        node=$(kubectl get pod "$CLUSTER-$i" -n "$NS" -o jsonpath='{.spec.nodeName}')
        printf '%s=%s ' "$i" "$(kubectl get node "$node" -o jsonpath='{.metadata.labels.topology\.kubernetes\.io/zone}')"
    done
}
# spread FILE N RACKS WHAT: prints "replicas a/b/..., leaders x/y/..." over
# brokers 0..N-1 and fails (saying why on stderr) unless the planner's
# promises hold: every broker leads within +-1 of the mean; without racks
# every broker holds replicas within +-1 of the mean; with racks every
# partition spans as many racks as it can (min(replicas, racks)) and
# brokers of one rack hold within +-1 of each other (a broker alone in its
# rack holds a replica of every partition that spans all racks, so +-1 of
# the mean over all brokers cannot be had); no replica on broker N or up.
spread() {
    awk -v n="$2" -v racks="$3" -v what="$4" 'BEGIN {
            k = split(racks, rr, " "); for (i = 1; i <= k; i++) { split(rr[i], kv, "="); rack[kv[1]] = kv[2]; if (kv[2] != "") { if (!(kv[2] in seen)) nr++; seen[kv[2]] = 1 } }
        } {
            total++; lead[$1]++; k = split($2, r, ","); delete span; ns = 0
            for (i = 1; i <= k; i++) { rep[r[i]]++; reps++; if (!(rack[r[i]] in span)) { span[rack[r[i]]] = 1; ns++ } }
            want = k < nr ? k : nr
            if (nr > 0 && ns < want) narrow++
        } END {
            bad = ""; rs = ""; ls = ""
            for (b = 0; b < n; b++) {
                rs = rs (b ? "/" : "") rep[b] + 0; ls = ls (b ? "/" : "") lead[b] + 0
                dl = lead[b] - total / n
                if (dl > 1 || dl < -1) bad = bad " broker " b " leads " lead[b] + 0 " (mean " total / n ")"
                if (nr == 0) {
                    dr = rep[b] - reps / n
                    if (dr > 1 || dr < -1) bad = bad " broker " b " holds " rep[b] + 0 " replicas (mean " reps / n ")"
                }
                for (c = 0; c < n; c++)
                    if (nr > 0 && rack[b] == rack[c] && rep[b] - rep[c] > 1) bad = bad " broker " b " holds " rep[b] + 0 " replicas, broker " c " of its rack " rep[c] + 0
            }
            if (narrow > 0) bad = bad " " narrow " partitions span fewer racks than they could"
            for (b in rep) if (b + 0 >= n) bad = bad " broker " b " still holds " rep[b] " replicas"
            print "replicas " rs ", leaders " ls " over " total " partitions, racks " racks
            if (bad != "") { print what ":" bad > "/dev/stderr"; exit 1 }
        }' "$1"
}

# The start: brokers 0..2 on three nodes, so three racks, as test_20 made
# them. test_50 moves broker 2 to a node another broker is on; then it is
# moved back (a drained restart) to the node with none, the other two
# cordoned meanwhile. (The planner keeps a partition's rack spread, it
# does not widen it: from two racks, the spread this test checks could
# not be reached.)
node_of() { kubectl get pod "$CLUSTER-$1" -n "$NS" -o jsonpath='{.spec.nodeName}'; }
placement() { echo "$(node_of 0) $(node_of 1) $(node_of 2)"; }
read -r n0 n1 n2 <<<"$(placement)"
if [ "$n0" = "$n1" ] || [ "$n0" = "$n2" ] || [ "$n1" = "$n2" ]; then
    if [ "$n2" = "$n0" ] || [ "$n2" = "$n1" ]; then mover=2; else mover=1; fi
    free=$(kubectl get nodes -o name | sed 's|^node/||' | grep -vxF -e "$n0" -e "$n1" -e "$n2" | awk 'NR == 1' || true)
    [ -n "$free" ] || fail "brokers 0..2 on $n0 $n1 $n2 and no node free of them"
    for n in $(printf '%s\n' "$n0" "$n1" "$n2" | sort -u); do
        kubectl cordon "$n" >/dev/null
        cordoned+=("$n")
    done
    uid=$(pod_uid "$CLUSTER-$mover")
    kubectl delete pod "$CLUSTER-$mover" -n "$NS" --wait=false >/dev/null
    replaced() { local u; u=$(pod_uid "$CLUSTER-$mover"); [ -n "$u" ] && [ "$u" != "$uid" ]; }
    wait_for 300 "$CLUSTER-$mover to be made again" replaced
    wait_for 300 "3 Ready brokers" cluster_ready 3
    for n in "${cordoned[@]}"; do kubectl uncordon "$n" >/dev/null; done
    cordoned=()
    say "brokers 0..2 were on $n0 $n1 $n2: broker $mover moved to $(node_of "$mover")"
fi
read -r n0 n1 n2 <<<"$(placement)"
[ "$n0" != "$n1" ] && [ "$n0" != "$n2" ] && [ "$n1" != "$n2" ] ||
    fail "brokers 0..2 are on $n0 $n1 $n2, not three nodes"

roll_perf_start "$topic" 200
t0=$(now_ms)

# ---- 3 -> 5: the new brokers come up, then partitions spread onto them.
kubectl patch kc "$CLUSTER" -n "$NS" --type merge -p '{"spec":{"replicas":5}}' >/dev/null
wait_for 300 "5 Ready brokers and KafkaCluster Ready" cluster_ready 5
t_up=$(now_ms)
balanced_over() { [ "$(rebalance_field phase) $(rebalance_field brokers)" = "Balanced $1" ]; }
wait_for 600 "status.rebalance: Balanced over 5 brokers" balanced_over 5
t_bal=$(now_ms)
[ -n "$(events_of Rebalancing)" ] || fail "no Rebalancing Event"
[ -n "$(events_of Rebalanced)" ] || fail "no Rebalanced Event"
BERTH_KAFKA_BOOTSTRAP=$(status_bootstrap)
rack_map=$(racks 5)
spread_ok() { describe_all "$BERTH_KAFKA_BOOTSTRAP" >"$roll_tmp/after-up" && spread "$roll_tmp/after-up" 5 "$rack_map" "after 3 -> 5" >"$roll_tmp/spread-up" 2>"$roll_tmp/spread-up.err"; }
wait_for 120 "replicas and leaders spread over 5 brokers as the planner promises" spread_ok ||
    fail "$(cat "$roll_tmp/spread-up.err")"
ok "3 -> 5 brokers: Ready $(( (t_up - t0) / 1000 )) s after the change, partitions rebalanced $(( (t_bal - t_up) / 1000 )) s later: $(cat "$roll_tmp/spread-up")"
say "$(events_of Rebalanced | tail -1)"

# ---- 5 -> 3: brokers 3 and 4 are emptied first; the operator dies mid-way.
op_pod=$(kubectl get pods -n "$OP_NS" -l app.kubernetes.io/name=berth -o jsonpath='{.items[0].metadata.name}')
op_restarts=$(kubectl get pod "$op_pod" -n "$OP_NS" -o jsonpath='{.status.containerStatuses[0].restartCount}')
t_down=$(now_ms)
kubectl patch kc "$CLUSTER" -n "$NS" --type merge -p '{"spec":{"replicas":3}}' >/dev/null
decommissioning() {
    [ "$(rebalance_field phase)" = Decommissioning ] && [ "$(rebalance_field partitionsLeft)" -gt 0 ] 2>/dev/null
}
wait_for 120 "status.rebalance: Decommissioning with partitions left" decommissioning
[ "$(sts_replicas)" = 5 ] || fail "the StatefulSet shrank to $(sts_replicas) before brokers 3 and 4 were empty"
[ "$(reconciled)" = "False Decommissioning" ] || fail "Reconciled is '$(reconciled)' while decommissioning"
left_at_kill=$(rebalance_field partitionsLeft)
on_leaving=$(rebalance_field replicasOnLeaving)

# SIGKILL the operator's process: the one whose cgroup names its
# container (the real node's processes are this machine's).
cid=$(kubectl get pod "$op_pod" -n "$OP_NS" -o jsonpath='{.status.containerStatuses[0].containerID}')
cid=${cid#containerd://}
pid=""
for p in $(pgrep -x berth-operator); do
    if grep -q "$cid" "/proc/$p/cgroup" 2>/dev/null; then pid=$p; fi
done
[ -n "$pid" ] || fail "no berth-operator process in the cgroup of the operator's container $cid"
kill -KILL "$pid"
ok "operator SIGKILLed (pid $pid) while decommissioning: $left_at_kill partitions left, $on_leaving replicas on brokers 3 and 4"
restarted() { [ "$(kubectl get pod "$op_pod" -n "$OP_NS" -o jsonpath='{.status.containerStatuses[0].restartCount}')" -gt "$op_restarts" ]; }
wait_for 120 "the operator's container to restart" restarted

shrunk() { [ "$(sts_replicas)" = 3 ] && [ -z "$(kubectl get pod "$CLUSTER-3" "$CLUSTER-4" -n "$NS" -o name 2>/dev/null)" ]; }
wait_for 600 "the StatefulSet at 3 and pods 3 and 4 gone" shrunk
t_shrunk=$(now_ms)
wait_for 120 "3 Ready brokers and KafkaCluster Ready" cluster_ready 3
reconciled_true() { [ "$(reconciled)" = "True Applied" ]; }
wait_for 60 "Reconciled=True" reconciled_true
balanced_over_3() { balanced_over 3; }
wait_for 60 "status.rebalance: Balanced over 3 brokers" balanced_over_3
[ -n "$(events_of Decommissioned)" ] || fail "no Decommissioned Event"
BERTH_KAFKA_BOOTSTRAP=$(status_bootstrap)
describe_all "$BERTH_KAFKA_BOOTSTRAP" >"$roll_tmp/after-down"
if awk '{k = split($2, r, ","); for (i = 1; i <= k; i++) if (r[i] + 0 >= 3) bad++} END {exit bad > 0 ? 0 : 1}' "$roll_tmp/after-down"; then
    fail "replicas left on brokers 3 or 4: $(grep -E '(^|,| )(3|4)(,|$)' "$roll_tmp/after-down" | head -3)"
fi
rf_ok=$(awk '{k = split($2, r, ","); if (k < 1) bad++} END {print bad + 0}' "$roll_tmp/after-down")
[ "$rf_ok" = 0 ] || fail "$rf_ok partitions without replicas after the decommission"
ok "5 -> 3 brokers: brokers 3 and 4 emptied and removed $(( (t_shrunk - t_down) / 1000 )) s after the change, the operator restarted once mid-way and finished"
say "$(events_of Decommissioned | tail -1)"

roll_perf_stop
roll_perf_check "the scale-up and the scale-down"

# No data lost: every record in the log is read back, and the log holds at
# least what the producer had acknowledged.
end=$(kafka_tool org.apache.kafka.tools.GetOffsetShell --bootstrap-server "$BERTH_KAFKA_BOOTSTRAP" --topic "$topic" --time -1 2>/dev/null |
    awk -F: '{s += $3} END {print s + 0}')
[ "$end" -ge "$perf_sent" ] || fail "the topic holds $end records, the producer had $perf_sent acknowledged"
read_back=$(kafka_tool org.apache.kafka.tools.consumer.ConsoleConsumer --bootstrap-server "$BERTH_KAFKA_BOOTSTRAP" \
    --topic "$topic" --from-beginning --max-messages "$end" --timeout-ms 60000 2>/dev/null | wc -l) || true
[ "$read_back" = "$end" ] || fail "a consumer from the beginning read $read_back of $end records"
ok "no send failed ($perf_sent records acknowledged, max latency $perf_max_ms ms), every one of the $end records in $topic read back"
# test_20's 10,000 numbered records, on partitions that moved twice since.
if [ -f "$state/records.sent" ]; then
    kafka_tool org.apache.kafka.tools.consumer.ConsoleConsumer --bootstrap-server "$BERTH_KAFKA_BOOTSTRAP" \
        --topic e2e-records --from-beginning --max-messages 10000 --timeout-ms 60000 2>/dev/null |
        sort -u >"$roll_tmp/records.got" || true
    missing=$(comm -23 <(sort "$state/records.sent") "$roll_tmp/records.got" | wc -l)
    [ "$missing" = 0 ] || fail "$missing of test_20's 10,000 records in e2e-records are gone after the scaling"
    ok "test_20's 10,000 records in e2e-records all read back after 3 -> 5 -> 3"
fi
roll_perf_slow
