/* The partition planner: given the brokers (id, rack, leaving) and every
 * partition's replica list, the new replica lists that move every replica
 * off the leaving brokers (decommission) and spread replicas and preferred
 * leaders evenly over the remaining ones by count (rebalance). A
 * decommission is the rebalance of a state where some brokers are leaving.
 *
 * Pure: no I/O, no globals, no hash order; the same input gives the same
 * plan. The operator feeds it Kafka's metadata and turns the plan into
 * AlterPartitionReassignments requests.
 *
 * What a plan guarantees (tests/unit/test_balance_plan.c checks each over
 * thousands of random clusters):
 * - every partition keeps its replication factor, its replicas are distinct
 *   remaining brokers;
 * - no partition's rack spread (distinct racks among its replicas) drops,
 *   unless fewer racks remain than it spanned (then it spans all of them);
 * - replicas: no remaining broker holds 2 or more replicas more than another
 *   broker of its rack (with no racks set: than any remaining broker), so
 *   counts are within +-1 of the mean when racks are unset or one; across
 *   racks, best effort without lowering any rack spread;
 * - preferred leaders (first replicas): within +-1 of the mean over the
 *   remaining brokers when racks are unset; with racks, moved only where no
 *   partition's rack spread drops (best effort);
 * - a replica moves only off a leaving broker, or from a broker holding at
 *   least 2 more than the receiving one, or in a trade of one leadership
 *   and one followership between two brokers whose leader counts differ by
 *   2 or more; leaders otherwise change by reordering a partition's replicas
 *   (the test bounds the replicas moved by the imbalance of the input);
 * - planning again on the planned state gives no moves.
 * A partition on more brokers than remain is refused, naming it, before any
 * plan is made. Replicas on ids not among the brokers count as leaving. */
#ifndef BERTH_BALANCE_PLAN_H
#define BERTH_BALANCE_PLAN_H

#include <stdint.h>

#include "util/err.h"

/* Largest replication factor the planner accepts. */
#define BALANCE_MAX_REPLICAS 16

typedef struct balance_broker {
    int32_t id;
    const char *rack; /* borrowed from the caller; NULL: none */
    int leaving;      /* nonzero: every replica moves off it */
} balance_broker;

typedef struct balance_partition {
    const char *topic; /* borrowed from the caller */
    int32_t partition;
    int32_t n;                              /* replication factor */
    int32_t replicas[BALANCE_MAX_REPLICAS]; /* preferred order */
} balance_partition;

/* One partition whose replica list changes. */
typedef struct balance_move {
    char *topic; /* owned by the plan */
    int32_t partition;
    int32_t n;
    int32_t from[BALANCE_MAX_REPLICAS]; /* the input list */
    int32_t to[BALANCE_MAX_REPLICAS];   /* the new list, preferred order */
} balance_move;

/* Moves sorted by (topic, partition). */
typedef struct balance_plan {
    int32_t n;
    balance_move *moves; /* owned */
} balance_plan;

/* The plan for brokers (n_brokers, ids distinct) and parts (n_parts, each
 * (topic, partition) once, 1..BALANCE_MAX_REPLICAS distinct ids). On success
 * *out is a new plan for balance_plan_free (no moves: n == 0). On failure
 * *out is NULL, err names the partition or broker and the numbers, and no
 * plan is made. */
int balance_plan_new(const balance_broker *brokers, int32_t n_brokers,
                     const balance_partition *parts, int32_t n_parts, balance_plan **out,
                     util_err *err) UTIL_MUST_CHECK;

void balance_plan_free(balance_plan *p);

#endif
