/* The Events recorder; see events.h.
 *
 * kube_event_record only touches the series map under `mu` and signals
 * `wake`. The writer thread takes the oldest series with a write due, copies
 * what it needs, drops the lock for the HTTP request, and afterwards applies
 * the result only if the series is still the same one (same id): meanwhile
 * it may have grown (then another write is due), restarted, or been evicted. */
#include "kube/events.h"
#include "kube/microtime.h"

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "kube/client.h"
#include "kube/event_cache.h"
#include "kube/ratelimit.h"
#include "kube/verbs.h"
#include "util/clock.h"
#include "util/log.h"
#include "util/str.h"

#define KEY_FIELDS 8 /* apiVersion kind namespace name uid type reason message */
enum { F_API_VERSION, F_KIND, F_NAMESPACE, F_NAME, F_UID, F_TYPE, F_REASON, F_MESSAGE };
#define MAX_FAILURES   5
#define RETRY_BASE     ((int64_t)500 * UTIL_NS_PER_MS)
#define EVENT_NAME_MAX 254 /* 253 and the NUL */

struct kube_event_recorder {
    kube_client *client;
    char *controller, *instance;
    util_now_fn now;
    void *now_ctx;

    pthread_mutex_t mu;
    pthread_cond_t wake; /* to the writer: something to do, or stop */
    pthread_cond_t idle; /* from the writer: a write finished */
    kube_event_cache *cache;
    kube_event_stats stats;
    kube_bucket bucket;
    bool stopping, writing, started;
    pthread_t writer;
};

static const char *type_name(kube_event_type t)
{
    return t == KUBE_EVENT_WARNING ? "Warning" : "Normal";
}

int kube_event_key(const kube_event_ref *obj, kube_event_type type, const char *reason,
                   const char *message, char **key, size_t *len, util_err *err)
{
    const char *f[KEY_FIELDS] = {obj->api_version, obj->kind,       obj->namespace, obj->name,
                                 obj->uid,         type_name(type), reason,         message};
    size_t n = 0, pos = 0;
    char *k;

    for (int i = 0; i < KEY_FIELDS; i++)
        n += (f[i] != NULL ? strlen(f[i]) : 0) + 1;
    if ((k = malloc(n)) == NULL)
        return util_err_set(err, "out of memory");
    for (int i = 0; i < KEY_FIELDS; i++) {
        size_t l = f[i] != NULL ? strlen(f[i]) : 0;

        if (l > 0)
            memcpy(k + pos, f[i], l);
        pos += l;
        k[pos++] = '\0';
    }
    *key = k;
    *len = n;
    return 0;
}

/* The fields of a key, pointing into it (every field ends with its NUL). */
static void key_fields(const char *key, const char *f[KEY_FIELDS])
{
    for (int i = 0; i < KEY_FIELDS; i++) {
        f[i] = key;
        key += strlen(key) + 1;
    }
}

void kube_event_name(const char *object_name, int64_t wall, char *out, size_t size)
{
    char suffix[24];
    int room;

    snprintf(suffix, sizeof suffix, ".%llx", (unsigned long long)wall);
    room = (int)(EVENT_NAME_MAX - 1 - strlen(suffix));
    /* A name ending in '.' or '-' before the suffix is still valid: the
     * suffix starts with '.' followed by a hex digit. */
    snprintf(out, size, "%.*s%s", room, object_name, suffix);
}

void kube_event_cut(char *s, size_t max)
{
    size_t n = strlen(s);

    if (n <= max)
        return;
    n = max;
    while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
        n--;
    s[n] = '\0';
}

/* What the writer copies out of a series before it drops the lock. */
typedef struct job {
    unsigned char digest[KUBE_EVENT_DIGEST_LEN];
    char *text; /* the key, text_len bytes; NULL once the Event exists */
    size_t text_len;
    uint64_t id;
    unsigned count;
    int64_t first_wall, last_wall;
    char *event;     /* "<namespace>/<name>" if created, else NULL */
    char *object_rv; /* NULL if not given */
} job;

static void job_clear(job *j)
{
    free(j->text);
    free(j->event);
    free(j->object_rv);
    memset(j, 0, sizeof *j);
}

static int job_copy(const kube_event_entry *e, job *j)
{
    memset(j, 0, sizeof *j);
    memcpy(j->digest, e->digest, sizeof j->digest);
    if (e->text != NULL) {
        if ((j->text = malloc(e->text_len)) == NULL)
            return -1;
        memcpy(j->text, e->text, e->text_len);
        j->text_len = e->text_len;
    }
    j->id = e->id;
    j->count = e->count;
    j->first_wall = e->first_wall;
    j->last_wall = e->last_wall;
    if ((e->event != NULL && (j->event = util_strdup(e->event)) == NULL) ||
        (e->object_rv != NULL && (j->object_rv = util_strdup(e->object_rv)) == NULL)) {
        job_clear(j);
        return -1;
    }
    return 0;
}

static bool add_str(cJSON *o, const char *k, const char *v)
{
    return cJSON_AddStringToObject(o, k, v) != NULL;
}

static bool add_time(cJSON *o, const char *k, int64_t wall)
{
    char buf[KUBE_MICROTIME_LEN];

    kube_time_format_micro(wall, buf);
    return add_str(o, k, buf);
}

/* The namespace an Event about an object lives in. */
static const char *event_namespace(const char *f[KEY_FIELDS])
{
    return f[F_NAMESPACE][0] != '\0' ? f[F_NAMESPACE] : "default";
}

/* The series part of an Event: only for repeats, since the API refuses a
 * series with a count below 2. */
static bool add_series(cJSON *o, const job *j)
{
    cJSON *series;

    if (j->count < 2)
        return true;
    series = cJSON_AddObjectToObject(o, "series");
    return series != NULL && cJSON_AddNumberToObject(series, "count", j->count) != NULL &&
           add_time(series, "lastObservedTime", j->last_wall);
}

/* The whole Event for a first write. action is required by events.k8s.io/v1;
 * the reason doubles as it (what berth did, or failed to do). */
static cJSON *event_object(const kube_event_recorder *r, const job *j, const char *name)
{
    const char *f[KEY_FIELDS];
    cJSON *o = cJSON_CreateObject(), *md, *reg;
    bool ok;

    key_fields(j->text, f);
    if (o == NULL)
        return NULL;
    md = cJSON_AddObjectToObject(o, "metadata");
    reg = cJSON_AddObjectToObject(o, "regarding");
    ok = md != NULL && reg != NULL && add_str(o, "apiVersion", "events.k8s.io/v1") &&
         add_str(o, "kind", "Event") && add_str(md, "name", name) &&
         add_str(md, "namespace", event_namespace(f)) && add_time(o, "eventTime", j->first_wall) &&
         add_series(o, j) && add_str(o, "reportingController", r->controller) &&
         add_str(o, "reportingInstance", r->instance) && add_str(o, "action", f[F_REASON]) &&
         add_str(o, "reason", f[F_REASON]) && add_str(o, "type", f[F_TYPE]) &&
         add_str(o, "note", f[F_MESSAGE]) && add_str(reg, "kind", f[F_KIND]) &&
         add_str(reg, "name", f[F_NAME]);
    if (ok && f[F_API_VERSION][0] != '\0')
        ok = add_str(reg, "apiVersion", f[F_API_VERSION]);
    if (ok && f[F_NAMESPACE][0] != '\0')
        ok = add_str(reg, "namespace", f[F_NAMESPACE]);
    if (ok && f[F_UID][0] != '\0')
        ok = add_str(reg, "uid", f[F_UID]);
    if (ok && j->object_rv != NULL)
        ok = add_str(reg, "resourceVersion", j->object_rv);
    if (!ok) {
        cJSON_Delete(o);
        return NULL;
    }
    return o;
}

/* What a write came to. */
typedef enum outcome {
    W_CREATED,   /* name is the new Event's */
    W_UPDATED,   /* the series count was written */
    W_EXISTS,    /* create found the name taken: an earlier try got through */
    W_GONE,      /* the Event to update no longer exists: create anew */
    W_RETRY,     /* failed; worth another try */
    W_PERMANENT, /* refused in a way retrying cannot change */
} outcome;

static outcome classify(int rc, const kube_status *st)
{
    if (rc == KUBE_ERR)
        return W_RETRY;
    switch (st->code) {
    case 400:
    case 403:
    case 422:
        return W_PERMANENT;
    default:
        return W_RETRY;
    }
}

/* Creates the Event of a series that has none, without the lock. *event
 * is set to "<namespace>/<name>" (new string) on W_CREATED and W_EXISTS. */
static outcome create_event(kube_event_recorder *r, const job *j, char **event, util_err *err)
{
    const char *f[KEY_FIELDS];
    char path[KUBE_PATH_MAX], ename[EVENT_NAME_MAX];
    kube_status st;
    cJSON *body;
    int rc;

    key_fields(j->text, f);
    kube_event_name(f[F_NAME], j->first_wall, ename, sizeof ename);
    if (kube_path(path, sizeof path, "events.k8s.io/v1", "events", event_namespace(f), NULL,
                  NULL) != 0) {
        util_err_set(err, "event for %s %s/%s: bad namespace", f[F_KIND], f[F_NAMESPACE],
                     f[F_NAME]);
        return W_PERMANENT;
    }
    if ((body = event_object(r, j, ename)) == NULL) {
        util_err_set(err, "out of memory");
        return W_RETRY;
    }
    rc = kube_create(r->client, path, body, NULL, &st, err);
    cJSON_Delete(body);
    if (rc == 0 || (rc == KUBE_ERR_STATUS && st.code == 409)) {
        if ((*event = util_printf("%s/%s", event_namespace(f), ename)) == NULL)
            return W_RETRY;
        return rc == 0 ? W_CREATED : W_EXISTS;
    }
    return classify(rc, &st);
}

/* Creates or updates the Event of one series, without the lock. *event is
 * set as create_event sets it. */
static outcome write_job(kube_event_recorder *r, const job *j, char **event, util_err *err)
{
    char path[KUBE_PATH_MAX], ns[64]; /* a namespace is a DNS label */
    const char *name;
    kube_status st;
    cJSON *body;
    int rc;

    *event = NULL;
    if (j->event == NULL) {
        if (j->text == NULL) { /* kube_event_record gives every such series its text */
            util_err_set(err, "event: the series has neither an Event nor its text");
            return W_PERMANENT;
        }
        return create_event(r, j, event, err);
    }
    name = strchr(j->event, '/');
    if (name == NULL || (size_t)(name - j->event) >= sizeof ns) {
        util_err_set(err, "event %s: bad name", j->event);
        return W_PERMANENT;
    }
    snprintf(ns, sizeof ns, "%.*s", (int)(name - j->event), j->event);
    if (kube_path(path, sizeof path, "events.k8s.io/v1", "events", ns, ++name, NULL) != 0) {
        util_err_set(err, "event %s: bad name", j->event);
        return W_PERMANENT;
    }
    body = cJSON_CreateObject();
    if (body == NULL || !add_series(body, j)) {
        cJSON_Delete(body);
        util_err_set(err, "out of memory");
        return W_RETRY;
    }
    rc = kube_merge_patch(r->client, path, body, NULL, &st, err);
    cJSON_Delete(body);
    if (rc == 0)
        return W_UPDATED;
    if (rc == KUBE_ERR_STATUS && st.code == 404)
        return W_GONE;
    return classify(rc, &st);
}

/* Applies a write's outcome to its series, if the series is still the one
 * the job was copied from. Called with the lock held. */
static void settle(kube_event_recorder *r, const job *j, outcome o, char *event,
                   const util_err *err)
{
    kube_event_entry *e = kube_event_cache_find_digest(r->cache, j->digest);
    bool same = e != NULL && e->id == j->id;

    switch (o) {
    case W_CREATED:
    case W_EXISTS:
        r->stats.created += o == W_CREATED;
        if (!same) {
            free(event);
            return;
        }
        /* From now on the series is its Event: the key's text (the whole
         * message) and the object's version were only for creating it. */
        free(e->event);
        e->event = event;
        free(e->text);
        e->text = NULL;
        e->text_len = 0;
        free(e->object_rv);
        e->object_rv = NULL;
        /* A create found taken was sent by an earlier try of this series,
         * whose count is unknown: an update of the count follows. */
        e->written = o == W_CREATED ? j->count : 1;
        e->failures = 0;
        return;
    case W_UPDATED:
        r->stats.updated++;
        if (same) {
            if (e->written < j->count)
                e->written = j->count;
            e->failures = 0;
        }
        return;
    case W_GONE:
        /* Deleted (by hand: an Event written to within the window is far
         * from its hour's expiry). Its text is gone with it, so the series
         * goes on in a new Event at its next occurrence, which brings the
         * text again (kube_event_record). */
        if (same) {
            free(e->event);
            e->event = NULL;
            e->written = e->count;
        }
        return;
    case W_RETRY:
    case W_PERMANENT:
        r->stats.failed++;
        if (!same)
            return;
        if (o == W_PERMANENT || ++e->failures >= MAX_FAILURES) {
            util_warn("events: giving up on an event (count %u): %s", j->count, err->msg);
            r->stats.dropped++;
            e->written = j->count;
            e->failures = 0;
            return;
        }
        util_debug("events: write failed (try %u), retrying: %s", e->failures, err->msg);
        e->retry_mono = r->now(r->now_ctx).mono + (RETRY_BASE << (e->failures - 1));
        return;
    }
}

/* Waits on `wake` for at most ns (nanoseconds of the recorder's clock,
 * waited in real monotonic time); forever if ns is INT64_MAX. */
static void wait_for(kube_event_recorder *r, int64_t ns)
{
    struct timespec ts;

    if (ns == INT64_MAX) {
        pthread_cond_wait(&r->wake, &r->mu);
        return;
    }
    if (ns > 3600 * UTIL_NS_PER_SEC)
        ns = 3600 * UTIL_NS_PER_SEC;
    /* Rounded up: never wake before ns have passed. */
    ts = util_mono_deadline((ns + UTIL_NS_PER_MS - 1) / UTIL_NS_PER_MS);
    pthread_cond_timedwait(&r->wake, &r->mu, &ts);
}

static void *writer(void *arg)
{
    kube_event_recorder *r = arg;

    pthread_mutex_lock(&r->mu);
    while (!r->stopping) {
        int64_t now = r->now(r->now_ctx).mono, next, wait;
        kube_event_entry *e = kube_event_cache_due(r->cache, now, &next);
        util_err err = {{0}};
        char *event = NULL;
        outcome o;
        job j;

        if (e == NULL) {
            pthread_cond_broadcast(&r->idle);
            wait_for(r, next == INT64_MAX ? INT64_MAX : next - now);
            continue;
        }
        if ((wait = kube_bucket_try(&r->bucket, now)) > 0) {
            wait_for(r, wait);
            continue;
        }
        if (job_copy(e, &j) != 0) {
            util_warn("events: out of memory");
            wait_for(r, RETRY_BASE);
            continue;
        }
        r->writing = true;
        pthread_mutex_unlock(&r->mu);
        o = write_job(r, &j, &event, &err);
        pthread_mutex_lock(&r->mu);
        r->writing = false;
        settle(r, &j, o, event, &err);
        job_clear(&j);
        pthread_cond_broadcast(&r->idle);
    }
    pthread_cond_broadcast(&r->idle);
    pthread_mutex_unlock(&r->mu);
    return NULL;
}

int kube_event_recorder_new(const kube_config *cfg, const kube_event_recorder_options *opts,
                            kube_event_recorder **out, util_err *err)
{
    kube_event_recorder *r;
    char host[256] = "";
    const char *instance = opts->instance;
    size_t cap = opts->max_series > 0 ? opts->max_series : KUBE_EVENTS_DEFAULT_MAX_SERIES;
    long window_ms = opts->window_ms > 0 ? opts->window_ms : KUBE_EVENTS_DEFAULT_WINDOW_MS;
    double qps = opts->qps > 0 ? opts->qps : KUBE_EVENTS_DEFAULT_QPS;
    unsigned burst = opts->burst > 0 ? opts->burst : KUBE_EVENTS_DEFAULT_BURST;
    /* The recorder paces itself; its client need not. */
    kube_client_options copts = {.qps = -1};
    pthread_condattr_t ca;
    int rc;

    *out = NULL;
    if (opts->controller == NULL || opts->controller[0] == '\0')
        return util_err_set(err, "event recorder: reportingController is required");
    if (strlen(opts->controller) > 128)
        return util_err_set(err,
                            "event recorder: reportingController '%.40s...' is longer than 128",
                            opts->controller);
    if (instance == NULL) {
        if (gethostname(host, sizeof host - 1) != 0 || host[0] == '\0')
            snprintf(host, sizeof host, "unknown");
        instance = host;
    }
    if (instance[0] == '\0' || strlen(instance) > 128)
        return util_err_set(
            err, "event recorder: reportingInstance '%.40s' must be 1 to 128 characters", instance);
    if ((r = calloc(1, sizeof *r)) == NULL)
        return util_err_set(err, "out of memory");
    r->now = opts->now != NULL ? opts->now : util_time_now;
    r->now_ctx = opts->now_ctx;
    pthread_mutex_init(&r->mu, NULL);
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&r->wake, &ca);
    pthread_cond_init(&r->idle, &ca);
    pthread_condattr_destroy(&ca);
    r->controller = util_strdup(opts->controller);
    r->instance = util_strdup(instance);
    if (r->controller == NULL || r->instance == NULL) {
        util_err_set(err, "out of memory");
        goto fail;
    }
    if (kube_bucket_init(&r->bucket, qps, burst, r->now(r->now_ctx).mono, err) != 0 ||
        kube_event_cache_new(cap, (int64_t)window_ms * UTIL_NS_PER_MS, &r->cache, err) != 0 ||
        kube_client_new(cfg, &copts, &r->client, err) != 0)
        goto fail;
    rc = pthread_create(&r->writer, NULL, writer, r);
    if (rc != 0) {
        util_err_set(err, "pthread_create: %s", strerror(rc));
        goto fail;
    }
    r->started = true;
    *out = r;
    return 0;
fail:
    util_err_prefix(err, "event recorder");
    kube_event_recorder_free(r);
    return -1;
}

void kube_event_recorder_free(kube_event_recorder *r)
{
    if (r == NULL)
        return;
    if (r->started) {
        pthread_mutex_lock(&r->mu);
        r->stopping = true;
        pthread_cond_broadcast(&r->wake);
        pthread_mutex_unlock(&r->mu);
        pthread_join(r->writer, NULL);
        if (kube_event_cache_unwritten(r->cache) > 0)
            util_debug("events: %zu series not written at shutdown",
                       kube_event_cache_unwritten(r->cache));
    }
    kube_client_free(r->client);
    kube_event_cache_free(r->cache);
    free(r->controller);
    free(r->instance);
    pthread_cond_destroy(&r->wake);
    pthread_cond_destroy(&r->idle);
    pthread_mutex_destroy(&r->mu);
    free(r);
}

void kube_event_record(kube_event_recorder *r, const kube_event_ref *obj, kube_event_type type,
                       const char *reason, const char *fmt, ...)
{
    char note[KUBE_EVENTS_NOTE_MAX + 1], why[KUBE_EVENTS_REASON_MAX + 1];
    char *key = NULL;
    size_t len;
    util_err err = {{0}};
    kube_event_entry *e;
    util_time t;
    bool dropped = false;
    va_list ap;

    if (obj == NULL || obj->kind == NULL || obj->kind[0] == '\0' || obj->name == NULL ||
        obj->name[0] == '\0' || reason == NULL || reason[0] == '\0') {
        util_warn("events: not recorded: an event needs the object's kind and name and a reason");
        return;
    }
    va_start(ap, fmt);
    vsnprintf(note, sizeof note, fmt, ap);
    va_end(ap);
    kube_event_cut(note, KUBE_EVENTS_NOTE_MAX);
    snprintf(why, sizeof why, "%s", reason);
    kube_event_cut(why, KUBE_EVENTS_REASON_MAX);
    if (kube_event_key(obj, type, why, note, &key, &len, &err) != 0) {
        util_warn("events: not recorded: %s", err.msg);
        return;
    }
    pthread_mutex_lock(&r->mu);
    r->stats.recorded++;
    t = r->now(r->now_ctx);
    e = kube_event_cache_observe(r->cache, key, len, t.mono, t.wall, &dropped);
    if (dropped)
        r->stats.dropped++;
    if (e == NULL) {
        util_warn("events: not recorded: out of memory");
    } else {
        if (e->event == NULL && e->text == NULL) { /* the cache keeps only digests */
            e->text = key;
            e->text_len = len;
            key = NULL;
        }
        if (e->count == 1 && e->written == 0 && obj->resource_version != NULL &&
            obj->resource_version[0] != '\0' && e->object_rv == NULL)
            e->object_rv = util_strdup(obj->resource_version);
    }
    pthread_cond_broadcast(&r->wake);
    pthread_mutex_unlock(&r->mu);
    free(key);
}

int kube_event_recorder_flush(kube_event_recorder *r, long timeout_ms, util_err *err)
{
    struct timespec ts;
    size_t left;

    ts = util_mono_deadline(timeout_ms);
    pthread_mutex_lock(&r->mu);
    pthread_cond_broadcast(&r->wake);
    while (((left = kube_event_cache_unwritten(r->cache)) > 0 || r->writing) && !r->stopping) {
        if (pthread_cond_timedwait(&r->idle, &r->mu, &ts) == ETIMEDOUT) {
            left = kube_event_cache_unwritten(r->cache);
            if (left > 0 || r->writing)
                break;
        }
    }
    left = kube_event_cache_unwritten(r->cache);
    pthread_mutex_unlock(&r->mu);
    if (left > 0)
        return util_err_set(err, "events: %zu series still to be written after %ld ms", left,
                            timeout_ms);
    return 0;
}

void kube_event_recorder_stats(kube_event_recorder *r, kube_event_stats *out)
{
    pthread_mutex_lock(&r->mu);
    *out = r->stats;
    out->unwritten = kube_event_cache_unwritten(r->cache);
    out->series = kube_event_cache_len(r->cache);
    pthread_mutex_unlock(&r->mu);
}
