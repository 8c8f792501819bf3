/* Drain-ledger cleanup after a scale-down; see ledger_gc.h. */
#include "ledger_gc.h"

#include <string.h>

#include "drain/ledger_store.h"

static int names_removed(const drain_ledger_entry *e, int32_t replicas)
{
    for (int32_t i = 0; i < e->n; i++)
        if (e->original[i] >= replicas)
            return 1;
    for (int32_t i = 0; i < e->n_demoted; i++)
        if (e->demoted[i] >= replicas)
            return 1;
    return 0;
}

int op_ledger_drop_removed(drain_ledger *l, int32_t replicas)
{
    int dropped = 0;

    for (int32_t i = l->n - 1; i >= 0; i--)
        if (names_removed(&l->entries[i], replicas)) {
            drain_ledger_remove(l, l->entries[i].topic, l->entries[i].partition);
            dropped++;
        }
    return dropped;
}

int op_ledger_names_removed(const cJSON *cm, int32_t replicas)
{
    const cJSON *data = cJSON_GetObjectItemCaseSensitive(cm, "data");
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(data, DRAIN_LEDGER_KEY);
    drain_ledger *l = NULL;
    util_err err = {{0}};
    int found = 0;

    if (!cJSON_IsString(v) ||
        drain_ledger_parse(v->valuestring, strlen(v->valuestring), &l, &err) < 0)
        return 0;
    for (int32_t i = 0; i < l->n && !found; i++)
        found = names_removed(&l->entries[i], replicas);
    drain_ledger_free(l);
    return found;
}

typedef struct gc_ctx {
    int32_t replicas;
    int dropped;
} gc_ctx;

static int drop(drain_ledger *l, void *arg, util_err *err)
{
    gc_ctx *g = arg;

    (void)err;
    g->dropped = op_ledger_drop_removed(l, g->replicas);
    return g->dropped > 0 ? 0 : DRAIN_LEDGER_UNCHANGED;
}

int op_ledger_gc(kube_client *c, const char *ns, const char *name, int32_t replicas, int *dropped,
                 util_err *err)
{
    gc_ctx g = {replicas, 0};
    int rc = drain_ledger_update(c, ns, name, drop, &g, err);

    *dropped = rc == 0 ? g.dropped : 0;
    return rc == 0 ? 0 : util_err_prefix(err, "drain ledger cleanup");
}
