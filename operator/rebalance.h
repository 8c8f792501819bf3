/* When partitions move: the decisions of scaling that moves data, pure
 * (reconcile_balance.c does the reading and the Kafka calls through the
 * mover, lib/balance/move.h).
 *
 * - A scale-down (spec.replicas below the StatefulSet's) is a
 *   decommission: every replica leaves the brokers with the highest
 *   ordinals before the StatefulSet shrinks, and until then the cluster
 *   keeps its size (everything else of the spec applies).
 * - A scale-up is followed by a rebalance once every broker is Ready
 *   (spec.rebalance.mode OnScaleUp), and the annotation berth.io/rebalance
 *   asks for a one-off rebalance whenever its value changes (OnScaleUp or
 *   Manual).
 * - Scaling back up during a decommission calls it off: the moves in flight
 *   stop and their partitions go back where they were; under OnScaleUp a
 *   rebalance then spreads what had already moved.
 * - Mode Off moves nothing: a scale-down waits until the leaving brokers
 *   are empty (scale_down.h), as it did before berth moved data.
 *
 * What is under way is remembered in status.rebalance (phase, brokers the
 * cluster was last balanced over, the annotation value last handled) and
 * in Kafka itself (the moves in flight). Either may be read stale: a
 * stale phase only makes the mover plan again, find nothing to do and say
 * done. */
#ifndef BERTH_OP_REBALANCE_H
#define BERTH_OP_REBALANCE_H

#include <stdbool.h>

#include <cjson/cJSON.h>

#include "cluster.h"

/* The annotation that asks for a one-off rebalance. */
#define OP_REBALANCE_ANNOTATION "berth.io/rebalance"

/* status.rebalance.phase values. */
#define OP_PHASE_DECOMMISSIONING "Decommissioning"
#define OP_PHASE_REBALANCING     "Rebalancing"
#define OP_PHASE_BALANCED        "Balanced"
#define OP_PHASE_REFUSED         "Refused"

typedef enum op_balance_job {
    OP_BALANCE_NONE,
    OP_BALANCE_DECOMMISSION, /* empty brokers want..have-1 */
    OP_BALANCE_CANCEL,       /* stop the decommission's moves */
    OP_BALANCE_FINISHED,     /* a decommission done, its record not read yet */
    OP_BALANCE_REBALANCE,    /* spread over all brokers */
} op_balance_job;

typedef struct op_balance_view {
    bool kafka;             /* flavor kafka (Redpanda: nothing moves) */
    op_rebalance_mode mode; /* spec.rebalance.mode */
    int have;               /* the live StatefulSet's replicas; -1: none yet */
    int want;               /* spec.replicas */
    const cJSON *old;       /* status.rebalance as read, or NULL */
    const char *request;    /* the annotation's value, or NULL */
} op_balance_view;

/* What to do on this reconcile. */
op_balance_job op_balance_decide(const op_balance_view *v);

/* Whether the old status's phase is phase; its brokers, targetBrokers and
 * request (-1/NULL when absent). */
bool op_balance_old_phase_is(const cJSON *old, const char *phase);
int op_balance_old_brokers(const cJSON *old);
int op_balance_old_target(const cJSON *old);
const char *op_balance_old_request(const cJSON *old);

/* "3", "3..4": the ordinals from..to-1, into buf. */
const char *op_balance_range(int from, int to, char *buf, size_t size);

#endif
