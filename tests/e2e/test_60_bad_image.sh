#!/usr/bin/env bash
# A broker image that cannot be pulled shows in the KafkaCluster's status:
# Degraded=True with a reason and a message naming the broker, its pod, the
# container and the kubelet's reason, and status.brokers[] holds the same;
# not only `kubectl describe pod`. The cluster is removed afterwards.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

ns=kafka-bad
kubectl create namespace "$ns" >/dev/null
trap 'kubectl delete namespace "$ns" --wait=false >/dev/null 2>&1 || true' EXIT
kubectl apply -n "$ns" -f - >/dev/null <<EOF2 || fail "the KafkaCluster was refused"
apiVersion: berth.io/v1alpha1
kind: KafkaCluster
metadata: {name: broken}
spec:
  flavor: kafka
  image: localhost/berth-no-such-image:0
  replicas: 1
  controllers: 1
  listeners:
    - {name: internal, port: 9092, type: internal}
EOF2
degraded() {
    kubectl get kc broken -n "$ns" -o jsonpath='{.status.conditions[?(@.type=="Degraded")].status} {.status.conditions[?(@.type=="Degraded")].reason}' |
        grep -q '^True BrokerImagePullFailed$'
}
wait_for 180 "Degraded=True BrokerImagePullFailed" degraded
msg=$(kubectl get kc broken -n "$ns" -o jsonpath='{.status.conditions[?(@.type=="Degraded")].message}')
for want in "broker 0" broken-0 broker localhost/berth-no-such-image; do
    grep -qF -- "$want" <<<"$msg" || fail "Degraded's message does not name '$want': $msg"
done
err=$(kubectl get kc broken -n "$ns" -o jsonpath='{.status.brokers[0].containerError.container} {.status.brokers[0].containerError.reason}')
case "$err" in "broker ErrImagePull" | "broker ImagePullBackOff") ;;
*) fail "status.brokers[0].containerError is '$err'" ;; esac
ok "an image that cannot be pulled shows in status: $msg"
