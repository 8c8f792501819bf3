/* The store behind an informer: the objects of one collection keyed by
 * "namespace/name", indexed by label ("key=value") and by the uid of their
 * controller (the ownerReference with controller: true), readable from any
 * thread while one writer (the informer) keeps it current. Pure: it never
 * talks to the API, so the informer's bookkeeping (what is an add, an
 * update, a delete; which objects vanished while the watch was away) is
 * tested and measured without a server.
 *
 * Memory: an operator caches every Pod it might own, so objects are kept as
 * compact JSON text (a few KiB for a Pod), not as cJSON trees (several times
 * that), and metadata.managedFields, which no controller reads and which is
 * often the bulk of an object, is dropped on the way in unless asked for;
 * a trim function given by the owner drops more (what its readers never
 * read).
 * Readers get fresh cJSON copies they own; nothing inside is ever lent out,
 * so a reader never races the writer.
 *
 * Writes report what they changed through a kube_cache_fn, called after the
 * cache lock is released (so the function may read the cache) and in the
 * writer's thread. */
#ifndef BERTH_KUBE_CACHE_H
#define BERTH_KUBE_CACHE_H

#include <stdbool.h>
#include <stddef.h>

#include <cjson/cJSON.h>

#include "kube/watch_parse.h"
#include "util/err.h"

typedef struct kube_cache kube_cache;

/* A zeroed struct (or NULL) means the defaults. */
typedef struct kube_cache_opts {
    bool keep_managed_fields; /* default: metadata.managedFields is dropped */
    /* The label keys to index, NULL-terminated; NULL: every label. Strings
     * are copied. Indexing fewer keys saves memory on large caches. */
    const char *const *index_label_keys;
    /* No index by controller uid (kube_cache_by_owner then finds nothing):
     * it costs a bucket per owner and a link per object, for readers
     * that never look objects up by their owner. */
    bool no_owner_index;
    /* Called on every object before it is stored or reported (after
     * managedFields is dropped), to remove in place what no reader of
     * this cache needs; NULL: nothing. It must keep metadata.name,
     * namespace, uid and resourceVersion. */
    void (*trim)(cJSON *obj);
} kube_cache_opts;

typedef enum kube_cache_change {
    KUBE_CACHE_ADDED,   /* old NULL, obj the new object */
    KUBE_CACHE_UPDATED, /* old the previous object, obj the new one */
    KUBE_CACHE_DELETED, /* old NULL, obj the last state known */
    KUBE_CACHE_RESYNC,  /* old and obj the same cached object: a periodic resync */
} kube_cache_change;

/* Told of one change. Both objects are lent for the call only. For
 * KUBE_CACHE_DELETED obj is the object as the DELETED event carried it, or,
 * for an object found gone by kube_cache_replace, the last state the cache
 * held (the final state is unknown then). */
typedef void (*kube_cache_fn)(kube_cache_change change, const cJSON *old, const cJSON *obj,
                              void *ctx);

int kube_cache_new(const kube_cache_opts *opts, kube_cache **out, util_err *err) UTIL_MUST_CHECK;

/* NULL is a no-op. */
void kube_cache_free(kube_cache *c);

/* Applies one watch event: ADDED and MODIFIED store obj (an add if the key
 * is new, an update otherwise, nothing if uid and resourceVersion are those
 * already held); DELETED removes it; BOOKMARK and ERROR change nothing. obj
 * loses metadata.managedFields unless the options keep it. fn (may be NULL)
 * hears of the change. Returns 0, or -1 if obj has no name (err says). */
int kube_cache_apply(kube_cache *c, kube_watch_event_type type, cJSON *obj, kube_cache_fn fn,
                     void *ctx, util_err *err) UTIL_MUST_CHECK;

/* Makes the cache hold exactly the objects of a fresh list (its "items"
 * array, whose members may be changed as by kube_cache_apply): new keys are
 * adds, changed ones updates, and every cached object the list lacks is a
 * DELETED with its last known state: what was missed while the watch was
 * away. Items without a name are an error, and nothing is deleted then. */
int kube_cache_replace(kube_cache *c, cJSON *list, kube_cache_fn fn, void *ctx,
                       util_err *err) UTIL_MUST_CHECK;

/* kube_cache_replace in steps, for a list that arrives page by page
 * (kube_list_each) and should never be held whole: begin, add each page's
 * "items" array, end. Adds and updates are reported as each page is added;
 * end reports the deletes. A begin again (a list that started over) forgets
 * the adds before it. If a step fails, skip end: nothing is deleted, and
 * the next begin starts clean. Single writer only, like every write. */
void kube_cache_replace_begin(kube_cache *c);
int kube_cache_replace_add(kube_cache *c, cJSON *items, kube_cache_fn fn, void *ctx,
                           util_err *err) UTIL_MUST_CHECK;
int kube_cache_replace_end(kube_cache *c, kube_cache_fn fn, void *ctx,
                           util_err *err) UTIL_MUST_CHECK;

/* Calls fn with KUBE_CACHE_RESYNC for every cached object, in key order. */
void kube_cache_resync(kube_cache *c, kube_cache_fn fn, void *ctx);

/* Readers. Thread-safe. Every returned cJSON is new, for cJSON_Delete;
 * arrays are in key order. */

/* The object at key ("namespace/name", or "name"), or NULL. */
cJSON *kube_cache_get(kube_cache *c, const char *key);

/* Every object, as an array. */
cJSON *kube_cache_list(kube_cache *c);

/* The objects labelled key=value, as an array (empty if none, or if key is
 * not indexed). */
cJSON *kube_cache_by_label(kube_cache *c, const char *key, const char *value);

/* The objects whose controller has this uid, as an array. */
cJSON *kube_cache_by_owner(kube_cache *c, const char *uid);

/* Every key, sorted, as an array of strings. */
cJSON *kube_cache_keys(kube_cache *c);

size_t kube_cache_len(kube_cache *c);

/* Bytes the cache holds for objects, keys and indexes (its own count, not
 * the allocator's): for benches and metrics. */
size_t kube_cache_bytes(kube_cache *c);

#endif
