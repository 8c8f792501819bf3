/* Feeds arbitrary bytes to the ApiVersions response decoder as each version
 * it speaks: it must either fail with a message or return a result whose
 * arrays (APIs, supported and finalized features) match their counts,
 * never read outside the input, leak or crash.
 * Seeds in corpus/fuzz_kafka_api_versions/ are real and hand-built bodies. */
#include "fuzz_kafka.h"
#include "kafka/api_versions.h"
#include "kafka/proto.h"

static void check(const kafka_api_versions *v, int16_t version, size_t size)
{
    util_err err;
    int16_t picked;
    int32_t i;

    (void)size;
    if (v->n_apis < 0 || (v->n_apis > 0 && v->apis == NULL))
        abort();
    if (v->version != version && !(v->version == 0 && v->error_code == 35))
        abort();
    /* Touch every entry so ASan sees the whole array. */
    for (i = 0; i < v->n_apis; i++)
        if (kafka_api_versions_find(v, v->apis[i].api_key) == NULL)
            abort();
    if ((v->n_supported > 0 && v->supported == NULL) ||
        (v->n_finalized > 0 && v->finalized == NULL) || v->n_supported < 0 || v->n_finalized < 0)
        abort();
    for (i = 0; i < v->n_supported; i++)
        if (v->supported[i].name == NULL ||
            kafka_api_versions_supported(v, v->supported[i].name) == NULL)
            abort();
    for (i = 0; i < v->n_finalized; i++)
        if (v->finalized[i].name == NULL ||
            kafka_api_versions_finalized(v, v->finalized[i].name) == NULL)
            abort();
    if (kafka_api_versions_pick(v, KAFKA_API_METADATA, 0, 12, &picked, &err) == 0 &&
        (picked < 0 || picked > 12))
        abort();
}

KAFKA_FUZZ_RESPONSE(kafka_api_versions, kafka_api_versions_decode, kafka_api_versions_free,
                    KAFKA_API_VERSIONS_MIN, KAFKA_API_VERSIONS_MAX)
