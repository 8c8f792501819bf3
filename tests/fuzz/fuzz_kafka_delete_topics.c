/* Feeds arbitrary bytes to the DeleteTopics response decoder as each version
 * it speaks (v4..v6): it must either fail with a message and no result, or
 * return one whose array matches its count, never read outside the input,
 * leak or crash. Seeds in corpus/fuzz_kafka_delete_topics/ are bodies
 * captured from Kafka 4.1. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kafka/topics.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int16_t version;

    for (version = KAFKA_DELETE_TOPICS_MIN; version <= KAFKA_DELETE_TOPICS_MAX; version++) {
        kafka_delete_topics_response *res = NULL;
        volatile size_t chars = 0;
        util_err err;
        int32_t t;

        err.msg[0] = '\0';
        if (kafka_delete_topics_decode(data, size, version, &res, &err) < 0) {
            if (res != NULL || err.msg[0] == '\0')
                abort();
            continue;
        }
        if (res == NULL || res->n_topics < 0)
            abort();
        for (t = 0; t < res->n_topics; t++) {
            if (res->topics[t].name == NULL && version < 6)
                abort();
            if (res->topics[t].name != NULL)
                chars += strlen(res->topics[t].name);
        }
        kafka_delete_topics_free(res);
    }
    return 0;
}
