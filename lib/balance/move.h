/* The mover: carries the planner's plans (plan.h) out on a running cluster
 * over the Kafka protocol, one step at a time, so that the operator can
 * take a step on each reconcile and die between any two of them.
 *
 * It keeps no state of its own. Each step reads the cluster as Kafka
 * reports it (Metadata, ListPartitionReassignments), counts every partition
 * Kafka is moving as if its move had finished, plans again from there, and
 * starts the next moves (AlterPartitionReassignments) while fewer than
 * max_moves are in flight, with replication throttles set for them
 * (throttle.h). A step that finds nothing left to move and nothing in
 * flight clears the throttles, elects the preferred leaders where the
 * leader is another replica, and says done. Whoever is restarted in the
 * middle (the operator, a broker) just takes the next step.
 *
 * A decommission is a step with the leaving brokers named: it starts only
 * the moves of partitions that have a replica on them (each to where the
 * whole plan puts it), and is done when they hold nothing and none of
 * those moves is in flight; evening out the other partitions is left to a
 * rebalance, so a scale-down moves no more data than it must. A rebalance
 * is a step with none named: every move of the plan, done when nothing at
 * all is in flight. */
#ifndef BERTH_BALANCE_MOVE_H
#define BERTH_BALANCE_MOVE_H

#include <stdint.h>

#include "kafka/api_versions.h"
#include "kafka/conn.h"
#include "util/err.h"

/* The most brokers a step may name as leaving. */
#define BALANCE_MAX_LEAVING 64

typedef struct balance_move_opts {
    const int32_t *leaving; /* broker ids to empty, borrowed; NULL with n_leaving 0 */
    int32_t n_leaving;
    /* The topics the step plans for, borrowed; NULL: every topic. The
     * others are neither moved nor counted, nor are their throttles
     * cleared. */
    const char *const *topics;
    int32_t n_topics;
    int32_t max_moves;      /* partitions in flight at most (> 0) */
    int64_t throttle_bytes; /* replication bytes/s per broker while moving; 0: no throttle */
    int hold;               /* nonzero: start no new move (e.g. a broker is draining) */
    /* > 0: brokers 0..expect_brokers-1 must all be in Metadata, and no
     * other: until then a step plans nothing (MOVING, nothing started), so
     * a new broker not registered yet is not planned without, and a
     * removed one still shutting down is given nothing. */
    int32_t expect_brokers;
    int timeout_ms; /* each call, and the broker's own wait */
} balance_move_opts;

typedef enum balance_state {
    BALANCE_DONE,    /* nothing left to move, nothing in flight */
    BALANCE_MOVING,  /* moves in flight or still to start */
    BALANCE_REFUSED, /* the plan cannot be made (message says why) */
} balance_state;

typedef struct balance_progress {
    balance_state state;
    int32_t partitions; /* partitions in the cluster */
    int32_t left;       /* partitions still to move, those in flight included (a
                           decommission: those with a replica on a leaving broker) */
    int32_t moving;     /* partitions Kafka is moving now (anyone's) */
    int32_t started;    /* moves this step started */
    int32_t refused;    /* moves of this step Kafka refused (message names one) */
    int32_t on_leaving; /* replicas still on the leaving brokers */
    int32_t elected;    /* preferred leaders elected by a step that found all done */
    char message[512];  /* why refused, or what Kafka refused */
} balance_progress;

/* One step, as described above, against the cluster c's broker belongs to
 * (av: its ApiVersions). Fills *p and returns 0; -1 with err when Kafka
 * could not be asked or answered with an error (nothing is known then; a
 * later step retries), or when the broker cannot guard a partition's
 * replication factor in AlterPartitionReassignments (v1, Kafka 4.1+): a
 * step plans from a broker's copy of the metadata, which may trail the
 * controller's, and the guard turns a move planned on a stale view into
 * a refused one (counted in refused) instead of a changed replication
 * factor. A plan refused is made once more from a new read a second
 * later before the step says refused. */
int balance_step(kafka_conn *c, const kafka_api_versions *av, const balance_move_opts *o,
                 balance_progress *p, util_err *err) UTIL_MUST_CHECK;

/* Stops the moves in flight, of o->topics (NULL: any topic), that take
 * replicas off any of the brokers o->leaving (a decommission called off):
 * Kafka puts each such partition back on the replicas it had. Other moves
 * (a rebalance's, or anyone else's) go on. Then clears the throttles of
 * o->topics when nothing is in flight. *cancelled is how many moves were
 * stopped. 0, or -1 with err. */
int balance_cancel(kafka_conn *c, const kafka_api_versions *av, const balance_move_opts *o,
                   int32_t *cancelled, util_err *err) UTIL_MUST_CHECK;

#endif
