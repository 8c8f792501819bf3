/* What the cluster looks like now, for one reconcile (see
 * reconcile_read.h). */
#include "reconcile_read.h"

#include <stdio.h>
#include <string.h>

#include "kube/object.h"
#include "reconcile_status.h"

op_outcome op_run_read(op_run *w, cJSON **brokers_cm, util_err *err)
{
    op_lister *l = w->lister;
    char sel[256], cm_name[OP_NAME_MAX + 16];
    op_outcome o;

    *brokers_cm = NULL;
    if (l->list(l, "v1", "nodes", NULL, NULL, &w->nodes, err) != 0)
        return OP_RECONCILE_RETRY;
    snprintf(sel, sizeof sel,
             "app.kubernetes.io/name=%s,app.kubernetes.io/instance=%s,"
             "app.kubernetes.io/component=broker",
             op_flavor_name(w->c.flavor), w->c.name);
    if (l->list(l, "v1", "pods", w->c.namespace, sel, &w->pods, err) != 0)
        return OP_RECONCILE_RETRY;
    if (op_owned_selector(&w->c, sel, sizeof sel) != 0 ||
        l->list(l, "v1", "services", w->c.namespace, sel, &w->services, err) != 0)
        return OP_RECONCILE_RETRY;
    if (l->get(l, "v1", "configmaps", w->c.namespace,
               op_name(&w->c, "-brokers", cm_name, sizeof cm_name), brokers_cm, err) < 0)
        return OP_RECONCILE_RETRY;
    /* Its clusterID is believed only when berth wrote it. */
    if ((o = op_run_refuse_foreign(w, *brokers_cm, "ConfigMap", cm_name, err)) !=
        OP_RECONCILE_DONE) {
        cJSON_Delete(*brokers_cm);
        *brokers_cm = NULL;
    }
    return o;
}

op_outcome op_run_read_live(op_run *w, util_err *err)
{
    const cJSON *d;

    w->live = cJSON_CreateArray();
    cJSON_ArrayForEach(d, w->desired)
    {
        const op_kind *k = op_run_kind(d);
        const char *name = kube_meta_name(d);
        cJSON *live = NULL;
        op_outcome o;

        if (strcmp(k->kind, "Service") == 0) {
            const cJSON *s = kube_find_by_name(w->services, name);
            live = s != NULL ? cJSON_Duplicate(s, 1) : NULL;
            /* Services outside our label selector are still ours to check. */
            if (live == NULL && w->lister->get(w->lister, k->api_version, k->resource,
                                               w->c.namespace, name, &live, err) < 0)
                return OP_RECONCILE_RETRY;
        } else if (w->lister->get(w->lister, k->api_version, k->resource, w->c.namespace, name,
                                  &live, err) < 0) {
            return OP_RECONCILE_RETRY;
        }
        if ((o = op_run_refuse_foreign(w, live, k->kind, name, err)) != OP_RECONCILE_DONE) {
            cJSON_Delete(live);
            return o;
        }
        cJSON_AddItemToArray(w->live, live != NULL ? live : cJSON_CreateNull());
    }
    return OP_RECONCILE_DONE;
}
