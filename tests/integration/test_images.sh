#!/usr/bin/env bash
# The container images build and are what they claim: tools/images.sh
# builds berth-operator and berth-sidecar from the Containerfile and the
# ground's broker image berth-kafka from tests/ground/broker/ with buildah
# (on a Debian base made locally by mmdebstrap, since no image registry is
# reachable here). Each berth image runs its program as uid 65532 with
# every shared library it links present, carries no compiler or headers,
# and cannot be written to by its user; the sidecar image also holds the
# static drain client. The broker image runs as uid 1000 with java and no
# compiler, has Kafka's three scripts, whose JVM options come from
# KAFKA_HEAP_OPTS, KAFKA_JVM_PERFORMANCE_OPTS and KAFKA_OPTS, a data
# directory its user and group may write, and starts a single-node KRaft
# broker with the operator's own pod command (format, then exec the
# broker), which Kafka's tools reach and which stops on SIGTERM.
# Needs no ground, but root (buildah and mmdebstrap; CI runs as root), and
# two free ports on 127.0.0.1 between 24900 and 24999.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
export BUILDAH_ISOLATION=chroot
fail() { echo "FAIL test_images: $*" >&2; exit 1; }
ok() { echo "ok: $*"; }
# A tag of this run's own, so concurrent runs never inspect each other's
# images; the layers stay cached for the next run.
tag="test-$(head -c4 /dev/urandom | od -An -tx1 | tr -d ' \n')"
export BERTH_IMAGE_TAG=$tag
cleanup() {
    local rc=$?
    stop_broker
    rm -rf "$tmp"
    buildah rmi "localhost/berth-operator:$tag" "localhost/berth-sidecar:$tag" "localhost/berth-kafka:$tag" \
        >/dev/null 2>&1 || true
    exit "$rc"
}
tmp=$(mktemp -d)
broker_ctr="" broker_run="" broker_java=""
# stop_broker: SIGTERM to the broker's JVM (SIGKILL after 30 s), then its
# container removed.
stop_broker() {
    if [ -n "$broker_java" ] && kill -0 "$broker_java" 2>/dev/null; then
        kill "$broker_java" 2>/dev/null || true
        for _ in $(seq 60); do kill -0 "$broker_java" 2>/dev/null || break; sleep 0.5; done
        kill -9 "$broker_java" 2>/dev/null || true
    fi
    [ -z "$broker_run" ] || wait "$broker_run" 2>/dev/null || true
    [ -z "$broker_ctr" ] || buildah rm "$broker_ctr" >/dev/null 2>&1 || true
    broker_java="" broker_run="" broker_ctr=""
}
trap cleanup EXIT
trap 'exit 130' INT TERM

out=$(bash "$repo/tools/images.sh" build 2>&1) || fail "tools/images.sh build failed: $(tail -30 <<<"$out")"
for p in operator sidecar kafka; do
    grep -qx "localhost/berth-$p:$tag" <<<"$out" || fail "tools/images.sh did not report berth-$p:$tag: $out"
done
ok "built localhost/berth-operator:$tag, localhost/berth-sidecar:$tag and localhost/berth-kafka:$tag"

# inside IMAGE COMMAND: runs COMMAND (sh -c) in a container of IMAGE as the
# image's own user, and removes the container.
inside() {
    local c rc=0
    c=$(buildah from "$1") || fail "buildah from $1 failed"
    buildah run "$c" -- sh -c "$2" || rc=$?
    buildah rm "$c" >/dev/null 2>&1 || true
    return "$rc"
}

for p in operator sidecar; do
    img="localhost/berth-$p:$tag"
    got=$(buildah inspect --format '{{.OCIv1.Config.User}} {{.OCIv1.Config.Entrypoint}}' "$img" 2>&1) ||
        fail "buildah inspect $img: $got"
    [ "$got" = "65532:65532 [/usr/local/bin/berth-$p]" ] || fail "$img: user and entrypoint are '$got'"
    bin="/usr/local/bin/berth-$p"
    out=$(inside "$img" "id -u; ldd $bin; $bin --help" 2>&1) || fail "$img: running berth-$p --help failed: $out"
    [ "$(head -1 <<<"$out")" = 65532 ] || fail "$img: runs as uid $(head -1 <<<"$out"), not 65532"
    ! grep -q 'not found' <<<"$out" || fail "$img: berth-$p lacks shared libraries: $out"
    grep -q "^usage: berth-$p" <<<"$out" || fail "$img: berth-$p --help does not print its usage: $out"
    out=$(inside "$img" "for t in gcc cc make musl-gcc; do command -v \$t; done; ls /usr/include/curl /usr/include/openssl 2>/dev/null; touch $bin 2>/dev/null && echo writable; true" 2>&1)
    [ -z "$out" ] || fail "$img: has build tools or headers, or a writable program: $out"
    size=$(buildah images --format '{{.Size}}' "$img" 2>/dev/null | head -1 || true)
    ok "$img runs berth-$p as uid 65532 with all its libraries, no build tools, program read-only${size:+ ($size)}"
done

img="localhost/berth-sidecar:$tag"
out=$(inside "$img" 'ldd /usr/local/bin/berth-drain 2>&1; test -x /usr/local/bin/berth-drain && echo executable' 2>&1) || true
if ! grep -q 'not a dynamic executable' <<<"$out" || ! grep -qx executable <<<"$out"; then
    fail "$img: /usr/local/bin/berth-drain is not a static executable: $out"
fi
ok "$img holds the static drain client /usr/local/bin/berth-drain"

# --- the ground's broker image ---------------------------------------------------
img="localhost/berth-kafka:$tag"
kbin=/opt/kafka/bin
got=$(buildah inspect --format '{{.OCIv1.Config.User}}' "$img" 2>&1) || fail "buildah inspect $img: $got"
[ "$got" = 1000:1000 ] || fail "$img: user is '$got', not 1000:1000"
out=$(inside "$img" "id -u; id -g; java -version 2>&1 | head -1 | tr -d '\"'
    for s in kafka-storage.sh kafka-server-start.sh kafka-run-class.sh; do
        test -x $kbin/\$s && ! test -w $kbin/\$s && echo \$s
    done
    ls /opt/kafka/libs | grep -c '[.]jar\$'; stat -c '%u %g %A' /var/lib/kafka/data
    touch /var/lib/kafka/data/w && echo writable" 2>&1) || fail "$img: looking inside failed: $out"
want="1000
1000
kafka-storage.sh
kafka-server-start.sh
kafka-run-class.sh"
[ "$(sed -n '1,2p;4,6p' <<<"$out")" = "$want" ] ||
    fail "$img: want uid and gid 1000 and the three scripts executable and read-only, got: $out"
java=$(sed -n 3p <<<"$out")
[[ "$java" =~ ^openjdk\ version\ 17 ]] || fail "$img: java -version: $out"
[ "$(sed -n 7p <<<"$out")" -gt 50 ] || fail "$img: too few jars in /opt/kafka/libs: $out"
[[ "$(sed -n 8p <<<"$out")" =~ ^1000\ 1000\ drwxrws?r-x$ ]] || fail "$img: /var/lib/kafka/data is not 1000:1000 group-writable: $out"
[ "$(sed -n 9p <<<"$out")" = writable ] || fail "$img: /var/lib/kafka/data is not writable by its user: $out"
out=$(inside "$img" "for t in gcc cc make javac; do command -v \$t; done; ls /usr/include 2>/dev/null | head -3; true" 2>&1)
[ -z "$out" ] || fail "$img: has build tools or headers: $out"
size=$(buildah images --format '{{.Size}}' "$img" 2>/dev/null | head -1 || true)
ok "$img runs as uid 1000 with $java, the three scripts, a data directory for gid 1000 and no compiler${size:+ ($size)}"

# The storage tool prints a cluster id; the JVM options come from the
# environment (-XX:+PrintCommandLineFlags shows what the JVM was given).
out=$(inside "$img" "KAFKA_HEAP_OPTS=-Xmx77m KAFKA_JVM_PERFORMANCE_OPTS=-XX:+UseSerialGC \
    KAFKA_OPTS=-XX:+PrintCommandLineFlags $kbin/kafka-storage.sh random-uuid" 2>&1) ||
    fail "$img: kafka-storage.sh random-uuid failed: $out"
grep -qE '^[A-Za-z0-9_-]{22}$' <<<"$out" || fail "$img: kafka-storage.sh random-uuid printed no cluster id: $out"
grep -qE -- '-XX:MaxHeapSize=80740352 .*-XX:\+UseSerialGC' <<<"$out" ||
    fail "$img: KAFKA_HEAP_OPTS / KAFKA_JVM_PERFORMANCE_OPTS / KAFKA_OPTS not passed to java: $out"
out=$(inside "$img" "KAFKA_OPTS=-XX:+PrintCommandLineFlags $kbin/kafka-server-start.sh /nonexistent" 2>&1) || true
grep -q -- '-XX:InitialHeapSize=1073741824 ' <<<"$out" && grep -q -- '-XX:MaxHeapSize=1073741824 ' <<<"$out" ||
    fail "$img: kafka-server-start.sh's default heap is not -Xms1G -Xmx1G: $out"
ok "$img: kafka-storage.sh random-uuid prints a cluster id; KAFKA_HEAP_OPTS (default 1G for the broker), KAFKA_JVM_PERFORMANCE_OPTS and KAFKA_OPTS reach java"

# The operator's pod command on a single-node KRaft config in /etc/berth/config,
# as the broker container runs it (host network: two free loopback ports).
free_port() {
    local p
    for ((p = $1; p < 25000; p++)); do
        ss -Hltn "sport = :$p" | grep -q . || { echo "$p"; return; }
    done
    fail "no free port on 127.0.0.1 from $1 to 24999"
}
port=$(free_port 24900)
cport=$(free_port $((port + 1)))
mkdir -p "$tmp/config"
cat >"$tmp/config/server.properties" <<EOF
process.roles=broker,controller
node.id=0
controller.quorum.voters=0@127.0.0.1:$cport
controller.listener.names=CONTROLLER
listeners=PLAINTEXT://127.0.0.1:$port,CONTROLLER://127.0.0.1:$cport
advertised.listeners=PLAINTEXT://127.0.0.1:$port
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
inter.broker.listener.name=PLAINTEXT
log.dirs=/var/lib/kafka/data
offsets.topic.replication.factor=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
EOF
inside "$img" "$kbin/kafka-storage.sh random-uuid" >"$tmp/config/cluster.id" 2>/dev/null ||
    fail "$img: no cluster id from kafka-storage.sh random-uuid"
# The command exactly as the operator renders it (its golden file, which the
# unit test test_op_desired holds to the operator's output).
golden="$repo/tests/unit/test_op_desired/nodeport.statefulset.json"
cmd=$(jq -r '.spec.template.spec.containers[] | select(.name == "broker") | .command | select(.[0:2] == ["/bin/sh", "-c"]) | .[2]' "$golden") &&
    [ -n "$cmd" ] || fail "no broker command (/bin/sh -c ...) in $golden"
broker_ctr=$(buildah from "$img") || fail "buildah from $img failed"
buildah run --env KAFKA_HEAP_OPTS="-Xms256m -Xmx256m" -v "$tmp/config:/etc/berth/config:ro" \
    "$broker_ctr" -- /bin/sh -c "$cmd" >"$tmp/broker.log" 2>&1 &
broker_run=$!
# descendants PID: every process below PID.
descendants() {
    local c
    for c in $(cat /proc/"$1"/task/*/children 2>/dev/null); do
        echo "$c"
        descendants "$c"
    done
}
for _ in $(seq 120); do
    grep -q 'Kafka Server started' "$tmp/broker.log" && break
    kill -0 "$broker_run" 2>/dev/null || fail "$img: the broker exited during start: $(tail -20 "$tmp/broker.log")"
    sleep 0.5
done
grep -q 'Kafka Server started' "$tmp/broker.log" || fail "$img: no 'Kafka Server started' in 60 s: $(tail -20 "$tmp/broker.log")"
grep -q '^Formatting metadata directory /var/lib/kafka/data' "$tmp/broker.log" ||
    fail "$img: kafka-storage.sh format did not format /var/lib/kafka/data: $(head -5 "$tmp/broker.log")"
for p in $(descendants "$broker_run"); do
    [ "$(cat "/proc/$p/comm" 2>/dev/null)" = java ] && broker_java=$p && break
done
[ -n "$broker_java" ] || fail "$img: no java process below buildah run $broker_run"
# exec all the way: the shell that ran the command became the JVM.
parent=$(awk '{ print $4 }' "/proc/$broker_java/stat")
case "$(readlink "/proc/$parent/exe")" in
*/dash | */bash | */sh) fail "$img: the broker's JVM runs below a shell, not exec'd: $(tr '\0' ' ' <"/proc/$parent/cmdline")" ;;
esac
grep -qz -- '^-Xms256m$' "/proc/$broker_java/cmdline" || fail "$img: the broker's JVM did not get KAFKA_HEAP_OPTS: $(tr '\0' ' ' <"/proc/$broker_java/cmdline")"
[ "$(awk '/^Uid:/ { print $2 }' "/proc/$broker_java/status")" = 1000 ] || fail "$img: the broker does not run as uid 1000"
ok "$img: the operator's broker command formats /var/lib/kafka/data and execs a KRaft broker (uid 1000, KAFKA_HEAP_OPTS applied): Kafka Server started"

out=$(inside "$img" "$kbin/kafka-run-class.sh org.apache.kafka.tools.TopicCommand --bootstrap-server 127.0.0.1:$port \
    --create --topic berth-image-check --partitions 2 --replication-factor 1 && \
    $kbin/kafka-run-class.sh org.apache.kafka.tools.TopicCommand --bootstrap-server 127.0.0.1:$port --list" 2>&1) ||
    fail "$img: TopicCommand through kafka-run-class.sh failed: $out"
grep -qx berth-image-check <<<"$out" || fail "$img: the created topic is not listed: $out"
ok "$img: kafka-run-class.sh runs Kafka's tools (TopicCommand created and listed a topic)"

kill "$broker_java"
for _ in $(seq 60); do kill -0 "$broker_java" 2>/dev/null || break; sleep 0.5; done
! kill -0 "$broker_java" 2>/dev/null || fail "$img: the broker did not exit within 30 s of SIGTERM"
broker_java=""
grep -q 'BrokerServer id=0\] shut down completed' "$tmp/broker.log" ||
    fail "$img: no clean shutdown after SIGTERM: $(tail -5 "$tmp/broker.log")"
stop_broker
ok "$img: SIGTERM to the broker's JVM shuts it down cleanly"
