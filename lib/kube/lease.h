/* Leader election on a coordination.k8s.io/v1 Lease, by client-go's rules,
 * so a berth operator and a client-go controller could share one Lease.
 *
 * The Lease's spec is the record: holderIdentity, leaseDurationSeconds,
 * acquireTime, renewTime, leaseTransitions. A candidate takes the Lease when
 * nobody holds it or the holder let it expire, and every write carries the
 * resourceVersion it read, so of two candidates racing for it exactly one
 * wins (the other gets 409 Conflict and tries again later). The leader
 * rewrites renewTime every retry period.
 *
 * Expiry is judged on the local monotonic clock, never by comparing
 * renewTime with our own wall clock: a candidate notes when it last saw the
 * record change and considers the holder gone once leaseDurationSeconds have
 * passed since then without a change. Clocks of different machines may
 * disagree; how long a second is, they agree on well enough.
 *
 * The leader stops leading (and says so through on_stopped_leading, after
 * which the caller must stop its work) when it has not managed to renew for
 * the renew deadline, or as soon as it sees someone else's name in the
 * record. Every request is bounded by half the slack between the lease
 * duration and the renew deadline, so a leader gives up well before any
 * candidate could take over. Unlike client-go, the elector stays a candidate
 * after losing the Lease, and may lead again later (on_started_leading is
 * then called again).
 *
 * Two ways to drive it: kube_lease_start runs the loop on a thread of its
 * own (the operator), or the caller steps it with
 * kube_lease_try_acquire_or_renew / kube_lease_acquire_wait (the sidecar's
 * drain throttle, which holds the Lease only for one drain). Use one or the
 * other on a lease, not both. kube_lease_release hands the Lease over at
 * once: holderIdentity empty, so the next candidate need not wait for it to
 * expire.
 *
 * Callbacks run on the thread that steps the elector and must return
 * quickly; on_started_leading should start the work elsewhere. */
#ifndef BERTH_KUBE_LEASE_H
#define BERTH_KUBE_LEASE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "kube/config.h"
#include "kube/lease_record.h"
#include "util/clock.h"
#include "util/err.h"

#define KUBE_LEASE_DEFAULT_DURATION_MS       15000L
#define KUBE_LEASE_DEFAULT_RENEW_DEADLINE_MS 10000L
#define KUBE_LEASE_DEFAULT_RETRY_PERIOD_MS   2000L

/* kube_lease_acquire_wait's answer when the deadline passed first. */
#define KUBE_LEASE_TIMEOUT (-3)

typedef struct kube_lease_options {
    const char *namespace; /* the Lease's namespace; required */
    const char *name;      /* the Lease's name; required */
    /* Who we are in holderIdentity; NULL: "<hostname>_<16 random hex>".
     * Two electors must never share one. */
    const char *identity;
    /* How long a holder's claim lasts after its last renewal; written as
     * whole seconds (rounded down, at least 1 s). 0: 15 s. */
    long lease_duration_ms;
    /* How long the leader keeps trying to renew before it gives up. Must be
     * below the lease duration. 0: 10 s. */
    long renew_deadline_ms;
    /* Time between attempts, to renew or to acquire. Must be below the renew
     * deadline. 0: 2 s. */
    long retry_period_ms;
    /* Each may be NULL. ctx is passed to all three. */
    void (*on_started_leading)(void *ctx);
    void (*on_stopped_leading)(void *ctx);
    /* The holder in the record changed; identity is "" once it was released
     * and before anyone took it. Borrowed for the call. */
    void (*on_new_leader)(const char *identity, void *ctx);
    void *ctx;
    util_now_fn now; /* NULL: util_time_now */
    void *now_ctx;
} kube_lease_options;

typedef struct kube_lease kube_lease;

/* A new elector for one Lease, with a client of its own made from cfg (so a
 * slow request elsewhere never delays a renewal). Nothing is sent yet.
 * Fails on missing or inconsistent options. */
int kube_lease_new(const kube_config *cfg, const kube_lease_options *opts, kube_lease **out,
                   util_err *err) UTIL_MUST_CHECK;

/* Stops the thread if one runs (see kube_lease_stop), then frees. NULL is a
 * no-op. */
void kube_lease_free(kube_lease *l);

/* Our identity; borrowed, valid until kube_lease_free. */
const char *kube_lease_identity(const kube_lease *l);

/* Starts the election loop on a new thread. Errors talking to the API are
 * logged and retried there, never returned. */
int kube_lease_start(kube_lease *l, util_err *err) UTIL_MUST_CHECK;

/* Ends the loop started by kube_lease_start and waits for the thread; if it
 * was leading, it releases the Lease and calls on_stopped_leading first.
 * Idempotent, and a no-op when no thread runs. */
void kube_lease_stop(kube_lease *l);

/* Whether we lead, as of the last step. Safe from any thread. */
bool kube_lease_is_leader(kube_lease *l);

/* The holder we last saw in the record, as a new string for free(); NULL if
 * the record was never read or when out of memory. Safe from any thread. */
char *kube_lease_leader_dup(kube_lease *l);

/* One step of the election: read or create the Lease, renew it if we hold
 * it, take it if it is free or expired. Returns 0 with *leading telling
 * whether we lead now (losing a race for the Lease is not an error), or a
 * negative value (KUBE_ERR, or KUBE_ERR_STATUS with the API's refusal in err,
 * reading like "PUT /apis/coordination.k8s.io/v1/namespaces/x/leases/y: 403
 * Forbidden: ..."). A leader that fails past the renew deadline, or finds
 * the Lease in someone else's name, stops leading in this call. */
int kube_lease_try_acquire_or_renew(kube_lease *l, bool *leading, util_err *err) UTIL_MUST_CHECK;

/* Steps until we lead (0) or until deadline, a monotonic time in ns on the
 * elector's clock, passes (KUBE_LEASE_TIMEOUT, err naming the holder). Errors
 * that retrying cannot fix (401, 403, 404 of the namespace, 422) return at
 * once with the API's message; others are retried until the deadline. */
int kube_lease_acquire_wait(kube_lease *l, int64_t deadline, util_err *err) UTIL_MUST_CHECK;

/* If we lead: writes an empty holderIdentity (and leaseDurationSeconds 1)
 * so a successor can take over at once, and calls on_stopped_leading. We
 * stop leading even if the write fails (the Lease then simply expires);
 * the failure is returned. A no-op when not leading. */
int kube_lease_release(kube_lease *l, util_err *err) UTIL_MUST_CHECK;

#endif
