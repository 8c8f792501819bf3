/* An informer: keeps a kube_cache (cache.h) equal to one collection on the
 * API server and tells handlers what changed, as client-go's shared
 * informer does. A thread of its own lists the collection, a page at a
 * time into the cache (kube_list_each, kube_cache_replace_add: a list of
 * every Pod is never held whole), then watches from the list's
 * resourceVersion (watch.h: bookmarks, resume, reconnect with backoff). On
 * 410 Gone it lists again (at once, unless the 410 came within a second of
 * the last list: then after a backoff, so the pair cannot loop), and the
 * cache's replace turns the difference into
 * adds, updates and deletes, so a controller also hears of objects deleted
 * while it was not watching. A failed list is retried with the watch's
 * backoff; a refused one (403, say) too, and it is logged each time, since a
 * missing RBAC rule may be fixed while the program runs.
 *
 * Handlers run in the informer's thread, one at a time, in event order,
 * with no lock held: they may read the cache (kube_informer_cache), and
 * should be quick (put a key on a work queue). Objects are lent for the call
 * and have lost metadata.managedFields unless the options keep it. */
#ifndef BERTH_KUBE_INFORMER_H
#define BERTH_KUBE_INFORMER_H

#include <stdbool.h>

#include <cjson/cJSON.h>

#include "kube/cache.h"
#include "kube/client.h"
#include "util/err.h"

typedef struct kube_informer_handlers {
    void (*on_add)(const cJSON *obj, void *ctx);
    /* Also called at every resync with old == obj, so a controller sees
     * each object again even when nothing happened. */
    void (*on_update)(const cJSON *old, const cJSON *obj, void *ctx);
    /* obj is the final state, or the last one known when the deletion was
     * found by a relist. */
    void (*on_delete)(const cJSON *obj, void *ctx);
    void *ctx;
} kube_informer_handlers;

/* A zeroed struct (or NULL) means the defaults. Strings are copied. */
typedef struct kube_informer_opts {
    const char *label_selector; /* NULL: every object */
    const char *field_selector; /* NULL: every object */
    long resync_ms;             /* 0: no periodic resync */
    long list_limit;            /* page size of the list; 0: the verbs' default */
    long watch_timeout_seconds; /* see kube_watch_opts; 0: 5 to 10 minutes */
    long backoff_base_ms;       /* reconnect and relist backoff; 0: the watch's */
    long backoff_max_ms;
    kube_cache_opts cache;
} kube_informer_opts;

typedef struct kube_informer kube_informer;

/* An informer for the collection at path (as kube_path builds it). c is
 * borrowed and must outlive the informer; its connection serves the lists,
 * the watch has one of its own. h may be NULL (a cache without handlers). */
int kube_informer_new(kube_client *c, const char *path, const kube_informer_opts *opts,
                      const kube_informer_handlers *h, kube_informer **out,
                      util_err *err) UTIL_MUST_CHECK;

/* Starts the informer's thread. Once only. */
int kube_informer_start(kube_informer *inf, util_err *err) UTIL_MUST_CHECK;

/* Stops the thread and waits for it; handlers are not called afterwards.
 * Safe to call from any thread but a handler, more than once, or without a
 * start. The cache stays readable. */
void kube_informer_stop(kube_informer *inf);

/* Stops it and frees it. NULL is a no-op. */
void kube_informer_free(kube_informer *inf);

/* Whether the first list has been stored and its adds delivered. */
bool kube_informer_has_synced(kube_informer *inf);

/* Waits until has_synced or until timeout_ms passed; returns has_synced. */
bool kube_informer_wait_synced(kube_informer *inf, long timeout_ms);

/* The cache, for reads (kube_cache_get, _by_label, _by_owner, ...); borrowed,
 * valid until kube_informer_free. Do not write to it. */
kube_cache *kube_informer_cache(kube_informer *inf);

/* How many lists the informer has made (the first, then one per relist).
 * Thread-safe. */
unsigned long kube_informer_lists(kube_informer *inf);

/* The watch's connection count (kube_watch_connects). Thread-safe. */
unsigned long kube_informer_watch_connects(kube_informer *inf);

#endif
