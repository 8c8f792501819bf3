/* Streaming watch with resume and reconnect; see watch.h.
 *
 * One watch owns one curl easy handle and one multi handle. The multi
 * handle is there for two things the easy interface lacks: a wait that
 * another thread can cut short (curl_multi_wakeup, used by kube_watch_stop)
 * and a once-a-second turn of the loop for the tick. The same wait serves as
 * the backoff sleep between connections, so a stop lands promptly wherever
 * the watch is.
 *
 * Invariant: w->rv is the resourceVersion of the last event the callback
 * accepted, so resuming from it neither repeats nor skips an event. */
#include "kube/watch.h"

#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>

#include "kube/client_int.h"
#include "kube/verbs.h"
#include "util/clock.h"
#include "util/log.h"
#include "util/str.h"

/* The most of a refusal's body kept to decode its Status. */
#define ERR_BODY_MAX (64u * 1024u)

/* A connection that delivered nothing and lasted less than this (or than
 * its timeoutSeconds, if shorter) counts as a failure even if it ended
 * cleanly, so a server that accepts and at once closes cannot make us spin. */
#define HEALTHY_MS 5000

/* Slack over timeoutSeconds before the client gives up on a request the
 * server should have ended. */
#define CLIENT_SLACK_S 60

/* How one request ended, beyond what curl and the HTTP status say. */
enum outcome {
    OUT_NONE,
    OUT_GONE,        /* ERROR event with a 410 Status */
    OUT_ERROR_EVENT, /* ERROR event with another Status: reconnect */
    OUT_BAD_STREAM,  /* bytes that are not events: reconnect */
    OUT_CB_FAILED,   /* the caller's callback refused an event */
};

struct kube_watch {
    kube_client *client;
    char *path;
    char *label_selector;
    char *field_selector;
    long timeout_seconds;
    bool no_bookmarks;
    long backoff_base_ms;
    long backoff_max_ms;
    kube_watch_tick_fn tick;
    void *tick_ctx;

    kube_watch_parser *parser;
    CURLM *multi;
    CURL *h;
    char errbuf[CURL_ERROR_SIZE];
    atomic_bool stop;
    atomic_ulong connects;
    unsigned seed;
    int64_t next_tick_ms;
    char *rv;                  /* see the invariant above; never NULL */
    unsigned long exec_serial; /* of the exec plugin's certificate on h; 0: none yet */

    /* State of the request in flight. */
    long http_code;
    char *err_body;
    size_t err_len;
    kube_watch_event_fn cb;
    void *cb_ctx;
    enum outcome outcome;
    util_err req_err;
    bool cred_refused; /* the API refused the exec plugin's credential */
    kube_status event_status;
    unsigned long events;
    long timeout_s; /* the request's timeoutSeconds */
};

int kube_watch_new(kube_client *c, const char *path, const kube_watch_opts *opts, kube_watch **out,
                   util_err *err)
{
    static const kube_watch_opts defaults;
    kube_watch *w;
    bool oom = false;

    *out = NULL;
    if (opts == NULL)
        opts = &defaults;
    if (c == NULL || path == NULL || path[0] != '/' || strchr(path, '?') != NULL)
        return util_err_set(err, "watch: path must start with '/' and carry no query: '%s'",
                            path != NULL ? path : "(null)");
    if (opts->timeout_seconds < 0 || opts->backoff_base_ms < 0 || opts->backoff_max_ms < 0)
        return util_err_set(err, "watch %s: negative timeout or backoff", path);
    w = calloc(1, sizeof *w);
    if (w == NULL)
        return util_err_set(err, "watch %s: out of memory", path);
    w->client = c;
    w->path = util_strdup_opt(path, &oom);
    w->label_selector = util_strdup_opt(opts->label_selector, &oom);
    w->field_selector = util_strdup_opt(opts->field_selector, &oom);
    w->rv = strdup("");
    w->seed = (unsigned)util_mono_ms() ^ (unsigned)(uintptr_t)w;
    w->timeout_seconds = opts->timeout_seconds;
    w->no_bookmarks = opts->no_bookmarks;
    w->backoff_base_ms =
        opts->backoff_base_ms > 0 ? opts->backoff_base_ms : KUBE_WATCH_DEFAULT_BACKOFF_BASE_MS;
    w->backoff_max_ms =
        opts->backoff_max_ms > 0 ? opts->backoff_max_ms : KUBE_WATCH_DEFAULT_BACKOFF_MAX_MS;
    if (w->backoff_max_ms < w->backoff_base_ms)
        w->backoff_max_ms = w->backoff_base_ms;
    w->tick = opts->tick;
    w->tick_ctx = opts->tick_ctx;
    atomic_init(&w->stop, false);
    atomic_init(&w->connects, 0);
    if (oom || w->rv == NULL) {
        kube_watch_free(w);
        return util_err_set(err, "watch %s: out of memory", path);
    }
    {
        kube_watch_parser_opts po = {.max_event_bytes = opts->max_event_bytes};

        if (kube_watch_parser_new(&po, &w->parser, err) != 0) {
            kube_watch_free(w);
            return util_err_prefix(err, "watch %s", path);
        }
    }
    w->h = kube_client_handle_new(c, w->errbuf, err);
    if (w->h == NULL) {
        kube_watch_free(w);
        return util_err_prefix(err, "watch %s", path);
    }
    w->multi = curl_multi_init();
    if (w->multi == NULL) {
        kube_watch_free(w);
        return util_err_set(err, "watch %s: libcurl: curl_multi_init failed", path);
    }
    *out = w;
    return 0;
}

void kube_watch_free(kube_watch *w)
{
    if (w == NULL)
        return;
    if (w->multi != NULL)
        curl_multi_cleanup(w->multi);
    if (w->h != NULL)
        curl_easy_cleanup(w->h);
    kube_watch_parser_free(w->parser);
    free(w->err_body);
    free(w->rv);
    free(w->path);
    free(w->label_selector);
    free(w->field_selector);
    free(w);
}

void kube_watch_stop(kube_watch *w)
{
    atomic_store(&w->stop, true);
    curl_multi_wakeup(w->multi);
}

bool kube_watch_stopped(kube_watch *w)
{
    return atomic_load(&w->stop);
}

const char *kube_watch_resource_version(const kube_watch *w)
{
    return w->rv;
}

unsigned long kube_watch_connects(kube_watch *w)
{
    return atomic_load(&w->connects);
}

/* Runs the tick if a second has passed since the last one. */
static int maybe_tick(kube_watch *w, util_err *err)
{
    int64_t now = util_mono_ms();

    if (w->tick == NULL || now < w->next_tick_ms)
        return 0;
    w->next_tick_ms = now + 1000;
    if (w->tick(w->tick_ctx, err) != 0)
        return util_err_prefix(err, "watch %s: tick", w->path);
    return 0;
}

int kube_watch_sleep(kube_watch *w, long ms, util_err *err)
{
    int64_t deadline = util_mono_ms() + ms;

    while (!atomic_load(&w->stop)) {
        int64_t left = deadline - util_mono_ms();

        if (maybe_tick(w, err) != 0)
            return -1;
        if (left <= 0)
            break;
        curl_multi_poll(w->multi, NULL, 0, left < 1000 ? (int)left : 1000, NULL);
    }
    return 0;
}

/* The parser's callback: ERROR events decide how the request ends; the
 * others go to the caller, and w->rv moves on only once it accepted one. */
static int on_event(kube_watch_event *ev, void *ctx, util_err *err)
{
    kube_watch *w = ctx;
    char *rv = NULL;

    if (ev->type == KUBE_WATCH_ERROR) {
        kube_status *st = &w->event_status;

        if (kube_watch_status(ev->object, st, err) != 0) {
            w->outcome = OUT_BAD_STREAM;
            return util_err_prefix(err, "ERROR event");
        }
        w->outcome = st->code == KUBE_STATUS_GONE ? OUT_GONE : OUT_ERROR_EVENT;
        return util_err_set(err, "ERROR event: %d %s: %s", st->code, st->reason, st->message);
    }
    /* Copied first: the callback may take the object and free it. */
    if (ev->resource_version != NULL && (rv = strdup(ev->resource_version)) == NULL) {
        w->outcome = OUT_CB_FAILED;
        return util_err_set(err, "out of memory");
    }
    if (w->cb(ev, w->cb_ctx, err) != 0) {
        free(rv);
        w->outcome = OUT_CB_FAILED;
        return util_err_prefix(err, "%s event", kube_watch_event_type_name(ev->type));
    }
    if (rv != NULL) {
        free(w->rv);
        w->rv = rv;
    }
    w->events++;
    return 0;
}

static size_t on_data(char *data, size_t size, size_t nmemb, void *u)
{
    kube_watch *w = u;
    size_t n = size * nmemb;

    if (w->http_code == 0)
        curl_easy_getinfo(w->h, CURLINFO_RESPONSE_CODE, &w->http_code);
    if (w->http_code != 200) {
        size_t keep = n;

        if (w->err_len + keep > ERR_BODY_MAX)
            keep = ERR_BODY_MAX - w->err_len;
        if (keep > 0) {
            char *b = realloc(w->err_body, w->err_len + keep + 1);

            if (b == NULL)
                return 0;
            memcpy(b + w->err_len, data, keep);
            w->err_len += keep;
            b[w->err_len] = '\0';
            w->err_body = b;
        }
        return n;
    }
    if (kube_watch_parser_feed(w->parser, data, n, on_event, w, &w->req_err) != 0) {
        if (w->outcome == OUT_NONE)
            w->outcome = OUT_BAD_STREAM;
        return 0; /* aborts the transfer */
    }
    return n;
}

/* path?watch=1&... for one request, a new string or NULL. */
static char *request_path(kube_watch *w, const char *rv, long timeout_s)
{
    size_t size = strlen(w->path) + 256 + 3 * strlen(rv);
    char *p, num[32];
    int rc = 0;

    if (w->label_selector != NULL)
        size += 3 * strlen(w->label_selector) + 16;
    if (w->field_selector != NULL)
        size += 3 * strlen(w->field_selector) + 16;
    p = malloc(size);
    if (p == NULL)
        return NULL;
    snprintf(p, size, "%s", w->path);
    snprintf(num, sizeof num, "%ld", timeout_s);
    rc |= kube_query_add(p, size, "watch", "1");
    if (!w->no_bookmarks)
        rc |= kube_query_add(p, size, "allowWatchBookmarks", "true");
    if (rv[0] != '\0')
        rc |= kube_query_add(p, size, "resourceVersion", rv);
    rc |= kube_query_add(p, size, "timeoutSeconds", num);
    if (w->label_selector != NULL)
        rc |= kube_query_add(p, size, "labelSelector", w->label_selector);
    if (w->field_selector != NULL)
        rc |= kube_query_add(p, size, "fieldSelector", w->field_selector);
    if (rc != 0) {
        free(p);
        return NULL;
    }
    return p;
}

/* What one connection came to. */
enum verdict {
    V_STOPPED,
    V_GONE,
    V_REFUSED,  /* non-retryable refusal: *st, err */
    V_FAILED,   /* callback or tick failed, or setup: err */
    V_RETRY,    /* reconnect after a backoff: err says why */
    V_CONTINUE, /* ended normally: reconnect now */
};

/* Opens one watch request from rv and streams it to its end. */
static enum verdict one_request(kube_watch *w, const char *rv, kube_status *st, util_err *err)
{
    long timeout_s = w->timeout_seconds;
    struct curl_slist *hdrs = NULL;
    char *path, *url;
    CURLcode res = CURLE_OK;
    CURLMsg *msg;
    int running = 1, left;
    enum verdict v;

    w->cred_refused = false;
    if (timeout_s == 0)
        timeout_s = 300 + rand_r(&w->seed) % 300;
    w->timeout_s = timeout_s;
    path = request_path(w, rv, timeout_s);
    url = path != NULL ? kube_client_url(w->client, path) : NULL;
    if (url == NULL) {
        free(path);
        util_err_set(err, "watch %s: out of memory, or selectors too long", w->path);
        return V_FAILED;
    }
    if (kube_client_headers(w->client, NULL, false, &hdrs, err) != 0) {
        free(path);
        free(url);
        util_err_prefix(err, "watch %s", w->path);
        return V_FAILED;
    }
    /* Each connection presents the credential of its time: a watch lives
     * for hours, the plugin's certificate maybe for minutes. */
    if (kube_client_apply_credential(w->client, w->h, &w->exec_serial, err) != 0) {
        kube_client_headers_free(hdrs);
        free(path);
        free(url);
        util_err_prefix(err, "watch %s", w->path);
        return V_FAILED;
    }
    kube_watch_parser_reset(w->parser);
    w->http_code = 0;
    free(w->err_body);
    w->err_body = NULL;
    w->err_len = 0;
    w->outcome = OUT_NONE;
    w->events = 0;
    util_err_clear(&w->req_err);
    w->errbuf[0] = '\0';
    curl_easy_setopt(w->h, CURLOPT_URL, url);
    curl_easy_setopt(w->h, CURLOPT_HTTPGET, 1L);
    curl_easy_setopt(w->h, CURLOPT_HTTPHEADER, hdrs);
    curl_easy_setopt(w->h, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(w->h, CURLOPT_WRITEDATA, w);
    curl_easy_setopt(w->h, CURLOPT_TIMEOUT_MS, (timeout_s + CLIENT_SLACK_S) * 1000L);
    curl_easy_setopt(w->h, CURLOPT_TCP_KEEPIDLE, 30L);
    curl_easy_setopt(w->h, CURLOPT_TCP_KEEPINTVL, 10L);
    atomic_fetch_add(&w->connects, 1);
    if (curl_multi_add_handle(w->multi, w->h) != CURLM_OK) {
        kube_client_headers_free(hdrs);
        free(path);
        free(url);
        util_err_set(err, "watch %s: libcurl: curl_multi_add_handle failed", w->path);
        return V_FAILED;
    }
    v = V_CONTINUE;
    for (;;) {
        if (curl_multi_perform(w->multi, &running) != CURLM_OK || running == 0)
            break;
        if (atomic_load(&w->stop)) {
            v = V_STOPPED;
            break;
        }
        if (maybe_tick(w, err) != 0) {
            v = V_FAILED;
            break;
        }
        curl_multi_poll(w->multi, NULL, 0, 1000, NULL);
    }
    while ((msg = curl_multi_info_read(w->multi, &left)) != NULL)
        if (msg->msg == CURLMSG_DONE && msg->easy_handle == w->h)
            res = msg->data.result;
    curl_multi_remove_handle(w->multi, w->h);
    curl_easy_setopt(w->h, CURLOPT_HTTPHEADER, NULL);
    kube_client_headers_free(hdrs);
    free(url);
    if (v != V_CONTINUE) {
        free(path);
        return atomic_load(&w->stop) ? V_STOPPED : v;
    }
    if (running != 0) {
        util_err_set(err, "watch %s: libcurl: curl_multi_perform failed", w->path);
        free(path);
        return V_RETRY;
    }

    if (w->http_code == 0)
        curl_easy_getinfo(w->h, CURLINFO_RESPONSE_CODE, &w->http_code);
    if (w->http_code != 200)
        w->cred_refused = kube_client_credential_refused(w->client, w->http_code, res, w->errbuf);
    if (w->http_code != 0 && w->http_code != 200) {
        kube_response r = {.status = w->http_code, .body = w->err_body, .body_len = w->err_len};
        kube_status s;

        kube_status_decode(&r, &s);
        util_err_set(err, "watch %s: %d %s: %s", path, s.code, s.reason, s.message);
        if (st != NULL)
            *st = s;
        free(path);
        if (s.code == KUBE_STATUS_GONE)
            return V_GONE;
        if (s.code == 429 || s.code >= 500)
            return V_RETRY;
        return V_REFUSED;
    }
    switch (w->outcome) {
    case OUT_GONE:
        if (st != NULL)
            *st = w->event_status;
        util_err_set(err, "watch %s: %s", path, w->req_err.msg);
        free(path);
        return V_GONE;
    case OUT_CB_FAILED:
        util_err_set(err, "watch %s: %s", path, w->req_err.msg);
        free(path);
        return V_FAILED;
    case OUT_ERROR_EVENT:
    case OUT_BAD_STREAM:
        util_err_set(err, "watch %s: %s", path, w->req_err.msg);
        free(path);
        return V_RETRY;
    case OUT_NONE:
        break;
    }
    if (res != CURLE_OK) {
        util_err_set(err, "watch %s: %s", path, w->errbuf[0] ? w->errbuf : curl_easy_strerror(res));
        free(path);
        return V_RETRY;
    }
    if (kube_watch_parser_finish(w->parser, err) != 0) {
        util_err_prefix(err, "watch %s: stream cut off", path);
        free(path);
        return V_RETRY;
    }
    free(path);
    return V_CONTINUE;
}

int kube_watch_run(kube_watch *w, const char *resource_version, kube_watch_event_fn cb, void *ctx,
                   kube_status *st, util_err *err)
{
    unsigned failures = 0;
    bool cred_retried = false;
    char *start = strdup(resource_version != NULL ? resource_version : "");

    if (start == NULL)
        return util_err_set(err, "watch %s: out of memory", w->path);
    free(w->rv);
    w->rv = start;
    w->cb = cb;
    w->cb_ctx = ctx;
    w->next_tick_ms = util_mono_ms() + 1000;
    if (st != NULL)
        memset(st, 0, sizeof *st);
    while (!atomic_load(&w->stop)) {
        int64_t began = util_mono_ms();
        util_err why = {{0}};
        enum verdict v = one_request(w, w->rv, st, &why);
        int64_t lasted = util_mono_ms() - began;
        bool healthy = w->http_code == 200 &&
                       (w->events > 0 || lasted >= HEALTHY_MS || lasted >= w->timeout_s * 1000);
        long delay;

        /* A refused credential was dropped: try once more at once with a
         * fresh one, as kube_request does. A second refusal in a row takes
         * the ordinary way (a 401 is returned, a TLS refusal retried). */
        if (w->cred_refused && !cred_retried && (v == V_REFUSED || v == V_RETRY)) {
            util_info("%s; reconnecting with a fresh credential", why.msg);
            cred_retried = true;
            continue;
        }
        cred_retried = w->cred_refused;
        switch (v) {
        case V_STOPPED:
            return 0;
        case V_GONE:
            util_info("%s; relist needed", why.msg);
            if (err != NULL)
                *err = why;
            return KUBE_WATCH_GONE;
        case V_REFUSED:
            if (err != NULL)
                *err = why;
            return KUBE_ERR_STATUS;
        case V_FAILED:
            if (err != NULL)
                *err = why;
            return KUBE_ERR;
        case V_CONTINUE:
            if (healthy) {
                failures = 0;
                continue;
            }
            util_err_set(&why, "watch %s: connection ended at once", w->path);
            break;
        case V_RETRY:
            if (healthy)
                failures = 0;
            break;
        }
        delay = w->backoff_base_ms;
        for (unsigned i = 0; i < failures && delay < w->backoff_max_ms; i++)
            delay *= 2;
        if (delay > w->backoff_max_ms)
            delay = w->backoff_max_ms;
        delay = delay / 2 + rand_r(&w->seed) % (delay / 2 + 1);
        failures++;
        util_warn("%s; reconnecting from resourceVersion '%s' in %ld ms", why.msg, w->rv, delay);
        if (kube_watch_sleep(w, delay, err) != 0)
            return KUBE_ERR;
    }
    return 0;
}
