/* The drain ledger ConfigMap and the drain Lease, both "<c>-drain",
 * pre-created so the sidecar needs only get/update on them (desired_rbac.c).
 * The operator owns their metadata alone: the sidecar writes the contents,
 * and an apply that named data or spec would fight it on every reconcile. */
#include "desired.h"

cJSON *op_desired_drain(const op_cluster *c, util_err *err)
{
    char name[OP_NAME_MAX + 16];
    cJSON *a = cJSON_CreateArray();

    (void)err;
    op_name(c, "-drain", name, sizeof name);
    cJSON_AddItemToArray(a, op_object_new(c, "v1", "ConfigMap", name, "drain"));
    cJSON_AddItemToArray(a, op_object_new(c, "coordination.k8s.io/v1", "Lease", name, "drain"));
    return a;
}
