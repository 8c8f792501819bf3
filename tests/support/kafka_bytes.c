/* Golden Kafka wire bytes for the codec tests; see kafka_bytes.h. */
#include "support/kafka_bytes.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

unsigned char *kb_exact_copy(const void *p, size_t n)
{
    unsigned char *c = malloc(n ? n : 1);
    ck_assert_ptr_nonnull(c);
    if (n > 0)
        memcpy(c, p, n);
    return c;
}
