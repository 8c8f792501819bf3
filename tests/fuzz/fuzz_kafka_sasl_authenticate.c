/* Feeds arbitrary bytes to the SaslAuthenticate response decoder as each
 * version it speaks (v0..v2, v2 flexible): it must either fail with a
 * message and no result, or return one whose auth bytes lie in its own
 * memory, never read outside the input, leak or crash. Seeds in
 * corpus/fuzz_kafka_sasl_authenticate/ are bodies as Kafka 4.1 sends them
 * during a SCRAM exchange. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kafka/sasl.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int16_t version;

    for (version = KAFKA_SASL_AUTHENTICATE_MIN; version <= KAFKA_SASL_AUTHENTICATE_MAX; version++) {
        kafka_sasl_authenticate_response *res = NULL;
        volatile unsigned sum = 0;
        util_err err;
        size_t i;

        err.msg[0] = '\0';
        if (kafka_sasl_authenticate_decode(data, size, version, &res, &err) < 0) {
            if (res != NULL || err.msg[0] == '\0')
                abort();
            continue;
        }
        if (res == NULL || res->auth_bytes.ptr == NULL || res->auth_bytes.len > size)
            abort();
        for (i = 0; i < res->auth_bytes.len; i++)
            sum += res->auth_bytes.ptr[i];
        if (res->error_message != NULL && strlen(res->error_message) > size)
            abort();
        kafka_sasl_authenticate_free(res);
    }
    return 0;
}
