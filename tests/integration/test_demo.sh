#!/usr/bin/env bash
# `make demo` (tests/demo.sh) works on its real node and leaves nothing
# behind. It runs the demo on a state directory, ports (below the ephemeral
# range), node bridge and networks of its own, clear of the suite's ground,
# the e2e ground and a demo someone runs by hand:
#  - without root: it refuses at once, saying the real node needs root;
#  - with one of its ports taken: it refuses at once, naming the port, and
#    starts nothing;
#  - interrupted like Ctrl-C (SIGINT to its process group) once the
#    operator and the brokers run in real pods: it exits 130 and stops
#    everything it started;
#  - to the end: it exits 0; the node is a real one (kubelet and
#    containerd), the operator and 3 Ready brokers run in pods on it, each
#    broker advertises the node's address and its node port, an outside
#    client reaches every broker at the address the status gives and reads
#    back what it wrote; kubectl delete pod demo-1 runs its preStop drain
#    (the old pod's sidecar says so) before SIGTERM, broker 1 leads nothing
#    while its pod is not Ready, and leads as before once the new pod is.
# After each run nothing of the demo is left: no process with the state
# directory in its command line, no port of it listening, no mount, cgroup,
# network namespace or interface of its node, no state directory.
# Run by tests/integration/run.sh; needs root, like the demo.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
. "$repo/tests/ground/lib.sh"

tmp=$(mktemp -d /tmp/berth-demo-test.XXXXXX)
state="$tmp/state"
export BERTH_DEMO_DIR="$state"
export BERTH_DEMO_IMAGES="$GROUND_CACHE/images/demo-test"
export GROUND_ETCD_CLIENT_PORT=24791 GROUND_ETCD_PEER_PORT=24801 GROUND_APISERVER_PORT=24443
export GROUND_KCM_PORT=24257 GROUND_SCHEDULER_PORT=24259 GROUND_KWOK_PORT=24280
export GROUND_NODE_BRIDGE=berth-dtest0 GROUND_NODE_NET=172.29.0 GROUND_NODE_POD_NET=10.247
ports=(24791 24801 24443 24257 24259 24280)
node_ip=172.29.0.10

demo_pid="" blocker=""
fail() {
    echo "FAIL test_demo: $*" >&2
    [ -s "$tmp/out" ] && { echo "--- the demo's output (last 40 lines):" >&2; tail -40 "$tmp/out" >&2; }
    exit 1
}
ok() { echo "ok: $*"; }
cleanup() {
    local rc=$?
    if [ -n "$blocker" ]; then kill "$blocker" 2>/dev/null || true; wait "$blocker" 2>/dev/null || true; fi
    if [ -n "$demo_pid" ]; then kill -INT -- "-$demo_pid" 2>/dev/null || true; wait "$demo_pid" 2>/dev/null || true; fi
    rm -rf "$tmp"
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

[ "$(id -u)" = 0 ] || fail "needs root: the demo runs a real node"
listening() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# left: what of the demo is still on this machine, one line each.
left() {
    local b=$GROUND_NODE_BRIDGE
    pgrep -af -- "$state" | sed 's/^/process /' || true
    grep -F -e "$state" -e "/run/netns/$b-" /proc/self/mountinfo | awk '{ print "mount " $5 }' || true
    find /sys/fs/cgroup/ -mindepth 2 -maxdepth 2 -name "$b-node-*" 2>/dev/null | sed 's/^/cgroup /'
    ip netns list | awk -v p="$b-" 'index($1, p) == 1 { print "network namespace " $1 }'
    ip -o link show | awk -F': ' -v b="$b" '{ sub(/@.*/, "", $2) }
        $2 == b || index($2, b "-") == 1 { print "interface " $2 }'
}

# nothing_left WHEN: nothing of the demo is left (see left), no port of it
# listens, no ground state is left in the state directory.
nothing_left() {
    local p l=""
    for _ in $(seq 1 20); do
        l=$(left)
        [ -z "$l" ] && break
        sleep 0.5
    done
    [ -z "$l" ] || fail "$1: the demo left behind:
$l"
    for p in "${ports[@]}"; do
        ! listening "$p" || fail "$1: port $p still listens"
    done
    if [ -e "$state/kube" ] || [ -e "$state/node" ]; then
        fail "$1: the ground's state is left in $state: $(ls "$state")"
    fi
    if grep -q '^demo: stopping' "$tmp/out"; then
        grep -q '^demo: stopped in [0-9]* s; nothing of it is left' "$tmp/out" ||
            fail "$1: the demo did not say it left nothing behind"
    fi
}

for p in "${ports[@]}"; do
    ! listening "$p" || fail "port $p is taken before the test: it needs ports ${ports[*]}"
done
[ -z "$(left)" ] || fail "the test's node names are in use before the test: $(left)"

# 1. Not root: it says why it needs root and starts nothing.
rc=0
setpriv --reuid=65534 --regid=65534 --clear-groups bash "$repo/tests/demo.sh" >"$tmp/out" 2>&1 || rc=$?
[ "$rc" -ne 0 ] || fail "the demo ran without root"
grep -q "FAILED in step 1: the demo needs root: its Kubernetes node is real" "$tmp/out" ||
    fail "without root the demo does not say it needs root"
! grep -q "building berth's images" "$tmp/out" || fail "without root the demo went on"
ok "without root the demo refuses at once, saying that its real node needs root"

# 2. A port taken: something listening on the API server's port.
openssl s_server -accept 127.0.0.1:24443 -nocert -quiet </dev/null >"$tmp/blocker.log" 2>&1 &
blocker=$!
for _ in $(seq 1 40); do listening 24443 && break; sleep 0.25; done
listening 24443 || fail "the stand-in listener on 24443 did not start: $(cat "$tmp/blocker.log")"
rc=0
bash "$repo/tests/demo.sh" >"$tmp/out" 2>&1 || rc=$?
[ "$rc" -ne 0 ] || fail "the demo ran although port 24443 was taken"
grep -q "port 24443 (kube-apiserver) is taken" "$tmp/out" || fail "the refusal does not name port 24443"
! grep -qE "building berth's images|starting etcd" "$tmp/out" ||
    fail "the demo went on although a port was taken"
kill "$blocker"
wait "$blocker" 2>/dev/null || true
blocker=""
nothing_left "refused"
ok "with port 24443 taken the demo refuses at once ($(grep -o 'port 24443[^;]*' "$tmp/out" | head -1)) and starts nothing"

# 3. Ctrl-C once the operator and the brokers run in real pods: SIGINT to
# the demo's process group, as a terminal sends it. Job control gives the
# demo a group of its own. A shell cannot trap a signal that was ignored
# when it started (as it is when this test itself runs as a background
# job), so the demo gets SIGINT's default.
set -m
env --default-signal=INT bash "$repo/tests/demo.sh" >"$tmp/out" 2>&1 &
demo_pid=$!
set +m
deadline=$((SECONDS + 600))
until grep -q '^\[5/7\]' "$tmp/out"; do
    kill -0 "$demo_pid" 2>/dev/null || fail "the demo ended before step 5"
    ((SECONDS < deadline)) || fail "the demo did not reach step 5 in 600s"
    sleep 0.5
done
shims=$(pgrep -fc -- "containerd-shim-runc-v2 .*$state/" || true)
((shims >= 4)) || fail "at step 5 only $shims pods run on the demo's node (the operator and 3 brokers should)"
kill -INT -- "-$demo_pid"
rc=0
wait "$demo_pid" || rc=$?
demo_pid=""
[ "$rc" = 130 ] || fail "the interrupted demo exited $rc, not 130"
grep -q '^demo: interrupted' "$tmp/out" || fail "the demo did not say it was interrupted"
grep -q '^demo: stopped' "$tmp/out" || fail "the interrupted demo did not say it stopped"
nothing_left "interrupted"
ok "interrupted at step 5 ($shims pods running on the real node): exit 130, everything stopped, nothing left"

# 4. To the end.
rc=0
bash "$repo/tests/demo.sh" >"$tmp/out" 2>&1 || rc=$?
[ "$rc" = 0 ] || fail "the demo exited $rc"
grep -q '^demo: done' "$tmp/out" || fail "the demo did not finish"
grep -qE "^ +berth-node-0 +Ready .* $node_ip .* containerd://" "$tmp/out" ||
    fail "no real node berth-node-0 Ready at $node_ip with containerd"
grep -qE "^ +berth-operator-[a-z0-9-]+ +True +Running +berth-node-0 .* localhost/berth-operator:" "$tmp/out" ||
    fail "no Ready operator pod on berth-node-0 from localhost/berth-operator"
for i in 0 1 2; do
    grep -qE "^ +demo-$i +True +Running +berth-node-0 +10\.247\." "$tmp/out" ||
        fail "broker pod demo-$i is not Ready and Running on berth-node-0 with a pod address"
    want="$node_ip:$((31090 + i))"
    grep -qE "^ +broker $i  pod demo-$i on berth-node-0  advertises $want$" "$tmp/out" ||
        fail "broker $i should advertise $want (the node's address and node port 31090+id)"
    grep -qE "^ +broker $i at $want, as the status says$" "$tmp/out" ||
        fail "the outside client does not see broker $i at $want"
done
ok "3 Ready brokers on the real node berth-node-0, each advertising $node_ip:3109<id>, where an outside client reaches it"
[ "$(grep -cE '^ +hello from outside the cluster, record [1-5]$' "$tmp/out")" = 5 ] ||
    fail "the outside client did not read back the 5 records it produced"
ok "the outside client produced 5 records through the node ports and consumed them back"

counts() { grep -E "^ +leaders $1: " "$tmp/out" | sed -E 's/.*leaders [a-z]+: +//'; }
before=$(counts before) after=$(counts after)
during=$(grep -E "^ +\+[0-9]+ s  demo-1: (terminating|new pod[^;]*); leaders .*broker 1: 0 " "$tmp/out" | head -1) ||
    fail "broker 1 was not seen leading 0 partitions while its pod was terminating or not Ready"
[ -n "$before" ] || fail "no leadership counts before the delete"
[ -n "$after" ] || fail "no leadership counts after the restart"
read -r _ _ b0 _ _ b1 _ _ b2 <<<"$before"
[ $((b0 + b1 + b2)) = 60 ] || fail "the leaders before do not add up to the 60 partitions: $before"
[ "$b1" -gt 0 ] || fail "broker 1 led nothing before its pod was deleted: $before"
grep -qE "^ +[^ ]+ info  drain of broker 1 requested over unix " "$tmp/out" ||
    fail "the old pod's sidecar log shows no preStop drain request for broker 1"
grep -qE "^ +[^ ]+ info  drain of broker 1: done$" "$tmp/out" ||
    fail "the old pod's sidecar log shows no finished drain of broker 1"
grep -qE "^ +the preStop drain began [0-9]+ ms after the delete and took [0-9]+ ms; the broker got SIGTERM [0-9]+ ms after it finished$" "$tmp/out" ||
    fail "no drain-before-SIGTERM line"
grep -qE "^ +\+[0-9]+ s  the new demo-1 is Ready$" "$tmp/out" || fail "the new demo-1 never turned Ready"
grep -qE "^ +[^ ]+ info  restore of broker 1: done" "$tmp/out" ||
    fail "the new pod's sidecar did not hand leadership back to broker 1"
[ "$after" = "$before" ] || fail "leadership after the restart ($after) differs from before ($before)"
ok "kubectl delete pod demo-1: preStop drain before SIGTERM; before $before; $(sed -E 's/^ +//' <<<"$during"); after the same as before"
nothing_left "finished"
[ ! -e "$state" ] || fail "the state directory $state is left"
ok "after the demo no process, port, mount, cgroup, network namespace, interface or state of it is left"
