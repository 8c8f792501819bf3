/* Apache Kafka's server.properties for one KRaft broker: its id and roles,
 * the static voter set, one listener per spec listener bound on all
 * addresses, what each advertises (resolved by address.c), the security
 * protocol of each, the rack and the spec's own settings, sorted so the file
 * is the same whenever the inputs are.
 *
 * With clusterTLS, the brokers talk to each other only over mutual TLS:
 * the CONTROLLER listener and a REPLICATION listener of berth's own (the
 * inter-broker one) want a client certificate from the cluster CA, and
 * present this broker's, whose name is the pod DNS name its peers dial.
 * The spec's listeners, the internal one too, stay as the user set them.
 *
 * Kafka reads the file with java.util.Properties, i.e. as ISO-8859-1 with
 * backslash escapes, so values are escaped the way Properties.store would:
 * backslashes doubled, control characters and everything beyond ASCII as
 * \uXXXX. Names and addresses were restricted to plain ASCII by the model (model.c). */
#include "init/render_kafka.h"

#include <stdio.h>
#include <string.h>

#include "init/check.h"
#include "init/paths.h"

static void put_unicode(util_buf *b, unsigned cp)
{
    if (cp > 0xffff) {
        cp -= 0x10000;
        util_buf_addf(b, "\\u%04X\\u%04X", 0xd800 + (cp >> 10), 0xdc00 + (cp & 0x3ff));
    } else {
        util_buf_addf(b, "\\u%04X", cp);
    }
}

/* A property value: leading blanks escaped (Properties would skip them),
 * separators after the first need no escape. */
static void put_value(util_buf *b, const char *v)
{
    size_t len = strlen(v), k;
    unsigned cp;

    for (size_t i = 0; i < len; i += k) {
        k = sc_utf8_next(v + i, len - i, &cp);
        if (k == 0) { /* model.c checked; never emit a raw stray byte */
            k = 1;
            cp = 0xfffd;
        }
        if (cp == '\\')
            util_buf_adds(b, "\\\\");
        else if (cp == '\n')
            util_buf_adds(b, "\\n");
        else if (cp == '\r')
            util_buf_adds(b, "\\r");
        else if (cp == '\t')
            util_buf_adds(b, "\\t");
        else if (cp == '\f')
            util_buf_adds(b, "\\f");
        else if (cp == ' ' && i == 0)
            util_buf_adds(b, "\\ ");
        else if (cp < 0x20 || cp > 0x7e)
            put_unicode(b, cp);
        else
            util_buf_add(b, v + i, 1);
    }
}

/* "host:port", with an IPv6 literal in brackets. */
static void put_endpoint(util_buf *b, const char *host, bool ipv6, int port)
{
    util_buf_addf(b, ipv6 ? "[%s]:%d" : "%s:%d", host, port);
}

/* A JAAS string option: quotes and backslashes escaped. */
static void put_jaas_string(util_buf *b, const char *name, const char *v)
{
    util_buf_addf(b, " %s=\"", name);
    for (; *v != '\0'; v++) {
        if (*v == '"' || *v == '\\')
            util_buf_adds(b, "\\");
        util_buf_add(b, v, 1);
    }
    util_buf_adds(b, "\"");
}

/* TLS key store and trust store, SASL mechanism and login module, per
 * listener (Kafka's "listener.name.<name>." prefix, name in lower case).
 * Without clusterTLS the internal listener carries inter-broker traffic,
 * so when it uses SASL its JAAS entry also holds the login brokers present
 * to each other. */
static void put_security(const sc_model *m, util_buf *b)
{
    char path[1024], jaas[1024];
    const sc_listener *l;

    for (size_t i = 0; i < m->nlisteners; i++) {
        l = &m->listeners[i];
        if (l->tls) {
            if (l->cluster_cert)
                sc_cluster_tls_path(m->config_dir, SC_CLUSTER_TLS_KEYSTORE, path, sizeof path);
            else
                sc_tls_bundle_path(m->config_dir, l->name, path, sizeof path);
            util_buf_addf(b, "listener.name.%s.ssl.keystore.type=PEM\n", l->name);
            util_buf_addf(b, "listener.name.%s.ssl.keystore.location=%s\n", l->name, path);
            if (l->cluster_cert)
                sc_cluster_tls_path(m->config_dir, SC_CLUSTER_TLS_CA, path, sizeof path);
            else
                sc_tls_ca_path(m->config_dir, l->name, path, sizeof path);
            util_buf_addf(b, "listener.name.%s.ssl.truststore.type=PEM\n", l->name);
            util_buf_addf(b, "listener.name.%s.ssl.truststore.location=%s\n", l->name, path);
        }
        if (l->mechanism[0] == '\0')
            continue;
        util_buf_addf(b, "listener.name.%s.sasl.enabled.mechanisms=%s\n", l->name, l->mechanism);
        snprintf(jaas, sizeof jaas, "%s", l->mechanism);
        for (char *p = jaas; *p != '\0'; p++)
            *p = (char)(*p >= 'A' && *p <= 'Z' ? *p - 'A' + 'a' : *p);
        util_buf_addf(b, "listener.name.%s.%s.sasl.jaas.config=", l->name, jaas);
        {
            util_buf v = UTIL_BUF_INIT(UTIL_BUF_NOMAX);
            bool plain = strcmp(l->mechanism, "PLAIN") == 0;

            util_buf_addf(&v, "org.apache.kafka.common.security.%s required",
                          plain ? "plain.PlainLoginModule" : "scram.ScramLoginModule");
            if (i == m->internal && m->sasl_username != NULL) {
                put_jaas_string(&v, "username", m->sasl_username);
                put_jaas_string(&v, "password", m->sasl_password);
                if (plain) {
                    snprintf(jaas, sizeof jaas, "user_%s", m->sasl_username);
                    put_jaas_string(&v, jaas, m->sasl_password);
                }
            }
            util_buf_adds(&v, ";");
            if (v.fail != UTIL_BUF_OK)
                b->fail = v.fail;
            else
                put_value(b, v.data);
            util_buf_reset(&v);
        }
        util_buf_adds(b, "\n");
        if (i == m->internal && m->replication_port == 0)
            util_buf_addf(b, "sasl.mechanism.inter.broker.protocol=%s\n", l->mechanism);
    }
}

/* The cluster's mutual TLS on one of berth's own listeners (lower-case
 * name): this broker's key store, the cluster CA as trust store, and a
 * client certificate required of whoever connects. */
static void put_cluster_tls(const sc_model *m, const char *name, util_buf *b)
{
    char path[1024];

    sc_cluster_tls_path(m->config_dir, SC_CLUSTER_TLS_KEYSTORE, path, sizeof path);
    util_buf_addf(b, "listener.name.%s.ssl.keystore.type=PEM\n", name);
    util_buf_addf(b, "listener.name.%s.ssl.keystore.location=%s\n", name, path);
    sc_cluster_tls_path(m->config_dir, SC_CLUSTER_TLS_CA, path, sizeof path);
    util_buf_addf(b, "listener.name.%s.ssl.truststore.type=PEM\n", name);
    util_buf_addf(b, "listener.name.%s.ssl.truststore.location=%s\n", name, path);
    util_buf_addf(b, "listener.name.%s.ssl.client.auth=required\n", name);
}

void sc_render_kafka(const sc_model *m, util_buf *b)
{
    char dns[SC_HOST_MAX + 1];
    const sc_listener *l;
    size_t i;

    util_buf_addf(b,
                  "# server.properties of broker %d of the Kafka cluster %s/%s, rendered "
                  "by\n# berth-sidecar init from the ConfigMap %s-brokers at pod start. "
                  "Change\n# the KafkaCluster, not this file.\n",
                  m->broker_id, m->namespace, m->name, m->name);
    util_buf_addf(b, "node.id=%d\n", m->broker_id);
    util_buf_addf(b, "process.roles=%s\n", m->voter ? "broker,controller" : "broker");

    util_buf_adds(b, "controller.quorum.voters=");
    for (int v = 0; v < m->controllers; v++) {
        sc_pod_dns(m, v, dns, sizeof dns);
        util_buf_addf(b, "%s%d@%s:%d", v > 0 ? "," : "", v, dns, m->controller_port);
    }
    util_buf_adds(b, "\ncontroller.listener.names=CONTROLLER\n");

    util_buf_adds(b, "listeners=");
    for (i = 0; i < m->nlisteners; i++) {
        l = &m->listeners[i];
        util_buf_addf(b, "%s%s://0.0.0.0:%d", i > 0 ? "," : "", l->upper, l->port);
    }
    if (m->replication_port > 0)
        util_buf_addf(b, ",REPLICATION://0.0.0.0:%d", m->replication_port);
    if (m->voter)
        util_buf_addf(b, ",CONTROLLER://0.0.0.0:%d", m->controller_port);

    util_buf_adds(b, "\nadvertised.listeners=");
    for (i = 0; i < m->nlisteners; i++) {
        l = &m->listeners[i];
        util_buf_addf(b, "%s%s://", i > 0 ? "," : "", l->upper);
        put_endpoint(b, l->adv_host, l->adv_host_ipv6, l->adv_port);
    }
    sc_pod_dns(m, m->broker_id, dns, sizeof dns);
    if (m->replication_port > 0)
        util_buf_addf(b, ",REPLICATION://%s:%d", dns, m->replication_port);
    if (m->voter)
        util_buf_addf(b, ",CONTROLLER://%s:%d", dns, m->controller_port);

    util_buf_adds(b, "\nlistener.security.protocol.map=");
    for (i = 0; i < m->nlisteners; i++) {
        l = &m->listeners[i];
        util_buf_addf(b, "%s:%s,", l->upper, l->protocol);
    }
    if (m->replication_port > 0) {
        util_buf_adds(b, "REPLICATION:SSL,CONTROLLER:SSL\n");
        util_buf_adds(b, "inter.broker.listener.name=REPLICATION\n");
        put_cluster_tls(m, "controller", b);
        put_cluster_tls(m, "replication", b);
    } else {
        util_buf_adds(b, "CONTROLLER:PLAINTEXT\n");
        util_buf_addf(b, "inter.broker.listener.name=%s\n", m->listeners[m->internal].upper);
    }
    put_security(m, b);
    util_buf_adds(b, "log.dirs=");
    put_value(b, m->data_dir);
    util_buf_adds(b, "\n");
    if (m->rack[0] != '\0')
        util_buf_addf(b, "broker.rack=%s\n", m->rack);

    if (m->nconfig > 0)
        util_buf_adds(b, "# spec.config\n");
    for (i = 0; i < m->nconfig; i++) {
        util_buf_addf(b, "%s=", m->config[i].key);
        put_value(b, m->config[i].value);
        util_buf_adds(b, "\n");
    }
}

/* The broker JVM's security properties: how long it caches name lookups.
 *
 * Brokers reach each other by their pod DNS names, and a restarted pod
 * comes back with a new IP. The JVM keeps what a name resolved to for 30 s
 * by default (10 s for "no such name"), whatever TTL the DNS answer had. A
 * peer that looks the name up while the old pod is still being served
 * (a broker's connections break the moment it shuts down, and its peers
 * dial again at once) keeps dialling the dead address that long after the
 * pod is back: its replica fetchers cannot reach a leader handed back to
 * the new broker, acks=all produce requests wait for them, and a roll that
 * stops the next broker meanwhile stalls the partition until the entry
 * expires. Caching no longer than the cluster DNS's own record TTL (5 s
 * in CoreDNS's kubernetes plugin) keeps the JVM as current as DNS is.
 * Kafka resolves a name only when it dials, so the lookups stay few. */
void sc_render_kafka_java_security(const sc_model *m, util_buf *b)
{
    util_buf_addf(b,
                  "# Java security properties of broker %d of the Kafka cluster %s/%s,\n"
                  "# rendered by berth-sidecar init; the JVM reads them on top of its\n"
                  "# own java.security (-Djava.security.properties).\n",
                  m->broker_id, m->namespace, m->name);
    util_buf_addf(b, "networkaddress.cache.ttl=%d\n", SC_KAFKA_JVM_DNS_TTL_S);
    util_buf_addf(b, "networkaddress.cache.negative.ttl=%d\n", SC_KAFKA_JVM_DNS_TTL_S);
}
