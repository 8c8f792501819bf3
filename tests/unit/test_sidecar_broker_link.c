/* The prober's held broker connection (sidecar/serve/broker_link.c), the
 * lib/kafka/conn.c facts it reads, the readiness probe over it
 * (sidecar/serve/readiness.c) and run's prober around them (sidecar/serve/run.c),
 * against an in-process stand-in broker on loopback that answers
 * ApiVersions, DescribeCluster, Metadata and DescribeQuorum from a state
 * the test sets:
 *  - a connection the broker closes while it is held says the broker
 *    process ended (and a reset reads the same); a call that times out, or
 *    a close after the link sat idle past SC_LINK_MAX_IDLE_MS, says
 *    nothing; a port where nothing listens is "gone", one that accepts but
 *    never answers is not; a link older than SC_LINK_MAX_AGE_MS is replaced
 *    by a new connection after a good check, the new one opened first;
 *  - the wait between checks: the broker closing (or resetting) the held
 *    link ends a 30 s wait at once with that verdict; a quiet broker lets
 *    it last its time and keeps the link; a byte on the wake fd ends it at
 *    once; bytes nobody asked for, or an idle close, drop the link without
 *    a verdict;
 *  - the probe, latched, over the held link: an ISR shrink of the same
 *    process stays ready on the same connection; a restart quicker than
 *    one check (the held connection closed, the new process already
 *    registered) is unready at that very check, with the ISR asked again:
 *    out of it, then restore, then ready; a process that ends during the
 *    wait drops the latch there, counted once; fenced drops the latch too;
 *    a check on a connection of its own sees a refused port as a restart;
 *  - run with checks 30 s apart, latched ready: the broker process ending
 *    turns /readyz 503 within 500 ms, the next check follows at once, and
 *    stopping run ends the wait at once. */
#include <check.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include "kafka/api_versions.h"
#include "kafka/conn.h"
#include "sidecar/cmd.h"
#include "sidecar/serve/broker_link.h"
#include "sidecar/serve/readiness.h"
#include "sidecar/serve/run.h"
#include "support/http_client.h"
#include "support/kafka_bytes.h"
#include "support/tmpdir.h"
#include "util/clock.h"

#define MAX_CONNS 8

/* ---- a stand-in broker: ApiVersions only ---- */

enum { ANSWER, SILENT };

#define ME 2 /* the stand-in's broker id */

typedef struct broker {
    int lfd, port;
    char addr[32];
    pthread_t thread;
    atomic_int stop, mode, drop, reset, chatter, accepted, open_conns;
    /* What it says of broker ME: registered, fenced, in the ISR of t-0. */
    atomic_int registered, fenced, in_isr;
} broker;

/* ApiVersions v3 answer body (after the correlation id): no error; keys 18
 * (v0..3), 60 DescribeCluster (v0..2), 3 Metadata (v4), 55 DescribeQuorum
 * (v0); no throttle, no tags. */
static const unsigned char api_versions_v3[] = {
    I16(0), 0x05,   I16(18), I16(0), I16(3),  0x00,   I16(60), I16(0), I16(2), 0x00,
    I16(3), I16(4), I16(4),  0x00,   I16(55), I16(0), I16(0),  0x00,   I32(0), 0x00,
};

/* DescribeQuorum v0 body: no error, __cluster_metadata-0 led by 0 with no
 * voter listed (so ME is no voter), no tags. */
static const unsigned char describe_quorum_v0[] = {
    I16(0), 0x02,   0x13,   '_',    '_',     'c',  'l',  'u',  's',  't',  'e',
    'r',    '_',    'm',    'e',    't',     'a',  'd',  'a',  't',  'a',  0x02,
    I32(0), I16(0), I32(0), I32(1), I64(10), 0x01, 0x01, 0x00, 0x00, 0x00,
};

/* An answer being built. */
typedef struct wbuf {
    unsigned char b[512];
    size_t n;
} wbuf;

static void put(wbuf *w, const void *p, size_t n)
{
    memcpy(w->b + w->n, p, n);
    w->n += n;
}

static void put_i16(wbuf *w, int v)
{
    unsigned char b[] = {I16(v)};
    put(w, b, sizeof b);
}

static void put_i32(wbuf *w, int v)
{
    unsigned char b[] = {I32(v)};
    put(w, b, sizeof b);
}

static void put_u8(wbuf *w, int v)
{
    unsigned char b = (unsigned char)v;
    put(w, &b, 1);
}

/* DescribeCluster v2 body: brokers 0 and, if registered, ME (fenced or
 * not); flexible. */
static void describe_cluster_v2(broker *b, wbuf *w)
{
    int me = atomic_load(&b->registered);

    put_i32(w, 0); /* throttle */
    put_i16(w, 0); /* error */
    put_u8(w, 0);  /* error_message: null */
    put_u8(w, 1);  /* endpoint_type */
    put(w,
        "\x02"
        "c",
        2);                /* cluster_id */
    put_i32(w, 0);         /* controller */
    put_u8(w, me ? 3 : 2); /* brokers */
    for (int id = 0; id <= ME; id += ME) {
        if (id == ME && !me)
            break;
        put_i32(w, id);
        put(w,
            "\x02"
            "h",
            2);
        put_i32(w, 9092);
        put_u8(w, 0); /* rack: null */
        put_u8(w, id == ME && atomic_load(&b->fenced));
        put_u8(w, 0);
    }
    put_i32(w, 0); /* authorized operations */
    put_u8(w, 0);
}

/* Metadata v4 body: brokers 0 and ME, topic t with partition 0 replicated
 * by ME and 0, led by 0, ME in the ISR or not. */
static void metadata_v4(broker *b, wbuf *w)
{
    int in = atomic_load(&b->in_isr);

    put_i32(w, 0); /* throttle */
    put_i32(w, 2);
    for (int id = 0; id <= ME; id += ME) {
        put_i32(w, id);
        put(w,
            "\x00\x01"
            "h",
            3);
        put_i32(w, 9092);
        put_i16(w, -1); /* rack */
    }
    put_i16(w, -1); /* cluster_id */
    put_i32(w, 0);  /* controller */
    put_i32(w, 1);  /* topics */
    put_i16(w, 0);
    put(w,
        "\x00\x01"
        "t",
        3);
    put_u8(w, 0);  /* is_internal */
    put_i32(w, 1); /* partitions */
    put_i16(w, 0);
    put_i32(w, 0); /* index */
    put_i32(w, 0); /* leader */
    put_i32(w, 2);
    put_i32(w, ME);
    put_i32(w, 0);
    put_i32(w, in ? 2 : 1);
    put_i32(w, 0);
    if (in)
        put_i32(w, ME);
}

/* One request on fd, answered unless SILENT; -1 when the client left. */
static int serve_one(broker *b, int fd)
{
    unsigned char hdr[12], body[1024];
    wbuf out = {{0}, 4}, w = {{0}, 0};
    uint32_t size;
    int key = kb_recv_request(fd, hdr, body, sizeof body), flexible = 1;

    if (key < 0)
        return -1;
    if (atomic_load(&b->mode) == SILENT)
        return 0;
    if (key == 18) {
        put(&w, api_versions_v3, sizeof api_versions_v3);
        flexible = 0; /* ApiVersions answers with header v0 */
    } else if (key == 60) {
        describe_cluster_v2(b, &w);
    } else if (key == 3) {
        metadata_v4(b, &w);
        flexible = 0;
    } else if (key == 55) {
        put(&w, describe_quorum_v0, sizeof describe_quorum_v0);
    } else {
        return -1;
    }
    put(&out, hdr + 8, 4); /* the correlation id */
    if (flexible)
        put_u8(&out, 0); /* response header v1: no tags */
    put(&out, w.b, w.n);
    size = (uint32_t)(out.n - 4);
    out.b[0] = (unsigned char)(size >> 24);
    out.b[1] = (unsigned char)(size >> 16);
    out.b[2] = (unsigned char)(size >> 8);
    out.b[3] = (unsigned char)size;
    return send(fd, out.b, out.n, MSG_NOSIGNAL) < 0 ? -1 : 0;
}

/* Closes a client connection, with a reset (RST) when asked. */
static void hang_up(broker *b, int fd)
{
    if (atomic_load(&b->reset)) {
        struct linger l = {1, 0};
        setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof l);
    }
    close(fd);
    atomic_fetch_sub(&b->open_conns, 1);
}

static void *broker_main(void *arg)
{
    broker *b = arg;
    int conns[MAX_CONNS], n = 0;

    while (!atomic_load(&b->stop)) {
        struct pollfd p[MAX_CONNS + 1];
        int k;

        if (atomic_exchange(&b->drop, 0)) {
            while (n > 0)
                hang_up(b, conns[--n]);
        }
        /* A byte on every connection, though nobody asked. */
        if (atomic_exchange(&b->chatter, 0))
            for (k = 0; k < n; k++)
                (void)!send(conns[k], "x", 1, MSG_NOSIGNAL);
        p[0].fd = b->lfd;
        p[0].events = POLLIN;
        for (k = 0; k < n; k++) {
            p[k + 1].fd = conns[k];
            p[k + 1].events = POLLIN;
        }
        if (poll(p, (nfds_t)n + 1, 20) <= 0)
            continue;
        for (k = n - 1; k >= 0; k--)
            if (p[k + 1].revents != 0 && serve_one(b, conns[k]) < 0) {
                hang_up(b, conns[k]);
                conns[k] = conns[--n];
            }
        if ((p[0].revents & POLLIN) && n < MAX_CONNS) {
            int fd = accept(b->lfd, NULL, NULL);
            if (fd >= 0) {
                conns[n++] = fd;
                atomic_fetch_add(&b->accepted, 1);
                atomic_fetch_add(&b->open_conns, 1);
            }
        }
    }
    while (n > 0)
        hang_up(b, conns[--n]);
    return NULL;
}

static void broker_start(broker *b)
{
    struct sockaddr_in a;
    socklen_t len = sizeof a;

    memset(b, 0, sizeof *b);
    atomic_store(&b->registered, 1);
    atomic_store(&b->in_isr, 1);
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    b->lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    ck_assert_int_ge(b->lfd, 0);
    ck_assert_int_eq(bind(b->lfd, (struct sockaddr *)&a, sizeof a), 0);
    ck_assert_int_eq(listen(b->lfd, 8), 0);
    ck_assert_int_eq(getsockname(b->lfd, (struct sockaddr *)&a, &len), 0);
    b->port = ntohs(a.sin_port);
    snprintf(b->addr, sizeof b->addr, "127.0.0.1:%d", b->port);
    ck_assert_int_eq(pthread_create(&b->thread, NULL, broker_main, b), 0);
}

/* Stops serving and closes the port: from now on nothing listens there. */
static void broker_stop(broker *b)
{
    atomic_store(&b->stop, 1);
    pthread_join(b->thread, NULL);
    close(b->lfd);
}

/* Hangs up every connection, as a broker process that dies does. */
static void broker_drop_all(broker *b)
{
    atomic_store(&b->drop, 1);
    for (int i = 0; i < 200 && atomic_load(&b->open_conns) > 0; i++)
        sc_sleep_ms(5);
    ck_assert_int_eq(atomic_load(&b->open_conns), 0);
}

/* The check's own call on the held connection. */
static int call(sc_link *l, int timeout_ms)
{
    kafka_api_versions *av = NULL;
    util_err err = {{0}};
    int rc = kafka_api_versions_fetch(l->conn, timeout_ms, &av, &err);

    kafka_api_versions_free(av);
    return rc;
}

static void open_link(sc_link *l, broker *b)
{
    char why[200] = "";
    util_err err = {{0}};
    int gone = -1;

    sc_link_init(l, b->addr, NULL);
    ck_assert_msg(sc_link_open(l, 2000, &gone, why, sizeof why, &err) == 0, "%s", err.msg);
    ck_assert_ptr_nonnull(l->conn);
    ck_assert_int_eq(gone, 0);
}

START_TEST(a_held_link_the_broker_closes_says_the_process_ended)
{
    broker b;
    sc_link l;
    char why[200] = "";
    int gone = 0;
    util_err err = {{0}};

    broker_start(&b);
    open_link(&l, &b);
    ck_assert_int_eq(call(&l, 2000), 0);
    sc_link_used(&l, 2000);
    /* The held one stays: no new dial. */
    ck_assert_int_eq(sc_link_open(&l, 2000, &gone, why, sizeof why, &err), 0);
    ck_assert_int_eq(atomic_load(&b.accepted), 1);
    ck_assert(!kafka_conn_closed_by_peer(l.conn));

    broker_drop_all(&b);
    ck_assert_int_eq(call(&l, 2000), -1);
    ck_assert(kafka_conn_closed_by_peer(l.conn));
    ck_assert_int_eq(sc_link_broke(&l, why, sizeof why), 1);
    ck_assert_msg(strstr(why, "it closed the sidecar's connection to 127.0.0.1:") != NULL, "%s",
                  why);
    ck_assert_ptr_null(l.conn);

    /* The same with a reset instead of an orderly close. */
    atomic_store(&b.reset, 1);
    open_link(&l, &b);
    broker_drop_all(&b);
    ck_assert_int_eq(call(&l, 2000), -1);
    ck_assert_int_eq(sc_link_broke(&l, why, sizeof why), 1);
    broker_stop(&b);
}
END_TEST

START_TEST(a_timeout_or_an_idle_close_is_no_verdict)
{
    broker b;
    sc_link l;
    char why[200] = "";

    broker_start(&b);
    open_link(&l, &b);
    atomic_store(&b.mode, SILENT);
    ck_assert_int_eq(call(&l, 300), -1);
    ck_assert(!kafka_conn_closed_by_peer(l.conn));
    ck_assert_int_eq(sc_link_broke(&l, why, sizeof why), 0);
    ck_assert_ptr_null(l.conn);

    /* Closed after sitting idle longer than the broker may keep it. */
    atomic_store(&b.mode, ANSWER);
    open_link(&l, &b);
    l.used_ms -= SC_LINK_MAX_IDLE_MS + 1000;
    broker_drop_all(&b);
    ck_assert_int_eq(call(&l, 2000), -1);
    ck_assert(kafka_conn_closed_by_peer(l.conn));
    ck_assert_int_eq(sc_link_broke(&l, why, sizeof why), 0);
    broker_stop(&b);
}
END_TEST

START_TEST(nothing_listening_is_gone_a_silent_listener_is_not)
{
    broker b;
    sc_link l;
    char why[200] = "", addr[32];
    util_err err = {{0}};
    int gone = 0, lfd;
    struct sockaddr_in a;
    socklen_t len = sizeof a;

    broker_start(&b);
    ck_assert_int_eq(kafka_conn_refused(b.addr, 1000), 0);
    snprintf(addr, sizeof addr, "%s", b.addr);
    broker_stop(&b);
    ck_assert_int_eq(kafka_conn_refused(addr, 1000), 1);
    sc_link_init(&l, addr, NULL);
    ck_assert_int_eq(sc_link_open(&l, 1000, &gone, why, sizeof why, &err), -1);
    ck_assert_int_eq(gone, 1);
    ck_assert_msg(strstr(why, "nothing listens on 127.0.0.1:") != NULL &&
                      strstr(why, "(connection refused)") != NULL,
                  "%s", why);
    ck_assert_msg(strstr(err.msg, "Connection refused") != NULL, "%s", err.msg);
    ck_assert_ptr_null(l.conn);

    /* Accepts (the kernel does) and never answers: not refused, no verdict. */
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    ck_assert_int_eq(bind(lfd, (struct sockaddr *)&a, sizeof a), 0);
    ck_assert_int_eq(listen(lfd, 8), 0);
    ck_assert_int_eq(getsockname(lfd, (struct sockaddr *)&a, &len), 0);
    snprintf(addr, sizeof addr, "127.0.0.1:%d", ntohs(a.sin_port));
    sc_link_init(&l, addr, NULL);
    gone = 0;
    ck_assert_int_eq(sc_link_open(&l, 300, &gone, why, sizeof why, &err), -1);
    ck_assert_int_eq(gone, 0);
    ck_assert_int_eq(kafka_conn_refused(addr, 300), 0);
    close(lfd);
}
END_TEST

START_TEST(an_old_link_is_replaced_after_a_good_check)
{
    broker b;
    sc_link l;
    kafka_conn *first;

    broker_start(&b);
    open_link(&l, &b);
    first = l.conn;
    sc_link_used(&l, 2000);
    ck_assert_ptr_eq(l.conn, first);
    l.opened_ms -= SC_LINK_MAX_AGE_MS + 1000;
    sc_link_used(&l, 2000);
    ck_assert_int_eq(atomic_load(&b.accepted), 2);
    ck_assert_int_le(util_mono_ms() - l.opened_ms, 1000);
    ck_assert_int_eq(call(&l, 2000), 0);
    /* The old connection was closed by the sidecar, not left open. */
    for (int i = 0; i < 200 && atomic_load(&b.open_conns) > 1; i++)
        sc_sleep_ms(5);
    ck_assert_int_eq(atomic_load(&b.open_conns), 1);
    sc_link_close(&l);
    ck_assert_ptr_null(l.conn);
    broker_stop(&b);
}
END_TEST

/* ---- the wait between checks ---- */

/* Opens a link and makes one good check on it, as the prober does. */
static void checked_link(sc_link *l, broker *b)
{
    open_link(l, b);
    ck_assert_int_eq(call(l, 2000), 0);
    sc_link_used(l, 2000);
}

/* The broker ends the held link while the prober waits 30 s for its next
 * check: the wait returns at once with the verdict, for a close and for a
 * reset alike. */
START_TEST(the_wait_between_checks_sees_the_broker_end_at_once)
{
    broker b;
    sc_link l;
    char why[200] = "";
    long long start, took;

    broker_start(&b);
    for (int reset = 0; reset <= 1; reset++) {
        atomic_store(&b.reset, reset);
        checked_link(&l, &b);
        start = util_mono_ms();
        atomic_store(&b.drop, 1);
        ck_assert_int_eq(sc_link_wait(&l, -1, 30000, why, sizeof why), 1);
        took = util_mono_ms() - start;
        ck_assert_msg(took < 500, "the wait saw the close after %lld ms", took);
        ck_assert_msg(strstr(why, "it closed the sidecar's connection to 127.0.0.1:") != NULL, "%s",
                      why);
        ck_assert_ptr_null(l.conn);
    }
    broker_stop(&b);
}
END_TEST

/* A quiet broker: the wait lasts its time and keeps the link (the next
 * check uses it); a byte on wake_fd ends it at once, link held or not. */
START_TEST(the_wait_ends_at_its_time_or_when_woken)
{
    broker b;
    sc_link l;
    char why[200] = "";
    long long start, took;
    int wake[2];

    ck_assert_int_eq(pipe(wake), 0);
    broker_start(&b);
    checked_link(&l, &b);
    start = util_mono_ms();
    ck_assert_int_eq(sc_link_wait(&l, wake[0], 300, why, sizeof why), 0);
    took = util_mono_ms() - start;
    ck_assert_msg(took >= 290 && took < 1000, "waited %lld ms", took);
    ck_assert_ptr_nonnull(l.conn);
    ck_assert_int_eq(call(&l, 2000), 0);
    ck_assert_int_eq(write(wake[1], "w", 1), 1);
    start = util_mono_ms();
    ck_assert_int_eq(sc_link_wait(&l, wake[0], 30000, why, sizeof why), 0);
    ck_assert_ptr_nonnull(l.conn);
    sc_link_close(&l);
    ck_assert_int_eq(sc_link_wait(&l, wake[0], 30000, why, sizeof why), 0);
    took = util_mono_ms() - start;
    ck_assert_msg(took < 500, "woken after %lld ms", took);
    ck_assert_int_eq(atomic_load(&b.accepted), 1);
    broker_stop(&b);
    close(wake[0]);
    close(wake[1]);
}
END_TEST

/* Bytes nobody asked for, or a close after the link sat idle longer than
 * the broker may keep it: the link is dropped, no verdict, and the wait
 * lasts its time. */
START_TEST(stray_bytes_or_an_idle_close_drop_the_link_without_a_verdict)
{
    broker b;
    sc_link l;
    char why[200] = "";
    long long start;

    broker_start(&b);
    checked_link(&l, &b);
    start = util_mono_ms();
    atomic_store(&b.chatter, 1);
    ck_assert_int_eq(sc_link_wait(&l, -1, 400, why, sizeof why), 0);
    ck_assert_int_ge(util_mono_ms() - start, 390);
    ck_assert_ptr_null(l.conn);

    checked_link(&l, &b);
    l.used_ms -= SC_LINK_MAX_IDLE_MS + 1000;
    atomic_store(&b.drop, 1);
    ck_assert_int_eq(sc_link_wait(&l, -1, 400, why, sizeof why), 0);
    ck_assert_ptr_null(l.conn);
    broker_stop(&b);
}
END_TEST

/* ---- the readiness probe over the held link ---- */

/* Probes once; the verdict, with r->reason and f filled. */
static int probe(sc_readiness *r, sc_link *l, int restore_done, sc_ready_facts *f)
{
    util_err err = {{0}};

    return sc_readiness_probe(r, l, ME, restore_done, 2000, f, &err);
}

/* Latched, then an ISR shrink of the same process: still ready, on the same
 * connection. */
START_TEST(an_isr_shrink_of_the_same_process_stays_ready)
{
    broker b;
    sc_link l;
    sc_readiness r = {0};
    sc_ready_facts f;

    broker_start(&b);
    sc_link_init(&l, b.addr, NULL);
    ck_assert_int_eq(probe(&r, &l, 0, &f), 0);
    ck_assert_str_eq(r.reason, "leadership restore still running");
    ck_assert_int_eq(f.parts.replicated, 1);
    ck_assert_int_eq(probe(&r, &l, 1, &f), 1);
    ck_assert(r.latched);
    atomic_store(&b.in_isr, 0);
    for (int i = 0; i < 3; i++)
        ck_assert_int_eq(probe(&r, &l, 0, &f), 1);
    ck_assert_int_eq(r.restarts, 0);
    ck_assert_int_eq(atomic_load(&b.accepted), 1);
    sc_link_close(&l);
    broker_stop(&b);
}
END_TEST

/* Latched; the process restarts between two checks and the new one is
 * already registered at the next: unready at that very check, out of the
 * ISR (asked again, though the latch was on when the check began), then
 * restore, then ready. */
START_TEST(a_restart_quicker_than_a_check_is_caught_at_the_next_one)
{
    broker b;
    sc_link l;
    sc_readiness r = {0};
    sc_ready_facts f;
    char want[300];

    broker_start(&b);
    sc_link_init(&l, b.addr, NULL);
    ck_assert_int_eq(probe(&r, &l, 1, &f), 1);
    ck_assert(r.latched);
    broker_drop_all(&b); /* the old process's connections end */
    atomic_store(&b.in_isr, 0);
    ck_assert_int_eq(probe(&r, &l, 1, &f), 0);
    snprintf(want, sizeof want,
             "broker restarted: it closed the sidecar's connection to %s (its process ended); "
             "not in the ISR of 1 of 1 partitions it replicates (first: t-0)",
             b.addr);
    ck_assert_str_eq(r.reason, want);
    ck_assert_int_eq(r.restarts, 1);
    ck_assert_int_eq(atomic_load(&b.accepted), 2);
    atomic_store(&b.in_isr, 1);
    /* The restore done before was the old process's. */
    ck_assert_int_eq(probe(&r, &l, 0, &f), 0);
    ck_assert_msg(strstr(r.reason, "; leadership restore still running") != NULL, "%s", r.reason);
    ck_assert_int_eq(probe(&r, &l, 1, &f), 1);
    ck_assert(r.latched);
    ck_assert_int_eq(r.restarts, 1);
    sc_link_close(&l);
    broker_stop(&b);
}
END_TEST

/* Latched; the process ends while the prober waits between checks: the
 * latch drops then, the restart counts once (not again at the check that
 * follows), and the reason names it. */
START_TEST(a_process_that_ends_during_the_wait_drops_the_latch_there)
{
    broker b;
    sc_link l;
    sc_readiness r = {0};
    sc_ready_facts f;
    char want[300];

    broker_start(&b);
    sc_link_init(&l, b.addr, NULL);
    ck_assert_int_eq(probe(&r, &l, 1, &f), 1);
    atomic_store(&b.in_isr, 0);
    atomic_store(&b.drop, 1);
    ck_assert_int_eq(sc_readiness_wait(&r, &l, -1, 30000), 1);
    ck_assert(!r.latched);
    ck_assert_int_eq(r.restarts, 1);
    snprintf(want, sizeof want,
             "broker restarted: it closed the sidecar's connection to %s (its process ended); "
             "checking it again",
             b.addr);
    ck_assert_str_eq(r.reason, want);
    ck_assert_int_eq(probe(&r, &l, 1, &f), 0);
    ck_assert_msg(strstr(r.reason, "; not in the ISR of 1 of 1") != NULL, "%s", r.reason);
    ck_assert_int_eq(r.restarts, 1);
    /* Quiet from here: the wait lasts its time. */
    ck_assert_int_eq(sc_readiness_wait(&r, &l, -1, 100), 0);
    ck_assert_int_eq(r.restarts, 1);
    sc_link_close(&l);
    broker_stop(&b);
}
END_TEST

/* Latched, then fenced (a lost session): unready until the gate passes
 * again. A check on a connection of its own, latched, sees a refused port
 * as a restart. */
START_TEST(fenced_or_refused_after_the_latch_is_a_restart)
{
    broker b;
    sc_link l;
    sc_readiness r = {0}, r2 = {0};
    sc_ready_facts f;
    util_err err = {{0}};
    char addr[32];

    broker_start(&b);
    sc_link_init(&l, b.addr, NULL);
    ck_assert_int_eq(probe(&r, &l, 1, &f), 1);
    atomic_store(&b.fenced, 1);
    ck_assert_int_eq(probe(&r, &l, 1, &f), 0);
    ck_assert_str_eq(r.reason,
                     "broker restarted: it was fenced by the controller; broker is fenced");
    atomic_store(&b.fenced, 0);
    atomic_store(&b.in_isr, 0);
    ck_assert_int_eq(probe(&r, &l, 1, &f), 0);
    ck_assert_msg(strstr(r.reason, "not in the ISR of 1 of 1") != NULL, "%s", r.reason);
    sc_link_close(&l);

    atomic_store(&b.in_isr, 1);
    ck_assert_int_eq(sc_readiness_check(&r2, b.addr, ME, NULL, 1, 2000, &f, &err), 1);
    snprintf(addr, sizeof addr, "%s", b.addr);
    broker_stop(&b);
    ck_assert_int_eq(sc_readiness_check(&r2, addr, ME, NULL, 1, 2000, &f, &err), -1);
    ck_assert_msg(strstr(r2.reason, "broker restarted: nothing listens on 127.0.0.1:") != NULL,
                  "%s", r2.reason);
    ck_assert_int_eq(r2.latched, 0);
    ck_assert_int_eq(r2.restarts, 1);
}
END_TEST

/* ---- run's prober over the held link ---- */

/* The Kafka engine's readiness in small: latched readiness probed over a
 * held link, restore taken as done. The prober's thread alone touches it. */
typedef struct held {
    sc_readiness r;
    sc_link link;
} held;

static int held_ready(void *user, char *why, size_t size)
{
    held *h = user;
    util_err err = {{0}};
    int rc = sc_readiness_probe(&h->r, &h->link, ME, 1, 2000, NULL, &err);

    if (rc != 1)
        snprintf(why, size, "%s", h->r.reason);
    return rc == 1;
}

static int held_wait(void *user, int wake_fd, long timeout_ms, char *why, size_t size)
{
    held *h = user;

    if (sc_readiness_wait(&h->r, &h->link, wake_fd, timeout_ms) != 1)
        return 0;
    snprintf(why, size, "%s", h->r.reason);
    return 1;
}

static long held_restarts(void *user)
{
    return ((held *)user)->r.restarts;
}

static int never_drain(sc_drain_call *call, void *user, util_err *err)
{
    (void)call;
    (void)user;
    return util_err_set(err, "no drain here");
}

static void *serve_run(void *arg)
{
    util_err err = {{0}};

    if (sc_run_serve(arg, &err) != 0)
        fprintf(stderr, "serve: %s\n", err.msg);
    return NULL;
}

/* GET /readyz; the status, the answer in out. */
static int readyz(int port, char *out, size_t cap)
{
    return hc_request(port, NULL, "GET /readyz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
                      out, cap, 5000);
}

/* Polls /readyz every 10 ms until it answers want with body text in it, at
 * most within_ms; the milliseconds it took, or -1. */
static long long readyz_turns(int port, int want, const char *text, long long within_ms)
{
    long long start = util_mono_ms();
    char out[2048];

    do {
        if (readyz(port, out, sizeof out) == want && strstr(out, text) != NULL)
            return util_mono_ms() - start;
        sc_sleep_ms(10);
    } while (util_mono_ms() - start <= within_ms);
    return -1;
}

/* Polls the Unix socket's GET /v1/status every 10 ms until its body holds
 * text (the detailed reason, which /readyz no longer tells), at most
 * within_ms; the milliseconds it took, or -1. */
static long long status_turns(const char *sock, const char *text, long long within_ms)
{
    long long start = util_mono_ms();
    char out[8192];

    do {
        if (hc_request(0, sock, "GET /v1/status HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
                       out, sizeof out, 5000) == 200 &&
            strstr(out, text) != NULL)
            return util_mono_ms() - start;
        sc_sleep_ms(10);
    } while (util_mono_ms() - start <= within_ms);
    return -1;
}

/* Checks 30 s apart, latched ready; the broker process ends right after a
 * check (its connections close; a new one already listens, out of the
 * ISR). /readyz says 503 within 500 ms, not at the next check, so a
 * kubelet that restarts the container and probes it at once cannot see it
 * Ready; the status on the Unix socket says "broker restarted". The next
 * check follows at once and finds the new process out of the ISR of topic
 * t's partition: the status names it, /readyz over TCP says only "broker
 * catching up". Stopping run ends the wait at once too. */
START_TEST(a_broker_process_that_ends_between_checks_is_unready_at_once)
{
    broker b;
    held h;
    sc_run_config cfg = {0};
    sc_run *run = NULL;
    pthread_t thread;
    util_err err = {{0}};
    char *dir = tmpdir_new(), sock[300], out[4096];
    long long took, stop_ms;
    int port;

    broker_start(&b);
    memset(&h, 0, sizeof h);
    sc_link_init(&h.link, b.addr, NULL);
    snprintf(sock, sizeof sock, "%s/drain.sock", dir);
    cfg.http_addr = "127.0.0.1";
    cfg.socket_path = sock;
    cfg.broker_id = ME;
    cfg.probe_interval_ms = 30000;
    cfg.ready = held_ready;
    cfg.ready_user = &h;
    cfg.ready_wait = held_wait;
    cfg.ready_restarts = held_restarts;
    cfg.drain = never_drain;
    ck_assert_msg(sc_run_new(&cfg, &run, &err) == 0, "%s", err.msg);
    port = sc_run_port(run);
    ck_assert_int_eq(pthread_create(&thread, NULL, serve_run, run), 0);
    ck_assert_int_ge(readyz_turns(port, 200, "ready", 5000), 0);
    /* Just after the first check: the next is 30 s away. */
    sc_sleep_ms(100);

    atomic_store(&b.in_isr, 0);
    /* Not broker_drop_all: the sidecar may dial again before it looks. */
    atomic_store(&b.drop, 1);
    /* Whichever class: the next check follows within a millisecond. */
    took = readyz_turns(port, 503, "not ready: ", 2000);
    ck_assert_msg(took >= 0 && took <= 500, "/readyz turned 503 after %lld ms (-1: not in 2 s)",
                  took);
    ck_assert_int_ge(
        status_turns(sock, "broker restarted: it closed the sidecar's connection", 2000), 0);
    /* The next check names the topic; /readyz over TCP only its class. */
    ck_assert_int_ge(status_turns(sock, "; not in the ISR of 1 of 1 partitions", 2000), 0);
    ck_assert_int_ge(readyz_turns(port, 503, "not ready: broker catching up\n", 2000), 0);
    ck_assert_int_eq(readyz(port, out, sizeof out), 503);
    ck_assert_msg(strstr(out, "t-0") == NULL && strstr(out, "ISR") == NULL &&
                      strstr(out, "127.0.0.1") == NULL,
                  "%s", out);
    ck_assert_int_eq(hc_request(port, NULL,
                                "GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
                                out, sizeof out, 5000),
                     200);
    ck_assert_msg(strstr(out, "\nberth_sidecar_broker_restarts_total 1\n") != NULL, "%s", out);

    stop_ms = util_mono_ms();
    sc_run_stop(run);
    pthread_join(thread, NULL);
    stop_ms = util_mono_ms() - stop_ms;
    ck_assert_msg(stop_ms < 1000, "run took %lld ms to stop", stop_ms);
    fprintf(stderr, "  /readyz 503 %lld ms after the broker's end; stopped in %lld ms\n", took,
            stop_ms);
    sc_run_free(run);
    sc_link_close(&h.link);
    broker_stop(&b);
    tmpdir_remove(dir);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("sidecar_broker_link");
    TCase *tc = tcase_create("link");
    SRunner *sr;
    int failed;

    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, a_held_link_the_broker_closes_says_the_process_ended);
    tcase_add_test(tc, a_timeout_or_an_idle_close_is_no_verdict);
    tcase_add_test(tc, nothing_listening_is_gone_a_silent_listener_is_not);
    tcase_add_test(tc, an_old_link_is_replaced_after_a_good_check);
    tcase_add_test(tc, the_wait_between_checks_sees_the_broker_end_at_once);
    tcase_add_test(tc, the_wait_ends_at_its_time_or_when_woken);
    tcase_add_test(tc, stray_bytes_or_an_idle_close_drop_the_link_without_a_verdict);
    tcase_add_test(tc, an_isr_shrink_of_the_same_process_stays_ready);
    tcase_add_test(tc, a_restart_quicker_than_a_check_is_caught_at_the_next_one);
    tcase_add_test(tc, a_process_that_ends_during_the_wait_drops_the_latch_there);
    tcase_add_test(tc, fenced_or_refused_after_the_latch_is_a_restart);
    tcase_add_test(tc, a_broker_process_that_ends_between_checks_is_unready_at_once);
    suite_add_tcase(s, tc);
    sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
