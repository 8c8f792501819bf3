/* The teardown of a deleted KafkaCluster; see teardown.h. */
#include "teardown.h"

#include <stdio.h>
#include <string.h>

#include "cluster.h"
#include "drain/ledger_store.h"
#include "kube/microtime.h"
#include "kube/object.h"
#include "kube/verbs.h"
#include "outcome.h"
#include "util/clock.h"

static const cJSON *finalizers(const cJSON *obj)
{
    return cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(obj, "metadata"),
                                            "finalizers");
}

static bool has_finalizer(const cJSON *obj, const char *name)
{
    const cJSON *f;

    cJSON_ArrayForEach(f, finalizers(obj))
    {
        if (cJSON_IsString(f) && strcmp(f->valuestring, name) == 0)
            return true;
    }
    return false;
}

bool op_teardown_held(const cJSON *cr)
{
    return has_finalizer(cr, OP_TEARDOWN_FINALIZER);
}

static int cr_path(const cJSON *cr, char *path, util_err *err)
{
    if (kube_path(path, KUBE_PATH_MAX, OP_API_VERSION, OP_RESOURCE, kube_meta_namespace(cr),
                  kube_meta_name(cr), NULL) != 0)
        return util_err_set(err, "bad KafkaCluster name");
    return 0;
}

/* kube_update_retry mutators: add or remove the finalizer on the object as
 * just read; ctx unused. */
static int add_finalizer(cJSON *obj, void *ctx, util_err *err)
{
    cJSON *m = cJSON_GetObjectItemCaseSensitive(obj, "metadata"), *f;

    (void)ctx;
    if (has_finalizer(obj, OP_TEARDOWN_FINALIZER) || kube_meta_str(obj, "deletionTimestamp"))
        return KUBE_MUTATE_SKIP; /* a deleted object takes no new finalizer */
    f = cJSON_GetObjectItemCaseSensitive(m, "finalizers");
    if (!cJSON_IsArray(f)) {
        cJSON_DeleteItemFromObjectCaseSensitive(m, "finalizers");
        f = cJSON_AddArrayToObject(m, "finalizers");
    }
    if (f == NULL || !cJSON_AddItemToArray(f, cJSON_CreateString(OP_TEARDOWN_FINALIZER)))
        return util_err_set(err, "out of memory");
    return 0;
}

static int remove_finalizer(cJSON *obj, void *ctx, util_err *err)
{
    cJSON *f = (cJSON *)finalizers(obj);
    int i = 0;
    const cJSON *e;

    (void)ctx;
    (void)err;
    cJSON_ArrayForEach(e, f)
    {
        if (cJSON_IsString(e) && strcmp(e->valuestring, OP_TEARDOWN_FINALIZER) == 0) {
            cJSON_DeleteItemFromArray(f, i);
            return 0;
        }
        i++;
    }
    return KUBE_MUTATE_SKIP;
}

/* The update of cr through fn; *out (may be NULL) the object as written,
 * or NULL when nothing was. */
static int update_cr(kube_client *c, const cJSON *cr, kube_mutate_fn fn, cJSON **out, util_err *err)
{
    char path[KUBE_PATH_MAX];
    kube_status st;
    int rc;

    if (cr_path(cr, path, err) != 0)
        return -1;
    rc = kube_update_retry(c, path, 5, fn, NULL, out, &st, err);
    if (rc == KUBE_ERR_STATUS && st.code == 404)
        return 0; /* already gone */
    return rc == 0 ? 0 : -1;
}

int op_teardown_hold(kube_client *c, cJSON *cr, int *writes, util_err *err)
{
    cJSON *now = NULL;
    const char *rv;

    if (op_teardown_held(cr))
        return 0;
    (*writes)++;
    if (update_cr(c, cr, add_finalizer, &now, err) != 0)
        return util_err_prefix(err, "adding finalizer %s", OP_TEARDOWN_FINALIZER);
    /* The pass goes on from the version just written: its status write
     * (which names the version it read) is not refused for this one. */
    if ((rv = kube_meta_resource_version(now)) != NULL) {
        cJSON *m = cJSON_GetObjectItemCaseSensitive(cr, "metadata");

        cJSON_DeleteItemFromObjectCaseSensitive(m, "resourceVersion");
        cJSON_AddStringToObject(m, "resourceVersion", rv);
    }
    cJSON_Delete(now);
    return 0;
}

/* The object ns/name of a resource when cr controls it (new; cJSON_Delete),
 * else NULL with *rc 0 when there is none, 1 when it is someone else's, -1
 * on failure. */
static cJSON *owned(op_lister *l, const cJSON *cr, const char *api_version, const char *resource,
                    const char *name, util_err *err, int *rc)
{
    cJSON *o = NULL;
    const char *owner;

    *rc = l->get(l, api_version, resource, kube_meta_namespace(cr), name, &o, err);
    if (*rc != 0) {
        *rc = *rc > 0 ? 0 : -1;
        return NULL;
    }
    owner = kube_meta_controller_uid(o);
    if (owner == NULL || kube_meta_uid(cr) == NULL || strcmp(owner, kube_meta_uid(cr)) != 0) {
        cJSON_Delete(o);
        *rc = 1;
        return NULL;
    }
    return o;
}

/* Step 1: the mark that makes the sidecars skip their drains. */
static int mark_ledger(kube_client *c, op_lister *l, const cJSON *cr, op_teardown_result *res,
                       util_err *err)
{
    char name[300], path[KUBE_PATH_MAX];
    const cJSON *a;
    cJSON *cm, *patch;
    int rc;

    if (drain_ledger_configmap(name, sizeof name, kube_meta_name(cr)) != 0)
        return util_err_set(err, "cluster name too long");
    cm = owned(l, cr, "v1", "configmaps", name, err, &rc);
    if (cm == NULL)
        return rc < 0 ? -1 : 0;
    a = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(cm, "metadata"),
                                         "annotations");
    rc = cJSON_GetObjectItemCaseSensitive(a, DRAIN_TEARDOWN_ANNOTATION) != NULL;
    cJSON_Delete(cm);
    if (rc)
        return 0;
    if (kube_path(path, sizeof path, "v1", "configmaps", kube_meta_namespace(cr), name, NULL) != 0)
        return util_err_set(err, "bad ConfigMap name %s", name);
    patch = cJSON_CreateObject();
    cJSON_AddStringToObject(
        cJSON_AddObjectToObject(cJSON_AddObjectToObject(patch, "metadata"), "annotations"),
        DRAIN_TEARDOWN_ANNOTATION, kube_meta_str(cr, "deletionTimestamp"));
    res->writes++;
    rc = kube_merge_patch(c, path, patch, NULL, NULL, err);
    cJSON_Delete(patch);
    return rc == 0 ? 0 : util_err_prefix(err, "marking ConfigMap %s", name);
}

/* Step 2: all broker pods stop at once. 0 once the StatefulSet is gone or
 * going, 1 when one of that name is there but not the cluster's (orphaned
 * by --cascade=orphan, or someone else's): its pods are not to wait for. */
static int stop_brokers(kube_client *c, op_lister *l, const cJSON *cr, op_teardown_result *res,
                        util_err *err)
{
    kube_delete_opts o = {0};
    char path[KUBE_PATH_MAX];
    kube_status st;
    cJSON *sts;
    int rc;

    sts = owned(l, cr, "apps/v1", "statefulsets", kube_meta_name(cr), err, &rc);
    if (sts == NULL)
        return rc;
    if (kube_meta_str(sts, "deletionTimestamp") != NULL) {
        cJSON_Delete(sts);
        return 0;
    }
    /* Orphan: the pods stay, and no controller makes new ones, until step
     * 3 evicts them with a short grace period from the start (the
     * garbage collector would delete them with their own). */
    o.propagation_policy = "Orphan";
    o.uid = kube_meta_uid(sts);
    if (kube_path(path, sizeof path, "apps/v1", "statefulsets", kube_meta_namespace(cr),
                  kube_meta_name(cr), NULL) != 0) {
        cJSON_Delete(sts);
        return util_err_set(err, "bad StatefulSet name");
    }
    res->writes++;
    res->stopping = true;
    rc = kube_delete_with(c, path, &o, NULL, &st, err);
    cJSON_Delete(sts);
    if (rc == KUBE_ERR_STATUS && (st.code == 404 || st.code == 409))
        return 0; /* gone already, or another one of that name */
    return rc == 0 ? 0 : util_err_prefix(err, "deleting StatefulSet %s", kube_meta_name(cr));
}

/* The cluster's own PodDisruptionBudget goes before the evictions: it
 * would let them through one at a time. Looked up in the cache first, so
 * later polls send nothing, and a budget of that name not the cluster's
 * stays. */
static int drop_budget(kube_client *c, op_lister *l, const cJSON *cr, op_teardown_result *res,
                       util_err *err)
{
    kube_delete_opts o = {0};
    char path[KUBE_PATH_MAX];
    kube_status st = {0};
    cJSON *pdb;
    int rc;

    pdb = owned(l, cr, "policy/v1", "poddisruptionbudgets", kube_meta_name(cr), err, &rc);
    if (pdb == NULL)
        return rc < 0 ? -1 : 0;
    if (kube_meta_str(pdb, "deletionTimestamp") != NULL ||
        kube_path(path, sizeof path, "policy/v1", "poddisruptionbudgets", kube_meta_namespace(cr),
                  kube_meta_name(cr), NULL) != 0) {
        cJSON_Delete(pdb);
        return 0;
    }
    o.uid = kube_meta_uid(pdb);
    res->writes++;
    rc = kube_delete_with(c, path, &o, NULL, &st, err);
    cJSON_Delete(pdb);
    if (rc == KUBE_ERR_STATUS && (st.code == 404 || st.code == 409))
        return 0;
    return rc == 0 ? 0
                   : util_err_prefix(err, "deleting PodDisruptionBudget %s", kube_meta_name(cr));
}

/* Step 3: a broker pod not yet stopping with OP_TEARDOWN_GRACE_S or less
 * is evicted with that grace period (the operator may evict pods, never
 * delete them; the budget is gone, so no eviction waits for another). 0,
 * or 1 when an eviction was sent. */
static int shorten_grace(kube_client *c, const cJSON *pod, op_teardown_result *res, util_err *err)
{
    const cJSON *g = cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(pod, "metadata"), "deletionGracePeriodSeconds");
    kube_delete_opts o = {0};
    kube_status st = {0};
    int rc;

    if (cJSON_IsNumber(g) && g->valuedouble <= OP_TEARDOWN_GRACE_S)
        return 0;
    o.uid = kube_meta_uid(pod);
    o.grace_period_set = true;
    o.grace_period_s = OP_TEARDOWN_GRACE_S;
    res->writes++;
    rc = kube_evict(c, kube_meta_namespace(pod), kube_meta_name(pod), &o, &st, err);
    if (rc == KUBE_ERR_STATUS && (st.code == 404 || st.code == 409 || st.code == 429))
        return 1; /* gone already, replaced, or not yet: the next look tries again */
    return rc == 0 ? 1 : util_err_prefix(err, "evicting pod %s", kube_meta_name(pod));
}

/* Broker pods of the cluster still there, each with its grace period cut
 * to OP_TEARDOWN_GRACE_S, and the longest grace period among them. */
static int pods_left(kube_client *c, op_lister *l, const cJSON *cr, op_teardown_result *res,
                     long *grace_s, util_err *err)
{
    char sel[512];
    cJSON *pods = NULL;
    const cJSON *p;
    int n = 0;

    snprintf(sel, sizeof sel,
             "app.kubernetes.io/instance=%s,app.kubernetes.io/managed-by=%s,"
             "app.kubernetes.io/component=broker",
             kube_meta_name(cr), OP_FIELD_MANAGER);
    if (l->list(l, "v1", "pods", kube_meta_namespace(cr), sel, &pods, err) != 0)
        return -1;
    *grace_s = 0;
    cJSON_ArrayForEach(p, pods)
    {
        const cJSON *g = cJSON_GetObjectItemCaseSensitive(
            cJSON_GetObjectItemCaseSensitive(p, "spec"), "terminationGracePeriodSeconds");
        long gs = cJSON_IsNumber(g) ? (long)g->valuedouble : OP_TEARDOWN_GRACE_S;

        if (gs > OP_TEARDOWN_GRACE_S)
            gs = OP_TEARDOWN_GRACE_S;
        if (gs > *grace_s)
            *grace_s = gs;
        if (shorten_grace(c, p, res, err) < 0) {
            cJSON_Delete(pods);
            return -1;
        }
        n++;
    }
    cJSON_Delete(pods);
    return n;
}

int op_teardown(kube_client *c, op_lister *lister, const cJSON *cr, int64_t now_wall,
                op_teardown_result *res, util_err *err)
{
    const char *deleted = kube_meta_str(cr, "deletionTimestamp");
    int64_t since = 0;
    long grace_s = 0;
    util_err terr;

    memset(res, 0, sizeof *res);
    if (!op_teardown_held(cr)) {
        res->released = true;
        return 0;
    }
    /* --cascade=orphan: the user keeps the brokers; only let go. */
    if (!has_finalizer(cr, "orphan")) {
        int rc;

        if (mark_ledger(c, lister, cr, res, err) != 0 ||
            (rc = stop_brokers(c, lister, cr, res, err)) < 0)
            return -1;
        if (rc == 0 && drop_budget(c, lister, cr, res, err) < 0)
            return -1;
        if (rc == 0 && (res->pods_left = pods_left(c, lister, cr, res, &grace_s, err)) < 0)
            return -1;
    }
    if (res->pods_left > 0) {
        if (deleted == NULL || kube_time_parse(deleted, &since, &terr) != 0)
            since = now_wall;
        if (now_wall - since < (grace_s + OP_TEARDOWN_MARGIN_S) * UTIL_NS_PER_SEC) {
            res->requeue_after_ms = op_reason_get(OP_WAIT_TEARING_DOWN)->requeue_after_ms;
            return 0;
        }
        res->gave_up = true;
    }
    res->writes++;
    if (update_cr(c, cr, remove_finalizer, NULL, err) != 0)
        return util_err_prefix(err, "removing finalizer %s", OP_TEARDOWN_FINALIZER);
    res->released = true;
    return 0;
}
