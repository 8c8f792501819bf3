#!/usr/bin/env bash
# PID 1 of one real node (started by node.sh inside the node's network,
# mount and PID namespaces): makes the node's own /run, /var/lib and
# /var/log, pins the kernel settings kubelet would rewrite on the host, then
# runs containerd, kubelet, kube-proxy and, on node 0, CoreDNS until it is
# killed. Everything it starts dies with it (the PID namespace ends).
#
# Usage: node-init.sh STATE_DIR INDEX BIN_DIR CNI_BIN_DIR CGROUP_NAME
set -euo pipefail
d=$1 i=$2 bin=$3 cni_bin=$4 cgroup=$5
export PATH="$cni_bin:$PATH"
name="berth-node-$i"

# Private to this mount namespace (propagation is private): the host's
# directories stay as they are.
mount -t tmpfs -o mode=0755 tmpfs /run
mount -t tmpfs -o mode=0755 tmpfs /var/lib
mount -t tmpfs -o mode=0755 tmpfs /var/log

# kubelet sets these on start and a failed write is fatal; kernel.* and
# vm.* are not per network namespace, so they would change the host's.
# Files holding the values it wants, bound over the entries, leave it
# nothing to change.
for kv in kernel/panic=10 kernel/panic_on_oops=1 vm/overcommit_memory=1; do
    f="$d/sysctl/${kv%%=*}"
    mkdir -p "$(dirname "$f")"
    echo "${kv#*=}" >"$f"
    mount --bind "$f" "/proc/sys/${kv%%=*}"
done
# Per network namespace: the node routes for its pods, and bridged pod
# traffic passes iptables (Services that lead back to the same node).
echo 1 >/proc/sys/net/ipv4/ip_forward
if [ -w /proc/sys/net/bridge/bridge-nf-call-iptables ]; then
    echo 1 >/proc/sys/net/bridge/bridge-nf-call-iptables
fi

# The node's cgroup root in every v1 hierarchy (kubelet requires it to
# exist); a new cpuset starts empty, so it gets its parent's CPUs and memory.
for h in /sys/fs/cgroup/*/; do
    [ "$h" != /sys/fs/cgroup/unified/ ] || continue
    mkdir -p "$h$cgroup"
    if [ -f "${h}cpuset.cpus" ]; then
        cat "${h}cpuset.cpus" >"$h$cgroup/cpuset.cpus"
        cat "${h}cpuset.mems" >"$h$cgroup/cpuset.mems"
    fi
done

pids=()
run() {
    local name=$1
    shift
    "$@" >"$d/logs/$name.log" 2>&1 </dev/null &
    pids+=($!)
}

run containerd containerd --config "$d/containerd.toml"
for _ in $(seq 1 120); do [ -S "$d/containerd.sock" ] && break; sleep 0.25; done
run kubelet "$bin/kubelet" --config "$d/kubelet.yaml" --kubeconfig "$d/kubelet.kubeconfig" \
    --root-dir "$d/kubelet" --cert-dir "$d/kubelet-pki" --hostname-override "$name" \
    --node-ip "$(ip -4 -o addr show eth0 | awk '{print $4}' | cut -d/ -f1)" \
    --node-labels "berth.io/ground-node=real,topology.kubernetes.io/zone=zone-real-$i"
run kube-proxy "$bin/kube-proxy" --config "$d/kube-proxy.yaml"
if [ -f "$d/Corefile" ]; then
    run coredns "$bin/coredns" -conf "$d/Corefile"
fi
trap 'kill "${pids[@]}" 2>/dev/null; exit 0' TERM INT
# A part that exits is in its log; the node then turns NotReady, which is
# what tests see.
wait
