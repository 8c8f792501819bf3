/* Feeds arbitrary bytes to the DescribeConfigs response decoder as each
 * version it speaks (v1..v4, classic and flexible): it must either fail with
 * a message and no result, or return one whose arrays match their counts,
 * never read outside the input, leak or crash. Seeds in
 * corpus/fuzz_kafka_describe_configs/ are bodies captured from Kafka 4.1. */
#include "fuzz_kafka.h"
#include "kafka/configs.h"

static void check(const kafka_describe_configs_response *res, int16_t version, size_t size)
{
    volatile size_t chars = 0;
    int32_t i, k, s;

    (void)version;
    (void)size;
    if (res->n_results < 0)
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
}

KAFKA_FUZZ_RESPONSE(kafka_describe_configs_response, kafka_describe_configs_decode,
                    kafka_describe_configs_free, KAFKA_DESCRIBE_CONFIGS_MIN,
                    KAFKA_DESCRIBE_CONFIGS_MAX)
