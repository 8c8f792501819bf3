/* List, then watch, into a cache; see informer.h.
 *
 * The loop is client-go's reflector in a few lines: list → replace → watch
 * from the list's resourceVersion → (410) list again. The watch object lives
 * for the informer's whole life because it carries the stop flag and the
 * wakeable wait: stopping it also cuts short a backoff between lists, and
 * its tick drives the periodic resync in this same thread, so handlers
 * never run concurrently. */
#include "kube/informer.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "kube/verbs.h"
#include "kube/watch.h"
#include "util/clock.h"
#include "util/log.h"
#include "util/str.h"

/* A watch that lasted this long before failing was healthy; one that
 * lasted this long before a 410 earned an immediate relist. */
#define HEALTHY_RUN_MS 60000
#define GONE_RUN_MS    1000

struct kube_informer {
    kube_client *client;
    char *path;
    char *label_selector;
    char *field_selector;
    long list_limit;
    long resync_ms;
    long backoff_base_ms;
    long backoff_max_ms;
    kube_informer_handlers h;

    kube_cache *cache;
    kube_watch *watch;

    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cond;
    bool started, joined, synced; /* under mu */
    atomic_ulong lists;
    int64_t next_resync_ms; /* informer thread only */
};

/* The cache's report of a change, turned into handler calls. */
static void on_change(kube_cache_change change, const cJSON *old, const cJSON *obj, void *ctx)
{
    kube_informer *inf = ctx;
    const kube_informer_handlers *h = &inf->h;

    switch (change) {
    case KUBE_CACHE_ADDED:
        if (h->on_add != NULL)
            h->on_add(obj, h->ctx);
        break;
    case KUBE_CACHE_UPDATED:
    case KUBE_CACHE_RESYNC:
        if (h->on_update != NULL)
            h->on_update(old, obj, h->ctx);
        break;
    case KUBE_CACHE_DELETED:
        if (h->on_delete != NULL)
            h->on_delete(obj, h->ctx);
        break;
    }
}

static int on_event(kube_watch_event *ev, void *ctx, util_err *err)
{
    kube_informer *inf = ctx;

    return kube_cache_apply(inf->cache, ev->type, ev->object, on_change, inf, err);
}

static bool synced(kube_informer *inf)
{
    bool s;

    pthread_mutex_lock(&inf->mu);
    s = inf->synced;
    pthread_mutex_unlock(&inf->mu);
    return s;
}

static int on_tick(void *ctx, util_err *err)
{
    kube_informer *inf = ctx;

    (void)err;
    if (inf->resync_ms <= 0 || util_mono_ms() < inf->next_resync_ms || !synced(inf))
        return 0;
    inf->next_resync_ms = util_mono_ms() + inf->resync_ms;
    kube_cache_resync(inf->cache, on_change, inf);
    return 0;
}

int kube_informer_new(kube_client *c, const char *path, const kube_informer_opts *opts,
                      const kube_informer_handlers *h, kube_informer **out, util_err *err)
{
    static const kube_informer_opts defaults;
    kube_informer *inf;
    kube_watch_opts wo;
    bool oom = false;

    *out = NULL;
    if (opts == NULL)
        opts = &defaults;
    if (opts->resync_ms < 0 || opts->list_limit < 0)
        return util_err_set(err, "informer %s: negative resync or list limit",
                            path != NULL ? path : "(null)");
    inf = calloc(1, sizeof *inf);
    if (inf == NULL)
        return util_err_set(err, "informer: out of memory");
    pthread_mutex_init(&inf->mu, NULL);
    pthread_cond_init(&inf->cond, NULL);
    atomic_init(&inf->lists, 0);
    inf->client = c;
    inf->path = util_strdup_opt(path, &oom);
    inf->label_selector = util_strdup_opt(opts->label_selector, &oom);
    inf->field_selector = util_strdup_opt(opts->field_selector, &oom);
    inf->list_limit = opts->list_limit;
    inf->resync_ms = opts->resync_ms;
    inf->backoff_base_ms =
        opts->backoff_base_ms > 0 ? opts->backoff_base_ms : KUBE_WATCH_DEFAULT_BACKOFF_BASE_MS;
    inf->backoff_max_ms =
        opts->backoff_max_ms > 0 ? opts->backoff_max_ms : KUBE_WATCH_DEFAULT_BACKOFF_MAX_MS;
    if (h != NULL)
        inf->h = *h;
    if (oom) {
        kube_informer_free(inf);
        return util_err_set(err, "informer: out of memory");
    }
    if (kube_cache_new(&opts->cache, &inf->cache, err) != 0) {
        kube_informer_free(inf);
        return util_err_prefix(err, "informer %s", path);
    }
    memset(&wo, 0, sizeof wo);
    wo.label_selector = opts->label_selector;
    wo.field_selector = opts->field_selector;
    wo.timeout_seconds = opts->watch_timeout_seconds;
    wo.backoff_base_ms = opts->backoff_base_ms;
    wo.backoff_max_ms = opts->backoff_max_ms;
    wo.tick = on_tick;
    wo.tick_ctx = inf;
    if (kube_watch_new(c, path, &wo, &inf->watch, err) != 0) {
        kube_informer_free(inf);
        return util_err_prefix(err, "informer");
    }
    *out = inf;
    return 0;
}

/* Waits the backoff for the given number of failures in a row. */
static void backoff(kube_informer *inf, unsigned failures, const char *what, const char *why)
{
    long delay = inf->backoff_base_ms;
    util_err err = {{0}};
    unsigned i;

    for (i = 0; i < failures && delay < inf->backoff_max_ms; i++)
        delay *= 2;
    if (delay > inf->backoff_max_ms)
        delay = inf->backoff_max_ms;
    util_warn("informer %s: %s: %s; retrying in %ld ms", inf->path, what, why, delay);
    if (kube_watch_sleep(inf->watch, delay, &err) != 0)
        util_warn("informer %s: %s", inf->path, err.msg);
}

/* A page of the list into the cache; a list that started over starts the
 * replace over too. */
static int on_page(cJSON *page, bool restart, void *ctx, util_err *err)
{
    kube_informer *inf = ctx;

    if (restart)
        kube_cache_replace_begin(inf->cache);
    return kube_cache_replace_add(inf->cache, cJSON_GetObjectItemCaseSensitive(page, "items"),
                                  on_change, inf, err);
}

/* One list into the cache, a page at a time, so a large collection is never
 * held whole as cJSON. On success *rv is the list's resourceVersion (a new
 * string). */
static int relist(kube_informer *inf, char **rv, util_err *err)
{
    kube_list_opts lo = {
        .label_selector = inf->label_selector,
        .field_selector = inf->field_selector,
        .limit = inf->list_limit,
    };

    atomic_fetch_add(&inf->lists, 1);
    kube_cache_replace_begin(inf->cache);
    if (kube_list_each(inf->client, inf->path, &lo, on_page, inf, rv, NULL, err) != 0)
        return -1;
    if (kube_cache_replace_end(inf->cache, on_change, inf, err) != 0) {
        free(*rv);
        *rv = NULL;
        return -1;
    }
    pthread_mutex_lock(&inf->mu);
    if (!inf->synced) {
        inf->synced = true;
        inf->next_resync_ms = util_mono_ms() + inf->resync_ms;
        pthread_cond_broadcast(&inf->cond);
    }
    pthread_mutex_unlock(&inf->mu);
    return 0;
}

static void *run(void *arg)
{
    kube_informer *inf = arg;
    unsigned failures = 0;

    while (!kube_watch_stopped(inf->watch)) {
        util_err err = {{0}};
        char *rv = NULL;
        int64_t began;
        int rc;

        if (relist(inf, &rv, &err) != 0) {
            if (!kube_watch_stopped(inf->watch))
                backoff(inf, failures++, "list", err.msg);
            continue;
        }
        began = util_mono_ms();
        rc = kube_watch_run(inf->watch, rv, on_event, inf, NULL, &err);
        free(rv);
        if (rc == 0)
            break;
        /* A failure after a good run starts the backoff afresh and a 410
         * then means relist at once: the normal way back. One right after
         * the list (a watch refused where the list was not, a 410 for the
         * version just listed) keeps growing it, so list and watch are
         * never repeated in a tight loop. */
        if (util_mono_ms() - began >= (rc == KUBE_WATCH_GONE ? GONE_RUN_MS : HEALTHY_RUN_MS)) {
            failures = 0;
            if (rc == KUBE_WATCH_GONE)
                continue;
        }
        backoff(inf, failures++, "watch", err.msg);
    }
    return NULL;
}

int kube_informer_start(kube_informer *inf, util_err *err)
{
    int rc;

    pthread_mutex_lock(&inf->mu);
    if (inf->started) {
        pthread_mutex_unlock(&inf->mu);
        return util_err_set(err, "informer %s: already started", inf->path);
    }
    rc = pthread_create(&inf->thread, NULL, run, inf);
    inf->started = rc == 0;
    pthread_mutex_unlock(&inf->mu);
    if (rc != 0)
        return util_err_set(err, "informer %s: pthread_create failed", inf->path);
    return 0;
}

void kube_informer_stop(kube_informer *inf)
{
    bool join;

    if (inf->watch != NULL)
        kube_watch_stop(inf->watch);
    pthread_mutex_lock(&inf->mu);
    join = inf->started && !inf->joined;
    inf->joined = inf->joined || join;
    pthread_mutex_unlock(&inf->mu);
    if (join)
        pthread_join(inf->thread, NULL);
}

void kube_informer_free(kube_informer *inf)
{
    if (inf == NULL)
        return;
    kube_informer_stop(inf);
    kube_watch_free(inf->watch);
    kube_cache_free(inf->cache);
    pthread_cond_destroy(&inf->cond);
    pthread_mutex_destroy(&inf->mu);
    free(inf->path);
    free(inf->label_selector);
    free(inf->field_selector);
    free(inf);
}

bool kube_informer_has_synced(kube_informer *inf)
{
    return synced(inf);
}

bool kube_informer_wait_synced(kube_informer *inf, long timeout_ms)
{
    struct timespec dl;
    bool s;

    clock_gettime(CLOCK_REALTIME, &dl);
    dl.tv_sec += timeout_ms / 1000;
    dl.tv_nsec += (timeout_ms % 1000) * 1000000L;
    if (dl.tv_nsec >= 1000000000L) {
        dl.tv_sec++;
        dl.tv_nsec -= 1000000000L;
    }
    pthread_mutex_lock(&inf->mu);
    while (!inf->synced)
        if (pthread_cond_timedwait(&inf->cond, &inf->mu, &dl) != 0)
            break;
    s = inf->synced;
    pthread_mutex_unlock(&inf->mu);
    return s;
}

kube_cache *kube_informer_cache(kube_informer *inf)
{
    return inf->cache;
}

unsigned long kube_informer_lists(kube_informer *inf)
{
    return atomic_load(&inf->lists);
}

unsigned long kube_informer_watch_connects(kube_informer *inf)
{
    return kube_watch_connects(inf->watch);
}
