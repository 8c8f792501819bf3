/* Feeds arbitrary bytes to the IncrementalAlterConfigs response decoder as
 * each version it speaks (v0 classic, v1 flexible): it must either fail with
 * a message and no result, or return one whose array matches its count,
 * never read outside the input, leak or crash. Seeds in
 * corpus/fuzz_kafka_incremental_alter_configs/ are bodies captured from
 * Kafka 4.1. */
#include "fuzz_kafka.h"
#include "kafka/configs.h"

static void check(const kafka_incremental_alter_configs_response *res, int16_t version, size_t size)
{
    volatile size_t chars = 0;
    int32_t i;

    (void)version;
    (void)size;
    if (res->n_results < 0)
        abort();
    for (i = 0; i < res->n_results; i++) {
        if (res->results[i].resource_name == NULL)
            abort();
        chars += strlen(res->results[i].resource_name);
        if (res->results[i].error_message != NULL)
            chars += strlen(res->results[i].error_message);
    }
}

KAFKA_FUZZ_RESPONSE(kafka_incremental_alter_configs_response,
                    kafka_incremental_alter_configs_decode, kafka_incremental_alter_configs_free,
                    KAFKA_INCREMENTAL_ALTER_CONFIGS_MIN, KAFKA_INCREMENTAL_ALTER_CONFIGS_MAX)
