/* The broker model: the three documents of the <cluster>-brokers ConfigMap
 * checked and reduced to plain values for this pod's broker (model.h).
 *
 * Everything read here comes from the API and may be wrong in any way, so
 * each value is checked for type, range and character set before use;
 * names, hosts and keys that end up in the rendered file are restricted to
 * characters that need no quoting there, which also means a document cannot
 * smuggle extra settings into the file. A refusal reads
 * "<document>: <field>: <problem>". */
#include "init/model.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "broker/owned_keys.h"
#include "broker/pod_contract.h"
#include "init/check.h"
#include "init/paths.h"
#include "kube/names.h"

/* Longest config key and value accepted (the CRD allows 4096 characters of
 * value; UTF-8 needs up to 4 bytes each). */
#define CONFIG_KEY_MAX   255
#define CONFIG_VALUE_MAX (4 * 4096)

static const char *const protocols[] = {"PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"};
static const char *const mechanisms[] = {"PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"};

static const struct {
    const char *name;
    sc_listener_type type;
} listener_types[] = {
    {"internal", SC_LISTENER_INTERNAL},
    {"nodeport", SC_LISTENER_NODEPORT},
    {"loadbalancer", SC_LISTENER_LOADBALANCER},
    {"hostport", SC_LISTENER_HOSTPORT},
};

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static bool is_config_key(const char *s)
{
    size_t n = strlen(s);

    if (n == 0 || n > CONFIG_KEY_MAX)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!sc_is_alnum(s[i]) && s[i] != '.' && s[i] != '_' && s[i] != '-')
            return false;
    return true;
}

/* ---- the documents ---- */

static int parse_doc(const char *name, const char *text, cJSON **out, util_err *err)
{
    size_t len;

    *out = NULL;
    if (text == NULL)
        return util_err_set(err, "%s: missing", name);
    len = strnlen(text, (size_t)SC_DOC_MAX + 1);
    if (len > SC_DOC_MAX)
        return util_err_set(err, "%s: larger than %d bytes", name, SC_DOC_MAX);
    *out = cJSON_ParseWithLength(text, len);
    if (*out == NULL)
        return util_err_set(err, "%s: not valid JSON", name);
    if (!cJSON_IsObject(*out)) {
        util_err_set(err, "%s: must be a JSON object, got %s", name, sc_json_kind(*out));
        cJSON_Delete(*out);
        *out = NULL;
        return -1;
    }
    return 0;
}

static int parse_listener(const cJSON *j, size_t idx, sc_model *m, util_err *err)
{
    sc_listener *l = &m->listeners[idx];
    const char **tmpl = &l->host_template;
    const char *s;
    long port;
    size_t i;
    sc_where w = {"", ""};

    sc_where_at(&w, "cluster.json");
    sc_where_prefix(&w, "listeners[%zu].", idx);
    *tmpl = NULL;
    if (!cJSON_IsObject(j))
        return sc_fail(err, &w, NULL, "must be an object, got %s", sc_json_kind(j));
    if (sc_get_str(j, "name", false, &s, &w, err) != 0)
        return -1;
    if (strlen(s) > sizeof l->name - 1 || !kube_is_dns1123_label(s))
        return sc_fail(err, &w, "name",
                       "\"%.64s\" is not a lower-case DNS label of at most %zu characters", s,
                       sizeof l->name - 1);
    if (strcmp(s, "controller") == 0 || strcmp(s, "replication") == 0)
        return sc_fail(err, &w, "name", "\"%s\" is reserved for berth's own listener", s);
    snprintf(l->name, sizeof l->name, "%s", s);
    for (i = 0; s[i] != '\0'; i++)
        l->upper[i] = (char)(s[i] >= 'a' && s[i] <= 'z' ? s[i] - 'a' + 'A' : s[i]);
    l->upper[i] = '\0';

    if (sc_get_int(j, "port", 1, 65535, false, &port, &w, err) != 0)
        return -1;
    l->port = (int)port;

    if (sc_get_str(j, "type", false, &s, &w, err) != 0)
        return -1;
    for (i = 0; i < COUNT(listener_types); i++)
        if (strcmp(s, listener_types[i].name) == 0)
            break;
    if (i == COUNT(listener_types))
        return sc_fail(err, &w, "type",
                       "\"%.64s\" is not one of internal, nodeport, loadbalancer, hostport", s);
    l->type = listener_types[i].type;

    if (sc_get_str(j, "securityProtocol", false, &s, &w, err) != 0)
        return -1;
    for (i = 0; i < COUNT(protocols); i++)
        if (strcmp(s, protocols[i]) == 0)
            break;
    if (i == COUNT(protocols))
        return sc_fail(err, &w, "securityProtocol",
                       "\"%.64s\" is not one of PLAINTEXT, SSL, SASL_PLAINTEXT, SASL_SSL", s);
    snprintf(l->protocol, sizeof l->protocol, "%s", protocols[i]);
    l->tls = strstr(l->protocol, "SSL") != NULL;

    if (sc_get_str(j, "saslMechanism", true, &s, &w, err) < 0)
        return -1;
    if (strncmp(l->protocol, "SASL_", 5) == 0) {
        if (s == NULL)
            return sc_fail(err, &w, "saslMechanism", "missing (needed with securityProtocol %s)",
                           l->protocol);
        for (i = 0; i < COUNT(mechanisms); i++)
            if (strcmp(s, mechanisms[i]) == 0)
                break;
        if (i == COUNT(mechanisms))
            return sc_fail(err, &w, "saslMechanism",
                           "\"%.64s\" is not one of PLAIN, SCRAM-SHA-256, SCRAM-SHA-512", s);
        snprintf(l->mechanism, sizeof l->mechanism, "%s", mechanisms[i]);
    } else if (s != NULL) {
        return sc_fail(err, &w, "saslMechanism", "not allowed with securityProtocol %s",
                       l->protocol);
    }

    {
        const cJSON *cc = cJSON_GetObjectItemCaseSensitive(j, "clusterCert");

        if (cc != NULL && !cJSON_IsBool(cc))
            return sc_fail(err, &w, "clusterCert", "must be true or false, got %s",
                           sc_json_kind(cc));
        l->cluster_cert = cJSON_IsTrue(cc);
        if (l->cluster_cert && !l->tls)
            return sc_fail(err, &w, "clusterCert", "needs securityProtocol SSL or SASL_SSL, not %s",
                           l->protocol);
    }

    if (sc_get_str(j, "hostTemplate", true, tmpl, &w, err) < 0)
        return -1;
    if (*tmpl != NULL) {
        if (l->type == SC_LISTENER_INTERNAL)
            return sc_fail(err, &w, "hostTemplate",
                           "not allowed on an internal listener (it advertises pod DNS names)");
        if (strstr(*tmpl, "{id}") == NULL)
            return sc_fail(err, &w, "hostTemplate", "\"%.64s\" does not contain {id}", *tmpl);
    }
    return 0;
}

static int cmp_config(const void *a, const void *b)
{
    return strcmp(((const sc_config_entry *)a)->key, ((const sc_config_entry *)b)->key);
}

/* Collects spec.config, sorted by key. *out is a new array for free(). */
static int parse_config(const cJSON *root, sc_config_entry **out, size_t *n, util_err *err)
{
    const cJSON *cfg, *e;
    sc_config_entry *v;
    size_t count = 0, i = 0;
    sc_where w = {"", ""};

    *out = NULL;
    *n = 0;
    sc_where_at(&w, "cluster.json");
    if (sc_get_obj(root, "config", true, &cfg, &w, err) != 0)
        return -1;
    if (cfg == NULL)
        return 0;
    cJSON_ArrayForEach(e, cfg) count++;
    if (count > SC_MAX_CONFIG)
        return sc_fail(err, &w, "config", "%zu keys, more than the %d allowed", count,
                       SC_MAX_CONFIG);
    if (count == 0)
        return 0;
    v = calloc(count, sizeof *v);
    if (v == NULL)
        return util_err_set(err, "cluster.json: config: out of memory");
    cJSON_ArrayForEach(e, cfg)
    {
        const char *k = e->string != NULL ? e->string : "";

        if (!is_config_key(k)) {
            util_err_set(err,
                         "cluster.json: config: key \"%.64s\" must be 1 to %d letters, "
                         "digits, '.', '_' or '-'",
                         k, CONFIG_KEY_MAX);
            goto bad;
        }
        sc_where_prefix(&w, "config[\"%.48s\"]", k);
        if (broker_key_owned(k)) {
            sc_fail(err, &w, NULL, "set by berth itself; not allowed here");
            goto bad;
        }
        if (!cJSON_IsString(e) || e->valuestring == NULL) {
            sc_fail(err, &w, NULL, "must be a string, got %s", sc_json_kind(e));
            goto bad;
        }
        if (strlen(e->valuestring) > CONFIG_VALUE_MAX) {
            sc_fail(err, &w, NULL, "value longer than %d bytes", CONFIG_VALUE_MAX);
            goto bad;
        }
        if (!sc_is_utf8(e->valuestring)) {
            sc_fail(err, &w, NULL, "value is not valid UTF-8");
            goto bad;
        }
        v[i].key = k;
        v[i].value = e->valuestring;
        i++;
    }
    qsort(v, count, sizeof *v, cmp_config);
    for (i = 1; i < count; i++)
        if (strcmp(v[i - 1].key, v[i].key) == 0) {
            sc_where_prefix(&w, "config[\"%.48s\"]", v[i].key);
            sc_fail(err, &w, NULL, "given twice");
            goto bad;
        }
    *out = v;
    *n = count;
    return 0;
bad:
    free(v);
    return -1;
}

/* Is this broker listed in cluster.json's array of voter ids key? */
static int parse_voter_list(const cJSON *root, const char *key, const sc_model *m, bool *listed,
                            util_err *err)
{
    const cJSON *a = cJSON_GetObjectItemCaseSensitive(root, key), *e;
    size_t i = 0;
    sc_where w = {"", ""};

    *listed = false;
    sc_where_at(&w, "cluster.json");
    if (a == NULL || cJSON_IsNull(a))
        return 0;
    if (!cJSON_IsArray(a))
        return sc_fail(err, &w, key, "must be an array of voter ids, got %s", sc_json_kind(a));
    cJSON_ArrayForEach(e, a)
    {
        double v = cJSON_IsNumber(e) ? e->valuedouble : -1;

        if (i >= SC_MAX_CONTROLLERS)
            return sc_fail(err, &w, key, "more than %d entries", SC_MAX_CONTROLLERS);
        if (!cJSON_IsNumber(e) || !(v >= 0 && v < m->controllers) || v != (double)(int)v)
            return util_err_set(err,
                                "cluster.json: %s[%zu]: must be a voter id from 0 to %d, got %s",
                                key, i, m->controllers - 1, sc_json_kind(e));
        if ((int)v == m->broker_id)
            *listed = true;
        i++;
    }
    return 0;
}

/* clusterTLS: {secret, replicationPort}, optional: mutual TLS between the
 * brokers with certificates from the named Secret. The replication port
 * must be free like the controller's. */
static int parse_cluster_tls(const cJSON *root, sc_model *m, size_t nlisteners,
                             sc_render_result *out, util_err *err)
{
    const cJSON *t;
    const char *secret;
    long v;
    sc_where w = {"", ""};

    sc_where_at(&w, "cluster.json");
    if (sc_get_obj(root, "clusterTLS", true, &t, &w, err) != 0)
        return -1;
    if (t == NULL)
        return 0;
    sc_where_prefix(&w, "clusterTLS.");
    if (sc_get_str(t, "secret", false, &secret, &w, err) != 0)
        return -1;
    if (!kube_is_dns1123_subdomain(secret))
        return sc_fail(err, &w, "secret", "\"%.64s\" is not a Secret's name", secret);
    if (sc_get_int(t, "replicationPort", 1, 65535, false, &v, &w, err) != 0)
        return -1;
    for (size_t i = 0; i < nlisteners; i++)
        if (m->listeners[i].port == v)
            return sc_fail(err, &w, "replicationPort", "%ld is also the port of listeners[%zu]", v,
                           i);
    if (v == m->controller_port ||
        (m->flavor == SC_FLAVOR_REDPANDA && v == BROKER_POD_REDPANDA_ADMIN_PORT))
        return sc_fail(err, &w, "replicationPort", "%ld is already taken by the %s", v,
                       v == m->controller_port ? "controllerPort" : "admin API");
    m->replication_port = (int)v;
    snprintf(out->cluster_tls_secret, sizeof out->cluster_tls_secret, "%s", secret);
    return 0;
}

static int parse_cluster(const cJSON *root, sc_model *m, sc_render_result *out, util_err *err)
{
    const cJSON *a, *e;
    const char *s;
    long v;
    size_t n = 0, internals = 0;
    sc_where w = {"", ""};

    sc_where_at(&w, "cluster.json");
    if (sc_get_str(root, "name", false, &m->name, &w, err) != 0)
        return -1;
    if (!kube_is_dns1123_label(m->name))
        return sc_fail(err, &w, "name", "\"%.64s\" is not a lower-case DNS label", m->name);
    if (sc_get_str(root, "namespace", false, &m->namespace, &w, err) != 0)
        return -1;
    if (!kube_is_dns1123_label(m->namespace))
        return sc_fail(err, &w, "namespace", "\"%.64s\" is not a lower-case DNS label",
                       m->namespace);
    snprintf(out->cluster, sizeof out->cluster, "%s", m->name);
    snprintf(out->namespace, sizeof out->namespace, "%s", m->namespace);

    if (sc_get_str(root, "flavor", false, &s, &w, err) != 0)
        return -1;
    if (sc_flavor_parse(s, &m->flavor) != 0)
        return sc_fail(err, &w, "flavor", "\"%.64s\" is not kafka or redpanda", s);
    out->flavor = m->flavor;

    if (m->flavor == SC_FLAVOR_KAFKA) {
        if (sc_get_str(root, "clusterID", false, &s, &w, err) != 0)
            return -1;
        n = strlen(s);
        for (size_t i = 0; i < n; i++)
            if (!sc_is_alnum(s[i]) && s[i] != '-' && s[i] != '_')
                n = 0;
        if (n != 22)
            return sc_fail(err, &w, "clusterID",
                           "\"%.64s\" is not a Kafka cluster ID (22 characters of URL-safe "
                           "base64)",
                           s);
        snprintf(out->cluster_id, sizeof out->cluster_id, "%s", s);
    }

    if (sc_get_int(root, "controllers", 1, SC_MAX_CONTROLLERS, false, &v, &w, err) != 0)
        return -1;
    m->controllers = (int)v;
    if (sc_get_str(root, "clusterDomain", false, &m->domain, &w, err) != 0)
        return -1;
    if (!sc_is_dns_name(m->domain, false))
        return sc_fail(err, &w, "clusterDomain", "\"%.64s\" is not a lower-case DNS name",
                       m->domain);
    if (sc_get_int(root, "controllerPort", 1, 65535, false, &v, &w, err) != 0)
        return -1;
    m->controller_port = (int)v;

    a = cJSON_GetObjectItemCaseSensitive(root, "listeners");
    if (!cJSON_IsArray(a))
        return sc_fail(err, &w, "listeners", "must be an array of listeners, got %s",
                       sc_json_kind(a));
    n = 0;
    cJSON_ArrayForEach(e, a)
    {
        if (n == SC_MAX_LISTENERS)
            return sc_fail(err, &w, "listeners", "more than %d listeners", SC_MAX_LISTENERS);
        if (parse_listener(e, n, m, err) != 0)
            return -1;
        sc_where_prefix(&w, "listeners[%zu].", n);
        for (size_t k = 0; k < n; k++) {
            if (strcmp(m->listeners[k].name, m->listeners[n].name) == 0)
                return sc_fail(err, &w, "name", "\"%s\" is also the name of listeners[%zu]",
                               m->listeners[n].name, k);
            if (m->listeners[k].port == m->listeners[n].port)
                return sc_fail(err, &w, "port", "%d is also the port of listeners[%zu]",
                               m->listeners[n].port, k);
        }
        if (m->listeners[n].port == m->controller_port)
            return sc_fail(err, &w, "port", "%d is also the controllerPort", m->controller_port);
        if (m->flavor == SC_FLAVOR_REDPANDA &&
            m->listeners[n].port == BROKER_POD_REDPANDA_ADMIN_PORT)
            return sc_fail(err, &w, "port", "%d is Redpanda's admin API port",
                           BROKER_POD_REDPANDA_ADMIN_PORT);
        if (m->listeners[n].type == SC_LISTENER_INTERNAL) {
            internals++;
            m->internal = n;
        }
        n++;
    }
    sc_where_prefix(&w, "%s", "");
    if (n == 0)
        return sc_fail(err, &w, "listeners", "empty; exactly one internal listener is needed");
    if (parse_cluster_tls(root, m, n, out, err) != 0)
        return -1;
    for (size_t i = 0; i < n; i++)
        if (m->listeners[i].cluster_cert && m->replication_port == 0) {
            sc_where_prefix(&w, "listeners[%zu].", i);
            return sc_fail(err, &w, "clusterCert", "needs clusterTLS (the cluster CA's Secret)");
        }
    if (internals != 1)
        return sc_fail(err, &w, "listeners",
                       "%zu listeners have type internal; exactly one must (it carries "
                       "inter-broker traffic)",
                       internals);
    if (m->flavor == SC_FLAVOR_REDPANDA && m->controller_port == BROKER_POD_REDPANDA_ADMIN_PORT)
        return sc_fail(err, &w, "controllerPort", "%d is Redpanda's admin API port",
                       BROKER_POD_REDPANDA_ADMIN_PORT);
    m->nlisteners = n;
    return 0;
}

/* ---- broker id and name ---- */

int sc_broker_id_from_pod(const char *cluster, const char *pod, int *id, util_err *err)
{
    size_t cl = strlen(cluster), pl = strlen(pod), digits;
    long v = 0;

    *id = -1;
    if (pl <= cl + 1 || strncmp(pod, cluster, cl) != 0 || pod[cl] != '-')
        return util_err_set(err, "pod name \"%.64s\" is not \"%.64s-<ordinal>\"", pod, cluster);
    digits = pl - cl - 1;
    for (size_t i = cl + 1; i < pl; i++) {
        if (!sc_is_digit(pod[i]))
            return util_err_set(err, "pod name \"%.64s\" does not end in an ordinal", pod);
        if (digits > 4)
            break;
        v = v * 10 + (pod[i] - '0');
    }
    if ((digits > 1 && pod[cl + 1] == '0') || digits > 4 || v > SC_MAX_BROKER_ID)
        return util_err_set(err, "pod name \"%.64s\": ordinal is not a broker id from 0 to %d", pod,
                            SC_MAX_BROKER_ID);
    *id = (int)v;
    return 0;
}

void sc_pod_dns(const sc_model *m, int id, char *buf, size_t size)
{
    snprintf(buf, size, "%s-%d.%s-brokers.%s.svc.%s", m->name, id, m->name, m->namespace,
             m->domain);
}

/* The node's rack, if it has one. */
static int parse_rack(const cJSON *node, const char *node_name, sc_model *m, util_err *err)
{
    const char *rack;
    sc_where w = {"", ""};

    sc_where_at(&w, "nodes.json: node \"%s\"", node_name);
    if (sc_get_str(node, "rack", true, &rack, &w, err) < 0)
        return -1;
    if (rack == NULL || rack[0] == '\0')
        return 0;
    if (!sc_is_label_value(rack))
        return sc_fail(err, &w, "rack", "\"%.64s\" is not a Kubernetes label value", rack);
    snprintf(m->rack, sizeof m->rack, "%s", rack);
    return 0;
}

/* ---- the pod's own inputs ---- */

/* A directory that ends up in the file: absolute, and nothing that would need
 * quoting in a properties or YAML value or split a list. */
static int check_dir(const char *what, const char *dir, util_err *err)
{
    for (const char *p = dir; *p != '\0'; p++)
        if (!sc_is_alnum(*p) && strchr("/._-", *p) == NULL)
            return util_err_set(err,
                                "%s \"%.64s\" must be an absolute path of letters, digits, "
                                "'/', '.', '_' and '-'",
                                what, dir);
    if (dir[0] != '/' || strlen(dir) > SC_DIR_MAX)
        return util_err_set(err, "%s \"%.64s\" must be an absolute path of at most %d bytes", what,
                            dir, SC_DIR_MAX);
    return 0;
}

/* Where the broker keeps its data in its volume (in->data_dir, else the
 * flavor's): Redpanda at the root; Kafka in BROKER_POD_KAFKA_LOG_SUBDIR,
 * away from the lost+found of a fresh ext4 volume, unless Kafka was
 * formatted at the root before (in->kafka_root_formatted), whose data
 * stays where it is. */
static int data_dir(const sc_render_input *in, sc_model *m, util_err *err)
{
    const char *volume = in->data_dir != NULL ? in->data_dir : sc_flavor_data_dir(m->flavor);

    if (check_dir("data directory", volume, err) != 0)
        return -1;
    if (m->flavor == SC_FLAVOR_KAFKA && !in->kafka_root_formatted)
        snprintf(m->data_dir, sizeof m->data_dir, "%s/%s", volume, BROKER_POD_KAFKA_LOG_SUBDIR);
    else
        snprintf(m->data_dir, sizeof m->data_dir, "%s", volume);
    return 0;
}

/* The inter-broker login: needed exactly when the internal listener asks
 * for SASL; printable ASCII so it can sit in a JAAS string unescaped but
 * for quotes and backslashes. */
static int check_login(const sc_render_input *in, sc_model *m, util_err *err)
{
    const char *v[2] = {in->sasl_username, in->sasl_password};
    const char *names[2] = {"username", "password"};

    /* With clusterTLS the brokers log in to each other with certificates
     * on REPLICATION, never on the internal listener. */
    if (m->flavor != SC_FLAVOR_KAFKA || m->listeners[m->internal].mechanism[0] == '\0' ||
        m->replication_port > 0)
        return 0;
    for (int i = 0; i < 2; i++) {
        if (v[i] == NULL || v[i][0] == '\0')
            return util_err_set(err,
                                "listener \"%s\" uses SASL for inter-broker traffic, but no "
                                "SASL %s was given",
                                m->listeners[m->internal].name, names[i]);
        if (strlen(v[i]) > 255)
            return util_err_set(err, "SASL %s: longer than 255 bytes", names[i]);
        for (const char *p = v[i]; *p != '\0'; p++) {
            if (*p < 0x20 || *p > 0x7e)
                return util_err_set(err, "SASL %s: only printable ASCII is allowed", names[i]);
            /* The name also becomes a JAAS option name (PLAIN's user_<name>). */
            if (i == 0 && !sc_is_alnum(*p) && strchr("._@-", *p) == NULL)
                return util_err_set(err, "SASL username: only letters, digits, '.', '_', '@' and "
                                         "'-' are allowed");
        }
    }
    m->sasl_username = in->sasl_username;
    m->sasl_password = in->sasl_password;
    return 0;
}

/* ---- the whole ---- */

int sc_model_parse(const sc_render_input *in, sc_model *m, sc_render_result *out, util_err *err)
{
    cJSON *cluster, *nodes, *brokers;
    const cJSON *broker;
    char key[16];
    sc_where w = {"", ""};

    memset(m, 0, sizeof *m);
    if (in->pod_name == NULL || in->node_name == NULL)
        return util_err_set(err, "the pod name and the node name are needed");
    /* A Node's name is an RFC 1123 subdomain, which may look like an IPv4
     * address ("10.0.0.7"): it is looked up, never dialled. */
    if (!kube_is_dns1123_subdomain(in->node_name))
        return util_err_set(err, "node name \"%.64s\" is not a lower-case DNS name", in->node_name);
    if (parse_doc("cluster.json", in->cluster_json, &m->docs[0], err) != 0 ||
        parse_doc("nodes.json", in->nodes_json, &m->docs[1], err) != 0 ||
        parse_doc("brokers.json", in->brokers_json, &m->docs[2], err) != 0)
        return -1;
    cluster = m->docs[0];
    nodes = m->docs[1];
    brokers = m->docs[2];
    if (parse_cluster(cluster, m, out, err) != 0)
        return -1;
    if (sc_broker_id_from_pod(m->name, in->pod_name, &m->broker_id, err) != 0)
        return -1;
    m->voter = m->flavor == SC_FLAVOR_KAFKA && m->broker_id < m->controllers;
    if (parse_voter_list(cluster, "formattedVoters", m, &out->formatted_voter, err) != 0 ||
        parse_voter_list(cluster, "reformatVoters", m, &out->reformat_allowed, err) != 0 ||
        parse_config(cluster, &m->config, &m->nconfig, err) != 0)
        return -1;
    if (data_dir(in, m, err) != 0)
        return -1;
    snprintf(out->data_dir, sizeof out->data_dir, "%s", m->data_dir);
    m->config_dir = in->config_dir != NULL ? in->config_dir : BROKER_POD_CONFIG_DIR;
    m->tls_dir = in->tls_dir != NULL ? in->tls_dir : BROKER_POD_TLS_DIR;
    if (check_dir("config directory", m->config_dir, err) != 0 ||
        check_dir("TLS directory", m->tls_dir, err) != 0 || check_login(in, m, err) != 0)
        return -1;
    out->broker_id = m->broker_id;
    out->voter = m->voter;
    sc_pod_dns(m, m->broker_id, out->pod_dns, sizeof out->pod_dns);
    for (size_t i = 0; i < m->nlisteners; i++)
        if (m->listeners[i].tls && !m->listeners[i].cluster_cert)
            snprintf(out->tls_listeners[out->ntls++], sizeof out->tls_listeners[0], "%s",
                     m->listeners[i].name);

    m->node_name = in->node_name;
    m->node = cJSON_GetObjectItemCaseSensitive(nodes, in->node_name);
    sc_where_at(&w, "nodes.json");
    if (m->node != NULL && !cJSON_IsObject(m->node))
        return sc_fail(err, &w, NULL, "node \"%s\" must be an object, got %s", in->node_name,
                       sc_json_kind(m->node));
    snprintf(key, sizeof key, "%d", m->broker_id);
    broker = cJSON_GetObjectItemCaseSensitive(brokers, key);
    sc_where_at(&w, "brokers.json");
    if (broker != NULL && !cJSON_IsNull(broker) && !cJSON_IsObject(broker))
        return sc_fail(err, &w, NULL, "broker \"%s\" must be an object, got %s", key,
                       sc_json_kind(broker));
    m->broker = cJSON_IsObject(broker) ? broker : NULL;
    if (m->node != NULL && parse_rack(m->node, in->node_name, m, err) != 0)
        return -1;
    return 0;
}

void sc_model_clear(sc_model *m)
{
    free(m->config);
    m->config = NULL;
    for (int i = 0; i < 3; i++) {
        cJSON_Delete(m->docs[i]);
        m->docs[i] = NULL;
    }
}
