/* Where init writes, in the config volume, the files the broker reads
 * beside its configuration, and where the operator mounts the TLS Secrets
 * they come from. Used by the writers (render_kafka.c, render_redpanda.c)
 * and by the code that writes the files (tls_bundle.c, cmd_init.c). */
#ifndef BERTH_SIDECAR_INIT_PATHS_H
#define BERTH_SIDECAR_INIT_PATHS_H

#include <stddef.h>

#include "broker/pod_contract.h"

/* The config directory, the TLS Secrets' mounts, the file names and
 * Redpanda's admin port are the pod's contract with the operator:
 * BROKER_POD_* in broker/pod_contract.h. */
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

/* Where Kafka reads the PEM key store (private key + chain) of a TLS
 * listener and the CA it trusts for inter-broker connections: files init
 * writes into the config directory. */
void sc_tls_bundle_path(const char *config_dir, const char *listener, char *buf, size_t size);
void sc_tls_ca_path(const char *config_dir, const char *listener, char *buf, size_t size);

/* <config_dir>/SC_CLUSTER_TLS_SUBDIR/<file>. */
void sc_cluster_tls_path(const char *config_dir, const char *file, char *buf, size_t size);

#endif
