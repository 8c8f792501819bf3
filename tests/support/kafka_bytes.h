/* Golden Kafka wire bytes for the codec tests: big-endian integers, to
 * spell expected frames by hand from the protocol's message definitions,
 * an exact-size heap copy of an input, so ASan flags a decoder that reads
 * one byte past it, and the reading of request frames by the tests'
 * scripted brokers. */
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

/* For scripted brokers: reads one request frame from fd, its first 12
 * bytes (size, api key, version, correlation id) into hdr and the rest into
 * body (cap bytes). Returns the api key, or -1 when the peer left or the
 * frame does not fit. */
int kb_recv_request(int fd, unsigned char hdr[12], unsigned char *body, size_t cap);

#endif
