/* Feeds arbitrary bytes to the IncrementalAlterConfigs response decoder as
 * each version it speaks (v0 classic, v1 flexible): it must either fail with
 * a message and no result, or return one whose array matches its count,
 * never read outside the input, leak or crash. Seeds in
 * corpus/fuzz_kafka_incremental_alter_configs/ are bodies captured from
 * Kafka 4.1. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kafka/configs.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int16_t version;

    for (version = KAFKA_INCREMENTAL_ALTER_CONFIGS_MIN;
         version <= KAFKA_INCREMENTAL_ALTER_CONFIGS_MAX; version++) {
        kafka_incremental_alter_configs_response *res = NULL;
        volatile size_t chars = 0;
        util_err err;
        int32_t i;

        err.msg[0] = '\0';
        if (kafka_incremental_alter_configs_decode(data, size, version, &res, &err) < 0) {
            if (res != NULL || err.msg[0] == '\0')
                abort();
            continue;
        }
        if (res == NULL || res->n_results < 0)
            abort();
        for (i = 0; i < res->n_results; i++) {
            if (res->results[i].resource_name == NULL)
                abort();
            chars += strlen(res->results[i].resource_name);
            if (res->results[i].error_message != NULL)
                chars += strlen(res->results[i].error_message);
        }
        kafka_incremental_alter_configs_free(res);
    }
    return 0;
}
