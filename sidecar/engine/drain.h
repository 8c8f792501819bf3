/* Where the drain engine plugs into `berth-sidecar run`.
 *
 * run owns the Unix socket and the wire contract (lib/http/drain_api.h):
 * it parses POST /v1/drain, allows one drain at a time, turns the client's
 * timeout into a deadline, and writes the final result line. The engine
 * (Kafka: reorder + preferred election with the ledger; Redpanda:
 * maintenance mode) is one function of type sc_drain_fn that runs on a
 * worker thread, reports progress through the call, and returns before the
 * deadline. Until the engine lands, run uses sc_drain_not_implemented,
 * which refuses every drain: a preStop hook then fails visibly instead of
 * pretending leadership moved. */
#ifndef BERTH_SIDECAR_ENGINE_DRAIN_H
#define BERTH_SIDECAR_ENGINE_DRAIN_H

#include <stdbool.h>

#include <cjson/cJSON.h>

#include "util/err.h"

/* How a drain spends its time (`run --lock-wait`, `--drain-timeout`): first
 * it may wait for its turn (Kafka: the Lease "<cluster>-drain"; Redpanda:
 * the cluster's one maintenance slot), then it drains. Set, each of the two
 * gets at most its own figure, so a long wait cannot eat the drain's time;
 * unset, neither has a bound of its own (the Kafka engine then gives the
 * Lease wait half the time left, as before). Neither ever runs past the
 * call's deadline, the preStop client's. */
typedef struct sc_drain_budget {
    bool lock_wait_set;
    long long lock_wait_ms; /* 0: one try, no waiting */
    bool drain_timeout_set;
    long long drain_timeout_ms;
} sc_drain_budget;

/* When the wait for the drain's turn, begun at now, must end: now +
 * lock_wait_ms if set, else deadline; never after deadline. */
long long sc_drain_wait_until(const sc_drain_budget *b, long long now, long long deadline);

/* When the drain, begun at now (its wait over, turn or not), must end: now
 * + drain_timeout_ms if set, else deadline; never after deadline. */
long long sc_drain_work_until(const sc_drain_budget *b, long long now, long long deadline);

typedef struct sc_drain_call sc_drain_call;

struct sc_drain_call {
    int broker_id;          /* this pod's broker */
    long long deadline_ms;  /* on util_mono_ms()'s clock; return before it */
    sc_drain_budget budget; /* how the engine splits the time up to deadline_ms */
    /* Sends one progress line (no newline needed). Returns -1 once the
     * client is gone: the engine should then stop at a safe point. */
    int (*progress)(sc_drain_call *call, const char *line);
    /* Nonzero once the client has left or the sidecar is stopping. */
    int (*cancelled)(sc_drain_call *call);
    void *io; /* run's, behind progress and cancelled */
};

/* Moves leadership off call->broker_id. Returns 0 when done (the client
 * sees "result: ok"), or -1 with err saying what is left undone (the
 * client sees "result: failed: <err>"). user is what run was given with
 * the function. Runs on a worker thread; at most one at a time. */
typedef int (*sc_drain_fn)(sc_drain_call *call, void *user, util_err *err);

/* run answered a drain without the engine (the cluster is being deleted,
 * serve/run.h): from now on the engine treats the broker process now running as
 * drained, as if its own drain had begun (no restore, unready until that
 * process ends). user is what run was given with the drain function. Runs
 * on the drain's worker thread; must not wait on a drain or a restore. */
typedef void (*sc_drain_skip_fn)(void *user);

/* Adds the engine's view of the broker (leadership, ISR, last drain...) to
 * the status object run serves on GET /v1/status. Called on the HTTP
 * service thread: must only read state, never do I/O. May be NULL. */
typedef int (*sc_drain_status_fn)(cJSON *status, void *user, util_err *err);

/* printf-style call->progress. */
int sc_drain_progress(sc_drain_call *call, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* The members every engine's status object starts with (`berth-sidecar
 * status` prints them alike): drainStarted, restored, readyLatched,
 * restarts, lastRestart and lastError, added to obj. */
void sc_drain_status_common(cJSON *obj, bool drain_started, bool restored, bool ready_latched,
                            long restarts, const char *last_restart, const char *last_error);

/* The placeholder engine: refuses with "drain is not implemented in this
 * build". To be replaced by the real engine in cmd_run.c's hook table. */
int sc_drain_not_implemented(sc_drain_call *call, void *user, util_err *err);

#endif
