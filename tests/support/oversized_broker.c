/* A broker that announces an oversized Metadata answer; see
 * oversized_broker.h. */
#include "support/oversized_broker.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "support/kafka_bytes.h"
#include "support/loopback.h"

/* ApiVersions v3 answer body: no error; ApiVersions v0..3, Metadata
 * v0..12, and what the mover needs (AlterPartitionReassignments v0..1,
 * ListPartitionReassignments v0, DescribeQuorum v0..2); no throttle, no
 * tags. */
static const unsigned char api_versions_v3[] = {
    I16(0), 0x06, I16(18), I16(0), I16(3), 0x00, I16(3),  I16(0), I16(12), 0x00, I16(45), I16(0),
    I16(1), 0x00, I16(46), I16(0), I16(0), 0x00, I16(55), I16(0), I16(2),  0x00, I32(0),  0x00,
};

/* One connection: ApiVersions answered, every other request answered with
 * the announced Metadata size and a correlation id, nothing more. */
static void serve_one(const ob_broker *b, int fd)
{
    unsigned char hdr[12], body[4096], out[64];

    for (;;) {
        int key = kb_recv_request(fd, hdr, body, sizeof body);
        size_t n;

        if (key < 0)
            break;
        if (key == 18) {
            uint32_t len = 4 + sizeof api_versions_v3;
            unsigned char pre[] = {I32((int)len)};

            memcpy(out, pre, 4);
            memcpy(out + 4, hdr + 8, 4); /* correlation id */
            memcpy(out + 8, api_versions_v3, sizeof api_versions_v3);
            n = 8 + sizeof api_versions_v3;
        } else {
            out[0] = (unsigned char)(b->metadata_size >> 24);
            out[1] = (unsigned char)(b->metadata_size >> 16);
            out[2] = (unsigned char)(b->metadata_size >> 8);
            out[3] = (unsigned char)b->metadata_size;
            memcpy(out + 4, hdr + 8, 4);
            n = 8;
        }
        if (send(fd, out, n, MSG_NOSIGNAL) < 0)
            break;
    }
}

static void *serve(void *arg)
{
    ob_broker *b = arg;
    int fd;

    while ((fd = accept(b->lfd, NULL, NULL)) >= 0) {
        serve_one(b, fd);
        close(fd);
    }
    return NULL;
}

void ob_start(ob_broker *b, uint32_t metadata_size)
{
    int port;

    b->metadata_size = metadata_size;
    b->lfd = lo_listen(16, &port);
    snprintf(b->addr, sizeof b->addr, "127.0.0.1:%d", port);
    if (pthread_create(&b->thread, NULL, serve, b) != 0)
        abort();
}

void ob_stop(ob_broker *b)
{
    shutdown(b->lfd, SHUT_RDWR);
    close(b->lfd);
    pthread_join(b->thread, NULL);
}
