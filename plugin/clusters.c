/* Reading KafkaClusters and their members for the commands (see
 * plugin.h). */
#include <stdio.h>

#include "kube/verbs.h"
#include "operator/cluster.h"
#include "plugin.h"

int pl_get_clusters(const pl_ctx *ctx, const char *name, cJSON **out)
{
    char path[KUBE_PATH_MAX];
    kube_status st = {0};
    util_err err = {{0}};
    cJSON *list = NULL;
    int rc;

    *out = NULL;
    if (name != NULL && ctx->namespace == NULL) {
        fprintf(stderr, "kubectl-berth: KafkaCluster \"%s\": a name needs a namespace, not -A\n",
                name);
        return PL_EXIT_ERROR;
    }
    if (kube_path(path, sizeof path, OP_API_VERSION, OP_RESOURCE, ctx->namespace, name, NULL) !=
        0) {
        fprintf(stderr, "kubectl-berth: \"%s\" is not a valid KafkaCluster name\n",
                name != NULL ? name : "");
        return PL_EXIT_ERROR;
    }
    rc = name != NULL ? kube_get(ctx->client, path, out, &st, &err)
                      : kube_list(ctx->client, path, NULL, &list, &st, &err);
    if (rc != 0) {
        if (st.code == 404 && name != NULL)
            fprintf(stderr, "kubectl-berth: KafkaCluster \"%s\" not found in namespace \"%s\"\n",
                    name, ctx->namespace);
        else if (st.code == 404)
            fprintf(stderr,
                    "kubectl-berth: the API server knows no KafkaClusters (%s): is berth "
                    "installed?\n",
                    OP_API_VERSION);
        else
            fprintf(stderr, "kubectl-berth: %s\n", err.msg);
        return PL_EXIT_ERROR;
    }
    if (list != NULL) {
        *out = cJSON_DetachItemFromObjectCaseSensitive(list, "items");
        cJSON_Delete(list);
        if (*out == NULL)
            *out = cJSON_CreateArray();
    }
    return PL_EXIT_OK;
}

int pl_get_named(const pl_ctx *ctx, const char *resource, const char *kind, const char *name,
                 const char *holds, const char *what, cJSON **out, kube_status *st, util_err *err)
{
    char path[KUBE_PATH_MAX];

    *out = NULL;
    if (kube_path(path, sizeof path, "v1", resource, ctx->namespace, name, NULL) != 0)
        return util_err_set(err, "%s %s: not a valid name", kind, what);
    if (kube_get(ctx->client, path, out, st, err) == 0)
        return 0;
    if (st->code == 404)
        return util_err_set(err, "%s %s not found", kind, what);
    if (st->code == 403)
        return util_err_set(
            err, "not allowed to get %s %s%s%s%s: %s needs get on %s in namespace %s", kind, what,
            holds != NULL ? " (" : "", holds != NULL ? holds : "", holds != NULL ? ")" : "",
            ctx->command != NULL ? ctx->command : "kubectl berth", resource, ctx->namespace);
    return -1;
}

const cJSON *pl_member(const cJSON *o, const char *key)
{
    return cJSON_GetObjectItemCaseSensitive(o, key);
}

const char *pl_str(const cJSON *o, const char *key)
{
    return cJSON_GetStringValue(pl_member(o, key));
}
