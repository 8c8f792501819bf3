/* The controller work queue; see workqueue.h for the guarantees.
 *
 * Every key the queue knows about has one record (wq_item) in a hash table
 * (htab.h),
 * and all of the key's state lives there: waiting (dirty), held by a worker
 * (processing), delayed (position in the min-heap), and its failure count.
 * A record exists exactly while some of that state is set, so a key that was
 * processed, has no pending add and no backoff costs nothing.
 *
 * Invariant: an item is in the ready FIFO iff dirty && !processing. That is
 * what makes the queue deduplicate and keeps a key away from two workers.
 *
 * Delayed adds need no timer thread: whoever waits in get sleeps until the
 * earliest due time, and any call that looks at the clock moves due items
 * into the FIFO first. */
#include "kube/workqueue.h"

#include <assert.h>
#include <limits.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "kube/htab.h"
#include "kube/ratelimit.h"
#include "util/str.h"

#define NOT_DELAYED SIZE_MAX
/* Longest single sleep in get; the loop recomputes after it, so a far due
 * time or a replaced clock never makes a worker sleep unboundedly. */
#define MAX_SLEEP_NS (60ULL * 1000000000ULL)

typedef struct wq_item {
    kube_hnode node; /* first: an item is its node; node.key is key */
    char *key;
    struct wq_item *qnext; /* FIFO link, meaningful while in the FIFO */
    bool dirty;            /* must be processed (again) */
    bool processing;       /* a worker holds it */
    size_t heap_idx;       /* position in the delay heap, or NOT_DELAYED */
    uint64_t ready_at;     /* due time while delayed */
    uint64_t seq;          /* FIFO order among equal due times */
    unsigned failures;     /* rate-limited adds since the last forget */
} wq_item;

struct kube_workqueue {
    pthread_mutex_t mu;
    pthread_cond_t cond; /* on CLOCK_MONOTONIC */

    uint64_t backoff_base, backoff_max;
    util_now_fn now;
    void *now_ctx;

    /* The overall limit (ratelimit.h), on the queue's clock. */
    kube_bucket rate;

    kube_htab items; /* every wq_item, by key */

    wq_item *head, *tail; /* ready FIFO */
    size_t qlen;

    wq_item **heap; /* delayed items, min-heap on (ready_at, seq) */
    size_t heap_len, heap_cap;
    uint64_t next_seq;

    bool shutting_down;
};

/* The queue's clock, in nanoseconds. */
static uint64_t now_ns(const kube_workqueue *q)
{
    return (uint64_t)q->now(q->now_ctx).mono;
}

static uint64_t sat_add(uint64_t a, uint64_t b)
{
    return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

static wq_item *lookup(const kube_workqueue *q, const char *key)
{
    return (wq_item *)kube_htab_find(&q->items, key);
}

static wq_item *lookup_or_create(kube_workqueue *q, const char *key, util_err *err)
{
    wq_item *it = lookup(q, key);

    if (it != NULL)
        return it;
    it = calloc(1, sizeof *it);
    if (it == NULL || (it->key = util_strdup(key)) == NULL) {
        free(it);
        util_err_set(err, "workqueue: key '%s': out of memory", key);
        return NULL;
    }
    it->node.key = it->key;
    it->heap_idx = NOT_DELAYED;
    if (kube_htab_insert(&q->items, &it->node) != 0) {
        free(it->key);
        free(it);
        util_err_set(err, "workqueue: key '%s': out of memory", key);
        return NULL;
    }
    return it;
}

/* Drops the record once nothing refers to the key any more. */
static void maybe_release(kube_workqueue *q, wq_item *it)
{
    if (it->dirty || it->processing || it->heap_idx != NOT_DELAYED || it->failures != 0)
        return;
    kube_htab_remove(&q->items, &it->node);
    free(it->key);
    free(it);
}

/* The heart of dedup: a key already dirty is already queued or will be
 * re-queued by done; a key being processed waits for done. */
static void mark_dirty(kube_workqueue *q, wq_item *it)
{
    if (it->dirty)
        return;
    it->dirty = true;
    if (it->processing)
        return;
    /* Now dirty && !processing: into the FIFO, where it was not. */
    assert((q->head == NULL) == (q->qlen == 0));
    it->qnext = NULL;
    if (q->tail != NULL)
        q->tail->qnext = it;
    else
        q->head = it;
    q->tail = it;
    q->qlen++;
    pthread_cond_signal(&q->cond);
}

static wq_item *fifo_pop(kube_workqueue *q)
{
    wq_item *it = q->head;

    /* In the FIFO iff dirty && !processing. */
    assert(it != NULL && q->qlen > 0 && it->dirty && !it->processing);
    q->head = it->qnext;
    if (q->head == NULL)
        q->tail = NULL;
    it->qnext = NULL;
    q->qlen--;
    return it;
}

static bool heap_less(const wq_item *a, const wq_item *b)
{
    return a->ready_at < b->ready_at || (a->ready_at == b->ready_at && a->seq < b->seq);
}

static void heap_set(kube_workqueue *q, size_t i, wq_item *it)
{
    assert(i < q->heap_len && q->heap_len <= q->heap_cap);
    q->heap[i] = it;
    it->heap_idx = i;
}

static void heap_up(kube_workqueue *q, size_t i)
{
    wq_item *it = q->heap[i];

    while (i > 0) {
        size_t parent = (i - 1) / 2;
        if (!heap_less(it, q->heap[parent]))
            break;
        heap_set(q, i, q->heap[parent]);
        i = parent;
    }
    heap_set(q, i, it);
}

static void heap_down(kube_workqueue *q, size_t i)
{
    wq_item *it = q->heap[i];

    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= q->heap_len)
            break;
        if (c + 1 < q->heap_len && heap_less(q->heap[c + 1], q->heap[c]))
            c++;
        if (!heap_less(q->heap[c], it))
            break;
        heap_set(q, i, q->heap[c]);
        i = c;
    }
    heap_set(q, i, it);
}

static wq_item *heap_pop(kube_workqueue *q)
{
    wq_item *top;

    assert(q->heap_len > 0);
    top = q->heap[0];
    q->heap_len--;
    if (q->heap_len > 0) {
        heap_set(q, 0, q->heap[q->heap_len]);
        heap_down(q, 0);
    }
    top->heap_idx = NOT_DELAYED;
    return top;
}

static int heap_reserve(kube_workqueue *q, util_err *err)
{
    size_t cap;
    wq_item **h;

    if (q->heap_len < q->heap_cap)
        return 0;
    cap = q->heap_cap ? q->heap_cap * 2 : 16;
    h = realloc(q->heap, cap * sizeof *h);
    if (h == NULL)
        return util_err_set(err, "workqueue: delayed keys: out of memory");
    q->heap = h;
    q->heap_cap = cap;
    return 0;
}

static void promote_due(kube_workqueue *q, uint64_t now)
{
    while (q->heap_len > 0 && q->heap[0]->ready_at <= now)
        mark_dirty(q, heap_pop(q));
}

/* Schedules key at ready_at, keeping the earlier of two due times. Wakes the
 * sleepers when the earliest due time moved, since one of them must now
 * sleep shorter. */
static int schedule(kube_workqueue *q, const char *key, uint64_t ready_at, util_err *err)
{
    wq_item *it;

    if (heap_reserve(q, err) < 0)
        return -1;
    it = lookup_or_create(q, key, err);
    if (it == NULL)
        return -1;
    if (it->heap_idx != NOT_DELAYED) {
        if (ready_at >= it->ready_at)
            return 0;
        it->ready_at = ready_at;
        heap_up(q, it->heap_idx);
    } else {
        it->ready_at = ready_at;
        it->seq = q->next_seq++;
        heap_set(q, q->heap_len++, it);
        heap_up(q, it->heap_idx);
    }
    if (it->heap_idx == 0)
        pthread_cond_broadcast(&q->cond);
    return 0;
}

static int check_key(const char *key, util_err *err)
{
    if (key == NULL || key[0] == '\0')
        return util_err_set(err, "workqueue: empty key");
    return 0;
}

int kube_workqueue_new(const kube_workqueue_opts *opts, kube_workqueue **out, util_err *err)
{
    kube_workqueue_opts o = {0};
    pthread_condattr_t ca;
    kube_workqueue *q;
    int rc;

    *out = NULL;
    if (opts != NULL)
        o = *opts;
    if (o.backoff_base_ns == 0)
        o.backoff_base_ns = KUBE_WQ_DEFAULT_BACKOFF_BASE_NS;
    if (o.backoff_max_ns == 0)
        o.backoff_max_ns = KUBE_WQ_DEFAULT_BACKOFF_MAX_NS;
    if (o.qps == 0)
        o.qps = KUBE_WQ_DEFAULT_QPS;
    if (o.burst == 0)
        o.burst = KUBE_WQ_DEFAULT_BURST;
    if (o.backoff_max_ns < o.backoff_base_ns)
        return util_err_set(err, "workqueue: backoff max %llu ns is below base %llu ns",
                            (unsigned long long)o.backoff_max_ns,
                            (unsigned long long)o.backoff_base_ns);
    q = calloc(1, sizeof *q);
    if (q == NULL)
        return util_err_set(err, "workqueue: out of memory");
    q->backoff_base = o.backoff_base_ns;
    q->backoff_max = o.backoff_max_ns;
    q->now = o.now != NULL ? o.now : util_time_now;
    q->now_ctx = o.now_ctx;
    if (kube_bucket_init(&q->rate, o.qps, o.burst, (int64_t)now_ns(q), err) != 0) {
        free(q);
        return util_err_prefix(err, "workqueue");
    }

    rc = pthread_mutex_init(&q->mu, NULL);
    if (rc == 0) {
        rc = pthread_condattr_init(&ca);
        if (rc == 0) {
            rc = pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
            if (rc == 0)
                rc = pthread_cond_init(&q->cond, &ca);
            pthread_condattr_destroy(&ca);
        }
        if (rc != 0)
            pthread_mutex_destroy(&q->mu);
    }
    if (rc != 0) {
        free(q);
        return util_err_set(err, "workqueue: pthread init: %s", strerror(rc));
    }
    *out = q;
    return 0;
}

void kube_workqueue_free(kube_workqueue *q)
{
    size_t i;

    if (q == NULL)
        return;
    for (i = 0; i < q->items.nslots; i++) {
        kube_hnode *n = q->items.slots[i], *next;

        for (; n != NULL; n = next) {
            next = n->next;
            free(((wq_item *)n)->key);
            free(n);
        }
    }
    free(q->items.slots);
    free(q->heap);
    pthread_cond_destroy(&q->cond);
    pthread_mutex_destroy(&q->mu);
    free(q);
}

/* Checks key and takes the lock for an add: returns key's record with the
 * lock held, or NULL with it released and *rc 0 (the queue is shutting
 * down: adds are dropped) or -1 (a bad key, or out of memory). */
static wq_item *lock_for_add(kube_workqueue *q, const char *key, int *rc, util_err *err)
{
    wq_item *it;

    *rc = -1;
    if (check_key(key, err) < 0)
        return NULL;
    pthread_mutex_lock(&q->mu);
    if (q->shutting_down)
        *rc = 0;
    it = q->shutting_down ? NULL : lookup_or_create(q, key, err);
    if (it == NULL)
        pthread_mutex_unlock(&q->mu);
    return it;
}

int kube_workqueue_add(kube_workqueue *q, const char *key, util_err *err)
{
    int rc;
    wq_item *it = lock_for_add(q, key, &rc, err);

    if (it == NULL)
        return rc;
    mark_dirty(q, it);
    pthread_mutex_unlock(&q->mu);
    return 0;
}

int kube_workqueue_add_after(kube_workqueue *q, const char *key, uint64_t delay_ns, util_err *err)
{
    int rc = 0;

    if (delay_ns == 0)
        return kube_workqueue_add(q, key, err);
    if (check_key(key, err) < 0)
        return -1;
    pthread_mutex_lock(&q->mu);
    if (!q->shutting_down)
        rc = schedule(q, key, sat_add(now_ns(q), delay_ns), err);
    pthread_mutex_unlock(&q->mu);
    return rc;
}

/* base * 2^failures, capped; computed without overflow. */
static uint64_t backoff_ns(const kube_workqueue *q, unsigned failures)
{
    if (failures >= 64 || q->backoff_base > (q->backoff_max >> failures))
        return q->backoff_max;
    return q->backoff_base << failures;
}

/* Takes one token and returns how long the caller has to wait for it. */
static uint64_t bucket_delay(kube_workqueue *q, uint64_t now)
{
    return (uint64_t)kube_bucket_reserve(&q->rate, (int64_t)now);
}

int kube_workqueue_add_rate_limited(kube_workqueue *q, const char *key, util_err *err)
{
    uint64_t now, delay, bdelay;
    int rc;
    wq_item *it = lock_for_add(q, key, &rc, err);

    if (it == NULL)
        return rc;
    now = now_ns(q);
    delay = backoff_ns(q, it->failures);
    if (it->failures < UINT_MAX)
        it->failures++;
    bdelay = bucket_delay(q, now);
    if (bdelay > delay)
        delay = bdelay;
    rc = schedule(q, key, sat_add(now, delay), err);
    pthread_mutex_unlock(&q->mu);
    return rc;
}

void kube_workqueue_forget(kube_workqueue *q, const char *key)
{
    wq_item *it;

    if (key == NULL)
        return;
    pthread_mutex_lock(&q->mu);
    it = lookup(q, key);
    if (it != NULL) {
        it->failures = 0;
        maybe_release(q, it);
    }
    pthread_mutex_unlock(&q->mu);
}

unsigned kube_workqueue_num_requeues(kube_workqueue *q, const char *key)
{
    unsigned n = 0;
    wq_item *it;

    if (key == NULL)
        return 0;
    pthread_mutex_lock(&q->mu);
    it = lookup(q, key);
    if (it != NULL)
        n = it->failures;
    pthread_mutex_unlock(&q->mu);
    return n;
}

/* Sleeps on the condition variable until the earliest due time (on the
 * queue's clock, translated to a real-time deadline) or a wake-up. */
static void wait_for_work(kube_workqueue *q, uint64_t now)
{
    struct timespec ts;
    uint64_t wait;

    if (q->heap_len == 0) {
        pthread_cond_wait(&q->cond, &q->mu);
        return;
    }
    wait = q->heap[0]->ready_at - now;
    if (wait > MAX_SLEEP_NS)
        wait = MAX_SLEEP_NS;
    /* Rounded up: never wake before the key is due. */
    ts = util_mono_deadline((int64_t)((wait + UTIL_NS_PER_MS - 1) / UTIL_NS_PER_MS));
    pthread_cond_timedwait(&q->cond, &q->mu, &ts);
}

static kube_wq_status take(kube_workqueue *q, const char **key, bool block)
{
    kube_wq_status st;
    wq_item *it;

    *key = NULL;
    pthread_mutex_lock(&q->mu);
    for (;;) {
        uint64_t now;

        if (q->shutting_down) {
            st = KUBE_WQ_SHUTDOWN;
            break;
        }
        now = now_ns(q);
        promote_due(q, now);
        if (q->head != NULL) {
            it = fifo_pop(q);
            it->dirty = false;
            it->processing = true;
            *key = it->key;
            st = KUBE_WQ_OK;
            break;
        }
        if (!block) {
            st = KUBE_WQ_EMPTY;
            break;
        }
        wait_for_work(q, now);
    }
    pthread_mutex_unlock(&q->mu);
    return st;
}

kube_wq_status kube_workqueue_get(kube_workqueue *q, const char **key)
{
    return take(q, key, true);
}

kube_wq_status kube_workqueue_try_get(kube_workqueue *q, const char **key)
{
    return take(q, key, false);
}

int kube_workqueue_done(kube_workqueue *q, const char *key, util_err *err)
{
    wq_item *it;

    if (check_key(key, err) < 0)
        return -1;
    pthread_mutex_lock(&q->mu);
    it = lookup(q, key);
    if (it == NULL || !it->processing) {
        util_err_set(err, "workqueue: done('%s'): key is not being processed", key);
        pthread_mutex_unlock(&q->mu);
        return -1;
    }
    /* key may be it->key: it must not be touched once the item is released. */
    it->processing = false;
    if (it->dirty) {
        /* Dirty while processing: kept out of the FIFO until now. */
        it->dirty = false;
        mark_dirty(q, it);
    } else {
        maybe_release(q, it);
    }
    pthread_mutex_unlock(&q->mu);
    return 0;
}

void kube_workqueue_shutdown(kube_workqueue *q)
{
    pthread_mutex_lock(&q->mu);
    q->shutting_down = true;
    pthread_cond_broadcast(&q->cond);
    pthread_mutex_unlock(&q->mu);
}

size_t kube_workqueue_len(kube_workqueue *q)
{
    size_t n;

    pthread_mutex_lock(&q->mu);
    if (!q->shutting_down)
        promote_due(q, now_ns(q));
    n = q->qlen;
    pthread_mutex_unlock(&q->mu);
    return n;
}
