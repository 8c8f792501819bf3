/* Where init writes, in the config volume, the files the broker reads
 * beside its configuration, and where the operator mounts the TLS Secrets
 * they come from. Used by the writers (render_kafka.c, render_redpanda.c)
 * and by the code that writes the files (tls_bundle.c, cmd_init.c). */
#ifndef BERTH_SIDECAR_INIT_PATHS_H
#define BERTH_SIDECAR_INIT_PATHS_H

#include <stddef.h>

/* Where the rendered file (and TLS bundles) go, and where the operator
 * mounts the Secret of each TLS listener: <tls dir>/<listener>/tls.crt,
 * tls.key and optionally ca.crt (a kubernetes.io/tls Secret). */
#define SC_CONFIG_DIR "/etc/berth/config"
#define SC_TLS_DIR    "/etc/berth/tls"
/* Kafka: the broker JVM's own security properties, a file init writes in
 * the config dir beside server.properties (the operator's pod passes it
 * with -Djava.security.properties). */
#define SC_KAFKA_JAVA_SECURITY "java.security"
/* Mutual TLS between the brokers (docs/security.md): the operator keeps
 * every broker's certificate and key in one Secret that cluster.json names
 * (clusterTLS.secret), as "<pod>.crt" and "<pod>.key" beside the cluster
 * CA's "ca.crt"; init writes this broker's pair into the config directory,
 * in SC_CLUSTER_TLS_SUBDIR, as the files below. */
#define SC_CLUSTER_TLS_SUBDIR   "cluster-tls"
#define SC_CLUSTER_TLS_KEYSTORE "keystore.pem" /* PKCS#8 key + chain (Kafka) */
#define SC_CLUSTER_TLS_CERT     "cert.pem"     /* the chain alone (Redpanda) */
#define SC_CLUSTER_TLS_KEY      "key.pem"      /* the key alone, PKCS#8 (Redpanda) */
#define SC_CLUSTER_TLS_CA       "ca.pem"       /* the CAs trusted for peers */
/* Redpanda's admin API (maintenance mode, health) listens here. */
#define SC_REDPANDA_ADMIN_PORT 9644

/* Where Kafka reads the PEM key store (private key + chain) of a TLS
 * listener and the CA it trusts for inter-broker connections: files init
 * writes into the config directory. */
void sc_tls_bundle_path(const char *config_dir, const char *listener, char *buf, size_t size);
void sc_tls_ca_path(const char *config_dir, const char *listener, char *buf, size_t size);

/* <config_dir>/SC_CLUSTER_TLS_SUBDIR/<file>. */
void sc_cluster_tls_path(const char *config_dir, const char *file, char *buf, size_t size);

#endif
