/* The lister that reads straight from the API server (see lister.h), for
 * an operator started with --no-informers. Every reconcile then costs a
 * few reads, but reads are all it costs when nothing changed. */
#include "kube/verbs.h"
#include "lister.h"
#include "util/metrics.h"

static void count(op_lister *l, const char *verb)
{
    op_api_lister *a = (op_api_lister *)l;

    if (a->metrics != NULL)
        util_metrics_add(a->metrics, "berth_operator_api_requests_total",
                         (const char *[]){"verb", verb, NULL}, 1, NULL);
}

static int api_get(op_lister *l, const char *api_version, const char *resource, const char *ns,
                   const char *name, cJSON **out, util_err *err)
{
    char path[KUBE_PATH_MAX];
    kube_status st = {0};
    int rc;

    if (kube_path(path, sizeof path, api_version, resource, ns, name, NULL) != 0)
        return util_err_set(err, "%s %s/%s: bad name", resource, ns != NULL ? ns : "",
                            name != NULL ? name : "");
    count(l, "get");
    rc = kube_get(((op_api_lister *)l)->client, path, out, &st, err);
    if (rc == KUBE_ERR_STATUS && st.code == 404)
        return 1;
    return rc == 0 ? 0 : -1;
}

static int api_list(op_lister *l, const char *api_version, const char *resource, const char *ns,
                    const char *label_selector, cJSON **out, util_err *err)
{
    char path[KUBE_PATH_MAX];
    kube_list_opts opts = {0};
    cJSON *list = NULL, *items;

    if (kube_path(path, sizeof path, api_version, resource, ns, NULL, NULL) != 0)
        return util_err_set(err, "%s: bad namespace", resource);
    opts.label_selector = label_selector;
    count(l, "list");
    if (kube_list(((op_api_lister *)l)->client, path, &opts, &list, NULL, err) != 0)
        return -1;
    items = cJSON_DetachItemFromObjectCaseSensitive(list, "items");
    cJSON_Delete(list);
    *out = cJSON_IsArray(items) ? items : cJSON_CreateArray();
    if (!cJSON_IsArray(items))
        cJSON_Delete(items);
    return 0;
}

void op_api_lister_init(op_api_lister *l, kube_client *client, struct util_metrics *metrics)
{
    l->base.get = api_get;
    l->base.list = api_list;
    l->base.ctx = l;
    l->client = client;
    l->metrics = metrics;
}
