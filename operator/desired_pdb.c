/* The PodDisruptionBudget "<c>": voluntary disruptions (node drains, and
 * berth's own single-broker restarts through the Eviction API) take at most
 * maxUnavailable brokers at once. unhealthyPodEvictionPolicy AlwaysAllow
 * lets a broker that is stuck unready be evicted anyway, so one sick broker
 * never blocks a node drain. */
#include "desired.h"

cJSON *op_desired_pdb(const op_cluster *c, util_err *err)
{
    cJSON *p = op_object_new(c, "policy/v1", "PodDisruptionBudget", c->name, "broker");
    cJSON *spec = cJSON_AddObjectToObject(p, "spec");

    (void)err;
    cJSON_AddNumberToObject(spec, "maxUnavailable", c->pdb_max_unavailable);
    cJSON_AddItemToObject(cJSON_AddObjectToObject(spec, "selector"), "matchLabels",
                          op_selector_new(c));
    cJSON_AddStringToObject(spec, "unhealthyPodEvictionPolicy", "AlwaysAllow");
    return p;
}
