/* The operator's informers and the lister on their caches (see
 * informers.h). */
#include "informers.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cache_trim.h"
#include "cluster.h"
#include "kube/informer.h"
#include "kube/object.h"
#include "kube/verbs.h"
#include "util/log.h"

#define OWNED_SELECTOR "app.kubernetes.io/managed-by=" OP_FIELD_MANAGER
#define INSTANCE_LABEL "app.kubernetes.io/instance"

/* The one label the caches index (cache_list): every other would cost
 * memory per object for lookups nothing makes. */
static const char *const index_keys[] = {INSTANCE_LABEL, NULL};

typedef enum route {
    ROUTE_SELF,     /* the KafkaCluster itself */
    ROUTE_INSTANCE, /* namespace + app.kubernetes.io/instance */
    ROUTE_ALL,      /* every KafkaCluster */
} route;

static const struct {
    const char *api_version;
    const char *resource;
    bool namespaced;
    const char *selector;
    route route;
    void (*trim)(cJSON *obj); /* what the cache keeps (cache_trim.h) */
} kinds[] = {
    {OP_API_VERSION, OP_RESOURCE, true, NULL, ROUTE_SELF, op_trim_owned},
    {"apps/v1", "statefulsets", true, OWNED_SELECTOR, ROUTE_INSTANCE, op_trim_owned},
    {"v1", "services", true, OWNED_SELECTOR, ROUTE_INSTANCE, op_trim_owned},
    {"v1", "configmaps", true, OWNED_SELECTOR, ROUTE_INSTANCE, op_trim_owned},
    {"v1", "secrets", true, OWNED_SELECTOR, ROUTE_INSTANCE, op_trim_secret},
    {"v1", "serviceaccounts", true, OWNED_SELECTOR, ROUTE_INSTANCE, op_trim_owned},
    {"rbac.authorization.k8s.io/v1", "roles", true, OWNED_SELECTOR, ROUTE_INSTANCE, op_trim_owned},
    {"rbac.authorization.k8s.io/v1", "rolebindings", true, OWNED_SELECTOR, ROUTE_INSTANCE,
     op_trim_owned},
    {"coordination.k8s.io/v1", "leases", true, OWNED_SELECTOR, ROUTE_INSTANCE, op_trim_owned},
    {"policy/v1", "poddisruptionbudgets", true, OWNED_SELECTOR, ROUTE_INSTANCE, op_trim_owned},
    {"v1", "pods", true, OWNED_SELECTOR, ROUTE_INSTANCE, op_trim_pod},
    {"v1", "nodes", false, NULL, ROUTE_ALL, op_trim_node},
};

#define NKINDS (sizeof kinds / sizeof kinds[0])

typedef struct handler_ctx {
    op_informers *owner;
    size_t kind;
} handler_ctx;

struct op_informers {
    kube_client *client; /* the informers' lists */
    kube_workqueue *queue;
    util_metrics *metrics;
    kube_informer *inf[NKINDS];
    handler_ctx ctx[NKINDS];
};

static void queue_key(op_informers *in, const char *key)
{
    util_err err = {{0}};

    /* Fails only out of memory; the controller's resync queues it again. */
    if (kube_workqueue_add(in->queue, key, &err) != 0)
        util_warn("queue %s: %s", key, err.msg);
}

/* Queues every known KafkaCluster. */
static void queue_all(op_informers *in)
{
    cJSON *keys = kube_cache_keys(kube_informer_cache(in->inf[0])), *k;

    cJSON_ArrayForEach(k, keys)
    {
        if (cJSON_IsString(k))
            queue_key(in, k->valuestring);
    }
    cJSON_Delete(keys);
}

static void route_object(handler_ctx *h, const cJSON *obj)
{
    op_informers *in = h->owner;
    char key[KUBE_KEY_MAX];

    switch (kinds[h->kind].route) {
    case ROUTE_SELF:
        if (kube_obj_key(obj, key, sizeof key) == 0)
            queue_key(in, key);
        break;
    case ROUTE_INSTANCE: {
        const cJSON *m = cJSON_GetObjectItemCaseSensitive(obj, "metadata");
        const cJSON *l = cJSON_GetObjectItemCaseSensitive(m, "labels");
        const cJSON *inst = cJSON_GetObjectItemCaseSensitive(l, INSTANCE_LABEL);
        const char *ns = kube_meta_namespace(obj);
        int n;

        if (!cJSON_IsString(inst) || ns == NULL)
            break;
        n = snprintf(key, sizeof key, "%s/%s", ns, inst->valuestring);
        if (n > 0 && (size_t)n < sizeof key)
            queue_key(in, key);
        break;
    }
    case ROUTE_ALL:
        queue_all(in);
        break;
    }
}

static void on_add(const cJSON *obj, void *ctx)
{
    route_object(ctx, obj);
}

static void on_update(const cJSON *old, const cJSON *obj, void *ctx)
{
    handler_ctx *h = ctx;

    /* A Node's heartbeat changes it every few seconds; only its addresses
     * and labels matter to berth. */
    if (kinds[h->kind].route == ROUTE_ALL && old != obj) {
        const cJSON *os = cJSON_GetObjectItemCaseSensitive(old, "status");
        const cJSON *ns = cJSON_GetObjectItemCaseSensitive(obj, "status");
        const cJSON *om = cJSON_GetObjectItemCaseSensitive(old, "metadata");
        const cJSON *nm = cJSON_GetObjectItemCaseSensitive(obj, "metadata");

        if (cJSON_Compare(cJSON_GetObjectItemCaseSensitive(os, "addresses"),
                          cJSON_GetObjectItemCaseSensitive(ns, "addresses"), 1) &&
            cJSON_Compare(cJSON_GetObjectItemCaseSensitive(om, "labels"),
                          cJSON_GetObjectItemCaseSensitive(nm, "labels"), 1))
            return;
    }
    if (kinds[h->kind].route == ROUTE_ALL && old == obj)
        return;
    route_object(h, obj);
}

static void on_delete(const cJSON *obj, void *ctx)
{
    route_object(ctx, obj);
}

static int find_kind(const char *api_version, const char *resource)
{
    for (size_t i = 0; i < NKINDS; i++)
        if (strcmp(kinds[i].api_version, api_version) == 0 &&
            strcmp(kinds[i].resource, resource) == 0)
            return (int)i;
    return -1;
}

static int cache_get(op_lister *l, const char *api_version, const char *resource, const char *ns,
                     const char *name, cJSON **out, util_err *err)
{
    op_cache_lister *cl = l->ctx;
    op_informers *in = cl->in;
    int k = find_kind(api_version, resource);
    char key[KUBE_KEY_MAX];
    int n;

    if (k >= 0) {
        n = ns != NULL && ns[0] != '\0' ? snprintf(key, sizeof key, "%s/%s", ns, name)
                                        : snprintf(key, sizeof key, "%s", name);
        if (n > 0 && (size_t)n < sizeof key &&
            (*out = kube_cache_get(kube_informer_cache(in->inf[k]), key)) != NULL)
            return 0;
        /* Only KafkaClusters and Nodes are cached whole: a miss there
         * means the object does not exist (as far as the watch knows). */
        if (kinds[k].selector == NULL && kube_informer_has_synced(in->inf[k]))
            return 1;
    }
    return cl->miss->get(cl->miss, api_version, resource, ns, name, out, err);
}

/* The next "key=value" term of *selector, copied into term with the key
 * NUL-terminated and *value pointing at the value after it; *selector
 * moves past it. 1 for a term, 0 at the end, -1 for a term too long for
 * term or without "=" (equality terms only: all reconcile uses). */
static int next_term(const char **selector, char *term, size_t size, const char **value)
{
    const char *s = *selector, *comma;
    size_t len;
    char *eq;

    if (s == NULL || *s == '\0')
        return 0;
    comma = strchr(s, ',');
    len = comma != NULL ? (size_t)(comma - s) : strlen(s);
    *selector = comma != NULL ? comma + 1 : NULL;
    if (len >= size)
        return -1;
    memcpy(term, s, len);
    term[len] = '\0';
    if ((eq = strchr(term, '=')) == NULL)
        return -1;
    *eq = '\0';
    *value = eq + 1;
    return 1;
}

/* Whether obj carries every term of selector. */
static bool matches(const cJSON *obj, const char *selector)
{
    const cJSON *m = cJSON_GetObjectItemCaseSensitive(obj, "metadata");
    const cJSON *labels = cJSON_GetObjectItemCaseSensitive(m, "labels");
    char term[320];
    const char *value;
    int rc;

    while ((rc = next_term(&selector, term, sizeof term, &value)) > 0) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(labels, term);

        if (!cJSON_IsString(v) || strcmp(v->valuestring, value) != 0)
            return false;
    }
    return rc == 0;
}

/* The value of selector's INSTANCE_LABEL term (inside term), or NULL. */
static const char *instance_value(const char *selector, char *term, size_t size)
{
    const char *value;

    while (next_term(&selector, term, size, &value) > 0)
        if (strcmp(term, INSTANCE_LABEL) == 0)
            return value;
    return NULL;
}

static int cache_list(op_lister *l, const char *api_version, const char *resource, const char *ns,
                      const char *label_selector, cJSON **out, util_err *err)
{
    op_cache_lister *cl = l->ctx;
    op_informers *in = cl->in;
    int k = find_kind(api_version, resource);
    cJSON *all, *res, *o, *next;
    char term[320];
    const char *value;

    if (k < 0 || !kube_informer_has_synced(in->inf[k]))
        return cl->miss->list(cl->miss, api_version, resource, ns, label_selector, out, err);
    /* Reconcile lists one cluster's objects: through the index on their
     * instance label rather than over every cluster's. */
    all = (value = instance_value(label_selector, term, sizeof term)) != NULL
              ? kube_cache_by_label(kube_informer_cache(in->inf[k]), INSTANCE_LABEL, value)
              : kube_cache_list(kube_informer_cache(in->inf[k]));
    res = cJSON_CreateArray();
    for (o = all != NULL ? all->child : NULL; o != NULL; o = next) {
        const char *ons = kube_meta_namespace(o);

        next = o->next;
        if (ns != NULL && ns[0] != '\0' && (ons == NULL || strcmp(ons, ns) != 0))
            continue;
        if (!matches(o, label_selector))
            continue;
        cJSON_AddItemToArray(res, cJSON_DetachItemViaPointer(all, o));
    }
    cJSON_Delete(all);
    *out = res;
    return 0;
}

int op_informers_new(const kube_config *cfg, const char *ns, long resync_ms, kube_workqueue *q,
                     util_metrics *metrics, op_informers **out, util_err *err)
{
    op_informers *in = calloc(1, sizeof *in);

    if (in == NULL)
        return util_err_set(err, "informers: out of memory");
    in->queue = q;
    in->metrics = metrics;
    if (kube_client_new(cfg, NULL, &in->client, err) != 0)
        goto fail;
    for (size_t i = 0; i < NKINDS; i++) {
        kube_informer_handlers h = {on_add, on_update, on_delete, &in->ctx[i]};
        kube_informer_opts opts = {0};
        char path[KUBE_PATH_MAX];

        in->ctx[i].owner = in;
        in->ctx[i].kind = i;
        opts.label_selector = kinds[i].selector;
        opts.cache.index_label_keys = index_keys;
        opts.cache.no_owner_index = true; /* reconcile finds a cluster's objects by label */
        opts.cache.trim = kinds[i].trim;
        if (kinds[i].route == ROUTE_SELF)
            opts.resync_ms = resync_ms;
        if (kube_path(path, sizeof path, kinds[i].api_version, kinds[i].resource,
                      kinds[i].namespaced ? ns : NULL, NULL, NULL) != 0) {
            util_err_set(err, "informers: bad namespace");
            goto fail;
        }
        if (kube_informer_new(in->client, path, &opts, &h, &in->inf[i], err) != 0) {
            util_err_prefix(err, "informer %s", kinds[i].resource);
            goto fail;
        }
    }
    *out = in;
    return 0;
fail:
    op_informers_free(in);
    return -1;
}

int op_informers_start(op_informers *in, util_err *err)
{
    for (size_t i = 0; i < NKINDS; i++)
        if (kube_informer_start(in->inf[i], err) != 0)
            return util_err_prefix(err, "informer %s", kinds[i].resource);
    return 0;
}

bool op_informers_wait_synced(op_informers *in, long timeout_ms)
{
    for (size_t i = 0; i < NKINDS; i++)
        if (!kube_informer_wait_synced(in->inf[i], timeout_ms)) {
            util_warn("informer %s: not synced yet", kinds[i].resource);
            return false;
        }
    return true;
}

void op_informers_account(op_informers *in, util_metrics *m)
{
    for (size_t i = 0; i < NKINDS; i++) {
        kube_cache *c = kube_informer_cache(in->inf[i]);
        const char *labels[] = {"resource", kinds[i].resource, NULL};

        util_metrics_set(m, "berth_operator_cache_bytes", labels, (double)kube_cache_bytes(c),
                         NULL);
        util_metrics_set(m, "berth_operator_cache_objects", labels, (double)kube_cache_len(c),
                         NULL);
    }
}

void op_cache_lister_init(op_cache_lister *l, op_informers *in, op_lister *miss)
{
    l->base.get = cache_get;
    l->base.list = cache_list;
    l->base.ctx = l;
    l->in = in;
    l->miss = miss;
}

void op_informers_free(op_informers *in)
{
    if (in == NULL)
        return;
    for (size_t i = 0; i < NKINDS; i++)
        kube_informer_free(in->inf[i]);
    kube_client_free(in->client);
    free(in);
}
