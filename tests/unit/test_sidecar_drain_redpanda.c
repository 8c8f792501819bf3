/* The Redpanda drain engine (sidecar/engine/redpanda/engine.c) against the fake
 * admin API (tests/support/fake_redpanda_admin.c; no Redpanda binary can be
 * had here). In-process: a drain that finishes after some status polls, one
 * that finishes with failed transfers, the deadline while transfers are
 * still running, waiting for the single maintenance slot, run's lock wait
 * and drain timeout bounding each part apart, an unknown broker
 * (404), garbage answers, a client that leaves, slow answers; restore
 * (maintenance off) only once the cluster is healthy, inside latched
 * readiness; the latch is the broker process's: a broker the cluster does
 * not see alive, or whose admin API refuses the connection, has restarted,
 * and restore runs again before it is ready (also after a drain of the
 * process that ended), and a drain run answered itself (the cluster
 * being deleted) counts as one. Then the real programs: `berth-sidecar
 * run --flavor redpanda` against the fake restores at start, and the
 * static preStop client
 * `berth-drain` drives a drain through it over the Unix socket, with the
 * admin API behind basic auth; and the operator's own sidecar and preStop
 * commands for a Redpanda cluster (operator/desired_statefulset.c) pick
 * the Redpanda engine, put the broker in maintenance mode and give up on a
 * held slot after the CR's lock wait. */
#include <check.h>
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "operator/cluster.h"
#include "operator/desired.h"
#include "sidecar/cmd.h"
#include "sidecar/engine/redpanda/engine.h"
#include "sidecar/init/render.h"
#include "support/curl_suite.h"
#include "support/fake_redpanda_admin.h"
#include "support/tmpdir.h"
#include "util/clock.h"

/* ---- a drain call that records its progress ---- */

typedef struct tcall {
    sc_drain_call call; /* first: the engine sees this */
    char lines[256][256];
    int n;
    atomic_int cancel;
} tcall;

static int t_progress(sc_drain_call *c, const char *line)
{
    tcall *t = (tcall *)c;

    if (t->n < 256)
        snprintf(t->lines[t->n++], sizeof t->lines[0], "%s", line);
    return 0;
}

static int t_cancelled(sc_drain_call *c)
{
    return atomic_load(&((tcall *)c)->cancel);
}

static tcall *new_call(int broker_id, long long timeout_ms)
{
    tcall *t = calloc(1, sizeof *t);

    ck_assert_ptr_nonnull(t);
    t->call.broker_id = broker_id;
    t->call.deadline_ms = util_mono_ms() + timeout_ms;
    t->call.progress = t_progress;
    t->call.cancelled = t_cancelled;
    return t;
}

/* The first progress line containing s, or NULL. */
static const char *saw(const tcall *t, const char *s)
{
    for (int i = 0; i < t->n; i++)
        if (strstr(t->lines[i], s) != NULL)
            return t->lines[i];
    return NULL;
}

static sc_rp_engine *engine(const fake_rp *f, int broker_id, long poll_ms, long timeout_ms)
{
    sc_rp_engine_config cfg;
    sc_rp_engine *e = NULL;
    util_err err = {{0}};

    memset(&cfg, 0, sizeof cfg);
    cfg.admin.base_url = fake_rp_url(f);
    cfg.admin.timeout_ms = timeout_ms;
    cfg.broker_id = broker_id;
    cfg.poll_interval_ms = poll_ms;
    ck_assert_msg(sc_rp_engine_new(&cfg, &e, &err) == 0, "%s", err.msg);
    return e;
}

/* ---- drain ---- */

START_TEST(drain_finishes_after_status_polls)
{
    fake_rp *f = fake_rp_start(3, 12);
    sc_rp_engine *e = engine(f, 1, 20, 0);
    tcall *t = new_call(1, 30000);
    util_err err = {{0}};
    char why[512];
    cJSON *st, *rp, *m;

    fake_rp_set_drain(f, 4, false);
    ck_assert_msg(sc_rp_drain(&t->call, e, &err) == 0, "%s", err.msg);
    ck_assert_int_eq(fake_rp_maintenance(f), 1);
    ck_assert_int_eq(fake_rp_count(f, "PUT", "/v1/brokers/1/maintenance"), 1);
    ck_assert_int_eq(fake_rp_count(f, "GET", "/v1/brokers/1"), 4);
    ck_assert_ptr_nonnull(saw(t, "broker 1: maintenance mode on via http://127.0.0.1:"));
    ck_assert_ptr_nonnull(saw(t, "draining: in progress, 12 partitions, 12 eligible"));
    ck_assert_ptr_nonnull(saw(t, "draining: finished, 12 partitions, 12 eligible, 0 transferring, "
                                 "0 failed"));

    /* A drained broker's sidecar stays unready and never restores. */
    ck_assert_int_eq(sc_rp_ready(e, why, sizeof why), 0);
    ck_assert_ptr_nonnull(strstr(why, "has been drained"));
    ck_assert_int_eq(fake_rp_maintenance(f), 1);
    ck_assert_int_eq(fake_rp_count(f, "DELETE", "/v1/brokers/1/maintenance"), 0);

    st = cJSON_CreateObject();
    ck_assert_int_eq(sc_rp_drain_status(st, e, &err), 0);
    rp = cJSON_GetObjectItem(st, "redpanda");
    ck_assert(cJSON_IsTrue(cJSON_GetObjectItem(rp, "drainStarted")));
    ck_assert_str_eq(cJSON_GetObjectItem(rp, "adminUrl")->valuestring, fake_rp_url(f));
    m = cJSON_GetObjectItem(rp, "maintenance");
    ck_assert(cJSON_IsTrue(cJSON_GetObjectItem(m, "finished")));
    ck_assert_int_eq(cJSON_GetObjectItem(m, "partitions")->valueint, 12);
    cJSON_Delete(st);

    free(t);
    sc_rp_engine_free(e);
    fake_rp_stop(f);
}
END_TEST

START_TEST(drain_with_failed_transfers_fails)
{
    fake_rp *f = fake_rp_start(3, 10);
    sc_rp_engine *e = engine(f, 1, 20, 0);
    tcall *t = new_call(1, 30000);
    util_err err = {{0}};

    fake_rp_set_drain(f, 2, true);
    ck_assert_int_eq(sc_rp_drain(&t->call, e, &err), -1);
    ck_assert_msg(strstr(err.msg, "drain finished with errors: 5 of 10 partitions' leadership "
                                  "failed to move") != NULL,
                  "%s", err.msg);
    /* Left on: the broker is about to stop and restore turns it off. */
    ck_assert_int_eq(fake_rp_maintenance(f), 1);
    free(t);
    sc_rp_engine_free(e);
    fake_rp_stop(f);
}
END_TEST

START_TEST(deadline_reached_while_transferring)
{
    fake_rp *f = fake_rp_start(3, 10);
    sc_rp_engine *e = engine(f, 1, 50, 0);
    tcall *t = new_call(1, 700);
    util_err err = {{0}};

    fake_rp_set_drain(f, 0, false); /* never finishes */
    ck_assert_int_eq(sc_rp_drain(&t->call, e, &err), -1);
    ck_assert_msg(strstr(err.msg, "deadline reached while waiting for the drain to finish: ") !=
                      NULL,
                  "%s", err.msg);
    ck_assert_ptr_nonnull(strstr(err.msg, "transfers in progress"));
    ck_assert_int_ge(fake_rp_count(f, "GET", "/v1/brokers/1"), 2);
    ck_assert_ptr_nonnull(saw(t, "draining: in progress"));
    free(t);
    sc_rp_engine_free(e);
    fake_rp_stop(f);
}
END_TEST

START_TEST(slow_answers_are_cut_at_the_deadline)
{
    fake_rp *f = fake_rp_start(3, 10);
    sc_rp_engine *e = engine(f, 1, 20, 0);
    tcall *t = new_call(1, 30000);
    util_err err = {{0}};

    /* Slow but within the request timeout: the drain still completes. */
    fake_rp_set_drain(f, 2, false);
    fake_rp_set_slow(f, 200);
    ck_assert_msg(sc_rp_drain(&t->call, e, &err) == 0, "%s", err.msg);
    free(t);
    sc_rp_engine_free(e);

    /* Slower than the time left: the request is cut and the drain ends
     * on the deadline, not on the default request timeout. */
    fake_rp_set_maintenance(f, -1);
    fake_rp_set_slow(f, 3000);
    e = engine(f, 1, 20, 0);
    t = new_call(1, 600);
    ck_assert_int_eq(sc_rp_drain(&t->call, e, &err), -1);
    ck_assert_msg(strstr(err.msg, "deadline reached while turning maintenance mode on") != NULL,
                  "%s", err.msg);
    ck_assert_ptr_nonnull(saw(t, "admin API failed, retrying: PUT "));
    free(t);
    sc_rp_engine_free(e);
    fake_rp_stop(f);
}
END_TEST

static void *release_slot(void *arg)
{
    fake_rp *f = arg;

    sc_sleep_ms(300);
    fake_rp_set_maintenance(f, -1);
    return NULL;
}

START_TEST(drain_waits_for_the_maintenance_slot)
{
    fake_rp *f = fake_rp_start(3, 10);
    sc_rp_engine *e = engine(f, 1, 50, 0);
    tcall *t = new_call(1, 30000);
    util_err err = {{0}};
    pthread_t th;

    /* Broker 2 holds the slot, then gives it up. */
    fake_rp_set_maintenance(f, 2);
    pthread_create(&th, NULL, release_slot, f);
    ck_assert_msg(sc_rp_drain(&t->call, e, &err) == 0, "%s", err.msg);
    pthread_join(th, NULL);
    ck_assert_ptr_nonnull(saw(t, "another broker is in maintenance mode; waiting: "));
    ck_assert_ptr_nonnull(saw(t, "Broker 2 is already in maintenance mode"));
    ck_assert_int_ge(fake_rp_count(f, "PUT", "/v1/brokers/1/maintenance"), 2);
    ck_assert_int_eq(fake_rp_maintenance(f), 1);
    free(t);
    sc_rp_engine_free(e);

    /* Held for good: the deadline, saying who holds it. */
    fake_rp_set_maintenance(f, 0);
    e = engine(f, 1, 50, 0);
    t = new_call(1, 400);
    ck_assert_int_eq(sc_rp_drain(&t->call, e, &err), -1);
    ck_assert_msg(strstr(err.msg, "deadline reached while turning maintenance mode on: ") != NULL &&
                      strstr(err.msg, "Broker 0 is already in maintenance mode") != NULL,
                  "%s", err.msg);
    free(t);
    sc_rp_engine_free(e);
    fake_rp_stop(f);
}
END_TEST

/* With run's budget (--lock-wait, --drain-timeout): the slot is waited for
 * at most the lock wait, though the client has time left, and the drain
 * after it gets the drain timeout from when maintenance went on, however
 * long the slot took. */
START_TEST(lock_wait_and_drain_timeout_bound_each_part)
{
    fake_rp *f = fake_rp_start(3, 10);
    sc_rp_engine *e = engine(f, 1, 50, 0);
    tcall *t = new_call(1, 30000);
    util_err err = {{0}};
    long long began = util_mono_ms(), took;
    pthread_t th;

    t->call.budget.lock_wait_set = true;
    t->call.budget.lock_wait_ms = 600;
    fake_rp_set_maintenance(f, 2); /* held for good */
    ck_assert_int_eq(sc_rp_drain(&t->call, e, &err), -1);
    took = util_mono_ms() - began;
    ck_assert_msg(strstr(err.msg, "another broker held the maintenance slot for the whole lock "
                                  "wait (1 s): ") != NULL &&
                      strstr(err.msg, "Broker 2 is already in maintenance mode") != NULL,
                  "%s", err.msg);
    ck_assert_msg(took >= 500 && took < 3000, "gave up after %lld ms", took);
    ck_assert_int_eq(fake_rp_maintenance(f), 2);
    free(t);
    sc_rp_engine_free(e);

    /* The slot comes after 300 ms, the drain never finishes: it gets its
     * 700 ms from then, not what is left of the lock wait or the client's
     * 30 s. */
    e = engine(f, 1, 50, 0);
    t = new_call(1, 30000);
    t->call.budget.lock_wait_set = true;
    t->call.budget.lock_wait_ms = 5000;
    t->call.budget.drain_timeout_set = true;
    t->call.budget.drain_timeout_ms = 700;
    fake_rp_set_drain(f, 0, false);
    began = util_mono_ms();
    pthread_create(&th, NULL, release_slot, f);
    ck_assert_int_eq(sc_rp_drain(&t->call, e, &err), -1);
    took = util_mono_ms() - began;
    pthread_join(th, NULL);
    ck_assert_msg(strstr(err.msg, "deadline reached while waiting for the drain to finish") != NULL,
                  "%s", err.msg);
    ck_assert_msg(took >= 900 && took < 4000, "drain ended after %lld ms", took);
    ck_assert_int_eq(fake_rp_maintenance(f), 1);
    free(t);
    sc_rp_engine_free(e);
    fake_rp_stop(f);
}
END_TEST

START_TEST(unknown_broker_fails_at_once)
{
    fake_rp *f = fake_rp_start(3, 10);
    sc_rp_engine *e = engine(f, 5, 20, 0);
    tcall *t = new_call(5, 30000);
    util_err err = {{0}};
    char why[512];

    ck_assert_int_eq(sc_rp_drain(&t->call, e, &err), -1);
    ck_assert_msg(strstr(err.msg, "broker 5 is unknown to the cluster: ") != NULL &&
                      strstr(err.msg, "HTTP 404: Broker 5 not found") != NULL,
                  "%s", err.msg);
    ck_assert_int_eq(fake_rp_count(f, "PUT", "/v1/brokers/5/maintenance"), 1);
    ck_assert_int_eq(fake_rp_maintenance(f), -1);
    sc_rp_engine_free(e);

    e = engine(f, 5, 20, 0);
    ck_assert_int_eq(sc_rp_ready(e, why, sizeof why), 0);
    ck_assert_ptr_nonnull(strstr(why, "HTTP 404"));
    free(t);
    sc_rp_engine_free(e);
    fake_rp_stop(f);
}
END_TEST

START_TEST(garbage_status_is_a_clear_error)
{
    static const struct {
        const char *body, *want;
    } cases[] = {
        {"{\"node_id\": 1, \"maintenance_status\": {\"draining\": \"yes\"}}",
         "maintenance_status.draining: not a boolean"},
        {"<html><body>502 Bad Gateway</body></html>", "not JSON (at byte 0"},
        {"{\"node_id\": 1, \"maintenance_status\": {\"draining\": true, \"failed\": 2.5}}",
         "maintenance_status.failed: not an integer"},
        {"[]", "body: not an object"},
    };
    fake_rp *f = fake_rp_start(3, 10);

    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        sc_rp_engine *e = engine(f, 1, 20, 0);
        tcall *t = new_call(1, 30000);
        util_err err = {{0}};

        fake_rp_set_maintenance(f, -1);
        fake_rp_set_garbage(f, "/v1/brokers/1", cases[i].body);
        ck_assert_int_eq(sc_rp_drain(&t->call, e, &err), -1);
        ck_assert_msg(strstr(err.msg, "bad drain status from the admin API: GET ") != NULL &&
                          strstr(err.msg, cases[i].want) != NULL,
                      "case %zu: %s", i, err.msg);
        free(t);
        sc_rp_engine_free(e);
    }
    fake_rp_stop(f);
}
END_TEST

START_TEST(a_client_that_leaves_cancels)
{
    fake_rp *f = fake_rp_start(3, 10);
    sc_rp_engine *e = engine(f, 1, 20, 0);
    tcall *t = new_call(1, 30000);
    util_err err = {{0}};

    fake_rp_set_drain(f, 0, false);
    atomic_store(&t->cancel, 1);
    ck_assert_int_eq(sc_rp_drain(&t->call, e, &err), -1);
    ck_assert_msg(strstr(err.msg, "cancelled while waiting for the drain to finish") != NULL, "%s",
                  err.msg);
    free(t);
    sc_rp_engine_free(e);
    fake_rp_stop(f);
}
END_TEST

/* ---- restore and readiness ---- */

START_TEST(restore_waits_for_a_healthy_cluster)
{
    fake_rp *f = fake_rp_start(3, 10);
    sc_rp_engine *e = engine(f, 1, 20, 0);
    util_err err = {{0}};
    char why[512];
    cJSON *st;

    /* The previous pod of broker 1 left it in maintenance; broker 2 is down. */
    fake_rp_set_maintenance(f, 1);
    fake_rp_set_healthy(f, false, 2);
    ck_assert_int_eq(sc_rp_ready(e, why, sizeof why), 0);
    ck_assert_msg(strstr(why, "maintenance mode stays on until the cluster is healthy; it is "
                              "unhealthy: nodes down [2], 1 under-replicated partitions "
                              "(kafka/rpd-topic/0...)") != NULL,
                  "%s", why);
    ck_assert_int_eq(fake_rp_maintenance(f), 1);
    ck_assert_int_eq(fake_rp_count(f, "DELETE", "/v1/brokers/1/maintenance"), 0);
    ck_assert_int_eq(sc_rp_restore(e, &err), -1);
    ck_assert_ptr_nonnull(strstr(err.msg, "nodes down [2]"));

    /* This broker itself not alive: unready, no restore. */
    fake_rp_set_healthy(f, false, 1);
    ck_assert_int_eq(sc_rp_ready(e, why, sizeof why), 0);
    ck_assert_ptr_nonnull(strstr(why, "does not see broker 1 as alive"));

    /* Healthy: maintenance off, then ready. */
    fake_rp_set_healthy(f, true, -1);
    ck_assert_msg(sc_rp_ready(e, why, sizeof why) == 1, "%s", why);
    ck_assert_int_eq(fake_rp_maintenance(f), -1);
    ck_assert_int_eq(fake_rp_count(f, "DELETE", "/v1/brokers/1/maintenance"), 1);
    st = cJSON_CreateObject();
    sc_rp_drain_status(st, e, &err);
    ck_assert(cJSON_IsTrue(cJSON_GetObjectItem(cJSON_GetObjectItem(st, "redpanda"), "restored")));
    cJSON_Delete(st);

    /* Latched: later only liveness counts, and nothing is restored again. */
    fake_rp_set_healthy(f, false, 2);
    fake_rp_set_maintenance(f, 1);
    ck_assert_int_eq(sc_rp_ready(e, why, sizeof why), 1);
    ck_assert_int_eq(fake_rp_count(f, "DELETE", "/v1/brokers/1/maintenance"), 1);
    fake_rp_set_healthy(f, false, 1);
    ck_assert_int_eq(sc_rp_ready(e, why, sizeof why), 0);
    sc_rp_engine_free(e);

    /* Nothing to restore: ready at once, no DELETE. */
    fake_rp_set_healthy(f, true, -1);
    fake_rp_set_maintenance(f, -1);
    e = engine(f, 0, 20, 0);
    ck_assert_int_eq(sc_rp_ready(e, why, sizeof why), 1);
    ck_assert_int_eq(fake_rp_count(f, "DELETE", "/v1/brokers/0/maintenance"), 0);
    sc_rp_engine_free(e);
    fake_rp_stop(f);
}
END_TEST

START_TEST(garbage_health_keeps_maintenance_on)
{
    fake_rp *f = fake_rp_start(3, 10);
    sc_rp_engine *e = engine(f, 1, 20, 0);
    char why[512];

    fake_rp_set_maintenance(f, 1);
    fake_rp_set_garbage(f, "/v1/cluster/health_overview", "{\"is_healthy\": \"very\"}");
    ck_assert_int_eq(sc_rp_ready(e, why, sizeof why), 0);
    ck_assert_msg(strstr(why, "cluster health: GET ") != NULL &&
                      strstr(why, "is_healthy: not a boolean") != NULL,
                  "%s", why);
    ck_assert_int_eq(fake_rp_maintenance(f), 1);
    sc_rp_engine_free(e);
    fake_rp_stop(f);
}
END_TEST

/* Latched, then the broker restarts (the container alone: the cluster
 * stops seeing it alive for a while). Maintenance mode is on again when it
 * comes back (as a drain of the old process left it): it is unready,
 * saying why, until restore has turned maintenance off once more. */
START_TEST(a_restart_after_the_latch_restores_again)
{
    fake_rp *f = fake_rp_start(3, 10);
    sc_rp_engine *e = engine(f, 1, 20, 0);
    util_err err = {{0}};
    char why[512];
    cJSON *st, *rp;

    ck_assert_msg(sc_rp_ready(e, why, sizeof why) == 1, "%s", why);
    fake_rp_set_healthy(f, false, 1);
    ck_assert_int_eq(sc_rp_ready(e, why, sizeof why), 0);
    ck_assert_msg(strstr(why, "broker restarted: the cluster did not see it alive; the cluster "
                              "does not see broker 1 as alive") != NULL,
                  "%s", why);
    /* Down for several checks: one restart. */
    ck_assert_int_eq(sc_rp_ready(e, why, sizeof why), 0);
    fake_rp_set_maintenance(f, 1);
    fake_rp_set_healthy(f, false, 2);
    ck_assert_int_eq(sc_rp_ready(e, why, sizeof why), 0);
    ck_assert_msg(strstr(why, "broker restarted: the cluster did not see it alive; restore: "
                              "maintenance mode stays on until the cluster is healthy") != NULL,
                  "%s", why);
    ck_assert_int_eq(fake_rp_count(f, "DELETE", "/v1/brokers/1/maintenance"), 0);
    fake_rp_set_healthy(f, true, -1);
    ck_assert_msg(sc_rp_ready(e, why, sizeof why) == 1, "%s", why);
    ck_assert_int_eq(fake_rp_count(f, "DELETE", "/v1/brokers/1/maintenance"), 1);
    ck_assert_int_eq(fake_rp_maintenance(f), -1);
    ck_assert_int_eq(sc_rp_engine_restarts(e), 1);
    st = cJSON_CreateObject();
    ck_assert_int_eq(sc_rp_drain_status(st, e, &err), 0);
    rp = cJSON_GetObjectItem(st, "redpanda");
    ck_assert_int_eq(cJSON_GetObjectItem(rp, "restarts")->valueint, 1);
    ck_assert_str_eq(cJSON_GetObjectItem(rp, "lastRestart")->valuestring,
                     "broker restarted: the cluster did not see it alive");
    ck_assert(cJSON_IsTrue(cJSON_GetObjectItem(rp, "readyLatched")));
    cJSON_Delete(st);
    sc_rp_engine_free(e);
    fake_rp_stop(f);
}
END_TEST

/* Drained, then the broker container restarts (its admin API refuses for a
 * moment, then answers): the drain was the old process's, so this sidecar
 * restores the new one (maintenance off) and turns ready. */
START_TEST(a_drained_broker_that_restarts_is_restored_by_its_sidecar)
{
    fake_rp *f = fake_rp_start(3, 10);
    sc_rp_engine *e = engine(f, 1, 20, 0);
    tcall *t = new_call(1, 30000);
    util_err err = {{0}};
    char why[512];

    ck_assert_msg(sc_rp_ready(e, why, sizeof why) == 1, "%s", why);
    ck_assert_msg(sc_rp_drain(&t->call, e, &err) == 0, "%s", err.msg);
    ck_assert_int_eq(sc_rp_ready(e, why, sizeof why), 0);
    ck_assert_ptr_nonnull(strstr(why, "has been drained"));
    /* The process ends: the cluster stops seeing it alive. */
    fake_rp_set_healthy(f, false, 1);
    ck_assert_int_eq(sc_rp_ready(e, why, sizeof why), 0);
    ck_assert_msg(strstr(why, "broker restarted: ") != NULL, "%s", why);
    ck_assert_int_eq(fake_rp_maintenance(f), 1);
    /* The new process: healthy, restored, ready. */
    fake_rp_set_healthy(f, true, -1);
    ck_assert_msg(sc_rp_ready(e, why, sizeof why) == 1, "%s", why);
    ck_assert_int_eq(fake_rp_maintenance(f), -1);
    ck_assert_int_eq(fake_rp_count(f, "DELETE", "/v1/brokers/1/maintenance"), 1);
    free(t);
    sc_rp_engine_free(e);
    fake_rp_stop(f);
}
END_TEST

/* A drain run answered itself (the cluster is being deleted) counts as a
 * drain of the running process: unready, and restore leaves maintenance
 * mode alone; the status says drainStarted. */
START_TEST(a_skipped_drain_counts_as_drained)
{
    fake_rp *f = fake_rp_start(3, 10);
    sc_rp_engine *e = engine(f, 1, 20, 0);
    util_err err = {{0}};
    char why[512];
    cJSON *st;

    fake_rp_set_maintenance(f, 1); /* left on, say, by the previous pod's drain */
    sc_rp_drain_skip(e);
    ck_assert_int_eq(sc_rp_ready(e, why, sizeof why), 0);
    ck_assert_msg(strstr(why, "has been drained") != NULL, "%s", why);
    ck_assert_int_eq(fake_rp_maintenance(f), 1);
    ck_assert_int_eq(fake_rp_count(f, "DELETE", "/v1/brokers/1/maintenance"), 0);
    ck_assert_int_eq(fake_rp_count(f, "PUT", "/v1/brokers/1/maintenance"), 0);
    st = cJSON_CreateObject();
    ck_assert_int_eq(sc_rp_drain_status(st, e, &err), 0);
    ck_assert(
        cJSON_IsTrue(cJSON_GetObjectItem(cJSON_GetObjectItem(st, "redpanda"), "drainStarted")));
    cJSON_Delete(st);
    sc_rp_engine_free(e);
    fake_rp_stop(f);
}
END_TEST

/* Latched, then the admin API refuses the connection (no Redpanda process
 * runs): unready, saying the broker restarted; a slow admin API that times
 * out is no restart. */
START_TEST(an_admin_api_that_refuses_is_a_restart_a_slow_one_is_not)
{
    fake_rp *f = fake_rp_start(3, 10);
    sc_rp_engine *e = engine(f, 1, 20, 300);
    char why[512];

    ck_assert_msg(sc_rp_ready(e, why, sizeof why) == 1, "%s", why);
    fake_rp_set_slow(f, 1000);
    ck_assert_int_eq(sc_rp_ready(e, why, sizeof why), 0);
    ck_assert_msg(strstr(why, "timed out") != NULL && strstr(why, "restarted") == NULL, "%s", why);
    fake_rp_set_slow(f, 0);
    sc_sleep_ms(1200); /* the fake finishes the slow answer */
    ck_assert_msg(sc_rp_ready(e, why, sizeof why) == 1, "%s", why);
    ck_assert_int_eq(sc_rp_engine_restarts(e), 0);
    fake_rp_stop(f);
    ck_assert_int_eq(sc_rp_ready(e, why, sizeof why), 0);
    ck_assert_msg(strstr(why, "broker restarted: its admin API refused the connection") != NULL,
                  "%s", why);
    ck_assert_int_eq(sc_rp_engine_restarts(e), 1);
    sc_rp_engine_free(e);
}
END_TEST

/* ---- the real programs ---- */

static char sidecar_bin[PATH_MAX], drain_bin[PATH_MAX];

/* build/berth-sidecar and build/berth-drain beside this test's build
 * directory, or $BERTH_SIDECAR_BIN and $BERTH_DRAIN_BIN. */
static void find_bins(void)
{
    char exe[PATH_MAX], *dir;
    const char *env;
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);

    ck_assert_int_gt(n, 0);
    exe[n] = '\0';
    dir = dirname(dirname(dirname(exe))); /* <build>/tests/unit/x -> <build> */
    env = getenv("BERTH_SIDECAR_BIN");
    if (env != NULL && env[0] != '\0')
        snprintf(sidecar_bin, sizeof sidecar_bin, "%s", env);
    else
        snprintf(sidecar_bin, sizeof sidecar_bin, "%s/berth-sidecar", dir);
    env = getenv("BERTH_DRAIN_BIN");
    if (env != NULL && env[0] != '\0')
        snprintf(drain_bin, sizeof drain_bin, "%s", env);
    else
        snprintf(drain_bin, sizeof drain_bin, "%s/berth-drain", dir);
    ck_assert_msg(access(sidecar_bin, X_OK) == 0, "%s (make all builds it)", sidecar_bin);
    ck_assert_msg(access(drain_bin, X_OK) == 0, "%s (make all builds it)", drain_bin);
}

/* Runs argv (NULL-terminated) and returns its exit status with its
 * stdout+stderr in out. */
static int run_prog(char *out, size_t cap, char *const *argv)
{
    int p[2], status;
    size_t n = 0;
    pid_t pid;

    ck_assert_int_eq(pipe(p), 0);
    pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        dup2(p[1], 1);
        dup2(p[1], 2);
        close(p[0]);
        execv(argv[0], argv);
        _exit(127);
    }
    close(p[1]);
    for (;;) {
        struct pollfd pf = {p[0], POLLIN, 0};
        ssize_t r;

        if (poll(&pf, 1, 60000) <= 0)
            break;
        r = read(p[0], out + n, cap - 1 - n);
        if (r <= 0)
            break;
        n += (size_t)r;
        if (n + 1 >= cap)
            break;
    }
    out[n] = '\0';
    close(p[0]);
    ck_assert_int_eq(waitpid(pid, &status, 0), pid);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

START_TEST(sidecar_drains_redpanda_for_the_prestop_client)
{
    static char out[65536];
    char *dir = tmpdir_new(), sock[512], logpath[512], *pwfile;
    fake_rp *f = fake_rp_start(3, 20);
    int status, i;
    pid_t pid;

    find_bins();
    snprintf(sock, sizeof sock, "%s/drain.sock", dir);
    snprintf(logpath, sizeof logpath, "%s/run.log", dir);
    /* The admin API wants basic auth; the password comes from a file. */
    fake_rp_set_auth(f, "berth", "pa55word");
    tmpdir_writef(dir, "admin-password", "pa55word\n");
    pwfile = tmpdir_path(dir, "admin-password");
    /* Broker 1 comes back after a roll still in maintenance mode. */
    fake_rp_set_maintenance(f, 1);
    fake_rp_set_drain(f, 3, false);
    pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        FILE *lf = freopen(logpath, "a", stderr);
        (void)lf;
        execl(sidecar_bin, sidecar_bin, "run", "--flavor", "redpanda", "--admin-url",
              fake_rp_url(f), "--admin-user", "berth", "--admin-password-file", pwfile,
              "--pod-name", "rpd-1", "--http-addr", "127.0.0.1", "--http-port", "0", "--socket",
              sock, "--probe-interval", "100", (char *)NULL);
        _exit(127);
    }
    /* Restore happens inside readiness: maintenance goes off. */
    for (i = 0; i < 3000 && fake_rp_maintenance(f) != -1; i++) {
        ck_assert_msg(waitpid(pid, &status, WNOHANG) == 0, "run exited; see %s", logpath);
        sc_sleep_ms(10);
    }
    ck_assert_msg(fake_rp_maintenance(f) == -1, "no restore; see %s", logpath);
    ck_assert_int_eq(fake_rp_count(f, "DELETE", "/v1/brokers/1/maintenance"), 1);
    for (i = 0; i < 3000 && access(sock, F_OK) != 0; i++)
        sc_sleep_ms(10);

    /* The preStop client drains broker 1. */
    ck_assert_msg(run_prog(out, sizeof out,
                           (char *[]){drain_bin, "--socket", sock, "--timeout", "60", NULL}) == 0,
                  "berth-drain failed: %s", out);
    ck_assert_msg(strstr(out, "maintenance mode on via http://127.0.0.1:") != NULL, "%s", out);
    ck_assert_msg(strstr(out, "draining: finished, 20 partitions") != NULL, "%s", out);
    ck_assert_int_eq(fake_rp_maintenance(f), 1);
    ck_assert_int_eq(fake_rp_count(f, "PUT", "/v1/brokers/1/maintenance"), 1);

    /* status shows the engine's view. */
    ck_assert_int_eq(run_prog(out, sizeof out,
                              (char *[]){sidecar_bin, "status", "--json", "--socket", sock, NULL}),
                     0);
    ck_assert_msg(strstr(out, "\"drainStarted\":") != NULL && strstr(out, "\"restored\":") != NULL,
                  "%s", out);

    /* A drain that ends with failed transfers fails the client. */
    fake_rp_set_drain(f, 1, true);
    ck_assert_int_eq(
        run_prog(out, sizeof out, (char *[]){drain_bin, "--socket", sock, "--timeout", "60", NULL}),
        1);
    ck_assert_msg(strstr(out, "drain finished with errors") != NULL, "%s", out);

    /* Still no restore by this (drained) sidecar; SIGTERM ends it cleanly. */
    sc_sleep_ms(300);
    ck_assert_int_eq(fake_rp_count(f, "DELETE", "/v1/brokers/1/maintenance"), 1);
    kill(pid, SIGTERM);
    ck_assert_int_eq(waitpid(pid, &status, 0), pid);
    ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "run ended with %d; see %s",
                  status, logpath);
    fake_rp_stop(f);
    free(pwfile);
    tmpdir_remove(dir);
}
END_TEST

/* ---- the operator's pod, as its kubelet runs it ---- */

/* A Redpanda KafkaCluster: 2 s lock wait, 20 s drain. */
static const char rp_cluster[] =
    "{\"apiVersion\": \"berth.io/v1alpha1\", \"kind\": \"KafkaCluster\","
    " \"metadata\": {\"name\": \"rpd\", \"namespace\": \"rp\", \"uid\": \"u-1\"},"
    " \"spec\": {\"flavor\": \"redpanda\", \"image\": \"redpandadata/redpanda:v25.3.6\","
    " \"listeners\": [{\"name\": \"internal\", \"port\": 9092, \"type\": \"internal\"}],"
    " \"drain\": {\"lockWaitSeconds\": 2, \"timeoutSeconds\": 20}}}";

/* The command of container name (an init container or the broker's
 * preStop) in the operator's StatefulSet for rp_cluster, as argv. What
 * only a pod has is swapped for the test's: the program paths, the socket,
 * an HTTP port of 0 and, once checked to be the admin port init renders,
 * the admin URL for the fake's. The strings live in *keep (cJSON_Delete). */
static void operator_argv(const char *name, const char *admin_url, const char *sock, char **argv,
                          size_t cap, cJSON **keep)
{
    static const op_options o = {
        "localhost/berth-sidecar:0.1.0", "cluster.local", false, {0, 0, 0}};
    cJSON *cr = cJSON_Parse(rp_cluster), *sts;
    const cJSON *pod, *k, *cmd = NULL, *a;
    op_cluster c;
    util_err err = {{0}};
    char rendered[64];
    size_t n = 0;

    ck_assert_ptr_nonnull(cr);
    ck_assert_msg(op_cluster_parse(cr, &c, &err) == 0, "%s", err.msg);
    sts = op_desired_statefulset(&c, &o, &err);
    ck_assert_msg(sts != NULL, "%s", err.msg);
    pod = cJSON_GetObjectItem(cJSON_GetObjectItem(cJSON_GetObjectItem(sts, "spec"), "template"),
                              "spec");
    cJSON_ArrayForEach(k, cJSON_GetObjectItem(pod, "initContainers"))
    {
        if (strcmp(cJSON_GetObjectItem(k, "name")->valuestring, name) == 0)
            cmd = cJSON_GetObjectItem(k, "command");
    }
    if (strcmp(name, "preStop") == 0)
        cmd = cJSON_GetObjectItem(
            cJSON_GetObjectItem(
                cJSON_GetObjectItem(
                    cJSON_GetObjectItem(
                        cJSON_GetArrayItem(cJSON_GetObjectItem(pod, "containers"), 0), "lifecycle"),
                    "preStop"),
                "exec"),
            "command");
    ck_assert_msg(cmd != NULL, "no command for %s", name);
    snprintf(rendered, sizeof rendered, "http://127.0.0.1:%d", BROKER_POD_REDPANDA_ADMIN_PORT);
    cJSON_ArrayForEach(a, cmd)
    {
        const char *v = a->valuestring, *prev = n > 0 ? argv[n - 1] : "";

        ck_assert_uint_lt(n + 1, cap);
        if (n == 0)
            v = strcmp(name, "preStop") == 0 ? drain_bin : sidecar_bin;
        else if (strcmp(prev, "--socket") == 0)
            v = sock;
        else if (strcmp(prev, "--http-port") == 0)
            v = "0";
        else if (strcmp(prev, "--admin-url") == 0) {
            ck_assert_str_eq(v, rendered);
            v = admin_url;
        }
        argv[n++] = (char *)v;
    }
    argv[n] = NULL;
    *keep = sts;
    cJSON_Delete(cr);
}

/* Starts the operator's sidecar command for pod rpd-1 against the fake;
 * its log in dir/run.log. */
static pid_t start_operator_sidecar(const fake_rp *f, const char *dir, const char *sock,
                                    cJSON **keep)
{
    char *argv[40], logpath[512];
    pid_t pid;

    find_bins();
    operator_argv("sidecar", fake_rp_url(f), sock, argv, 40, keep);
    snprintf(logpath, sizeof logpath, "%s/run.log", dir);
    pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        FILE *lf = freopen(logpath, "a", stderr);
        (void)lf;
        setenv("POD_NAME", "rpd-1", 1); /* the Downward API's */
        execv(argv[0], argv);
        _exit(127);
    }
    for (int i = 0; i < 3000 && access(sock, F_OK) != 0; i++) {
        ck_assert_msg(waitpid(pid, NULL, WNOHANG) == 0, "run exited; see %s", logpath);
        sc_sleep_ms(10);
    }
    ck_assert_msg(access(sock, F_OK) == 0, "no socket; see %s", logpath);
    return pid;
}

static void stop_sidecar(pid_t pid)
{
    int status;

    kill(pid, SIGTERM);
    ck_assert_int_eq(waitpid(pid, &status, 0), pid);
    ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "run ended with %d", status);
}

/* The sidecar command the operator gives a Redpanda pod makes `run` take
 * the Redpanda engine: it restores over the admin API (maintenance mode
 * off, which no Kafka engine does) and its status is Redpanda's. */
START_TEST(operator_sidecar_args_choose_the_redpanda_engine)
{
    static char out[65536];
    char *dir = tmpdir_new(), sock[512];
    fake_rp *f = fake_rp_start(3, 20);
    cJSON *keep = NULL;
    pid_t pid;
    int i;

    snprintf(sock, sizeof sock, "%s/drain.sock", dir);
    fake_rp_set_maintenance(f, 1); /* back from a roll, still in maintenance */
    pid = start_operator_sidecar(f, dir, sock, &keep);
    for (i = 0; i < 3000 && fake_rp_maintenance(f) != -1; i++)
        sc_sleep_ms(10);
    ck_assert_msg(fake_rp_maintenance(f) == -1, "no restore; see %s/run.log", dir);
    ck_assert_int_eq(fake_rp_count(f, "DELETE", "/v1/brokers/1/maintenance"), 1);
    ck_assert_int_eq(run_prog(out, sizeof out,
                              (char *[]){sidecar_bin, "status", "--json", "--socket", sock, NULL}),
                     0);
    ck_assert_msg(strstr(out, "\"redpanda\":") != NULL && strstr(out, "\"kafka\":") == NULL, "%s",
                  out);
    ck_assert_msg(strstr(out, fake_rp_url(f)) != NULL, "%s", out);
    stop_sidecar(pid);
    cJSON_Delete(keep);
    fake_rp_stop(f);
    tmpdir_remove(dir);
}
END_TEST

/* The operator's preStop command against the operator's sidecar: the
 * broker goes into maintenance mode and the drain finishes; with another
 * broker holding the slot, the sidecar gives up after the CR's 2 s lock
 * wait, long before the client's 22 s. */
START_TEST(operator_prestop_puts_the_broker_in_maintenance_mode)
{
    static char out[65536];
    char *dir = tmpdir_new(), sock[512], *pre[16];
    fake_rp *f = fake_rp_start(3, 20);
    cJSON *keep = NULL, *keep_pre = NULL;
    long long began, took;
    pid_t pid;

    snprintf(sock, sizeof sock, "%s/drain.sock", dir);
    fake_rp_set_drain(f, 3, false);
    pid = start_operator_sidecar(f, dir, sock, &keep);
    operator_argv("preStop", NULL, sock, pre, 16, &keep_pre);
    ck_assert_str_eq(pre[4], "22"); /* --timeout: lock wait + drain timeout */
    ck_assert_msg(run_prog(out, sizeof out, pre) == 0, "berth-drain failed: %s", out);
    ck_assert_msg(strstr(out, "broker 1: maintenance mode on via http://127.0.0.1:") != NULL, "%s",
                  out);
    ck_assert_msg(strstr(out, "draining: finished, 20 partitions") != NULL, "%s", out);
    ck_assert_int_eq(fake_rp_maintenance(f), 1);
    ck_assert_int_eq(fake_rp_count(f, "PUT", "/v1/brokers/1/maintenance"), 1);

    fake_rp_set_maintenance(f, 2);
    began = util_mono_ms();
    ck_assert_int_eq(run_prog(out, sizeof out, pre), 1);
    took = util_mono_ms() - began;
    ck_assert_msg(strstr(out, "held the maintenance slot for the whole lock wait (2 s)") != NULL,
                  "%s", out);
    ck_assert_msg(took >= 1500 && took < 8000, "gave up after %lld ms", took);
    stop_sidecar(pid);
    cJSON_Delete(keep_pre);
    cJSON_Delete(keep);
    fake_rp_stop(f);
    tmpdir_remove(dir);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("sidecar_drain_redpanda");
    TCase *drain = tcase_create("drain"), *restore = tcase_create("restore"),
          *prog = tcase_create("program");

    tcase_add_test(drain, drain_finishes_after_status_polls);
    tcase_add_test(drain, drain_with_failed_transfers_fails);
    tcase_add_test(drain, deadline_reached_while_transferring);
    tcase_add_test(drain, slow_answers_are_cut_at_the_deadline);
    tcase_add_test(drain, drain_waits_for_the_maintenance_slot);
    tcase_add_test(drain, lock_wait_and_drain_timeout_bound_each_part);
    tcase_add_test(drain, unknown_broker_fails_at_once);
    tcase_add_test(drain, garbage_status_is_a_clear_error);
    tcase_add_test(drain, a_client_that_leaves_cancels);
    tcase_add_test(restore, restore_waits_for_a_healthy_cluster);
    tcase_add_test(restore, garbage_health_keeps_maintenance_on);
    tcase_add_test(restore, a_restart_after_the_latch_restores_again);
    tcase_add_test(restore, a_drained_broker_that_restarts_is_restored_by_its_sidecar);
    tcase_add_test(restore, an_admin_api_that_refuses_is_a_restart_a_slow_one_is_not);
    tcase_add_test(restore, a_skipped_drain_counts_as_drained);
    tcase_add_test(prog, sidecar_drains_redpanda_for_the_prestop_client);
    tcase_add_test(prog, operator_sidecar_args_choose_the_redpanda_engine);
    tcase_add_test(prog, operator_prestop_puts_the_broker_in_maintenance_mode);
    tcase_set_timeout(drain, 120);
    tcase_set_timeout(restore, 60);
    tcase_set_timeout(prog, 180);
    suite_add_tcase(s, drain);
    suite_add_tcase(s, restore);
    suite_add_tcase(s, prog);
    return curl_suite_run(s);
}
