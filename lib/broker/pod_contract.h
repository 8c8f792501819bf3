/* The broker pod's contract between the operator, which builds the pod
 * (operator/desired_statefulset.c), and berth-sidecar, which runs in it
 * (sidecar/README.md): the volumes' paths, the files init writes there,
 * the sidecar's port and drain socket, Redpanda's admin port. One place,
 * so the two programs cannot disagree. Names of files are given alone
 * (BROKER_POD_*_FILE) and, where the operator needs them, as paths in the
 * config directory. Constants only. */
#ifndef BERTH_BROKER_POD_CONTRACT_H
#define BERTH_BROKER_POD_CONTRACT_H

/* The config emptyDir (broker + sidecar): what `init` renders and the
 * drain client it copies. */
/* The broker pod's containers: the broker, and the native sidecar. */
#define BROKER_POD_BROKER_CONTAINER  "broker"
#define BROKER_POD_SIDECAR_CONTAINER "sidecar"

#define BROKER_POD_CONFIG_DIR "/etc/berth/config"
/* Files init writes there. */
#define BROKER_POD_KAFKA_CONFIG_FILE    "server.properties"
#define BROKER_POD_KAFKA_JAVA_SEC_FILE  "java.security" /* the broker JVM's DNS cache */
#define BROKER_POD_CLUSTER_ID_FILE      "cluster.id"
#define BROKER_POD_REDPANDA_CONFIG_FILE "redpanda.yaml"
#define BROKER_POD_DRAIN_CLIENT_FILE    "berth-drain"
/* The same as paths. */
#define BROKER_POD_KAFKA_CONFIG    BROKER_POD_CONFIG_DIR "/" BROKER_POD_KAFKA_CONFIG_FILE
#define BROKER_POD_KAFKA_JAVA_SEC  BROKER_POD_CONFIG_DIR "/" BROKER_POD_KAFKA_JAVA_SEC_FILE
#define BROKER_POD_CLUSTER_ID      BROKER_POD_CONFIG_DIR "/" BROKER_POD_CLUSTER_ID_FILE
#define BROKER_POD_REDPANDA_CONFIG BROKER_POD_CONFIG_DIR "/" BROKER_POD_REDPANDA_CONFIG_FILE
#define BROKER_POD_DRAIN_CLIENT    BROKER_POD_CONFIG_DIR "/" BROKER_POD_DRAIN_CLIENT_FILE

/* The run emptyDir and the drain socket in it (`run --socket`, and
 * berth-drain's default). */
#define BROKER_POD_RUN_DIR      "/var/run/berth"
#define BROKER_POD_DRAIN_SOCKET BROKER_POD_RUN_DIR "/drain.sock"

/* The brokers' data volumes. */
#define BROKER_POD_KAFKA_DATA    "/var/lib/kafka/data"
#define BROKER_POD_REDPANDA_DATA "/var/lib/redpanda/data"
/* Kafka's log directory (log.dirs) within its volume: a subdirectory,
 * since the root of a fresh ext4 volume holds lost+found, which Kafka
 * refuses to find among its partitions. A volume that Kafka formatted at
 * its root (meta.properties there, as berth did before) keeps the root:
 * init decides from what is on the volume (sidecar/init/model.c). */
#define BROKER_POD_KAFKA_LOG_SUBDIR "kafka-logs"
#define BROKER_POD_KAFKA_LOG_DIR    BROKER_POD_KAFKA_DATA "/" BROKER_POD_KAFKA_LOG_SUBDIR

/* Where each TLS listener's Secret is mounted: <dir>/<listener>/tls.crt,
 * tls.key and optionally ca.crt (a kubernetes.io/tls Secret). */
#define BROKER_POD_TLS_DIR "/etc/berth/tls"

/* The sidecar's TCP server: /healthz, /readyz, /metrics. */
#define BROKER_POD_SIDECAR_PORT 9180

/* Redpanda's admin API (maintenance mode, health), which init renders on
 * 0.0.0.0 and the sidecar reaches on the pod's loopback. */
#define BROKER_POD_REDPANDA_ADMIN_PORT 9644

#endif
