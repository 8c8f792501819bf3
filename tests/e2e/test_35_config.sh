#!/usr/bin/env bash
# spec.config changes on real brokers (docs/operations.md, Changing
# configuration). A key Kafka updates dynamically (log.retention.ms) is in
# effect on every broker (DescribeConfigs of each broker, through Kafka's
# ConfigCommand) with no pod replaced and no container restarted, and
# status.config.appliedLive lists it; removed again, its cluster-default
# value is deleted, still with no restart. A read-only key
# (auto.create.topics.enable, set to Kafka's default so later tests see no
# difference) and, in the same change, a new nodeport listener "tls" served
# with the cluster CA roll the brokers exactly once:
# status.config.awaitingRoll lists the key while the roll is under way and
# not after; each broker pod is replaced once, its sidecar finished its
# drain before the broker got SIGTERM; then the cluster is Ready and stays
# on that pod template. Kafka's own client, trusting only ca.crt of
# <c>-cluster-ca-cert and checking each broker's certificate for the node
# address it dials, reads the topics through the new listener; and a
# ServiceAccount whose only Secret is that one (by name) gets "ok" for
# every broker from `kubectl berth addresses --check --listener tls` and
# a healthy answer from `kubectl berth health --direct --listener tls`.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
cleanup() {
    local rc=$?
    follow_stop
    exit "$rc"
}
trap cleanup EXIT

boot=$(status_bootstrap)
[ -n "$boot" ] || fail "no external bootstrap in status (test_20 makes the cluster)"
t_start=$SECONDS
configs() { kafka_tool org.apache.kafka.tools.ConfigCommand --bootstrap-server "$boot" "$@" 2>/dev/null; }
status_lists() { # LIST KEY: status.config.LIST names KEY
    grep -q "\"$2\"" <<<"$(kubectl get kc "$CLUSTER" -n "$NS" -o jsonpath="{.status.config.$1}")"
}
pods_state() { # "pod uid broker-restarts sidecar-restarts" per broker pod
    for i in 0 1 2; do
        echo "$CLUSTER-$i $(pod_uid "$CLUSTER-$i") $(restarts "$CLUSTER-$i" broker) $(kubectl get pod "$CLUSTER-$i" -n "$NS" -o jsonpath='{.status.initContainerStatuses[?(@.name=="sidecar")].restartCount}')"
    done
}
template_hash() {
    kubectl get sts "$CLUSTER" -n "$NS" -o jsonpath='{.spec.template.metadata.annotations.berth\.io/config-hash}'
}

# ---- a dynamic key: live, no restart ----
before=$(pods_state)
hash0=$(template_hash)
[ -n "$hash0" ] || fail "the StatefulSet's pod template has no berth.io/config-hash"
kubectl patch kc "$CLUSTER" -n "$NS" --type merge \
    -p '{"spec":{"config":{"log.retention.ms":"604800001"}}}' >/dev/null
wait_for 60 "status.config.appliedLive to list log.retention.ms" status_lists appliedLive log.retention.ms
# Every broker's own view: one line "  log.retention.ms=604800001 ..." in
# each broker's section ("All configs for broker N are:") of the describe
# of all brokers' configs (which ends with the cluster default's section).
in_effect() {
    local out
    out=$(configs --entity-type brokers --describe --all) || return 1
    [ "$(awk '/^All configs for broker / {b = 1; next} /^[^ ]/ {b = 0}
              b && /^ *log[.]retention[.]ms=604800001 / {n++} END {print n + 0}' <<<"$out")" = 3 ]
}
wait_for 60 "log.retention.ms=604800001 on all 3 brokers" in_effect
after=$(pods_state)
[ "$after" = "$before" ] || fail "a broker pod was replaced or restarted by a dynamic change:
before: $before
after:  $after"
[ "$(template_hash)" = "$hash0" ] || fail "a dynamic change changed the pod template"
ok "log.retention.ms=604800001 in effect on all 3 brokers (DescribeConfigs), applied live with no pod replaced or restarted"

kubectl patch kc "$CLUSTER" -n "$NS" --type merge -p '{"spec":{"config":{"log.retention.ms":null}}}' >/dev/null
gone() {
    local out
    ! status_lists appliedLive log.retention.ms || return 1
    out=$(configs --entity-type brokers --entity-default --describe) || return 1
    ! grep -q 'log.retention.ms=' <<<"$out"
}
wait_for 60 "log.retention.ms to leave the cluster default" gone
[ "$(pods_state)" = "$before" ] || fail "removing a live key replaced or restarted a broker pod"
ok "log.retention.ms removed from spec.config: deleted from the cluster default, no restart"
live_s=$((SECONDS - t_start))

# ---- a read-only key: exactly one drained roll ----
declare -A old_uid
for i in 0 1 2; do old_uid[$i]=$(pod_uid "$CLUSTER-$i"); done
follow_start
sleep 2
t0=$(now_ms)
kubectl patch kc "$CLUSTER" -n "$NS" --type json -p '[
    {"op": "add", "path": "/spec/config/auto.create.topics.enable", "value": "true"},
    {"op": "add", "path": "/spec/listeners/-", "value": {"name": "tls", "port": 9095, "type": "nodeport",
        "addressType": "ExternalIP", "nodePortBase": 31190, "tls": {}}}]' >/dev/null
wait_for 60 "status.config.awaitingRoll to list auto.create.topics.enable" status_lists awaitingRoll auto.create.topics.enable
hash1=$(template_hash)
[ "$hash1" != "$hash0" ] || fail "the pod template's config hash did not change"
wait_for 900 "the roll to finish" kubectl rollout status statefulset "$CLUSTER" -n "$NS" --timeout=5s
wait_for 120 "3 Ready brokers after the roll" cluster_ready 3
awaiting_gone() { ! status_lists awaitingRoll auto.create.topics.enable; }
wait_for 60 "status.config.awaitingRoll to drop auto.create.topics.enable" awaiting_gone
roll_s=$(( ($(now_ms) - t0) / 1000 ))
sleep 5
follow_stop

for i in 2 1 0; do
    pod="$CLUSTER-$i"
    new=$(pod_uid "$pod")
    [ "$new" != "${old_uid[$i]}" ] || fail "$pod was not replaced by the roll"
    # Exactly once: the old pod and the new one, and nothing in between.
    uids=$(ls "$logs" | sed -nE "s/^$pod\.([^.]+)\.sidecar\..*/\1/p" | sort -u | tr '\n' ' ')
    [ "$uids" = "$(printf '%s\n' "${old_uid[$i]}" "$new" | sort | tr '\n' ' ')" ] ||
        fail "$pod: pods seen during the roll: $uids (old ${old_uid[$i]}, now $new)"
    [ "$(restarts "$pod" broker)" = 0 ] || fail "$pod: its new broker container restarted"
    sc=$(ls "$logs/$pod.${old_uid[$i]}.sidecar".* 2>/dev/null | head -1)
    br=$(ls "$logs/$pod.${old_uid[$i]}.broker".* 2>/dev/null | head -1)
    [ -n "$sc" ] && [ -n "$br" ] || fail "$pod: no logs of the old pod's sidecar or broker"
    t_done=$(log_time "$sc" "drain of broker $i: done")
    t_term=$(log_time "$br" "Terminating process due to signal SIGTERM|SHUTTING_DOWN")
    [ -n "$t_done" ] || fail "$pod: the drain did not finish: $(grep -E 'drain' "$sc" | tail -5)"
    [ -n "$t_term" ] || fail "$pod: no SIGTERM in the broker's log: $(tail -3 "$br")"
    [ "$t_done" -le "$t_term" ] ||
        fail "$pod: SIGTERM reached the broker $((t_done - t_term)) ms before its drain finished"
    say "$pod: replaced once, drained $((t_term - t_done)) ms before SIGTERM"
done
[ "$(template_hash)" = "$hash1" ] || fail "the pod template changed again after the roll"
[ "$(kubectl get sts "$CLUSTER" -n "$NS" -o jsonpath='{.status.updateRevision}')" = \
    "$(kubectl get sts "$CLUSTER" -n "$NS" -o jsonpath='{.status.currentRevision}')" ] ||
    fail "the StatefulSet started another roll"
[ -n "$(kubectl get events -n "$NS" --field-selector reason=ConfigRoll -o name)" ] ||
    fail "no ConfigRoll Event"
ok "auto.create.topics.enable (read-only in Kafka) and a new listener rolled the brokers once, each drained before SIGTERM, in ${roll_s} s; awaitingRoll listed the key, then not"
wait_for 60 "KafkaCluster Ready" cluster_ready 3

# ---- the new listener, served with the cluster CA ----
# status.bootstrap lists the first external listener's; the brokers' own
# entries list every listener.
tls_boot=$(kubectl get kc "$CLUSTER" -n "$NS" -o json | jq -r '[.status.brokers[].listeners.tls // empty] | join(",")')
[ "$(tr ',' '\n' <<<"$tls_boot" | grep -c ':3119[0-2]$')" = 3 ] ||
    fail "status.brokers[].listeners.tls are not the 3 brokers' node ports 31190-31192: '$tls_boot'"
kubectl get secret "$CLUSTER-cluster-ca-cert" -n "$NS" -o jsonpath='{.data.ca\.crt}' | base64 -d >"$state/cluster-ca.crt"
printf 'security.protocol=SSL\nssl.truststore.type=PEM\nssl.truststore.location=%s\n' "$state/cluster-ca.crt" \
    >"$state/tls-client.properties"
topics=$(kafka_tool org.apache.kafka.tools.TopicCommand --bootstrap-server "$tls_boot" \
    --command-config "$state/tls-client.properties" --list 2>"$state/tls-topics.err") ||
    fail "Kafka's client over the tls listener: $(tail -5 "$state/tls-topics.err")"
[ -n "$topics" ] || fail "Kafka's client over the tls listener lists no topic"
ok "Kafka's client, trusting only ca.crt of $CLUSTER-cluster-ca-cert, lists $(wc -l <<<"$topics") topics through $tls_boot"

# The plugin with no Secret but that one.
kubectl create serviceaccount berth-ca-only -n "$NS" >/dev/null
kubectl create role berth-ca-only -n "$NS" --verb=get,list --resource=kafkaclusters.berth.io,pods >/dev/null
kubectl create role berth-ca-only-cm -n "$NS" --verb=get --resource=configmaps >/dev/null
kubectl create role berth-ca-only-secret -n "$NS" --verb=get --resource=secrets \
    --resource-name="$CLUSTER-cluster-ca-cert" >/dev/null
for r in berth-ca-only berth-ca-only-cm berth-ca-only-secret; do
    kubectl create rolebinding "$r" -n "$NS" --role="$r" --serviceaccount="$NS:berth-ca-only" >/dev/null
done
kubectl config view --raw --minify -o json |
    jq --arg t "$(kubectl create token berth-ca-only -n "$NS")" '.users[0].user = {token: $t}' >"$state/ca-only.kubeconfig"
ca_only() { PATH="$plugin_dir:$PATH" "$BERTH_GROUND_BIN/kubectl" berth "$@" --kubeconfig "$state/ca-only.kubeconfig"; }
check_json=$(ca_only addresses "$CLUSTER" -n "$NS" --check --listener tls -o json 2>"$state/tls-check.err") ||
    fail "kubectl berth addresses --check --listener tls exited $?: $(cat "$state/tls-check.err") $check_json"
[ "$(jq '[.brokers[].check.tls.result] | map(select(. == "ok")) | length' <<<"$check_json")" = 3 ] ||
    fail "kubectl berth addresses --check --listener tls: not every broker ok: $(jq -c '[.brokers[] | {id, check}]' <<<"$check_json")"
ok "kubectl berth addresses --check --listener tls, with get on no Secret but $CLUSTER-cluster-ca-cert: each broker answers over TLS at its node address as itself"
direct_json=$(ca_only health "$CLUSTER" -n "$NS" --direct --listener tls -o json 2>"$state/tls-health.err") ||
    fail "kubectl berth health --direct --listener tls exited $?: $(cat "$state/tls-health.err") $direct_json"
[ "$(jq -r .healthy <<<"$direct_json")" = true ] && [ "$(jq -r .asked.listener <<<"$direct_json")" = tls ] ||
    fail "kubectl berth health --direct --listener tls: $(jq -c '{healthy, asked, problems}' <<<"$direct_json")"
ok "kubectl berth health --direct --listener tls, the same account: healthy, asked at $(jq -r .asked.address <<<"$direct_json")"
ok "config test: live part ${live_s} s, whole test $((SECONDS - t_start)) s"
