/* What drain (drain.c) and restore (restore.c) share: one session
 * with the local broker under a deadline, progress lines, and the Kafka and
 * ledger writes both make: replica orders in batches, preferred elections
 * in batches, and the settle loop (drain/plan.h) that makes the last write
 * to land the ledger's. Every wait is bounded by the session's deadline. */
#ifndef BERTH_SIDECAR_ENGINE_KAFKA_IO_H
#define BERTH_SIDECAR_ENGINE_KAFKA_IO_H

#include <stdint.h>

#include "cmd.h"
#include "drain/plan.h"
#include "engine/drain.h"
#include "kafka/api_versions.h"
#include "kafka/dial.h"
#include "kafka/elect_leaders.h"
#include "kafka/metadata.h"
#include "kafka/reassign.h"
#include "kafka/topic_partitions.h"
#include "kube/client.h"
#include "kube/config.h"
#include "util/err.h"

/* What drain and restore work on: this broker, the ledger, the pace. */
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
     * when set (engine/drain.h); zero: the wait gets half the time left. */
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

/* One planning round inside a ledger compare-and-set attempt (drain and
 * restore): the ongoing reassignments and the metadata, read afresh for
 * every attempt, and the plan made from them, which borrows from md. All
 * owned; {0} is empty. */
typedef struct sc_round {
    kafka_list_partition_reassignments_response *ongoing;
    kafka_metadata *md;
    drain_plan *plan;
} sc_round;

/* Frees what r holds and empties it. */
void sc_round_release(sc_round *r);

/* Releases r, then reads the ongoing reassignments and the metadata into
 * it (the plan is the caller's to make). 0, or -1 with err. */
int sc_round_read(sc_session *s, sc_round *r, util_err *err);

/* Which of a plan's orders to write. */
typedef enum sc_orders_pick {
    SC_ORDERS_ALL,
    SC_ORDERS_ELECTED, /* only moves marked elect: the partitions leadership leaves */
    SC_ORDERS_REST,    /* only moves not marked elect */
} sc_orders_pick;

/* Writes the order of every move marked reorder that pick selects, in
 * batches. Partitions Kafka refused are reported through progress and
 * counted in *refused (added to, not reset). */
int sc_session_write_orders(sc_session *s, const drain_plan *p, sc_orders_pick pick,
                            int32_t *refused, util_err *err);

/* Preferred elections for the moves marked elect. Outcomes other than
 * success and ELECTION_NOT_NEEDED are counted in *failed, the first few
 * named in why (size bytes; may be NULL). */
int sc_session_elect(sc_session *s, const drain_plan *p, int32_t *failed, char *why, size_t size,
                     util_err *err);

/* The settle loop after this session wrote p: re-read ledger and metadata
 * and write again until nothing differs (bounded rounds). */
int sc_session_settle(sc_session *s, const drain_plan *p, util_err *err);

#endif
