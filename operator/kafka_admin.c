/* The operator's admin connection to a cluster's brokers (see
 * kafka_admin.h). */
#include "kafka_admin.h"

#include <stdio.h>
#include <stdlib.h>

#include "address.h"
#include "kafka/dial.h"
#include "kube/object.h"

const char *op_admin_bootstrap(const cJSON *cr, const op_options *opts)
{
    return opts->admin_bootstrap_annotation
               ? kube_meta_annotation(cr, OP_ADMIN_BOOTSTRAP_ANNOTATION)
               : NULL;
}

/* berth-operator's client identity from the cluster CA, into *tls. */
static int operator_tls(const op_cluster_tls *ct, long long now, kafka_tls **tls, util_err *err)
{
    char *cert = NULL, *key = NULL;
    kafka_tls_opts o = {0};
    int rc = -1;

    if (op_cluster_tls_operator_cert(ct, now, &cert, &key, err) == 0) {
        o.ca_pem = ct->ca_cert_pem;
        o.cert_pem = cert;
        o.key_pem = key;
        rc = kafka_tls_new(&o, tls, err);
    }
    free(cert);
    free(key);
    return rc;
}

int op_admin_open(const op_admin_target *t, int broker, long long now, op_admin **out,
                  util_err *err)
{
    kafka_dial_opts opts = {0};
    op_admin *a;

    *out = NULL;
    if ((a = calloc(1, sizeof *a)) == NULL)
        return util_err_set(err, "out of memory");
    if (t->bootstrap != NULL) {
        snprintf(a->hostport, sizeof a->hostport, "%s", t->bootstrap);
        a->node_id = -1;
    } else {
        char dns[512];

        op_pod_dns(t->c, broker, t->cluster_domain, dns, sizeof dns);
        snprintf(a->hostport, sizeof a->hostport, "%s:%d", dns, t->c->replication_port);
        a->node_id = broker;
        if (operator_tls(t->tls, now, &a->tls, err) != 0) {
            op_admin_free(a);
            return -1;
        }
    }
    opts.connect_timeout_ms = OP_ADMIN_TIMEOUT_MS;
    opts.client_id = "berth-operator";
    opts.max_frame_bytes = t->max_frame_bytes;
    opts.tls = a->tls;
    if (kafka_dial(a->hostport, &opts, &a->conn, &a->av, err) != 0) {
        util_err_prefix(err, "%s", a->hostport);
        op_admin_free(a);
        return -1;
    }
    *out = a;
    return 0;
}

void op_admin_free(op_admin *a)
{
    if (a == NULL)
        return;
    kafka_api_versions_free(a->av);
    kafka_conn_free(a->conn);
    kafka_tls_free(a->tls);
    free(a);
}
