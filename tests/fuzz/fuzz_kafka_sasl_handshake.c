/* Feeds arbitrary bytes to the SaslHandshake response decoder (v1): it must
 * either fail with a message and no result, or return one whose mechanism
 * list matches its count, never read outside the input, leak or crash.
 * Seeds in corpus/fuzz_kafka_sasl_handshake/ are bodies as Kafka 4.1 sends
 * them. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kafka/sasl.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    kafka_sasl_handshake_response *res = NULL;
    util_err err;
    int32_t i;

    err.msg[0] = '\0';
    if (kafka_sasl_handshake_decode(data, size, 1, &res, &err) < 0) {
        if (res != NULL || err.msg[0] == '\0')
            abort();
        return 0;
    }
    if (res == NULL || res->n_mechanisms < 0 || (res->n_mechanisms > 0 && res->mechanisms == NULL))
        abort();
    for (i = 0; i < res->n_mechanisms; i++)
        if (res->mechanisms[i] == NULL || strlen(res->mechanisms[i]) > size)
            abort();
    kafka_sasl_handshake_free(res);
    return 0;
}
