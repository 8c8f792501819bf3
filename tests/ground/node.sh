#!/usr/bin/env bash
# The real node of the test ground: kubelet, containerd, runc, CNI, kube-proxy
# and CoreDNS, so pods run real containers and everything that touches a pod
# (images, pod spec, preStop, SIGTERM, probes, rolls, Service routing) comes
# from Kubernetes itself. kwok stays for API behaviour and scale.
#
# Each node lives in namespaces of the ground's own: a named network
# namespace BRIDGE-node-I (its eth0 on the host bridge GROUND_NODE_BRIDGE),
# and a mount and PID namespace whose PID 1 is node-init.sh. Inside, tmpfs
# covers /run, /var/lib and /var/log and the kernel settings kubelet insists
# on are bind-mounted files, so the host's /run, /var/lib and sysctls stay
# untouched. Ending that PID 1 ends every process of the node and its pods;
# `down` then removes the node's cgroups, the bridge and the namespace.
#
# The host reaches node I at GROUND_NODE_NET.(10+I) (its InternalIP, where
# node ports answer); pods reach the API server through the `kubernetes`
# Service (kube-proxy sends it to the bridge's host address), and cluster
# DNS is CoreDNS on node 0. Claims bind through a small provisioner that
# makes a hostPath volume per pending claim under the ground's state; the
# default StorageClass `ground` names it and allows volume expansion, so a
# claim's request may grow (the volume is a directory: nothing resizes it).
#
#   node.sh up [N]      build what is missing, start N nodes (default 1),
#                       load the images in $GROUND_IMAGES (tools/images.sh
#                       save), wait until every node is Ready
#   node.sh down        stop the nodes, remove everything up made
#   node.sh alive       exit 0 when the nodes recorded here run
#   node.sh load FILE.. import image archives into every node's containerd
#   node.sh ip I        print node I's address
#   node.sh ctr I ARGS  run containerd's ctr against node I (debugging)
#
# Needs root (namespaces, mounts, cgroups), containerd, runc and the CNI
# plugins (tests/ground/deps.sh installs them), and a control plane up
# (kube.sh up).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"

nstate="$GROUND_STATE/node"
kpki="$GROUND_STATE/kube/pki"
B="$GROUND_BIN"
NET=$GROUND_NODE_NET
BRIDGE=$GROUND_NODE_BRIDGE
HOST_IP="$NET.1"
POD_NET=$GROUND_NODE_POD_NET # node I's pods get $POD_NET.I.0/24
DNS_IP="$NET.10"             # CoreDNS runs on node 0
PAUSE_IMAGE="localhost/berth-pause:ground"
CNI_BIN=/usr/lib/cni

node_name() { echo "berth-node-$1"; }
node_ip() { echo "$NET.$((10 + $1))"; }
# Host-wide names (network namespace, cgroup root) carry the bridge's name,
# so grounds with other bridges (the demo's, the e2e tests') never meet.
netns() { echo "$BRIDGE-node-$1"; }
count() { cat "$nstate/count" 2>/dev/null || echo 0; }

# kubeconfig CERT OUT: a kubeconfig for the client certificate CERT that
# reaches the API server from inside a node, through the bridge.
kubeconfig() {
    cat >"$2" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: ground
  cluster:
    server: https://$HOST_IP:$GROUND_APISERVER_PORT
    certificate-authority: $kpki/ca.crt
users:
- name: user
  user: {client-certificate: $1.crt, client-key: $1.key}
contexts:
- name: ground
  context: {cluster: ground, user: user}
current-context: ground
EOF
}

# The pause image every pod sandbox runs: the static pause program built
# from the pinned k8s.io/kubernetes module, alone in an image.
pause_archive() {
    local out="$GROUND_CACHE/images/berth-pause.tar" stamp ctr
    stamp=$(sha256sum <"$B/pause" | cut -c1-16)
    if [ -f "$out" ] && [ "$(cat "$out.stamp" 2>/dev/null)" = "$stamp" ]; then
        echo "$out"
        return
    fi
    mkdir -p "$(dirname "$out")"
    export BUILDAH_ISOLATION=chroot
    ctr=$(buildah from scratch)
    buildah copy --quiet "$ctr" "$B/pause" /pause >/dev/null
    buildah config --entrypoint '["/pause"]' --user 65535:65535 "$ctr"
    buildah commit --quiet --rm "$ctr" "$PAUSE_IMAGE" >/dev/null
    rm -f "$out"
    buildah push --quiet "$PAUSE_IMAGE" "docker-archive:$out:$PAUSE_IMAGE" >/dev/null
    echo "$stamp" >"$out.stamp"
    echo "$out"
}

# write_configs I: node I's certificates and its containerd, CNI, kubelet,
# kube-proxy (and on node 0 CoreDNS) configuration under its state dir.
write_configs() {
    local i=$1 d name ip
    d="$nstate/n$i"
    name=$(node_name "$i")
    ip=$(node_ip "$i")
    mkdir -p "$d"/{cni,cni-ipam,kubelet,kubelet-pki,pod-logs,sysctl,containerd,logs}
    ground_sign "$kpki" "$d/kubelet" "/O=system:nodes/CN=system:node:$name" <(echo "extendedKeyUsage=clientAuth")
    ground_sign "$kpki" "$d/kube-proxy" "/CN=system:kube-proxy" <(echo "extendedKeyUsage=clientAuth")
    kubeconfig "$d/kubelet" "$d/kubelet.kubeconfig"
    kubeconfig "$d/kube-proxy" "$d/kube-proxy.kubeconfig"

    cat >"$d/containerd.toml" <<EOF
version = 2
root = "$d/containerd/root"
state = "/run/containerd"
[grpc]
  address = "$d/containerd.sock"
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "$PAUSE_IMAGE"
  # No CAP_SYS_RESOURCE here: a negative oom_score_adj is refused.
  restrict_oom_score_adj = true
  [plugins."io.containerd.grpc.v1.cri".containerd]
    default_runtime_name = "runc"
    snapshotter = "overlayfs"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        SystemdCgroup = false
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "$CNI_BIN"
    conf_dir = "$d/cni"
EOF

    # cniVersion 0.4.0: containerd 1.6 refuses some 1.0.0 configs. ipMasq:
    # pods' traffic to the host (the API server) leaves with the node's
    # address, so the host needs no route to the pod networks.
    cat >"$d/cni/10-berth.conflist" <<EOF
{
  "cniVersion": "0.4.0",
  "name": "berth",
  "plugins": [
    {"type": "bridge", "bridge": "cni0", "isGateway": true, "ipMasq": true,
     "hairpinMode": true,
     "ipam": {"type": "host-local", "dataDir": "$d/cni-ipam",
              "ranges": [[{"subnet": "$POD_NET.$i.0/24"}]],
              "routes": [{"dst": "0.0.0.0/0"}]}},
    {"type": "portmap", "capabilities": {"portMappings": true}}
  ]
}
EOF

    echo "nameserver $DNS_IP" >"$d/resolv.conf"
    cat >"$d/kubelet.yaml" <<EOF
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
# This machine has cgroup v1 only; 1.35 refuses it unless told otherwise.
failCgroupV1: false
cgroupDriver: cgroupfs
cgroupRoot: /$(netns "$i")
containerRuntimeEndpoint: unix://$d/containerd.sock
address: $ip
port: 10250
readOnlyPort: 0
healthzBindAddress: 127.0.0.1
healthzPort: 10248
authentication:
  anonymous: {enabled: false}
  webhook: {enabled: false}
  x509: {clientCAFile: $kpki/ca.crt}
authorization: {mode: AlwaysAllow}
clusterDomain: cluster.local
clusterDNS: [$DNS_IP]
resolvConf: $d/resolv.conf
podLogsDir: $d/pod-logs
failSwapOn: false
serializeImagePulls: false
# The disk is shared with everything else on this machine: only evict when
# it is really full.
evictionHard: {memory.available: 100Mi, nodefs.available: 1%, imagefs.available: 1%, nodefs.inodesFree: 1%}
imageGCHighThresholdPercent: 99
imageGCLowThresholdPercent: 98
syncFrequency: 10s
fileCheckFrequency: 0s
EOF

    cat >"$d/kube-proxy.yaml" <<EOF
apiVersion: kubeproxy.config.k8s.io/v1alpha1
kind: KubeProxyConfiguration
mode: iptables
hostnameOverride: $name
clusterCIDR: $POD_NET.0.0/16
clientConnection: {kubeconfig: $d/kube-proxy.kubeconfig}
bindAddress: $ip
metricsBindAddress: 127.0.0.1:10249
healthzBindAddress: 127.0.0.1:10256
nodePortAddresses: ["$ip/32"]
# Conntrack sizes and timeouts are the host's: leave them alone.
conntrack: {maxPerCore: 0, min: 0, tcpEstablishedTimeout: 0s, tcpCloseWaitTimeout: 0s}
EOF

    if [ "$i" = 0 ]; then
        cp "$GROUND_KUBECONFIG" "$d/coredns.kubeconfig"
        sed -i "s#server: https://127.0.0.1:#server: https://$HOST_IP:#" "$d/coredns.kubeconfig"
        cat >"$d/Corefile" <<EOF
.:53 {
    bind $DNS_IP
    errors
    kubernetes cluster.local in-addr.arpa ip6.arpa {
        kubeconfig $d/coredns.kubeconfig ground
        pods insecure
        ttl 5
    }
}
EOF
    fi
}

# start_node I: node I's network namespace on the bridge, then its PID 1.
start_node() {
    local i=$1 d ns ip host_if
    d="$nstate/n$i"
    ns=$(netns "$i")
    ip=$(node_ip "$i")
    host_if="$BRIDGE-$i"
    ip netns add "$ns"
    ip link add "$host_if" type veth peer name eth0 netns "$ns"
    ip link set "$host_if" master "$BRIDGE" up
    ip -n "$ns" addr add "$ip/24" dev eth0
    ip -n "$ns" link set lo up
    ip -n "$ns" link set eth0 up
    ip -n "$ns" route add default via "$HOST_IP"
    # Pods of other nodes: straight over the bridge to their node.
    local j
    for ((j = 0; j < $(count); j++)); do
        [ "$j" = "$i" ] || ip -n "$ns" route add "$POD_NET.$j.0/24" via "$(node_ip "$j")"
    done
    # nsenter, not `ip netns exec`, which mounts a sysfs of its own over
    # /sys and so hides the cgroup mounts kubelet needs. --kill-child: when
    # the unshare process goes, the node's PID 1 gets SIGKILL, and with it
    # every process of the node.
    setsid nsenter --net="/run/netns/$ns" unshare --mount --pid --fork --kill-child --mount-proc \
        --propagation private \
        bash "$here/node-init.sh" "$d" "$i" "$B" "$CNI_BIN" "$(netns "$i")" >"$d/logs/init.log" 2>&1 </dev/null &
    echo $! >"$d/pid"
}

node_alive() { ground_pid_alive "$nstate/n$1/pid" node-init.sh; }

cmd_alive() {
    local n i
    n=$(count)
    [ "$n" -gt 0 ] || return 1
    for ((i = 0; i < n; i++)); do node_alive "$i" || return 1; done
}

# The API server's endpoint for pods: the `kubernetes` Service's slice,
# pointing at the bridge's host address (the ground's API server does not
# reconcile its own endpoints: it listens on loopback for everything else).
api_endpoints() {
    ground_kc apply -f - >/dev/null <<EOF
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata:
  name: kubernetes-ground
  namespace: default
  labels:
    kubernetes.io/service-name: kubernetes
    endpointslice.kubernetes.io/managed-by: berth-ground
addressType: IPv4
endpoints:
- addresses: [$HOST_IP]
  conditions: {ready: true}
ports:
- {name: https, port: $GROUND_APISERVER_PORT, protocol: TCP}
EOF
}

node_ready() {
    [ "$(ground_kc get node "$(node_name "$1")" \
        -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}')" = True ]
}

# import_into I FILE...: import image archives into node I's containerd.
import_into() {
    local i=$1 f
    shift
    for f in "$@"; do
        ctr --address "$nstate/n$i/containerd.sock" -n k8s.io images import "$f" \
            >/dev/null || ground_die "node $i: importing $f failed"
    done
}

cmd_load() {
    local n i
    n=$(count)
    [ "$n" -gt 0 ] || ground_die "no node is up"
    for ((i = 0; i < n; i++)); do import_into "$i" "$@"; done
}

# The provisioner: a hostPath volume under the ground's state for every
# pending claim, bound to it at once; a released volume and its directory
# are deleted. Runs until the ground goes down.
provisioner() {
    local pv="$nstate/volumes" line ns name uid size class
    mkdir -p "$pv"
    while :; do
        ground_kc get pvc -A -o jsonpath='{range .items[?(@.status.phase=="Pending")]}{.metadata.namespace} {.metadata.name} {.metadata.uid} {.spec.resources.requests.storage} {.spec.storageClassName}{"\n"}{end}' 2>/dev/null |
            while read -r ns name uid size class; do
                [ -n "$uid" ] || continue
                mkdir -p "$pv/$uid"
                chmod 0777 "$pv/$uid"
                ground_kc create -f - >/dev/null 2>&1 <<EOF || true
apiVersion: v1
kind: PersistentVolume
metadata:
  name: ground-$uid
  labels: {berth.io/ground-provisioned: "true"}
spec:
  capacity: {storage: $size}
  accessModes: [ReadWriteOnce]
  persistentVolumeReclaimPolicy: Retain
  storageClassName: "$class"
  claimRef: {namespace: $ns, name: $name, uid: $uid}
  hostPath: {path: $pv/$uid, type: Directory}
EOF
            done
        ground_kc get pv -l berth.io/ground-provisioned=true \
            -o jsonpath='{range .items[?(@.status.phase=="Released")]}{.metadata.name}{"\n"}{end}' 2>/dev/null |
            while read -r line; do
                [ -n "$line" ] || continue
                ground_kc delete pv "$line" --wait=false >/dev/null 2>&1 && rm -rf "${pv:?}/${line#ground-}"
            done
        sleep 2
    done
}

cmd_up() {
    local n=${1:-1} i start
    start=$SECONDS
    [ "$(id -u)" = 0 ] || ground_die "the real node needs root (namespaces, mounts, cgroups)"
    for t in containerd containerd-shim-runc-v2 runc ctr ip iptables; do
        command -v "$t" >/dev/null || ground_die "$t is missing (make deps installs it)"
    done
    [ -x "$CNI_BIN/bridge" ] || ground_die "CNI plugins missing in $CNI_BIN (make deps installs them)"
    [ -f "$GROUND_KUBECONFIG" ] || ground_die "no control plane: run kube.sh up first"
    bash "$here/build.sh" k8s coredns
    if [ -d "$nstate" ]; then
        ! cmd_alive || ground_die "nodes are already up in $nstate; run node.sh down first"
        ground_log "clearing $nstate, left by a ground that no longer runs"
        cmd_down
    fi
    mkdir -p "$nstate"
    echo "$n" >"$nstate/count"

    ip link add "$BRIDGE" type bridge
    ip addr add "$HOST_IP/24" dev "$BRIDGE"
    ip link set "$BRIDGE" up
    local images=("$(pause_archive)")
    if [ -n "${GROUND_IMAGES:-}" ]; then
        for f in "$GROUND_IMAGES"/*.tar; do [ -e "$f" ] && images+=("$f"); done
    fi
    for ((i = 0; i < n; i++)); do
        write_configs "$i"
        start_node "$i"
    done
    api_endpoints
    for ((i = 0; i < n; i++)); do
        ground_wait_for "node $i's containerd" 60 test -S "$nstate/n$i/containerd.sock"
        import_into "$i" "${images[@]}"
    done
    for ((i = 0; i < n; i++)); do
        ground_wait_for "node $(node_name "$i")" 120 node_ready "$i"
    done
    setsid bash "$0" provisioner >"$nstate/provisioner.log" 2>&1 </dev/null &
    echo $! >"$nstate/provisioner.pid"
    ground_kc apply -f - >/dev/null <<EOF
apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata:
  name: ground
  annotations: {storageclass.kubernetes.io/is-default-class: "true"}
provisioner: berth.io/ground-hostpath
allowVolumeExpansion: true
EOF
    ground_log "$n real node(s) Ready in $((SECONDS - start))s: $(for ((i = 0; i < n; i++)); do
        printf '%s=%s ' "$(node_name "$i")" "$(node_ip "$i")"
    done)(${#images[@]} images loaded)"
}

# remove_cgroups NAME: the node's cgroup tree in every hierarchy, deepest
# first (a cgroup goes only once its processes and children have).
remove_cgroups() {
    local h
    for h in /sys/fs/cgroup/*/; do
        [ -d "$h$1" ] || continue
        find "$h$1" -depth -type d -exec rmdir {} + 2>/dev/null || true
    done
}

cmd_down() {
    local n i pid
    n=$(count)
    if [ -f "$nstate/provisioner.pid" ] && ground_pid_alive "$nstate/provisioner.pid" provisioner; then
        ground_kill_wait "$(cat "$nstate/provisioner.pid")"
    fi
    for ((i = 0; i < n; i++)); do
        if node_alive "$i"; then
            # unshare blocks SIGTERM while it waits for its child; SIGKILL
            # ends it, and --kill-child ends the node with it.
            kill -KILL "$(cat "$nstate/n$i/pid")" 2>/dev/null || true
        fi
        # Every process of the node, pods' too, was in its network
        # namespace: wait until none is left.
        for _ in $(seq 1 40); do
            [ -z "$(ip netns pids "$(netns "$i")" 2>/dev/null)" ] && break
            sleep 0.25
        done
        ip netns del "$(netns "$i")" 2>/dev/null || true
        # The kernel can keep the namespace a while after its last process
        # (sockets still closing), and with it the veth pair: delete it.
        ip link del "$BRIDGE-$i" 2>/dev/null || true
        for _ in $(seq 1 20); do
            remove_cgroups "$(netns "$i")"
            ls -d /sys/fs/cgroup/*/"$(netns "$i")" >/dev/null 2>&1 || break
            sleep 0.25
        done
    done
    ip link del "$BRIDGE" 2>/dev/null || true
    # Volumes' files belong to the pods' users; the state goes with the ground.
    rm -rf "$nstate"
}

case "${1:-}" in
up) cmd_up "${2:-1}" ;;
down) cmd_down ;;
alive) cmd_alive ;;
load) shift; cmd_load "$@" ;;
ip) node_ip "$2" ;;
ctr) i=$2; shift 2; ctr --address "$nstate/n$i/containerd.sock" -n k8s.io "$@" ;;
provisioner) provisioner ;;
*) sed -n '2,30s/^# \{0,1\}//p' "$0" >&2; exit 2 ;;
esac
