/* Feeds arbitrary bytes to the ListPartitionReassignments response decoder
 * (v0): it must either fail with a message and no result, or return one
 * whose arrays match their counts, never read outside the input, leak or
 * crash. Seeds in corpus/fuzz_kafka_list_partition_reassignments/ are
 * bodies captured from Kafka 4.1, one of them during a real move. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "kafka/reassign.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_ids(const int32_t *ids, int32_t n)
{
    volatile uint32_t sum = 0;
    int32_t i;

    if (n < 0 || (n > 0 && ids == NULL))
        abort();
    for (i = 0; i < n; i++)
        sum += (uint32_t)ids[i];
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int16_t version;

    for (version = KAFKA_LIST_PARTITION_REASSIGNMENTS_MIN;
         version <= KAFKA_LIST_PARTITION_REASSIGNMENTS_MAX; version++) {
        kafka_list_partition_reassignments_response *res = NULL;
        util_err err;
        int32_t t, p;

        err.msg[0] = '\0';
        if (kafka_list_partition_reassignments_decode(data, size, version, &res, &err) < 0) {
            if (res != NULL || err.msg[0] == '\0')
                abort();
            continue;
        }
        if (res == NULL || res->n_topics < 0)
            abort();
        for (t = 0; t < res->n_topics; t++) {
            const kafka_ongoing_topic *topic = &res->topics[t];

            if (topic->name == NULL || topic->n_partitions < 0)
                abort();
            for (p = 0; p < topic->n_partitions; p++) {
                const kafka_ongoing_partition *part = &topic->partitions[p];

                check_ids(part->replicas, part->n_replicas);
                check_ids(part->adding, part->n_adding);
                check_ids(part->removing, part->n_removing);
                if (kafka_list_partition_reassignments_find(res, topic->name, part->index) == NULL)
                    abort();
            }
        }
        kafka_list_partition_reassignments_free(res);
    }
    return 0;
}
