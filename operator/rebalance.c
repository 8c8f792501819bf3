/* When partitions move (see rebalance.h). */
#include "rebalance.h"

#include <stdio.h>
#include <string.h>

#include "util/json.h"

static const char *old_phase(const cJSON *old)
{
    return cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(old, "phase"));
}

/* old's member key when a count (an integer, 0 to 99,999), else -1. */
static int old_count(const cJSON *old, const char *key)
{
    long long n = -1;
    util_err err;

    return util_json_int(old, NULL, key, true, 0, 99999, &n, &err) == 0 ? (int)n : -1;
}

int op_balance_old_target(const cJSON *old)
{
    return old_count(old, "targetBrokers");
}

int op_balance_old_brokers(const cJSON *old)
{
    return old_count(old, "brokers");
}

const char *op_balance_old_request(const cJSON *old)
{
    return cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(old, "request"));
}

bool op_balance_old_phase_is(const cJSON *old, const char *phase)
{
    const char *p = old_phase(old);

    return p != NULL && strcmp(p, phase) == 0;
}

op_balance_job op_balance_decide(const op_balance_view *v)
{
    const char *handled = op_balance_old_request(v->old);
    int balanced_for = op_balance_old_brokers(v->old);

    if (!v->kafka || v->have < 0)
        return OP_BALANCE_NONE;
    if (v->have > v->want)
        return v->mode == OP_REBALANCE_OFF ? OP_BALANCE_NONE : OP_BALANCE_DECOMMISSION;
    /* Decommissioning with the StatefulSet at its target: that pass
     * finished, and this one read the status from before it said so (a
     * cache a moment behind). Otherwise the leaving brokers stay. */
    if (op_balance_old_phase_is(v->old, OP_PHASE_DECOMMISSIONING))
        return v->have == v->want && op_balance_old_target(v->old) == v->have ? OP_BALANCE_FINISHED
                                                                              : OP_BALANCE_CANCEL;
    if (v->mode == OP_REBALANCE_OFF || v->have != v->want)
        return OP_BALANCE_NONE;
    if (op_balance_old_phase_is(v->old, OP_PHASE_REBALANCING))
        return OP_BALANCE_REBALANCE;
    if (v->mode == OP_REBALANCE_ON_SCALE_UP && balanced_for > 0 && v->want > balanced_for)
        return OP_BALANCE_REBALANCE;
    if (v->request != NULL && (handled == NULL || strcmp(v->request, handled) != 0))
        return OP_BALANCE_REBALANCE;
    return OP_BALANCE_NONE;
}

const char *op_balance_range(int from, int to, char *buf, size_t size)
{
    if (to - from <= 1)
        snprintf(buf, size, "%d", from);
    else
        snprintf(buf, size, "%d..%d", from, to - 1);
    return buf;
}
