/* Golden Kafka wire bytes for the codec tests: big-endian integers, to
 * spell expected frames by hand from the protocol's message definitions,
 * and an exact-size heap copy of an input, so ASan flags a decoder that
 * reads one byte past it. */
#ifndef BERTH_TESTS_KAFKA_BYTES_H
#define BERTH_TESTS_KAFKA_BYTES_H

#include <stddef.h>

#define I16(v)  (((v) >> 8) & 0xff), ((v)&0xff)
#define I32(v)  (((v) >> 24) & 0xff), (((v) >> 16) & 0xff), (((v) >> 8) & 0xff), ((v)&0xff)
#define SIGN(v) ((v) < 0 ? 0xff : 0x00)
#define I64(v)  SIGN(v), SIGN(v), SIGN(v), SIGN(v), I32(v)

/* A heap copy of exactly n bytes of p, for free(). Aborts the test when out
 * of memory. */
unsigned char *kb_exact_copy(const void *p, size_t n);

#endif
