#!/usr/bin/env bash
# The Kafka half of the test ground: a real Apache Kafka cluster in KRaft
# mode, N processes on loopback, each broker and voter, from the jars that
# tests/ground/kafka/pom.xml pins (fetched once into the cache).
#
#   kafka.sh fetch            fetch the jars (no-op when cached)
#   kafka.sh up [N]           format and start N brokers (default 3), wait
#                             until every one is registered and unfenced
#   kafka.sh down             stop the brokers this script started (by PID)
#   kafka.sh bootstrap        print the bootstrap address list
#   kafka.sh version          print the pinned Kafka version
#   kafka.sh tool CLASS ARGS  run one of Kafka's own tools, e.g.
#                             kafka.sh tool org.apache.kafka.tools.TopicCommand --list ...
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"

KAFKA_BROKER_PORT_BASE=${KAFKA_BROKER_PORT_BASE:-29092}
KAFKA_CONTROLLER_PORT_BASE=${KAFKA_CONTROLLER_PORT_BASE:-29192}
KAFKA_HEAP=${KAFKA_HEAP:-384m}
kstate="$GROUND_STATE/kafka"

kafka_version() {
    sed -n 's:.*<kafka.version>\(.*\)</kafka.version>.*:\1:p' "$here/kafka/pom.xml"
}

libs_dir() { echo "$GROUND_CACHE/kafka-$(kafka_version)/libs"; }

cmd_fetch() {
    local libs stamp want
    libs=$(libs_dir)
    stamp="$libs/.stamp"
    want=$(sha256sum <"$here/kafka/pom.xml" | cut -c1-16)
    if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
        return 0
    fi
    ground_log "fetching Apache Kafka $(kafka_version) jars"
    rm -rf "$libs"
    mkdir -p "$libs"
    mvn -B -f "$here/kafka/pom.xml" dependency:copy-dependencies \
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

cmd_bootstrap() { bootstrap "$(count)"; }

# render I N CLUSTER_ID: the server.properties of broker I of N.
render() {
    local i=$1 n=$2 j voters=""
    for ((j = 0; j < n; j++)); do
        voters+="${voters:+,}$j@127.0.0.1:$((KAFKA_CONTROLLER_PORT_BASE + j))"
    done
    cat <<EOF
process.roles=broker,controller
node.id=$i
controller.quorum.voters=$voters
controller.listener.names=CONTROLLER
listeners=PLAINTEXT://127.0.0.1:$((KAFKA_BROKER_PORT_BASE + i)),CONTROLLER://127.0.0.1:$((KAFKA_CONTROLLER_PORT_BASE + i))
advertised.listeners=PLAINTEXT://127.0.0.1:$((KAFKA_BROKER_PORT_BASE + i))
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
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
}

cmd_up() {
    local n=${1:-3} i cid
    cmd_fetch
    [ "$(count)" -eq 0 ] || ground_die "kafka is already up ($kstate); run kafka.sh down first"
    rm -rf "$kstate"
    mkdir -p "$kstate"
    echo "$n" >"$kstate/count"
    cid=$(java_run kafka.tools.StorageTool random-uuid)
    echo "$cid" >"$kstate/cluster-id"
    for ((i = 0; i < n; i++)); do
        mkdir -p "$kstate/b$i"
        render "$i" "$n" >"$kstate/b$i/server.properties"
        java_run kafka.tools.StorageTool format --ignore-formatted \
            -t "$cid" -c "$kstate/b$i/server.properties" >"$kstate/b$i/format.log" 2>&1 ||
            { cat "$kstate/b$i/format.log" >&2; ground_die "formatting broker $i failed"; }
    done
    for ((i = 0; i < n; i++)); do
        KAFKA_LOG_DIR="$kstate/b$i" setsid java -Xms"$KAFKA_HEAP" -Xmx"$KAFKA_HEAP" \
            -XX:+UseG1GC -XX:ParallelGCThreads=1 -XX:ConcGCThreads=1 -XX:CICompilerCount=2 \
            -Djava.awt.headless=true \
            -Dlog4j2.configurationFile="$here/kafka/log4j2-broker.properties" \
            -Dkafka.logs.dir="$kstate/b$i" \
            -cp "$(libs_dir)/*" kafka.Kafka "$kstate/b$i/server.properties" \
            >"$kstate/b$i/stdout.log" 2>&1 </dev/null &
        echo $! >"$kstate/b$i/pid"
    done
    ground_log "Apache Kafka $(kafka_version): $n KRaft brokers starting, bootstrap $(bootstrap "$n")"
    wait_registered "$n"
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
        pid=$(cat "$kstate/b$i/pid" 2>/dev/null) || continue
        kill "$pid" 2>/dev/null || true
    done
    for ((i = 0; i < n; i++)); do
        pid=$(cat "$kstate/b$i/pid" 2>/dev/null) || continue
        for _ in $(seq 1 60); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
        kill -9 "$pid" 2>/dev/null || true
    done
    rm -rf "$kstate"
    rmdir "$GROUND_STATE" 2>/dev/null || true
}

case "${1:-}" in
fetch) cmd_fetch ;;
up) shift; cmd_up "$@" ;;
down) cmd_down ;;
bootstrap) cmd_bootstrap ;;
version) kafka_version ;;
tool) shift; cmd_tool "$@" ;;
*) sed -n '2,13s/^# \{0,1\}//p' "$0" >&2; exit 2 ;;
esac
