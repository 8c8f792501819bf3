/* Drain and restore for Redpanda through its admin API (engine.h).
 *
 * Three threads reach an engine: run's drain worker (sc_rp_drain), its
 * prober (sc_rp_ready, which restores) and its HTTP loop (the status hook,
 * which only reads). Drain and prober each have their own rp_admin handle,
 * so neither waits on the other's requests. op_lock orders the one pair of
 * writes that conflict: a drain marks itself started under it before maintenance
 * goes on, and restore turns maintenance off under it only if the broker
 * process now running has not been drained, so a restore can never undo a
 * drain in progress. (Once the drained process has been seen to end, the
 * next one is restored: see drained().) */
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "cmd.h"
#include "engine/redpanda/engine.h"
#include "files.h"
#include "util/clock.h"
#include "util/log.h"

struct sc_rp_engine {
    int broker_id;
    long poll_ms;
    long request_timeout_ms;
    rp_admin *drain_admin; /* the drain worker's */
    rp_admin *probe_admin; /* the prober's */
    pthread_mutex_t op_lock;
    pthread_mutex_t lock; /* guards what follows */
    bool drain_started;
    long drain_process;  /* restarts when it started: the process drained */
    bool ready_latched;  /* ready once in the current broker process */
    bool up;             /* the last check saw it alive */
    long restarts;       /* broker processes seen to end after being up */
    char restarted[256]; /* "broker restarted: ..." of the last one */
    bool restored;
    bool seen; /* last is set */
    rp_maintenance_status last;
    char last_error[UTIL_ERR_MAX];
};

int sc_rp_engine_new(const sc_rp_engine_config *cfg, sc_rp_engine **out, util_err *err)
{
    sc_rp_engine *e;

    if (cfg->broker_id < 0)
        return util_err_set(err, "redpanda drain: broker id %d: negative", cfg->broker_id);
    e = calloc(1, sizeof *e);
    if (e == NULL)
        return util_err_set(err, "out of memory");
    e->broker_id = cfg->broker_id;
    e->poll_ms = cfg->poll_interval_ms > 0 ? cfg->poll_interval_ms : SC_RP_DEFAULT_POLL_MS;
    e->request_timeout_ms = cfg->admin.timeout_ms > 0 ? cfg->admin.timeout_ms : RP_ADMIN_TIMEOUT_MS;
    if (rp_admin_new(&cfg->admin, &e->drain_admin, err) != 0 ||
        rp_admin_new(&cfg->admin, &e->probe_admin, err) != 0) {
        rp_admin_free(e->drain_admin);
        free(e);
        return util_err_prefix(err, "redpanda drain");
    }
    pthread_mutex_init(&e->op_lock, NULL);
    pthread_mutex_init(&e->lock, NULL);
    *out = e;
    return 0;
}

void sc_rp_engine_free(sc_rp_engine *e)
{
    if (e == NULL)
        return;
    rp_admin_free(e->drain_admin);
    rp_admin_free(e->probe_admin);
    pthread_mutex_destroy(&e->op_lock);
    pthread_mutex_destroy(&e->lock);
    free(e);
}

static void note_error(sc_rp_engine *e, const char *msg)
{
    pthread_mutex_lock(&e->lock);
    snprintf(e->last_error, sizeof e->last_error, "%s", msg);
    pthread_mutex_unlock(&e->lock);
}

/* ---- drain ---- */

/* Caps the next request at the time left before deadline. Returns -1
 * when none is left. */
static int fit_request(sc_rp_engine *e, long long deadline)
{
    long long left = deadline - util_mono_ms();

    if (left <= 0)
        return -1;
    rp_admin_set_timeout(e->drain_admin,
                         left < e->request_timeout_ms ? (long)left : e->request_timeout_ms);
    return 0;
}

/* Waits one poll interval, or until cap if that comes first. Returns -1 if
 * the client left or deadline would pass first (the caller then ends with
 * what it has). */
static int wait_poll(sc_rp_engine *e, sc_drain_call *call, long long cap, long long deadline)
{
    long long until = util_mono_ms() + e->poll_ms;

    if (until > cap)
        until = cap;
    if (until >= deadline)
        return -1;
    while (util_mono_ms() < until) {
        if (call->cancelled(call))
            return -1;
        sc_sleep_ms(until - util_mono_ms() < 50 ? (long)(until - util_mono_ms()) : 50);
    }
    return call->cancelled(call) ? -1 : 0;
}

/* Why the drain ended early: the client left, or the deadline came. */
static int stopped(sc_rp_engine *e, sc_drain_call *call, const char *doing, const char *detail,
                   util_err *err)
{
    if (call->cancelled(call))
        util_err_set(err, "cancelled while %s (the client left or the sidecar is stopping)", doing);
    else
        util_err_set(err, "deadline reached while %s%s%s", doing, detail[0] != '\0' ? ": " : "",
                     detail);
    note_error(e, err->msg);
    return -1;
}

static int fail(sc_rp_engine *e, util_err *err)
{
    note_error(e, err->msg);
    return -1;
}

/* Maintenance mode on. While another broker holds the slot it waits, up to
 * the lock wait (call->budget; unset: the deadline): unlike the Kafka
 * Lease, there is no draining without the slot. Transport failures it
 * retries until the deadline. */
static int maintenance_on(sc_rp_engine *e, sc_drain_call *call, util_err *err)
{
    util_err last = {{0}};
    long long slot_until = sc_drain_wait_until(&call->budget, util_mono_ms(), call->deadline_ms);
    int rc;

    for (;;) {
        if (fit_request(e, call->deadline_ms) != 0)
            return stopped(e, call, "turning maintenance mode on", last.msg, err);
        rc = rp_admin_maintenance_on(e->drain_admin, e->broker_id, &last);
        if (rc == 0)
            return 0;
        if (rc == RP_ERR_NOT_FOUND) {
            util_err_set(err, "broker %d is unknown to the cluster: %s", e->broker_id, last.msg);
            return fail(e, err);
        }
        if (rc == RP_ERR_BUSY && slot_until < call->deadline_ms && util_mono_ms() >= slot_until) {
            util_err_set(err,
                         "another broker held the maintenance slot for the whole lock wait "
                         "(%lld s): %s",
                         (call->budget.lock_wait_ms + 999) / 1000, last.msg);
            return fail(e, err);
        }
        if (rc == RP_ERR_BUSY)
            sc_drain_progress(call, "another broker is in maintenance mode; waiting: %s", last.msg);
        else
            sc_drain_progress(call, "admin API failed, retrying: %s", last.msg);
        if (wait_poll(e, call, rc == RP_ERR_BUSY ? slot_until : call->deadline_ms,
                      call->deadline_ms) != 0)
            return stopped(e, call, "turning maintenance mode on", last.msg, err);
    }
}

/* From now on the broker process now running counts as drained: restore
 * leaves maintenance mode alone, and readiness says so. */
static void mark_drained(sc_rp_engine *e)
{
    pthread_mutex_lock(&e->lock);
    e->drain_started = true;
    e->drain_process = e->restarts;
    e->last_error[0] = '\0';
    pthread_mutex_unlock(&e->lock);
}

void sc_rp_drain_skip(void *user)
{
    /* Without op_lock: no maintenance mode goes on, so there is no restore
     * to keep from undoing it. */
    mark_drained(user);
}

int sc_rp_drain(sc_drain_call *call, void *user, util_err *err)
{
    sc_rp_engine *e = user;
    util_err last = {{0}};
    rp_broker b;
    long long until;
    int rc;

    if (call->broker_id != e->broker_id) {
        util_err_set(err, "asked to drain broker %d, but this engine is for broker %d",
                     call->broker_id, e->broker_id);
        return fail(e, err);
    }
    pthread_mutex_lock(&e->op_lock);
    mark_drained(e);
    pthread_mutex_unlock(&e->op_lock);

    sc_drain_progress(call, "broker %d: maintenance mode on via %s", e->broker_id,
                      rp_admin_url(e->drain_admin));
    if (maintenance_on(e, call, err) != 0)
        return -1;
    /* The slot is ours: the drain proper has its own time. */
    until = sc_drain_work_until(&call->budget, util_mono_ms(), call->deadline_ms);
    for (;;) {
        const rp_maintenance_status *m = &b.maintenance;

        if (fit_request(e, until) != 0)
            return stopped(e, call, "waiting for the drain to finish", last.msg, err);
        rc = rp_admin_broker(e->drain_admin, e->broker_id, &b, &last);
        if (rc == RP_ERR_NOT_FOUND) {
            util_err_set(err, "broker %d is unknown to the cluster: %s", e->broker_id, last.msg);
            return fail(e, err);
        }
        if (rc == RP_ERR_BAD_ANSWER) {
            util_err_set(err, "bad drain status from the admin API: %s", last.msg);
            return fail(e, err);
        }
        if (rc != 0) {
            sc_drain_progress(call, "admin API failed, retrying: %s", last.msg);
        } else if (!b.has_maintenance || !b.maintenance.draining) {
            util_err_set(err,
                         "broker %d is not in maintenance mode any more (turned off by "
                         "someone else?)",
                         e->broker_id);
            return fail(e, err);
        } else {
            pthread_mutex_lock(&e->lock);
            e->last = *m;
            e->seen = true;
            pthread_mutex_unlock(&e->lock);
            sc_drain_progress(call,
                              "draining: %s, %lld partitions, %lld eligible, %lld transferring, "
                              "%lld failed",
                              m->finished ? "finished" : "in progress", m->partitions, m->eligible,
                              m->transferring, m->failed);
            if (m->finished && !m->errors)
                return 0;
            if (m->finished) {
                util_err_set(err,
                             "drain finished with errors: %lld of %lld partitions' "
                             "leadership failed to move",
                             m->failed, m->eligible);
                return fail(e, err);
            }
            snprintf(last.msg, sizeof last.msg, "%lld transfers in progress, %lld failed",
                     m->transferring, m->failed);
        }
        if (wait_poll(e, call, until, until) != 0)
            return stopped(e, call, "waiting for the drain to finish", last.msg, err);
    }
}

/* ---- restore and readiness ---- */

/* Has the broker process now running been drained? A drain is for the
 * process it found; once that has ended, the next one is restored (here:
 * maintenance mode off) like any other. Under e->lock. */
static bool drained(const sc_rp_engine *e)
{
    return e->drain_started && e->drain_process == e->restarts;
}

/* The process seen up last has ended: the latch drops, and it counts once.
 * Under e->lock. */
static void went_away(sc_rp_engine *e, const char *what)
{
    if (e->up || e->ready_latched) {
        e->restarts++;
        snprintf(e->restarted, sizeof e->restarted, "broker restarted: %s", what);
        util_warn("broker %d: %s; restore and readiness start over", e->broker_id, e->restarted);
    }
    e->restored = false;
    e->up = false;
    e->ready_latched = false;
}

/* why: msg, after what restarted the broker while that keeps it unready.
 * Under e->lock. */
static void say_why(const sc_rp_engine *e, char *why, size_t why_size, const char *msg)
{
    if (!e->ready_latched && e->restarted[0] != '\0')
        snprintf(why, why_size, "%s; %.250s", e->restarted, msg);
    else
        snprintf(why, why_size, "%s", msg);
}

int sc_rp_restore(sc_rp_engine *e, util_err *err)
{
    rp_admin *a = e->probe_admin;
    rp_broker b;
    rp_health h;
    char desc[400];
    int rc;

    if (rp_admin_broker(a, e->broker_id, &b, err) != 0)
        return util_err_prefix(err, "restore");
    if (!b.has_maintenance || !b.maintenance.draining)
        return 0;
    if (rp_admin_health(a, &h, err) != 0)
        return util_err_prefix(err, "restore: maintenance mode is on; cluster health");
    rp_health_describe(&h, desc, sizeof desc);
    rc = h.is_healthy && !rp_health_node_down(&h, e->broker_id) ? 0 : -1;
    rp_health_clear(&h);
    if (rc != 0)
        return util_err_set(err,
                            "restore: maintenance mode stays on until the cluster is "
                            "healthy; it is %s",
                            desc);
    pthread_mutex_lock(&e->op_lock);
    pthread_mutex_lock(&e->lock);
    rc = drained(e) ? -1 : 0;
    pthread_mutex_unlock(&e->lock);
    if (rc != 0) {
        pthread_mutex_unlock(&e->op_lock);
        return util_err_set(err, "restore: a drain has started; maintenance mode stays on");
    }
    rc = rp_admin_maintenance_off(a, e->broker_id, err);
    pthread_mutex_unlock(&e->op_lock);
    if (rc != 0)
        return util_err_prefix(err, "restore: maintenance mode off");
    util_info("restore: broker %d is out of maintenance mode and may lead again", e->broker_id);
    pthread_mutex_lock(&e->lock);
    e->restored = true;
    pthread_mutex_unlock(&e->lock);
    return 0;
}

int sc_rp_ready(void *user, char *why, size_t why_size)
{
    sc_rp_engine *e = user;
    util_err err = {{0}};
    bool latched;
    int rc;
    rp_broker b;

    /* Asked even once drained: the drained process ending is what lets the
     * next one be restored. Seen from the admin API, which runs in the
     * Redpanda process: it refusing the connection means no process, and
     * the cluster not seeing the broker alive means it has lost its
     * leaderships as a restarted one has. (The fake admin API the tests
     * use ties is_alive and nodes_down together; both are health.) */
    rp_admin_set_timeout(e->probe_admin, 0);
    rc = rp_admin_broker(e->probe_admin, e->broker_id, &b, &err);
    pthread_mutex_lock(&e->lock);
    if (rc == RP_ERR_UNREACHABLE)
        went_away(e, "its admin API refused the connection (no Redpanda process)");
    else if (rc == 0 && !b.is_alive)
        went_away(e, "the cluster did not see it alive");
    else if (rc == 0)
        e->up = true;
    if (drained(e)) {
        pthread_mutex_unlock(&e->lock);
        snprintf(why, why_size, "broker %d has been drained; it stays unready until it restarts",
                 e->broker_id);
        return 0;
    }
    if (rc != 0 || !b.is_alive) {
        char msg[UTIL_ERR_MAX];
        if (rc != 0)
            snprintf(msg, sizeof msg, "%s", err.msg);
        else
            snprintf(msg, sizeof msg, "the cluster does not see broker %d as alive", e->broker_id);
        say_why(e, why, why_size, msg);
        pthread_mutex_unlock(&e->lock);
        return 0;
    }
    latched = e->ready_latched;
    pthread_mutex_unlock(&e->lock);
    if (!latched) {
        if (sc_rp_restore(e, &err) != 0) {
            note_error(e, err.msg);
            pthread_mutex_lock(&e->lock);
            say_why(e, why, why_size, err.msg);
            pthread_mutex_unlock(&e->lock);
            return 0;
        }
        pthread_mutex_lock(&e->lock);
        e->ready_latched = true;
        pthread_mutex_unlock(&e->lock);
    }
    return 1;
}

long sc_rp_engine_restarts(void *user)
{
    sc_rp_engine *e = user;
    long n;

    pthread_mutex_lock(&e->lock);
    n = e->restarts;
    pthread_mutex_unlock(&e->lock);
    return n;
}

int sc_rp_drain_status(cJSON *status, void *user, util_err *err)
{
    sc_rp_engine *e = user;
    cJSON *rp = cJSON_AddObjectToObject(status, "redpanda");
    cJSON *m;

    if (rp == NULL)
        return util_err_set(err, "out of memory");
    pthread_mutex_lock(&e->lock);
    cJSON_AddStringToObject(rp, "adminUrl", rp_admin_url(e->drain_admin));
    sc_drain_status_common(rp, drained(e), e->restored, e->ready_latched, e->restarts, e->restarted,
                           e->last_error);
    if (e->seen && (m = cJSON_AddObjectToObject(rp, "maintenance")) != NULL) {
        cJSON_AddBoolToObject(m, "draining", e->last.draining);
        cJSON_AddBoolToObject(m, "finished", e->last.finished);
        cJSON_AddBoolToObject(m, "errors", e->last.errors);
        cJSON_AddNumberToObject(m, "partitions", (double)e->last.partitions);
        cJSON_AddNumberToObject(m, "eligible", (double)e->last.eligible);
        cJSON_AddNumberToObject(m, "transferring", (double)e->last.transferring);
        cJSON_AddNumberToObject(m, "failed", (double)e->last.failed);
    }
    pthread_mutex_unlock(&e->lock);
    return 0;
}

int sc_rp_engine_for_run(sc_run_config *run_cfg, sc_rp_engine_config *cfg,
                         const char *password_file, sc_rp_engine **out, util_err *err)
{
    char *pass = NULL;
    int rc;

    if (password_file != NULL) {
        if (sc_file_read_secret(password_file, &pass, err) != 0)
            return util_err_prefix(err, "admin password file");
        cfg->admin.password = pass;
    }
    curl_global_init(CURL_GLOBAL_DEFAULT);
    cfg->broker_id = run_cfg->broker_id;
    rc = sc_rp_engine_new(cfg, out, err);
    cfg->admin.password = NULL;
    sc_secret_free(pass);
    if (rc != 0)
        return -1;
    run_cfg->ready = sc_rp_ready;
    run_cfg->ready_user = *out;
    run_cfg->ready_restarts = sc_rp_engine_restarts;
    run_cfg->drain = sc_rp_drain;
    run_cfg->drain_user = *out;
    run_cfg->drain_skip = sc_rp_drain_skip;
    run_cfg->drain_status = sc_rp_drain_status;
    run_cfg->drain_status_user = *out;
    return 0;
}
