#!/bin/sh
# kafka-run-class.sh of the ground's broker image: runs one of Kafka's main
# classes (a command-line tool, the storage tool, the broker) from the jars
# in ../libs, with the JVM options Kafka's own script of this name reads from
# the environment, and execs the JVM, so that it is the process a signal to
# this script reaches.
#
#   kafka-run-class.sh CLASS [ARGS...]
#
# Environment, with the defaults Kafka's script uses:
#   KAFKA_HEAP_OPTS             -Xmx256M
#   KAFKA_JVM_PERFORMANCE_OPTS  G1 with a 20 ms pause goal, headless
#   KAFKA_LOG4J_OPTS            config/tools-log4j2.properties (warnings to stderr)
#   KAFKA_GC_LOG_OPTS, KAFKA_JMX_OPTS, KAFKA_OPTS   empty
#   JAVA_HOME                   java from PATH
#   CLASSPATH                   put before the jars
# Kafka's -daemon, -name and -loggc options are not taken: in a container the
# JVM runs in the foreground and logs to the console.
set -eu
if [ $# -lt 1 ]; then
    echo "usage: $0 CLASS [ARGS...]" >&2
    exit 1
fi
home=$(cd "$(dirname "$0")/.." && pwd)

: "${KAFKA_HEAP_OPTS:=-Xmx256M}"
: "${KAFKA_JVM_PERFORMANCE_OPTS:=-server -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -XX:InitiatingHeapOccupancyPercent=35 -XX:+ExplicitGCInvokesConcurrent -XX:MaxInlineLevel=15 -Djava.awt.headless=true}"
: "${KAFKA_LOG4J_OPTS:=-Dlog4j2.configurationFile=$home/config/tools-log4j2.properties}"
java=java
[ -z "${JAVA_HOME:-}" ] || java=$JAVA_HOME/bin/java

# Each *_OPTS variable holds several options: splitting them is the point.
# shellcheck disable=SC2086
exec "$java" $KAFKA_HEAP_OPTS $KAFKA_JVM_PERFORMANCE_OPTS ${KAFKA_GC_LOG_OPTS:-} ${KAFKA_JMX_OPTS:-} \
    $KAFKA_LOG4J_OPTS -Dkafka.logs.dir="${LOG_DIR:-$home/logs}" \
    -cp "${CLASSPATH:+$CLASSPATH:}$home/libs/*" ${KAFKA_OPTS:-} "$@"
