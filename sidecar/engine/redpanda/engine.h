/* The Redpanda drain engine for `berth-sidecar run`. Redpanda moves
 * leadership itself when a broker is put in maintenance mode, so drain is:
 * maintenance mode on (waiting while another broker holds the cluster's
 * single maintenance slot, up to the call's lock wait), then poll the
 * broker's maintenance_status until it says finished or the drain's time
 * (engine/drain.h, sc_drain_budget) runs out. Restore is the reverse: once the
 * broker is back and the cluster is healthy, maintenance mode off.
 *
 * Restore runs inside readiness (sc_rp_ready): the restarted broker's
 * sidecar turns maintenance off before it first reports ready, so a
 * rolling update never drains the next broker while this one still may
 * not lead. Readiness is latched: after the first "ready" only "alive" is
 * checked. Once a drain has been asked for (or run answered it itself, the
 * cluster being deleted: sc_rp_drain_skip), this sidecar does not restore
 * and stays unready while the drained broker process runs (it is about to
 * stop); the next pod's sidecar restores.
 *
 * The latch belongs to one broker process, as for Kafka (serve/readiness.h):
 * when the broker container alone restarts, the admin API (served by the
 * Redpanda process) refuses the connection, or the cluster does not see
 * the broker alive, at some check; the latch then drops and restore
 * (maintenance mode off, if a drain left it on) runs again before ready. A
 * restart quicker than one check interval that shows neither goes unseen:
 * the admin API offers nothing that changes with each process, and keeps
 * no connection open to watch. */
#ifndef BERTH_SIDECAR_ENGINE_REDPANDA_ENGINE_H
#define BERTH_SIDECAR_ENGINE_REDPANDA_ENGINE_H

#include <stddef.h>

#include <cjson/cJSON.h>

#include "engine/drain.h"
#include "redpanda/admin.h"
#include "serve/run.h"
#include "util/err.h"

#define SC_RP_DEFAULT_POLL_MS 1000

typedef struct sc_rp_engine_config {
    rp_admin_config admin; /* strings copied */
    int broker_id;
    long poll_interval_ms; /* status polls and slot retries; 0: SC_RP_DEFAULT_POLL_MS */
} sc_rp_engine_config;

typedef struct sc_rp_engine sc_rp_engine;

int sc_rp_engine_new(const sc_rp_engine_config *cfg, sc_rp_engine **out,
                     util_err *err) UTIL_MUST_CHECK;

/* NULL is a no-op. Not while a drain or a readiness check runs. */
void sc_rp_engine_free(sc_rp_engine *e);

/* sc_drain_fn; user is the sc_rp_engine. Returns 0 when the broker's drain
 * finished without errors; -1 with err for a drain that finished with
 * failed transfers, an unknown broker, a bad answer, cancellation or the
 * deadline. Maintenance mode stays on in every case: the broker is about
 * to stop, and restore turns it off. */
int sc_rp_drain(sc_drain_call *call, void *user, util_err *err);

/* sc_drain_skip_fn; user is the sc_rp_engine: run answered a drain itself
 * (the cluster is being deleted), and the broker counts as drained. */
void sc_rp_drain_skip(void *user);

/* sc_ready_fn; user is the sc_rp_engine. */
int sc_rp_ready(void *user, char *why, size_t why_size);

/* One restore attempt: maintenance mode off if it is on and the cluster is
 * healthy. Returns 0 when maintenance is off (or was), -1 with err saying
 * why not yet. sc_rp_ready calls it; exposed for tests and tools. */
int sc_rp_restore(sc_rp_engine *e, util_err *err);

/* sc_drain_status_fn; user is the sc_rp_engine. Adds "redpanda":
 * {"adminUrl", "drainStarted" (of the running process), "maintenance":
 * {the last status seen}, "restored", "readyLatched", "restarts",
 * "lastRestart", "lastError"} from what the engine last saw; no I/O. */
int sc_rp_drain_status(cJSON *status, void *user, util_err *err);

/* sc_restarts_fn; user is the sc_rp_engine: broker processes seen to end. */
long sc_rp_engine_restarts(void *user);

/* For `run --flavor redpanda`: reads the admin password from
 * password_file (if not NULL; one line), makes the engine for
 * run_cfg->broker_id and points run_cfg's readiness, drain and status
 * hooks at it. *out outlives the sc_run; free it after. */
int sc_rp_engine_for_run(sc_run_config *run_cfg, sc_rp_engine_config *cfg,
                         const char *password_file, sc_rp_engine **out,
                         util_err *err) UTIL_MUST_CHECK;

#endif
