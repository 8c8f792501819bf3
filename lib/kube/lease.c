/* Lease leader election; see lease.h for the rules and why they are so.
 *
 * State that only the stepping thread touches (the cached object, the
 * observed record, when it was observed, whether we lead) lives unlocked in
 * the struct; what other threads may ask about (leading, the holder) is
 * mirrored under `mu`. The cached object's resourceVersion is the
 * compare-and-set token of the next write. */
#include "kube/lease.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/rand.h>

#include "kube/client.h"
#include "util/clock.h"
#include "util/log.h"
#include "util/str.h"

#define LEASES_PATH "/apis/coordination.k8s.io/v1/namespaces/%s/leases"

struct kube_lease {
    kube_client *client;
    char *ns, *name, *identity;
    char *path, *collection;                 /* the Lease's URL path and its collection's */
    int duration_s;                          /* what we write as leaseDurationSeconds */
    int64_t duration, renew_deadline, retry; /* ns */
    void (*on_started)(void *);
    void (*on_stopped)(void *);
    void (*on_new_leader)(const char *, void *);
    void *ctx;
    util_now_fn now;
    void *now_ctx;

    /* Stepping thread only. */
    cJSON *object;      /* the Lease as last read or written; NULL before */
    char *observed_raw; /* its spec, printed, to notice changes */
    kube_lease_record observed;
    int64_t observed_mono; /* when observed_raw last changed */
    bool leading;
    int64_t renewed_mono; /* start of our last successful write as leader */
    char *reported;       /* the holder last passed to on_new_leader */
    char last_warning[UTIL_ERR_MAX];

    /* Shared. */
    pthread_mutex_t mu;
    pthread_cond_t cv; /* signalled by kube_lease_stop */
    bool pub_leading;
    char *pub_holder;
    bool stopping, running;
    pthread_t thread;
};

static int64_t now_mono(const kube_lease *l)
{
    return l->now(l->now_ctx).mono;
}

/* Names go into URL paths unescaped, so only what Kubernetes allows in
 * them is accepted. */
static bool valid_name(const char *s)
{
    if (s == NULL || s[0] == '\0' || strlen(s) > 253)
        return false;
    for (; *s != '\0'; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '-' || *s == '.'))
            return false;
    return true;
}

static int default_identity(char **out, util_err *err)
{
    char host[256] = "", buf[300];
    unsigned char r[8];

    if (gethostname(host, sizeof host - 1) != 0 || host[0] == '\0')
        snprintf(host, sizeof host, "unknown");
    if (RAND_bytes(r, sizeof r) != 1)
        return util_err_set(err, "identity: no random bytes");
    snprintf(buf, sizeof buf, "%s_%02x%02x%02x%02x%02x%02x%02x%02x", host, r[0], r[1], r[2], r[3],
             r[4], r[5], r[6], r[7]);
    *out = util_strdup(buf);
    return *out == NULL ? util_err_set(err, "out of memory") : 0;
}

/* The Leases of namespace ns, or the Lease name there; a new string or NULL. */
static char *leases_path(const char *ns, const char *name)
{
    char buf[600];

    snprintf(buf, sizeof buf, LEASES_PATH, ns);
    if (name != NULL) {
        size_t n = strlen(buf);
        snprintf(buf + n, sizeof buf - n, "/%s", name);
    }
    return util_strdup(buf);
}

int kube_lease_new(const kube_config *cfg, const kube_lease_options *opts, kube_lease **out,
                   util_err *err)
{
    kube_lease *l;
    long dur_ms =
        opts->lease_duration_ms > 0 ? opts->lease_duration_ms : KUBE_LEASE_DEFAULT_DURATION_MS;
    long renew_ms = opts->renew_deadline_ms > 0 ? opts->renew_deadline_ms
                                                : KUBE_LEASE_DEFAULT_RENEW_DEADLINE_MS;
    long retry_ms =
        opts->retry_period_ms > 0 ? opts->retry_period_ms : KUBE_LEASE_DEFAULT_RETRY_PERIOD_MS;
    kube_client_options copts = {0};
    pthread_condattr_t ca;

    *out = NULL;
    if (!valid_name(opts->namespace) || !valid_name(opts->name))
        return util_err_set(err, "lease %s/%s: namespace and name must be Kubernetes names",
                            opts->namespace ? opts->namespace : "(null)",
                            opts->name ? opts->name : "(null)");
    if (dur_ms < 1000 || renew_ms >= dur_ms / 1000 * 1000 || retry_ms >= renew_ms)
        return util_err_set(err,
                            "lease %s/%s: need retry period (%ld ms) < renew deadline (%ld ms) "
                            "< lease duration (%ld ms, whole seconds, at least 1)",
                            opts->namespace, opts->name, retry_ms, renew_ms, dur_ms);
    if (opts->identity != NULL && (opts->identity[0] == '\0' || strlen(opts->identity) > 1024))
        return util_err_set(err, "lease %s/%s: identity must be 1 to 1024 characters",
                            opts->namespace, opts->name);
    l = calloc(1, sizeof *l);
    if (l == NULL)
        return util_err_set(err, "out of memory");
    l->duration_s = (int)(dur_ms / 1000);
    l->duration = (int64_t)l->duration_s * UTIL_NS_PER_SEC;
    l->renew_deadline = (int64_t)renew_ms * UTIL_NS_PER_MS;
    l->retry = (int64_t)retry_ms * UTIL_NS_PER_MS;
    l->on_started = opts->on_started_leading;
    l->on_stopped = opts->on_stopped_leading;
    l->on_new_leader = opts->on_new_leader;
    l->ctx = opts->ctx;
    l->now = opts->now != NULL ? opts->now : util_time_now;
    l->now_ctx = opts->now_ctx;
    pthread_mutex_init(&l->mu, NULL);
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&l->cv, &ca);
    pthread_condattr_destroy(&ca);
    l->ns = util_strdup(opts->namespace);
    l->name = util_strdup(opts->name);
    l->path = leases_path(opts->namespace, opts->name);
    l->collection = leases_path(opts->namespace, NULL);
    if (l->ns == NULL || l->name == NULL || l->path == NULL || l->collection == NULL) {
        util_err_set(err, "out of memory");
        goto fail;
    }
    if (opts->identity != NULL) {
        if ((l->identity = util_strdup(opts->identity)) == NULL) {
            util_err_set(err, "out of memory");
            goto fail;
        }
    } else if (default_identity(&l->identity, err) != 0) {
        goto fail;
    }
    /* Half the slack: a renewal that hangs cannot keep us leading past the
     * point where a candidate may take over. */
    copts.timeout_ms = (dur_ms / 1000 * 1000 - renew_ms) / 2;
    if (copts.timeout_ms < 1)
        copts.timeout_ms = 1;
    if (kube_client_new(cfg, &copts, &l->client, err) != 0)
        goto fail;
    *out = l;
    return 0;
fail:
    util_err_prefix(err, "lease %s/%s", opts->namespace, opts->name);
    kube_lease_free(l);
    return -1;
}

void kube_lease_free(kube_lease *l)
{
    if (l == NULL)
        return;
    kube_lease_stop(l);
    kube_client_free(l->client);
    cJSON_Delete(l->object);
    free(l->observed_raw);
    kube_lease_record_clear(&l->observed);
    free(l->reported);
    free(l->pub_holder);
    free(l->ns);
    free(l->name);
    free(l->identity);
    free(l->path);
    free(l->collection);
    pthread_cond_destroy(&l->cv);
    pthread_mutex_destroy(&l->mu);
    free(l);
}

const char *kube_lease_identity(const kube_lease *l)
{
    return l->identity;
}

bool kube_lease_is_leader(kube_lease *l)
{
    bool v;

    pthread_mutex_lock(&l->mu);
    v = l->pub_leading;
    pthread_mutex_unlock(&l->mu);
    return v;
}

char *kube_lease_leader_dup(kube_lease *l)
{
    char *s = NULL;

    pthread_mutex_lock(&l->mu);
    if (l->pub_holder != NULL)
        s = util_strdup(l->pub_holder);
    pthread_mutex_unlock(&l->mu);
    return s;
}

/* ---- talking to the API ---- */

/* PUTs obj back to the Lease's path; the resourceVersion in it makes the
 * write conditional. Errors read as kube_get's do. */
static int put_lease(kube_lease *l, const cJSON *obj, cJSON **out, kube_status *st, util_err *err)
{
    kube_response resp;
    char *body = cJSON_PrintUnformatted(obj);
    int status, rc = KUBE_ERR;

    *out = NULL;
    memset(st, 0, sizeof *st);
    if (body == NULL)
        return util_err_set(err, "PUT %s: cannot serialise the Lease", l->path);
    status = kube_request(l->client, "PUT", l->path, "application/json", body, &resp, err);
    free(body);
    if (status < 0)
        return KUBE_ERR;
    if (status < 200 || status > 299) {
        kube_status_decode(&resp, st);
        util_err_set(err, "PUT %s: %d %s%s%s", l->path, st->code, st->reason,
                     st->message[0] != '\0' ? ": " : "", st->message);
        rc = KUBE_ERR_STATUS;
    } else if ((*out = cJSON_ParseWithLength(resp.body, resp.body_len)) == NULL) {
        util_err_set(err, "PUT %s: %d answer is not JSON", l->path, status);
    } else {
        st->code = status;
        rc = 0;
    }
    kube_response_free(&resp);
    return rc;
}

/* Publishes leading/holder for other threads. */
static void publish(kube_lease *l)
{
    char *h = l->observed.holder != NULL ? util_strdup(l->observed.holder) : NULL;

    pthread_mutex_lock(&l->mu);
    l->pub_leading = l->leading;
    if (h != NULL || l->observed.holder == NULL) {
        free(l->pub_holder);
        l->pub_holder = h;
    }
    pthread_mutex_unlock(&l->mu);
}

/* Takes obj as the cached Lease. If its record differs from the one last
 * observed, that is a change seen at `at`: the expiry clock restarts. */
static int observe(kube_lease *l, cJSON *obj, int64_t at, util_err *err)
{
    const cJSON *spec = cJSON_GetObjectItemCaseSensitive(obj, "spec");
    char *raw = spec != NULL ? cJSON_PrintUnformatted(spec) : util_strdup("");
    kube_lease_record rec;

    cJSON_Delete(l->object);
    l->object = obj;
    if (raw == NULL)
        return util_err_set(err, "out of memory");
    if (l->observed_raw != NULL && strcmp(raw, l->observed_raw) == 0) {
        free(raw);
        return 0;
    }
    if (kube_lease_record_parse(obj, &rec, err) != 0) {
        free(raw);
        return util_err_prefix(err, "lease %s/%s", l->ns, l->name);
    }
    kube_lease_record_clear(&l->observed);
    l->observed = rec;
    free(l->observed_raw);
    l->observed_raw = raw;
    l->observed_mono = at;
    return 0;
}

static void become_leader(kube_lease *l, int64_t started)
{
    bool was = l->leading;

    l->leading = true;
    l->renewed_mono = started;
    publish(l);
    if (!was) {
        util_info("lease %s/%s: %s is now leading", l->ns, l->name, l->identity);
        if (l->on_started != NULL)
            l->on_started(l->ctx);
    }
}

static void stop_leading(kube_lease *l, const char *why)
{
    if (!l->leading)
        return;
    l->leading = false;
    publish(l);
    util_warn("lease %s/%s: %s stopped leading: %s", l->ns, l->name, l->identity, why);
    if (l->on_stopped != NULL)
        l->on_stopped(l->ctx);
}

static void report_leader(kube_lease *l)
{
    const char *h = l->observed.holder;

    publish(l);
    if (h == NULL || (l->reported != NULL && strcmp(l->reported, h) == 0))
        return;
    free(l->reported);
    l->reported = util_strdup(h);
    if (l->on_new_leader != NULL)
        l->on_new_leader(h, l->ctx);
}

/* The record we write now: held by us, renewed at `wall`. A new holder
 * starts a new acquireTime and counts a transition. */
static kube_lease_record our_record(const kube_lease *l, int64_t wall)
{
    const kube_lease_record *o = &l->observed;
    bool ours = o->holder != NULL && strcmp(o->holder, l->identity) == 0;
    kube_lease_record rec = {
        .holder = l->identity,
        .duration_s = l->duration_s,
        .transitions = ours ? o->transitions : o->transitions + 1,
        .acquire_ns = ours && o->acquire_ns != 0 ? o->acquire_ns : wall,
        .renew_ns = wall,
    };

    return rec;
}

/* Writes rec over the cached object. Returns 0, or the PUT's error. */
static int write_record(kube_lease *l, const kube_lease_record *rec, kube_status *st, util_err *err)
{
    cJSON *copy = cJSON_Duplicate(l->object, 1), *got = NULL;
    int rc;

    if (copy == NULL)
        return util_err_set(err, "out of memory");
    if (kube_lease_record_put(rec, copy, err) != 0) {
        cJSON_Delete(copy);
        return -1;
    }
    rc = put_lease(l, copy, &got, st, err);
    cJSON_Delete(copy);
    if (rc != 0)
        return rc;
    return observe(l, got, now_mono(l), err);
}

static int create_lease(kube_lease *l, int64_t wall, kube_status *st, util_err *err)
{
    kube_lease_record rec = {
        .holder = l->identity, .duration_s = l->duration_s, .acquire_ns = wall, .renew_ns = wall};
    cJSON *obj = cJSON_CreateObject(), *md, *got = NULL;
    int rc = -1;

    md = cJSON_AddObjectToObject(obj, "metadata");
    if (cJSON_AddStringToObject(obj, "apiVersion", "coordination.k8s.io/v1") == NULL ||
        cJSON_AddStringToObject(obj, "kind", "Lease") == NULL || md == NULL ||
        cJSON_AddStringToObject(md, "name", l->name) == NULL ||
        cJSON_AddStringToObject(md, "namespace", l->ns) == NULL) {
        util_err_set(err, "out of memory");
        goto out;
    }
    if (kube_lease_record_put(&rec, obj, err) != 0)
        goto out;
    rc = kube_create(l->client, l->collection, obj, &got, st, err);
    if (rc == 0)
        rc = observe(l, got, now_mono(l), err);
out:
    cJSON_Delete(obj);
    return rc;
}

/* One step; see kube_lease_try_acquire_or_renew. Leadership changes and
 * their callbacks happen in here. */
static int step(kube_lease *l, kube_status *st, util_err *err)
{
    util_time t = l->now(l->now_ctx);
    kube_lease_record rec;
    cJSON *got = NULL;
    int rc;

    memset(st, 0, sizeof *st);
    if (l->leading && t.mono - l->renewed_mono >= l->renew_deadline)
        stop_leading(l, "could not renew before the renew deadline");

    /* Fast path: we hold it, and the cached object is probably current. */
    if (l->leading) {
        rec = our_record(l, t.wall);
        rc = write_record(l, &rec, st, err);
        if (rc == 0) {
            become_leader(l, t.mono);
            return 0;
        }
        if (rc == KUBE_ERR)
            goto failed;
        /* Refused (a 409 means the cache is stale): read and decide. */
        util_debug("lease %s/%s: renewal refused, re-reading: %s", l->ns, l->name, err->msg);
    }

    rc = kube_get(l->client, l->path, &got, st, err);
    if (rc == KUBE_ERR_STATUS && st->code == 404) {
        rc = create_lease(l, t.wall, st, err);
        if (rc == 0) {
            become_leader(l, t.mono);
            report_leader(l);
            return 0;
        }
        if (rc == KUBE_ERR_STATUS && st->code == 409)
            rc = 0; /* created by someone else just now: next time */
        goto failed;
    }
    if (rc != 0)
        goto failed;
    if ((rc = observe(l, got, now_mono(l), err)) != 0)
        goto failed;
    report_leader(l);

    if (l->observed.holder[0] != '\0' && strcmp(l->observed.holder, l->identity) != 0) {
        if (l->leading)
            stop_leading(l, "the Lease is held by someone else");
        if (!kube_lease_expired(&l->observed, l->observed_mono, t.mono))
            return 0;
    }
    rec = our_record(l, t.wall);
    rc = write_record(l, &rec, st, err);
    if (rc == 0) {
        if (!l->leading && rec.transitions != 0)
            util_info("lease %s/%s: taken over (transition %d)", l->ns, l->name, rec.transitions);
        become_leader(l, t.mono);
        report_leader(l);
        return 0;
    }
    if (rc == KUBE_ERR_STATUS && (st->code == 409 || st->code == 404))
        rc = 0; /* someone else won the race, or deleted the Lease: next time */
failed:
    if (l->leading && now_mono(l) - l->renewed_mono >= l->renew_deadline)
        stop_leading(l, "could not renew before the renew deadline");
    return rc;
}

int kube_lease_try_acquire_or_renew(kube_lease *l, bool *leading, util_err *err)
{
    kube_status st;
    int rc = step(l, &st, err);

    *leading = l->leading;
    return rc;
}

/* When the next attempt is due. A leader renews every retry period, and
 * wakes at its renew deadline if that comes first. A candidate polls a
 * little faster than the retry period (spread so candidates do not move in
 * step) and wakes right when the observed holder's claim runs out: that
 * keeps a takeover within lease duration + retry period of the last
 * renewal. */
static int64_t next_attempt(const kube_lease *l, int64_t now)
{
    int64_t when, expiry;
    unsigned char r = 0;

    if (l->leading) {
        when = now + l->retry;
        if (l->renewed_mono + l->renew_deadline < when)
            when = l->renewed_mono + l->renew_deadline;
        return when;
    }
    RAND_bytes(&r, 1);
    when = now + l->retry - l->retry / 5 * r / 255;
    if (l->observed_raw != NULL && l->observed.holder[0] != '\0') {
        expiry = l->observed_mono + (int64_t)l->observed.duration_s * UTIL_NS_PER_SEC;
        if (expiry > now && expiry < when)
            when = expiry;
    }
    return when;
}

/* Logs a failed step, at warn only when the message changed since last
 * time, so a long outage is one line and not one every retry period. */
static void log_failure(kube_lease *l, const util_err *err)
{
    if (strcmp(l->last_warning, err->msg) == 0) {
        util_debug("lease %s/%s: %s", l->ns, l->name, err->msg);
        return;
    }
    snprintf(l->last_warning, sizeof l->last_warning, "%s", err->msg);
    util_warn("lease %s/%s: %s", l->ns, l->name, err->msg);
}

/* Refusals that another attempt will not change. */
static bool permanent(int rc, const kube_status *st)
{
    if (rc != KUBE_ERR_STATUS)
        return false;
    switch (st->code) {
    case 400:
    case 401:
    case 403:
    case 404:
    case 405:
    case 422:
        return true;
    default:
        return false;
    }
}

static void sleep_ns(int64_t ns)
{
    struct timespec ts;

    if (ns <= 0)
        return;
    ts.tv_sec = ns / UTIL_NS_PER_SEC;
    ts.tv_nsec = ns % UTIL_NS_PER_SEC;
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

int kube_lease_acquire_wait(kube_lease *l, int64_t deadline, util_err *err)
{
    char last[UTIL_ERR_MAX] = "";

    for (;;) {
        kube_status st;
        util_err e = {{0}};
        int rc = step(l, &st, &e);
        int64_t now, when;

        if (rc == 0 && l->leading)
            return 0;
        if (permanent(rc, &st)) {
            util_err_set(err, "%s", e.msg);
            return rc;
        }
        if (rc != 0) {
            snprintf(last, sizeof last, "%s", e.msg);
            log_failure(l, &e);
        }
        now = now_mono(l);
        if (now >= deadline)
            break;
        when = next_attempt(l, now);
        sleep_ns((when < deadline ? when : deadline) - now);
    }
    if (last[0] != '\0')
        util_err_set(err, "lease %s/%s: not acquired before the deadline; last error: %s", l->ns,
                     l->name, last);
    else
        util_err_set(err, "lease %s/%s: not acquired before the deadline: held by %s", l->ns,
                     l->name, l->observed.holder != NULL ? l->observed.holder : "(unknown)");
    return KUBE_LEASE_TIMEOUT;
}

int kube_lease_release(kube_lease *l, util_err *err)
{
    util_time t;
    kube_lease_record rec;
    kube_status st;
    int rc;

    if (!l->leading)
        return 0;
    t = l->now(l->now_ctx);
    rec = (kube_lease_record){
        .holder = "",
        .duration_s = 1,
        .transitions = l->observed.transitions,
        .acquire_ns = t.wall,
        .renew_ns = t.wall,
    };
    rc = write_record(l, &rec, &st, err);
    l->leading = false;
    publish(l);
    if (rc == 0) {
        util_info("lease %s/%s: released by %s", l->ns, l->name, l->identity);
        report_leader(l);
    } else {
        util_warn("lease %s/%s: release failed, it will expire instead: %s", l->ns, l->name,
                  err->msg);
    }
    if (l->on_stopped != NULL)
        l->on_stopped(l->ctx);
    return rc;
}

/* ---- the thread ---- */

static void *run(void *arg)
{
    kube_lease *l = arg;
    util_err err = {{0}};

    pthread_mutex_lock(&l->mu);
    while (!l->stopping) {
        kube_status st;
        int64_t now, when;
        struct timespec ts;

        pthread_mutex_unlock(&l->mu);
        if (step(l, &st, &err) != 0)
            log_failure(l, &err);
        now = now_mono(l);
        when = next_attempt(l, now);
        /* The wait is in real monotonic time; with a replaced clock the
         * distance is what counts. */
        ts = util_mono_deadline((when - now + UTIL_NS_PER_MS - 1) / UTIL_NS_PER_MS);
        pthread_mutex_lock(&l->mu);
        while (!l->stopping && pthread_cond_timedwait(&l->cv, &l->mu, &ts) != ETIMEDOUT)
            ;
    }
    pthread_mutex_unlock(&l->mu);
    if (kube_lease_release(l, &err) != 0)
        log_failure(l, &err);
    return NULL;
}

int kube_lease_start(kube_lease *l, util_err *err)
{
    int rc;

    pthread_mutex_lock(&l->mu);
    if (l->running) {
        pthread_mutex_unlock(&l->mu);
        return util_err_set(err, "lease %s/%s: already started", l->ns, l->name);
    }
    l->stopping = false;
    rc = pthread_create(&l->thread, NULL, run, l);
    l->running = rc == 0;
    pthread_mutex_unlock(&l->mu);
    if (rc != 0)
        return util_err_set(err, "lease %s/%s: pthread_create: %s", l->ns, l->name, strerror(rc));
    return 0;
}

void kube_lease_stop(kube_lease *l)
{
    pthread_mutex_lock(&l->mu);
    if (!l->running) {
        pthread_mutex_unlock(&l->mu);
        return;
    }
    l->stopping = true;
    pthread_cond_broadcast(&l->cv);
    pthread_mutex_unlock(&l->mu);
    pthread_join(l->thread, NULL);
    pthread_mutex_lock(&l->mu);
    l->running = false;
    pthread_mutex_unlock(&l->mu);
}
