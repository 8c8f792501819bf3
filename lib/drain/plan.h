/* What a drain or a restore of one broker should write, decided from a
 * Metadata answer, the ongoing reassignments and the drain ledger, without
 * any I/O: the interesting part of drain, so that unit tests can play any
 * interleaving of drains and restores on a model cluster. It lives in
 * lib/drain, beside the ledger it steps, so that what reads a cluster
 * without draining it (`kubectl berth drain-plan`) plans with the very code
 * the sidecar's drain runs (sidecar/engine/kafka/drain.c).
 *
 * Drain: every partition this broker replicates gets the ledger's wanted
 * order: the original with every demoted broker last. Same replica set, so
 * no data moves. Not only the partitions it leads: a concurrent drain of
 * another broker must know this one is going too, or it would hand this
 * broker leadership of a partition it demotes (and a broker left first in
 * a list would get leadership back from Kafka's automatic rebalance).
 * Partitions under reassignment are skipped; a partition whose only in-sync
 * replica is this broker is reported and left alone; one that would fall
 * below min.insync.replicas once the broker stops is reported and still
 * demoted (the election stays PREFERRED: nothing is ever forced).
 *
 * Restore: the broker leaves every demoted set; orders go back where Kafka
 * still holds an order berth wrote. Any entry whose order in Kafka is one
 * berth wrote but not the one the ledger now wants (a drain or restore
 * interrupted between its ledger write and its Kafka write) is written
 * too, so the next restore finishes what an interrupted one left.
 *
 * Settle: after writing, a drain or restore re-reads the ledger and writes
 * again wherever a concurrent writer changed the wanted order while its own
 * write was in flight, so the last write to land is always the ledger's. */
#ifndef BERTH_DRAIN_PLAN_H
#define BERTH_DRAIN_PLAN_H

#include <stdint.h>

#include "drain/ledger.h"
#include "drain/min_isr.h"
#include "kafka/metadata.h"
#include "kafka/reassign.h"
#include "util/err.h"

/* Why a partition is reported. */
typedef enum drain_note_kind {
    DRAIN_NOTE_REASSIGNING,   /* under reassignment: skipped */
    DRAIN_NOTE_ONLY_ISR,      /* this broker is its only in-sync replica: left alone */
    DRAIN_NOTE_BELOW_MIN_ISR, /* below min.insync.replicas once this broker stops */
    DRAIN_NOTE_NO_SUCCESSOR,  /* the wanted order still starts with this broker */
    DRAIN_NOTE_FOREIGN_ORDER, /* restore: order changed outside berth, left alone */
} drain_note_kind;

/* "reassigning", "only in-sync replica", ... never NULL. */
const char *drain_note_name(drain_note_kind k);

typedef struct drain_plan_note {
    const char *topic; /* borrowed from the metadata */
    int32_t partition;
    drain_note_kind kind;
    int32_t isr_left; /* in-sync replicas other than this broker */
    int32_t min_isr;  /* the topic's min.insync.replicas */
} drain_plan_note;

/* One partition to act on. */
typedef struct drain_plan_move {
    const char *topic; /* borrowed from the metadata (or the ledger for settle) */
    int32_t partition;
    int32_t n;
    int32_t order[DRAIN_LEDGER_MAX_REPLICAS]; /* the order wanted */
    int32_t original[DRAIN_LEDGER_MAX_REPLICAS];
    int32_t before[DRAIN_LEDGER_MAX_REPLICAS]; /* Kafka's order when planned */
    int reorder;                               /* Kafka holds another order: write this one */
    int elect;                                 /* ask for a preferred election afterwards */
} drain_plan_move;

typedef struct drain_plan {
    int32_t n_moves;
    drain_plan_move *moves; /* owned */
    int32_t n_notes;
    drain_plan_note *notes; /* owned */
    int32_t n_led;          /* partitions this broker leads per the metadata */
} drain_plan;

void drain_plan_free(drain_plan *p);

/* Drain plan of broker on md; ongoing may be NULL (none), min_isr as
 * min_isr.h makes it. Changes ledger (the drain steps), which the caller
 * then stores, or drops to plan without draining. n_led counts every
 * partition broker leads in md; moves and notes come in md's order of
 * topics and partitions. *out for drain_plan_free; its strings are
 * borrowed from md. */
int drain_plan_drain(const kafka_metadata *md,
                     const kafka_list_partition_reassignments_response *ongoing,
                     drain_ledger *ledger, const drain_topic_min_isr *min_isr, int32_t n_min_isr,
                     int32_t broker, drain_plan **out, util_err *err);

/* Restore plan of broker: every ledger entry demoting it, and every other
 * whose Kafka order berth wrote differs from the ledger's (see above), where
 * md still lists the partition and no reassignment moves it; also forgets
 * entries of
 * partitions md no longer lists (md must list every topic), and entries no
 * longer demoting anyone whose order is back to the original. Moves whose
 * first replica does not lead are marked elect, and so is every partition of
 * which broker is the first replica but not the leader. *out borrows from md. */
int drain_plan_restore(const kafka_metadata *md,
                       const kafka_list_partition_reassignments_response *ongoing,
                       drain_ledger *ledger, int32_t broker, drain_plan **out, util_err *err);

/* Settle: given the moves a writer made (their order is what it wrote) and
 * the ledger and metadata read after its write, the moves to write again:
 * where the ledger now wants another order (or, entry gone, the original)
 * and Kafka holds an order berth wrote. Where the metadata still shows the
 * order from before this writer's own write, that write is not visible yet
 * (metadata trails the controller): nothing is decided there, and *pending
 * counts it, so the caller reads again rather than rewrite on stale data.
 * *out borrows from done. */
int drain_plan_settle(const drain_plan *done, const drain_ledger *ledger, const kafka_metadata *md,
                      drain_plan **out, int32_t *pending, util_err *err);

#endif
