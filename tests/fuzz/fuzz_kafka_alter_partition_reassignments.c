/* Feeds arbitrary bytes to the AlterPartitionReassignments response decoder
 * as each version it speaks (v0..v1): it must either fail with a message
 * and no result, or return one whose arrays match their counts, never read
 * outside the input, leak or crash. Seeds in
 * corpus/fuzz_kafka_alter_partition_reassignments/ are bodies captured from
 * Kafka 4.1. */
#include "fuzz_kafka.h"
#include "kafka/reassign.h"

static void check(const kafka_alter_partition_reassignments_response *res, int16_t version,
                  size_t size)
{
    volatile size_t chars = 0;
    int32_t t, p;

    (void)version;
    (void)size;
    if (res->n_topics < 0)
        abort();
    if (res->error_message != NULL)
        chars += strlen(res->error_message);
    for (t = 0; t < res->n_topics; t++) {
        const kafka_reassign_topic_result *topic = &res->topics[t];

        if (topic->name == NULL || topic->n_partitions < 0)
            abort();
        for (p = 0; p < topic->n_partitions; p++)
            if (topic->partitions[p].error_message != NULL)
                chars += strlen(topic->partitions[p].error_message);
    }
}

KAFKA_FUZZ_RESPONSE(kafka_alter_partition_reassignments_response,
                    kafka_alter_partition_reassignments_decode,
                    kafka_alter_partition_reassignments_free,
                    KAFKA_ALTER_PARTITION_REASSIGNMENTS_MIN,
                    KAFKA_ALTER_PARTITION_REASSIGNMENTS_MAX)
