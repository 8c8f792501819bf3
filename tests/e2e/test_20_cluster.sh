#!/usr/bin/env bash
# The nodeport example on real pods: manifests/examples/kafka-nodeport.yaml,
# with only its image swapped for the ground's broker image of the previous
# Kafka release (apache/kafka cannot be pulled here; the ground's is laid
# out the same way; test_30 upgrades the cluster to the pinned one), turns into
# three Running and Ready broker pods; in each, the native sidecar started
# before the broker, and the broker runs on the configuration `berth-sidecar
# init` rendered (it advertises the address berth computed from its node).
# docs/reference-pod.yaml still shows the pod spec the operator makes. An
# outside client on the host bootstraps through the node address and node
# port, sees every broker exactly at the address the KafkaCluster's
# status shows, and produces and consumes 10,000 records, none lost.
# kubectl berth health, through the API server's port-forward to a broker
# pod, finds the cluster healthy and counts the partitions and leaders
# Kafka's own tool counts, and so does health --direct at a broker's
# external address; a user without the right to port-forward is told.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

kubectl create namespace "$NS" >/dev/null && kubectl label namespace "$NS" pod-security.kubernetes.io/enforce=restricted >/dev/null
sed "s#^\(  image: \).*#\1$BERTH_E2E_PREVIOUS_BROKER_IMAGE#" "$repo/manifests/examples/kafka-nodeport.yaml" |
    kubectl apply -n "$NS" -f - >/dev/null || fail "the nodeport example was refused"
wait_for 300 "3 Ready brokers and KafkaCluster Ready" cluster_ready 3
start_ms=$(cat "$state/install_start_ms" 2>/dev/null || echo "")
ok "3 brokers Ready$([ -z "$start_ms" ] || echo " $(( ($(now_ms) - start_ms) / 1000 )) s after helm install")"

for i in 0 1 2; do
    pod="$CLUSTER-$i"
    read -r phase node sc_started broker_started < <(kubectl get pod "$pod" -n "$NS" -o jsonpath='{.status.phase} {.spec.nodeName} {.status.initContainerStatuses[?(@.name=="sidecar")].state.running.startedAt} {.status.containerStatuses[?(@.name=="broker")].state.running.startedAt}'; echo) || true
    [ "$phase" = Running ] || fail "$pod is $phase"
    case "$node" in berth-node-*) ;; *) fail "$pod is on '$node', not a real node" ;; esac
    [ -n "$sc_started" ] && [ -n "$broker_started" ] || fail "$pod: sidecar or broker not running"
    [ "$(rfc3339_ms "$sc_started")" -le "$(rfc3339_ms "$broker_started")" ] ||
        fail "$pod: the sidecar started at $sc_started, after the broker ($broker_started)"
    # advertised.listeners is written only by berth-sidecar init: it holds
    # the node's address and this broker's node port.
    adv=$(kubectl exec -n "$NS" "$pod" -c broker -- sh -c 'grep "^advertised.listeners=" /etc/berth/config/server.properties' 2>&1) ||
        fail "$pod: reading the rendered server.properties: $adv"
    want=$(status_addresses | awk -v id="$i" '$1 == id {print $2}')
    case "$adv" in *"EXTERNAL://$want"* | *"external://$want"* | *"$want"*) ;;
    *) fail "$pod: rendered $adv, status says broker $i is at $want" ;; esac
    # Kafka's log directory is kafka-logs on the data volume, not its root
    # (where ext4 puts lost+found), and the broker's data is there.
    dirs=$(kubectl exec -n "$NS" "$pod" -c broker -- sh -c 'd=/var/lib/kafka/data; grep "^log.dirs=" /etc/berth/config/server.properties &&
        test -f $d/kafka-logs/meta.properties && test -d $d/kafka-logs/__cluster_metadata-0 && test ! -e $d/meta.properties && echo data-there' 2>&1) || true
    [ "$dirs" = "log.dirs=/var/lib/kafka/data/kafka-logs
data-there" ] || fail "$pod: log.dirs is not kafka-logs on the volume, or the broker's data is not there: $dirs"
    # ...and the broker process runs on that file.
    cmd=$(kubectl exec -n "$NS" "$pod" -c broker -- cat /proc/1/cmdline 2>&1 | tr '\0' ' ')
    case "$cmd" in *java*kafka.Kafka*/etc/berth/config/server.properties*) ;;
    *) fail "$pod: PID 1 is not Kafka on the rendered config: $cmd" ;; esac
    say "$pod on $node: sidecar started $sc_started, broker $broker_started; $adv"
done
ok "each pod started its sidecar before its broker; each broker runs on the rendered config"

# docs/reference-pod.yaml shows users this very pod: its spec must still be
# what the operator makes (the node is where the scheduler put it; the doc
# shows the pinned release's image, this pod runs the previous one's).
kubectl get pod "$CLUSTER-0" -n "$NS" -o yaml >"$state/reference-pod.yaml"
pod_spec() { jq -S '.spec | del(.nodeName)'; }
live=$(kubectl get pod "$CLUSTER-0" -n "$NS" -o json | pod_spec)
doc=$(sed "s#$BERTH_E2E_BROKER_IMAGE\$#$BERTH_E2E_PREVIOUS_BROKER_IMAGE#" "$repo/docs/reference-pod.yaml" |
    kubectl create --dry-run=client -o json -f - | pod_spec) ||
    fail "docs/reference-pod.yaml does not parse as a pod"
[ "$live" = "$doc" ] || fail "docs/reference-pod.yaml is out of date (a live broker pod's spec differs; the live pod is in $state/reference-pod.yaml):
$(diff <(echo "$doc") <(echo "$live") | head -30)"
ok "docs/reference-pod.yaml has the spec of a live broker pod"

boot=$(status_bootstrap)
[ -n "$boot" ] || fail "the KafkaCluster's status has no external bootstrap"
seen=$(check_client_view "$boot")
[ "$(wc -l <<<"$seen")" = 3 ] || fail "expected 3 brokers, the client sees: $seen"
ok "an outside client bootstrapping from $boot sees every broker at the address status shows: $(tr '\n' ';' <<<"$seen")"

# kubectl berth (the plugin, found on PATH by kubectl) shows the addresses
# the operator wrote and the nodes the pods run on.
berth_table=$(kberth addresses "$CLUSTER" -n "$NS")
berth_json=$(kberth addresses "$CLUSTER" -n "$NS" -o json)
want=$(kubectl get kc "$CLUSTER" -n "$NS" -o json | jq -cS '[.status.brokers[] | {id, node, listeners}]')
[ "$(jq -cS '[.brokers[] | {id, node, listeners}]' <<<"$berth_json")" = "$want" ] ||
    fail "kubectl berth addresses -o json is not the status: $berth_json"
for id in 0 1 2; do
    node=$(kubectl get pod "$CLUSTER-$id" -n "$NS" -o jsonpath='{.spec.nodeName}')
    ext=$(jq -r --argjson i "$id" '.brokers[] | select(.id == $i) | .listeners.external' <<<"$berth_json")
    grep -qE "^$CLUSTER +$id +$CLUSTER-$id +$node +external +$ext\$" <<<"$berth_table" ||
        fail "kubectl berth addresses: no row of broker $id on $node at $ext: $berth_table"
done
echo "$berth_table"
ok "kubectl berth addresses shows each broker's node and the addresses status gives"

# --check dials each address from this host and finds it in the Metadata
# answered there under its own broker id. Only the external listener: the
# internal one's pod DNS names do not resolve on this host.
check_json=$(kberth addresses "$CLUSTER" -n "$NS" --check --listener external -o json 2>"$state/check.err") ||
    fail "kubectl berth addresses --check exited $?: $(cat "$state/check.err") $check_json"
[ "$(jq -c '[.brokers[] | .check | keys[]] | unique' <<<"$check_json")" = '["external"]' ] &&
    [ "$(jq '[.brokers[].check.external.result] | length' <<<"$check_json")" = 3 ] &&
    [ "$(jq '[.brokers[].check.external.result] | all(. == "ok")' <<<"$check_json")" = true ] ||
    fail "kubectl berth addresses --check: not every external address is ok: $(jq -c '[.brokers[] | {id, check}]' <<<"$check_json")"
ok "kubectl berth addresses --check: each broker answers at its external address as itself"

# The operator reads metadata.version once the brokers are Ready, and
# status shows it with the release the brokers run.
read -r mv mv_max < <(metadata_version "$boot"; echo) || true
[ -n "$mv" ] && [ "$mv" = "$mv_max" ] || fail "metadata.version of a new cluster: finalized '$mv', supported up to '$mv_max'"
mv_status() { [ "$(kc_kafka metadataVersion)" = "$mv" ]; }
wait_for 60 "status.kafka.metadataVersion $mv" mv_status
prev=${BERTH_E2E_PREVIOUS_BROKER_IMAGE##*:}
[ "$(kc_kafka versions)" = "[\"$prev\"]" ] || fail "status.kafka.versions is $(kc_kafka versions), not [\"$prev\"]"
ok "status.kafka: Kafka $prev, metadata.version $mv (level $(kc_kafka metadataVersionLevel)), as kafka-features describes it"

topic=e2e-records
kafka_tool org.apache.kafka.tools.TopicCommand --bootstrap-server "$boot" --create --topic "$topic" \
    --partitions 6 --replication-factor 3 >/dev/null || fail "creating topic $topic"
seq -f 'record-%05g' 1 10000 >"$state/records.sent"
kafka_tool org.apache.kafka.tools.ConsoleProducer --bootstrap-server "$boot" --topic "$topic" \
    --producer-property acks=all <"$state/records.sent" >/dev/null 2>"$state/producer.err" ||
    fail "producing 10,000 records: $(tail -5 "$state/producer.err")"
kafka_tool org.apache.kafka.tools.consumer.ConsoleConsumer --bootstrap-server "$boot" --topic "$topic" \
    --from-beginning --max-messages 10000 --timeout-ms 60000 2>/dev/null | sort >"$state/records.got" || true
sent=$(wc -l <"$state/records.sent")
got=$(sort -u "$state/records.got" | wc -l)
missing=$(comm -23 <(sort "$state/records.sent") <(sort -u "$state/records.got") | wc -l)
[ "$missing" = 0 ] && [ "$got" = "$sent" ] ||
    fail "sent $sent records, consumed $got distinct, $missing missing"
ok "an outside client produced $sent records through the node ports and consumed all $got back"

# kubectl berth health asks a broker through the API server's port-forward
# (this host reaches the pods' replication port by no other way) with the
# cluster's own mutual TLS: healthy, and what it counts is what Kafka's own
# tool says of the same cluster (every partition, and the leaders per broker).
health_json=$(kberth health "$CLUSTER" -n "$NS" -o json 2>"$state/health.err") ||
    fail "kubectl berth health exited $?: $(cat "$state/health.err") $health_json"
[ "$(jq -r .healthy <<<"$health_json")" = true ] || fail "kubectl berth health: not healthy: $health_json"
[ "$(jq -r .asked.port <<<"$health_json")" = "$(kubectl get cm "$CLUSTER-brokers" -n "$NS" -o jsonpath='{.data.cluster\.json}' | jq -r .clusterTLS.replicationPort)" ] ||
    fail "kubectl berth health did not ask the replication port: $(jq -c .asked <<<"$health_json")"
kafka_tool org.apache.kafka.tools.TopicCommand --bootstrap-server "$boot" --describe >"$state/topics.describe" 2>/dev/null ||
    fail "describing the topics"
kafka_leaders=$(grep -oE 'Leader: [0-9-]+' "$state/topics.describe" | awk '{n[$2]++} END {for (b in n) print b, n[b]}' | sort)
berth_leaders=$(jq -r '.brokers[] | select(.leaders > 0) | "\(.id) \(.leaders)"' <<<"$health_json" | sort)
[ "$kafka_leaders" = "$berth_leaders" ] ||
    fail "leaders per broker: kafka-topics says $(tr '\n' ';' <<<"$kafka_leaders"), kubectl berth health $(tr '\n' ';' <<<"$berth_leaders")"
[ "$(jq -r .partitions.total <<<"$health_json")" = "$(grep -c 'Leader: ' "$state/topics.describe")" ] ||
    fail "kubectl berth health counts $(jq -r .partitions.total <<<"$health_json") partitions, kafka-topics $(grep -c 'Leader: ' "$state/topics.describe")"
[ "$(jq -r '.quorum.voters | length' <<<"$health_json")" -ge 1 ] || fail "kubectl berth health: no KRaft voter: $(jq -c .quorum <<<"$health_json")"
kberth health "$CLUSTER" -n "$NS" | head -3
ok "kubectl berth health through a port-forward: healthy, $(jq -r .partitions.total <<<"$health_json") partitions, leaders per broker as kafka-topics shows them ($(tr '\n' ';' <<<"$berth_leaders"))"

# With --direct it dials the broker at its advertised address instead (this
# host reaches the node ports): the external listener, PLAINTEXT here.
direct_json=$(kberth health "$CLUSTER" -n "$NS" --direct --listener external -o json 2>"$state/health-direct.err") ||
    fail "kubectl berth health --direct exited $?: $(cat "$state/health-direct.err") $direct_json"
[ "$(jq -r .healthy <<<"$direct_json")" = true ] || fail "kubectl berth health --direct: not healthy: $direct_json"
[ "$(jq -r .partitions.total <<<"$direct_json")" = "$(jq -r .partitions.total <<<"$health_json")" ] ||
    fail "kubectl berth health --direct counts $(jq -r .partitions.total <<<"$direct_json") partitions, through a port-forward $(jq -r .partitions.total <<<"$health_json")"
direct_want=$(kubectl get kc "$CLUSTER" -n "$NS" -o json | jq -r --argjson i "$(jq .asked.id <<<"$direct_json")" '.status.brokers[] | select(.id == $i) | .listeners.external')
[ "$(jq -r .asked.via <<<"$direct_json")" = direct ] && [ -n "$direct_want" ] &&
    [ "$(jq -r .asked.address <<<"$direct_json")" = "$direct_want" ] ||
    fail "kubectl berth health --direct did not ask broker $(jq .asked.id <<<"$direct_json") at its external address $direct_want: $(jq -c .asked <<<"$direct_json")"
ok "kubectl berth health --direct: healthy, the same $(jq -r .partitions.total <<<"$direct_json") partitions, asked at $direct_want"

# Without the right to port-forward, it says so and exits 1.
kubectl create serviceaccount berth-no-forward -n "$NS" >/dev/null
kubectl create role berth-no-forward -n "$NS" --verb=get,list --resource=kafkaclusters.berth.io,configmaps,secrets,pods >/dev/null
kubectl create rolebinding berth-no-forward -n "$NS" --role=berth-no-forward --serviceaccount="$NS:berth-no-forward" >/dev/null
kubectl config view --raw --minify -o json >"$state/admin.kubeconfig.json"
jq --arg t "$(kubectl create token berth-no-forward -n "$NS")" \
    '.users[0].user = {token: $t}' "$state/admin.kubeconfig.json" >"$state/no-forward.kubeconfig"
rc=0
PATH="$plugin_dir:$PATH" "$BERTH_GROUND_BIN/kubectl" berth health "$CLUSTER" -n "$NS" --kubeconfig "$state/no-forward.kubeconfig" \
    >/dev/null 2>"$state/no-forward.err" || rc=$?
[ "$rc" = 1 ] && grep -q "pods/portforward" "$state/no-forward.err" ||
    fail "kubectl berth health without pods/portforward exited $rc: $(cat "$state/no-forward.err")"
ok "without the right to port-forward: exit 1, $(grep -m1 -o 'port-forward.*' "$state/no-forward.err")"
