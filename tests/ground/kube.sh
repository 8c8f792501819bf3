#!/usr/bin/env bash
# The Kubernetes half of the test ground: a real control plane on loopback
# (etcd, kube-apiserver with TLS, RBAC and a service-account issuer,
# kube-controller-manager, kube-scheduler) plus kwok, which plays kubelet for
# fake Nodes, so Pods are scheduled and become Running without containers.
#
#   kube.sh up        build what is missing, start everything, create the nodes
#   kube.sh down      stop exactly the processes up started (by PID), remove state
#   kube.sh versions  print the version of each component
#   kube.sh nodes     (re)create the fake nodes
#   kube.sh alive     exit 0 when a ground is up and its API server answers
#   kube.sh restart-apiserver   stop and start kube-apiserver (same state)
#   kube.sh compact   compact etcd to its current revision (prints it)
#
# After `up`, the admin kubeconfig is $GROUND_STATE/admin.kubeconfig.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"

kstate="$GROUND_STATE/kube"
pki="$kstate/pki"
B="$GROUND_BIN"
# How many of the fake nodes below to create (0 for a ground of real nodes).
GROUND_KWOK_NODES=${GROUND_KWOK_NODES:-3}

# Fake nodes: name, InternalIP (loopback), ExternalIP (TEST-NET-3, RFC 5737),
# zone. Their addresses are data for berth to advertise; nothing dials them.
NODES=(
    "kwok-node-0 127.0.10.1 203.0.113.10 zone-a"
    "kwok-node-1 127.0.10.2 203.0.113.11 zone-b"
    "kwok-node-2 127.0.10.3 203.0.113.12 zone-c"
)

make_pki() {
    mkdir -p "$pki"
    cd "$pki"
    openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.crt -days 30 \
        -subj "/CN=berth-ground-ca" 2>/dev/null
    cat >serving.ext <<EOF
subjectAltName=IP:127.0.0.1,IP:$GROUND_NODE_NET.1,IP:10.96.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local
extendedKeyUsage=serverAuth
EOF
    echo "extendedKeyUsage=clientAuth" >client.ext
    ground_sign "$pki" apiserver "/CN=kube-apiserver" serving.ext
    ground_sign "$pki" admin "/O=system:masters/CN=berth-ground-admin" client.ext
    ground_sign "$pki" controller-manager "/CN=system:kube-controller-manager" client.ext
    ground_sign "$pki" scheduler "/CN=system:kube-scheduler" client.ext
    openssl genrsa -out sa.key 2048 2>/dev/null
    openssl rsa -in sa.key -pubout -out sa.pub 2>/dev/null
    cd - >/dev/null
}

# kubeconfig NAME OUT: a kubeconfig for the client certificate NAME.
kubeconfig() {
    local b64="base64 -w0"
    cat >"$2" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: ground
  cluster:
    server: https://127.0.0.1:$GROUND_APISERVER_PORT
    certificate-authority-data: $($b64 <"$pki/ca.crt")
users:
- name: $1
  user:
    client-certificate-data: $($b64 <"$pki/$1.crt")
    client-key-data: $($b64 <"$pki/$1.key")
contexts:
- name: ground
  context: {cluster: ground, user: $1, namespace: default}
current-context: ground
EOF
}

# start NAME CMD...: run CMD in its own session, log and PID under the state.
start() {
    local name=$1
    shift
    (ground_daemon "$@") >"$kstate/$name.log" 2>&1 </dev/null &
    echo $! >"$kstate/$name.pid"
}

alive() { ground_pid_alive "$kstate/$1.pid" "$1"; }

# Loopback, unless real nodes will run (GROUND_REAL_NODES=1): their kubelets
# and pods reach the API server at the node bridge's host address.
apiserver_bind() {
    if [ "${GROUND_REAL_NODES:-0}" = 1 ]; then echo 0.0.0.0; else echo 127.0.0.1; fi
}

apiserver_ready() {
    alive kube-apiserver || ground_die "kube-apiserver exited: $(tail -5 "$kstate/kube-apiserver.log")"
    curl -sf --cacert "$pki/ca.crt" --cert "$pki/admin.crt" --key "$pki/admin.key" \
        "https://127.0.0.1:$GROUND_APISERVER_PORT/readyz"
}

cmd_nodes() {
    local n name iip eip zone
    for n in "${NODES[@]:0:$GROUND_KWOK_NODES}"; do
        read -r name iip eip zone <<<"$n"
        ground_kc apply -f - >/dev/null <<EOF
apiVersion: v1
kind: Node
metadata:
  name: $name
  annotations: {kwok.x-k8s.io/node: fake, node.alpha.kubernetes.io/ttl: "0"}
  labels:
    kubernetes.io/hostname: $name
    kubernetes.io/os: linux
    kubernetes.io/arch: amd64
    type: kwok
    topology.kubernetes.io/region: region-1
    topology.kubernetes.io/zone: $zone
status:
  addresses:
  - {type: InternalIP, address: $iip}
  - {type: ExternalIP, address: $eip}
  - {type: Hostname, address: $name}
EOF
    done
    ground_wait_for "kwok nodes" 180 nodes_ready
}

nodes_ready() {
    [ "$(ground_kc get nodes -o jsonpath='{range .items[*]}{.status.conditions[?(@.type=="Ready")].status}{"\n"}{end}' |
        grep -c True)" -ge "$GROUND_KWOK_NODES" ]
}

start_apiserver() {
    start kube-apiserver "$B/kube-apiserver" \
        --etcd-servers "http://127.0.0.1:$GROUND_ETCD_CLIENT_PORT" \
        --bind-address "$(apiserver_bind)" --advertise-address 127.0.0.1 \
        --secure-port "$GROUND_APISERVER_PORT" \
        --tls-cert-file "$pki/apiserver.crt" --tls-private-key-file "$pki/apiserver.key" \
        --client-ca-file "$pki/ca.crt" \
        --authorization-mode Node,RBAC \
        --service-account-issuer https://kubernetes.default.svc.cluster.local \
        --service-account-key-file "$pki/sa.pub" \
        --service-account-signing-key-file "$pki/sa.key" \
        --service-cluster-ip-range 10.96.0.0/16 \
        --service-node-port-range 30000-32767 \
        --endpoint-reconciler-type none \
        --allow-privileged=true \
        --kubelet-client-certificate "$pki/admin.crt" --kubelet-client-key "$pki/admin.key" \
        --kubelet-preferred-address-types InternalIP,Hostname \
        --audit-policy-file "$kstate/audit-policy.yaml" \
        --audit-log-path "$kstate/audit.log" --audit-log-format json
}

cmd_up() {
    bash "$here/build.sh" etcd k8s kwok
    if [ -d "$kstate" ]; then
        for p in etcd kube-apiserver kube-controller-manager kube-scheduler kwok; do
            ! alive "$p" || ground_die "a ground is already up in $kstate; run kube.sh down first"
        done
        ground_log "removing $kstate, left by a ground that no longer runs"
        rm -rf "$kstate"
    fi
    mkdir -p "$kstate"
    make_pki
    kubeconfig admin "$GROUND_KUBECONFIG"
    kubeconfig controller-manager "$kstate/controller-manager.kubeconfig"
    kubeconfig scheduler "$kstate/scheduler.kubeconfig"
    cat >"$kstate/audit-policy.yaml" <<EOF
# Writes and reads (not watches), metadata level: tests and benches count
# a client's API requests from it.
apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: [RequestReceived]
rules:
- level: Metadata
  verbs: [create, update, patch, delete, deletecollection, get, list]
- level: None
EOF

    start etcd "$B/etcd" --name ground --data-dir "$kstate/etcd" \
        --listen-client-urls "http://127.0.0.1:$GROUND_ETCD_CLIENT_PORT" \
        --advertise-client-urls "http://127.0.0.1:$GROUND_ETCD_CLIENT_PORT" \
        --listen-peer-urls "http://127.0.0.1:$GROUND_ETCD_PEER_PORT" \
        --initial-advertise-peer-urls "http://127.0.0.1:$GROUND_ETCD_PEER_PORT" \
        --initial-cluster "ground=http://127.0.0.1:$GROUND_ETCD_PEER_PORT" \
        --unsafe-no-fsync=true --log-level=warn
    ground_wait_for etcd 90 curl -sf "http://127.0.0.1:$GROUND_ETCD_CLIENT_PORT/health"

    start_apiserver
    ground_wait_for kube-apiserver 120 apiserver_ready

    # kwok posts each node's status every 20 to 45 s, and the default grace
    # of 50 s before a silent node turns NotReady left 5 s of slack: on a busy
    # 2-core machine one late post marked a node NotReady and its pods unready
    # (a Deployment then never became available). Nothing here tests node
    # failure, so the grace is long.
    start kube-controller-manager "$B/kube-controller-manager" \
        --kubeconfig "$kstate/controller-manager.kubeconfig" \
        --authentication-kubeconfig "$kstate/controller-manager.kubeconfig" \
        --authorization-kubeconfig "$kstate/controller-manager.kubeconfig" \
        --bind-address 127.0.0.1 --secure-port "$GROUND_KCM_PORT" \
        --root-ca-file "$pki/ca.crt" \
        --service-account-private-key-file "$pki/sa.key" \
        --use-service-account-credentials=true \
        --cluster-cidr 10.244.0.0/16 --service-cluster-ip-range 10.96.0.0/16 \
        --leader-elect=false --controllers '*,-nodeipam,-cloud-node-lifecycle' \
        --node-monitor-grace-period 5m
    start kube-scheduler "$B/kube-scheduler" \
        --kubeconfig "$kstate/scheduler.kubeconfig" \
        --authentication-kubeconfig "$kstate/scheduler.kubeconfig" \
        --authorization-kubeconfig "$kstate/scheduler.kubeconfig" \
        --bind-address 127.0.0.1 --secure-port "$GROUND_SCHEDULER_PORT" \
        --leader-elect=false
    start kwok "$B/kwok" --kubeconfig "$GROUND_KUBECONFIG" \
        --manage-all-nodes=false \
        --manage-nodes-with-annotation-selector kwok.x-k8s.io/node=fake \
        --cidr 10.244.0.0/16 --node-ip 127.0.10.1 \
        --server-address "127.0.0.1:$GROUND_KWOK_PORT"

    # The controller-manager creates each namespace's default ServiceAccount;
    # pods cannot be created before it exists.
    ground_wait_for "default ServiceAccount" 90 ground_kc get serviceaccount default -n default
    cmd_nodes
    ground_log "control plane up: $(versions | tr '\n' ' ')"
    ground_log "KUBECONFIG=$GROUND_KUBECONFIG"
}

# Stops kube-apiserver and starts it again with the same flags and state:
# for tests of watch resumption across an API server restart.
cmd_restart_apiserver() {
    local pid
    pid=$(cat "$kstate/kube-apiserver.pid") || ground_die "no ground is up"
    ground_kill_wait "$pid"
    start_apiserver
    ground_wait_for kube-apiserver 120 apiserver_ready
}

# Compacts etcd's history up to its current revision, so watches resuming
# from an older resourceVersion get 410 Gone.
cmd_compact() {
    local url="http://127.0.0.1:$GROUND_ETCD_CLIENT_PORT" rev
    rev=$(curl -sf -X POST "$url/v3/kv/range" -d '{"key":"AA=="}' |
        sed -n 's/.*"revision":"\([0-9]*\)".*/\1/p')
    [ -n "$rev" ] || ground_die "cannot read etcd's revision"
    curl -sf -X POST "$url/v3/kv/compaction" -d "{\"revision\":\"$rev\",\"physical\":true}" >/dev/null
    echo "$rev"
}

versions() {
    echo "kube-apiserver $("$B/kube-apiserver" --version | awk '{print $2}')"
    echo "etcd $("$B/etcd" --version | awk '/etcd Version/ {print "v"$3}')"
    echo "kwok $("$B/kwok" --version 2>/dev/null | grep -o 'v\?[0-9][0-9.]*' | head -1)"
    echo "kubectl $("$B/kubectl" version --client -o json | sed -n 's/.*"gitVersion": "\(.*\)".*/\1/p' | head -1)"
}

cmd_down() {
    local p pid
    for p in kwok kube-scheduler kube-controller-manager kube-apiserver etcd; do
        alive "$p" || continue
        ground_kill_wait "$(cat "$kstate/$p.pid")"
    done
    rm -rf "$kstate" "$GROUND_KUBECONFIG"
    rmdir "$GROUND_STATE" 2>/dev/null || true
}

case "${1:-}" in
up) cmd_up ;;
down) cmd_down ;;
versions) versions ;;
nodes) cmd_nodes ;;
restart-apiserver) cmd_restart_apiserver ;;
compact) cmd_compact ;;
alive) [ -f "$GROUND_KUBECONFIG" ] && alive kube-apiserver && apiserver_ready >/dev/null ;;
*) sed -n '2,15s/^# \{0,1\}//p' "$0" >&2; exit 2 ;;
esac
