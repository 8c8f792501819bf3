/* The state of one reconcile and the small helpers its steps share (see
 * reconcile_run.h). */
#include "reconcile_run.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "kube/object.h"
#include "kube/verbs.h"

static const op_kind kinds[] = {
    {"Secret", "v1", "secrets"},
    {"ServiceAccount", "v1", "serviceaccounts"},
    {"Role", "rbac.authorization.k8s.io/v1", "roles"},
    {"RoleBinding", "rbac.authorization.k8s.io/v1", "rolebindings"},
    {"ConfigMap", "v1", "configmaps"},
    {"Lease", "coordination.k8s.io/v1", "leases"},
    {"Service", "v1", "services"},
    {"StatefulSet", "apps/v1", "statefulsets"},
    {"PodDisruptionBudget", "policy/v1", "poddisruptionbudgets"},
};

#define NKINDS (sizeof kinds / sizeof kinds[0])

void op_run_free(op_run *w)
{
    cJSON_Delete(w->cr);
    cJSON_Delete(w->nodes);
    cJSON_Delete(w->pods);
    cJSON_Delete(w->services);
    cJSON_Delete(w->desired);
    cJSON_Delete(w->live);
    cJSON_Delete(w->kafka);
    cJSON_Delete(w->storage_resizing);
    cJSON_Delete(w->config_status);
    cJSON_Delete(w->rebalance);
    op_cluster_tls_clear(&w->tls);
}

void op_run_requeue(op_run *w, op_reason wait)
{
    long ms = op_reason_get(wait)->requeue_after_ms;

    if (w->res->requeue_after_ms == 0 || w->res->requeue_after_ms > ms)
        w->res->requeue_after_ms = ms;
}

void op_run_count(op_run *w, const char *verb)
{
    if (w->metrics != NULL)
        util_metrics_add(w->metrics, "berth_operator_api_requests_total",
                         (const char *[]){"verb", verb, NULL}, 1, NULL);
}

void op_run_event(op_run *w, kube_event_type type, const char *reason, const char *fmt, ...)
{
    kube_event_ref ref = {0};
    char msg[KUBE_EVENTS_NOTE_MAX];
    va_list ap;

    if (w->events == NULL || w->cr == NULL)
        return;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    ref.api_version = OP_API_VERSION;
    ref.kind = OP_KIND;
    ref.namespace = kube_meta_namespace(w->cr);
    ref.name = kube_meta_name(w->cr);
    ref.uid = kube_meta_uid(w->cr);
    kube_event_record(w->events, &ref, type, reason, "%s", msg);
}

const op_kind *op_run_kind(const cJSON *obj)
{
    const cJSON *k = cJSON_GetObjectItemCaseSensitive(obj, "kind");

    for (size_t i = 0; i < NKINDS; i++)
        if (cJSON_IsString(k) && strcmp(k->valuestring, kinds[i].kind) == 0)
            return &kinds[i];
    return NULL;
}

int op_run_object_path(const cJSON *obj, char *path, size_t size)
{
    const op_kind *k = op_run_kind(obj);

    if (k == NULL)
        return -1;
    return kube_path(path, size, k->api_version, k->resource, kube_meta_namespace(obj),
                     kube_meta_name(obj), NULL);
}

const cJSON *op_run_live_of(const op_run *w, const char *kind, const char *name)
{
    const cJSON *d, *l = w->live->child, *found = NULL;

    cJSON_ArrayForEach(d, w->desired)
    {
        const op_kind *k = op_run_kind(d);

        if (k != NULL && strcmp(k->kind, kind) == 0 && !cJSON_IsNull(l) &&
            (name == NULL || strcmp(kube_meta_name(d), name) == 0))
            found = l;
        l = l->next;
    }
    return found;
}

int op_run_admin_open(const op_run *w, int broker, size_t max_frame_bytes, op_admin **out,
                      util_err *err)
{
    op_admin_target t = {0};

    t.c = &w->c;
    t.tls = &w->tls;
    t.cluster_domain = w->opts->cluster_domain;
    t.bootstrap = op_admin_bootstrap(w->cr, w->opts);
    t.max_frame_bytes = max_frame_bytes;
    return op_admin_open(&t, broker, (long long)time(NULL), out, err);
}
