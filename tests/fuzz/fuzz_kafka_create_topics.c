/* Feeds arbitrary bytes to the CreateTopics response decoder as each
 * version it speaks (v5..v7): it must either fail with a message and no
 * result, or return one whose arrays match their counts, never read outside
 * the input, leak or crash. Seeds in corpus/fuzz_kafka_create_topics/ are
 * bodies captured from Kafka 4.1. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kafka/topics.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int16_t version;

    for (version = KAFKA_CREATE_TOPICS_MIN; version <= KAFKA_CREATE_TOPICS_MAX; version++) {
        kafka_create_topics_response *res = NULL;
        volatile size_t chars = 0;
        util_err err;
        int32_t t, k;

        err.msg[0] = '\0';
        if (kafka_create_topics_decode(data, size, version, &res, &err) < 0) {
            if (res != NULL || err.msg[0] == '\0')
                abort();
            continue;
        }
        if (res == NULL || res->n_topics < 0)
            abort();
        for (t = 0; t < res->n_topics; t++) {
            const kafka_created_topic *topic = &res->topics[t];

            if (topic->name == NULL || topic->n_configs < -1)
                abort();
            for (k = 0; k < topic->n_configs; k++)
                chars += strlen(topic->configs[k].name);
        }
        kafka_create_topics_free(res);
    }
    return 0;
}
