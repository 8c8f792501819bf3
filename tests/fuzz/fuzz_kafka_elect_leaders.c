/* Feeds arbitrary bytes to the ElectLeaders response decoder as each version
 * it speaks (v0..v2, classic and flexible): it must either fail with a
 * message and no result, or return one whose arrays match their counts,
 * never read outside the input, leak or crash. Seeds in
 * corpus/fuzz_kafka_elect_leaders/ are bodies captured from Kafka 4.1. */
#include "fuzz_kafka.h"
#include "kafka/elect_leaders.h"

static void check(const kafka_elect_leaders_response *res, int16_t version, size_t size)
{
    volatile size_t chars = 0;
    int32_t t, p;

    (void)version;
    (void)size;
    if (res->n_topics < 0)
        abort();
    for (t = 0; t < res->n_topics; t++) {
        const kafka_elect_topic_result *topic = &res->topics[t];

        if (topic->topic == NULL || topic->n_partitions < 0)
            abort();
        for (p = 0; p < topic->n_partitions; p++) {
            if (topic->partitions[p].error_message != NULL)
                chars += strlen(topic->partitions[p].error_message);
            if (kafka_elect_leaders_find(res, topic->topic, topic->partitions[p].partition) == NULL)
                abort();
        }
    }
}

KAFKA_FUZZ_RESPONSE(kafka_elect_leaders_response, kafka_elect_leaders_decode,
                    kafka_elect_leaders_free, KAFKA_ELECT_LEADERS_MIN, KAFKA_ELECT_LEADERS_MAX)
