#!/bin/sh
# kafka-server-start.sh of the ground's broker image: starts a Kafka broker
# and/or KRaft controller (kafka.Kafka) on a server.properties file, as
# Kafka's own script does, and becomes the JVM (exec), so the broker is the
# container's PID 1 when the container command execs this script, and
# SIGTERM starts its controlled shutdown.
#
#   kafka-server-start.sh server.properties [--override property=value]...
#
# KAFKA_HEAP_OPTS defaults to -Xmx1G -Xms1G and KAFKA_LOG4J_OPTS to
# config/log4j2.properties (INFO to stdout); KAFKA_OPTS and
# KAFKA_JVM_PERFORMANCE_OPTS pass through (kafka-run-class.sh).
set -eu
if [ $# -lt 1 ] || [ "$1" = -daemon ]; then
    echo "usage: $0 server.properties [--override property=value]..." >&2
    exit 1
fi
bin=$(cd "$(dirname "$0")" && pwd)
: "${KAFKA_HEAP_OPTS:=-Xmx1G -Xms1G}"
: "${KAFKA_LOG4J_OPTS:=-Dlog4j2.configurationFile=$bin/../config/log4j2.properties}"
export KAFKA_HEAP_OPTS KAFKA_LOG4J_OPTS
exec "$bin/kafka-run-class.sh" kafka.Kafka "$@"
