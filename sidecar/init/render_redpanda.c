/* Redpanda's node configuration, redpanda.yaml, for one broker: its id, the
 * seed servers (ordinals 0..controllers-1, which form the cluster together
 * on first start, so no broker ever starts a cluster alone), the RPC,
 * Kafka and admin listeners bound on all addresses, what each Kafka
 * listener advertises (resolved by address.c), TLS and SASL per listener, and
 * the rack. spec.config holds cluster properties, which do not belong in
 * the node file: they go to .bootstrap.yaml, read when the cluster forms.
 *
 * Names, hosts and paths were restricted by the model (model.c) to characters that are
 * plain YAML scalars; config values are free text and are written as
 * double-quoted YAML strings with every special character escaped. */
#include "init/render_redpanda.h"

#include <stdio.h>
#include <string.h>

#include "init/check.h"
#include "init/paths.h"

static void put_endpoint(util_buf *b, const char *indent, const char *host, int port)
{
    util_buf_addf(b, "%saddress: %s\n%sport: %d\n", indent, host, indent, port);
}

/* A double-quoted YAML scalar. */
static void put_quoted(util_buf *b, const char *v)
{
    size_t len = strlen(v), k;
    unsigned cp;

    util_buf_adds(b, "\"");
    for (size_t i = 0; i < len; i += k) {
        k = sc_utf8_next(v + i, len - i, &cp);
        if (k == 0) { /* model.c checked; never emit a raw stray byte */
            k = 1;
            cp = 0xfffd;
        }
        if (cp == '"' || cp == '\\')
            util_buf_addf(b, "\\%c", (char)cp);
        else if (cp < 0x20 || cp == 0x7f)
            util_buf_addf(b, "\\x%02X", cp);
        else if (cp > 0x7e)
            util_buf_addf(b, cp > 0xffff ? "\\U%08X" : "\\u%04X", cp);
        else
            util_buf_add(b, v + i, 1);
    }
    util_buf_adds(b, "\"");
}

void sc_render_redpanda(const sc_model *m, util_buf *b)
{
    char dns[SC_HOST_MAX + 1];
    const sc_listener *l;
    size_t i, ntls = 0;

    util_buf_addf(b,
                  "# redpanda.yaml of broker %d of the Redpanda cluster %s/%s, rendered by\n"
                  "# berth-sidecar init from the ConfigMap %s-brokers at pod start. Change\n"
                  "# the KafkaCluster, not this file.\n",
                  m->broker_id, m->namespace, m->name, m->name);
    util_buf_adds(b, "redpanda:\n");
    util_buf_addf(b, "  node_id: %d\n", m->broker_id);
    util_buf_addf(b, "  data_directory: %s\n", m->data_dir);
    util_buf_adds(b, "  empty_seed_starts_cluster: false\n");
    util_buf_adds(b, "  seed_servers:\n");
    for (int v = 0; v < m->controllers; v++) {
        sc_pod_dns(m, v, dns, sizeof dns);
        util_buf_adds(b, "    - host:\n");
        put_endpoint(b, "        ", dns, m->controller_port);
    }
    util_buf_adds(b, "  rpc_server:\n");
    put_endpoint(b, "    ", "0.0.0.0", m->controller_port);
    util_buf_adds(b, "  advertised_rpc_api:\n");
    sc_pod_dns(m, m->broker_id, dns, sizeof dns);
    put_endpoint(b, "    ", dns, m->controller_port);
    if (m->replication_port > 0) {
        /* clusterTLS: the RPC between brokers over mutual TLS, with this
         * broker's certificate from the cluster CA (Redpanda dials its
         * peers with the same one). */
        char path[1024];

        util_buf_adds(b, "  rpc_server_tls:\n    enabled: true\n");
        util_buf_adds(b, "    require_client_auth: true\n");
        sc_cluster_tls_path(m->config_dir, SC_CLUSTER_TLS_CERT, path, sizeof path);
        util_buf_addf(b, "    cert_file: %s\n", path);
        sc_cluster_tls_path(m->config_dir, SC_CLUSTER_TLS_KEY, path, sizeof path);
        util_buf_addf(b, "    key_file: %s\n", path);
        sc_cluster_tls_path(m->config_dir, SC_CLUSTER_TLS_CA, path, sizeof path);
        util_buf_addf(b, "    truststore_file: %s\n", path);
    }

    util_buf_adds(b, "  kafka_api:\n");
    for (i = 0; i < m->nlisteners; i++) {
        l = &m->listeners[i];
        util_buf_addf(b, "    - name: %s\n", l->name);
        put_endpoint(b, "      ", "0.0.0.0", l->port);
        if (l->mechanism[0] != '\0')
            util_buf_adds(b, "      authentication_method: sasl\n");
        if (l->tls)
            ntls++;
    }
    util_buf_adds(b, "  advertised_kafka_api:\n");
    for (i = 0; i < m->nlisteners; i++) {
        l = &m->listeners[i];
        util_buf_addf(b, "    - name: %s\n", l->name);
        put_endpoint(b, "      ", l->adv_host, l->adv_port);
    }
    if (ntls > 0) {
        util_buf_adds(b, "  kafka_api_tls:\n");
        for (i = 0; i < m->nlisteners; i++) {
            l = &m->listeners[i];
            if (!l->tls)
                continue;
            util_buf_addf(b, "    - name: %s\n      enabled: true\n", l->name);
            if (l->cluster_cert) {
                char path[1024];

                sc_cluster_tls_path(m->config_dir, SC_CLUSTER_TLS_CERT, path, sizeof path);
                util_buf_addf(b, "      cert_file: %s\n", path);
                sc_cluster_tls_path(m->config_dir, SC_CLUSTER_TLS_KEY, path, sizeof path);
                util_buf_addf(b, "      key_file: %s\n", path);
            } else {
                util_buf_addf(b, "      cert_file: %s/%s/tls.crt\n", m->tls_dir, l->name);
                util_buf_addf(b, "      key_file: %s/%s/tls.key\n", m->tls_dir, l->name);
            }
            util_buf_adds(b, "      require_client_auth: false\n");
        }
    }
    /* The admin API (users, SASL, decommission, maintenance) has no TLS or
     * login here: only the sidecar, in the same pod, uses it, on localhost. */
    util_buf_adds(b, "  admin:\n    - name: admin\n");
    put_endpoint(b, "      ", "127.0.0.1", BROKER_POD_REDPANDA_ADMIN_PORT);
    if (m->rack[0] != '\0')
        util_buf_addf(b, "  rack: %s\n", m->rack);
}

void sc_render_redpanda_bootstrap(const sc_model *m, util_buf *b)
{
    util_buf_addf(b,
                  "# .bootstrap.yaml of the Redpanda cluster %s/%s: the cluster properties\n"
                  "# of spec.config, applied when the cluster forms. Rendered by\n"
                  "# berth-sidecar init.\n",
                  m->namespace, m->name);
    if (m->nconfig == 0)
        util_buf_adds(b, "{}\n");
    for (size_t i = 0; i < m->nconfig; i++) {
        util_buf_addf(b, "%s: ", m->config[i].key);
        put_quoted(b, m->config[i].value);
        util_buf_adds(b, "\n");
    }
}
