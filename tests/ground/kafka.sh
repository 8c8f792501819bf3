#!/usr/bin/env bash
# The Kafka half of the test ground: a real Apache Kafka cluster in KRaft
# mode, N processes on loopback, each broker and voter, from the jars that
# tests/ground/kafka/pom.xml pins (fetched once into the cache).
#
# KAFKA_VERSION=X.Y.Z selects another Apache Kafka release instead of the
# pinned one for fetch, up, start-broker, tool and version: its jars come
# from the same pom with only the version replaced, into a cache directory of
# their own. A cluster started on one version and brokers restarted on
# another is a rolling upgrade.
#
#   kafka.sh fetch            fetch the jars (no-op when cached)
#   kafka.sh up [N]           format and start N brokers (default 3), wait
#                             until every one is registered and unfenced
#   kafka.sh down             stop the brokers this script started (by PID)
#   kafka.sh bootstrap        print the bootstrap address list
#   kafka.sh alive            exit 0 when a cluster is recorded here and every
#                             broker of it runs
#   kafka.sh version          print the Kafka version selected (KAFKA_VERSION
#                             or the pinned one)
#   kafka.sh previous         print the release upgrades are tested from
#                             (BERTH_UPGRADE_FROM, default the newest of the
#                             minor before the pinned one; it moves with the
#                             pin)
#   kafka.sh tool CLASS ARGS  run one of Kafka's own tools, e.g.
#                             kafka.sh tool org.apache.kafka.tools.TopicCommand --list ...
#   kafka.sh sasl-info        print the SASL_SSL listener's settings (below)
#   kafka.sh stop-broker I    SIGTERM broker I (controlled shutdown) and wait
#                             until it has exited
#   kafka.sh start-broker I [CONFIG]
#                             start broker I again, on CONFIG if given (e.g.
#                             one rendered by berth-sidecar init; it must keep
#                             the broker's node id, ports and log.dirs), and
#                             wait until all brokers are registered
#
# With KAFKA_SASL_SSL=1, `up` also opens a SASL_SSL listener on every broker
# (port KAFKA_SASL_SSL_PORT_BASE + i): TLS with a certificate for localhost
# and 127.0.0.1 from a throwaway CA made with openssl (a PEM keystore), and
# SASL with SCRAM-SHA-512 (user created by kafka-storage format --add-scram)
# and PLAIN; and a second one, SCRAM256 (port KAFKA_SCRAM256_PORT_BASE + i),
# the same TLS with SCRAM-SHA-256 only (same user, a password of its own).
# Brokers still talk to each other over PLAINTEXT. Meant for a small
# cluster of its own: set BERTH_GROUND and the port bases too.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"

KAFKA_BROKER_PORT_BASE=${KAFKA_BROKER_PORT_BASE:-29092}
KAFKA_CONTROLLER_PORT_BASE=${KAFKA_CONTROLLER_PORT_BASE:-29192}
KAFKA_SASL_SSL_PORT_BASE=${KAFKA_SASL_SSL_PORT_BASE:-29292}
KAFKA_SCRAM256_PORT_BASE=${KAFKA_SCRAM256_PORT_BASE:-$((KAFKA_SASL_SSL_PORT_BASE + 50))}
KAFKA_HEAP=${KAFKA_HEAP:-384m}
kstate="$GROUND_STATE/kafka"
# The SASL_SSL listener's accounts (a throwaway ground's, not secrets).
SASL_USER=berth
SCRAM_PASSWORD=berth-scram-secret
SCRAM256_PASSWORD=berth-scram256-secret
PLAIN_PASSWORD=berth-plain-secret

pinned_version() {
    sed -n 's:.*<kafka.version>\(.*\)</kafka.version>.*:\1:p' "$here/kafka/pom.xml"
}

kafka_version() { echo "${KAFKA_VERSION:-$(pinned_version)}"; }
[[ "$(kafka_version)" =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]] ||
    ground_die "Kafka version '$(kafka_version)' is not a release number X.Y.Z"

libs_dir() { echo "$GROUND_CACHE/kafka-$(kafka_version)/libs"; }

cmd_fetch() {
    local libs stamp want version
    version=$(kafka_version)
    libs=$(libs_dir)
    stamp="$libs/.stamp"
    want=$({ cat "$here/kafka/pom.xml"; echo "$version"; } | sha256sum | cut -c1-16)
    if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
        return 0
    fi
    ground_log "fetching Apache Kafka $version jars"
    rm -rf "$libs"
    mkdir -p "$libs"
    mvn -B -f "$here/kafka/pom.xml" dependency:copy-dependencies -Dkafka.version="$version" \
        -DincludeScope=runtime -DoutputDirectory="$libs" >"$libs/../fetch.log" 2>&1 ||
        { tail -30 "$libs/../fetch.log" >&2; ground_die "fetching Kafka jars failed"; }
    echo "$want" >"$stamp"
}

java_run() {
    # A small heap and one GC thread pool sized for a 2-core machine.
    java -Xms64m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 \
        -Dlog4j2.configurationFile="$here/kafka/log4j2-tools.properties" \
        -cp "$(libs_dir)/*" "$@"
}

cmd_tool() {
    cmd_fetch
    java_run "$@"
}

bootstrap() {
    local n=$1 i list=""
    for ((i = 0; i < n; i++)); do
        list+="${list:+,}127.0.0.1:$((KAFKA_BROKER_PORT_BASE + i))"
    done
    echo "$list"
}

count() { cat "$kstate/count" 2>/dev/null || echo 0; }

broker_alive() { ground_pid_alive "$kstate/b$1/pid" kafka.Kafka; }

# Is a cluster recorded here, with every broker running?
cmd_alive() {
    local n i
    n=$(count)
    [ "$n" -gt 0 ] || return 1
    for ((i = 0; i < n; i++)); do broker_alive "$i" || return 1; done
}

secure() { [ -f "$kstate/sasl_ssl" ]; }

# sasl_bootstrap N [PORT_BASE]: the SASL_SSL listener's (or another's) list.
sasl_bootstrap() {
    local n=$1 base=${2:-$KAFKA_SASL_SSL_PORT_BASE} i list=""
    for ((i = 0; i < n; i++)); do
        list+="${list:+,}127.0.0.1:$((base + i))"
    done
    echo "$list"
}

# make_pki: a CA and one broker certificate (localhost, 127.0.0.1) signed by
# it, as a PEM keystore (key and certificate in one file).
make_pki() {
    local d="$kstate/tls"
    mkdir -p "$d"
    openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=berth ground CA" \
        -keyout "$d/ca.key" -out "$d/ca.pem" >/dev/null 2>&1 ||
        ground_die "openssl: making the CA failed"
    openssl req -newkey rsa:2048 -nodes -subj "/CN=localhost" \
        -keyout "$d/broker.key" -out "$d/broker.csr" >/dev/null 2>&1 ||
        ground_die "openssl: making the broker key failed"
    printf '%s\n' "subjectAltName=DNS:localhost,IP:127.0.0.1" "basicConstraints=CA:FALSE" \
        "keyUsage=digitalSignature,keyEncipherment" "extendedKeyUsage=serverAuth" >"$d/broker.ext"
    openssl x509 -req -days 2 -in "$d/broker.csr" -CA "$d/ca.pem" -CAkey "$d/ca.key" \
        -CAcreateserial -extfile "$d/broker.ext" -out "$d/broker.pem" >/dev/null 2>&1 ||
        ground_die "openssl: signing the broker certificate failed"
    cat "$d/broker.key" "$d/broker.pem" >"$d/keystore.pem"
}

# sasl-info: shell assignments a test can read.
cmd_sasl_info() {
    secure || ground_die "no SASL_SSL listener in $kstate (start with KAFKA_SASL_SSL=1)"
    cat <<EOF
bootstrap=$(sasl_bootstrap "$(count)")
ca_file=$kstate/tls/ca.pem
user=$SASL_USER
scram_sha_512_password=$SCRAM_PASSWORD
plain_password=$PLAIN_PASSWORD
scram256_bootstrap=$(sasl_bootstrap "$(count)" "$KAFKA_SCRAM256_PORT_BASE")
scram_sha_256_password=$SCRAM256_PASSWORD
EOF
}

cmd_bootstrap() { bootstrap "$(count)"; }

# render I N CLUSTER_ID: the server.properties of broker I of N.
render() {
    local i=$1 n=$2 j voters=""
    local plain="PLAINTEXT://127.0.0.1:$((KAFKA_BROKER_PORT_BASE + i))" sasl="" map=""
    for ((j = 0; j < n; j++)); do
        voters+="${voters:+,}$j@127.0.0.1:$((KAFKA_CONTROLLER_PORT_BASE + j))"
    done
    if secure; then
        sasl=",SASL_SSL://127.0.0.1:$((KAFKA_SASL_SSL_PORT_BASE + i))"
        sasl+=",SCRAM256://127.0.0.1:$((KAFKA_SCRAM256_PORT_BASE + i))"
        map=",SASL_SSL:SASL_SSL,SCRAM256:SASL_SSL"
    fi
    cat <<EOF
process.roles=broker,controller
node.id=$i
controller.quorum.voters=$voters
controller.listener.names=CONTROLLER
listeners=$plain$sasl,CONTROLLER://127.0.0.1:$((KAFKA_CONTROLLER_PORT_BASE + i))
advertised.listeners=$plain$sasl
listener.security.protocol.map=PLAINTEXT:PLAINTEXT$map,CONTROLLER:PLAINTEXT
inter.broker.listener.name=PLAINTEXT
log.dirs=$kstate/b$i/data
num.partitions=1
default.replication.factor=$((n < 3 ? n : 3))
offsets.topic.replication.factor=$((n < 3 ? n : 3))
transaction.state.log.replication.factor=$((n < 3 ? n : 3))
transaction.state.log.min.isr=$((n < 2 ? 1 : 2))
num.network.threads=2
num.io.threads=2
background.threads=2
log.cleaner.threads=1
group.initial.rebalance.delay.ms=0
EOF
    secure || return 0
    cat <<EOF
sasl.enabled.mechanisms=SCRAM-SHA-512,PLAIN
listener.name.sasl_ssl.ssl.keystore.type=PEM
listener.name.sasl_ssl.ssl.keystore.location=$kstate/tls/keystore.pem
listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;
listener.name.sasl_ssl.plain.sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required user_$SASL_USER="$PLAIN_PASSWORD";
listener.name.scram256.sasl.enabled.mechanisms=SCRAM-SHA-256
listener.name.scram256.ssl.keystore.type=PEM
listener.name.scram256.ssl.keystore.location=$kstate/tls/keystore.pem
listener.name.scram256.scram-sha-256.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;
EOF
}

cmd_up() {
    local n=${1:-3} i cid
    cmd_fetch
    for ((i = 0; i < $(count); i++)); do
        ! broker_alive "$i" || ground_die "kafka is already up ($kstate); run kafka.sh down first"
    done
    rm -rf "$kstate"
    mkdir -p "$kstate"
    echo "$n" >"$kstate/count"
    local scram=()
    if [ "${KAFKA_SASL_SSL:-0}" = 1 ]; then
        touch "$kstate/sasl_ssl"
        make_pki
        scram=(--add-scram "SCRAM-SHA-512=[name=$SASL_USER,password=$SCRAM_PASSWORD]"
            --add-scram "SCRAM-SHA-256=[name=$SASL_USER,password=$SCRAM256_PASSWORD]")
    fi
    cid=$(java_run kafka.tools.StorageTool random-uuid)
    echo "$cid" >"$kstate/cluster-id"
    for ((i = 0; i < n; i++)); do
        mkdir -p "$kstate/b$i"
        render "$i" "$n" >"$kstate/b$i/server.properties"
        java_run kafka.tools.StorageTool format --ignore-formatted ${scram[@]+"${scram[@]}"} \
            -t "$cid" -c "$kstate/b$i/server.properties" >"$kstate/b$i/format.log" 2>&1 ||
            { cat "$kstate/b$i/format.log" >&2; ground_die "formatting broker $i failed"; }
    done
    for ((i = 0; i < n; i++)); do start_one "$i" "$kstate/b$i/server.properties"; done
    ground_log "Apache Kafka $(kafka_version): $n KRaft brokers starting, bootstrap $(bootstrap "$n")"
    if secure; then ground_log "kafka: SASL_SSL bootstrap $(sasl_bootstrap "$n")"; fi
    wait_registered "$n"
}

# start_one I CONFIG: starts broker I's JVM on CONFIG in the background,
# on the jars of the version selected.
start_one() {
    local i=$1 config=$2
    (KAFKA_LOG_DIR="$kstate/b$i" ground_daemon java -Xms"$KAFKA_HEAP" -Xmx"$KAFKA_HEAP" \
        -XX:+UseG1GC -XX:ParallelGCThreads=1 -XX:ConcGCThreads=1 -XX:CICompilerCount=2 \
        -Djava.awt.headless=true \
        -Dlog4j2.configurationFile="$here/kafka/log4j2-broker.properties" \
        -Dkafka.logs.dir="$kstate/b$i" \
        -cp "$(libs_dir)/*" kafka.Kafka "$config") \
        >>"$kstate/b$i/stdout.log" 2>&1 </dev/null &
    echo $! >"$kstate/b$i/pid"
}

# stop_one I [TRIES]: SIGTERM (a controlled shutdown), then SIGKILL after
# TRIES half-seconds (default 60: 30 s).
stop_one() {
    local pid
    broker_alive "$1" || return 0
    pid=$(cat "$kstate/b$1/pid")
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 "${2:-60}"); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
    kill -9 "$pid" 2>/dev/null || true
}

cmd_stop_broker() {
    local i=${1:?broker index}
    [ -d "$kstate/b$i" ] || ground_die "no broker $i in $kstate"
    stop_one "$i"
    ground_log "kafka: broker $i stopped"
}

cmd_start_broker() {
    local i=${1:?broker index} config=${2:-$kstate/b${1}/server.properties}
    [ -d "$kstate/b$i" ] || ground_die "no broker $i in $kstate"
    ! broker_alive "$i" || ground_die "broker $i is running"
    [ -r "$config" ] || ground_die "broker $i: cannot read $config"
    cmd_fetch
    start_one "$i" "$config"
    ground_log "kafka: broker $i starting on $config (Apache Kafka $(kafka_version))"
    wait_registered "$(count)"
}

# wait_registered N: until the cluster's metadata lists N live brokers.
wait_registered() {
    local n=$1 deadline=$((SECONDS + 180)) seen=0 i
    while ((SECONDS < deadline)); do
        for ((i = 0; i < n; i++)); do
            kill -0 "$(cat "$kstate/b$i/pid")" 2>/dev/null ||
                { tail -20 "$kstate/b$i/stdout.log" >&2; ground_die "broker $i exited during start"; }
        done
        seen=$(java_run org.apache.kafka.tools.BrokerApiVersionsCommand \
            --bootstrap-server "$(bootstrap "$n")" 2>/dev/null | grep -c ' (id: ' || true)
        if [ "$seen" -ge "$n" ]; then
            ground_log "kafka: $seen brokers registered"
            return 0
        fi
        sleep 2
    done
    ground_die "kafka: only $seen of $n brokers registered after 180s (logs in $kstate)"
}

cmd_down() {
    local n i pid
    n=$(count)
    for ((i = 0; i < n; i++)); do
        broker_alive "$i" || continue
        pid=$(cat "$kstate/b$i/pid")
        kill "$pid" 2>/dev/null || true
    done
    # The state is deleted next, so a clean shutdown buys nothing, and the
    # last broker standing waits out its lost quorum: 10 s, then SIGKILL.
    for ((i = 0; i < n; i++)); do stop_one "$i" 20; done
    rm -rf "$kstate"
    rmdir "$GROUND_STATE" 2>/dev/null || true
}

case "${1:-}" in
fetch) cmd_fetch ;;
up) shift; cmd_up "$@" ;;
down) cmd_down ;;
bootstrap) cmd_bootstrap ;;
alive) cmd_alive ;;
version) kafka_version ;;
previous) echo "${BERTH_UPGRADE_FROM:-4.3.2}" ;;
tool) shift; cmd_tool "$@" ;;
sasl-info) cmd_sasl_info ;;
stop-broker) shift; cmd_stop_broker "$@" ;;
start-broker) shift; cmd_start_broker "$@" ;;
*) sed -n '2,41s/^# \{0,1\}//p' "$0" >&2; exit 2 ;;
esac
