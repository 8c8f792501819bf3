/* What `berth-sidecar run` serves, as a unit that tests can start on real
 * sockets in-process:
 *   TCP (read-only, GET only): /healthz, /readyz, /metrics
 *   Unix socket (mode 0660, in the volume shared with the broker container):
 *     POST /v1/drain   the drain contract of lib/http/drain_api.h
 *     GET  /v1/status  this sidecar's view as JSON (see sc_run_status_json)
 * The drain and status routes exist on the Unix socket only, so nothing
 * that can reach the pod's IP can move leadership. The two are separate
 * servers on threads of their own, each with its own connections and
 * header buffers: however many clients hold the TCP port (half-sent
 * requests are closed after HTTP_PROBE_IDLE_TIMEOUT_S), the socket answers.
 *
 * Readiness is asked of cfg->ready from a prober thread every
 * probe_interval_ms and served from that cached answer (its reason in the
 * status on the socket; the 503 body over TCP names only its class,
 * readiness.h: sc_ready_classify). Between checks the prober waits in
 * cfg->ready_wait, if set: when that says the broker process ended, the
 * answer turns unready at once (a restarted broker container is probed by
 * the kubelet within moments) and the next check follows. Stopping wakes
 * the wait. cfg->ready_restarts, if set, is asked after each check and
 * wait, and counted in berth_sidecar_broker_restarts_total. Drains run
 * cfg->drain on a worker thread, one at a time.
 *
 * Every drain first asks cfg->teardown, whatever the engine: when the
 * operator has marked the cluster as being deleted (operator/teardown.h),
 * every broker stops at once and there is nowhere to move leadership to,
 * so the drain answers success at once without the engine, and
 * cfg->drain_skip tells the engine the broker counts as drained. */
#ifndef BERTH_SIDECAR_SERVE_RUN_H
#define BERTH_SIDECAR_SERVE_RUN_H

#include <stdbool.h>
#include <stddef.h>

#include <cjson/cJSON.h>

#include "engine/drain.h"
#include "serve/probe.h"
#include "util/err.h"

#define SC_RUN_DEFAULT_PROBE_MS 5000

/* Is this broker's cluster being deleted? 1 yes, with the cluster's name
 * in what; 0 no; -1 cannot tell, with the reason in what (a failed read is
 * no mark: the drain goes on). Runs on the drain's worker thread before the
 * engine, and may do I/O. */
typedef int (*sc_teardown_fn)(void *user, char *what, size_t what_size);

typedef struct sc_run_config {
    const char *http_addr; /* NULL: every address */
    int http_port;         /* 0: any free port (tests) */
    const char *socket_path;
    const char *pod_name; /* for status */
    int broker_id;
    long probe_interval_ms;
    sc_ready_fn ready; /* required */
    void *ready_user;
    sc_ready_wait_fn ready_wait;   /* may be NULL: the prober sleeps; asked with ready_user */
    sc_restarts_fn ready_restarts; /* may be NULL; asked with ready_user */
    sc_drain_fn drain;             /* required; sc_drain_not_implemented until the engine lands */
    void *drain_user;
    sc_drain_budget drain_budget;    /* handed to every drain call (engine/drain.h) */
    sc_drain_status_fn drain_status; /* may be NULL */
    void *drain_status_user;
    sc_teardown_fn teardown; /* may be NULL: no check, every drain runs the engine */
    void *teardown_user;
    sc_drain_skip_fn drain_skip; /* may be NULL; asked with drain_user */
} sc_run_config;

typedef struct sc_run sc_run;

/* Binds both listeners now (so a bad port or socket path fails at start).
 * cfg's strings are borrowed and must outlive the sc_run. */
int sc_run_new(const sc_run_config *cfg, sc_run **out, util_err *err) UTIL_MUST_CHECK;

/* The TCP port bound. */
int sc_run_port(const sc_run *r);

/* Serves until sc_run_stop. Returns 0, or -1 if the event loop failed. */
int sc_run_serve(sc_run *r, util_err *err) UTIL_MUST_CHECK;

/* Asks sc_run_serve to return; safe from any thread and from a signal
 * handler. */
void sc_run_stop(void *r);

/* Stops the workers, closes the listeners, removes the socket file. NULL
 * is a no-op. Not while sc_run_serve runs. */
void sc_run_free(sc_run *r);

/* The status document (a new cJSON for cJSON_Delete):
 *   {"pod": "demo-1", "brokerId": 1, "version": "0.1.0",
 *    "ready": false, "readyReason": "...", "readyChecked": true,
 *    "drain": {"state": "idle|running|succeeded|failed", "count": 0,
 *              "lastResult": "..."}}
 * plus whatever cfg->drain_status adds. */
cJSON *sc_run_status_json(sc_run *r);

#endif
