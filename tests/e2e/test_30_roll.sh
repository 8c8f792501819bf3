#!/usr/bin/env bash
# A Kafka upgrade on real pods: spec.image changes from the previous
# release's broker image (test_20 made the cluster on it) to the pinned
# one, under Kafka's ProducerPerformance (acks=all, idempotence on,
# min.insync.replicas 2 from the example's config). The StatefulSet rolls:
# each pod's preStop drain finishes (the sidecar says the broker leads no
# partition) before its broker gets SIGTERM; the next pod is not stopped
# before the previous broker's sidecar declared it ready (back in every ISR,
# leadership handed back); after the roll every partition is led by its
# preferred broker again, with the replica orders as before; no send
# failed; no partition's ISR fell below min.insync.replicas (Kafka's
# Metadata sampled every 250 ms). kubectl berth drain-plan, run before the
# roll, gives the counts the sidecar then logs for the roll's first drain
# (and so does drain-plan --direct, at a broker's external address).
# Then every broker runs the new release
# (its own log says so), the operator has raised metadata.version to the
# new release's highest level (kafka-features describe: finalized = what
# every broker supports) with an Event, and status.kafka shows both. A
# downgrade (spec.image back to the previous release) is refused:
# Reconciled=False DowngradeRefused with a message, a Warning Event, the
# StatefulSet keeps the new image and no pod restarts; spec.image is put
# back, so later tests see the pinned image. Prints each broker's drain
# time and time to Ready, the producer's figures and how long the operator
# took to raise metadata.version.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
producer_setup roll
cleanup() {
    local rc=$?
    follow_stop
    meta_stop
    if [ -f "$roll_tmp/perf.pid" ]; then kill -- -"$(cat "$roll_tmp/perf.pid")" 2>/dev/null || true; fi
    exit "$rc"
}
trap cleanup EXIT

BERTH_KAFKA_BOOTSTRAP=$(status_bootstrap)
[ -n "$BERTH_KAFKA_BOOTSTRAP" ] || fail "no external bootstrap in status (test_20 makes the cluster)"
old_image=$BERTH_E2E_PREVIOUS_BROKER_IMAGE new_image=$BERTH_E2E_BROKER_IMAGE
old_release=${old_image##*:} new_release=${new_image##*:}
sts_image() { kubectl get sts "$CLUSTER" -n "$NS" -o jsonpath='{.spec.template.spec.containers[?(@.name=="broker")].image}'; }
[ "$(sts_image)" = "$old_image" ] || fail "the brokers run $(sts_image), not $old_image (test_20 makes the cluster on it)"
read -r mv_before mv_max < <(metadata_version "$BERTH_KAFKA_BOOTSTRAP"; echo) || true
[ -n "$mv_before" ] || fail "no metadata.version from kafka-features describe"
topic=e2e-roll
kafka_tool org.apache.kafka.tools.TopicCommand --bootstrap-server "$BERTH_KAFKA_BOOTSTRAP" --create \
    --topic "$topic" --partitions 12 --replication-factor 3 --if-not-exists >/dev/null ||
    fail "creating topic $topic"
wait_for 60 "preferred leaders of $topic" leaders_preferred "$topic" "$BERTH_KAFKA_BOOTSTRAP"
orders_before=$(replica_orders "$topic" "$BERTH_KAFKA_BOOTSTRAP")

# kubectl berth drain-plan plans the roll's first drain (the highest
# ordinal) with the drain's own planner, on what another broker answers
# through a port-forward: safe now, and the sidecar's own plan of that
# drain, logged when the roll drains it, has the same counts.
plan_json=$(kberth drain-plan "$CLUSTER-2" -n "$NS" -o json 2>"$state/drain-plan.err") ||
    fail "kubectl berth drain-plan $CLUSTER-2 exited $?: $(cat "$state/drain-plan.err") $plan_json"
plan_line=$(jq -r '"broker 2 leads \(.leadershipsToMove) partitions; \(.ordersToWrite) orders to write, \(.reported) reported"' <<<"$plan_json")
say "kubectl berth drain-plan $CLUSTER-2: $plan_line"
# With --direct, asked at another broker's external address: the same plan.
direct_json=$(kberth drain-plan "$CLUSTER-2" -n "$NS" --direct --listener external -o json 2>"$state/drain-plan-direct.err") ||
    fail "kubectl berth drain-plan $CLUSTER-2 --direct exited $?: $(cat "$state/drain-plan-direct.err") $direct_json"
counts='[.leadershipsToMove, .ordersToWrite, .reported] | map(tostring) | join(" ")'
[ "$(jq -r .asked.via <<<"$direct_json")" = direct ] && [ "$(jq -r .asked.id <<<"$direct_json")" != 2 ] &&
    [ "$(jq -r "$counts" <<<"$direct_json")" = "$(jq -r "$counts" <<<"$plan_json")" ] ||
    fail "kubectl berth drain-plan --direct: $(jq -c "{asked, counts: ($counts)}" <<<"$direct_json"), through a port-forward $(jq -r "$counts" <<<"$plan_json")"
say "kubectl berth drain-plan $CLUSTER-2 --direct: the same, asked at $(jq -r .asked.address <<<"$direct_json")"

declare -A old_uid
for i in 0 1 2; do old_uid[$i]=$(pod_uid "$CLUSTER-$i"); done
follow_start
meta_start "$topic"
sleep 3
roll_perf_start "$topic" 200
t0=$(now_ms)
kubectl patch kc "$CLUSTER" -n "$NS" --type merge -p "{\"spec\":{\"image\":\"$new_image\"}}" >/dev/null
sts_image_is() { [ "$(sts_image)" = "$1" ]; }
wait_for 60 "the StatefulSet to take $new_image" sts_image_is "$new_image"
wait_for 900 "the roll to finish" kubectl rollout status statefulset "$CLUSTER" -n "$NS" --timeout=5s
wait_for 120 "3 Ready brokers after the roll" cluster_ready 3
roll_s=$(( ($(now_ms) - t0) / 1000 ))
roll_perf_stop
sleep 2
follow_stop
meta_stop

# The StatefulSet rolls the highest ordinal first.
prev_ready=""
for i in 2 1 0; do
    pod="$CLUSTER-$i"
    new=$(pod_uid "$pod")
    [ "$new" != "${old_uid[$i]}" ] || fail "$pod was not replaced by the roll"
    sc=$(ls "$logs/$pod.${old_uid[$i]}.sidecar".* 2>/dev/null | head -1)
    br=$(ls "$logs/$pod.${old_uid[$i]}.broker".* 2>/dev/null | head -1)
    [ -n "$sc" ] && [ -n "$br" ] || fail "$pod: no logs of the old pod's sidecar or broker"
    t_req=$(log_time "$sc" "drain of broker $i requested")
    t_done=$(log_time "$sc" "drain of broker $i: done")
    t_term=$(log_time "$br" "Terminating process due to signal SIGTERM|SHUTTING_DOWN")
    [ -n "$t_req" ] || fail "$pod: its preStop drain never reached the sidecar:
$(tail -5 "$sc")"
    [ -n "$t_done" ] || fail "$pod: the drain did not finish with the broker leading nothing:
$(grep -E 'drain' "$sc" | tail -5)"
    [ -n "$t_term" ] || fail "$pod: no SIGTERM in the broker's log: $(tail -3 "$br")"
    if [ "$i" = 2 ]; then
        drained=$(grep -m1 -oE "broker 2 leads [0-9]+ partitions; [0-9]+ orders to write, [0-9]+ reported" "$sc") || true
        [ "$drained" = "$plan_line" ] ||
            fail "$pod: the drain planned \"$drained\", kubectl berth drain-plan said \"$plan_line\""
    fi
    [ "$t_done" -le "$t_term" ] ||
        fail "$pod: SIGTERM reached the broker $((t_done - t_term)) ms before its drain finished"
    if [ -n "$prev_ready" ]; then
        [ "$prev_ready" -le "$t_req" ] ||
            fail "$pod was stopped $((prev_ready - t_req)) ms before the previous broker was ready again"
    fi
    nsc=$(ls "$logs/$pod.$new.sidecar".* 2>/dev/null | head -1)
    [ -n "$nsc" ] || fail "$pod: no log of the new pod's sidecar"
    t_sready=$(log_time "$nsc" "broker $i is ready")
    [ -n "$t_sready" ] || fail "$pod: the new sidecar never declared broker $i ready"
    t_ready=$(ready_since "$pod")
    say "broker $i: drain $((t_done - t_req)) ms (SIGTERM $((t_term - t_done)) ms after it), Ready $(( (t_ready - t_term) / 1000 )) s after SIGTERM"
    prev_ready=$t_sready
done
ok "every broker was drained before its SIGTERM, and each pod was stopped only after the previous broker was ready; the first drain's plan was kubectl berth drain-plan's ($plan_line)"

wait_for 60 "preferred leaders after the roll" leaders_preferred "$topic" "$BERTH_KAFKA_BOOTSTRAP"
orders_after=$(replica_orders "$topic" "$BERTH_KAFKA_BOOTSTRAP")
[ "$orders_after" = "$orders_before" ] || fail "replica orders changed by the roll:
before: $orders_before
after:  $orders_after"
ok "after the roll every partition of $topic is led by its preferred broker, replica orders as before"

# Below min.insync.replicas an acks=all send cannot succeed. Each sample
# answered; the roll lasted roll_s seconds: at least one sample a second.
samples=$(meta_below_min | wc -l)
[ "$samples" -ge "$roll_s" ] || fail "only $samples Metadata samples answered in a ${roll_s} s roll:
$(tail -3 "$roll_tmp/metadata.err" "$roll_tmp/metadata")"
below=$(meta_below_min | awk '$2 > 0')
[ -z "$below" ] || fail "partitions of $topic fell below min.insync.replicas during the roll (time partitions):
$(head -5 <<<"$below")"
ok "no partition of $topic below min.insync.replicas in $samples Metadata samples over the roll"

[ "$perf_sent" -gt 0 ] || fail "the producer acknowledged nothing"
[ "$perf_failed" = 0 ] || fail "$perf_failed sends failed during the roll:
$(grep -E 'Exception|Error' "$roll_tmp/perf.log" | head -5)"
ok "upgrade roll of 3 brokers from Kafka $old_release to $new_release in ${roll_s} s under 200 records/s: $perf_sent records acknowledged, 0 failed, max latency $perf_max_ms ms"
roll_perf_slow

# ---- every broker on the new release; metadata.version raised ----
for i in 0 1 2; do
    v=$(kubectl logs "$CLUSTER-$i" -n "$NS" -c broker | sed -n 's/.* Kafka version: \([^ ]*\) .*/\1/p' | tail -1)
    [ "$v" = "$new_release" ] || fail "$CLUSTER-$i runs Kafka '$v', not $new_release"
done
raised() {
    read -r mv_now mv_max < <(metadata_version "$BERTH_KAFKA_BOOTSTRAP"; echo) || true
    [ -n "$mv_now" ] && [ "$mv_now" = "$mv_max" ] && [ "$mv_now" != "$mv_before" ]
}
t_ready=$(now_ms)
wait_for 120 "metadata.version raised above $mv_before to what every broker supports" raised
raise_s=$(( ($(now_ms) - t_ready) / 1000 ))
mv_status() { [ "$(kc_kafka metadataVersion)" = "$mv_now" ] && [ "$(kc_kafka versions)" = "[\"$new_release\"]" ]; }
wait_for 60 "status.kafka to show $mv_now and Kafka $new_release" mv_status
kubectl get events -n "$NS" --field-selector reason=MetadataVersionRaised -o jsonpath='{.items[*].message}' |
    grep -q "to $mv_now" || fail "no MetadataVersionRaised Event naming $mv_now"
ok "every broker runs Kafka $new_release; metadata.version raised from $mv_before to $mv_now ${raise_s} s after the roll, status.kafka shows it"

# ---- a downgrade below the finalized metadata.version is refused ----
declare -A uid_before
for i in 0 1 2; do uid_before[$i]=$(pod_uid "$CLUSTER-$i"); done
kubectl patch kc "$CLUSTER" -n "$NS" --type merge -p "{\"spec\":{\"image\":\"$old_image\"}}" >/dev/null
refused() {
    [ "$(kubectl get kc "$CLUSTER" -n "$NS" -o jsonpath='{.status.conditions[?(@.type=="Reconciled")].reason}')" = DowngradeRefused ]
}
wait_for 60 "Reconciled=False DowngradeRefused" refused
msg=$(kubectl get kc "$CLUSTER" -n "$NS" -o jsonpath='{.status.conditions[?(@.type=="Reconciled")].message}')
for want in "$old_image" "Kafka $old_release" "$mv_now" "cannot downgrade"; do
    grep -qF -- "$want" <<<"$msg" || fail "the refusal does not name '$want': $msg"
done
warned() { [ -n "$(kubectl get events -n "$NS" --field-selector reason=DowngradeRefused,type=Warning -o name)" ]; }
wait_for 30 "a Warning Event DowngradeRefused" warned
sleep 5
[ "$(sts_image)" = "$new_image" ] || fail "the StatefulSet took $(sts_image) despite the refusal"
for i in 0 1 2; do
    [ "$(pod_uid "$CLUSTER-$i")" = "${uid_before[$i]}" ] || fail "$CLUSTER-$i restarted during a refused downgrade"
done
ok "a downgrade to $old_image is refused: $msg"
kubectl patch kc "$CLUSTER" -n "$NS" --type merge -p "{\"spec\":{\"image\":\"$new_image\"}}" >/dev/null
reconciled() {
    [ "$(kubectl get kc "$CLUSTER" -n "$NS" -o jsonpath='{.status.conditions[?(@.type=="Reconciled")].status}')" = True ]
}
wait_for 60 "Reconciled=True with spec.image $new_image again" reconciled
wait_for 60 "3 Ready brokers" cluster_ready 3
ok "spec.image back to $new_image: reconciled, the cluster Ready"
