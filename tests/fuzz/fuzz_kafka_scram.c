/* Feeds arbitrary bytes to the SCRAM client's parsers of the server's
 * messages: the input up to its first newline is the server-first message,
 * the rest the server-final one. Each must either fail with a message or
 * succeed; a server-final message may be accepted only if it carries the
 * signature computed from the password, which random bytes never do. Never
 * a read outside the input, a leak or a crash. Seeds in
 * corpus/fuzz_kafka_scram/ follow RFC 7677's exchange. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kafka/scram.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *nl = memchr(data, '\n', size);
    size_t first = nl ? (size_t)(nl - data) : size;
    kafka_scram_hash hash =
        size > 0 && (data[size - 1] & 1) ? KAFKA_SCRAM_SHA_512 : KAFKA_SCRAM_SHA_256;
    kafka_scram *s;
    util_err err;

    if (kafka_scram_new(hash, "user", "pencil", "rOprNGfwEbeRWgbNEkqO", &s, &err) < 0)
        abort();
    err.msg[0] = '\0';
    if (kafka_scram_server_first(s, data, first, &err) < 0) {
        if (err.msg[0] == '\0' || kafka_scram_client_final(s) != NULL)
            abort();
    } else if (kafka_scram_client_final(s) == NULL) {
        abort();
    } else if (nl != NULL) {
        err.msg[0] = '\0';
        if (kafka_scram_server_final(s, nl + 1, size - first - 1, &err) < 0 && err.msg[0] == '\0')
            abort();
    }
    kafka_scram_free(s);
    return 0;
}
