/* Golden Kafka wire bytes for the codec tests; see kafka_bytes.h. */
#include "support/kafka_bytes.h"

#include <check.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

unsigned char *kb_exact_copy(const void *p, size_t n)
{
    unsigned char *c = malloc(n ? n : 1);
    ck_assert_ptr_nonnull(c);
    if (n > 0)
        memcpy(c, p, n);
    return c;
}

/* Reads exactly n bytes; -1 when the peer left first. */
static int recv_n(int fd, unsigned char *buf, size_t n)
{
    size_t off = 0;

    while (off < n) {
        ssize_t r = recv(fd, buf + off, n - off, 0);
        if (r <= 0)
            return -1;
        off += (size_t)r;
    }
    return 0;
}

int kb_recv_request(int fd, unsigned char hdr[12], unsigned char *body, size_t cap)
{
    uint32_t size;

    if (recv_n(fd, hdr, 12) < 0)
        return -1;
    size = (uint32_t)hdr[0] << 24 | (uint32_t)hdr[1] << 16 | (uint32_t)hdr[2] << 8 | hdr[3];
    if (size < 8 || size - 8 > cap || recv_n(fd, body, size - 8) < 0)
        return -1;
    return hdr[4] << 8 | hdr[5];
}
