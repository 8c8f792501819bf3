/* Feeds arbitrary bytes to the DescribeQuorum response decoder as each
 * version it speaks (v0..v2): it must either fail with a message and no
 * result, or return one whose arrays match their counts, never read outside
 * the input, leak or crash; the caught-up test runs for every voter. Seeds
 * in corpus/fuzz_kafka_describe_quorum/ are bodies captured from Kafka 4.1. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "kafka/quorum.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int16_t version;

    for (version = KAFKA_DESCRIBE_QUORUM_MIN; version <= KAFKA_DESCRIBE_QUORUM_MAX; version++) {
        kafka_describe_quorum_response *res = NULL;
        const kafka_quorum_partition *p;
        volatile uint64_t sum = 0;
        util_err err;
        int32_t i, k;

        err.msg[0] = '\0';
        if (kafka_describe_quorum_decode(data, size, version, &res, &err) < 0) {
            if (res != NULL || err.msg[0] == '\0')
                abort();
            continue;
        }
        if (res == NULL || res->n_topics < 0 || res->n_nodes < 0)
            abort();
        p = kafka_describe_quorum_partition(res);
        if (p != NULL) {
            for (i = 0; i < p->n_voters; i++)
                if (kafka_quorum_voter_caught_up(p, p->voters[i].replica_id, 1000) < 0)
                    abort();
            for (i = 0; i < p->n_observers; i++)
                sum += (uint64_t)p->observers[i].log_end_offset;
        }
        for (i = 0; i < res->n_nodes; i++)
            for (k = 0; k < res->nodes[i].n_listeners; k++)
                if (res->nodes[i].listeners[k].host == NULL)
                    abort();
        kafka_describe_quorum_free(res);
    }
    return 0;
}
