/* The status a reconcile writes, and its refusals (see reconcile_status.h). */
#include "reconcile_status.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "kube/object.h"
#include "kube/verbs.h"
#include "status.h"
#include "util/log.h"

static const cJSON *condition(const cJSON *status, const char *type)
{
    const cJSON *c;

    cJSON_ArrayForEach(c, cJSON_GetObjectItemCaseSensitive(status, "conditions"))
    {
        const cJSON *t = cJSON_GetObjectItemCaseSensitive(c, "type");

        if (cJSON_IsString(t) && strcmp(t->valuestring, type) == 0)
            return c;
    }
    return NULL;
}

/* An Event for every condition whose status or reason changed: what a user
 * reading `kubectl describe` wants to see, once per change. */
static void condition_events(op_run *w, const cJSON *old, const cJSON *now)
{
    static const char *const types[] = {"Reconciled", "Ready", "Draining", "Degraded"};

    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++) {
        const cJSON *o = condition(old, types[i]), *n = condition(now, types[i]);
        const cJSON *ns = cJSON_GetObjectItemCaseSensitive(n, "status");
        const cJSON *nr = cJSON_GetObjectItemCaseSensitive(n, "reason");
        const cJSON *nm = cJSON_GetObjectItemCaseSensitive(n, "message");
        bool bad;

        if (!cJSON_IsString(ns) || !cJSON_IsString(nr) || !cJSON_IsString(nm))
            continue;
        if (o != NULL && cJSON_Compare(cJSON_GetObjectItemCaseSensitive(o, "status"), ns, 1) &&
            cJSON_Compare(cJSON_GetObjectItemCaseSensitive(o, "reason"), nr, 1))
            continue;
        /* No news in a cluster that never had a drain to report. */
        if (o == NULL && strcmp(types[i], "Draining") == 0 && strcmp(ns->valuestring, "False") == 0)
            continue;
        /* Reconciled=False and Degraded=True are warnings; the rest news. */
        bad = (strcmp(types[i], "Degraded") == 0) == (strcmp(ns->valuestring, "True") == 0);
        if (strcmp(types[i], "Ready") == 0 || strcmp(types[i], "Draining") == 0)
            bad = false;
        op_run_event(w, bad ? KUBE_EVENT_WARNING : KUBE_EVENT_NORMAL, nr->valuestring, "%s: %s",
                     types[i], nm->valuestring);
    }
}

/* An Event for every broker that advertises an address it did not at the
 * last status: where a new or moved broker is now reachable. */
static void address_events(op_run *w, const cJSON *old, const cJSON *now)
{
    const cJSON *b;
    char msg[KUBE_EVENTS_NOTE_MAX];

    cJSON_ArrayForEach(b, cJSON_GetObjectItemCaseSensitive(now, "brokers"))
    {
        if (op_status_address_news(old, b, msg, sizeof msg))
            op_run_event(w, KUBE_EVENT_NORMAL, "BrokerAddress", "%s", msg);
    }
}

/* A Warning for every broker that now advertises, on some listener, a node
 * address of another type than the listener's addressType asks for (its
 * node lacks that type) and did not at the last status: once per change,
 * not on every resync. */
static void fallback_events(op_run *w, const cJSON *old, const cJSON *now)
{
    const cJSON *b;
    char msg[KUBE_EVENTS_NOTE_MAX];

    cJSON_ArrayForEach(b, cJSON_GetObjectItemCaseSensitive(now, "brokers"))
    {
        if (op_status_fallback_news(&w->c, old, b, msg, sizeof msg))
            op_run_event(w, KUBE_EVENT_WARNING, "AddressFallback", "%s", msg);
    }
}

/* Writes status if it differs from what the object has: 1 written, 0 it
 * was already so (or the object changed since it was read: then the
 * reconcile runs again shortly), -1 on failure. Takes status.
 *
 * The write carries the resourceVersion read, so the API server refuses
 * it (409) if the KafkaCluster changed since: a status made from a cache a
 * moment behind (without what the last pass wrote) never replaces a newer
 * one. */
static int write_status(op_run *w, cJSON *status, util_err *err)
{
    const cJSON *old = cJSON_GetObjectItemCaseSensitive(w->cr, "status");
    const char *rv = kube_meta_resource_version(w->cr);
    char path[KUBE_PATH_MAX];
    kube_status st = {0};
    cJSON *obj, *m;
    int rc;

    if (old != NULL && cJSON_Compare(status, old, 1)) {
        cJSON_Delete(status);
        return 0;
    }
    if (kube_path(path, sizeof path, OP_API_VERSION, OP_RESOURCE, kube_meta_namespace(w->cr),
                  kube_meta_name(w->cr), NULL) != 0) {
        cJSON_Delete(status);
        return util_err_set(err, "status: bad name");
    }
    obj = cJSON_CreateObject();
    cJSON_AddStringToObject(obj, "apiVersion", OP_API_VERSION);
    cJSON_AddStringToObject(obj, "kind", OP_KIND);
    m = cJSON_AddObjectToObject(obj, "metadata");
    cJSON_AddStringToObject(m, "name", kube_meta_name(w->cr));
    cJSON_AddStringToObject(m, "namespace", kube_meta_namespace(w->cr));
    if (rv != NULL)
        cJSON_AddStringToObject(m, "resourceVersion", rv);
    cJSON_AddItemToObject(obj, "status", status);
    op_run_count(w, "apply_status");
    w->res->writes++;
    rc = kube_apply_status(w->client, path, obj, OP_FIELD_MANAGER, true, NULL, &st, err);
    if (rc != 0 && st.code == 409 && rv != NULL) {
        util_info("%s/%s: changed since it was read (resourceVersion %s): reconciling again",
                  kube_meta_namespace(w->cr), kube_meta_name(w->cr), rv);
        util_err_clear(err);
        op_run_requeue(w, OP_WAIT_STALE_READ);
        cJSON_Delete(obj);
        return 0;
    }
    if (rc == 0) {
        condition_events(w, old, status);
        address_events(w, old, status);
        fallback_events(w, old, status);
    }
    cJSON_Delete(obj);
    return rc == 0 ? 1 : -1;
}

op_outcome op_run_refuse(op_run *w, op_reason reason, const char *message, util_err *err)
{
    cJSON *st;
    int rc;

    st = op_status_refused(cJSON_GetObjectItemCaseSensitive(w->cr, "status"),
                           op_cluster_generation(w->cr), op_reason_name(reason), message, w->now);
    rc = write_status(w, st, err);
    /* Said once, when the status takes it in; a resync repeats nothing. */
    if (rc > 0)
        util_warn("reconcile %s/%s: %s: %s", kube_meta_namespace(w->cr), kube_meta_name(w->cr),
                  op_reason_name(reason), message);
    return rc < 0 ? OP_RECONCILE_RETRY : op_reason_get(reason)->outcome;
}

int op_owner_conflict(const cJSON *live, const char *uid, const char *kind, const char *name,
                      char *msg, size_t size)
{
    const char *owner;

    if (live == NULL || cJSON_IsNull(live))
        return 0;
    owner = kube_meta_controller_uid(live);
    if (owner != NULL && uid != NULL && strcmp(owner, uid) == 0)
        return 0;
    if (owner != NULL)
        snprintf(msg, size, "%s %s already exists and is controlled by another owner", kind, name);
    else
        snprintf(msg, size,
                 "%s %s already exists and is not owned by this KafkaCluster; berth does not "
                 "take over objects it did not create: delete or rename it",
                 kind, name);
    return 1;
}

op_outcome op_run_refuse_foreign(op_run *w, const cJSON *live, const char *kind, const char *name,
                                 util_err *err)
{
    char msg[512];

    if (op_owner_conflict(live, w->c.uid, kind, name, msg, sizeof msg) == 0)
        return OP_RECONCILE_DONE;
    return op_run_refuse(w, OP_REASON_NAME_CONFLICT, msg, err);
}

/* Whether status has condition type with status True. */
static bool condition_true(const cJSON *status, const char *type)
{
    const cJSON *s = cJSON_GetObjectItemCaseSensitive(condition(status, type), "status");

    return cJSON_IsString(s) && strcmp(s->valuestring, "True") == 0;
}

op_outcome op_run_report(op_run *w, util_err *err)
{
    op_status_input in = {0};
    const cJSON *ready;
    cJSON *status;
    op_reason wait = OP_REASON_COUNT;

    in.c = &w->c;
    in.o = w->opts;
    in.cluster_id = w->c.flavor == OP_FLAVOR_KAFKA ? w->cluster_id : NULL;
    in.pods = w->pods;
    in.nodes = w->nodes;
    in.services = w->services;
    in.old_status = cJSON_GetObjectItemCaseSensitive(w->cr, "status");
    in.apply_reason = w->apply_failed      ? op_reason_name(w->apply_reason)
                      : w->storage_failed  ? op_reason_name(w->storage_reason)
                      : w->decommissioning ? op_reason_name(OP_WAIT_DECOMMISSIONING)
                                           : NULL;
    in.apply_message = w->apply_failed      ? w->apply_message
                       : w->storage_failed  ? w->storage_message
                       : w->decommissioning ? w->balance_message
                                            : NULL;
    in.restart_message = w->restart[0] != '\0' ? w->restart : NULL;
    in.now = w->now;
    in.kafka = w->kafka;
    status = op_status_build(&in);
    /* Claims asked to grow whose volume is still smaller
     * (reconcile_storage.c); none: no status.storage at all. */
    if (cJSON_GetArraySize(w->storage_resizing) > 0)
        cJSON_AddItemToObject(cJSON_AddObjectToObject(status, "storage"), "resizing",
                              cJSON_Duplicate(w->storage_resizing, 1));
    /* Partitions moved for a scale-down or a rebalance
     * (reconcile_balance.h). */
    if (w->rebalance != NULL)
        cJSON_AddItemToObject(status, "rebalance", cJSON_Duplicate(w->rebalance, 1));
    /* What spec.config changes did (reconcile_config.h). */
    if (w->config_status != NULL)
        cJSON_AddItemToObject(status, "config", cJSON_Duplicate(w->config_status, 1));
    /* The waits by precedence: a StatefulSet being created again (soon),
     * then Degraded over a restart over readiness. */
    ready = cJSON_GetObjectItemCaseSensitive(status, "readyReplicas");
    if (!cJSON_IsNumber(ready) || ready->valueint != w->c.replicas)
        wait = OP_WAIT_NOT_READY;
    if (in.restart_message != NULL)
        wait = OP_WAIT_RESTARTING;
    if (condition_true(status, "Degraded"))
        wait = OP_WAIT_DEGRADED;
    if (w->sts_held)
        wait = OP_WAIT_RECREATING;
    /* The sooner of the wait's and one a step asked for (partitions
     * moving). */
    if (wait != OP_REASON_COUNT)
        op_run_requeue(w, wait);
    return write_status(w, status, err) < 0 ? OP_RECONCILE_RETRY : OP_RECONCILE_DONE;
}
