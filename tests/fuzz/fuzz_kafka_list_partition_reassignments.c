/* Feeds arbitrary bytes to the ListPartitionReassignments response decoder
 * (v0): it must either fail with a message and no result, or return one
 * whose arrays match their counts, never read outside the input, leak or
 * crash. Seeds in corpus/fuzz_kafka_list_partition_reassignments/ are
 * bodies captured from Kafka 4.1, one of them during a real move. */
#include "fuzz_kafka.h"
#include "kafka/reassign.h"

static void check(const kafka_list_partition_reassignments_response *res, int16_t version,
                  size_t size)
{
    int32_t t, p;

    (void)version;
    (void)size;
    if (res->n_topics < 0)
        abort();
    for (t = 0; t < res->n_topics; t++) {
        const kafka_ongoing_topic *topic = &res->topics[t];

        if (topic->name == NULL || topic->n_partitions < 0)
            abort();
        for (p = 0; p < topic->n_partitions; p++) {
            const kafka_ongoing_partition *part = &topic->partitions[p];

            kafka_fuzz_check_ids(part->replicas, part->n_replicas);
            kafka_fuzz_check_ids(part->adding, part->n_adding);
            kafka_fuzz_check_ids(part->removing, part->n_removing);
            if (kafka_list_partition_reassignments_find(res, topic->name, part->index) == NULL)
                abort();
        }
    }
}

KAFKA_FUZZ_RESPONSE(kafka_list_partition_reassignments_response,
                    kafka_list_partition_reassignments_decode,
                    kafka_list_partition_reassignments_free, KAFKA_LIST_PARTITION_REASSIGNMENTS_MIN,
                    KAFKA_LIST_PARTITION_REASSIGNMENTS_MAX)
