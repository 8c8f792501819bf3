/* Checks the three documents of the <cluster>-brokers ConfigMap and resolves
 * what this broker advertises on each listener (docs/addressing.md), then
 * hands a plain model to the flavor's writer.
 *
 * Everything read here comes from the API and may be wrong in any way, so
 * each value is checked for type, range and character set before use;
 * names, hosts and keys that end up in the rendered file are restricted to
 * characters that need no quoting there, which also means a document cannot
 * smuggle extra settings into the file. A refusal reads
 * "<document>: <field>: <problem>". */
#include "init/render.h"

#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "broker/owned_keys.h"
#include "init/render_int.h"

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

/* Where a value sits, for messages: the document and entity ("nodes.json:
 * node \"n1\"") and a field path prefix within it ("addresses."). */
typedef struct where {
    char at[160];
    char prefix[64];
} where;

static void where_at(where *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void where_at(where *w, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(w->at, sizeof w->at, fmt, ap);
    va_end(ap);
    w->prefix[0] = '\0';
}

static void where_prefix(where *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void where_prefix(where *w, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(w->prefix, sizeof w->prefix, fmt, ap);
    va_end(ap);
}

/* Sets err to "<at>: <prefix><key>: <message>"; without a key the prefix
 * alone names the field. Returns -1. */
static int fail(util_err *err, const where *w, const char *key, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int fail(util_err *err, const where *w, const char *key, const char *fmt, ...)
{
    char msg[UTIL_ERR_MAX];
    size_t plen = strlen(w->prefix);
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (key != NULL)
        return util_err_set(err, "%s: %s%s: %s", w->at, w->prefix, key, msg);
    if (plen > 0)
        return util_err_set(err, "%s: %.*s: %s", w->at,
                            (int)(w->prefix[plen - 1] == '.' ? plen - 1 : plen), w->prefix, msg);
    return util_err_set(err, "%s: %s", w->at, msg);
}

static const char *kind_of(const cJSON *j)
{
    if (j == NULL)
        return "nothing";
    if (cJSON_IsString(j))
        return "a string";
    if (cJSON_IsNumber(j))
        return "a number";
    if (cJSON_IsBool(j))
        return "a boolean";
    if (cJSON_IsNull(j))
        return "null";
    if (cJSON_IsArray(j))
        return "an array";
    if (cJSON_IsObject(j))
        return "an object";
    return "an unknown value";
}

/* ---- characters and names ---- */

static bool is_lower_alnum(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

static bool is_alnum(char c)
{
    return is_lower_alnum(c) || (c >= 'A' && c <= 'Z');
}

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* One label of a DNS name, n bytes at s: alphanumerics and inner '-'. */
static bool is_label(const char *s, size_t n, bool any_case)
{
    if (n == 0 || n > 63 || s[0] == '-' || s[n - 1] == '-')
        return false;
    for (size_t i = 0; i < n; i++)
        if (!(any_case ? is_alnum(s[i]) : is_lower_alnum(s[i])) && s[i] != '-')
            return false;
    return true;
}

/* An RFC 1123 label in lower case, at most max bytes. */
static bool is_dns_label(const char *s, size_t max)
{
    size_t n = strlen(s);

    return n <= max && is_label(s, n, false);
}

/* A DNS name: dot-separated labels, at most 253 bytes, the last label not
 * all digits (so "999.1.1.1" is not taken for a name). */
static bool is_dns_name(const char *s, bool any_case)
{
    size_t n = strlen(s), start = 0;
    bool digits = true;

    if (n == 0 || n > SC_HOST_MAX)
        return false;
    for (size_t i = 0; i <= n; i++) {
        if (i < n && s[i] != '.')
            continue;
        if (!is_label(s + start, i - start, any_case))
            return false;
        digits = true;
        for (size_t k = start; k < i; k++)
            digits = digits && is_digit(s[k]);
        start = i + 1;
    }
    return !digits;
}

/* A host a client can dial: IPv4, IPv6 or a DNS name (any case). */
static bool is_host(const char *s, bool *ipv6)
{
    unsigned char addr[16];

    *ipv6 = false;
    if (strlen(s) > SC_HOST_MAX)
        return false;
    if (inet_pton(AF_INET, s, addr) == 1)
        return true;
    if (inet_pton(AF_INET6, s, addr) == 1) {
        *ipv6 = true;
        return true;
    }
    return is_dns_name(s, true);
}

/* A Kubernetes label value (what a rack comes from): at most 63 bytes of
 * alphanumerics, '-', '_' and '.', beginning and ending alphanumeric. */
static bool is_label_value(const char *s)
{
    size_t n = strlen(s);

    if (n == 0 || n > 63 || !is_alnum(s[0]) || !is_alnum(s[n - 1]))
        return false;
    for (size_t i = 0; i < n; i++)
        if (!is_alnum(s[i]) && s[i] != '-' && s[i] != '_' && s[i] != '.')
            return false;
    return true;
}

static bool is_config_key(const char *s)
{
    size_t n = strlen(s);

    if (n == 0 || n > CONFIG_KEY_MAX)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!is_alnum(s[i]) && s[i] != '.' && s[i] != '_' && s[i] != '-')
            return false;
    return true;
}

size_t sc_utf8_next(const char *s, size_t len, unsigned *cp)
{
    const unsigned char *u = (const unsigned char *)s;
    unsigned c;
    size_t n;

    if (len == 0)
        return 0;
    if (u[0] < 0x80) {
        *cp = u[0];
        return 1;
    }
    if (u[0] >= 0xc2 && u[0] <= 0xdf) {
        n = 2;
        c = u[0] & 0x1f;
    } else if (u[0] >= 0xe0 && u[0] <= 0xef) {
        n = 3;
        c = u[0] & 0x0f;
    } else if (u[0] >= 0xf0 && u[0] <= 0xf4) {
        n = 4;
        c = u[0] & 0x07;
    } else {
        return 0;
    }
    if (len < n)
        return 0;
    for (size_t i = 1; i < n; i++) {
        if ((u[i] & 0xc0) != 0x80)
            return 0;
        c = (c << 6) | (u[i] & 0x3f);
    }
    /* Overlong forms, UTF-16 surrogates and code points past U+10FFFF. */
    if ((n == 3 && c < 0x800) || (n == 4 && c < 0x10000) || c > 0x10ffff ||
        (c >= 0xd800 && c <= 0xdfff))
        return 0;
    *cp = c;
    return n;
}

static bool is_utf8(const char *s)
{
    size_t len = strlen(s), k;
    unsigned cp;

    for (size_t i = 0; i < len; i += k)
        if ((k = sc_utf8_next(s + i, len - i, &cp)) == 0)
            return false;
    return true;
}

/* ---- typed members ---- */

/* An integer member in [min, max]. Absent: 1 if optional, else an error. */
static int get_int(const cJSON *obj, const char *key, long min, long max, bool optional, long *out,
                   const where *w, util_err *err)
{
    const cJSON *j = cJSON_GetObjectItemCaseSensitive(obj, key);
    double v;

    if (j == NULL) {
        if (optional)
            return 1;
        return fail(err, w, key, "missing (an integer from %ld to %ld)", min, max);
    }
    if (!cJSON_IsNumber(j))
        return fail(err, w, key, "must be an integer from %ld to %ld, got %s", min, max,
                    kind_of(j));
    v = j->valuedouble;
    if (!(v >= (double)min && v <= (double)max) || v != (double)(long)v)
        return fail(err, w, key, "must be an integer from %ld to %ld, got %.17g", min, max, v);
    *out = (long)v;
    return 0;
}

/* A string member. Absent or null: *out = NULL and 1 if optional. */
static int get_str(const cJSON *obj, const char *key, bool optional, const char **out,
                   const where *w, util_err *err)
{
    const cJSON *j = cJSON_GetObjectItemCaseSensitive(obj, key);

    *out = NULL;
    if (j == NULL || (optional && cJSON_IsNull(j))) {
        if (optional)
            return 1;
        return fail(err, w, key, "missing (a string)");
    }
    if (!cJSON_IsString(j) || j->valuestring == NULL)
        return fail(err, w, key, "must be a string, got %s", kind_of(j));
    *out = j->valuestring;
    return 0;
}

/* An object member. Absent or null: *out = NULL, which is fine if optional. */
static int get_obj(const cJSON *obj, const char *key, bool optional, const cJSON **out,
                   const where *w, util_err *err)
{
    const cJSON *j = cJSON_GetObjectItemCaseSensitive(obj, key);

    *out = NULL;
    if (j == NULL || cJSON_IsNull(j)) {
        if (optional)
            return 0;
        return fail(err, w, key, "missing (an object)");
    }
    if (!cJSON_IsObject(j))
        return fail(err, w, key, "must be an object, got %s", kind_of(j));
    *out = j;
    return 0;
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
        util_err_set(err, "%s: must be a JSON object, got %s", name, kind_of(*out));
        cJSON_Delete(*out);
        *out = NULL;
        return -1;
    }
    return 0;
}

static int parse_listener(const cJSON *j, size_t idx, sc_model *m, const char **tmpl, util_err *err)
{
    sc_listener *l = &m->listeners[idx];
    const char *s;
    long port;
    size_t i;
    where w = {"", ""};

    where_at(&w, "cluster.json");
    where_prefix(&w, "listeners[%zu].", idx);
    *tmpl = NULL;
    if (!cJSON_IsObject(j))
        return fail(err, &w, NULL, "must be an object, got %s", kind_of(j));
    if (get_str(j, "name", false, &s, &w, err) != 0)
        return -1;
    if (!is_dns_label(s, sizeof l->name - 1))
        return fail(err, &w, "name",
                    "\"%.64s\" is not a lower-case DNS label of at most %zu characters", s,
                    sizeof l->name - 1);
    if (strcmp(s, "controller") == 0 || strcmp(s, "replication") == 0)
        return fail(err, &w, "name", "\"%s\" is reserved for berth's own listener", s);
    snprintf(l->name, sizeof l->name, "%s", s);
    for (i = 0; s[i] != '\0'; i++)
        l->upper[i] = (char)(s[i] >= 'a' && s[i] <= 'z' ? s[i] - 'a' + 'A' : s[i]);
    l->upper[i] = '\0';

    if (get_int(j, "port", 1, 65535, false, &port, &w, err) != 0)
        return -1;
    l->port = (int)port;

    if (get_str(j, "type", false, &s, &w, err) != 0)
        return -1;
    for (i = 0; i < COUNT(listener_types); i++)
        if (strcmp(s, listener_types[i].name) == 0)
            break;
    if (i == COUNT(listener_types))
        return fail(err, &w, "type",
                    "\"%.64s\" is not one of internal, nodeport, loadbalancer, hostport", s);
    l->type = listener_types[i].type;

    if (get_str(j, "securityProtocol", false, &s, &w, err) != 0)
        return -1;
    for (i = 0; i < COUNT(protocols); i++)
        if (strcmp(s, protocols[i]) == 0)
            break;
    if (i == COUNT(protocols))
        return fail(err, &w, "securityProtocol",
                    "\"%.64s\" is not one of PLAINTEXT, SSL, SASL_PLAINTEXT, SASL_SSL", s);
    snprintf(l->protocol, sizeof l->protocol, "%s", protocols[i]);
    l->tls = strstr(l->protocol, "SSL") != NULL;

    if (get_str(j, "saslMechanism", true, &s, &w, err) < 0)
        return -1;
    if (strncmp(l->protocol, "SASL_", 5) == 0) {
        if (s == NULL)
            return fail(err, &w, "saslMechanism", "missing (needed with securityProtocol %s)",
                        l->protocol);
        for (i = 0; i < COUNT(mechanisms); i++)
            if (strcmp(s, mechanisms[i]) == 0)
                break;
        if (i == COUNT(mechanisms))
            return fail(err, &w, "saslMechanism",
                        "\"%.64s\" is not one of PLAIN, SCRAM-SHA-256, SCRAM-SHA-512", s);
        snprintf(l->mechanism, sizeof l->mechanism, "%s", mechanisms[i]);
    } else if (s != NULL) {
        return fail(err, &w, "saslMechanism", "not allowed with securityProtocol %s", l->protocol);
    }

    {
        const cJSON *cc = cJSON_GetObjectItemCaseSensitive(j, "clusterCert");

        if (cc != NULL && !cJSON_IsBool(cc))
            return fail(err, &w, "clusterCert", "must be true or false, got %s", kind_of(cc));
        l->cluster_cert = cJSON_IsTrue(cc);
        if (l->cluster_cert && !l->tls)
            return fail(err, &w, "clusterCert", "needs securityProtocol SSL or SASL_SSL, not %s",
                        l->protocol);
    }

    if (get_str(j, "hostTemplate", true, tmpl, &w, err) < 0)
        return -1;
    if (*tmpl != NULL) {
        if (l->type == SC_LISTENER_INTERNAL)
            return fail(err, &w, "hostTemplate",
                        "not allowed on an internal listener (it advertises pod DNS names)");
        if (strstr(*tmpl, "{id}") == NULL)
            return fail(err, &w, "hostTemplate", "\"%.64s\" does not contain {id}", *tmpl);
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
    where w = {"", ""};

    *out = NULL;
    *n = 0;
    where_at(&w, "cluster.json");
    if (get_obj(root, "config", true, &cfg, &w, err) != 0)
        return -1;
    if (cfg == NULL)
        return 0;
    cJSON_ArrayForEach(e, cfg) count++;
    if (count > SC_MAX_CONFIG)
        return fail(err, &w, "config", "%zu keys, more than the %d allowed", count, SC_MAX_CONFIG);
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
        where_prefix(&w, "config[\"%.48s\"]", k);
        if (broker_key_owned(k)) {
            fail(err, &w, NULL, "set by berth itself; not allowed here");
            goto bad;
        }
        if (!cJSON_IsString(e) || e->valuestring == NULL) {
            fail(err, &w, NULL, "must be a string, got %s", kind_of(e));
            goto bad;
        }
        if (strlen(e->valuestring) > CONFIG_VALUE_MAX) {
            fail(err, &w, NULL, "value longer than %d bytes", CONFIG_VALUE_MAX);
            goto bad;
        }
        if (!is_utf8(e->valuestring)) {
            fail(err, &w, NULL, "value is not valid UTF-8");
            goto bad;
        }
        v[i].key = k;
        v[i].value = e->valuestring;
        i++;
    }
    qsort(v, count, sizeof *v, cmp_config);
    for (i = 1; i < count; i++)
        if (strcmp(v[i - 1].key, v[i].key) == 0) {
            where_prefix(&w, "config[\"%.48s\"]", v[i].key);
            fail(err, &w, NULL, "given twice");
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
    where w = {"", ""};

    *listed = false;
    where_at(&w, "cluster.json");
    if (a == NULL || cJSON_IsNull(a))
        return 0;
    if (!cJSON_IsArray(a))
        return fail(err, &w, key, "must be an array of voter ids, got %s", kind_of(a));
    cJSON_ArrayForEach(e, a)
    {
        double v = cJSON_IsNumber(e) ? e->valuedouble : -1;

        if (i >= SC_MAX_CONTROLLERS)
            return fail(err, &w, key, "more than %d entries", SC_MAX_CONTROLLERS);
        if (!cJSON_IsNumber(e) || !(v >= 0 && v < m->controllers) || v != (double)(int)v)
            return util_err_set(err,
                                "cluster.json: %s[%zu]: must be a voter id from 0 to %d, got %s",
                                key, i, m->controllers - 1, kind_of(e));
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
    where w = {"", ""};

    where_at(&w, "cluster.json");
    if (get_obj(root, "clusterTLS", true, &t, &w, err) != 0)
        return -1;
    if (t == NULL)
        return 0;
    where_prefix(&w, "clusterTLS.");
    if (get_str(t, "secret", false, &secret, &w, err) != 0)
        return -1;
    if (!is_dns_name(secret, false))
        return fail(err, &w, "secret", "\"%.64s\" is not a Secret's name", secret);
    if (get_int(t, "replicationPort", 1, 65535, false, &v, &w, err) != 0)
        return -1;
    for (size_t i = 0; i < nlisteners; i++)
        if (m->listeners[i].port == v)
            return fail(err, &w, "replicationPort", "%ld is also the port of listeners[%zu]", v, i);
    if (v == m->controller_port || (m->flavor == SC_FLAVOR_REDPANDA && v == SC_REDPANDA_ADMIN_PORT))
        return fail(err, &w, "replicationPort", "%ld is already taken by the %s", v,
                    v == m->controller_port ? "controllerPort" : "admin API");
    m->replication_port = (int)v;
    snprintf(out->cluster_tls_secret, sizeof out->cluster_tls_secret, "%s", secret);
    return 0;
}

static int parse_cluster(const cJSON *root, sc_model *m, sc_render_result *out, const char **tmpls,
                         util_err *err)
{
    const cJSON *a, *e;
    const char *s;
    long v;
    size_t n = 0, internals = 0;
    where w = {"", ""};

    where_at(&w, "cluster.json");
    if (get_str(root, "name", false, &m->name, &w, err) != 0)
        return -1;
    if (!is_dns_label(m->name, 63))
        return fail(err, &w, "name", "\"%.64s\" is not a lower-case DNS label", m->name);
    if (get_str(root, "namespace", false, &m->namespace, &w, err) != 0)
        return -1;
    if (!is_dns_label(m->namespace, 63))
        return fail(err, &w, "namespace", "\"%.64s\" is not a lower-case DNS label", m->namespace);
    snprintf(out->cluster, sizeof out->cluster, "%s", m->name);
    snprintf(out->namespace, sizeof out->namespace, "%s", m->namespace);

    if (get_str(root, "flavor", false, &s, &w, err) != 0)
        return -1;
    if (strcmp(s, "kafka") == 0)
        m->flavor = SC_FLAVOR_KAFKA;
    else if (strcmp(s, "redpanda") == 0)
        m->flavor = SC_FLAVOR_REDPANDA;
    else
        return fail(err, &w, "flavor", "\"%.64s\" is not kafka or redpanda", s);
    out->flavor = m->flavor;

    if (m->flavor == SC_FLAVOR_KAFKA) {
        if (get_str(root, "clusterID", false, &s, &w, err) != 0)
            return -1;
        n = strlen(s);
        for (size_t i = 0; i < n; i++)
            if (!is_alnum(s[i]) && s[i] != '-' && s[i] != '_')
                n = 0;
        if (n != 22)
            return fail(err, &w, "clusterID",
                        "\"%.64s\" is not a Kafka cluster ID (22 characters of URL-safe "
                        "base64)",
                        s);
        snprintf(out->cluster_id, sizeof out->cluster_id, "%s", s);
    }

    if (get_int(root, "controllers", 1, SC_MAX_CONTROLLERS, false, &v, &w, err) != 0)
        return -1;
    m->controllers = (int)v;
    if (get_str(root, "clusterDomain", false, &m->domain, &w, err) != 0)
        return -1;
    if (!is_dns_name(m->domain, false))
        return fail(err, &w, "clusterDomain", "\"%.64s\" is not a lower-case DNS name", m->domain);
    if (get_int(root, "controllerPort", 1, 65535, false, &v, &w, err) != 0)
        return -1;
    m->controller_port = (int)v;

    a = cJSON_GetObjectItemCaseSensitive(root, "listeners");
    if (!cJSON_IsArray(a))
        return fail(err, &w, "listeners", "must be an array of listeners, got %s", kind_of(a));
    n = 0;
    cJSON_ArrayForEach(e, a)
    {
        if (n == SC_MAX_LISTENERS)
            return fail(err, &w, "listeners", "more than %d listeners", SC_MAX_LISTENERS);
        if (parse_listener(e, n, m, &tmpls[n], err) != 0)
            return -1;
        where_prefix(&w, "listeners[%zu].", n);
        for (size_t k = 0; k < n; k++) {
            if (strcmp(m->listeners[k].name, m->listeners[n].name) == 0)
                return fail(err, &w, "name", "\"%s\" is also the name of listeners[%zu]",
                            m->listeners[n].name, k);
            if (m->listeners[k].port == m->listeners[n].port)
                return fail(err, &w, "port", "%d is also the port of listeners[%zu]",
                            m->listeners[n].port, k);
        }
        if (m->listeners[n].port == m->controller_port)
            return fail(err, &w, "port", "%d is also the controllerPort", m->controller_port);
        if (m->flavor == SC_FLAVOR_REDPANDA && m->listeners[n].port == SC_REDPANDA_ADMIN_PORT)
            return fail(err, &w, "port", "%d is Redpanda's admin API port", SC_REDPANDA_ADMIN_PORT);
        if (m->listeners[n].type == SC_LISTENER_INTERNAL) {
            internals++;
            m->internal = n;
        }
        n++;
    }
    where_prefix(&w, "%s", "");
    if (n == 0)
        return fail(err, &w, "listeners", "empty; exactly one internal listener is needed");
    if (parse_cluster_tls(root, m, n, out, err) != 0)
        return -1;
    for (size_t i = 0; i < n; i++)
        if (m->listeners[i].cluster_cert && m->replication_port == 0) {
            where_prefix(&w, "listeners[%zu].", i);
            return fail(err, &w, "clusterCert", "needs clusterTLS (the cluster CA's Secret)");
        }
    if (internals != 1)
        return fail(err, &w, "listeners",
                    "%zu listeners have type internal; exactly one must (it carries "
                    "inter-broker traffic)",
                    internals);
    if (m->flavor == SC_FLAVOR_REDPANDA && m->controller_port == SC_REDPANDA_ADMIN_PORT)
        return fail(err, &w, "controllerPort", "%d is Redpanda's admin API port",
                    SC_REDPANDA_ADMIN_PORT);
    m->nlisteners = n;
    return 0;
}

/* ---- broker id ---- */

int sc_broker_id_from_pod(const char *cluster, const char *pod, int *id, util_err *err)
{
    size_t cl = strlen(cluster), pl = strlen(pod), digits;
    long v = 0;

    *id = -1;
    if (pl <= cl + 1 || strncmp(pod, cluster, cl) != 0 || pod[cl] != '-')
        return util_err_set(err, "pod name \"%.64s\" is not \"%.64s-<ordinal>\"", pod, cluster);
    digits = pl - cl - 1;
    for (size_t i = cl + 1; i < pl; i++) {
        if (!is_digit(pod[i]))
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

/* ---- addresses ---- */

void sc_pod_dns(const sc_model *m, int id, char *buf, size_t size)
{
    snprintf(buf, size, "%s-%d.%s-brokers.%s.svc.%s", m->name, id, m->name, m->namespace,
             m->domain);
}

/* Appends one reason to wait to the list in *why. */
static void wait_for(sc_strbuf *why, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void wait_for(sc_strbuf *why, const char *fmt, ...)
{
    char msg[384];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (why->len > 0)
        sc_strbuf_append(why, "; ");
    sc_strbuf_append(why, msg);
}

/* The template with every "{id}" replaced. */
static int expand_template(const char *tmpl, int id, char *buf, size_t size)
{
    size_t n = 0;
    int k;

    for (const char *p = tmpl; *p != '\0';) {
        if (strncmp(p, "{id}", 4) == 0) {
            k = snprintf(buf + n, size - n, "%d", id);
            if (k < 0 || (size_t)k >= size - n)
                return -1;
            n += (size_t)k;
            p += 4;
        } else {
            if (n + 1 >= size)
                return -1;
            buf[n++] = *p++;
        }
    }
    buf[n] = '\0';
    return 0;
}

/* Fills each listener's advertised host and port. Addresses not known yet
 * go to why; wrong ones are errors. node and broker may be NULL (absent). */
static int resolve(sc_model *m, const char *const *tmpls, const cJSON *node, const char *node_name,
                   const cJSON *broker, sc_strbuf *why, util_err *err)
{
    const cJSON *addrs = NULL;
    char dns[512];
    where nw = {"", ""}, bw = {"", ""};

    where_at(&nw, "nodes.json: node \"%s\"", node_name);
    where_at(&bw, "brokers.json: broker \"%d\"", m->broker_id);
    if (node != NULL && get_obj(node, "addresses", true, &addrs, &nw, err) != 0)
        return -1;
    where_prefix(&nw, "addresses.");
    sc_pod_dns(m, m->broker_id, dns, sizeof dns);
    if (strlen(dns) > SC_HOST_MAX)
        return util_err_set(err, "cluster.json: the pod DNS name %.64s... is longer than %d bytes",
                            dns, SC_HOST_MAX);

    for (size_t i = 0; i < m->nlisteners; i++) {
        sc_listener *l = &m->listeners[i];
        const cJSON *entry = NULL;
        const char *host = NULL;
        long port = l->port;
        int rc = 1;

        if (l->type == SC_LISTENER_INTERNAL) {
            snprintf(l->adv_host, sizeof l->adv_host, "%.253s", dns);
            l->adv_port = l->port;
            continue;
        }
        where_prefix(&bw, "%s", "");
        if (broker != NULL && get_obj(broker, l->name, true, &entry, &bw, err) != 0)
            return -1;
        where_prefix(&bw, "%s.", l->name);

        /* The port: brokers.json's if given; a node port has no default. */
        if (entry != NULL && (rc = get_int(entry, "port", 1, 65535, true, &port, &bw, err)) < 0)
            return -1;
        if (rc == 1 && l->type == SC_LISTENER_NODEPORT)
            wait_for(why, "broker %d has no node port for listener \"%s\" in brokers.json yet",
                     m->broker_id, l->name);
        l->adv_port = (int)port;

        /* The host: the template, the load balancer's ingress or the node's
         * address. */
        if (tmpls[i] != NULL) {
            if (expand_template(tmpls[i], m->broker_id, l->adv_host, sizeof l->adv_host) != 0 ||
                !is_dns_name(l->adv_host, false))
                return util_err_set(err,
                                    "cluster.json: listeners[%zu].hostTemplate: \"%.64s\" "
                                    "does not give a lower-case DNS name for broker %d",
                                    i, tmpls[i], m->broker_id);
            continue;
        }
        if (l->type == SC_LISTENER_LOADBALANCER) {
            if (entry != NULL && get_str(entry, "host", true, &host, &bw, err) < 0)
                return -1;
            if (host == NULL || host[0] == '\0') {
                wait_for(why, "load balancer of listener \"%s\" for broker %d has no ingress yet",
                         l->name, m->broker_id);
                continue;
            }
            if (!is_host(host, &l->adv_host_ipv6))
                return fail(err, &bw, "host", "\"%.64s\" is not an IP address or DNS name", host);
        } else {
            if (node == NULL)
                continue; /* reported once by the caller */
            if (addrs != NULL && get_str(addrs, l->name, true, &host, &nw, err) < 0)
                return -1;
            if (host == NULL || host[0] == '\0') {
                wait_for(why, "node \"%s\" has no address for listener \"%s\" yet", node_name,
                         l->name);
                continue;
            }
            if (!is_host(host, &l->adv_host_ipv6))
                return fail(err, &nw, l->name, "\"%.64s\" is not an IP address or DNS name", host);
        }
        snprintf(l->adv_host, sizeof l->adv_host, "%s", host);
    }
    return 0;
}

/* The node's rack, if it has one. */
static int parse_rack(const cJSON *node, const char *node_name, sc_model *m, util_err *err)
{
    const char *rack;
    where w = {"", ""};

    where_at(&w, "nodes.json: node \"%s\"", node_name);
    if (get_str(node, "rack", true, &rack, &w, err) < 0)
        return -1;
    if (rack == NULL || rack[0] == '\0')
        return 0;
    if (!is_label_value(rack))
        return fail(err, &w, "rack", "\"%.64s\" is not a Kubernetes label value", rack);
    snprintf(m->rack, sizeof m->rack, "%s", rack);
    return 0;
}

/* ---- the pod's own inputs ---- */

/* A directory that ends up in the file: absolute, and nothing that would need
 * quoting in a properties or YAML value or split a list. */
static int check_dir(const char *what, const char *dir, util_err *err)
{
    for (const char *p = dir; *p != '\0'; p++)
        if (!is_alnum(*p) && strchr("/._-", *p) == NULL)
            return util_err_set(err,
                                "%s \"%.64s\" must be an absolute path of letters, digits, "
                                "'/', '.', '_' and '-'",
                                what, dir);
    if (dir[0] != '/' || strlen(dir) > 512)
        return util_err_set(err, "%s \"%.64s\" must be an absolute path of at most 512 bytes", what,
                            dir);
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
            if (i == 0 && !is_alnum(*p) && strchr("._@-", *p) == NULL)
                return util_err_set(err, "SASL username: only letters, digits, '.', '_', '@' and "
                                         "'-' are allowed");
        }
    }
    m->sasl_username = in->sasl_username;
    m->sasl_password = in->sasl_password;
    return 0;
}

void sc_tls_bundle_path(const char *config_dir, const char *listener, char *buf, size_t size)
{
    snprintf(buf, size, "%s/tls/%s-keystore.pem", config_dir, listener);
}

void sc_tls_ca_path(const char *config_dir, const char *listener, char *buf, size_t size)
{
    snprintf(buf, size, "%s/tls/%s-ca.pem", config_dir, listener);
}

void sc_cluster_tls_path(const char *config_dir, const char *file, char *buf, size_t size)
{
    snprintf(buf, size, "%s/" SC_CLUSTER_TLS_SUBDIR "/%s", config_dir, file);
}

/* ---- the whole ---- */

int sc_render(const sc_render_input *in, sc_render_result *out, util_err *err)
{
    cJSON *cluster = NULL, *nodes = NULL, *brokers = NULL;
    const cJSON *node = NULL, *broker = NULL;
    const char *tmpls[SC_MAX_LISTENERS] = {0};
    sc_config_entry *config = NULL;
    sc_strbuf why = SC_STRBUF_INIT, text = SC_STRBUF_INIT;
    sc_model m;
    char key[16];
    int rc = -1;
    where w = {"", ""};

    memset(out, 0, sizeof *out);
    out->broker_id = -1;
    memset(&m, 0, sizeof m);
    if (in->pod_name == NULL || in->node_name == NULL)
        return util_err_set(err, "the pod name and the node name are needed");
    if (!is_dns_name(in->node_name, false))
        return util_err_set(err, "node name \"%.64s\" is not a lower-case DNS name", in->node_name);
    if (parse_doc("cluster.json", in->cluster_json, &cluster, err) != 0 ||
        parse_doc("nodes.json", in->nodes_json, &nodes, err) != 0 ||
        parse_doc("brokers.json", in->brokers_json, &brokers, err) != 0)
        goto out;
    if (parse_cluster(cluster, &m, out, tmpls, err) != 0)
        goto out;
    if (sc_broker_id_from_pod(m.name, in->pod_name, &m.broker_id, err) != 0)
        goto out;
    m.voter = m.flavor == SC_FLAVOR_KAFKA && m.broker_id < m.controllers;
    if (parse_voter_list(cluster, "formattedVoters", &m, &out->formatted_voter, err) != 0 ||
        parse_voter_list(cluster, "reformatVoters", &m, &out->reformat_allowed, err) != 0 ||
        parse_config(cluster, &config, &m.nconfig, err) != 0)
        goto out;
    m.config = config;
    m.data_dir = in->data_dir != NULL ? in->data_dir : sc_flavor_data_dir(m.flavor);
    if (check_dir("data directory", m.data_dir, err) != 0)
        goto out;
    m.config_dir = in->config_dir != NULL ? in->config_dir : SC_CONFIG_DIR;
    m.tls_dir = in->tls_dir != NULL ? in->tls_dir : SC_TLS_DIR;
    if (check_dir("config directory", m.config_dir, err) != 0 ||
        check_dir("TLS directory", m.tls_dir, err) != 0 || check_login(in, &m, err) != 0)
        goto out;
    out->broker_id = m.broker_id;
    out->voter = m.voter;
    sc_pod_dns(&m, m.broker_id, out->pod_dns, sizeof out->pod_dns);
    for (size_t i = 0; i < m.nlisteners; i++)
        if (m.listeners[i].tls && !m.listeners[i].cluster_cert)
            snprintf(out->tls_listeners[out->ntls++], sizeof out->tls_listeners[0], "%s",
                     m.listeners[i].name);

    node = cJSON_GetObjectItemCaseSensitive(nodes, in->node_name);
    where_at(&w, "nodes.json");
    if (node != NULL && !cJSON_IsObject(node)) {
        fail(err, &w, NULL, "node \"%s\" must be an object, got %s", in->node_name, kind_of(node));
        goto out;
    }
    snprintf(key, sizeof key, "%d", m.broker_id);
    broker = cJSON_GetObjectItemCaseSensitive(brokers, key);
    where_at(&w, "brokers.json");
    if (broker != NULL && !cJSON_IsNull(broker) && !cJSON_IsObject(broker)) {
        fail(err, &w, NULL, "broker \"%s\" must be an object, got %s", key, kind_of(broker));
        goto out;
    }
    if (node != NULL && parse_rack(node, in->node_name, &m, err) != 0)
        goto out;
    if (resolve(&m, tmpls, node, in->node_name, cJSON_IsObject(broker) ? broker : NULL, &why,
                err) != 0)
        goto out;
    if (node == NULL)
        wait_for(&why, "node \"%s\" is not in nodes.json yet", in->node_name);
    if (why.len > 0 || why.oom) {
        util_err_set(err, "%s", why.oom ? "out of memory" : why.data);
        rc = why.oom ? -1 : SC_RENDER_WAITING;
        goto out;
    }

    for (size_t i = 0; i < m.nlisteners; i++)
        if (m.listeners[i].cluster_cert)
            snprintf(out->cert_hosts[out->ncert_hosts++], sizeof out->cert_hosts[0], "%s",
                     m.listeners[i].adv_host);

    if (m.flavor == SC_FLAVOR_KAFKA) {
        sc_strbuf jvm = SC_STRBUF_INIT;

        sc_render_kafka(&m, &text);
        sc_render_kafka_java_security(&m, &jvm);
        out->java_security = sc_strbuf_take(&jvm);
        if (out->java_security == NULL) {
            util_err_set(err, "rendering: out of memory");
            goto out;
        }
    } else {
        sc_strbuf boot = SC_STRBUF_INIT;

        sc_render_redpanda(&m, &text);
        sc_render_redpanda_bootstrap(&m, &boot);
        out->bootstrap = sc_strbuf_take(&boot);
        if (out->bootstrap == NULL) {
            util_err_set(err, "rendering: out of memory");
            goto out;
        }
    }
    out->text = sc_strbuf_take(&text);
    if (out->text == NULL) {
        util_err_set(err, "rendering: out of memory");
        goto out;
    }
    rc = 0;
out:
    sc_strbuf_reset(&why);
    sc_strbuf_reset(&text);
    free(config);
    cJSON_Delete(cluster);
    cJSON_Delete(nodes);
    cJSON_Delete(brokers);
    return rc;
}

void sc_render_result_clear(sc_render_result *out)
{
    if (out == NULL)
        return;
    free(out->text);
    out->text = NULL;
    free(out->bootstrap);
    out->bootstrap = NULL;
    free(out->java_security);
    out->java_security = NULL;
}

const char *sc_flavor_name(sc_flavor f)
{
    return f == SC_FLAVOR_REDPANDA ? "redpanda" : "kafka";
}

const char *sc_flavor_data_dir(sc_flavor f)
{
    return f == SC_FLAVOR_REDPANDA ? SC_REDPANDA_DATA_DIR : SC_KAFKA_DATA_DIR;
}
