/* Port-forwarding to a pod through the API server.
 *
 * The framing (portforward_frame.h): the data channel's message is the
 * channel byte and the payload; the port number that opens each channel
 * from the server is stripped, on either channel, however the message is
 * cut into pieces; the error channel's text comes out as such; text
 * messages, channels other than 0 and 1, a port number other than the one
 * asked for, empty messages, messages ending inside the port number and
 * messages outside or across message bounds are refused with a message
 * saying which, for good; hostile bytes never crash it.
 *
 * The forwarder (portforward.h), against a TEST DOUBLE of the API server's
 * pods/portforward endpoint written here: a loopback WebSocket server,
 * plain or TLS, that does the upgrade by hand and then speaks the
 * kubelet's v4.channel.k8s.io framing, echoing what comes on the data
 * channel. It is hand-written rather than an lws server so that it can
 * also send what a well-behaved server never would (split port numbers,
 * continuation frames, text, a wrong channel or port) and refuse the
 * upgrade with any status. Proven: the upgrade request (path, query,
 * subprotocol, bearer token, a token file read again per connection,
 * User-Agent); bytes both ways, a megabyte included, with continuation
 * frames; one WebSocket per local connection; a 401, 403 or 404, the
 * kubelet's error text, a broken stream and an unreachable server each
 * close the local connection and become the last error, naming what is
 * missing; a local close closes the WebSocket; TLS with the config's CA
 * and client certificate, tls-server-name, a refused certificate or name,
 * insecure-skip-tls-verify, and an exec plugin's client certificate; a
 * local reset during the upgrade drops the WebSocket quietly; freeing with
 * streams open closes them; bad specs, server URLs and a credential that
 * cannot be had fail the start, naming them. */
#include <check.h>
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "kube/config.h"
#include "kube/portforward.h"
#include "kube/portforward_frame.h"
#include "pki/pki.h"
#include "support/http_client.h"
#include "support/kafka_bytes.h"
#include "support/kube_test.h"
#include "support/loopback.h"
#include "support/pki.h"
#include "support/tmpdir.h"
#include "util/base64.h"

#define POD_PORT 9092

/* ---- the framing ---- */

/* Feeds one whole message; returns parse's result with the piece in *out. */
static int feed(kube_pf_parser *p, const void *msg, size_t len, kube_pf_piece *out, util_err *err)
{
    return kube_pf_parse(p, msg, len, KUBE_PF_FIRST | KUBE_PF_FINAL, out, err);
}

START_TEST(encode_puts_the_data_channel_before_the_payload)
{
    unsigned char frame[8];

    ck_assert_uint_eq(kube_pf_encode(frame, sizeof frame, "abc", 3), 4);
    ck_assert_mem_eq(frame,
                     "\x00"
                     "abc",
                     4);
    /* The payload may already sit after the channel byte. */
    memcpy(frame + 1, "xyz", 3);
    ck_assert_uint_eq(kube_pf_encode(frame, sizeof frame, frame + 1, 3), 4);
    ck_assert_mem_eq(frame,
                     "\x00"
                     "xyz",
                     4);
    ck_assert_uint_eq(kube_pf_encode(frame, sizeof frame, NULL, 0), 1);
    ck_assert_uint_eq(frame[0], 0);
    ck_assert_uint_eq(kube_pf_encode(frame, 3, "abc", 3), 0);
    ck_assert_uint_eq(kube_pf_encode(frame, 0, NULL, 0), 0);
}
END_TEST

START_TEST(port_numbers_are_stripped_per_channel)
{
    static const unsigned char data_port[] = {0, 0x84, 0x23}, err_port[] = {1, 0x84, 0x23},
                               data[] = {0, 'h', 'i'}, text[] = {1, 'b', 'o', 'o', 'm'},
                               both[] = {0, 'x'};
    kube_pf_parser p;
    kube_pf_piece pc;
    util_err err = {{0}};

    kube_pf_parser_init(&p, POD_PORT); /* 9092 = 0x2384 */
    ck_assert_int_eq(feed(&p, data_port, 3, &pc, &err), 0);
    ck_assert_int_eq(pc.kind, KUBE_PF_NONE);
    ck_assert_int_eq(feed(&p, err_port, 3, &pc, &err), 0);
    ck_assert_int_eq(pc.kind, KUBE_PF_NONE);
    ck_assert_int_eq(feed(&p, data, 3, &pc, &err), 0);
    ck_assert_int_eq(pc.kind, KUBE_PF_DATA);
    ck_assert_uint_eq(pc.len, 2);
    ck_assert_mem_eq(pc.data, "hi", 2);
    ck_assert_ptr_eq(pc.data, data + 1);
    ck_assert_int_eq(feed(&p, text, 5, &pc, &err), 0);
    ck_assert_int_eq(pc.kind, KUBE_PF_ERROR);
    ck_assert_mem_eq(pc.data, "boom", 4);
    /* Later messages carry no port number: bytes that look like one are data. */
    ck_assert_int_eq(feed(&p, data_port, 3, &pc, &err), 0);
    ck_assert_int_eq(pc.kind, KUBE_PF_DATA);
    ck_assert_uint_eq(pc.len, 2);
    ck_assert_int_eq(feed(&p, both, 2, &pc, &err), 0);
    ck_assert_int_eq(pc.kind, KUBE_PF_DATA);
    /* A channel byte alone is an empty message on its channel. */
    ck_assert_int_eq(feed(&p, both, 1, &pc, &err), 0);
    ck_assert_int_eq(pc.kind, KUBE_PF_NONE);
}
END_TEST

START_TEST(port_number_and_data_may_share_a_message)
{
    static const unsigned char msg[] = {0, 0x84, 0x23, 'o', 'k'};
    kube_pf_parser p;
    kube_pf_piece pc;
    util_err err = {{0}};

    kube_pf_parser_init(&p, POD_PORT);
    ck_assert_int_eq(feed(&p, msg, sizeof msg, &pc, &err), 0);
    ck_assert_int_eq(pc.kind, KUBE_PF_DATA);
    ck_assert_uint_eq(pc.len, 2);
    ck_assert_mem_eq(pc.data, "ok", 2);
}
END_TEST

/* The stream of three messages cut into two pieces at every place, each
 * piece in an allocation of its own size so ASan sees a read past it:
 * the data and error text that come out never depend on the cut. */
START_TEST(messages_cut_anywhere_give_the_same_bytes)
{
    static const unsigned char m1[] = {0, 0x84, 0x23, 'a', 'b', 'c'},
                               m2[] = {1, 0x84, 0x23, 'e', 'r', 'r'}, m3[] = {0, 'd', 'e', 'f'};
    const unsigned char *msgs[] = {m1, m2, m3};
    size_t lens[] = {sizeof m1, sizeof m2, sizeof m3};

    for (size_t cut = 0; cut <= 6; cut++) {
        kube_pf_parser p;
        char data[16] = "", errtext[16] = "";
        util_err err = {{0}};

        kube_pf_parser_init(&p, POD_PORT);
        for (int m = 0; m < 3; m++) {
            size_t at = cut < lens[m] ? cut : lens[m];

            for (int half = 0; half < 2; half++) {
                size_t off = half == 0 ? 0 : at, n = half == 0 ? at : lens[m] - at;
                unsigned flags = (half == 0 ? KUBE_PF_FIRST : 0) | (half == 1 ? KUBE_PF_FINAL : 0);
                unsigned char *piece = kb_exact_copy(msgs[m] + off, n);
                kube_pf_piece pc;

                ck_assert_msg(kube_pf_parse(&p, piece, n, flags, &pc, &err) == 0, "cut %zu: %s",
                              cut, err.msg);
                if (pc.kind == KUBE_PF_DATA)
                    strncat(data, (const char *)pc.data, pc.len);
                else if (pc.kind == KUBE_PF_ERROR)
                    strncat(errtext, (const char *)pc.data, pc.len);
                free(piece);
            }
        }
        ck_assert_str_eq(data, "abcdef");
        ck_assert_str_eq(errtext, "err");
    }
}
END_TEST

/* One refusal: the message is fed after the port numbers when `opened`. */
static void assert_refused(const void *msg, size_t len, unsigned flags, bool opened,
                           const char *words)
{
    static const unsigned char ports[2][3] = {{0, 0x84, 0x23}, {1, 0x84, 0x23}};
    kube_pf_parser p;
    kube_pf_piece pc;
    util_err err = {{0}};

    kube_pf_parser_init(&p, POD_PORT);
    if (opened) {
        ck_assert_int_eq(feed(&p, ports[0], 3, &pc, &err), 0);
        ck_assert_int_eq(feed(&p, ports[1], 3, &pc, &err), 0);
    }
    ck_assert_int_eq(kube_pf_parse(&p, msg, len, flags, &pc, &err), -1);
    ck_assert_msg(strstr(err.msg, words) != NULL, "'%s' lacks '%s'", err.msg, words);
    ck_assert_int_eq(pc.kind, KUBE_PF_NONE);
    ck_assert_ptr_null(pc.data);
    /* For good: even a sound message fails now. */
    ck_assert_int_eq(feed(&p, "\x00z", 2, &pc, &err), -1);
    ck_assert_int_eq(pc.kind, KUBE_PF_NONE);
}

START_TEST(bad_messages_are_refused_saying_why)
{
    const unsigned all = KUBE_PF_FIRST | KUBE_PF_FINAL;

    assert_refused("\x00\x84\x23", 3, all | KUBE_PF_TEXT, false, "text message");
    assert_refused("\x02\x84\x23", 3, all, false, "channel 2");
    assert_refused("\xff", 1, all, true, "channel 255");
    assert_refused("\x00\xd2\x04", 3, all, false, "names port 1234, not the port 9092");
    assert_refused("\x01\x00\x00", 3, all, false, "channel 1 names port 0");
    assert_refused("", 0, all, false, "empty message");
    assert_refused("", 0, all, true, "empty message");
    assert_refused("\x00\x84", 2, all, false, "short message: channel 0");
    assert_refused("\x01", 1, all, false, "short message: channel 1");
    assert_refused("\x00x", 2, KUBE_PF_FINAL, false, "outside any message");
    assert_refused("\x00x", 2, 0, true, "outside any message");
}
END_TEST

START_TEST(a_message_may_not_begin_inside_another)
{
    kube_pf_parser p;
    kube_pf_piece pc;
    util_err err = {{0}};

    kube_pf_parser_init(&p, POD_PORT);
    ck_assert_int_eq(kube_pf_parse(&p, "\x00\x84", 2, KUBE_PF_FIRST, &pc, &err), 0);
    ck_assert_int_eq(kube_pf_parse(&p, "\x00\x84", 2, KUBE_PF_FIRST, &pc, &err), -1);
    ck_assert_ptr_nonnull(strstr(err.msg, "before the previous one ended"));
    ck_assert_int_eq(kube_pf_parse(&p, "\x23", 1, KUBE_PF_FINAL, &pc, &err), -1);
    ck_assert_ptr_nonnull(strstr(err.msg, "already refused"));
}
END_TEST

/* Pseudo-random bytes and flags (a fixed seed): no crash, no piece outside
 * the bytes given, and after a refusal only refusals. The fuzz target does
 * this at length. */
START_TEST(garbage_never_crashes)
{
    unsigned seed = 12345;

    for (int round = 0; round < 2000; round++) {
        kube_pf_parser p;
        bool failed = false;

        kube_pf_parser_init(&p, (uint16_t)(round * 7919));
        for (int i = 0; i < 8; i++) {
            size_t n = (seed = seed * 1103515245u + 12345u) % 7;
            unsigned flags = (seed >> 8) & 7;
            unsigned char *buf = malloc(n + 1);
            kube_pf_piece pc;
            util_err err;
            int rc;

            for (size_t k = 0; k < n; k++)
                buf[k] = (unsigned char)((seed = seed * 1103515245u + 12345u) >> 16);
            rc = kube_pf_parse(&p, buf, n, flags, &pc, &err);
            if (failed)
                ck_assert_int_eq(rc, -1);
            if (rc != 0) {
                failed = true;
                ck_assert_int_eq(pc.kind, KUBE_PF_NONE);
            } else if (pc.kind != KUBE_PF_NONE) {
                ck_assert(pc.data >= buf && pc.data + pc.len <= buf + n && pc.len > 0);
            }
            free(buf);
        }
    }
}
END_TEST

/* ---- a test double of the API server's pods/portforward ---- */

typedef struct fake_api {
    int lfd, port;
    SSL_CTX *tls; /* NULL: plain HTTP */
    /* The script, set before connections come. */
    int status;             /* answer the upgrade with this; 0: upgrade */
    atomic_bool hold;       /* read no request while set (at most 20 s) */
    uint16_t port_sent;     /* the port number it opens both channels with */
    bool split_port;        /* the data channel's port number in two frames of one message */
    bool fragment;          /* echoes as two frames, the second a continuation */
    const char *error_text; /* sent on the error channel, then it closes */
    const void *raw;        /* sent as one binary message after the port numbers */
    size_t raw_len;
    bool raw_text; /* ... as a text message */
    pthread_t thread;
    pthread_t conns[16];
    int nconns;
    /* What it saw; under mu. */
    pthread_mutex_t mu;
    char request[4096]; /* the last upgrade request's head */
    int requests, upgrades, closes_received;
    char client_cn[64]; /* of the last TLS client certificate */
} fake_api;

typedef struct fake_conn {
    fake_api *f;
    int fd;
    SSL *ssl;
} fake_conn;

static int conn_read(fake_conn *c, void *buf, size_t n)
{
    size_t off = 0;

    while (off < n) {
        ssize_t got;

        if (c->ssl != NULL) {
            size_t g;

            if (SSL_read_ex(c->ssl, (char *)buf + off, n - off, &g) != 1)
                return -1;
            got = (ssize_t)g;
        } else {
            got = recv(c->fd, (char *)buf + off, n - off, 0);
            if (got <= 0)
                return -1;
        }
        off += (size_t)got;
    }
    return 0;
}

static int conn_write(fake_conn *c, const void *buf, size_t n)
{
    if (c->ssl != NULL) {
        size_t put;

        return n == 0 || (SSL_write_ex(c->ssl, buf, n, &put) == 1 && put == n) ? 0 : -1;
    }
    for (size_t off = 0; off < n;) {
        ssize_t put = send(c->fd, (const char *)buf + off, n - off, MSG_NOSIGNAL);

        if (put <= 0)
            return -1;
        off += (size_t)put;
    }
    return 0;
}

/* A server frame (never masked). */
static int ws_send(fake_conn *c, int opcode, bool fin, const void *p, size_t len)
{
    unsigned char h[10];
    size_t hl = 2;

    h[0] = (unsigned char)((fin ? 0x80 : 0) | opcode);
    if (len < 126) {
        h[1] = (unsigned char)len;
    } else if (len < 65536) {
        h[1] = 126;
        h[2] = (unsigned char)(len >> 8);
        h[3] = (unsigned char)len;
        hl = 4;
    } else {
        h[1] = 127;
        for (int i = 0; i < 8; i++)
            h[2 + i] = (unsigned char)((uint64_t)len >> (56 - 8 * i));
        hl = 10;
    }
    return conn_write(c, h, hl) == 0 && conn_write(c, p, len) == 0 ? 0 : -1;
}

/* A client frame, unmasked into a new buffer *p (free it). */
static int ws_recv(fake_conn *c, int *opcode, unsigned char **p, size_t *len)
{
    unsigned char h[2], ext[8], mask[4];
    uint64_t n;

    if (conn_read(c, h, 2) != 0)
        return -1;
    *opcode = h[0] & 0x0f;
    n = h[1] & 0x7f;
    if (n == 126 || n == 127) {
        size_t el = n == 126 ? 2 : 8;

        if (conn_read(c, ext, el) != 0)
            return -1;
        n = 0;
        for (size_t i = 0; i < el; i++)
            n = n << 8 | ext[i];
    }
    if (!(h[1] & 0x80) || n > (16u << 20) || conn_read(c, mask, 4) != 0)
        return -1; /* a client must mask */
    *p = malloc(n + 1);
    ck_assert_ptr_nonnull(*p);
    if (conn_read(c, *p, n) != 0) {
        free(*p);
        return -1;
    }
    for (uint64_t i = 0; i < n; i++)
        (*p)[i] ^= mask[i % 4];
    *len = n;
    return 0;
}

/* Finds name's value among the request's headers, case-insensitively. */
static bool header(const char *req, const char *name, char *out, size_t size)
{
    size_t nl = strlen(name);

    for (const char *l = strstr(req, "\r\n"); l != NULL; l = strstr(l + 2, "\r\n"))
        if (strncasecmp(l + 2, name, nl) == 0 && l[2 + nl] == ':') {
            const char *v = l + 3 + nl, *e;

            while (*v == ' ')
                v++;
            e = strstr(v, "\r\n");
            snprintf(out, size, "%.*s", (int)(e != NULL ? e - v : (long)strlen(v)), v);
            return true;
        }
    return false;
}

static void upgrade_answer(fake_conn *c, const char *key)
{
    static const char guid[] = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
    unsigned char sha[EVP_MAX_MD_SIZE];
    unsigned shalen;
    char in[192], *accept, out[512];

    snprintf(in, sizeof in, "%s%s", key, guid);
    ck_assert_int_eq(EVP_Digest(in, strlen(in), sha, &shalen, EVP_sha1(), NULL), 1);
    accept = util_base64_encode(sha, shalen);
    snprintf(out, sizeof out,
             "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
             "Sec-WebSocket-Accept: %s\r\nSec-WebSocket-Protocol: " KUBE_PF_SUBPROTOCOL "\r\n\r\n",
             accept);
    free(accept);
    (void)conn_write(c, out, strlen(out));
}

/* The kubelet's side after the upgrade: the port numbers, then the script. */
static void serve_stream(fake_conn *c)
{
    fake_api *f = c->f;
    unsigned char port[3] = {0, (unsigned char)f->port_sent, (unsigned char)(f->port_sent >> 8)};

    if (f->split_port) {
        if (ws_send(c, 2, false, port, 2) != 0 || ws_send(c, 0, true, port + 2, 1) != 0)
            return;
    } else if (ws_send(c, 2, true, port, 3) != 0) {
        return;
    }
    port[0] = 1;
    if (ws_send(c, 2, true, port, 3) != 0)
        return;
    if (f->error_text != NULL) {
        size_t n = strlen(f->error_text);
        unsigned char *m = malloc(n + 1);

        m[0] = 1;
        memcpy(m + 1, f->error_text, n);
        (void)ws_send(c, 2, true, m, n + 1);
        (void)ws_send(c, 8, true, "\x03\xe8", 2);
        free(m);
        return;
    }
    if (f->raw != NULL && ws_send(c, f->raw_text ? 1 : 2, true, f->raw, f->raw_len) != 0)
        return;
    for (;;) {
        int op;
        unsigned char *p;
        size_t len;

        if (ws_recv(c, &op, &p, &len) != 0)
            return;
        if (op == 8) {
            pthread_mutex_lock(&f->mu);
            f->closes_received++;
            pthread_mutex_unlock(&f->mu);
            (void)ws_send(c, 8, true, p, len < 2 ? len : 2);
            free(p);
            return;
        }
        if (op == 2 && len > 1 && p[0] == KUBE_PF_DATA_CHANNEL) {
            int rc;

            if (f->fragment && len > 2) {
                size_t half = len / 2;

                rc = ws_send(c, 2, false, p, half);
                if (rc == 0)
                    rc = ws_send(c, 0, true, p + half, len - half);
            } else {
                rc = ws_send(c, 2, true, p, len);
            }
            if (rc != 0) {
                free(p);
                return;
            }
        }
        free(p);
    }
}

static void *fake_conn_main(void *arg)
{
    fake_conn *c = arg;
    fake_api *f = c->f;
    struct timeval tv = {.tv_sec = 10};
    char req[4096], key[64], body[256];
    size_t n = 0;

    setsockopt(c->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    for (int i = 0; i < 2000 && atomic_load(&f->hold); i++)
        usleep(10000);
    if (f->tls != NULL) {
        X509 *peer;

        c->ssl = SSL_new(f->tls);
        SSL_set_fd(c->ssl, c->fd);
        if (SSL_accept(c->ssl) != 1)
            goto out;
        peer = SSL_get1_peer_certificate(c->ssl);
        if (peer != NULL) {
            pthread_mutex_lock(&f->mu);
            X509_NAME_get_text_by_NID(X509_get_subject_name(peer), NID_commonName, f->client_cn,
                                      sizeof f->client_cn);
            pthread_mutex_unlock(&f->mu);
            X509_free(peer);
        }
    }
    while (n < sizeof req - 1 && (n < 4 || memcmp(req + n - 4, "\r\n\r\n", 4) != 0))
        if (conn_read(c, req + n++, 1) != 0)
            goto out;
    req[n] = '\0';
    pthread_mutex_lock(&f->mu);
    memcpy(f->request, req, n + 1);
    f->requests++;
    pthread_mutex_unlock(&f->mu);
    if (f->status != 0) {
        snprintf(body, sizeof body,
                 "{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"status\":\"Failure\",\"code\":%d}",
                 f->status);
        snprintf(req, sizeof req,
                 "HTTP/1.1 %d Refused\r\nContent-Type: application/json\r\nContent-Length: "
                 "%zu\r\n\r\n%s",
                 f->status, strlen(body), body);
        (void)conn_write(c, req, strlen(req));
        goto out;
    }
    if (!header(req, "Sec-WebSocket-Key", key, sizeof key))
        goto out;
    upgrade_answer(c, key);
    pthread_mutex_lock(&f->mu);
    f->upgrades++;
    pthread_mutex_unlock(&f->mu);
    serve_stream(c);
out:
    if (c->ssl != NULL) {
        SSL_shutdown(c->ssl);
        SSL_free(c->ssl);
    }
    close(c->fd);
    free(c);
    return NULL;
}

static void *fake_accept_main(void *arg)
{
    fake_api *f = arg;

    for (;;) {
        int fd = accept(f->lfd, NULL, NULL);
        fake_conn *c;

        if (fd < 0)
            return NULL;
        if (f->nconns == (int)(sizeof f->conns / sizeof f->conns[0])) {
            close(fd);
            continue;
        }
        c = calloc(1, sizeof *c);
        c->f = f;
        c->fd = fd;
        ck_assert_int_eq(pthread_create(&f->conns[f->nconns++], NULL, fake_conn_main, c), 0);
    }
}

static fake_api *fake_start(SSL_CTX *tls)
{
    fake_api *f = calloc(1, sizeof *f);

    f->tls = tls;
    f->port_sent = POD_PORT;
    pthread_mutex_init(&f->mu, NULL);
    f->lfd = lo_listen(16, &f->port);
    ck_assert_int_eq(pthread_create(&f->thread, NULL, fake_accept_main, f), 0);
    return f;
}

/* Stops accepting and waits for every connection to end (the forwarder
 * must be freed first, or the local side closed). */
static void fake_stop(fake_api *f)
{
    shutdown(f->lfd, SHUT_RDWR);
    pthread_join(f->thread, NULL);
    close(f->lfd);
    for (int i = 0; i < f->nconns; i++)
        pthread_join(f->conns[i], NULL);
    SSL_CTX_free(f->tls);
    pthread_mutex_destroy(&f->mu);
    free(f);
}

static int fake_count(fake_api *f, const int *field)
{
    int n;

    pthread_mutex_lock(&f->mu);
    n = *field;
    pthread_mutex_unlock(&f->mu);
    return n;
}

/* ---- helpers ---- */

static char *dir;

static void setup(void)
{
    dir = tmpdir_new();
}

static void teardown(void)
{
    tmpdir_remove(dir);
    dir = NULL;
}

/* A kubeconfig (printf format) loaded from dir; the context's namespace
 * should be "ns". */
static kube_config *config_of(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static kube_config *config_of(const char *fmt, ...)
{
    char text[16384];
    kube_config *cfg = NULL;
    util_err err = {{0}};
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    ck_assert_msg(kube_config_load_buffer(text, strlen(text), "test", dir, NULL, &cfg, &err) == 0,
                  "%s", err.msg);
    return cfg;
}

#define CONTEXT                                                                                    \
    "contexts: [{name: x, context: {cluster: c, user: u, namespace: ns}}]\n"                       \
    "current-context: x\n"

/* Plain HTTP to f with a bearer token. */
static kube_config *plain_config(const fake_api *f)
{
    return config_of("apiVersion: v1\nkind: Config\n"
                     "clusters: [{name: c, cluster: {server: 'http://127.0.0.1:%d'}}]\n"
                     "users: [{name: u, user: {token: tok-123}}]\n" CONTEXT,
                     f->port);
}

static kube_portforward *forward(const kube_config *cfg)
{
    kube_portforward_spec spec = {.pod = "demo-0", .pod_port = POD_PORT};
    kube_portforward *pf = NULL;
    util_err err = {{0}};

    ck_assert_msg(kube_portforward_new(cfg, &spec, &pf, &err) == 0, "%s", err.msg);
    ck_assert_int_gt(kube_portforward_local_port(pf), 0);
    return pf;
}

/* Sends n bytes and reads n back at once (an echo would otherwise fill
 * every buffer on the way and stall); returns the bytes read. */
static size_t echo(int fd, const unsigned char *out, unsigned char *in, size_t n)
{
    size_t sent = 0, got = 0;
    double end = kt_now() + 20;

    while (got < n && kt_now() < end) {
        struct pollfd p = {.fd = fd, .events = POLLIN | (sent < n ? POLLOUT : 0)};
        ssize_t k;

        if (poll(&p, 1, 100) <= 0)
            continue;
        if ((p.revents & POLLOUT) && sent < n) {
            k = send(fd, out + sent, n - sent > 65536 ? 65536 : n - sent, MSG_NOSIGNAL);
            if (k > 0)
                sent += (size_t)k;
        }
        if (p.revents & (POLLIN | POLLHUP | POLLERR)) {
            k = recv(fd, in + got, n - got, 0);
            if (k <= 0)
                break;
            got += (size_t)k;
        }
    }
    return got;
}

/* The local connection is closed with nothing sent back. */
static void assert_closed_empty(int fd)
{
    char buf[64];
    int closed;

    ck_assert_uint_eq(hc_read_until_close(fd, buf, sizeof buf, 10000, &closed), 0);
    ck_assert_int_eq(closed, 1);
}

/* Waits until the forwarder has counted a failure; its message. */
static void wait_error(kube_portforward *pf, unsigned long n, util_err *err)
{
    double end = kt_now() + 10;

    while (kube_portforward_last_error(pf, err) < n && kt_now() < end)
        usleep(10000);
    ck_assert_uint_eq(kube_portforward_last_error(pf, err), n);
}

static void assert_has(const char *s, const char *words)
{
    ck_assert_msg(strstr(s, words) != NULL, "'%s' lacks '%s'", s, words);
}

/* Waits until *field (under f->mu) reaches want. */
static void wait_count(fake_api *f, const int *field, int want)
{
    double end = kt_now() + 10;

    while (fake_count(f, field) < want && kt_now() < end)
        usleep(10000);
    ck_assert_int_eq(fake_count(f, field), want);
}

static void wait_streams(kube_portforward *pf, unsigned want)
{
    double end = kt_now() + 10;

    while (kube_portforward_streams(pf) != want && kt_now() < end)
        usleep(10000);
    ck_assert_uint_eq(kube_portforward_streams(pf), want);
}

/* ---- the forwarder ---- */

START_TEST(echo_through_the_upgrade_the_api_server_expects)
{
    fake_api *f = fake_start(NULL);
    kube_config *cfg = plain_config(f);
    kube_portforward *pf = forward(cfg);
    int fd = lo_connect(kube_portforward_local_port(pf));
    unsigned char in[16];
    char v[256];

    ck_assert_uint_eq(echo(fd, (const unsigned char *)"hello, kafka", in, 12), 12);
    ck_assert_mem_eq(in, "hello, kafka", 12);
    pthread_mutex_lock(&f->mu);
    assert_has(f->request,
               "GET /api/v1/namespaces/ns/pods/demo-0/portforward?ports=9092 HTTP/1.1\r\n");
    ck_assert(header(f->request, "Sec-WebSocket-Protocol", v, sizeof v));
    ck_assert_str_eq(v, "v4.channel.k8s.io");
    ck_assert(header(f->request, "Authorization", v, sizeof v));
    ck_assert_str_eq(v, "Bearer tok-123");
    ck_assert(header(f->request, "User-Agent", v, sizeof v));
    ck_assert_int_eq(strncmp(v, "berth/", 6), 0);
    ck_assert(header(f->request, "Upgrade", v, sizeof v));
    ck_assert_str_eq(v, "websocket");
    pthread_mutex_unlock(&f->mu);
    ck_assert_uint_eq(kube_portforward_last_error(pf, NULL), 0);
    close(fd);
    kube_portforward_free(pf);
    fake_stop(f);
    kube_config_free(cfg);
}
END_TEST

/* A megabyte each way, with echoes in continuation frames and the port
 * number cut across two frames: flow control holds, nothing is lost. */
START_TEST(a_megabyte_each_way_in_cut_frames)
{
    const size_t n = 1 << 20;
    fake_api *f = fake_start(NULL);
    kube_config *cfg = plain_config(f);
    kube_portforward *pf;
    unsigned char *out = malloc(n), *in = malloc(n);
    int fd;

    f->fragment = true;
    f->split_port = true;
    pf = forward(cfg);
    fd = lo_connect(kube_portforward_local_port(pf));
    for (size_t i = 0; i < n; i++)
        out[i] = (unsigned char)(i * 31 + (i >> 9));
    ck_assert_uint_eq(echo(fd, out, in, n), n);
    ck_assert(memcmp(in, out, n) == 0);
    ck_assert_uint_eq(kube_portforward_last_error(pf, NULL), 0);
    close(fd);
    kube_portforward_free(pf);
    fake_stop(f);
    kube_config_free(cfg);
    free(out);
    free(in);
}
END_TEST

START_TEST(each_local_connection_gets_its_own_websocket)
{
    fake_api *f = fake_start(NULL);
    kube_config *cfg = plain_config(f);
    kube_portforward *pf = forward(cfg);
    int a = lo_connect(kube_portforward_local_port(pf));
    int b = lo_connect(kube_portforward_local_port(pf));
    unsigned char in[8];

    ck_assert_uint_eq(echo(a, (const unsigned char *)"first", in, 5), 5);
    ck_assert_mem_eq(in, "first", 5);
    ck_assert_uint_eq(echo(b, (const unsigned char *)"second", in, 6), 6);
    ck_assert_mem_eq(in, "second", 6);
    ck_assert_uint_eq(echo(a, (const unsigned char *)"again", in, 5), 5);
    ck_assert_mem_eq(in, "again", 5);
    ck_assert_int_eq(fake_count(f, &f->upgrades), 2);
    ck_assert_uint_eq(kube_portforward_streams(pf), 2);
    close(a);
    close(b);
    wait_streams(pf, 0);
    kube_portforward_free(pf);
    fake_stop(f);
    kube_config_free(cfg);
}
END_TEST

/* Closing the local connection sends a close frame to the API server. */
START_TEST(a_local_close_closes_the_websocket)
{
    fake_api *f = fake_start(NULL);
    kube_config *cfg = plain_config(f);
    kube_portforward *pf = forward(cfg);
    int fd = lo_connect(kube_portforward_local_port(pf));
    unsigned char in[4];

    ck_assert_uint_eq(echo(fd, (const unsigned char *)"ping", in, 4), 4);
    close(fd);
    wait_count(f, &f->closes_received, 1);
    wait_streams(pf, 0);
    ck_assert_uint_eq(kube_portforward_last_error(pf, NULL), 0);
    kube_portforward_free(pf);
    fake_stop(f);
    kube_config_free(cfg);
}
END_TEST

/* A token file is read again for each connection (the kubelet rotates
 * service-account tokens). */
START_TEST(a_token_file_is_read_for_every_connection)
{
    fake_api *f = fake_start(NULL);
    kube_config *cfg;
    kube_portforward *pf;
    unsigned char in[4];
    char v[128];
    int fd;

    tmpdir_writef(dir, "token", "first-token\n");
    cfg = config_of("apiVersion: v1\nkind: Config\n"
                    "clusters: [{name: c, cluster: {server: 'http://127.0.0.1:%d'}}]\n"
                    "users: [{name: u, user: {tokenFile: %s/token}}]\n" CONTEXT,
                    f->port, dir);
    pf = forward(cfg);
    for (int i = 0; i < 2; i++) {
        fd = lo_connect(kube_portforward_local_port(pf));
        ck_assert_uint_eq(echo(fd, (const unsigned char *)"tick", in, 4), 4);
        pthread_mutex_lock(&f->mu);
        ck_assert(header(f->request, "Authorization", v, sizeof v));
        pthread_mutex_unlock(&f->mu);
        ck_assert_str_eq(v, i == 0 ? "Bearer first-token" : "Bearer second-token");
        close(fd);
        tmpdir_writef(dir, "token", "second-token\n");
    }
    kube_portforward_free(pf);
    fake_stop(f);
    kube_config_free(cfg);
}
END_TEST

/* The upgrade refused with status: the local connection closes and the
 * last error names what is missing. */
static void refused_with(int status, const char *words)
{
    fake_api *f = fake_start(NULL);
    kube_config *cfg = plain_config(f);
    kube_portforward *pf;
    util_err err = {{0}};
    int fd;

    f->status = status;
    pf = forward(cfg);
    fd = lo_connect(kube_portforward_local_port(pf));
    assert_closed_empty(fd);
    close(fd);
    wait_error(pf, 1, &err);
    assert_has(err.msg, "port-forward to pod ns/demo-0 port 9092: ");
    assert_has(err.msg, words);
    /* The listener stays up: the next connection fails the same way. */
    fd = lo_connect(kube_portforward_local_port(pf));
    assert_closed_empty(fd);
    close(fd);
    wait_error(pf, 2, &err);
    kube_portforward_free(pf);
    fake_stop(f);
    kube_config_free(cfg);
}

START_TEST(forbidden_names_the_rbac_permission)
{
    refused_with(403, "403 Forbidden: not allowed to port-forward: the user needs get and create "
                      "on pods/portforward in namespace ns");
}
END_TEST

START_TEST(not_found_names_the_pod)
{
    refused_with(404, "404 Not Found: there is no pod demo-0 in namespace ns");
}
END_TEST

START_TEST(unauthorized_names_the_credentials)
{
    refused_with(401, "401 Unauthorized: the API server refused the credentials from test, "
                      "context x");
}
END_TEST

START_TEST(other_statuses_are_reported_as_such)
{
    refused_with(502, "HTTP 502 answered the upgrade instead of 101");
}
END_TEST

/* A stream the server ends: the local connection is closed and the last
 * error has words in it. */
static void stream_fails(fake_api *f, const char *words)
{
    kube_config *cfg = plain_config(f);
    kube_portforward *pf = forward(cfg);
    util_err err = {{0}};
    int fd = lo_connect(kube_portforward_local_port(pf));

    assert_closed_empty(fd);
    close(fd);
    wait_error(pf, 1, &err);
    assert_has(err.msg, "port-forward to pod ns/demo-0 port 9092: ");
    assert_has(err.msg, words);
    wait_streams(pf, 0);
    kube_portforward_free(pf);
    fake_stop(f);
    kube_config_free(cfg);
}

START_TEST(the_kubelets_error_text_is_reported)
{
    fake_api *f = fake_start(NULL);

    f->error_text = "error forwarding port 9092 to pod 0b6c0e36, uid : failed to execute "
                    "portforward in network namespace: dial tcp4 127.0.0.1:9092: connect: "
                    "connection refused";
    stream_fails(f, "error forwarding port 9092 to pod 0b6c0e36");
}
END_TEST

START_TEST(a_wrong_channel_breaks_the_stream)
{
    fake_api *f = fake_start(NULL);

    f->raw = "\x07garbage";
    f->raw_len = 8;
    stream_fails(f, "the API server's stream: message on channel 7");
}
END_TEST

START_TEST(a_text_message_breaks_the_stream)
{
    fake_api *f = fake_start(NULL);

    f->raw = "0AAA=";
    f->raw_len = 5;
    f->raw_text = true;
    stream_fails(f, "text message");
}
END_TEST

START_TEST(a_wrong_port_number_breaks_the_stream)
{
    fake_api *f = fake_start(NULL);

    f->port_sent = 9093;
    stream_fails(f, "names port 9093, not the port 9092 asked for");
}
END_TEST

START_TEST(an_unreachable_api_server_is_reported)
{
    int port, lfd = lo_listen(1, &port);
    kube_config *cfg;
    kube_portforward *pf;
    util_err err = {{0}};
    int fd;

    close(lfd); /* nobody listens there now */
    cfg = config_of("apiVersion: v1\nkind: Config\n"
                    "clusters: [{name: c, cluster: {server: 'http://127.0.0.1:%d'}}]\n"
                    "users: [{name: u, user: {token: t}}]\n" CONTEXT,
                    port);
    pf = forward(cfg);
    fd = lo_connect(kube_portforward_local_port(pf));
    assert_closed_empty(fd);
    close(fd);
    wait_error(pf, 1, &err);
    assert_has(err.msg, "connecting to the API server at 127.0.0.1 port");
    kube_portforward_free(pf);
    kube_config_free(cfg);
}
END_TEST

/* A local client that resets its connection while the upgrade is under
 * way: the WebSocket is dropped, and that is no failure. */
START_TEST(a_local_reset_during_the_upgrade_drops_the_websocket)
{
    fake_api *f = fake_start(NULL);
    kube_config *cfg = plain_config(f);
    kube_portforward *pf;
    struct linger lg = {.l_onoff = 1, .l_linger = 0};
    int fd;

    atomic_store(&f->hold, true);
    pf = forward(cfg);
    fd = lo_connect(kube_portforward_local_port(pf));
    wait_streams(pf, 1);
    setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
    close(fd); /* a reset */
    /* The double answers nothing yet: only dropping the WebSocket ends
     * the stream. */
    wait_streams(pf, 0);
    ck_assert_uint_eq(kube_portforward_last_error(pf, NULL), 0);
    ck_assert_int_eq(fake_count(f, &f->upgrades), 0);
    atomic_store(&f->hold, false);
    kube_portforward_free(pf);
    fake_stop(f);
    kube_config_free(cfg);
}
END_TEST

START_TEST(freeing_closes_open_streams)
{
    fake_api *f = fake_start(NULL);
    kube_config *cfg = plain_config(f);
    kube_portforward *pf = forward(cfg);
    int a = lo_connect(kube_portforward_local_port(pf));
    int b = lo_connect(kube_portforward_local_port(pf));
    unsigned char in[4];
    char buf[8];
    int closed;

    ck_assert_uint_eq(echo(a, (const unsigned char *)"open", in, 4), 4);
    ck_assert_uint_eq(echo(b, (const unsigned char *)"open", in, 4), 4);
    kube_portforward_free(pf);
    hc_read_until_close(a, buf, sizeof buf, 5000, &closed);
    ck_assert_int_eq(closed, 1);
    hc_read_until_close(b, buf, sizeof buf, 5000, &closed);
    ck_assert_int_eq(closed, 1);
    close(a);
    close(b);
    fake_stop(f);
    kube_config_free(cfg);
    kube_portforward_free(NULL);
}
END_TEST

/* A credential that cannot be had fails the start, naming it: here the
 * token file, gone since the kubeconfig was loaded. */
START_TEST(a_missing_token_file_fails_at_start)
{
    kube_config *cfg;
    kube_portforward_spec spec = {.pod = "demo-0", .pod_port = POD_PORT};
    kube_portforward *pf = NULL;
    util_err err = {{0}};
    char *path = tmpdir_path(dir, "token");

    tmpdir_writef(dir, "token", "t\n");
    cfg = config_of("apiVersion: v1\nkind: Config\n"
                    "clusters: [{name: c, cluster: {server: 'http://127.0.0.1:1'}}]\n"
                    "users: [{name: u, user: {tokenFile: %s}}]\n" CONTEXT,
                    path);
    ck_assert_int_eq(unlink(path), 0);
    ck_assert_int_eq(kube_portforward_new(cfg, &spec, &pf, &err), -1);
    assert_has(err.msg, "port-forward to pod ns/demo-0 port 9092: credentials of test: ");
    assert_has(err.msg, path);
    ck_assert_ptr_null(pf);
    kube_config_free(cfg);
    free(path);
}
END_TEST

START_TEST(bad_specs_are_refused)
{
    kube_config *cfg = config_of("apiVersion: v1\nkind: Config\n"
                                 "clusters: [{name: c, cluster: {server: 'http://127.0.0.1:1'}}]\n"
                                 "users: [{name: u, user: {token: t}}]\n" CONTEXT);
    kube_portforward_spec spec = {.pod = "demo-0", .pod_port = POD_PORT};
    kube_portforward *pf = NULL, *taken;
    util_err err = {{0}};

    spec.namespace = "Bad_NS";
    ck_assert_int_eq(kube_portforward_new(cfg, &spec, &pf, &err), -1);
    assert_has(err.msg, "namespace 'Bad_NS' is not a valid name");
    spec.namespace = NULL;
    spec.pod = "x/../y";
    ck_assert_int_eq(kube_portforward_new(cfg, &spec, &pf, &err), -1);
    assert_has(err.msg, "pod 'x/../y' is not a valid name");
    spec.pod = "demo-0";
    spec.pod_port = 0;
    ck_assert_int_eq(kube_portforward_new(cfg, &spec, &pf, &err), -1);
    assert_has(err.msg, "pod port 0 out of range");
    spec.pod_port = 70000;
    ck_assert_int_eq(kube_portforward_new(cfg, &spec, &pf, &err), -1);
    spec.pod_port = POD_PORT;
    spec.local_port = -1;
    ck_assert_int_eq(kube_portforward_new(cfg, &spec, &pf, &err), -1);
    assert_has(err.msg, "local port -1 out of range");
    ck_assert_ptr_null(pf);
    /* A local port in use. */
    spec.local_port = 0;
    ck_assert_int_eq(kube_portforward_new(cfg, &spec, &taken, &err), 0);
    spec.local_port = kube_portforward_local_port(taken);
    ck_assert_int_eq(kube_portforward_new(cfg, &spec, &pf, &err), -1);
    assert_has(err.msg, "cannot listen on 127.0.0.1 port");
    ck_assert_ptr_null(pf);
    kube_portforward_free(taken);
    kube_config_free(cfg);
    /* Server URLs the kubeconfig loader would refuse too. */
    spec.local_port = 0;
    for (int i = 0; i < 4; i++) {
        static const char *const urls[] = {"ftp://h", "http://h:99999", "https://[::1",
                                           "http://:80"};
        kube_config raw = {.server = (char *)urls[i], .namespace = (char *)"ns"};

        ck_assert_int_eq(kube_portforward_new(&raw, &spec, &pf, &err), -1);
        assert_has(err.msg, urls[i]);
        ck_assert_ptr_null(pf);
    }
}
END_TEST

/* ---- TLS ---- */

static char *ca_pem, *ca_key;

static void tls_setup(void)
{
    util_err err = {{0}};
    long long now = (long long)time(NULL);

    setup();
    ck_assert_msg(pki_ca_new("test-ca", now - 3600, now + 86400, &ca_pem, &ca_key, &err) == 0, "%s",
                  err.msg);
}

static void tls_teardown(void)
{
    teardown();
    free(ca_pem);
    free(ca_key);
}

/* A certificate from the test CA for 127.0.0.1 and "kubernetes", and the
 * TLS double with it; it requires a client certificate from the CA when
 * want_client. */
static fake_api *tls_fake(bool want_client)
{
    static const char *const dns[] = {"kubernetes"}, *const ips[] = {"127.0.0.1"};
    long long now = (long long)time(NULL);
    pki_request r = {.common_name = "apiserver",
                     .dns_names = dns,
                     .ndns = 1,
                     .ip_addrs = ips,
                     .nips = 1,
                     .server = true,
                     .not_before = now - 3600,
                     .not_after = now + 86400};
    char *cert, *key;
    util_err err = {{0}};
    fake_api *f;

    ck_assert_msg(pki_issue(ca_pem, ca_key, &r, &cert, &key, &err) == 0, "%s", err.msg);
    f = fake_start(pki_server_ctx(cert, key, want_client ? ca_pem : NULL));
    free(cert);
    free(key);
    return f;
}

/* The kubeconfig's cluster and user lines for f over TLS: extra goes into
 * the cluster (tls-server-name, ...), user is the user's mapping. */
static kube_config *tls_config(const fake_api *f, const char *ca, const char *extra,
                               const char *user)
{
    char *ca_b64 = ca != NULL ? pki_base64(ca, strlen(ca)) : NULL;
    kube_config *cfg;

    cfg = config_of("apiVersion: v1\nkind: Config\n"
                    "clusters: [{name: c, cluster: {server: 'https://127.0.0.1:%d'%s%s%s}}]\n"
                    "users: [{name: u, user: %s}]\n" CONTEXT,
                    f->port, ca_b64 != NULL ? ", certificate-authority-data: " : "",
                    ca_b64 != NULL ? ca_b64 : "", extra, user);
    free(ca_b64);
    return cfg;
}

static void tls_echo(const kube_config *cfg)
{
    kube_portforward *pf = forward(cfg);
    int fd = lo_connect(kube_portforward_local_port(pf));
    unsigned char in[8];

    ck_assert_uint_eq(echo(fd, (const unsigned char *)"secure", in, 6), 6);
    ck_assert_mem_eq(in, "secure", 6);
    ck_assert_uint_eq(kube_portforward_last_error(pf, NULL), 0);
    close(fd);
    kube_portforward_free(pf);
}

static void tls_refused(const kube_config *cfg, const char *words)
{
    kube_portforward *pf = forward(cfg);
    util_err err = {{0}};
    int fd = lo_connect(kube_portforward_local_port(pf));

    assert_closed_empty(fd);
    close(fd);
    wait_error(pf, 1, &err);
    assert_has(err.msg, words);
    kube_portforward_free(pf);
}

START_TEST(tls_with_the_configs_ca_and_client_certificate)
{
    fake_api *f = tls_fake(true);
    char *cert, *key, *cert_b64, *key_b64, user[8192];
    kube_config *cfg;

    pki_issue_client(ca_pem, ca_key, "alice", "devs", &cert, &key);
    cert_b64 = pki_base64(cert, strlen(cert));
    key_b64 = pki_base64(key, strlen(key));
    snprintf(user, sizeof user, "{client-certificate-data: %s, client-key-data: %s}", cert_b64,
             key_b64);
    cfg = tls_config(f, ca_pem, "", user);
    tls_echo(cfg);
    pthread_mutex_lock(&f->mu);
    ck_assert_str_eq(f->client_cn, "alice");
    pthread_mutex_unlock(&f->mu);
    fake_stop(f);
    kube_config_free(cfg);
    free(cert);
    free(key);
    free(cert_b64);
    free(key_b64);
}
END_TEST

START_TEST(tls_server_name_is_the_name_checked)
{
    fake_api *f = tls_fake(false);
    kube_config *good = tls_config(f, ca_pem, ", tls-server-name: kubernetes", "{token: t}");
    kube_config *bad = tls_config(f, ca_pem, ", tls-server-name: elsewhere", "{token: t}");

    tls_echo(good);
    tls_refused(bad, "TLS with the API server at elsewhere: server certificate is not for "
                     "elsewhere");
    fake_stop(f);
    kube_config_free(good);
    kube_config_free(bad);
}
END_TEST

START_TEST(tls_refuses_a_server_the_ca_did_not_sign)
{
    fake_api *f = tls_fake(false);
    char *other_ca, *other_key;
    long long now = (long long)time(NULL);
    util_err err = {{0}};
    kube_config *cfg;

    ck_assert_msg(pki_ca_new("other-ca", now - 3600, now + 86400, &other_ca, &other_key, &err) == 0,
                  "%s", err.msg);
    cfg = tls_config(f, other_ca, "", "{token: t}");
    tls_refused(cfg, "TLS with the API server at 127.0.0.1: server certificate: ");
    fake_stop(f);
    kube_config_free(cfg);
    free(other_ca);
    free(other_key);
}
END_TEST

START_TEST(insecure_skip_tls_verify_accepts_any_server)
{
    fake_api *f = tls_fake(false);
    kube_config *cfg = tls_config(f, NULL,
                                  ", insecure-skip-tls-verify: true, "
                                  "tls-server-name: elsewhere",
                                  "{token: t}");

    tls_echo(cfg);
    fake_stop(f);
    kube_config_free(cfg);
}
END_TEST

/* An exec plugin's client certificate is presented. */
START_TEST(tls_with_an_exec_plugins_client_certificate)
{
    fake_api *f = tls_fake(true);
    long long now = (long long)time(NULL);
    pki_request r = {.common_name = "from-plugin",
                     .client = true,
                     .not_before = now - 3600,
                     .not_after = now + 86400};
    char *cert, *key, *text, user[512];
    cJSON *cred = cJSON_CreateObject(), *status;
    util_err err = {{0}};
    kube_config *cfg;

    ck_assert_msg(pki_issue(ca_pem, ca_key, &r, &cert, &key, &err) == 0, "%s", err.msg);
    cJSON_AddStringToObject(cred, "apiVersion", "client.authentication.k8s.io/v1");
    cJSON_AddStringToObject(cred, "kind", "ExecCredential");
    status = cJSON_AddObjectToObject(cred, "status");
    cJSON_AddStringToObject(status, "clientCertificateData", cert);
    cJSON_AddStringToObject(status, "clientKeyData", key);
    text = cJSON_PrintUnformatted(cred);
    tmpdir_writef(dir, "cred.json", "%s", text);
    kt_exec_plugin(dir, "plugin.sh", "cat \"$d/cred.json\"");
    snprintf(user, sizeof user,
             "{exec: {command: %s/plugin.sh, apiVersion: client.authentication.k8s.io/v1, "
             "interactiveMode: Never}}",
             dir);
    cfg = tls_config(f, ca_pem, "", user);
    tls_echo(cfg);
    pthread_mutex_lock(&f->mu);
    ck_assert_str_eq(f->client_cn, "from-plugin");
    pthread_mutex_unlock(&f->mu);
    ck_assert_int_eq(kt_exec_plugin_runs(dir), 1);
    fake_stop(f);
    kube_config_free(cfg);
    cJSON_Delete(cred);
    free(text);
    free(cert);
    free(key);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("kube_portforward");
    TCase *frame = tcase_create("frame"), *fwd = tcase_create("forwarder"),
          *tls = tcase_create("tls");
    SRunner *sr;
    int failed;

    tcase_add_test(frame, encode_puts_the_data_channel_before_the_payload);
    tcase_add_test(frame, port_numbers_are_stripped_per_channel);
    tcase_add_test(frame, port_number_and_data_may_share_a_message);
    tcase_add_test(frame, messages_cut_anywhere_give_the_same_bytes);
    tcase_add_test(frame, bad_messages_are_refused_saying_why);
    tcase_add_test(frame, a_message_may_not_begin_inside_another);
    tcase_add_test(frame, garbage_never_crashes);
    suite_add_tcase(s, frame);

    tcase_add_checked_fixture(fwd, setup, teardown);
    tcase_set_timeout(fwd, 60);
    tcase_add_test(fwd, echo_through_the_upgrade_the_api_server_expects);
    tcase_add_test(fwd, a_megabyte_each_way_in_cut_frames);
    tcase_add_test(fwd, each_local_connection_gets_its_own_websocket);
    tcase_add_test(fwd, a_local_close_closes_the_websocket);
    tcase_add_test(fwd, a_token_file_is_read_for_every_connection);
    tcase_add_test(fwd, forbidden_names_the_rbac_permission);
    tcase_add_test(fwd, not_found_names_the_pod);
    tcase_add_test(fwd, unauthorized_names_the_credentials);
    tcase_add_test(fwd, other_statuses_are_reported_as_such);
    tcase_add_test(fwd, the_kubelets_error_text_is_reported);
    tcase_add_test(fwd, a_wrong_channel_breaks_the_stream);
    tcase_add_test(fwd, a_text_message_breaks_the_stream);
    tcase_add_test(fwd, a_wrong_port_number_breaks_the_stream);
    tcase_add_test(fwd, an_unreachable_api_server_is_reported);
    tcase_add_test(fwd, a_local_reset_during_the_upgrade_drops_the_websocket);
    tcase_add_test(fwd, freeing_closes_open_streams);
    tcase_add_test(fwd, a_missing_token_file_fails_at_start);
    tcase_add_test(fwd, bad_specs_are_refused);
    suite_add_tcase(s, fwd);

    tcase_add_checked_fixture(tls, tls_setup, tls_teardown);
    tcase_set_timeout(tls, 60);
    tcase_add_test(tls, tls_with_the_configs_ca_and_client_certificate);
    tcase_add_test(tls, tls_server_name_is_the_name_checked);
    tcase_add_test(tls, tls_refuses_a_server_the_ca_did_not_sign);
    tcase_add_test(tls, insecure_skip_tls_verify_accepts_any_server);
    tcase_add_test(tls, tls_with_an_exec_plugins_client_certificate);
    suite_add_tcase(s, tls);

    sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
