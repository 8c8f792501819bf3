/* The Events recorder's memory: a bounded map from what an event says (its
 * aggregation key) to the series of repeats it belongs to, with the least
 * recently seen entry dropped first when the map is full, so a program that
 * reports many distinct events keeps a fixed amount of memory. A repeat
 * within the window joins the series (one Event object, its count going
 * up); a repeat after a quiet window starts a new series (a new Event).
 *
 * A series is known by the digest of its key (the first 128 bits of its
 * SHA-256), not by the key: the key holds the whole message, and a series
 * needs it only until its Event is created. The recorder keeps it in the
 * entry until then (text), and afterwards only where the Event is.
 *
 * Pure: no I/O, no clock of its own (times are passed in), no locking (the
 * recorder holds its lock around every call). Keys are byte strings; the
 * recorder builds them with kube_event_key. */
#ifndef BERTH_KUBE_EVENT_CACHE_H
#define BERTH_KUBE_EVENT_CACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/err.h"

#define KUBE_EVENT_DIGEST_LEN 16

/* One series. The cache owns the entry and everything it points to; the
 * recorder reads the series fields and keeps its bookkeeping in the rest. */
typedef struct kube_event_entry {
    unsigned char digest[KUBE_EVENT_DIGEST_LEN]; /* of the key */
    uint64_t id;        /* new for every series; a cache never reuses one */
    unsigned count;     /* occurrences in this series, at least 1 */
    int64_t first_wall; /* first occurrence, wall ns (the Event's eventTime) */
    int64_t last_wall;  /* latest occurrence, wall ns (series.lastObservedTime) */
    int64_t last_mono;  /* latest occurrence, monotonic ns (for the window) */

    /* The recorder's: what the API holds for this series. A new series
     * starts with text, event and object_rv NULL and written 0. The cache
     * frees text, event and object_rv. */
    char *text; /* the key, text_len bytes, while there is no Event */
    size_t text_len;
    char *event;        /* "<namespace>/<name>" of the Event once created */
    char *object_rv;    /* resourceVersion of the regarding object, until created */
    unsigned written;   /* the count the API has; a write is due while < count */
    unsigned failures;  /* failed writes of the current count */
    int64_t retry_mono; /* no write before this (backoff after a failure) */

    /* The cache's own links. */
    struct kube_event_entry *lru_prev, *lru_next, *hash_next;
} kube_event_entry;

typedef struct kube_event_cache kube_event_cache;

/* A cache of at most cap entries (at least 1); repeats more than window ns
 * apart start a new series. */
int kube_event_cache_new(size_t cap, int64_t window, kube_event_cache **out,
                         util_err *err) UTIL_MUST_CHECK;

/* NULL is a no-op. */
void kube_event_cache_free(kube_event_cache *c);

/* The digest a series is known by: 0, or -1 when OpenSSL fails. */
int kube_event_digest(const void *key, size_t len,
                      unsigned char out[KUBE_EVENT_DIGEST_LEN]) UTIL_MUST_CHECK;

/* One occurrence of key at (mono, wall). Returns its entry, borrowed until
 * the next call that may evict (observe) or kube_event_cache_free: a new
 * series (count 1, event NULL) when the key is unknown or was last seen more
 * than the window before mono, else the series with its count raised.
 * Entries last seen more than the window before mono with no write due are
 * dropped first, oldest first (so the memory of a burst goes once it is
 * over). A full cache then drops its least recently seen entry; *dropped_unwritten
 * (if not NULL) tells whether that entry still had a write due. NULL only
 * when out of memory. */
kube_event_entry *kube_event_cache_observe(kube_event_cache *c, const void *key, size_t len,
                                           int64_t mono, int64_t wall, bool *dropped_unwritten);

/* The entry for the key with this digest (kube_event_digest), or NULL;
 * borrowed as above. Does not count as a use. */
kube_event_entry *kube_event_cache_find_digest(kube_event_cache *c,
                                               const unsigned char digest[KUBE_EVENT_DIGEST_LEN]);

/* The least recently seen entry with a write due at mono (written < count
 * and retry_mono <= mono), or NULL. *next (if not NULL) is set to the
 * earliest retry_mono of entries whose write is only held back by a
 * backoff, or INT64_MAX if there are none. */
kube_event_entry *kube_event_cache_due(kube_event_cache *c, int64_t mono, int64_t *next);

/* How many entries have a write due now or after a backoff. */
size_t kube_event_cache_unwritten(const kube_event_cache *c);

size_t kube_event_cache_len(const kube_event_cache *c);

#endif
