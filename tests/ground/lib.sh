# Shared settings of the test ground scripts: where the cache and the
# running ground's state live, and the fixed loopback ports. Sourced, not run.

# Built binaries and downloaded jars are reused across runs and checkouts.
GROUND_CACHE=${BERTH_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/berth}
# State of a running ground (certificates, data, logs, PIDs, kubeconfig).
GROUND_STATE=${BERTH_GROUND:-/tmp/berth-ground}
GROUND_BIN="$GROUND_CACHE/bin"
GROUND_KUBECONFIG="$GROUND_STATE/admin.kubeconfig"

# Ports on 127.0.0.1. Chosen away from Kafka's and Kubernetes' usual ones so a
# developer's own services do not clash, and below the kernel's ephemeral
# range (/proc/sys/net/ipv4/ip_local_port_range, usually 32768-60999): a
# port in it can be taken at random by any outgoing connection, and a server
# started later then fails to bind. Overrides must stay below it too.
GROUND_ETCD_CLIENT_PORT=${GROUND_ETCD_CLIENT_PORT:-23791}
GROUND_ETCD_PEER_PORT=${GROUND_ETCD_PEER_PORT:-23801}
GROUND_APISERVER_PORT=${GROUND_APISERVER_PORT:-26443}
GROUND_KCM_PORT=${GROUND_KCM_PORT:-26257}
GROUND_SCHEDULER_PORT=${GROUND_SCHEDULER_PORT:-26259}
GROUND_KWOK_PORT=${GROUND_KWOK_PORT:-26280}

# The real nodes' network (node.sh): a bridge on the host holding
# $GROUND_NODE_NET.1, node I at $GROUND_NODE_NET.(10+I), its pods in
# $GROUND_NODE_POD_NET.I.0/24 (apart from kwok's fake 10.244.0.0/16). A
# second ground with real nodes at the same time needs other values.
GROUND_NODE_NET=${GROUND_NODE_NET:-172.30.0}
GROUND_NODE_POD_NET=${GROUND_NODE_POD_NET:-10.245}
GROUND_NODE_BRIDGE=${GROUND_NODE_BRIDGE:-berth0}

ground_log() { printf 'ground: %s\n' "$*" >&2; }
ground_die() { printf 'ground: error: %s\n' "$*" >&2; exit 1; }

# ground_wait_for WHAT SECONDS CMD...: retry CMD until it succeeds; after
# SECONDS the ground dies naming WHAT.
ground_wait_for() {
    local what=$1 limit=$2 deadline
    shift 2
    deadline=$((SECONDS + limit))
    until "$@" >/dev/null 2>&1; do
        ((SECONDS < deadline)) || ground_die "$what not ready after ${limit}s (logs in $GROUND_STATE)"
        sleep 0.5
    done
}

# ground_pid_alive FILE WORD: the process whose PID FILE holds is running
# and is either a child of this shell (just started, maybe not yet past its
# exec) or has WORD in its command line. A PID file left by a ground that
# died with its machine may name a process that reused the number.
ground_pid_alive() {
    local pid stat ppid
    pid=$(cat "$1" 2>/dev/null) && [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 1
    stat=$(cat "/proc/$pid/stat" 2>/dev/null) || return 1
    read -r _ ppid _ <<<"${stat##*) }"
    [ "$ppid" = "$$" ] || grep -qaF -- "$2" "/proc/$pid/cmdline" 2>/dev/null
}

# ground_leftovers: what of this ground (its state directory, its node
# bridge) is still on the machine after node.sh and kube.sh down:
# processes, mounts, cgroups, network namespaces, interfaces, one a line.
ground_leftovers() {
    pgrep -af -- "$GROUND_STATE/" | grep -v pgrep | sed 's/^/process: /' || true
    grep -F -- "$GROUND_STATE/" /proc/mounts | sed 's/^/mount: /' || true
    ls -d /sys/fs/cgroup/*/"$GROUND_NODE_BRIDGE"-node-* 2>/dev/null | sed 's/^/cgroup: /' || true
    ip netns list | grep -F -- "$GROUND_NODE_BRIDGE-node-" | sed 's/^/network namespace: /' || true
    ip -o link show | grep -F -- "$GROUND_NODE_BRIDGE" | cut -d: -f2 | sed 's/^ */interface: /' || true
}

# ground_daemon CMD ARGS: execs CMD in a session of its own without the
# descriptors above 2 this shell holds. Run it in a background subshell
# with the daemon's redirections: ( ground_daemon cmd ... ) >log 2>&1 &.
# A daemon outlives whoever started it and must not keep their files open:
# a test run under `flock /tmp/berth-ground.lock` would otherwise leave the
# lock held by the API server it restarted, for good.
ground_daemon() {
    local fd
    for fd in /proc/$BASHPID/fd/*; do
        fd=${fd##*/}
        if [ "$fd" -gt 2 ] 2>/dev/null; then eval "exec $fd>&-"; fi
    done
    exec setsid "$@"
}

# ground_kc ARGS: kubectl as the ground's admin.
ground_kc() { "$GROUND_BIN/kubectl" --kubeconfig "$GROUND_KUBECONFIG" "$@"; }

# ground_kill_wait PID [SECONDS]: SIGTERM, then SIGKILL after SECONDS
# (default 10) if it is still there.
ground_kill_wait() {
    kill "$1" 2>/dev/null || return 0
    for _ in $(seq 1 $((${2:-10} * 4))); do kill -0 "$1" 2>/dev/null || return 0; sleep 0.25; done
    kill -9 "$1" 2>/dev/null || true
}

# ground_sign CA_DIR OUT SUBJECT EXTFILE: a key OUT.key and certificate
# OUT.crt for SUBJECT with the extensions of EXTFILE, signed by the CA in
# CA_DIR (ca.crt, ca.key).
ground_sign() {
    openssl req -newkey rsa:2048 -nodes -keyout "$2.key" -out "$2.csr" -subj "$3" 2>/dev/null
    openssl x509 -req -in "$2.csr" -CA "$1/ca.crt" -CAkey "$1/ca.key" -CAcreateserial \
        -out "$2.crt" -days 30 -extfile "$4" 2>/dev/null
    rm -f "$2.csr"
}
