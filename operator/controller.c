/* The controller loop (see controller.h): workers, the periodic resync
 * without informers, and start/stop. */
#include "controller.h"

#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>

#include "cluster.h"
#include "informers.h"
#include "kube/object.h"
#include "kube/verbs.h"
#include "kube/workqueue.h"
#include "reconcile.h"
#include "util/clock.h"
#include "util/log.h"

struct op_controller {
    op_controller_config cfg;

    pthread_mutex_t mu; /* guards running and closed; cond wakes the resync */
    pthread_cond_t cond;
    bool running; /* the queue and workers are up */
    bool closed;  /* op_controller_stop was called: never start again */
    kube_workqueue *queue;
    pthread_t worker_threads[OP_CONTROLLER_MAX_WORKERS];
    pthread_t resync_thread;
    op_informers *informers; /* while running with informers */
};

static void set_ready(op_controller *c)
{
    if (c->cfg.ready != NULL)
        atomic_store(c->cfg.ready, true);
}

static void *worker_main(void *arg)
{
    op_controller *c = arg;
    util_metrics *metrics = c->cfg.metrics;
    kube_client *client = NULL;
    op_api_lister lister;
    op_cache_lister cached;
    op_reconciler r;
    util_err err = {{0}}, qerr = {{0}};
    const char *key;

    if (kube_client_new(c->cfg.cfg, NULL, &client, &err) != 0) {
        util_error("worker: %s", err.msg);
        return NULL;
    }
    op_api_lister_init(&lister, client, metrics);
    r.client = client;
    r.lister = &lister.base;
    if (c->informers != NULL) {
        op_cache_lister_init(&cached, c->informers, &lister.base);
        r.lister = &cached.base;
    }
    r.opts = c->cfg.opts;
    r.metrics = metrics;
    r.events = c->cfg.events;
    while (kube_workqueue_get(c->queue, &key) == KUBE_WQ_OK) {
        op_reconcile_result res;
        int64_t t0 = util_mono_ns();
        op_outcome o;

        util_err_clear(&err);
        o = op_reconcile(&r, key, &res, &err);
        util_metrics_observe(metrics, "berth_operator_reconcile_duration_seconds", NULL,
                             (double)(util_mono_ns() - t0) / UTIL_NS_PER_SEC, NULL);
        util_metrics_add(metrics, "berth_operator_reconcile_total",
                         (const char *[]){"result", o == OP_RECONCILE_RETRY ? "error" : "ok", NULL},
                         1, NULL);
        if (o == OP_RECONCILE_RETRY) {
            util_warn("%s", err.msg);
            util_metrics_add(metrics, "berth_operator_reconcile_errors_total", NULL, 1, NULL);
            /* Adds fail only out of memory; the next resync queues the
             * key again. */
            if (kube_workqueue_add_rate_limited(c->queue, key, &qerr) != 0)
                util_warn("requeue %s: %s", key, qerr.msg);
        } else {
            /* DONE, REFUSED, REQUEUE_AFTER: the backoff starts over; a
             * refused cluster whose brokers still settle is looked at
             * again too. */
            kube_workqueue_forget(c->queue, key);
            if (res.requeue_after_ms > 0 &&
                kube_workqueue_add_after(c->queue, key, (uint64_t)res.requeue_after_ms * 1000000ULL,
                                         &qerr) != 0)
                util_warn("requeue %s: %s", key, qerr.msg);
            if (res.writes > 0)
                util_info("reconciled %s: %d writes", key, res.writes);
        }
        util_metrics_set(metrics, "berth_operator_queue_depth", NULL,
                         (double)kube_workqueue_len(c->queue), NULL);
        /* Fails only for a key this worker does not hold, which get
         * just handed it. */
        if (kube_workqueue_done(c->queue, key, &qerr) != 0)
            util_warn("%s", qerr.msg);
    }
    kube_client_free(client);
    return NULL;
}

/* Lists every KafkaCluster and queues its key. */
static void resync_once(op_controller *c, kube_client *client)
{
    char path[KUBE_PATH_MAX], key[KUBE_KEY_MAX];
    cJSON *list = NULL, *items, *it;
    util_err err = {{0}};

    if (kube_path(path, sizeof path, OP_API_VERSION, OP_RESOURCE, c->cfg.namespace, NULL, NULL) !=
        0)
        return;
    util_metrics_add(c->cfg.metrics, "berth_operator_api_requests_total",
                     (const char *[]){"verb", "list", NULL}, 1, NULL);
    if (kube_list(client, path, NULL, &list, NULL, &err) != 0) {
        util_warn("resync: %s", err.msg);
        return;
    }
    set_ready(c);
    items = cJSON_GetObjectItemCaseSensitive(list, "items");
    cJSON_ArrayForEach(it, items)
    {
        if (kube_obj_key(it, key, sizeof key) == 0 && kube_workqueue_add(c->queue, key, &err) != 0)
            util_warn("resync: %s", err.msg);
    }
    util_metrics_set(c->cfg.metrics, "berth_operator_queue_depth", NULL,
                     (double)kube_workqueue_len(c->queue), NULL);
    cJSON_Delete(list);
}

static void *resync_main(void *arg)
{
    op_controller *c = arg;
    kube_client *client = NULL;
    util_err err = {{0}};

    if (kube_client_new(c->cfg.cfg, NULL, &client, &err) != 0) {
        util_error("resync: %s", err.msg);
        return NULL;
    }
    pthread_mutex_lock(&c->mu);
    while (c->running) {
        struct timespec until;

        pthread_mutex_unlock(&c->mu);
        resync_once(c, client);
        pthread_mutex_lock(&c->mu);
        until = util_mono_deadline((int64_t)c->cfg.resync_s * 1000);
        while (c->running && pthread_cond_timedwait(&c->cond, &c->mu, &until) != ETIMEDOUT)
            ;
    }
    pthread_mutex_unlock(&c->mu);
    kube_client_free(client);
    return NULL;
}

int op_controller_new(const op_controller_config *cfg, op_controller **out, util_err *err)
{
    op_controller *c;
    pthread_condattr_t ca;

    *out = NULL;
    if (cfg->workers < 1 || cfg->workers > OP_CONTROLLER_MAX_WORKERS)
        return util_err_set(err, "workers: from 1 to %d", OP_CONTROLLER_MAX_WORKERS);
    c = calloc(1, sizeof *c);
    if (c == NULL)
        return util_err_set(err, "out of memory");
    c->cfg = *cfg;
    pthread_mutex_init(&c->mu, NULL);
    /* The resync waits on the monotonic clock: a wall clock set back does
     * not stretch it. */
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&c->cond, &ca);
    pthread_condattr_destroy(&ca);
    *out = c;
    return 0;
}

/* Starts the queue, the workers and the resync. Called with c->mu held. */
static void start_locked(op_controller *c)
{
    util_err err = {{0}};

    if (c->running || c->closed)
        return;
    if (kube_workqueue_new(NULL, &c->queue, &err) != 0) {
        util_error("work queue: %s", err.msg);
        return;
    }
    if (c->cfg.use_informers) {
        if (op_informers_new(c->cfg.cfg, c->cfg.namespace, (long)c->cfg.resync_s * 1000, c->queue,
                             c->cfg.metrics, &c->informers, &err) != 0 ||
            op_informers_start(c->informers, &err) != 0) {
            util_error("informers: %s", err.msg);
            op_informers_free(c->informers);
            c->informers = NULL;
            kube_workqueue_shutdown(c->queue);
            kube_workqueue_free(c->queue);
            c->queue = NULL;
            return;
        }
        set_ready(c);
    }
    c->running = true;
    for (int i = 0; i < c->cfg.workers; i++)
        pthread_create(&c->worker_threads[i], NULL, worker_main, c);
    /* Without informers a periodic list stands in for their events. */
    if (!c->cfg.use_informers)
        pthread_create(&c->resync_thread, NULL, resync_main, c);
    util_info("controller started: %d workers, %s every %d s, namespace %s", c->cfg.workers,
              c->cfg.use_informers ? "informers, resync" : "no informers, list", c->cfg.resync_s,
              c->cfg.namespace != NULL ? c->cfg.namespace : "(all)");
}

void op_controller_start(op_controller *c)
{
    pthread_mutex_lock(&c->mu);
    start_locked(c);
    pthread_mutex_unlock(&c->mu);
}

void op_controller_stop(op_controller *c)
{
    pthread_mutex_lock(&c->mu);
    c->closed = true;
    if (!c->running) {
        pthread_mutex_unlock(&c->mu);
        return;
    }
    c->running = false;
    pthread_cond_broadcast(&c->cond);
    pthread_mutex_unlock(&c->mu);
    kube_workqueue_shutdown(c->queue);
    for (int i = 0; i < c->cfg.workers; i++)
        pthread_join(c->worker_threads[i], NULL);
    if (!c->cfg.use_informers)
        pthread_join(c->resync_thread, NULL);
    op_informers_free(c->informers); /* their handlers add to the queue */
    c->informers = NULL;
    kube_workqueue_free(c->queue);
    c->queue = NULL;
    util_info("controller stopped");
}

void op_controller_account(op_controller *c)
{
    if (c == NULL)
        return;
    pthread_mutex_lock(&c->mu);
    if (c->running && c->informers != NULL)
        op_informers_account(c->informers, c->cfg.metrics);
    pthread_mutex_unlock(&c->mu);
}

void op_controller_free(op_controller *c)
{
    if (c == NULL)
        return;
    op_controller_stop(c);
    pthread_cond_destroy(&c->cond);
    pthread_mutex_destroy(&c->mu);
    free(c);
}
