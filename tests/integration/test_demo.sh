#!/usr/bin/env bash
# `make demo` (tests/demo.sh) works and cleans up after itself. It runs the
# demo three times on a state directory and ports of its own (below the
# ephemeral range, clear of the suite's ground):
#  - with one of its ports taken: it refuses at once, naming the port, and
#    starts nothing;
#  - interrupted like Ctrl-C (SIGINT to its process group) once the
#    operator runs: it exits 130 and stops everything it started;
#  - to the end: it exits 0, prints each broker's external address (its
#    node's ExternalIP and its node port), a drain of broker 1 that the
#    drain client reports ok, broker 1 leading no partition during it and
#    the same counts after the restart as before.
# After each run no process of the demo is left (none has the state
# directory in its command line, no port of it is listening) and the state
# directory is gone. The suite's ground is not used.
# Run by tests/integration/run.sh.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)

tmp=$(mktemp -d /tmp/berth-demo-test.XXXXXX)
state="$tmp/state"
export BERTH_DEMO_DIR="$state"
export GROUND_ETCD_CLIENT_PORT=24791 GROUND_ETCD_PEER_PORT=24801 GROUND_APISERVER_PORT=24443
export GROUND_KCM_PORT=24257 GROUND_SCHEDULER_PORT=24259 GROUND_KWOK_PORT=24280
export KAFKA_BROKER_PORT_BASE=24092 KAFKA_CONTROLLER_PORT_BASE=24192
export BERTH_DEMO_HEALTH_PORT=24281 BERTH_DEMO_SIDECAR_PORT_BASE=24180
ports=(24791 24801 24443 24257 24259 24280 24092 24093 24094 24192 24193 24194 24281 24180 24181 24182)

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

listening() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# nothing_left WHEN: no process of the demo and no port of it is left.
nothing_left() {
    local p left=""
    for _ in $(seq 1 20); do
        left=$(pgrep -af -- "$state" || true)
        [ -z "$left" ] && break
        sleep 0.5
    done
    [ -z "$left" ] || fail "$1: processes of the demo are left: $left"
    for p in "${ports[@]}"; do
        ! listening "$p" || fail "$1: port $p still listens"
    done
    [ ! -e "$state/kube" ] && [ ! -e "$state/kafka" ] && [ ! -e "$state/run" ] ||
        fail "$1: the ground's state is left in $state: $(ls "$state")"
}

for p in "${ports[@]}"; do
    ! listening "$p" || fail "port $p is taken before the test: it needs ports ${ports[*]}"
done

# 1. A port taken: something listening on the API server's port.
"$repo/build/berth-sidecar" run --broker-id 0 --http-addr 127.0.0.1 --http-port 24443 \
    --socket "$tmp/blocker.sock" >"$tmp/blocker.log" 2>&1 &
blocker=$!
for _ in $(seq 1 40); do listening 24443 && break; sleep 0.25; done
listening 24443 || fail "the stand-in listener on 24443 did not start: $(cat "$tmp/blocker.log")"
rc=0
bash "$repo/tests/demo.sh" >"$tmp/out" 2>&1 || rc=$?
[ "$rc" -ne 0 ] || fail "the demo ran although port 24443 was taken"
grep -q "port 24443 (kube-apiserver) is taken" "$tmp/out" || fail "the refusal does not name port 24443"
grep -q "starting etcd" "$tmp/out" && fail "the demo started the ground although a port was taken"
kill "$blocker"
wait "$blocker" 2>/dev/null || true
blocker=""
nothing_left "refused"
ok "with port 24443 taken the demo refuses at once ($(grep -o 'port 24443[^;]*' "$tmp/out" | head -1)) and starts nothing"

# 2. Ctrl-C once the operator runs: SIGINT to the demo's process group, as a
# terminal sends it. Job control gives the demo a group of its own. A shell
# cannot trap a signal that was ignored when it started (as it is when this
# test itself runs as a background job), so the demo gets SIGINT's default.
set -m
env --default-signal=INT bash "$repo/tests/demo.sh" >"$tmp/out" 2>&1 &
demo_pid=$!
set +m
deadline=$((SECONDS + 300))
until grep -q '^\[5/8\]' "$tmp/out"; do
    kill -0 "$demo_pid" 2>/dev/null || fail "the demo ended before step 5"
    ((SECONDS < deadline)) || fail "the demo did not reach step 5 in 300s"
    sleep 0.5
done
pgrep -f -- "berth-operator --kubeconfig $state" >/dev/null || fail "no berth-operator running at step 5"
kill -INT -- "-$demo_pid"
rc=0
wait "$demo_pid" || rc=$?
demo_pid=""
[ "$rc" = 130 ] || fail "the interrupted demo exited $rc, not 130"
grep -q '^demo: stopped' "$tmp/out" || fail "the interrupted demo did not say it stopped"
nothing_left "interrupted"
ok "interrupted at step 5 (operator, Kafka and control plane running): exit 130, everything stopped"

# 3. To the end.
rc=0
bash "$repo/tests/demo.sh" >"$tmp/out" 2>&1 || rc=$?
[ "$rc" = 0 ] || fail "the demo exited $rc"
grep -q '^demo: done' "$tmp/out" || fail "the demo did not finish"
for i in 0 1 2; do
    line=$(grep -E "^ +broker $i  pod demo-$i on kwok-node-[0-2]  advertises " "$tmp/out") ||
        fail "no external address for broker $i"
    node=$(sed -E 's/.* on kwok-node-([0-2]) .*/\1/' <<<"$line")
    want="203.0.113.$((10 + node)):$((31090 + i))"
    [[ "$line" == *"advertises $want" ]] ||
        fail "broker $i on kwok-node-$node should advertise $want (node ExternalIP + node port): $line"
done
ok "each broker's external address is its kwok node's ExternalIP and its node port 31090+id"

counts() { grep -E "^ +leaders $1: " "$tmp/out" | sed -E 's/.*leaders [a-z]+: +//'; }
before=$(counts before) during=$(counts during) after=$(counts after)
[ -n "$before" ] && [ -n "$during" ] && [ -n "$after" ] || fail "leadership counts missing"
read -r _ _ b0 _ _ b1 _ _ b2 <<<"$before"
[ $((b0 + b1 + b2)) = 60 ] || fail "the leaders before do not add up to the 60 partitions: $before"
[ "$b1" -gt 0 ] || fail "broker 1 led nothing before the drain: $before"
grep -qE "^ +result: ok" "$tmp/out" || fail "berth-drain did not report ok"
[[ "$during" == *"broker 1: 0 "* ]] || fail "broker 1 still leads partitions during its drain: $during"
[ "$after" = "$before" ] || fail "leadership after the restart ($after) differs from before ($before)"
ok "drain of broker 1: before $before; during $during; after the same as before"
nothing_left "finished"
[ ! -e "$state" ] || fail "the state directory $state is left"
ok "after the demo no process, port or state of it is left"
