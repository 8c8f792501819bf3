/* The run subcommand's servers, prober and drain gate; see run.h. */
#include "serve/run.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd.h"
#include "http/drain_api.h"
#include "http/server.h"
#include "serve/readiness.h"
#include "util/clock.h"
#include "util/log.h"
#include "util/metrics.h"
#include "util/version.h"

/* Time kept back from the client's deadline, so the result line reaches it
 * before it gives up: a tenth of the timeout, at most this. */
#define DRAIN_MARGIN_MAX_MS 2000

struct sc_run {
    sc_run_config cfg;
    http_server *srv;  /* TCP */
    http_server *usrv; /* the Unix socket */
    pthread_t unix_thread;
    bool unix_started;
    int unix_rc;
    util_err unix_err;
    http_listener *tcp, *ux;
    util_metrics *metrics;
    pthread_t prober;
    bool prober_started;
    long restarts_seen; /* the prober's: ready_restarts already counted */
    atomic_int stopping;
    int wake[2]; /* a byte into wake[1] ends the prober's wait: stopping */

    pthread_mutex_t lock; /* guards everything below */
    bool ready, ready_checked;
    char ready_reason[UTIL_ERR_MAX];
    bool draining;
    const char *drain_state;
    long drain_count;
    char drain_result[UTIL_ERR_MAX];
};

/* ---- TCP routes ---- */

static int on_healthz(const http_request *req, http_response *resp, void *user)
{
    (void)req;
    (void)user;
    return http_response_printf(resp, 200, "ok\n");
}

static int on_readyz(const http_request *req, http_response *resp, void *user)
{
    sc_run *r = user;
    int rc;

    (void)req;
    pthread_mutex_lock(&r->lock);
    /* Anyone in the cluster can ask: only the reason's class, never the
     * reason (readiness.h). */
    if (r->ready)
        rc = http_response_printf(resp, 200, "ready\n");
    else
        rc = http_response_printf(resp, 503, "not ready: %s\n",
                                  sc_ready_class_text(r->ready_checked
                                                          ? sc_ready_classify(r->ready_reason)
                                                          : SC_READY_UNCHECKED));
    pthread_mutex_unlock(&r->lock);
    return rc;
}

static int on_metrics(const http_request *req, http_response *resp, void *user)
{
    sc_run *r = user;
    util_err err = {{0}};
    char *text = NULL;
    size_t len = 0;

    (void)req;
    if (util_metrics_render(r->metrics, &text, &len, &err) != 0)
        return -1;
    resp->status = 200;
    resp->content_type = UTIL_METRICS_CONTENT_TYPE;
    resp->body = text;
    resp->body_len = len;
    return 0;
}

/* ---- status ---- */

cJSON *sc_run_status_json(sc_run *r)
{
    cJSON *o = cJSON_CreateObject(), *d;
    util_err err = {{0}};

    if (o == NULL)
        return NULL;
    cJSON_AddStringToObject(o, "pod", r->cfg.pod_name != NULL ? r->cfg.pod_name : "");
    cJSON_AddNumberToObject(o, "brokerId", r->cfg.broker_id);
    cJSON_AddStringToObject(o, "version", BERTH_VERSION);
    pthread_mutex_lock(&r->lock);
    cJSON_AddBoolToObject(o, "ready", r->ready);
    cJSON_AddStringToObject(o, "readyReason", r->ready ? "" : r->ready_reason);
    cJSON_AddBoolToObject(o, "readyChecked", r->ready_checked);
    d = cJSON_AddObjectToObject(o, "drain");
    if (d != NULL) {
        cJSON_AddStringToObject(d, "state", r->drain_state);
        cJSON_AddNumberToObject(d, "count", (double)r->drain_count);
        cJSON_AddStringToObject(d, "lastResult", r->drain_result);
    }
    pthread_mutex_unlock(&r->lock);
    if (r->cfg.drain_status != NULL && r->cfg.drain_status(o, r->cfg.drain_status_user, &err) != 0)
        cJSON_AddStringToObject(o, "drainStatusError", err.msg);
    return o;
}

static int on_status(const http_request *req, http_response *resp, void *user)
{
    cJSON *o = sc_run_status_json(user);
    char *text;

    (void)req;
    if (o == NULL)
        return -1;
    text = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    if (text == NULL)
        return -1;
    resp->status = 200;
    resp->content_type = "application/json";
    resp->body = text;
    resp->body_len = strlen(text);
    return 0;
}

/* ---- drain ---- */

static int call_progress(sc_drain_call *call, const char *line)
{
    return http_drain_progress(call->io, "%s", line);
}

static int call_cancelled(sc_drain_call *call)
{
    return http_stream_cancelled(call->io);
}

static void count_drain(sc_run *r, const char *result)
{
    util_metrics_add(r->metrics, "berth_sidecar_drains_total",
                     (const char *[]){"result", result, NULL}, 1, NULL);
}

/* Has the operator marked the cluster as being deleted? 1 with its name
 * in cluster: the drain is answered without the engine. A check that
 * cannot tell is no mark. */
static int being_deleted(sc_run *r, char *cluster, size_t size)
{
    int rc;

    if (r->cfg.teardown == NULL)
        return 0;
    rc = r->cfg.teardown(r->cfg.teardown_user, cluster, size);
    if (rc < 0)
        util_warn("drain of broker %d: cannot tell whether the cluster is being deleted (%s); "
                  "draining",
                  r->cfg.broker_id, cluster);
    return rc == 1;
}

static void on_drain(http_stream *s, const http_request *req, void *user)
{
    sc_run *r = user;
    http_drain_request dr;
    sc_drain_call call;
    util_err err = {{0}};
    char cluster[UTIL_ERR_MAX] = "";
    long long margin;
    bool skipped;
    int rc;

    if (http_drain_request_parse(req->body, req->body_len, &dr, &err) != 0) {
        http_stream_head(s, 400, NULL);
        http_stream_printf(s, "%s\n", err.msg);
        count_drain(r, "bad_request");
        return;
    }
    pthread_mutex_lock(&r->lock);
    if (r->draining) {
        pthread_mutex_unlock(&r->lock);
        http_stream_head(s, 409, NULL);
        http_stream_printf(s, "a drain of broker %d is already running\n", r->cfg.broker_id);
        count_drain(r, "busy");
        return;
    }
    r->draining = true;
    r->drain_state = "running";
    pthread_mutex_unlock(&r->lock);

    util_info("drain of broker %d requested over %s, %lld ms to go", r->cfg.broker_id,
              req->listener, dr.timeout_ms);
    margin = dr.timeout_ms / 10 < DRAIN_MARGIN_MAX_MS ? dr.timeout_ms / 10 : DRAIN_MARGIN_MAX_MS;
    memset(&call, 0, sizeof call);
    call.broker_id = r->cfg.broker_id;
    call.deadline_ms = util_mono_ms() + dr.timeout_ms - margin;
    call.budget = r->cfg.drain_budget;
    call.progress = call_progress;
    call.cancelled = call_cancelled;
    call.io = s;
    http_stream_head(s, 200, NULL);
    skipped = being_deleted(r, cluster, sizeof cluster);
    if (skipped) {
        util_info("drain of broker %d: cluster %s is being deleted: no drain, every broker "
                  "stops at once while its quorum stands",
                  r->cfg.broker_id, cluster);
        sc_drain_progress(&call, "cluster %s is being deleted: no drain", cluster);
        if (r->cfg.drain_skip != NULL)
            r->cfg.drain_skip(r->cfg.drain_user);
        rc = 0;
    } else {
        rc = r->cfg.drain(&call, r->cfg.drain_user, &err);
    }
    if (rc == 0)
        http_drain_result(s, 1, NULL);
    else
        http_drain_result(s, 0, "%s", err.msg[0] != '\0' ? err.msg : "unknown error");
    if (rc == 0 && !skipped)
        util_info("drain of broker %d: done", r->cfg.broker_id);
    else if (rc != 0)
        util_warn("drain of broker %d failed: %s", r->cfg.broker_id, err.msg);

    pthread_mutex_lock(&r->lock);
    r->draining = false;
    r->drain_state = rc == 0 ? "succeeded" : "failed";
    r->drain_count++;
    if (skipped)
        snprintf(r->drain_result, sizeof r->drain_result,
                 "skipped: cluster %.200s is being deleted", cluster);
    else
        snprintf(r->drain_result, sizeof r->drain_result, "%s",
                 rc == 0 ? "ok" : (err.msg[0] != '\0' ? err.msg : "unknown error"));
    pthread_mutex_unlock(&r->lock);
    count_drain(r, skipped ? "skipped" : rc == 0 ? "ok" : "failed");
}

/* ---- prober ---- */

/* Serves ready (or why not) from now on, counts the restarts the hook has
 * seen since the last time, and logs a change. */
static void publish(sc_run *r, int ready, const char *why)
{
    bool changed;

    pthread_mutex_lock(&r->lock);
    changed =
        !r->ready_checked || r->ready != ready || (!ready && strcmp(r->ready_reason, why) != 0);
    r->ready = ready;
    r->ready_checked = true;
    snprintf(r->ready_reason, sizeof r->ready_reason, "%s", ready ? "" : why);
    pthread_mutex_unlock(&r->lock);
    util_metrics_set(r->metrics, "berth_sidecar_ready", NULL, ready, NULL);
    if (r->cfg.ready_restarts != NULL) {
        long n = r->cfg.ready_restarts(r->cfg.ready_user);
        if (n > r->restarts_seen)
            util_metrics_add(r->metrics, "berth_sidecar_broker_restarts_total", NULL,
                             (double)(n - r->restarts_seen), NULL);
        r->restarts_seen = n > r->restarts_seen ? n : r->restarts_seen;
    }
    if (changed) {
        if (ready)
            util_info("broker %d is ready", r->cfg.broker_id);
        else
            util_info("broker %d is not ready: %s", r->cfg.broker_id, why);
    }
}

/* Sleeps ms, less once the wake pipe turns readable. */
static void sleep_or_wake(sc_run *r, long ms)
{
    long long end = util_mono_ms() + ms;
    struct pollfd p = {.fd = r->wake[0], .events = POLLIN};

    for (;;) {
        long long left = end - util_mono_ms();
        int rc;

        if (left <= 0)
            return;
        rc = poll(&p, 1, left > INT_MAX ? INT_MAX : (int)left);
        if (rc > 0)
            return;
        if (rc < 0 && errno != EINTR) {
            sc_sleep_ms((long)left); /* cannot happen on a pipe of ours; never spin */
            return;
        }
    }
}

/* The time between two checks, cut short by a stop, or by the hook seeing
 * the broker process end: unready from that moment, for the kubelet may
 * probe a restarted container before the next check would have run; that
 * check then follows at once. */
static void between_checks(sc_run *r)
{
    char why[UTIL_ERR_MAX] = "";

    if (r->cfg.ready_wait == NULL) {
        sleep_or_wake(r, r->cfg.probe_interval_ms);
        return;
    }
    if (r->cfg.ready_wait(r->cfg.ready_user, r->wake[0], r->cfg.probe_interval_ms, why,
                          sizeof why) == 1)
        publish(r, 0, why);
}

static void *prober_main(void *arg)
{
    sc_run *r = arg;
    char why[UTIL_ERR_MAX];

    while (!atomic_load(&r->stopping)) {
        int ready;

        why[0] = '\0';
        ready = r->cfg.ready(r->cfg.ready_user, why, sizeof why) == 1;
        util_metrics_add(r->metrics, "berth_sidecar_readiness_checks_total",
                         (const char *[]){"result", ready ? "ready" : "not_ready", NULL}, 1, NULL);
        publish(r, ready, why);
        if (!atomic_load(&r->stopping))
            between_checks(r);
    }
    return NULL;
}

/* Asks the prober to end and wakes its wait; async-signal-safe. */
static void stop_prober(sc_run *r)
{
    atomic_store(&r->stopping, 1);
    if (r->wake[1] >= 0)
        (void)!write(r->wake[1], "s", 1);
}

/* The wake pipe, close-on-exec; its write end never blocks. */
static int open_wake(sc_run *r, util_err *err)
{
    if (pipe(r->wake) != 0) {
        r->wake[0] = r->wake[1] = -1;
        return util_err_set(err, "run: wake pipe: %s", strerror(errno));
    }
    for (int i = 0; i < 2; i++)
        if (fcntl(r->wake[i], F_SETFD, FD_CLOEXEC) != 0)
            return util_err_set(err, "run: wake pipe: %s", strerror(errno));
    if (fcntl(r->wake[1], F_SETFL, O_NONBLOCK) != 0)
        return util_err_set(err, "run: wake pipe: %s", strerror(errno));
    return 0;
}

/* ---- life cycle ---- */

static int define_metrics(util_metrics *m, util_err *err)
{
    if (util_metrics_define(m, "berth_sidecar_info", UTIL_METRIC_GAUGE,
                            "The sidecar's version and broker, always 1.", err) != 0 ||
        util_metrics_define(m, "berth_sidecar_ready", UTIL_METRIC_GAUGE,
                            "1 when /readyz says ready, else 0.", err) != 0 ||
        util_metrics_define(m, "berth_sidecar_readiness_checks_total", UTIL_METRIC_COUNTER,
                            "Readiness checks of the broker, by result.", err) != 0 ||
        util_metrics_define(m, "berth_sidecar_drains_total", UTIL_METRIC_COUNTER,
                            "Drain requests, by result (ok, skipped: the cluster is being "
                            "deleted, failed, busy, bad_request).",
                            err) != 0 ||
        util_metrics_define(m, "berth_sidecar_broker_restarts_total", UTIL_METRIC_COUNTER,
                            "Broker processes seen to end beside this sidecar (the broker "
                            "container restarted); readiness then waited for ISR and restore "
                            "again.",
                            err) != 0)
        return -1;
    if (util_metrics_add(m, "berth_sidecar_broker_restarts_total", NULL, 0, err) != 0)
        return -1;
    return util_metrics_set(m, "berth_sidecar_ready", NULL, 0, err);
}

int sc_run_new(const sc_run_config *cfg, sc_run **out, util_err *err)
{
    http_server_config hc = {0};
    char id[16];
    sc_run *r;

    *out = NULL;
    if (cfg->ready == NULL || cfg->drain == NULL || cfg->socket_path == NULL)
        return util_err_set(err, "run: readiness, drain and socket path are required");
    r = calloc(1, sizeof *r);
    if (r == NULL)
        return util_err_set(err, "run: out of memory");
    r->cfg = *cfg;
    r->wake[0] = r->wake[1] = -1;
    if (r->cfg.probe_interval_ms <= 0)
        r->cfg.probe_interval_ms = SC_RUN_DEFAULT_PROBE_MS;
    pthread_mutex_init(&r->lock, NULL);
    r->drain_state = "idle";
    snprintf(r->ready_reason, sizeof r->ready_reason, "not checked yet");
    snprintf(id, sizeof id, "%d", cfg->broker_id);
    if (open_wake(r, err) != 0 || util_metrics_new(&r->metrics, err) != 0 ||
        define_metrics(r->metrics, err) != 0 ||
        util_metrics_set(r->metrics, "berth_sidecar_info",
                         (const char *[]){"version", BERTH_VERSION, "broker", id, NULL}, 1,
                         err) != 0)
        goto fail;
    hc.max_body = 4096; /* a drain request is a few bytes of JSON */
    hc.max_conns = HTTP_PROBE_MAX_CONNS;
    hc.idle_timeout_s = HTTP_PROBE_IDLE_TIMEOUT_S;
    /* The TCP port first: once the socket exists (what a client waits
     * for), both listen. */
    if (http_server_new(&hc, &r->srv, err) != 0 ||
        http_server_listen_tcp(r->srv, cfg->http_addr, cfg->http_port, &r->tcp, err) != 0)
        goto fail;
    hc.max_conns = 0; /* the socket's: the defaults */
    hc.idle_timeout_s = 0;
    if (http_server_new(&hc, &r->usrv, err) != 0 ||
        http_server_listen_unix(r->usrv, cfg->socket_path, &r->ux, err) != 0)
        goto fail;
    if (http_listener_route(r->tcp, "GET", "/healthz", on_healthz, r, err) != 0 ||
        http_listener_route(r->tcp, "GET", "/readyz", on_readyz, r, err) != 0 ||
        http_listener_route(r->tcp, "GET", "/metrics", on_metrics, r, err) != 0 ||
        http_listener_route(r->ux, "GET", "/healthz", on_healthz, r, err) != 0 ||
        http_listener_route(r->ux, "GET", HTTP_DRAIN_STATUS_PATH, on_status, r, err) != 0 ||
        http_listener_route_async(r->ux, "POST", HTTP_DRAIN_PATH, on_drain, r, err) != 0)
        goto fail;
    *out = r;
    return 0;
fail:
    sc_run_free(r);
    return -1;
}

int sc_run_port(const sc_run *r)
{
    return http_listener_port(r->tcp);
}

/* The Unix socket's server, on its own thread; a failure stops the TCP
 * one too. */
static void *unix_main(void *arg)
{
    sc_run *r = arg;

    r->unix_rc = http_server_run(r->usrv, &r->unix_err);
    if (r->unix_rc != 0)
        http_server_stop(r->srv);
    return NULL;
}

int sc_run_serve(sc_run *r, util_err *err)
{
    int rc;

    if (pthread_create(&r->prober, NULL, prober_main, r) != 0)
        return util_err_set(err, "run: cannot start the readiness prober");
    r->prober_started = true;
    if (pthread_create(&r->unix_thread, NULL, unix_main, r) != 0) {
        stop_prober(r);
        pthread_join(r->prober, NULL);
        r->prober_started = false;
        return util_err_set(err, "run: cannot start the socket's server");
    }
    r->unix_started = true;
    util_info("serving /healthz /readyz /metrics on port %d, drain and status on %s",
              sc_run_port(r), r->cfg.socket_path);
    rc = http_server_run(r->srv, err);
    http_server_stop(r->usrv);
    pthread_join(r->unix_thread, NULL);
    r->unix_started = false;
    if (rc == 0 && r->unix_rc != 0) {
        *err = r->unix_err;
        rc = r->unix_rc;
    }
    stop_prober(r);
    pthread_join(r->prober, NULL);
    r->prober_started = false;
    return rc;
}

void sc_run_stop(void *arg)
{
    sc_run *r = arg;

    stop_prober(r);
    http_server_stop(r->srv);
    http_server_stop(r->usrv);
}

void sc_run_free(sc_run *r)
{
    if (r == NULL)
        return;
    if (r->prober_started) {
        stop_prober(r);
        pthread_join(r->prober, NULL);
    }
    for (int i = 0; i < 2; i++)
        if (r->wake[i] >= 0)
            close(r->wake[i]);
    http_server_free(r->srv);
    http_server_free(r->usrv);
    util_metrics_free(r->metrics);
    pthread_mutex_destroy(&r->lock);
    free(r);
}
