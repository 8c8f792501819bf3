/* Feeds arbitrary bytes to the SaslAuthenticate response decoder as each
 * version it speaks (v0..v2, v2 flexible): it must either fail with a
 * message and no result, or return one whose auth bytes lie in its own
 * memory, never read outside the input, leak or crash. Seeds in
 * corpus/fuzz_kafka_sasl_authenticate/ are bodies as Kafka 4.1 sends them
 * during a SCRAM exchange. */
#include "fuzz_kafka.h"
#include "kafka/sasl.h"

static void check(const kafka_sasl_authenticate_response *res, int16_t version, size_t size)
{
    volatile unsigned sum = 0;
    size_t i;

    (void)version;
    if (res->auth_bytes.ptr == NULL || res->auth_bytes.len > size)
        abort();
    for (i = 0; i < res->auth_bytes.len; i++)
        sum += res->auth_bytes.ptr[i];
    if (res->error_message != NULL && strlen(res->error_message) > size)
        abort();
}

KAFKA_FUZZ_RESPONSE(kafka_sasl_authenticate_response, kafka_sasl_authenticate_decode,
                    kafka_sasl_authenticate_free, KAFKA_SASL_AUTHENTICATE_MIN,
                    KAFKA_SASL_AUTHENTICATE_MAX)
