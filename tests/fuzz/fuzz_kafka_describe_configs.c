/* Feeds arbitrary bytes to the DescribeConfigs response decoder as each
 * version it speaks (v1..v4, classic and flexible): it must either fail with
 * a message and no result, or return one whose arrays match their counts,
 * never read outside the input, leak or crash. Seeds in
 * corpus/fuzz_kafka_describe_configs/ are bodies captured from Kafka 4.1. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kafka/configs.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int16_t version;

    for (version = KAFKA_DESCRIBE_CONFIGS_MIN; version <= KAFKA_DESCRIBE_CONFIGS_MAX; version++) {
        kafka_describe_configs_response *res = NULL;
        volatile size_t chars = 0;
        util_err err;
        int32_t i, k, s;

        err.msg[0] = '\0';
        if (kafka_describe_configs_decode(data, size, version, &res, &err) < 0) {
            if (res != NULL || err.msg[0] == '\0')
                abort();
            continue;
        }
        if (res == NULL || res->n_results < 0)
            abort();
        for (i = 0; i < res->n_results; i++) {
            const kafka_config_result *r = &res->results[i];

            if (r->resource_name == NULL || r->n_configs < 0 ||
                kafka_describe_configs_result(res, r->resource_type, r->resource_name) == NULL)
                abort();
            for (k = 0; k < r->n_configs; k++) {
                const kafka_config_entry *e = &r->configs[k];

                if (e->name == NULL || e->n_synonyms < 0 ||
                    kafka_config_result_find(r, e->name) == NULL)
                    abort();
                if (e->value != NULL)
                    chars += strlen(e->value);
                for (s = 0; s < e->n_synonyms; s++)
                    chars += strlen(e->synonyms[s].name);
            }
        }
        kafka_describe_configs_free(res);
    }
    return 0;
}
