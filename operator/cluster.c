/* Reading a KafkaCluster's spec (see cluster.h): CRD defaults filled in,
 * types and ranges checked again, and the cross-field rules the operator
 * relies on re-checked, so the builders downstream can trust the struct. */
#include "cluster.h"

#include "broker/owned_keys.h"
#include "kube/names.h"
#include "metadata_version.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Kafka's own shutdown after SIGTERM, and what the sidecar needs after the
 * broker exits, live in desired_statefulset.c; this file only reads. */

static const char *const listener_types[] = {"internal", "nodeport", "loadbalancer", "hostport"};
static const char *const addr_types[] = {"ExternalIP", "InternalIP", "Hostname"};

const char *op_flavor_name(op_flavor f)
{
    return f == OP_FLAVOR_REDPANDA ? "redpanda" : "kafka";
}

const char *op_listener_type_name(op_listener_type t)
{
    return listener_types[t];
}

const char *op_addr_type_name(op_addr_type t)
{
    return addr_types[t];
}

bool op_listener_uses_node_address(const op_listener *l)
{
    return (l->type == OP_LISTENER_NODEPORT || l->type == OP_LISTENER_HOSTPORT) &&
           l->host_template == NULL;
}

bool op_listener_external(const op_listener *l)
{
    return l->type != OP_LISTENER_INTERNAL;
}

/* An RFC 1035 label of at most max bytes: a listener's name (it names
 * Service ports and Kafka listeners) or the cluster's (it begins the names
 * of its Services). */
static bool is_short_dns1035_label(const char *s, size_t max)
{
    return kube_is_dns1035_label(s) && strlen(s) <= max;
}

/* An optional string member: 0 with *out set or left alone when absent, -1
 * when present but not a string. */
static int opt_str(const cJSON *obj, const char *key, const char **out, const char *where,
                   util_err *err)
{
    const cJSON *j = obj != NULL ? cJSON_GetObjectItemCaseSensitive(obj, key) : NULL;

    if (j == NULL || cJSON_IsNull(j))
        return 0;
    if (!cJSON_IsString(j))
        return util_err_set(err, "%s%s: must be a string", where, key);
    *out = j->valuestring;
    return 0;
}

/* Reads a memory quantity (string or number) into *q and checks it is from
 * min bytes, spelt least, up to 1Ei: the heap derived from it must fit a
 * long, and anything larger is a typo. */
static int memory_quantity(const cJSON *j, double min, const char *least, const char *where,
                           double *q, util_err *err)
{
    if (op_quantity_of(j, q) == 0 && *q >= min && *q <= 1024.0 * 1024 * 1024 * 1024 * 1024 * 1024)
        return 0;
    if (cJSON_IsString(j))
        return util_err_set(err, "%s: \"%.32s\" is not a quantity from %s to 1Ei", where,
                            j->valuestring, least);
    return util_err_set(err, "%s: must be a quantity from %s to 1Ei", where, least);
}

static int opt_int(const cJSON *obj, const char *key, long lo, long hi, int *out, const char *where,
                   util_err *err)
{
    const cJSON *j = obj != NULL ? cJSON_GetObjectItemCaseSensitive(obj, key) : NULL;

    if (j == NULL || cJSON_IsNull(j))
        return 0;
    if (!cJSON_IsNumber(j) || !(j->valuedouble >= lo && j->valuedouble <= hi) ||
        j->valuedouble != (double)(long)j->valuedouble)
        return util_err_set(err, "%s%s: must be an integer from %ld to %ld", where, key, lo, hi);
    *out = (int)j->valuedouble;
    return 0;
}

static int opt_obj(const cJSON *obj, const char *key, bool array, const cJSON **out,
                   const char *where, util_err *err)
{
    const cJSON *j = obj != NULL ? cJSON_GetObjectItemCaseSensitive(obj, key) : NULL;

    *out = NULL;
    if (j == NULL || cJSON_IsNull(j))
        return 0;
    if (array ? !cJSON_IsArray(j) : !cJSON_IsObject(j))
        return util_err_set(err, "%s%s: must be %s", where, key, array ? "an array" : "an object");
    *out = j;
    return 0;
}

static int parse_enum(const char *s, const char *const *names, int n, const char *field,
                      util_err *err)
{
    for (int i = 0; i < n; i++)
        if (strcmp(s, names[i]) == 0)
            return i;
    return util_err_set(err, "%s: \"%.64s\" is not one of the allowed values", field, s);
}

static int parse_listener(const cJSON *j, int idx, op_listener *l, util_err *err)
{
    char where[48];
    const char *s = NULL;
    const cJSON *o;
    int v;

    snprintf(where, sizeof where, "spec.listeners[%d].", idx);
    memset(l, 0, sizeof *l);
    if (!cJSON_IsObject(j))
        return util_err_set(err, "spec.listeners[%d]: must be an object", idx);
    if (opt_str(j, "name", &s, where, err) != 0)
        return -1;
    if (s == NULL || !is_short_dns1035_label(s, 25) || strcmp(s, "controller") == 0 ||
        strcmp(s, "replication") == 0)
        return util_err_set(err,
                            "%sname: must be a DNS label of at most 25 characters other "
                            "than \"controller\" and \"replication\"",
                            where);
    snprintf(l->name, sizeof l->name, "%s", s);
    l->port = 0;
    if (opt_int(j, "port", 1024, 65535, &l->port, where, err) != 0)
        return -1;
    if (l->port == 0)
        return util_err_set(err, "%sport: required", where);
    s = NULL;
    if (opt_str(j, "type", &s, where, err) != 0)
        return -1;
    if (s == NULL)
        return util_err_set(err, "%stype: required", where);
    if ((v = parse_enum(s, listener_types, 4, "type", err)) < 0)
        return util_err_prefix(err, "spec.listeners[%d]", idx);
    l->type = (op_listener_type)v;
    s = NULL;
    if (opt_str(j, "addressType", &s, where, err) != 0)
        return -1;
    l->addr_type = OP_ADDR_EXTERNAL_IP;
    if (s != NULL) {
        if (l->type != OP_LISTENER_NODEPORT && l->type != OP_LISTENER_HOSTPORT)
            return util_err_set(err,
                                "%saddressType: only allowed on nodeport and hostport "
                                "listeners",
                                where);
        if ((v = parse_enum(s, addr_types, OP_ADDR_TYPES, "addressType", err)) < 0)
            return util_err_prefix(err, "spec.listeners[%d]", idx);
        l->addr_type = (op_addr_type)v;
    }
    if (opt_int(j, "nodePortBase", 30000, 32767, &l->node_port_base, where, err) != 0)
        return -1;
    if ((l->type == OP_LISTENER_NODEPORT) != (l->node_port_base != 0))
        return util_err_set(err,
                            "%snodePortBase: required on nodeport listeners, not allowed "
                            "on others",
                            where);
    if (opt_str(j, "advertisedHostTemplate", &l->host_template, where, err) != 0)
        return -1;
    if (l->host_template != NULL &&
        (l->type == OP_LISTENER_INTERNAL || strstr(l->host_template, "{id}") == NULL))
        return util_err_set(err,
                            "%sadvertisedHostTemplate: must contain {id} and is not "
                            "allowed on internal listeners",
                            where);
    if (opt_obj(j, "tls", false, &o, where, err) != 0 ||
        opt_str(o, "secretName", &l->tls_secret, where, err) != 0)
        return -1;
    l->tls = o != NULL;
    if (l->tls_secret != NULL && l->tls_secret[0] == '\0')
        return util_err_set(err,
                            "%stls.secretName: must not be empty (leave it out for the "
                            "cluster CA's certificate)",
                            where);
    if (opt_obj(j, "authentication", false, &o, where, err) != 0 ||
        opt_str(o, "type", &l->auth, where, err) != 0)
        return -1;
    if (l->auth != NULL && strcmp(l->auth, "none") == 0)
        l->auth = NULL;
    if (l->auth != NULL && strcmp(l->auth, "scram-sha-256") != 0 &&
        strcmp(l->auth, "scram-sha-512") != 0 && strcmp(l->auth, "plain") != 0)
        return util_err_set(err,
                            "%sauthentication.type: \"%.32s\" is not one of the allowed "
                            "values",
                            where, l->auth);
    return 0;
}

static int parse_listeners(const cJSON *spec, op_cluster *c, util_err *err)
{
    const cJSON *a = cJSON_GetObjectItemCaseSensitive(spec, "listeners"), *e;
    int n = 0, internals = 0;

    if (!cJSON_IsArray(a) || cJSON_GetArraySize(a) < 1)
        return util_err_set(err, "spec.listeners: must be a non-empty array");
    if (cJSON_GetArraySize(a) > OP_MAX_LISTENERS)
        return util_err_set(err, "spec.listeners: more than %d listeners", OP_MAX_LISTENERS);
    cJSON_ArrayForEach(e, a)
    {
        op_listener *l = &c->listeners[n];

        if (parse_listener(e, n, l, err) != 0)
            return -1;
        for (int i = 0; i < n; i++) {
            if (strcmp(c->listeners[i].name, l->name) == 0)
                return util_err_set(err, "spec.listeners[%d].name: \"%s\" is used twice", n,
                                    l->name);
            if (c->listeners[i].port == l->port)
                return util_err_set(err, "spec.listeners[%d].port: %d is used twice", n, l->port);
            if (l->type == OP_LISTENER_NODEPORT && c->listeners[i].type == OP_LISTENER_NODEPORT &&
                l->node_port_base < c->listeners[i].node_port_base + c->replicas &&
                c->listeners[i].node_port_base < l->node_port_base + c->replicas)
                return util_err_set(err,
                                    "spec.listeners[%d].nodePortBase: node ports %d..%d overlap "
                                    "those of listener \"%s\"",
                                    n, l->node_port_base, l->node_port_base + c->replicas - 1,
                                    c->listeners[i].name);
        }
        if (l->type == OP_LISTENER_NODEPORT && l->node_port_base + c->replicas - 1 > 32767)
            return util_err_set(err,
                                "spec.listeners[%d].nodePortBase: %d + %d replicas passes the "
                                "highest node port 32767",
                                n, l->node_port_base, c->replicas);
        if (c->flavor == OP_FLAVOR_REDPANDA && l->port == 9644)
            return util_err_set(err, "spec.listeners[%d].port: 9644 is Redpanda's admin API port",
                                n);
        if (l->type == OP_LISTENER_INTERNAL) {
            internals++;
            c->internal = n;
        }
        n++;
    }
    c->nlisteners = n;
    if (internals != 1)
        return util_err_set(err,
                            "spec.listeners: exactly one listener must have type internal, "
                            "found %d",
                            internals);
    /* The KRaft controller listener (Redpanda: the RPC port) takes its
     * usual port unless a client listener does; then the first free port
     * above it. */
    c->controller_port = c->flavor == OP_FLAVOR_KAFKA ? 9093 : 33145;
    for (int i = 0; i < n; i++)
        if (c->listeners[i].port == c->controller_port) {
            c->controller_port++;
            i = -1;
        }
    c->replication_port = 9091;
    for (int i = 0; i < n; i++)
        if (c->listeners[i].port == c->replication_port ||
            c->replication_port == c->controller_port) {
            c->replication_port++;
            i = -1;
        }
    return 0;
}

/* spec.metadataVersion: a level's name ("4.3-IV0") or number (30). */
static int parse_metadata_version(const cJSON *spec, op_cluster *c, util_err *err)
{
    const cJSON *j = cJSON_GetObjectItemCaseSensitive(spec, "metadataVersion");
    char buf[32];

    c->metadata_version = -1;
    if (j == NULL || cJSON_IsNull(j))
        return 0;
    if (c->flavor != OP_FLAVOR_KAFKA)
        return util_err_set(err, "spec.metadataVersion: for flavor kafka only");
    if (cJSON_IsNumber(j))
        snprintf(buf, sizeof buf, "%.0f",
                 j->valuedouble >= 1 && j->valuedouble <= 32767 &&
                         j->valuedouble == (double)(int)j->valuedouble
                     ? j->valuedouble
                     : -1.0);
    else if (cJSON_IsString(j))
        snprintf(buf, sizeof buf, "%s", j->valuestring);
    else
        return util_err_set(err, "spec.metadataVersion: must be a string or a number");
    c->metadata_version = op_mv_level(buf);
    if (c->metadata_version < 0)
        return util_err_set(err,
                            "spec.metadataVersion: '%.32s' is neither a Kafka metadata version "
                            "berth knows (3.3-IV3 to 4.4-IV2) nor a feature level (1 to 32767)",
                            cJSON_IsString(j) ? j->valuestring : buf);
    return 0;
}

static int parse_config(const cJSON *spec, op_cluster *c, util_err *err)
{
    const cJSON *e;

    if (opt_obj(spec, "config", false, &c->config, "spec.", err) != 0)
        return -1;
    if (c->config == NULL)
        return 0;
    cJSON_ArrayForEach(e, c->config)
    {
        if (!cJSON_IsString(e))
            return util_err_set(err, "spec.config.%.128s: must be a string", e->string);
        if (broker_key_owned(e->string))
            return util_err_set(err, "spec.config.%.128s: set by berth itself; not allowed here",
                                e->string);
    }
    return 0;
}

/* spec.imagePullSecrets: like a pod's, a list of {name: <Secret>}, which
 * the broker pods get unchanged. */
static int parse_pull_secrets(const cJSON *spec, op_cluster *c, util_err *err)
{
    const cJSON *e;
    int i = 0;

    if (opt_obj(spec, "imagePullSecrets", true, &c->pull_secrets, "spec.", err) != 0)
        return -1;
    if (cJSON_GetArraySize(c->pull_secrets) > OP_MAX_PULL_SECRETS)
        return util_err_set(err, "spec.imagePullSecrets: more than %d secrets",
                            OP_MAX_PULL_SECRETS);
    cJSON_ArrayForEach(e, c->pull_secrets)
    {
        const cJSON *name = cJSON_GetObjectItemCaseSensitive(e, "name"), *prev;

        if (!cJSON_IsObject(e))
            return util_err_set(err, "spec.imagePullSecrets[%d]: must be an object with a name", i);
        if (!cJSON_IsString(name) || !kube_is_dns1123_subdomain(name->valuestring))
            return util_err_set(err,
                                "spec.imagePullSecrets[%d].name: must be a Secret's name (a DNS "
                                "subdomain: lower-case letters, digits, '-' and '.', at most 253 "
                                "characters)",
                                i);
        for (prev = c->pull_secrets->child; prev != e; prev = prev->next)
            if (strcmp(cJSON_GetObjectItemCaseSensitive(prev, "name")->valuestring,
                       name->valuestring) == 0)
                return util_err_set(err,
                                    "spec.imagePullSecrets[%d].name: \"%.64s\" is listed twice", i,
                                    name->valuestring);
        i++;
    }
    return 0;
}

long long op_cluster_generation(const cJSON *cr)
{
    const cJSON *m = cJSON_GetObjectItemCaseSensitive(cr, "metadata");
    const cJSON *g = cJSON_GetObjectItemCaseSensitive(m, "generation");

    if (!cJSON_IsNumber(g) || !(g->valuedouble >= 0 && g->valuedouble <= 9007199254740992.0))
        return 0;
    return (long long)g->valuedouble;
}

/* spec.resources and spec.jvm: the memory limit, and a heap that fits
 * below it with room for off-heap memory and page cache. */
static int parse_rebalance(const cJSON *spec, op_cluster *c, util_err *err)
{
    static const char *const modes[] = {"OnScaleUp", "Manual", "Off"};
    const char *mode = "OnScaleUp";
    const cJSON *o = NULL;
    size_t i;

    c->rebalance_throttle = 50 * 1024 * 1024;
    c->rebalance_max_moves = 10;
    if (opt_obj(spec, "rebalance", false, &o, "spec.", err) != 0 ||
        opt_str(o, "mode", &mode, "spec.rebalance.", err) != 0 ||
        opt_int(o, "throttleBytesPerSecond", 0, 2000000000, &c->rebalance_throttle,
                "spec.rebalance.", err) != 0 ||
        opt_int(o, "maxPartitionMovements", 1, 1000, &c->rebalance_max_moves, "spec.rebalance.",
                err) != 0)
        return -1;
    for (i = 0; i < sizeof modes / sizeof modes[0] && strcmp(modes[i], mode) != 0; i++)
        ;
    if (i == sizeof modes / sizeof modes[0])
        return util_err_set(err, "spec.rebalance.mode: \"%.32s\" is not OnScaleUp, Manual or Off",
                            mode);
    c->rebalance_mode = (op_rebalance_mode)i;
    return 0;
}

static int parse_memory(const cJSON *spec, op_cluster *c, util_err *err)
{
    const cJSON *o, *j;
    double limit = 0, heap;

    if (opt_obj(spec, "resources", false, &c->resources, "spec.", err) != 0)
        return -1;
    j = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(c->resources, "limits"),
                                         "memory");
    if (j != NULL && memory_quantity(j, 1, "1", "spec.resources.limits.memory", &limit, err) != 0)
        return -1;
    c->heap_percent = 50;
    if (opt_obj(spec, "jvm", false, &o, "spec.", err) != 0 ||
        opt_int(o, "heapPercent", 10, 90, &c->heap_percent, "spec.jvm.", err) != 0 ||
        opt_str(o, "heapOverride", &c->heap_override, "spec.jvm.", err) != 0)
        return -1;
    if (c->heap_override == NULL)
        return 0;
    j = cJSON_GetObjectItemCaseSensitive(o, "heapOverride");
    if (memory_quantity(j, 1024 * 1024, "1Mi", "spec.jvm.heapOverride", &heap, err) != 0)
        return -1;
    if (c->flavor == OP_FLAVOR_KAFKA && limit > 0 && heap >= limit)
        return util_err_set(err,
                            "spec.jvm.heapOverride: %.32s leaves no room below the memory "
                            "limit for off-heap memory and page cache",
                            c->heap_override);
    return 0;
}

int op_cluster_parse(const cJSON *cr, op_cluster *c, util_err *err)
{
    const cJSON *meta, *spec, *o, *j;
    const char *s = NULL;

    memset(c, 0, sizeof *c);
    if (!cJSON_IsObject(cr))
        return util_err_set(err, "KafkaCluster: not an object");
    meta = cJSON_GetObjectItemCaseSensitive(cr, "metadata");
    spec = cJSON_GetObjectItemCaseSensitive(cr, "spec");
    if (!cJSON_IsObject(meta))
        return util_err_set(err, "metadata: missing");
    if (opt_str(meta, "name", &c->name, "metadata.", err) != 0 ||
        opt_str(meta, "namespace", &c->namespace, "metadata.", err) != 0 ||
        opt_str(meta, "uid", &c->uid, "metadata.", err) != 0)
        return -1;
    if (c->name == NULL || !is_short_dns1035_label(c->name, 32))
        return util_err_set(err, "metadata.name: must be a DNS label of at most 32 characters");
    if (c->namespace == NULL || !kube_is_dns1123_label(c->namespace))
        return util_err_set(err, "metadata.namespace: missing or not a DNS label");
    if (c->uid == NULL || c->uid[0] == '\0')
        return util_err_set(err, "metadata.uid: missing");
    c->generation = op_cluster_generation(cr);
    if (!cJSON_IsObject(spec))
        return util_err_set(err, "spec: missing");

    if (opt_str(spec, "flavor", &s, "spec.", err) != 0)
        return -1;
    if (s != NULL && strcmp(s, "redpanda") == 0)
        c->flavor = OP_FLAVOR_REDPANDA;
    else if (s != NULL && strcmp(s, "kafka") != 0)
        return util_err_set(err, "spec.flavor: \"%.32s\" is not kafka or redpanda", s);
    if (opt_str(spec, "image", &c->image, "spec.", err) != 0)
        return -1;
    if (c->image == NULL || c->image[0] == '\0')
        return util_err_set(err, "spec.image: required");
    c->replicas = 3;
    c->controllers = 3;
    if (opt_int(spec, "replicas", 1, OP_MAX_REPLICAS, &c->replicas, "spec.", err) != 0 ||
        opt_int(spec, "controllers", 1, 9, &c->controllers, "spec.", err) != 0)
        return -1;
    if (c->flavor == OP_FLAVOR_KAFKA && c->replicas < c->controllers)
        return util_err_set(err,
                            "spec.replicas: %d is less than controllers (%d): every KRaft "
                            "voter is also a broker",
                            c->replicas, c->controllers);
    if (opt_str(spec, "clusterID", &c->cluster_id, "spec.", err) != 0)
        return -1;
    if (c->cluster_id != NULL) {
        size_t n = strlen(c->cluster_id);

        if (c->flavor != OP_FLAVOR_KAFKA)
            return util_err_set(err, "spec.clusterID: for flavor kafka only");
        if (n != 22 || strspn(c->cluster_id, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                                             "0123456789-_") != n)
            return util_err_set(err, "spec.clusterID: must be 22 characters of URL-safe base64");
    }
    if (parse_listeners(spec, c, err) != 0 || parse_config(spec, c, err) != 0)
        return -1;
    if (parse_metadata_version(spec, c, err) != 0)
        return -1;

    c->storage_size = "10Gi";
    if (opt_obj(spec, "storage", false, &o, "spec.", err) != 0 ||
        opt_str(o, "size", &c->storage_size, "spec.storage.", err) != 0 ||
        opt_str(o, "storageClassName", &c->storage_class, "spec.storage.", err) != 0)
        return -1;
    j = o != NULL ? cJSON_GetObjectItemCaseSensitive(o, "deleteClaim") : NULL;
    c->delete_claim = cJSON_IsTrue(j);
    {
        double q;
        if (op_quantity_parse(c->storage_size, &q) != 0 || q <= 0)
            return util_err_set(err, "spec.storage.size: \"%.32s\" is not a positive quantity",
                                c->storage_size);
    }
    c->rack_key = "topology.kubernetes.io/zone";
    if (opt_obj(spec, "rack", false, &o, "spec.", err) != 0 ||
        opt_str(o, "topologyKey", &c->rack_key, "spec.rack.", err) != 0)
        return -1;
    c->drain_timeout_s = 120;
    c->lock_wait_s = 60;
    c->client_dns_cache_s = 30;
    if (opt_obj(spec, "drain", false, &o, "spec.", err) != 0 ||
        opt_int(o, "timeoutSeconds", 10, 3600, &c->drain_timeout_s, "spec.drain.", err) != 0 ||
        opt_int(o, "lockWaitSeconds", 0, 3600, &c->lock_wait_s, "spec.drain.", err) != 0 ||
        opt_int(o, "clientDnsCacheSeconds", 0, 600, &c->client_dns_cache_s, "spec.drain.", err) !=
            0)
        return -1;
    if (parse_memory(spec, c, err) != 0 || parse_rebalance(spec, c, err) != 0)
        return -1;
    c->pdb_max_unavailable = 1;
    if (opt_obj(spec, "podDisruptionBudget", false, &o, "spec.", err) != 0 ||
        opt_int(o, "maxUnavailable", 1, 1000, &c->pdb_max_unavailable, "spec.podDisruptionBudget.",
                err) != 0)
        return -1;
    if (opt_obj(spec, "nodeSelector", false, &c->node_selector, "spec.", err) != 0 ||
        opt_obj(spec, "tolerations", true, &c->tolerations, "spec.", err) != 0 ||
        opt_obj(spec, "affinity", false, &c->affinity, "spec.", err) != 0 ||
        opt_obj(spec, "topologySpreadConstraints", true, &c->topology_spread, "spec.", err) != 0)
        return -1;
    if (c->node_selector != NULL) {
        cJSON_ArrayForEach(j, c->node_selector)
        {
            if (!cJSON_IsString(j))
                return util_err_set(err, "spec.nodeSelector.%.64s: must be a string", j->string);
        }
    }
    if (opt_obj(spec, "sidecar", false, &o, "spec.", err) != 0 ||
        opt_str(o, "image", &c->sidecar_image, "spec.sidecar.", err) != 0)
        return -1;
    if (opt_obj(spec, "clusterCA", false, &o, "spec.", err) != 0 ||
        opt_str(o, "secretName", &c->ca_secret, "spec.clusterCA.", err) != 0)
        return -1;
    if (o != NULL && (c->ca_secret == NULL || !kube_is_dns1123_subdomain(c->ca_secret)))
        return util_err_set(err, "spec.clusterCA.secretName: must be a Secret's name");
    return parse_pull_secrets(spec, c, err);
}

int op_quantity_of(const cJSON *j, double *out)
{
    if (cJSON_IsNumber(j)) {
        *out = j->valuedouble;
        return 0;
    }
    return cJSON_IsString(j) ? op_quantity_parse(j->valuestring, out) : -1;
}

int op_quantity_parse(const char *s, double *out)
{
    static const struct {
        const char *suffix;
        double mult;
    } suffixes[] = {
        {"Ki", 1024.0},
        {"Mi", 1024.0 * 1024},
        {"Gi", 1024.0 * 1024 * 1024},
        {"Ti", 1024.0 * 1024 * 1024 * 1024},
        {"Pi", 1024.0 * 1024 * 1024 * 1024 * 1024},
        {"Ei", 1024.0 * 1024 * 1024 * 1024 * 1024 * 1024},
        {"n", 1e-9},
        {"u", 1e-6},
        {"m", 1e-3},
        {"", 1},
        {"k", 1e3},
        {"M", 1e6},
        {"G", 1e9},
        {"T", 1e12},
        {"P", 1e15},
        {"E", 1e18},
    };
    char *end;
    double v;

    if (s == NULL || s[0] == '\0' || strlen(s) > 64 || strpbrk(s, " \t\nxX") != NULL)
        return -1;
    v = strtod(s, &end);
    if (end == s || !isfinite(v))
        return -1;
    /* strtod reads exponents itself ("1e3"), which the quantity grammar
     * also allows; what remains must be a known suffix. */
    for (size_t i = 0; i < sizeof suffixes / sizeof suffixes[0]; i++)
        if (strcmp(end, suffixes[i].suffix) == 0) {
            *out = v * suffixes[i].mult;
            return 0;
        }
    return -1;
}
