/* The broker's certificate for the cluster's mutual TLS, as init takes it
 * from the Secret the operator keeps (cluster.json's clusterTLS.secret:
 * "ca.crt" and one "<pod>.crt" / "<pod>.key" pair per broker).
 *
 * init reads the Secret through the API rather than from a mounted volume:
 * a mounted Secret reaches a pod only on the kubelet's next sync, while the
 * operator issues a broker's certificate only once it sees the pod, so the
 * pod would start with the previous one. A pair that is missing, not yet
 * issued for this pod's name, not signed by the CA beside it, expired or
 * whose key is not the certificate's is a reason to wait (the operator
 * issues a new one on its next reconcile), not a failure.
 *
 * A pair is taken only SC_CLUSTER_TLS_SETTLE_S seconds after its issue
 * (its notBefore), by the node's clock. The operator restarts a broker
 * whose init step finished less than that long after its current
 * certificate was issued (operator/cluster_tls.h: OP_CERT_SETTLE_S), so a
 * pod that took the current pair is never restarted for it, and one that
 * took the previous pair always is, whatever the clocks of node and
 * operator say. */
#ifndef BERTH_SIDECAR_INIT_CLUSTER_TLS_H
#define BERTH_SIDECAR_INIT_CLUSTER_TLS_H

#include <stddef.h>

#include <cjson/cJSON.h>

#include "util/err.h"

#define SC_CLUSTER_TLS_SETTLE_S 2

/* sc_cluster_tls_take's outcome when the pair is not usable yet. */
#define SC_CLUSTER_TLS_WAITING 1

/* Checks pod's pair in secret (a Secret object as the API returns it) for
 * the names hosts[0..nhosts) (DNS names or IP addresses: the pod DNS name
 * and what it advertises on listeners served with it) at Unix time now,
 * and writes the files paths.h names
 * (SC_CLUSTER_TLS_*) into config_dir. Returns 0 written;
 * SC_CLUSTER_TLS_WAITING with why (why_size bytes) saying what is not
 * there yet; -1 with err when the files cannot be written. */
int sc_cluster_tls_take(const cJSON *secret, const char *pod, const char *const *hosts,
                        size_t nhosts, long long now, const char *config_dir, char *why,
                        size_t why_size, util_err *err) UTIL_MUST_CHECK;

#endif
