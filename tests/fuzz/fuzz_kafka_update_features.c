/* Feeds arbitrary bytes to the UpdateFeatures response decoder as each
 * version it speaks: it must either fail with a message or return a result
 * whose results array matches its count (none in v2), never read outside
 * the input, leak or crash. Seeds in corpus/fuzz_kafka_update_features/
 * are the bodies Apache Kafka's serializer writes. */
#include "fuzz_kafka.h"
#include "kafka/update_features.h"

static void check(const kafka_update_features_response *res, int16_t version, size_t size)
{
    volatile size_t sum = 0;
    int32_t i;

    (void)size;
    if (res->version != version || res->n_results < 0 ||
        (res->n_results > 0 && res->results == NULL) || (version >= 2 && res->n_results != 0))
        abort();
    if (res->error_message != NULL)
        sum += strlen(res->error_message);
    for (i = 0; i < res->n_results; i++) {
        if (res->results[i].feature == NULL)
            abort(); /* not nullable */
        sum += strlen(res->results[i].feature);
        if (res->results[i].error_message != NULL)
            sum += strlen(res->results[i].error_message);
    }
}

KAFKA_FUZZ_RESPONSE(kafka_update_features_response, kafka_update_features_decode,
                    kafka_update_features_free, KAFKA_UPDATE_FEATURES_MIN,
                    KAFKA_UPDATE_FEATURES_MAX)
