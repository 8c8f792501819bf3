/* The scale-down guard (see scale_down.h). */
#include "scale_down.h"

#include <stdio.h>
#include <string.h>

#include "kafka_admin.h"

#define CALL_TIMEOUT_MS OP_ADMIN_TIMEOUT_MS

int op_scale_down_held(const kafka_metadata *md, int from, int to, char *msg, size_t size)
{
    int total = 0;
    size_t o = 0;

    if (size > 0)
        msg[0] = '\0';
    for (int id = from; id < to; id++) {
        int held = 0;
        const char *example = NULL;
        int32_t example_part = 0;

        for (int32_t t = 0; t < md->n_topics; t++) {
            const kafka_metadata_topic *tp = &md->topics[t];

            for (int32_t p = 0; p < tp->n_partitions; p++)
                if (kafka_int32_contains(tp->partitions[p].replicas, tp->partitions[p].n_replicas,
                                         id)) {
                    if (held++ == 0) {
                        example = tp->name;
                        example_part = tp->partitions[p].index;
                    }
                }
        }
        if (held > 0 && o < size) {
            int n = snprintf(
                msg + o, size - o, "%sbroker %d holds %d partition replicas, e.g. %s-%d",
                o > 0 ? "; " : "", id, held, example != NULL ? example : "?", (int)example_part);
            o = n < 0 ? size : o + (size_t)n;
        }
        total += held;
    }
    return total;
}

int op_scale_down_check(kafka_conn *c, const kafka_api_versions *av, int from, int to, char *msg,
                        size_t size, util_err *err)
{
    kafka_metadata_request req = {NULL, 0};
    kafka_metadata *md = NULL;
    int held;

    if (kafka_metadata_call(c, av, &req, CALL_TIMEOUT_MS, &md, err) != 0)
        return util_err_prefix(err, "Metadata");
    held = op_scale_down_held(md, from, to, msg, size);
    kafka_metadata_free(md);
    return held > 0 ? 1 : 0;
}
