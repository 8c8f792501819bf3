#!/usr/bin/env bash
# New certificates reach running brokers without a failed send. The
# operator is upgraded (helm) to issue certificates valid an hour instead
# of a year: every certificate of the cluster's mutual TLS now lives longer
# than allowed and is issued again, and each broker restarts once, one at a
# time through the Eviction API, drained by its preStop step, to take its
# own, under Kafka's ProducerPerformance (acks=all, idempotence on). After
# it every broker runs with a certificate issued after its pod was made,
# valid an hour, and the cluster is Ready; no send failed.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
producer_setup renewal
cleanup() {
    local rc=$?
    if [ -f "$roll_tmp/perf.pid" ]; then kill -- -"$(cat "$roll_tmp/perf.pid")" 2>/dev/null || true; fi
    exit "$rc"
}
trap cleanup EXIT

BERTH_KAFKA_BOOTSTRAP=$(status_bootstrap)
[ -n "$BERTH_KAFKA_BOOTSTRAP" ] || fail "no external bootstrap in status (test_20 makes the cluster)"
topic=e2e-renewal
kafka_tool org.apache.kafka.tools.TopicCommand --bootstrap-server "$BERTH_KAFKA_BOOTSTRAP" --create \
    --topic "$topic" --partitions 6 --replication-factor 3 --if-not-exists >/dev/null ||
    fail "creating topic $topic"
wait_for 60 "preferred leaders of $topic" leaders_preferred "$topic" "$BERTH_KAFKA_BOOTSTRAP"

# cert_field POD FIELD: -startdate or -enddate of POD's certificate, in
# seconds since the epoch.
cert_time() {
    kubectl get secret "$CLUSTER-broker-certs" -n "$NS" -o json |
        jq -r --arg k "$1.crt" '.data[$k]' | base64 -d |
        openssl x509 -noout "$2" | sed 's/^[^=]*=//' | xargs -I{} date -d {} +%s
}
declare -A old_uid
for i in 0 1 2; do old_uid[$i]=$(pod_uid "$CLUSTER-$i"); done
before=$(cert_time "$CLUSTER-0" -enddate)

roll_perf_start "$topic" 200
t0=$(now_ms)
out=$(helm upgrade berth "$repo/charts/berth" -n "$OP_NS" --reuse-values \
    --set operator.certValiditySeconds=3600 --set operator.certRenewBeforeSeconds=60 2>&1) ||
    fail "helm upgrade: $out"
restarted() {
    for i in 0 1 2; do
        [ "$(pod_uid "$CLUSTER-$i")" != "${old_uid[$i]}" ] || return 1
    done
}
wait_for 900 "every broker to restart with its new certificate" restarted
wait_for 300 "3 Ready brokers after the renewal" cluster_ready 3
took=$(( ($(now_ms) - t0) / 1000 ))
roll_perf_stop

for i in 0 1 2; do
    pod="$CLUSTER-$i"
    start=$(cert_time "$pod" -startdate)
    end=$(cert_time "$pod" -enddate)
    [ $((end - start)) = 3600 ] || fail "$pod's certificate is valid $((end - start)) s, not 3600"
    made=$(kubectl get pod "$pod" -n "$NS" -o jsonpath='{.metadata.creationTimestamp}')
    [ "$(date -d "$made" +%s)" -ge "$start" ] ||
        fail "$pod was made at $made, before its certificate was issued ($(date -ud @"$start"))"
done
[ "$(cert_time "$CLUSTER-0" -enddate)" -lt "$before" ] || fail "the certificates were not issued again"
ok "each broker restarted once with a certificate valid an hour, issued before its pod was made"

events=$(kubectl get events -n "$NS" --field-selector reason=Restarting -o jsonpath='{range .items[*]}{.note}{.message}{"\n"}{end}' 2>/dev/null | grep -c 'certificate older' || true)
say "Restarting events naming the certificate: $events"
[ "$perf_sent" -gt 0 ] || fail "the producer acknowledged nothing"
[ "$perf_failed" = 0 ] || fail "$perf_failed sends failed during the renewal:
$(grep -E 'Exception|Error' "$roll_tmp/perf.log" | head -5)"
ok "renewal of 3 brokers' certificates in ${took} s under 200 records/s: $perf_sent records acknowledged, 0 failed, max latency $perf_max_ms ms"
