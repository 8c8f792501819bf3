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

static void put_unicode(sc_strbuf *b, unsigned cp)
{
    if (cp > 0xffff) {
        cp -= 0x10000;
        sc_strbuf_appendf(b, "\\u%04X\\u%04X", 0xd800 + (cp >> 10), 0xdc00 + (cp & 0x3ff));
    } else {
        sc_strbuf_appendf(b, "\\u%04X", cp);
    }
}

/* A property value: leading blanks escaped (Properties would skip them),
 * separators after the first need no escape. */
static void put_value(sc_strbuf *b, const char *v)
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
            sc_strbuf_append(b, "\\\\");
        else if (cp == '\n')
            sc_strbuf_append(b, "\\n");
        else if (cp == '\r')
            sc_strbuf_append(b, "\\r");
        else if (cp == '\t')
            sc_strbuf_append(b, "\\t");
        else if (cp == '\f')
            sc_strbuf_append(b, "\\f");
        else if (cp == ' ' && i == 0)
            sc_strbuf_append(b, "\\ ");
        else if (cp < 0x20 || cp > 0x7e)
            put_unicode(b, cp);
        else
            sc_strbuf_append_len(b, v + i, 1);
    }
}

/* "host:port", with an IPv6 literal in brackets. */
static void put_endpoint(sc_strbuf *b, const char *host, bool ipv6, int port)
{
    sc_strbuf_appendf(b, ipv6 ? "[%s]:%d" : "%s:%d", host, port);
}

/* A JAAS string option: quotes and backslashes escaped. */
static void put_jaas_string(sc_strbuf *b, const char *name, const char *v)
{
    sc_strbuf_appendf(b, " %s=\"", name);
    for (; *v != '\0'; v++) {
        if (*v == '"' || *v == '\\')
            sc_strbuf_append(b, "\\");
        sc_strbuf_append_len(b, v, 1);
    }
    sc_strbuf_append(b, "\"");
}

/* TLS key store and trust store, SASL mechanism and login module, per
 * listener (Kafka's "listener.name.<name>." prefix, name in lower case).
 * Without clusterTLS the internal listener carries inter-broker traffic,
 * so when it uses SASL its JAAS entry also holds the login brokers present
 * to each other. */
static void put_security(const sc_model *m, sc_strbuf *b)
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
            sc_strbuf_appendf(b, "listener.name.%s.ssl.keystore.type=PEM\n", l->name);
            sc_strbuf_appendf(b, "listener.name.%s.ssl.keystore.location=%s\n", l->name, path);
            if (l->cluster_cert)
                sc_cluster_tls_path(m->config_dir, SC_CLUSTER_TLS_CA, path, sizeof path);
            else
                sc_tls_ca_path(m->config_dir, l->name, path, sizeof path);
            sc_strbuf_appendf(b, "listener.name.%s.ssl.truststore.type=PEM\n", l->name);
            sc_strbuf_appendf(b, "listener.name.%s.ssl.truststore.location=%s\n", l->name, path);
        }
        if (l->mechanism[0] == '\0')
            continue;
        sc_strbuf_appendf(b, "listener.name.%s.sasl.enabled.mechanisms=%s\n", l->name,
                          l->mechanism);
        snprintf(jaas, sizeof jaas, "%s", l->mechanism);
        for (char *p = jaas; *p != '\0'; p++)
            *p = (char)(*p >= 'A' && *p <= 'Z' ? *p - 'A' + 'a' : *p);
        sc_strbuf_appendf(b, "listener.name.%s.%s.sasl.jaas.config=", l->name, jaas);
        {
            sc_strbuf v = SC_STRBUF_INIT;
            bool plain = strcmp(l->mechanism, "PLAIN") == 0;

            sc_strbuf_appendf(&v, "org.apache.kafka.common.security.%s required",
                              plain ? "plain.PlainLoginModule" : "scram.ScramLoginModule");
            if (i == m->internal && m->sasl_username != NULL) {
                put_jaas_string(&v, "username", m->sasl_username);
                put_jaas_string(&v, "password", m->sasl_password);
                if (plain) {
                    snprintf(jaas, sizeof jaas, "user_%s", m->sasl_username);
                    put_jaas_string(&v, jaas, m->sasl_password);
                }
            }
            sc_strbuf_append(&v, ";");
            if (v.oom)
                b->oom = true;
            else
                put_value(b, v.data);
            sc_strbuf_reset(&v);
        }
        sc_strbuf_append(b, "\n");
        if (i == m->internal && m->replication_port == 0)
            sc_strbuf_appendf(b, "sasl.mechanism.inter.broker.protocol=%s\n", l->mechanism);
    }
}

/* The cluster's mutual TLS on one of berth's own listeners (lower-case
 * name): this broker's key store, the cluster CA as trust store, and a
 * client certificate required of whoever connects. */
static void put_cluster_tls(const sc_model *m, const char *name, sc_strbuf *b)
{
    char path[1024];

    sc_cluster_tls_path(m->config_dir, SC_CLUSTER_TLS_KEYSTORE, path, sizeof path);
    sc_strbuf_appendf(b, "listener.name.%s.ssl.keystore.type=PEM\n", name);
    sc_strbuf_appendf(b, "listener.name.%s.ssl.keystore.location=%s\n", name, path);
    sc_cluster_tls_path(m->config_dir, SC_CLUSTER_TLS_CA, path, sizeof path);
    sc_strbuf_appendf(b, "listener.name.%s.ssl.truststore.type=PEM\n", name);
    sc_strbuf_appendf(b, "listener.name.%s.ssl.truststore.location=%s\n", name, path);
    sc_strbuf_appendf(b, "listener.name.%s.ssl.client.auth=required\n", name);
}

void sc_render_kafka(const sc_model *m, sc_strbuf *b)
{
    char dns[SC_HOST_MAX + 1];
    const sc_listener *l;
    size_t i;

    sc_strbuf_appendf(b,
                      "# server.properties of broker %d of the Kafka cluster %s/%s, rendered "
                      "by\n# berth-sidecar init from the ConfigMap %s-brokers at pod start. "
                      "Change\n# the KafkaCluster, not this file.\n",
                      m->broker_id, m->namespace, m->name, m->name);
    sc_strbuf_appendf(b, "node.id=%d\n", m->broker_id);
    sc_strbuf_appendf(b, "process.roles=%s\n", m->voter ? "broker,controller" : "broker");

    sc_strbuf_append(b, "controller.quorum.voters=");
    for (int v = 0; v < m->controllers; v++) {
        sc_pod_dns(m, v, dns, sizeof dns);
        sc_strbuf_appendf(b, "%s%d@%s:%d", v > 0 ? "," : "", v, dns, m->controller_port);
    }
    sc_strbuf_append(b, "\ncontroller.listener.names=CONTROLLER\n");

    sc_strbuf_append(b, "listeners=");
    for (i = 0; i < m->nlisteners; i++) {
        l = &m->listeners[i];
        sc_strbuf_appendf(b, "%s%s://0.0.0.0:%d", i > 0 ? "," : "", l->upper, l->port);
    }
    if (m->replication_port > 0)
        sc_strbuf_appendf(b, ",REPLICATION://0.0.0.0:%d", m->replication_port);
    if (m->voter)
        sc_strbuf_appendf(b, ",CONTROLLER://0.0.0.0:%d", m->controller_port);

    sc_strbuf_append(b, "\nadvertised.listeners=");
    for (i = 0; i < m->nlisteners; i++) {
        l = &m->listeners[i];
        sc_strbuf_appendf(b, "%s%s://", i > 0 ? "," : "", l->upper);
        put_endpoint(b, l->adv_host, l->adv_host_ipv6, l->adv_port);
    }
    sc_pod_dns(m, m->broker_id, dns, sizeof dns);
    if (m->replication_port > 0)
        sc_strbuf_appendf(b, ",REPLICATION://%s:%d", dns, m->replication_port);
    if (m->voter)
        sc_strbuf_appendf(b, ",CONTROLLER://%s:%d", dns, m->controller_port);

    sc_strbuf_append(b, "\nlistener.security.protocol.map=");
    for (i = 0; i < m->nlisteners; i++) {
        l = &m->listeners[i];
        sc_strbuf_appendf(b, "%s:%s,", l->upper, l->protocol);
    }
    if (m->replication_port > 0) {
        sc_strbuf_append(b, "REPLICATION:SSL,CONTROLLER:SSL\n");
        sc_strbuf_append(b, "inter.broker.listener.name=REPLICATION\n");
        put_cluster_tls(m, "controller", b);
        put_cluster_tls(m, "replication", b);
    } else {
        sc_strbuf_append(b, "CONTROLLER:PLAINTEXT\n");
        sc_strbuf_appendf(b, "inter.broker.listener.name=%s\n", m->listeners[m->internal].upper);
    }
    put_security(m, b);
    sc_strbuf_append(b, "log.dirs=");
    put_value(b, m->data_dir);
    sc_strbuf_append(b, "\n");
    if (m->rack[0] != '\0')
        sc_strbuf_appendf(b, "broker.rack=%s\n", m->rack);

    if (m->nconfig > 0)
        sc_strbuf_append(b, "# spec.config\n");
    for (i = 0; i < m->nconfig; i++) {
        sc_strbuf_appendf(b, "%s=", m->config[i].key);
        put_value(b, m->config[i].value);
        sc_strbuf_append(b, "\n");
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
void sc_render_kafka_java_security(const sc_model *m, sc_strbuf *b)
{
    sc_strbuf_appendf(b,
                      "# Java security properties of broker %d of the Kafka cluster %s/%s,\n"
                      "# rendered by berth-sidecar init; the JVM reads them on top of its\n"
                      "# own java.security (-Djava.security.properties).\n",
                      m->broker_id, m->namespace, m->name);
    sc_strbuf_appendf(b, "networkaddress.cache.ttl=%d\n", SC_KAFKA_JVM_DNS_TTL_S);
    sc_strbuf_appendf(b, "networkaddress.cache.negative.ttl=%d\n", SC_KAFKA_JVM_DNS_TTL_S);
}
