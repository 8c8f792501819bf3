/* The drain ledger in its ConfigMap; see ledger_store.h. */
#include "drain/ledger_store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kube/verbs.h"

int drain_ledger_configmap(char *buf, size_t size, const char *cluster)
{
    int n = snprintf(buf, size, "%s-drain", cluster);

    return n < 0 || (size_t)n >= size ? -1 : 0;
}

static int cm_path(char *buf, const char *ns, const char *name, util_err *err)
{
    if (kube_path(buf, KUBE_PATH_MAX, "v1", "configmaps", ns, name, NULL) < 0)
        return util_err_set(err, "drain ledger: bad ConfigMap name %s/%s", ns ? ns : "",
                            name ? name : "");
    return 0;
}

/* The ledger JSON of a ConfigMap object, borrowed; "" when absent. */
static const char *ledger_text(const cJSON *cm)
{
    const cJSON *data = cJSON_GetObjectItemCaseSensitive(cm, "data");
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(data, DRAIN_LEDGER_KEY);

    return cJSON_IsString(v) ? v->valuestring : "";
}

static int parse_cm(const cJSON *cm, const char *ns, const char *name, drain_ledger **out,
                    util_err *err)
{
    const char *text = ledger_text(cm);

    if (drain_ledger_parse(text, strlen(text), out, err) < 0)
        return util_err_prefix(err, "ConfigMap %s/%s key %s", ns, name, DRAIN_LEDGER_KEY);
    return 0;
}

static int not_found(int rc, const kube_status *st, const char *ns, const char *name, util_err *err)
{
    if (rc == KUBE_ERR_STATUS && st->code == 404)
        return util_err_set(err,
                            "drain ledger: ConfigMap %s/%s not found (the operator creates it "
                            "with the cluster)",
                            ns, name);
    return -1;
}

/* GETs ConfigMap ns/name into *cm (cJSON_Delete). */
static int get_cm(kube_client *c, const char *ns, const char *name, cJSON **cm, util_err *err)
{
    char path[KUBE_PATH_MAX];
    kube_status st;
    int rc;

    *cm = NULL;
    if (cm_path(path, ns, name, err) < 0)
        return -1;
    rc = kube_get(c, path, cm, &st, err);
    return rc != 0 ? not_found(rc, &st, ns, name, err) : 0;
}

int drain_ledger_load(kube_client *c, const char *ns, const char *name, drain_ledger **out,
                      util_err *err)
{
    cJSON *cm;
    int rc;

    *out = NULL;
    if (get_cm(c, ns, name, &cm, err) < 0)
        return -1;
    rc = parse_cm(cm, ns, name, out, err);
    cJSON_Delete(cm);
    return rc;
}

int drain_ledger_teardown(kube_client *c, const char *ns, const char *name, bool *out,
                          util_err *err)
{
    const cJSON *a;
    cJSON *cm;

    *out = false;
    if (get_cm(c, ns, name, &cm, err) < 0)
        return -1;
    a = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(cm, "metadata"),
                                         "annotations");
    *out = cJSON_GetObjectItemCaseSensitive(a, DRAIN_TEARDOWN_ANNOTATION) != NULL;
    cJSON_Delete(cm);
    return 0;
}

typedef struct update_ctx {
    const char *ns;
    const char *name;
    drain_ledger_mutate_fn fn;
    void *ctx;
} update_ctx;

static int mutate_cm(cJSON *cm, void *arg, util_err *err)
{
    update_ctx *u = arg;
    drain_ledger *l = NULL;
    cJSON *data;
    char *text = NULL;
    int rc;

    if (parse_cm(cm, u->ns, u->name, &l, err) < 0)
        return -1;
    rc = u->fn(l, u->ctx, err);
    if (rc == 0)
        rc = drain_ledger_format(l, &text, err);
    drain_ledger_free(l);
    if (rc != 0) {
        free(text);
        return rc == DRAIN_LEDGER_UNCHANGED ? KUBE_MUTATE_SKIP : -1;
    }
    if (strcmp(text, ledger_text(cm)) == 0) {
        free(text);
        return KUBE_MUTATE_SKIP;
    }
    data = cJSON_GetObjectItemCaseSensitive(cm, "data");
    if (data == NULL || !cJSON_IsObject(data)) {
        cJSON_DeleteItemFromObjectCaseSensitive(cm, "data");
        data = cJSON_AddObjectToObject(cm, "data");
    }
    cJSON_DeleteItemFromObjectCaseSensitive(data, DRAIN_LEDGER_KEY);
    if (data == NULL || cJSON_AddStringToObject(data, DRAIN_LEDGER_KEY, text) == NULL) {
        free(text);
        return util_err_set(err, "drain ledger: out of memory");
    }
    free(text);
    return 0;
}

int drain_ledger_update(kube_client *c, const char *ns, const char *name, drain_ledger_mutate_fn fn,
                        void *ctx, util_err *err)
{
    char path[KUBE_PATH_MAX];
    update_ctx u = {ns, name, fn, ctx};
    kube_status st;
    int rc;

    if (cm_path(path, ns, name, err) < 0)
        return -1;
    rc = kube_update_retry(c, path, DRAIN_LEDGER_ATTEMPTS, mutate_cm, &u, NULL, &st, err);
    if (rc != 0)
        return not_found(rc, &st, ns, name, err);
    return 0;
}
