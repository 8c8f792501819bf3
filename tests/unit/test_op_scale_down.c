/* The operator's scale-down check (operator/scale_down.h) against a
 * scripted broker on loopback: a Metadata answer announced larger than
 * OP_SCALE_DOWN_MAX_FRAME is refused from its size prefix, before any of
 * it is read or allocated, and the error says so; an unreachable address
 * is named. */
#include <check.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <arpa/inet.h>

#include "operator/scale_down.h"
#include "support/kafka_bytes.h"

/* ApiVersions v3 answer body: no error; ApiVersions v0..3 and Metadata
 * v0..12; no throttle, no tags. */
static const unsigned char api_versions_v3[] = {
    I16(0), 0x03, I16(18), I16(0), I16(3), 0x00, I16(3), I16(0), I16(12), 0x00, I32(0), 0x00,
};

typedef struct scripted {
    int lfd;
    char addr[32];
    uint32_t metadata_size; /* the size prefix it announces for Metadata */
    pthread_t thread;
} scripted;

/* One connection: answers ApiVersions, then announces a Metadata answer of
 * metadata_size bytes and sends only its first bytes. */
static void *serve(void *arg)
{
    scripted *s = arg;
    int fd = accept(s->lfd, NULL, NULL);
    unsigned char hdr[12], body[4096], out[64];

    for (;;) {
        int key = fd >= 0 ? kb_recv_request(fd, hdr, body, sizeof body) : -1;
        size_t n = 0;

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
            out[0] = (unsigned char)(s->metadata_size >> 24);
            out[1] = (unsigned char)(s->metadata_size >> 16);
            out[2] = (unsigned char)(s->metadata_size >> 8);
            out[3] = (unsigned char)s->metadata_size;
            memcpy(out + 4, hdr + 8, 4);
            n = 8;
        }
        if (send(fd, out, n, MSG_NOSIGNAL) < 0)
            break;
    }
    if (fd >= 0)
        close(fd);
    return NULL;
}

static void start(scripted *s, uint32_t metadata_size)
{
    struct sockaddr_in a = {.sin_family = AF_INET};
    socklen_t len = sizeof a;

    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    s->metadata_size = metadata_size;
    s->lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    ck_assert_int_ge(s->lfd, 0);
    ck_assert_int_eq(bind(s->lfd, (struct sockaddr *)&a, sizeof a), 0);
    ck_assert_int_eq(listen(s->lfd, 4), 0);
    ck_assert_int_eq(getsockname(s->lfd, (struct sockaddr *)&a, &len), 0);
    snprintf(s->addr, sizeof s->addr, "127.0.0.1:%d", ntohs(a.sin_port));
    ck_assert_int_eq(pthread_create(&s->thread, NULL, serve, s), 0);
}

static void stop(scripted *s)
{
    shutdown(s->lfd, SHUT_RDWR);
    close(s->lfd);
    pthread_join(s->thread, NULL);
}

START_TEST(an_oversized_metadata_answer_is_refused_unread)
{
    scripted s;
    char msg[256], want[128];
    util_err err = {{0}};

    start(&s, OP_SCALE_DOWN_MAX_FRAME + 1);
    ck_assert_int_eq(op_scale_down_check(s.addr, NULL, 3, 5, msg, sizeof msg, &err), -1);
    snprintf(want, sizeof want, "frame of %u bytes exceeds the limit of %u bytes",
             OP_SCALE_DOWN_MAX_FRAME + 1, OP_SCALE_DOWN_MAX_FRAME);
    ck_assert_msg(strstr(err.msg, want) != NULL, "%s", err.msg);
    ck_assert_msg(strstr(err.msg, s.addr) != NULL, "%s", err.msg);
    stop(&s);
}
END_TEST

START_TEST(an_unreachable_address_is_named)
{
    char msg[256];
    util_err err = {{0}};

    ck_assert_int_eq(op_scale_down_check("127.0.0.1:1", NULL, 3, 5, msg, sizeof msg, &err), -1);
    ck_assert_msg(strstr(err.msg, "127.0.0.1:1") != NULL, "%s", err.msg);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("op_scale_down");
    TCase *tc = tcase_create("check");
    SRunner *sr;
    int failed;

    tcase_add_test(tc, an_oversized_metadata_answer_is_refused_unread);
    tcase_add_test(tc, an_unreachable_address_is_named);
    suite_add_tcase(s, tc);
    sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? 0 : 1;
}
