/* How reconcile reads the cluster's state: a small interface, so the same
 * reconcile runs on the informers' caches (informers.h, the default), on
 * direct API reads (op_api_lister, --no-informers), and in unit tests on
 * objects held in memory (tests/unit/test_op_reconcile.c). Reads only;
 * writes go to the API directly.
 *
 * Both calls hand out new copies (cJSON_Delete), so a cache-backed lister
 * never lends out objects its watch thread may replace. */
#ifndef BERTH_OP_LISTER_H
#define BERTH_OP_LISTER_H

#include <cjson/cJSON.h>

#include "kube/client.h"
#include "util/err.h"

typedef struct op_lister op_lister;

struct op_lister {
    /* One object: 0 with *out set, 1 when it does not exist, negative on
     * failure with err set. ns NULL for cluster-scoped resources. */
    int (*get)(op_lister *l, const char *api_version, const char *resource, const char *ns,
               const char *name, cJSON **out, util_err *err);
    /* Every object of a resource in ns (NULL: all namespaces, or a
     * cluster-scoped resource) matching label_selector (NULL: all), as a
     * cJSON array in *out. */
    int (*list)(op_lister *l, const char *api_version, const char *resource, const char *ns,
                const char *label_selector, cJSON **out, util_err *err);
    void *ctx;
};

/* A lister that asks the API server every time, through client. Both
 * client and metrics (may be NULL; it counts reads by verb in
 * berth_operator_api_requests_total, which the caller defined) are
 * borrowed and must outlive the lister. */
typedef struct op_api_lister {
    op_lister base;
    kube_client *client;
    struct util_metrics *metrics;
} op_api_lister;

void op_api_lister_init(op_api_lister *l, kube_client *client, struct util_metrics *metrics);

#endif
