/* What drain (drain_kafka.c) and restore (restore.c) share: one session
 * with the local broker under a deadline, progress lines, and the Kafka and
 * ledger writes both make: replica orders in batches, preferred elections
 * in batches, and the settle loop (drain_plan.h) that makes the last write
 * to land the ledger's. Every wait is bounded by the session's deadline. */
#ifndef BERTH_SIDECAR_DRAIN_IO_H
#define BERTH_SIDECAR_DRAIN_IO_H

#include "cmd.h"
#include "drain_kafka.h"
#include "drain_plan.h"
#include "kafka/api_versions.h"
#include "kafka/elect_leaders.h"
#include "kafka/metadata.h"
#include "kafka/reassign.h"
#include "kafka/topic_partitions.h"

/* One round trip's cap, within the deadline. */
#define SC_CALL_MS 15000
/* Partitions per AlterPartitionReassignments request. */
#define SC_ALTER_BATCH 500
/* Partitions per ElectLeaders request (ctx->elect_batch 0): the controller
 * answers one request with one commit, so a broker leading 1,000
 * partitions is drained in one round trip rather than five. */
#define SC_ELECT_BATCH 2000

typedef struct sc_session {
    const sc_kafka_ctx *ctx;
    long long deadline_ms;
    sc_kafka_progress_fn progress;
    void *arg;
    kafka_conn *conn;
    kafka_api_versions *av;
    char ledger[300]; /* the ledger ConfigMap's name */
} sc_session;

/* Connects to ctx's broker (TLS and SASL as ctx->dial says) and
 * negotiates versions, by deadline_ms. */
int sc_session_open(sc_session *s, const sc_kafka_ctx *ctx, long long deadline_ms,
                    sc_kafka_progress_fn progress, void *arg, util_err *err);
void sc_session_close(sc_session *s);

/* Milliseconds a call may take now (at most SC_CALL_MS); -1 with err once
 * the deadline has passed. */
int sc_session_budget(const sc_session *s, util_err *err);

/* Sends a progress line (printf format). -1 with err when the listener
 * asked to stop. */
int sc_say(sc_session *s, util_err *err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Sleeps ctx->poll_ms, or less if the deadline is nearer. */
void sc_session_pause(const sc_session *s);
/* Sleeps ms, or until the session's deadline if that comes first. */
void sc_session_sleep(const sc_session *s, long long ms);

/* Metadata of every topic. */
int sc_session_metadata(sc_session *s, kafka_metadata **out, util_err *err);

/* Every ongoing reassignment. */
int sc_session_ongoing(sc_session *s, kafka_list_partition_reassignments_response **out,
                       util_err *err);

/* Which of a plan's orders to write. */
typedef enum sc_orders_pick {
    SC_ORDERS_ALL,
    SC_ORDERS_ELECTED, /* only moves marked elect: the partitions leadership leaves */
    SC_ORDERS_REST,    /* only moves not marked elect */
} sc_orders_pick;

/* Writes the order of every move marked reorder that pick selects, in
 * batches. Partitions Kafka refused are reported through progress and
 * counted in *refused (added to, not reset). */
int sc_session_write_orders(sc_session *s, const sc_plan *p, sc_orders_pick pick, int32_t *refused,
                            util_err *err);

/* Preferred elections for the moves marked elect. Outcomes other than
 * success and ELECTION_NOT_NEEDED are counted in *failed, the first few
 * named in why (size bytes; may be NULL). */
int sc_session_elect(sc_session *s, const sc_plan *p, int32_t *failed, char *why, size_t size,
                     util_err *err);

/* The settle loop after this session wrote p: re-read ledger and metadata
 * and write again until nothing differs (bounded rounds). */
int sc_session_settle(sc_session *s, const sc_plan *p, util_err *err);

#endif
