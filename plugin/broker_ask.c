/* What commands ask of a reached broker (see broker_ask.h). */
#include "broker_ask.h"

#include <stdlib.h>

#include "drain/min_isr.h"
#include "kafka/proto.h"

void pl_min_isr_answers_free(kafka_describe_configs_response **a, int n)
{
    for (int i = 0; a != NULL && i < n; i++)
        kafka_describe_configs_free(a[i]);
    free(a);
}

int pl_ask_min_isr(const pl_broker_link *l, const kafka_metadata *md,
                   kafka_describe_configs_response ***out, int *n_out, util_err *err)
{
    static const char *const keys[] = {DRAIN_MIN_ISR_KEY};
    kafka_config_resource res[PL_ASK_CONFIGS_BATCH];
    kafka_describe_configs_response **a;
    int32_t t = 0;
    int n = 0;

    *out = NULL;
    *n_out = 0;
    a = calloc((size_t)md->n_topics / PL_ASK_CONFIGS_BATCH + 1, sizeof *a);
    if (a == NULL)
        return util_err_set(err, "%s of the topics: out of memory", DRAIN_MIN_ISR_KEY);
    while (t < md->n_topics) {
        kafka_describe_configs_request req = {.resources = res};

        for (; t < md->n_topics && req.n_resources < PL_ASK_CONFIGS_BATCH; t++) {
            const kafka_metadata_topic *tp = &md->topics[t];

            if (tp->name != NULL && tp->error_code == 0)
                res[req.n_resources++] = (kafka_config_resource){
                    .type = KAFKA_RESOURCE_TOPIC, .name = tp->name, .keys = keys, .n_keys = 1};
        }
        if (req.n_resources == 0)
            break;
        if (kafka_describe_configs_call(l->conn, l->av, &req, PL_LINK_TIMEOUT_MS, &a[n], err) !=
            0) {
            pl_min_isr_answers_free(a, n);
            return util_err_prefix(err, "%s of the topics", DRAIN_MIN_ISR_KEY);
        }
        n++;
    }
    *out = a;
    *n_out = n;
    return 0;
}

int pl_ask_reassignments(const pl_broker_link *l, kafka_list_partition_reassignments_response **out,
                         util_err *err)
{
    kafka_list_partition_reassignments_request all = {.timeout_ms = PL_LINK_TIMEOUT_MS};

    *out = NULL;
    if (kafka_api_versions_find(l->av, KAFKA_API_LIST_PARTITION_REASSIGNMENTS) == NULL)
        return util_err_set(err,
                            "ListPartitionReassignments: broker %d does not take it (a Kafka "
                            "before 2.4)",
                            l->id);
    if (kafka_list_partition_reassignments_call(l->conn, l->av, &all, PL_LINK_TIMEOUT_MS, out,
                                                err) != 0)
        return util_err_prefix(err, "ListPartitionReassignments");
    return 0;
}
