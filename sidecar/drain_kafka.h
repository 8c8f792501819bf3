/* Drain and restore of one Kafka broker: drain before the broker is told
 * to stop, restore once it is back. engine_kafka.h wraps these into the
 * hooks of `berth-sidecar run` (drain.h, probe.h).
 *
 * Drain: demote this broker in the drain ledger on every partition it
 * replicates, write the ledger's orders to Kafka (same replica sets),
 * elect preferred leaders in batches, and poll until the broker leads
 * nothing or the deadline comes. Restore: take the broker out of the
 * ledger's demoted sets, write the orders back where Kafka still holds one
 * berth wrote, and elect preferred leaders until the broker leads every
 * partition it is first in. Both are safe to repeat or to interrupt at any
 * point, and safe to run concurrently for different brokers (ledger.h).
 *
 * Both talk to this broker only (broker_addr, on localhost in a pod): it
 * forwards reassignments and elections to the controller. */
#ifndef BERTH_SIDECAR_DRAIN_KAFKA_H
#define BERTH_SIDECAR_DRAIN_KAFKA_H

#include <stdint.h>

#include "drain.h"
#include "kafka/dial.h"
#include "kube/client.h"
#include "kube/config.h"
#include "util/err.h"

typedef struct sc_kafka_ctx {
    const char *broker_addr;     /* "host:port" of this broker */
    int32_t broker_id;           /* its node.id */
    const kafka_dial_opts *dial; /* TLS, SASL; NULL: plaintext; timeouts are replaced */
    kube_client *kube;           /* borrowed; reaches the ledger */
    const char *ns;              /* namespace of the ledger ConfigMap */
    const char *cluster;         /* the ledger is ConfigMap "<cluster>-drain" */
    /* Throttle: when set, a drain that has leadership to move first takes
     * the Lease "<cluster>-drain" in ns (made from this config, holder
     * lease_identity or a random one), waiting for it as budget says
     * (sc_drain_wait_until), and releases it at the end; a drain that
     * moves nothing takes no Lease. NULL: no throttle. */
    const kube_config *lease_config;
    const char *lease_identity;
    /* The wait for the Lease and the drain after it, each bounded apart
     * when set (drain.h); zero: the wait gets half the time left. */
    sc_drain_budget budget;
    int32_t elect_batch; /* partitions per ElectLeaders request; 0: SC_ELECT_BATCH */
    int poll_ms;         /* pause between metadata polls; 0: 300 */
    /* Restore hands leadership back this many partitions at a time (more
     * when that would take over 10 steps), this far apart, so a
     * just-restarted broker takes over its traffic in steps; 0: all at
     * once. */
    int32_t handback_batch;
    int handback_pause_ms;
} sc_kafka_ctx;

/* Receives one human-readable progress line (no newline). Return 0 to go
 * on; anything else stops the drain at the next step (the client left). */
typedef int (*sc_kafka_progress_fn)(void *arg, const char *line);

/* Return values besides 0 (done) and -1 (failed, err says why). */
#define SC_KAFKA_INCOMPLETE 1 /* deadline reached or partitions left: err says which */

/* Drains ctx's broker by deadline_ms (sc_now_ms() + budget), and once
 * the wait for the Lease has ended, within ctx->budget's drain timeout. 0
 * when it leads no partition; SC_KAFKA_INCOMPLETE when the deadline came (also
 * in the middle of a call) or some partitions cannot move (only in-sync
 * replica, under reassignment, no other replica), err naming them; -1 when
 * the broker, the controller or the ledger could not be used before the
 * deadline (err says which). Every wait ends by deadline_ms. progress may
 * be NULL. idle_since_ms (may be NULL; set to 0 by the caller) receives
 * when the broker's metadata first showed it leading nothing (sc_now_ms
 * time): from then on its clients are being sent elsewhere. */
int sc_kafka_drain(const sc_kafka_ctx *ctx, long long deadline_ms, sc_kafka_progress_fn progress,
                   void *arg, long long *idle_since_ms, util_err *err);

/* Restores ctx's broker after a restart, by deadline_ms. 0 when the ledger
 * no longer demotes it and it leads every partition it is the preferred
 * replica of; SC_KAFKA_INCOMPLETE when the deadline came first (err says
 * what is left); -1 on failure. */
int sc_kafka_restore(const sc_kafka_ctx *ctx, long long deadline_ms, sc_kafka_progress_fn progress,
                     void *arg, util_err *err);

#endif
