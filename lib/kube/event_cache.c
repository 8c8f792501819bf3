/* The recorder's bounded series map; see event_cache.h.
 *
 * A chained hash table for lookup plus one doubly linked list in order of
 * use (head: most recent, tail: least recent) for eviction and for finding
 * the oldest due write. The bucket array is sized once, for cap entries. */
#include "kube/event_cache.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

struct kube_event_cache {
    kube_event_entry **buckets;
    size_t nbuckets; /* a power of two */
    size_t len, cap;
    int64_t window;
    uint64_t next_id;
    kube_event_entry *head, *tail;
};

/* SHA-256, not a cheaper hash: keys hold what tenants name and write, and
 * two keys with one digest would be one series. */
int kube_event_digest(const void *key, size_t len, unsigned char out[KUBE_EVENT_DIGEST_LEN])
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int n = 0;

    if (EVP_Digest(key, len, md, &n, EVP_sha256(), NULL) != 1 || n < KUBE_EVENT_DIGEST_LEN)
        return -1;
    memcpy(out, md, KUBE_EVENT_DIGEST_LEN);
    return 0;
}

/* A digest's bucket: its bytes are already uniform. */
static size_t hash(const unsigned char *d)
{
    uint64_t h;

    memcpy(&h, d, sizeof h);
    return (size_t)h;
}

int kube_event_cache_new(size_t cap, int64_t window, kube_event_cache **out, util_err *err)
{
    kube_event_cache *c;
    size_t n = 16;

    *out = NULL;
    if (cap == 0 || window < 0)
        return util_err_set(err, "event cache: need cap >= 1 and window >= 0");
    while (n < cap && n < ((size_t)1 << 30))
        n *= 2;
    c = calloc(1, sizeof *c);
    if (c == NULL || (c->buckets = calloc(n, sizeof *c->buckets)) == NULL) {
        free(c);
        return util_err_set(err, "out of memory");
    }
    c->nbuckets = n;
    c->cap = cap;
    c->window = window;
    c->next_id = 1;
    *out = c;
    return 0;
}

static void entry_free(kube_event_entry *e)
{
    free(e->text);
    free(e->event);
    free(e->object_rv);
    free(e);
}

void kube_event_cache_free(kube_event_cache *c)
{
    kube_event_entry *e, *next;

    if (c == NULL)
        return;
    for (e = c->head; e != NULL; e = next) {
        next = e->lru_next;
        entry_free(e);
    }
    free(c->buckets);
    free(c);
}

static kube_event_entry **slot(kube_event_cache *c, const unsigned char *d)
{
    kube_event_entry **pp = &c->buckets[hash(d) & (c->nbuckets - 1)];

    while (*pp != NULL && memcmp((*pp)->digest, d, KUBE_EVENT_DIGEST_LEN) != 0)
        pp = &(*pp)->hash_next;
    return pp;
}

static void lru_unlink(kube_event_cache *c, kube_event_entry *e)
{
    if (e->lru_prev != NULL)
        e->lru_prev->lru_next = e->lru_next;
    else
        c->head = e->lru_next;
    if (e->lru_next != NULL)
        e->lru_next->lru_prev = e->lru_prev;
    else
        c->tail = e->lru_prev;
    e->lru_prev = e->lru_next = NULL;
}

static void lru_push_front(kube_event_cache *c, kube_event_entry *e)
{
    e->lru_prev = NULL;
    e->lru_next = c->head;
    if (c->head != NULL)
        c->head->lru_prev = e;
    c->head = e;
    if (c->tail == NULL)
        c->tail = e;
}

static void evict_oldest(kube_event_cache *c, bool *dropped_unwritten)
{
    kube_event_entry *e = c->tail, **pp = slot(c, e->digest);

    *pp = e->hash_next;
    lru_unlink(c, e);
    if (dropped_unwritten != NULL)
        *dropped_unwritten = e->written < e->count;
    entry_free(e);
    c->len--;
}

/* Starts a new series in e (a new entry, or one whose window lapsed). */
static void start_series(kube_event_cache *c, kube_event_entry *e, int64_t mono, int64_t wall)
{
    free(e->text);
    free(e->event);
    free(e->object_rv);
    e->text = NULL;
    e->text_len = 0;
    e->event = NULL;
    e->object_rv = NULL;
    e->id = c->next_id++;
    e->count = 1;
    e->first_wall = e->last_wall = wall;
    e->last_mono = mono;
    e->written = 0;
    e->failures = 0;
    e->retry_mono = 0;
}

/* Drops the least recently seen entries whose window lapsed before mono
 * and which have no write due: a repeat of one would start a new series
 * anyway, so it is memory for nothing. Stops at the first entry still in
 * its window or with a write due (the rest are more recent, or wait for
 * the writer). */
static void expire_quiet(kube_event_cache *c, int64_t mono)
{
    while (c->tail != NULL && mono - c->tail->last_mono > c->window &&
           c->tail->written >= c->tail->count)
        evict_oldest(c, NULL);
}

kube_event_entry *kube_event_cache_observe(kube_event_cache *c, const void *key, size_t len,
                                           int64_t mono, int64_t wall, bool *dropped_unwritten)
{
    unsigned char d[KUBE_EVENT_DIGEST_LEN];
    kube_event_entry **pp, *e;

    if (dropped_unwritten != NULL)
        *dropped_unwritten = false;
    if (kube_event_digest(key, len, d) != 0)
        return NULL;
    expire_quiet(c, mono);
    pp = slot(c, d);
    e = *pp;
    if (e != NULL) {
        lru_unlink(c, e);
        lru_push_front(c, e);
        if (mono - e->last_mono > c->window) {
            start_series(c, e, mono, wall);
        } else {
            e->count++;
            e->last_wall = wall;
            e->last_mono = mono;
        }
        return e;
    }
    if ((e = calloc(1, sizeof *e)) == NULL)
        return NULL;
    if (c->len >= c->cap) {
        evict_oldest(c, dropped_unwritten);
        pp = slot(c, d); /* the chain may have changed */
    }
    memcpy(e->digest, d, sizeof d);
    start_series(c, e, mono, wall);
    *pp = e;
    lru_push_front(c, e);
    c->len++;
    return e;
}

kube_event_entry *kube_event_cache_find_digest(kube_event_cache *c,
                                               const unsigned char digest[KUBE_EVENT_DIGEST_LEN])
{
    return *slot(c, digest);
}

kube_event_entry *kube_event_cache_due(kube_event_cache *c, int64_t mono, int64_t *next)
{
    if (next != NULL)
        *next = INT64_MAX;
    for (kube_event_entry *e = c->tail; e != NULL; e = e->lru_prev) {
        if (e->written >= e->count)
            continue;
        if (e->retry_mono <= mono)
            return e;
        if (next != NULL && e->retry_mono < *next)
            *next = e->retry_mono;
    }
    return NULL;
}

size_t kube_event_cache_unwritten(const kube_event_cache *c)
{
    size_t n = 0;

    for (const kube_event_entry *e = c->head; e != NULL; e = e->lru_next)
        n += e->written < e->count;
    return n;
}

size_t kube_event_cache_len(const kube_event_cache *c)
{
    return c->len;
}
