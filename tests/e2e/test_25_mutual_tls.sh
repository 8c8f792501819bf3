#!/usr/bin/env bash
# The cluster's own mutual TLS on real pods: the brokers test_20 made talk
# to each other on berth's REPLICATION listener and the KRaft CONTROLLER
# listener only over TLS with certificates of the cluster's CA. Reached
# through the API server's port-forward to broker 0, a client that trusts
# the CA but has no certificate of its own gets its handshake refused on
# both listeners and no answer to an ApiVersions request; the same client
# with the sidecar's certificate gets its answer. Broker 0's certificate
# names its pod DNS name.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
tmp="$state/mtls"
mkdir -p "$tmp"
pf_pid=""
cleanup() {
    local rc=$?
    if [ -n "$pf_pid" ]; then kill "$pf_pid" 2>/dev/null || true; fi
    exit "$rc"
}
trap cleanup EXIT

pod="$CLUSTER-0"
dns="$pod.$CLUSTER-brokers.$NS.svc.cluster.local"
secret="$CLUSTER-broker-certs"
for key in ca.crt sidecar.crt sidecar.key "$pod.crt"; do
    kubectl get secret "$secret" -n "$NS" -o json | jq -r --arg k "$key" '.data[$k] // empty' |
        base64 -d >"$tmp/$key" 2>/dev/null || true
    [ -s "$tmp/$key" ] || fail "Secret $secret has no $key"
done
chmod 600 "$tmp/sidecar.key"

# The broker runs on what init rendered: replication over berth's listener.
props=$(kubectl exec -n "$NS" "$pod" -c broker -- cat /etc/berth/config/server.properties) ||
    fail "reading $pod's server.properties"
grep -qx 'inter.broker.listener.name=REPLICATION' <<<"$props" ||
    fail "$pod: inter-broker traffic is not on REPLICATION"
grep -q '^listener.security.protocol.map=.*REPLICATION:SSL,CONTROLLER:SSL' <<<"$props" ||
    fail "$pod: REPLICATION and CONTROLLER are not SSL: $(grep '^listener.security' <<<"$props")"
ok "$pod runs REPLICATION and CONTROLLER over SSL with client certificates required"

# Broker 0's certificate: its pod DNS name (the example's external
# listener is plaintext, so no node address: only listeners served with the
# cluster CA add those).
san=$(openssl x509 -in "$tmp/$pod.crt" -noout -ext subjectAltName 2>&1) || fail "reading $pod.crt: $san"
grep -q "DNS:$dns" <<<"$san" || fail "$pod.crt does not name $dns: $san"
openssl verify -CAfile "$tmp/ca.crt" "$tmp/$pod.crt" >/dev/null 2>&1 ||
    fail "$pod.crt is not signed by the cluster CA"
ok "$pod's certificate is from the cluster CA and names $dns"

# Port-forward 9091 (REPLICATION) and 9093 (CONTROLLER) of broker 0.
kubectl port-forward -n "$NS" "pod/$pod" 29591:9091 29593:9093 >"$tmp/pf.log" 2>&1 &
pf_pid=$!
wait_for 30 "the port-forward" grep -q 'Forwarding from 127.0.0.1:29593' "$tmp/pf.log"

# ask PORT [CERT KEY]: sends ApiVersions v0 (correlation id 7) over TLS,
# checking the broker's certificate for the pod DNS name; prints the reply
# bytes in hex, the handshake's complaints go to $tmp/s_client.err. A
# refused handshake is an answer here, not a failure of the test.
ask() {
    local port=$1 extra=()
    [ $# -lt 3 ] || extra=(-cert "$2" -key "$3")
    { printf '\x00\x00\x00\x0a\x00\x12\x00\x00\x00\x00\x00\x07\x00\x00'; sleep 3; } |
        timeout 20 openssl s_client -quiet -connect "127.0.0.1:$port" -CAfile "$tmp/ca.crt" \
            -servername "$dns" -verify_hostname "$dns" -verify_return_error "${extra[@]}" \
            2>"$tmp/s_client.err" | od -An -tx1 | tr -d ' \n' || true
}
for port in 29591 29593; do
    listener=$([ "$port" = 29591 ] && echo REPLICATION || echo CONTROLLER)
    got=$(ask "$port")
    [ -z "$got" ] || fail "$listener answered a client without a certificate: $got"
    grep -qi 'alert\|certificate required\|handshake failure' "$tmp/s_client.err" ||
        fail "$listener: no refusal seen: $(tail -3 "$tmp/s_client.err")"
    refusal=$(grep -i -m1 'alert' "$tmp/s_client.err" || true)
    got=$(ask "$port" "$tmp/sidecar.crt" "$tmp/sidecar.key")
    # The reply: a length, then correlation id 7, then error code 0.
    case "$got" in ????????000000070000*) ;;
    *) fail "$listener did not answer ApiVersions with the sidecar's certificate: '$got' $(tail -3 "$tmp/s_client.err")" ;;
    esac
    ok "$listener: refused without a client certificate (${refusal:-connection closed}); answered with one"
done
