/* Feeds arbitrary bytes to the DeleteTopics response decoder as each version
 * it speaks (v4..v6): it must either fail with a message and no result, or
 * return one whose array matches its count, never read outside the input,
 * leak or crash. Seeds in corpus/fuzz_kafka_delete_topics/ are bodies
 * captured from Kafka 4.1. */
#include "fuzz_kafka.h"
#include "kafka/topics.h"

static void check(const kafka_delete_topics_response *res, int16_t version, size_t size)
{
    volatile size_t chars = 0;
    int32_t t;

    (void)size;
    if (res->n_topics < 0)
        abort();
    for (t = 0; t < res->n_topics; t++) {
        if (res->topics[t].name == NULL && version < 6)
            abort();
        if (res->topics[t].name != NULL)
            chars += strlen(res->topics[t].name);
    }
}

KAFKA_FUZZ_RESPONSE(kafka_delete_topics_response, kafka_delete_topics_decode,
                    kafka_delete_topics_free, KAFKA_DELETE_TOPICS_MIN, KAFKA_DELETE_TOPICS_MAX)
