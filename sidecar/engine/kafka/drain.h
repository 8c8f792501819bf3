/* Drain of one Kafka broker before the broker is told to stop; its
 * restore once it is back is restore.h. engine.h wraps both into the
 * hooks of `berth-sidecar run` (engine/drain.h, serve/run.h).
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
#ifndef BERTH_SIDECAR_ENGINE_KAFKA_DRAIN_H
#define BERTH_SIDECAR_ENGINE_KAFKA_DRAIN_H

#include "engine/kafka/io.h"
#include "util/err.h"

/* Drains ctx's broker by deadline_ms (util_mono_ms() + budget), and once
 * the wait for the Lease has ended, within ctx->budget's drain timeout. 0
 * when it leads no partition; SC_KAFKA_INCOMPLETE when the deadline came (also
 * in the middle of a call) or some partitions cannot move (only in-sync
 * replica, under reassignment, no other replica), err naming them; -1 when
 * the broker, the controller or the ledger could not be used before the
 * deadline (err says which). Every wait ends by deadline_ms. progress may
 * be NULL. idle_since_ms (may be NULL; set to 0 by the caller) receives
 * when the broker's metadata first showed it leading nothing (util_mono_ms
 * time): from then on its clients are being sent elsewhere. */
int sc_kafka_drain(const sc_kafka_ctx *ctx, long long deadline_ms, sc_kafka_progress_fn progress,
                   void *arg, long long *idle_since_ms, util_err *err);

#endif
