/* The Kafka drain engine for `berth-sidecar run`: the hooks of serve/run.h
 * (drain, readiness, status) over drain.h, restore.h and serve/readiness.h.
 *
 * Drain (sc_drain_fn): sc_kafka_drain to the call's deadline and budget;
 * a drain that ends with partitions still led (only in-sync replica,
 * deadline) fails with the reason, which the preStop client prints.
 *
 * Readiness (sc_ready_fn) is latched (serve/readiness.h) and runs restore inside
 * it: once the restarted broker is registered, unfenced, back in every ISR
 * and its voter caught up, each check runs a bounded restore step until
 * restore is done or restore_timeout_ms have passed since it began; only
 * then can readiness turn true, so a rolling update never drains the next
 * broker while this one is still taking its leaderships back. The first
 * restore step waits until the other brokers dial this pod's address, not
 * the one its name had before the pod was restarted (peer_dns.h; the name
 * is watched from the first check, so that wait overlaps the broker's
 * start and catch-up). Once a drain
 * has been asked for (or run answered it itself, the cluster being
 * deleted: sc_kafka_engine_skip), this sidecar does not restore and stays
 * unready while the drained broker process runs (it is about to stop); the
 * next pod's sidecar restores.
 *
 * The latch and restore belong to one broker process (serve/readiness.h): when
 * the broker container alone restarts, with or without a drain before, the
 * sidecar sees the process end (between checks too: run waits in
 * sc_kafka_engine_wait, on the held connection), drops the latch and runs
 * the whole gate again, restore included. Without a drain the ledger
 * demotes nothing, and restore still elects this broker back wherever it
 * is the first replica and another broker leads (Kafka moved those
 * leaderships when the process died), in the same paced steps. */
#ifndef BERTH_SIDECAR_ENGINE_KAFKA_ENGINE_H
#define BERTH_SIDECAR_ENGINE_KAFKA_ENGINE_H

#include <stdbool.h>
#include <stddef.h>

#include <cjson/cJSON.h>

#include "engine/drain.h"
#include "init/render_kafka.h"
#include "kafka/dial.h"
#include "kube/config.h"
#include "serve/run.h"
#include "util/err.h"

#define SC_KAFKA_RESTORE_TIMEOUT_MS 300000L
#define SC_KAFKA_RESTORE_STEP_MS    30000L
#define SC_KAFKA_PROBE_TIMEOUT_MS   3000
/* Restore's hand-back steps (sc_kafka_ctx.handback_*): run's defaults. */
#define SC_KAFKA_HANDBACK_BATCH    50
#define SC_KAFKA_HANDBACK_PAUSE_MS 2000
/* How long clients may keep a broker's name resolved, unless told
 * (run --client-dns-cache, the CR's spec.drain.clientDnsCacheSeconds): a
 * JVM's networkaddress.cache.ttl when nothing sets it. */
#define SC_KAFKA_CLIENT_DNS_CACHE_S 30
/* A caching DNS server's record TTL: CoreDNS's kubernetes plugin's 5 s. */
#define SC_KAFKA_DNS_RECORD_TTL_S 5

/* How long this pod's name must have resolved to its IP before the
 * hand-back (peer_dns.h): the longer of the clients' DNS cache
 * (client_dns_s) and the brokers' own (SC_KAFKA_JVM_DNS_TTL_S, init/render_kafka.h),
 * plus a record's TTL. Both the peers, which fetch from the partitions
 * handed back, and the clients, which produce to them, resolved the name
 * while the old pod stopped: handed back earlier, they keep dialing its
 * old address (an in-cluster producer with the JVM's 30 s cache stalled
 * 14 s after a hand-back in bench/pod_roll.sh). */
static inline long sc_kafka_peer_dns_settle_ms(long client_dns_s)
{
    long cache_s = client_dns_s > SC_KAFKA_JVM_DNS_TTL_S ? client_dns_s : SC_KAFKA_JVM_DNS_TTL_S;

    return (cache_s + SC_KAFKA_DNS_RECORD_TTL_S) * 1000L;
}

/* After a drain the broker keeps serving this long before the preStop
 * returns and SIGTERM comes: clients still sending to it get
 * NOT_LEADER_OR_FOLLOWER, a clean retriable answer, and move to the new
 * leaders. Stopped at once, it cuts produce requests in flight; an
 * idempotent producer whose batch failed that way can loop on
 * OUT_OF_ORDER_SEQUENCE_NUMBER at the new leader until its delivery
 * timeout (seen in the e2e roll: 76 sends lost at a 60 s timeout). */
#define SC_KAFKA_CLIENT_SETTLE_MS 2000L

/* After its restore (the hand-back) a broker turns Ready only this much
 * later: its clients move to the leaderships it took back before a roll
 * stops the next broker, whose drain then moves more (the worst seconds of
 * a roll in bench/pod_roll.sh came where one broker's hand-back met the
 * next broker's drain, 1.8 s apart). The wait follows every completed
 * restore, also one that had nothing to hand back (a new broker's). */
#define SC_KAFKA_HANDBACK_SETTLE_MS 3000L

typedef struct sc_kafka_engine_config {
    const char *broker_addr; /* this broker, "localhost:9092"; copied */
    int broker_id;
    const kafka_dial_opts *dial; /* TLS, SASL; NULL: plaintext; borrowed for the engine's life */
    const kube_config *kube;     /* reaches the ledger (and Lease); copied */
    const char *ns;              /* the ledger's namespace; NULL: kube's; copied */
    const char *cluster;         /* ConfigMap and Lease "<cluster>-drain"; copied */
    bool throttle;               /* take the Lease "<cluster>-drain" for a drain */
    const char *identity;        /* holder name in the Lease (the pod); copied */
    long restore_timeout_ms;     /* 0: SC_KAFKA_RESTORE_TIMEOUT_MS */
    int probe_timeout_ms;        /* readiness calls; 0: SC_KAFKA_PROBE_TIMEOUT_MS */
    int32_t handback_batch;      /* restore: partitions per step; 0: all at once */
    int handback_pause_ms;       /* restore: pause between those steps */
    /* Restore hands leadership back only once peer_name (what other
     * brokers dial) has resolved to pod_ip for peer_dns_settle_ms
     * (peer_dns.h). Either NULL: no wait. Copied. */
    const char *peer_name;
    const char *pod_ip;
    long peer_dns_settle_ms;
} sc_kafka_engine_config;

typedef struct sc_kafka_engine sc_kafka_engine;

int sc_kafka_engine_new(const sc_kafka_engine_config *cfg, sc_kafka_engine **out,
                        util_err *err) UTIL_MUST_CHECK;

/* NULL is a no-op. Not while a drain or a readiness check runs. */
void sc_kafka_engine_free(sc_kafka_engine *e);

/* sc_drain_fn; user is the sc_kafka_engine. */
int sc_kafka_engine_drain(sc_drain_call *call, void *user, util_err *err);

/* sc_drain_skip_fn; user is the sc_kafka_engine: run answered a drain
 * itself (the cluster is being deleted), and the broker counts as drained. */
void sc_kafka_engine_skip(void *user);

/* sc_ready_fn; user is the sc_kafka_engine. May block for a restore step.
 * From one thread at a time (run's prober): it owns the held connection. */
int sc_kafka_engine_ready(void *user, char *why, size_t why_size);

/* sc_ready_wait_fn; user is the sc_kafka_engine. Watches the held
 * connection between checks (serve/readiness.h): its end by the broker drops
 * the latch at once. From the thread that runs sc_kafka_engine_ready. */
int sc_kafka_engine_wait(void *user, int wake_fd, long timeout_ms, char *why, size_t why_size);

/* sc_drain_status_fn; user is the sc_kafka_engine. Adds "kafka":
 * {"broker", "ledger", "drainStarted" (of the running process), "restored",
 * "readyLatched", "restarts", "lastRestart", "lastError", "replicated",
 * "outOfIsr", "leaderless", "leads", "prefers", "countedMsAgo"} from what
 * the engine last saw: the partition counts are read at every readiness
 * check (serve/readiness.h), countedMsAgo ago (-1: never); no I/O. */
int sc_kafka_engine_status(cJSON *status, void *user, util_err *err);

/* sc_restarts_fn; user is the sc_kafka_engine: broker processes seen to end. */
long sc_kafka_engine_restarts(void *user);

/* For `run --flavor kafka`: makes the engine for run_cfg->broker_id and
 * points run_cfg's readiness, drain and status hooks at it. *out outlives
 * the sc_run; free it after. */
int sc_kafka_engine_for_run(sc_run_config *run_cfg, sc_kafka_engine_config *cfg,
                            sc_kafka_engine **out, util_err *err) UTIL_MUST_CHECK;

#endif
