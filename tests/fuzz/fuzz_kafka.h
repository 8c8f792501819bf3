/* What every Kafka response decoder's fuzz target does, once: feed the input
 * to the decoder as each version it speaks and hold it to its contract. A
 * failure must say why and return no result; a success must return one,
 * which the target's own check walks (aborting on anything wrong, touching
 * every array so ASan sees it) before it is freed. Never a read outside the
 * input, a leak or a crash.
 *
 * A target includes this header and the decoder's, defines
 *     static void check(const TYPE *res, int16_t version, size_t size)
 * and says KAFKA_FUZZ_RESPONSE(TYPE, decode, free, min, max). */
#ifndef BERTH_TESTS_FUZZ_KAFKA_H
#define BERTH_TESTS_FUZZ_KAFKA_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util/err.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define KAFKA_FUZZ_RESPONSE(type, decode, free_fn, min, max)                                       \
    int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)                                   \
    {                                                                                              \
        int16_t version;                                                                           \
                                                                                                   \
        for (version = (min); version <= (max); version++) {                                       \
            type *res = NULL;                                                                      \
            util_err err;                                                                          \
                                                                                                   \
            err.msg[0] = '\0';                                                                     \
            if (decode(data, size, version, &res, &err) < 0) {                                     \
                if (res != NULL || err.msg[0] == '\0')                                             \
                    abort(); /* a failure must say why and return nothing */                       \
                continue;                                                                          \
            }                                                                                      \
            if (res == NULL)                                                                       \
                abort();                                                                           \
            check(res, version, size);                                                             \
            free_fn(res);                                                                          \
        }                                                                                          \
        return 0;                                                                                  \
    }

/* A decoded id list (replicas, ISR, ...): its count matches its array. */
static inline void kafka_fuzz_check_ids(const int32_t *ids, int32_t n)
{
    volatile uint32_t sum = 0;
    int32_t i;

    if (n < 0 || (n > 0 && ids == NULL))
        abort();
    for (i = 0; i < n; i++)
        sum += (uint32_t)ids[i];
}

#endif
