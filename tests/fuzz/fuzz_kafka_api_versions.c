/* Feeds arbitrary bytes to the ApiVersions response decoder as each version
 * it speaks: it must either fail with a message or return a result whose
 * array matches its count, never read outside the input, leak or crash.
 * Seeds in corpus/fuzz_kafka_api_versions/ are real and hand-built bodies. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "kafka/api_versions.h"
#include "kafka/proto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int16_t version;

    for (version = KAFKA_API_VERSIONS_MIN; version <= KAFKA_API_VERSIONS_MAX; version++) {
        kafka_api_versions *v = NULL;
        util_err err;
        int16_t picked;
        int32_t i;

        err.msg[0] = '\0';
        if (kafka_api_versions_decode(data, size, version, &v, &err) < 0) {
            if (v != NULL || err.msg[0] == '\0')
                abort(); /* a failure must say why and return nothing */
            continue;
        }
        if (v == NULL || v->n_apis < 0 || (v->n_apis > 0 && v->apis == NULL))
            abort();
        if (v->version != version && !(v->version == 0 && v->error_code == 35))
            abort();
        /* Touch every entry so ASan sees the whole array. */
        for (i = 0; i < v->n_apis; i++)
            if (kafka_api_versions_find(v, v->apis[i].api_key) == NULL)
                abort();
        kafka_api_versions_pick(v, KAFKA_API_METADATA, 0, 12, &picked, &err);
        kafka_api_versions_free(v);
    }
    return 0;
}
