/* The controller work queue: informer events become keys ("namespace/name"),
 * workers take keys and reconcile them. It follows client-go's rate-limited
 * delaying queue, because the controller pattern relies on exactly these
 * guarantees:
 *
 * - a key waiting is queued once, however often it is added (dedup);
 * - a key is never handed to two workers at once: added while a worker
 *   holds it, it is marked dirty and queued again when that worker calls
 *   kube_workqueue_done, so no change is lost and none is handled twice in
 *   parallel;
 * - kube_workqueue_add_after delays an add (the earliest due time wins);
 * - kube_workqueue_add_rate_limited delays by the larger of a per-key
 *   exponential backoff and an overall token bucket, so a failing key backs
 *   off without starving others and a flood of failures cannot hammer the
 *   API server.
 *
 * One difference from client-go, on purpose: after kube_workqueue_shutdown,
 * kube_workqueue_get returns KUBE_WQ_SHUTDOWN at once even if keys are still
 * queued. The operator shuts the queue down when it loses its leader Lease or
 * is told to stop; reconciling the rest then would race the next leader, and
 * since reconcile is level-triggered nothing is lost by dropping them.
 *
 * Ownership of keys: the queue copies every key it is given. kube_workqueue_get
 * lends the caller the queue's own copy, valid until the caller's matching
 * kube_workqueue_done; the caller never frees it.
 *
 * All functions are thread-safe except kube_workqueue_free. */
#ifndef BERTH_KUBE_WORKQUEUE_H
#define BERTH_KUBE_WORKQUEUE_H

#include <stddef.h>
#include <stdint.h>

#include "util/clock.h"
#include "util/err.h"

#define KUBE_WQ_DEFAULT_BACKOFF_BASE_NS 5000000ULL       /* 5 ms */
#define KUBE_WQ_DEFAULT_BACKOFF_MAX_NS  1000000000000ULL /* 1000 s */
#define KUBE_WQ_DEFAULT_QPS             10.0
#define KUBE_WQ_DEFAULT_BURST           100u

/* Tuning. A zeroed struct (or a NULL pointer) means every default. */
typedef struct kube_workqueue_opts {
    uint64_t backoff_base_ns; /* first rate-limited delay of a key; 0: 5 ms */
    uint64_t backoff_max_ns;  /* cap of the doubling; 0: 1000 s */
    double qps;               /* overall token refill rate; 0: 10; < 0: no overall limit */
    unsigned burst;           /* bucket size; 0: 100 */
    /* The one clock for due times and backoff (its mono reading); NULL:
     * util_time_now. Tests
     * replace it to make delays deterministic. Blocking waits still sleep in
     * real time, so with a replaced clock a key becomes due when some call
     * (kube_workqueue_try_get, _get, _len) next looks at the clock. */
    util_now_fn now;
    void *now_ctx;
} kube_workqueue_opts;

/* What kube_workqueue_get and _try_get report. */
typedef enum kube_wq_status {
    KUBE_WQ_OK = 0,       /* *key is set: process it, then call done */
    KUBE_WQ_SHUTDOWN = 1, /* the queue is shut down: the worker should exit */
    KUBE_WQ_EMPTY = 2,    /* _try_get only: nothing is ready now */
} kube_wq_status;

typedef struct kube_workqueue kube_workqueue;

/* Creates a queue; free it with kube_workqueue_free. Fails on invalid options
 * (backoff_max_ns < backoff_base_ns) or when out of memory. */
int kube_workqueue_new(const kube_workqueue_opts *opts, kube_workqueue **out,
                       util_err *err) UTIL_MUST_CHECK;

/* Frees the queue and every key in it. Call it only after kube_workqueue_shutdown
 * and after every worker has returned. NULL is a no-op. */
void kube_workqueue_free(kube_workqueue *q);

/* Queues key unless it is already waiting; if a worker holds it, it is queued
 * again when that worker calls done. Ignored (returns 0) after shutdown.
 * Fails only on an empty key or when out of memory. */
int kube_workqueue_add(kube_workqueue *q, const char *key, util_err *err) UTIL_MUST_CHECK;

/* Adds key once delay_ns has passed on the queue's clock; a delay of 0 adds
 * at once. If key already waits for a due time, the earlier one is kept. */
int kube_workqueue_add_after(kube_workqueue *q, const char *key, uint64_t delay_ns,
                             util_err *err) UTIL_MUST_CHECK;

/* Adds key after max(per-key backoff, overall token-bucket delay). The
 * backoff is base * 2^n, capped, where n is how many times the key was added
 * this way since its last kube_workqueue_forget. */
int kube_workqueue_add_rate_limited(kube_workqueue *q, const char *key,
                                    util_err *err) UTIL_MUST_CHECK;

/* Resets key's backoff: call it when the key was reconciled successfully.
 * It does not remove a pending add. */
void kube_workqueue_forget(kube_workqueue *q, const char *key);

/* How many rate-limited adds key has had since it was last forgotten. */
unsigned kube_workqueue_num_requeues(kube_workqueue *q, const char *key);

/* Blocks until a key is ready (KUBE_WQ_OK, *key lent until done) or the queue
 * is shut down (KUBE_WQ_SHUTDOWN, *key set to NULL). */
kube_wq_status kube_workqueue_get(kube_workqueue *q, const char **key);

/* As kube_workqueue_get but never blocks: KUBE_WQ_EMPTY when nothing is
 * ready now. */
kube_wq_status kube_workqueue_try_get(kube_workqueue *q, const char **key);

/* Ends the processing of a key returned by get. After it the lent pointer
 * may be freed, so pass it here last. Fails if key is not being processed
 * (a bug in the caller). */
int kube_workqueue_done(kube_workqueue *q, const char *key, util_err *err) UTIL_MUST_CHECK;

/* Stops the queue: later adds are ignored, every blocked and future get
 * returns KUBE_WQ_SHUTDOWN. Workers still finish (and call done for) the key
 * they hold. Idempotent. */
void kube_workqueue_shutdown(kube_workqueue *q);

/* Number of keys ready to be handed out (not held, not still delayed). */
size_t kube_workqueue_len(kube_workqueue *q);

#endif
