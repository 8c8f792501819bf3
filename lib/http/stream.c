/* Asynchronous answers: a worker thread per request queues text, the lws
 * service loop sends it. The two meet in an http_stream under the server's
 * mutex; the worker wakes the loop with lws_cancel_service(), the loop tells
 * the worker the client left through an atomic flag. A stream is freed by the
 * service thread once both sides are done with it: its thread joined and its
 * connection closed. */
#include "http/server_int.h"

#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "util/clock.h"

/* Largest piece of queued text sent in one write. */
#define CHUNK 4096

static void stream_free(http_stream *s)
{
    free(s->buf);
    free(s->reqbuf);
    free(s);
}

/* Caller holds mu. */
static void stream_cancel(http_stream *s)
{
    atomic_store(&s->cancelled, 1);
    pthread_cond_broadcast(&s->srv->cv);
}

/* Caller holds mu. */
static void stream_unlink(http_stream *s)
{
    http_stream **pp;

    for (pp = &s->srv->streams; *pp != NULL; pp = &(*pp)->next) {
        if (*pp == s) {
            *pp = s->next;
            return;
        }
    }
}

static void *stream_main(void *arg)
{
    http_stream *s = arg;
    http_server *srv = s->srv;

    s->fn(s, &s->req, s->user);
    pthread_mutex_lock(&srv->mu);
    s->finished = 1;
    s->started = 1;
    pthread_mutex_unlock(&srv->mu);
    /* After this the thread touches nothing of the stream or the server
     * but the context, which outlives it (http_server_free joins first). */
    lws_cancel_service(srv->ctx);
    return NULL;
}

int http_stream_spawn(http_server *srv, struct lws *wsi, int chunked, const http_route *route,
                      const http_request *req, http_stream **out)
{
    size_t ml = strlen(req->method) + 1, pl = strlen(req->path) + 1, ll = strlen(req->listener) + 1;
    sigset_t all, old;
    http_stream *s;
    char *p;
    int rc;

    *out = NULL;
    s = calloc(1, sizeof *s);
    if (s == NULL || (s->reqbuf = malloc(ml + pl + ll + req->body_len + 1)) == NULL) {
        free(s);
        return -2;
    }
    p = s->reqbuf;
    s->req.method = memcpy(p, req->method, ml);
    p += ml;
    s->req.path = memcpy(p, req->path, pl);
    p += pl;
    s->req.listener = memcpy(p, req->listener, ll);
    p += ll;
    memcpy(p, req->body, req->body_len);
    p[req->body_len] = '\0';
    s->req.body = p;
    s->req.body_len = req->body_len;
    s->srv = srv;
    s->fn = route->afn;
    s->user = route->user;
    s->wsi = wsi;
    s->chunked = chunked;
    s->status = 200;

    pthread_mutex_lock(&srv->mu);
    if (srv->running >= srv->cfg.max_async || atomic_load(&srv->stopping)) {
        pthread_mutex_unlock(&srv->mu);
        stream_free(s);
        return -1;
    }
    /* Workers take no signals: the program's main thread handles them. */
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    rc = pthread_create(&s->thread, NULL, stream_main, s);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (rc != 0) {
        pthread_mutex_unlock(&srv->mu);
        stream_free(s);
        return -2;
    }
    srv->running++;
    s->next = srv->streams;
    srv->streams = s;
    pthread_mutex_unlock(&srv->mu);
    *out = s;
    return 0;
}

void http_streams_poke(http_server *srv)
{
    http_stream *s, *next;

    pthread_mutex_lock(&srv->mu);
    for (s = srv->streams; s != NULL; s = next) {
        next = s->next;
        if (s->finished && !s->joined) {
            /* Returned, or about to without taking mu again: short. */
            pthread_join(s->thread, NULL);
            s->joined = 1;
            srv->running--;
        }
        if (s->joined && s->gone) {
            stream_unlink(s);
            stream_free(s);
            continue;
        }
        if (s->wsi == NULL)
            continue;
        if (atomic_load(&s->cancelled) && !s->finished) {
            /* Overflowed: the client is too far behind. Drop it. */
            lws_set_timeout(s->wsi, PENDING_TIMEOUT_HTTP_CONTENT, LWS_TO_KILL_ASYNC);
            continue;
        }
        if (s->finished && !s->tail_timed) {
            /* The answer is complete; the client has the idle time to take
             * the rest. Until now only the worker bounded it. */
            lws_set_timeout(s->wsi, PENDING_TIMEOUT_HTTP_CONTENT, (int)srv->cfg.idle_timeout_s);
            s->tail_timed = 1;
        }
        if (s->len > 0 || (s->started && !s->head_sent) || s->finished)
            lws_callback_on_writable(s->wsi);
    }
    pthread_mutex_unlock(&srv->mu);
}

void http_stream_detach(http_stream *s)
{
    http_server *srv = s->srv;

    s->wsi = NULL;
    pthread_mutex_lock(&srv->mu);
    s->gone = 1;
    stream_cancel(s);
    if (s->joined) {
        stream_unlink(s);
        stream_free(s);
    }
    pthread_mutex_unlock(&srv->mu);
}

int http_stream_pump(http_stream *s, struct lws *wsi)
{
    unsigned char buf[LWS_PRE + HTTP_HEAD_ROOM + 16 + CHUNK + 2 + 5];
    unsigned char *start = buf + LWS_PRE, *p = start;
    http_server *srv = s->srv;
    const char *ctype;
    int started, status, fin;
    size_t n;

    if (s->wsi == NULL)
        return 0; /* the end is written; lws closes once it is sent */
    pthread_mutex_lock(&srv->mu);
    started = s->started;
    status = s->status;
    ctype = s->content_type != NULL ? s->content_type : "text/plain; charset=utf-8";
    pthread_mutex_unlock(&srv->mu);
    if (!started)
        return 0;

    if (!s->head_sent) {
        unsigned char *end = start + HTTP_HEAD_ROOM;
        /* No length: lws adds "connection: close" and closes at the end. */
        if (lws_add_http_common_headers(wsi, (unsigned)status, ctype, LWS_ILLEGAL_HTTP_CONTENT_LEN,
                                        &p, end) ||
            (s->chunked &&
             lws_add_http_header_by_name(wsi, (const unsigned char *)"transfer-encoding:",
                                         (const unsigned char *)"chunked", 7, &p, end)) ||
            lws_add_http_header_by_name(wsi, (const unsigned char *)"cache-control:",
                                        (const unsigned char *)"no-store", 8, &p, end) ||
            lws_finalize_http_header(wsi, &p, end))
            return -1;
        s->head_sent = 1;
    }

    pthread_mutex_lock(&srv->mu);
    n = s->len < CHUNK ? s->len : CHUNK;
    if (n > 0) {
        if (s->chunked)
            p += sprintf((char *)p, "%zx\r\n", n);
        memcpy(p, s->buf, n);
        p += n;
        if (s->chunked) {
            memcpy(p, "\r\n", 2);
            p += 2;
        }
        memmove(s->buf, s->buf + n, s->len - n);
        s->len -= n;
    }
    fin = s->finished && s->len == 0;
    pthread_mutex_unlock(&srv->mu);
    if (fin && s->chunked) {
        memcpy(p, "0\r\n\r\n", 5);
        p += 5;
    }

    if (p > start && lws_write(wsi, start, (size_t)(p - start),
                               fin ? LWS_WRITE_HTTP_FINAL : LWS_WRITE_HTTP) != (int)(p - start))
        return -1;
    if (fin) {
        /* Closes once lws has sent all of it. */
        s->wsi = NULL;
        return lws_http_transaction_completed(wsi) ? -1 : 0;
    }
    if (n > 0)
        lws_callback_on_writable(wsi);
    return 0;
}

void http_streams_cancel_all(http_server *srv)
{
    http_stream *s;

    pthread_mutex_lock(&srv->mu);
    for (s = srv->streams; s != NULL; s = s->next)
        stream_cancel(s);
    pthread_mutex_unlock(&srv->mu);
}

void http_streams_join_all(http_server *srv)
{
    http_stream *s;

    http_streams_cancel_all(srv);
    for (;;) {
        pthread_t t;
        pthread_mutex_lock(&srv->mu);
        for (s = srv->streams; s != NULL && s->joined; s = s->next)
            ;
        if (s == NULL) {
            pthread_mutex_unlock(&srv->mu);
            return;
        }
        t = s->thread;
        pthread_mutex_unlock(&srv->mu);
        /* Not under mu: a running worker may still take it. */
        pthread_join(t, NULL);
        pthread_mutex_lock(&srv->mu);
        s->joined = 1;
        srv->running--;
        pthread_mutex_unlock(&srv->mu);
    }
}

void http_streams_free_all(http_server *srv)
{
    http_stream *s, *next;

    for (s = srv->streams; s != NULL; s = next) {
        next = s->next;
        stream_free(s);
    }
    srv->streams = NULL;
}

int http_stream_head(http_stream *s, int status, const char *content_type)
{
    int rc = -1;

    pthread_mutex_lock(&s->srv->mu);
    if (!s->started && status >= 100 && status <= 999) {
        s->status = status;
        s->content_type = content_type;
        rc = 0;
    }
    pthread_mutex_unlock(&s->srv->mu);
    return rc;
}

int http_stream_write(http_stream *s, const char *data, size_t len)
{
    http_server *srv = s->srv;

    pthread_mutex_lock(&srv->mu);
    if (atomic_load(&s->cancelled)) {
        pthread_mutex_unlock(&srv->mu);
        return -1;
    }
    if (len > srv->cfg.stream_queue - s->len) {
        stream_cancel(s);
        pthread_mutex_unlock(&srv->mu);
        lws_cancel_service(srv->ctx);
        return -1;
    }
    if (s->len + len > s->cap) {
        size_t cap = s->cap != 0 ? s->cap : 1024;
        char *nb;
        while (cap < s->len + len)
            cap *= 2;
        nb = realloc(s->buf, cap);
        if (nb == NULL) {
            pthread_mutex_unlock(&srv->mu);
            return -1;
        }
        s->buf = nb;
        s->cap = cap;
    }
    if (len > 0)
        memcpy(s->buf + s->len, data, len);
    s->len += len;
    s->started = 1;
    pthread_mutex_unlock(&srv->mu);
    lws_cancel_service(srv->ctx);
    return 0;
}

int http_stream_printf(http_stream *s, const char *fmt, ...)
{
    char small[512], *big;
    va_list ap;
    int n, rc;

    va_start(ap, fmt);
    n = vsnprintf(small, sizeof small, fmt, ap);
    va_end(ap);
    if (n < 0)
        return -1;
    if ((size_t)n < sizeof small)
        return http_stream_write(s, small, (size_t)n);
    big = malloc((size_t)n + 1);
    if (big == NULL)
        return -1;
    va_start(ap, fmt);
    vsnprintf(big, (size_t)n + 1, fmt, ap);
    va_end(ap);
    rc = http_stream_write(s, big, (size_t)n);
    free(big);
    return rc;
}

int http_stream_cancelled(const http_stream *s)
{
    return atomic_load(&s->cancelled);
}

int http_stream_sleep(http_stream *s, unsigned ms)
{
    http_server *srv = s->srv;
    struct timespec until = util_mono_deadline(ms);
    int cancelled;

    pthread_mutex_lock(&srv->mu);
    while (!(cancelled = atomic_load(&s->cancelled)) &&
           pthread_cond_timedwait(&srv->cv, &srv->mu, &until) == 0)
        ;
    pthread_mutex_unlock(&srv->mu);
    return cancelled;
}
