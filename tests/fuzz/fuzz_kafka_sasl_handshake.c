/* Feeds arbitrary bytes to the SaslHandshake response decoder (v1): it must
 * either fail with a message and no result, or return one whose mechanism
 * list matches its count, never read outside the input, leak or crash.
 * Seeds in corpus/fuzz_kafka_sasl_handshake/ are bodies as Kafka 4.1 sends
 * them. */
#include "fuzz_kafka.h"
#include "kafka/sasl.h"

static void check(const kafka_sasl_handshake_response *res, int16_t version, size_t size)
{
    int32_t i;

    (void)version;
    if (res->n_mechanisms < 0 || (res->n_mechanisms > 0 && res->mechanisms == NULL))
        abort();
    for (i = 0; i < res->n_mechanisms; i++)
        if (res->mechanisms[i] == NULL || strlen(res->mechanisms[i]) > size)
            abort();
}

KAFKA_FUZZ_RESPONSE(kafka_sasl_handshake_response, kafka_sasl_handshake_decode,
                    kafka_sasl_handshake_free, 1, 1)
