/* Feeds arbitrary bytes to the ElectLeaders response decoder as each version
 * it speaks (v0..v2, classic and flexible): it must either fail with a
 * message and no result, or return one whose arrays match their counts,
 * never read outside the input, leak or crash. Seeds in
 * corpus/fuzz_kafka_elect_leaders/ are bodies captured from Kafka 4.1. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kafka/elect_leaders.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int16_t version;

    for (version = KAFKA_ELECT_LEADERS_MIN; version <= KAFKA_ELECT_LEADERS_MAX; version++) {
        kafka_elect_leaders_response *res = NULL;
        volatile size_t chars = 0;
        util_err err;
        int32_t t, p;

        err.msg[0] = '\0';
        if (kafka_elect_leaders_decode(data, size, version, &res, &err) < 0) {
            if (res != NULL || err.msg[0] == '\0')
                abort();
            continue;
        }
        if (res == NULL || res->n_topics < 0)
            abort();
        for (t = 0; t < res->n_topics; t++) {
            const kafka_elect_topic_result *topic = &res->topics[t];

            if (topic->topic == NULL || topic->n_partitions < 0)
                abort();
            for (p = 0; p < topic->n_partitions; p++) {
                if (topic->partitions[p].error_message != NULL)
                    chars += strlen(topic->partitions[p].error_message);
                if (kafka_elect_leaders_find(res, topic->topic, topic->partitions[p].partition) ==
                    NULL)
                    abort();
            }
        }
        kafka_elect_leaders_free(res);
    }
    return 0;
}
