/* The ConfigMap "<c>-brokers": everything a broker pod's init step needs to
 * render its configuration, in the three JSON documents docs/addressing.md
 * defines (cluster.json, nodes.json, brokers.json). It carries the address
 * of every eligible node rather than of the nodes brokers run on now, so a
 * pod rescheduled anywhere finds its new node's address without waiting for
 * the operator to notice the move.
 *
 * It also keeps the Kafka cluster ID: generated once, read back from here
 * on every later reconcile, and never regenerated while this object
 * exists. */
#include <openssl/rand.h>
#include <stdlib.h>
#include <string.h>

#include "address.h"
#include "cluster_tls.h"
#include "desired.h"

static const char *security_protocol(const op_listener *l)
{
    if (l->auth != NULL)
        return l->tls ? "SASL_SSL" : "SASL_PLAINTEXT";
    return l->tls ? "SSL" : "PLAINTEXT";
}

/* The CRD's authentication.type as Kafka names the SASL mechanism. */
static const char *sasl_mechanism(const char *auth)
{
    if (strcmp(auth, "scram-sha-256") == 0)
        return "SCRAM-SHA-256";
    if (strcmp(auth, "scram-sha-512") == 0)
        return "SCRAM-SHA-512";
    return "PLAIN";
}

static cJSON *cluster_doc(const op_cluster *c, const op_options *o, const char *cluster_id)
{
    cJSON *d = cJSON_CreateObject(), *ls;

    cJSON_AddStringToObject(d, "name", c->name);
    cJSON_AddStringToObject(d, "namespace", c->namespace);
    cJSON_AddStringToObject(d, "flavor", op_flavor_name(c->flavor));
    if (c->flavor == OP_FLAVOR_KAFKA)
        cJSON_AddStringToObject(d, "clusterID", cluster_id);
    cJSON_AddNumberToObject(d, "controllers", c->controllers);
    cJSON_AddStringToObject(d, "clusterDomain", o->cluster_domain);
    cJSON_AddNumberToObject(d, "controllerPort", c->controller_port);
    {
        cJSON *t = cJSON_AddObjectToObject(d, "clusterTLS");
        char secret[OP_NAME_MAX + 32];

        cJSON_AddStringToObject(t, "secret",
                                op_name(c, OP_CERTS_SECRET_SUFFIX, secret, sizeof secret));
        cJSON_AddNumberToObject(t, "replicationPort", c->replication_port);
    }
    ls = cJSON_AddArrayToObject(d, "listeners");
    for (int i = 0; i < c->nlisteners; i++) {
        const op_listener *l = &c->listeners[i];
        cJSON *e = cJSON_CreateObject();

        cJSON_AddStringToObject(e, "name", l->name);
        cJSON_AddNumberToObject(e, "port", l->port);
        cJSON_AddStringToObject(e, "type", op_listener_type_name(l->type));
        cJSON_AddStringToObject(e, "securityProtocol", security_protocol(l));
        if (l->auth != NULL)
            cJSON_AddStringToObject(e, "saslMechanism", sasl_mechanism(l->auth));
        if (l->host_template != NULL)
            cJSON_AddStringToObject(e, "hostTemplate", l->host_template);
        if (l->tls && l->tls_secret == NULL)
            cJSON_AddBoolToObject(e, "clusterCert", 1);
        cJSON_AddItemToArray(ls, e);
    }
    cJSON_AddItemToObject(d, "config",
                          c->config != NULL ? cJSON_Duplicate(c->config, 1) : cJSON_CreateObject());
    return d;
}

static const char *node_name(const cJSON *node)
{
    const cJSON *m = cJSON_GetObjectItemCaseSensitive(node, "metadata");
    const cJSON *n = cJSON_GetObjectItemCaseSensitive(m, "name");

    return cJSON_IsString(n) ? n->valuestring : NULL;
}

static const char *node_label(const cJSON *node, const char *key)
{
    const cJSON *m = cJSON_GetObjectItemCaseSensitive(node, "metadata");
    const cJSON *l = cJSON_GetObjectItemCaseSensitive(m, "labels");
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(l, key);

    return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* Whether a broker may run on node at all (spec.nodeSelector); nodes that
 * cannot host one are left out to keep the ConfigMap small. */
static bool node_eligible(const op_cluster *c, const cJSON *node)
{
    const cJSON *e;

    if (c->node_selector == NULL)
        return true;
    cJSON_ArrayForEach(e, c->node_selector)
    {
        const char *v = node_label(node, e->string);

        if (v == NULL || !cJSON_IsString(e) || strcmp(v, e->valuestring) != 0)
            return false;
    }
    return true;
}

static int by_name(const void *a, const void *b)
{
    return strcmp(node_name(*(const cJSON *const *)a), node_name(*(const cJSON *const *)b));
}

static cJSON *nodes_doc(const op_cluster *c, const cJSON *nodes)
{
    cJSON *d = cJSON_CreateObject();
    const cJSON **v = NULL, *n;
    size_t count = 0, cap = (size_t)cJSON_GetArraySize(nodes);

    if (cap > 0 && (v = calloc(cap, sizeof *v)) == NULL)
        return d;
    cJSON_ArrayForEach(n, nodes)
    {
        if (node_name(n) != NULL && node_eligible(c, n) && count < cap)
            v[count++] = n;
    }
    if (count > 1)
        qsort(v, count, sizeof *v, by_name);
    for (size_t i = 0; i < count; i++) {
        cJSON *e = cJSON_CreateObject(), *addrs;
        const char *rack = node_label(v[i], c->rack_key);

        if (rack != NULL)
            cJSON_AddStringToObject(e, "rack", rack);
        addrs = cJSON_AddObjectToObject(e, "addresses");
        for (int k = 0; k < c->nlisteners; k++) {
            const op_listener *l = &c->listeners[k];
            const char *a;

            if (!op_listener_uses_node_address(l))
                continue;
            if ((a = op_node_address(v[i], l->addr_type, NULL)) != NULL)
                cJSON_AddStringToObject(addrs, l->name, a);
        }
        cJSON_AddItemToObject(d, node_name(v[i]), e);
    }
    free(v);
    return d;
}

/* The live per-broker Service of listener l and broker id, or NULL. */
static const cJSON *find_service(const op_cluster *c, const cJSON *services, const op_listener *l,
                                 int id)
{
    char want[OP_NAME_MAX + 48];
    const cJSON *s;

    snprintf(want, sizeof want, "%s-%d-%s", c->name, id, l->name);
    cJSON_ArrayForEach(s, services)
    {
        const char *n = node_name(s);

        if (n != NULL && strcmp(n, want) == 0)
            return s;
    }
    return NULL;
}

static cJSON *brokers_doc(const op_cluster *c, const cJSON *services)
{
    cJSON *d = cJSON_CreateObject();

    for (int id = 0; id < c->replicas; id++) {
        cJSON *b = cJSON_CreateObject();
        char key[16];

        for (int i = 0; i < c->nlisteners; i++) {
            const op_listener *l = &c->listeners[i];
            cJSON *e;

            if (!op_listener_external(l))
                continue;
            e = cJSON_AddObjectToObject(b, l->name);
            cJSON_AddNumberToObject(e, "port", op_advertised_port(l, id));
            if (l->type == OP_LISTENER_LOADBALANCER && l->host_template == NULL) {
                const cJSON *svc = find_service(c, services, l, id);
                const char *host = svc != NULL ? op_service_ingress(svc) : NULL;

                if (host != NULL)
                    cJSON_AddStringToObject(e, "host", host);
            }
        }
        snprintf(key, sizeof key, "%d", id);
        cJSON_AddItemToObject(d, key, b);
    }
    return d;
}

static int add_doc(cJSON *data, const char *key, cJSON *doc)
{
    char *s = cJSON_PrintUnformatted(doc);

    cJSON_Delete(doc);
    if (s == NULL)
        return -1;
    cJSON_AddStringToObject(data, key, s);
    free(s);
    return 0;
}

cJSON *op_desired_brokers_cm(const op_cluster *c, const op_options *o, const char *cluster_id,
                             const cJSON *nodes, const cJSON *services, util_err *err)
{
    char name[OP_NAME_MAX + 16];
    cJSON *cm, *data;

    if (c->flavor == OP_FLAVOR_KAFKA && cluster_id == NULL) {
        util_err_set(err, "%s-brokers: no cluster ID", c->name);
        return NULL;
    }
    cm = op_object_new(c, "v1", "ConfigMap", op_name(c, "-brokers", name, sizeof name), "config");
    data = cJSON_AddObjectToObject(cm, "data");
    if (add_doc(data, "cluster.json", cluster_doc(c, o, cluster_id)) != 0 ||
        add_doc(data, "nodes.json", nodes_doc(c, nodes)) != 0 ||
        add_doc(data, "brokers.json", brokers_doc(c, services)) != 0) {
        cJSON_Delete(cm);
        util_err_set(err, "%s: out of memory", name);
        return NULL;
    }
    return cm;
}

int op_cluster_id_new(char *buf, size_t size, util_err *err)
{
    static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    unsigned char r[16];

    if (size < 23)
        return util_err_set(err, "cluster ID: buffer too small");
    /* Kafka never hands out an ID whose text starts with '-' (it would read
     * as an option on a command line); draw again when that happens. */
    do {
        size_t o = 0;
        unsigned bits = 0, acc = 0;

        if (RAND_bytes(r, sizeof r) != 1)
            return util_err_set(err, "cluster ID: no random bytes");
        for (size_t i = 0; i < sizeof r; i++) {
            acc = (acc << 8) | r[i];
            bits += 8;
            while (bits >= 6) {
                bits -= 6;
                buf[o++] = b64[(acc >> bits) & 63];
            }
        }
        if (bits > 0)
            buf[o++] = b64[(acc << (6 - bits)) & 63];
        buf[o] = '\0';
    } while (buf[0] == '-');
    return 0;
}

int op_brokers_cm_cluster_id(const cJSON *cm, char *buf, size_t size)
{
    const cJSON *data = cJSON_GetObjectItemCaseSensitive(cm, "data");
    const cJSON *doc = cJSON_GetObjectItemCaseSensitive(data, "cluster.json");
    const cJSON *id;
    cJSON *root;
    size_t n;
    int rc = -1;

    if (doc == NULL)
        return 1;
    if (!cJSON_IsString(doc) || (root = cJSON_Parse(doc->valuestring)) == NULL)
        return -1;
    id = cJSON_GetObjectItemCaseSensitive(root, "clusterID");
    if (id == NULL)
        rc = 1;
    else if (cJSON_IsString(id) && (n = strlen(id->valuestring)) == 22 && n < size &&
             strspn(id->valuestring, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                                     "0123456789-_") == n) {
        memcpy(buf, id->valuestring, n + 1);
        rc = 0;
    }
    cJSON_Delete(root);
    return rc;
}

static cJSON *cluster_json(const cJSON *cm)
{
    const cJSON *data = cJSON_GetObjectItemCaseSensitive(cm, "data");
    const cJSON *doc = cJSON_GetObjectItemCaseSensitive(data, "cluster.json");

    return cJSON_IsString(doc) ? cJSON_Parse(doc->valuestring) : NULL;
}

static unsigned mask_of(const cJSON *a)
{
    const cJSON *e;
    unsigned m = 0;

    cJSON_ArrayForEach(e, a)
    {
        if (cJSON_IsNumber(e) && e->valuedouble >= 0 && e->valuedouble < 9 &&
            e->valuedouble == (double)(int)e->valuedouble)
            m |= 1u << (int)e->valuedouble;
    }
    return m;
}

int op_brokers_cm_voters(const cJSON *cm, op_voters *out)
{
    cJSON *doc = cluster_json(cm);

    out->formatted = out->reformat = 0;
    if (doc == NULL)
        return -1;
    out->formatted = mask_of(cJSON_GetObjectItemCaseSensitive(doc, "formattedVoters"));
    out->reformat = mask_of(cJSON_GetObjectItemCaseSensitive(doc, "reformatVoters"));
    cJSON_Delete(doc);
    return 0;
}

static void put_mask(cJSON *doc, const char *key, unsigned m)
{
    cJSON *a;

    cJSON_DeleteItemFromObjectCaseSensitive(doc, key);
    if (m == 0)
        return;
    a = cJSON_AddArrayToObject(doc, key);
    for (int id = 0; id < 9; id++)
        if (m & (1u << id))
            cJSON_AddItemToArray(a, cJSON_CreateNumber(id));
}

int op_brokers_cm_voters_put(cJSON *cm, const op_voters *v, util_err *err)
{
    cJSON *data = cJSON_GetObjectItemCaseSensitive(cm, "data");
    cJSON *doc = cluster_json(cm);
    char *text;

    if (doc == NULL)
        return util_err_set(err, "cluster.json: unreadable");
    put_mask(doc, "formattedVoters", v->formatted);
    put_mask(doc, "reformatVoters", v->reformat);
    text = cJSON_PrintUnformatted(doc);
    cJSON_Delete(doc);
    if (text == NULL)
        return util_err_set(err, "cluster.json: out of memory");
    cJSON_ReplaceItemInObjectCaseSensitive(data, "cluster.json", cJSON_CreateString(text));
    free(text);
    return 0;
}
