/* Feeds arbitrary bytes to the CreateTopics response decoder as each
 * version it speaks (v5..v7): it must either fail with a message and no
 * result, or return one whose arrays match their counts, never read outside
 * the input, leak or crash. Seeds in corpus/fuzz_kafka_create_topics/ are
 * bodies captured from Kafka 4.1. */
#include "fuzz_kafka.h"
#include "kafka/topics.h"

static void check(const kafka_create_topics_response *res, int16_t version, size_t size)
{
    volatile size_t chars = 0;
    int32_t t, k;

    (void)version;
    (void)size;
    if (res->n_topics < 0)
        abort();
    for (t = 0; t < res->n_topics; t++) {
        const kafka_created_topic *topic = &res->topics[t];

        if (topic->name == NULL || topic->n_configs < -1)
            abort();
        for (k = 0; k < topic->n_configs; k++)
            chars += strlen(topic->configs[k].name);
    }
}

KAFKA_FUZZ_RESPONSE(kafka_create_topics_response, kafka_create_topics_decode,
                    kafka_create_topics_free, KAFKA_CREATE_TOPICS_MIN, KAFKA_CREATE_TOPICS_MAX)
