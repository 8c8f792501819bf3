/* Feeds arbitrary bytes to the AlterPartitionReassignments response decoder
 * as each version it speaks (v0..v1): it must either fail with a message
 * and no result, or return one whose arrays match their counts, never read
 * outside the input, leak or crash. Seeds in
 * corpus/fuzz_kafka_alter_partition_reassignments/ are bodies captured from
 * Kafka 4.1. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kafka/reassign.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int16_t version;

    for (version = KAFKA_ALTER_PARTITION_REASSIGNMENTS_MIN;
         version <= KAFKA_ALTER_PARTITION_REASSIGNMENTS_MAX; version++) {
        kafka_alter_partition_reassignments_response *res = NULL;
        volatile size_t chars = 0;
        util_err err;
        int32_t t, p;

        err.msg[0] = '\0';
        if (kafka_alter_partition_reassignments_decode(data, size, version, &res, &err) < 0) {
            if (res != NULL || err.msg[0] == '\0')
                abort();
            continue;
        }
        if (res == NULL || res->n_topics < 0)
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
        kafka_alter_partition_reassignments_free(res);
    }
    return 0;
}
