/* The Kafka engine's hooks for run; see engine.h. */
#include "engine/kafka/engine.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "cmd.h"
#include "drain/ledger_store.h"
#include "engine/kafka/drain.h"
#include "engine/kafka/peer_dns.h"
#include "engine/kafka/restore.h"
#include "kube/client.h"
#include "serve/readiness.h"
#include "util/clock.h"
#include "util/log.h"

struct sc_kafka_engine {
    char *addr, *ns, *cluster, *identity;
    int broker_id;
    const kafka_dial_opts *dial;
    kube_config *kube_cfg;
    kube_client *kube;
    bool throttle;
    long restore_timeout_ms;
    int probe_timeout_ms;
    int32_t handback_batch;
    int handback_pause_ms;
    sc_link link; /* the prober's held connection; its thread's alone */
    char *peer_name, *pod_ip;
    sc_peer_dns peer_dns;    /* may peers be handed leadership? the prober's alone */
    pthread_mutex_t op_lock; /* one of drain or restore at a time */
    pthread_mutex_t lock;    /* guards what follows */
    bool drain_started;
    long drain_process;      /* readiness.restarts when it started: the process drained */
    bool restored;           /* restore done (or given up) for the current process */
    long long restore_began; /* 0 until its first restore step */
    sc_readiness readiness;
    sc_ready_facts facts;
    long long counted_at; /* util_mono_ms() when facts' partition counts were read; 0: never */
    char last_error[UTIL_ERR_MAX];
};

static char *dup_or_null(const char *s)
{
    return s != NULL ? strdup(s) : NULL;
}

int sc_kafka_engine_new(const sc_kafka_engine_config *cfg, sc_kafka_engine **out, util_err *err)
{
    sc_kafka_engine *e;

    *out = NULL;
    if (cfg->broker_addr == NULL || cfg->kube == NULL || cfg->cluster == NULL)
        return util_err_set(err, "kafka engine: broker address, API config and cluster are "
                                 "all needed");
    e = calloc(1, sizeof *e);
    if (e == NULL)
        return util_err_set(err, "kafka engine: out of memory");
    e->addr = strdup(cfg->broker_addr);
    e->ns = strdup(cfg->ns != NULL ? cfg->ns : cfg->kube->namespace);
    e->cluster = strdup(cfg->cluster);
    e->identity = dup_or_null(cfg->identity);
    e->broker_id = cfg->broker_id;
    e->dial = cfg->dial;
    e->throttle = cfg->throttle;
    e->restore_timeout_ms =
        cfg->restore_timeout_ms > 0 ? cfg->restore_timeout_ms : SC_KAFKA_RESTORE_TIMEOUT_MS;
    e->probe_timeout_ms =
        cfg->probe_timeout_ms > 0 ? cfg->probe_timeout_ms : SC_KAFKA_PROBE_TIMEOUT_MS;
    e->handback_batch = cfg->handback_batch;
    e->handback_pause_ms = cfg->handback_pause_ms;
    e->peer_name = dup_or_null(cfg->peer_name);
    e->pod_ip = dup_or_null(cfg->pod_ip);
    e->peer_dns.name = e->peer_name;
    e->peer_dns.pod_ip = e->pod_ip;
    e->peer_dns.settle_ms = cfg->peer_dns_settle_ms;
    pthread_mutex_init(&e->op_lock, NULL);
    pthread_mutex_init(&e->lock, NULL);
    sc_link_init(&e->link, e->addr, e->dial);
    if (e->addr == NULL || e->ns == NULL || e->cluster == NULL ||
        (cfg->identity != NULL && e->identity == NULL) ||
        (cfg->peer_name != NULL && e->peer_name == NULL) ||
        (cfg->pod_ip != NULL && e->pod_ip == NULL)) {
        sc_kafka_engine_free(e);
        return util_err_set(err, "kafka engine: out of memory");
    }
    if (kube_config_dup(cfg->kube, &e->kube_cfg, err) != 0 ||
        kube_client_new(e->kube_cfg, NULL, &e->kube, err) != 0) {
        sc_kafka_engine_free(e);
        return util_err_prefix(err, "kafka engine");
    }
    *out = e;
    return 0;
}

void sc_kafka_engine_free(sc_kafka_engine *e)
{
    if (e == NULL)
        return;
    sc_link_close(&e->link);
    kube_client_free(e->kube);
    kube_config_free(e->kube_cfg);
    free(e->addr);
    free(e->ns);
    free(e->cluster);
    free(e->identity);
    free(e->peer_name);
    free(e->pod_ip);
    pthread_mutex_destroy(&e->op_lock);
    pthread_mutex_destroy(&e->lock);
    free(e);
}

static void ctx_of(const sc_kafka_engine *e, sc_kafka_ctx *ctx)
{
    memset(ctx, 0, sizeof *ctx);
    ctx->broker_addr = e->addr;
    ctx->broker_id = e->broker_id;
    ctx->dial = e->dial;
    ctx->kube = e->kube;
    ctx->ns = e->ns;
    ctx->cluster = e->cluster;
    ctx->handback_batch = e->handback_batch;
    ctx->handback_pause_ms = e->handback_pause_ms;
    if (e->throttle) {
        ctx->lease_config = e->kube_cfg;
        ctx->lease_identity = e->identity;
    }
}

static void note_error(sc_kafka_engine *e, const char *msg)
{
    pthread_mutex_lock(&e->lock);
    snprintf(e->last_error, sizeof e->last_error, "%s", msg);
    pthread_mutex_unlock(&e->lock);
}

/* Hands drain progress to run's client, and to the log (with times: what
 * a drain spends where), stops once the client is gone. */
static int to_call(void *arg, const char *line)
{
    sc_drain_call *call = arg;

    util_info("drain of broker %d: %s", call->broker_id, line);
    if (call->progress(call, line) != 0)
        return -1;
    return call->cancelled != NULL && call->cancelled(call) ? -1 : 0;
}

/* From now on the broker process now running counts as drained: no
 * restore step starts for it, and readiness says so. */
static void mark_drained(sc_kafka_engine *e)
{
    pthread_mutex_lock(&e->lock);
    e->drain_started = true;
    e->drain_process = e->readiness.restarts;
    e->last_error[0] = '\0';
    pthread_mutex_unlock(&e->lock);
}

/* Until SC_KAFKA_CLIENT_SETTLE_MS after idle_since (when the broker first
 * led nothing; 0: now), cut short by the call's deadline or its client
 * leaving. */
static void client_settle(sc_drain_call *call, long long idle_since)
{
    long long end = (idle_since > 0 ? idle_since : util_mono_ms()) + SC_KAFKA_CLIENT_SETTLE_MS;
    char line[128];

    if (end > call->deadline_ms - 500)
        end = call->deadline_ms - 500;
    if (end <= util_mono_ms())
        return;
    snprintf(line, sizeof line,
             "leading nothing; serving %lld ms more so clients move to the new leaders",
             end - util_mono_ms());
    if (to_call(call, line) != 0)
        return;
    while (util_mono_ms() < end) {
        if (call->cancelled != NULL && call->cancelled(call))
            return;
        sc_sleep_ms(100);
    }
}

int sc_kafka_engine_drain(sc_drain_call *call, void *user, util_err *err)
{
    sc_kafka_engine *e = user;
    sc_kafka_ctx ctx;
    long long idle_since = 0;
    int rc;

    if (call->broker_id != e->broker_id) {
        util_err_set(err, "asked to drain broker %d, but this engine is for broker %d",
                     call->broker_id, e->broker_id);
        note_error(e, err->msg);
        return -1;
    }
    pthread_mutex_lock(&e->op_lock);
    mark_drained(e);
    ctx_of(e, &ctx);
    ctx.budget = call->budget;
    rc = sc_kafka_drain(&ctx, call->deadline_ms, to_call, call, &idle_since, err);
    pthread_mutex_unlock(&e->op_lock);
    if (rc != 0) {
        note_error(e, err->msg);
        return -1;
    }
    client_settle(call, idle_since);
    return 0;
}

void sc_kafka_engine_skip(void *user)
{
    /* Without op_lock, so the answer does not wait: a restore step under
     * way may still end (leadership handed to a broker that stops with
     * all the others harms nothing), but none starts after this. */
    mark_drained(user);
}

/* Has the broker process now running been drained? A drain is for the
 * process it found; once that has ended (readiness counted a restart), the
 * next one is restored like any other. Under e->lock. */
static bool drained(const sc_kafka_engine *e)
{
    return e->drain_started && e->drain_process == e->readiness.restarts;
}

/* A restore's progress, into the log (restore runs in the readiness
 * checks, with nobody waiting on a socket). */
static int log_restore(void *arg, const char *line)
{
    const sc_kafka_engine *e = arg;

    util_info("restore of broker %d: %s", e->broker_id, line);
    return 0;
}

/* One bounded restore step; true once restore is done or has run out of
 * time (then it counts as done: readiness must not wait forever). */
static bool restore_step(sc_kafka_engine *e)
{
    long long now = util_mono_ms(), end, began;
    sc_kafka_ctx ctx;
    util_err err = {{0}};
    int rc;

    pthread_mutex_lock(&e->lock);
    if (e->restore_began == 0)
        e->restore_began = now;
    began = e->restore_began;
    pthread_mutex_unlock(&e->lock);
    end = now + SC_KAFKA_RESTORE_STEP_MS;
    if (end > began + e->restore_timeout_ms)
        end = began + e->restore_timeout_ms;
    if (end <= now) {
        util_warn("restore of broker %d: gave up after %ld ms; ready anyway", e->broker_id,
                  e->restore_timeout_ms);
        return true;
    }
    pthread_mutex_lock(&e->op_lock);
    pthread_mutex_lock(&e->lock);
    rc = drained(e) ? -2 : 0;
    pthread_mutex_unlock(&e->lock);
    if (rc == 0) {
        ctx_of(e, &ctx);
        ctx.lease_config = NULL; /* restore takes no Lease */
        rc = sc_kafka_restore(&ctx, end, log_restore, e, &err);
    }
    pthread_mutex_unlock(&e->op_lock);
    if (rc == -2)
        return false;
    if (rc == 0) {
        util_info("restore of broker %d: done, it leads what it prefers; ready in %ld ms",
                  e->broker_id, SC_KAFKA_HANDBACK_SETTLE_MS);
        sc_sleep_ms(SC_KAFKA_HANDBACK_SETTLE_MS);
        return true;
    }
    note_error(e, err.msg);
    util_warn("%s", err.msg);
    return util_mono_ms() >= began + e->restore_timeout_ms;
}

/* Keeps what a check found; a restart seen starts restore over for the new
 * process (the old one's hand-back, or its drain, is not the new one's). */
static void keep_verdict(sc_kafka_engine *e, const sc_readiness *r, const sc_ready_facts *f,
                         bool *restored)
{
    pthread_mutex_lock(&e->lock);
    if (r->restarts != e->readiness.restarts) {
        util_warn("broker %d: %s; the start-up gate (ISR, restore) applies again", e->broker_id,
                  r->restarted);
        e->restored = false;
        e->restore_began = 0;
        *restored = false;
    }
    e->readiness = *r;
    if (f->counted) {
        e->facts = *f;
        e->counted_at = util_mono_ms();
    } else {
        /* Keep the last counts read; take the rest of the verdict. */
        sc_partition_counts keep = e->facts.parts;

        e->facts = *f;
        e->facts.parts = keep;
    }
    e->restored = e->restored || *restored;
    pthread_mutex_unlock(&e->lock);
}

int sc_kafka_engine_ready(void *user, char *why, size_t why_size)
{
    sc_kafka_engine *e = user;
    sc_readiness r;
    sc_ready_facts f;
    util_err err = {{0}};
    bool is_drained, restored;
    char peers_why[UTIL_ERR_MAX];
    int rc, peers;

    pthread_mutex_lock(&e->lock);
    restored = e->restored;
    r = e->readiness;
    pthread_mutex_unlock(&e->lock);
    /* Probed even once drained: the drained process ending is what lets
     * the next one be restored. */
    rc = sc_readiness_probe(&r, &e->link, e->broker_id, restored, e->probe_timeout_ms, &f, &err);
    keep_verdict(e, &r, &f, &restored);
    pthread_mutex_lock(&e->lock);
    is_drained = drained(e);
    pthread_mutex_unlock(&e->lock);
    if (is_drained) {
        snprintf(why, why_size, "broker %d has been drained; it stays unready until it restarts",
                 e->broker_id);
        return 0;
    }
    /* The pod's name is watched from the first check on, so the wait for
     * peers' caches runs while the broker starts and catches up. */
    peers = sc_peer_dns_check(&e->peer_dns, peers_why, sizeof peers_why);
    if (rc == 0 && !r.latched && !restored && f.registered && !f.fenced &&
        f.parts.out_of_isr == 0 && (!f.voter || f.voter_caught_up)) {
        /* Caught up: hand leadership back once the other brokers can reach
         * this pod, then judge again. */
        if (peers != 1) {
            snprintf(why, why_size, "%s", peers_why);
            return 0;
        }
        restored = restore_step(e);
        if (restored) {
            f.gone = 0; /* counted already */
            f.restore_done = 1;
            rc = sc_ready_eval(&r, &f);
        }
        keep_verdict(e, &r, &f, &restored);
    }
    if (rc != 1)
        snprintf(why, why_size, "%s", r.reason);
    return rc == 1;
}

int sc_kafka_engine_wait(void *user, int wake_fd, long timeout_ms, char *why, size_t why_size)
{
    sc_kafka_engine *e = user;
    sc_readiness r;
    sc_ready_facts f;
    bool restored;

    /* Only this thread changes e->readiness, so the copy stays current. */
    pthread_mutex_lock(&e->lock);
    r = e->readiness;
    pthread_mutex_unlock(&e->lock);
    if (sc_readiness_wait(&r, &e->link, wake_fd, timeout_ms) != 1)
        return 0;
    pthread_mutex_lock(&e->lock);
    f = e->facts;
    restored = e->restored;
    pthread_mutex_unlock(&e->lock);
    keep_verdict(e, &r, &f, &restored);
    snprintf(why, why_size, "%s", r.reason);
    return 1;
}

int sc_kafka_engine_status(cJSON *status, void *user, util_err *err)
{
    sc_kafka_engine *e = user;
    cJSON *k = cJSON_AddObjectToObject(status, "kafka");
    char ledger[300];

    if (k == NULL)
        return util_err_set(err, "out of memory");
    if (drain_ledger_configmap(ledger, sizeof ledger, e->cluster) < 0)
        ledger[0] = '\0';
    pthread_mutex_lock(&e->lock);
    cJSON_AddStringToObject(k, "broker", e->addr);
    cJSON_AddStringToObject(k, "ledger", ledger);
    sc_drain_status_common(k, drained(e), e->restored, e->readiness.latched, e->readiness.restarts,
                           e->readiness.restarted, e->last_error);
    cJSON_AddNumberToObject(k, "replicated", e->facts.parts.replicated);
    cJSON_AddNumberToObject(k, "outOfIsr", e->facts.parts.out_of_isr);
    cJSON_AddNumberToObject(k, "leaderless", e->facts.parts.leaderless);
    cJSON_AddNumberToObject(k, "leads", e->facts.parts.leads);
    cJSON_AddNumberToObject(k, "prefers", e->facts.parts.prefers);
    cJSON_AddNumberToObject(k, "countedMsAgo",
                            e->counted_at > 0 ? (double)(util_mono_ms() - e->counted_at) : -1);
    pthread_mutex_unlock(&e->lock);
    return 0;
}

long sc_kafka_engine_restarts(void *user)
{
    sc_kafka_engine *e = user;
    long n;

    pthread_mutex_lock(&e->lock);
    n = e->readiness.restarts;
    pthread_mutex_unlock(&e->lock);
    return n;
}

int sc_kafka_engine_for_run(sc_run_config *run_cfg, sc_kafka_engine_config *cfg,
                            sc_kafka_engine **out, util_err *err)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
    cfg->broker_id = run_cfg->broker_id;
    if (sc_kafka_engine_new(cfg, out, err) != 0)
        return -1;
    run_cfg->ready = sc_kafka_engine_ready;
    run_cfg->ready_user = *out;
    run_cfg->ready_wait = sc_kafka_engine_wait;
    run_cfg->ready_restarts = sc_kafka_engine_restarts;
    run_cfg->drain = sc_kafka_engine_drain;
    run_cfg->drain_user = *out;
    run_cfg->drain_skip = sc_kafka_engine_skip;
    run_cfg->drain_status = sc_kafka_engine_status;
    run_cfg->drain_status_user = *out;
    return 0;
}
